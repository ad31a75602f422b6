#!/bin/sh
# check-kobj OBJ: is OBJ fit to be linked into an OpenBSD amd64 kernel?
#  - the undefined symbols are exactly the services of ffi/vmm_kern.h
#    (their vmmk_ names, or the kernel functions named by __asm__);
#  - the global symbols are exactly ffi/vmm_rs.exports;
#  - no panic path (no core::panicking), so no core::fmt either;
#  - no indirect call or jump (IBT/retpoline), no jump tables (notrack);
#  - no GOT/PLT relocations, no .got/.plt/.init_array/.fini_array/.tdata/
#    .tbss/.eh_frame sections;
#  - no SSE/AVX/x87 register use;
#  - frame pointers: every function sets up %rbp;
#  - stack: no frame over 2,047 bytes, no chain over the budget.
# Prints what it checked with figures; exits non-zero on the first failure.
set -eu
obj=${1:-build/vmm_rs.o}
top=$(dirname "$0")/..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-kobj: FAIL: $*" >&2; exit 1; }

# A service is its vmmk_ name, or the kernel function its declaration
# names with __asm__("...") (the hot path calls those directly).
awk '/^[ \t]*\/?\*/ { next }
    { d = d " " $0 }
    /;/ { if (match(d, /vmmk_[a-z0-9_]*\(/)) {
		n = substr(d, RSTART, RLENGTH - 1)
		if (match(d, /__asm__\("[a-z0-9_]*"\)/))
			n = substr(d, RSTART + 9, RLENGTH - 11)
		print n
	}
	d = "" }' "$top/ffi/vmm_kern.h" | sort -u > "$tmp/services"
readelf -s -W "$obj" | awk '$7=="UND" && $8!="" {print $8}' | sort -u > "$tmp/undef"
if ! cmp -s "$tmp/services" "$tmp/undef"; then
	echo "undefined symbols differ from ffi/vmm_kern.h (< header, > object):" >&2
	diff "$tmp/services" "$tmp/undef" >&2 || true
	fail "undefined symbols"
fi
echo "check-kobj: undefined symbols: $(wc -l < "$tmp/undef") (exactly the services of ffi/vmm_kern.h)"

readelf -s -W "$obj" | awk '($5=="GLOBAL" || $5=="WEAK") && $7!="UND" {print $8}' | sort -u > "$tmp/globals"
sort -u "$top/ffi/vmm_rs.exports" > "$tmp/exports"
cmp -s "$tmp/globals" "$tmp/exports" || { diff "$tmp/exports" "$tmp/globals" >&2 || true; fail "exported symbols"; }
echo "check-kobj: exported symbols: $(wc -l < "$tmp/globals") (exactly ffi/vmm_rs.exports)"

n=$(readelf -s -W "$obj" | grep -c -E 'panicking|panic_fmt|panic_bounds_check|core3fmt' || true)
[ "$n" -eq 0 ] || fail "$n panic/fmt symbols"
echo "check-kobj: panic-path symbols: 0"

objdump -d --no-show-raw-insn "$obj" > "$tmp/dis"
n=$(grep -c -E '(call|jmp)[a-z]* +\*|notrack' "$tmp/dis" || true)
[ "$n" -eq 0 ] || { grep -E '(call|jmp)[a-z]* +\*|notrack' "$tmp/dis" | head >&2; fail "$n indirect branches"; }
echo "check-kobj: indirect calls/jumps: 0"

n=$(readelf -r -W "$obj" | grep -c -E 'GOT|R_X86_64_PLT[^3]|COPY|GLOB_DAT|JUMP_SLOT|TPOFF|DTPMOD' || true)
[ "$n" -eq 0 ] || fail "$n GOT/PLT/TLS relocations"
for s in .got .got.plt .plt .init_array .fini_array .ctors .tdata .tbss .eh_frame; do
	if readelf -S -W "$obj" | awk '{print $2}' | grep -qx -- "$s"; then
		fail "section $s present"
	fi
done
echo "check-kobj: GOT/PLT/TLS relocations: 0; no .got/.plt/.init_array/.tdata/.tbss/.eh_frame"

n=$(grep -c -E '%[xyz]mm[0-9]|[[:space:]]f(ld|st|add|mul|div|sub|ild|ist)[a-z]*[[:space:]]' "$tmp/dis" || true)
[ "$n" -eq 0 ] || fail "$n SSE/AVX/x87 instructions"
echo "check-kobj: SSE/AVX/x87 instructions: 0"

# Every function that calls another must set up a frame (push %rbp;
# mov %rsp,%rbp) so ddb can walk the stack; leaves need not.
awk '
	function done() {
		if (fn == "") return
		total++
		if (calls) { nonleaf++; if (!ok) { bad++; print "no frame: " fn > "/dev/stderr" } }
	}
	/^[0-9a-f]+ <.*>:$/ { done(); fn = $2; ok = 0; n = 0; calls = 0; next }
	fn != "" {
		n++
		if (n <= 6 && $0 ~ /mov +%rsp,%rbp/) ok = 1
		if ($0 ~ /[[:space:]]call/) calls = 1
	}
	END { done(); printf "%d %d %d\n", total, nonleaf, bad }
' "$tmp/dis" > "$tmp/fp"
read total nonleaf bad < "$tmp/fp"
[ "$bad" -eq 0 ] || fail "$bad of $nonleaf non-leaf functions without a frame pointer"
echo "check-kobj: frame pointers: $nonleaf of $nonleaf non-leaf functions ($total functions)"
# The kernel stack: every frame at most 2,047 bytes (the C kernel's
# -Wframe-larger-than=2047) and the deepest chain of the driver's own
# frames from an entry point within STACK_CHAIN_MAX (tools/stack-check.py
# says why 6 KiB).
sh "$top/tools/stack-check-tests/run.sh" || fail "stack-check self-test"
python3 "$top/tools/stack-check.py" "$obj" "$top/ffi/vmm_rs.exports" \
    "${STACK_FRAME_MAX:-2047}" "${STACK_CHAIN_MAX:-6144}" ||
    fail "kernel stack use"
echo "check-kobj: $obj OK ($(size "$obj" | awk 'NR==2{print $1" bytes text, "$2" data, "$3" bss"}'))"

#!/bin/sh
# make bench-profile: where the host instructions of one in-kernel exit go.
#
# Runs regress/bench/exits.c once under QEMU with -icount shift=0 and the
# translation-block execution log (-d exec,nochain), takes the window of
# the CPUID loop (the guest block at f000:010a, 10000 iterations), and
# attributes each executed block's instructions (disassembled from the
# testbed kernel, up to the block-ending instruction) to its function.
# Prints "profile FUNCTION INSNS-PER-EXIT", biggest first.  Needs
# python3; the log is a few GB under $TMPDIR and is removed afterwards.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmprof.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
CONFIGS=qemu-svm SELFTESTS=0 PROG=regress/bench/exits.c QEMU_TIMEOUT=600 \
    QEMU_ICOUNT=shift=0 QEMU_EXTRA="-d exec,nochain -D $tmp/exec.log" \
    sh regress/run.sh > "$tmp/run.out" 2>&1 || { cat "$tmp/run.out"; exit 1; }
elf=regress/testbed/obj/testbed.elf
nm -n -C "$elf" | awk '$2 ~ /^[tT]$/' > "$tmp/syms"
objdump -d --no-show-raw-insn "$elf" |
    awk '/^ *[0-9a-f]+:\t/ { a = $1; sub(":", "", a); print a, $2 }' > "$tmp/insns"
loop=/00000000000f010a/
first=$(grep -n "$loop" "$tmp/exec.log" | head -1 | cut -d: -f1)
last=$(grep -n "$loop" "$tmp/exec.log" | tail -1 | cut -d: -f1)
sed -n "${first},${last}p" "$tmp/exec.log" |
    awk -F'[][/]' '{ c[$3]++ } END { for (k in c) print c[k], k }' > "$tmp/pcs"
python3 - "$tmp" <<'PY'
import bisect, collections, sys
d = sys.argv[1]
ins = []
for l in open(d + "/insns"):
    p = l.split()
    if len(p) == 2:
        ins.append((int(p[0], 16), p[1]))
ia = [a for a, _ in ins]
syms = []
for l in open(d + "/syms"):
    p = l.split(None, 2)
    syms.append((int(p[0], 16), p[2].strip()))
sa = [a for a, _ in syms]
# Instructions that end a QEMU translation block (or exit to the host).
END = ("vmrun", "cpuid", "rdmsr", "wrmsr", "xsetbv", "hlt", "iretq", "int3",
       "ud2", "sti", "popf", "popfq", "lret", "stgi", "clgi", "vmload",
       "vmsave", "xrstor", "xrstor64", "fxrstor", "fxrstor64", "xsave",
       "xsave64", "fxsave64")
def tb_len(pc):
    i = bisect.bisect_left(ia, pc)
    if i >= len(ia) or ia[i] != pc:
        return 1
    n = 0
    while i < len(ia) and n < 512:
        m = ins[i][1]
        n += 1
        if m[0] == "j" or m.startswith(("call", "ret", "rep")) or m in END:
            break
        i += 1
    return n
agg = collections.Counter()
iters = 0
for l in open(d + "/pcs"):
    p = l.split()
    if len(p) < 2:
        continue
    c, pc = int(p[0]), int(p[1], 16)
    if pc == 0xf010a:
        iters = c
    if pc < 0x100000:
        # Guest (real-mode) blocks are not in the kernel image; the loop
        # is 3 instructions in 2 blocks, so count 2 per block (an estimate).
        agg["(guest)"] += c * 2
        continue
    j = bisect.bisect_right(sa, pc) - 1
    agg[syms[j][1] if j >= 0 else "?"] += c * tb_len(pc)
iters = max(iters, 1)
for name, c in agg.most_common():
    print("profile %s %.1f" % (name.replace(" ", ""), c / iters))
print("profile TOTAL %.1f" % (sum(agg.values()) / iters))
PY

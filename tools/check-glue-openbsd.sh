#!/bin/sh
# check-glue-openbsd: the C glue and the Rust object against a real OpenBSD
# kernel tree (sys/ of OpenBSD 7.6), on any host with clang and bmake.
#
#   OBSD_TAR  the sys/ archive
#             (default ../shared/openbsd/openbsd-7.6-sys.tar.xz)
#   WORK      where it is extracted (default build/obsd-src)
#   CLANG     the compiler (default clang)
#
# 1. The tree is extracted once (a stamp file).  Before anything is staged
#    into it, the C driver's three files (dev/vmm/vmm.c,
#    arch/amd64/amd64/vmm_machdep.c, vmm_support.S) are compiled as the tree
#    has them; the global symbols they define are what the rest of the
#    kernel may expect from vmm.
# 2. The driver is staged with tools/stage-openbsd.sh (STAGE_ONLY=1), so
#    the headers it installs are the ones compiled against.
# 3. dev/vmm/vmm_glue.c and vmm_kern.c are compiled for GENERIC and
#    GENERIC.MP with the flags of the tree's own Makefile.amd64 (bmake
#    evaluates them), warnings being errors as in a kernel build.
# 4. Every other kernel source that names a symbol of step 1 or the device
#    vmm, or includes a vmm header, is compiled the same way; each symbol
#    of step 1 it references (and vmm_ca/vmm_cd, which config(8)'s ioconf.c
#    references) must be defined by vmm_glue.o, vmm_kern.o or
#    build/vmm_rs.o, and by only one of them.
#
# Not compiled here: what config(8) generates.  Its count headers (vmm.h
# and the like) are approximated: 1 for a device or pseudo-device the
# configuration has and for the attributes those carry, else 0.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tar=${OBSD_TAR:-$top/../shared/openbsd/openbsd-7.6-sys.tar.xz}
work=${WORK:-$top/build/obsd-src}
CC=${CLANG:-clang}

fail() { echo "check-glue-openbsd: FAIL: $*" >&2; exit 1; }

if [ ! -f "$tar" ]; then
	echo "SKIP: check-glue-openbsd: no OpenBSD sys/ archive at $tar"
	exit 0
fi
for t in "$CC" bmake nm tar xz; do
	command -v "$t" >/dev/null || fail "$t is not installed"
done

S=$work/sys
conf=$S/arch/amd64/conf

# The configuration files config(8) would read for $1 (GENERIC or
# GENERIC.MP), following `include` lines.
conffiles() {
	f=$conf/$1
	while [ -n "$f" ]; do
		echo "$f"
		inc=$(sed -n 's/^include[[:space:]]*"\(.*\)".*/\1/p' "$f")
		if [ -z "$inc" ]; then
			f=
		elif [ -f "$(dirname "$f")/$inc" ]; then
			f=$(dirname "$f")/$inc
		else
			f=$S/$inc
		fi
	done
}

# config(8) turns each `option X` into -DX in IDENT.
ident() {
	conffiles "$1" | xargs sed 's/#.*//' | awk '$1 == "option" {
		for (i = 2; i <= NF; i++) {
			sub(/,$/, "", $i)
			printf " -D%s", $i
		}
	}'
}

# A compile directory for configuration $2 in $1: the machine links
# config(8) makes, the count headers, assym.h.
mkobj() {
	rm -rf "$1"
	mkdir -p "$1"
	ln -s "$S/arch/amd64/include" "$1/machine"
	ln -s "$S/arch/amd64/include" "$1/amd64"
	# The statements of the files.* the kernel's config reads, one a line.
	find "$S" -name 'files.*' ! -path "$S/arch/*" |
	    { cat; echo "$S/conf/files"; echo "$conf/files.amd64"; } |
	    xargs awk '
		{ sub(/#.*/, "") }
		/^[^ \t]/ { if (s != "") print s; s = $0; next }
		/^[ \t]/ && s != "" { s = s " " $0 }
		END { if (s != "") print s }
	    ' > "$1/statements"
	# Configured: the devices the configuration has, and the attributes
	# they (and those attributes) carry.
	{
		conffiles "$2" | xargs sed 's/#.*//' | awk '
			$1 == "pseudo-device" { print "has", $2; next }
			$2 == "at" {
				n = $1
				sub(/[0-9*]+$/, "", n)
				print "has", n
			}'
		awk '$1 ~ /^(device|define|pseudo-device|attach)$/ {
			n = $2; sub(/[{:].*/, "", n)
			for (i = 3; i < NF; i++)
				if ($i == "with")
					print "is", n, $(i + 1)
			if (index($0, ":") == 0)
				next
			a = substr($0, index($0, ":") + 1)
			k = split(a, w, /[^A-Za-z0-9_]+/)
			for (j = 1; j <= k; j++)
				if (w[j] != "")
					print "is", n, w[j]
		}' "$1/statements"
	} | awk '
		$1 == "has" { on[$2] = 1 }
		$1 == "is" { e++; from[e] = $2; to[e] = $3 }
		END {
			do {
				more = 0
				for (i = 1; i <= e; i++)
					if (on[from[i]] && !on[to[i]]) {
						on[to[i]] = 1
						more = 1
					}
			} while (more)
			for (n in on)
				print n
		}' | sort > "$1/configured"
	# Every name a needs-flag/needs-count `file` statement depends on
	# gets a header, as config(8) writes them.
	awk '$1 == "file" && /needs-(flag|count)/ {
		for (i = 3; i <= NF && $i !~ /^needs-/; i++) {
			n = split($i, w, /[^A-Za-z0-9_]+/)
			for (j = 1; j <= n; j++)
				if (w[j] != "")
					print w[j]
		}
	    }' "$1/statements" | sort -u | while read -r d; do
		if grep -qx "$d" "$1/configured"; then v=1; else v=0; fi
		echo "#define N$(echo "$d" | tr a-z A-Z) $v" > "$1/$d.h"
	done
	(cd "$1" && kflags "$2" > flags)
	# As Makefile.amd64's assym.h rule (with its NO_INTEGR_AS).
	# shellcheck disable=SC2046
	(cd "$1" && sh "$S/kern/genassym.sh" "$CC" -no-integrated-as \
	    $(cat flags) -MF assym.P < "$S/arch/amd64/amd64/genassym.cf" |
	    sort -u > assym.h)
}

# Makefile.amd64's CFLAGS and CPPFLAGS for configuration $1, evaluated by
# bmake in the compile directory.  Its `%` lines are config(8)'s
# placeholders and bsd.own.mk is OpenBSD's; what the latter sets for clang
# is given here (COMPILER_VERSION, NOPIE_FLAGS).  Dropped: -fret-clean,
# -msave-args and -fno-ret-protector, options of OpenBSD's own clang that
# upstream clang lacks; added: the cross target.
kflags() {
	sed -e '/^%/d' -e '/^\.include[[:space:]]*<bsd\.own\.mk>/d' \
	    "$conf/Makefile.amd64" |
	    bmake -f - S="$S" _mach=amd64 _arch=amd64 \
	    IDENT="$(ident "$1")" COMPILER_VERSION=clang NOPIE_FLAGS=-fno-pie \
	    -V '${CFLAGS} ${CPPFLAGS}' |
	    tr ' ' '\n' | grep -v -x -e '' -e -fret-clean -e -msave-args \
	    -e -fno-ret-protector | tr '\n' ' '
	echo "--target=x86_64-unknown-openbsd"
}

# Compiles $2 (relative to $S) in compile directory $1; the compiler must
# say nothing.
kcc() {
	o=$1/$(basename "$2" | sed 's/\.[cS]$/.o/')
	case $2 in
	*.S)	set -- "$1" "$2" -D_LOCORE -x assembler-with-cpp ;;
	esac
	d=$1
	src=$S/$2
	shift 2
	# shellcheck disable=SC2046
	if ! (cd "$d" && "$CC" $(cat flags) "$@" -c "$src" -o "$o") \
	    > "$o.log" 2>&1 || [ -s "$o.log" ]; then
		cat "$o.log" >&2
		fail "$src"
	fi
}

# 1. Extract; the symbols of the C driver.
if [ ! -f "$work/.extracted" ]; then
	rm -rf "$work"
	mkdir -p "$work"
	echo "check-glue-openbsd: extracting $(basename "$tar") into $work"
	tar -xJf "$tar" -C "$work"
	mkobj "$work/obj.cvmm" GENERIC.MP
	for f in dev/vmm/vmm.c arch/amd64/amd64/vmm_machdep.c \
	    arch/amd64/amd64/vmm_support.S; do
		kcc "$work/obj.cvmm" "$f"
	done
	nm -g --defined-only "$work"/obj.cvmm/*.o | awk 'NF == 3 { print $3 }' |
	    sort -u > "$work/cvmm.syms"
	touch "$work/.extracted"
fi
[ -s "$work/cvmm.syms" ] || fail "no symbols of the C driver"

# 2. Stage.
SYSDIR=$S STAGE_ONLY=1 sh "$top/tools/stage-openbsd.sh" >/dev/null

# 3. The glue, uniprocessor and multiprocessor.
for c in GENERIC GENERIC.MP; do
	mkobj "$work/obj.$c" "$c"
	for f in vmm_glue.c vmm_kern.c; do
		kcc "$work/obj.$c" "dev/vmm/$f"
	done
done
echo "check-glue-openbsd: dev/vmm/vmm_glue.c, vmm_kern.c: GENERIC and" \
    "GENERIC.MP with Makefile.amd64's flags: 0 errors, 0 warnings"

# 4. The rest of the kernel against the staged headers and the objects.
k=$work/obj.GENERIC.MP
{
	cat "$work/cvmm.syms"
	printf 'vmm\nmachine/vmmvar.h\ndev/vmm/vmm.h\n'
} > "$k/patterns"
# Kernel sources: not other architectures, not amd64's boot programs, not
# the C driver (nor the glue staged next to it).
(cd "$S" && grep -rlwF -f "$k/patterns" --include='*.c' --include='*.S' .) |
    sed 's|^\./||' | awk '
	/^arch\// && !/^arch\/amd64\// { next }
	/^arch\/amd64\/stand\// || /^dev\/vmm\// { next }
	/^arch\/amd64\/amd64\/vmm_(machdep\.c|support\.S)$/ { next }
	{ print }' | sort > "$k/units"
: > "$k/expected"
while read -r f; do
	kcc "$k" "$f"
	o=$k/$(basename "$f" | sed 's/\.[cS]$/.o/')
	nm -u "$o" | awk '{ print $2 }' | grep -x -F -f "$work/cvmm.syms" |
	    sed "s|\$| $f|" >> "$k/expected"
done < "$k/units"
printf 'vmm_ca ioconf.c\nvmm_cd ioconf.c\n' >> "$k/expected"

nm -g --defined-only "$k/vmm_glue.o" "$k/vmm_kern.o" "$top/build/vmm_rs.o" |
    awk '/:$/ { f = $1; sub(/:$/, "", f); sub(/.*\//, "", f) }
	NF == 3 { print $3, f }' | sort > "$k/provided"
dup=$(awk '{ print $1 }' "$k/provided" | uniq -d)
[ -z "$dup" ] || fail "defined twice: $dup"
n=0
for s in $(awk '{ print $1 }' "$k/expected" | sort -u); do
	users=$(awk -v s="$s" '$1 == s { print $2 }' "$k/expected" | sort -u |
	    paste -s -d ' ' -)
	by=$(awk -v s="$s" '$1 == s { print $2 }' "$k/provided")
	[ -n "$by" ] || fail "$s (used by $users) is defined by none of them"
	printf '  %-18s %-12s used by %s\n' "$s" "$by" "$users"
	n=$((n + 1))
done
echo "check-glue-openbsd: $(wc -l < "$k/units") kernel sources compiled" \
    "against the staged headers (0 warnings); $n symbols they expect from" \
    "vmm, each defined once by vmm_glue.o, vmm_kern.o or vmm_rs.o"

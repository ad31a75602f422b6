#!/bin/sh
# make kernel: put the Rust vmm(4) into an OpenBSD source tree and build a
# kernel with it.
#
#   SYSDIR=/usr/src/sys  the kernel tree (required)
#   CONFIG=GENERIC.MP.RUSTVMM  (or GENERIC.RUSTVMM)
#   STAGE_ONLY=1         only stage (also works on non-OpenBSD hosts)
#
# Staging: copies the glue, the ffi headers and build/vmm_rs.o to
# $SYSDIR/dev/vmm, installs the project's /dev/vmm ABI headers as the
# tree's dev/vmm/vmm.h and arch/amd64/include/vmmvar.h (the Rust object is
# built for that ABI; the glue checks it at compile time), replaces the C
# driver's file lines in files.amd64 by sys/conf/files.vmm_rs (once; a
# marker line makes it idempotent), and installs the GENERIC*.RUSTVMM
# configs.  Then config(8) and make.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
: "${SYSDIR:?set SYSDIR to the kernel source tree, e.g. /usr/src/sys}"
CONFIG=${CONFIG:-GENERIC.MP.RUSTVMM}
files=$SYSDIR/arch/amd64/conf/files.amd64
[ -f "$files" ] || { echo "no $files: is SYSDIR a kernel tree?" >&2; exit 1; }
[ -f "$top/build/vmm_rs.o" ] || { echo "build/vmm_rs.o missing: run make kobj" >&2; exit 1; }

d=$SYSDIR/dev/vmm
mkdir -p "$d"
cp "$top/sys/dev/vmm/vmm_glue.c" "$top/sys/dev/vmm/vmm_kern.c" \
    "$top/sys/dev/vmm/vmm_rs.mk.sh" "$top/ffi/vmm_kern.h" "$top/ffi/vmm_rs.h" \
    "$top/ffi/vmm_abi_table.h" "$top/ffi/vmm_abi_check.h" \
    "$top/build/vmm_rs.o" "$d/"
echo "/* Placeholder: vmm_rs.o is produced by vmm_rs.mk.sh. */" > "$d/vmm_rs.rs"
cp "$top/ffi/include/dev/vmm/vmm.h" "$d/vmm.h"
cp "$top/ffi/include/machine/vmmvar.h" "$SYSDIR/arch/amd64/include/vmmvar.h"
cp "$top/sys/conf/files.vmm_rs" "$SYSDIR/conf/files.vmm_rs"
cp "$top/sys/arch/amd64/conf/GENERIC.RUSTVMM" \
    "$top/sys/arch/amd64/conf/GENERIC.MP.RUSTVMM" "$SYSDIR/arch/amd64/conf/"

marker="# vmm-rs: the Rust vmm(4) (sys/conf/files.vmm_rs)"
if ! grep -qF "$marker" "$files"; then
	tmp=$files.vmm-rs.$$
	grep -v -E '^file[[:space:]]+(dev/vmm/vmm\.c|arch/amd64/amd64/vmm_machdep\.c|arch/amd64/amd64/vmm_support\.S)([[:space:]]|$)' \
	    "$files" > "$tmp"
	{ echo "$marker"; grep -v '^#' "$top/sys/conf/files.vmm_rs"; } >> "$tmp"
	mv "$tmp" "$files"
fi
echo "staged into $SYSDIR ($CONFIG)"
[ "${STAGE_ONLY:-0}" = 1 ] && exit 0

if [ "$(uname -s)" != OpenBSD ]; then
	echo "config(8) and the kernel build need OpenBSD; staged only" >&2
	exit 1
fi
cd "$SYSDIR/arch/amd64/compile" 2>/dev/null || mkdir -p "$SYSDIR/arch/amd64/compile"
cd "$SYSDIR/arch/amd64/conf"
config "$CONFIG"
cd "../compile/$CONFIG"
make
echo "built $SYSDIR/arch/amd64/compile/$CONFIG/obj/bsd"

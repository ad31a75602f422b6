#!/bin/sh
#	$vmm-rs: kernel.sh $
#
# Build a real OpenBSD 7.6 amd64 kernel with the Rust vmm(4) on Linux.
#
#	sh regress/obsd/kernel.sh [test | guest | generic]
#
#   test     (make obsd-kernel) the configuration regress/obsd/RUSTVMM-TEST:
#            MP, ACPI, ddb, com0, vmm0 and an 8 MiB ramdisk root.
#            Result: build/obsd/bsd (stripped) and build/obsd/bsd.gdb.
#            The ramdisk is the symbol rd_root_image of bsd: its file
#            offset is its address minus that of its section plus the
#            section's offset (readelf -S, nm -S give them); its size is
#            MINIROOTSIZE * 512 (set in RUSTVMM-TEST).  An FFS image
#            copied there is the root file system (rd0a).
#   guest    (make obsd-guest GUEST=linux) RUSTVMM-TEST with a 20 MiB
#            ramdisk (RUSTVMM-GUEST, made from it here), room for the
#            Linux guest of regress/vmon.  Result: build/obsd/bsd.guest.
#   generic  (make obsd-generic) GENERIC.MP with the Rust vmm, less
#            amdgpu (its register headers are not in the archive).
#            Result: build/obsd/bsd.generic.
#
# VMM=c builds the same test configuration with the tree's own C vmm
# (dev/vmm/vmm.c, vmm_machdep.c, vmm_support.S; files.amd64 and the ABI
# headers untouched, nothing staged) in a tree of its own, build/obsd-c:
# build/obsd-c/bsd and bsd.gdb (make obsd-kernel VMM=c).  The
# configuration is RUSTVMM-TEST less its VMM_RS_RULE line, as CVMM-TEST;
# VMM=c with guest: the same with the 20 MiB ramdisk (CVMM-GUEST), into
# build/obsd-c/bsd.guest (make obsd-bench's guest boot).
#
# With VMM=rust (the default) the caller builds build/vmm_rs.o first
# (make kobj).  Steps:
#  1. extract ../shared/openbsd/openbsd-7.6-sys.tar.xz beside the checkout (OBSD_SYS_TAR)
#     into build/obsd/sys, once, and adapt its kernel Makefile and
#     makegap.sh to a Linux host (Makefile.amd64.sed, makegap.sh.sed);
#  2. build config(8) (config/build.sh);
#  3. stage the driver with tools/stage-openbsd.sh (STAGE_ONLY=1);
#  4. config(8) and bmake with clang and ld.lld (mk/sys.mk).
# Knobs: OBSD_OBJ (the directory for all of it, build/obsd), OBSD_CC,
# OBSD_LD (e.g. clang-16, ld.lld-16), OBSD_JOBS (2).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
what=${1:-test}
vmm=${VMM:-rust}
case $vmm in
rust)	obj=${OBSD_OBJ:-$top/build/obsd} ;;
c)	obj=${OBSD_OBJ:-$top/build/obsd-c}
	[ "$what" = test ] || [ "$what" = guest ] ||
	    { echo "kernel.sh: VMM=c builds the test and guest kernels" \
	    "only" >&2; exit 2; } ;;
*)	echo "kernel.sh: VMM=rust or VMM=c" >&2; exit 2 ;;
esac
mkdir -p "$obj"
obj=$(cd "$obj" && pwd)
sys=$obj/sys
tar=${OBSD_SYS_TAR:-$top/../shared/openbsd/openbsd-7.6-sys.tar.xz}

case $what in
test)	conf=RUSTVMM-TEST out=$obj/bsd ;;
guest)	conf=RUSTVMM-GUEST out=$obj/bsd.guest ;;
generic) conf=GENERIC.MP.RUSTVMM out=$obj/bsd.generic ;;
*)	echo "usage: kernel.sh [test | guest | generic]" >&2; exit 2 ;;
esac

[ "$vmm" = c ] || [ -f "$top/build/vmm_rs.o" ] ||
    { echo "build/vmm_rs.o missing: run make kobj" >&2; exit 1; }

# 1. The tree, extracted again when the archive or the host adaptations
# change.
stamp=$obj/sys.stamp
if [ ! -f "$stamp" ] || [ -n "$(find "$tar" "$here/Makefile.amd64.sed" \
    "$here/makegap.sh.sed" -newer "$stamp")" ]; then
	rm -rf "$sys" "$stamp"
	tar -xJf "$tar" -C "$obj"
	f=$sys/arch/amd64/conf/Makefile.amd64
	sed -f "$here/Makefile.amd64.sed" "$f" >"$f.new" && mv "$f.new" "$f"
	f=$sys/conf/makegap.sh
	sed -f "$here/makegap.sh.sed" "$f" >"$f.new" && mv "$f.new" "$f"
	touch "$stamp"
fi

# 2. config(8).
sh "$here/config/build.sh" "$obj/config"

# 3. The driver, the way a user stages it into /usr/src/sys (the C
# driver is the tree's own: nothing to stage).
[ "$vmm" = c ] || STAGE_ONLY=1 SYSDIR=$sys sh "$top/tools/stage-openbsd.sh"

cd "$sys/arch/amd64/conf"
if [ "$vmm" = c ]; then
	conf=CVMM-TEST
	sed -e '/^makeoptions[[:space:]]*VMM_RS_RULE=/d' \
	    -e 's/vmm(4) in Rust/the tree'"'"'s own C vmm(4)/' \
	    "$here/RUSTVMM-TEST" >"$conf"
	if [ "$what" = guest ]; then
		# The twin of RUSTVMM-GUEST: the 20 MiB ramdisk.
		sed -e 's/^\(option[[:space:]]*MINIROOTSIZE=\)16384.*/\140960	# 20 MiB/' \
		    -e 's/RUSTVMM-TEST/CVMM-GUEST/' CVMM-TEST >CVMM-GUEST
		conf=CVMM-GUEST
		grep -q 'MINIROOTSIZE=40960' "$conf" ||
		    { echo "kernel.sh: no MINIROOTSIZE line to change" >&2
		    exit 1; }
	fi
elif [ "$what" = test ]; then
	cp "$here/RUSTVMM-TEST" .
elif [ "$what" = guest ]; then
	sed -e 's/^\(option[[:space:]]*MINIROOTSIZE=\)16384.*/\140960	# 20 MiB/' \
	    -e 's/RUSTVMM-TEST/RUSTVMM-GUEST/' "$here/RUSTVMM-TEST" \
	    >RUSTVMM-GUEST
	grep -q 'MINIROOTSIZE=40960' RUSTVMM-GUEST ||
	    { echo "kernel.sh: no MINIROOTSIZE line to change" >&2; exit 1; }
else
	# Build-tree-only changes for GENERIC: no amdgpu (the archive lacks
	# its register headers), and two leftovers of the mirror's arm64
	# work in drm: io-pgtable*.c listed for every architecture, and an
	# ioctl table entry for drm_getplatforminfo, which exists only
	# under __HAVE_FDT.
	sed -i '/amdgpu/d' GENERIC
	sed -i '/^file[[:space:]]*dev\/pci\/drm\/io-pgtable/d' \
	    ../../../dev/pci/drm/files.drm
	f=../../../dev/pci/drm/drm_ioctl.c
	if ! grep -q '^#ifdef __HAVE_FDT	/\* vmm-rs \*/' "$f"; then
		sed -i '/DRM_IOCTL_GET_PLATFORMINFO, drm_getplatforminfo/{
i\
#ifdef __HAVE_FDT	/* vmm-rs */
a\
#endif
}' "$f"
	fi
fi

# 4. config(8) and make.  OpenBSD's config makes compile/NAME/obj;
# this one writes into compile/NAME, where make runs.
mkdir -p ../compile
"$obj/config/config" "$conf"
cd "../compile/$conf"
set --
[ -n "${OBSD_CC:-}" ] && set -- "$@" CC="$OBSD_CC --target=x86_64-unknown-openbsd"
[ -n "${OBSD_LD:-}" ] && set -- "$@" LD="$OBSD_LD"
# Nothing of a calling GNU make (make obsd-compare runs make obsd-kernel
# again: its MAKEFLAGS say "w") may reach bmake.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    nice -n 10 bmake -m "$here/mk" -j "${OBSD_JOBS:-2}" "$@"
cp bsd "$out"
[ "$what" = test ] && cp bsd.gdb "$obj/bsd.gdb"
echo "built $out"

#!/bin/sh
#
# make guest GUEST=linux|obsd|hostile: the monitor (regress/vmon) as a
# testbed program booting a real guest, in each emulator configuration
# (CONFIGS, default qemu-svm).  The guest's files (Linux: built by
# regress/guest/linux/build.sh into build/guest/linux; OpenBSD: the
# RUSTVMM-TEST kernel of make obsd-kernel with its ramdisk userland
# (build/obsd/bsd.rd); the hostile guests: built by
# regress/guest/hostile/build.sh) are given to the testbed as boot
# modules; the program reads them as /testbed/<name>.  The guest's
# console is in the serial log (regress/testbed/obj/logs); the lines
# where the guest tells what it found, and the monitor's report, are
# shown after the run.
#
# Environment: GUEST (linux), CONFIGS, MEMORY (MiB of the emulated
# machine, 1024), QEMU_TIMEOUT (600), BOCHS_TIMEOUT (3600), QEMU_EXTRA.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
GUEST=${GUEST:-linux}
out=$top/build/guest/$GUEST
# What each guest says about the machine, shown after the run.
case $GUEST in
linux)	OUT=$out sh regress/guest/linux/build.sh
	modules="$out/vmlinuz $out/initramfs.cpio"
	says='Hypervisor detected|kvm-clock: Using|PIC mode|XT-PIC'
	says="$says"'|^# (kvm-clock|pit|tsc)$|Switched to clocksource' ;;
hostile) OUT=$out sh regress/guest/hostile/build.sh
	modules=
	for g in halt sleep triple reboot flood chatter unbacked string; do
		modules="$modules $out/$g"
	done
	says='^# (== |vmon: [a-z]*: )' ;;
obsd)	# The RUSTVMM-TEST kernel of make obsd-kernel (regress/obsd) with
	# its ramdisk userland, as vmd loads a kernel: to its init.
	if [ ! -s build/obsd/bsd.rd ] || [ build/obsd/bsd -nt build/obsd/bsd.rd ]
	then
		[ -s build/obsd/bsd ] || make obsd-kernel
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		    make -s -C regress/obsd/userland rd \
		    OBJ="$top/build/obsd/userland" KERNEL="$top/build/obsd/bsd" \
		    BSDRD="$top/build/obsd/bsd.rd"
	fi
	modules="$top/build/obsd/bsd.rd"
	says='^# (cpu0: [A-Z]|pvbus0|pvclock0|pchb0|com0|init: )' ;;
*)	echo "guest: unknown GUEST '$GUEST' (known: linux obsd hostile)" >&2
	exit 2 ;;
esac
export DRIVER_SRCS="$top/sys/dev/vmm/vmm_glue.c $top/sys/dev/vmm/vmm_kern.c"
export DRIVER_CPPFLAGS="-I$top/ffi -I$top/ffi/include"
export DRIVER_LIBS="$top/build/vmm_rs.o"
export USER_CPPFLAGS="-I$top/ffi/include -I$top/regress/vmon"
export PROGS="$top/regress/vmon/guest_$GUEST.c"
export MODULES="$modules"
export SELFTESTS=0
export CONFIGS="${CONFIGS:-qemu-svm}"
export MEMORY="${MEMORY:-1024}"
export QEMU_TIMEOUT="${QEMU_TIMEOUT:-600}"
export BOCHS_TIMEOUT="${BOCHS_TIMEOUT:-3600}"
unset GUEST
status=0
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C regress/testbed run ||
    status=$?
for c in $CONFIGS; do
	log=regress/testbed/obj/logs/$c.serial.log
	[ -f "$log" ] || continue
	echo "== $c: the guest says"
	grep -aE "$says" "$log" | sed 's/^# /  /'
	echo "== $c: the monitor says"
	grep -aE '^# vmon: ' "$log" | sed 's/^# /  /'
done
exit $status

#!/bin/sh
#	$vmm-rs: guest.sh $
#
# make obsd-guest GUEST=hostile|linux: the guest monitor (regress/vmon)
# as a process of a real OpenBSD 7.6 kernel with the Rust vmm(4),
# booting a guest from the ramdisk.
#
#	GUEST=hostile sh regress/obsd/guest.sh
#
# The program is regress/vmon/guest_$GUEST.c (the monitor's sources and
# its command line), built as a static OpenBSD executable with the
# userland of regress/obsd/userland; the guest's files go into /guest of
# the root file system.  init runs the program as it runs the regress
# programs (fork, execve) and powers the machine off.
#
#   hostile  the eight misbehaving guests of regress/guest/hostile
#            (regress/guest/hostile/build.sh), each ending with the
#            monitor's message and no VM left; kernel build/obsd/bsd
#            (make obsd-kernel), 8 MiB ramdisk
#   linux    Debian's cloud kernel and the project's initramfs
#            (regress/guest/linux/build.sh) to init's marker, 256 MiB of
#            guest memory; kernel build/obsd/bsd.guest (kernel.sh guest:
#            a 20 MiB ramdisk), QEMU with 1024 MiB
#
# Prints per machine the boot's time, the kernel's vmm0 line, init's
# result line, what the guest says about the machine, the monitor's
# report and the guest console's last 15 lines.  Exit status 0 if the
# program passed on every machine.  Logs: build/obsd/logs/guest-$GUEST-
# MACHINE.txt.
#
# Environment: GUEST (hostile), OBSD_MACHINES (qemu-svm; boot.sh's
# machines), OBSD_TIMEOUT (seconds per boot: 600 for hostile, 2400 for
# linux; init gives the program 300 and 1800 s), OBSD_MEM (MiB of the
# emulated machine), OBSD_OBJ (build/obsd).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
obj=$(cd "${OBSD_OBJ:-$top/build/obsd}" && pwd)
machines=${OBSD_MACHINES:-qemu-svm}
GUEST=${GUEST:-hostile}
out=$top/build/guest/$GUEST

case $GUEST in
hostile)
	OUT=$out sh "$top/regress/guest/hostile/build.sh"
	files=
	for g in halt sleep triple reboot flood chatter unbacked string; do
		files="$files $out/$g"
	done
	kernel=$obj/bsd
	timeout=300 btimeout=600
	says='^# (== |vmon: [a-z]*: |FAIL)'
	mem=${OBSD_MEM:-} ;;
linux)
	OUT=$out sh "$top/regress/guest/linux/build.sh"
	files="$out/vmlinuz $out/initramfs.cpio"
	kernel=$obj/bsd.guest
	[ -f "$kernel" ] || sh "$here/kernel.sh" guest
	timeout=1800 btimeout=2400
	says='Hypervisor detected|kvm-clock: Using|PIC mode|XT-PIC'
	says="$says"'|^# (kvm-clock|pit|tsc)$|Switched to clocksource'
	mem=${OBSD_MEM:-1024} ;;
*)	echo "obsd-guest: unknown GUEST '$GUEST' (known: hostile linux)" >&2
	exit 2 ;;
esac
[ -f "$kernel" ] || { echo "obsd-guest: no kernel $kernel" >&2; exit 2; }
rd=$obj/bsd.guest-$GUEST.rd

env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$here/userland" rd \
    OBJ="$obj/guest-$GUEST" KERNEL="$kernel" BSDRD="$rd" \
    PROGS="$top/regress/vmon/guest_$GUEST.c" EXTRA_PROGS= \
    GUEST_FILES="$files" TIMEOUT=$timeout

mkdir -p "$obj/logs"
status=0
for m in $machines; do
	raw=$obj/logs/guest-$GUEST-$m.log
	log=$obj/logs/guest-$GUEST-$m.txt
	t0=$(date +%s)
	rc=0
	OBSD_LOG=$raw OBSD_MEM=$mem bash "$here/boot.sh" "$m" "$rd" \
	    ${OBSD_TIMEOUT:-$btimeout} >/dev/null 2>"$obj/logs/guest-$GUEST-$m.err" ||
	    rc=$?
	t=$(($(date +%s) - t0))
	tr -d '\r' <"$raw" >"$log"
	echo "== $m ($t s, boot.sh exit status $rc)"
	vmm=$(grep -a '^vmm0 at ' "$log" | head -n 1)
	echo "${vmm:-no vmm0 line}"
	res=$(grep -aE '^(not )?ok [0-9]+ - ' "$log" || true)
	echo "${res:-not ok - guest_$GUEST did not report}"
	echo "-- the guest says"
	grep -aE "$says" "$log" | sed 's/^# /  /' || true
	echo "-- the monitor says"
	grep -aE '^# vmon: ' "$log" | sed 's/^# /  /' || true
	echo "-- the guest's console, last 15 lines"
	# The program's output less the monitor's own lines.
	sed -n '/^1\.\.[0-9]/,/^\(not \)\{0,1\}ok [0-9]/p' "$log" |
	    grep -a '^# ' | grep -avE '^# (vmon: |== |FAIL )' |
	    tail -n 15 | sed 's/^# /  /'
	case $res in
	ok*)	;;
	*)	status=1 ;;
	esac
done
exit $status

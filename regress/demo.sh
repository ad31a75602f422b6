#!/bin/sh
#
# make demo: a real guest kernel boots under the Rust vmm(4).
#
#	make demo [GUEST=linux|openbsd] [CONFIG=qemu-svm|bochs-vmx|bochs-svm]
#	make demo KERNEL=/path/to/kernel [INITRD=/path] [CMDLINE='...']
#
# On a fresh machine it first installs what it needs (tools/setup.sh, the
# script .ci/run uses too; it says what it installs before it does).  Then
# it builds the driver (build/vmm_rs.o), the guest's files and the emulator
# testbed: the project's small bare-metal kernel with the real C glue and
# the real Rust object, in which the guest monitor regress/vmon (a
# vmd-like program: /dev/vmm used as vmd uses it, PIC, PIT, RTC, com0,
# PCI host bridge) boots the guest.  The guest's console streams to the
# terminal with a status line below it; at the end, what ran where.
#
# Guests: linux (default): Debian 12's cloud kernel (apt-get download,
# into build/guest/linux) with the project's initramfs, to its init;
# openbsd: the OpenBSD 7.6 kernel of make obsd-kernel (needs ../shared/
# openbsd) with its ramdisk userland, to its init.  KERNEL= boots any
# Linux bzImage or amd64 ELF (OpenBSD) kernel, with INITRD= and CMDLINE=
# for Linux; it runs until the guest halts, resets, goes quiet for
# DEMO_QUIET seconds (30) or DEMO_TIME seconds (300) have passed.
# DEMO_MEMORY: guest MiB (256).  Output of the build steps: build/demo/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
GUEST=${GUEST:-linux}
CONFIG=${CONFIG:-qemu-svm}
KERNEL=${KERNEL:-}
INITRD=${INITRD:-}
CMDLINE=${CMDLINE:-}
mem=${DEMO_MEMORY:-256}
out=$top/build/demo
say() { echo "demo: $*"; }
step() {	# what, log, command...
	what=$1 steplog=$2
	shift 2
	say "$what"
	if ! "$@" >"$steplog" 2>&1; then
		tail -n 20 "$steplog" >&2
		say "failed: $what (whole output: $steplog)" >&2
		exit 1
	fi
}
t_start=$(date +%s)

case $CONFIG in
qemu-svm) machine="QEMU TCG, -cpu qemu64,+svm,+npt (AMD SVM)" ;;
bochs-vmx) machine="Bochs 2.7, corei7_haswell_4770 (Intel VMX + EPT)" ;;
bochs-vmx-tgl) machine="Bochs 2.7, tigerlake (Intel VMX + EPT)" ;;
bochs-svm) machine="Bochs 2.7, ryzen (AMD SVM + NPT)" ;;
*) say "unknown CONFIG '$CONFIG' (qemu-svm bochs-vmx bochs-svm)" >&2
   exit 2 ;;
esac

# 1. What the machine needs.
say "checking what this machine needs (tools/setup.sh)"
sh tools/setup.sh
mkdir -p "$out"
t_setup=$(date +%s)

# 2. The driver.
step "building the Rust driver (make kobj: build/vmm_rs.o)" \
    "$out/kobj.log" make kobj

# 3. The guest: its files (boot modules, read by the program as
# /testbed/<name>) and the monitor's command line.
marker=
stop=-E
q=\"
if [ -n "$KERNEL" ]; then
	[ -f "$KERNEL" ] || { say "no kernel file $KERNEL" >&2; exit 2; }
	KERNEL=$(cd "$(dirname "$KERNEL")" && pwd)/$(basename "$KERNEL")
	modules=$KERNEL
	args="\"-t\", \"${DEMO_TIME:-300}\", \"-w\", \"${DEMO_QUIET:-30}\","
	if [ -n "$INITRD" ]; then
		[ -f "$INITRD" ] || { say "no initrd file $INITRD" >&2; exit 2; }
		INITRD=$(cd "$(dirname "$INITRD")" && pwd)/$(basename "$INITRD")
		modules="$modules $INITRD"
		args="$args \"-i\", \"/testbed/$(basename "$INITRD")\","
	fi
	[ -n "$CMDLINE" ] || CMDLINE="console=ttyS0,115200 panic=-1"
	name=$(basename "$KERNEL")
	kfile=/testbed/$name
	guest="$name (your kernel)"
else
	case $GUEST in
	linux)
		step "getting Debian's Linux kernel and building the initramfs" \
		    "$out/guest.log" env OUT="$top/build/guest/linux" \
		    sh regress/guest/linux/build.sh
		g=$top/build/guest/linux
		modules="$g/vmlinuz $g/initramfs.cpio"
		marker="VMON-GUEST-LINUX: init running"
		[ -n "$CMDLINE" ] || CMDLINE="console=ttyS0,115200 nokaslr panic=-1 reboot=k"
		args="\"-w\", \"120\", \"-i\", \"/testbed/initramfs.cpio\","
		kfile=/testbed/vmlinuz
		guest="Linux, $(sed 's/_amd64.deb$//' "$g/vmlinuz.package")"
		name=linux
		;;
	openbsd|obsd)
		if [ ! -d ../shared/openbsd ]; then
			say "GUEST=openbsd needs the OpenBSD 7.6 sys/ archive" \
			    "in ../shared/openbsd beside the checkout" >&2
			exit 2
		fi
		step "building OpenBSD 7.6 with the Rust vmm (make obsd-kernel)" \
		    "$out/guest.log" make obsd-kernel
		step "building its ramdisk userland (build/obsd/bsd.rd)" \
		    "$out/guest-rd.log" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		    make -s -C regress/obsd/userland rd \
		    OBJ="$top/build/obsd/userland" KERNEL="$top/build/obsd/bsd" \
		    BSDRD="$top/build/obsd/bsd.rd"
		modules=$top/build/obsd/bsd.rd
		marker="OBSD-USERLAND: init running"
		args="\"-w\", \"120\","
		kfile=/testbed/bsd.rd
		guest="OpenBSD 7.6 (RUSTVMM-TEST kernel of make obsd-kernel, ramdisk userland)"
		name=openbsd
		;;
	*)	say "unknown GUEST '$GUEST' (linux openbsd; or KERNEL=)" >&2
		exit 2 ;;
	esac
fi
[ -z "$marker" ] || args="$args \"$stop\", \"$marker\","
[ -z "$CMDLINE" ] || args="$args \"-c\", \"$CMDLINE\","
# The testbed builds a program from one C file and gives it no arguments:
# this file is the monitor and its command line.
prog=$out/guest_demo.c
cat >"$prog" <<PROG
/* Written by regress/demo.sh: the monitor and its command line. */
#include "vmon.c"
#include "i8259.c"
#include "i8253.c"
#include "mc146818.c"
#include "ns8250.c"
#include "pci.c"
#include "i8042.c"
#include "loadfile_linux.c"
#include "loadfile_elf.c"

int
main(void)
{
	char *argv[] = {
		"vmon", "-n", "$name", "-m", "$mem", $args
		"$kfile", NULL
	};

	return (vmon_main(nitems(argv) - 1, argv));
}
PROG

# 4. The testbed with the monitor as its one program.
export DRIVER_SRCS="$top/sys/dev/vmm/vmm_glue.c $top/sys/dev/vmm/vmm_kern.c"
export DRIVER_CPPFLAGS="-I$top/ffi -I$top/ffi/include"
export DRIVER_LIBS="$top/build/vmm_rs.o"
export USER_CPPFLAGS="-I$top/ffi/include -I$top/regress/vmon"
export PROGS="$prog" MODULES="$modules" SELFTESTS=0
export MEMORY=$((mem + 512))
export QEMU_TIMEOUT=${DEMO_TIMEOUT:-900} BOCHS_TIMEOUT=${DEMO_TIMEOUT:-3600}
step "building the testbed kernel (regress/testbed) with the glue, the" \
    "$out/testbed.log" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -s -C regress/testbed all iso PROGS="$prog" MODULES="$modules"
say "  driver and the monitor (regress/vmon) as its program"
log=regress/testbed/obj/logs/$CONFIG.serial.log
rm -f "$log"
say "booting $guest under the Rust vmm on $machine"
t_boot=$(date +%s)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL sh regress/testbed/run "$CONFIG" \
    >"$out/run.out" 2>&1 &
runpid=$!
python3 regress/demo/stream.py "$log" "$runpid" "$CONFIG, $name" || true
status=0
wait "$runpid" || status=$?
t_end=$(date +%s)

# 5. What ran where.
echo
g() { grep -a "$1" "$log" | sed 's/^# //'; }
say "what ran:"
echo "  driver:  the Rust vmm(4) (build/vmm_rs.o, $(wc -c <build/vmm_rs.o) bytes)" \
    "behind the C glue (sys/dev/vmm), in the testbed kernel"
echo "  backend: $(g '^vmm0 at' | head -n 1)"
echo "  machine: $machine"
echo "  guest:   $guest"
grep -aE 'Hypervisor detected|kvm-clock: Using|Switched to clocksource|pvbus0 at|pvclock0 at' \
    "$log" | sed 's/^# //; s/^/  guest saw: /'
grep -a '^# vmon: ' "$log" | grep -av ': boot protocol\|: loaded' |
    sed 's/^# vmon: /  monitor: /'
g '^# leak check' | sed 's/^/  testbed: /'
echo "  time:    set-up $((t_setup - t_start)) s, build $((t_boot - t_setup)) s," \
    "boot and run $((t_end - t_boot)) s (wall, this machine)"
if [ $status -ne 0 ] || ! grep -aq '^ok 1 - guest_demo' "$log"; then
	say "the guest did not end as expected (testbed output: $out/run.out," \
	    "serial log: $log)" >&2
	exit 1
fi
say "done"

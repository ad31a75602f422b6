#!/bin/sh
#	$vmm-rs: compare.sh $
#
# make obsd-compare / make obsd-bench: the same programs on OpenBSD 7.6
# with its own C vmm(4) (make obsd-kernel VMM=c: build/obsd-c/bsd) and
# with the Rust one (make obsd-kernel: build/obsd/bsd), under the same
# emulator.
#
#	sh regress/obsd/compare.sh compare | bench
#
# compare: the regress programs of make obsd-regress, built once against
#   each ABI's headers (the C kernel's: the 7.6 tree's vmm.h 1.7 and
#   vmmvar.h 1.106, with VMMTEST_ABI_76; regress/obsd/userland VMM_ABI),
#   each set on its kernel's ramdisk, one boot each.  Every program's
#   outcome, every hostile case's and every "outcome CASE TEXT" line a
#   program prints become rows (regress/obsd/outcomes.awk); a row is
#   "same" when both kernels gave the same outcome, "listed difference
#   N" or "1.37" (the C driver of 7.6 is vmm_machdep.c 1.37, older than
#   the 1.64 the project ports, and 1.64 behaves as Rust does) when
#   regress/obsd/compare-known.txt explains it, else "UNEXPLAINED",
#   which fails the target.  OpenBSD's own regress program of the
#   matching revision, vcpu.c 1.7 (openbsd/src
#   regress/sys/arch/amd64/vmm/vcpu.c), runs on the C kernel when it has
#   been put into build/obsd-cmp/vcpu.c by hand (never committed: it is
#   OpenBSD's); else a SKIP line.
# bench: regress/bench/vsexits.c on both kernels under QEMU with
#   -icount shift=0 (the TSC counts instructions); writes
#   bench/vs-c.{csv,md,svg} and checks the ratios Rust/C against
#   bench/vs-c-limits.txt.  After the first QEMU machine, one boot per
#   kernel on qemu-svm-smp2 (two CPUs, -icount shift=0) runs
#   regress/bench/vsintr.c alone: intr-to-guest, intr-to-exit and
#   intr-ioctl, VMM_IOC_INTR from a second process while the guest spins
#   (OBSD_BENCH_INTR=no leaves these boots out; about 2 min more).
#   With OBSD_BENCH_GUESTS=linux (opt-in: about
#   6 min more, most of it the two kernels' builds), a guest boot per
#   kernel too: the guest
#   monitor regress/vmon (guest_$g.c; built with VMON_ABI_76 for the C
#   kernel) as a process of the kernel with the 20 MiB ramdisk
#   (kernel.sh [VMM=c] guest: bsd.guest), booting Debian's Linux
#   (regress/guest/linux) to its init's marker: guest-linux-boot (TSC
#   ticks, i.e. instructions of host and guest, from the start of the
#   vcpu loop to the marker), guest-linux-exits (to the monitor) and
#   guest-linux-injected (interrupts); OBSD_BENCH_GUESTS="linux obsd"
#   adds the RUSTVMM-TEST kernel as a guest (guest-obsd-*; Rust only).
#
# Environment: OBSD_COMPARE_MACHINES (default qemu-svm; bench also knows
# bochs-svm and bochs-vmx, whose TSC counts instructions at Bochs's
# ips=1000000000), OBSD_TIMEOUT (seconds per boot), OBSD_BENCH_GUESTS
# (the guest boots: linux, obsd; none by default), OBSD_BENCH_INTR
# (auto: the two-CPU boots when a QEMU machine is measured; yes, no).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mode=${1:-compare}
machines=${OBSD_COMPARE_MACHINES:-qemu-svm}
cobj=$top/build/obsd-c
robj=$top/build/obsd
case $mode in
compare) work=$top/build/obsd-cmp ;;
bench)	work=$top/build/obsd-bench ;;
*)	echo "usage: compare.sh compare | bench" >&2; exit 2 ;;
esac
for k in "$cobj/bsd" "$robj/bsd"; do
	[ -f "$k" ] || { echo "compare.sh: no $k (make obsd-kernel" \
	    "[VMM=c])" >&2; exit 1; }
done
mkdir -p "$work/logs"

# The userland of one ABI, on that kernel's ramdisk: $work/$dir/bsd.rd
# ($dir: the ABI's name unless given).
rd() {
	abi=$1 kernel=$2 progs=$3 extra=$4 dir=${5:-$1}
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$here/userland" \
	    rd VMM_ABI="$abi" OBSD_SYS="$cobj/sys" OBJ="$work/$dir/userland" \
	    KERNEL="$kernel" BSDRD="$work/$dir/bsd.rd" PROGS="$progs" \
	    EXTRA_PROGS="$extra"
	# The symbols of that very link (each link has its own random
	# gap, makegap.sh), for profile.sh.
	cp "${kernel}.gdb" "$work/$dir/bsd.gdb"
}

# Boots $work/$abi/bsd.rd on machine $m; the console, without CRs, in
# $work/logs/$abi-$m.txt.  Fails unless init finished.
boot() {
	abi=$1 m=$2
	raw=$work/logs/$abi-$m.log
	rc=0
	OBSD_LOG=$raw bash "$here/boot.sh" "$m" "$work/$abi/bsd.rd" \
	    ${OBSD_TIMEOUT:-} >/dev/null 2>"$work/logs/$abi-$m.err" || rc=$?
	tr -d '\r' <"$raw" >"$work/logs/$abi-$m.txt"
	if ! grep -aqE '^[0-9]+ passed, [0-9]+ failed$' \
	    "$work/logs/$abi-$m.txt"; then
		echo "compare.sh: $abi kernel on $m: init did not finish" \
		    "(boot.sh status $rc); log $work/logs/$abi-$m.txt" >&2
		tail -n 20 "$work/logs/$abi-$m.txt" >&2
		return 1
	fi
	grep -a '^vmm0 at ' "$work/logs/$abi-$m.txt" | head -n 1 |
	    sed "s/^/# $abi kernel: /"
}

vm=$top/regress/vmm
progs="$vm/lifecycle.c $vm/errno.c $vm/efault.c $vm/realmode.c \
$vm/longmode.c $vm/pvclock.c $vm/hostile.c $vm/hoststate.c $vm/fpustate.c \
$vm/sev.c $vm/pledge.c $vm/termrun.c $vm/lmsw.c $vm/resetcpu.c \
$vm/cpuid.c $vm/hostclock.c"

if [ "$mode" = compare ]; then
	vcpu=
	if [ -f "$work/vcpu.c" ]; then
		vcpu=$work/vcpu.c
	fi
	rd c "$cobj/bsd" "$progs" "$vcpu"
	rd rust "$robj/bsd" "$progs" ""
	status=0
	for m in $machines; do
		echo "== $m"
		boot c "$m"
		boot rust "$m"
		for abi in c rust; do
			awk -f "$here/outcomes.awk" "$work/logs/$abi-$m.txt" \
			    >"$work/logs/$abi-$m.outcomes"
		done
		[ -n "$vcpu" ] ||
		    echo "SKIP vcpu.c 1.7 (OpenBSD's regress program):" \
		    "not in $work/vcpu.c (put it there by hand: see" \
		    "regress/obsd/README.md)"
		awk -F '\t' -v known="$here/compare-known.txt" -v m="$m" \
		    -f "$here/classify.awk" "$work/logs/c-$m.outcomes" \
		    "$work/logs/rust-$m.outcomes" >"$work/logs/table-$m.txt" ||
		    status=1
		cat "$work/logs/table-$m.txt"
	done
	exit $status
fi

# bench
rd c "$cobj/bsd" "$top/regress/bench/vsexits.c" ""
rd rust "$robj/bsd" "$top/regress/bench/vsexits.c" ""
# The interrupt figures (regress/bench/vsintr.c: VMM_IOC_INTR from a
# second process while the guest spins) need two CPUs: one more boot per
# kernel, on qemu-svm-smp2 with -icount shift=0, when a QEMU machine is
# measured (OBSD_BENCH_INTR=no leaves them out, =yes forces them).
intr=${OBSD_BENCH_INTR:-auto}
if [ "$intr" = auto ]; then
	intr=no
	for m in $machines; do
		case $m in qemu-*) intr=yes ;; esac
	done
fi
if [ "$intr" = yes ]; then
	rd c "$cobj/bsd" "$top/regress/bench/vsintr.c" "" c-intr
	rd rust "$robj/bsd" "$top/regress/bench/vsintr.c" "" rust-intr
fi

# The guest boots: the monitor (regress/vmon/guest_$g.c, built for each
# kernel's ABI: VMON_ABI_76 for the C one) booting the same guest on
# each kernel with the 20 MiB ramdisk (kernel.sh [VMM=c] guest:
# bsd.guest), into $work/$abi-g$g/bsd.rd.  Guests (OBSD_BENCH_GUESTS,
# opt-in, none by default): linux, regress/guest/linux's Debian
# kernel and initramfs to its init's marker; obsd, the RUSTVMM-TEST
# kernel (build/obsd/bsd) with an init-only ramdisk to its init's marker
# (the C kernel does not boot it under QEMU: below).
gguests=${OBSD_BENCH_GUESTS:-}
grd() {
	abi=$1 kernel=$2 g=$3 files=$4
	[ -f "$kernel" ] || { echo "compare.sh: no $kernel (sh" \
	    "regress/obsd/kernel.sh guest, with VMM=c for the C one)" >&2
	    exit 1; }
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$here/userland" \
	    rd VMM_ABI="$abi" OBSD_SYS="$cobj/sys" \
	    OBJ="$work/$abi-g$g/userland" KERNEL="$kernel" \
	    BSDRD="$work/$abi-g$g/bsd.rd" \
	    PROGS="$top/regress/vmon/guest_$g.c" EXTRA_PROGS= \
	    GUEST_FILES="$files" TIMEOUT=1800
}
for g in $gguests; do
	case $g in
	obsd)	# The guest: init alone on the test kernel's ramdisk.
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s \
		    -C "$here/userland" rd OBJ="$work/guest-obsd/userland" \
		    KERNEL="$robj/bsd" BSDRD="$work/guest-obsd/bsd.rd" \
		    PROGS= EXTRA_PROGS=
		files=$work/guest-obsd/bsd.rd ;;
	linux)	OUT=$top/build/guest/linux \
		    sh "$top/regress/guest/linux/build.sh" >/dev/null
		files="$top/build/guest/linux/vmlinuz"
		files="$files $top/build/guest/linux/initramfs.cpio" ;;
	esac
	grd c "$cobj/bsd.guest" $g "$files"
	grd rust "$robj/bsd.guest" $g "$files"
done
out=$work/figures.txt
: >"$out"
qemu_extra=${QEMU_EXTRA:-}
intr_done=no
for m in $machines; do
	# QEMU: -icount shift=0, so that the TSC counts instructions (Bochs's
	# does at boot.sh's ips=1000000000).
	case $m in
	qemu-*)	QEMU_EXTRA="$qemu_extra -icount shift=0" ;;
	*)	QEMU_EXTRA=$qemu_extra ;;
	esac
	export QEMU_EXTRA
	for abi in c rust; do
		boot $abi "$m"
		grep -aE '^# bench ' "$work/logs/$abi-$m.txt" |
		    sed "s/^# bench \([^ ]*\) \([0-9]*\) .*/\1 $m $abi \2/" \
		    >>"$out"
	done
	# After the first QEMU machine's boots: the two-CPU ones.
	if [ "$intr" = yes ] && [ $intr_done = no ] &&
	    case $m in qemu-*) true ;; *) false ;; esac; then
		intr_done=yes
		m2=qemu-svm-smp2
		for k in c rust; do
			t0=$(date +%s)
			boot $k-intr $m2
			echo "# $k kernel: $m2 boot (vsintr)" \
			    "$(($(date +%s) - t0)) s"
			grep -a '^# intr: ' "$work/logs/$k-intr-$m2.txt" |
			    sed "s/^# /# $k kernel, $m2: /"
			grep -aE '^# bench ' "$work/logs/$k-intr-$m2.txt" |
			    sed "s/^# bench \([^ ]*\) \([0-9]*\) .*/\1 $m2 $k \2/" \
			    >>"$out"
			grep -q "^intr-to-guest $m2 $k " "$out" || {
				echo "compare.sh: no intr-to-guest on the $k" \
				    "kernel ($m2); log" \
				    "$work/logs/$k-intr-$m2.txt" >&2
				exit 1; }
		done
	fi
	# The guest boots: TSC ticks (instructions: host kernel, monitor
	# and guest together) from the start of the vcpu loop to the
	# guest's console marker; exits to the monitor; interrupts
	# injected (the monitor's report, regress/vmon/vmon.c).
	# (On QEMU only: a Linux boot takes minutes under Bochs.)
	case $m in
	qemu-*)	gl=$gguests ;;
	*)	gl= ;;
	esac
	for g in $gl; do
		for k in c rust; do
			t0=$(date +%s)
			gmem=${OBSD_MEM:-}
			[ $g = linux ] && gmem=${OBSD_MEM:-1024}
			# (boot sets abi, m: sh has no local variables.)
			OBSD_MEM=$gmem boot $k-g$g "$m"
			echo "# $k kernel: guest $g boot" \
			    "$(($(date +%s) - t0)) s"
			awk -v g=$g -v m=$m -v abi=$k '
			/^# vmon: marker .* TSC ticks$/ { t = $(NF - 2) }
			/^# vmon: run .* exits to the monitor$/ { e = $(NF - 4) }
			/^# vmon: [0-9]+ interrupts injected/ { i = $3 }
			END {
				if (t == "") exit
				print "guest-" g "-boot", m, abi, t
				print "guest-" g "-exits", m, abi, e
				print "guest-" g "-injected", m, abi, i
			}' "$work/logs/$k-g$g-$m.txt" >>"$out"
			# 1.37 stores a guest's EFER write as written (README
			# difference 26): OpenBSD's locore, entered in long mode
			# as vmd enters it, writes EFER without LMA, and QEMU's
			# VMRUN takes the cleared LMA literally.
			if [ $g = obsd ] && [ $k = c ] && grep -aq \
			    '^# vmon: openbsd: guest reset (triple fault)' \
			    "$work/logs/$k-g$g-$m.txt"; then
				echo "# c kernel: guest obsd: triple fault in" \
				    "locore after its EFER write (1.37 drops" \
				    "LMA: README difference 26); no figure"
				continue
			fi
			grep -q "^guest-$g-boot $m $k " "$out" || {
				echo "compare.sh: guest $g on the $k kernel" \
				    "($m): no marker; log" \
				    "$work/logs/$k-g$g-$m.txt" >&2
				grep -a '^# vmon: ' \
				    "$work/logs/$k-g$g-$m.txt" >&2 || true
				exit 1; }
		done
	done
done
sh "$here/vs-c.sh" "$out"

#!/usr/bin/env bash
#	$vmm-rs: boot.sh $
#
# Boot an OpenBSD/amd64 kernel in an emulator, with its serial console on
# stdout.
#
#	regress/obsd/boot.sh MACHINE [KERNEL [TIMEOUT]]
#
#   MACHINE  qemu-svm       QEMU TCG, -cpu qemu64,+svm,+npt, one CPU
#            qemu-svm-smp2  the same with two CPUs
#            bochs-vmx      Bochs, corei7_haswell_4770 (VMX, EPT)
#            bochs-vmx-tgl  Bochs, tigerlake (VMX, EPT; not L1TF-affected)
#            bochs-svm      Bochs, ryzen (SVM, NPT)
#   KERNEL   an ELF kernel file, default build/obsd/bsd (make obsd-kernel)
#   TIMEOUT  seconds, default 300 for QEMU, 1800 for Bochs
#
# The kernel is started by obsdboot (regress/obsd/boot), a multiboot
# program: QEMU loads it with -kernel and the kernel with -initrd; Bochs
# boots a GRUB rescue CD holding both.  The console is com0 at 115200.
#
# Output: the serial console, on stdout and in build/obsd/logs/MACHINE.log
# (OBSD_LOG names another file).  When the kernel enters ddb, the
# runner sends "set $lines = 0", "trace", "show registers" and "ps", one
# per prompt, and stops the emulator at the prompt after the last.
# A line on stderr gives the time taken and the exit status.
#
# Exit status: the emulator's (QEMU: 0 after an ACPI power-off, and
# after a reset or triple fault, which -no-reboot turns into an exit);
# 124 if the timeout stopped it; 120 if the kernel entered ddb.
#
# Environment: OBSD_BOOTFLAGS (boot(8) flags for the kernel: -s, -d, -c,
# -a), OBSD_MEM (MiB; 512 for QEMU, 256 for Bochs), BOCHS_IPS (Bochs
# instructions per emulated second, 1000000000: the TSC then counts
# instructions), QEMU_EXTRA (more QEMU options).
# Debugging Bochs: BOCHS_RC (a debugger command file instead of the
# plain "continue" one; SIGINT to bochs-bin breaks into it), OBSD_KEEP
# (a path the run directory, emulator.out and bochs.log, is copied to).
#
# bash, not sh: Bochs's serial port is a TCP socket here (its only
# bidirectional mode on Linux besides a terminal), reached via /dev/tcp.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
obj=$top/build/obsd

usage() {
	echo "usage: boot.sh qemu-svm|qemu-svm-smp2|bochs-vmx|bochs-vmx-tgl|bochs-svm" \
	    "[kernel [timeout]]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
machine=$1
kernel=${2:-$obj/bsd}
case $machine in
qemu-svm)	emu=qemu ncpu=1 ;;
qemu-svm-smp2)	emu=qemu ncpu=2 ;;
bochs-vmx)	emu=bochs model=corei7_haswell_4770 panic= ;;
bochs-vmx-tgl)	emu=bochs model=tigerlake panic= ;;
# Bochs 2.7 raises its "3rd exception with no resolution" panic before
# it takes the SVM SHUTDOWN intercept: with CPU panics only reported (as
# regress/testbed/run's bochs-svm), a guest's triple fault reaches the
# driver instead of stopping the emulator.
bochs-svm)	emu=bochs model=ryzen panic=", cpu0=report" ;;
*)		usage ;;
esac
if [ $emu = qemu ]; then
	timeout=${3:-300} mem=${OBSD_MEM:-512}
else
	timeout=${3:-1800} mem=${OBSD_MEM:-256}
fi
[ -f "$kernel" ] || { echo "boot.sh: no kernel $kernel" >&2; exit 2; }
kernel=$(cd "$(dirname "$kernel")" && pwd)/$(basename "$kernel")

mkdir -p "$obj/logs"
log=${OBSD_LOG:-$obj/logs/$machine.log}
make -s -C "$here/boot" OBJ="$obj/boot" >&2 || exit 2
loader=$obj/boot/obsdboot
run=$(mktemp -d "$obj/logs/$machine.XXXXXX")
emu_pid= reader_pid=
# Debian's Bochs has its debugger built in and takes SIGTERM as a break
# into it, so Bochs is stopped with SIGKILL.
stopsig=TERM
[ $emu = bochs ] && stopsig=KILL

cleanup() {
	[ -n "$emu_pid" ] && kill -$stopsig "$emu_pid" 2>/dev/null
	[ -n "$reader_pid" ] && kill "$reader_pid" 2>/dev/null
	exec 3>&- 2>/dev/null
	[ -n "${OBSD_KEEP:-}" ] && cp -r "$run" "$OBSD_KEEP"
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Send one line to the console.
send() {
	printf '%s\r' "$1" >&3
}

start_qemu() {
	mkfifo "$run/com0.in" "$run/com0.out"
	qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -m "$mem" \
	    -smp "$ncpu" -nographic -monitor none -no-reboot \
	    -serial "pipe:$run/com0" -kernel "$loader" -initrd "$kernel" \
	    -append "${OBSD_BOOTFLAGS:-}" ${QEMU_EXTRA:-} \
	    </dev/null >"$run/emulator.out" 2>&1 &
	emu_pid=$!
	# Opened read-write, a FIFO does not wait for the other side.
	exec 3<>"$run/com0.in"
	tee "$log" <"$run/com0.out" &
	reader_pid=$!
}

# The GRUB rescue CD (as regress/testbed builds it) and the Bochs
# configuration (as regress/testbed/run writes it), com1 on a TCP port.
# The display is rfb, which no one connects to (timeout=0: no wait for
# a client): with no terminal, the term display library writes the
# screen into a pseudo-terminal of its own that no one reads, and Bochs
# blocks in that write after a few minutes (seen at the kernel's mtrr
# line and in the middle of the regress programs).
start_bochs() {
	local port try

	mkdir -p "$run/iso/boot/grub"
	cp "$loader" "$run/iso/boot/obsdboot"
	cp "$kernel" "$run/iso/boot/bsd"
	printf '%s\n' 'set timeout=0' 'set default=0' \
	    'menuentry "OpenBSD" {' \
	    "	multiboot /boot/obsdboot ${OBSD_BOOTFLAGS:-}" \
	    '	module /boot/bsd' '	boot' '}' >"$run/iso/boot/grub/grub.cfg"
	grub-mkrescue -o "$run/boot.iso" "$run/iso" >"$run/grub.out" 2>&1 ||
	    { cat "$run/grub.out" >&2; exit 2; }
	rm -rf "$run/iso"
	if [ -n "${BOCHS_RC:-}" ]; then
		cp "$BOCHS_RC" "$run/rc"
	else
		printf 'c\nc\nc\nc\nc\nc\nc\nc\nc\nc\nquit\n' >"$run/rc"
	fi

	# A port another program holds makes Bochs fail at once; try again
	# with another.
	for try in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		cat >"$run/bochsrc" <<-EOF
		megs: $mem
		cpu: model=$model, count=1, ips=${BOCHS_IPS:-1000000000}, reset_on_triple_fault=0
		romimage: file=/usr/share/bochs/BIOS-bochs-latest
		vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
		display_library: rfb, options="timeout=0"
		ata0-master: type=cdrom, path=$run/boot.iso, status=inserted
		boot: cdrom
		com1: enabled=1, mode=socket-server, dev=127.0.0.1:$port
		speaker: enabled=0
		sound: driver=dummy
		log: $run/bochs.log
		panic: action=fatal$panic
		error: action=report
		info: action=report
		debug: action=ignore
		EOF
		(cd "$run" && exec bochs -q -f bochsrc -rc rc) \
		    </dev/null >"$run/emulator.out" 2>&1 &
		emu_pid=$!
		while kill -0 "$emu_pid" 2>/dev/null; do
			if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
				tee "$log" <&3 &
				reader_pid=$!
				return
			fi 2>/dev/null
			sleep 0.2
		done
		wait "$emu_pid"
	done
	echo "boot.sh: Bochs did not start; see $run" >&2
	trap - EXIT
	exit 2
}

t0=$SECONDS
: >"$log"
start_$emu

cmds=('set $lines = 0' 'trace' 'show registers' 'ps')
step=0 seen=0 status=
while kill -0 "$emu_pid" 2>/dev/null; do
	if [ $((SECONDS - t0)) -ge "$timeout" ]; then
		status=124
		break
	fi
	n=$(grep -ao 'ddb{[0-9]*}> ' "$log" | wc -l)
	if [ "$n" -gt "$seen" ]; then
		seen=$n
		if [ $step -ge ${#cmds[@]} ]; then
			status=120
			break
		fi
		send "${cmds[step]}"
		step=$((step + 1))
	fi
	sleep 1
done
if [ -n "$status" ]; then
	kill -$stopsig "$emu_pid" 2>/dev/null
	wait "$emu_pid" 2>/dev/null
else
	wait "$emu_pid"
	status=$?
fi
emu_pid=
# The rest of the output, then the reader ends with the emulator's side.
sleep 1
echo
echo "boot.sh: $machine: $((SECONDS - t0)) s, exit status $status" >&2
exit "$status"

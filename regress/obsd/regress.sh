#!/bin/sh
#	$vmm-rs: regress.sh $
#
# make obsd-regress: the regress programs as processes of a real OpenBSD
# 7.6 kernel with the Rust vmm(4).
#
#	sh regress/obsd/regress.sh
#
# Builds the userland of regress/obsd/userland (the programs of
# regress/vmm as static OpenBSD executables, an init that runs them, the
# root file system) and puts it into the ramdisk of build/obsd/bsd (make
# obsd-kernel): build/obsd/bsd.rd.  Boots that on every machine of
# OBSD_MACHINES with regress/obsd/boot.sh; init runs the programs one
# after the other and powers the machine off.  Prints, per machine, the
# boot's time, the kernel's vmm0 line and init's "ok"/"not ok" lines, and
# at the end "N passed, N failed" over all machines.  A machine whose
# init did not finish (timeout, ddb, no vmm0) counts its programs that
# did not report as failed.  Exit status 0 only if everything passed.
# Serial logs: build/obsd/logs/regress-MACHINE.log.
#
# Environment:
#   PROG           more programs (C files, relative to the current
#                  directory or absolute), run after the project's
#   OBSD_MACHINES  default "qemu-svm qemu-svm-smp2" (boot.sh also knows
#                  bochs-vmx and bochs-svm)
#   OBSD_EXCLUDE   programs of the project's to leave out (names, e.g.
#                  "hostile")
#   OBSD_TIMEOUT   seconds per boot (default: boot.sh's)
#   OBSD_OBJ       the kernel's build directory, as for kernel.sh
#                  (build/obsd)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
obj=$(cd "${OBSD_OBJ:-$top/build/obsd}" && pwd)
machines=${OBSD_MACHINES:-"qemu-svm qemu-svm-smp2"}

extra=
for p in ${PROG:-}; do
	[ -f "$p" ] || { echo "regress.sh: no file $p" >&2; exit 2; }
	extra="$extra $(cd "$(dirname "$p")" && pwd)/$(basename "$p")"
done

# The userland's make is GNU make; nothing of the caller's make (PROG
# included) may leak into it.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$here/userland" rd \
    OBJ="$obj/userland" KERNEL="$obj/bsd" BSDRD="$obj/bsd.rd" \
    EXTRA_PROGS="$extra" EXCLUDE="${OBSD_EXCLUDE:-}"

mkdir -p "$obj/logs"
total_pass=0
total_fail=0
for m in $machines; do
	raw=$obj/logs/regress-$m.log
	log=$obj/logs/regress-$m.txt
	t0=$(date +%s)
	rc=0
	OBSD_LOG=$raw bash "$here/boot.sh" "$m" "$obj/bsd.rd" \
	    ${OBSD_TIMEOUT:-} >/dev/null 2>"$obj/logs/regress-$m.err" || rc=$?
	t=$(($(date +%s) - t0))
	# The console writes CR LF.
	tr -d '\r' <"$raw" >"$log"

	echo "== $m ($t s)"
	vmm=$(grep -a '^vmm0 at ' "$log" | head -n 1)
	echo "${vmm:-no vmm0 line}"
	grep -aE '^(not )?ok [0-9]+ - ' "$log" || true
	pass=$(grep -acE '^ok [0-9]+ - ' "$log" || true)
	fail=$(grep -acE '^not ok [0-9]+ - ' "$log" || true)
	skip=$(grep -acE '^ok [0-9]+ - .* # SKIP' "$log" || true)
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
	missing=$((${plan:-1} - pass - fail))
	# The emulator's own exit status after a power-off differs (QEMU 0,
	# Bochs 1): init's last line says whether the run finished.
	why=
	case $rc in
	124)	why="timed out" ;;
	120)	why="the kernel entered ddb" ;;
	*)	grep -aqE '^[0-9]+ passed, [0-9]+ failed$' "$log" ||
		    why="init did not finish (boot.sh exit status $rc)" ;;
	esac
	if [ -z "$why" ] && [ -z "$vmm" ]; then
		why="no vmm0"
	fi
	if [ -n "$why" ] || [ "$missing" -gt 0 ]; then
		[ "$missing" -gt 0 ] || missing=1
		echo "not ok - $m: ${why:-programs did not report}" \
		    "($missing not completed)"
		fail=$((fail + missing))
	fi
	if [ "$rc" -eq 120 ]; then
		# From the kernel's stop (or the hang init saw) to ddb's end.
		echo "# $m: serial log $log, from the debugger's entry:"
		awk '/still running after|^panic:|^Stopped at/ { p = 1 }
		    p { print "#   " $0 }' "$log"
	elif [ "$fail" -ne 0 ]; then
		echo "# $m: serial log $log, last lines:"
		tail -n 15 "$log" | sed 's/^/#   /'
	fi
	echo "$m: $pass passed, $fail failed, $skip skipped"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]

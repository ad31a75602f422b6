#!/bin/sh
# make bench: deterministic exit-path figures from regress/bench/exits.c.
# QEMU runs with -icount shift=0 (the testbed's default) and Bochs with
# its default tick-per-instruction clock, so in both the TSC counts
# instructions executed; the program stops the testbed's clock.
# Prints "bench NAME CONFIG VALUE UNIT" and writes bench/results.{csv,md,svg}.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# The VMX exit path is measured on Tiger Lake (bochs-vmx-tgl), which is
# not L1TF-affected; on Haswell (bochs-vmx: L1TF-affected, no
# IA32_FLUSH_CMD) every entry also reads the 64 KiB L1D flush buffer, and
# only the CPUID round trip with it is kept (l1d-sw-cpuid-roundtrip).
configs="qemu-svm bochs-svm bochs-vmx-tgl bochs-vmx"
logs=regress/testbed/obj/logs
CONFIGS=$configs SELFTESTS=0 PROG=regress/bench/exits.c \
    QEMU_ICOUNT=shift=0 sh regress/run.sh > build/bench.out 2>&1 ||
    { cat build/bench.out; exit 1; }
mkdir -p bench

for c in $configs; do
	case $c in
	bochs-vmx)
		sed -n "s/^# bench cpuid-roundtrip \([0-9]*\) \(.*\)\$/bench l1d-sw-cpuid-roundtrip $c \1 \2/p" \
		    "$logs/$c.serial.log"
		continue ;;
	esac
	sed -n "s/^# bench \([^ ]*\) \([0-9]*\) \(.*\)\$/bench \1 $c \2 \3/p" \
	    "$logs/$c.serial.log"
done > build/bench.txt

# Real guests under the monitor (regress/vmon, as make guest runs them),
# on BENCH_GUEST_CONFIGS (qemu-svm here; make bench-guests: also
# bochs-vmx and bochs-svm, minutes each): host instructions to the
# guest's console marker (the TSC counts instructions: QEMU's -icount
# shift=0, Bochs's instruction clock) and interrupts injected (ceilings
# in bench/limits.txt); exits to the monitor (in all and by reason) and
# wall time are reported, not checked.  The OpenBSD guest needs
# ../shared/openbsd (make obsd-kernel); without it, a SKIP line.
guest_configs=${BENCH_GUEST_CONFIGS-qemu-svm}
guests="linux obsd"
[ -d ../shared/openbsd ] || {
	guests=linux
	echo "bench: SKIP guest-obsd: no ../shared/openbsd beside the checkout"
}
[ -n "$guest_configs" ] || guests=
: >build/bench-guests.txt
: >build/bench-guest-exits.txt
for g in $guests; do
	t0=$(date +%s)
	GUEST=$g CONFIGS=$guest_configs sh regress/guest/run.sh \
	    >build/bench-guest-$g.out 2>&1 ||
	    { cat build/bench-guest-$g.out; exit 1; }
	for c in $guest_configs; do
		l=$logs/$c.serial.log
		wall=$(($(stat -c %Y "$l") - t0))
		awk -v g="$g" -v c="$c" -v wall="$wall" '
		/^# vmon: marker .* after / {
			for (i = 1; i <= NF; i++) if ($i == "TSC") t = $(i - 1)
			marker = t
		}
		/^# vmon: run .* exits to the monitor/ {
			for (i = 1; i <= NF; i++) if ($i == "exits") e = $(i - 1)
		}
		/^# vmon: [0-9]+ interrupts injected/ { irq = $3 }
		END {
			if (marker == "" || e == "" || irq == "") exit 1
			printf "bench guest-%s-insns %s %s insns\n", g, c, marker
			printf "bench guest-%s-exits %s %s exits\n", g, c, e
			printf "bench guest-%s-irqs %s %s irqs\n", g, c, irq
			printf "bench guest-%s-wall %s %s s\n", g, c, wall
		}' "$l" >>build/bench-guests.txt ||
		    { echo "bench: no figures from $g on $c ($l)"; exit 1; }
		sed -n "s/^# vmon:   exit \(0x[0-9a-f]*\) (\(.*\)): \([0-9]*\)\$/$g $c \1 \2: \3/p" \
		    "$l" >>build/bench-guest-exits.txt
	done
done

cat build/bench-guests.txt >> build/bench.txt
cat build/bench.txt
{
	echo "name,config,value,unit"
	awk '{print $2 "," $3 "," $4 "," $5}' build/bench.txt
} > bench/results.csv
{
	echo "# make bench results"
	echo
	echo "Deterministic instruction counts (QEMU \`-icount shift=0\`, Bochs'"
	echo "instruction clock) from \`regress/bench/exits.c\`; ceilings in"
	echo "\`bench/limits.txt\`.  \`lookup-NNNvm\` is a missed VM lookup"
	echo "(\`VMM_IOC_INTR\` of an unknown id) with NNN VMs and"
	echo "\`lookup-growth\` its growth from 1 VM to the most VMs the backend"
	echo "holds (\`vms-held\`: QEMU's SVM has ASIDs for 16 VMs; both Bochs configurations"
	echo "hold 512, \`VMM_MAX_VCPUS\`): the VM table is indexed by"
	echo "\`id % 512\`, so the lookup does not grow.  \`info-NNNvm\` is one"
	echo "\`VMM_IOC_INFO\` with NNN VMs (linear: mostly the testbed's"
	echo "byte-wise copyout).  \`pages-NNNvm\` are the pages the driver holds"
	echo "for NNN VMs as created (one of 64 MiB, the others of one page),"
	echo "without the VM table, which is two pages allocated at attach."
	echo
	echo "| figure | config | value | unit |"
	echo "|---|---|---|---|"
	awk '{print "| " $2 " | " $3 " | " $4 " | " $5 " |"}' build/bench.txt
	if [ -s build/bench-guest-exits.txt ]; then
		echo
		echo "## Real guests"
		echo
		echo "\`guest-G-insns\`: host instructions (the guest's among them)"
		echo "from the monitor's start to the guest's console marker (Linux:"
		echo "its init running; OpenBSD: its init running); \`-exits\`: exits"
		echo "to the monitor (VMM_IOC_RUN returns); \`-irqs\`: interrupts"
		echo "injected; \`-wall\`: this machine's seconds for the whole"
		echo "emulator run (not checked).  Exits by reason:"
		echo
		echo "| guest | config | exit | count |"
		echo "|---|---|---|---|"
		awk '{r = $4; for (i = 5; i < NF; i++) r = r " " $i
		    sub(/:$/, "", r)
		    print "| " $1 " | " $2 " | " $3 " " r " | " $NF " |"}' \
		    build/bench-guest-exits.txt
		echo
	fi
	# The history of the exit-path figures and what changed them.
	if [ -f bench/notes.md ]; then cat bench/notes.md; fi
} > bench/results.md
# A bar chart of the instruction counts, with the CPUID target (400).
awk -v target=400 '
($2 == "cpuid-roundtrip" || $2 == "io-roundtrip" || $2 ~ /^lookup-[0-9]+vm$/) { n++; name[n] = $2 " " $3; val[n] = $4; if ($4 > max) max = $4 }
END {
	w = 720; bh = 22; top = 30; left = 230; scale = (w - left - 60) / max
	h = top + n * (bh + 8) + 30
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", w, h
	printf "<text x=\"10\" y=\"18\">host+guest instructions per exit, and per VM lookup (deterministic counts)</text>\n"
	for (i = 1; i <= n; i++) {
		y = top + (i - 1) * (bh + 8)
		printf "<text x=\"10\" y=\"%d\">%s</text>\n", y + 15, name[i]
		printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#4a7ab5\"/>\n", left, y, val[i] * scale, bh
		printf "<text x=\"%d\" y=\"%d\">%d</text>\n", left + val[i] * scale + 4, y + 15, val[i]
	}
	x = left + target * scale
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c33\" stroke-dasharray=\"4\"/>\n", x, top - 4, x, h - 20
	printf "<text x=\"%d\" y=\"%d\" fill=\"#c33\">CPUID target %d</text>\n", x + 4, h - 8, target
	printf "</svg>\n"
}' build/bench.txt > bench/results.svg
# Every figure must have a ceiling in bench/limits.txt and be within it,
# and every ceiling must have its figure (so a backend that stops holding
# 512 VMs, and loses its 512-VM figures, fails too).  The exit path's
# figures must also be close to their ceilings (at most `room` percent
# below), so that a regression of that size always crosses the ceiling:
# when the code gets faster, the ceiling has to come down with it.
awk -v room=5 -v gcfg=" $guest_configs " -v guests=" $guests " '
NR == FNR {
	if ($0 !~ /^#/ && NF == 3) {
		# A guest figure is only wanted from the guests and
		# configurations that ran.
		if ($1 ~ /^guest-/) {
			split($1, p, "-")
			if (index(guests, " " p[2] " ") == 0 ||
			    index(gcfg, " " $2 " ") == 0)
				next
		}
		lim[$1 " " $2] = $3
	}
	next
}
{
	k = $2 " " $3
	seen[k] = 1
	# Reported, not checked: wall time, and the exits of a guest, which
	# grow as the exit path gets faster (delay() of OpenBSD polls the
	# PIT through exits until the time has passed).
	if ($5 == "s" || $2 ~ /^guest-.*-exits$/) next
	if (!(k in lim)) { printf "bench: %s has no ceiling in bench/limits.txt\n", k; bad = 1; next }
	if ($4 + 0 > lim[k] + 0) { printf "bench: %s = %s, above its ceiling %s\n", k, $4, lim[k]; bad = 1 }
	if (($2 == "io-roundtrip" || $2 == "cpuid-roundtrip") &&
	    lim[k] * 100 > $4 * (100 + room)) {
		printf "bench: %s = %s, its ceiling %s is more than %d%% above: lower it\n", k, $4, lim[k], room
		bad = 1
	}
}
END {
	for (k in lim) if (!(k in seen)) { printf "bench: %s has a ceiling but no figure\n", k; bad = 1 }
	exit bad
}' bench/limits.txt build/bench.txt
echo "bench: every figure within bench/limits.txt"

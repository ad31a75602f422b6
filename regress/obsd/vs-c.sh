#!/bin/sh
#	$vmm-rs: vs-c.sh $
#
# make obsd-bench's tables: reads "FIGURE MACHINE ABI VALUE" lines
# (compare.sh bench) and writes bench/vs-c.csv (figure,config,c,rust,
# ratio: Rust/C), bench/vs-c.md (with the notes of bench/vs-c-notes.md)
# and bench/vs-c.svg; then checks every ratio that has a ceiling in
# bench/vs-c-limits.txt ("figure config ceiling"), and that every ceiling
# of a configuration this run measured has its figure (CI runs qemu-svm
# only; the Bochs ones are checked when OBSD_COMPARE_MACHINES names
# them; the guest boots' only when OBSD_BENCH_GUESTS asked for them).
# Exit status 1 if one is above its ceiling or missing.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
in=$1
cd "$top"
mkdir -p bench
awk '
{ key = $1 " " $2; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
  v[key, $3] = $4 }
END {
	print "figure,config,c,rust,ratio"
	for (i = 1; i <= n; i++) {
		k = order[i]; split(k, f, " ")
		c = v[k, "c"]; r = v[k, "rust"]
		ratio = (c > 0 && r != "") ? sprintf("%.2f", r / c) : ""
		print f[1] "," f[2] "," c "," r "," ratio
	}
}' "$in" >bench/vs-c.csv
{
	echo "# The Rust vmm against OpenBSD 7.6's C vmm (make obsd-bench)"
	echo
	echo "Instruction counts (QEMU \`-icount shift=0\`: the TSC counts"
	echo "instructions) of \`regress/bench/vsexits.c\` (and, on two CPUs,"
	echo "\`regress/bench/vsintr.c\`), run as a process of the same"
	echo "OpenBSD 7.6 kernel built twice (\`make obsd-kernel VMM=c\` and"
	echo "\`make obsd-kernel\`); medians; ratio = Rust / C."
	echo
	echo "| figure | config | C | Rust | Rust/C |"
	echo "|---|---|---|---|---|"
	tail -n +2 bench/vs-c.csv | awk -F, '{ print "| " $1 " | " $2 " | " $3 " | " $4 " | " $5 " |" }'
	if [ -f bench/vs-c-notes.md ]; then
		echo
		cat bench/vs-c-notes.md
	fi
} >bench/vs-c.md
# Paired bars, C and Rust, per figure of the exit path.
awk -F, 'NR > 1 && $1 ~ /^(cpuid-roundtrip|io-roundtrip|ioctl-path|intr-to-guest)$/ {
	n++; name[n] = $1 " " $2; c[n] = $3; r[n] = $4
	if ($3 > max) max = $3; if ($4 > max) max = $4 }
END {
	w = 720; bh = 14; top = 30; left = 230; scale = (w - left - 80) / max
	h = top + n * (2 * bh + 12) + 30
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", w, h
	printf "<text x=\"10\" y=\"18\">instructions per operation: C vmm (grey) and Rust vmm (blue), OpenBSD 7.6</text>\n"
	for (i = 1; i <= n; i++) {
		y = top + (i - 1) * (2 * bh + 12)
		printf "<text x=\"10\" y=\"%d\">%s</text>\n", y + bh + 4, name[i]
		printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#999\"/>\n", left, y, c[i] * scale, bh
		printf "<text x=\"%d\" y=\"%d\">%d</text>\n", left + c[i] * scale + 4, y + bh - 3, c[i]
		printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#4a7ab5\"/>\n", left, y + bh, r[i] * scale, bh
		printf "<text x=\"%d\" y=\"%d\">%d (%.2f)</text>\n", left + r[i] * scale + 4, y + 2 * bh - 3, r[i], r[i] / c[i]
	}
	printf "</svg>\n"
}' bench/vs-c.csv >bench/vs-c.svg
cat bench/vs-c.md | sed -n '/^| figure/,/^$/p'
status=0
if [ -f bench/vs-c-limits.txt ]; then
	awk -F, -v limits=bench/vs-c-limits.txt '
	BEGIN {
		while ((getline l < limits) > 0) {
			if (l ~ /^#/ || l ~ /^[ \t]*$/) continue
			split(l, f, " "); k = f[1] " " f[2]; lim[k] = f[3]; order[++n] = k
		}
	}
	NR > 1 { ratio[$1 " " $2] = $5; measured[$2] = 1 }
	END {
		for (i = 1; i <= n; i++) {
			k = order[i]
			split(k, f, " ")
			if (!(f[2] in measured)) {
				print "skip - " k ": " f[2] " not measured in this run"
			} else if (!(k in ratio) && f[1] ~ /^guest-/) {
				print "skip - " k ": no guest boot in this run" \
				    " (OBSD_BENCH_GUESTS)"
			} else if (!(k in ratio) || ratio[k] == "") {
				print "not ok - " k ": no figure"; bad++
			} else if (ratio[k] + 0 > lim[k] + 0) {
				print "not ok - " k ": Rust/C " ratio[k] " above " lim[k]; bad++
			} else
				print "ok - " k ": Rust/C " ratio[k] " <= " lim[k]
		}
		exit (bad > 0)
	}' bench/vs-c.csv || status=1
fi
exit $status

#	$vmm-rs: classify.awk $
#
# compare.sh's table: reads the C kernel's outcomes, then the Rust
# kernel's ("CASE<TAB>OUTCOME", outcomes.awk), and the explanations in
# `known' (compare-known.txt: "CASE-RE<TAB>KIND<TAB>C-OUTCOME-RE<TAB>NOTE",
# anchored extended regular expressions).  A row is "same" when both
# outcomes are equal; else the first known line whose expressions match
# the case and the C outcome names it: KIND N is "listed difference N"
# (README, "Differences from the C driver"), "1.37" a change between
# vmm_machdep.c 1.37 (OpenBSD 7.6) and the 1.64 the project ports, "abi"
# what the 7.6 ABI cannot express; otherwise "UNEXPLAINED".  Prints
# the table and the counts; exit status 1 with an UNEXPLAINED row.
BEGIN {
	FS = "\t"
	while ((getline l < known) > 0) {
		if (l ~ /^#/ || l ~ /^[ \t]*$/)
			continue
		split(l, f, "\t")
		nk++
		kcase[nk] = f[1]; kkind[nk] = f[2]; kc[nk] = f[3]; knote[nk] = f[4]
	}
}
FNR == NR { if (!($1 in c)) order[++n] = $1; c[$1] = $2; next }
{ if (!($1 in c) && !($1 in r)) order[++n] = $1; r[$1] = $2 }
END {
	printf "| case | C (7.6, vmm_machdep.c 1.37) | Rust | verdict |\n"
	printf "|---|---|---|---|\n"
	for (i = 1; i <= n; i++) {
		k = order[i]
		co = (k in c) ? c[k] : "(no outcome)"
		ro = (k in r) ? r[k] : "(no outcome)"
		if (co == ro) {
			v = "same"; same++
		} else {
			v = ""
			for (j = 1; j <= nk; j++) {
				if (k ~ ("^(" kcase[j] ")$") &&
				    co ~ ("^(" kc[j] ")$")) {
					if (kkind[j] == "1.37") {
						v = "1.37 differs from 1.64: " knote[j]; old++
					} else if (kkind[j] == "abi") {
						v = "not in the 7.6 ABI: " knote[j]; abi++
					} else {
						v = "listed difference " kkind[j] ": " knote[j]; listed++
					}
					break
				}
			}
			if (v == "") {
				v = "UNEXPLAINED"; bad++
			}
		}
		printf "| %s | %s | %s | %s |\n", k, co, ro, v
	}
	printf "%s: %d rows: %d same, %d listed difference, %d 1.37 vs 1.64, " \
	    "%d not in the 7.6 ABI, %d UNEXPLAINED\n", m, n, same, listed, old,
	    abi, bad
	exit (bad > 0)
}

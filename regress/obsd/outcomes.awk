#	$vmm-rs: outcomes.awk $
#
# The outcomes of one boot of the regress userland (init's console, CRs
# removed) as "CASE<TAB>OUTCOME" lines, for compare.sh:
#  - each program: "ok", "skip: REASON" or "fail: LAST ERROR LINE" (the
#    last line the program wrote that starts with its name, err(3)'s);
#  - each hostile case (hostile.c's own TAP lines): "hostile/NAME" with
#    "ok", "not ok" or "skip: REASON", then "; " and the case's own
#    report lines ("hostile: NAME: TEXT");
#  - a program's outcome ends in "; left N VMs" when init had to
#    terminate VMs it left behind;
#  - each "outcome CASE TEXT" line a program prints: "PROG/CASE" TEXT.
# Paths of the source tree in messages are cut to the file name.
function norm(s) {
	gsub(/[^ ]*\/regress\/(vmm|bench|obsd)\//, "", s)
	gsub(/[^ ]*\/build\/obsd-cmp\//, "", s)
	return s
}
/^1\.\.[0-9]+$/ { started = 1; nbuf = 0; next }
!started { next }
/^# / {
	line = substr($0, 3)
	buf[++nbuf] = line
	if (line ~ /^hostile: [A-Za-z0-9_]+: /) {
		n = line
		sub(/^hostile: /, "", n)
		name = n
		sub(/:.*/, "", name)
		sub(/^[A-Za-z0-9_]+: /, "", n)
		detail[name] = detail[name] "; " norm(n)
	} else if (line ~ /^(not )?ok [0-9]+ - hostile: /) {
		res = line ~ /^not / ? "not ok" : "ok"
		name = line
		sub(/^.* - hostile: /, "", name)
		if (name ~ / # SKIP /) {
			res = name
			sub(/^[^ ]* # SKIP /, "skip: ", res)
			sub(/ # SKIP .*/, "", name)
		}
		hc[++nh] = name
		hres[nh] = res
	} else if (line ~ /^outcome [^ ]+ /) {
		o = line
		sub(/^outcome /, "", o)
		c = o
		sub(/ .*/, "", c)
		sub(/^[^ ]+ /, "", o)
		oc[++no] = c
		ores[no] = norm(o)
	}
	next
}
/^(not )?ok [0-9]+ - / {
	prog = $0
	sub(/^(not )?ok [0-9]+ - /, "", prog)
	reason = ""
	if (prog ~ / # SKIP /) {
		reason = prog
		sub(/^[^ ]* # SKIP /, "", reason)
		sub(/ # SKIP .*/, "", prog)
	}
	left = ""
	last = "(no message)"
	for (i = 1; i <= nbuf; i++) {
		if (index(buf[i], prog ": ") != 1)
			continue
		if (buf[i] ~ / left [0-9]+ VMs? behind \(terminated\)$/) {
			left = buf[i]
			sub(/^.*: left /, "; left ", left)
			sub(/ behind \(terminated\)$/, "", left)
		} else
			last = substr(buf[i], length(prog) + 3)
	}
	if ($0 ~ /^not /)
		res = "fail: " norm(last)
	else if (reason != "")
		res = "skip: " reason
	else
		res = "ok"
	res = res left
	print prog "\t" res
	for (i = 1; i <= nh; i++)
		print prog "/" hc[i] "\t" hres[i] detail[hc[i]]
	for (i = 1; i <= no; i++)
		print prog "/" oc[i] "\t" ores[i]
	nbuf = nh = no = 0
	delete detail
	next
}

#!/bin/sh
# Shows that tools/stack-check.py fails when it should: a frame over
# 2,047 bytes (plain, and with unrolled or looped stack probes, whose
# full size must be counted), a chain over the budget and
# recursion are refused; a chain within it passes.  Part of check-kobj.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo entry > "$tmp/exports"
n=0
# name:exit status wanted:least frame of `entry` the check must see
for c in BIGFRAME:1:3000 PROBED:1:12288 LOOP:1:65536 CHAIN:1:1800 \
    RECURSION:1:100 OK:0:1800; do
	name=${c%%:*} rest=${c#*:}
	want=${rest%%:*} least=${rest#*:}
	clang --target=x86_64-unknown-linux-gnu -O2 -fno-omit-frame-pointer \
	    -mno-red-zone -fstack-clash-protection -ffunction-sections \
	    -DCASE_$name -c "$top/tools/stack-check-tests/cases.c" \
	    -o "$tmp/$name.o"
	got=0
	python3 "$top/tools/stack-check.py" "$tmp/$name.o" "$tmp/exports" \
	    > "$tmp/$name.out" 2>&1 || got=$?
	if [ "$got" != "$want" ]; then
		cat "$tmp/$name.out" >&2
		echo "stack-check self-test: $name: exit $got, want $want" >&2
		exit 1
	fi
	frame=$(awk '$2 == "entry" { print $1; exit }' "$tmp/$name.out")
	if [ "${frame:-0}" -lt "$least" ]; then
		cat "$tmp/$name.out" >&2
		echo "stack-check self-test: $name: frame ${frame:-?}, want >= $least" >&2
		exit 1
	fi
	n=$((n + 1))
done
echo "stack-check self-test: $n cases (frames over 2047, unrolled and looped stack probes, a chain over 6144 and recursion refused; a chain within the limits passes)"

#!/bin/sh
# make bench: deterministic exit-path figures from regress/bench/exits.c,
# run in QEMU with -icount shift=0 (the TSC counts instructions).
# Prints "bench NAME CONFIG VALUE UNIT" and writes bench/results.{csv,md}.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log=regress/testbed/obj/logs/qemu-svm.serial.log
CONFIGS=qemu-svm SELFTESTS=0 PROG=regress/bench/exits.c \
    QEMU_EXTRA="-icount shift=0" sh regress/run.sh > build/bench.out 2>&1 ||
    { cat build/bench.out; exit 1; }
mkdir -p bench
sed -n 's/^# bench \([^ ]*\) \([0-9]*\) \(.*\)$/bench \1 qemu-svm \2 \3/p' "$log" |
    tee build/bench.txt
{
	echo "name,config,value,unit"
	awk '{print $2 "," $3 "," $4 "," $5}' build/bench.txt
} > bench/results.csv
{
	echo "| figure | config | value | unit |"
	echo "|---|---|---|---|"
	awk '{print "| " $2 " | " $3 " | " $4 " | " $5 " |"}' build/bench.txt
} > bench/results.md

#!/bin/sh
# make demo: boot the testbed in QEMU (AMD SVM under TCG) with the real
# glue and the Rust driver, and run regress/demo/hello.c: a guest that
# prints a greeting through port I/O exits handled by a vmd-like loop.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log=regress/testbed/obj/logs/qemu-svm.serial.log
status=0
CONFIGS=qemu-svm SELFTESTS=0 PROG=regress/demo/hello.c sh regress/run.sh > build/demo.out 2>&1 || status=$?
echo "== the Rust vmm(4) in the testbed (QEMU TCG, -cpu qemu64,+svm,+npt)"
grep -E '^(vmm0 at|# )' "$log" | grep -v -e 'leak check' -e 'kernel stack use' | sed 's/^# //'
grep -E 'leak check' "$log" | sed 's/^# /testbed: /'
tail -1 build/demo.out
exit $status

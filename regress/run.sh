#!/bin/sh
# make regress: the project's regress programs (regress/vmm/*.c, or
# PROG=...) built into the testbed with the real C glue and the real
# kernel object (build/vmm_rs.o), run in every emulator configuration
# (CONFIGS="qemu-svm bochs-vmx bochs-svm").
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ -n "${PROG:-}" ]; then
	progs=""
	for p in $PROG; do progs="$progs $(cd "$(dirname "$p")" && pwd)/$(basename "$p")"; done
else
	progs=$(ls "$top"/regress/vmm/*.c)
fi
export DRIVER_SRCS="$top/sys/dev/vmm/vmm_glue.c $top/sys/dev/vmm/vmm_kern.c"
export DRIVER_CPPFLAGS="-I$top/ffi -I$top/ffi/include"
export DRIVER_LIBS="$top/build/vmm_rs.o"
export USER_CPPFLAGS="-I$top/ffi/include -I$top/regress/vmm"
export PROGS="$(echo $progs)"
# The three machines the drivers run on, and two Intel models upstream
# refuses (no unrestricted guest; no EPT): there every program must SKIP.
# The testbed's run fails a SKIP on the first three and a program that
# does not skip on the other two.
export CONFIGS="${CONFIGS:-qemu-svm bochs-vmx bochs-svm bochs-noug bochs-noept}"
# PROG, resolved above, must not reach the testbed's make: a command-line
# PROG of the top make travels in MAKEFLAGS and would be looked up
# relative to regress/testbed.
unset PROG
exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C regress/testbed run

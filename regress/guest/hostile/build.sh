#!/bin/sh
#
# build.sh: the hostile guests of hostile.S, one small ELF kernel each,
# into $OUT (build/guest/hostile), linked where an OpenBSD kernel's text
# starts (physical 0x1001000), with the host's cc and ld.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
OUT=${OUT:-$top/build/guest/hostile}
CC=${CC:-cc}
LD=${LD:-ld}
mkdir -p "$OUT"
for c in halt sleep triple reboot flood chatter unbacked string; do
	$CC -c -DCASE_$c -o "$OUT/$c.o" "$here/hostile.S"
	$LD -m elf_x86_64 -static -e start -Ttext=0x1001000 -z noexecstack \
	    -o "$OUT/$c" "$OUT/$c.o"
	rm -f "$OUT/$c.o"
done

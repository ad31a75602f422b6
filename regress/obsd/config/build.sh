#!/bin/sh
#	$vmm-rs: build.sh $
#
# Build OpenBSD's config(8) for a Linux host.
#
#	sh regress/obsd/config/build.sh OBJDIR
#
# Source: the 2012 Linux port of usr.sbin/config in
# ../shared/openbsd/config-openbsd-2012-linux.tar.xz beside the checkout (OBSD_CONFIG_TAR
# overrides), extracted into OBJDIR/src, never into the checkout.  The
# patch-* files next to this script bring its output to what the 7.6
# kernel compiles; compat.h gives it OpenBSD's device number layout.
# Result: OBJDIR/config.  Rebuilt only when the archive, a patch or this
# script is newer than it.
#
# Needs byacc, flex and a C compiler (HOSTCC, default cc, as cargo's
# linker is) with -fcommon: the old sources define their globals in
# headers.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
obj=${1:?usage: build.sh OBJDIR}
tar=${OBSD_CONFIG_TAR:-$here/../../../../shared/openbsd/config-openbsd-2012-linux.tar.xz}

mkdir -p "$obj"
obj=$(cd "$obj" && pwd)
if [ -x "$obj/config" ]; then
	stale=$(find "$tar" "$here" -newer "$obj/config" | head -n 1)
	[ -z "$stale" ] && exit 0
fi

rm -rf "$obj/src" "$obj/config"
mkdir -p "$obj/src"
tar -xJf "$tar" -C "$obj/src"
src=$obj/src/cross-puffer/config
for p in "$here"/patch-*; do
	patch -s -d "$src" -p0 <"$p"
done

cd "$src"
# The archive carries an old generated parser; make it again.
rm -f y.tab.c y.tab.h lex.yy.c
byacc -d gram.y
flex scan.l
cc=${HOSTCC:-cc}
CFLAGS="-O2 -fcommon -D_GNU_SOURCE -include $here/compat.h -I."
for f in files.c y.tab.c hash.c main.c mkheaders.c mkioconf.c mkmakefile.c \
    mkswap.c pack.c lex.yy.c sem.c util.c misc.c exec.c; do
	$cc $CFLAGS -c "$f"
done
$cc -o "$obj/config" *.o
echo "built $obj/config"

#!/bin/sh
#
# build.sh: the Linux guest of the monitor (regress/vmon) into $OUT
# (build/guest/linux): Debian 12's cloud kernel (vmlinuz, taken from the
# linux-image-*-cloud-amd64 package that apt-get downloads; never
# committed) and an initramfs holding one static init (init.c, built
# with the host's gcc -static) and the directories it mounts on.
#
#	sh regress/guest/linux/build.sh
#
# Environment: OUT, KPKG (the package, default: what the
# linux-image-cloud-amd64 meta-package depends on), CC (gcc).

set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
OUT=${OUT:-$top/build/guest/linux}
CC=${CC:-gcc}
mkdir -p "$OUT"

# The kernel.
if [ ! -s "$OUT/vmlinuz" ]; then
	if [ -z "${KPKG:-}" ]; then
		KPKG=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		    sed -n 's/^ *Depends: \(linux-image-.*\)$/\1/p' | head -n 1)
		if [ -z "$KPKG" ]; then
			apt-get update -qq
			KPKG=$(apt-cache depends linux-image-cloud-amd64 |
			    sed -n 's/^ *Depends: \(linux-image-.*\)$/\1/p' |
			    head -n 1)
		fi
	fi
	[ -n "$KPKG" ] || { echo "build.sh: no cloud kernel package" >&2; exit 1; }
	rm -rf "$OUT/deb"
	mkdir -p "$OUT/deb"
	(cd "$OUT/deb" && apt-get download "$KPKG" >/dev/null 2>&1) || {
		echo "build.sh: apt-get download $KPKG failed" >&2; exit 1; }
	dpkg-deb --fsys-tarfile "$OUT"/deb/*.deb |
	    (cd "$OUT/deb" && tar -xf - --wildcards './boot/vmlinuz-*')
	cp "$OUT"/deb/boot/vmlinuz-* "$OUT/vmlinuz"
	basename "$OUT"/deb/*.deb > "$OUT/vmlinuz.package"
	rm -rf "$OUT/deb"
fi

# The initramfs: a "newc" cpio archive, written here (no cpio(1) needed,
# and /dev/console needs no mknod).
$CC -static -O2 -Wall -Werror -o "$OUT/init" "$here/init.c"
ino=1
cpio_entry() {	# name mode nlink rdevmajor rdevminor [file]
	size=0
	[ $# -ge 6 ] && size=$(wc -c <"$6")
	namesize=$(( ${#1} + 1 ))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
	    $ino $2 0 0 $3 0 $size 0 0 $4 $5 $namesize 0 "$1"
	pad=$(( (4 - (110 + namesize) % 4) % 4 ))
	head -c $pad /dev/zero
	if [ $# -ge 6 ]; then
		cat "$6"
		head -c $(( (4 - size % 4) % 4 )) /dev/zero
	fi
	ino=$((ino + 1))
}
{
	cpio_entry dev $((0040755)) 2 0 0
	cpio_entry dev/console $((0020600)) 1 5 1
	cpio_entry proc $((0040755)) 2 0 0
	cpio_entry sys $((0040755)) 2 0 0
	cpio_entry init $((0100755)) 1 0 0 "$OUT/init"
	cpio_entry TRAILER!!! 0 1 0 0
} >"$OUT/initramfs.cpio"
echo "build.sh: $OUT/vmlinuz ($(cat "$OUT/vmlinuz.package")," \
    "$(wc -c <"$OUT/vmlinuz") bytes), $OUT/initramfs.cpio" \
    "($(wc -c <"$OUT/initramfs.cpio") bytes)"

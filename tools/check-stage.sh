#!/bin/sh
# Checks tools/stage-openbsd.sh on a miniature kernel tree: the C driver's
# file lines go, the Rust driver's come in once, device/attach stay, the
# tree's /dev/vmm ABI headers become the project's.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/arch/amd64/conf" "$t/arch/amd64/include" "$t/conf" "$t/dev/vmm"
echo "/* the tree's own */" > "$t/dev/vmm/vmm.h"
echo "/* the tree's own */" > "$t/arch/amd64/include/vmmvar.h"
cat > "$t/arch/amd64/conf/files.amd64" <<'EOT'
# VMM
device	vmm {}
attach	vmm at mainbus
file	dev/vmm/vmm.c			vmm needs-flag
file	arch/amd64/amd64/vmm_machdep.c	vmm needs-flag
file	arch/amd64/amd64/vmm_support.S	vmm
EOT
SYSDIR=$t STAGE_ONLY=1 sh "$top/tools/stage-openbsd.sh" >/dev/null
SYSDIR=$t STAGE_ONLY=1 sh "$top/tools/stage-openbsd.sh" >/dev/null	# idempotent
f=$t/arch/amd64/conf/files.amd64
! grep -q 'vmm_machdep\|vmm_support\|dev/vmm/vmm\.c' "$f"
grep -q '^device	vmm {}' "$f"
grep -q '^attach	vmm at mainbus' "$f"
[ "$(grep -c 'dev/vmm/vmm_glue.c' "$f")" = 1 ]
[ "$(grep -c 'compile-with' "$f")" = 1 ]
for x in vmm_glue.c vmm_kern.c vmm_kern.h vmm_rs.h vmm_abi_table.h vmm_abi_check.h vmm_rs.o vmm_rs.rs vmm_rs.mk.sh; do
	[ -f "$t/dev/vmm/$x" ]
done
[ -f "$t/arch/amd64/conf/GENERIC.MP.RUSTVMM" ]
cmp -s "$top/ffi/include/dev/vmm/vmm.h" "$t/dev/vmm/vmm.h"
cmp -s "$top/ffi/include/machine/vmmvar.h" "$t/arch/amd64/include/vmmvar.h"
echo "check-stage: files.amd64 staged (C driver lines out, Rust lines in once), ABI headers installed; $(ls "$t/dev/vmm" | wc -l) files in dev/vmm"

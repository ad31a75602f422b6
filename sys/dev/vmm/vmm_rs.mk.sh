#!/bin/sh
#	$vmm-rs: vmm_rs.mk.sh $
#
# Produces vmm_rs.o in the kernel compile directory (called by the
# compile-with rule of sys/conf/files.vmm_rs as: sh vmm_rs.mk.sh $S out.o).
#
# By default the object staged by `make kernel` ($S/dev/vmm/vmm_rs.o) is
# copied.  With VMM_RS_SRC set to a checkout of the project, it is built
# there with `make kobj` first (needs cargo and rustc with the
# x86_64-unknown-none target, or RUSTC_BOOTSTRAP and rust-src; see README).
set -eu
S=$1
out=$2
if [ -n "${VMM_RS_SRC:-}" ]; then
	(cd "$VMM_RS_SRC" && ${MAKE:-make} kobj)
	cp "$VMM_RS_SRC/build/vmm_rs.o" "$out"
else
	cp "$S/dev/vmm/vmm_rs.o" "$out"
fi

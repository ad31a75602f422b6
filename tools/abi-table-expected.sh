#!/bin/sh
# Prints ffi/vmm_abi_table.h in `make abi` form (the values written down).
sed -n \
    -e 's/^VMM_ABI_STRUCT(\([a-z_]*\), \([0-9]*\))$/struct \1 size \2/p' \
    -e 's/^VMM_ABI_FIELD(\([a-z_]*\), \([a-z_0-9]*\), \([0-9]*\))$/field \1.\2 offset \3/p' \
    -e 's/^VMM_ABI_IOCTL(\([A-Z_]*\), \(0x[0-9a-f]*\))$/ioctl \1 \2/p' \
    "${1:-ffi/vmm_abi_table.h}"

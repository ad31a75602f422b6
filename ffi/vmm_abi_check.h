/*
 * Compile-time check of the /dev/vmm ABI against ffi/vmm_abi_table.h.
 * Include after <dev/vmm/vmm.h> and <machine/vmmvar.h>: in an OpenBSD
 * kernel build those are the tree's own headers, so this proves that the
 * tree's ABI is the one the Rust driver was built for.
 */
#ifndef VMM_ABI_CHECK_H
#define VMM_ABI_CHECK_H

#define VMM_ABI_STRUCT(s, n)						\
	_Static_assert(sizeof(struct s) == (n), "size of struct " #s);
#define VMM_ABI_FIELD(s, f, n)						\
	_Static_assert(__builtin_offsetof(struct s, f) == (n),		\
	    "offset of " #s "." #f);
#define VMM_ABI_IOCTL(c, v)						\
	_Static_assert((unsigned long)(c) == (unsigned long)(v), "ioctl " #c);

#include "vmm_abi_table.h"

#undef VMM_ABI_STRUCT
#undef VMM_ABI_FIELD
#undef VMM_ABI_IOCTL

#endif /* VMM_ABI_CHECK_H */

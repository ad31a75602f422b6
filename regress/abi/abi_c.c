/*
 * Prints the /dev/vmm ABI table as the C compiler sees the project's
 * headers (`make abi`).  Compiled on the build host; on OpenBSD the same
 * file compiled against the system's headers prints the real thing.
 */
#ifndef __OpenBSD__
#include "compat/vmm_host_compat.h"
#else
#include <sys/types.h>
#include <sys/ioctl.h>
#endif
#include <stddef.h>
#include <stdio.h>

#include <machine/vmmvar.h>
#include <dev/vmm/vmm.h>

#include "vmm_abi_check.h"

int
main(void)
{
#define VMM_ABI_STRUCT(s, n)						\
	printf("struct %s size %zu\n", #s, sizeof(struct s));
#define VMM_ABI_FIELD(s, f, n)						\
	printf("field %s.%s offset %zu\n", #s, #f, offsetof(struct s, f));
#define VMM_ABI_IOCTL(c, v)						\
	printf("ioctl %s 0x%08lx\n", #c, (unsigned long)(c));
#include "vmm_abi_table.h"
	return (0);
}

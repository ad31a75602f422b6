/*
 * Host compatibility: just enough of OpenBSD's <sys/types.h> and
 * <sys/ioccom.h> to compile the /dev/vmm headers of ffi/include on a
 * non-OpenBSD host (bindgen, the ABI printer, host tools).  An OpenBSD
 * build never includes this file; there the system headers are used
 * (bindgen parses with an OpenBSD target, so no __OpenBSD__ test here).
 */
#ifndef VMM_HOST_COMPAT_H
#define VMM_HOST_COMPAT_H

#include <stddef.h>
#include <stdint.h>

typedef unsigned long	vaddr_t;
typedef unsigned long	paddr_t;
typedef int32_t		pid_t;

/* OpenBSD's ioctl encoding (sys/ioccom.h), which differs from Linux's. */
#undef _IOC
#undef _IO
#undef _IOR
#undef _IOW
#undef _IOWR
#define IOCPARM_MASK	0x1fff
#define IOC_VOID	(unsigned long)0x20000000
#define IOC_OUT		(unsigned long)0x40000000
#define IOC_IN		(unsigned long)0x80000000
#define IOC_INOUT	(IOC_IN | IOC_OUT)
#define _IOC(inout, group, num, len) \
	((inout) | (((len) & IOCPARM_MASK) << 16) | ((group) << 8) | (num))
#define _IO(g, n)	_IOC(IOC_VOID, (g), (n), 0)
#define _IOR(g, n, t)	_IOC(IOC_OUT, (g), (n), sizeof(t))
#define _IOW(g, n, t)	_IOC(IOC_IN, (g), (n), sizeof(t))
#define _IOWR(g, n, t)	_IOC(IOC_INOUT, (g), (n), sizeof(t))

#endif /* VMM_HOST_COMPAT_H */

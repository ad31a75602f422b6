/*
 * Testbed <sys/malloc.h>: malloc(9)/free(9).
 *
 * Objects come from the kernel heap arena.  Without M_ZERO the memory is
 * filled with 0xdf junk; freed memory is junked too.  free() with a
 * non-zero size checks it against the allocation and panics on a
 * mismatch, as OpenBSD does.  Outstanding objects and bytes are counted
 * for the leak check.
 */

#ifndef _SYS_MALLOC_H_
#define _SYS_MALLOC_H_

#include <sys/types.h>

/* flags */
#define M_WAITOK	0x0001
#define M_NOWAIT	0x0002
#define M_CANFAIL	0x0004
#define M_ZERO		0x0008

/* types (OpenBSD numbering for the ones in use) */
#define M_FREE		0
#define M_DEVBUF	2
#define M_PCB		4
#define M_RTABLE	5
#define M_PF		6
#define M_IFADDR	9
#define M_SYSCTL	11
#define M_COUNTERS	12
#define M_IOCTLOPS	14
#define M_IOV		19
#define M_MOUNT		20
#define M_VNODE		25
#define M_VMMAP		30
#define M_VMPMAP	34
#define M_FILEDESC	39
#define M_PROC		41
#define M_SUBPROC	42
#define M_FILE		43
#define M_TEMP		127
#define M_LAST		256

#ifdef _KERNEL
void	*malloc(size_t, int, int);
void	*mallocarray(size_t, size_t, int, int);
void	 free(void *, int, size_t);
#endif

#endif /* !_SYS_MALLOC_H_ */

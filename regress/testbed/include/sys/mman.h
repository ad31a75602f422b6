/* Testbed <sys/mman.h>, with OpenBSD's constants. */

#ifndef _SYS_MMAN_H_
#define _SYS_MMAN_H_

#include <sys/types.h>

#define PROT_NONE	0x00
#define PROT_READ	0x01
#define PROT_WRITE	0x02
#define PROT_EXEC	0x04

#define MAP_SHARED	0x0001
#define MAP_PRIVATE	0x0002
#define MAP_COPY	MAP_PRIVATE
#define MAP_FIXED	0x0010
#define MAP_ANON	0x1000
#define MAP_ANONYMOUS	MAP_ANON
#define MAP_STACK	0x4000
#define MAP_CONCEAL	0x8000
#define MAP_FLAGMASK	0xfff7

#define MAP_FAILED	((void *)-1)

#define MAP_INHERIT_SHARE	0
#define MAP_INHERIT_COPY	1
#define MAP_INHERIT_NONE	2
#define MAP_INHERIT_ZERO	3

#define MADV_NORMAL	0
#define MADV_RANDOM	1
#define MADV_SEQUENTIAL	2
#define MADV_WILLNEED	3
#define MADV_DONTNEED	4
#define MADV_FREE	6

#ifndef _KERNEL
void	*mmap(void *, size_t, int, int, int, off_t) __TB_LIBC(mmap);
int	 munmap(void *, size_t) __TB_LIBC(munmap);
int	 mprotect(void *, size_t, int) __TB_LIBC(mprotect);
int	 mimmutable(void *, size_t) __TB_LIBC(mimmutable);
int	 madvise(void *, size_t, int) __TB_LIBC(madvise);
int	 minherit(void *, size_t, int) __TB_LIBC(minherit);
#endif

#endif /* !_SYS_MMAN_H_ */

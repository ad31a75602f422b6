/*
 * Testbed <sys/types.h>, shared by kernel and user code.  Type widths
 * follow OpenBSD/amd64.
 */

#ifndef _SYS_TYPES_H_
#define _SYS_TYPES_H_

#include <sys/cdefs.h>
#include <sys/_types.h>
#include <stdint.h>

typedef unsigned char	u_char;
typedef unsigned short	u_short;
typedef unsigned int	u_int;
typedef unsigned long	u_long;
typedef unsigned char	unchar;
typedef unsigned short	ushort;
typedef unsigned int	uint;
typedef unsigned long	ulong;

typedef __uint8_t	u_int8_t;
typedef __uint16_t	u_int16_t;
typedef __uint32_t	u_int32_t;
typedef __uint64_t	u_int64_t;
typedef __int64_t	quad_t;
typedef __uint64_t	u_quad_t;

typedef char		*caddr_t;
typedef __int64_t	daddr_t;
typedef __dev_t		dev_t;
typedef __uint64_t	ino_t;
typedef __mode_t	mode_t;
typedef __uint32_t	nlink_t;
typedef __off_t		off_t;
typedef __pid_t		pid_t;
typedef __uid_t		uid_t;
typedef __gid_t		gid_t;
typedef __uint32_t	id_t;
typedef __int64_t	clock_t;
typedef __int32_t	clockid_t;
typedef __register_t	register_t;
typedef __suseconds_t	suseconds_t;
typedef __uint32_t	useconds_t;

#ifndef _TIME_T_DEFINED_
#define _TIME_T_DEFINED_
typedef __time_t	time_t;
#endif

#ifndef _SIZE_T_DEFINED_
#define _SIZE_T_DEFINED_
typedef __size_t	size_t;
#endif

#ifndef _SSIZE_T_DEFINED_
#define _SSIZE_T_DEFINED_
typedef __ssize_t	ssize_t;
#endif

typedef __paddr_t	paddr_t;
typedef __vaddr_t	vaddr_t;
typedef __psize_t	psize_t;
typedef __vsize_t	vsize_t;
typedef long		segsz_t;

#ifdef _KERNEL
typedef int		boolean_t;
#endif

/* Device numbers, encoded as on OpenBSD. */
#define major(x)	((int32_t)(((u_int32_t)(x) >> 8) & 0xff))
#define minor(x)	((int32_t)((x) & 0xff) | (((x) & 0xffff0000) >> 8))
#define makedev(x, y)	((dev_t)((((x) & 0xff) << 8) | ((y) & 0xff) | \
			    (((y) & 0xffff00) << 8)))

#ifndef NULL
#define NULL		((void *)0)
#endif

#endif /* !_SYS_TYPES_H_ */

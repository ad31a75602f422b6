/* Testbed <sys/fcntl.h>, with OpenBSD's flag values. */

#ifndef _SYS_FCNTL_H_
#define _SYS_FCNTL_H_

#include <sys/types.h>

#define O_RDONLY	0x0000
#define O_WRONLY	0x0001
#define O_RDWR		0x0002
#define O_ACCMODE	0x0003
#define O_NONBLOCK	0x0004
#define O_APPEND	0x0008
#define O_SHLOCK	0x0010
#define O_EXLOCK	0x0020
#define O_ASYNC		0x0040
#define O_FSYNC		0x0080
#define O_SYNC		O_FSYNC
#define O_NOFOLLOW	0x0100
#define O_CREAT		0x0200
#define O_TRUNC		0x0400
#define O_EXCL		0x0800
#define O_NOCTTY	0x8000
#define O_CLOEXEC	0x10000
#define O_DIRECTORY	0x20000

#ifdef _KERNEL
/* Kernel file flags (f_flag), derived from the open flags. */
#define FREAD		0x0001
#define FWRITE		0x0002
#define FNONBLOCK	O_NONBLOCK
#define FAPPEND		O_APPEND
#define FASYNC		O_ASYNC
#define FFSYNC		O_FSYNC
#define FFLAGS(oflags)	(((oflags) & ~O_ACCMODE) | (((oflags) + 1) & O_ACCMODE))
#define OFLAGS(fflags)	(((fflags) & ~O_ACCMODE) | (((fflags) - 1) & O_ACCMODE))
#define FMASK		(FREAD | FWRITE | FAPPEND | FASYNC | FFSYNC | FNONBLOCK)
#endif

#define F_GETFD		1
#define F_SETFD		2
#define F_GETFL		3
#define F_SETFL		4
#define FD_CLOEXEC	1

#endif /* !_SYS_FCNTL_H_ */

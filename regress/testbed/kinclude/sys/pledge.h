/*
 * Testbed <sys/pledge.h>: promise bits with OpenBSD's values.  The bit
 * constants are visible to user programs (see <testbed.h>).
 */

#ifndef _SYS_PLEDGE_H_
#define _SYS_PLEDGE_H_

#include <sys/types.h>

#define PLEDGE_ALWAYS	0xffffffffffffffffULL
#define PLEDGE_RPATH	0x0000000000000001ULL	/* open for read */
#define PLEDGE_WPATH	0x0000000000000002ULL	/* open for write */
#define PLEDGE_CPATH	0x0000000000000004ULL	/* create/unlink paths */
#define PLEDGE_STDIO	0x0000000000000008ULL	/* basic operations */
#define PLEDGE_TMPPATH	0x0000000000000010ULL	/* mk*temp() */
#define PLEDGE_DNS	0x0000000000000020ULL	/* DNS services */
#define PLEDGE_INET	0x0000000000000040ULL	/* AF_INET/AF_INET6 */
#define PLEDGE_FLOCK	0x0000000000000080ULL	/* file locking */
#define PLEDGE_UNIX	0x0000000000000100ULL	/* AF_UNIX sockets */
#define PLEDGE_ID	0x0000000000000200ULL	/* setuid and friends */
#define PLEDGE_TAPE	0x0000000000000400ULL	/* tape ioctls */
#define PLEDGE_GETPW	0x0000000000000800ULL	/* YP */
#define PLEDGE_PROC	0x0000000000001000ULL	/* fork, waitpid, ... */
#define PLEDGE_SETTIME	0x0000000000002000ULL	/* set/adjust time */
#define PLEDGE_FATTR	0x0000000000004000ULL	/* file attributes */
#define PLEDGE_PROTEXEC	0x0000000000008000ULL	/* PROT_EXEC */
#define PLEDGE_TTY	0x0000000000010000ULL	/* tty settings */
#define PLEDGE_SENDFD	0x0000000000020000ULL	/* send fds */
#define PLEDGE_RECVFD	0x0000000000040000ULL	/* receive fds */
#define PLEDGE_EXEC	0x0000000000080000ULL	/* execve */
#define PLEDGE_ROUTE	0x0000000000100000ULL	/* routing lookups */
#define PLEDGE_MCAST	0x0000000000200000ULL	/* multicast joins */
#define PLEDGE_VMINFO	0x0000000000400000ULL	/* vminfo listings */
#define PLEDGE_PS	0x0000000000800000ULL	/* ps listings */
#define PLEDGE_DISKLABEL 0x0000000002000000ULL	/* disklabels */
#define PLEDGE_PF	0x0000000004000000ULL	/* pf ioctls */
#define PLEDGE_AUDIO	0x0000000008000000ULL	/* audio ioctls */
#define PLEDGE_DPATH	0x0000000010000000ULL	/* mknod, mkfifo */
#define PLEDGE_DRM	0x0000000020000000ULL	/* drm ioctls */
#define PLEDGE_VMM	0x0000000040000000ULL	/* vmm ioctls */
#define PLEDGE_CHOWN	0x0000000080000000ULL	/* chown(2) */
#define PLEDGE_CHOWNUID	0x0000000100000000ULL	/* owner changes */
#define PLEDGE_BPF	0x0000000200000000ULL	/* bpf ioctls */
#define PLEDGE_ERROR	0x0000000400000000ULL	/* ENOSYS, not abort */
#define PLEDGE_WROUTE	0x0000000800000000ULL	/* interface addresses */
#define PLEDGE_UNVEIL	0x0000001000000000ULL	/* unveil(2) */
#define PLEDGE_VIDEO	0x0000002000000000ULL	/* video ioctls */

#define PLEDGE_USERSET	0x0fffffffffffffffULL
#define PLEDGE_STATLIE	0x4000000000000000ULL
#define PLEDGE_YPACTIVE	0x8000000000000000ULL

#ifdef _KERNEL
struct proc;

/*
 * Record a pledge violation.  OpenBSD would also kill the process; the
 * testbed counts it (per process and per regress program), remembers the
 * code, and returns the error (ENOSYS if the process has PLEDGE_ERROR).
 */
int	pledge_fail(struct proc *, int, uint64_t);
#endif

#endif /* !_SYS_PLEDGE_H_ */

/* Testbed <sys/param.h>. */

#ifndef _SYS_PARAM_H_
#define _SYS_PARAM_H_

/*
 * The kernel interfaces here are those of OpenBSD 7.8 and later, the
 * generation vmm(4) 1.10 was written for (threads carry p_pledge).
 */
#define OpenBSD		202510	/* OpenBSD version (year & month) */
#define OpenBSD7_8	1

#include <sys/types.h>
#include <limits.h>
#include <machine/param.h>

#ifdef _KERNEL
#include <sys/errno.h>
#include <sys/time.h>
#include <sys/atomic.h>
#include <machine/intr.h>
#endif

#define MAXCOMLEN	24
#define MAXINTERP	128
#define MAXLOGNAME	32
#define MAXHOSTNAMELEN	256
#define MAXPATHLEN	PATH_MAX
#define NOFILE		128
#define NBBY		8

/* Sleep priorities and flags for tsleep(9) and friends. */
#define PSWP		0
#define PVM		4
#define PINOD		8
#define PRIBIO		16
#define PVFS		20
#define PZERO		22
#define PSOCK		24
#define PWAIT		32
#define PLOCK		36
#define PPAUSE		40
#define PUSER		50
#define MAXPRI		127
#define PRIMASK		0x0ff
#define PCATCH		0x100	/* check for signals while asleep */
#define PNORELOCK	0x200	/* don't relock the interlock */

#define ISSET(t, f)	((t) & (f))
#define SET(t, f)	((t) |= (f))
#define CLR(t, f)	((t) &= ~(f))

#define setbit(a, i)	(((unsigned char *)(a))[(i) / NBBY] |= \
			    1 << ((i) % NBBY))
#define clrbit(a, i)	(((unsigned char *)(a))[(i) / NBBY] &= \
			    ~(1 << ((i) % NBBY)))
#define isset(a, i)	(((const unsigned char *)(a))[(i) / NBBY] & \
			    (1 << ((i) % NBBY)))
#define isclr(a, i)	(isset(a, i) == 0)

#ifndef howmany
#define howmany(x, y)	(((x) + ((y) - 1)) / (y))
#endif
#define roundup(x, y)	((((x) + ((y) - 1)) / (y)) * (y))
#define rounddown(x, y)	(((x) / (y)) * (y))
#define roundup2(x, m)	(((x) + (m) - 1) & ~((m) - 1))
#define rounddown2(x, m) ((x) & ~((m) - 1))
#define powerof2(x)	((((x) - 1) & (x)) == 0)

#define MIN(a, b)	(((a) < (b)) ? (a) : (b))
#define MAX(a, b)	(((a) > (b)) ? (a) : (b))

#ifndef nitems
#define nitems(a)	(sizeof((a)) / sizeof((a)[0]))
#endif

#ifdef _KERNEL
#define TRUE		1
#define FALSE		0
#endif

#endif /* !_SYS_PARAM_H_ */

/*
 * Testbed <sys/rwlock.h>: reader/writer locks with OpenBSD's interface.
 *
 * A write-held lock stores the owning proc in rwl_owner (with
 * RWLOCK_WRLOCK set); readers are counted in rwl_readers.  A waiter that
 * cannot get the lock sleeps on the lock (see tsleep(9) in the testbed:
 * a sleep nobody can end is reported as a deadlock and fails the run).
 */

#ifndef _SYS_RWLOCK_H_
#define _SYS_RWLOCK_H_

#include <sys/types.h>

struct proc;
struct lock_type;

struct rwlock {
	volatile unsigned long	 rwl_owner;
	volatile unsigned int	 rwl_waiters;
	volatile unsigned int	 rwl_readers;
	const char		*rwl_name;
};

#define RWLOCK_INITIALIZER(name)	{ 0, 0, 0, name }

#define RWLOCK_WAIT		0x01UL
#define RWLOCK_WRWANT		0x02UL
#define RWLOCK_WRLOCK		0x04UL
#define RWLOCK_MASK		0x07UL
#define RWLOCK_OWNER(rwl)	((struct proc *)((rwl)->rwl_owner & ~RWLOCK_MASK))

#define RWL_DUPOK		0x01
#define RWL_NOWITNESS		0x02
#define RWL_IS_VNODE		0x04

#define RW_WRITE		0x0001UL	/* exclusive lock */
#define RW_READ			0x0002UL	/* shared lock */
#define RW_DOWNGRADE		0x0004UL	/* exclusive -> shared */
#define RW_UPGRADE		0x0005UL	/* shared -> exclusive */
#define RW_OPMASK		0x0007UL

#define RW_INTR			0x0010UL	/* interruptible sleep */
#define RW_SLEEPFAIL		0x0020UL	/* fail if we had to sleep */
#define RW_NOSLEEP		0x0040UL	/* fail with EBUSY, never wait */
#define RW_RECURSEFAIL		0x0080UL	/* rrw: fail on recursion */
#define RW_DUPOK		0x0100UL

/* rw_status(): write-locked by another thread. */
#define RW_WRITE_OTHER		0x0100UL

struct rrwlock {
	struct rwlock	rrwl_lock;
	uint32_t	rrwl_wcnt;	/* recursion depth of the writer */
};

#ifdef _KERNEL

void	_rw_init_flags(struct rwlock *, const char *, int,
	    const struct lock_type *);
#define rw_init_flags(rwl, name, flags)	_rw_init_flags(rwl, name, flags, NULL)
#define rw_init(rwl, name)		_rw_init_flags(rwl, name, 0, NULL)

void	rw_enter_read(struct rwlock *);
void	rw_enter_write(struct rwlock *);
void	rw_exit_read(struct rwlock *);
void	rw_exit_write(struct rwlock *);
int	rw_enter(struct rwlock *, int);
void	rw_exit(struct rwlock *);
int	rw_status(struct rwlock *);

void	rw_assert_wrlock(struct rwlock *);
void	rw_assert_rdlock(struct rwlock *);
void	rw_assert_anylock(struct rwlock *);
void	rw_assert_unlocked(struct rwlock *);

static __inline int
rw_read_held(struct rwlock *rwl)
{
	return (rw_status(rwl) == RW_READ);
}

static __inline int
rw_write_held(struct rwlock *rwl)
{
	return (rw_status(rwl) == RW_WRITE);
}

static __inline int
rw_lock_held(struct rwlock *rwl)
{
	int s = rw_status(rwl);

	return (s == RW_READ || s == RW_WRITE);
}

void	_rrw_init_flags(struct rrwlock *, const char *, int,
	    const struct lock_type *);
#define rrw_init_flags(rrwl, name, flags) \
	_rrw_init_flags(rrwl, name, flags, NULL)
#define rrw_init(rrwl, name)	_rrw_init_flags(rrwl, name, 0, NULL)
int	rrw_enter(struct rrwlock *, int);
void	rrw_exit(struct rrwlock *);
int	rrw_status(struct rrwlock *);

#endif /* _KERNEL */

#endif /* !_SYS_RWLOCK_H_ */

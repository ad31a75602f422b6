/*
 * kern_rwlock.c: reader/writer locks for a single CPU.
 *
 * A lock that cannot be taken at once is waited for with tb_sleep() on
 * the lock itself: RW_NOSLEEP gives EBUSY instead, RW_INTR with a
 * pending signal gives EINTR, and a wait nobody can end fails the run as
 * a deadlock.  Taking a write lock the current proc already holds, or a
 * read lock while holding it for writing, panics ("locking against
 * myself"), as in OpenBSD.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/proc.h>
#include <sys/rwlock.h>

#include "tb.h"

void
_rw_init_flags(struct rwlock *rwl, const char *name, int flags,
    const struct lock_type *type)
{
	(void)flags;
	(void)type;
	rwl->rwl_owner = 0;
	rwl->rwl_waiters = 0;
	rwl->rwl_readers = 0;
	rwl->rwl_name = name;
}

static int
rw_wait(struct rwlock *rwl, int flags)
{
	int error;

	if (flags & RW_NOSLEEP)
		return (EBUSY);
	rwl->rwl_waiters++;
	error = tb_sleep(rwl, PLOCK | ((flags & RW_INTR) ? PCATCH : 0),
	    rwl->rwl_name, INFSLP);
	rwl->rwl_waiters--;
	if (error == 0 && (flags & RW_SLEEPFAIL))
		error = EAGAIN;
	return (error);
}

static void
rw_wake(struct rwlock *rwl)
{
	if (rwl->rwl_waiters > 0)
		wakeup(rwl);
}

int
rw_enter(struct rwlock *rwl, int flags)
{
	struct proc *p = curproc;
	int error;

	switch (flags & RW_OPMASK) {
	case RW_WRITE:
		for (;;) {
			if (rwl->rwl_owner == 0 && rwl->rwl_readers == 0) {
				rwl->rwl_owner = (unsigned long)p |
				    RWLOCK_WRLOCK;
				return (0);
			}
			if (RWLOCK_OWNER(rwl) == p)
				panic("rw_enter: %s locking against myself",
				    rwl->rwl_name);
			if ((error = rw_wait(rwl, flags)) != 0)
				return (error);
		}
	case RW_READ:
		for (;;) {
			if (rwl->rwl_owner == 0) {
				rwl->rwl_readers++;
				return (0);
			}
			if (RWLOCK_OWNER(rwl) == p)
				panic("rw_enter: %s locking against myself",
				    rwl->rwl_name);
			if ((error = rw_wait(rwl, flags)) != 0)
				return (error);
		}
	case RW_DOWNGRADE:
		if (RWLOCK_OWNER(rwl) != p)
			panic("rw_enter: %s: downgrade of a lock not "
			    "write-held", rwl->rwl_name);
		rwl->rwl_owner = 0;
		rwl->rwl_readers = 1;
		rw_wake(rwl);
		return (0);
	case RW_UPGRADE:
		if (rwl->rwl_owner != 0 || rwl->rwl_readers == 0)
			panic("rw_enter: %s: upgrade of a lock not read-held",
			    rwl->rwl_name);
		if (rwl->rwl_readers > 1)
			return (EBUSY);
		rwl->rwl_readers = 0;
		rwl->rwl_owner = (unsigned long)p | RWLOCK_WRLOCK;
		return (0);
	default:
		panic("rw_enter: %s: bad flags 0x%x", rwl->rwl_name, flags);
	}
}

void
rw_exit(struct rwlock *rwl)
{
	if (rwl->rwl_owner != 0) {
		if (RWLOCK_OWNER(rwl) != curproc)
			panic("rw_exit: %s: write lock held by another proc",
			    rwl->rwl_name);
		rwl->rwl_owner = 0;
	} else if (rwl->rwl_readers > 0)
		rwl->rwl_readers--;
	else
		panic("rw_exit: %s: lock not held", rwl->rwl_name);
	rw_wake(rwl);
}

void
rw_enter_read(struct rwlock *rwl)
{
	(void)rw_enter(rwl, RW_READ);
}

void
rw_enter_write(struct rwlock *rwl)
{
	(void)rw_enter(rwl, RW_WRITE);
}

void
rw_exit_read(struct rwlock *rwl)
{
	if (rwl->rwl_owner != 0 || rwl->rwl_readers == 0)
		panic("rw_exit_read: %s: not read-locked", rwl->rwl_name);
	rw_exit(rwl);
}

void
rw_exit_write(struct rwlock *rwl)
{
	if (RWLOCK_OWNER(rwl) != curproc)
		panic("rw_exit_write: %s: not write-locked by curproc",
		    rwl->rwl_name);
	rw_exit(rwl);
}

int
rw_status(struct rwlock *rwl)
{
	if (rwl->rwl_owner != 0)
		return (RWLOCK_OWNER(rwl) == curproc ? RW_WRITE :
		    RW_WRITE_OTHER);
	if (rwl->rwl_readers > 0)
		return (RW_READ);
	return (0);
}

void
rw_assert_wrlock(struct rwlock *rwl)
{
	if (rw_status(rwl) != RW_WRITE)
		panic("%s: lock not held for writing", rwl->rwl_name);
}

void
rw_assert_rdlock(struct rwlock *rwl)
{
	if (rw_status(rwl) != RW_READ)
		panic("%s: lock not held for reading", rwl->rwl_name);
}

void
rw_assert_anylock(struct rwlock *rwl)
{
	int s = rw_status(rwl);

	if (s != RW_READ && s != RW_WRITE)
		panic("%s: lock not held", rwl->rwl_name);
}

void
rw_assert_unlocked(struct rwlock *rwl)
{
	if (rw_status(rwl) == RW_WRITE)
		panic("%s: lock held", rwl->rwl_name);
}

/* Recursive rwlocks: the writer may take the lock again. */

void
_rrw_init_flags(struct rrwlock *rrwl, const char *name, int flags,
    const struct lock_type *type)
{
	_rw_init_flags(&rrwl->rrwl_lock, name, flags, type);
	rrwl->rrwl_wcnt = 0;
}

int
rrw_enter(struct rrwlock *rrwl, int flags)
{
	int error;

	if (RWLOCK_OWNER(&rrwl->rrwl_lock) == curproc) {
		if (flags & RW_RECURSEFAIL)
			return (EDEADLK);
		rrwl->rrwl_wcnt++;
		return (0);
	}
	error = rw_enter(&rrwl->rrwl_lock, flags);
	if (error == 0 && (flags & RW_OPMASK) == RW_WRITE)
		rrwl->rrwl_wcnt = 1;
	return (error);
}

void
rrw_exit(struct rrwlock *rrwl)
{
	if (RWLOCK_OWNER(&rrwl->rrwl_lock) == curproc) {
		if (--rrwl->rrwl_wcnt > 0)
			return;
	}
	rw_exit(&rrwl->rrwl_lock);
}

int
rrw_status(struct rrwlock *rrwl)
{
	return (rw_status(&rrwl->rrwl_lock));
}

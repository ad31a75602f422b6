/*
 * kern_synch.c: sleep/wakeup, reference counters, mutexes and the
 * simulated clock.
 *
 * There is one CPU and no scheduler: only the current proc runs, and it
 * runs until it chooses to switch.  If the program started threads
 * (kern_sched.c), a sleep first runs the other runnable threads until one
 * of them wakes the sleeper.  Otherwise, or when no other thread can run,
 * a sleep cannot be ended by another thread, so tb_sleep() decides on the
 * spot:
 *
 *  1. PCATCH and a signal pending on the proc: return EINTR.
 *  2. If a test installed a sleep hook, call it.  The hook stands in for
 *     "the other threads that run while we sleep"; if it calls wakeup()
 *     on our wait channel the sleep returns 0.
 *  3. A finite timeout expires at once: the clock advances by it and the
 *     sleep returns EWOULDBLOCK.
 *  4. Otherwise the sleep would last forever: the run fails with
 *     "deadlock: sleeping on <wmesg> with no runnable thread".
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/kernel.h>
#include <sys/proc.h>
#include <sys/signalvar.h>
#include <sys/refcnt.h>
#include <sys/rwlock.h>
#include <sys/mutex.h>

#include <machine/cpufunc.h>

#include "tb.h"

static tb_sleep_hook_t	 tb_sleep_hook;
static void		*tb_sleep_hook_arg;
static uint64_t		 tb_nsecs_slept;	/* expired timeouts */
static uint64_t		 tb_nsecs_last;	/* last uptime handed out */

LIST_HEAD(processlist, process);
extern struct processlist tb_allprocess;

void
tb_set_sleep_hook(tb_sleep_hook_t hook, void *arg)
{
	tb_sleep_hook = hook;
	tb_sleep_hook_arg = arg;
}

int
tb_sleep(const volatile void *ident, int prio, const char *wmesg,
    uint64_t nsecs)
{
	struct proc *p = curproc;
	tb_sleep_hook_t hook;

	if (ident == NULL)
		panic("tsleep: no wait channel (%s)", wmesg);
	if (p->p_wchan != NULL)
		panic("tsleep: pid %d already asleep on %s",
		    p->p_p->ps_pid, p->p_wmesg);
	if ((prio & PCATCH) && SIGPENDING(p))
		return (EINTR);

	p->p_wchan = ident;
	p->p_wmesg = wmesg;
	p->p_stat = SSLEEP;

	/* Other threads of the program run until one wakes us. */
	if (tb_threads_live() > 0 && tb_sched_sleep(p) == 0) {
		p->p_stat = SONPROC;
		return (0);
	}

	if ((hook = tb_sleep_hook) != NULL) {
		/* No nesting: a sleep inside the hook takes steps 3/4. */
		tb_sleep_hook = NULL;
		hook(p, ident, wmesg, tb_sleep_hook_arg);
		tb_sleep_hook = hook;
		tb_proc_switch_to(p);
		if (p->p_wchan == NULL) {
			p->p_stat = SONPROC;
			return (0);
		}
		if ((prio & PCATCH) && SIGPENDING(p)) {
			p->p_wchan = NULL;
			p->p_stat = SONPROC;
			return (EINTR);
		}
	}

	p->p_wchan = NULL;
	p->p_stat = SONPROC;
	if (nsecs != INFSLP) {
		tb_nsecs_slept += nsecs;
		return (EWOULDBLOCK);
	}
	panic("deadlock: sleeping on %s with no runnable thread (pid %d)",
	    wmesg, p->p_p->ps_pid);
}

void
wakeup_n(const volatile void *ident, int n)
{
	struct process *pr;
	struct proc *p;

	LIST_FOREACH(pr, &tb_allprocess, ps_list) {
		p = pr->ps_mainproc;
		if (p->p_wchan == ident) {
			p->p_wchan = NULL;
			p->p_stat = SRUN;
			if (--n == 0)
				break;
		}
	}
}

void
wakeup(const volatile void *ident)
{
	wakeup_n(ident, -1);
}

static uint64_t
ticks_to_nsecs(int timo)
{
	if (timo < 0)
		panic("tsleep: negative timeout %d", timo);
	return (timo == 0 ? INFSLP : (uint64_t)timo * (1000000000ULL / hz));
}

int
tsleep_nsec(const volatile void *ident, int prio, const char *wmesg,
    uint64_t nsecs)
{
	return (tb_sleep(ident, prio, wmesg, nsecs));
}

int
tsleep(const volatile void *ident, int prio, const char *wmesg, int timo)
{
	return (tb_sleep(ident, prio, wmesg, ticks_to_nsecs(timo)));
}

int
msleep_nsec(const volatile void *ident, struct mutex *mtx, int prio,
    const char *wmesg, uint64_t nsecs)
{
	int error;

	mtx_leave(mtx);
	error = tb_sleep(ident, prio, wmesg, nsecs);
	if ((prio & PNORELOCK) == 0)
		mtx_enter(mtx);
	return (error);
}

int
msleep(const volatile void *ident, struct mutex *mtx, int prio,
    const char *wmesg, int timo)
{
	return (msleep_nsec(ident, mtx, prio, wmesg, ticks_to_nsecs(timo)));
}

/*
 * Release the lock, sleep, and take it again in the same mode (unless
 * PNORELOCK).  The relock is not interruptible.
 */
int
rwsleep_nsec(const volatile void *ident, struct rwlock *rwl, int prio,
    const char *wmesg, uint64_t nsecs)
{
	int error, status;

	status = rw_status(rwl);
	if (status != RW_WRITE && status != RW_READ)
		panic("rwsleep: %s: lock %s not held", wmesg, rwl->rwl_name);
	rw_exit(rwl);
	error = tb_sleep(ident, prio, wmesg, nsecs);
	if ((prio & PNORELOCK) == 0)
		rw_enter(rwl, status);
	return (error);
}

int
rwsleep(const volatile void *ident, struct rwlock *rwl, int prio,
    const char *wmesg, int timo)
{
	return (rwsleep_nsec(ident, rwl, prio, wmesg, ticks_to_nsecs(timo)));
}

void
yield(void)
{
}

void
sched_pause(void)
{
}

/* Reference counters. */

void
refcnt_init(struct refcnt *r)
{
	r->r_refs = 1;
	r->r_traceidx = 0;
}

void
refcnt_init_trace(struct refcnt *r, int idx)
{
	r->r_refs = 1;
	r->r_traceidx = idx;
}

void
refcnt_take(struct refcnt *r)
{
	if (++r->r_refs == 0)
		panic("refcnt_take: overflow %p", r);
}

int
refcnt_rele(struct refcnt *r)
{
	if (r->r_refs == 0)
		panic("refcnt_rele: %p already at zero", r);
	return (--r->r_refs == 0);
}

void
refcnt_rele_wake(struct refcnt *r)
{
	if (refcnt_rele(r))
		wakeup_one(r);
}

/* Drop our reference and wait until all others are gone. */
void
refcnt_finalize(struct refcnt *r, const char *wmesg)
{
	if (r->r_refs == 0)
		panic("refcnt_finalize: %p already at zero", r);
	--r->r_refs;
	while (r->r_refs > 0)
		(void)tb_sleep(r, PWAIT, wmesg, INFSLP);
}

unsigned int
refcnt_read(const struct refcnt *r)
{
	return (r->r_refs);
}

/* Mutexes: owned by the CPU; recursion is the only possible conflict. */

void
__mtx_init(struct mutex *mtx, int ipl)
{
	mtx->mtx_owner = NULL;
	mtx->mtx_wantipl = ipl;
	mtx->mtx_oldipl = IPL_NONE;
	mtx->mtx_name = NULL;
}

void
mtx_enter(struct mutex *mtx)
{
	if (mtx->mtx_owner == curcpu())
		panic("mtx_enter: %p: locking against myself", mtx);
	mtx->mtx_oldipl = splraise(mtx->mtx_wantipl);
	mtx->mtx_owner = curcpu();
}

int
mtx_enter_try(struct mutex *mtx)
{
	if (mtx->mtx_owner != NULL)
		return (0);
	mtx_enter(mtx);
	return (1);
}

void
mtx_leave(struct mutex *mtx)
{
	if (mtx->mtx_owner != curcpu())
		panic("mtx_leave: %p: lock not held", mtx);
	mtx->mtx_owner = NULL;
	splx(mtx->mtx_oldipl);
}

int
mtx_owned(struct mutex *mtx)
{
	return (mtx->mtx_owner == curcpu());
}

/*
 * The clock: the TSC at tsc_frequency (below), from 1 s, plus every
 * timeout a sleep let expire at once.  A guest's pvclock is this clock
 * extended by the same TSC, so the two must agree.  Strictly increasing,
 * so that two readings always differ.
 */

uint64_t
nsecuptime(void)
{
	uint64_t ns;

	ns = 1000000000ULL + rdtsc() + tb_nsecs_slept;
	if (ns <= tb_nsecs_last)
		ns = tb_nsecs_last + 1;
	tb_nsecs_last = ns;
	return (ns);
}

uint64_t
getnsecuptime(void)
{
	return (nsecuptime());
}

void
nanouptime(struct timespec *ts)
{
	uint64_t ns = nsecuptime();

	ts->tv_sec = ns / 1000000000ULL;
	ts->tv_nsec = ns % 1000000000ULL;
}

/* The boot time the clock pretends: 2026-01-01T00:00:00Z. */
void
nanoboottime(struct timespec *ts)
{
	ts->tv_sec = 1767225600;
	ts->tv_nsec = 0;
}

/*
 * A 1 GHz TSC, as far as the kernel's bookkeeping is concerned (exact
 * under QEMU's -icount shift=0; nsecuptime() above counts it as such),
 * and invariant (tsc.c's tsc_is_invariant), so that vmm's guests see
 * leaf 0x15 made up from it.
 */
uint64_t tsc_frequency = 1000000000ULL;
int tsc_is_invariant = 1;

void
getmicrouptime(struct timeval *tv)
{
	uint64_t ns = nsecuptime();

	tv->tv_sec = ns / 1000000000ULL;
	tv->tv_usec = (ns % 1000000000ULL) / 1000;
}

time_t
getuptime(void)
{
	return (nsecuptime() / 1000000000ULL);
}

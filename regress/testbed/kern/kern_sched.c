/*
 * kern_sched.c: cooperative threads, so that a regress program can have
 * one process inside an ioctl while another calls into the driver.
 *
 * The testbed has one CPU and no preemption.  A program may start a few
 * threads, each running a function of the program as one simulated
 * process (its own user stack, given by the program, and the process's
 * own kernel stack for system calls).  The program itself is thread 0.
 * A thread runs until it
 *
 *  - sleeps (tb_sleep: a contended rwlock, refcnt_finalize, tsleep...):
 *    another runnable thread runs until somebody wakes the sleeper;
 *  - reaches a preemption point (tb_preempt): uvm_fault, which in a real
 *    kernel may sleep waiting for a page, lets the other runnable threads
 *    run first.  That is how a vcpu inside VMM_IOC_RUN (faulting guest
 *    memory in) lets another process call VMM_IOC_TERM on its VM;
 *  - yields (tb_yield) or ends.
 *
 *  - or returns from a system call while the scheduler asks it to yield
 *    (SPCF_SHOULDYIELD, set by the clock's roundrobin(), kern_clock.c):
 *    tb_userret() is OpenBSD's userret() calling preempt().
 *
 * A thread is runnable when its proc is not asleep (p_wchan == NULL).
 * With no thread started, nothing here changes how the testbed behaves.
 * Switching uses tb_setjmp/tb_longjmp on the threads' own stacks; like
 * OpenBSD's mi_switch() it clears the round-robin flags of the CPU.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/proc.h>
#include <sys/atomic.h>
#include <sys/sched.h>
#include <machine/cpu.h>

#include "tb.h"

#define TB_NTHREADS	8

struct tb_thread {
	int		 t_used;
	int		 t_done;
	struct proc	*t_proc;	/* runs as; for thread 0: curproc */
	struct tb_jmpbuf t_ctx;		/* saved while not running */
	void		(*t_fn)(void *);
	void		*t_arg;
};

static struct tb_thread	tb_threads[TB_NTHREADS] = { { .t_used = 1 } };
static int		tb_curthread;	/* index in tb_threads */
static int		tb_nlive;	/* started threads not yet done */

int
tb_threads_live(void)
{
	return (tb_nlive);
}

int
tb_in_thread(void)
{
	return (tb_curthread != 0);
}

static int
runnable(const struct tb_thread *t)
{
	return (t->t_used && !t->t_done && t->t_proc != NULL &&
	    t->t_proc->p_wchan == NULL);
}

/* The next runnable thread after the current one, round robin; -1: none. */
static int
pick_other(void)
{
	int i, n;

	for (n = 1; n < TB_NTHREADS; n++) {
		i = (tb_curthread + n) % TB_NTHREADS;
		if (runnable(&tb_threads[i]))
			return (i);
	}
	return (-1);
}

static __dead void
enter(int next)
{
	struct tb_thread *t = &tb_threads[next];

	tb_curthread = next;
	atomic_clearbits_int(&curcpu()->ci_schedstate.spc_schedflags,
	    SPCF_SWITCHCLEAR);
	tb_proc_switch_to(t->t_proc);
	tb_longjmp(&t->t_ctx, 1);
}

/* Run thread `next`; returns when somebody switches back to this one. */
static void
switch_to(int next)
{
	struct tb_thread *cur = &tb_threads[tb_curthread];
	struct proc *p = curproc;

	cur->t_proc = p;
	if (p->p_wchan == NULL)
		p->p_stat = SRUN;
	if (tb_setjmp(&cur->t_ctx) == 0)
		enter(next);
}

static __dead void
thread_main(void)
{
	struct tb_thread *t = &tb_threads[tb_curthread];
	int next;

	t->t_fn(t->t_arg);
	t->t_done = 1;
	tb_nlive--;
	wakeup(t);
	if ((next = pick_other()) == -1)
		panic("deadlock: thread of pid %d ended with every other "
		    "thread asleep", t->t_proc->p_p->ps_pid);
	enter(next);
}

/*
 * Start fn(arg) as a thread of process pid on the stack [stack, stack +
 * size).  It first runs when the caller sleeps, yields or reaches a
 * preemption point.
 */
int
tb_thread_start(pid_t pid, void (*fn)(void *), void *arg, void *stack,
    size_t size)
{
	struct process *pr = prfind(pid);
	struct tb_thread *t = NULL;
	uint64_t top;
	int i;

	if (pr == NULL || pr == &process0)
		return (ESRCH);
	if (size < 4096 || fn == NULL)
		return (EINVAL);
	/* The caller's process is taken: a process has one kernel stack. */
	if (pr->ps_mainproc == curproc)
		return (EBUSY);
	for (i = 1; i < TB_NTHREADS; i++) {
		if (tb_threads[i].t_used &&
		    tb_threads[i].t_proc == pr->ps_mainproc)
			return (EBUSY);		/* one thread per process */
		if (t == NULL && !tb_threads[i].t_used)
			t = &tb_threads[i];
	}
	if (t == NULL)
		return (EAGAIN);

	memset(t, 0, sizeof(*t));
	t->t_used = 1;
	t->t_proc = pr->ps_mainproc;
	t->t_fn = fn;
	t->t_arg = arg;
	/* As if thread_main had been called: return address slot below an
	 * aligned top, %rbp 0 to end backtraces. */
	top = ((uint64_t)stack + size) & ~15ULL;
	top -= 8;
	*(uint64_t *)top = 0;
	t->t_ctx.jb_regs[6] = top;
	t->t_ctx.jb_regs[7] = (uint64_t)thread_main;
	t->t_proc->p_stat = SRUN;
	tb_nlive++;
	return (0);
}

/* Let the other runnable threads run once; 1 if any did. */
int
tb_yield(void)
{
	int next;

	if (tb_nlive == 0 || (next = pick_other()) == -1)
		return (0);
	switch_to(next);
	return (1);
}

/* A point where a real kernel may sleep: other threads may run. */
void
tb_preempt(void)
{
	if (tb_nlive > 0)
		(void)tb_yield();
}

/*
 * On the way back from a system call: if the scheduler asked the thread
 * to yield, preempt() it (the flags are cleared even if it goes on, as
 * mi_switch() clears them when it picks the same thread again).
 */
void
tb_userret(void)
{
	struct schedstate_percpu *spc = &curcpu()->ci_schedstate;

	if ((spc->spc_schedflags & SPCF_SHOULDYIELD) == 0)
		return;
	atomic_clearbits_int(&spc->spc_schedflags, SPCF_SWITCHCLEAR);
	(void)tb_yield();
}

/*
 * Called by tb_sleep with curproc's wait channel set: run the other
 * threads until this one is woken.  Returns 0 if woken, or -1 if no
 * other thread can run (the caller then decides as without threads).
 */
int
tb_sched_sleep(struct proc *p)
{
	int next;

	while (p->p_wchan != NULL) {
		if (tb_nlive == 0 || (next = pick_other()) == -1)
			return (-1);
		switch_to(next);
	}
	return (0);
}

/* Wait for the thread of process pid to end, and free its slot. */
int
tb_thread_join(pid_t pid)
{
	struct process *pr = prfind(pid);
	struct tb_thread *t = NULL;
	int i;

	if (pr == NULL)
		return (ESRCH);
	for (i = 1; i < TB_NTHREADS; i++)
		if (tb_threads[i].t_used &&
		    tb_threads[i].t_proc == pr->ps_mainproc)
			t = &tb_threads[i];
	if (t == NULL)
		return (ESRCH);
	if (t == &tb_threads[tb_curthread])
		return (EDEADLK);
	while (!t->t_done)
		(void)tb_sleep(t, PWAIT, "tbjoin", INFSLP);
	memset(t, 0, sizeof(*t));
	return (0);
}

/*
 * After a program: threads still unfinished are abandoned (their stacks
 * belong to the program).  Returns how many there were.
 */
int
tb_threads_reset(void)
{
	int i, n = tb_nlive;

	if (tb_curthread != 0)
		panic("tb_threads_reset from thread %d", tb_curthread);
	for (i = 1; i < TB_NTHREADS; i++)
		memset(&tb_threads[i], 0, sizeof(tb_threads[i]));
	tb_nlive = 0;
	return (n);
}

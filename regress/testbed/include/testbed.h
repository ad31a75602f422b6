/*
 * <testbed.h>: extensions for testbed-specific regress programs.  A
 * program written for OpenBSD does not need this header.
 *
 * All processes created here belong to the running program and are torn
 * down (files closed, mappings removed) when the program ends, before
 * the leak check.
 */

#ifndef _TESTBED_H_
#define _TESTBED_H_

#include <sys/types.h>
#include <sys/pledge.h>

/* Pass as "pledges" for an unpledged process (all promises). */
#define TB_PLEDGE_ALL	(~0ULL)

/* Create a process; returns its pid (does not switch to it). */
int	tb_proc_new(uint64_t pledges) __TB_LIBC(tb_proc_new);
/* Make pid the current process (curproc) for all further calls. */
void	tb_proc_switch(int pid) __TB_LIBC(tb_proc_switch);
/* Tear a process down as if it exited (not the current one). */
int	tb_proc_exit(int pid) __TB_LIBC(tb_proc_exit);
/* Post / clear a pending signal (see SIGPENDING) on a process. */
int	tb_proc_signal(int pid, int sig) __TB_LIBC(tb_proc_signal);
int	tb_proc_clearsig(int pid) __TB_LIBC(tb_proc_clearsig);

/* Pledge violations recorded by pledge_fail() since the program began. */
int	tb_pledge_violations(void) __TB_LIBC(tb_pledge_violations);
/* The "code" argument of the most recent pledge_fail(). */
uint64_t tb_pledge_lastcode(void) __TB_LIBC(tb_pledge_lastcode);

/* Physical pages currently handed out by the page allocator. */
size_t	tb_pages_in_use(void) __TB_LIBC(tb_pages_in_use);
/* Live uvm_objects (aobjs) and live map entries, in all processes. */
size_t	tb_aobjs_alive(void) __TB_LIBC(tb_aobjs_alive);
size_t	tb_mappings_alive(void) __TB_LIBC(tb_mappings_alive);
/* Outstanding kernel malloc(9) objects. */
size_t	tb_malloc_outstanding(void) __TB_LIBC(tb_malloc_outstanding);

/* Set or clear SPCF_SHOULDYIELD ("the scheduler wants the CPU back"). */
void	tb_set_should_yield(int on) __TB_LIBC(tb_set_should_yield);

/* The CPU's ci_ept_pmap: the EPT pmap it last ran a guest with (VMX), to
 * which pmap_shootept directs its INVEPT IPIs; NULL if none.  Compare
 * only, it may point at a pmap torn down since. */
const void *tb_cpu_ept_pmap(void) __TB_LIBC(tb_cpu_ept_pmap);

/*
 * The host clock: ticks (hardclock() calls) since boot, one every
 * 1,000,000 instructions (see the README); tb_clock(0) stops it and
 * tb_clock(1) starts it again, each returns whether it ran.  IPIs sent
 * (taken = 0) and taken (taken = 1) since boot.
 */
unsigned int tb_ticks(void) __TB_LIBC(tb_ticks);
int	tb_clock(int on) __TB_LIBC(tb_clock);
unsigned int tb_ipis(int taken) __TB_LIBC(tb_ipis);

/*
 * Cooperative threads: run fn(arg) as process pid (one thread per
 * process, not the caller's) on the stack [stack, stack + size), which
 * the program provides (static storage).  The thread first runs when the
 * caller sleeps in the kernel, yields, or reaches a preemption point
 * (uvm_fault, where a real kernel may sleep); it runs until it does the
 * same or ends.  A thread must return from fn, never exit().  Every
 * thread must be joined before the program ends.
 */
int	tb_thread_start(int pid, void (*fn)(void *), void *arg, void *stack,
	    size_t size) __TB_LIBC(tb_thread_start);
/* Wait for pid's thread to end. */
int	tb_thread_join(int pid) __TB_LIBC(tb_thread_join);
/* Let the other runnable threads run; 1 if one did. */
int	tb_yield(void) __TB_LIBC(tb_yield);

/* Call the driver's ca_activate hook (DVACT_QUIESCE, DVACT_WAKEUP...). */
int	tb_dev_activate(int act) __TB_LIBC(tb_dev_activate);

#define TB_DVACT_QUIESCE	2
#define TB_DVACT_SUSPEND	3
#define TB_DVACT_RESUME		4
#define TB_DVACT_WAKEUP		5

#endif /* !_TESTBED_H_ */

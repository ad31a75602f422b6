/*
 * Testbed <sys/sched.h>: per-CPU scheduler state.  The clock's
 * roundrobin() sets SPCF_SEENRR and SPCF_SHOULDYIELD as OpenBSD's does
 * (kern/kern_clock.c), a thread switch and the preemption on the way
 * back from a system call clear them (kern/kern_sched.c); a test may set
 * SPCF_SHOULDYIELD itself (tb_set_should_yield() in <testbed.h>).
 */

#ifndef _SYS_SCHED_H_
#define _SYS_SCHED_H_

#define SPCF_SEENRR		0x0001
#define SPCF_SHOULDYIELD	0x0002
#define SPCF_SWITCHCLEAR	(SPCF_SEENRR | SPCF_SHOULDYIELD)

struct schedstate_percpu {
	volatile u_int	spc_schedflags;
	u_int		spc_schedticks;
};

#endif /* !_SYS_SCHED_H_ */

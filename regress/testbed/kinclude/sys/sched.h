/*
 * Testbed <sys/sched.h>: per-CPU scheduler state.  There is no
 * scheduler; SPCF_SHOULDYIELD is only set when a test asks for it
 * (tb_set_should_yield() in <testbed.h>).
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

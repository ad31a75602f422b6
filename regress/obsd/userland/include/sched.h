/* <sched.h> of the OpenBSD userland: sched_yield(2). */

#ifndef _OBSD_SCHED_H_
#define _OBSD_SCHED_H_

int	sched_yield(void);

#endif /* !_OBSD_SCHED_H_ */

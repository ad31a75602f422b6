/* <signal.h> of the OpenBSD userland: the testbed's numbers, and kill(2). */

#ifndef _OBSD_SIGNAL_H_
#define _OBSD_SIGNAL_H_

#include_next <signal.h>
#include <sys/types.h>

int	kill(pid_t, int);

#endif /* !_OBSD_SIGNAL_H_ */

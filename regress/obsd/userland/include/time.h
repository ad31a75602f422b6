/* <time.h> of the OpenBSD userland: nanosleep(2) and clock_gettime(2). */

#ifndef _OBSD_TIME_H_
#define _OBSD_TIME_H_

#include <sys/types.h>

struct timespec {
	time_t	tv_sec;
	long	tv_nsec;
};

#define CLOCK_REALTIME	0
#define CLOCK_MONOTONIC	3

int	nanosleep(const struct timespec *, struct timespec *);
int	clock_gettime(clockid_t, struct timespec *);

#endif /* !_OBSD_TIME_H_ */

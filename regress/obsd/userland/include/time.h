/* <time.h> of the OpenBSD userland: nanosleep(2) only. */

#ifndef _OBSD_TIME_H_
#define _OBSD_TIME_H_

#include <sys/types.h>

struct timespec {
	time_t	tv_sec;
	long	tv_nsec;
};

int	nanosleep(const struct timespec *, struct timespec *);

#endif /* !_OBSD_TIME_H_ */

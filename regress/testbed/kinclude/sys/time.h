/*
 * Testbed <sys/time.h>.  There is no clock: nsecuptime() returns a
 * simulated time that advances a little on every call and by the full
 * timeout whenever a timed sleep expires.
 */

#ifndef _SYS_TIME_H_
#define _SYS_TIME_H_

#include <sys/types.h>

struct timeval {
	time_t		tv_sec;
	suseconds_t	tv_usec;
};

struct timespec {
	time_t		tv_sec;
	long		tv_nsec;
};

#ifdef _KERNEL
#define SEC_TO_NSEC(s)	((uint64_t)(s) * 1000000000ULL)
#define MSEC_TO_NSEC(m)	((uint64_t)(m) * 1000000ULL)
#define USEC_TO_NSEC(u)	((uint64_t)(u) * 1000ULL)

uint64_t	nsecuptime(void);
uint64_t	getnsecuptime(void);
void		nanouptime(struct timespec *);
void		nanoboottime(struct timespec *);
void		getmicrouptime(struct timeval *);
time_t		getuptime(void);
#endif

#endif /* !_SYS_TIME_H_ */

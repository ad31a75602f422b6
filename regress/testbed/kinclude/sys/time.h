/*
 * Testbed <sys/time.h>.  nsecuptime() counts the TSC at the kernel's
 * tsc_frequency (1 GHz) and moves ahead by the full timeout whenever a
 * timed sleep expires (there is no one to wait for); clock_gettime(2)
 * reads the same clock.
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

/* clock_gettime(2) clocks, OpenBSD's values. */
#define CLOCK_REALTIME		0
#define CLOCK_MONOTONIC		3
#define CLOCK_UPTIME		5
#define CLOCK_BOOTTIME		6

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

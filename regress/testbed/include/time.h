/* Testbed <time.h>. */

#ifndef _TIME_H_
#define _TIME_H_

#include <sys/time.h>

int	clock_gettime(clockid_t, struct timespec *) __TB_LIBC(clock_gettime);

#endif /* !_TIME_H_ */

/* <sys/resource.h> of the OpenBSD userland: resource limits. */

#ifndef _OBSD_SYS_RESOURCE_H_
#define _OBSD_SYS_RESOURCE_H_

#include <sys/types.h>

typedef uint64_t	rlim_t;

#define RLIMIT_CPU	0
#define RLIMIT_FSIZE	1
#define RLIMIT_DATA	2
#define RLIMIT_STACK	3
#define RLIMIT_CORE	4
#define RLIMIT_RSS	5
#define RLIMIT_MEMLOCK	6
#define RLIMIT_NPROC	7
#define RLIMIT_NOFILE	8

#define RLIM_INFINITY	(((rlim_t)1 << 63) - 1)

struct rlimit {
	rlim_t	rlim_cur;		/* soft limit */
	rlim_t	rlim_max;		/* hard limit */
};

int	getrlimit(int, struct rlimit *);
int	setrlimit(int, const struct rlimit *);

#endif /* !_OBSD_SYS_RESOURCE_H_ */

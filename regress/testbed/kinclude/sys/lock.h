/* Testbed <sys/lock.h>: lock type descriptor (no WITNESS). */

#ifndef _SYS_LOCK_H_
#define _SYS_LOCK_H_

struct lock_type {
	const char	*lt_name;
};

#endif /* !_SYS_LOCK_H_ */

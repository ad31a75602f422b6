/* Testbed <sys/kernel.h>. */

#ifndef _SYS_KERNEL_H_
#define _SYS_KERNEL_H_

#include <sys/types.h>

extern int	hz;		/* clock ticks per second (kern_clock.c) */
extern int	tick;
extern int	ticks;		/* hardclock() calls since boot */
extern int	cold;

#endif /* !_SYS_KERNEL_H_ */

/* Testbed <sys/kernel.h>. */

#ifndef _SYS_KERNEL_H_
#define _SYS_KERNEL_H_

#include <sys/types.h>

extern int	hz;		/* nominal clock rate; no clock runs */
extern int	tick;
extern int	ticks;
extern int	cold;

#endif /* !_SYS_KERNEL_H_ */

/*
 * Testbed <machine/intr.h>: spl(9).  There are no interrupts in the
 * testbed, so spl*() only track the level.
 */

#ifndef _MACHINE_INTR_H_
#define _MACHINE_INTR_H_

#include <machine/intrdefs.h>

#ifdef _KERNEL
int	splraise(int);
void	splx(int);
#define spl0()		splraise(IPL_NONE)
#define splsoftclock()	splraise(IPL_SOFTCLOCK)
#define splnet()	splraise(IPL_NET)
#define splbio()	splraise(IPL_BIO)
#define spltty()	splraise(IPL_TTY)
#define splvm()		splraise(IPL_VM)
#define splclock()	splraise(IPL_CLOCK)
#define splsched()	splraise(IPL_SCHED)
#define splhigh()	splraise(IPL_HIGH)
#define splassert(l)	do { } while (0)
#endif

#endif /* !_MACHINE_INTR_H_ */

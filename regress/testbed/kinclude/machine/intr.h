/*
 * Testbed <machine/intr.h>: spl(9) and IPIs.  The only interrupts are the
 * clock's and IPIs (kern/kern_clock.c); spl*() only track the level.
 * The testbed is built like GENERIC.MP (MULTIPROCESSOR) with one CPU.
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

#ifdef MULTIPROCESSOR
struct cpu_info;
int	x86_send_ipi(struct cpu_info *, int);
void	x86_broadcast_ipi(int);
#endif
#endif

#endif /* !_MACHINE_INTR_H_ */

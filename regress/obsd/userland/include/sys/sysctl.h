/* <sys/sysctl.h> of the OpenBSD userland: sysctl(2), top-level names. */

#ifndef _OBSD_SYS_SYSCTL_H_
#define _OBSD_SYS_SYSCTL_H_

#include <sys/types.h>

#define CTL_KERN	1		/* kernel */
#define CTL_VM		2		/* virtual memory: VM_UVMEXP */
#define CTL_HW		6		/* hardware */
#define VM_UVMEXP	4		/* struct uvmexp (uvm/uvmexp.h) */
#define CTL_MACHDEP	7		/* machine dependent: <machine/cpu.h> */
#define CTL_DDB		9		/* the kernel debugger: <ddb/db_var.h> */

#define KERN_VERSION	4		/* CTL_KERN: the kernel's version string */
#define KERN_INTRCNT	63		/* node: interrupt counters */
#define KERN_INTRCNT_NUM	1	/* int: number of counters */
#define KERN_INTRCNT_CNT	2	/* node: the counts */
#define KERN_INTRCNT_NAME	3	/* node: the names */

#define HW_NCPU		3		/* int: number of CPUs */

int	sysctl(const int *, u_int, void *, size_t *, void *, size_t);

#endif /* !_OBSD_SYS_SYSCTL_H_ */

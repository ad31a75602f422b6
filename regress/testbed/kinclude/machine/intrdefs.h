/* Testbed <machine/intrdefs.h>: interrupt priority levels, IPIs. */

#ifndef _MACHINE_INTRDEFS_H_
#define _MACHINE_INTRDEFS_H_

#define IPL_NONE	0x0
#define IPL_SOFTCLOCK	0x1
#define IPL_SOFTNET	0x2
#define IPL_SOFTTTY	0x3
#define IPL_BIO		0x4
#define IPL_NET		0x5
#define IPL_TTY		0x6
#define IPL_VM		0x7
#define IPL_AUDIO	0x8
#define IPL_CLOCK	0x9
#define IPL_SCHED	0xa
#define IPL_HIGH	0xb
#define IPL_IPI		0xc
#define IPL_MPFLOOR	IPL_TTY
#define IPL_MPSAFE	0x100

/* Inter-processor interrupts, x86_send_ipi(). */
#define X86_IPI_HALT		0x00000001
#define X86_IPI_NOP		0x00000002
#define X86_IPI_VMCLEAR_VMM	0x00000004
#define X86_IPI_START_VMM	0x00000100
#define X86_IPI_STOP_VMM	0x00000200

#endif /* !_MACHINE_INTRDEFS_H_ */

/*
 * <machine/cpu.h> of the OpenBSD userland: the amd64 machdep sysctl
 * names regress programs use (OpenBSD's numbers).
 */

#ifndef _OBSD_MACHINE_CPU_H_
#define _OBSD_MACHINE_CPU_H_

#define CPU_TSCFREQ	16		/* TSC frequency, Hz (0: unknown) */
#define CPU_INVARIANTTSC 17		/* the TSC is invariant */

#endif /* !_OBSD_MACHINE_CPU_H_ */

/* Testbed <machine/pcb.h>: per-thread saved machine state. */

#ifndef _MACHINE_PCB_H_
#define _MACHINE_PCB_H_

#include <sys/types.h>
#include <machine/fpu.h>

struct pcb {
	struct savefpu	pcb_savefpu;	/* user FPU state (never live) */
	u_int64_t	pcb_rsp;
	u_int64_t	pcb_rbp;
	int		pcb_flags;
};

#endif /* !_MACHINE_PCB_H_ */

/*	$vmm-rs: codepatch.h $	*/
/*
 * The testbed's <machine/codepatch.h>: the tag vmm_kern.c records its
 * MDS region under.  The testbed patches no code: the region's own
 * instructions (VERW) run.
 */
#ifndef _MACHINE_CODEPATCH_H_
#define _MACHINE_CODEPATCH_H_

#define CPTAG_MDS_VMM		10

#endif /* _MACHINE_CODEPATCH_H_ */

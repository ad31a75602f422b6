/* Testbed <machine/param.h>: amd64 page geometry. */

#ifndef _MACHINE_PARAM_H_
#define _MACHINE_PARAM_H_

#define _MACHINE	amd64
#define MACHINE		"amd64"
#define _MACHINE_ARCH	x86_64
#define MACHINE_ARCH	"amd64"
#define MID_MACHINE	MID_AMD64

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1 << PAGE_SHIFT)
#define PAGE_MASK	(PAGE_SIZE - 1)
#define NBPG		PAGE_SIZE
#define PGSHIFT		PAGE_SHIFT
#define PGOFSET		PAGE_MASK

#define NBPD_L1		(1UL << 12)	/* bytes mapped by a PTE */
#define NBPD_L2		(1UL << 21)	/* ... by a PDE */
#define NBPD_L3		(1UL << 30)	/* ... by a PDPTE */
#define NBPD_L4		(1UL << 39)	/* ... by a PML4E */

#define ALIGNBYTES	7
#define ALIGN(p)	(((unsigned long)(p) + ALIGNBYTES) & ~ALIGNBYTES)

#define MAXCPUS		1

#endif /* !_MACHINE_PARAM_H_ */

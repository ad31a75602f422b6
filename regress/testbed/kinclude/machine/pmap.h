/*
 * Testbed <machine/pmap.h>.
 *
 * Three kinds of pmap exist:
 *  - the kernel pmap: the identity map of the first 4 GiB (VA == PA);
 *  - process pmaps: the page tables of a simulated process's user window;
 *  - guest pmaps from pmap_create(): real 4-level tables kept in pages
 *    from the page allocator.  After pmap_convert() to PMAP_TYPE_EPT the
 *    entries use the Intel EPT format (R/W/X + WB memory type), for
 *    PMAP_TYPE_RVI/NORMAL the AMD64 long-mode format (P/W/U).  pm_pdirpa
 *    is the physical address of the top-level (PML4) table; for EPT,
 *    eptp is the EPT pointer (pm_pdirpa | 4-level walk | write-back).
 */

#ifndef _MACHINE_PMAP_H_
#define _MACHINE_PMAP_H_

#include <sys/types.h>

#define PMAP_TYPE_NORMAL	1
#define PMAP_TYPE_EPT		2
#define PMAP_TYPE_RVI		3

/* pmap_enter() flags, beyond the access type in the low PROT bits. */
#define PMAP_WIRED		0x00000010
#define PMAP_CANFAIL		0x00000020
#define PMAP_NOCACHE		0x00000100
#define PMAP_WC			0x00000200

struct pmap_statistics {
	long	resident_count;		/* leaf mappings present */
	long	wired_count;
};

struct vm_map;

struct pmap {
	int			 pm_type;	/* PMAP_TYPE_* */
	int			 pm_refs;
	paddr_t			 pm_pdirpa;	/* top-level table (guest) */
	u_int64_t		*pm_pdir;	/* same, direct mapped */
	struct pmap_statistics	 pm_stats;
	u_int64_t		 eptp;		/* EPT pointer, after convert */
	/* testbed private */
	int			 pm_tbkind;	/* TB_PMAP_* */
	u_long			 pm_tbptpages;	/* table pages owned */
	vaddr_t			 pm_tbbase;	/* process: window base */
	int			 pm_tbslot;	/* process: window slot */
};

typedef struct pmap	*pmap_t;

#define pmap_resident_count(pm)	((pm)->pm_stats.resident_count)
#define pmap_wired_count(pm)	((pm)->pm_stats.wired_count)
#define pmap_update(pm)		do { } while (0)

/* Physical memory is identity mapped: the direct map is the identity. */
#define PMAP_DIRECT_MAP(pa)	((vaddr_t)(pa))

extern struct pmap	kernel_pmap_store;
#define pmap_kernel()	(&kernel_pmap_store)

void		 pmap_convert(struct pmap *, int);
void		 pmap_remove(struct pmap *, vaddr_t, vaddr_t);

#endif /* !_MACHINE_PMAP_H_ */

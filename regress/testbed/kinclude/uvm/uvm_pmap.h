/* Testbed <uvm/uvm_pmap.h>: the machine-independent pmap(9) interface. */

#ifndef _UVM_UVM_PMAP_H_
#define _UVM_UVM_PMAP_H_

#include <machine/pmap.h>

#ifdef _KERNEL
struct pmap	*pmap_create(void);
void		 pmap_reference(struct pmap *);
void		 pmap_destroy(struct pmap *);
int		 pmap_enter(struct pmap *, vaddr_t, paddr_t, int, int);
int		 pmap_extract(struct pmap *, vaddr_t, paddr_t *);
void		 pmap_kenter_pa(vaddr_t, paddr_t, int);
void		 pmap_kremove(vaddr_t, vsize_t);
#endif

#endif /* !_UVM_UVM_PMAP_H_ */

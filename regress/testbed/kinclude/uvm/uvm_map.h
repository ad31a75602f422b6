/* Testbed <uvm/uvm_map.h>: process address maps. */

#ifndef _UVM_UVM_MAP_H_
#define _UVM_UVM_MAP_H_

#include <sys/queue.h>
#include <sys/rwlock.h>

struct pmap;
struct process;

/*
 * A process address map.  Entries are kept sorted; each holds one
 * reference on its uvm_object.
 */
struct vm_map {
	struct pmap		*pmap;
	struct rwlock		 lock;
	vaddr_t			 min_offset;
	vaddr_t			 max_offset;
	vsize_t			 size;
	int			 flags;
	int			 nentries;
	TAILQ_HEAD(, vm_map_entry) tb_entries;	/* testbed private */
	struct process		*tb_owner;
};

#define vm_map_min(map)		((map)->min_offset)
#define vm_map_max(map)		((map)->max_offset)
#define vm_map_pmap(map)	((map)->pmap)

#ifdef _KERNEL
void	uvm_unmap(struct vm_map *, vaddr_t, vaddr_t);
int	uvm_map_immutable(struct vm_map *, vaddr_t, vaddr_t, int);
#endif

#endif /* !_UVM_UVM_MAP_H_ */

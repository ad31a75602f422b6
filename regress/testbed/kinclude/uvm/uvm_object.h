/*
 * Testbed <uvm/uvm_object.h>.  Only anonymous objects (aobjs, see
 * uao_create()) exist.  Their pages come from the page allocator when
 * first needed (a fault or uvm_fault_wire()) and are freed when the last
 * reference is dropped.
 */

#ifndef _UVM_UVM_OBJECT_H_
#define _UVM_UVM_OBJECT_H_

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/rwlock.h>

struct uvm_pagerops;

struct uvm_object {
	struct rwlock			*vmobjlock;
	const struct uvm_pagerops	*pgops;
	int				 uo_npages;	/* resident pages */
	int				 uo_refs;

	/* testbed private */
	struct rwlock			 tb_lock;
	vsize_t				 tb_size;	/* bytes */
	u_long				 tb_npages;	/* capacity */
	paddr_t				*tb_pages;	/* 0 = absent */
	int				 tb_flags;
	LIST_ENTRY(uvm_object)		 tb_list;
};

#define UVM_OBJ_IS_AOBJ(uobj)	1

#endif /* !_UVM_UVM_OBJECT_H_ */

/*
 * Testbed <uvm/uvm_extern.h>: the UVM subset used by vmm(4).
 *
 * Kernel memory (km_alloc) is physically contiguous and direct mapped:
 * the returned VA equals the PA, and pmap_extract(pmap_kernel(), ...)
 * reports it.  User maps are the maps of simulated processes (their
 * 1 GiB user windows); uvm_map() places uvm_objects in them.
 */

#ifndef _UVM_UVM_EXTERN_H_
#define _UVM_UVM_EXTERN_H_

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/mman.h>
#include <sys/rwlock.h>
#include <uvm/uvm_pmap.h>
#include <uvm/uvm_object.h>

typedef int		vm_fault_t;
typedef int		vm_inherit_t;
typedef int		vm_prot_t;
typedef off_t		voff_t;

struct vm_map;
typedef struct vm_map	*vm_map_t;
struct vm_map_entry;
typedef struct vm_map_entry *vm_map_entry_t;

#define PROT_MASK	(PROT_READ | PROT_WRITE | PROT_EXEC)
#define MAP_INHERIT_MASK 0x3
#define MADV_MASK	0x7

/* uvm_map() flags (upper bits of the UVM_MAPFLAG word) */
#define UVM_FLAG_FIXED		0x0010000	/* use *va exactly */
#define UVM_FLAG_OVERLAY	0x0020000
#define UVM_FLAG_NOMERGE	0x0040000
#define UVM_FLAG_COPYONW	0x0080000
#define UVM_FLAG_TRYLOCK	0x0100000
#define UVM_FLAG_HOLE		0x0200000
#define UVM_FLAG_QUERY		0x0400000
#define UVM_FLAG_NOFAULT	0x0800000
#define UVM_FLAG_UNMAP		0x1000000	/* replace what is there */
#define UVM_FLAG_STACK		0x2000000
#define UVM_FLAG_WC		0x4000000
#define UVM_FLAG_CONCEAL	0x8000000
#define UVM_FLAG_SIGALTSTACK	0x20000000

#define UVM_PROTECTION(x)	((x) & PROT_MASK)
#define UVM_INHERIT(x)		(((x) >> 4) & MAP_INHERIT_MASK)
#define UVM_MAXPROTECTION(x)	(((x) >> 8) & PROT_MASK)
#define UVM_ADVICE(x)		(((x) >> 12) & MADV_MASK)

#define UVM_MAPFLAG(prot, maxprot, inh, advice, flags)			\
	((prot) | ((maxprot) << 8) | ((inh) << 4) | ((advice) << 12) | (flags))

#define UVM_UNKNOWN_OFFSET	((voff_t)-1)

#include <uvm/uvm_param.h>
#include <uvm/uvm_map.h>
#include <uvm/uvm_fault.h>

struct vmspace {
	struct vm_map	vm_map;
	int		vm_refcnt;
	segsz_t		vm_rssize;
	segsz_t		vm_dused;
	segsz_t		vm_ssize;
	caddr_t		vm_taddr;
	caddr_t		vm_daddr;
	caddr_t		vm_maxsaddr;
	caddr_t		vm_minsaddr;
};

struct uvm_constraint_range {
	paddr_t	ucr_low;
	paddr_t	ucr_high;
};

extern struct uvm_constraint_range	isa_constraint;
extern struct uvm_constraint_range	dma_constraint;
extern struct uvm_constraint_range	no_constraint;

extern struct vm_map	*kernel_map;
extern struct vm_map	*kmem_map;
extern struct vm_map	*phys_map;

/*
 * km_alloc(9) modes.  Everything is served from physically contiguous
 * pages (so any kp_maxseg is honoured); alignment is the larger of
 * kp_align, kv_align and PAGE_SIZE; kp_constraint and kp_boundary are
 * honoured; kp_zero zeroes, otherwise pages are junk-filled.
 * kp_nomem (VA only) is not supported.
 */
struct kmem_va_mode {
	struct vm_map	**kv_map;
	vsize_t		  kv_align;
	char		  kv_wait;
	char		  kv_singlepage;
};

struct kmem_pa_mode {
	struct uvm_constraint_range	 *kp_constraint;
	struct uvm_object		**kp_object;
	paddr_t				  kp_align;
	paddr_t				  kp_boundary;
	int				  kp_maxseg;
	char				  kp_nomem;
	char				  kp_zero;
	char				  kp_pageable;
};

struct kmem_dyn_mode {
	voff_t	 kd_prefer;
	int	*kd_slowdown;
	char	 kd_waitok;
	char	 kd_trylock;
};

#define KMEM_DYN_INITIALIZER	{ UVM_UNKNOWN_OFFSET, NULL, 0, 0 }

extern const struct kmem_va_mode	kv_any;
extern const struct kmem_va_mode	kv_intrsafe;
extern const struct kmem_va_mode	kv_page;
extern const struct kmem_pa_mode	kp_dirty;
extern const struct kmem_pa_mode	kp_zero;
extern const struct kmem_pa_mode	kp_dma;
extern const struct kmem_pa_mode	kp_dma_contig;
extern const struct kmem_pa_mode	kp_dma_zero;
extern const struct kmem_pa_mode	kp_pageable;
extern const struct kmem_pa_mode	kp_none;
extern const struct kmem_dyn_mode	kd_waitok;
extern const struct kmem_dyn_mode	kd_nowait;
extern const struct kmem_dyn_mode	kd_trylock;

#ifdef _KERNEL
void	*km_alloc(size_t, const struct kmem_va_mode *,
	    const struct kmem_pa_mode *, const struct kmem_dyn_mode *);
void	 km_free(void *, size_t, const struct kmem_va_mode *,
	    const struct kmem_pa_mode *);

struct uvm_object	*uao_create(vsize_t, int);
void			 uao_reference(struct uvm_object *);
void			 uao_detach(struct uvm_object *);

int	uvm_map(struct vm_map *, vaddr_t *, vsize_t, struct uvm_object *,
	    voff_t, vsize_t, unsigned int);
int	uvm_map_protect(struct vm_map *, vaddr_t, vaddr_t, vm_prot_t, int,
	    int, int);
int	uvm_fault(struct vm_map *, vaddr_t, vm_fault_t, vm_prot_t);
void	uvmspace_addref(struct vmspace *);
#endif

#endif /* !_UVM_UVM_EXTERN_H_ */

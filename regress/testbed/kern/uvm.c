/*
 * uvm.c: the memory management the driver sees: km_alloc(9), aobjs,
 * process maps (uvm_map, uvm_unmap, uvm_map_immutable, faults), pmaps,
 * and copyin(9)/copyout(9).
 *
 * Process address spaces.  Every simulated process owns a 1 GiB "user
 * window" at TB_USER_BASE + slot * 1 GiB, mapped through PML4 slot 1 of
 * the one page table the CPU uses; all windows are live at once, so no
 * CR3 switch is needed (isolation between processes is enforced by
 * copyin/copyout, not by the MMU).  Inside a window:
 *
 *	+0       .. +2 MiB		never mapped
 *	+2 MiB   .. +768 MiB		mmap(2) / uvm_map() space
 *	+768 MiB .. +1008 MiB		user malloc arena (on first use)
 *
 * The user image (program data) and the program stack are outside the
 * windows and count as memory of every process.
 *
 * Map entries are backed by aobjs (anonymous memory is an aobj private
 * to its entries).  Pages are allocated and entered into the page table
 * on first touch: the page fault handler calls uvm_tb_fault(), and
 * uvm_fault_wire() does the same on behalf of the driver.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/malloc.h>
#include <sys/proc.h>
#include <uvm/uvm_extern.h>
#include <uvm/uvm_aobj.h>
#include <machine/cpufunc.h>

#include "tb.h"

#define PG_V		0x001ULL
#define PG_RW		0x002ULL
#define PG_U		0x004ULL
#define PG_PS		0x080ULL
#define PG_FRAME	0x000ffffffffff000ULL

#define EPT_R		0x001ULL
#define EPT_W		0x002ULL
#define EPT_X		0x004ULL
#define EPT_WB		(6ULL << 3)
#define EPTP_WB		6ULL		/* EPT paging structures: write-back */
#define EPTP_WALK4	(3ULL << 3)	/* page-walk length 4, minus 1 */

#define TB_PMAP_KERNEL	1
#define TB_PMAP_PROCESS	2
#define TB_PMAP_GUEST	3

#define TBE_IMMUTABLE	0x01
#define TBE_CONCEAL	0x02
#define TBE_STACK	0x04

#define TBO_ANON	0x01		/* pages private to the entries */

struct vm_map_entry {
	TAILQ_ENTRY(vm_map_entry) e_list;
	vaddr_t			 e_start;
	vaddr_t			 e_end;
	vm_prot_t		 e_prot;
	vm_prot_t		 e_maxprot;
	int			 e_inherit;
	int			 e_advice;
	int			 e_flags;	/* TBE_* */
	struct uvm_object	*e_obj;
	voff_t			 e_offset;	/* of e_start in e_obj */
};

extern uint64_t		 boot_pml4[];
extern uint64_t		 boot_pd[];
extern char		 boot_stack_guard[];
static uint64_t		 user_pdpt[512] __aligned(PAGE_SIZE);
static uint64_t		 low_pt[512] __aligned(PAGE_SIZE);
vaddr_t			 tb_ustack_lo, tb_ustack_hi;

struct pmap		 kernel_pmap_store = {
	.pm_type = PMAP_TYPE_NORMAL,
	.pm_refs = 1,
	.pm_tbkind = TB_PMAP_KERNEL,
	.pm_tbslot = -1,
};

static struct vm_map	 kernel_map_store = { .pmap = &kernel_pmap_store };
struct vm_map		*kernel_map = &kernel_map_store;
struct vm_map		*kmem_map = &kernel_map_store;
struct vm_map		*phys_map = &kernel_map_store;

struct uvm_constraint_range isa_constraint = { 0x0, 0x00ffffffUL };
struct uvm_constraint_range dma_constraint = { 0x0, 0xffffffffUL };
struct uvm_constraint_range no_constraint = { 0x0, (paddr_t)-1 };

static struct uvm_object *kernel_object_dummy;

const struct kmem_va_mode kv_any = { .kv_map = &kernel_map };
const struct kmem_va_mode kv_intrsafe = { .kv_map = &kmem_map };
const struct kmem_va_mode kv_page = { .kv_map = &kernel_map,
	.kv_singlepage = 1 };
const struct kmem_pa_mode kp_dirty = { .kp_constraint = &no_constraint };
const struct kmem_pa_mode kp_zero = { .kp_constraint = &no_constraint,
	.kp_zero = 1 };
const struct kmem_pa_mode kp_dma = { .kp_constraint = &dma_constraint };
const struct kmem_pa_mode kp_dma_contig = { .kp_constraint = &dma_constraint,
	.kp_maxseg = 1 };
const struct kmem_pa_mode kp_dma_zero = { .kp_constraint = &dma_constraint,
	.kp_zero = 1 };
const struct kmem_pa_mode kp_pageable = { .kp_object = &kernel_object_dummy,
	.kp_pageable = 1, .kp_zero = 1 };
const struct kmem_pa_mode kp_none = { .kp_nomem = 1 };
const struct kmem_dyn_mode kd_waitok = { .kd_prefer = UVM_UNKNOWN_OFFSET,
	.kd_waitok = 1 };
const struct kmem_dyn_mode kd_nowait = { .kd_prefer = UVM_UNKNOWN_OFFSET };
const struct kmem_dyn_mode kd_trylock = { .kd_prefer = UVM_UNKNOWN_OFFSET,
	.kd_trylock = 1 };

static int	map_protect(struct vm_map *, vaddr_t, vaddr_t, vm_prot_t, int);

/*
 * Finish the page tables: map the first 2 MiB with 4 KiB pages leaving
 * page 0 out (NULL dereferences fault), and hook up the user windows.
 */
void
uvm_tb_init(void)
{
	int i;

	for (i = 1; i < 512; i++)
		low_pt[i] = ptoa(i) | PG_V | PG_RW;
	boot_pd[0] = (uint64_t)low_pt | PG_V | PG_RW;
	boot_pml4[1] = (uint64_t)user_pdpt | PG_V | PG_RW | PG_U;
	tlbflush();

	/* The program stack, with a guard page below it. */
	tb_ustack_lo = pmem_reserve(atop(TB_USTACK_SIZE) + 1) + PAGE_SIZE;
	tb_ustack_hi = tb_ustack_lo + TB_USTACK_SIZE;
	uvm_tb_guard_page(tb_ustack_lo - PAGE_SIZE);
	uvm_tb_guard_page((vaddr_t)boot_stack_guard);
}

static vaddr_t
slot_base(int slot)
{
	return (TB_USER_BASE + (vaddr_t)slot * TB_USER_SLOTSZ);
}

static int
va_slot(vaddr_t va)
{
	if (va < TB_USER_BASE ||
	    va >= TB_USER_BASE + TB_USER_NSLOTS * TB_USER_SLOTSZ)
		return (-1);
	return ((va - TB_USER_BASE) / TB_USER_SLOTSZ);
}

/*
 * Page table of a user window: return the PTE for va, allocating the
 * page table page if asked to.
 */
static uint64_t *
uw_pte(vaddr_t va, int alloc)
{
	int slot = va_slot(va);
	uint64_t *pd, *pt;
	paddr_t pa;
	u_int pdi;

	if (slot < 0 || (user_pdpt[slot] & PG_V) == 0)
		return (NULL);
	pd = (uint64_t *)(user_pdpt[slot] & PG_FRAME);
	pdi = (va >> 21) & 511;
	if ((pd[pdi] & PG_V) == 0) {
		if (!alloc)
			return (NULL);
		pa = pmem_alloc(1, 0, PMEM_ZERO);
		if (pa == 0)
			return (NULL);
		pd[pdi] = pa | PG_V | PG_RW | PG_U;
	}
	pt = (uint64_t *)(pd[pdi] & PG_FRAME);
	return (&pt[(va >> 12) & 511]);
}

/*
 * Guard pages: single pages of the identity map left unmapped below a
 * stack, so that an overflow faults.  The 2 MiB mapping around one is
 * split into 4 KiB pages first (the page table is reserved for good).
 */
static uint64_t *
identity_pte(vaddr_t va, int split)
{
	uint64_t *pdpt = (uint64_t *)(boot_pml4[0] & PG_FRAME), *pd, *pt;
	u_int pdi = (va >> 21) & 511;
	paddr_t pa;
	int i;

	if (va >= 0x100000000UL)
		return (NULL);
	pd = (uint64_t *)(pdpt[(va >> 30) & 3] & PG_FRAME);
	if (pd[pdi] & PG_PS) {
		if (!split)
			return (NULL);
		pa = pmem_reserve(1);
		pt = (uint64_t *)pa;
		for (i = 0; i < 512; i++)
			pt[i] = (rounddown(va, NBPD_L2) + ptoa(i)) | PG_V |
			    PG_RW;
		pd[pdi] = pa | PG_V | PG_RW;
		tlbflush();
	}
	pt = (uint64_t *)(pd[pdi] & PG_FRAME);
	return (&pt[(va >> 12) & 511]);
}

void
uvm_tb_guard_page(vaddr_t va)
{
	uint64_t *pte = identity_pte(trunc_page(va), 1);

	*pte = 0;
	invlpg(trunc_page(va));
}

void
uvm_tb_unguard_page(vaddr_t va)
{
	uint64_t *pte = identity_pte(trunc_page(va), 1);

	*pte = trunc_page(va) | PG_V | PG_RW;
	invlpg(trunc_page(va));
}

int
tb_va_mapped(vaddr_t va)
{
	uint64_t *pte;

	if (va < 0x100000000UL) {
		pte = identity_pte(va, 0);
		return (pte == NULL || (*pte & PG_V) != 0);
	}
	pte = uw_pte(va, 0);
	return (pte != NULL && (*pte & PG_V));
}

/* Free the page table pages of [sva, eva) that no longer map anything. */
static void
uw_free_empty_tables(vaddr_t sva, vaddr_t eva)
{
	vaddr_t va;
	uint64_t *pd, *pt;
	int slot, i, flush = 0;
	u_int pdi;

	for (va = rounddown(sva, NBPD_L2); va < eva; va += NBPD_L2) {
		slot = va_slot(va);
		if (slot < 0 || (user_pdpt[slot] & PG_V) == 0)
			continue;
		pd = (uint64_t *)(user_pdpt[slot] & PG_FRAME);
		pdi = (va >> 21) & 511;
		if ((pd[pdi] & PG_V) == 0)
			continue;
		pt = (uint64_t *)(pd[pdi] & PG_FRAME);
		for (i = 0; i < 512; i++)
			if (pt[i] != 0)
				break;
		if (i < 512)
			continue;
		pd[pdi] = 0;
		pmem_free((paddr_t)pt, 1);
		flush = 1;
	}
	if (flush)
		tlbflush();
}

/*
 * aobjs
 */

struct uvm_object *
uao_create(vsize_t size, int flags)
{
	struct uvm_object *uobj;
	u_long npages;
	int mflags = M_WAITOK;

	if (flags & UAO_FLAG_KERNOBJ)
		panic("uao_create: UAO_FLAG_KERNOBJ is not supported");
	npages = atop(round_page(size));
	if (flags & UAO_FLAG_CANFAIL) {
		/* Like a failed swap reservation. */
		if (npages == 0 || npages > pmem_pages_free())
			return (NULL);
		mflags = M_NOWAIT | M_CANFAIL;
	}
	uobj = malloc(sizeof(*uobj), M_VMMAP, mflags | M_ZERO);
	if (uobj == NULL)
		return (NULL);
	uobj->tb_pages = mallocarray(npages ? npages : 1, sizeof(paddr_t),
	    M_VMMAP, mflags | M_ZERO);
	if (uobj->tb_pages == NULL) {
		free(uobj, M_VMMAP, sizeof(*uobj));
		return (NULL);
	}
	rw_init(&uobj->tb_lock, "uobjlk");
	uobj->vmobjlock = &uobj->tb_lock;
	uobj->uo_refs = 1;
	uobj->tb_size = ptoa(npages);
	uobj->tb_npages = npages;
	tbstat.aobjs++;
	return (uobj);
}

void
uao_reference(struct uvm_object *uobj)
{
	if (uobj->uo_refs <= 0)
		panic("uao_reference: object %p has no references", uobj);
	uobj->uo_refs++;
}

static void
uao_free_pages(struct uvm_object *uobj, u_long first, u_long n)
{
	u_long i;

	for (i = first; i < first + n && i < uobj->tb_npages; i++) {
		if (uobj->tb_pages[i] != 0) {
			pmem_free(uobj->tb_pages[i], 1);
			uobj->tb_pages[i] = 0;
			uobj->uo_npages--;
		}
	}
}

void
uao_detach(struct uvm_object *uobj)
{
	if (uobj->uo_refs <= 0)
		panic("uao_detach: object %p has no references", uobj);
	if (--uobj->uo_refs > 0)
		return;
	uao_free_pages(uobj, 0, uobj->tb_npages);
	free(uobj->tb_pages, M_VMMAP, (uobj->tb_npages ? uobj->tb_npages : 1) *
	    sizeof(paddr_t));
	free(uobj, M_VMMAP, sizeof(*uobj));
	tbstat.aobjs--;
}

/* The page at index idx, allocated (zeroed) if it is not there yet. */
static paddr_t
uao_page(struct uvm_object *uobj, u_long idx)
{
	paddr_t pa;

	if (idx >= uobj->tb_npages)
		panic("uao_page: index %lu beyond object %p (%lu pages)", idx,
		    uobj, uobj->tb_npages);
	if ((pa = uobj->tb_pages[idx]) == 0) {
		pa = pmem_alloc(1, 0, PMEM_ZERO);
		if (pa == 0)
			return (0);
		uobj->tb_pages[idx] = pa;
		uobj->uo_npages++;
	}
	return (pa);
}

/*
 * Map entries
 */

static int
map_is_process(struct vm_map *map)
{
	return (map != NULL && map->tb_owner != NULL);
}

static vaddr_t
map_mmap_end(struct vm_map *map)
{
	return (slot_base(map->pmap->pm_tbslot) + TB_UW_MMAPEND);
}

static struct vm_map_entry *
map_lookup(struct vm_map *map, vaddr_t va)
{
	struct vm_map_entry *e;

	TAILQ_FOREACH(e, &map->tb_entries, e_list) {
		if (va < e->e_start)
			return (NULL);
		if (va < e->e_end)
			return (e);
	}
	return (NULL);
}

static int
map_range_free(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	struct vm_map_entry *e;

	TAILQ_FOREACH(e, &map->tb_entries, e_list)
		if (e->e_start < end && start < e->e_end)
			return (0);
	return (1);
}

static int
map_range_immutable(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	struct vm_map_entry *e;

	TAILQ_FOREACH(e, &map->tb_entries, e_list)
		if (e->e_start < end && start < e->e_end &&
		    (e->e_flags & TBE_IMMUTABLE))
			return (1);
	return (0);
}

static int
map_findspace(struct vm_map *map, vsize_t size, vsize_t align,
    vaddr_t *vap)
{
	struct vm_map_entry *e;
	vaddr_t addr = roundup(map->min_offset, align);

	TAILQ_FOREACH(e, &map->tb_entries, e_list) {
		if (e->e_end <= addr)
			continue;
		if (addr + size <= e->e_start)
			break;
		addr = roundup(e->e_end, align);
	}
	if (addr + size > map_mmap_end(map) || addr + size < addr)
		return (ENOMEM);
	*vap = addr;
	return (0);
}

static void
map_insert(struct vm_map *map, struct vm_map_entry *ne)
{
	struct vm_map_entry *e;

	TAILQ_FOREACH(e, &map->tb_entries, e_list) {
		if (e->e_start > ne->e_start) {
			TAILQ_INSERT_BEFORE(e, ne, e_list);
			goto done;
		}
	}
	TAILQ_INSERT_TAIL(&map->tb_entries, ne, e_list);
done:
	map->nentries++;
	map->size += ne->e_end - ne->e_start;
	tbstat.mappings++;
}

/* Split e at va; e keeps [start, va), the new entry gets [va, end). */
static struct vm_map_entry *
map_split(struct vm_map *map, struct vm_map_entry *e, vaddr_t va)
{
	struct vm_map_entry *n;

	n = malloc(sizeof(*n), M_VMMAP, M_WAITOK);
	*n = *e;
	n->e_start = va;
	n->e_offset = e->e_offset + (va - e->e_start);
	e->e_end = va;
	uao_reference(e->e_obj);
	TAILQ_INSERT_AFTER(&map->tb_entries, e, n, e_list);
	map->nentries++;
	tbstat.mappings++;
	return (n);
}

/* Make start and end entry boundaries. */
static void
map_clip(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	struct vm_map_entry *e;

	TAILQ_FOREACH(e, &map->tb_entries, e_list) {
		if (e->e_start < start && start < e->e_end)
			e = map_split(map, e, start);
		if (e->e_start < end && end < e->e_end)
			(void)map_split(map, e, end);
	}
}

static void
map_unmap_pages(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	uint64_t *pte;
	vaddr_t va;

	for (va = start; va < end; va += PAGE_SIZE) {
		pte = uw_pte(va, 0);
		if (pte == NULL) {
			/* No page table: skip to the next 2 MiB. */
			va = rounddown(va, NBPD_L2) + NBPD_L2 - PAGE_SIZE;
			continue;
		}
		if (*pte & PG_V) {
			*pte = 0;
			invlpg(va);
			map->pmap->pm_stats.resident_count--;
		}
	}
}

static void
map_remove_entry(struct vm_map *map, struct vm_map_entry *e)
{
	map_unmap_pages(map, e->e_start, e->e_end);
	if (e->e_obj->tb_flags & TBO_ANON)
		uao_free_pages(e->e_obj, atop(e->e_offset),
		    atop(e->e_end - e->e_start));
	uao_detach(e->e_obj);
	TAILQ_REMOVE(&map->tb_entries, e, e_list);
	map->nentries--;
	map->size -= e->e_end - e->e_start;
	tbstat.mappings--;
	free(e, M_VMMAP, sizeof(*e));
}

static int
map_fault_page(struct vm_map *map, struct vm_map_entry *e, vaddr_t va)
{
	uint64_t *pte;
	paddr_t pa;

	va = trunc_page(va);
	if ((e->e_prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0)
		return (EACCES);
	pte = uw_pte(va, 1);
	if (pte == NULL)
		return (ENOMEM);
	if (*pte & PG_V)
		return (0);
	pa = uao_page(e->e_obj, atop(e->e_offset + (va - e->e_start)));
	if (pa == 0)
		return (ENOMEM);
	*pte = pa | PG_V | PG_U | ((e->e_prot & PROT_WRITE) ? PG_RW : 0);
	map->pmap->pm_stats.resident_count++;
	return (0);
}

/*
 * Map size bytes of uobj (from uoffset) into map.  Without
 * UVM_FLAG_FIXED the address in *startp is a hint; a free, aligned
 * range is chosen if it cannot be used.  On success the mapping owns
 * the caller's reference to uobj; on failure the caller keeps it.
 * A NULL uobj maps anonymous zero-fill memory.
 */
int
uvm_map(struct vm_map *map, vaddr_t *startp, vsize_t size,
    struct uvm_object *uobj, voff_t uoffset, vsize_t align,
    unsigned int flags)
{
	struct vm_map_entry *e;
	vaddr_t start = *startp;
	vm_prot_t prot = UVM_PROTECTION(flags);
	vm_prot_t maxprot = UVM_MAXPROTECTION(flags);
	int error;

	if (!map_is_process(map)) {
		printf("uvm_map: only process maps are supported\n");
		return (EINVAL);
	}
	if (size == 0 || (size & PAGE_MASK))
		return (EINVAL);
	if (align == 0)
		align = PAGE_SIZE;
	if (!powerof2(align) || align < PAGE_SIZE)
		return (EINVAL);
	if ((prot & maxprot) != prot)
		return (EACCES);
	if (uoffset == UVM_UNKNOWN_OFFSET)
		uoffset = 0;
	if (uobj != NULL && ((uoffset & PAGE_MASK) ||
	    uoffset + size > uobj->tb_size || uoffset + size < size))
		return (EINVAL);

	if (flags & UVM_FLAG_FIXED) {
		if ((start & (align - 1)) || start < map->min_offset ||
		    start + size > map->max_offset || start + size < start)
			return (EINVAL);
		if (!map_range_free(map, start, start + size)) {
			if ((flags & UVM_FLAG_UNMAP) == 0)
				return (ENOMEM);
			if (map_range_immutable(map, start, start + size))
				return (EPERM);
			uvm_unmap(map, start, start + size);
		}
	} else {
		if (start == 0 || (start & (align - 1)) ||
		    start < map->min_offset || start + size < start ||
		    start + size > map_mmap_end(map) ||
		    !map_range_free(map, start, start + size)) {
			error = map_findspace(map, size, align, &start);
			if (error)
				return (error);
		}
	}

	if (uobj == NULL) {
		uobj = uao_create(size, 0);
		uobj->tb_flags |= TBO_ANON;
		uoffset = 0;
	}
	e = malloc(sizeof(*e), M_VMMAP, M_WAITOK | M_ZERO);
	e->e_start = start;
	e->e_end = start + size;
	e->e_prot = prot;
	e->e_maxprot = maxprot;
	e->e_inherit = UVM_INHERIT(flags);
	e->e_advice = UVM_ADVICE(flags);
	e->e_obj = uobj;
	e->e_offset = uoffset;
	if (flags & UVM_FLAG_CONCEAL)
		e->e_flags |= TBE_CONCEAL;
	if (flags & UVM_FLAG_STACK)
		e->e_flags |= TBE_STACK;
	map_insert(map, e);
	*startp = start;
	return (0);
}

/* Kernel unmap: removes everything in [start, end), immutable or not. */
void
uvm_unmap(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	struct vm_map_entry *e, *next;

	if (!map_is_process(map))
		panic("uvm_unmap: not a process map");
	start = trunc_page(start);
	end = round_page(end);
	if (start >= end)
		return;
	map_clip(map, start, end);
	TAILQ_FOREACH_SAFE(e, &map->tb_entries, e_list, next)
		if (e->e_start >= start && e->e_end <= end)
			map_remove_entry(map, e);
	uw_free_empty_tables(start, end);
}

int
uvm_map_immutable(struct vm_map *map, vaddr_t start, vaddr_t end, int imut)
{
	struct vm_map_entry *e;

	if (!map_is_process(map))
		return (EINVAL);
	if (start > end)
		return (EINVAL);
	start = MAX(trunc_page(start), map->min_offset);
	end = MIN(round_page(end), map->max_offset);
	if (start >= end)
		return (0);
	map_clip(map, start, end);
	TAILQ_FOREACH(e, &map->tb_entries, e_list) {
		if (e->e_start >= start && e->e_end <= end) {
			if (imut)
				e->e_flags |= TBE_IMMUTABLE;
			else
				e->e_flags &= ~TBE_IMMUTABLE;
		}
	}
	return (0);
}

static int
map_protect(struct vm_map *map, vaddr_t start, vaddr_t end, vm_prot_t prot,
    int checkimmutable)
{
	struct vm_map_entry *e;
	uint64_t *pte;
	vaddr_t va;

	start = trunc_page(start);
	end = round_page(end);
	if (start >= end)
		return (0);
	if (checkimmutable && map_range_immutable(map, start, end))
		return (EPERM);
	TAILQ_FOREACH(e, &map->tb_entries, e_list)
		if (e->e_start < end && start < e->e_end &&
		    (prot & e->e_maxprot) != prot)
			return (EACCES);
	map_clip(map, start, end);
	TAILQ_FOREACH(e, &map->tb_entries, e_list) {
		if (e->e_start < start || e->e_end > end)
			continue;
		e->e_prot = prot;
		for (va = e->e_start; va < e->e_end; va += PAGE_SIZE) {
			pte = uw_pte(va, 0);
			if (pte == NULL || (*pte & PG_V) == 0)
				continue;
			if ((prot & PROT_MASK) == 0) {
				*pte = 0;
				map->pmap->pm_stats.resident_count--;
			} else if (prot & PROT_WRITE)
				*pte |= PG_RW;
			else
				*pte &= ~PG_RW;
			invlpg(va);
		}
	}
	return (0);
}

int
uvm_map_protect(struct vm_map *map, vaddr_t start, vaddr_t end,
    vm_prot_t prot, int etype, int set_max, int checkimmutable)
{
	(void)etype;
	(void)set_max;
	if (!map_is_process(map))
		return (EINVAL);
	return (map_protect(map, start, end, prot, checkimmutable));
}

int
uvm_fault(struct vm_map *map, vaddr_t va, vm_fault_t ftype, vm_prot_t access)
{
	struct vm_map_entry *e;

	(void)ftype;
	/* A real uvm_fault may sleep for the page: let other threads run. */
	tb_preempt();
	if (!map_is_process(map))
		return (EFAULT);
	e = map_lookup(map, va);
	if (e == NULL)
		return (EFAULT);
	if ((e->e_prot & access) != access)
		return (EACCES);
	return (map_fault_page(map, e, va));
}

/* Make [start, end) resident ("wired"). */
int
uvm_fault_wire(struct vm_map *map, vaddr_t start, vaddr_t end,
    vm_prot_t access)
{
	vaddr_t va;
	int error;

	for (va = trunc_page(start); va < end; va += PAGE_SIZE) {
		error = uvm_fault(map, va, VM_FAULT_WIRE, access);
		if (error)
			return (error);
	}
	return (0);
}

void
uvm_fault_unwire(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	(void)map;
	(void)start;
	(void)end;
}

void
uvmspace_addref(struct vmspace *vm)
{
	vm->vm_refcnt++;
}

/*
 * Page fault on a user window address: find the window's owner (not
 * necessarily curproc -- all windows are live) and bring the page in.
 */
int
uvm_tb_fault(vaddr_t va, uint64_t err)
{
	struct process *pr;
	struct vm_map *map;
	struct vm_map_entry *e;
	vm_prot_t access;

	pr = tb_slot_owner(va_slot(va));
	if (pr == NULL)
		return (EFAULT);
	if (err & 1)
		return (EACCES);	/* protection violation */
	map = &pr->ps_vmspace->vm_map;
	e = map_lookup(map, va);
	if (e == NULL)
		return (EFAULT);
	access = (err & 2) ? PROT_WRITE : PROT_READ;
	if ((e->e_prot & access) != access)
		return (EACCES);
	return (map_fault_page(map, e, va));
}

int
uvm_tb_vmspace_init(struct process *pr)
{
	struct vmspace *vm;
	struct pmap *pm;
	paddr_t pd;
	int slot = pr->ps_tbslot;

	pd = pmem_alloc(1, 0, PMEM_ZERO);
	if (pd == 0)
		return (ENOMEM);
	vm = malloc(sizeof(*vm), M_VMMAP, M_WAITOK | M_ZERO);
	pm = malloc(sizeof(*pm), M_VMPMAP, M_WAITOK | M_ZERO);
	pm->pm_type = PMAP_TYPE_NORMAL;
	pm->pm_refs = 1;
	pm->pm_pdirpa = pd;
	pm->pm_pdir = (uint64_t *)pd;
	pm->pm_tbkind = TB_PMAP_PROCESS;
	pm->pm_tbslot = slot;
	pm->pm_tbbase = slot_base(slot);
	user_pdpt[slot] = pd | PG_V | PG_RW | PG_U;

	vm->vm_refcnt = 1;
	vm->vm_map.pmap = pm;
	rw_init(&vm->vm_map.lock, "vmmaplk");
	vm->vm_map.min_offset = slot_base(slot) + TB_UW_MIN;
	vm->vm_map.max_offset = slot_base(slot) + TB_USER_SLOTSZ;
	TAILQ_INIT(&vm->vm_map.tb_entries);
	vm->vm_map.tb_owner = pr;
	pr->ps_vmspace = vm;
	return (0);
}

void
uvm_tb_vmspace_free(struct process *pr)
{
	struct vmspace *vm = pr->ps_vmspace;
	struct vm_map *map = &vm->vm_map;
	struct pmap *pm = map->pmap;
	uint64_t *pd = pm->pm_pdir;
	int i;

	uvm_unmap(map, map->min_offset, map->max_offset);
	for (i = 0; i < 512; i++) {
		if (pd[i] & PG_V) {
			pmem_free(pd[i] & PG_FRAME, 1);
			pd[i] = 0;
		}
	}
	if (pm->pm_stats.resident_count != 0)
		panic("uvm_tb_vmspace_free: %ld pages still resident",
		    pm->pm_stats.resident_count);
	user_pdpt[pm->pm_tbslot] = 0;
	tlbflush();
	pmem_free(pm->pm_pdirpa, 1);
	if (pr->ps_tbheap != NULL)
		free(pr->ps_tbheap, M_VMMAP, sizeof(struct tb_arena));
	free(pm, M_VMPMAP, sizeof(*pm));
	free(vm, M_VMMAP, sizeof(*vm));
	pr->ps_vmspace = NULL;
}

/*
 * mmap(2), munmap(2), mprotect(2) on the current process.
 */
int
uvm_tb_mmap(struct proc *p, vaddr_t *addrp, vsize_t len, int prot, int flags)
{
	struct vm_map *map = &p->p_vmspace->vm_map;
	vaddr_t addr = *addrp;
	vsize_t size;
	int uflags = 0;

	if (len == 0)
		return (EINVAL);
	if (prot & ~PROT_MASK)
		return (EINVAL);
	if ((flags & (MAP_SHARED | MAP_PRIVATE)) == 0 ||
	    (flags & (MAP_SHARED | MAP_PRIVATE)) == (MAP_SHARED | MAP_PRIVATE))
		return (EINVAL);
	size = round_page(len);
	if (size < len)
		return (ENOMEM);
	if (flags & MAP_FIXED) {
		if (addr & PAGE_MASK)
			return (EINVAL);
		uflags |= UVM_FLAG_FIXED | UVM_FLAG_UNMAP;
	} else
		addr = trunc_page(addr);
	if (flags & MAP_CONCEAL)
		uflags |= UVM_FLAG_CONCEAL;
	if (flags & MAP_STACK)
		uflags |= UVM_FLAG_STACK;
	*addrp = addr;
	return (uvm_map(map, addrp, size, NULL, 0, 0, UVM_MAPFLAG(prot,
	    PROT_MASK, (flags & MAP_SHARED) ? MAP_INHERIT_SHARE :
	    MAP_INHERIT_COPY, MADV_NORMAL, uflags)));
}

int
uvm_tb_munmap(struct proc *p, vaddr_t addr, vsize_t len)
{
	struct vm_map *map = &p->p_vmspace->vm_map;
	vaddr_t end;

	len += addr & PAGE_MASK;
	addr = trunc_page(addr);
	len = round_page(len);
	end = addr + len;
	if (end < addr)
		return (EINVAL);
	if (len == 0)
		return (0);
	if (addr < map->min_offset || end > map->max_offset)
		return (EINVAL);
	if (map_range_immutable(map, addr, end))
		return (EPERM);
	uvm_unmap(map, addr, end);
	return (0);
}

int
uvm_tb_mprotect(struct proc *p, vaddr_t addr, vsize_t len, int prot)
{
	struct vm_map *map = &p->p_vmspace->vm_map;

	if (prot & ~PROT_MASK)
		return (EINVAL);
	len += addr & PAGE_MASK;
	addr = trunc_page(addr);
	if (addr + len < addr)
		return (EINVAL);
	if (addr < map->min_offset || addr + len > map->max_offset)
		return (ENOMEM);
	return (map_protect(map, addr, addr + len, prot, 1));
}

/*
 * copyin(9) and friends.  A user range is valid only if all of it lies
 * in mappings of the current process with the needed protection (or in
 * the user image: program data shared by all processes).
 */
int
uvm_tb_user_ok(struct proc *p, const void *uaddr, size_t len, int prot)
{
	vaddr_t va = (vaddr_t)uaddr, end = va + len;
	struct vm_map *map;
	struct vm_map_entry *e;

	if (end < va)
		return (0);
	if (p == NULL || p->p_p->ps_tbslot < 0 || p->p_vmspace == NULL)
		return (0);
	if (va >= (vaddr_t)__user_image_start &&
	    end <= (vaddr_t)__user_image_end)
		return (1);
	if (va >= (vaddr_t)__user_bss_start && end <= (vaddr_t)__user_bss_end)
		return (1);
	if (va >= tb_ustack_lo && end <= tb_ustack_hi)
		return (1);
	map = &p->p_vmspace->vm_map;
	if (va < map->min_offset || end > map->max_offset)
		return (0);
	while (va < end) {
		e = map_lookup(map, va);
		if (e == NULL || (e->e_prot & prot) != prot)
			return (0);
		va = e->e_end;
	}
	return (1);
}

int
copyin(const void *uaddr, void *kaddr, size_t len)
{
	if (len == 0)
		return (0);
	if (!uvm_tb_user_ok(curproc, uaddr, len, PROT_READ))
		return (EFAULT);
	memcpy(kaddr, uaddr, len);
	return (0);
}

int
copyout(const void *kaddr, void *uaddr, size_t len)
{
	if (len == 0)
		return (0);
	if (!uvm_tb_user_ok(curproc, uaddr, len, PROT_WRITE))
		return (EFAULT);
	memcpy(uaddr, kaddr, len);
	return (0);
}

int
copyin32(const uint32_t *uaddr, uint32_t *kaddr)
{
	if ((vaddr_t)uaddr & 3)
		return (EFAULT);
	return (copyin(uaddr, kaddr, sizeof(*kaddr)));
}

static int
copystr_user(const char *src, char *dst, size_t len, size_t *done,
    int prot, int user_is_src)
{
	const char *uaddr = user_is_src ? src : dst;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i == 0 || (((vaddr_t)uaddr + i) & PAGE_MASK) == 0) {
			if (!uvm_tb_user_ok(curproc, uaddr + i, 1, prot)) {
				if (done != NULL)
					*done = i;
				return (EFAULT);
			}
		}
		dst[i] = src[i];
		if (src[i] == '\0') {
			if (done != NULL)
				*done = i + 1;
			return (0);
		}
	}
	if (done != NULL)
		*done = len;
	return (ENAMETOOLONG);
}

int
copyinstr(const void *uaddr, void *kaddr, size_t len, size_t *done)
{
	return (copystr_user(uaddr, kaddr, len, done, PROT_READ, 1));
}

int
copyoutstr(const void *kaddr, void *uaddr, size_t len, size_t *done)
{
	return (copystr_user(kaddr, uaddr, len, done, PROT_WRITE, 0));
}

int
kcopy(const void *from, void *to, size_t len)
{
	memmove(to, from, len);
	return (0);
}

/*
 * km_alloc(9): physically contiguous pages, returned at their direct
 * mapped address (VA == PA).
 */
void *
km_alloc(size_t sz, const struct kmem_va_mode *kv,
    const struct kmem_pa_mode *kp, const struct kmem_dyn_mode *kd)
{
	struct uvm_constraint_range *cr;
	paddr_t pa, align;
	size_t npages;

	if (sz == 0 || (sz & PAGE_MASK))
		panic("km_alloc: size %zu is not a multiple of PAGE_SIZE", sz);
	if (kp->kp_nomem)
		panic("km_alloc: kp_nomem (VA-only allocations) is not "
		    "supported by the testbed");
	if (kv->kv_singlepage && sz != PAGE_SIZE)
		panic("km_alloc: kv_singlepage with size %zu", sz);
	npages = atop(sz);
	align = PAGE_SIZE;
	if (kp->kp_align > align)
		align = kp->kp_align;
	if (kv->kv_align > align)
		align = kv->kv_align;
	cr = kp->kp_constraint != NULL ? kp->kp_constraint : &no_constraint;
	pa = pmem_alloc_range(npages, align, cr->ucr_low, cr->ucr_high,
	    kp->kp_boundary, kp->kp_zero ? PMEM_ZERO : 0);
	if (pa == 0) {
		if (kd->kd_waitok)
			panic("km_alloc: out of memory for %zu pages "
			    "(kd_waitok would sleep forever)", npages);
		return (NULL);
	}
	if (!kp->kp_zero)
		memset((void *)pa, 0xdf, sz);
	tbstat.km_pages += npages;
	return ((void *)pa);
}

void
km_free(void *v, size_t sz, const struct kmem_va_mode *kv,
    const struct kmem_pa_mode *kp)
{
	(void)kv;
	(void)kp;
	if (((vaddr_t)v & PAGE_MASK) || sz == 0 || (sz & PAGE_MASK))
		panic("km_free: bad address %p or size %zu", v, sz);
	pmem_free((paddr_t)v, atop(sz));
	tbstat.km_pages -= atop(sz);
}

/*
 * pmaps.  Guest pmaps have real 4-level tables whose entry format is
 * set by pm_type (see <machine/pmap.h>).
 */

static int
gpte_valid(struct pmap *pm, uint64_t e)
{
	if (pm->pm_type == PMAP_TYPE_EPT)
		return ((e & (EPT_R | EPT_W | EPT_X)) != 0);
	return ((e & PG_V) != 0);
}

static uint64_t
gpte_table(struct pmap *pm, paddr_t pa)
{
	if (pm->pm_type == PMAP_TYPE_EPT)
		return (pa | EPT_R | EPT_W | EPT_X);
	return (pa | PG_V | PG_RW | PG_U);
}

static uint64_t
gpte_leaf(struct pmap *pm, paddr_t pa, vm_prot_t prot)
{
	uint64_t e = pa & PG_FRAME;

	if (pm->pm_type == PMAP_TYPE_EPT) {
		if (prot & PROT_READ)
			e |= EPT_R;
		if (prot & PROT_WRITE)
			e |= EPT_W | EPT_R;
		if (prot & PROT_EXEC)
			e |= EPT_X;
		if ((e & (EPT_R | EPT_W | EPT_X)) == 0)
			e |= EPT_R;
		return (e | EPT_WB);
	}
	return (e | PG_V | PG_U | ((prot & PROT_WRITE) ? PG_RW : 0));
}

/* Leaf entry for va; with alloc, create missing tables. */
static uint64_t *
gpte_lookup(struct pmap *pm, vaddr_t va, int alloc)
{
	uint64_t *table = pm->pm_pdir, *e;
	int level, shift;
	paddr_t pa;

	for (level = 4; level > 1; level--) {
		shift = 12 + 9 * (level - 1);
		e = &table[(va >> shift) & 511];

		if (!gpte_valid(pm, *e)) {
			if (!alloc)
				return (NULL);
			pa = pmem_alloc(1, 0, PMEM_ZERO);
			if (pa == 0)
				return (NULL);
			pm->pm_tbptpages++;
			*e = gpte_table(pm, pa);
		}
		table = (uint64_t *)(*e & PG_FRAME);
	}
	return (&table[(va >> 12) & 511]);
}

static void
gpte_free_tables(struct pmap *pm, uint64_t *table, int level)
{
	int i;

	if (level > 1) {
		for (i = 0; i < 512; i++) {
			if (gpte_valid(pm, table[i])) {
				gpte_free_tables(pm,
				    (uint64_t *)(table[i] & PG_FRAME), level - 1);
				table[i] = 0;
			}
		}
	}
	if (level < 4) {
		pmem_free((paddr_t)table, 1);
		pm->pm_tbptpages--;
	}
}

struct pmap *
pmap_create(void)
{
	struct pmap *pm;

	pm = malloc(sizeof(*pm), M_VMPMAP, M_WAITOK | M_ZERO);
	pm->pm_pdirpa = pmem_alloc(1, 0, PMEM_ZERO);
	if (pm->pm_pdirpa == 0)
		panic("pmap_create: out of memory");
	pm->pm_pdir = (uint64_t *)pm->pm_pdirpa;
	pm->pm_type = PMAP_TYPE_NORMAL;
	pm->pm_refs = 1;
	pm->pm_tbkind = TB_PMAP_GUEST;
	pm->pm_tbslot = -1;
	tbstat.pmaps++;
	return (pm);
}

void
pmap_reference(struct pmap *pm)
{
	pm->pm_refs++;
}

void
pmap_destroy(struct pmap *pm)
{
	if (pm->pm_tbkind != TB_PMAP_GUEST)
		panic("pmap_destroy: not a pmap from pmap_create()");
	if (pm->pm_refs <= 0)
		panic("pmap_destroy: pmap %p has no references", pm);
	if (--pm->pm_refs > 0)
		return;
	gpte_free_tables(pm, pm->pm_pdir, 4);
	if (pm->pm_tbptpages != 0)
		panic("pmap_destroy: %lu table pages lost", pm->pm_tbptpages);
	pmem_free(pm->pm_pdirpa, 1);
	free(pm, M_VMPMAP, sizeof(*pm));
	tbstat.pmaps--;
}

void
pmap_convert(struct pmap *pm, int mode)
{
	if (pm->pm_tbkind != TB_PMAP_GUEST)
		panic("pmap_convert: not a pmap from pmap_create()");
	if (mode != PMAP_TYPE_NORMAL && mode != PMAP_TYPE_EPT &&
	    mode != PMAP_TYPE_RVI)
		panic("pmap_convert: bad mode %d", mode);
	if (pm->pm_stats.resident_count != 0 || pm->pm_tbptpages != 0)
		panic("pmap_convert: pmap %p is not empty", pm);
	pm->pm_type = mode;
	if (mode == PMAP_TYPE_EPT)
		pm->eptp = pm->pm_pdirpa | EPTP_WB | EPTP_WALK4;
}

int
pmap_enter(struct pmap *pm, vaddr_t va, paddr_t pa, vm_prot_t prot, int flags)
{
	uint64_t *pte;

	if (pm->pm_tbkind != TB_PMAP_GUEST)
		panic("pmap_enter: only guest pmaps (pmap_create) are "
		    "supported");
	pte = gpte_lookup(pm, trunc_page(va), 1);
	if (pte == NULL) {
		if (flags & PMAP_CANFAIL)
			return (ENOMEM);
		panic("pmap_enter: out of memory");
	}
	if (!gpte_valid(pm, *pte))
		pm->pm_stats.resident_count++;
	*pte = gpte_leaf(pm, pa, prot);
	if (flags & PMAP_WIRED)
		pm->pm_stats.wired_count++;
	return (0);
}

void
pmap_remove(struct pmap *pm, vaddr_t sva, vaddr_t eva)
{
	uint64_t *pte;
	vaddr_t va;

	if (pm->pm_tbkind != TB_PMAP_GUEST)
		panic("pmap_remove: only guest pmaps (pmap_create) are "
		    "supported");
	for (va = trunc_page(sva); va < eva && va >= trunc_page(sva);
	    va += PAGE_SIZE) {
		pte = gpte_lookup(pm, va, 0);
		if (pte == NULL) {
			va = rounddown(va, NBPD_L2) + NBPD_L2 - PAGE_SIZE;
			continue;
		}
		if (gpte_valid(pm, *pte)) {
			*pte = 0;
			pm->pm_stats.resident_count--;
		}
	}
}

int
pmap_extract(struct pmap *pm, vaddr_t va, paddr_t *pap)
{
	uint64_t *pte;

	switch (pm->pm_tbkind) {
	case TB_PMAP_KERNEL:
		if (va < PAGE_SIZE || va >= 0x100000000UL)
			return (0);
		if (pap != NULL)
			*pap = va;
		return (1);
	case TB_PMAP_PROCESS:
		if (va_slot(va) != pm->pm_tbslot)
			return (0);
		pte = uw_pte(va, 0);
		if (pte == NULL || (*pte & PG_V) == 0)
			return (0);
		break;
	case TB_PMAP_GUEST:
		pte = gpte_lookup(pm, va, 0);
		if (pte == NULL || !gpte_valid(pm, *pte))
			return (0);
		break;
	default:
		panic("pmap_extract: bad pmap %p", pm);
	}
	if (pap != NULL)
		*pap = (*pte & PG_FRAME) | (va & PAGE_MASK);
	return (1);
}

void
pmap_kenter_pa(vaddr_t va, paddr_t pa, int prot)
{
	(void)prot;
	if (va != pa)
		panic("pmap_kenter_pa: only the direct map (va == pa) exists");
}

void
pmap_kremove(vaddr_t va, vsize_t len)
{
	(void)va;
	(void)len;
}

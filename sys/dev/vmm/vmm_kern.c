/*	$vmm-rs: vmm_kern.c $	*/
/*
 * Copyright (c) 2026 The vmm-rs authors.
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The kernel services of vmm_kern.h on OpenBSD's kernel API.  Each
 * function is a direct use of one kernel primitive; policy lives in Rust.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/atomic.h>
#include <sys/malloc.h>
#include <sys/pool.h>
#include <sys/proc.h>
#include <sys/pledge.h>
#include <sys/refcnt.h>
#include <sys/rwlock.h>
#include <sys/signalvar.h>
#include <sys/time.h>
#include <sys/user.h>

#include <uvm/uvm_extern.h>
#include <uvm/uvm_aobj.h>

#include <machine/cpu.h>
#include <machine/codepatch.h>
#include <machine/cpufunc.h>
#include <machine/fpu.h>
#include <machine/intr.h>
#include <machine/pmap.h>
#include <machine/segments.h>

#include "vmm_kern.h"

CTASSERT(sizeof(struct rwlock) <= sizeof(struct vmmk_rwlock));
CTASSERT(_Alignof(struct rwlock) <= _Alignof(struct vmmk_rwlock));
CTASSERT(sizeof(struct refcnt) <= sizeof(struct vmmk_refcnt));
CTASSERT(_Alignof(struct refcnt) <= _Alignof(struct vmmk_refcnt));
/* vmm_kern.h names these kernel functions' flags itself. */
CTASSERT(VMMK_RW_WRITE == RW_WRITE);
CTASSERT(VMMK_RW_READ == RW_READ);
CTASSERT(VMMK_RW_NOSLEEP == RW_NOSLEEP);
CTASSERT(VMMK_RW_INTR == RW_INTR);
/* The tag the Rust world switch records its MDS region under. */
CTASSERT(VMMK_CPTAG_MDS_VMM == CPTAG_MDS_VMM);

#define RWL(l)	((struct rwlock *)(l))
#define RC(r)	((struct refcnt *)(r))
#define PROC(p)	((struct proc *)(p))
#define UOBJ(u)	((struct uvm_object *)(u))
#define PMAP(m)	((struct pmap *)(m))

/* The TSC's rate and whether it is invariant, from tsc.c; no header
 * declares them. */
extern uint64_t tsc_frequency;
extern int tsc_is_invariant;

void
vmmk_rw_init(struct vmmk_rwlock *l, const char *name)
{
	rw_init(RWL(l), name);
}







int
vmmk_rwsleep_intr(const volatile void *ident, struct vmmk_rwlock *l,
    const char *wmesg)
{
	return (rwsleep_nsec(ident, RWL(l), PWAIT | PCATCH, wmesg, INFSLP));
}

void
vmmk_wakeup(const volatile void *ident)
{
	wakeup(ident);
}






/* The driver's pools: "vmpool" and "vcpupl", as upstream. */
static struct pool	vmmk_pools[VMMK_NPOOLS];
static size_t		vmmk_pool_size[VMMK_NPOOLS];
static size_t		vmmk_pool_align[VMMK_NPOOLS];

void
vmmk_pool_init(unsigned int i, size_t size, size_t align, const char *name)
{
	if (i >= VMMK_NPOOLS || vmmk_pool_size[i] != 0)
		return;
	vmmk_pool_size[i] = size;
	vmmk_pool_align[i] = align;
	pool_init(&vmmk_pools[i], size, align, IPL_MPFLOOR, PR_WAITOK, name,
	    NULL);
}

void *
vmmk_pool_get(unsigned int i, size_t size, size_t align)
{
	if (i >= VMMK_NPOOLS || size > vmmk_pool_size[i] ||
	    align > vmmk_pool_align[i])
		return (NULL);
	return (pool_get(&vmmk_pools[i], PR_WAITOK | PR_ZERO));
}

void
vmmk_pool_put(unsigned int i, void *obj)
{
	if (i < VMMK_NPOOLS)
		pool_put(&vmmk_pools[i], obj);
}

void *
vmmk_malloc(size_t size)
{
	return (malloc(size, M_DEVBUF, M_NOWAIT | M_ZERO));
}

void
vmmk_free(void *p, size_t size)
{
	free(p, M_DEVBUF, size);
}

/* Physically contiguous, page-aligned, zeroed: for hardware structures. */
static const struct kmem_pa_mode vmmk_kp_contig = {
	.kp_constraint = &no_constraint,
	.kp_maxseg = 1,
	.kp_align = PAGE_SIZE,
	.kp_zero = 1,
};

void *
vmmk_pages_alloc(size_t npages, paddr_t *pa)
{
	vaddr_t va;

	if (npages == 0 || npages > SIZE_MAX / PAGE_SIZE)
		return (NULL);
	va = (vaddr_t)km_alloc(npages * PAGE_SIZE, &kv_any, &vmmk_kp_contig,
	    &kd_waitok);
	if (va == 0)
		return (NULL);
	if (!pmap_extract(pmap_kernel(), va, pa)) {
		km_free((void *)va, npages * PAGE_SIZE, &kv_any,
		    &vmmk_kp_contig);
		return (NULL);
	}
	return ((void *)va);
}

void
vmmk_pages_free(void *va, size_t npages)
{
	km_free(va, npages * PAGE_SIZE, &kv_any, &vmmk_kp_contig);
}

struct vmmk_uobj *
vmmk_uao_create(size_t size)
{
	return ((struct vmmk_uobj *)uao_create(size, UAO_FLAG_CANFAIL));
}

void
vmmk_uao_reference(struct vmmk_uobj *u)
{
	uao_reference(UOBJ(u));
}

void
vmmk_uao_detach(struct vmmk_uobj *u)
{
	uao_detach(UOBJ(u));
}

int
vmmk_map_guest(struct vmmk_proc *p, vaddr_t *va, size_t size,
    struct vmmk_uobj *u)
{
	unsigned int flags;

	flags = UVM_MAPFLAG(PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
	    MAP_INHERIT_NONE, MADV_NORMAL, UVM_FLAG_CONCEAL);
	return (uvm_map(&PROC(p)->p_p->ps_vmspace->vm_map, va, size,
	    UOBJ(u), 0, 0, flags));
}

int
vmmk_map_immutable(struct vmmk_proc *p, vaddr_t start, vaddr_t end)
{
	return (uvm_map_immutable(&PROC(p)->p_p->ps_vmspace->vm_map, start,
	    end, 1));
}

void
vmmk_unmap(struct vmmk_proc *p, vaddr_t start, vaddr_t end)
{
	uvm_unmap(&PROC(p)->p_p->ps_vmspace->vm_map, start, end);
}

struct vmmk_pmap *
vmmk_pmap_create(void)
{
	return ((struct vmmk_pmap *)pmap_create());
}

void
vmmk_pmap_reference(struct vmmk_pmap *pm)
{
	pmap_reference(PMAP(pm));
}

void
vmmk_pmap_destroy(struct vmmk_pmap *pm)
{
	pmap_destroy(PMAP(pm));
}

void
vmmk_pmap_remove(struct vmmk_pmap *pm, vaddr_t sva, vaddr_t eva)
{
	pmap_remove(PMAP(pm), sva, eva);
}

size_t
vmmk_pmap_resident_count(struct vmmk_pmap *pm)
{
	return (pmap_resident_count(PMAP(pm)));
}



struct vmmk_proc *
vmmk_curproc(void)
{
	return ((struct vmmk_proc *)curproc);
}

int
vmmk_pledge_fail(struct vmmk_proc *p, int error)
{
	return (pledge_fail(PROC(p), error, PLEDGE_VMM));
}

int
vmmk_thread_check(void)
{
	int c = 0;

	if (SIGPENDING(curproc) != 0)
		c |= VMMK_CHECK_SIGNAL;
	if (curcpu()->ci_schedstate.spc_schedflags & SPCF_SHOULDYIELD)
		c |= VMMK_CHECK_YIELD;
	return (c);
}

void
vmmk_pmap_convert(struct vmmk_pmap *pm, int ept)
{
	pmap_convert(PMAP(pm), ept ? PMAP_TYPE_EPT : PMAP_TYPE_RVI);
}

uint64_t
vmmk_pmap_root(struct vmmk_pmap *pm)
{
	return (PMAP(pm)->pm_pdirpa);
}

void
vmmk_pmap_set_eptp(struct vmmk_pmap *pm, uint64_t eptp)
{
	PMAP(pm)->eptp = eptp;
}

int
vmmk_pmap_extract(struct vmmk_pmap *pm, paddr_t gpa, paddr_t *hpa)
{
	return (pmap_extract(PMAP(pm), gpa, hpa));
}

int
vmmk_guest_fault(struct vmmk_proc *p, struct vmmk_pmap *pm, vaddr_t hva,
    paddr_t gpa)
{
	struct vm_map *map = &PROC(p)->p_vmspace->vm_map;
	paddr_t hpa;
	int ret;

	if (!pmap_extract(map->pmap, hva, &hpa)) {
		ret = uvm_fault_wire(map, hva, hva + PAGE_SIZE,
		    PROT_READ | PROT_WRITE);
		if (ret)
			return (ret);
		if (!pmap_extract(map->pmap, hva, &hpa))
			return (EINVAL);
	}
	return (pmap_enter(PMAP(pm), trunc_page(gpa), hpa,
	    PROT_READ | PROT_WRITE | PROT_EXEC, 0));
}

int
vmmk_guest_rw(struct vmmk_pmap *pm, paddr_t gpa, void *buf, size_t len,
    int write)
{
	paddr_t hpa;
	size_t n;
	char *p = buf;

	while (len > 0) {
		if (!pmap_extract(PMAP(pm), trunc_page(gpa), &hpa))
			return (EFAULT);
		n = MIN(len, PAGE_SIZE - (gpa & PAGE_MASK));
		if (write)
			memcpy((void *)PMAP_DIRECT_MAP(hpa + (gpa & PAGE_MASK)),
			    p, n);
		else
			memcpy(p, (void *)PMAP_DIRECT_MAP(hpa +
			    (gpa & PAGE_MASK)), n);
		gpa += n;
		p += n;
		len -= n;
	}
	return (0);
}

uint64_t
vmmk_tsc_frequency(void)
{
	return (tsc_frequency);
}

int
vmmk_tsc_is_invariant(void)
{
	return (tsc_is_invariant);
}

uint64_t
vmmk_nanouptime(void)
{
	struct timespec ts;

	nanouptime(&ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
}

void
vmmk_nanoboottime(uint64_t *sec, uint32_t *nsec)
{
	struct timespec ts;

	nanoboottime(&ts);
	*sec = ts.tv_sec;
	*nsec = ts.tv_nsec;
}

int
vmmk_cpu_vmm_on(void)
{
	return ((curcpu()->ci_flags & CPUF_VMM) != 0);
}

void
vmmk_cpu_set_vmm_on(int on)
{
	if (on)
		atomic_setbits_int(&curcpu()->ci_flags, CPUF_VMM);
	else
		atomic_clearbits_int(&curcpu()->ci_flags, CPUF_VMM);
}

void
vmmk_broadcast_vmm(int start)
{
#ifdef MULTIPROCESSOR
	struct cpu_info *ci, *self = curcpu();
	CPU_INFO_ITERATOR cii;

	x86_broadcast_ipi(start ? X86_IPI_START_VMM : X86_IPI_STOP_VMM);
	CPU_INFO_FOREACH(cii, ci) {
		if (ci == self)
			continue;
		while (((ci->ci_flags & CPUF_VMM) != 0) != (start != 0))
			CPU_BUSY_CYCLE();
	}
#endif
}

unsigned int
vmmk_cpu_id(void)
{
	return (cpu_number());
}

void
vmmk_cpu_kick(unsigned int n)
{
#ifdef MULTIPROCESSOR
	struct cpu_info *ci;
	CPU_INFO_ITERATOR cii;

	CPU_INFO_FOREACH(cii, ci) {
		if (ci->ci_cpuid == n) {	/* cpu_number() */
			x86_send_ipi(ci, X86_IPI_NOP);
			return;
		}
	}
#else
	/* One CPU: the caller's, so the vcpu is not in guest mode. */
	(void)n;
#endif
}

uint64_t
vmmk_cpu_vmxon_region(uint32_t revision)
{
	struct cpu_info *ci = curcpu();

	if (ci->ci_vmxon_region == NULL)
		return (0);
	memset(ci->ci_vmxon_region, 0, PAGE_SIZE);
	ci->ci_vmxon_region->vr_revision = revision;
	return (ci->ci_vmxon_region_pa);
}

/*
 * pmap_shootept sends its INVEPT IPIs to the CPUs whose ci_ept_pmap is
 * the pmap.  Both came after 7.6 (LAPIC_IPI_INVEPT, late 2024), whose
 * pmap_remove_ept invalidates on the current CPU only: nothing to record.
 */
void
vmmk_cpu_set_ept_pmap(struct vmmk_pmap *pm)
{
#if OpenBSD >= 202504
	atomic_swap_ptr(&curcpu()->ci_ept_pmap, PMAP(pm));
#else
	(void)pm;
#endif
}

uint64_t
vmmk_xsave_mask(void)
{
	return (xsave_mask);
}

size_t
vmmk_fpu_area_size(void)
{
	return (sizeof(struct savefpu));
}

int
vmmk_fpu_enter_guest(void *area, int loaded, uint64_t xcr0)
{
	struct cpu_info *ci = curcpu();

	/* Save the thread's user FPU state if it is live on this CPU. */
	if (ci->ci_pflags & CPUPF_USERXSTATE) {
		ci->ci_pflags &= ~CPUPF_USERXSTATE;
		fpusavereset(&curproc->p_addr->u_pcb.pcb_savefpu);
	}
	if (loaded)
		xrstor_kern(area, xsave_mask);
	if (xsave_mask && xsetbv_user(0, xcr0))
		return (EINVAL);
	return (0);
}

uint64_t
vmmk_fpu_exit_guest(void *area)
{
	uint64_t xcr0 = 0;

	if (xsave_mask) {
		xcr0 = xgetbv(0);
		xsetbv(0, xsave_mask & XFEATURE_XCR0_MASK);
	}
	fpusavereset(area);
	return (xcr0);
}

void
vmmk_log(const char *fmt, unsigned long a, unsigned long b)
{
	printf(fmt, a, b);
}

void
vmmk_panic(const char *msg)
{
	panic("%s", msg);
}

/*
 * vmm_kern.h: the kernel services the Rust vmm(4) driver uses.
 *
 * This is the whole of what the Rust code needs from the OpenBSD kernel.
 * sys/dev/vmm/vmm_kern.c implements it on the real kernel API; the testbed
 * links the same file against its own implementation of that API; the
 * Rust crate `vmm-openbsd` binds it (bindgen) and wraps it in safe types.
 * Nothing else in Rust calls into C.  The services every ioctl uses
 * (rwlock, refcnt, copyin/copyout) are the kernel's own functions, named
 * here by their assembler names (__asm__): the Rust side calls them
 * directly, with no wrapper in vmm_kern.c between.
 *
 * Include <sys/types.h> (or the host compat header) first.
 *
 * Two parts: the machine-independent services, which the MI driver
 * (rust/core) uses through the Rust trait `Kernel`, and the amd64 ones
 * below them, which only the MD driver (rust/amd64) uses, through
 * `KernelAmd64`.
 *
 * Conventions: functions that can fail return 0 or an errno value.
 * Pointers to opaque structures are kernel objects the Rust side never
 * looks into; it holds a reference to each one it passes (uvm objects,
 * pmaps).  Storage structures (vmmk_rwlock, vmmk_refcnt) are embedded in
 * Rust-owned memory, initialised there, and moved only while no thread
 * holds, waits for or sleeps on them (neither kernel object depends on
 * its address then); the glue checks at compile time that the kernel
 * object fits.
 */
#ifndef VMM_KERN_H
#define VMM_KERN_H

/* Storage for a struct rwlock, initialised in place by vmmk_rw_init. */
struct vmmk_rwlock {
	uint64_t	vkr_storage[8];
};

/* Storage for a struct refcnt, initialised in place by vmmk_refcnt_init. */
struct vmmk_refcnt {
	uint64_t	vkc_storage[2];
};

struct vmmk_proc;	/* struct proc */
struct vmmk_uobj;	/* struct uvm_object (anonymous guest memory) */
struct vmmk_pmap;	/* struct pmap (a guest-physical address space) */

/*
 * Machine-independent services.
 */

/*
 * Reader/writer locks, rwlock(9), and reference counts, refcnt_init(9).
 * Taken on every ioctl, so the Rust side calls the kernel's own
 * functions for them, by their assembler names, not wrappers in
 * vmm_kern.c: the storage above is the kernel's structure, passed by
 * pointer as the kernel passes its own.  vmmk_rw_enter's flags are
 * rw_enter(9)'s, VMMK_RW_* below (vmm_kern.c checks them against
 * <sys/rwlock.h>).
 */
#define VMMK_RW_WRITE		0x01
#define VMMK_RW_READ		0x02
#define VMMK_RW_NOSLEEP		0x40
#define VMMK_RW_INTR		0x10
void	vmmk_rw_init(struct vmmk_rwlock *, const char *);
void	vmmk_rw_enter_read(struct vmmk_rwlock *) __asm__("rw_enter_read");
void	vmmk_rw_enter_write(struct vmmk_rwlock *) __asm__("rw_enter_write");
int	vmmk_rw_enter(struct vmmk_rwlock *, int) __asm__("rw_enter");
void	vmmk_rw_exit_read(struct vmmk_rwlock *) __asm__("rw_exit_read");
void	vmmk_rw_exit_write(struct vmmk_rwlock *) __asm__("rw_exit_write");

/* Sleep on ident with the lock held; PWAIT|PCATCH, no timeout. */
int	vmmk_rwsleep_intr(const volatile void *, struct vmmk_rwlock *,
	    const char *);
void	vmmk_wakeup(const volatile void *);

/* vmmk_refcnt_rele: 1 if it was the last reference. */
void	vmmk_refcnt_init(struct vmmk_refcnt *) __asm__("refcnt_init");
void	vmmk_refcnt_take(struct vmmk_refcnt *) __asm__("refcnt_take");
int	vmmk_refcnt_rele(struct vmmk_refcnt *) __asm__("refcnt_rele");
void	vmmk_refcnt_rele_wake(struct vmmk_refcnt *) __asm__("refcnt_rele_wake");
void	vmmk_refcnt_finalize(struct vmmk_refcnt *, const char *)
	    __asm__("refcnt_finalize");

/* Fixed-size object pools, pool_init(9); objects come zeroed. */
#define VMMK_POOL_VM		0
#define VMMK_POOL_VCPU		1
#define VMMK_POOL_VCPUFPU	2
#define VMMK_NPOOLS		3
void	 vmmk_pool_init(unsigned int, size_t, size_t, const char *);
void	*vmmk_pool_get(unsigned int, size_t, size_t);	/* size, align */
void	 vmmk_pool_put(unsigned int, void *);

/* Short-lived zeroed buffers, malloc(9) M_DEVBUF|M_NOWAIT; may fail. */
void	*vmmk_malloc(size_t);
void	 vmmk_free(void *, size_t);

/* Physically contiguous, page-aligned, zeroed pages; km_alloc(9). */
void	*vmmk_pages_alloc(size_t, paddr_t *);
void	 vmmk_pages_free(void *, size_t);

/* Guest memory objects, uao_create(9); may fail (UAO_FLAG_CANFAIL). */
struct vmmk_uobj	*vmmk_uao_create(size_t);
void	 vmmk_uao_reference(struct vmmk_uobj *);
void	 vmmk_uao_detach(struct vmmk_uobj *);

/*
 * The calling process's address space, uvm_map(9).  vmmk_map_guest maps
 * an object read/write, not inherited, concealed; the mapping owns one
 * reference to the object.  *va is a hint on input, the address on output.
 */
int	vmmk_map_guest(struct vmmk_proc *, vaddr_t *, size_t,
	    struct vmmk_uobj *);
int	vmmk_map_immutable(struct vmmk_proc *, vaddr_t, vaddr_t);
void	vmmk_unmap(struct vmmk_proc *, vaddr_t, vaddr_t);

/* Guest-physical address spaces, pmap(9); destroy drops a reference. */
struct vmmk_pmap	*vmmk_pmap_create(void);
void	 vmmk_pmap_reference(struct vmmk_pmap *);
void	 vmmk_pmap_destroy(struct vmmk_pmap *);
void	 vmmk_pmap_remove(struct vmmk_pmap *, vaddr_t, vaddr_t);
size_t	 vmmk_pmap_resident_count(struct vmmk_pmap *);

/* User memory of the current process: copyin(9)/copyout(9) themselves. */
int	vmmk_copyin(const void *, void *, size_t) __asm__("copyin");
int	vmmk_copyout(const void *, void *, size_t) __asm__("copyout");

/* The current process and its pledge(2) promises. */
#define VMMK_PLEDGE_PROC	0x1
#define VMMK_PLEDGE_VMM		0x2
/*
 * The process behind an ioctl, with its pid and promises, comes with the
 * call (vmm_rs.h); curproc is for the rest.
 */
struct vmmk_proc	*vmmk_curproc(void);
int	 vmmk_pledge_fail(struct vmmk_proc *, int);
/* After each exit: a signal pending for curproc, the CPU wanted back. */
#define VMMK_CHECK_SIGNAL	0x1
#define VMMK_CHECK_YIELD	0x2
int	 vmmk_thread_check(void);

/* Time: nanouptime (ns), nanoboottime. */
uint64_t vmmk_nanouptime(void);
void	 vmmk_nanoboottime(uint64_t *, uint32_t *);

/* Console; the Rust side formats nothing itself. */
void	vmmk_log(const char *, unsigned long, unsigned long);
__attribute__((__noreturn__)) void	vmmk_panic(const char *);

/*
 * amd64 services of the machine-dependent layer.
 */
/* pmap_convert() to RVI (0) or EPT (1); pm_pdirpa; set pm->eptp. */
void	 vmmk_pmap_convert(struct vmmk_pmap *, int);
uint64_t vmmk_pmap_root(struct vmmk_pmap *);
void	 vmmk_pmap_set_eptp(struct vmmk_pmap *, uint64_t);
int	 vmmk_pmap_extract(struct vmmk_pmap *, paddr_t, paddr_t *);
/* Wire the page at hva of the process and enter gpa -> it, RWX. */
int	 vmmk_guest_fault(struct vmmk_proc *, struct vmmk_pmap *, vaddr_t,
	    paddr_t);
/* Copy guest-physical memory out (0) or in (1) through the direct map. */
int	 vmmk_guest_rw(struct vmmk_pmap *, paddr_t, void *, size_t, int);
/* The TSC: frequency (Hz), invariant. */
uint64_t vmmk_tsc_frequency(void);
int	 vmmk_tsc_is_invariant(void);
/* CPUF_VMM of the current CPU; start/stop on the others and wait. */
int	 vmmk_cpu_vmm_on(void);
void	 vmmk_cpu_set_vmm_on(int);
void	 vmmk_broadcast_vmm(int);
unsigned int	 vmmk_cpu_id(void);
/* An IPI (X86_IPI_NOP) to CPU n (a vmmk_cpu_id), which may be the current
 * one; any context, interrupts on or off.  Nothing for an unknown n. */
void	 vmmk_cpu_kick(unsigned int);
/* VMX: zero the current CPU's VMXON region (cpu.c allocates one per CPU),
 * stamp the revision in it and return its physical address; 0 if none. */
uint64_t vmmk_cpu_vmxon_region(uint32_t);
/* VMX: the EPT pmap the current CPU now runs a guest with (ci_ept_pmap),
 * which pmap_shootept's INVEPT IPIs follow. */
void	 vmmk_cpu_set_ept_pmap(struct vmmk_pmap *);
/*
 * VMX: the tag of <machine/codepatch.h> (CPTAG_MDS_VMM) under which the
 * Rust world switch records its MDS region before a VM entry, as the C
 * driver's vmx_enter_guest does, for cpu.c to patch at boot: a call to the
 * CPU model's software sequence where the microcode has no MD_CLEAR,
 * VERW, or nothing.
 */
#define VMMK_CPTAG_MDS_VMM	10
/* FPU: xsave_mask, sizeof(struct savefpu), guest enter/exit. */
uint64_t vmmk_xsave_mask(void);
size_t	 vmmk_fpu_area_size(void);
int	 vmmk_fpu_enter_guest(void *, int, uint64_t);
uint64_t vmmk_fpu_exit_guest(void *);

#endif /* VMM_KERN_H */

//! The kernel-services boundary of the Rust vmm(4).
//!
//! [`Kernel`] lists everything the driver needs from the host kernel, in
//! Rust terms.  Two implementations exist: `vmm-openbsd` (the C functions of
//! `ffi/vmm_kern.h`, implemented by `sys/` on OpenBSD's kernel API) and
//! `vmm-testkit` (a host test double with threads, an accounting allocator
//! and simulated processes).
//!
//! On top of the trait this crate builds the safe types the driver uses,
//! in the spirit of Rust-for-Linux's `kernel` crate: [`sync::RwLock`] with
//! RAII guards, [`sync::RefCount`], [`mem::PoolBox`], [`mem::Pages`],
//! [`mem::KBuf`], reference-owning handles for guest-memory objects and
//! pmaps, and typed user copies.  This crate and the FFI crates are the only
//! places with `unsafe`; the driver core forbids it.

#![no_std]

use core::ffi::CStr;
use core::ptr::NonNull;

pub mod errno;
pub mod mem;
pub mod once;
pub mod pod;
pub mod sync;
pub mod user;

pub use errno::{Errno, KResult};

/// The page size of amd64.
pub const PAGE_SIZE: usize = 4096;
/// Mask of the offset within a page.
pub const PAGE_MASK: u64 = (PAGE_SIZE as u64) - 1;

/// pledge(2) promises the driver looks at (`VMMK_PLEDGE_*`).
pub mod pledge {
    /// "proc": may fork; vmd's managing processes.
    pub const PROC: u32 = 0x1;
    /// "vmm": may use /dev/vmm at all.
    pub const VMM: u32 = 0x2;
}

/// The kernel's object pools the driver uses (`VMMK_POOL_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum PoolId {
    /// `struct vm` ("vmpool").
    Vm = 0,
    /// `struct vcpu` ("vcpupl").
    Vcpu = 1,
    /// A vcpu's guest FPU save area ("vcpufpu"; upstream keeps it inside
    /// `struct vcpu`): its own object, so that it is made zeroed in place
    /// and never copied through the kernel stack.
    VcpuFpu = 2,
}

/// [`Kernel::thread_check`]: the current thread's state seen from the run
/// loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadCheck {
    /// A signal is pending (`SIGPENDING(curproc)`).
    pub signal: bool,
    /// The scheduler asks the thread to yield (`SPCF_SHOULDYIELD`).
    pub yield_cpu: bool,
}

/// The services the driver needs from the kernel.
///
/// # Safety
///
/// Implementations must honour the contracts stated on each method: in
/// particular that pool and page memory is valid, zeroed, suitably aligned
/// and exclusively owned until it is given back, that lock storage behaves
/// as a reader/writer lock once initialised, and that copyin/copyout only
/// touch the kernel memory they are given.
pub unsafe trait Kernel: Copy + Send + Sync + 'static {
    /// Storage of one reader/writer lock; interior-mutable.
    type RwLockStorage: Send + Sync;
    /// Storage of one reference count; interior-mutable.
    type RefCntStorage: Send + Sync;
    /// A process (`struct proc *`).
    type Proc: Copy + PartialEq;
    /// An anonymous memory object backing guest RAM (`struct uvm_object *`).
    type Uobj: Copy + Send + Sync;
    /// A guest-physical address space (`struct pmap *`).
    type Pmap: Copy + Send + Sync;

    /// New, not yet initialised lock storage.
    fn rw_storage(&self) -> Self::RwLockStorage;
    /// Initialises the lock in place; it must not move afterwards.
    fn rw_init(&self, l: &Self::RwLockStorage, name: &'static CStr);
    /// Shared acquire; may sleep.
    fn rw_enter_read(&self, l: &Self::RwLockStorage);
    /// Shared acquire that a signal may interrupt (`RW_READ|RW_INTR`).
    fn rw_enter_read_intr(&self, l: &Self::RwLockStorage) -> KResult;
    /// Exclusive acquire; may sleep.
    fn rw_enter_write(&self, l: &Self::RwLockStorage);
    /// Exclusive acquire without sleeping; `EBUSY` if contended.
    fn rw_enter_write_try(&self, l: &Self::RwLockStorage) -> KResult;
    /// Releases a shared hold.
    fn rw_exit_read(&self, l: &Self::RwLockStorage);
    /// Releases an exclusive hold.
    fn rw_exit_write(&self, l: &Self::RwLockStorage);
    /// Sleeps on `ident`, dropping `l` (held in any mode) while asleep and
    /// taking it again before returning; a signal interrupts it
    /// (`rwsleep_nsec(ident, l, PWAIT|PCATCH, wmesg, INFSLP)`).
    fn rwsleep_intr(
        &self,
        ident: *const (),
        l: &Self::RwLockStorage,
        wmesg: &'static CStr,
    ) -> KResult;
    /// Wakes every sleeper on `ident`.
    fn wakeup(&self, ident: *const ());

    /// New, not yet initialised reference-count storage.
    fn refcnt_storage(&self) -> Self::RefCntStorage;
    /// Sets the count to 1.
    fn refcnt_init(&self, r: &Self::RefCntStorage);
    /// Adds a reference.
    fn refcnt_take(&self, r: &Self::RefCntStorage);
    /// Drops a reference; true if it was the last.
    fn refcnt_rele(&self, r: &Self::RefCntStorage) -> bool;
    /// Drops a reference and wakes a finaliser if it was the last.
    ///
    /// It takes a pointer, not a reference: once the count drops, another
    /// thread may free the object that holds it, while a reference
    /// argument would have to stay valid until the call returns.
    ///
    /// # Safety
    /// `r` points to initialised storage holding one of the caller's
    /// references, which this call drops.  The implementation must not
    /// access `*r` after the decrement (it may use the address as a wait
    /// channel).
    unsafe fn refcnt_rele_wake(&self, r: NonNull<Self::RefCntStorage>);
    /// Drops the caller's reference and sleeps until no other is left.
    fn refcnt_finalize(&self, r: &Self::RefCntStorage, wmesg: &'static CStr);

    /// Sets up a pool of objects of `size` bytes aligned to `align`.
    fn pool_init(&self, pool: PoolId, size: usize, align: usize, name: &'static CStr);
    /// A zeroed object from the pool, for an object of `size` bytes aligned
    /// to `align`; `None` if memory is exhausted or the pool was set up for
    /// smaller or less aligned objects.
    fn pool_get(&self, pool: PoolId, size: usize, align: usize) -> Option<NonNull<u8>>;
    /// Returns an object to its pool.
    ///
    /// # Safety
    /// `obj` came from `pool_get(pool)` and is not used afterwards.
    unsafe fn pool_put(&self, pool: PoolId, obj: NonNull<u8>);

    /// A zeroed, 8-byte aligned temporary buffer (`M_NOWAIT`); may fail.
    fn malloc(&self, size: usize) -> Option<NonNull<u8>>;
    /// Frees a buffer from [`Kernel::malloc`].
    ///
    /// # Safety
    /// `p` came from `malloc(size)` and is not used afterwards.
    unsafe fn free(&self, p: NonNull<u8>, size: usize);

    /// `npages` zeroed, physically contiguous, page-aligned pages and
    /// the physical address of the first; `None` if none can be had.
    fn pages_alloc(&self, npages: usize) -> Option<(NonNull<u8>, u64)>;
    /// Frees pages from [`Kernel::pages_alloc`].
    ///
    /// # Safety
    /// `va` came from `pages_alloc(npages)` and is not used afterwards.
    unsafe fn pages_free(&self, va: NonNull<u8>, npages: usize);

    /// A new anonymous memory object of `size` bytes with one reference.
    fn uao_create(&self, size: usize) -> Option<Self::Uobj>;
    /// Adds a reference to `u`.
    fn uao_reference(&self, u: Self::Uobj);
    /// Drops a reference to `u`; the last one frees it.
    fn uao_detach(&self, u: Self::Uobj);

    /// Maps `u` read/write, not inherited, concealed into `p`; the mapping
    /// owns one reference.  `va` is a hint in and the address out.
    fn map_guest(&self, p: Self::Proc, va: &mut u64, size: usize, u: Self::Uobj) -> KResult;
    /// Makes `[start, end)` of `p` immutable.
    fn map_immutable(&self, p: Self::Proc, start: u64, end: u64) -> KResult;
    /// Removes `[start, end)` from `p` (the kernel may remove immutable
    /// mappings), dropping the mappings' object references.
    fn unmap(&self, p: Self::Proc, start: u64, end: u64);

    /// A new guest-physical address space.
    fn pmap_create(&self) -> Option<Self::Pmap>;
    /// Destroys a pmap.
    fn pmap_destroy(&self, pm: Self::Pmap);
    /// Removes the mappings of `[sva, eva)` from `pm`.
    fn pmap_remove(&self, pm: Self::Pmap, sva: u64, eva: u64);
    /// Pages currently mapped in `pm`.
    fn pmap_resident_count(&self, pm: Self::Pmap) -> usize;

    /// Copies from the current process's memory at `uaddr`.
    fn copyin(&self, uaddr: u64, dst: &mut [u8]) -> KResult;
    /// Copies to the current process's memory at `uaddr`.
    fn copyout(&self, src: &[u8], uaddr: u64) -> KResult;

    /// The current process.
    fn curproc(&self) -> Self::Proc;
    /// Its process id.
    fn proc_pid(&self, p: Self::Proc) -> i32;
    /// Its promises, as [`pledge`] bits (0 when not pledged).
    fn proc_pledge(&self, p: Self::Proc) -> u32;
    /// Reports a pledge violation of "vmm" and returns the error to give.
    fn pledge_fail(&self, p: Self::Proc, e: Errno) -> Errno;
    /// What the run loop must know about the current thread after each
    /// exit: a signal pending for it, and whether the scheduler wants the
    /// CPU back.  One call for both, on the exit path.
    fn thread_check(&self) -> ThreadCheck;

    /// Prints `fmt` (a printf(9) format taking up to two `unsigned long`).
    fn log(&self, fmt: &'static CStr, a: u64, b: u64);

    // ---- amd64 services of the machine-dependent layer ----------------

    /// Makes `pm` a nested page table of AMD (RVI) or Intel (EPT) format
    /// (`pmap_convert`).
    fn pmap_convert(&self, pm: Self::Pmap, ept: bool);
    /// Physical address of the top-level table of `pm` (`pm_pdirpa`).
    fn pmap_root(&self, pm: Self::Pmap) -> u64;
    /// Records the EPT pointer the VM uses (`pm->eptp`), which the pmap
    /// needs for its own EPT invalidations.
    fn pmap_set_eptp(&self, pm: Self::Pmap, eptp: u64);
    /// The host-physical address `gpa` maps to in `pm`, if mapped.
    fn pmap_extract(&self, pm: Self::Pmap, gpa: u64) -> Option<u64>;
    /// Resolves a nested fault: wires the page of process `p` at `hva`
    /// (faulting it in) and maps guest page `gpa` to it, read/write/execute,
    /// in `pm`.  May sleep.
    fn guest_fault(&self, p: Self::Proc, pm: Self::Pmap, hva: u64, gpa: u64) -> KResult;
    /// Copies guest-physical memory at `gpa` (as mapped in `pm`) into
    /// `buf`; `EFAULT` if a page is not mapped.
    fn guest_read(&self, pm: Self::Pmap, gpa: u64, buf: &mut [u8]) -> KResult;
    /// Copies `buf` to guest-physical memory at `gpa`; `EFAULT` if a page is
    /// not mapped.
    fn guest_write(&self, pm: Self::Pmap, gpa: u64, buf: &[u8]) -> KResult;
    /// The TSC frequency in Hz (0 if unknown).
    fn tsc_frequency(&self) -> u64;
    /// Whether the kernel found the TSC invariant (`tsc_is_invariant`).
    fn tsc_is_invariant(&self) -> bool;
    /// Nanoseconds since boot (`nanouptime`).
    fn nanouptime(&self) -> u64;
    /// The wall-clock time of boot (`nanoboottime`): seconds, nanoseconds.
    fn nanoboottime(&self) -> (u64, u32);
    /// Whether virtualisation is on for the current CPU (`CPUF_VMM`).
    fn cpu_vmm_on(&self) -> bool;
    /// Records that it is on or off for the current CPU.
    fn cpu_set_vmm_on(&self, on: bool);
    /// Runs the driver's per-CPU start (or stop) on every other CPU and
    /// waits until each has done it (an IPI to `vmm_rs_start_cpu`).
    fn broadcast_vmm(&self, start: bool);
    /// A small number identifying the current CPU.
    fn cpu_id(&self) -> u32;
    /// Interrupts CPU `cpu` (a [`Kernel::cpu_id`]) so that a guest in
    /// guest mode there exits (`x86_send_ipi(ci, X86_IPI_NOP)`).  `cpu`
    /// may be the current CPU: with interrupts off the IPI stays pending
    /// and the next VM entry exits at once.  An unknown `cpu` is ignored.
    fn cpu_kick(&self, cpu: u32);
    /// VMX: prepares the current CPU's VMXON region (allocated per CPU by
    /// the kernel's `cpu_init_vmm`) with `revision` and returns its
    /// physical address; `None` if this CPU has none.
    fn cpu_vmxon_region(&self, revision: u32) -> Option<u64>;
    /// VMX: records `pm` as the EPT pmap the current CPU runs a guest with
    /// (`ci_ept_pmap`), so that the pmap's EPT invalidations of other CPUs
    /// (`pmap_shootept`, which sends its IPIs to the CPUs where the pmap
    /// is active) reach this one.  Call before invalidating the CPU's own
    /// cached translations for it.
    fn cpu_set_ept_pmap(&self, pm: Self::Pmap);
    /// The XSAVE features the kernel enabled (`xsave_mask`; 0 if none).
    fn xsave_mask(&self) -> u64;
    /// Size of the FPU save area the kernel uses.
    fn fpu_area_size(&self) -> usize;
    /// Before entering a guest, with interrupts (or GIF) off: saves the
    /// thread's user FPU state if it is live, loads the guest's from `area`
    /// if `loaded` says it holds one, and loads the guest's XCR0.  `EINVAL`
    /// if the CPU refuses that XCR0.
    fn fpu_enter_guest(&self, area: &mut [u8], loaded: bool, xcr0: u64) -> KResult;
    /// After the guest, still with interrupts off: returns the guest's XCR0,
    /// restores the host's, and saves the guest FPU state into `area`.
    fn fpu_exit_guest(&self, area: &mut [u8]) -> u64;
}

//! The kernel-services boundary of the Rust vmm(4).
//!
//! Two traits list everything the driver needs from the host kernel, in
//! Rust terms: [`Kernel`], the machine-independent services (locks,
//! reference counts, pools, pages, guest-memory objects, pmaps as such,
//! user copies, the current process and its pledge, the scheduler's
//! flags, time, the console), which is all the machine-independent driver
//! (`vmm-core`) may ask for; and [`amd64::KernelAmd64`], the amd64
//! services on top of it (nested-paging pmaps and guest-physical memory,
//! the TSC, per-CPU state and IPIs, the FPU/XCR0 swap) that only the
//! machine-dependent driver (`vmm-amd64`) uses.  Two implementations
//! exist: `vmm-openbsd` (the C functions of `ffi/vmm_kern.h`, implemented
//! by `sys/` on OpenBSD's kernel API) and `vmm-testkit` (a host test
//! double with threads, an accounting allocator and simulated processes).
//!
//! A trait method that takes a raw handle (a lock's storage, a pool or
//! page pointer, a memory-object or pmap handle) whose misuse could be
//! undefined behaviour is an `unsafe fn` stating what its caller must
//! prove; the driver never calls one.  It uses the safe types this crate
//! builds on the traits instead, in the spirit of Rust-for-Linux's `kernel`
//! crate: [`sync::RwLock`] with RAII guards, [`sync::RefCount`],
//! [`sync::SharedOwner`]/[`sync::SharedRef`], [`mem::PoolBox`],
//! [`mem::Pages`], [`mem::KBuf`], the reference-owning handles
//! [`mem::UaoRef`] and [`mem::PmapBox`] (whose amd64 operations are in
//! [`amd64`]), and typed user copies.  This crate and the FFI crates are
//! the only places with `unsafe`; the driver core forbids it.

#![no_std]

use core::ffi::CStr;
use core::ptr::NonNull;

pub mod amd64;
pub mod errno;
pub mod mem;
pub mod once;
pub mod pod;
pub mod sync;
pub mod user;

pub use amd64::KernelAmd64;
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

/// The process behind an ioctl, as the kernel's ioctl entry hands it to
/// the driver: the process, its id and its pledge(2) promises ([`pledge`]
/// bits, 0 when not pledged).  The entry point reads them once (OpenBSD's
/// glue, inline from `struct proc`); the VM lookup's pledge check, CREATE
/// and SHAREMEM use them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller<P> {
    /// The process.
    pub proc: P,
    /// Its process id.
    pub pid: i32,
    /// Its promises.
    pub promises: u32,
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

/// The machine-independent services the driver needs from the kernel.
///
/// # Safety
///
/// Implementations must honour the contracts stated on each method: in
/// particular that pool and page memory is valid, zeroed, suitably aligned
/// and exclusively owned until it is given back, that lock storage behaves
/// as a reader/writer lock once initialised (and may be moved while no
/// thread holds it or sleeps with it), that copyin/copyout only touch the
/// kernel memory they are given, and that every safe method is sound for
/// any argument: a misbalanced use of a safe method (a reference count
/// released once too often, say) may panic or hang the kernel but is
/// never undefined behaviour.
pub unsafe trait Kernel: Copy + Send + Sync + 'static {
    /// Storage of one reader/writer lock; interior-mutable.
    type RwLockStorage: Send + Sync;
    /// Storage of one reference count; interior-mutable.
    type RefCntStorage: Send + Sync;
    /// The current thread's process (`struct proc *`), as
    /// [`Kernel::curproc`] gives it.  The process cannot go away while
    /// its own thread runs in the kernel, so an implementation whose handle
    /// is a pointer makes it neither `Send` nor `Sync`: it then cannot
    /// outlive the system call that got it (the driver keeps no handle in
    /// a VM, which must be `Send`), and the methods that take one are safe.
    type Proc: Copy + PartialEq;
    /// An anonymous memory object backing guest RAM (`struct uvm_object *`).
    /// Only [`mem::UaoRef`] holds one with a reference; the operations on
    /// a bare handle are `unsafe`.
    type Uobj: Copy + Send + Sync;
    /// A guest-physical address space (`struct pmap *`).  Only
    /// [`mem::PmapBox`] holds one with a reference; the operations on a
    /// bare handle are `unsafe`.
    type Pmap: Copy + Send + Sync;

    // ---- reader/writer locks, rwlock(9); only through sync::RwLock ----

    /// New, not yet initialised lock storage.
    fn rw_storage(&self) -> Self::RwLockStorage;
    /// Initialises the lock (`rw_init`).
    ///
    /// # Safety
    /// No thread holds `l`, waits for it or sleeps with it, and it is not
    /// used by any thread until this returns.
    unsafe fn rw_init(&self, l: &Self::RwLockStorage, name: &'static CStr);
    /// Shared acquire; may sleep.
    ///
    /// # Safety
    /// `l` was initialised by [`Kernel::rw_init`]; the hold is released
    /// by this thread with [`Kernel::rw_exit_read`].
    unsafe fn rw_enter_read(&self, l: &Self::RwLockStorage);
    /// Shared acquire that a signal may interrupt (`RW_READ|RW_INTR`).
    ///
    /// # Safety
    /// As for [`Kernel::rw_enter_read`] (when it succeeds).
    unsafe fn rw_enter_read_intr(&self, l: &Self::RwLockStorage) -> KResult;
    /// Exclusive acquire; may sleep.
    ///
    /// # Safety
    /// `l` was initialised by [`Kernel::rw_init`]; the hold is released
    /// by this thread with [`Kernel::rw_exit_write`].
    unsafe fn rw_enter_write(&self, l: &Self::RwLockStorage);
    /// Exclusive acquire without sleeping; `EBUSY` if contended.
    ///
    /// # Safety
    /// As for [`Kernel::rw_enter_write`] (when it succeeds).
    unsafe fn rw_enter_write_try(&self, l: &Self::RwLockStorage) -> KResult;
    /// Releases a shared hold.
    ///
    /// # Safety
    /// This thread holds `l` for reading and gives up that hold.
    unsafe fn rw_exit_read(&self, l: &Self::RwLockStorage);
    /// Releases an exclusive hold.
    ///
    /// # Safety
    /// This thread holds `l` for writing and gives up that hold.
    unsafe fn rw_exit_write(&self, l: &Self::RwLockStorage);
    /// Sleeps on `ident`, dropping `l` (held in any mode) while asleep and
    /// taking it again before returning; a signal interrupts it
    /// (`rwsleep_nsec(ident, l, PWAIT|PCATCH, wmesg, INFSLP)`).
    ///
    /// # Safety
    /// This thread holds `l` (in either mode), and what it protects is
    /// consistent: other threads take it while this one sleeps.  `ident`
    /// is only compared, never dereferenced.
    unsafe fn rwsleep_intr(
        &self,
        ident: *const (),
        l: &Self::RwLockStorage,
        wmesg: &'static CStr,
    ) -> KResult;
    /// Wakes every sleeper on `ident` (only compared, never dereferenced).
    fn wakeup(&self, ident: *const ());

    // ---- reference counts, refcnt_init(9) -------------------------------
    //
    // A count guards no memory by itself (the types that free an object on
    // its last reference keep their count private), so a misbalanced use
    // of these is a logic error that panics or hangs, not UB.

    /// New reference-count storage, holding no reference until
    /// [`Kernel::refcnt_init`].
    fn refcnt_storage(&self) -> Self::RefCntStorage;
    /// Sets the count to 1.
    fn refcnt_init(&self, r: &Self::RefCntStorage);
    /// Adds a reference.  As OpenBSD's refcnt_take, also to a count that
    /// [`Kernel::refcnt_finalize`] drained to 0 (the driver's own count
    /// after a suspend); never to one whose last reference was released
    /// (its object is being freed).
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
    /// `r` points to storage from [`Kernel::refcnt_storage`] that is live
    /// until the decrement (as when the caller holds one of its
    /// references, the one this call drops).  The implementation must not
    /// access `*r` after the decrement (it may use the address as a wait
    /// channel).
    unsafe fn refcnt_rele_wake(&self, r: NonNull<Self::RefCntStorage>);
    /// Drops the caller's reference and sleeps until no other is left.
    fn refcnt_finalize(&self, r: &Self::RefCntStorage, wmesg: &'static CStr);

    // ---- memory: through mem::{PoolBox, Pages, KBuf} --------------------

    /// Sets up a pool of objects of `size` bytes aligned to `align`.  Only
    /// the first call for a pool counts; later ones are ignored.
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

    // ---- guest-memory objects, uao(9): through mem::UaoRef --------------

    /// A new anonymous memory object of `size` bytes with one reference,
    /// the caller's.
    fn uao_create(&self, size: usize) -> Option<Self::Uobj>;
    /// Adds a reference to `u`.
    ///
    /// # Safety
    /// The caller holds a reference to `u`.
    unsafe fn uao_reference(&self, u: Self::Uobj);
    /// Drops a reference to `u`; the last one frees it.
    ///
    /// # Safety
    /// The caller holds a reference to `u` and gives it up.
    unsafe fn uao_detach(&self, u: Self::Uobj);

    /// Maps `u` read/write, not inherited, concealed into `p`; on success
    /// the mapping owns one reference, which the caller gave.  `va` is a
    /// hint in and the address out.
    ///
    /// # Safety
    /// The caller holds a reference to `u`, which it gives up if this
    /// succeeds (and keeps if it fails).
    unsafe fn map_guest(&self, p: Self::Proc, va: &mut u64, size: usize, u: Self::Uobj) -> KResult;
    /// Makes `[start, end)` of `p` immutable.
    fn map_immutable(&self, p: Self::Proc, start: u64, end: u64) -> KResult;
    /// Removes `[start, end)` from `p` (the kernel may remove immutable
    /// mappings), dropping the mappings' object references.
    fn unmap(&self, p: Self::Proc, start: u64, end: u64);

    // ---- guest-physical address spaces, pmap(9): through mem::PmapBox ---

    /// A new guest-physical address space with one reference, the
    /// caller's.
    fn pmap_create(&self) -> Option<Self::Pmap>;
    /// Adds a reference to `pm` (`pmap_reference`).
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn pmap_reference(&self, pm: Self::Pmap);
    /// Drops a reference to `pm`; the last one destroys it
    /// (`pmap_destroy`).
    ///
    /// # Safety
    /// The caller holds a reference to `pm` and gives it up.
    unsafe fn pmap_destroy(&self, pm: Self::Pmap);
    /// Removes the mappings of `[sva, eva)` from `pm`.
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn pmap_remove(&self, pm: Self::Pmap, sva: u64, eva: u64);
    /// Pages currently mapped in `pm`.
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn pmap_resident_count(&self, pm: Self::Pmap) -> usize;

    // ---- the current process ---------------------------------------------

    /// Copies from the current process's memory at `uaddr`.
    fn copyin(&self, uaddr: u64, dst: &mut [u8]) -> KResult;
    /// Copies to the current process's memory at `uaddr`.
    fn copyout(&self, src: &[u8], uaddr: u64) -> KResult;

    /// The current process (its id and promises come with an ioctl, in
    /// its [`Caller`]).
    fn curproc(&self) -> Self::Proc;
    /// Reports a pledge violation of "vmm" and returns the error to give.
    fn pledge_fail(&self, p: Self::Proc, e: Errno) -> Errno;
    /// What the run loop must know about the current thread after each
    /// exit: a signal pending for it, and whether the scheduler wants the
    /// CPU back.  One call for both, on the exit path.
    fn thread_check(&self) -> ThreadCheck;

    // ---- time and the console --------------------------------------------

    /// Nanoseconds since boot (`nanouptime`).
    fn nanouptime(&self) -> u64;
    /// The wall-clock time of boot (`nanoboottime`): seconds, nanoseconds.
    fn nanoboottime(&self) -> (u64, u32);

    /// Prints `fmt` (a printf(9) format taking up to two `unsigned long`).
    fn log(&self, fmt: &'static CStr, a: u64, b: u64);
}

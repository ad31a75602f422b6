//! Memory the driver owns: pool objects, physically contiguous pages,
//! temporary buffers, guest-memory objects and guest pmaps.
//!
//! Nothing here goes through a Rust global allocator; every byte comes from
//! the kernel's own allocators and goes back to them on drop.

use core::marker::PhantomData;
use core::mem::{align_of, size_of, ManuallyDrop};
use core::ops::Deref;
use core::ptr::NonNull;

use crate::{KResult, Kernel, PoolId, PAGE_SIZE};

/// A `T` in a kernel pool (pool_get(9)); freed with pool_put(9) on drop.
///
/// The object stays at its address until it is freed or moved out
/// ([`PoolBox::into_inner`]), both of which take the box by value, so no
/// thread can be holding, waiting for or sleeping on a kernel lock or
/// count inside it then.
pub struct PoolBox<K: Kernel, T> {
    k: K,
    pool: PoolId,
    ptr: NonNull<T>,
    _t: PhantomData<T>,
}

// SAFETY: a PoolBox owns its T like a Box does.
unsafe impl<K: Kernel, T: Send> Send for PoolBox<K, T> {}
// SAFETY: a PoolBox owns its T like a Box does.
unsafe impl<K: Kernel, T: Sync> Sync for PoolBox<K, T> {}

impl<K: Kernel, T> PoolBox<K, T> {
    /// Moves `v` into a new pool object; hands `v` back if none is free.
    pub fn new(k: K, pool: PoolId, v: T) -> Result<Self, T> {
        let Some(raw) = k.pool_get(pool, size_of::<T>(), align_of::<T>()) else {
            return Err(v);
        };
        let ptr = raw.cast::<T>();
        // SAFETY: the pool gave memory of at least size_of::<T>() bytes,
        // aligned for T and exclusively ours.
        unsafe { ptr.as_ptr().write(v) };
        Ok(PoolBox {
            k,
            pool,
            ptr,
            _t: PhantomData,
        })
    }

    /// A new pool object whose value `init` writes in place, field by
    /// field, into the object's zeroed memory: how values too large for
    /// the kernel stack are made (moving a finished value into the object
    /// would build it on the stack first).  `None`, without calling
    /// `init`, if no object is free.
    ///
    /// # Safety
    /// `init` leaves every field of the `T` at its argument initialised
    /// to a valid value (a field whose valid initial value is all zero
    /// may be left as the pool gave it, zeroed).
    #[inline(always)]
    pub unsafe fn new_in_place(k: K, pool: PoolId, init: impl FnOnce(*mut T)) -> Option<Self> {
        let ptr = k
            .pool_get(pool, size_of::<T>(), align_of::<T>())?
            .cast::<T>();
        init(ptr.as_ptr());
        Some(PoolBox {
            k,
            pool,
            ptr,
            _t: PhantomData,
        })
    }

    /// Moves the value out and frees the object.
    pub fn into_inner(self) -> T {
        let this = ManuallyDrop::new(self);
        // SAFETY: the value is initialised; it is read exactly once and the
        // memory is then returned without dropping it again.
        let v = unsafe { this.ptr.as_ptr().read() };
        // SAFETY: the object came from pool_get on this pool.
        unsafe { this.k.pool_put(this.pool, this.ptr.cast()) };
        v
    }
}

impl<K: Kernel, T: crate::pod::Zeroable> PoolBox<K, T> {
    /// A new pool object holding an all-zero `T`, made in place (pool
    /// objects come zeroed); `None` if none is free.
    pub fn zeroed(k: K, pool: PoolId) -> Option<Self> {
        let ptr = k
            .pool_get(pool, size_of::<T>(), align_of::<T>())?
            .cast::<T>();
        Some(PoolBox {
            k,
            pool,
            ptr,
            _t: PhantomData,
        })
    }
}

impl<K: Kernel, T> core::ops::DerefMut for PoolBox<K, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: initialised, alive until drop; `&mut self` is exclusive.
        unsafe { self.ptr.as_mut() }
    }
}

impl<K: Kernel, T> Deref for PoolBox<K, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: initialised in `new`, alive until drop.
        unsafe { self.ptr.as_ref() }
    }
}

impl<K: Kernel, T> Drop for PoolBox<K, T> {
    fn drop(&mut self) {
        // SAFETY: the value is initialised and dropped once; the memory
        // came from pool_get on this pool and is not used afterwards.
        unsafe {
            core::ptr::drop_in_place(self.ptr.as_ptr());
            self.k.pool_put(self.pool, self.ptr.cast());
        }
    }
}

/// `N` physically contiguous, page-aligned, zeroed pages (km_alloc(9)):
/// the only source of memory that hardware structures (VMCS, VMCB, bitmaps,
/// host save areas) are placed in.
pub struct Pages<K: Kernel> {
    k: K,
    va: NonNull<u8>,
    pa: u64,
    npages: usize,
}

// SAFETY: the pages are exclusively owned memory.
unsafe impl<K: Kernel> Send for Pages<K> {}
// SAFETY: shared access only reads through `&self` methods.
unsafe impl<K: Kernel> Sync for Pages<K> {}

impl<K: Kernel> Pages<K> {
    /// Allocates `npages` (at least 1); `None` if memory is short.
    pub fn alloc(k: K, npages: usize) -> Option<Self> {
        if npages == 0 {
            return None;
        }
        let (va, pa) = k.pages_alloc(npages)?;
        Some(Pages { k, va, pa, npages })
    }

    /// Physical address of the first page.
    pub fn pa(&self) -> u64 {
        self.pa
    }

    /// Number of pages.
    pub fn npages(&self) -> usize {
        self.npages
    }

    /// The pages as bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `npages * PAGE_SIZE` bytes were allocated (that product
        // was representable, or the allocation could not have succeeded).
        unsafe {
            core::slice::from_raw_parts(self.va.as_ptr(), self.npages.wrapping_mul(PAGE_SIZE))
        }
    }

    /// The pages as mutable bytes.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`; `&mut self` gives exclusive access.
        unsafe {
            core::slice::from_raw_parts_mut(self.va.as_ptr(), self.npages.wrapping_mul(PAGE_SIZE))
        }
    }
}

impl<K: Kernel> Drop for Pages<K> {
    fn drop(&mut self) {
        // SAFETY: the pages came from pages_alloc(npages) and are dropped once.
        unsafe { self.k.pages_free(self.va, self.npages) };
    }
}

/// A zeroed temporary kernel buffer (malloc(9) `M_NOWAIT|M_ZERO`).
pub struct KBuf<K: Kernel> {
    k: K,
    ptr: NonNull<u8>,
    len: usize,
}

impl<K: Kernel> KBuf<K> {
    /// `len` zeroed bytes; `None` if memory is short or `len` is 0.
    pub fn zeroed(k: K, len: usize) -> Option<Self> {
        if len == 0 {
            return None;
        }
        let ptr = k.malloc(len)?;
        Some(KBuf { k, ptr, len })
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `len` bytes were allocated and zeroed.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The bytes, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: `len` bytes were allocated; `&mut self` is exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<K: Kernel> Drop for KBuf<K> {
    fn drop(&mut self) {
        // SAFETY: came from malloc(len), freed once.
        unsafe { self.k.free(self.ptr, self.len) };
    }
}

/// One reference to a guest-memory object (uao); dropping it detaches.
pub struct UaoRef<K: Kernel> {
    k: K,
    u: K::Uobj,
}

impl<K: Kernel> UaoRef<K> {
    /// A new object of `size` bytes, holding its first reference.
    pub fn create(k: K, size: usize) -> Option<Self> {
        Some(UaoRef {
            k,
            u: k.uao_create(size)?,
        })
    }

    /// Another reference to the same object.
    pub fn clone_ref(&self) -> Self {
        // SAFETY: `self` holds a reference to the object.
        unsafe { self.k.uao_reference(self.u) };
        UaoRef {
            k: self.k,
            u: self.u,
        }
    }

    /// Maps the object into process `p` (see [`Kernel::map_guest`]; `va`
    /// is a hint in and the address out), giving this reference to the
    /// mapping; if that fails, the reference is dropped.
    pub fn map(self, p: K::Proc, va: &mut u64, size: usize) -> KResult {
        // SAFETY: `self` holds a reference; the mapping takes it over on
        // success (then it is forgotten here), and on failure it is still
        // ours and `self`'s drop gives it up.
        unsafe { self.k.map_guest(p, va, size, self.u) }?;
        core::mem::forget(self);
        Ok(())
    }
}

impl<K: Kernel> Drop for UaoRef<K> {
    fn drop(&mut self) {
        // SAFETY: `self` holds a reference and gives it up, once.
        unsafe { self.k.uao_detach(self.u) };
    }
}

/// One reference to a guest-physical address space; the last one to go
/// destroys it.
///
/// The machine-independent driver makes it and removes mappings from it;
/// the machine-dependent driver keeps a reference of its own
/// ([`PmapBox::clone_ref`]) for the amd64 operations of
/// [`crate::amd64`].
pub struct PmapBox<K: Kernel> {
    pub(crate) k: K,
    pub(crate) pm: K::Pmap,
}

impl<K: Kernel> PmapBox<K> {
    /// A new, empty pmap.
    pub fn create(k: K) -> Option<Self> {
        Some(PmapBox {
            k,
            pm: k.pmap_create()?,
        })
    }

    /// Another reference to the same pmap.
    pub fn clone_ref(&self) -> Self {
        // SAFETY: `self` holds a reference to the pmap.
        unsafe { self.k.pmap_reference(self.pm) };
        PmapBox {
            k: self.k,
            pm: self.pm,
        }
    }

    /// The raw handle, for comparison only: every operation on a bare
    /// handle is `unsafe`.
    pub fn raw(&self) -> K::Pmap {
        self.pm
    }

    /// Removes the mappings of `[sva, eva)`.
    pub fn remove(&self, sva: u64, eva: u64) {
        // SAFETY: `self` holds a reference to the pmap.
        unsafe { self.k.pmap_remove(self.pm, sva, eva) }
    }

    /// Pages currently mapped.
    pub fn resident_count(&self) -> usize {
        // SAFETY: `self` holds a reference to the pmap.
        unsafe { self.k.pmap_resident_count(self.pm) }
    }
}

impl<K: Kernel> Drop for PmapBox<K> {
    fn drop(&mut self) {
        // SAFETY: `self` holds a reference and gives it up, once.
        unsafe { self.k.pmap_destroy(self.pm) }
    }
}

/// A fixed-length array of `T` in kernel pages, for driver tables too big
/// for a kernel stack (the VM list).
pub struct PageArray<K: Kernel, T> {
    pages: Pages<K>,
    len: usize,
    _t: PhantomData<T>,
}

// SAFETY: the array owns its elements.
unsafe impl<K: Kernel, T: Send> Send for PageArray<K, T> {}
// SAFETY: shared access hands out `&T` only.
unsafe impl<K: Kernel, T: Sync> Sync for PageArray<K, T> {}

impl<K: Kernel, T> PageArray<K, T> {
    /// `len` elements made by `f`; `None` if memory is short.
    pub fn new(k: K, len: usize, mut f: impl FnMut() -> T) -> Option<Self> {
        const { assert!(align_of::<T>() <= PAGE_SIZE) };
        let bytes = len.checked_mul(size_of::<T>())?;
        let npages = bytes.div_ceil(PAGE_SIZE).max(1);
        let pages = Pages::alloc(k, npages)?;
        let base = pages.va.as_ptr().cast::<T>();
        for i in 0..len {
            // SAFETY: `i < len` and the pages hold `len` elements, aligned
            // (page-aligned base, T's alignment at most a page).
            unsafe { base.add(i).write(f()) };
        }
        Some(PageArray {
            pages,
            len,
            _t: PhantomData,
        })
    }
}

impl<K: Kernel, T> Deref for PageArray<K, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `len` initialised elements live at the start of the pages.
        unsafe { core::slice::from_raw_parts(self.pages.va.as_ptr().cast::<T>(), self.len) }
    }
}

impl<K: Kernel, T> core::ops::DerefMut for PageArray<K, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`; `&mut self` is exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.pages.va.as_ptr().cast::<T>(), self.len) }
    }
}

impl<K: Kernel, T> Drop for PageArray<K, T> {
    fn drop(&mut self) {
        let s: &mut [T] = self;
        // SAFETY: the elements are initialised and dropped exactly once;
        // the pages are freed afterwards by `Pages`'s drop.
        unsafe { core::ptr::drop_in_place(s) };
    }
}

/// A `T` placed at the start of physically contiguous, page-aligned,
/// zeroed pages: how hardware structures (VMCB, VMCS, MSR and I/O
/// permission maps, host save areas; all [`Pod`]) and the driver's
/// page-sized per-CPU tables are held.  The physical address is known;
/// all-zero is a valid `T` (it is [`Zeroable`]), so the value is made in
/// place and never passes through the kernel stack.  `T` has no drop glue:
/// freeing the pages is all there is to dropping it.
///
/// [`Pod`]: crate::pod::Pod
/// [`Zeroable`]: crate::pod::Zeroable
pub struct PageBox<K: Kernel, T: crate::pod::Zeroable> {
    pages: Pages<K>,
    _t: PhantomData<T>,
}

impl<K: Kernel, T: crate::pod::Zeroable> PageBox<K, T> {
    /// Zeroed pages holding a `T`; `None` if memory is short.
    pub fn zeroed(k: K) -> Option<Self> {
        const { assert!(align_of::<T>() <= PAGE_SIZE) };
        const { assert!(!core::mem::needs_drop::<T>()) };
        let npages = size_of::<T>().div_ceil(PAGE_SIZE).max(1);
        Some(PageBox {
            pages: Pages::alloc(k, npages)?,
            _t: PhantomData,
        })
    }

    /// Physical address of the structure.
    pub fn pa(&self) -> u64 {
        self.pages.pa()
    }

    /// Pages held.
    pub fn npages(&self) -> usize {
        self.pages.npages()
    }
}

impl<K: Kernel, T: crate::pod::Zeroable> Deref for PageBox<K, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the pages are at least size_of::<T>() bytes, page aligned
        // (enough for T), and hold a valid T: all zero at first (valid,
        // T is Zeroable), afterwards only what `&mut T` wrote (or, for the
        // Pod structures the CPU writes, any bits, all of them valid).
        unsafe { &*self.pages.va.as_ptr().cast::<T>() }
    }
}

impl<K: Kernel, T: crate::pod::Zeroable> core::ops::DerefMut for PageBox<K, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` gives exclusive access.
        unsafe { &mut *self.pages.va.as_ptr().cast::<T>() }
    }
}

//! Locks, reference counts and reference-counted shared objects.
//!
//! These follow OpenBSD's primitives exactly (they *are* them in the
//! kernel build) but give Rust's guarantees: data behind an [`RwLock`] is
//! reachable only through a guard, and a [`SharedRef`] keeps its object
//! alive because the object's owner waits for every reference to go before
//! freeing it (`refcnt_finalize`).

use core::cell::UnsafeCell;
use core::ffi::CStr;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::ptr::{addr_of, addr_of_mut, NonNull};

use crate::mem::PoolBox;
use crate::{KResult, Kernel, PoolId};

/// A reader/writer lock protecting a `T` (rwlock(9)).
///
/// The kernel lock is initialised when the `RwLock` is made, so every
/// `RwLock` is ready for use (there is no separate initialisation that
/// could reset a held lock); it may move while no guard exists: the
/// kernel's lock does not depend on its address while nobody holds it
/// (OpenBSD's `rw_init` stores the owner word and the name; WITNESS keeps
/// a lock's address only while it is held, or when the lock is
/// initialised before `WITNESS_INITIALIZE`, which runs before autoconf
/// attaches vmm).
pub struct RwLock<K: Kernel, T> {
    k: K,
    raw: K::RwLockStorage,
    data: UnsafeCell<T>,
}

// SAFETY: the lock serialises writers and excludes writers from readers, so
// sharing the lock between threads is sound when `T` may be sent (for
// exclusive access) and shared (for concurrent readers).
unsafe impl<K: Kernel, T: Send> Send for RwLock<K, T> {}
// SAFETY: as above.
unsafe impl<K: Kernel, T: Send + Sync> Sync for RwLock<K, T> {}

impl<K: Kernel, T> RwLock<K, T> {
    /// A lock named `name` around `v`.
    pub fn new(k: K, v: T, name: &'static CStr) -> Self {
        let l = RwLock {
            k,
            raw: k.rw_storage(),
            data: UnsafeCell::new(v),
        };
        // SAFETY: the storage was just made; nobody else can see it.
        unsafe { k.rw_init(&l.raw, name) };
        l
    }

    /// Shared access; may sleep.
    pub fn read(&self) -> ReadGuard<'_, K, T> {
        // SAFETY: initialised in `new`/`write_in_place`; the guard
        // releases the hold on this thread (guards are not `Send`).
        unsafe { self.k.rw_enter_read(&self.raw) };
        ReadGuard {
            lock: self,
            _thread: PhantomData,
        }
    }

    /// Shared access that a signal may interrupt.
    pub fn read_intr(&self) -> KResult<ReadGuard<'_, K, T>> {
        // SAFETY: as in `read`.
        unsafe { self.k.rw_enter_read_intr(&self.raw) }?;
        Ok(ReadGuard {
            lock: self,
            _thread: PhantomData,
        })
    }

    /// Exclusive access; may sleep.
    pub fn write(&self) -> WriteGuard<'_, K, T> {
        // SAFETY: as in `read`.
        unsafe { self.k.rw_enter_write(&self.raw) };
        WriteGuard {
            lock: self,
            _thread: PhantomData,
        }
    }

    /// Exclusive access without sleeping; `EBUSY` if contended.
    pub fn try_write(&self) -> KResult<WriteGuard<'_, K, T>> {
        // SAFETY: as in `read`.
        unsafe { self.k.rw_enter_write_try(&self.raw) }?;
        Ok(WriteGuard {
            lock: self,
            _thread: PhantomData,
        })
    }

    /// Writes a lock named `name` into `this` (memory being built in
    /// place, see [`crate::mem::PoolBox::new_in_place`]) and returns where
    /// its data goes, for the caller to initialise before the lock is used.
    ///
    /// # Safety
    /// `this` is valid for writes and aligned, and no other thread sees
    /// it before the data is initialised through the returned pointer.
    #[inline(always)]
    pub unsafe fn write_in_place(this: *mut Self, k: K, name: &'static CStr) -> *mut T {
        // SAFETY: `this` is valid for writes (caller); only addresses of
        // its fields are formed, and a reference to the storage only once
        // it is written.  Nobody else sees the storage yet, so it may be
        // initialised.
        unsafe {
            addr_of_mut!((*this).k).write(k);
            let raw = addr_of_mut!((*this).raw);
            raw.write(k.rw_storage());
            k.rw_init(&*raw, name);
            UnsafeCell::raw_get(addr_of!((*this).data))
        }
    }

    /// Direct access when the lock is exclusively owned.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

/// A shared hold of an [`RwLock`]; not `Send`: the thread that took the
/// hold gives it up.
pub struct ReadGuard<'a, K: Kernel, T> {
    lock: &'a RwLock<K, T>,
    _thread: NotSend,
}

impl<K: Kernel, T> ReadGuard<'_, K, T> {
    /// Sleeps on `ident` with the lock dropped while asleep (rwsleep(9),
    /// interruptible); the lock is held again on return, error or not.
    // `ident` is a wait channel, only compared, never dereferenced.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn sleep_intr(&mut self, ident: *const (), wmesg: &'static CStr) -> KResult {
        // SAFETY: this thread holds the lock for reading (the guard), and
        // the data is consistent: readers do not change it.
        unsafe { self.lock.k.rwsleep_intr(ident, &self.lock.raw, wmesg) }
    }
}

impl<K: Kernel, T> Deref for ReadGuard<'_, K, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read hold excludes writers for the guard's lifetime.
        unsafe { &*self.lock.data.get() }
    }
}

impl<K: Kernel, T> Drop for ReadGuard<'_, K, T> {
    fn drop(&mut self) {
        // SAFETY: the guard is this thread's read hold, given up once.
        unsafe { self.lock.k.rw_exit_read(&self.lock.raw) };
    }
}

/// An exclusive hold of an [`RwLock`]; not `Send`, as [`ReadGuard`].
pub struct WriteGuard<'a, K: Kernel, T> {
    lock: &'a RwLock<K, T>,
    _thread: NotSend,
}

/// Makes a guard neither `Send` nor `Sync` (rwlock(9) holds belong to a
/// thread).
type NotSend = PhantomData<*const ()>;

impl<K: Kernel, T> WriteGuard<'_, K, T> {
    /// Like [`ReadGuard::sleep_intr`], for a write hold.
    // `ident` is a wait channel, only compared, never dereferenced.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn sleep_intr(&mut self, ident: *const (), wmesg: &'static CStr) -> KResult {
        // SAFETY: this thread holds the lock for writing (the guard); the
        // data is whatever safe code left behind the `&mut`, a valid `T`.
        unsafe { self.lock.k.rwsleep_intr(ident, &self.lock.raw, wmesg) }
    }
}

impl<K: Kernel, T> Deref for WriteGuard<'_, K, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a write hold excludes every other access.
        unsafe { &*self.lock.data.get() }
    }
}

impl<K: Kernel, T> DerefMut for WriteGuard<'_, K, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: a write hold excludes every other access.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<K: Kernel, T> Drop for WriteGuard<'_, K, T> {
    fn drop(&mut self) {
        // SAFETY: the guard is this thread's write hold, given up once.
        unsafe { self.lock.k.rw_exit_write(&self.lock.raw) };
    }
}

/// A kernel reference count (refcnt_init(9)).
pub struct RefCount<K: Kernel> {
    k: K,
    raw: K::RefCntStorage,
}

impl<K: Kernel> RefCount<K> {
    /// A count; call [`RefCount::init`] once it is in place.
    pub fn new(k: K) -> Self {
        RefCount {
            k,
            raw: k.refcnt_storage(),
        }
    }

    /// Sets the count to 1 (also used to re-arm it after finalize).
    pub fn init(&self) {
        self.k.refcnt_init(&self.raw);
    }

    /// Adds a reference.
    pub fn take(&self) {
        self.k.refcnt_take(&self.raw);
    }

    /// Drops a reference; true if it was the last.
    pub fn rele(&self) -> bool {
        self.k.refcnt_rele(&self.raw)
    }

    /// Drops a reference, waking a finaliser if it was the last.  For a
    /// count that outlives the caller's borrow (the driver's own); a count
    /// inside an object another thread frees when it drops goes through
    /// [`RefCount::rele_wake_raw`].
    pub fn rele_wake(&self) {
        // SAFETY: `self.raw` is initialised storage; `&self` keeps it
        // alive for the whole call.
        unsafe { self.k.refcnt_rele_wake(NonNull::from(&self.raw)) };
    }

    /// `rele_wake` through a pointer, holding no reference to the count
    /// (or the object around it) across the release: once the count
    /// drops, the object's owner may free it.
    ///
    /// # Safety
    /// `this` points to a live, initialised count that holds one of the
    /// caller's references; this call drops it.
    pub unsafe fn rele_wake_raw(this: *const Self) {
        // SAFETY: `this` is live until the decrement (the caller's
        // reference keeps it so).  `k` is copied out before, and `raw` is
        // only addressed, never borrowed.
        unsafe {
            let k = (*this).k;
            let raw = NonNull::new_unchecked(addr_of!((*this).raw).cast_mut());
            k.refcnt_rele_wake(raw);
        }
    }

    /// Drops the caller's reference and waits for all others to go.
    pub fn finalize(&self, wmesg: &'static CStr) {
        self.k.refcnt_finalize(&self.raw, wmesg);
    }
}

/// A pool object shared through kernel reference counts: the count plus
/// the value.
pub struct Counted<K: Kernel, T> {
    refs: RefCount<K>,
    value: T,
}

/// The owning handle of a reference-counted pool object.
///
/// The owner itself holds one reference.  Dropping the owner (or
/// [`SharedOwner::destroy`]) waits until every [`SharedRef`] is gone before
/// the object is freed, which is what makes `SharedRef` safe to hold
/// without a borrow.
pub struct SharedOwner<K: Kernel, T> {
    obj: ManuallyDrop<PoolBox<K, Counted<K, T>>>,
}

impl<K: Kernel, T: Send + Sync> SharedOwner<K, T> {
    /// Places `value` in `pool` with a count of 1 (the owner's).
    /// On allocation failure the value is handed back.
    pub fn new(k: K, pool: PoolId, value: T) -> Result<Self, T> {
        let obj = PoolBox::new(
            k,
            pool,
            Counted {
                refs: RefCount::new(k),
                value,
            },
        )
        .map_err(|c| c.value)?;
        obj.refs.init();
        Ok(SharedOwner {
            obj: ManuallyDrop::new(obj),
        })
    }

    /// A new object of `pool` with a count of 1 (the owner's), whose
    /// value `init` writes in place (see [`PoolBox::new_in_place`]);
    /// `None`, without calling `init`, if no object is free.
    ///
    /// # Safety
    /// As for [`PoolBox::new_in_place`]: `init` initialises every field
    /// of the `T` at its argument (zeroed memory).
    #[inline(always)]
    pub unsafe fn new_in_place(k: K, pool: PoolId, init: impl FnOnce(*mut T)) -> Option<Self> {
        // SAFETY: the count is written here and the value by `init`,
        // which the caller guarantees initialises it.
        let obj = unsafe {
            PoolBox::new_in_place(k, pool, |c: *mut Counted<K, T>| {
                addr_of_mut!((*c).refs).write(RefCount::new(k));
                init(addr_of_mut!((*c).value));
            })
        }?;
        obj.refs.init();
        Some(SharedOwner {
            obj: ManuallyDrop::new(obj),
        })
    }

    /// A new counted reference.
    pub fn get_ref(&self) -> SharedRef<K, T> {
        self.obj.refs.take();
        SharedRef {
            ptr: NonNull::from(&**self.obj),
            _t: PhantomData,
        }
    }

    /// Tears the object down: drops the owner's reference (it must not be
    /// the last: the caller proves so by handing in its own `SharedRef`),
    /// then drops `mine` and waits for every other reference to go.
    /// Returns the value, now exclusively owned.  Returns `Err` with
    /// both handles untouched if `mine` refers to another object.
    pub fn destroy(
        self,
        mine: SharedRef<K, T>,
        wmesg: &'static CStr,
    ) -> Result<T, (Self, SharedRef<K, T>)> {
        if mine.ptr != NonNull::from(&**self.obj) {
            return Err((self, mine));
        }
        // `mine`'s reference is consumed by refcnt_finalize below.
        core::mem::forget(mine);
        // The count is at least 2 here (the owner's and `mine`), so this
        // release is never the last one.
        let _ = self.obj.refs.rele();
        self.obj.refs.finalize(wmesg);
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used again and its Drop does not run, so
        // the box is taken out exactly once.
        let obj = unsafe { ManuallyDrop::take(&mut this.obj) };
        Ok(obj.into_inner().value)
    }

    /// The value.
    pub fn value(&self) -> &T {
        &self.obj.value
    }
}

impl<K: Kernel, T> Drop for SharedOwner<K, T> {
    fn drop(&mut self) {
        // Drop the owner's reference and wait for the others.
        self.obj.refs.finalize(c"shrdrop");
        // SAFETY: drop runs once; `obj` is not touched again.
        unsafe { ManuallyDrop::drop(&mut self.obj) };
    }
}

/// A counted reference to a [`SharedOwner`]'s object.
pub struct SharedRef<K: Kernel, T> {
    ptr: NonNull<Counted<K, T>>,
    _t: PhantomData<T>,
}

// SAFETY: a SharedRef only gives `&T` (and the count is thread-safe), so it
// may move between threads when `T` is `Sync`.
unsafe impl<K: Kernel, T: Sync + Send> Send for SharedRef<K, T> {}
// SAFETY: as above.
unsafe impl<K: Kernel, T: Sync + Send> Sync for SharedRef<K, T> {}

impl<K: Kernel, T> SharedRef<K, T> {
    /// Whether two references name the same object.
    pub fn same(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }
}

impl<K: Kernel, T> Deref for SharedRef<K, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the object lives until its owner has finalised the count,
        // which cannot complete while this reference is held.
        unsafe { &self.ptr.as_ref().value }
    }
}

impl<K: Kernel, T> Drop for SharedRef<K, T> {
    fn drop(&mut self) {
        // SAFETY: the object is live while this reference is held, and
        // after the release its owner may free it, so only its address is
        // used: no `&` to it lives across the call.
        unsafe { RefCount::rele_wake_raw(addr_of!((*self.ptr.as_ptr()).refs)) };
    }
}

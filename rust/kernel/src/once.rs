//! A value set once, at attach time, and read-only afterwards: the global
//! driver instance (upstream's `vmm_softc`, NULL until attach).

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU8, Ordering};

const EMPTY: u8 = 0;
const BUSY: u8 = 1;
const READY: u8 = 2;

/// A cell written at most once.
pub struct Once<T> {
    state: AtomicU8,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value is written once before READY is published (Release)
// and only shared afterwards (readers Acquire READY), like std's OnceLock.
unsafe impl<T: Send + Sync> Sync for Once<T> {}

impl<T> Once<T> {
    /// An empty cell.
    pub const fn new() -> Self {
        Once {
            state: AtomicU8::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Stores `v` in place and returns a reference to it, or `None` if
    /// the cell was already set (or is being set) by someone else.
    pub fn set_with(&self, f: impl FnOnce() -> T) -> Option<&T> {
        if self
            .state
            .compare_exchange(EMPTY, BUSY, Ordering::Acquire, Ordering::Acquire)
            .is_err()
        {
            return None;
        }
        // SAFETY: the CAS above makes this the only writer, and no reader
        // looks before READY.
        let v = unsafe { (*self.value.get()).write(f()) };
        self.state.store(READY, Ordering::Release);
        Some(v)
    }

    /// The value, once set.
    pub fn get(&self) -> Option<&T> {
        if self.state.load(Ordering::Acquire) == READY {
            // SAFETY: READY is published after the value was written, and
            // the value is never written again.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Self::new()
    }
}

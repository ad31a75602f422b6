//! Typed access to the current process's memory (copyin(9)/copyout(9)).

use crate::pod::{as_bytes, as_bytes_mut, zeroed, Pod};
use crate::{KResult, Kernel};

/// Copies a `T` in from user address `uaddr`.
pub fn copyin<K: Kernel, T: Pod>(k: &K, uaddr: u64) -> KResult<T> {
    let mut v = zeroed::<T>();
    k.copyin(uaddr, as_bytes_mut(&mut v))?;
    Ok(v)
}

/// Copies a `T` in from user address `uaddr` over `*dst`, without a
/// temporary (`copyin` returns its value through a zeroed one, which for
/// `VMM_IOC_RUN`'s 600-byte exit record costs a clear and two copies per
/// run).  On failure `*dst` may hold part of the user's bytes.
pub fn copyin_to<K: Kernel, T: Pod>(k: &K, uaddr: u64, dst: &mut T) -> KResult {
    k.copyin(uaddr, as_bytes_mut(dst))
}

/// Copies `v` out to user address `uaddr`.
pub fn copyout<K: Kernel, T: Pod>(k: &K, v: &T, uaddr: u64) -> KResult {
    k.copyout(as_bytes(v), uaddr)
}

//! Address-space identifiers (SVM ASIDs, VMX VPIDs): 1 to max, lowest free
//! first, returned when the vcpu goes (upstream's `vpids` bitmap under
//! `vpid_lock`; here a lock-free bitmap, one per kernel like upstream's).

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use vmm_kernel::{Errno, KResult};

/// Up to 4095 identifiers (upstream caps NASID at 0xFFF).
pub struct AsidMap {
    bits: [AtomicU64; 64],
    max: AtomicU32,
}

/// The identifiers of this kernel's vcpus.
pub static ASIDS: AsidMap = AsidMap::new();

impl AsidMap {
    /// An empty map handing out nothing until [`AsidMap::set_max`].
    pub const fn new() -> Self {
        AsidMap {
            bits: [const { AtomicU64::new(0) }; 64],
            max: AtomicU32::new(0),
        }
    }

    /// Hands out 1..=max from now on (max capped at 4095).
    pub fn set_max(&self, max: u32) {
        self.max.store(max.min(4095), Ordering::Relaxed);
    }

    /// The lowest free identifier; `ENOMEM` when none is left.
    pub fn alloc(&'static self) -> KResult<Asid> {
        for id in 1..=self.max.load(Ordering::Relaxed) {
            let Some(w) = self.bits.get((id / 64) as usize) else {
                break;
            };
            let m = 1u64 << (id % 64);
            if w.fetch_or(m, Ordering::AcqRel) & m == 0 {
                let id = u16::try_from(id).map_err(|_| Errno::ENOMEM)?;
                return Ok(Asid { map: self, id });
            }
        }
        Err(Errno::ENOMEM)
    }
}

impl Default for AsidMap {
    fn default() -> Self {
        Self::new()
    }
}

/// An identifier in use; returned to its map on drop.
pub struct Asid {
    map: &'static AsidMap,
    id: u16,
}

impl Asid {
    /// The identifier.
    pub fn id(&self) -> u16 {
        self.id
    }
}

impl Drop for Asid {
    fn drop(&mut self) {
        let id = u32::from(self.id);
        if let Some(w) = self.map.bits.get((id / 64) as usize) {
            w.fetch_and(!(1u64 << (id % 64)), Ordering::AcqRel);
        }
    }
}

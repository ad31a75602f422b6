//! The KVM paravirtual clock vmm offers guests (upstream's
//! `vmm_init_pvclock`, `vmm_update_pvclock`, `vmm_pv_wall_clock`): a
//! 32-byte `pvclock_time_info` the guest registers through
//! `KVM_MSR_SYSTEM_TIME` (or vmd through `VMM_IOC_WRITEVMPARAMS`), updated
//! before every entry, and a one-shot 12-byte wall clock.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use vmm_abi::vm_mem_range;
use vmm_kernel::mem::PmapBox;
use vmm_kernel::KernelAmd64;

/// `KVM_MSR_WALL_CLOCK`.
pub const MSR_WALL_CLOCK: u64 = 0x4b56_4d00;
/// `KVM_MSR_SYSTEM_TIME`.
pub const MSR_SYSTEM_TIME: u64 = 0x4b56_4d01;
/// Bit 0 of the system-time MSR: enabled.
const ENABLE: u64 = 1;
/// `PVCLOCK_FLAG_TSC_STABLE`.
const FLAG_TSC_STABLE: u8 = 1;
/// The shift the multiplier is computed for.
const TSC_SHIFT: i8 = 12;

/// Where a vcpu's clock is and its version counter.
pub struct PvClock<'a> {
    /// The registered system-time MSR value (GPA | enable).
    pub gpa: &'a AtomicU64,
    /// Updates so far.
    pub version: &'a AtomicU32,
}

/// Upstream's `vmm_gpa_is_valid`: some range (of any type) holds
/// `[gpa, gpa + len)`, with the end strictly inside it.
pub fn gpa_valid(ranges: &[vm_mem_range], gpa: u64, len: u64) -> bool {
    ranges.iter().any(|r| {
        let size = r.vmr_size as u64;
        size >= len
            && r.vmr_gpa <= gpa
            && r.vmr_gpa
                .checked_add(size)
                .and_then(|e| e.checked_sub(len))
                .is_some_and(|e| gpa < e)
    })
}

/// Checks a new system-time registration; false means #GP for the guest
/// (the structure is outside guest memory or crosses a page).
pub fn register(ranges: &[vm_mem_range], value: u64, pv: &PvClock<'_>) -> bool {
    let gpa = value & !0xf;
    if !gpa_valid(ranges, gpa, 32) || (gpa & 0xfff).saturating_add(32) > 4096 {
        return false;
    }
    pv.gpa.store(value, Ordering::Relaxed);
    true
}

/// Writes the time info if the guest enabled it and its page is mapped.
/// Runs before every entry, so the common disabled case is kept inline and
/// the write itself out of line.
#[inline]
pub fn update<K: KernelAmd64>(k: &K, pm: &PmapBox<K>, pv: &PvClock<'_>) {
    let value = pv.gpa.load(Ordering::Relaxed);
    if value & ENABLE != 0 {
        write_time_info(k, pm, pv, value & !0xf);
    }
}

#[cold]
#[inline(never)]
fn write_time_info<K: KernelAmd64>(k: &K, pm: &PmapBox<K>, pv: &PvClock<'_>, gpa: u64) {
    let freq = k.tsc_frequency();
    let mul: u32 = (1_000_000_000u64 << 20)
        .checked_div(freq)
        .map_or(0, |m| u32::try_from(m).unwrap_or(u32::MAX));
    let v = pv.version.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
    let mut ti = [0u8; 32];
    let put = |ti: &mut [u8; 32], off: usize, b: &[u8]| {
        if let Some(d) = ti.get_mut(off..off.saturating_add(b.len())) {
            d.copy_from_slice(b);
        }
    };
    // Odd version while the update is in progress.
    put(&mut ti, 0, &((v << 1) | 1).to_le_bytes());
    if pm.guest_write(gpa, ti.get(..4).unwrap_or(&[])).is_err() {
        return;
    }
    put(&mut ti, 8, &crate::insn::rdtsc().to_le_bytes());
    put(&mut ti, 16, &k.nanouptime().to_le_bytes());
    put(&mut ti, 24, &mul.to_le_bytes());
    put(&mut ti, 28, &TSC_SHIFT.to_le_bytes());
    put(&mut ti, 29, &[FLAG_TSC_STABLE]);
    let _ = pm.guest_write(gpa.wrapping_add(8), ti.get(8..).unwrap_or(&[]));
    put(&mut ti, 0, &(v << 1).to_le_bytes());
    let _ = pm.guest_write(gpa, ti.get(..4).unwrap_or(&[]));
}

/// The guest asked for the wall clock at `gpa`; false means #GP.
pub fn wall_clock<K: KernelAmd64>(
    k: &K,
    pm: &PmapBox<K>,
    ranges: &[vm_mem_range],
    gpa: u64,
) -> bool {
    if !gpa_valid(ranges, gpa, 12) || (gpa & 0xfff).saturating_add(12) > 4096 {
        return false;
    }
    let mut ver = [0u8; 4];
    if pm.guest_read(gpa, &mut ver).is_err() {
        return false;
    }
    let v = u32::from_le_bytes(ver) | 1;
    let (sec, nsec) = k.nanoboottime();
    let mut wc = [0u8; 12];
    if let Some(d) = wc.get_mut(0..4) {
        d.copy_from_slice(&v.to_le_bytes());
    }
    if let Some(d) = wc.get_mut(4..8) {
        d.copy_from_slice(&(sec as u32).to_le_bytes());
    }
    if let Some(d) = wc.get_mut(8..12) {
        d.copy_from_slice(&nsec.to_le_bytes());
    }
    if pm.guest_write(gpa, &wc).is_err() {
        return false;
    }
    let _ = pm.guest_write(gpa, &v.wrapping_add(1).to_le_bytes());
    true
}

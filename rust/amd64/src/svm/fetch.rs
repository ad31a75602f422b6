//! Fetching the bytes of the instruction at the guest's RIP, for MMIO
//! exits on CPUs without SVM decode assists (vmd needs them to emulate the
//! access; upstream reported nothing there).

use vmm_kernel::mem::PmapBox;
use vmm_kernel::KernelAmd64;

use super::vmcb::Vmcb;

const CR0_PG: u64 = 1 << 31;
const CR4_PSE: u64 = 1 << 4;
const CR4_PAE: u64 = 1 << 5;
const EFER_LMA: u64 = 1 << 10;
const PG_V: u64 = 1;
const PG_PS: u64 = 1 << 7;
const FRAME: u64 = 0x000f_ffff_ffff_f000;

fn read_u64<K: KernelAmd64>(pm: &PmapBox<K>, gpa: u64) -> Option<u64> {
    let mut b = [0u8; 8];
    pm.guest_read(gpa, &mut b).ok()?;
    Some(u64::from_le_bytes(b))
}

fn read_u32<K: KernelAmd64>(pm: &PmapBox<K>, gpa: u64) -> Option<u64> {
    let mut b = [0u8; 4];
    pm.guest_read(gpa, &mut b).ok()?;
    Some(u64::from(u32::from_le_bytes(b)))
}

/// The guest-physical address of linear address `va` under the guest's
/// own paging (none, 32-bit, PAE or 4-level); `None` if not present.
pub(super) fn translate<K: KernelAmd64>(pm: &PmapBox<K>, c: &Vmcb, va: u64) -> Option<u64> {
    if c.cr0 & CR0_PG == 0 {
        return Some(va & 0xffff_ffff);
    }
    if c.efer & EFER_LMA != 0 {
        let mut table = c.cr3 & FRAME;
        for shift in [39u32, 30, 21, 12] {
            let idx = (va >> shift) & 0x1ff;
            let e = read_u64(pm, table.checked_add(idx.checked_mul(8)?)?)?;
            if e & PG_V == 0 {
                return None;
            }
            if (shift == 30 || shift == 21) && e & PG_PS != 0 {
                let size = 1u64 << shift;
                return Some((e & FRAME & !(size.wrapping_sub(1))) | (va & size.wrapping_sub(1)));
            }
            table = e & FRAME;
        }
        return Some(table | (va & 0xfff));
    }
    if c.cr4 & CR4_PAE != 0 {
        let pdpt = c.cr3 & 0xffff_ffe0;
        let e = read_u64(pm, pdpt.checked_add(((va >> 30) & 3).checked_mul(8)?)?)?;
        if e & PG_V == 0 {
            return None;
        }
        let pd = e & FRAME;
        let e = read_u64(pm, pd.checked_add(((va >> 21) & 0x1ff).checked_mul(8)?)?)?;
        if e & PG_V == 0 {
            return None;
        }
        if e & PG_PS != 0 {
            return Some((e & FRAME & !0x1f_ffff) | (va & 0x1f_ffff));
        }
        let pt = e & FRAME;
        let e = read_u64(pm, pt.checked_add(((va >> 12) & 0x1ff).checked_mul(8)?)?)?;
        if e & PG_V == 0 {
            return None;
        }
        return Some((e & FRAME) | (va & 0xfff));
    }
    let pd = c.cr3 & 0xffff_f000;
    let e = read_u32(pm, pd.checked_add(((va >> 22) & 0x3ff).checked_mul(4)?)?)?;
    if e & PG_V == 0 {
        return None;
    }
    if e & PG_PS != 0 && c.cr4 & CR4_PSE != 0 {
        return Some((e & 0xffc0_0000) | (va & 0x3f_ffff));
    }
    let pt = e & 0xffff_f000;
    let e = read_u32(pm, pt.checked_add(((va >> 12) & 0x3ff).checked_mul(4)?)?)?;
    if e & PG_V == 0 {
        return None;
    }
    Some((e & 0xffff_f000) | (va & 0xfff))
}

/// Up to 15 bytes at CS:RIP, and how many could be read.
pub(super) fn insn_bytes<K: KernelAmd64>(pm: &PmapBox<K>, c: &Vmcb) -> ([u8; 15], usize) {
    let mut out = [0u8; 15];
    let mut got = 0usize;
    let lin = c.cs.base.wrapping_add(c.rip);
    while got < out.len() {
        let va = lin.wrapping_add(got as u64);
        let Some(gpa) = translate(pm, c, va) else {
            break;
        };
        let in_page = 4096usize.saturating_sub((va & 0xfff) as usize);
        let n = in_page.min(out.len().saturating_sub(got));
        let Some(dst) = out.get_mut(got..got.saturating_add(n)) else {
            break;
        };
        if n == 0 || pm.guest_read(gpa, dst).is_err() {
            break;
        }
        got = got.saturating_add(n);
    }
    (out, got)
}

//! The CPUID values a guest sees (upstream's `vmm_handle_cpuid`, shared by
//! VMX and SVM): the host's, filtered, plus the "OpenBSDVMM58" and KVM
//! hypervisor leaves.

use crate::insn::{cpuid, CpuidResult};
use crate::x86::CR4_OSXSAVE;

/// Leaf 1 ECX: DTES64, MWAIT, DSCPL, VMX, SMX, EST, TM2, CNXTID, SDBG,
/// XTPR, PDCM, PCID, DCA, X2APIC, DEADLINE removed.
pub const CPUIDECX_MASK: u32 = 0xfed9_3203;
/// Leaf 1 EDX: MCE, APIC, MTRR, MCA, PSN, DS, ACPI, SS, HTT, TM, PBE removed.
pub const CPUIDEDX_MASK: u32 = 0x479b_ad7f;
/// Leaf 7 EBX: TSC_ADJUST, SGX, HLE, INVPCID, RTM, PQM, MPX, AVX-512*,
/// PCOMMIT, PT removed.
pub const SEFF0EBX_MASK: u32 = 0x219c_a3e9;
/// 0x80000001 ECX: SVM and MWAITX removed.
pub const ECPUIDECX_MASK: u32 = 0xdfff_fffb;
/// 0x80000001 EDX: RDTSCP removed.
pub const FEAT_EFLAGS_MASK: u32 = 0xf7ff_ffff;
/// 0x80000008 EBX: IBPB, IBRS, STIBP, SSBD and friends removed.
pub const AMDSPEC_EBX_MASK: u32 = 0xf8f8_2fff;
/// Leaf 1 ECX: hypervisor present.
const CPUIDECX_HV: u32 = 1 << 31;
/// Leaf 1 ECX: OSXSAVE.
const CPUIDECX_OSXSAVE: u32 = 1 << 27;
/// KVM features: CLOCKSOURCE2 and CLOCKSOURCE_STABLE_BIT.
const KVM_FEATURES: u32 = (1 << 3) | (1 << 24);

/// The host's leaf 0 and highest extended leaf, read once when the
/// backend is set up (they do not change while the system runs) instead
/// of with two more CPUIDs on every guest CPUID.
#[derive(Clone, Copy, Debug)]
pub struct HostLeaves {
    /// Leaf 0: highest basic leaf and vendor.
    pub leaf0: CpuidResult,
    /// EAX of leaf 0x80000000.
    pub max_ext: u32,
}

impl HostLeaves {
    /// Reads them on the current CPU.
    pub fn read() -> Self {
        HostLeaves {
            leaf0: cpuid(0, 0),
            max_ext: cpuid(0x8000_0000, 0).eax,
        }
    }
}

/// What the guest's CPUID returns.
///
/// `vcpu_id` is the APIC id reported; `guest_cr4` gives the guest's CR4,
/// which decides OSXSAVE (asked only for leaf 1; its error is returned);
/// `xsave_mask` is what leaf 0xD may report.
pub fn guest_cpuid<E>(
    h: &HostLeaves,
    leaf: u32,
    subleaf: u32,
    vcpu_id: u32,
    guest_cr4: impl FnOnce() -> Result<u64, E>,
    xsave_mask: u64,
) -> Result<CpuidResult, E> {
    let host0 = h.leaf0;
    let max_basic = host0.eax;
    let max_ext = h.max_ext;
    let mut leaf = leaf;
    if (leaf > max_basic && leaf < 0x4000_0000) || leaf > max_ext.max(0x4000_0101) {
        leaf = max_basic;
    }
    let host = if leaf <= max_basic || leaf > 0x8000_0000 {
        cpuid(leaf, subleaf)
    } else {
        CpuidResult::default()
    };
    let zero = CpuidResult::default();
    Ok(match leaf {
        0x00 => CpuidResult {
            eax: max_basic,
            ..host0
        },
        0x01 => {
            let mut ecx = (host.ecx | CPUIDECX_HV) & CPUIDECX_MASK;
            if guest_cr4()? & CR4_OSXSAVE != 0 {
                ecx |= CPUIDECX_OSXSAVE;
            } else {
                ecx &= !CPUIDECX_OSXSAVE;
            }
            CpuidResult {
                eax: host.eax,
                ebx: (host.ebx & 0x0000_ffff) | ((vcpu_id & 0xff) << 24),
                ecx,
                edx: host.edx & CPUIDEDX_MASK,
            }
        }
        0x02 | 0x16 => host,
        0x04 => CpuidResult {
            eax: host.eax & 0x3ff,
            ..host
        },
        0x07 if subleaf == 0 => CpuidResult {
            eax: 0,
            ebx: host.ebx & SEFF0EBX_MASK,
            ecx: host.ecx & 0x4,
            edx: host.edx & 0x400,
        },
        0x0d => {
            let mask = xsave_mask;
            match subleaf {
                0 => CpuidResult {
                    eax: mask as u32,
                    ebx: host.ebx,
                    ecx: host.ebx,
                    edx: (mask >> 32) as u32,
                },
                1 => CpuidResult {
                    eax: host.eax & 0x5,
                    ..zero
                },
                s if s < 63 && mask & (1u64 << s) != 0 => CpuidResult { ecx: 0, ..host },
                _ => zero,
            }
        }
        0x4000_0000 => sig(0, *b"OpenBSDVMM58"),
        0x4000_0001 => CpuidResult {
            eax: KVM_FEATURES,
            ..zero
        },
        0x4000_0100 => sig(0x4000_0101, *b"KVMKVMKVM\0\0\0"),
        0x4000_0101 => CpuidResult {
            eax: KVM_FEATURES | (1 << 1),
            ..zero
        },
        0x8000_0000 => CpuidResult {
            eax: max_ext.min(0x8000_001f),
            ..zero
        },
        0x8000_0001 => CpuidResult {
            eax: host.eax,
            ebx: 0,
            ecx: host.ecx & ECPUIDECX_MASK,
            edx: host.edx & FEAT_EFLAGS_MASK,
        },
        0x8000_0002..=0x8000_0006 | 0x8000_001d | 0x8000_001f => host,
        0x8000_0007 => CpuidResult {
            edx: host.edx & 0x100,
            ..host
        },
        0x8000_0008 => CpuidResult {
            ebx: host.ebx & AMDSPEC_EBX_MASK,
            ecx: 0,
            ..host
        },
        _ => zero,
    })
}

fn sig(eax: u32, s: [u8; 12]) -> CpuidResult {
    let w = |a: u8, b: u8, c: u8, d: u8| u32::from_le_bytes([a, b, c, d]);
    CpuidResult {
        eax,
        ebx: w(s[0], s[1], s[2], s[3]),
        ecx: w(s[4], s[5], s[6], s[7]),
        edx: w(s[8], s[9], s[10], s[11]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_cr4_is_read_only_for_leaf_1() {
        let h = HostLeaves::read();
        // Leaf 0 does not need CR4: the failing read is never made.
        let r = guest_cpuid(&h, 0, 0, 0, || Err(()), 0);
        assert_eq!(r.map(|r| r.eax), Ok(h.leaf0.eax));
        // Leaf 1 does: its error is the result, its OSXSAVE the bit.
        assert_eq!(guest_cpuid(&h, 1, 0, 0, || Err(()), 0), Err(()));
        let osxsave = |cr4: u64| {
            guest_cpuid(&h, 1, 0, 3, || Ok::<u64, ()>(cr4), 0)
                .map(|r| (r.ecx & CPUIDECX_OSXSAVE != 0, r.ebx >> 24))
        };
        assert_eq!(osxsave(CR4_OSXSAVE), Ok((true, 3)));
        assert_eq!(osxsave(0), Ok((false, 3)));
    }
}

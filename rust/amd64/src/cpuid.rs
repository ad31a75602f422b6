//! The CPUID values a guest sees (upstream's `vmm_handle_cpuid` and
//! `vmm_handle_cpuid_0xd`, shared by VMX and SVM): the host's, filtered,
//! plus the "OpenBSDVMM58" and KVM hypervisor leaves.
//!
//! The policy, [`guest_cpuid`], is a pure function: the host's CPUID comes
//! in through [`HostCpuid`] (the kernel's [`LiveCpuid`] executes the
//! instruction, the tests pass a table), the facts read once when the
//! backend is set up through [`CpuidHost`], and the guest's state through
//! [`GuestCpuid`] and two closures.  It executes no instruction of its
//! own, so `rust/amd64/tests/cpuid_policy.rs` checks it leaf by leaf
//! against upstream 1.64 on tables of Intel and AMD hosts.

use crate::insn::CpuidResult;
use crate::x86::CR4_OSXSAVE;
use vmm_kernel::KernelAmd64;

/// Bits of leaf 1 ECX.
mod ecx1 {
    pub const DTES64: u32 = 1 << 2;
    pub const MONITOR: u32 = 1 << 3;
    pub const DSCPL: u32 = 1 << 4;
    pub const VMX: u32 = 1 << 5;
    pub const SMX: u32 = 1 << 6;
    pub const EST: u32 = 1 << 7;
    pub const TM2: u32 = 1 << 8;
    pub const CNXTID: u32 = 1 << 10;
    pub const SDBG: u32 = 1 << 11;
    pub const XTPR: u32 = 1 << 14;
    pub const PDCM: u32 = 1 << 15;
    pub const PCID: u32 = 1 << 17;
    pub const DCA: u32 = 1 << 18;
    pub const X2APIC: u32 = 1 << 21;
    pub const DEADLINE: u32 = 1 << 24;
    pub const OSXSAVE: u32 = 1 << 27;
    pub const HV: u32 = 1 << 31;
}

/// Bits of leaf 1 EDX.
mod edx1 {
    pub const MCE: u32 = 1 << 7;
    pub const APIC: u32 = 1 << 9;
    pub const MTRR: u32 = 1 << 12;
    pub const MCA: u32 = 1 << 14;
    pub const PSN: u32 = 1 << 18;
    pub const DS: u32 = 1 << 21;
    pub const ACPI: u32 = 1 << 22;
    pub const SS: u32 = 1 << 27;
    pub const HTT: u32 = 1 << 28;
    pub const TM: u32 = 1 << 29;
    pub const PBE: u32 = 1 << 31;
}

/// Bits of leaf 7 sub-leaf 0.
mod seff {
    pub const EBX_TSC_ADJUST: u32 = 1 << 1;
    pub const EBX_SGX: u32 = 1 << 2;
    pub const EBX_HLE: u32 = 1 << 4;
    pub const EBX_INVPCID: u32 = 1 << 10;
    pub const EBX_RTM: u32 = 1 << 11;
    pub const EBX_PQM: u32 = 1 << 12;
    pub const EBX_MPX: u32 = 1 << 14;
    pub const EBX_AVX512F: u32 = 1 << 16;
    pub const EBX_AVX512DQ: u32 = 1 << 17;
    pub const EBX_AVX512IFMA: u32 = 1 << 21;
    pub const EBX_PCOMMIT: u32 = 1 << 22;
    pub const EBX_PT: u32 = 1 << 25;
    pub const EBX_AVX512PF: u32 = 1 << 26;
    pub const EBX_AVX512ER: u32 = 1 << 27;
    pub const EBX_AVX512CD: u32 = 1 << 28;
    pub const EBX_AVX512BW: u32 = 1 << 30;
    pub const EBX_AVX512VL: u32 = 1 << 31;
    pub const ECX_UMIP: u32 = 1 << 2;
    pub const ECX_PKU: u32 = 1 << 3;
    pub const EDX_MD_CLEAR: u32 = 1 << 10;
    pub const EDX_IBT: u32 = 1 << 20;
}

/// Leaf 1 ECX the guest may see (`VMM_CPUIDECX_MASK`): no debug store,
/// MONITOR/MWAIT, VMX, SMX, SpeedStep, TM2, context ID, silicon debug,
/// xTPR, PDCM, PCID, DCA, x2APIC or TSC deadline.
pub const CPUIDECX_MASK: u32 = !(ecx1::DTES64
    | ecx1::MONITOR
    | ecx1::DSCPL
    | ecx1::VMX
    | ecx1::SMX
    | ecx1::EST
    | ecx1::TM2
    | ecx1::CNXTID
    | ecx1::SDBG
    | ecx1::XTPR
    | ecx1::PDCM
    | ecx1::PCID
    | ecx1::DCA
    | ecx1::X2APIC
    | ecx1::DEADLINE);
/// Leaf 1 EDX the guest may see (`VMM_CPUIDEDX_MASK`): no MCE, APIC,
/// MTRR, MCA, PSN, DS, ACPI, SS, HTT, TM or PBE.
pub const CPUIDEDX_MASK: u32 = !(edx1::MCE
    | edx1::APIC
    | edx1::MTRR
    | edx1::MCA
    | edx1::PSN
    | edx1::DS
    | edx1::ACPI
    | edx1::SS
    | edx1::HTT
    | edx1::TM
    | edx1::PBE);
/// Leaf 7 EBX the guest may see (`VMM_SEFF0EBX_MASK`): no TSC_ADJUST,
/// SGX, HLE, INVPCID, RTM, PQM, MPX, PCOMMIT, PT or AVX-512.
pub const SEFF0EBX_MASK: u32 = !(seff::EBX_TSC_ADJUST
    | seff::EBX_SGX
    | seff::EBX_HLE
    | seff::EBX_INVPCID
    | seff::EBX_RTM
    | seff::EBX_PQM
    | seff::EBX_MPX
    | seff::EBX_PCOMMIT
    | seff::EBX_PT
    | seff::EBX_AVX512F
    | seff::EBX_AVX512DQ
    | seff::EBX_AVX512IFMA
    | seff::EBX_AVX512PF
    | seff::EBX_AVX512ER
    | seff::EBX_AVX512CD
    | seff::EBX_AVX512BW
    | seff::EBX_AVX512VL);
/// Leaf 7 ECX the guest may see (`VMM_SEFF0ECX_MASK`, an include list):
/// UMIP; PKU is added when the host's PKRU is exposed.
pub const SEFF0ECX_MASK: u32 = seff::ECX_UMIP;
/// Leaf 7 ECX: PKU.
pub const SEFF0ECX_PKU: u32 = seff::ECX_PKU;
/// Leaf 7 EDX the guest may see (`VMM_SEFF0EDX_MASK`, an include list):
/// MD_CLEAR; IBT is added when the host has CET on.
pub const SEFF0EDX_MASK: u32 = seff::EDX_MD_CLEAR;
/// Leaf 7 EDX: IBT.
pub const SEFF0EDX_IBT: u32 = seff::EDX_IBT;
/// 0x80000001 ECX the guest may see (`VMM_ECPUIDECX_MASK`): no SVM or
/// MWAITX.
pub const ECPUIDECX_MASK: u32 = !((1 << 2) | (1 << 29));
/// 0x80000001 EDX the guest may see (`VMM_FEAT_EFLAGS_MASK`): no RDTSCP.
pub const FEAT_EFLAGS_MASK: u32 = !(1 << 27);
/// 0x80000007 EDX the guest may see (`VMM_APMI_EDX_INCLUDE_MASK`): the
/// invariant TSC bit.
pub const APMI_EDX_INCLUDE_MASK: u32 = CPUIDEDX_ITSC;
/// 0x80000008 EBX the guest may see (`VMM_AMDSPEC_EBX_MASK`): no IBPB,
/// IBRS, STIBP, their always-on and preferred bits, SSBD, VIRT_SSBD or
/// SSBD_NOTREQ.
pub const AMDSPEC_EBX_MASK: u32 = !((1 << 12)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 17)
    | (1 << 18)
    | (1 << 24)
    | (1 << 25)
    | (1 << 26));
/// Leaf 4 EAX bits passed (`VMM_CPUID4_CACHE_TOPOLOGY_MASK`).
pub const CPUID4_CACHE_TOPOLOGY_MASK: u32 = 0x3ff;
/// 0x80000007 EDX: invariant TSC.
pub const CPUIDEDX_ITSC: u32 = 1 << 8;
/// Leaf 0xD sub-leaf 1 EAX bits passed: XSAVEOPT and XGETBV with ECX=1
/// (no XSAVEC, XSAVES or XFD).
pub const XSAVE_SUB1_EAX_MASK: u32 = (1 << 0) | (1 << 2);
/// The XSAVE components that are XCR0's (`XFEATURE_XCR0_MASK`): x87,
/// SSE, AVX, MPX, the AVX-512 state, PKRU and AMX; the others are XSS's.
pub const XFEATURE_XCR0_MASK: u64 = 0x0006_02ff;
/// XSAVE component 9: PKRU.
pub const XFEATURE_PKRU: u64 = 1 << PKRU_COMPONENT;
/// PKRU's XSAVE component number.
const PKRU_COMPONENT: u32 = 9;
/// IA32_MISC_ENABLE bit 22: limit CPUID's maximum basic leaf to 2.
pub const MISC_ENABLE_LIMIT_CPUID_MAXVAL: u64 = 1 << 22;
/// KVM features (leaves 0x40000001 and 0x40000101): CLOCKSOURCE2 and
/// CLOCKSOURCE_STABLE_BIT.
const KVM_FEATURES: u32 = (1 << 3) | (1 << 24);
/// KVM feature NOP_IO_DELAY (leaf 0x40000101 only).
const KVM_FEATURE_NOP_IO_DELAY: u32 = 1 << 1;
/// The basic leaf upstream raises the maximum to when the TSC is
/// invariant, so that the guest finds the TSC frequency there.
const TSC_LEAF: u32 = 0x15;
/// The highest extended leaf the guest is told of.
const MAX_EXT_LEAF: u32 = 0x8000_001f;
/// Legacy region and XSAVE header: the least an XSAVE area takes.
const XSAVE_LEGACY_AND_HEADER: u32 = 576;

/// The host's CPUID.  Leaf 0xD sub-leaf 0 EBX must be the size for the
/// host's own XCR0 (the kernel's `xsave_mask`) when [`CpuidHost::probe`]
/// reads it; the policy never asks for it afterwards (on a CPUID exit the
/// CPU may still have the guest's XCR0).
pub trait HostCpuid {
    /// CPUID `leaf`, sub-leaf `subleaf`.
    fn cpuid(&self, leaf: u32, subleaf: u32) -> CpuidResult;
}

/// The CPUID instruction on the current CPU.
#[derive(Clone, Copy, Debug, Default)]
pub struct LiveCpuid;

impl HostCpuid for LiveCpuid {
    #[inline(always)]
    fn cpuid(&self, leaf: u32, subleaf: u32) -> CpuidResult {
        crate::insn::cpuid(leaf, subleaf)
    }
}

/// What the kernel knows about the host that CPUID alone does not say.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostState {
    /// The kernel's `tsc_is_invariant`.
    pub tsc_invariant: bool,
    /// The kernel's `xsave_mask` (0 without XSAVE).
    pub xsave_mask: u64,
    /// Upstream's `pkru_enabled` (host CR4.PKE): leaf 7 shows PKU and
    /// leaf 0xD the PKRU component.  A backend sets it only if it switches
    /// PKRU between host and guest.
    pub pkru: bool,
    /// Host CR4.CET: leaf 7 shows IBT.  A backend sets it only if it
    /// loads the guest's CET state.
    pub cet: bool,
}

/// The host facts the policy needs, read once when the backend is set up
/// (none of them changes while the system runs).
#[derive(Clone, Copy, Debug)]
pub struct CpuidHost {
    /// Leaf 0: the host's highest basic leaf (upstream's `cpuid_level`)
    /// and vendor.
    leaf0: CpuidResult,
    /// The highest basic leaf the guest is told of: the host's, raised to
    /// 0x15 when the TSC is invariant.
    max_basic: u32,
    /// EAX of leaf 0x80000000 (upstream's `ci_pnfeatset`).
    max_ext: u32,
    /// The XCR0 components the host uses (`xsave_mask & XFEATURE_XCR0_MASK`).
    xcr0_mask: u64,
    /// Leaf 0xD.0 EBX with the host's XCR0: the size for those components.
    xsave_size: u32,
    /// Leaf 0xD.0 ECX for the guest: the size for every component it may
    /// enable.
    xsave_size_max: u32,
    /// The XCR0 components the guest may enable: the host's, and PKRU if
    /// exposed.
    guest_xcr0_mask: u64,
    /// The host's PKRU is exposed.
    pkru: bool,
    /// Leaf 7.0 ECX bits added: PKU when the host's PKRU is exposed.
    seff_ecx_set: u32,
    /// Leaf 7.0 EDX bits added: IBT when CET is exposed.
    seff_edx_set: u32,
}

impl CpuidHost {
    /// Reads the facts from `h` and the kernel's `st`.
    pub fn probe(h: &impl HostCpuid, st: HostState) -> Self {
        let leaf0 = h.cpuid(0, 0);
        let max_ext = h.cpuid(0x8000_0000, 0).eax;
        let max_basic = if st.tsc_invariant && leaf0.eax < TSC_LEAF {
            TSC_LEAF
        } else {
            leaf0.eax
        };
        let xcr0_mask = st.xsave_mask & XFEATURE_XCR0_MASK;
        // Without leaf 0xD there is no XSAVE (and no xsave_mask).
        let has_0xd = leaf0.eax >= 0xd;
        let guest_xcr0_mask = match (has_0xd, st.pkru) {
            (false, _) => 0,
            (true, false) => xcr0_mask,
            (true, true) => xcr0_mask | XFEATURE_PKRU,
        };
        let xsave_size = if has_0xd { h.cpuid(0xd, 0).ebx } else { 0 };
        let mut host = CpuidHost {
            leaf0,
            max_basic,
            max_ext,
            xcr0_mask,
            xsave_size,
            xsave_size_max: xsave_size,
            guest_xcr0_mask,
            pkru: st.pkru,
            seff_ecx_set: if st.pkru { SEFF0ECX_PKU } else { 0 },
            seff_edx_set: if st.cet { SEFF0EDX_IBT } else { 0 },
        };
        host.xsave_size_max = xsave_size_for(h, &host, guest_xcr0_mask).max(xsave_size);
        host
    }

    /// The highest basic leaf the guest is told of (without MISC_ENABLE's
    /// limit).
    pub fn max_basic(&self) -> u32 {
        self.max_basic
    }

    /// The XCR0 components leaf 0xD shows the guest: the host's, and PKRU
    /// when exposed, which is what upstream's `vmm_handle_xsetbv` lets the
    /// guest enable.
    pub fn guest_xcr0_mask(&self) -> u64 {
        self.guest_xcr0_mask
    }
}

/// Leaf 0xD.0 EBX for XCR0 = `xcr0`: where the highest area of its
/// components (of those the guest may enable) ends, as the CPU computes it
/// for the standard format, from their sizes and offsets (sub-leaves 2 and
/// up, which do not depend on XCR0); for the host's own XCR0, what the
/// host reported.  One CPUID per component above SSE.  Cold and out of
/// line, as [`tsc_leaf`].
#[cold]
#[inline(never)]
fn xsave_size_for(h: &impl HostCpuid, host: &CpuidHost, xcr0: u64) -> u32 {
    if xcr0 == host.xcr0_mask {
        return host.xsave_size;
    }
    let mut size = if xcr0 == 0 {
        0
    } else {
        XSAVE_LEGACY_AND_HEADER
    };
    // x87 and SSE live in the legacy region.
    let mut rest = xcr0 & host.guest_xcr0_mask & !3;
    while rest != 0 {
        let bit = rest.trailing_zeros();
        rest &= !(1 << bit);
        let c = h.cpuid(0xd, bit);
        size = size.max(c.ebx.saturating_add(c.eax));
    }
    size
}

/// The host facts for a backend, on the CPU it is set up on.
///
/// Upstream shows the guest PKU when the host's CR4 has PKE (`pkru`: both
/// backends then switch PKRU with the guest's FPU state, `crate::world`,
/// and VMX lets the guest set CR4.PKE), and IBT when it has CET.  No backend
/// loads a guest's CET state (and VMX keeps CR4.CET from the guest), so
/// IBT stays hidden: `cet` is false.  XSETBV allows
/// [`CpuidHost::guest_xcr0_mask`], PKRU included when `pkru`.
pub fn host_for_backend<K: KernelAmd64>(k: &K, pkru: bool) -> CpuidHost {
    CpuidHost::probe(
        &LiveCpuid,
        HostState {
            tsc_invariant: k.tsc_is_invariant(),
            xsave_mask: k.xsave_mask(),
            pkru,
            cet: false,
        },
    )
}

/// The guest state the policy reads directly (the rest comes through the
/// closures of [`guest_cpuid`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct GuestCpuid {
    /// The vcpu's id: its APIC id in leaf 1.
    pub vcpu_id: u32,
    /// The guest's XCR0 (decides leaf 0xD.0 EBX).
    pub xcr0: u64,
    /// VMX: the guest's IA32_MISC_ENABLE has "limit CPUID maxval" (bit 22)
    /// set, so the maximum basic leaf is 2.  Always false on SVM.
    pub limit_maxval: bool,
}

/// What the guest's CPUID with EAX = `leaf`, ECX = `subleaf` returns
/// (`vmm_handle_cpuid`).
///
/// `guest_cr4` gives the guest's CR4, which decides OSXSAVE; it is asked
/// for only by leaf 1 and its error is returned.  `tsc_frequency` gives
/// the kernel's TSC frequency in Hz; it is asked for only by leaf 0x15
/// when the host has none and the policy makes it up, and by the KVM
/// feature leaves (0x40000001, 0x40000101), which offer the paravirtual
/// clock only when the kernel knows that frequency.
#[inline]
pub fn guest_cpuid<E>(
    h: &impl HostCpuid,
    host: &CpuidHost,
    leaf: u32,
    subleaf: u32,
    guest: GuestCpuid,
    guest_cr4: impl FnOnce() -> Result<u64, E>,
    tsc_frequency: impl FnOnce() -> u64,
) -> Result<CpuidResult, E> {
    let max_basic = if guest.limit_maxval {
        2
    } else {
        host.max_basic
    };
    // A leaf above the highest basic one (below the hypervisor range) or
    // above the highest extended one gets the highest basic leaf, with
    // the sub-leaf as given, as the SDM says the CPU does.
    let leaf = if (leaf > max_basic && leaf < 0x4000_0000) || leaf > host.max_ext {
        max_basic
    } else {
        leaf
    };
    let host_max = host.leaf0.eax;
    // The host's answer, except for basic leaves above its maximum (up to
    // 0x15, made up below), the hypervisor leaves and 0x80000000.
    let r = if leaf <= host_max || leaf > 0x8000_0000 {
        h.cpuid(leaf, subleaf)
    } else {
        CpuidResult::default()
    };
    let zero = CpuidResult::default();
    Ok(match leaf {
        0x00 => CpuidResult {
            eax: max_basic,
            ..host.leaf0
        },
        0x01 => {
            let mut ecx = (r.ecx | ecx1::HV) & CPUIDECX_MASK;
            if guest_cr4()? & CR4_OSXSAVE != 0 {
                ecx |= ecx1::OSXSAVE;
            } else {
                ecx &= !ecx1::OSXSAVE;
            }
            CpuidResult {
                eax: r.eax,
                ebx: (r.ebx & 0x0000_ffff) | ((guest.vcpu_id & 0xff) << 24),
                ecx,
                edx: r.edx & CPUIDEDX_MASK,
            }
        }
        0x02 | 0x16 => r,
        0x04 => CpuidResult {
            eax: r.eax & CPUID4_CACHE_TOPOLOGY_MASK,
            ..r
        },
        // PKU and IBT as `CpuidHost::probe` decided.
        0x07 if subleaf == 0 => CpuidResult {
            eax: 0,
            ebx: r.ebx & SEFF0EBX_MASK,
            ecx: (r.ecx & SEFF0ECX_MASK) | host.seff_ecx_set,
            edx: (r.edx & SEFF0EDX_MASK) | host.seff_edx_set,
        },
        0x0d => xsave_leaf(h, host, subleaf, guest.xcr0, r),
        0x15 if host_max < TSC_LEAF => tsc_leaf(tsc_frequency),
        0x15 => r,
        0x4000_0000 => signature(0, *b"OpenBSDVMM58"),
        0x4000_0001 => CpuidResult {
            eax: kvm_features(tsc_frequency),
            ..zero
        },
        0x4000_0100 => signature(0x4000_0101, *b"KVMKVMKVM\0\0\0"),
        0x4000_0101 => CpuidResult {
            eax: kvm_features(tsc_frequency) | KVM_FEATURE_NOP_IO_DELAY,
            ..zero
        },
        0x8000_0000 => CpuidResult {
            eax: host.max_ext.min(MAX_EXT_LEAF),
            ..zero
        },
        0x8000_0001 => CpuidResult {
            eax: r.eax,
            ebx: 0,
            ecx: r.ecx & ECPUIDECX_MASK,
            edx: r.edx & FEAT_EFLAGS_MASK,
        },
        0x8000_0002..=0x8000_0006 | 0x8000_001d | 0x8000_001f => r,
        0x8000_0007 => CpuidResult {
            edx: r.edx & APMI_EDX_INCLUDE_MASK,
            ..r
        },
        0x8000_0008 => CpuidResult {
            ebx: r.ebx & AMDSPEC_EBX_MASK,
            ecx: 0,
            ..r
        },
        _ => zero,
    })
}

/// Leaf 0x15 made up: only reached with an invariant TSC (else 0x15 is
/// above the maximum); TSC = crystal (frequency / 100) * 100 / 1.
///
/// Cold and out of line: the exit handlers, and the policy with them, are
/// inlined into the run loop, and the compiler computes what they need
/// from the backend's facts before the loop, keeping it on the stack:
/// work done on every `VMM_IOC_RUN` for leaves hardly ever asked for.
#[cold]
#[inline(never)]
/// The KVM clock features, when the kernel knows its TSC frequency: the
/// pvclock multiplier is computed from it (`pvclock.rs`), and without it
/// would be 0, which a guest divides by (Linux's `pvclock_tsc_khz` in
/// `kvmclock_init`: a divide error at boot).  Upstream offers them
/// always (README, "Differences from the C driver").
fn kvm_features(tsc_frequency: impl FnOnce() -> u64) -> u32 {
    if tsc_frequency() > 0 {
        KVM_FEATURES
    } else {
        0
    }
}

fn tsc_leaf(tsc_frequency: impl FnOnce() -> u64) -> CpuidResult {
    CpuidResult {
        eax: 1,
        ebx: 100,
        ecx: (tsc_frequency() / 100) as u32,
        edx: 0,
    }
}

/// Leaf 0xD (`vmm_handle_cpuid_0xd`): the XSAVE components of the host's
/// XCR0 (and PKRU when exposed), standard format only.  `r` is the host's
/// answer for `subleaf`.
fn xsave_leaf(
    h: &impl HostCpuid,
    host: &CpuidHost,
    subleaf: u32,
    xcr0: u64,
    r: CpuidResult,
) -> CpuidResult {
    let zero = CpuidResult::default();
    let pkru_exposed = host.pkru && subleaf == PKRU_COMPONENT;
    match subleaf {
        0 => {
            let mask = if host.pkru {
                host.xcr0_mask | XFEATURE_PKRU
            } else {
                host.xcr0_mask
            };
            CpuidResult {
                eax: mask as u32,
                // The size for the components of the guest's XCR0 ...
                ebx: xsave_size_for(h, host, xcr0),
                // ... and for all it may enable.
                ecx: host.xsave_size_max,
                edx: (mask >> 32) as u32,
            }
        }
        1 => CpuidResult {
            eax: r.eax & XSAVE_SUB1_EAX_MASK,
            ..zero
        },
        // PKRU: where the host has it (upstream says 8 bytes at
        // sizeof(struct savefpu), 2688, which is where Intel CPUs and
        // AVX-512 AMD CPUs put it, but not AMD CPUs without AVX-512).
        _ if pkru_exposed => CpuidResult {
            eax: r.eax,
            ebx: r.ebx,
            ..zero
        },
        // Components the guest may enable: as the host, without the
        // compacted-format alignment and XFD bits.
        s if s < 63 && host.xcr0_mask & (1 << s) != 0 => CpuidResult { ecx: 0, ..r },
        _ => zero,
    }
}

/// A hypervisor leaf: `eax` and a 12-byte signature in EBX, ECX, EDX.
fn signature(eax: u32, s: [u8; 12]) -> CpuidResult {
    let [b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3] = s;
    CpuidResult {
        eax,
        ebx: u32::from_le_bytes([b0, b1, b2, b3]),
        ecx: u32::from_le_bytes([c0, c1, c2, c3]),
        edx: u32::from_le_bytes([d0, d1, d2, d3]),
    }
}

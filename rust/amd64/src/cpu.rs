//! What the CPU offers for virtualisation (upstream: identcpu.c's
//! `cpu_check_vmm_cap` and `vmm_attach_machdep`).

use crate::insn::{cpuid, msr, rdmsr};

/// AMD SVM capabilities (CPUID 0x8000000A).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SvmCaps {
    /// Nested paging (RVI).
    pub npt: bool,
    /// The VMCB's next-RIP field is filled on intercepts.
    pub nrips: bool,
    /// VMCB clean bits are honoured.
    pub vmcb_clean: bool,
    /// TLB flush by ASID.
    pub flush_by_asid: bool,
    /// Decode assists (instruction bytes on #NPF).
    pub decode_assist: bool,
    /// Number of ASIDs (capped at 0xFFF like upstream).
    pub max_asid: u32,
}

/// Intel VMX capabilities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmxCaps {
    /// Extended page tables.
    pub ept: bool,
    /// Unrestricted guest (real mode without emulation).
    pub unrestricted: bool,
    /// Virtual processor identifiers.
    pub vpid: bool,
}

/// The virtualisation the boot CPU offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Virt {
    /// None usable (absent, or disabled by the firmware).
    None,
    /// AMD SVM.
    Svm(SvmCaps),
    /// Intel VMX.
    Vmx(VmxCaps),
}

/// CPUID 0x80000001 ECX: SVM.
const CPUIDECX_SVM: u32 = 1 << 2;
/// CPUID 1 ECX: VMX.
const CPUIDECX_VMX: u32 = 1 << 5;
/// VM_CR: SVM disabled (by the firmware, when locked).
const VM_CR_SVMDIS: u64 = 1 << 4;
/// IA32_FEATURE_CONTROL: locked.
const FC_LOCK: u64 = 1 << 0;
/// IA32_FEATURE_CONTROL: VMX enabled outside SMX.
const FC_VMX_EN: u64 = 1 << 2;

/// Probes the current CPU.
pub fn probe() -> Virt {
    let max_ext = cpuid(0x8000_0000, 0).eax;
    if max_ext >= 0x8000_000a && cpuid(0x8000_0001, 0).ecx & CPUIDECX_SVM != 0 {
        // SAFETY: VM_CR exists on every CPU with SVM.
        let vm_cr = unsafe { rdmsr(msr::VM_CR) };
        if vm_cr & VM_CR_SVMDIS != 0 {
            return Virt::None;
        }
        let l = cpuid(0x8000_000a, 0);
        let caps = SvmCaps {
            npt: l.edx & (1 << 0) != 0,
            nrips: l.edx & (1 << 3) != 0,
            vmcb_clean: l.edx & (1 << 5) != 0,
            flush_by_asid: l.edx & (1 << 6) != 0,
            decode_assist: l.edx & (1 << 7) != 0,
            max_asid: l.ebx.min(0xfff),
        };
        return Virt::Svm(caps);
    }
    if cpuid(1, 0).ecx & CPUIDECX_VMX != 0 {
        // SAFETY: IA32_FEATURE_CONTROL exists on every CPU with VMX.
        let fc = unsafe { rdmsr(msr::IA32_FEATURE_CONTROL) };
        if fc & FC_LOCK != 0 && fc & FC_VMX_EN == 0 {
            return Virt::None;
        }
        // SAFETY: the VMX capability MSRs exist when CPUID reports VMX.
        let basic = unsafe { rdmsr(msr::IA32_VMX_BASIC) };
        let procbased = if basic & (1 << 55) != 0 {
            // SAFETY: TRUE controls are advertised by bit 55.
            unsafe { rdmsr(msr::IA32_VMX_TRUE_PROCBASED_CTLS) }
        } else {
            // SAFETY: always present with VMX.
            unsafe { rdmsr(msr::IA32_VMX_PROCBASED_CTLS) }
        };
        // Secondary controls exist only if their activation bit may be 1.
        let mut caps = VmxCaps::default();
        if procbased & (1 << 63) != 0 {
            // SAFETY: present, as just checked.
            let p2 = unsafe { rdmsr(msr::IA32_VMX_PROCBASED_CTLS2) } >> 32;
            caps.ept = p2 & (1 << 1) != 0;
            caps.vpid = p2 & (1 << 5) != 0;
            caps.unrestricted = p2 & (1 << 7) != 0;
        }
        return Virt::Vmx(caps);
    }
    Virt::None
}

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
    /// Secure Encrypted Virtualization (CPUID 0x8000001F EAX bit 1).
    pub sev: bool,
    /// SEV with encrypted state (CPUID 0x8000001F EAX bit 3).
    pub sev_es: bool,
}

/// Intel VMX capabilities: the capability MSRs as read once on the boot
/// CPU (upstream reads the same values per CPU in `cpu_check_vmm_cap` and
/// again at every vcpu reset; they are identical on every CPU of a system).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmxCaps {
    /// Extended page tables.
    pub ept: bool,
    /// Unrestricted guest (real mode without emulation).
    pub unrestricted: bool,
    /// Virtual processor identifiers.
    pub vpid: bool,
    /// IA32_VMX_BASIC.
    pub basic: u64,
    /// The TRUE_* control capability MSRs exist (and are the ones below).
    pub true_ctls: bool,
    /// Pin-based controls capability (TRUE_PINBASED if available).
    pub pinbased: u64,
    /// Primary processor-based controls capability (TRUE if available).
    pub procbased: u64,
    /// Secondary processor-based controls capability (0 if absent).
    pub procbased2: u64,
    /// VM-exit controls capability (TRUE if available).
    pub exit: u64,
    /// VM-entry controls capability (TRUE if available).
    pub entry: u64,
    /// IA32_VMX_EPT_VPID_CAP (0 if neither EPT nor VPID).
    pub ept_vpid: u64,
    /// IA32_VMX_CR0_FIXED0 / FIXED1.
    pub cr0_fixed: (u64, u64),
    /// IA32_VMX_CR4_FIXED0 / FIXED1.
    pub cr4_fixed: (u64, u64),
    /// CPUID 7 EDX bit 28: IA32_FLUSH_CMD exists.
    pub l1d_flush_msr: bool,
    /// ARCH_CAPABILITIES says no L1D flush is needed before VM entry
    /// (RDCL_NO, or SKIP_L1DFL_VMENTRY).
    pub l1d_flush_not_needed: bool,
    /// ARCH_CAPABILITIES says MDS_NO, and the CPU needs no VERW for RFDS
    /// either (not RFDS_CLEAR without RFDS_NO): the kernel clears no
    /// buffers before a VM entry then (cpu.c), nor does the driver.
    pub mds_no: bool,
    /// CPUID 7 EDX bit 26: IBRS/IBPB.
    pub ibpb: bool,
    /// CPUID 7 ECX bit 7 or EDX bit 20: CET (the #CP error code).
    pub cet: bool,
}

impl VmxCaps {
    /// The VMCS (and VMXON region) revision identifier.
    pub fn revision(&self) -> u32 {
        (self.basic & 0x7fff_ffff) as u32
    }

    /// What upstream requires: EPT and unrestricted guest.
    pub fn usable(&self) -> bool {
        self.ept && self.unrestricted
    }

    /// Whether the EPT/VPID capability bit `bit` is set.
    pub fn ept_vpid_has(&self, bit: u32) -> bool {
        bit < 64 && self.ept_vpid & (1u64 << bit) != 0
    }
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
        let sev = if max_ext >= 0x8000_001f {
            cpuid(0x8000_001f, 0).eax
        } else {
            0
        };
        let caps = SvmCaps {
            npt: l.edx & (1 << 0) != 0,
            nrips: l.edx & (1 << 3) != 0,
            vmcb_clean: l.edx & (1 << 5) != 0,
            flush_by_asid: l.edx & (1 << 6) != 0,
            decode_assist: l.edx & (1 << 7) != 0,
            max_asid: l.ebx.min(0xfff),
            sev: sev & (1 << 1) != 0,
            sev_es: sev & (1 << 3) != 0,
        };
        return Virt::Svm(caps);
    }
    if cpuid(1, 0).ecx & CPUIDECX_VMX != 0 {
        // SAFETY: IA32_FEATURE_CONTROL exists on every CPU with VMX.
        let fc = unsafe { rdmsr(msr::IA32_FEATURE_CONTROL) };
        if fc & FC_LOCK != 0 && fc & FC_VMX_EN == 0 {
            return Virt::None;
        }
        return Virt::Vmx(probe_vmx());
    }
    Virt::None
}

/// Reads the VMX capability MSRs of the current CPU (which has VMX).
fn probe_vmx() -> VmxCaps {
    // SAFETY: the VMX capability MSRs exist when CPUID reports VMX.
    let basic = unsafe { rdmsr(msr::IA32_VMX_BASIC) };
    let true_ctls = basic & (1 << 55) != 0;
    let pick = |legacy: u32, tru: u32| {
        // SAFETY: the legacy MSRs always exist with VMX; the TRUE ones
        // when IA32_VMX_BASIC bit 55 says so.
        unsafe { rdmsr(if true_ctls { tru } else { legacy }) }
    };
    let mut caps = VmxCaps {
        basic,
        true_ctls,
        pinbased: pick(
            msr::IA32_VMX_PINBASED_CTLS,
            msr::IA32_VMX_TRUE_PINBASED_CTLS,
        ),
        procbased: pick(
            msr::IA32_VMX_PROCBASED_CTLS,
            msr::IA32_VMX_TRUE_PROCBASED_CTLS,
        ),
        exit: pick(msr::IA32_VMX_EXIT_CTLS, msr::IA32_VMX_TRUE_EXIT_CTLS),
        entry: pick(msr::IA32_VMX_ENTRY_CTLS, msr::IA32_VMX_TRUE_ENTRY_CTLS),
        ..VmxCaps::default()
    };
    // SAFETY: the fixed-bit MSRs always exist with VMX.
    unsafe {
        caps.cr0_fixed = (
            rdmsr(msr::IA32_VMX_CR0_FIXED0),
            rdmsr(msr::IA32_VMX_CR0_FIXED1),
        );
        caps.cr4_fixed = (
            rdmsr(msr::IA32_VMX_CR4_FIXED0),
            rdmsr(msr::IA32_VMX_CR4_FIXED1),
        );
    }
    // Secondary controls exist only if their activation bit may be 1
    // (reading 0x48B otherwise raises #GP).
    if caps.procbased & (1 << 63) != 0 {
        // SAFETY: present, as just checked.
        caps.procbased2 = unsafe { rdmsr(msr::IA32_VMX_PROCBASED_CTLS2) };
        let p2 = caps.procbased2 >> 32;
        caps.ept = p2 & (1 << 1) != 0;
        caps.vpid = p2 & (1 << 5) != 0;
        caps.unrestricted = p2 & (1 << 7) != 0;
        if caps.ept || caps.vpid {
            // SAFETY: exists when EPT or VPID may be enabled.
            caps.ept_vpid = unsafe { rdmsr(msr::IA32_VMX_EPT_VPID_CAP) };
        }
    }
    if cpuid(0, 0).eax >= 7 {
        let l7 = cpuid(7, 0);
        caps.l1d_flush_msr = l7.edx & (1 << 28) != 0;
        caps.ibpb = l7.edx & (1 << 26) != 0;
        caps.cet = l7.ecx & (1 << 7) != 0 || l7.edx & (1 << 20) != 0;
        if l7.edx & (1 << 29) != 0 {
            // SAFETY: ARCH_CAPABILITIES exists when CPUID 7 EDX bit 29 says.
            let ac = unsafe { rdmsr(msr::IA32_ARCH_CAPABILITIES) };
            // RDCL_NO, or SKIP_L1DFL_VMENTRY with the flush MSR present.
            caps.l1d_flush_not_needed = ac & 1 != 0 || (ac & (1 << 3) != 0 && caps.l1d_flush_msr);
            // MDS_NO (bit 5); RFDS_NO (27), RFDS_CLEAR (28).
            let rfds_verw = ac & (1 << 28) != 0 && ac & (1 << 27) == 0;
            caps.mds_no = ac & (1 << 5) != 0 && !rfds_verw;
        }
    }
    caps
}

//! Raw x86-64 instructions the driver executes.
//!
//! This module and [`crate::svm::switch`] are where vmm's privileged
//! instructions live; everything else calls these wrappers.  Each wrapper
//! is one instruction (or a fixed pair); the ones that change machine state
//! are `unsafe fn` with the caller's obligations stated.
//!
//! References: Intel SDM Vol. 2 (instruction set), AMD APM Vol. 2 and 3.

use core::arch::asm;

/// The four registers CPUID returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuidResult {
    /// EAX.
    pub eax: u32,
    /// EBX.
    pub ebx: u32,
    /// ECX.
    pub ecx: u32,
    /// EDX.
    pub edx: u32,
}

/// CPUID with a subleaf.  Unprivileged and without side effects.
pub fn cpuid(leaf: u32, subleaf: u32) -> CpuidResult {
    let (eax, ebx, ecx, edx): (u32, u32, u32, u32);
    // SAFETY: CPUID only writes the four output registers; RBX is reserved
    // by LLVM, so it is saved in a scratch register around the instruction.
    unsafe {
        asm!(
            "mov {tmp:r}, rbx",
            "cpuid",
            "xchg {tmp:r}, rbx",
            tmp = out(reg) ebx,
            inout("eax") leaf => eax,
            inout("ecx") subleaf => ecx,
            out("edx") edx,
            options(nostack, preserves_flags, nomem),
        );
    }
    CpuidResult { eax, ebx, ecx, edx }
}

/// Reads a model-specific register.
///
/// # Safety
/// `msr` must exist on this CPU (else #GP) and the caller runs at CPL 0.
pub unsafe fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: the caller guarantees the MSR exists and we are at CPL 0.
    unsafe {
        asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi,
             options(nostack, preserves_flags, nomem));
    }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Writes a model-specific register.
///
/// # Safety
/// `msr` must exist, `v` must be valid for it, and the write must not
/// break the kernel's invariants (the caller knows which MSR it is).
pub unsafe fn wrmsr(msr: u32, v: u64) {
    let lo = v as u32;
    let hi = (v >> 32) as u32;
    // SAFETY: as stated by the caller.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") lo, in("edx") hi,
             options(nostack, preserves_flags));
    }
}

/// Reads CR0.
pub fn rcr0() -> u64 {
    let v: u64;
    // SAFETY: reading CR0 has no side effects (CPL 0 assumed: kernel code).
    unsafe { asm!("mov {}, cr0", out(reg) v, options(nostack, preserves_flags, nomem)) };
    v
}

/// Reads CR4.
pub fn rcr4() -> u64 {
    let v: u64;
    // SAFETY: reading CR4 has no side effects (kernel code).
    unsafe { asm!("mov {}, cr4", out(reg) v, options(nostack, preserves_flags, nomem)) };
    v
}

/// Writes CR4.
///
/// # Safety
/// Only bits the caller owns may change (e.g. CR4.VMXE).
pub unsafe fn lcr4(v: u64) {
    // SAFETY: as stated by the caller.
    unsafe { asm!("mov cr4, {}", in(reg) v, options(nostack, preserves_flags)) };
}

/// Reads an extended control register (XGETBV).
///
/// # Safety
/// CR4.OSXSAVE must be set.
pub unsafe fn xgetbv(reg: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: as stated by the caller.
    unsafe {
        asm!("xgetbv", in("ecx") reg, out("eax") lo, out("edx") hi,
             options(nostack, preserves_flags, nomem));
    }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Reads the time-stamp counter.
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: RDTSC only reads the counter.
    unsafe {
        asm!("rdtsc", out("eax") lo, out("edx") hi, options(nostack, preserves_flags, nomem))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Clears the global interrupt flag (SVM).
///
/// # Safety
/// EFER.SVME must be set; the caller must set GIF again (`stgi`).
pub unsafe fn clgi() {
    // SAFETY: as stated by the caller.
    unsafe { asm!("clgi", options(nostack, preserves_flags)) };
}

/// Sets the global interrupt flag (SVM).
///
/// # Safety
/// EFER.SVME must be set.
pub unsafe fn stgi() {
    // SAFETY: as stated by the caller.
    unsafe { asm!("stgi", options(nostack, preserves_flags)) };
}

/// MSR numbers used by the driver.
pub mod msr {
    /// Extended feature enables.
    pub const EFER: u32 = 0xc000_0080;
    /// SVM: VM_CR (SVMDIS, LOCK).
    pub const VM_CR: u32 = 0xc001_0114;
    /// SVM: physical address of the host save area.
    pub const VM_HSAVE_PA: u32 = 0xc001_0117;
    /// Intel: feature control (lock, VMX outside SMX).
    pub const IA32_FEATURE_CONTROL: u32 = 0x3a;
    /// Intel: VMX basic information.
    pub const IA32_VMX_BASIC: u32 = 0x480;
    /// Intel: primary processor-based controls capability.
    pub const IA32_VMX_PROCBASED_CTLS: u32 = 0x482;
    /// Intel: secondary processor-based controls capability.
    pub const IA32_VMX_PROCBASED_CTLS2: u32 = 0x48b;
    /// Intel: EPT and VPID capabilities.
    pub const IA32_VMX_EPT_VPID_CAP: u32 = 0x48c;
    /// Intel: true primary processor-based controls capability.
    pub const IA32_VMX_TRUE_PROCBASED_CTLS: u32 = 0x48e;
}

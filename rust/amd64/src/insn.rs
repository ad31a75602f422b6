//! Raw x86-64 instructions the driver executes.
//!
//! This module, [`crate::svm::switch`] and [`crate::vmx::switch`] are where
//! vmm's privileged instructions live; everything else calls these
//! wrappers.  Each wrapper is one instruction (or a fixed pair); the ones
//! that change machine state are `unsafe fn` with the caller's obligations
//! stated.
//!
//! The VMX instructions report failure in RFLAGS (SDM Vol. 3C, 31.2):
//! CF=1 is VMfailInvalid (no current VMCS, or a bad operand), ZF=1 is
//! VMfailValid (the reason is in the current VMCS's VM-instruction error
//! field).  Each wrapper captures both flags in the same `asm!` block as
//! the instruction, so nothing the compiler emits can clobber them.
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

/// Proof that CR4.PKE is set on this CPU, so that RDPKRU and WRPKRU do
/// not fault: protection keys are in use by the host and its PKRU is the
/// host's to keep.  The kernel sets CR4.PKE at boot on every CPU alike
/// (OpenBSD's `cpu_init` when the CPU has PKU) and never clears it, so a
/// proof made on one CPU holds on all of them for as long as the system
/// runs.
#[derive(Clone, Copy, Debug)]
pub struct Pke(());

impl Pke {
    /// `Some` if this CPU runs with CR4.PKE (upstream's `pkru_enabled`).
    pub fn probe() -> Option<Pke> {
        (rcr4() & crate::x86::CR4_PKE != 0).then_some(Pke(()))
    }

    /// RDPKRU.
    #[inline(always)]
    pub fn read(self) -> u32 {
        let v: u32;
        // SAFETY: CR4.PKE is set (the proof), so RDPKRU with ECX = 0 only
        // reads PKRU into EAX and clears EDX.
        unsafe {
            asm!("rdpkru", in("ecx") 0u32, out("eax") v, out("edx") _,
                 options(nostack, preserves_flags, nomem));
        }
        v
    }

    /// WRPKRU.  Not `nomem`: PKRU decides which user pages the kernel
    /// may touch.
    #[inline(always)]
    pub fn write(self, v: u32) {
        // SAFETY: CR4.PKE is set (the proof); WRPKRU with ECX = EDX = 0
        // only loads PKRU, which governs data accesses to user-mode pages
        // (callers put the host's value back before any such access).
        unsafe {
            asm!("wrpkru", in("eax") v, in("ecx") 0u32, in("edx") 0u32,
                 options(nostack, preserves_flags));
        }
    }
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

/// The host's IA32_PAT (every CPU vmm supports has it; kernel mode).
pub fn read_pat() -> u64 {
    // SAFETY: PAT is architectural on every 64-bit CPU and this runs in
    // the kernel; reading it changes nothing.
    unsafe { rdmsr(0x277) }
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

/// Reads CR3.
pub fn rcr3() -> u64 {
    let v: u64;
    // SAFETY: reading CR3 has no side effects (kernel code).
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nostack, preserves_flags, nomem)) };
    v
}

/// Reads the CS selector.
pub fn read_cs() -> u16 {
    let v: u16;
    // SAFETY: reading a segment register has no side effects.
    unsafe { asm!("mov {0:x}, cs", out(reg) v, options(nostack, preserves_flags, nomem)) };
    v
}

/// Disables interrupts and returns the RFLAGS they were disabled from
/// (`intr_disable()`).
///
/// # Safety
/// Kernel mode; the caller restores the state with [`intr_restore`] and
/// does not sleep in between.
pub unsafe fn intr_disable() -> u64 {
    let f: u64;
    // SAFETY: as stated by the caller; pushfq/pop only touch the stack.
    unsafe { asm!("pushfq", "pop {}", "cli", out(reg) f, options(nomem)) };
    f
}

/// Enables interrupts again if they were on in `flags` (`intr_restore()`).
///
/// # Safety
/// `flags` came from [`intr_disable`] on this CPU, in this thread.
pub unsafe fn intr_restore(flags: u64) {
    if flags & (1 << 9) != 0 {
        // SAFETY: interrupts were enabled before intr_disable.
        unsafe { asm!("sti", options(nostack, nomem)) };
    }
}

/// Lets the host take the interrupts pending on this CPU, then disables
/// them again: `sti; nop; cli` (STI holds interrupts off until the
/// instruction after it has run, so they are taken after the NOP).  Not
/// `nomem`: the handlers change memory the caller reads afterwards (the
/// scheduler's flags).
///
/// # Safety
/// Kernel mode with interrupts disabled by the caller, who may take host
/// interrupts at this point: the host's IDT, GDT and TSS are loaded (their
/// bases; limits at least as large as the handlers need) and so is the
/// host's GS base.
pub unsafe fn intr_window() {
    // SAFETY: as stated by the caller.
    unsafe { asm!("sti", "nop", "cli", options(nostack)) };
}

/// The same for SVM's global interrupt flag: `stgi; clgi` lets the host
/// take its pending interrupts (and NMIs) if RFLAGS.IF is set.
///
/// # Safety
/// EFER.SVME set, GIF clear (the caller cleared it), and the caller may
/// take host interrupts at this point (host state loaded, as for
/// [`intr_window`]).
pub unsafe fn gif_window() {
    // SAFETY: as stated by the caller.
    unsafe { asm!("stgi", "clgi", options(nostack)) };
}

/// Delivers an NMI to the host through its IDT (`int $2`): how an NMI that
/// caused a VM exit reaches the kernel's NMI handler.
///
/// # Safety
/// Kernel mode with the host's IDT, GDT and TSS loaded.
pub unsafe fn int_nmi() {
    // SAFETY: as stated by the caller; the handler returns with iretq.
    unsafe { asm!("int 2", options(nomem)) };
}

/// How a VMX instruction failed (SDM Vol. 3C, 31.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmFail {
    /// CF=1: no current VMCS, or an invalid operand.
    Invalid,
    /// ZF=1: the error number is in the current VMCS's VM-instruction
    /// error field.
    Valid,
}

/// CF and ZF after a VMX instruction, as `setc`/`setz` left them.
fn vm_result(cf: u8, zf: u8) -> Result<(), VmFail> {
    if cf != 0 {
        Err(VmFail::Invalid)
    } else if zf != 0 {
        Err(VmFail::Valid)
    } else {
        Ok(())
    }
}

/// VMXON: enters VMX root operation with the VMXON region at `pa`.
///
/// # Safety
/// CR4.VMXE is set, IA32_FEATURE_CONTROL allows VMXON, and `pa` is a
/// 4 KiB-aligned page holding the VMCS revision identifier, owned by this
/// CPU for as long as it stays in VMX operation.
pub unsafe fn vmxon(pa: u64) -> Result<(), VmFail> {
    let (cf, zf): (u8, u8);
    // SAFETY: as stated by the caller; the operand is read from our stack.
    unsafe {
        asm!("vmxon qword ptr [{p}]", "setc {cf}", "setz {zf}",
             p = in(reg) &pa, cf = out(reg_byte) cf, zf = out(reg_byte) zf,
             options(nostack));
    }
    vm_result(cf, zf)
}

/// VMXOFF: leaves VMX operation.
///
/// # Safety
/// In VMX root operation; no VMCS of ours is active on this CPU that is
/// used afterwards without a VMCLEAR (VMXOFF does not flush them).
pub unsafe fn vmxoff() -> Result<(), VmFail> {
    let (cf, zf): (u8, u8);
    // SAFETY: as stated by the caller.
    unsafe {
        asm!("vmxoff", "setc {cf}", "setz {zf}",
             cf = out(reg_byte) cf, zf = out(reg_byte) zf, options(nostack, nomem));
    }
    vm_result(cf, zf)
}

/// VMCLEAR: writes the VMCS at `pa` back to memory, marks it clear and not
/// current.
///
/// # Safety
/// In VMX root operation; `pa` is a VMCS region we own.
pub unsafe fn vmclear(pa: u64) -> Result<(), VmFail> {
    let (cf, zf): (u8, u8);
    // SAFETY: as stated by the caller; the operand is read from our stack.
    unsafe {
        asm!("vmclear qword ptr [{p}]", "setc {cf}", "setz {zf}",
             p = in(reg) &pa, cf = out(reg_byte) cf, zf = out(reg_byte) zf,
             options(nostack));
    }
    vm_result(cf, zf)
}

/// VMPTRLD: makes the VMCS at `pa` current on this CPU.
///
/// # Safety
/// In VMX root operation; `pa` is a VMCS region we own, initialised with
/// the revision identifier and not active on any other CPU.
pub unsafe fn vmptrld(pa: u64) -> Result<(), VmFail> {
    let (cf, zf): (u8, u8);
    // SAFETY: as stated by the caller; the operand is read from our stack.
    unsafe {
        asm!("vmptrld qword ptr [{p}]", "setc {cf}", "setz {zf}",
             p = in(reg) &pa, cf = out(reg_byte) cf, zf = out(reg_byte) zf,
             options(nostack));
    }
    vm_result(cf, zf)
}

/// VMREAD of the field with encoding `field` of the current VMCS.
///
/// # Safety
/// In VMX root operation.  (Reading has no side effects; without a current
/// VMCS it fails with [`VmFail::Invalid`].)
pub unsafe fn vmread(field: u32) -> Result<u64, VmFail> {
    let v: u64;
    let (cf, zf): (u8, u8);
    // SAFETY: as stated by the caller.
    unsafe {
        asm!("vmread {v}, {f}", "setc {cf}", "setz {zf}",
             v = out(reg) v, f = in(reg) u64::from(field),
             cf = out(reg_byte) cf, zf = out(reg_byte) zf, options(nostack, nomem));
    }
    vm_result(cf, zf).map(|()| v)
}

/// VMWRITE of `value` to the field with encoding `field` of the current
/// VMCS.
///
/// # Safety
/// In VMX root operation; the value is one the caller means the next VM
/// entry to use (host-state fields decide where the CPU returns to).
pub unsafe fn vmwrite(field: u32, value: u64) -> Result<(), VmFail> {
    let (cf, zf): (u8, u8);
    // SAFETY: as stated by the caller.
    unsafe {
        asm!("vmwrite {f}, {v}", "setc {cf}", "setz {zf}",
             f = in(reg) u64::from(field), v = in(reg) value,
             cf = out(reg_byte) cf, zf = out(reg_byte) zf, options(nostack, nomem));
    }
    vm_result(cf, zf)
}

/// INVEPT of `kind` (1 single-context, 2 all-context) for `eptp`.
///
/// # Safety
/// In VMX root operation; the CPU supports INVEPT of that kind.
pub unsafe fn invept(kind: u64, eptp: u64) -> Result<(), VmFail> {
    let desc: [u64; 2] = [eptp, 0];
    let (cf, zf): (u8, u8);
    // SAFETY: as stated by the caller; the descriptor is on our stack.
    unsafe {
        asm!("invept {k}, xmmword ptr [{d}]", "setc {cf}", "setz {zf}",
             k = in(reg) kind, d = in(reg) &desc,
             cf = out(reg_byte) cf, zf = out(reg_byte) zf, options(nostack));
    }
    vm_result(cf, zf)
}

/// INVVPID of `kind` (0 address, 1 single-context, 2 all-context, 3
/// single-context retaining globals) for `vpid` (and `addr` for kind 0).
///
/// # Safety
/// In VMX root operation; the CPU supports INVVPID of that kind.
pub unsafe fn invvpid(kind: u64, vpid: u16, addr: u64) -> Result<(), VmFail> {
    let desc: [u64; 2] = [u64::from(vpid), addr];
    let (cf, zf): (u8, u8);
    // SAFETY: as stated by the caller; the descriptor is on our stack.
    unsafe {
        asm!("invvpid {k}, xmmword ptr [{d}]", "setc {cf}", "setz {zf}",
             k = in(reg) kind, d = in(reg) &desc,
             cf = out(reg_byte) cf, zf = out(reg_byte) zf, options(nostack));
    }
    vm_result(cf, zf)
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
    /// IA32_FEATURE_CONTROL under its short name.
    pub const FEATURE_CONTROL: u32 = IA32_FEATURE_CONTROL;
    /// IA32_TIME_STAMP_COUNTER.
    pub const TSC: u32 = 0x10;
    /// IA32_PLATFORM_ID.
    pub const PLATFORM_ID: u32 = 0x17;
    /// IA32_BIOS_SIGN_ID (microcode revision).
    pub const BIOS_SIGN: u32 = 0x8b;
    /// IA32_MISC_ENABLE.
    pub const MISC_ENABLE: u32 = 0x1a0;
    /// IA32_SMM_MONITOR_CTL.
    pub const SMM_MONITOR_CTL: u32 = 0x9b;
    /// IA32_S_CET.
    pub const S_CET: u32 = 0x6a2;
    /// IA32_PL0_SSP.
    pub const PL0_SSP: u32 = 0x6a4;
    /// IA32_INTERRUPT_SSP_TABLE_ADDR.
    pub const ISST: u32 = 0x6a8;
    /// AMD HWCR.
    pub const HWCR: u32 = 0xc001_0015;
    /// AMD P-state definition 0.
    pub const PSTATE_DEF0: u32 = 0xc001_0064;
    /// AMD SEV_STATUS.
    pub const SEV_STATUS: u32 = 0xc001_0131;
    /// AMD INT_PENDING_MSG (read as 0 by upstream's SVM RDMSR).
    pub const INT_PENDING_MSG: u32 = 0xc001_0055;
    /// AMD DE_CFG.
    pub const DE_CFG: u32 = 0xc001_1029;
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
    /// Intel: pin-based controls capability.
    pub const IA32_VMX_PINBASED_CTLS: u32 = 0x481;
    /// Intel: VM-exit controls capability.
    pub const IA32_VMX_EXIT_CTLS: u32 = 0x483;
    /// Intel: VM-entry controls capability.
    pub const IA32_VMX_ENTRY_CTLS: u32 = 0x484;
    /// Intel: CR0 bits fixed to 1 in VMX operation.
    pub const IA32_VMX_CR0_FIXED0: u32 = 0x486;
    /// Intel: CR0 bits allowed to be 1 in VMX operation.
    pub const IA32_VMX_CR0_FIXED1: u32 = 0x487;
    /// Intel: CR4 bits fixed to 1 in VMX operation.
    pub const IA32_VMX_CR4_FIXED0: u32 = 0x488;
    /// Intel: CR4 bits allowed to be 1 in VMX operation.
    pub const IA32_VMX_CR4_FIXED1: u32 = 0x489;
    /// Intel: true pin-based controls capability.
    pub const IA32_VMX_TRUE_PINBASED_CTLS: u32 = 0x48d;
    /// Intel: true VM-exit controls capability.
    pub const IA32_VMX_TRUE_EXIT_CTLS: u32 = 0x48f;
    /// Intel: true VM-entry controls capability.
    pub const IA32_VMX_TRUE_ENTRY_CTLS: u32 = 0x490;
    /// Intel: ARCH_CAPABILITIES (RDCL_NO, SKIP_L1DFL_VMENTRY, ...).
    pub const IA32_ARCH_CAPABILITIES: u32 = 0x10a;
    /// Intel: FLUSH_CMD (bit 0: flush the L1 data cache).
    pub const IA32_FLUSH_CMD: u32 = 0x10b;
    /// PRED_CMD (bit 0: IBPB).
    pub const PRED_CMD: u32 = 0x49;
    /// PAT.
    pub const PAT: u32 = 0x277;
    /// SYSENTER_CS.
    pub const SYSENTER_CS: u32 = 0x174;
    /// SYSENTER_ESP.
    pub const SYSENTER_ESP: u32 = 0x175;
    /// SYSENTER_EIP.
    pub const SYSENTER_EIP: u32 = 0x176;
    /// STAR.
    pub const STAR: u32 = 0xc000_0081;
    /// LSTAR.
    pub const LSTAR: u32 = 0xc000_0082;
    /// CSTAR.
    pub const CSTAR: u32 = 0xc000_0083;
    /// SFMASK.
    pub const SFMASK: u32 = 0xc000_0084;
    /// FS base.
    pub const FSBASE: u32 = 0xc000_0100;
    /// GS base.
    pub const GSBASE: u32 = 0xc000_0101;
    /// Kernel GS base (the other GS base, swapped by SWAPGS).
    pub const KERNELGSBASE: u32 = 0xc000_0102;
}

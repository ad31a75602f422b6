//! Architectural bits of x86 control registers, RFLAGS and EFER that
//! both backends (and the CPUID policy) use; backend-specific masks built
//! from them stay with their backend.

/// RFLAGS.TF.
pub(crate) const PSL_T: u64 = 1 << 8;
/// RFLAGS.IF.
pub(crate) const PSL_I: u64 = 1 << 9;

/// DR6.BS: the debug exception was a single-step trap.
pub(crate) const DR6_BS: u64 = 1 << 14;

/// CR0.PE.
pub(crate) const CR0_PE: u64 = 1 << 0;
/// CR0.TS.
pub(crate) const CR0_TS: u64 = 1 << 3;
/// CR0.NW.
pub(crate) const CR0_NW: u64 = 1 << 29;
/// CR0.CD.
pub(crate) const CR0_CD: u64 = 1 << 30;
/// CR0.PG.
pub(crate) const CR0_PG: u64 = 1 << 31;

/// CR4.PAE.
pub(crate) const CR4_PAE: u64 = 1 << 5;
/// CR4.VMXE.
pub(crate) const CR4_VMXE: u64 = 1 << 13;
/// CR4.OSXSAVE.
pub(crate) const CR4_OSXSAVE: u64 = 1 << 18;
/// CR4.PKE.
pub(crate) const CR4_PKE: u64 = 1 << 22;
/// CR4.CET.
pub(crate) const CR4_CET: u64 = 1 << 23;

/// EFER.LME.
pub(crate) const EFER_LME: u64 = 1 << 8;
/// EFER.LMA.
pub(crate) const EFER_LMA: u64 = 1 << 10;
/// EFER.SVME.
pub(crate) const EFER_SVME: u64 = 1 << 12;

/// Exception and interrupt vectors (SDM Vol. 3A, 6.3.1).
pub(crate) mod vector {
    /// #DE, divide error.
    pub(crate) const DE: u8 = 0;
    /// #DB, debug.
    pub(crate) const DB: u8 = 1;
    /// NMI.
    pub(crate) const NMI: u8 = 2;
    /// #BP, breakpoint.
    pub(crate) const BP: u8 = 3;
    /// #NM, device not available.
    pub(crate) const NM: u8 = 7;
    /// #UD, invalid opcode.
    pub(crate) const UD: u8 = 6;
    /// #DF, double fault.
    pub(crate) const DF: u8 = 8;
    /// #TS, invalid TSS.
    pub(crate) const TS: u8 = 10;
    /// #PF, page fault.
    pub(crate) const PF: u8 = 14;
    /// #MF, x87 floating-point error.
    pub(crate) const MF: u8 = 16;
    /// #AC, alignment check (error code 0).
    pub(crate) const AC: u8 = 17;
    /// #MC, machine check.
    pub(crate) const MC: u8 = 18;
    /// #VE, virtualisation exception.
    pub(crate) const VE: u8 = 20;
    /// #CP, control protection.
    pub(crate) const CP: u8 = 21;
    /// #GP, general protection.
    pub(crate) const GP: u8 = 13;
}

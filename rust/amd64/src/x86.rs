//! Architectural bits of x86 control registers, RFLAGS and EFER that
//! both backends (and the CPUID policy) use; backend-specific masks built
//! from them stay with their backend.

/// RFLAGS.TF.
pub(crate) const PSL_T: u64 = 1 << 8;
/// RFLAGS.IF.
pub(crate) const PSL_I: u64 = 1 << 9;

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

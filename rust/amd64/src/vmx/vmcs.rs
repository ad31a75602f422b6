//! The virtual-machine control structure (Intel SDM Vol. 3C, chapters 25
//! and 26, appendix B): typed field access, who holds a VMCS, the control
//! computation from the capability MSRs, and the decoding of what the CPU
//! reports (VM-instruction errors, exit reasons, exit qualifications).
//!
//! Fields are grouped by width and kind, one enum per group; read-only
//! (VM-exit information) groups implement [`Readable`] only, so a VMWRITE
//! to them does not type-check.  Encodings are pinned against their width
//! and kind bits at compile time.

use core::ffi::CStr;
use core::mem::size_of;

/// A VMCS field that can be read, with the type of its value.
pub trait Readable: Copy {
    /// The value: u16, u32 or u64 (64-bit and natural-width fields).
    type Value: Copy;
    /// The field encoding.
    fn encoding(self) -> u32;
    /// The value from what VMREAD stored (zero-extended).
    fn from_raw(v: u64) -> Self::Value;
}

/// A VMCS field that VMWRITE may change.  Control, guest and host fields
/// are:
///
/// ```
/// fn vmwrite<F: vmm_amd64::vmx::vmcs::Writable>(_: F) {}
/// vmwrite(vmm_amd64::vmx::vmcs::Ctl32::ProcBased);
/// ```
///
/// VM-exit information fields are not:
///
/// ```compile_fail
/// fn vmwrite<F: vmm_amd64::vmx::vmcs::Writable>(_: F) {}
/// vmwrite(vmm_amd64::vmx::vmcs::Ro32::ExitReason);
/// ```
pub trait Writable: Readable {
    /// The value as VMWRITE takes it.
    fn to_raw(v: Self::Value) -> u64;
}

/// Width class of an encoding (bits 14:13).
const W16: u32 = 0;
const W64: u32 = 1;
const W32: u32 = 2;
const WNAT: u32 = 3;
/// Kind of an encoding (bits 11:10).
const CTL: u32 = 0;
const RO: u32 = 1;
const GUEST: u32 = 2;
const HOST: u32 = 3;

/// Whether `enc` is a full-access encoding of width `w` and kind `kind`.
pub const fn encoding_is(enc: u32, w: u32, kind: u32) -> bool {
    (enc >> 13) & 3 == w && (enc >> 10) & 3 == kind && enc & 1 == 0 && enc >> 15 == 0
}

macro_rules! fields {
    (@impl rw, $name:ident, $ty:ty) => {
        impl Writable for $name {
            fn to_raw(v: $ty) -> u64 {
                u64::from(v)
            }
        }
    };
    (@impl ro, $name:ident, $ty:ty) => {};
    ($(#[$m:meta])* $name:ident: $ty:ty, $rw:ident, $w:expr, $kind:expr; {
        $($(#[$fm:meta])* $f:ident = $e:expr,)*
    }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u32)]
        pub enum $name {
            $($(#[$fm])* $f = $e,)*
        }

        impl $name {
            /// Every field of the group.
            pub const ALL: &'static [$name] = &[$($name::$f),*];
        }

        impl Readable for $name {
            type Value = $ty;
            fn encoding(self) -> u32 {
                self as u32
            }
            fn from_raw(v: u64) -> $ty {
                v as $ty
            }
        }

        fields!(@impl $rw, $name, $ty);

        const _: () = {
            $(assert!(encoding_is($e, $w, $kind));)*
        };
    };
}

fields! {
    /// 16-bit control fields.
    Ctl16: u16, rw, W16, CTL; {
        /// Virtual-processor identifier.
        Vpid = 0x0000,
    }
}

fields! {
    /// 16-bit guest-state fields: the segment selectors.
    Guest16: u16, rw, W16, GUEST; {
        /// ES selector.
        EsSel = 0x0800,
        /// CS selector.
        CsSel = 0x0802,
        /// SS selector.
        SsSel = 0x0804,
        /// DS selector.
        DsSel = 0x0806,
        /// FS selector.
        FsSel = 0x0808,
        /// GS selector.
        GsSel = 0x080a,
        /// LDTR selector.
        LdtrSel = 0x080c,
        /// TR selector.
        TrSel = 0x080e,
    }
}

fields! {
    /// 16-bit host-state fields: the selectors a VM exit loads.
    Host16: u16, rw, W16, HOST; {
        /// ES selector.
        EsSel = 0x0c00,
        /// CS selector.
        CsSel = 0x0c02,
        /// SS selector.
        SsSel = 0x0c04,
        /// DS selector.
        DsSel = 0x0c06,
        /// FS selector.
        FsSel = 0x0c08,
        /// GS selector.
        GsSel = 0x0c0a,
        /// TR selector.
        TrSel = 0x0c0c,
    }
}

fields! {
    /// 64-bit control fields (physical addresses of the VMCS's tables).
    Ctl64: u64, rw, W64, CTL; {
        /// I/O bitmap A (unused: unconditional I/O exiting).
        IoBitmapA = 0x2000,
        /// I/O bitmap B.
        IoBitmapB = 0x2002,
        /// MSR bitmap.
        MsrBitmap = 0x2004,
        /// VM-exit MSR-store area (the guest's MSRs).
        ExitMsrStore = 0x2006,
        /// VM-exit MSR-load area (the host's MSRs).
        ExitMsrLoad = 0x2008,
        /// VM-entry MSR-load area (the guest's MSRs).
        EntryMsrLoad = 0x200a,
        /// TSC offset (unused).
        TscOffset = 0x2010,
        /// Virtual-APIC page (unused: no TPR shadow).
        VirtualApic = 0x2012,
        /// EPT pointer.
        Eptp = 0x201a,
    }
}

fields! {
    /// 64-bit read-only VM-exit information.
    Ro64: u64, ro, W64, RO; {
        /// Guest-physical address of an EPT violation or misconfiguration.
        GuestPhysAddr = 0x2400,
    }
}

fields! {
    /// 64-bit guest-state fields.
    Guest64: u64, rw, W64, GUEST; {
        /// VMCS link pointer (all ones: no shadow VMCS).
        LinkPointer = 0x2800,
        /// IA32_DEBUGCTL.
        DebugCtl = 0x2802,
        /// IA32_PAT (unused: no PAT load/save control).
        Pat = 0x2804,
        /// IA32_EFER (unused: EFER goes through the MSR areas).
        Efer = 0x2806,
        /// PDPTE0 (PAE paging with EPT).
        Pdpte0 = 0x280a,
        /// PDPTE1.
        Pdpte1 = 0x280c,
        /// PDPTE2.
        Pdpte2 = 0x280e,
        /// PDPTE3.
        Pdpte3 = 0x2810,
    }
}

fields! {
    /// 32-bit control fields.
    Ctl32: u32, rw, W32, CTL; {
        /// Pin-based VM-execution controls.
        PinBased = 0x4000,
        /// Primary processor-based VM-execution controls.
        ProcBased = 0x4002,
        /// Exception bitmap.
        ExceptionBitmap = 0x4004,
        /// Page-fault error-code mask.
        PfErrorMask = 0x4006,
        /// Page-fault error-code match.
        PfErrorMatch = 0x4008,
        /// CR3-target count.
        Cr3TargetCount = 0x400a,
        /// VM-exit controls.
        ExitCtls = 0x400c,
        /// VM-exit MSR-store count.
        ExitMsrStoreCount = 0x400e,
        /// VM-exit MSR-load count.
        ExitMsrLoadCount = 0x4010,
        /// VM-entry controls.
        EntryCtls = 0x4012,
        /// VM-entry MSR-load count.
        EntryMsrLoadCount = 0x4014,
        /// VM-entry interruption-information field (event injection).
        EntryIntrInfo = 0x4016,
        /// VM-entry exception error code.
        EntryExceptionError = 0x4018,
        /// VM-entry instruction length (software events).
        EntryInsnLen = 0x401a,
        /// TPR threshold.
        TprThreshold = 0x401c,
        /// Secondary processor-based VM-execution controls.
        ProcBased2 = 0x401e,
    }
}

fields! {
    /// 32-bit read-only VM-exit information.
    Ro32: u32, ro, W32, RO; {
        /// VM-instruction error.
        InsnError = 0x4400,
        /// Exit reason.
        ExitReason = 0x4402,
        /// VM-exit interruption information.
        ExitIntrInfo = 0x4404,
        /// VM-exit interruption error code.
        ExitIntrError = 0x4406,
        /// IDT-vectoring information (an event being delivered at exit).
        IdtVectoringInfo = 0x4408,
        /// IDT-vectoring error code.
        IdtVectoringError = 0x440a,
        /// VM-exit instruction length.
        ExitInsnLen = 0x440c,
        /// VM-exit instruction information.
        ExitInsnInfo = 0x440e,
    }
}

fields! {
    /// 32-bit guest-state fields.
    Guest32: u32, rw, W32, GUEST; {
        /// ES limit.
        EsLimit = 0x4800,
        /// CS limit.
        CsLimit = 0x4802,
        /// SS limit.
        SsLimit = 0x4804,
        /// DS limit.
        DsLimit = 0x4806,
        /// FS limit.
        FsLimit = 0x4808,
        /// GS limit.
        GsLimit = 0x480a,
        /// LDTR limit.
        LdtrLimit = 0x480c,
        /// TR limit.
        TrLimit = 0x480e,
        /// GDTR limit.
        GdtrLimit = 0x4810,
        /// IDTR limit.
        IdtrLimit = 0x4812,
        /// ES access rights.
        EsAr = 0x4814,
        /// CS access rights.
        CsAr = 0x4816,
        /// SS access rights.
        SsAr = 0x4818,
        /// DS access rights.
        DsAr = 0x481a,
        /// FS access rights.
        FsAr = 0x481c,
        /// GS access rights.
        GsAr = 0x481e,
        /// LDTR access rights.
        LdtrAr = 0x4820,
        /// TR access rights.
        TrAr = 0x4822,
        /// Interruptibility state.
        Interruptibility = 0x4824,
        /// Activity state.
        Activity = 0x4826,
        /// IA32_SYSENTER_CS.
        SysenterCs = 0x482a,
    }
}

fields! {
    /// 32-bit host-state fields.
    Host32: u32, rw, W32, HOST; {
        /// IA32_SYSENTER_CS.
        SysenterCs = 0x4c00,
    }
}

fields! {
    /// Natural-width control fields.
    CtlNat: u64, rw, WNAT, CTL; {
        /// CR0 guest/host mask (1: the bit is the host's).
        Cr0Mask = 0x6000,
        /// CR4 guest/host mask.
        Cr4Mask = 0x6002,
        /// CR0 read shadow (what the guest reads in host-owned bits).
        Cr0Shadow = 0x6004,
        /// CR4 read shadow.
        Cr4Shadow = 0x6006,
        /// CR3-target value 0.
        Cr3Target0 = 0x6008,
    }
}

fields! {
    /// Natural-width read-only VM-exit information.
    RoNat: u64, ro, WNAT, RO; {
        /// Exit qualification.
        ExitQualification = 0x6400,
        /// Guest-linear address.
        GuestLinearAddr = 0x640a,
    }
}

fields! {
    /// Natural-width guest-state fields.
    GuestNat: u64, rw, WNAT, GUEST; {
        /// CR0.
        Cr0 = 0x6800,
        /// CR3.
        Cr3 = 0x6802,
        /// CR4.
        Cr4 = 0x6804,
        /// ES base.
        EsBase = 0x6806,
        /// CS base.
        CsBase = 0x6808,
        /// SS base.
        SsBase = 0x680a,
        /// DS base.
        DsBase = 0x680c,
        /// FS base.
        FsBase = 0x680e,
        /// GS base.
        GsBase = 0x6810,
        /// LDTR base.
        LdtrBase = 0x6812,
        /// TR base.
        TrBase = 0x6814,
        /// GDTR base.
        GdtrBase = 0x6816,
        /// IDTR base.
        IdtrBase = 0x6818,
        /// DR7.
        Dr7 = 0x681a,
        /// RSP.
        Rsp = 0x681c,
        /// RIP.
        Rip = 0x681e,
        /// RFLAGS.
        Rflags = 0x6820,
        /// Pending debug exceptions.
        PendingDbg = 0x6822,
        /// IA32_SYSENTER_ESP.
        SysenterEsp = 0x6824,
        /// IA32_SYSENTER_EIP.
        SysenterEip = 0x6826,
    }
}

fields! {
    /// Natural-width host-state fields: what a VM exit loads.
    HostNat: u64, rw, WNAT, HOST; {
        /// CR0.
        Cr0 = 0x6c00,
        /// CR3.
        Cr3 = 0x6c02,
        /// CR4.
        Cr4 = 0x6c04,
        /// FS base.
        FsBase = 0x6c06,
        /// GS base.
        GsBase = 0x6c08,
        /// TR base.
        TrBase = 0x6c0a,
        /// GDTR base.
        GdtrBase = 0x6c0c,
        /// IDTR base.
        IdtrBase = 0x6c0e,
        /// IA32_SYSENTER_ESP.
        SysenterEsp = 0x6c10,
        /// IA32_SYSENTER_EIP.
        SysenterEip = 0x6c12,
        /// RSP (written by the world switch on every entry).
        Rsp = 0x6c14,
        /// RIP (written by the world switch on every entry).
        Rip = 0x6c16,
    }
}

/// The four fields of one guest segment register.
#[derive(Clone, Copy, Debug)]
pub struct SegFields {
    /// Selector.
    pub sel: Guest16,
    /// Limit.
    pub limit: Guest32,
    /// Access rights (VMX format, bit 16 "unusable").
    pub ar: Guest32,
    /// Base.
    pub base: GuestNat,
}

/// The segment registers in `VCPU_REGS_ES` .. `VCPU_REGS_TR` order.
pub const SEGS: [SegFields; 8] = {
    use self::Guest16 as S;
    use self::Guest32 as L;
    use self::GuestNat as B;
    const fn s(sel: S, limit: L, ar: L, base: B) -> SegFields {
        SegFields {
            sel,
            limit,
            ar,
            base,
        }
    }
    [
        s(S::EsSel, L::EsLimit, L::EsAr, B::EsBase),
        s(S::CsSel, L::CsLimit, L::CsAr, B::CsBase),
        s(S::SsSel, L::SsLimit, L::SsAr, B::SsBase),
        s(S::DsSel, L::DsLimit, L::DsAr, B::DsBase),
        s(S::FsSel, L::FsLimit, L::FsAr, B::FsBase),
        s(S::GsSel, L::GsLimit, L::GsAr, B::GsBase),
        s(S::LdtrSel, L::LdtrLimit, L::LdtrAr, B::LdtrBase),
        s(S::TrSel, L::TrLimit, L::TrAr, B::TrBase),
    ]
};

// ---- The VMCS region -------------------------------------------------------

/// A 4 KiB VMCS (or VMXON) region: the revision identifier (bit 31 clear:
/// not a shadow VMCS), then the CPU's own format.  Who holds a VMCS, and
/// the VMX instructions on it, are in [`super::switch`].
pub type VmcsRegion = [u32; 1024];

const _: () = assert!(size_of::<VmcsRegion>() == 4096);

// ---- Control computation ---------------------------------------------------

/// Which control field a capability MSR describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtlReg {
    /// Pin-based (0x481 / TRUE 0x48D).
    Pin,
    /// Primary processor-based (0x482 / TRUE 0x48E).
    Proc,
    /// Secondary processor-based (0x48B).
    Proc2,
    /// VM-exit (0x483 / TRUE 0x48F).
    Exit,
    /// VM-entry (0x484 / TRUE 0x490).
    Entry,
}

impl CtlReg {
    /// The "default1" class (SDM Vol. 3D, A.2): controls that are 1 on
    /// CPUs without TRUE MSRs.  A flexible control wanted neither way is
    /// set to 1 if it is in this class, else 0 (as upstream).
    pub const fn default1(self) -> u32 {
        match self {
            CtlReg::Pin => 0x0000_0016,
            CtlReg::Proc => 0x0401_e172,
            CtlReg::Proc2 => 0,
            CtlReg::Exit => 0x0003_6dff,
            CtlReg::Entry => 0x0000_11ff,
        }
    }
}

/// Why a set of controls cannot be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtlError {
    /// The driver asked for bit `0` to be both 1 and 0.
    Contradiction(u8),
    /// The capability MSR allows neither 0 nor 1 for the bit.
    Inconsistent(u8),
    /// The bit is wanted 1 but the CPU fixes it to 0.
    Unsupported(u8),
    /// The bit is wanted 0 but the CPU fixes it to 1.
    Forced(u8),
}

/// `vcpu_vmx_compute_ctrl`: the value of a control field from its
/// capability MSR (`cap`: allowed-0 settings in bits 31:0, allowed-1 in
/// 63:32) and what the driver needs set (`want1`) and clear (`want0`).
/// Fails, naming the bit, instead of masking anything away.
pub fn compute_ctls(reg: CtlReg, cap: u64, want1: u32, want0: u32) -> Result<u32, CtlError> {
    let allowed0 = cap as u32; // a 0 here: the control may be 0
    let allowed1 = (cap >> 32) as u32; // a 1 here: the control may be 1
    let mut out = 0u32;
    for bit in 0..32u8 {
        let m = 1u32 << bit;
        let may1 = allowed1 & m != 0;
        let may0 = allowed0 & m == 0;
        let w1 = want1 & m != 0;
        let w0 = want0 & m != 0;
        if w1 && w0 {
            return Err(CtlError::Contradiction(bit));
        }
        let one = match (may0, may1) {
            (false, false) => return Err(CtlError::Inconsistent(bit)),
            (false, true) if w0 => return Err(CtlError::Forced(bit)),
            (false, true) => true,
            (true, false) if w1 => return Err(CtlError::Unsupported(bit)),
            (true, false) => false,
            (true, true) => w1 || (!w0 && reg.default1() & m != 0),
        };
        if one {
            out |= m;
        }
    }
    Ok(out)
}

/// Fixed bits of CR0 or CR4 in VMX operation (from IA32_VMX_CRn_FIXED0/1),
/// restricted to bits 31:0 like upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrFixed {
    /// Bits that must be 1.
    pub must1: u64,
    /// Bits that must be 0.
    pub must0: u64,
}

impl CrFixed {
    /// From the FIXED0 and FIXED1 MSRs; `flexible` are bits the guest may
    /// set either way anyway (CR0.PE and CR0.PG with unrestricted guest).
    pub fn new(fixed0: u64, fixed1: u64, flexible: u64) -> Self {
        CrFixed {
            must1: fixed0 & fixed1 & 0xffff_ffff & !flexible,
            must0: !fixed0 & !fixed1 & 0xffff_ffff & !flexible,
        }
    }

    /// What the CPU runs with when the guest asks for `v`.
    pub fn apply(&self, v: u64) -> u64 {
        (v | self.must1) & !self.must0
    }
}

// ---- What the CPU reports --------------------------------------------------

macro_rules! insn_errors {
    ($($(#[$m:meta])* $v:ident = $n:expr, $s:expr;)*) => {
        /// VM-instruction error numbers (SDM Vol. 3C, 31.4).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum InsnError {
            $($(#[$m])* $v,)*
            /// A number the SDM does not define (or reserves).
            Unknown(u32),
        }

        impl InsnError {
            /// Decodes the VM-instruction error field.
            pub fn from_raw(n: u32) -> Self {
                match n {
                    $($n => InsnError::$v,)*
                    n => InsnError::Unknown(n),
                }
            }

            /// The number.
            pub fn number(self) -> u32 {
                match self {
                    $(InsnError::$v => $n,)*
                    InsnError::Unknown(n) => n,
                }
            }

            /// The SDM's description.
            pub fn name(self) -> &'static str {
                match self {
                    $(InsnError::$v => $s,)*
                    InsnError::Unknown(_) => "unknown VM-instruction error",
                }
            }

            /// A log line for it: a printf format taking the number.
            pub fn log_fmt(self) -> &'static CStr {
                match self {
                    $(InsnError::$v => const {
                        cstr(concat!("vmm: vmx: VM-instruction error %lu: ", $s, "\n\0"))
                    },)*
                    InsnError::Unknown(_) => c"vmm: vmx: VM-instruction error %lu: unknown\n",
                }
            }
        }
    };
}

/// A C string from a literal ending in NUL (checked at compile time where
/// used in constants; a malformed one logs a generic line).
const fn cstr(s: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(s.as_bytes()) {
        Ok(c) => c,
        Err(_) => c"vmm: vmx: VM-instruction error %lu\n",
    }
}

insn_errors! {
    /// 1.
    VmcallInRoot = 1, "VMCALL executed in VMX root operation";
    /// 2.
    VmclearInvalidAddr = 2, "VMCLEAR with invalid physical address";
    /// 3.
    VmclearVmxonPtr = 3, "VMCLEAR with VMXON pointer";
    /// 4.
    VmlaunchNonClear = 4, "VMLAUNCH with non-clear VMCS";
    /// 5.
    VmresumeNonLaunched = 5, "VMRESUME with non-launched VMCS";
    /// 6.
    VmresumeAfterVmxoff = 6, "VMRESUME after VMXOFF";
    /// 7.
    EntryInvalidControls = 7, "VM entry with invalid control field(s)";
    /// 8.
    EntryInvalidHostState = 8, "VM entry with invalid host-state field(s)";
    /// 9.
    VmptrldInvalidAddr = 9, "VMPTRLD with invalid physical address";
    /// 10.
    VmptrldVmxonPtr = 10, "VMPTRLD with VMXON pointer";
    /// 11.
    VmptrldBadRevision = 11, "VMPTRLD with incorrect VMCS revision identifier";
    /// 12.
    UnsupportedField = 12, "VMREAD/VMWRITE from/to unsupported VMCS component";
    /// 13.
    WriteReadOnlyField = 13, "VMWRITE to read-only VMCS component";
    /// 15.
    VmxonInRoot = 15, "VMXON executed in VMX root operation";
    /// 16.
    EntryInvalidExecutivePtr = 16, "VM entry with invalid executive-VMCS pointer";
    /// 17.
    EntryNonLaunchedExecutive = 17, "VM entry with non-launched executive VMCS";
    /// 18.
    EntryExecutiveNotVmxon = 18, "VM entry with executive-VMCS pointer not VMXON pointer";
    /// 19.
    VmcallNonClear = 19, "VMCALL with non-clear VMCS";
    /// 20.
    VmcallInvalidExitControls = 20, "VMCALL with invalid VM-exit control fields";
    /// 22.
    VmcallBadMsegRevision = 22, "VMCALL with incorrect MSEG revision identifier";
    /// 23.
    VmxoffDualMonitor = 23, "VMXOFF under dual-monitor treatment of SMIs and SMM";
    /// 24.
    VmcallInvalidSmmFeatures = 24, "VMCALL with invalid SMM-monitor features";
    /// 25.
    EntryInvalidExecutiveControls = 25, "VM entry with invalid VM-execution control fields in executive VMCS";
    /// 26.
    EntryBlockedByMovSs = 26, "VM entry with events blocked by MOV SS";
    /// 28.
    InvalidInveptOperand = 28, "invalid operand to INVEPT/INVVPID";
}

/// Basic exit reasons with a name in the log (the rest print a number).
pub mod reason {
    /// Exception or NMI.
    pub const NMI: u16 = 0;
    /// External interrupt.
    pub const EXTINT: u16 = 1;
    /// Triple fault.
    pub const TRIPLE_FAULT: u16 = 2;
    /// INIT signal.
    pub const INIT: u16 = 3;
    /// Start-up IPI.
    pub const SIPI: u16 = 4;
    /// Interrupt window.
    pub const INT_WINDOW: u16 = 7;
    /// CPUID.
    pub const CPUID: u16 = 10;
    /// HLT.
    pub const HLT: u16 = 12;
    /// INVD (always exits on VMX).
    pub const INVD: u16 = 13;
    /// VMCALL.
    pub const VMCALL: u16 = 18;
    /// VMCLEAR (the VMX instructions follow: VMLAUNCH, VMPTRLD, VMPTRST,
    /// VMREAD, VMRESUME, VMWRITE, VMXOFF, VMXON, 19 to 27).
    pub const VMCLEAR: u16 = 19;
    /// VMXON, the last of them.
    pub const VMXON: u16 = 27;
    /// Control-register access.
    pub const CR_ACCESS: u16 = 28;
    /// I/O instruction.
    pub const IO: u16 = 30;
    /// RDMSR.
    pub const RDMSR: u16 = 31;
    /// WRMSR.
    pub const WRMSR: u16 = 32;
    /// VM entry failed: invalid guest state.
    pub const ENTRY_GUEST_STATE: u16 = 33;
    /// VM entry failed: MSR loading.
    pub const ENTRY_MSR_LOAD: u16 = 34;
    /// MWAIT.
    pub const MWAIT: u16 = 36;
    /// MONITOR.
    pub const MONITOR: u16 = 39;
    /// VM entry failed: machine check.
    pub const ENTRY_MCE: u16 = 41;
    /// EPT violation.
    pub const EPT_VIOLATION: u16 = 48;
    /// EPT misconfiguration.
    pub const EPT_MISCONFIG: u16 = 49;
    /// INVEPT.
    pub const INVEPT: u16 = 50;
    /// INVVPID.
    pub const INVVPID: u16 = 53;
    /// XSETBV.
    pub const XSETBV: u16 = 55;
    /// VMFUNC.
    pub const VMFUNC: u16 = 59;
}

/// The exit-reason field, split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitReason {
    /// Basic exit reason (bits 15:0).
    pub basic: u16,
    /// Bit 31: the VM entry failed (guest state, MSR loading, #MC).
    pub entry_failed: bool,
}

impl ExitReason {
    /// Decodes the exit-reason field.
    pub fn decode(raw: u32) -> Self {
        ExitReason {
            basic: raw as u16,
            entry_failed: raw & (1 << 31) != 0,
        }
    }
}

/// The exit qualification of an I/O instruction (SDM Vol. 3C, Table 28-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoQual {
    /// Access size: 1, 2 or 4 bytes.
    pub size: u8,
    /// IN (else OUT).
    pub input: bool,
    /// INS/OUTS.
    pub string: bool,
    /// REP prefix.
    pub rep: bool,
    /// Port given as an immediate (else in DX).
    pub immediate: bool,
    /// Port.
    pub port: u16,
}

impl IoQual {
    /// Decodes the qualification.
    pub fn decode(q: u64) -> Self {
        IoQual {
            size: ((q & 7) as u8).wrapping_add(1),
            input: q & (1 << 3) != 0,
            string: q & (1 << 4) != 0,
            rep: q & (1 << 5) != 0,
            immediate: q & (1 << 6) != 0,
            port: (q >> 16) as u16,
        }
    }
}

/// A control-register access (SDM Vol. 3C, Table 28-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrAccess {
    /// MOV to CRn from general-purpose register `gpr` (encoding order:
    /// RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15).
    MovTo {
        /// Control register.
        cr: u8,
        /// Source register.
        gpr: u8,
    },
    /// MOV from CRn to `gpr`.
    MovFrom {
        /// Control register.
        cr: u8,
        /// Destination register.
        gpr: u8,
    },
    /// CLTS.
    Clts,
    /// LMSW with this source value.
    Lmsw(u16),
}

impl CrAccess {
    /// Decodes the qualification.
    pub fn decode(q: u64) -> Self {
        let cr = (q & 0xf) as u8;
        let gpr = ((q >> 8) & 0xf) as u8;
        match (q >> 4) & 3 {
            0 => CrAccess::MovTo { cr, gpr },
            1 => CrAccess::MovFrom { cr, gpr },
            2 => CrAccess::Clts,
            _ => CrAccess::Lmsw((q >> 16) as u16),
        }
    }
}

/// An EPT-violation exit qualification (SDM Vol. 3C, Table 28-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EptQual {
    /// A data read.
    pub read: bool,
    /// A data write.
    pub write: bool,
    /// An instruction fetch.
    pub fetch: bool,
    /// The page was mapped readable / writable / executable (bits 5:3);
    /// all 0: it was not mapped.
    pub was: u8,
}

impl EptQual {
    /// Decodes the qualification.
    pub fn decode(q: u64) -> Self {
        EptQual {
            read: q & 1 != 0,
            write: q & 2 != 0,
            fetch: q & 4 != 0,
            was: ((q >> 3) & 7) as u8,
        }
    }

    /// The guest-physical page was not mapped at all.
    pub fn not_present(&self) -> bool {
        self.was == 0
    }
}

/// Interruption types of the VM-entry/exit interruption-information
/// fields (bits 10:8).
pub mod intr_type {
    /// External interrupt.
    pub const EXTERNAL: u32 = 0;
    /// NMI.
    pub const NMI: u32 = 2;
    /// Hardware exception.
    pub const HW_EXCEPTION: u32 = 3;
    /// Software interrupt (INT n).
    pub const SW_INTERRUPT: u32 = 4;
    /// Privileged software exception (INT1).
    pub const PRIV_SW_EXCEPTION: u32 = 5;
    /// Software exception (INT3, INTO).
    pub const SW_EXCEPTION: u32 = 6;
}

/// Interruption-information fields: the type (bits 10:8).
pub const INFO_TYPE_SHIFT: u32 = 8;
/// Interruption-information fields: the type's mask, once shifted.
pub const INFO_TYPE_MASK: u32 = 7;
/// Interruption-information fields: an error code is delivered.
pub const INFO_ERROR_CODE: u32 = 1 << 11;
/// Interruption-information fields: valid.
pub const INFO_VALID: u32 = 1 << 31;
/// The bits of an IDT-vectoring information value the VM-entry
/// interruption-information field takes (bits 30:12 must be 0 there;
/// bit 12 of the vectoring field is undefined).
pub const INFO_ENTRY_BITS: u32 = INFO_VALID | 0xfff;

/// An interruption-information value: `vector`, `kind` (an
/// [`intr_type`]), whether an error code is delivered, valid bit set.
pub fn intr_info(vector: u8, kind: u32, error_code: bool) -> u32 {
    u32::from(vector)
        | ((kind & INFO_TYPE_MASK) << INFO_TYPE_SHIFT)
        | if error_code { INFO_ERROR_CODE } else { 0 }
        | INFO_VALID
}

// ---- The MSR bitmap and MSR areas ------------------------------------------

/// The 4 KiB MSR bitmap: read bitmaps for MSRs 0-0x1FFF (at 0x000) and
/// 0xC0000000-0xC0001FFF (at 0x400), then the write bitmaps (0x800,
/// 0xC00); a 1 bit makes the access exit.
pub type MsrBitmap = [u8; 4096];

/// Where the read bit of `msr` is: (byte, bit); the write bit is at
/// byte + 0x800.  `None` outside the two ranges (always exits).
pub fn msr_bitmap_position(msr: u32) -> Option<(usize, u8)> {
    let (base, off) = match msr {
        0..=0x1fff => (0usize, msr),
        0xc000_0000..=0xc000_1fff => (0x400, msr.wrapping_sub(0xc000_0000)),
        _ => return None,
    };
    Some((base.checked_add((off / 8) as usize)?, (off % 8) as u8))
}

/// Lets the guest read (and, if `write`, write) `msr` without an exit.
pub fn msr_bitmap_pass(map: &mut MsrBitmap, msr: u32, write: bool) {
    let Some((byte, bit)) = msr_bitmap_position(msr) else {
        return;
    };
    if let Some(b) = map.get_mut(byte) {
        *b &= !(1u8 << bit);
    }
    if write {
        if let Some(b) = byte.checked_add(0x800).and_then(|i| map.get_mut(i)) {
            *b &= !(1u8 << bit);
        }
    }
}

/// One page of MSR-area entries: each is (MSR number in bits 31:0 of the
/// first quadword, upper half zero; the value in the second).
pub type MsrArea = [[u64; 2]; 256];

const _: () = assert!(size_of::<MsrArea>() == 4096);

/// The IN merge is the shared run loop's (`crate::gstate`), kept under
/// this name for the VMX logic tests.
pub use crate::gstate::io_in_result;

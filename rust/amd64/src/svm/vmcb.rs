//! The virtual machine control block (AMD APM Vol. 2, Appendix B) and the
//! permission maps, with every offset the hardware or the world switch
//! relies on pinned at compile time.

use core::mem::{offset_of, size_of};

/// A segment register in the VMCB's state-save area.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmcbSegment {
    /// Selector.
    pub sel: u16,
    /// Attributes in the 12-bit SVM format.
    pub attr: u16,
    /// Limit.
    pub lim: u32,
    /// Base.
    pub base: u64,
}

/// One VMCB page: control area at 0x000, state-save area at 0x400.
#[repr(C, align(4096))]
#[derive(Clone, Copy)]
pub struct Vmcb {
    /// CR read (0..15) and write (16..31) intercepts.
    pub cr_rw: u32,
    /// DR read/write intercepts.
    pub dr_rw: u32,
    /// Exception intercepts, one bit per vector.
    pub excp: u32,
    /// Intercept word 1 (`SVM_INTERCEPT_*` of word 1).
    pub intercept1: u32,
    /// Intercept word 2.
    pub intercept2: u32,
    _r014: [u8; 0x28],
    /// PAUSE filter threshold.
    pub pause_thr: u16,
    /// PAUSE filter count.
    pub pause_ct: u16,
    /// Physical address of the I/O permission map.
    pub iopm_pa: u64,
    /// Physical address of the MSR permission map.
    pub msrpm_pa: u64,
    /// Added to the TSC the guest reads.
    pub tsc_offset: u64,
    /// Guest ASID.
    pub asid: u32,
    /// TLB control (`TLB_CONTROL_*`).
    pub tlb_control: u8,
    _r05d: [u8; 3],
    /// Virtual TPR.
    pub tpr: u8,
    /// Virtual interrupt request (V_IRQ).
    pub irq: u8,
    /// V_INTR_PRIO (bits 3:0) and V_IGN_TPR (bit 4).
    pub intr_misc: u8,
    /// V_INTR_MASKING.
    pub intr_masking: u8,
    /// V_INTR_VECTOR.
    pub intr_vector: u8,
    _r065: [u8; 3],
    /// Interrupt shadow (bit 0) and guest interrupt mask (bit 1).
    pub intr_shadow: u64,
    /// Exit code.
    pub exitcode: u64,
    /// EXITINFO1.
    pub exitinfo1: u64,
    /// EXITINFO2.
    pub exitinfo2: u64,
    /// EXITINTINFO: an event that was being delivered.
    pub exitintinfo: u64,
    /// Nested paging (bit 0), SEV (bit 1), SEV-ES (bit 2).
    pub np_enable: u64,
    /// AVIC APIC BAR.
    pub avic_apic_bar: u64,
    /// SEV-ES GHCB guest-physical address.
    pub ghcb_gpa: u64,
    /// Event injection.
    pub eventinj: u64,
    /// Nested page-table root.
    pub n_cr3: u64,
    /// LBR virtualisation enable.
    pub lbr_virt_enable: u64,
    /// VMCB clean bits.
    pub vmcb_clean_bits: u64,
    /// Next RIP (NRIPS).
    pub nrip: u64,
    /// Bytes fetched for decode assists.
    pub n_bytes_fetched: u8,
    /// Guest instruction bytes (decode assists).
    pub guest_ins_bytes: [u8; 15],
    /// AVIC backing page.
    pub avic_apic_back_page: u64,
    _r0e8: u64,
    /// AVIC logical table.
    pub avic_logical_table: u64,
    /// AVIC physical table.
    pub avic_phys: u64,
    _r100: u64,
    /// SEV-ES VMSA physical address.
    pub vmsa_pa: u64,
    _r110: [u8; 0x400 - 0x110],
    /// ES.
    pub es: VmcbSegment,
    /// CS.
    pub cs: VmcbSegment,
    /// SS.
    pub ss: VmcbSegment,
    /// DS.
    pub ds: VmcbSegment,
    /// FS.
    pub fs: VmcbSegment,
    /// GS.
    pub gs: VmcbSegment,
    /// GDTR (limit and base only).
    pub gdtr: VmcbSegment,
    /// LDTR.
    pub ldtr: VmcbSegment,
    /// IDTR (limit and base only).
    pub idtr: VmcbSegment,
    /// TR.
    pub tr: VmcbSegment,
    _r4a0: [u8; 0x4cb - 0x4a0],
    /// Current privilege level.
    pub cpl: u8,
    _r4cc: u32,
    /// EFER.
    pub efer: u64,
    _r4d8: [u8; 0x548 - 0x4d8],
    /// CR4.
    pub cr4: u64,
    /// CR3.
    pub cr3: u64,
    /// CR0.
    pub cr0: u64,
    /// DR7.
    pub dr7: u64,
    /// DR6.
    pub dr6: u64,
    /// RFLAGS.
    pub rflags: u64,
    /// RIP.
    pub rip: u64,
    _r580: [u8; 0x5d8 - 0x580],
    /// RSP.
    pub rsp: u64,
    _r5e0: [u8; 0x5f8 - 0x5e0],
    /// RAX.
    pub rax: u64,
    /// STAR.
    pub star: u64,
    /// LSTAR.
    pub lstar: u64,
    /// CSTAR.
    pub cstar: u64,
    /// SFMASK.
    pub sfmask: u64,
    /// KernelGSbase.
    pub kgsbase: u64,
    /// SYSENTER_CS.
    pub sysenter_cs: u64,
    /// SYSENTER_ESP.
    pub sysenter_esp: u64,
    /// SYSENTER_EIP.
    pub sysenter_eip: u64,
    /// CR2.
    pub cr2: u64,
    _r648: [u8; 0x668 - 0x648],
    /// Guest PAT.
    pub g_pat: u64,
    /// DBGCTL.
    pub dbgctl: u64,
    /// BR_FROM.
    pub br_from: u64,
    /// BR_TO.
    pub br_to: u64,
    /// LASTEXCPFROM.
    pub lastexcpfrom: u64,
    /// LASTEXCPTO.
    pub lastexcpto: u64,
    _r698: [u8; 0x1000 - 0x698],
}

// SAFETY: integers and arrays of integers, #[repr(C)], any bits valid.
unsafe impl vmm_kernel::pod::Zeroable for Vmcb {}
// SAFETY: as above.
unsafe impl vmm_kernel::pod::Pod for Vmcb {}

const _: () = {
    assert!(size_of::<VmcbSegment>() == 16);
    assert!(size_of::<Vmcb>() == 4096);
    assert!(offset_of!(Vmcb, intercept1) == 0x00c);
    assert!(offset_of!(Vmcb, intercept2) == 0x010);
    assert!(offset_of!(Vmcb, pause_thr) == 0x03c);
    assert!(offset_of!(Vmcb, iopm_pa) == 0x040);
    assert!(offset_of!(Vmcb, msrpm_pa) == 0x048);
    assert!(offset_of!(Vmcb, tsc_offset) == 0x050);
    assert!(offset_of!(Vmcb, asid) == 0x058);
    assert!(offset_of!(Vmcb, tlb_control) == 0x05c);
    assert!(offset_of!(Vmcb, tpr) == 0x060);
    assert!(offset_of!(Vmcb, irq) == 0x061);
    assert!(offset_of!(Vmcb, intr_misc) == 0x062);
    assert!(offset_of!(Vmcb, intr_masking) == 0x063);
    assert!(offset_of!(Vmcb, intr_vector) == 0x064);
    assert!(offset_of!(Vmcb, intr_shadow) == 0x068);
    assert!(offset_of!(Vmcb, exitcode) == 0x070);
    assert!(offset_of!(Vmcb, exitinfo1) == 0x078);
    assert!(offset_of!(Vmcb, exitinfo2) == 0x080);
    assert!(offset_of!(Vmcb, exitintinfo) == 0x088);
    assert!(offset_of!(Vmcb, np_enable) == 0x090);
    assert!(offset_of!(Vmcb, ghcb_gpa) == 0x0a0);
    assert!(offset_of!(Vmcb, eventinj) == 0x0a8);
    assert!(offset_of!(Vmcb, n_cr3) == 0x0b0);
    assert!(offset_of!(Vmcb, lbr_virt_enable) == 0x0b8);
    assert!(offset_of!(Vmcb, vmcb_clean_bits) == 0x0c0);
    assert!(offset_of!(Vmcb, nrip) == 0x0c8);
    assert!(offset_of!(Vmcb, n_bytes_fetched) == 0x0d0);
    assert!(offset_of!(Vmcb, guest_ins_bytes) == 0x0d1);
    assert!(offset_of!(Vmcb, avic_apic_back_page) == 0x0e0);
    assert!(offset_of!(Vmcb, avic_logical_table) == 0x0f0);
    assert!(offset_of!(Vmcb, avic_phys) == 0x0f8);
    assert!(offset_of!(Vmcb, vmsa_pa) == 0x108);
    assert!(offset_of!(Vmcb, es) == 0x400);
    assert!(offset_of!(Vmcb, cs) == 0x410);
    assert!(offset_of!(Vmcb, ss) == 0x420);
    assert!(offset_of!(Vmcb, ds) == 0x430);
    assert!(offset_of!(Vmcb, fs) == 0x440);
    assert!(offset_of!(Vmcb, gs) == 0x450);
    assert!(offset_of!(Vmcb, gdtr) == 0x460);
    assert!(offset_of!(Vmcb, ldtr) == 0x470);
    assert!(offset_of!(Vmcb, idtr) == 0x480);
    assert!(offset_of!(Vmcb, tr) == 0x490);
    assert!(offset_of!(Vmcb, cpl) == 0x4cb);
    assert!(offset_of!(Vmcb, efer) == 0x4d0);
    assert!(offset_of!(Vmcb, cr4) == 0x548);
    assert!(offset_of!(Vmcb, cr3) == 0x550);
    assert!(offset_of!(Vmcb, cr0) == 0x558);
    assert!(offset_of!(Vmcb, dr7) == 0x560);
    assert!(offset_of!(Vmcb, dr6) == 0x568);
    assert!(offset_of!(Vmcb, rflags) == 0x570);
    assert!(offset_of!(Vmcb, rip) == 0x578);
    assert!(offset_of!(Vmcb, rsp) == 0x5d8);
    assert!(offset_of!(Vmcb, rax) == 0x5f8);
    assert!(offset_of!(Vmcb, star) == 0x600);
    assert!(offset_of!(Vmcb, lstar) == 0x608);
    assert!(offset_of!(Vmcb, cstar) == 0x610);
    assert!(offset_of!(Vmcb, sfmask) == 0x618);
    assert!(offset_of!(Vmcb, kgsbase) == 0x620);
    assert!(offset_of!(Vmcb, sysenter_cs) == 0x628);
    assert!(offset_of!(Vmcb, sysenter_esp) == 0x630);
    assert!(offset_of!(Vmcb, sysenter_eip) == 0x638);
    assert!(offset_of!(Vmcb, cr2) == 0x640);
    assert!(offset_of!(Vmcb, g_pat) == 0x668);
    assert!(offset_of!(Vmcb, dbgctl) == 0x670);
    assert!(offset_of!(Vmcb, lastexcpto) == 0x690);
};

/// Intercept word 1 bits.
pub mod intercept1 {
    /// Physical interrupt.
    pub const INTR: u32 = 1 << 0;
    /// NMI.
    pub const NMI: u32 = 1 << 1;
    /// IRET (checked before it executes).
    pub const IRET: u32 = 1 << 20;
    /// Virtual interrupt window.
    pub const VINTR: u32 = 1 << 4;
    /// CPUID.
    pub const CPUID: u32 = 1 << 18;
    /// INVD.
    pub const INVD: u32 = 1 << 22;
    /// HLT.
    pub const HLT: u32 = 1 << 24;
    /// INVLPGA.
    pub const INVLPGA: u32 = 1 << 26;
    /// IN/OUT/INS/OUTS (through the IOPM).
    pub const IOIO: u32 = 1 << 27;
    /// RDMSR/WRMSR (through the MSRPM).
    pub const MSR: u32 = 1 << 28;
    /// Shutdown (triple fault).
    pub const SHUTDOWN: u32 = 1 << 31;
}

/// Intercept word 2 bits.
pub mod intercept2 {
    /// VMRUN.
    pub const VMRUN: u32 = 1 << 0;
    /// VMMCALL.
    pub const VMMCALL: u32 = 1 << 1;
    /// VMLOAD.
    pub const VMLOAD: u32 = 1 << 2;
    /// VMSAVE.
    pub const VMSAVE: u32 = 1 << 3;
    /// STGI.
    pub const STGI: u32 = 1 << 4;
    /// CLGI.
    pub const CLGI: u32 = 1 << 5;
    /// SKINIT.
    pub const SKINIT: u32 = 1 << 6;
    /// RDTSCP.
    pub const RDTSCP: u32 = 1 << 7;
    /// ICEBP.
    pub const ICEBP: u32 = 1 << 8;
    /// MONITOR.
    pub const MONITOR: u32 = 1 << 10;
    /// MWAIT (unconditional).
    pub const MWAIT_UNCOND: u32 = 1 << 11;
    /// MWAIT (armed).
    pub const MWAIT_COND: u32 = 1 << 12;
    /// XSETBV.
    pub const XSETBV: u32 = 1 << 13;
}

/// TLB control values.
pub mod tlb {
    /// No flush.
    pub const FLUSH_NONE: u8 = 0;
    /// Flush everything.
    pub const FLUSH_ALL: u8 = 1;
    /// Flush this guest's ASID.
    pub const FLUSH_ASID: u8 = 3;
}

/// V_INTR_MASKING: the guest's RFLAGS.IF masks only virtual interrupts;
/// host interrupts are the host's (they exit).
pub const V_INTR_MASKING: u8 = 1;
/// The nested-paging control word: nested paging on.
pub const NP_ENABLE: u64 = 1 << 0;
/// The nested-paging control word: SEV.
pub const NP_SEV: u64 = 1 << 1;
/// The nested-paging control word: SEV-ES.
pub const NP_SEV_ES: u64 = 1 << 2;

/// All twelve VMCB clean-bit groups.
pub const CLEAN_ALL: u64 = 0xfff;
/// Clean bit: intercepts, TSC offset, pause filter.
pub const CLEAN_I: u64 = 1 << 0;
/// Clean bit: V_TPR, V_IRQ and friends.
pub const CLEAN_TPR: u64 = 1 << 3;
/// VMCB clean bit: CR0, CR3, CR4 and EFER.
pub const CLEAN_CRX: u64 = 1 << 5;

/// The guest PAT every vcpu gets (WB, WC, UC-, UC, twice), as upstream.
pub const GUEST_PAT: u64 = 0x0007_0106_0007_0106;

/// The 8 KiB MSR permission map: two bits per MSR (read, write) for
/// 0x0-0x1FFF, 0xC0000000-0xC0001FFF and 0xC0010000-0xC0011FFF.
pub type Msrpm = [u8; 2 * 4096];
/// The 12 KiB I/O permission map: one bit per port.
pub type Iopm = [u8; 3 * 4096];

/// Where the read bit of `msr` is in the MSRPM: (byte, bit); the write bit
/// is the next one.  `None` for MSRs outside the three ranges (always
/// intercepted by the hardware).
pub fn msrpm_position(msr: u32) -> Option<(usize, u8)> {
    let (base, off) = match msr {
        0..=0x1fff => (0x000usize, msr),
        0xc000_0000..=0xc000_1fff => (0x800, msr.wrapping_sub(0xc000_0000)),
        0xc001_0000..=0xc001_1fff => (0x1000, msr.wrapping_sub(0xc001_0000)),
        _ => return None,
    };
    let byte = base.checked_add((off / 4) as usize)?;
    let bit = ((off & 3) << 1) as u8;
    Some((byte, bit))
}

/// Lets the guest read (and, if `write`, write) `msr` without an exit.
pub fn msrpm_pass(map: &mut Msrpm, msr: u32, write: bool) {
    if let Some((byte, bit)) = msrpm_position(msr) {
        if let Some(b) = map.get_mut(byte) {
            *b &= !(1u8 << bit);
            if write {
                *b &= !(1u8 << (bit.wrapping_add(1) & 7));
            }
        }
    }
}

/// The VMX-format access rights vmd uses, as a 12-bit SVM attribute:
/// bits 7:0 stay, bits 15:12 move to 11:8 (bits 11:8 and 16+ are lost).
pub fn attr_from_ar(ar: u32) -> u16 {
    let ar = ar as u16;
    (ar & 0x00ff) | ((ar >> 4) & 0x0f00)
}

/// The reverse of [`attr_from_ar`].
pub fn ar_from_attr(attr: u16) -> u32 {
    let a = u32::from(attr);
    (a & 0x00ff) | ((a << 4) & 0xf000)
}

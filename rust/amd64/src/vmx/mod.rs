//! Intel VMX with extended page tables (EPT) and unrestricted guest: the
//! backend for Intel CPUs.
//!
//! Behaviour follows upstream's `vcpu_init_vmx`, `vcpu_reset_regs_vmx`,
//! `vcpu_{read,write}regs_vmx`, `vcpu_run_vmx` and `vmx_handle_exit`
//! (vmm_machdep.c rev 1.64), with the fixes listed in README.md.  The
//! shape mirrors the SVM backend: [`Vmx`] per kernel, [`VmxVm`] per VM,
//! [`VmxVcpu`] per vcpu; the run loop and exit handlers are in `exit`,
//! the VMCS layout and decoders in [`vmcs`], everything privileged in
//! [`switch`].

mod exit;
pub mod switch;
pub mod vmcs;

use vmm_abi::{
    vcpu_reg_state, vm_create_params, VCPU_REGS_CR0, VCPU_REGS_CR2, VCPU_REGS_CR3, VCPU_REGS_CR4,
    VCPU_REGS_CR8, VCPU_REGS_DR0, VCPU_REGS_DR1, VCPU_REGS_DR2, VCPU_REGS_DR3, VCPU_REGS_DR6,
    VCPU_REGS_DR7, VCPU_REGS_EFER, VCPU_REGS_MISC_ENABLE, VCPU_REGS_PDPTE0, VCPU_REGS_PDPTE1,
    VCPU_REGS_PDPTE2, VCPU_REGS_PDPTE3, VCPU_REGS_RFLAGS, VCPU_REGS_RSP, VCPU_REGS_XCR0,
    VM_RWREGS_CRS, VM_RWREGS_DRS, VM_RWREGS_GPRS, VM_RWREGS_MSRS, VM_RWREGS_SREGS,
};
use vmm_core::{RunCheck, RunExit, RunRequest};
use vmm_kernel::mem::{PageBox, PmapBox};
use vmm_kernel::{Errno, KResult, KernelAmd64, PoolId};

use crate::asid::{Asid, ASIDS};
use crate::cpu::VmxCaps;
use crate::gstate::{FpuArea, GuestState, NO_EXIT};
use crate::insn::msr;
use crate::world::GuestWorld;
use crate::x86::{
    CR0_CD, CR0_NW, CR0_PE, CR0_PG, CR4_CET, CR4_PAE, CR4_PKE, CR4_VMXE, EFER_LMA, EFER_LME,
};
use crate::PerCpuVcpu;
use switch::{Current, Vmcs};
use vmcs::{
    compute_ctls, msr_bitmap_pass, CrFixed, Ctl16, Ctl32, Ctl64, CtlError, CtlNat, CtlReg, Guest32,
    Guest64, GuestNat, MsrArea, MsrBitmap, SEGS,
};

/// Guest MSRs kept in the VM-entry/exit MSR areas, in `VCPU_REGS_*`
/// order (MISC_ENABLE, slot 6 of the ABI, is emulated instead); the exit
/// loads the host's from the host area.
pub const GUEST_MSRS: [u32; 6] = [
    msr::EFER,
    msr::STAR,
    msr::LSTAR,
    msr::CSTAR,
    msr::SFMASK,
    msr::KERNELGSBASE,
];

/// The MSRs the guest reads and writes without an exit (upstream's
/// list); each is switched by the VMCS (guest and host areas, the MSR
/// areas of [`GUEST_MSRS`]) or read-only once locked
/// (`crate::world::HOST_STATE`, checked by `tests/world_state.rs`).
pub const MSRS_PASSED: [u32; 12] = [
    msr::FEATURE_CONTROL,
    msr::SYSENTER_CS,
    msr::SYSENTER_ESP,
    msr::SYSENTER_EIP,
    msr::EFER,
    msr::STAR,
    msr::LSTAR,
    msr::CSTAR,
    msr::SFMASK,
    msr::FSBASE,
    msr::GSBASE,
    msr::KERNELGSBASE,
];

/// The MSRs the guest reads without an exit: the TSC (writes exit and
/// are dropped).
pub const MSRS_READ_PASSED: [u32; 1] = [msr::TSC];
/// Entries in each MSR area.
const NMSRS: u32 = GUEST_MSRS.len() as u32;

/// CR4 bits the guest never gets: VMX (not in its CPUID) and CET (not in
/// its CPUID either; the host's CET state is not switched).  Protection
/// keys are the guest's when the host uses them (its PKRU is switched,
/// `crate::world`, and CPUID shows PKU), else host-owned too
/// ([`Vmx::cr4_host_owned`]).
const CR4_HOST_OWNED: u64 = CR4_VMXE | CR4_CET;

/// Control bits (SDM Vol. 3C, 24.6 to 24.8).
pub mod ctl {
    /// Pin-based: external-interrupt exiting.
    pub const PIN_EXTINT_EXITING: u32 = 1 << 0;
    /// Pin-based: NMI exiting.
    pub const PIN_NMI_EXITING: u32 = 1 << 3;
    /// Pin-based: virtual NMIs.
    pub const PIN_VIRTUAL_NMIS: u32 = 1 << 5;
    /// Pin-based: VMX-preemption timer.
    pub const PIN_PREEMPTION_TIMER: u32 = 1 << 6;
    /// Pin-based: posted interrupts.
    pub const PIN_POSTED_INTR: u32 = 1 << 7;
    /// Primary: interrupt-window exiting.
    pub const PROC_INT_WINDOW: u32 = 1 << 2;
    /// Primary: TSC offsetting.
    pub const PROC_TSC_OFFSET: u32 = 1 << 3;
    /// Primary: HLT exiting.
    pub const PROC_HLT: u32 = 1 << 7;
    /// Primary: MWAIT exiting.
    pub const PROC_MWAIT: u32 = 1 << 10;
    /// Primary: CR3-load exiting.
    pub const PROC_CR3_LOAD: u32 = 1 << 15;
    /// Primary: CR3-store exiting.
    pub const PROC_CR3_STORE: u32 = 1 << 16;
    /// Primary: CR8-load exiting.
    pub const PROC_CR8_LOAD: u32 = 1 << 19;
    /// Primary: CR8-store exiting.
    pub const PROC_CR8_STORE: u32 = 1 << 20;
    /// Primary: use TPR shadow.
    pub const PROC_TPR_SHADOW: u32 = 1 << 21;
    /// Primary: NMI-window exiting.
    pub const PROC_NMI_WINDOW: u32 = 1 << 22;
    /// Primary: unconditional I/O exiting.
    pub const PROC_UNCOND_IO: u32 = 1 << 24;
    /// Primary: use I/O bitmaps.
    pub const PROC_IO_BITMAPS: u32 = 1 << 25;
    /// Primary: monitor trap flag.
    pub const PROC_MTF: u32 = 1 << 27;
    /// Primary: use MSR bitmaps.
    pub const PROC_MSR_BITMAPS: u32 = 1 << 28;
    /// Primary: MONITOR exiting.
    pub const PROC_MONITOR: u32 = 1 << 29;
    /// Primary: activate secondary controls.
    pub const PROC_SECONDARY: u32 = 1 << 31;
    /// Secondary: enable EPT.
    pub const PROC2_EPT: u32 = 1 << 1;
    /// Secondary: enable VPID.
    pub const PROC2_VPID: u32 = 1 << 5;
    /// Secondary: unrestricted guest.
    pub const PROC2_UNRESTRICTED: u32 = 1 << 7;
    /// Exit: save debug controls.
    pub const EXIT_SAVE_DEBUG: u32 = 1 << 2;
    /// Exit: host address-space size (64-bit host).
    pub const EXIT_HOST_64: u32 = 1 << 9;
    /// Exit: load IA32_PERF_GLOBAL_CTRL.
    pub const EXIT_LOAD_PERF: u32 = 1 << 12;
    /// Exit: acknowledge interrupt on exit.
    pub const EXIT_ACK_INTR: u32 = 1 << 15;
    /// Exit: save/load IA32_PAT, save/load IA32_EFER (bits 18-21).
    pub const EXIT_PAT_EFER: u32 = 0xf << 18;
    /// Exit: save the preemption timer.
    pub const EXIT_SAVE_PREEMPT: u32 = 1 << 22;
    /// Exit: clear BNDCFGS, conceal from PT.
    pub const EXIT_BND_PT: u32 = 3 << 23;
    /// Exit: load host CET state.
    pub const EXIT_LOAD_CET: u32 = 1 << 28;
    /// Entry: load debug controls.
    pub const ENTRY_LOAD_DEBUG: u32 = 1 << 2;
    /// Entry: IA-32e mode guest.
    pub const ENTRY_IA32E: u32 = 1 << 9;
    /// Entry: to SMM, deactivate dual-monitor treatment.
    pub const ENTRY_SMM: u32 = 3 << 10;
    /// Entry: load PERF_GLOBAL_CTRL, PAT, EFER, BNDCFGS, conceal from PT
    /// (bits 13-17).
    pub const ENTRY_LOADS: u32 = 0x1f << 13;
    /// Entry: load guest CET state.
    pub const ENTRY_LOAD_CET: u32 = 1 << 20;
}

/// The VMX backend.
pub struct Vmx<K: KernelAmd64> {
    pub(crate) k: K,
    caps: VmxCaps,
    cr0: CrFixed,
    cr4: CrFixed,
    /// Per CPU, the vcpu that last ran there (for IBPB), by address.
    last_vcpu: PerCpuVcpu<K>,
    /// The host facts of the guest's CPUID policy.
    pub(crate) cpuid_host: crate::cpuid::CpuidHost,
    /// What each entry does against L1TF and MDS.
    entry: switch::EntryMitigation<K>,
    /// The host uses protection keys: PKRU is switched (`crate::world`).
    pke: Option<crate::insn::Pke>,
}

/// Per-VM state: the EPT root (the memory map stays in the MI VM and
/// comes with each run, `RunRequest::ranges`).
pub struct VmxVm<K: KernelAmd64> {
    pmap: PmapBox<K>,
    eptp: u64,
}

/// Per-vcpu state: 4 pages (VMCS, MSR bitmap, guest and host MSR areas)
/// plus the registers outside the VMCS.
pub struct VmxVcpu<K: KernelAmd64> {
    vmcs: Vmcs<K>,
    st: VcpuSt<K>,
}

/// Everything of a vcpu but its VMCS (so both can be borrowed at once).
struct VcpuSt<K: KernelAmd64> {
    world: GuestWorld<K>,
    msr_bitmap: PageBox<K, MsrBitmap>,
    /// Guest MSRs: stored at exit, loaded at entry.
    guest_msrs: PageBox<K, MsrArea>,
    /// Host MSRs: loaded at exit.
    host_msrs: PageBox<K, MsrArea>,
    gs: GuestState,
    vpid: Asid,
    vpid_enabled: bool,
    id: u32,
    eptp: u64,
    irqready: bool,
    shadow_pat: u64,
    misc_enable: u64,
    cr8: u64,
    /// The primary processor-based controls as written (the interrupt
    /// window bit toggles at run time).
    procbased: u32,
}

fn msr_slot(area: &MsrArea, slot: usize) -> u64 {
    area.get(slot).map_or(0, |e| e[1])
}

fn msr_slot_set(area: &mut MsrArea, slot: usize, v: u64) {
    if let Some(e) = area.get_mut(slot) {
        e[1] = v;
    }
}

impl<K: KernelAmd64> Vmx<K> {
    /// The backend for CPUs with `caps`.  The VMXON regions are the
    /// kernel's, one per CPU (`cpu_init_vmm`), as upstream.
    pub fn new(k: K, caps: VmxCaps) -> Option<Self> {
        ASIDS.set_max(0xfff);
        k.pool_init(
            PoolId::VcpuFpu,
            size_of::<FpuArea>(),
            align_of::<FpuArea>(),
            c"vcpufpu",
        );
        let pke = crate::insn::Pke::probe();
        Some(Vmx {
            k,
            caps,
            cr0: CrFixed::new(caps.cr0_fixed.0, caps.cr0_fixed.1, CR0_PE | CR0_PG),
            cr4: CrFixed::new(caps.cr4_fixed.0, caps.cr4_fixed.1, 0),
            last_vcpu: PageBox::zeroed(k)?,
            cpuid_host: crate::cpuid::host_for_backend(&k, pke.is_some()),
            entry: switch::EntryMitigation::new(k, &caps)?,
            pke,
        })
    }

    /// The CR4 bits the guest may not set (and that the guest/host mask
    /// makes exit): [`CR4_HOST_OWNED`], and PKE unless the host's PKRU is
    /// switched.
    fn cr4_host_owned(&self) -> u64 {
        if self.pke.is_some() {
            CR4_HOST_OWNED
        } else {
            CR4_HOST_OWNED | CR4_PKE
        }
    }

    /// `start_vmm_on_cpu` for VMX.
    pub fn start_cpu(&self) {
        let k = self.k;
        if k.cpu_vmm_on() {
            return;
        }
        let Some(vmxon_pa) = k.cpu_vmxon_region(self.caps.revision()) else {
            k.log(c"vmm: cpu%lu: no VMXON region\n", u64::from(k.cpu_id()), 0);
            return;
        };
        match switch::cpu_vmx_on(
            vmxon_pa,
            self.caps.cr0_fixed,
            self.caps.cr4_fixed,
            self.caps.ept_vpid,
        ) {
            Ok(()) => k.cpu_set_vmm_on(true),
            Err(e) => k.log(c"vmm: VMXON failed (%lu)\n", e as u64, 0),
        }
    }

    /// `stop_vmm_on_cpu` for VMX.
    pub fn stop_cpu(&self) {
        let k = self.k;
        if !k.cpu_vmm_on() {
            return;
        }
        if switch::cpu_vmx_off().is_err() {
            k.log(c"vmm: VMXOFF failed\n", 0, 0);
            return;
        }
        k.cpu_set_vmm_on(false);
    }

    pub(crate) fn vm_init(&self, pmap: &PmapBox<K>) -> KResult<VmxVm<K>> {
        let caps = &self.caps;
        // A 4-level walk is the only one the EPT pmap builds.
        if !caps.ept_vpid_has(6) {
            self.k.log(c"vmm: vmx: no 4-level EPT walk\n", 0, 0);
            return Err(Errno::EINVAL);
        }
        pmap.convert(true);
        // The EPT PML4 is the pmap's top-level page (`pm_pdirpa`), as
        // upstream builds its EPTP from it; the low bits are ours.
        let root = pmap.root() & 0x000f_ffff_ffff_f000;
        // Walk length 4 (encoded as 3) and write-back paging structures
        // when the CPU allows them, else uncached.
        let wb = if caps.ept_vpid_has(14) { 6 } else { 0 };
        let eptp = root | (3 << 3) | wb;
        // The pmap invalidates EPT translations with it (upstream set it
        // in vcpu_init_vmx).
        pmap.set_eptp(eptp);
        Ok(VmxVm {
            pmap: pmap.clone_ref(),
            eptp,
        })
    }

    pub(crate) fn vcpu_init(
        &self,
        vm: &VmxVm<K>,
        id: u32,
        vcp: &mut vm_create_params,
    ) -> KResult<VmxVcpu<K>> {
        let vpid = ASIDS.alloc()?;
        let k = self.k;
        let world = GuestWorld::new(k)?;
        let vmcs = Vmcs::new(k, self.caps.revision())?;
        let msr_bitmap = PageBox::zeroed(k).ok_or(Errno::ENOMEM)?;
        let guest_msrs = PageBox::zeroed(k).ok_or(Errno::ENOMEM)?;
        let host_msrs = PageBox::zeroed(k).ok_or(Errno::ENOMEM)?;
        if let Some(a) = vcp.vcp_asid.get_mut(id as usize) {
            *a = u32::from(vpid.id());
        }
        let mut gs = GuestState::default();
        gs.exit_reason = NO_EXIT;
        Ok(VmxVcpu {
            vmcs,
            st: VcpuSt {
                world,
                msr_bitmap,
                guest_msrs,
                host_msrs,
                gs,
                vpid,
                vpid_enabled: false,
                id,
                eptp: vm.eptp,
                irqready: false,
                shadow_pat: switch::host_pat(),
                misc_enable: 0,
                cr8: 0,
                procbased: 0,
            },
        })
    }

    /// The five control fields for a guest whose EFER has `lma`.
    fn controls(&self, lma: bool) -> Result<[(Ctl32, u32); 5], CtlError> {
        use ctl::*;
        let c = &self.caps;
        // Virtual NMIs where the CPU has them: with NMI exiting alone, the
        // guest's IRET does not unblock NMIs (SDM, IRET in VMX non-root
        // operation), so after one injected NMI a vcpu would block NMIs
        // for good; with them, the NMI-blocking bit of the guest's
        // interruptibility state is set by the injection and cleared by
        // the handler's IRET, which is what `inject` looks at.
        let vnmi = if (c.pinbased >> 32) as u32 & PIN_VIRTUAL_NMIS != 0 {
            PIN_VIRTUAL_NMIS
        } else {
            0
        };
        let pin = compute_ctls(
            CtlReg::Pin,
            c.pinbased,
            PIN_EXTINT_EXITING | PIN_NMI_EXITING | vnmi,
            (PIN_VIRTUAL_NMIS & !vnmi) | PIN_PREEMPTION_TIMER | PIN_POSTED_INTR,
        )?;
        let proc = compute_ctls(
            CtlReg::Proc,
            c.procbased,
            PROC_HLT
                | PROC_MWAIT
                | PROC_CR8_LOAD
                | PROC_CR8_STORE
                | PROC_UNCOND_IO
                | PROC_MSR_BITMAPS
                | PROC_MONITOR
                | PROC_SECONDARY,
            PROC_INT_WINDOW
                | PROC_TSC_OFFSET
                | PROC_CR3_LOAD
                | PROC_CR3_STORE
                | PROC_TPR_SHADOW
                | PROC_NMI_WINDOW
                | PROC_IO_BITMAPS
                | PROC_MTF,
        )?;
        // The interrupt window must be available to be toggled later.
        compute_ctls(CtlReg::Proc, c.procbased, PROC_INT_WINDOW, 0)?;
        let mut want2 = PROC2_EPT | PROC2_UNRESTRICTED;
        if c.vpid {
            want2 |= PROC2_VPID;
        }
        let proc2 = compute_ctls(CtlReg::Proc2, c.procbased2, want2, !want2)?;
        let exit = compute_ctls(
            CtlReg::Exit,
            c.exit,
            EXIT_SAVE_DEBUG | EXIT_HOST_64,
            EXIT_LOAD_PERF
                | EXIT_ACK_INTR
                | EXIT_PAT_EFER
                | EXIT_SAVE_PREEMPT
                | EXIT_BND_PT
                | EXIT_LOAD_CET,
        )?;
        let (ia32e1, ia32e0) = if lma {
            (ENTRY_IA32E, 0)
        } else {
            (0, ENTRY_IA32E)
        };
        let entry = compute_ctls(
            CtlReg::Entry,
            c.entry,
            ENTRY_LOAD_DEBUG | ia32e1,
            ENTRY_SMM | ENTRY_LOADS | ENTRY_LOAD_CET | ia32e0,
        )?;
        Ok([
            (Ctl32::PinBased, pin),
            (Ctl32::ProcBased, proc),
            (Ctl32::ProcBased2, proc2),
            (Ctl32::ExitCtls, exit),
            (Ctl32::EntryCtls, entry),
        ])
    }

    /// `vcpu_reset_regs_vmx`.
    pub(crate) fn reset_regs(&self, v: &mut VmxVcpu<K>, vrs: &vcpu_reg_state) -> KResult {
        let k = self.k;
        let st = &mut v.st;
        let mut cur = v.vmcs.load()?;
        let lma = vrs.vrs_msrs.get(VCPU_REGS_EFER).copied().unwrap_or(0) & EFER_LMA != 0;
        let ctls = match self.controls(lma) {
            Ok(c) => c,
            Err(e) => {
                let (what, bit) = match e {
                    CtlError::Contradiction(b) => (0, b),
                    CtlError::Inconsistent(b) => (1, b),
                    CtlError::Unsupported(b) => (2, b),
                    CtlError::Forced(b) => (3, b),
                };
                k.log(
                    c"vmm: vmx: controls impossible (kind %lu, bit %lu)\n",
                    what,
                    u64::from(bit),
                );
                return Err(Errno::EINVAL);
            }
        };
        for (f, val) in ctls {
            cur.write(f, val)?;
            if f == Ctl32::ProcBased {
                st.procbased = val;
            }
            if f == Ctl32::ProcBased2 {
                st.vpid_enabled = val & ctl::PROC2_VPID != 0;
            }
        }
        if st.vpid_enabled {
            cur.write(Ctl16::Vpid, st.vpid.id())?;
        }
        // Every field upstream left to the zeroed region, explicitly.
        for f in [
            Ctl32::ExceptionBitmap,
            Ctl32::PfErrorMask,
            Ctl32::PfErrorMatch,
            Ctl32::Cr3TargetCount,
            Ctl32::EntryIntrInfo,
            Ctl32::EntryExceptionError,
            Ctl32::EntryInsnLen,
            Ctl32::TprThreshold,
        ] {
            cur.write(f, 0)?;
        }
        for f in [
            Guest32::Interruptibility,
            Guest32::Activity,
            Guest32::SysenterCs,
        ] {
            cur.write(f, 0)?;
        }
        for f in [
            GuestNat::PendingDbg,
            GuestNat::SysenterEsp,
            GuestNat::SysenterEip,
        ] {
            cur.write(f, 0)?;
        }
        cur.write(Guest64::DebugCtl, 0)?;
        cur.write(Guest64::LinkPointer, u64::MAX)?;
        cur.write(Ctl64::Eptp, st.eptp)?;
        cur.write(Ctl64::MsrBitmap, st.msr_bitmap.pa())?;
        cur.write(Ctl64::ExitMsrStore, st.guest_msrs.pa())?;
        cur.write(Ctl64::EntryMsrLoad, st.guest_msrs.pa())?;
        cur.write(Ctl64::ExitMsrLoad, st.host_msrs.pa())?;
        cur.write(Ctl32::ExitMsrStoreCount, NMSRS)?;
        cur.write(Ctl32::EntryMsrLoadCount, NMSRS)?;
        cur.write(Ctl32::ExitMsrLoadCount, NMSRS)?;
        // The guest/host masks: what the host owns in CR0 and CR4.  PE, PG,
        // NW and CD are owned too even when unrestricted guest relaxes the
        // fixed bits: PG without PE, or NW without CD, is an invalid guest
        // state that would fail the next VM entry, so such a write must
        // exit and be refused with #GP instead.
        cur.write(
            CtlNat::Cr0Mask,
            self.cr0.must1 | self.cr0.must0 | CR0_PE | CR0_PG | CR0_NW | CR0_CD,
        )?;
        cur.write(
            CtlNat::Cr4Mask,
            self.cr4.must1 | self.cr4.must0 | self.cr4_host_owned(),
        )?;
        for (e, m) in st.guest_msrs.iter_mut().zip(GUEST_MSRS) {
            *e = [u64::from(m), 0];
        }
        for (e, m) in st.host_msrs.iter_mut().zip(GUEST_MSRS) {
            *e = [u64::from(m), 0];
        }
        // MSRs: everything exits except what upstream passes through.
        let map = &mut *st.msr_bitmap;
        map.fill(0xff);
        for m in MSRS_PASSED {
            msr_bitmap_pass(map, m, true);
        }
        for m in MSRS_READ_PASSED {
            msr_bitmap_pass(map, m, false);
        }
        self.write_regs(&mut cur, st, u64::from(vmm_abi::VM_RWREGS_ALL), vrs)?;
        // The guest starts with only x87 state enabled.
        st.gs.xcr0 = 1 & k.xsave_mask();
        st.shadow_pat = switch::host_pat();
        st.irqready = false;
        st.gs.exit_reason = NO_EXIT;
        st.world.reset();
        cur.release()
    }

    /// `vcpu_writeregs_vmx`.
    pub(crate) fn writeregs(&self, v: &mut VmxVcpu<K>, mask: u64, vrs: &vcpu_reg_state) -> KResult {
        let mut cur = v.vmcs.load()?;
        self.write_regs(&mut cur, &mut v.st, mask, vrs)?;
        cur.release()
    }

    /// `vcpu_readregs_vmx`.
    pub(crate) fn readregs(
        &self,
        v: &mut VmxVcpu<K>,
        mask: u64,
        vrs: &mut vcpu_reg_state,
    ) -> KResult {
        let cur = v.vmcs.load()?;
        read_regs(&cur, &v.st, mask, vrs)?;
        cur.release()
    }

    /// The guest's view of CR0 given the value it asked for: the real
    /// value the CPU runs with, or `EINVAL` if it has a must-be-zero bit.
    fn cr0_real(&self, v: u64) -> KResult<u64> {
        if v & self.cr0.must0 != 0 || v >> 32 != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(self.cr0.apply(v))
    }

    /// As [`Vmx::cr0_real`] for CR4.
    fn cr4_real(&self, v: u64) -> KResult<u64> {
        if v & (self.cr4.must0 | self.cr4_host_owned()) != 0 || v >> 32 != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(self.cr4.apply(v | CR4_VMXE))
    }

    fn write_regs(
        &self,
        cur: &mut Current<'_, K>,
        st: &mut VcpuSt<K>,
        mask: u64,
        vrs: &vcpu_reg_state,
    ) -> KResult {
        let reg = |i: usize| vrs.vrs_gprs.get(i).copied().unwrap_or(0);
        if mask & u64::from(VM_RWREGS_GPRS) != 0 {
            let gs = &mut st.gs;
            gs.load_gprs(vrs);
            cur.write(GuestNat::Rip, gs.rip)?;
            cur.write(GuestNat::Rsp, reg(VCPU_REGS_RSP))?;
            cur.write(GuestNat::Rflags, reg(VCPU_REGS_RFLAGS))?;
        }
        if mask & u64::from(VM_RWREGS_SREGS) != 0 {
            for (f, s) in SEGS.iter().zip(vrs.vrs_sregs.iter()) {
                cur.write(f.sel, s.vsi_sel)?;
                cur.write(f.limit, s.vsi_limit)?;
                cur.write(f.ar, s.vsi_ar)?;
                cur.write(f.base, s.vsi_base)?;
            }
            cur.write(Guest32::GdtrLimit, vrs.vrs_gdtr.vsi_limit)?;
            cur.write(GuestNat::GdtrBase, vrs.vrs_gdtr.vsi_base)?;
            cur.write(Guest32::IdtrLimit, vrs.vrs_idtr.vsi_limit)?;
            cur.write(GuestNat::IdtrBase, vrs.vrs_idtr.vsi_base)?;
        }
        if mask & u64::from(VM_RWREGS_CRS) != 0 {
            let cr = |i: usize| vrs.vrs_crs.get(i).copied().unwrap_or(0);
            let cr0 = cr(VCPU_REGS_CR0);
            let cr4 = cr(VCPU_REGS_CR4) & !CR4_VMXE;
            cur.write(GuestNat::Cr0, self.cr0_real(cr0)?)?;
            cur.write(CtlNat::Cr0Shadow, cr0)?;
            cur.write(GuestNat::Cr4, self.cr4_real(cr4)?)?;
            cur.write(CtlNat::Cr4Shadow, cr4)?;
            cur.write(GuestNat::Cr3, cr(VCPU_REGS_CR3))?;
            st.gs.cr2 = cr(VCPU_REGS_CR2);
            st.cr8 = cr(VCPU_REGS_CR8) & 0xf;
            st.gs.xcr0 = cr(VCPU_REGS_XCR0);
            for (f, i) in [
                (Guest64::Pdpte0, VCPU_REGS_PDPTE0),
                (Guest64::Pdpte1, VCPU_REGS_PDPTE1),
                (Guest64::Pdpte2, VCPU_REGS_PDPTE2),
                (Guest64::Pdpte3, VCPU_REGS_PDPTE3),
            ] {
                cur.write(f, cr(i))?;
            }
        }
        if mask & u64::from(VM_RWREGS_MSRS) != 0 {
            let m = |i: usize| vrs.vrs_msrs.get(i).copied().unwrap_or(0);
            for (slot, e) in st.guest_msrs.iter_mut().take(GUEST_MSRS.len()).enumerate() {
                e[1] = m(slot);
            }
            st.misc_enable = m(VCPU_REGS_MISC_ENABLE);
            // IA-32e mode guest follows EFER.LMA (upstream: only at reset).
            let ia32e = if m(VCPU_REGS_EFER) & EFER_LMA != 0 {
                (ctl::ENTRY_IA32E, 0)
            } else {
                (0, ctl::ENTRY_IA32E)
            };
            cur.update32(Ctl32::EntryCtls, ia32e.0, ia32e.1)?;
        }
        if mask & u64::from(VM_RWREGS_DRS) != 0 {
            let d = |i: usize| vrs.vrs_drs.get(i).copied().unwrap_or(0);
            st.gs.dr0 = d(VCPU_REGS_DR0);
            st.gs.dr1 = d(VCPU_REGS_DR1);
            st.gs.dr2 = d(VCPU_REGS_DR2);
            st.gs.dr3 = d(VCPU_REGS_DR3);
            st.gs.dr6 = d(VCPU_REGS_DR6) & 0xffff_ffff;
            cur.write(GuestNat::Dr7, d(VCPU_REGS_DR7) & 0xffff_ffff)?;
        }
        Ok(())
    }

    /// `vcpu_run_vmx`.
    pub(crate) fn run(
        &self,
        vm: &VmxVm<K>,
        v: &mut VmxVcpu<K>,
        req: RunRequest<'_>,
        check: impl Fn() -> RunCheck,
    ) -> KResult<RunExit> {
        exit::run(self, vm, v, req, check)
    }
}

/// CR0 or CR4 as the guest sees it: the read shadow in the bits the host
/// owns, the real value elsewhere.
fn guest_view(real: u64, mask: u64, shadow: u64) -> u64 {
    (real & !mask) | (shadow & mask)
}

fn read_regs<K: KernelAmd64>(
    cur: &Current<'_, K>,
    st: &VcpuSt<K>,
    mask: u64,
    vrs: &mut vcpu_reg_state,
) -> KResult {
    let gs = &st.gs;
    if mask & u64::from(VM_RWREGS_GPRS) != 0 {
        let (rip, rsp) = (cur.read(GuestNat::Rip)?, cur.read(GuestNat::Rsp)?);
        gs.store_gprs(gs.rax, rip, rsp, cur.read(GuestNat::Rflags)?, vrs);
    }
    if mask & u64::from(VM_RWREGS_SREGS) != 0 {
        for (f, d) in SEGS.iter().zip(vrs.vrs_sregs.iter_mut()) {
            d.vsi_sel = cur.read(f.sel)?;
            d.vsi_limit = cur.read(f.limit)?;
            d.vsi_ar = cur.read(f.ar)?;
            d.vsi_base = cur.read(f.base)?;
        }
        vrs.vrs_gdtr.vsi_limit = cur.read(Guest32::GdtrLimit)?;
        vrs.vrs_gdtr.vsi_base = cur.read(GuestNat::GdtrBase)?;
        vrs.vrs_idtr.vsi_limit = cur.read(Guest32::IdtrLimit)?;
        vrs.vrs_idtr.vsi_base = cur.read(GuestNat::IdtrBase)?;
    }
    if mask & u64::from(VM_RWREGS_CRS) != 0 {
        let cr0 = guest_view(
            cur.read(GuestNat::Cr0)?,
            cur.read(CtlNat::Cr0Mask)?,
            cur.read(CtlNat::Cr0Shadow)?,
        );
        let cr4 = guest_view(
            cur.read(GuestNat::Cr4)?,
            cur.read(CtlNat::Cr4Mask)?,
            cur.read(CtlNat::Cr4Shadow)?,
        );
        for (i, val) in [
            (VCPU_REGS_CR0, cr0),
            (VCPU_REGS_CR2, gs.cr2),
            (VCPU_REGS_CR3, cur.read(GuestNat::Cr3)?),
            (VCPU_REGS_CR4, cr4),
            (VCPU_REGS_CR8, st.cr8),
            (VCPU_REGS_XCR0, gs.xcr0),
            (VCPU_REGS_PDPTE0, cur.read(Guest64::Pdpte0)?),
            (VCPU_REGS_PDPTE1, cur.read(Guest64::Pdpte1)?),
            (VCPU_REGS_PDPTE2, cur.read(Guest64::Pdpte2)?),
            (VCPU_REGS_PDPTE3, cur.read(Guest64::Pdpte3)?),
        ] {
            if let Some(r) = vrs.vrs_crs.get_mut(i) {
                *r = val;
            }
        }
    }
    if mask & u64::from(VM_RWREGS_MSRS) != 0 {
        for (slot, r) in vrs.vrs_msrs.iter_mut().take(GUEST_MSRS.len()).enumerate() {
            *r = msr_slot(&st.guest_msrs, slot);
        }
        if let Some(r) = vrs.vrs_msrs.get_mut(VCPU_REGS_MISC_ENABLE) {
            *r = st.misc_enable;
        }
    }
    if mask & u64::from(VM_RWREGS_DRS) != 0 {
        for (i, val) in [
            (VCPU_REGS_DR0, gs.dr0),
            (VCPU_REGS_DR1, gs.dr1),
            (VCPU_REGS_DR2, gs.dr2),
            (VCPU_REGS_DR3, gs.dr3),
            (VCPU_REGS_DR6, gs.dr6),
            (VCPU_REGS_DR7, cur.read(GuestNat::Dr7)?),
        ] {
            if let Some(r) = vrs.vrs_drs.get_mut(i) {
                *r = val;
            }
        }
    }
    Ok(())
}

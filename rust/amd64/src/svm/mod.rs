//! AMD SVM with nested paging (RVI): the backend for AMD CPUs.
//!
//! Behaviour follows upstream's `vcpu_init_svm`, `vcpu_reset_regs_svm`,
//! `vcpu_{read,write}regs_svm`, `vcpu_run_svm` and `svm_handle_exit`
//! (vmm_machdep.c rev 1.64), with the fixes listed in README.md.

mod exit;
mod fetch;
pub mod switch;
pub mod vmcb;

use vmm_abi::{
    vcpu_reg_state, vm_create_params, VCPU_REGS_CR0, VCPU_REGS_CR2, VCPU_REGS_CR3, VCPU_REGS_CR4,
    VCPU_REGS_CS, VCPU_REGS_CSTAR, VCPU_REGS_DR0, VCPU_REGS_DR1, VCPU_REGS_DR2, VCPU_REGS_DR3,
    VCPU_REGS_DR6, VCPU_REGS_DR7, VCPU_REGS_DS, VCPU_REGS_EFER, VCPU_REGS_ES, VCPU_REGS_FS,
    VCPU_REGS_GS, VCPU_REGS_KGSBASE, VCPU_REGS_LDTR, VCPU_REGS_LSTAR, VCPU_REGS_RAX,
    VCPU_REGS_RFLAGS, VCPU_REGS_RIP, VCPU_REGS_RSP, VCPU_REGS_SFMASK, VCPU_REGS_SS, VCPU_REGS_STAR,
    VCPU_REGS_TR, VCPU_REGS_XCR0, VM_RWREGS_CRS, VM_RWREGS_DRS, VM_RWREGS_GPRS, VM_RWREGS_MSRS,
    VM_RWREGS_SREGS,
};
use vmm_core::{RunCheck, RunExit, RunRequest};
use vmm_kernel::mem::{PageBox, Pages, PmapBox};
use vmm_kernel::{Errno, KResult, KernelAmd64, PoolId};

// `Svm::readregs` takes the register arrays apart in this order.
const _: () = assert!(
    VCPU_REGS_ES == 0
        && VCPU_REGS_CS == 1
        && VCPU_REGS_SS == 2
        && VCPU_REGS_DS == 3
        && VCPU_REGS_FS == 4
        && VCPU_REGS_GS == 5
        && VCPU_REGS_LDTR == 6
        && VCPU_REGS_TR == 7
        && VCPU_REGS_CR0 == 0
        && VCPU_REGS_CR2 == 1
        && VCPU_REGS_CR3 == 2
        && VCPU_REGS_CR4 == 3
        && VCPU_REGS_XCR0 == 5
        && VCPU_REGS_EFER == 0
        && VCPU_REGS_STAR == 1
        && VCPU_REGS_LSTAR == 2
        && VCPU_REGS_CSTAR == 3
        && VCPU_REGS_SFMASK == 4
        && VCPU_REGS_KGSBASE == 5
        && VCPU_REGS_DR0 == 0
        && VCPU_REGS_DR1 == 1
        && VCPU_REGS_DR2 == 2
        && VCPU_REGS_DR3 == 3
        && VCPU_REGS_DR6 == 4
        && VCPU_REGS_DR7 == 5
);

use crate::asid::{Asid, ASIDS};
use crate::cpu::SvmCaps;
use crate::gstate::{FpuArea, GuestState, NO_EXIT};
use crate::insn::{self, msr};
use crate::world::GuestWorld;
use crate::x86::EFER_SVME;
use crate::{PerCpuVcpu, MAXCPUS};
use vmcb::{
    ar_from_attr, attr_from_ar, intercept1, intercept2, msrpm_pass, tlb, Iopm, Msrpm, Vmcb,
    VmcbSegment,
};

/// The MSRs the guest reads and writes without an exit (upstream's
/// list); each is switched by VMSAVE/VMLOAD or read-only
/// (`crate::world::HOST_STATE`, checked by `tests/world_state.rs`).
pub const MSRS_PASSED: [u32; 12] = [
    msr::FEATURE_CONTROL,
    msr::SYSENTER_CS,
    msr::SYSENTER_ESP,
    msr::SYSENTER_EIP,
    msr::STAR,
    msr::LSTAR,
    msr::CSTAR,
    msr::SFMASK,
    msr::FSBASE,
    msr::GSBASE,
    msr::KERNELGSBASE,
    msr::SEV_STATUS,
];

/// The MSRs the guest reads without an exit; writes exit (EFER is
/// emulated, the others are dropped).
pub const MSRS_READ_PASSED: [u32; 4] = [msr::EFER, msr::TSC, msr::HWCR, msr::PSTATE_DEF0];

/// The SVM backend.
pub struct Svm<K: KernelAmd64> {
    pub(crate) k: K,
    caps: SvmCaps,
    /// Per CPU, the vcpu that last ran there (for IBPB), by address.
    last_vcpu: PerCpuVcpu<K>,
    /// Per CPU, the page the world switch keeps the host's state in.
    host_areas: switch::HostAreas<K>,
    /// The host facts of the guest's CPUID policy.
    pub(crate) cpuid_host: crate::cpuid::CpuidHost,
    ibpb: bool,
    /// The host uses protection keys: PKRU is switched (`crate::world`).
    pub(crate) pke: Option<insn::Pke>,
}

/// Per-VM state: the nested page table (the memory map stays in the MI
/// VM and comes with each run, `RunRequest::ranges`).
pub struct SvmVm<K: KernelAmd64> {
    pmap: PmapBox<K>,
    n_cr3: u64,
}

/// Per-vcpu state: 7 pages (VMCB, 2-page MSRPM, host save area, 3-page
/// IOPM) like upstream, plus the registers outside the VMCB.
pub struct SvmVcpu<K: KernelAmd64> {
    world: GuestWorld<K>,
    vmcb: PageBox<K, Vmcb>,
    msrpm: PageBox<K, Msrpm>,
    hsa: Pages<K>,
    iopm: PageBox<K, Iopm>,
    gs: GuestState,
    asid: Asid,
    id: u32,
    irqready: bool,
    /// The guest blocks NMIs: an NMI was injected and its handler has
    /// not returned (the CPU tracks this but does not say; EVENTINJ
    /// would deliver another NMI regardless).
    nmi_blocked: bool,
    /// The RIP of the guest's IRET that ends the NMI handler, once it
    /// was intercepted: NMIs are unblocked at the first exit after it ran.
    nmi_iret_rip: Option<u64>,
    last_cpu: Option<u32>,
    shadow_pat: u64,
    sev: bool,
    seves: bool,
    n_cr3: u64,
}

impl<K: KernelAmd64> Drop for Svm<K> {
    fn drop(&mut self) {
        // Exclusively owned: no guest can be running on any CPU.
        self.host_areas.free_all(&self.k);
    }
}

impl<K: KernelAmd64> Svm<K> {
    /// The backend for CPUs with `caps`.
    pub fn new(k: K, caps: SvmCaps) -> Option<Self> {
        ASIDS.set_max(caps.max_asid);
        // CPUID 0x80000008 EBX bit 12: IBPB.
        const CPUIDEBX_IBPB: u32 = 1 << 12;
        let ibpb = insn::cpuid(0x8000_0000, 0).eax >= 0x8000_0008
            && insn::cpuid(0x8000_0008, 0).ebx & CPUIDEBX_IBPB != 0;
        k.pool_init(
            PoolId::VcpuFpu,
            size_of::<FpuArea>(),
            align_of::<FpuArea>(),
            c"vcpufpu",
        );
        let pke = insn::Pke::probe();
        Some(Svm {
            k,
            caps,
            last_vcpu: PageBox::zeroed(k)?,
            host_areas: switch::HostAreas::new(k)?,
            cpuid_host: crate::cpuid::host_for_backend(&k, pke.is_some()),
            ibpb,
            pke,
        })
    }

    /// `start_vmm_on_cpu` for SVM: EFER.SVME on the current CPU.
    pub fn start_cpu(&self) {
        if self.k.cpu_vmm_on() {
            return;
        }
        switch::set_svme(true);
        self.k.cpu_set_vmm_on(true);
    }

    /// `stop_vmm_on_cpu` for SVM.
    pub fn stop_cpu(&self) {
        if !self.k.cpu_vmm_on() {
            return;
        }
        // No guest runs on this CPU now: stop happens with no VMs, or for
        // suspend after every ioctl finished.
        switch::set_svme(false);
        self.k.cpu_set_vmm_on(false);
    }

    /// After virtualisation was stopped on every CPU (`vmm_stop`, in
    /// process context): gives back the per-CPU host state pages.
    pub fn stopped(&self) {
        self.host_areas.free_all(&self.k);
    }

    pub(crate) fn vm_init(&self, pmap: &PmapBox<K>) -> KResult<SvmVm<K>> {
        pmap.convert(false);
        Ok(SvmVm {
            pmap: pmap.clone_ref(),
            n_cr3: pmap.root(),
        })
    }

    pub(crate) fn vcpu_init(
        &self,
        vm: &SvmVm<K>,
        id: u32,
        vcp: &mut vm_create_params,
    ) -> KResult<SvmVcpu<K>> {
        let asid = ASIDS.alloc()?;
        let k = self.k;
        let world = GuestWorld::new(k)?;
        let vmcb = PageBox::zeroed(k).ok_or(Errno::ENOMEM)?;
        let msrpm = PageBox::zeroed(k).ok_or(Errno::ENOMEM)?;
        let hsa = Pages::alloc(k, 1).ok_or(Errno::ENOMEM)?;
        let iopm = PageBox::zeroed(k).ok_or(Errno::ENOMEM)?;
        // What vmd reads back: no SEV on this host (C-bit position 0),
        // and the vcpu's ASID.
        vcp.vcp_poscbit = 0;
        if let Some(a) = vcp.vcp_asid.get_mut(id as usize) {
            *a = u32::from(asid.id());
        }
        let mut gs = GuestState::default();
        gs.exit_reason = NO_EXIT;
        Ok(SvmVcpu {
            world,
            vmcb,
            msrpm,
            hsa,
            iopm,
            gs,
            asid,
            id,
            irqready: false,
            nmi_blocked: false,
            nmi_iret_rip: None,
            last_cpu: None,
            // SAFETY: PAT exists on every amd64 CPU.
            shadow_pat: insn::read_pat(),
            sev: vcp.vcp_sev != 0,
            seves: vcp.vcp_seves != 0,
            n_cr3: vm.n_cr3,
        })
    }

    /// `vcpu_reset_regs_svm`.
    pub(crate) fn reset_regs(&self, v: &mut SvmVcpu<K>, vrs: &vcpu_reg_state) -> KResult {
        let xsave = self.k.xsave_mask();
        {
            let c = &mut *v.vmcb;
            c.intercept1 = intercept1::INTR
                | intercept1::NMI
                | intercept1::CPUID
                | intercept1::HLT
                | intercept1::INVD
                | intercept1::IOIO
                | intercept1::MSR
                | intercept1::SHUTDOWN
                | intercept1::INVLPGA;
            c.intercept2 = intercept2::VMRUN
                | intercept2::VMMCALL
                | intercept2::VMLOAD
                | intercept2::VMSAVE
                | intercept2::STGI
                | intercept2::CLGI
                | intercept2::SKINIT
                | intercept2::ICEBP
                | intercept2::MWAIT_UNCOND
                | intercept2::MONITOR
                | intercept2::MWAIT_COND
                | intercept2::RDTSCP;
            if xsave != 0 {
                c.intercept2 |= intercept2::XSETBV;
            }
            c.iopm_pa = v.iopm.pa();
            c.msrpm_pa = v.msrpm.pa();
            c.asid = u32::from(v.asid.id());
            c.tlb_control = tlb::FLUSH_ALL;
            c.intr_masking = vmcb::V_INTR_MASKING;
            c.g_pat = vmcb::GUEST_PAT;
            c.np_enable = vmcb::NP_ENABLE;
            if v.sev {
                c.np_enable |= vmcb::NP_SEV;
            }
            if v.seves {
                c.np_enable |= vmcb::NP_SEV_ES;
            }
            c.n_cr3 = v.n_cr3;
            c.efer |= EFER_SVME;
            // No event of the old state is delivered into the new one.
            c.eventinj = 0;
            // Everything changed: nothing is clean.
            c.vmcb_clean_bits = 0;
        }
        // A new state blocks no NMI (the IRET intercept went with the
        // intercept words above).
        v.nmi_blocked = false;
        v.nmi_iret_rip = None;
        // Nor does it carry the last exit: vmd's answer to it (an IN's
        // data and RIP) belongs to the old state, and whether the guest
        // could take an interrupt is the new state's RFLAGS.IF, known at
        // its first exit (upstream kept both, on either backend).
        v.gs.exit_reason = NO_EXIT;
        v.irqready = false;
        v.world.reset();
        // Every port traps to vmd.
        v.iopm.fill(0xff);
        // MSRs: everything traps except what upstream passes through.
        let m = &mut *v.msrpm;
        m.fill(0xff);
        for r in MSRS_PASSED {
            msrpm_pass(m, r, true);
        }
        for r in MSRS_READ_PASSED {
            msrpm_pass(m, r, false);
        }
        self.writeregs(v, u64::from(vmm_abi::VM_RWREGS_ALL), vrs);
        // The guest starts with only x87 state enabled.
        v.gs.xcr0 = 1 & xsave;
        Ok(())
    }

    /// `vcpu_writeregs_svm`.
    pub(crate) fn writeregs(&self, v: &mut SvmVcpu<K>, mask: u64, vrs: &vcpu_reg_state) {
        let g = &vrs.vrs_gprs;
        let gs = &mut v.gs;
        let c = &mut *v.vmcb;
        let reg = |i: usize| g.get(i).copied().unwrap_or(0);
        if mask & u64::from(VM_RWREGS_GPRS) != 0 {
            gs.load_gprs(vrs);
            c.rax = reg(VCPU_REGS_RAX);
            c.rip = reg(VCPU_REGS_RIP);
            c.rsp = reg(VCPU_REGS_RSP);
            c.rflags = reg(VCPU_REGS_RFLAGS);
        }
        if mask & u64::from(VM_RWREGS_SREGS) != 0 {
            let s = &vrs.vrs_sregs;
            let seg = |i: usize| {
                s.get(i).map_or(VmcbSegment::default(), |x| VmcbSegment {
                    sel: x.vsi_sel,
                    attr: attr_from_ar(x.vsi_ar),
                    lim: x.vsi_limit,
                    base: x.vsi_base,
                })
            };
            c.cs = seg(VCPU_REGS_CS);
            c.ds = seg(VCPU_REGS_DS);
            c.es = seg(VCPU_REGS_ES);
            c.fs = seg(VCPU_REGS_FS);
            c.gs = seg(VCPU_REGS_GS);
            c.ss = seg(VCPU_REGS_SS);
            c.ldtr = seg(VCPU_REGS_LDTR);
            c.tr = seg(VCPU_REGS_TR);
            c.gdtr.lim = vrs.vrs_gdtr.vsi_limit;
            c.gdtr.base = vrs.vrs_gdtr.vsi_base;
            c.idtr.lim = vrs.vrs_idtr.vsi_limit;
            c.idtr.base = vrs.vrs_idtr.vsi_base;
            // The CPL follows SS.DPL (upstream leaves it stale).
            c.cpl = ((c.ss.attr >> 5) & 3) as u8;
        }
        if mask & u64::from(VM_RWREGS_CRS) != 0 {
            let cr = |i: usize| vrs.vrs_crs.get(i).copied().unwrap_or(0);
            c.cr0 = cr(VCPU_REGS_CR0);
            c.cr3 = cr(VCPU_REGS_CR3);
            c.cr4 = cr(VCPU_REGS_CR4);
            gs.cr2 = cr(VCPU_REGS_CR2);
            // VMRUN loads CR2 from the VMCB (upstream only sets vg_cr2).
            c.cr2 = cr(VCPU_REGS_CR2);
            gs.xcr0 = cr(VCPU_REGS_XCR0);
        }
        if mask & u64::from(VM_RWREGS_MSRS) != 0 {
            let m = |i: usize| vrs.vrs_msrs.get(i).copied().unwrap_or(0);
            c.efer |= m(VCPU_REGS_EFER);
            c.star = m(VCPU_REGS_STAR);
            c.lstar = m(VCPU_REGS_LSTAR);
            c.cstar = m(VCPU_REGS_CSTAR);
            c.sfmask = m(VCPU_REGS_SFMASK);
            c.kgsbase = m(VCPU_REGS_KGSBASE);
        }
        if mask & u64::from(VM_RWREGS_DRS) != 0 {
            let d = |i: usize| vrs.vrs_drs.get(i).copied().unwrap_or(0);
            gs.dr0 = d(VCPU_REGS_DR0);
            gs.dr1 = d(VCPU_REGS_DR1);
            gs.dr2 = d(VCPU_REGS_DR2);
            gs.dr3 = d(VCPU_REGS_DR3);
            c.dr6 = d(VCPU_REGS_DR6);
            c.dr7 = d(VCPU_REGS_DR7);
        }
        // Register writes change VMCB state the CPU may have cached.
        c.vmcb_clean_bits = 0;
    }

    /// `vcpu_readregs_svm`.  Each array is written through a pattern of
    /// its slots in `VCPU_REGS_*` order (checked at compile time below),
    /// field by field (a segment's padding keeps what was there): the
    /// loops over (index, value) pairs with a bounds check each it
    /// replaces cost about 100 instructions per READREGS and per exit to
    /// vmd (`make obsd-bench-profile`).  Slots the SVM backend has no
    /// value for (CR8, the PDPTEs, MISC_ENABLE) are left as they are.
    pub(crate) fn readregs(&self, v: &SvmVcpu<K>, mask: u64, vrs: &mut vcpu_reg_state) {
        let gs = &v.gs;
        let c = &*v.vmcb;
        if mask & u64::from(VM_RWREGS_GPRS) != 0 {
            gs.store_gprs(c.rax, c.rip, c.rsp, c.rflags, vrs);
        }
        if mask & u64::from(VM_RWREGS_SREGS) != 0 {
            let [es, cs, ss, ds, fs, gsr, ldtr, tr] = &mut vrs.vrs_sregs;
            for (d, s) in [
                (es, &c.es),
                (cs, &c.cs),
                (ss, &c.ss),
                (ds, &c.ds),
                (fs, &c.fs),
                (gsr, &c.gs),
                (ldtr, &c.ldtr),
                (tr, &c.tr),
            ] {
                d.vsi_sel = s.sel;
                d.vsi_limit = s.lim;
                d.vsi_ar = ar_from_attr(s.attr);
                d.vsi_base = s.base;
            }
            vrs.vrs_gdtr.vsi_limit = c.gdtr.lim;
            vrs.vrs_gdtr.vsi_base = c.gdtr.base;
            vrs.vrs_idtr.vsi_limit = c.idtr.lim;
            vrs.vrs_idtr.vsi_base = c.idtr.base;
        }
        if mask & u64::from(VM_RWREGS_CRS) != 0 {
            let [cr0, cr2, cr3, cr4, _cr8, xcr0, ..] = &mut vrs.vrs_crs;
            *cr0 = c.cr0;
            *cr2 = gs.cr2;
            *cr3 = c.cr3;
            *cr4 = c.cr4;
            *xcr0 = gs.xcr0;
        }
        if mask & u64::from(VM_RWREGS_MSRS) != 0 {
            let [efer, star, lstar, cstar, sfmask, kgsbase, ..] = &mut vrs.vrs_msrs;
            *efer = c.efer;
            *star = c.star;
            *lstar = c.lstar;
            *cstar = c.cstar;
            *sfmask = c.sfmask;
            *kgsbase = c.kgsbase;
        }
        if mask & u64::from(VM_RWREGS_DRS) != 0 {
            vrs.vrs_drs = [gs.dr0, gs.dr1, gs.dr2, gs.dr3, c.dr6, c.dr7];
        }
    }

    /// `vcpu_run_svm`.
    pub(crate) fn run(
        &self,
        vm: &SvmVm<K>,
        v: &mut SvmVcpu<K>,
        req: RunRequest<'_>,
        check: impl Fn() -> RunCheck,
    ) -> KResult<RunExit> {
        exit::run(self, vm, v, req, check)
    }
}

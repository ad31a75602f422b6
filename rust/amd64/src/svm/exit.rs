//! The SVM run loop and exit handlers (`vcpu_run_svm`, `svm_handle_exit`).

use core::sync::atomic::Ordering;

use vmm_abi::{
    vcpu_inject_event, SVM_VMEXIT_CLGI, SVM_VMEXIT_CPUID, SVM_VMEXIT_HLT, SVM_VMEXIT_ICEBP,
    SVM_VMEXIT_INTR, SVM_VMEXIT_INVD, SVM_VMEXIT_INVLPGA, SVM_VMEXIT_IOIO, SVM_VMEXIT_IRET,
    SVM_VMEXIT_MONITOR, SVM_VMEXIT_MSR, SVM_VMEXIT_MWAIT, SVM_VMEXIT_MWAIT_CONDITIONAL,
    SVM_VMEXIT_NMI, SVM_VMEXIT_NPF, SVM_VMEXIT_RDTSCP, SVM_VMEXIT_SHUTDOWN, SVM_VMEXIT_SKINIT,
    SVM_VMEXIT_STGI, SVM_VMEXIT_VINTR, SVM_VMEXIT_VMLOAD, SVM_VMEXIT_VMMCALL, SVM_VMEXIT_VMRUN,
    SVM_VMEXIT_VMSAVE, SVM_VMEXIT_XSETBV, VCPU_INJECT_EX, VCPU_INJECT_INTR, VCPU_INJECT_NMI,
    VCPU_INJECT_NONE, VEE_BYTES_VALID, VEE_FAULT_HANDLED, VEE_FAULT_MMIO_ASSIST, VEI_DIR_IN,
    VEI_DIR_OUT, VM_MEM_MMIO, VM_RWREGS_ALL, VM_RWREGS_GPRS,
};
use vmm_core::{RunCheck, RunExit, RunRequest};
use vmm_kernel::{Errno, KResult, KernelAmd64};

use super::switch;
use super::vmcb::{intercept1, tlb, CLEAN_ALL, CLEAN_CRX, CLEAN_I, CLEAN_TPR};
use super::{Svm, SvmVcpu, SvmVm};
use crate::cpuid::{GuestCpuid, LiveCpuid};
use crate::exitpolicy::{
    exception_error_code, msr_stays_in_kernel, queue_ex, rdmsr_shared, single_step, write_vee,
    write_vei, wrmsr_shared, xsetbv_value, Next, VmRun, Wrmsr,
};
use crate::insn::msr;
use crate::pvclock::PvClock;
use crate::runloop::{self, LastExit, VendorRun};
use crate::world::Hw;
use crate::x86::{vector, CR0_PE, CR0_PG, DR6_BS, EFER_LMA, EFER_LME, EFER_SVME, PSL_I, PSL_T};

/// V_INTR_MISC: V_IGN_TPR (the virtual interrupt asked for the interrupt
/// window ignores the TPR).
const V_IGN_TPR: u8 = 0x10;
/// DE_CFG bit 1: LFENCE is dispatch-serialising.
const DE_CFG_LFENCE_SERIALIZE: u64 = 1 << 1;
/// EVENTINJ valid bit.
const EVENT_VALID: u64 = 1 << 31;
/// EVENTINJ: error code valid.
const EVENT_EV: u64 = 1 << 11;
/// EVENTINJ/EXITINTINFO: the type (bits 10:8).
const TYPE_MASK: u64 = 7 << 8;
/// EVENTINJ/EXITINTINFO: vector, type and error-code-valid bits, what
/// tells two events apart.
const EVENT_KIND: u64 = 0x7ff;
/// EVENTINJ types.
const TYPE_INTR: u64 = 0 << 8;
const TYPE_NMI: u64 = 2 << 8;
const TYPE_EXCEPTION: u64 = 3 << 8;
/// The EFER bits a guest may write: SCE, LME, LMA, NXE, SVME, LMSLE,
/// FFXSR, TCE.
const EFER_WRITABLE: u64 = 0xfd01;

pub(super) fn run<K: KernelAmd64>(
    svm: &Svm<K>,
    vm: &SvmVm<K>,
    v: &mut SvmVcpu<K>,
    req: RunRequest<'_>,
    check: impl Fn() -> RunCheck,
) -> KResult<RunExit> {
    let k = svm.k;
    // vmd asked for SEV or SEV-ES (the VMCB enables them, as upstream)
    // on a CPU without it: VMRUN would fail its consistency checks
    // (VMEXIT_INVALID) and the vcpu with EINVAL, as under upstream.  Said
    // here, so that it does not depend on whether the CPU (or an emulator
    // that ignores those bits) checks.
    if (v.sev && !svm.caps.sev) || (v.seves && !svm.caps.sev_es) {
        req.intr
            .store(u16::from(req.intr_pending), Ordering::Release);
        k.log(
            c"vmm: svm: SEV %lu / SEV-ES %lu requested, not supported\n",
            u64::from(v.sev),
            u64::from(v.seves),
        );
        return Err(Errno::EINVAL);
    }
    let vm = &VmRun::new(vm, req.ranges);
    let me = core::ptr::from_ref(&*v) as usize;
    let mut ctx = SvmRun {
        svm,
        vm,
        v,
        cpu: None,
        host_pa: 0,
        me,
    };
    let exit_reason = runloop::run(&k, &mut ctx, req, check)?;
    Ok(RunExit {
        exit_reason,
        irqready: ctx.v.irqready,
    })
}

/// One run of an SVM vcpu: what the shared loop (`crate::runloop`)
/// needs of the backend.
struct SvmRun<'a, 'r, K: KernelAmd64> {
    svm: &'a Svm<K>,
    vm: &'a VmRun<'r, SvmVm<K>>,
    v: &'a mut SvmVcpu<K>,
    /// The CPU the host state page and the TLB were set up for.
    cpu: Option<u32>,
    /// That CPU's host state page.
    host_pa: u64,
    /// The vcpu, by address (the IBPB slot's value).
    me: usize,
}

impl<K: KernelAmd64> VendorRun<K> for SvmRun<'_, '_, K> {
    type Live = switch::Live;
    type Exit = u32;

    #[inline(always)]
    fn last_exit(&self) -> LastExit {
        match self.v.gs.exit_reason {
            SVM_VMEXIT_IOIO => LastExit::Io,
            SVM_VMEXIT_NPF => LastExit::Mmio,
            _ => LastExit::Other,
        }
    }

    #[inline(always)]
    fn rax(&self) -> u64 {
        self.v.vmcb.rax
    }

    #[inline(always)]
    fn set_rax(&mut self, v: u64) {
        self.v.gs.rax = v;
        self.v.vmcb.rax = v;
    }

    #[inline(always)]
    fn set_rip(&mut self, rip: u64) -> KResult {
        self.v.gs.rip = rip;
        self.v.vmcb.rip = rip;
        Ok(())
    }

    fn set_gprs(&mut self, vrs: &vmm_abi::vcpu_reg_state) -> KResult {
        self.svm.writeregs(self.v, u64::from(VM_RWREGS_GPRS), vrs);
        Ok(())
    }

    #[inline(always)]
    fn cancel_window(&mut self) -> KResult {
        if self.v.vmcb.intercept1 & intercept1::VINTR != 0 {
            vintr_off(self.v);
        }
        Ok(())
    }

    #[inline(always)]
    fn pmap(&self) -> &vmm_kernel::mem::PmapBox<K> {
        &self.vm.pmap
    }

    #[inline(always)]
    fn prepare_cpu(&mut self) -> KResult<bool> {
        let svm = self.svm;
        let this = svm.k.cpu_id();
        if self.cpu == Some(this) {
            return Ok(true);
        }
        self.host_pa = match svm.host_areas.pa(this) {
            Some(pa) => pa,
            None => {
                // May sleep and migrate: look at the CPU again.
                svm.host_areas.alloc(&svm.k, this)?;
                return Ok(false);
            }
        };
        self.cpu = Some(this);
        let v = &mut *self.v;
        if v.last_cpu != Some(this) {
            v.vmcb.tlb_control = if svm.caps.flush_by_asid {
                tlb::FLUSH_ASID
            } else {
                tlb::FLUSH_ALL
            };
            v.vmcb.vmcb_clean_bits = 0;
        }
        v.last_cpu = Some(this);
        Ok(true)
    }

    #[inline(always)]
    fn inject(&mut self, ev: &mut vcpu_inject_event) -> KResult {
        inject(self.v, ev)
    }

    #[inline(always)]
    fn load(&mut self) -> KResult<switch::Live> {
        // IBPB when another vcpu ran on this CPU last (upstream's rule).
        // While live, none can have.
        let svm = self.svm;
        let last = self.cpu.and_then(|c| svm.last_vcpu.get(c as usize));
        let last = if svm.ibpb { last } else { None };
        switch::load_guest(&Hw::new(&svm.k, svm.pke), self.v, last, self.me)
    }

    #[inline(always)]
    fn cpu(&self) -> u32 {
        self.cpu.unwrap_or(0)
    }

    #[inline(always)]
    fn enter(&mut self, live: &switch::Live) -> KResult<u32> {
        let v = &mut *self.v;
        let sent = v.vmcb.eventinj;
        switch::run_guest(v, self.host_pa, live);
        v.gs.rip = v.vmcb.rip;
        v.vmcb.tlb_control = tlb::FLUSH_NONE;
        if self.svm.caps.vmcb_clean {
            v.vmcb.vmcb_clean_bits = CLEAN_ALL;
        }
        v.gs.exit_reason = v.vmcb.exitcode as u32;
        v.gs.rflags = v.vmcb.rflags;
        reinject(v, sent);
        if v.nmi_blocked {
            nmi_unblock(v);
        }
        Ok(v.gs.exit_reason)
    }

    #[inline(always)]
    fn stays(&self, _: u32) -> bool {
        stays_in_kernel(self.v)
    }

    #[inline(always)]
    fn window(live: &switch::Live) {
        switch::gif_window(live);
    }

    #[inline(always)]
    fn leave(&mut self, live: switch::Live) {
        switch::leave(&Hw::new(&self.svm.k, self.svm.pke), self.v, live);
    }

    #[inline(always)]
    fn handle_exit(
        &mut self,
        _: u32,
        exit: &mut vmm_abi::vm_exit,
        ev: &mut vcpu_inject_event,
        pv: &PvClock<'_>,
    ) -> KResult<Next> {
        // Port I/O, the exit to vmd of every device access, inline; the
        // other exits out of line (see `handle_exit`).
        if self.v.gs.exit_reason == SVM_VMEXIT_IOIO {
            ioio(self.v, exit);
            return Ok(Next::ToVmd);
        }
        handle_exit(self.svm, self.vm, self.v, exit, ev, pv)
    }

    #[inline(always)]
    fn update_irqready(&mut self) -> bool {
        self.v.irqready = self.v.gs.rflags & PSL_I != 0;
        self.v.irqready
    }

    #[inline(always)]
    fn request_window(&mut self) -> KResult {
        let c = &mut *self.v.vmcb;
        c.intercept1 |= intercept1::VINTR;
        c.irq = 1;
        c.intr_misc = V_IGN_TPR;
        c.intr_vector = 0;
        c.vmcb_clean_bits &= !(CLEAN_TPR | CLEAN_I);
        Ok(())
    }

    #[inline(always)]
    fn exit_reason(x: u32) -> u16 {
        x as u16
    }

    fn finish(&mut self, exit: &mut vmm_abi::vm_exit) -> KResult {
        self.svm
            .readregs(self.v, u64::from(VM_RWREGS_ALL), &mut exit.vrs);
        exit.cpl = i32::from(self.v.vmcb.cpl);
        Ok(())
    }
}

/// The virtual interrupt that asked for the interrupt window, and the
/// window's intercept, off.
#[inline(always)]
fn vintr_off<K: KernelAmd64>(v: &mut SvmVcpu<K>) {
    v.vmcb.irq = 0;
    v.vmcb.intr_vector = 0;
    v.vmcb.intercept1 &= !intercept1::VINTR;
    v.vmcb.vmcb_clean_bits &= !(CLEAN_TPR | CLEAN_I);
}

/// Injects an NMI unless the guest still blocks NMIs (then it waits); an
/// injected NMI blocks them until the handler's IRET, which is
/// intercepted to see it.
#[cold]
fn inject_nmi<K: KernelAmd64>(v: &mut SvmVcpu<K>, ev: &mut vcpu_inject_event) {
    if v.nmi_blocked {
        return;
    }
    v.vmcb.eventinj = u64::from(vector::NMI) | TYPE_NMI | EVENT_VALID;
    ev.vie_type = VCPU_INJECT_NONE as u8;
    v.nmi_blocked = true;
    v.nmi_iret_rip = None;
    v.vmcb.intercept1 |= intercept1::IRET;
    v.vmcb.vmcb_clean_bits &= !CLEAN_I;
}

/// While an injected NMI blocks NMIs: the handler's IRET has run once
/// the guest exits anywhere but at that IRET (its intercept recorded the
/// RIP), and NMIs are unblocked.
#[cold]
fn nmi_unblock<K: KernelAmd64>(v: &mut SvmVcpu<K>) {
    if v.nmi_iret_rip.is_some_and(|r| r != v.vmcb.rip) {
        v.nmi_blocked = false;
        v.nmi_iret_rip = None;
    }
}

/// An event whose delivery the exit interrupted (EXITINTINFO; say an NPF
/// because the guest's stack page was not yet mapped) is injected again
/// at the next entry; upstream lost it.  That is every interrupt and NMI
/// (only injection brings them into the guest) and an exception that was
/// injected at this entry (`sent`, vmd's or the driver's own).  An
/// exception the guest raised itself comes again when its instruction
/// runs again (RIP is still on it), with the double-fault rules applied
/// by the CPU rather than to an injected event.
fn reinject<K: KernelAmd64>(v: &mut SvmVcpu<K>, sent: u64) {
    // The CPU clears EVENTINJ once the event is taken; so do we, so that
    // only what this function decides is delivered again.
    v.vmcb.eventinj = 0;
    let info = v.vmcb.exitintinfo;
    let again = match info & TYPE_MASK {
        TYPE_INTR | TYPE_NMI => true,
        TYPE_EXCEPTION => sent & EVENT_VALID != 0 && sent & EVENT_KIND == info & EVENT_KIND,
        _ => false,
    };
    if info & EVENT_VALID != 0 && again {
        v.vmcb.eventinj = info;
    }
}

/// Whether the exit just taken is one the loop handles with the guest's
/// FPU state still loaded and GIF clear (`switch::Live`; the host takes
/// its pending interrupts in the window after the exit): its handler
/// only computes (CPUID, the MSRs of [`msr_stays_in_kernel`], the
/// interrupt window) and the guest is entered again unless a signal, the
/// scheduler or vmd's interrupt ends the run.  Everything else (host
/// interrupts and NMIs, nested faults, XSETBV, which changes the XCR0 the
/// next load sets, exits to vmd, failures) leaves first.
fn stays_in_kernel<K: KernelAmd64>(v: &SvmVcpu<K>) -> bool {
    match v.gs.exit_reason {
        SVM_VMEXIT_CPUID | SVM_VMEXIT_VINTR => true,
        SVM_VMEXIT_MSR => msr_stays_in_kernel(v.gs.rcx as u32),
        _ => false,
    }
}

/// Delivers vmd's pending event into EVENTINJ, unless an interrupted
/// event is being delivered again (vmd's waits).
///
/// Exceptions are injected with the "exception" type (3), with an error
/// code for the vectors that push one when the guest is in protected mode;
/// #UD and the other vectors without an error code are accepted (upstream
/// terminated the vcpu for #UD).  NMIs are injected as NMIs.
#[inline(always)]
fn inject<K: KernelAmd64>(v: &mut SvmVcpu<K>, ev: &mut vcpu_inject_event) -> KResult {
    if v.vmcb.eventinj & EVENT_VALID != 0 {
        return Ok(());
    }
    match u32::from(ev.vie_type) {
        // An interrupt waits until the guest can take it.
        VCPU_INJECT_INTR if v.irqready => {
            v.vmcb.eventinj = u64::from(ev.vie_vector) | TYPE_INTR | EVENT_VALID;
            ev.vie_type = VCPU_INJECT_NONE as u8;
        }
        // An NMI waits while the guest is still in the handler of the last
        // one (the CPU blocks NMIs until that IRET, but EVENTINJ does not
        // look); the request ends with the run, as on VMX.
        VCPU_INJECT_NMI => inject_nmi(v, ev),
        VCPU_INJECT_EX => {
            let mut e = u64::from(ev.vie_vector) | TYPE_EXCEPTION | EVENT_VALID;
            // AMD's #CP always has an error code.
            if let Some(code) = exception_error_code(ev, v.vmcb.cr0 & CR0_PE != 0, true)? {
                e |= EVENT_EV | (u64::from(code) << 32);
            }
            v.vmcb.eventinj = e;
            ev.vie_type = VCPU_INJECT_NONE as u8;
        }
        _ => {}
    }
    Ok(())
}

/// The length of the instruction that exited: from NRIPS when the CPU has
/// it, else `fallback` (upstream always assumes the fixed lengths).
fn insn_len<K: KernelAmd64>(svm: &Svm<K>, v: &SvmVcpu<K>, fallback: u64) -> u64 {
    if svm.caps.nrips && v.vmcb.nrip > v.vmcb.rip {
        v.vmcb.nrip.wrapping_sub(v.vmcb.rip)
    } else {
        fallback
    }
}

/// Every exit but port I/O (`VendorRun::handle_exit` handles that one).
/// Out of line: inlined into the run loop, the handlers made the compiler
/// load what they need of the backend's facts (the CPUID and MSR
/// policies') before the loop, about 60 instructions on every
/// `VMM_IOC_RUN`, where only an exit handled in the kernel needs them
/// (one CPUID exit costs some 40 instructions more for it).  VMX keeps its
/// handlers inline: there the same split saved 20 instructions on the
/// way to vmd and cost 48 per CPUID exit (`make bench`, bochs-vmx-tgl).
#[inline(never)]
fn handle_exit<K: KernelAmd64>(
    svm: &Svm<K>,
    vm: &VmRun<'_, SvmVm<K>>,
    v: &mut SvmVcpu<K>,
    exit: &mut vmm_abi::vm_exit,
    ev: &mut vcpu_inject_event,
    pv: &crate::pvclock::PvClock<'_>,
) -> KResult<Next> {
    let reason = v.gs.exit_reason;
    let rflags = v.gs.rflags;
    let mut update_rip = false;
    let next = match reason {
        SVM_VMEXIT_VINTR => {
            if rflags & PSL_I == 0 {
                return Err(Errno::EINVAL);
            }
            vintr_off(v);
            Next::Resume
        }
        // The host takes its interrupt or NMI at stgi; the guest goes on
        // (upstream terminated the vcpu on an NMI exit).
        SVM_VMEXIT_INTR | SVM_VMEXIT_NMI => Next::Resume,
        SVM_VMEXIT_SHUTDOWN => Next::ToVmd,
        SVM_VMEXIT_IRET => {
            // The NMI handler returns: NMIs are unblocked once this IRET
            // has run (the intercept comes before it does).
            v.vmcb.intercept1 &= !intercept1::IRET;
            v.vmcb.vmcb_clean_bits &= !CLEAN_I;
            v.nmi_iret_rip = Some(v.vmcb.rip);
            Next::Resume
        }
        // INVD would drop dirty cache lines of the host (upstream let it
        // run natively): a no-op.
        SVM_VMEXIT_INVD => {
            v.gs.rip = v.gs.rip.wrapping_add(insn_len(svm, v, 2));
            update_rip = true;
            Next::Resume
        }
        SVM_VMEXIT_NPF => np_fault(svm, vm, v, exit)?,
        SVM_VMEXIT_CPUID => {
            let cr4 = v.vmcb.cr4;
            let guest = GuestCpuid {
                vcpu_id: v.id,
                xcr0: v.gs.xcr0,
                limit_maxval: false,
            };
            let r = crate::cpuid::guest_cpuid(
                &LiveCpuid,
                &svm.cpuid_host,
                v.vmcb.rax as u32,
                v.gs.rcx as u32,
                guest,
                || Ok::<u64, Errno>(cr4),
                || svm.k.tsc_frequency(),
            )?;
            v.vmcb.rax = u64::from(r.eax);
            v.gs.rbx = u64::from(r.ebx);
            v.gs.rcx = u64::from(r.ecx);
            v.gs.rdx = u64::from(r.edx);
            v.gs.rip = v.gs.rip.wrapping_add(insn_len(svm, v, 2));
            update_rip = true;
            Next::Resume
        }
        SVM_VMEXIT_MSR => {
            if msr_exit(svm, vm, v, ev, pv) {
                v.gs.rip = v.gs.rip.wrapping_add(insn_len(svm, v, 2));
            }
            update_rip = true;
            Next::Resume
        }
        SVM_VMEXIT_XSETBV => {
            if xsetbv(svm, v, ev) {
                v.gs.rip = v.gs.rip.wrapping_add(insn_len(svm, v, 3));
            }
            update_rip = true;
            Next::Resume
        }
        SVM_VMEXIT_IOIO => {
            ioio(v, exit);
            Next::ToVmd
        }
        SVM_VMEXIT_HLT => {
            v.gs.rip = v.gs.rip.wrapping_add(insn_len(svm, v, 1));
            v.vmcb.rip = v.gs.rip;
            if v.vmcb.rflags & PSL_I == 0 {
                return Err(Errno::EIO);
            }
            update_rip = true;
            Next::ToVmd
        }
        SVM_VMEXIT_VMMCALL => {
            if v.vmcb.cpl == 0 && v.vmcb.rax == u64::from(vmm_abi::HVCALL_FORCED_ABORT) {
                return Err(Errno::EINVAL);
            }
            queue_ex(ev, vector::UD);
            Next::Resume
        }
        SVM_VMEXIT_MWAIT
        | SVM_VMEXIT_MWAIT_CONDITIONAL
        | SVM_VMEXIT_MONITOR
        | SVM_VMEXIT_VMRUN
        | SVM_VMEXIT_VMLOAD
        | SVM_VMEXIT_VMSAVE
        | SVM_VMEXIT_STGI
        | SVM_VMEXIT_CLGI
        | SVM_VMEXIT_SKINIT
        | SVM_VMEXIT_RDTSCP
        | SVM_VMEXIT_ICEBP
        | SVM_VMEXIT_INVLPGA => {
            queue_ex(ev, vector::UD);
            Next::Resume
        }
        _ => {
            svm.k.log(
                c"vmm: svm: unhandled exit 0x%lx, vcpu failed\n",
                u64::from(reason),
                0,
            );
            return Err(Errno::EINVAL);
        }
    };
    if update_rip {
        v.vmcb.rip = v.gs.rip;
        if rflags & PSL_T != 0 {
            step(v, ev);
        }
    }
    // EFER.SVME stays set without upstream's `v_efer |= EFER_SVME` (and
    // the CR clean bit it dirtied) after every exit: the guest's EFER
    // writes exit and keep it (`msr_exit`), and nothing else changes the
    // VMCB's EFER but vmd's register writes, which keep it too.
    Ok(next)
}

/// The single-step trap after an emulated instruction with RFLAGS.TF set
/// (`exitpolicy::single_step`), and DR6.BS with it.
#[cold]
#[inline(never)]
fn step<K: KernelAmd64>(v: &mut SvmVcpu<K>, ev: &mut vcpu_inject_event) {
    if single_step(ev, PSL_T) {
        v.vmcb.dr6 |= DR6_BS;
    }
}

/// IOIO intercept EXITINFO1 (APM Vol. 2, 15.10.2): IN (else OUT).
const IOIO_IN: u64 = 1 << 0;
/// IOIO EXITINFO1: string instruction.
const IOIO_STR: u64 = 1 << 2;
/// IOIO EXITINFO1: REP prefix.
const IOIO_REP: u64 = 1 << 3;
/// IOIO EXITINFO1: 8-bit operand.
const IOIO_SZ8: u64 = 1 << 4;
/// IOIO EXITINFO1: 16-bit operand.
const IOIO_SZ16: u64 = 1 << 5;
/// IOIO EXITINFO1: 32-bit operand.
const IOIO_SZ32: u64 = 1 << 6;
/// IOIO EXITINFO1: the port, bits 31:16.
const IOIO_PORT_SHIFT: u32 = 16;

/// `svm_handle_inout`: describes the port access for vmd; RIP is not
/// advanced (vmd adds `vei_insn_len`).
fn ioio<K: KernelAmd64>(v: &SvmVcpu<K>, exit: &mut vmm_abi::vm_exit) {
    let info = v.vmcb.exitinfo1;
    let mut vei = vmm_kernel::pod::zeroed::<vmm_abi::vm_exit_inout>();
    vei.vei_dir = if info & IOIO_IN != 0 {
        VEI_DIR_IN
    } else {
        VEI_DIR_OUT
    } as u8;
    vei.vei_string = u8::from(info & IOIO_STR != 0);
    vei.vei_rep = u8::from(info & IOIO_REP != 0);
    vei.vei_size = if info & IOIO_SZ8 != 0 {
        1
    } else if info & IOIO_SZ16 != 0 {
        2
    } else if info & IOIO_SZ32 != 0 {
        4
    } else {
        0
    };
    vei.vei_port = (info >> IOIO_PORT_SHIFT) as u16;
    vei.vei_data = v.vmcb.rax as u32;
    vei.vei_insn_len = v.vmcb.exitinfo2.wrapping_sub(v.vmcb.rip) as u8;
    write_vei(exit, &vei);
}

/// `svm_handle_np_fault`: guest RAM is faulted in and the guest resumes;
/// an MMIO range goes to vmd; anything else fails the vcpu.
fn np_fault<K: KernelAmd64>(
    svm: &Svm<K>,
    vm: &VmRun<'_, SvmVm<K>>,
    v: &mut SvmVcpu<K>,
    exit: &mut vmm_abi::vm_exit,
) -> KResult<Next> {
    let gpa = v.vmcb.exitinfo2;
    let mut vee = vmm_kernel::pod::zeroed::<vmm_abi::vm_exit_eptviolation>();
    let Some(r) = vm.range_of(gpa) else {
        svm.k
            .log(c"vmm: svm: guest access to unbacked GPA 0x%lx\n", gpa, 0);
        return Err(Errno::EINVAL);
    };
    if r.vmr_type == VM_MEM_MMIO as i32 {
        vee.vee_fault_type = VEE_FAULT_MMIO_ASSIST as u8;
        if svm.caps.decode_assist {
            vee.vee_insn_len = v.vmcb.n_bytes_fetched;
            vee.vee_insn_bytes = v.vmcb.guest_ins_bytes;
            vee.vee_insn_info |= VEE_BYTES_VALID as u8;
        } else {
            // No decode assists (QEMU, Bochs, older CPUs): read the bytes
            // through the guest's page tables, as vmd needs them.
            let (bytes, n) = super::fetch::insn_bytes(&vm.pmap, &v.vmcb);
            if n > 0 {
                vee.vee_insn_len = n as u8;
                vee.vee_insn_bytes = bytes;
                vee.vee_insn_info |= VEE_BYTES_VALID as u8;
            }
        }
        write_vee(exit, &vee);
        return Ok(Next::ToVmd);
    }
    vee.vee_fault_type = VEE_FAULT_HANDLED as u8;
    write_vee(exit, &vee);
    let page = gpa & !0xfff;
    let hva = r.vmr_va.wrapping_add(page.wrapping_sub(r.vmr_gpa));
    let k = svm.k;
    vm.pmap.guest_fault(k.curproc(), hva, page)?;
    Ok(Next::Resume)
}

/// `svm_handle_msr`; true if RIP advances (no #GP was queued).
fn msr_exit<K: KernelAmd64>(
    svm: &Svm<K>,
    vm: &VmRun<'_, SvmVm<K>>,
    v: &mut SvmVcpu<K>,
    ev: &mut vcpu_inject_event,
    pv: &crate::pvclock::PvClock<'_>,
) -> bool {
    // RDMSR/WRMSR take the MSR number from ECX; RCX's upper half is
    // ignored, as by the CPU.
    let msrno = v.gs.rcx as u32;
    if v.vmcb.exitinfo1 == 1 {
        let val = (v.gs.rdx << 32) | (v.vmcb.rax & 0xffff_ffff);
        match wrmsr_shared(
            &svm.k,
            &vm.pmap,
            vm.ranges,
            pv,
            &mut v.shadow_pat,
            msrno,
            val,
        ) {
            Wrmsr::Done => true,
            Wrmsr::Fault => {
                queue_ex(ev, vector::GP);
                false
            }
            Wrmsr::NotShared => {
                if msrno == msr::EFER {
                    // EDX:EAX, not RAX (whose upper half WRMSR ignores).
                    // A reserved bit, or LME changed while paging is on,
                    // is #GP as on the CPU (upstream stored the value and
                    // the next VMRUN failed, or the guest ran in a mode
                    // that does not exist); LMA is the CPU's to set and
                    // SVME stays set.
                    let cur = v.vmcb.efer;
                    if val & !EFER_WRITABLE != 0
                        || ((val ^ cur) & EFER_LME != 0 && v.vmcb.cr0 & CR0_PG != 0)
                    {
                        queue_ex(ev, vector::GP);
                        return false;
                    }
                    v.vmcb.efer = (val & !EFER_LMA) | (cur & EFER_LMA) | EFER_SVME;
                    v.vmcb.vmcb_clean_bits &= !CLEAN_CRX;
                }
                // Anything else is dropped, as upstream.
                true
            }
        }
    } else {
        let val = match (rdmsr_shared(msrno, v.shadow_pat), msrno) {
            (Some(val), _) => val,
            (None, msr::INT_PENDING_MSG) => 0,
            // LFENCE serialising, as the host sets it.
            (None, msr::DE_CFG) => DE_CFG_LFENCE_SERIALIZE,
            _ => {
                queue_ex(ev, vector::GP);
                return false;
            }
        };
        v.vmcb.rax = val & 0xffff_ffff;
        v.gs.rdx = val >> 32;
        true
    }
}

/// `vmm_handle_xsetbv`; true if RIP advances.  Unlike upstream, a refused
/// XSETBV leaves RIP on the instruction, so the #GP is precise.
fn xsetbv<K: KernelAmd64>(svm: &Svm<K>, v: &mut SvmVcpu<K>, ev: &mut vcpu_inject_event) -> bool {
    match xsetbv_value(
        svm.cpuid_host.guest_xcr0_mask(),
        v.vmcb.cpl,
        v.gs.rcx,
        v.vmcb.rax,
        v.gs.rdx,
    ) {
        Some(val) => {
            v.gs.xcr0 = val;
            true
        }
        None => {
            queue_ex(ev, vector::GP);
            false
        }
    }
}

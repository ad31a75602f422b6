//! The SVM run loop and exit handlers (`vcpu_run_svm`, `svm_handle_exit`).

use core::sync::atomic::Ordering;

use vmm_abi::{
    vcpu_inject_event, SVM_VMEXIT_CLGI, SVM_VMEXIT_CPUID, SVM_VMEXIT_HLT, SVM_VMEXIT_ICEBP,
    SVM_VMEXIT_INTR, SVM_VMEXIT_INVD, SVM_VMEXIT_INVLPGA, SVM_VMEXIT_IOIO, SVM_VMEXIT_IRET,
    SVM_VMEXIT_MONITOR, SVM_VMEXIT_MSR, SVM_VMEXIT_MWAIT, SVM_VMEXIT_MWAIT_CONDITIONAL,
    SVM_VMEXIT_NMI, SVM_VMEXIT_NPF, SVM_VMEXIT_RDTSCP, SVM_VMEXIT_SHUTDOWN, SVM_VMEXIT_SKINIT,
    SVM_VMEXIT_STGI, SVM_VMEXIT_VINTR, SVM_VMEXIT_VMLOAD, SVM_VMEXIT_VMMCALL, SVM_VMEXIT_VMRUN,
    SVM_VMEXIT_VMSAVE, SVM_VMEXIT_XSETBV, VCPU_INJECT_EX, VCPU_INJECT_INTR, VCPU_INJECT_NMI,
    VCPU_INJECT_NONE, VCPU_REGS_RIP, VEE_BYTES_VALID, VEE_FAULT_HANDLED, VEE_FAULT_MMIO_ASSIST,
    VEI_DIR_IN, VEI_DIR_OUT, VM_MEM_MMIO, VM_RWREGS_ALL, VM_RWREGS_GPRS,
};
use vmm_core::{RunCheck, RunExit, RunRequest};
use vmm_kernel::{Errno, KResult, Kernel};

use super::switch;
use super::vmcb::{intercept1, tlb, CLEAN_ALL, CLEAN_I, CLEAN_TPR};
use super::{Svm, SvmVcpu, SvmVm};
use crate::cpuid::{GuestCpuid, LiveCpuid};
use crate::exitpolicy::{
    after_exit, give_cpu, msr_stays_in_kernel, queue_ex, rdmsr_shared, read_vei, take_cpu,
    write_vee, write_vei, wrmsr_shared, xsetbv_value, Next, VmRun, Wrmsr,
};
use crate::x86::{CR0_PE, CR0_PG, EFER_LMA, EFER_LME, EFER_SVME, PSL_I, PSL_T};

/// EVENTINJ valid bit.
const EVENT_VALID: u64 = 1 << 31;
/// EVENTINJ: error code valid.
const EVENT_EV: u64 = 1 << 11;
/// EVENTINJ types.
const TYPE_INTR: u64 = 0 << 8;
const TYPE_NMI: u64 = 2 << 8;
const TYPE_EXCEPTION: u64 = 3 << 8;
/// The EFER bits a guest may write: SCE, LME, LMA, NXE, SVME, LMSLE,
/// FFXSR, TCE.
const EFER_WRITABLE: u64 = 0xfd01;

pub(super) fn run<K: Kernel>(
    svm: &Svm<K>,
    vm: &SvmVm<K>,
    v: &mut SvmVcpu<K>,
    req: RunRequest<'_>,
    check: impl Fn() -> RunCheck,
) -> KResult<RunExit> {
    let k = svm.k;
    let vm = &VmRun::new(vm, req.ranges);
    req.intr
        .store(u16::from(req.intr_pending), Ordering::Release);
    // vmd asked for SEV or SEV-ES (the VMCB enables them, as upstream)
    // on a CPU without it: VMRUN would fail its consistency checks
    // (VMEXIT_INVALID) and the vcpu with EINVAL, as under upstream.  Said
    // here, so that it does not depend on whether the CPU (or an emulator
    // that ignores those bits) checks.
    if (v.sev && !svm.caps.sev) || (v.seves && !svm.caps.sev_es) {
        k.log(
            c"vmm: svm: SEV %lu / SEV-ES %lu requested, not supported\n",
            u64::from(v.sev),
            u64::from(v.seves),
        );
        return Err(Errno::EINVAL);
    }

    // vmd's answer to the previous exit.
    match v.gs.exit_reason {
        SVM_VMEXIT_IOIO => {
            // SAFETY-free union read: the exit record is plain data.
            let vei = vmm_kernel::pod::zeroed::<vmm_abi::vm_exit_inout>();
            let vei = read_vei(req.exit).unwrap_or(vei);
            if u32::from(vei.vei_dir) == VEI_DIR_IN {
                v.gs.rax = u64::from(vei.vei_data);
                v.vmcb.rax = v.gs.rax;
            }
            let rip = req
                .exit
                .vrs
                .vrs_gprs
                .get(VCPU_REGS_RIP)
                .copied()
                .unwrap_or(0);
            v.gs.rip = rip;
            v.vmcb.rip = rip;
        }
        SVM_VMEXIT_NPF => {
            let vrs = req.exit.vrs;
            svm.writeregs(v, u64::from(VM_RWREGS_GPRS), &vrs);
        }
        _ => {}
    }
    crate::exitpolicy::clear_exit_info(req.exit);

    let mut cpu: Option<u32> = None;
    let mut host_pa = 0u64;
    let me = core::ptr::from_ref(&*v) as usize;
    let pv = crate::pvclock::PvClock {
        gpa: req.pvclock_gpa,
        version: req.pvclock_version,
    };
    // Some while the guest's FPU state is loaded and GIF is clear, across
    // the exits that go straight back to the guest (switch::Live); the
    // CPU is published in `req.curcpu` for as long.
    let mut live: Option<switch::Live> = None;
    // `req.intr` as the loop last looked at it (see `take_cpu`).
    let mut intr_seen = req.intr_pending;
    let result = loop {
        if live.is_none() {
            // Not while live: the update writes guest memory through the
            // pmap.  A live stretch ends at every exit but CPUID, the
            // interrupt window and most MSRs, and with the run (when the
            // scheduler wants the CPU at the latest).
            crate::pvclock::update(&k, vm.pmap, &pv);
            let this = k.cpu_id();
            if cpu != Some(this) {
                host_pa = match svm.host_areas.pa(this) {
                    Some(pa) => pa,
                    None => {
                        // May sleep and migrate: look at the CPU again.
                        if let Err(e) = svm.host_areas.alloc(&k, this) {
                            break Err(e);
                        }
                        continue;
                    }
                };
                cpu = Some(this);
                if v.last_cpu != Some(this) {
                    v.vmcb.tlb_control = if svm.caps.flush_by_asid {
                        tlb::FLUSH_ASID
                    } else {
                        tlb::FLUSH_ALL
                    };
                    v.vmcb.vmcb_clean_bits = 0;
                }
                v.last_cpu = Some(this);
            }
        }

        if let Err(e) = inject(v, req.inject) {
            break Err(e);
        }

        let l = match &live {
            Some(l) => l,
            None => {
                // IBPB when another vcpu ran on this CPU last (upstream's
                // rule).  While live, none can have.
                let last = cpu.and_then(|c| svm.last_vcpu.get(c as usize));
                let last = if svm.ibpb { last } else { None };
                match switch::load_guest(&k, v, last, me) {
                    Ok(l) => {
                        if let Some(c) = cpu {
                            take_cpu(&k, req.curcpu, c, req.intr, intr_seen, &check);
                        }
                        live.insert(l)
                    }
                    Err(e) => break Err(e),
                }
            }
        };
        let sent = v.vmcb.eventinj;
        switch::run_guest(v, host_pa, l);

        v.gs.rip = v.vmcb.rip;
        v.vmcb.tlb_control = tlb::FLUSH_NONE;
        if svm.caps.vmcb_clean {
            v.vmcb.vmcb_clean_bits = CLEAN_ALL;
        }
        v.gs.exit_reason = v.vmcb.exitcode as u32;
        v.gs.rflags = v.vmcb.rflags;
        reinject(v, sent);
        if v.nmi_blocked {
            nmi_unblock(v);
        }
        if stays_in_kernel(v) {
            // The host's interrupts first, then the exit and `check()`.
            switch::gif_window(l);
        } else if let Some(l) = live.take() {
            give_cpu(req.curcpu);
            switch::leave(&k, v, l);
        }

        let next = handle_exit(svm, vm, v, req.exit, req.inject, &pv);
        v.irqready = v.gs.rflags & PSL_I != 0;
        let intr = req.intr.load(Ordering::Acquire) != 0;
        intr_seen = intr;
        if !v.irqready && intr {
            // Exit as soon as the guest can take the interrupt.
            v.vmcb.intercept1 |= intercept1::VINTR;
            v.vmcb.irq = 1;
            v.vmcb.intr_misc = 0x10;
            v.vmcb.intr_vector = 0;
            v.vmcb.vmcb_clean_bits &= !(CLEAN_TPR | CLEAN_I);
        }
        if let Some(end) = after_exit(next, v.gs.exit_reason as u16, intr, v.irqready, &check) {
            break end;
        }
    };
    if let Some(l) = live.take() {
        give_cpu(req.curcpu);
        switch::leave(&k, v, l);
    }
    let exit_reason = result?;
    svm.readregs(v, u64::from(VM_RWREGS_ALL), &mut req.exit.vrs);
    req.exit.cpl = i32::from(v.vmcb.cpl);
    Ok(RunExit {
        exit_reason,
        irqready: v.irqready,
    })
}

/// Injects an NMI unless the guest still blocks NMIs (then it waits); an
/// injected NMI blocks them until the handler's IRET, which is
/// intercepted to see it.
#[cold]
fn inject_nmi<K: Kernel>(v: &mut SvmVcpu<K>, ev: &mut vcpu_inject_event) {
    if v.nmi_blocked {
        return;
    }
    v.vmcb.eventinj = 2 | TYPE_NMI | EVENT_VALID;
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
fn nmi_unblock<K: Kernel>(v: &mut SvmVcpu<K>) {
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
fn reinject<K: Kernel>(v: &mut SvmVcpu<K>, sent: u64) {
    // The CPU clears EVENTINJ once the event is taken; so do we, so that
    // only what this function decides is delivered again.
    v.vmcb.eventinj = 0;
    let info = v.vmcb.exitintinfo;
    let again = match info & (7 << 8) {
        TYPE_INTR | TYPE_NMI => true,
        TYPE_EXCEPTION => sent & EVENT_VALID != 0 && sent & 0x7ff == info & 0x7ff,
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
fn stays_in_kernel<K: Kernel>(v: &SvmVcpu<K>) -> bool {
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
fn inject<K: Kernel>(v: &mut SvmVcpu<K>, ev: &mut vcpu_inject_event) -> KResult {
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
            let vec = ev.vie_vector;
            let mut e = u64::from(vec) | TYPE_EXCEPTION | EVENT_VALID;
            match vec {
                // #DF, #TS, #NP, #SS, #GP, #PF, #AC (error code 0), #CP.
                8 | 10..=14 | 17 | 21 => {
                    if vec == 17 {
                        ev.vie_errorcode = 0;
                    }
                    if v.vmcb.cr0 & CR0_PE != 0 {
                        e |= EVENT_EV | (u64::from(ev.vie_errorcode) << 32);
                    }
                }
                // Exceptions without an error code (NMI is vector 2: not
                // an exception).
                0 | 1 | 3..=7 | 16 | 18..=20 => {}
                _ => return Err(Errno::EINVAL),
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
fn insn_len<K: Kernel>(svm: &Svm<K>, v: &SvmVcpu<K>, fallback: u64) -> u64 {
    if svm.caps.nrips && v.vmcb.nrip > v.vmcb.rip {
        v.vmcb.nrip.wrapping_sub(v.vmcb.rip)
    } else {
        fallback
    }
}

fn handle_exit<K: Kernel>(
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
            v.vmcb.irq = 0;
            v.vmcb.intr_vector = 0;
            v.vmcb.intercept1 &= !intercept1::VINTR;
            v.vmcb.vmcb_clean_bits &= !(CLEAN_TPR | CLEAN_I);
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
            queue_ex(ev, 6);
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
            queue_ex(ev, 6);
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
            queue_ex(ev, 1);
        }
    }
    v.vmcb.efer |= EFER_SVME;
    v.vmcb.vmcb_clean_bits &= !(1 << 5);
    Ok(next)
}

/// `svm_handle_inout`: describes the port access for vmd; RIP is not
/// advanced (vmd adds `vei_insn_len`).
fn ioio<K: Kernel>(v: &SvmVcpu<K>, exit: &mut vmm_abi::vm_exit) {
    let info = v.vmcb.exitinfo1;
    let mut vei = vmm_kernel::pod::zeroed::<vmm_abi::vm_exit_inout>();
    vei.vei_dir = if info & 1 != 0 {
        VEI_DIR_IN
    } else {
        VEI_DIR_OUT
    } as u8;
    vei.vei_string = ((info >> 2) & 1) as u8;
    vei.vei_rep = ((info >> 3) & 1) as u8;
    vei.vei_size = if info & 0x10 != 0 {
        1
    } else if info & 0x20 != 0 {
        2
    } else if info & 0x40 != 0 {
        4
    } else {
        0
    };
    vei.vei_port = ((info >> 16) & 0xffff) as u16;
    vei.vei_data = v.vmcb.rax as u32;
    vei.vei_insn_len = v.vmcb.exitinfo2.wrapping_sub(v.vmcb.rip) as u8;
    write_vei(exit, &vei);
}

/// `svm_handle_np_fault`: guest RAM is faulted in and the guest resumes;
/// an MMIO range goes to vmd; anything else fails the vcpu.
fn np_fault<K: Kernel>(
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
            let (bytes, n) = super::fetch::insn_bytes(&svm.k, vm.pmap, &v.vmcb);
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
    k.guest_fault(k.curproc(), vm.pmap, hva, page)?;
    Ok(Next::Resume)
}

/// `svm_handle_msr`; true if RIP advances (no #GP was queued).
fn msr_exit<K: Kernel>(
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
            vm.pmap,
            vm.ranges,
            pv,
            &mut v.shadow_pat,
            msrno,
            val,
        ) {
            Wrmsr::Done => true,
            Wrmsr::Fault => {
                queue_ex(ev, 13);
                false
            }
            Wrmsr::NotShared => {
                if msrno == 0xc000_0080 {
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
                        queue_ex(ev, 13);
                        return false;
                    }
                    v.vmcb.efer = (val & !EFER_LMA) | (cur & EFER_LMA) | EFER_SVME;
                }
                // Anything else is dropped, as upstream.
                true
            }
        }
    } else {
        let val = match (rdmsr_shared(msrno, v.shadow_pat), msrno) {
            (Some(val), _) => val,
            (None, 0xc001_0055) => 0,
            (None, 0xc001_1029) => 0x2,
            _ => {
                queue_ex(ev, 13);
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
fn xsetbv<K: Kernel>(svm: &Svm<K>, v: &mut SvmVcpu<K>, ev: &mut vcpu_inject_event) -> bool {
    match xsetbv_value(
        svm.k.xsave_mask(),
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
            queue_ex(ev, 13);
            false
        }
    }
}

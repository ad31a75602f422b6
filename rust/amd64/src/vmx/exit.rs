//! The VMX run loop and exit handlers (`vcpu_run_vmx`, `vmx_handle_exit`).

use core::sync::atomic::Ordering;

use vmm_abi::{
    vcpu_inject_event, HVCALL_FORCED_ABORT, VCPU_INJECT_EX, VCPU_INJECT_INTR, VCPU_INJECT_NMI,
    VCPU_INJECT_NONE, VEE_FAULT_HANDLED, VEE_FAULT_MMIO_ASSIST, VEE_LEN_VALID, VEI_DIR_IN,
    VEI_DIR_OUT, VM_MEM_MMIO, VM_RWREGS_ALL, VM_RWREGS_GPRS,
};
use vmm_core::{RunCheck, RunExit, RunRequest};
use vmm_kernel::mem::PmapBox;
use vmm_kernel::{Errno, KResult, KernelAmd64};

use super::switch::{self, ret, Current};
use super::vmcs::{
    intr_info, intr_type, reason, CrAccess, Ctl32, CtlNat, ExitReason, Guest32, Guest64, GuestNat,
    IoQual, Ro32, Ro64, RoNat, INFO_ENTRY_BITS, INFO_ERROR_CODE, INFO_TYPE_MASK, INFO_TYPE_SHIFT,
    INFO_VALID,
};
use super::{
    ctl, guest_view, msr_slot, msr_slot_set, read_regs, VcpuSt, Vmx, VmxVcpu, VmxVm, CR0_CD,
    CR0_NW, CR0_PE, CR0_PG, CR4_PAE, CR4_VMXE, EFER_LMA, EFER_LME,
};
use crate::cpuid::{GuestCpuid, LiveCpuid, MISC_ENABLE_LIMIT_CPUID_MAXVAL};
use crate::exitpolicy::{
    exception_error_code, msr_stays_in_kernel, queue_ex, rdmsr_shared, single_step, write_vee,
    write_vei, wrmsr_shared, xsetbv_value, Next, VmRun, Wrmsr,
};
use crate::insn::msr;
use crate::pvclock::PvClock;
use crate::runloop::{self, LastExit, VendorRun};
use crate::world::Hw;
use crate::x86::{vector, CR0_TS, DR6_BS, PSL_I};

/// Interruptibility: blocking by STI, by MOV SS, by NMI.
const INTST_STI: u32 = 1 << 0;
const INTST_MOVSS: u32 = 1 << 1;
const INTST_NMI: u32 = 1 << 3;

pub(super) fn run<K: KernelAmd64>(
    vmx: &Vmx<K>,
    vm: &VmxVm<K>,
    v: &mut VmxVcpu<K>,
    req: RunRequest<'_>,
    check: impl Fn() -> RunCheck,
) -> KResult<RunExit> {
    let k = vmx.k;
    let vm = &VmRun::new(vm, req.ranges);
    let VmxVcpu { vmcs, st } = v;
    let me = core::ptr::from_ref(&*st) as usize;
    let cur = match vmcs.load() {
        Ok(c) => c,
        Err(e) => {
            req.intr
                .store(u16::from(req.intr_pending), Ordering::Release);
            return Err(e);
        }
    };
    let mut ctx = VmxRun {
        vmx,
        vm,
        cur,
        st,
        me,
        failed: None,
    };
    let exit_reason = runloop::run(&k, &mut ctx, req, check)?;
    let irqready = ctx.st.irqready;
    ctx.cur.release()?;
    Ok(RunExit {
        exit_reason,
        irqready,
    })
}

/// One run of a VMX vcpu, its VMCS current on this CPU: what the shared
/// loop (`crate::runloop`) needs of the backend.
struct VmxRun<'a, 'r, 'c, K: KernelAmd64> {
    vmx: &'a Vmx<K>,
    vm: &'a VmRun<'r, VmxVm<K>>,
    cur: Current<'c, K>,
    st: &'c mut VcpuSt<K>,
    /// The vcpu, by address (the IBPB slot's value).
    me: usize,
    /// A failed VMLAUNCH/VMRESUME: its `ret` code and whether the VMCS
    /// had been launched, said once the CPU is given back.
    failed: Option<(u64, bool)>,
}

impl<K: KernelAmd64> VendorRun<K> for VmxRun<'_, '_, '_, K> {
    type Live = switch::Live;
    type Exit = ExitReason;

    #[inline(always)]
    fn last_exit(&self) -> LastExit {
        match ExitReason::decode(self.st.gs.exit_reason).basic {
            reason::IO => LastExit::Io,
            reason::EPT_VIOLATION => LastExit::Mmio,
            _ => LastExit::Other,
        }
    }

    #[inline(always)]
    fn rax(&self) -> u64 {
        self.st.gs.rax
    }

    #[inline(always)]
    fn set_rax(&mut self, v: u64) {
        self.st.gs.rax = v;
    }

    #[inline(always)]
    fn set_rip(&mut self, rip: u64) -> KResult {
        self.st.gs.rip = rip;
        self.cur.write(GuestNat::Rip, rip)
    }

    fn set_gprs(&mut self, vrs: &vmm_abi::vcpu_reg_state) -> KResult {
        self.vmx
            .write_regs(&mut self.cur, self.st, u64::from(VM_RWREGS_GPRS), vrs)
    }

    #[inline(always)]
    fn cancel_window(&mut self) -> KResult {
        if self.st.procbased & ctl::PROC_INT_WINDOW != 0 {
            self.st.procbased &= !ctl::PROC_INT_WINDOW;
            self.cur.write(Ctl32::ProcBased, self.st.procbased)?;
        }
        Ok(())
    }

    #[inline(always)]
    fn pmap(&self) -> &PmapBox<K> {
        &self.vm.pmap
    }

    #[inline(always)]
    fn prepare_cpu(&mut self) -> KResult<bool> {
        if !self.cur.host_state_current() {
            prepare_cpu(self.vmx, &self.vm.pmap, &mut self.cur, self.st)?;
        }
        Ok(true)
    }

    #[inline(always)]
    fn inject(&mut self, ev: &mut vcpu_inject_event) -> KResult {
        inject(self.vmx, &mut self.cur, self.st, ev)
    }

    #[inline(always)]
    fn load(&mut self) -> KResult<switch::Live> {
        // IBPB when another vcpu ran on this CPU last.  While live, none
        // can have.
        let vmx = self.vmx;
        let me = self.me;
        let ibpb = vmx.caps.ibpb
            && vmx
                .last_vcpu
                .get(self.cur.cpu() as usize)
                .is_some_and(|slot| slot.swap(me, Ordering::Relaxed) != me);
        let st = &mut *self.st;
        let hw = Hw::new(&vmx.k, vmx.pke);
        self.cur.load_guest(&hw, &st.gs, &mut st.world, ibpb)
    }

    #[inline(always)]
    fn cpu(&self) -> u32 {
        self.cur.cpu()
    }

    #[inline(always)]
    fn enter(&mut self, live: &switch::Live) -> KResult<Self::Exit> {
        let st = &mut *self.st;
        let was_launched = self.cur.launched();
        let r = self.cur.run(&mut st.gs, &self.vmx.entry, live);
        if r != ret::EXIT {
            self.failed = Some((r, was_launched));
            return Err(Errno::EINVAL);
        }
        read_exit(&mut self.cur, st)
    }

    #[inline(always)]
    fn stays(&self, exit: ExitReason) -> bool {
        stays_in_kernel(self.st, exit)
    }

    #[inline(always)]
    fn entry_error(&mut self) {
        if let Some((r, launched)) = self.failed.take() {
            entry_failed(self.vmx, &self.cur, r, launched);
        }
    }

    #[inline(always)]
    fn window(live: &switch::Live) {
        live.interrupt_window();
    }

    #[inline(always)]
    fn leave(&mut self, live: switch::Live) {
        let st = &mut *self.st;
        let hw = Hw::new(&self.vmx.k, self.vmx.pke);
        self.cur.leave(&hw, &mut st.gs, &mut st.world, live);
    }

    #[inline(always)]
    fn handle_exit(
        &mut self,
        x: Self::Exit,
        exit: &mut vmm_abi::vm_exit,
        ev: &mut vcpu_inject_event,
        pv: &PvClock<'_>,
    ) -> KResult<Next> {
        handle_exit(self.vmx, self.vm, &mut self.cur, self.st, x, exit, ev, pv)
    }

    #[inline(always)]
    fn update_irqready(&mut self) -> bool {
        // The interruptibility state only matters (and is only read) when
        // RFLAGS.IF is set; a failed read counts as blocked.
        let st = &mut *self.st;
        st.irqready = st.gs.rflags & PSL_I != 0
            && self
                .cur
                .read(Guest32::Interruptibility)
                .is_ok_and(|intst| intst & (INTST_STI | INTST_MOVSS) == 0);
        st.irqready
    }

    #[inline(always)]
    fn request_window(&mut self) -> KResult {
        if self.st.procbased & ctl::PROC_INT_WINDOW == 0 {
            self.st.procbased |= ctl::PROC_INT_WINDOW;
            self.cur.write(Ctl32::ProcBased, self.st.procbased)?;
        }
        Ok(())
    }

    #[inline(always)]
    fn exit_reason(x: ExitReason) -> u16 {
        x.basic
    }

    fn finish(&mut self, exit: &mut vmm_abi::vm_exit) -> KResult {
        read_regs(&self.cur, self.st, u64::from(VM_RWREGS_ALL), &mut exit.vrs)?;
        exit.cpl = i32::from(guest_cpl(&self.cur)?);
        Ok(())
    }
}

/// Whether the exit just taken is one the loop handles with the guest's
/// FPU state still loaded and interrupts off (`switch::Live`; the host
/// takes its pending interrupts in the window after the exit): its
/// handler only computes and uses the VMCS (CPUID, the MSRs of
/// [`msr_stays_in_kernel`], the interrupt window) and the guest is
/// entered again unless a signal, the scheduler or vmd's interrupt ends
/// the run.  Everything else (host interrupts and NMIs, EPT violations,
/// XSETBV, which changes the XCR0 the next load sets, CR accesses, exits
/// to vmd, failed entries) leaves first.
fn stays_in_kernel<K: KernelAmd64>(st: &VcpuSt<K>, exit: ExitReason) -> bool {
    if exit.entry_failed {
        return false;
    }
    match exit.basic {
        reason::CPUID | reason::INT_WINDOW => true,
        reason::RDMSR | reason::WRMSR => msr_stays_in_kernel(st.gs.rcx as u32),
        _ => false,
    }
}

/// The host state for the CPU the VMCS just became current on, and the
/// TLB flushes a (possibly new) CPU needs for this guest.  The CPU is
/// recorded as running the VM's EPT pmap first (`ci_ept_pmap`, as
/// upstream's vcpu_run_vmx does), so that from then on the pmap's EPT
/// shootdowns reach it; the INVEPT after it drops what it cached before.
fn prepare_cpu<K: KernelAmd64>(
    vmx: &Vmx<K>,
    pmap: &PmapBox<K>,
    cur: &mut Current<'_, K>,
    st: &mut VcpuSt<K>,
) -> KResult {
    cur.write_host_state(st.host_msrs.as_mut_slice())?;
    pmap.set_cpu_ept();
    let cap = vmx.caps.ept_vpid;
    if cur.invept(cap, st.eptp).is_err() {
        vmx.k.log(c"vmm: vmx: INVEPT failed\n", 0, 0);
        return Err(Errno::EINVAL);
    }
    if st.vpid_enabled && cur.invvpid(cap, st.vpid.id()).is_err() {
        vmx.k.log(c"vmm: vmx: INVVPID failed\n", 0, 0);
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// VMLAUNCH/VMRESUME fell through: says why.
fn entry_failed<K: KernelAmd64>(vmx: &Vmx<K>, cur: &Current<'_, K>, r: u64, launched: bool) {
    let k = vmx.k;
    let insn = u64::from(launched);
    match r {
        ret::FAIL_VALID => {
            k.log(
                c"vmm: vmx: VM entry (%lu: 0 VMLAUNCH, 1 VMRESUME) failed, valid VMCS\n",
                insn,
                0,
            );
            if let Some(e) = cur.insn_error() {
                k.log(e.log_fmt(), u64::from(e.number()), 0);
            }
        }
        ret::FAIL_INVALID => k.log(
            c"vmm: vmx: VM entry (%lu: 0 VMLAUNCH, 1 VMRESUME) failed, invalid VMCS\n",
            insn,
            0,
        ),
        ret::FAIL_HOST_FIELDS => k.log(c"vmm: vmx: cannot write host RSP/RIP\n", 0, 0),
        _ => k.log(
            c"vmm: vmx: VM entry (%lu: 0 VMLAUNCH, 1 VMRESUME) failed, flags unknown\n",
            insn,
            0,
        ),
    }
}

/// Reads what every exit needs: reason, RIP, RFLAGS; re-queues an event
/// whose delivery the exit interrupted (upstream dropped it).
fn read_exit<K: KernelAmd64>(cur: &mut Current<'_, K>, st: &mut VcpuSt<K>) -> KResult<ExitReason> {
    let raw = cur.read(Ro32::ExitReason)?;
    st.gs.exit_reason = raw & 0xffff;
    st.gs.rip = cur.read(GuestNat::Rip)?;
    st.gs.rflags = cur.read(GuestNat::Rflags)?;
    let exit = ExitReason::decode(raw);
    // CPUID, RDMSR and WRMSR exit as the instruction is about to run, so
    // never during the delivery of an event (SDM Vol. 3C, 28.2.4): no
    // IDT-vectoring information to read on the exits the kernel handles
    // most.
    let no_vectoring = matches!(exit.basic, reason::CPUID | reason::RDMSR | reason::WRMSR);
    if !exit.entry_failed && !no_vectoring {
        let idt = cur.read(Ro32::IdtVectoringInfo)?;
        if idt & INFO_VALID != 0 {
            if idt & INFO_ERROR_CODE != 0 {
                let err = cur.read(Ro32::IdtVectoringError)?;
                cur.write(Ctl32::EntryExceptionError, err)?;
            }
            let kind = (idt >> INFO_TYPE_SHIFT) & INFO_TYPE_MASK;
            if matches!(
                kind,
                intr_type::SW_INTERRUPT | intr_type::SW_EXCEPTION | intr_type::PRIV_SW_EXCEPTION
            ) {
                let len = cur.read(Ro32::ExitInsnLen)?;
                cur.write(Ctl32::EntryInsnLen, len)?;
            }
            // Bits 30:12 of the entry field must be 0 (bit 12 of the
            // vectoring field is undefined).
            cur.write(Ctl32::EntryIntrInfo, idt & INFO_ENTRY_BITS)?;
        }
    }
    Ok(exit)
}

/// Delivers vmd's pending event through the VM-entry
/// interruption-information field, unless an interrupted event is being
/// re-delivered.
///
/// Interrupts wait until the guest can take them (RFLAGS.IF and no STI or
/// MOV-SS blocking).  Exceptions are injected as hardware exceptions
/// (type 3) for every vector, #BP and #OF included (there is no
/// instruction behind a vmd-requested event, so no instruction length;
/// the guest's gate DPL is not checked), with an error code for the
/// vectors that push one when the guest is in protected mode (#CP only
/// on CPUs with CET).  NMIs are injected as NMIs when not blocked.
fn inject<K: KernelAmd64>(
    vmx: &Vmx<K>,
    cur: &mut Current<'_, K>,
    st: &VcpuSt<K>,
    ev: &mut vcpu_inject_event,
) -> KResult {
    let kind = u32::from(ev.vie_type);
    if kind == VCPU_INJECT_NONE || cur.read(Ctl32::EntryIntrInfo)? & INFO_VALID != 0 {
        return Ok(());
    }
    match kind {
        VCPU_INJECT_INTR => {
            let intst = cur.read(Guest32::Interruptibility)?;
            let rflags = cur.read(GuestNat::Rflags)?;
            if st.irqready && rflags & PSL_I != 0 && intst & (INTST_STI | INTST_MOVSS) == 0 {
                cur.write(
                    Ctl32::EntryIntrInfo,
                    intr_info(ev.vie_vector, intr_type::EXTERNAL, false),
                )?;
                ev.vie_type = VCPU_INJECT_NONE as u8;
            }
        }
        VCPU_INJECT_NMI => {
            let intst = cur.read(Guest32::Interruptibility)?;
            if intst & (INTST_STI | INTST_MOVSS | INTST_NMI) == 0 {
                cur.write(
                    Ctl32::EntryIntrInfo,
                    intr_info(vector::NMI, intr_type::NMI, false),
                )?;
                ev.vie_type = VCPU_INJECT_NONE as u8;
            }
        }
        VCPU_INJECT_EX => {
            let pe = cur.read(GuestNat::Cr0)? & CR0_PE != 0;
            // #CP has an error code only where CET exists.
            let code = exception_error_code(ev, pe, vmx.caps.cet)?;
            if let Some(code) = code {
                cur.write(Ctl32::EntryExceptionError, code)?;
            }
            cur.write(
                Ctl32::EntryIntrInfo,
                intr_info(ev.vie_vector, intr_type::HW_EXCEPTION, code.is_some()),
            )?;
            ev.vie_type = VCPU_INJECT_NONE as u8;
        }
        _ => {}
    }
    Ok(())
}

/// The RIP update after an emulated instruction: RIP past it, STI and
/// MOV-SS blocking gone, and a single-step trap if RFLAGS.TF was set
/// (without replacing an event already queued, unlike upstream).
fn skip<K: KernelAmd64>(
    cur: &mut Current<'_, K>,
    st: &mut VcpuSt<K>,
    ev: &mut vcpu_inject_event,
) -> KResult {
    let len = cur.read(Ro32::ExitInsnLen)?;
    let (rip, intst) = past_insn(st.gs.rip, len, cur.read(Guest32::Interruptibility)?);
    st.gs.rip = rip;
    cur.write(GuestNat::Rip, rip)?;
    if let Some(intst) = intst {
        cur.write(Guest32::Interruptibility, intst)?;
    }
    if single_step(ev, st.gs.rflags) {
        st.gs.dr6 |= DR6_BS;
    }
    Ok(())
}

/// [`skip`]'s arithmetic: the RIP past an instruction of `len` bytes at
/// `rip`, `len` as the CPU reports it in the exit (prefixes included:
/// upstream failed the vcpu unless RDMSR/WRMSR took 2 bytes, XSETBV 3 and
/// HLT 1), and the interruptibility state `intst` without STI and MOV-SS
/// blocking if it had either (`None`: unchanged).
#[inline(always)]
fn past_insn(rip: u64, len: u32, intst: u32) -> (u64, Option<u32>) {
    let blocking = INTST_STI | INTST_MOVSS;
    let intst = (intst & blocking != 0).then_some(intst & !blocking);
    (rip.wrapping_add(u64::from(len)), intst)
}

/// The guest's CPL: 0 in real mode, else SS.DPL.
fn guest_cpl<K: KernelAmd64>(cur: &Current<'_, K>) -> KResult<u8> {
    if cur.read(GuestNat::Cr0)? & CR0_PE == 0 {
        return Ok(0);
    }
    Ok(((cur.read(Guest32::SsAr)? >> 5) & 3) as u8)
}

#[allow(clippy::too_many_arguments)]
fn handle_exit<K: KernelAmd64>(
    vmx: &Vmx<K>,
    vm: &VmRun<'_, VmxVm<K>>,
    cur: &mut Current<'_, K>,
    st: &mut VcpuSt<K>,
    exit: ExitReason,
    out: &mut vmm_abi::vm_exit,
    ev: &mut vcpu_inject_event,
    pv: &crate::pvclock::PvClock<'_>,
) -> KResult<Next> {
    let k = vmx.k;
    if exit.entry_failed {
        let q = cur.read(RoNat::ExitQualification).unwrap_or(0);
        let fmt = match exit.basic {
            reason::ENTRY_GUEST_STATE => {
                c"vmm: vmx: VM entry failed: invalid guest state (qualification %lu)\n"
            }
            reason::ENTRY_MSR_LOAD => c"vmm: vmx: VM entry failed: MSR loading (entry %lu)\n",
            reason::ENTRY_MCE => c"vmm: vmx: VM entry failed: machine check (%lu)\n",
            _ => c"vmm: vmx: VM entry failed (qualification %lu, reason %lu)\n",
        };
        k.log(fmt, q, u64::from(exit.basic));
        return Err(Errno::EINVAL);
    }
    let rflags = st.gs.rflags;
    match exit.basic {
        reason::NMI => {
            let info = cur.read(Ro32::ExitIntrInfo)?;
            if info & INFO_VALID != 0
                && (info >> INFO_TYPE_SHIFT) & INFO_TYPE_MASK == intr_type::NMI
            {
                // The host's NMI: hand it over; the guest goes on
                // (upstream terminated the vcpu).
                switch::nmi_to_host();
                return Ok(Next::Resume);
            }
            k.log(
                c"vmm: vmx: unexpected exception exit 0x%lx\n",
                u64::from(info),
                0,
            );
            Err(Errno::EINVAL)
        }
        // The interrupt stays pending (no acknowledge on exit): the host
        // takes it as soon as interrupts are enabled again.
        reason::EXTINT => Ok(Next::Resume),
        reason::INT_WINDOW => {
            if rflags & PSL_I == 0 {
                return Err(Errno::EINVAL);
            }
            st.procbased &= !ctl::PROC_INT_WINDOW;
            cur.write(Ctl32::ProcBased, st.procbased)?;
            Ok(Next::Resume)
        }
        reason::TRIPLE_FAULT => Ok(Next::ToVmd),
        reason::EPT_VIOLATION => ept_violation(vmx, vm, cur, st, out),
        reason::CPUID => {
            let cr4 = || {
                Ok(guest_view(
                    cur.read(GuestNat::Cr4)?,
                    cur.read(CtlNat::Cr4Mask)?,
                    cur.read(CtlNat::Cr4Shadow)?,
                ))
            };
            // MISC_ENABLE is emulated: the guest's value is st.misc_enable.
            let guest = GuestCpuid {
                vcpu_id: st.id,
                xcr0: st.gs.xcr0,
                limit_maxval: st.misc_enable & MISC_ENABLE_LIMIT_CPUID_MAXVAL != 0,
            };
            let r = crate::cpuid::guest_cpuid(
                &LiveCpuid,
                &vmx.cpuid_host,
                st.gs.rax as u32,
                st.gs.rcx as u32,
                guest,
                cr4,
                || k.tsc_frequency(),
            )?;
            st.gs.rax = u64::from(r.eax);
            st.gs.rbx = u64::from(r.ebx);
            st.gs.rcx = u64::from(r.ecx);
            st.gs.rdx = u64::from(r.edx);
            skip(cur, st, ev)?;
            Ok(Next::Resume)
        }
        reason::RDMSR | reason::WRMSR => {
            if msr_exit(vmx, vm, st, exit.basic == reason::WRMSR, ev, pv) {
                skip(cur, st, ev)?;
            }
            Ok(Next::Resume)
        }
        reason::XSETBV => {
            if xsetbv(vmx, cur, st, ev)? {
                skip(cur, st, ev)?;
            }
            Ok(Next::Resume)
        }
        reason::CR_ACCESS => cr_access(vmx, vm, cur, st, ev),
        reason::IO => {
            io(cur, st, out)?;
            Ok(Next::ToVmd)
        }
        // INVD would drop dirty cache lines of the host: do nothing (the
        // guest's memory is coherent anyway).  Upstream failed the vcpu.
        reason::INVD => {
            skip(cur, st, ev)?;
            Ok(Next::Resume)
        }
        // HLT with IF=0 ends the VM with RIP still on the HLT, as
        // upstream's vmx_handle_hlt (SVM advances it, as upstream's
        // svm_handle_hlt).
        reason::HLT => {
            if rflags & PSL_I == 0 {
                return Err(Errno::EIO);
            }
            skip(cur, st, ev)?;
            Ok(Next::ToVmd)
        }
        reason::VMCALL => {
            if guest_cpl(cur)? == 0 && st.gs.rax == u64::from(HVCALL_FORCED_ABORT) {
                return Err(Errno::EINVAL);
            }
            queue_ex(ev, vector::UD);
            Ok(Next::Resume)
        }
        // The VMX instructions (VMCLEAR .. VMXON, INVEPT, INVVPID,
        // VMFUNC), MWAIT and MONITOR: #UD, RIP on the instruction.
        reason::VMCLEAR..=reason::VMXON
        | reason::INVEPT
        | reason::INVVPID
        | reason::VMFUNC
        | reason::MWAIT
        | reason::MONITOR => {
            queue_ex(ev, vector::UD);
            Ok(Next::Resume)
        }
        reason::EPT_MISCONFIG => {
            let gpa = cur.read(Ro64::GuestPhysAddr).unwrap_or(0);
            k.log(c"vmm: vmx: EPT misconfiguration at GPA 0x%lx\n", gpa, 0);
            Err(Errno::EINVAL)
        }
        // INIT, SIPI, task switches, GETSEC, ...: as upstream.
        b => {
            k.log(
                c"vmm: vmx: unhandled exit %lu at rip 0x%lx, vcpu failed\n",
                u64::from(b),
                st.gs.rip,
            );
            Err(Errno::EINVAL)
        }
    }
}

/// `vmx_handle_inout`: describes the port access for vmd; RIP is not
/// advanced (vmd adds `vei_insn_len`).
fn io<K: KernelAmd64>(cur: &Current<'_, K>, st: &VcpuSt<K>, out: &mut vmm_abi::vm_exit) -> KResult {
    let q = IoQual::decode(cur.read(RoNat::ExitQualification)?);
    let len = cur.read(Ro32::ExitInsnLen)?;
    let mut vei = vmm_kernel::pod::zeroed::<vmm_abi::vm_exit_inout>();
    vei.vei_size = q.size;
    vei.vei_dir = if q.input { VEI_DIR_IN } else { VEI_DIR_OUT } as u8;
    vei.vei_string = u8::from(q.string);
    vei.vei_rep = u8::from(q.rep);
    vei.vei_encoding = u8::from(q.immediate);
    vei.vei_port = q.port;
    vei.vei_data = st.gs.rax as u32;
    vei.vei_insn_len = len as u8;
    write_vei(out, &vei);
    Ok(())
}

/// `vmx_handle_np_fault`: guest RAM is faulted in and the guest resumes
/// (whatever the access: every EPT leaf is RWX, so a violation on RAM
/// means "not there yet"); an MMIO range goes to vmd with the instruction
/// length; anything else fails the vcpu.
fn ept_violation<K: KernelAmd64>(
    vmx: &Vmx<K>,
    vm: &VmRun<'_, VmxVm<K>>,
    cur: &mut Current<'_, K>,
    st: &VcpuSt<K>,
    out: &mut vmm_abi::vm_exit,
) -> KResult<Next> {
    let k = vmx.k;
    let gpa = cur.read(Ro64::GuestPhysAddr)?;
    let mut vee = vmm_kernel::pod::zeroed::<vmm_abi::vm_exit_eptviolation>();
    let Some(r) = vm.range_of(gpa) else {
        k.log(
            c"vmm: vmx: guest access to unbacked GPA 0x%lx at rip 0x%lx\n",
            gpa,
            st.gs.rip,
        );
        return Err(Errno::EINVAL);
    };
    if r.vmr_type == VM_MEM_MMIO as i32 {
        let len = cur.read(Ro32::ExitInsnLen)?;
        if len == 0 || len > 15 {
            k.log(
                c"vmm: vmx: no instruction length for MMIO at 0x%lx\n",
                gpa,
                0,
            );
            return Err(Errno::EINVAL);
        }
        vee.vee_fault_type = VEE_FAULT_MMIO_ASSIST as u8;
        vee.vee_insn_len = len as u8;
        vee.vee_insn_info |= VEE_LEN_VALID as u8;
        write_vee(out, &vee);
        return Ok(Next::ToVmd);
    }
    vee.vee_fault_type = VEE_FAULT_HANDLED as u8;
    write_vee(out, &vee);
    let page = gpa & !0xfff;
    let hva = r.vmr_va.wrapping_add(page.wrapping_sub(r.vmr_gpa));
    // The fault may sleep: the VMCS is cleared around it.
    cur.while_released(|| vm.pmap.guest_fault(k.curproc(), hva, page))??;
    Ok(Next::Resume)
}

/// `vmx_handle_rdmsr` / `vmx_handle_wrmsr`, with the SVM backend's policy:
/// PAT is shadowed and validated, a few identification MSRs read as 0,
/// other reads fault, other writes are dropped.  True if RIP advances (no
/// #GP was queued).
fn msr_exit<K: KernelAmd64>(
    vmx: &Vmx<K>,
    vm: &VmRun<'_, VmxVm<K>>,
    st: &mut VcpuSt<K>,
    write: bool,
    ev: &mut vcpu_inject_event,
    pv: &crate::pvclock::PvClock<'_>,
) -> bool {
    // MISC_ENABLE bits the guest cannot change (TCC, EIST, xTPR).
    const MISC_FIXED: u64 = (1 << 3) | (1 << 16) | (1 << 23);
    let msrno = st.gs.rcx as u32;
    let ranges = vm.ranges;
    if write {
        let val = (st.gs.rdx << 32) | (st.gs.rax & 0xffff_ffff);
        match wrmsr_shared(&vmx.k, &vm.pmap, ranges, pv, &mut st.shadow_pat, msrno, val) {
            Wrmsr::Done => true,
            Wrmsr::Fault => {
                queue_ex(ev, vector::GP);
                false
            }
            Wrmsr::NotShared => match msrno {
                msr::MISC_ENABLE => {
                    st.misc_enable = val & !MISC_FIXED;
                    true
                }
                // SMM_MONITOR_CTL: #GP, as upstream.
                msr::SMM_MONITOR_CTL => {
                    queue_ex(ev, vector::GP);
                    false
                }
                // Anything else is dropped, as upstream.
                _ => true,
            },
        }
    } else {
        let val = match (rdmsr_shared(msrno, st.shadow_pat), msrno) {
            (Some(val), _) => val,
            (None, msr::MISC_ENABLE) => st.misc_enable,
            _ => {
                queue_ex(ev, vector::GP);
                return false;
            }
        };
        st.gs.rax = val & 0xffff_ffff;
        st.gs.rdx = val >> 32;
        true
    }
}

/// `vmm_handle_xsetbv`; true if RIP advances.  A refused XSETBV leaves
/// RIP on the instruction, so the #GP is precise (upstream advanced it).
fn xsetbv<K: KernelAmd64>(
    vmx: &Vmx<K>,
    cur: &Current<'_, K>,
    st: &mut VcpuSt<K>,
    ev: &mut vcpu_inject_event,
) -> KResult<bool> {
    let cpl = guest_cpl(cur)?;
    match xsetbv_value(
        vmx.cpuid_host.guest_xcr0_mask(),
        cpl,
        st.gs.rcx,
        st.gs.rax,
        st.gs.rdx,
    ) {
        Some(val) => {
            st.gs.xcr0 = val;
            Ok(true)
        }
        None => {
            queue_ex(ev, vector::GP);
            Ok(false)
        }
    }
}

/// General-purpose register `n` in instruction-encoding order.
fn gpr<K: KernelAmd64>(cur: &Current<'_, K>, st: &VcpuSt<K>, n: u8) -> KResult<u64> {
    let g = &st.gs;
    Ok(match n {
        0 => g.rax,
        1 => g.rcx,
        2 => g.rdx,
        3 => g.rbx,
        4 => cur.read(GuestNat::Rsp)?,
        5 => g.rbp,
        6 => g.rsi,
        7 => g.rdi,
        8 => g.r8,
        9 => g.r9,
        10 => g.r10,
        11 => g.r11,
        12 => g.r12,
        13 => g.r13,
        14 => g.r14,
        _ => g.r15,
    })
}

fn set_gpr<K: KernelAmd64>(cur: &mut Current<'_, K>, st: &mut VcpuSt<K>, n: u8, v: u64) -> KResult {
    let g = &mut st.gs;
    match n {
        0 => g.rax = v,
        1 => g.rcx = v,
        2 => g.rdx = v,
        3 => g.rbx = v,
        4 => cur.write(GuestNat::Rsp, v)?,
        5 => g.rbp = v,
        6 => g.rsi = v,
        7 => g.rdi = v,
        8 => g.r8 = v,
        9 => g.r9 = v,
        10 => g.r10 = v,
        11 => g.r11 = v,
        12 => g.r12 = v,
        13 => g.r13 = v,
        14 => g.r14 = v,
        _ => g.r15 = v,
    }
    Ok(())
}

/// `vmx_handle_cr`: MOV to CR0/CR4 that changes a host-owned bit, LMSW and
/// CLTS (which write CR0 too), and MOV to/from CR8 (emulated: the task
/// priority is kept, not acted on).  A refused write gets #GP with RIP on
/// the instruction (upstream advanced RIP and ignored the helpers'
/// errors).
///
/// Upstream owns only CR0.NE, which neither LMSW nor CLTS can change, so
/// for it they never exit; here PE is host-owned too, and an LMSW that
/// sets PE (real-mode code entering protected mode) exits.  Both are done
/// as the CPU would do them, through the CR0 write path.  CLTS exits only
/// where CR0.TS is host-owned, that is if the CPU's fixed-bit MSRs pin
/// it.  MOV from CR0/CR4 never exits (the read shadows answer it) and
/// neither does MOV from CR3 (CR3-store exiting is off).
fn cr_access<K: KernelAmd64>(
    vmx: &Vmx<K>,
    vm: &VmRun<'_, VmxVm<K>>,
    cur: &mut Current<'_, K>,
    st: &mut VcpuSt<K>,
    ev: &mut vcpu_inject_event,
) -> KResult<Next> {
    let q = cur.read(RoNat::ExitQualification)?;
    let ok = match CrAccess::decode(q) {
        CrAccess::MovTo { cr: 0, gpr: g } => {
            let v = gpr(cur, st, g)?;
            cr0_write(vmx, vm, cur, st, v)?
        }
        CrAccess::MovTo { cr: 4, gpr: g } => {
            let v = gpr(cur, st, g)?;
            cr4_write(vmx, vm, cur, st, v)?
        }
        CrAccess::MovTo { cr: 8, gpr: g } => {
            let v = gpr(cur, st, g)?;
            if v >> 4 == 0 {
                st.cr8 = v;
            }
            v >> 4 == 0
        }
        CrAccess::MovFrom { cr: 8, gpr: g } => {
            let v = st.cr8;
            set_gpr(cur, st, g, v)?;
            true
        }
        CrAccess::Lmsw(src) => {
            let v = lmsw(guest_cr0(cur)?, src);
            cr0_write(vmx, vm, cur, st, v)?
        }
        CrAccess::Clts => {
            let v = guest_cr0(cur)? & !CR0_TS;
            cr0_write(vmx, vm, cur, st, v)?
        }
        _ => {
            vmx.k.log(c"vmm: vmx: unexpected CR access 0x%lx\n", q, 0);
            return Err(Errno::EINVAL);
        }
    };
    if ok {
        skip(cur, st, ev)?;
    } else {
        queue_ex(ev, vector::GP);
    }
    Ok(Next::Resume)
}

/// CR0 as the guest sees it.
fn guest_cr0<K: KernelAmd64>(cur: &Current<'_, K>) -> KResult<u64> {
    Ok(guest_view(
        cur.read(GuestNat::Cr0)?,
        cur.read(CtlNat::Cr0Mask)?,
        cur.read(CtlNat::Cr0Shadow)?,
    ))
}

/// CR0 after LMSW with operand `src` from `cr0`: PE, MP, EM and TS come
/// from the operand, except that LMSW sets PE but never clears it.
fn lmsw(cr0: u64, src: u16) -> u64 {
    (cr0 & !0xf) | (u64::from(src) & 0xf) | (cr0 & CR0_PE)
}

/// The guest EFER (slot 0 of the guest MSR area).
fn guest_efer<K: KernelAmd64>(st: &VcpuSt<K>) -> u64 {
    msr_slot(&st.guest_msrs, 0)
}

/// `vmx_handle_cr0_write`; false to refuse with #GP.
fn cr0_write<K: KernelAmd64>(
    vmx: &Vmx<K>,
    vm: &VmRun<'_, VmxVm<K>>,
    cur: &mut Current<'_, K>,
    st: &mut VcpuSt<K>,
    v: u64,
) -> KResult<bool> {
    let efer = guest_efer(st);
    let cr4 = cur.read(GuestNat::Cr4)?;
    if v >> 32 != 0
        || v & vmx.cr0.must0 != 0
        || (v & CR0_PG != 0 && v & CR0_PE == 0)
        || (v & CR0_NW != 0 && v & CR0_CD == 0)
        || (v & CR0_PG != 0 && efer & EFER_LME != 0 && cr4 & CR4_PAE == 0)
    {
        return Ok(false);
    }
    let old = cur.read(GuestNat::Cr0)?;
    cur.write(GuestNat::Cr0, vmx.cr0.apply(v))?;
    cur.write(CtlNat::Cr0Shadow, v)?;
    let pg = v & CR0_PG != 0;
    if pg != (old & CR0_PG != 0) {
        // IA-32e mode follows EFER.LME when paging is switched.
        let long = pg && efer & EFER_LME != 0;
        let (set, clear) = if long {
            (ctl::ENTRY_IA32E, 0)
        } else {
            (0, ctl::ENTRY_IA32E)
        };
        cur.update32(Ctl32::EntryCtls, set, clear)?;
        let efer = if long {
            efer | EFER_LMA
        } else {
            efer & !EFER_LMA
        };
        msr_slot_set(&mut st.guest_msrs, 0, efer);
        if pg && !long && cr4 & CR4_PAE != 0 {
            load_pdptes(vmx, vm, cur)?;
        }
    }
    if st.vpid_enabled {
        cur.invvpid(vmx.caps.ept_vpid, st.vpid.id())?;
    }
    Ok(true)
}

/// `vmx_handle_cr4_write`; false to refuse with #GP.
fn cr4_write<K: KernelAmd64>(
    vmx: &Vmx<K>,
    vm: &VmRun<'_, VmxVm<K>>,
    cur: &mut Current<'_, K>,
    st: &mut VcpuSt<K>,
    v: u64,
) -> KResult<bool> {
    let efer = guest_efer(st);
    if v >> 32 != 0
        || v & (vmx.cr4.must0 | vmx.cr4_host_owned()) != 0
        || (v & CR4_PAE == 0 && efer & EFER_LMA != 0)
    {
        return Ok(false);
    }
    let old = cur.read(GuestNat::Cr4)?;
    cur.write(GuestNat::Cr4, vmx.cr4.apply(v | CR4_VMXE))?;
    cur.write(CtlNat::Cr4Shadow, v)?;
    let cr0 = cur.read(GuestNat::Cr0)?;
    if cr0 & CR0_PG != 0 && efer & EFER_LMA == 0 && v & CR4_PAE != 0 && (old ^ v) & 0xb0 != 0 {
        load_pdptes(vmx, vm, cur)?;
    }
    if st.vpid_enabled {
        cur.invvpid(vmx.caps.ept_vpid, st.vpid.id())?;
    }
    Ok(true)
}

/// `vmx_load_pdptes`: the four PAE page-directory-pointer entries at the
/// guest's CR3 (bits 31:5; upstream ignored bits 11:5), read through
/// vmd's mapping of guest RAM.
#[inline(always)]
fn load_pdptes<K: KernelAmd64>(
    vmx: &Vmx<K>,
    vm: &VmRun<'_, VmxVm<K>>,
    cur: &mut Current<'_, K>,
) -> KResult {
    let k = vmx.k;
    let gpa = cur.read(GuestNat::Cr3)? & 0xffff_ffe0;
    let mut buf = [0u8; 32];
    // copyin may sleep: the VMCS is cleared around it.
    match vm.range_of(gpa) {
        Some(r) => {
            let hva = r.vmr_va.wrapping_add(gpa.wrapping_sub(r.vmr_gpa));
            cur.while_released(|| k.copyin(hva, &mut buf))??;
        }
        None => {
            k.log(c"vmm: vmx: PDPT at unbacked GPA 0x%lx\n", gpa, 0);
            return Err(Errno::EINVAL);
        }
    }
    let mut q = [0u64; 4];
    for (d, c) in q.iter_mut().zip(buf.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        *d = u64::from_le_bytes(b);
    }
    for (f, v) in [
        Guest64::Pdpte0,
        Guest64::Pdpte1,
        Guest64::Pdpte2,
        Guest64::Pdpte3,
    ]
    .into_iter()
    .zip(q)
    {
        cur.write(f, v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{lmsw, past_insn, INTST_MOVSS, INTST_STI};

    #[test]
    fn prefixed_instructions_advance_rip_by_the_length_the_cpu_reports() {
        // README difference 37: the exit's instruction length, prefixes
        // included, for the instructions upstream wanted 2, 3 or 1 bytes.
        let rip = 0xffff_ffff_8000_1000;
        for (insn, bytes) in [
            ("rdmsr", &[0x0f, 0x32][..]),
            ("rex.w rdmsr", &[0x48, 0x0f, 0x32]),
            ("cs wrmsr", &[0x2e, 0x0f, 0x30]),
            ("xsetbv", &[0x0f, 0x01, 0xd1]),
            ("cs xsetbv", &[0x2e, 0x0f, 0x01, 0xd1]),
            ("ds data16 xsetbv", &[0x3e, 0x66, 0x0f, 0x01, 0xd1]),
            ("hlt", &[0xf4]),
            ("cs hlt", &[0x2e, 0xf4]),
            ("rex ds hlt", &[0x3e, 0x40, 0xf4]),
        ] {
            let len = bytes.len() as u32;
            let (next, intst) = past_insn(rip, len, 0);
            assert_eq!(next, rip.wrapping_add(u64::from(len)), "{insn}");
            assert_eq!(intst, None, "{insn}");
        }
        // RIP wraps as on the CPU (outside 64-bit mode the guest's CS
        // limit keeps it from getting there).
        assert_eq!(past_insn(u64::MAX, 2, 0).0, 1);
    }

    #[test]
    fn an_emulated_instruction_ends_sti_and_mov_ss_blocking_only() {
        let nmi_blocking = 1 << 3;
        assert_eq!(past_insn(0, 1, INTST_STI).1, Some(0));
        assert_eq!(past_insn(0, 1, INTST_MOVSS).1, Some(0));
        assert_eq!(
            past_insn(0, 1, INTST_STI | nmi_blocking).1,
            Some(nmi_blocking)
        );
        assert_eq!(past_insn(0, 1, nmi_blocking).1, None);
    }

    #[test]
    fn lmsw_loads_the_low_four_bits_and_never_clears_pe() {
        // Real mode (flat16's CR0) into protected mode with MP and TS.
        assert_eq!(lmsw(0x6000_0010, 0x000b), 0x6000_001b);
        // Only bits 3:0 of the operand count.
        assert_eq!(lmsw(0x6000_0010, 0xfff1), 0x6000_0011);
        // MP, EM and TS are cleared by the operand, PE is not.
        assert_eq!(lmsw(0x8000_001f, 0x0000), 0x8000_0011);
    }
}

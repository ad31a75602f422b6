//! The run loop, once for both backends (`vcpu_run_svm` and
//! `vcpu_run_vmx` in upstream): every decision that does not depend on
//! the hardware is made here, behind [`VendorRun`], which each backend
//! implements with what differs (where the guest's registers live, how
//! an event is injected, how the CPU is taken and given back, how an exit
//! is read and handled).
//!
//! One `VMM_IOC_RUN`:
//! 1. vmd's interrupt line is published; vmd's answer to the last exit is
//!    applied (an IN's data merged into RAX by access size and vmd's RIP;
//!    after an MMIO exit, the registers vmd emulated the instruction
//!    with); the exit record is cleared; an interrupt window requested
//!    for an interrupt vmd no longer asserts is cancelled;
//! 2. until the run ends: when the CPU is not held, the pvclock page is
//!    updated and the CPU prepared (it may have changed); vmd's event is
//!    injected if the guest can take it; the CPU is taken for the guest
//!    (the guest's FPU state, XCR0 and PKRU in, interrupts or GIF off) and
//!    published for the IPI kick ([`take_cpu`]) unless still held from
//!    the last exit; the guest runs; an exit the kernel handles without
//!    leaving (CPUID, most MSRs, the interrupt window) keeps the CPU, with
//!    the host's interrupt window after it, anything else gives it back
//!    first; the exit is handled; whether the guest can take an interrupt
//!    (irqready) is read, and if vmd's interrupt waits for it the
//!    interrupt window is requested; [`after_exit`] decides whether the
//!    run ends (to vmd with the exit, with `VM_EXIT_NONE` for a signal,
//!    a stop request or the scheduler, or failing the vcpu);
//! 3. the CPU is given back if still held, and the registers go into the
//!    exit record.

use core::sync::atomic::Ordering;

use vmm_abi::{vcpu_inject_event, vcpu_reg_state, vm_exit, VCPU_REGS_RIP, VEI_DIR_IN};
use vmm_core::{RunCheck, RunRequest};
use vmm_kernel::mem::PmapBox;
use vmm_kernel::{KResult, KernelAmd64};

use crate::exitpolicy::{after_exit, give_cpu, read_vei, take_cpu, Next};
use crate::pvclock::{self, PvClock};

/// The kind of the vcpu's last exit, for applying vmd's answer to it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum LastExit {
    /// Port I/O: vmd emulated it; an IN's data goes into RAX.
    Io,
    /// MMIO (nested page fault or EPT violation in an MMIO range): vmd
    /// emulated the instruction on the registers it hands back.
    Mmio,
    /// Anything else (or none): nothing to apply.
    Other,
}

/// What a backend does for the shared run loop.  Each method is one
/// hardware-specific step of [`run`]; the order and every decision are
/// the loop's.
pub(crate) trait VendorRun<K: KernelAmd64> {
    /// The backend's proof that the guest's state is loaded and the CPU
    /// taken (interrupts or GIF off).
    type Live;
    /// What an exit is known by until it is handled.
    type Exit: Copy;

    /// The kind of the last exit (the one vmd may be answering).
    fn last_exit(&self) -> LastExit;
    /// The guest's RAX.
    fn rax(&self) -> u64;
    /// Sets the guest's RAX.
    fn set_rax(&mut self, v: u64);
    /// Sets the guest's RIP.
    fn set_rip(&mut self, v: u64) -> KResult;
    /// Loads the general registers (and RIP, RSP, RFLAGS) from `vrs`.
    fn set_gprs(&mut self, vrs: &vcpu_reg_state) -> KResult;
    /// Stops asking for an exit when the guest can take an interrupt.
    fn cancel_window(&mut self) -> KResult;
    /// The pmap the pvclock page is written through.
    fn pmap(&self) -> &PmapBox<K>;
    /// Prepares this CPU for the guest when the CPU is not held: `false`
    /// if the loop must look at the CPU again (a page was allocated,
    /// which may have slept and migrated the thread).
    fn prepare_cpu(&mut self) -> KResult<bool>;
    /// Delivers vmd's pending event `ev` if the guest can take it now.
    fn inject(&mut self, ev: &mut vcpu_inject_event) -> KResult;
    /// Takes the CPU for the guest: interrupts or GIF off, the guest's
    /// FPU state and XCR0 in, IBPB if another vcpu ran here last.
    fn load(&mut self) -> KResult<Self::Live>;
    /// The CPU taken.
    fn cpu(&self) -> u32;
    /// Runs the guest to its next exit and reads what every exit needs.
    fn enter(&mut self, live: &Self::Live) -> KResult<Self::Exit>;
    /// Whether the kernel handles `exit` without giving the CPU back.
    fn stays(&self, exit: Self::Exit) -> bool;
    /// The host's interrupt window after an exit that keeps the CPU.
    fn window(live: &Self::Live);
    /// After `enter` failed and the CPU was given back: says why.
    fn entry_error(&mut self) {}
    /// Gives the CPU back: the guest's FPU state out, the host's in,
    /// interrupts or GIF as before.
    fn leave(&mut self, live: Self::Live);
    /// Handles the exit just read.
    fn handle_exit(
        &mut self,
        x: Self::Exit,
        exit: &mut vm_exit,
        ev: &mut vcpu_inject_event,
        pv: &PvClock<'_>,
    ) -> KResult<Next>;
    /// After an exit: whether the guest can take an interrupt now; the
    /// backend keeps it for the run's result and for `inject`.
    fn update_irqready(&mut self) -> bool;
    /// Asks for an exit as soon as the guest can take an interrupt.
    fn request_window(&mut self) -> KResult;
    /// The exit reason vmd is told.
    fn exit_reason(x: Self::Exit) -> u16;
    /// The registers and CPL into vmd's exit record.
    fn finish(&mut self, exit: &mut vm_exit) -> KResult;
}

/// One `VMM_IOC_RUN` of the vcpu behind `v` (see the module comment):
/// the exit reason for vmd (`None`: `VM_EXIT_NONE`).
#[inline(always)]
pub(crate) fn run<K: KernelAmd64, V: VendorRun<K>>(
    k: &K,
    v: &mut V,
    req: RunRequest<'_>,
    check: impl Fn() -> RunCheck,
) -> KResult<Option<u16>> {
    req.intr
        .store(u16::from(req.intr_pending), Ordering::Release);

    // vmd's answer to the previous exit.
    match v.last_exit() {
        LastExit::Io => {
            if let Some(vei) = read_vei(req.exit) {
                if u32::from(vei.vei_dir) == VEI_DIR_IN {
                    let rax = crate::vmx::vmcs::io_in_result(v.rax(), vei.vei_data, vei.vei_size);
                    v.set_rax(rax);
                }
            }
            let rip = req
                .exit
                .vrs
                .vrs_gprs
                .get(VCPU_REGS_RIP)
                .copied()
                .unwrap_or(0);
            v.set_rip(rip)?;
        }
        LastExit::Mmio => {
            let vrs = req.exit.vrs;
            v.set_gprs(&vrs)?;
        }
        LastExit::Other => {}
    }
    crate::exitpolicy::clear_exit_info(req.exit);
    if !req.intr_pending {
        v.cancel_window()?;
    }

    let pv = PvClock {
        gpa: req.pvclock_gpa,
        version: req.pvclock_version,
    };
    // Some while the CPU is taken for the guest, across the exits that go
    // straight back to it; the CPU is published in `req.curcpu` for as
    // long.
    let mut live: Option<V::Live> = None;
    // `req.intr` as the loop last looked at it (see `take_cpu`).
    let mut intr_seen = req.intr_pending;
    let result = loop {
        if live.is_none() {
            // Not while live: the update writes guest memory through the
            // pmap.  A live stretch ends at every exit but CPUID, the
            // interrupt window and most MSRs, and with the run (when the
            // scheduler wants the CPU at the latest).
            pvclock::update(k, v.pmap(), &pv);
            match v.prepare_cpu() {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => break Err(e),
            }
        }
        if let Err(e) = v.inject(req.inject) {
            break Err(e);
        }
        let l = match &live {
            Some(l) => l,
            None => match v.load() {
                Ok(l) => {
                    take_cpu(k, req.curcpu, v.cpu(), req.intr, intr_seen, &check);
                    live.insert(l)
                }
                Err(e) => break Err(e),
            },
        };
        let entered = v.enter(l);
        if entered.as_ref().is_ok_and(|x| v.stays(*x)) {
            // The host's interrupts first, then the exit and `check()`.
            V::window(l);
        } else if let Some(l) = live.take() {
            give_cpu(req.curcpu);
            v.leave(l);
        }
        let x = match entered {
            Ok(x) => x,
            Err(e) => {
                v.entry_error();
                break Err(e);
            }
        };
        let next = v.handle_exit(x, req.exit, req.inject, &pv);
        let irqready = v.update_irqready();
        let intr = req.intr.load(Ordering::Acquire) != 0;
        intr_seen = intr;
        if !irqready && intr {
            // Exit as soon as the guest can take the interrupt.
            if let Err(e) = v.request_window() {
                break Err(e);
            }
        }
        if let Some(end) = after_exit(next, V::exit_reason(x), intr, irqready, &check) {
            break end;
        }
    };
    if let Some(l) = live.take() {
        give_cpu(req.curcpu);
        v.leave(l);
    }
    let exit_reason = result?;
    v.finish(req.exit)?;
    Ok(exit_reason)
}

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
                    let rax = crate::gstate::io_in_result(v.rax(), vei.vei_data, vei.vei_size);
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
        LastExit::Mmio => v.set_gprs(&req.exit.vrs)?,
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

#[cfg(test)]
mod tests {
    //! The loop's interrupt-window decisions (README difference 38),
    //! driven through a scripted backend that records what it is asked.
    extern crate std;
    use super::*;
    use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU64};
    use std::vec;
    use std::vec::Vec;
    use vmm_abi::VCPU_INJECT_NONE;
    use vmm_core::NOCPU;
    use vmm_kernel::pod::zeroed;
    use vmm_kernel::Errno;
    use vmm_testkit::HostKernel;

    /// Exit reasons as VMX numbers them.
    const CPUID: u16 = 10;
    const INT_WINDOW: u16 = 7;
    const IO: u16 = 30;

    /// One scripted exit.
    #[derive(Clone, Copy)]
    struct Step {
        reason: u16,
        /// The handler returns to vmd (else it resumes the guest).
        to_vmd: bool,
        /// Whether the guest can take an interrupt after it.
        irqready: bool,
        /// vmd's interrupt line as `VMM_IOC_INTR` set it while the guest
        /// ran up to this exit (`None`: unchanged).
        intr: Option<u16>,
    }

    const fn step(reason: u16, to_vmd: bool, irqready: bool) -> Step {
        Step {
            reason,
            to_vmd,
            irqready,
            intr: None,
        }
    }

    /// A backend whose guest exits as `steps` say.
    struct Fake<'a> {
        pm: PmapBox<HostKernel>,
        intr: &'a AtomicU16,
        steps: Vec<Step>,
        irqready: bool,
        /// Whether an interrupt window is requested (the VMCS control).
        window: bool,
        log: Vec<&'static str>,
    }

    impl VendorRun<HostKernel> for Fake<'_> {
        type Live = ();
        type Exit = Step;

        fn last_exit(&self) -> LastExit {
            LastExit::Other
        }
        fn rax(&self) -> u64 {
            0
        }
        fn set_rax(&mut self, _: u64) {}
        fn set_rip(&mut self, _: u64) -> KResult {
            Ok(())
        }
        fn set_gprs(&mut self, _: &vcpu_reg_state) -> KResult {
            Ok(())
        }
        fn cancel_window(&mut self) -> KResult {
            self.log.push("cancel_window");
            self.window = false;
            Ok(())
        }
        fn pmap(&self) -> &PmapBox<HostKernel> {
            &self.pm
        }
        fn prepare_cpu(&mut self) -> KResult<bool> {
            Ok(true)
        }
        fn inject(&mut self, _: &mut vcpu_inject_event) -> KResult {
            Ok(())
        }
        fn load(&mut self) -> KResult<()> {
            Ok(())
        }
        fn cpu(&self) -> u32 {
            0
        }
        fn enter(&mut self, _: &()) -> KResult<Step> {
            self.log.push("enter");
            if self.steps.is_empty() {
                // The script ran out: the loop went on where it should
                // have returned.
                return Err(Errno::EIO);
            }
            let s = self.steps.remove(0);
            if let Some(v) = s.intr {
                self.intr.store(v, Ordering::SeqCst);
            }
            Ok(s)
        }
        fn stays(&self, x: Step) -> bool {
            x.reason != IO
        }
        fn window(_: &()) {}
        fn leave(&mut self, _: ()) {}
        fn handle_exit(
            &mut self,
            x: Step,
            _: &mut vm_exit,
            _: &mut vcpu_inject_event,
            _: &PvClock<'_>,
        ) -> KResult<Next> {
            if x.reason == INT_WINDOW {
                // As VMX's handler: the window did its job.
                self.window = false;
            }
            self.irqready = x.irqready;
            Ok(if x.to_vmd { Next::ToVmd } else { Next::Resume })
        }
        fn update_irqready(&mut self) -> bool {
            self.irqready
        }
        fn request_window(&mut self) -> KResult {
            self.log.push("request_window");
            self.window = true;
            Ok(())
        }
        fn exit_reason(x: Step) -> u16 {
            x.reason
        }
        fn finish(&mut self, _: &mut vm_exit) -> KResult {
            Ok(())
        }
    }

    struct World {
        k: HostKernel,
        intr: AtomicU16,
        curcpu: AtomicU32,
        gpa: AtomicU64,
        version: AtomicU32,
    }

    impl World {
        fn new() -> Self {
            World {
                k: HostKernel::new(),
                intr: AtomicU16::new(0),
                curcpu: AtomicU32::new(NOCPU),
                gpa: AtomicU64::new(0),
                version: AtomicU32::new(0),
            }
        }

        fn fake(&self) -> Option<Fake<'_>> {
            Some(Fake {
                pm: PmapBox::create(self.k)?,
                intr: &self.intr,
                steps: Vec::new(),
                irqready: false,
                window: false,
                log: Vec::new(),
            })
        }

        /// One RUN of `v` through `steps`, vmd's `intr_pending` as given.
        fn run(
            &self,
            v: &mut Fake<'_>,
            intr_pending: bool,
            steps: &[Step],
        ) -> KResult<Option<u16>> {
            v.steps = steps.to_vec();
            v.log.clear();
            let mut exit = zeroed::<vm_exit>();
            let mut inject = vcpu_inject_event {
                vie_vector: 0,
                vie_errorcode: 0,
                vie_type: VCPU_INJECT_NONE as u8,
            };
            let req = RunRequest {
                exit: &mut exit,
                inject: &mut inject,
                intr_pending,
                intr: &self.intr,
                curcpu: &self.curcpu,
                pvclock_gpa: &self.gpa,
                pvclock_version: &self.version,
                ranges: &[],
            };
            super::run(&self.k, v, req, || RunCheck::Go)
        }
    }

    #[test]
    fn a_run_without_an_interrupt_pending_cancels_the_window() {
        let w = World::new();
        let v = w.fake();
        assert!(v.is_some(), "no pmap");
        let Some(mut v) = v else { return };
        // vmd's interrupt, the guest cannot take it yet: the window is
        // requested, then an I/O exit goes to vmd.
        assert_eq!(w.run(&mut v, true, &[step(IO, true, false)]), Ok(Some(IO)));
        assert_eq!(v.log, vec!["enter", "request_window"]);
        assert!(v.window);
        // vmd still asserts it: the window stays.
        assert_eq!(w.run(&mut v, true, &[step(IO, true, false)]), Ok(Some(IO)));
        assert!(!v.log.contains(&"cancel_window"), "{:?}", v.log);
        assert!(v.window);
        // vmd withdrew it: the window is cancelled before the guest runs.
        assert_eq!(w.run(&mut v, false, &[step(IO, true, false)]), Ok(Some(IO)));
        assert_eq!(v.log, vec!["cancel_window", "enter"]);
        assert!(!v.window);
    }

    #[test]
    fn an_interrupt_window_exit_returns_to_vmd_only_while_vmd_asserts_its_interrupt() {
        // vmd asserts its interrupt throughout: the window exit goes to
        // vmd (the guest can take it now).
        let w = World::new();
        let v = w.fake();
        assert!(v.is_some(), "no pmap");
        let Some(mut v) = v else { return };
        let script = [step(CPUID, false, false), step(INT_WINDOW, false, true)];
        assert_eq!(w.run(&mut v, true, &script), Ok(Some(INT_WINDOW)));
        assert_eq!(v.log, vec!["enter", "request_window", "enter"]);

        // vmd withdrew it while the guest ran towards the window exit:
        // the guest goes on, to the next exit vmd must see.
        let w = World::new();
        let v = w.fake();
        assert!(v.is_some(), "no pmap");
        let Some(mut v) = v else { return };
        let mut withdrawn = step(INT_WINDOW, false, true);
        withdrawn.intr = Some(0);
        let script = [step(CPUID, false, false), withdrawn, step(IO, true, true)];
        assert_eq!(w.run(&mut v, true, &script), Ok(Some(IO)));
        assert_eq!(v.log, vec!["enter", "request_window", "enter", "enter"]);

        // The same with the interrupt still asserted at the guest's next
        // exit after the window: any exit after which the guest can take
        // it goes to vmd, not only the window's.
        let w = World::new();
        let v = w.fake();
        assert!(v.is_some(), "no pmap");
        let Some(mut v) = v else { return };
        let script = [step(CPUID, false, false), step(CPUID, false, true)];
        assert_eq!(w.run(&mut v, true, &script), Ok(Some(CPUID)));
    }
}

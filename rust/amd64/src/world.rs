//! The world switch's software half, one for both backends: the host
//! state a guest can change that the CPU does not switch by itself, owned
//! per vcpu ([`GuestWorld`]), and the order in which it is swapped.
//!
//! A run takes the CPU for the guest in stretches (see the backends'
//! `Live`): interrupts (VMX) or GIF (SVM) off, then
//!
//! 1. [`GuestWorld::load`], once per stretch: the thread's user FPU state
//!    saved, the guest's FPU/XSAVE state and XCR0 loaded (the kernel's
//!    `fpu_enter_guest`), IBPB if another vcpu ran here last, then the
//!    host's PKRU saved and the guest's loaded.  PKRU after the FPU load,
//!    because an XRSTOR whose mask covers PKRU (a kernel that kept PKRU in
//!    its XSAVE state) would load PKRU from the area;
//! 2. the entries and the exits the kernel handles without leaving (the
//!    world switch proper, in the backends' `switch.rs`);
//! 3. [`GuestWorld::leave`], once per stretch: the guest's PKRU saved and
//!    the host's loaded (before the FPU save, for the same reason), then
//!    the guest's FPU state and XCR0 saved and the host's XCR0 back
//!    (`fpu_exit_guest`).
//!
//! PKRU is part of the guest state a stretch keeps loaded, as its FPU
//! state and XCR0 are: upstream swaps it around every entry, here the
//! host's is back before anything but the run loop's own code and the
//! host's interrupt handlers in the one-instruction window after an
//! in-kernel exit run (README, differences 29 and 32).  Protection keys
//! govern only data accesses to user pages, which no interrupt handler
//! makes; the kernel checks PKRU (`verify_pkru`) only on entries from
//! user mode, long after the stretch ended.
//!
//! The rest of the host state a guest can change, and who switches it or
//! keeps it out of the guest's reach, is listed in [`HOST_STATE`] (the
//! tests check the backends' MSR policies against it).

use vmm_kernel::mem::PoolBox;
use vmm_kernel::{Errno, KResult, KernelAmd64, PoolId};

use crate::gstate::FpuArea;
use crate::insn::{msr, Pke};

/// The CPU operations the switch is made of: the kernel's and this CPU's
/// ([`Hw`]), or a model of them in the tests.
pub(crate) trait SwitchCpu {
    /// Saves the thread's user FPU state if live, loads the guest's from
    /// `area` if `loaded`, then the guest's `xcr0`.
    ///
    /// # Safety
    /// Interrupts (or GIF) are off and stay off until
    /// [`SwitchCpu::fpu_exit`]: the CPU's FPU state and XCR0 are the
    /// guest's until then (the kernel's `fpu_enter_guest`).
    unsafe fn fpu_enter(&self, area: &mut FpuArea, loaded: bool, xcr0: u64) -> KResult;
    /// Saves the guest's FPU state into `area`, returns its XCR0 and puts
    /// the host's back.
    ///
    /// # Safety
    /// Follows a successful [`SwitchCpu::fpu_enter`] with interrupts (or
    /// GIF) off since.
    unsafe fn fpu_exit(&self, area: &mut FpuArea) -> u64;
    /// Flushes indirect branch predictions.
    fn ibpb(&self);
    /// PKRU, if the host uses protection keys (CR4.PKE); `None` if not.
    fn pkru(&self) -> Option<u32>;
    /// Loads PKRU; only called when [`SwitchCpu::pkru`] gave `Some`.
    fn set_pkru(&self, v: u32);
}

/// [`SwitchCpu`] on the real CPU with the kernel's FPU services.
pub(crate) struct Hw<'a, K: KernelAmd64> {
    k: &'a K,
    pke: Option<Pke>,
}

impl<'a, K: KernelAmd64> Hw<'a, K> {
    /// The switch for a backend that found `pke` at attach.
    #[inline(always)]
    pub(crate) fn new(k: &'a K, pke: Option<Pke>) -> Self {
        Hw { k, pke }
    }
}

impl<K: KernelAmd64> SwitchCpu for Hw<'_, K> {
    #[inline(always)]
    unsafe fn fpu_enter(&self, area: &mut FpuArea, loaded: bool, xcr0: u64) -> KResult {
        // SAFETY: the caller keeps interrupts or GIF off until `fpu_exit`;
        // an `FpuArea` is 64-byte aligned.
        unsafe { self.k.fpu_enter_guest(&mut area.0, loaded, xcr0) }
    }
    #[inline(always)]
    unsafe fn fpu_exit(&self, area: &mut FpuArea) -> u64 {
        // SAFETY: the caller's `fpu_enter` succeeded with interrupts or GIF
        // off since; an `FpuArea` is 64-byte aligned.
        unsafe { self.k.fpu_exit_guest(&mut area.0) }
    }
    #[inline(always)]
    fn ibpb(&self) {
        crate::vmx::switch::ibpb();
    }
    #[inline(always)]
    fn pkru(&self) -> Option<u32> {
        self.pke.map(Pke::read)
    }
    #[inline(always)]
    fn set_pkru(&self, v: u32) {
        if let Some(p) = self.pke {
            p.write(v);
        }
    }
}

/// The guest's half of the software-switched host state: its FPU/XSAVE
/// area and its PKRU.  (Its XCR0 stays in `GuestState`, where the
/// register ioctls find it.)
pub(crate) struct GuestWorld<K: KernelAmd64> {
    /// The guest's FPU/XSAVE area (a pool object: 3 KiB is too much for
    /// the kernel stack).
    fpu: PoolBox<K, FpuArea>,
    /// Whether `fpu` holds a state (false until the first exit).
    fpu_loaded: bool,
    /// The guest's PKRU (0 at reset, as on the CPU); only switched when
    /// the host uses protection keys, and only then can the guest set
    /// CR4.PKE and see PKU in CPUID.
    pkru: u32,
    /// The host's PKRU while a stretch holds the guest's loaded (`Some`
    /// only between `load` and `leave`, and only when the host uses
    /// protection keys).
    host_pkru: Option<u32>,
}

impl<K: KernelAmd64> GuestWorld<K> {
    /// A new vcpu's: no FPU state yet, PKRU 0.
    pub(crate) fn new(k: K) -> KResult<Self> {
        Ok(GuestWorld {
            fpu: PoolBox::zeroed(k, PoolId::VcpuFpu).ok_or(Errno::ENOMEM)?,
            fpu_loaded: false,
            pkru: 0,
            host_pkru: None,
        })
    }

    /// RESETCPU: PKRU as after RESET (the FPU state is the guest's to
    /// initialise, as upstream leaves it).
    pub(crate) fn reset(&mut self) {
        self.pkru = 0;
    }

    /// The guest's PKRU as of its last exit.
    #[cfg(test)]
    pub(crate) fn pkru(&self) -> u32 {
        self.pkru
    }

    /// Step 1: the guest's FPU state and `xcr0` in, IBPB if `ibpb`, then
    /// the guest's PKRU.  On error the host FPU state and PKRU are intact.
    ///
    /// # Safety
    /// Interrupts (or GIF) are off and stay off until [`GuestWorld::leave`]
    /// (nothing of the host may run with the guest's FPU state, XCR0 and
    /// PKRU loaded).
    #[inline(always)]
    pub(crate) unsafe fn load<C: SwitchCpu>(&mut self, c: &C, xcr0: u64, ibpb: bool) -> KResult {
        // SAFETY: the caller keeps interrupts or GIF off until `leave`.
        unsafe { c.fpu_enter(&mut self.fpu, self.fpu_loaded, xcr0) }?;
        if ibpb {
            c.ibpb();
        }
        self.host_pkru = c.pkru();
        if self.host_pkru.is_some() {
            c.set_pkru(self.pkru);
        }
        Ok(())
    }

    /// Step 3: the guest's PKRU kept and the host's back, then the
    /// guest's FPU state saved, its XCR0 returned and the host's back.
    ///
    /// # Safety
    /// Follows a successful [`GuestWorld::load`] with interrupts (or GIF)
    /// off since.
    #[inline(always)]
    pub(crate) unsafe fn leave<C: SwitchCpu>(&mut self, c: &C) -> u64 {
        if let Some(host) = self.host_pkru.take() {
            if let Some(guest) = c.pkru() {
                self.pkru = guest;
            }
            c.set_pkru(host);
        }
        // SAFETY: the caller's `load` succeeded with interrupts or GIF off
        // since.
        let xcr0 = unsafe { c.fpu_exit(&mut self.fpu) };
        self.fpu_loaded = true;
        xcr0
    }
}

/// How one piece of host state a guest can change is kept from the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Swapped in software by this module ([`GuestWorld`]).
    Software,
    /// Swapped by the CPU's world switch (VMRUN/#VMEXIT with VMSAVE/
    /// VMLOAD of a per-CPU page; the VMCS guest and host areas and the
    /// MSR load/store areas).
    Hardware,
    /// Not switched: the guest cannot reach it (the instruction or MSR
    /// access is intercepted and emulated, or the feature is hidden from
    /// the guest and refused).
    Unreachable,
    /// Not switched and reachable, but without effect on the host (it is
    /// disabled or reloaded before the host could use it).
    Inert,
}

/// One line of [`HOST_STATE`].
#[derive(Clone, Copy, Debug)]
pub struct HostStateItem {
    /// What.
    pub what: &'static str,
    /// The MSRs it is made of (empty for registers).
    pub msrs: &'static [u32],
    /// On SVM.
    pub svm: Kept,
    /// On VMX.
    pub vmx: Kept,
}

/// Every piece of host state a guest can change, and how each backend
/// keeps it the host's.  `rust/amd64/tests/world_state.rs` checks the MSR
/// policies of both backends against it: an MSR the guest may read or
/// write directly must be one that is switched here.
pub const HOST_STATE: &[HostStateItem] = &[
    HostStateItem {
        what: "FPU/SSE/AVX state and XCR0",
        msrs: &[],
        svm: Kept::Software,
        vmx: Kept::Software,
    },
    HostStateItem {
        what: "PKRU (when the host has CR4.PKE; else the guest cannot set CR4.PKE on VMX and sees no PKU)",
        msrs: &[],
        svm: Kept::Software,
        vmx: Kept::Software,
    },
    HostStateItem {
        what: "EFER",
        msrs: &[msr::EFER],
        svm: Kept::Hardware,
        vmx: Kept::Hardware,
    },
    HostStateItem {
        what: "FS/GS bases, KernelGSbase",
        msrs: &[msr::FSBASE, msr::GSBASE, msr::KERNELGSBASE],
        svm: Kept::Hardware,
        vmx: Kept::Hardware,
    },
    HostStateItem {
        what: "STAR, LSTAR, CSTAR, SFMASK",
        msrs: &[msr::STAR, msr::LSTAR, msr::CSTAR, msr::SFMASK],
        svm: Kept::Hardware,
        vmx: Kept::Hardware,
    },
    HostStateItem {
        what: "SYSENTER_CS/ESP/EIP",
        msrs: &[msr::SYSENTER_CS, msr::SYSENTER_ESP, msr::SYSENTER_EIP],
        svm: Kept::Hardware,
        vmx: Kept::Hardware,
    },
    HostStateItem {
        what: "PAT (accesses exit: the guest's is a shadow; the CPU loads a fixed guest PAT and the host's back)",
        msrs: &[msr::PAT],
        svm: Kept::Hardware,
        vmx: Kept::Hardware,
    },
    HostStateItem {
        what: "IA32_FEATURE_CONTROL (passed through; read-only once locked, which VMXON needs; AMD CPUs have none)",
        msrs: &[msr::FEATURE_CONTROL],
        svm: Kept::Inert,
        vmx: Kept::Inert,
    },
    HostStateItem {
        what: "TSC (reads pass; writes exit and are dropped)",
        msrs: &[msr::TSC],
        svm: Kept::Unreachable,
        vmx: Kept::Unreachable,
    },
    HostStateItem {
        what: "SEV_STATUS (passed through on SVM; read-only)",
        msrs: &[msr::SEV_STATUS],
        svm: Kept::Inert,
        vmx: Kept::Unreachable,
    },
    HostStateItem {
        what: "HWCR, P-state 0 (reads pass on SVM; writes exit and are dropped)",
        msrs: &[msr::HWCR, msr::PSTATE_DEF0],
        svm: Kept::Unreachable,
        vmx: Kept::Unreachable,
    },
    HostStateItem {
        what: "DR0-DR3, DR6 (the guest's stay loaded; DR7 is the host's after every exit, so they break nowhere)",
        msrs: &[],
        svm: Kept::Inert,
        vmx: Kept::Inert,
    },
    HostStateItem {
        what: "DR7, CR0, CR3, CR4, GDTR, IDTR, TR, LDTR, segment registers",
        msrs: &[],
        svm: Kept::Hardware,
        vmx: Kept::Hardware,
    },
    HostStateItem {
        what: "CR2 (the guest's stays; the host sets its own at each page fault)",
        msrs: &[],
        svm: Kept::Inert,
        vmx: Kept::Inert,
    },
    HostStateItem {
        what: "CET state (S_CET, SSP, the SSP table): IBT and shadow stacks hidden, CR4.CET refused on VMX",
        msrs: &[msr::S_CET, msr::PL0_SSP, msr::ISST],
        svm: Kept::Unreachable,
        vmx: Kept::Unreachable,
    },
    HostStateItem {
        what: "Every other MSR (RDMSR #GP or emulated, WRMSR emulated or dropped)",
        msrs: &[],
        svm: Kept::Unreachable,
        vmx: Kept::Unreachable,
    },
];

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::cell::RefCell;
    use std::vec;
    use std::vec::Vec;
    use vmm_kernel::Kernel;
    use vmm_testkit::HostKernel;

    /// A model of the CPU: PKRU, XCR0, and a kernel whose XSAVE mask may
    /// cover PKRU (then its XRSTOR/XSAVE load and store PKRU too).
    struct Model {
        pkru: RefCell<u32>,
        host_pkru: u32,
        xsave_covers_pkru: bool,
        /// The PKRU an XRSTOR of the guest's area loads (what its XSAVE
        /// stored last).
        area_pkru: RefCell<u32>,
        log: RefCell<Vec<&'static str>>,
        pke: bool,
    }

    impl Model {
        fn new(pke: bool, xsave_covers_pkru: bool) -> Self {
            Model {
                pkru: RefCell::new(0xffff_fffc),
                host_pkru: 0xffff_fffc,
                xsave_covers_pkru,
                area_pkru: RefCell::new(0),
                log: RefCell::new(Vec::new()),
                pke,
            }
        }
        /// The guest runs and writes `v` into PKRU (WRPKRU in the guest).
        fn guest_writes(&self, v: u32) {
            self.log.borrow_mut().push("guest");
            *self.pkru.borrow_mut() = v;
        }
        fn guest_reads(&self) -> u32 {
            *self.pkru.borrow()
        }
    }

    impl SwitchCpu for Model {
        unsafe fn fpu_enter(&self, _: &mut FpuArea, loaded: bool, _: u64) -> KResult {
            self.log.borrow_mut().push("fpu_enter");
            if loaded && self.xsave_covers_pkru {
                *self.pkru.borrow_mut() = *self.area_pkru.borrow();
            }
            Ok(())
        }
        unsafe fn fpu_exit(&self, _: &mut FpuArea) -> u64 {
            self.log.borrow_mut().push("fpu_exit");
            if self.xsave_covers_pkru {
                *self.area_pkru.borrow_mut() = *self.pkru.borrow();
                *self.pkru.borrow_mut() = self.host_pkru;
            }
            1
        }
        fn ibpb(&self) {
            self.log.borrow_mut().push("ibpb");
        }
        fn pkru(&self) -> Option<u32> {
            self.pke.then(|| *self.pkru.borrow())
        }
        fn set_pkru(&self, v: u32) {
            self.log.borrow_mut().push("set_pkru");
            *self.pkru.borrow_mut() = v;
        }
    }

    /// Two stretches of two entries each; the guest writes PKRU in the
    /// first entry and reads it in every later one.
    fn run(m: &Model) -> Vec<u32> {
        let k = HostKernel::new();
        k.pool_init(PoolId::VcpuFpu, 3072, 64, c"vcpufpu");
        let w = GuestWorld::new(k);
        assert!(w.is_ok(), "no pool object");
        let Ok(mut w) = w else { return Vec::new() };
        let mut seen = Vec::new();
        for stretch in 0..2 {
            // SAFETY: the model has no FPU or interrupts to keep off.
            assert_eq!(unsafe { w.load(m, 1, stretch == 0) }, Ok(()));
            for entry in 0..2 {
                if stretch == 0 && entry == 0 {
                    m.guest_writes(0x1234_5678);
                } else {
                    seen.push(m.guest_reads());
                }
            }
            // SAFETY: as for `load`.
            assert_eq!(unsafe { w.leave(m) }, 1);
            // Whatever runs after the stretch sees the host's PKRU.
            assert_eq!(*m.pkru.borrow(), m.host_pkru, "host PKRU after a stretch");
        }
        seen
    }

    #[test]
    fn pkru_is_the_hosts_after_every_stretch_and_the_guests_in_it() {
        for covers in [false, true] {
            let m = Model::new(true, covers);
            assert_eq!(run(&m), vec![0x1234_5678; 3], "xsave covers PKRU: {covers}");
            assert_eq!(m.guest_reads(), m.host_pkru);
            assert_eq!(
                m.log.borrow().get(..6),
                Some(
                    &[
                        "fpu_enter",
                        "ibpb",
                        "set_pkru",
                        "guest",
                        "set_pkru",
                        "fpu_exit"
                    ][..]
                ),
                "FPU, IBPB, then PKRU; PKRU back before the FPU save"
            );
        }
    }

    #[test]
    fn without_pke_pkru_is_left_alone() {
        let k = HostKernel::new();
        k.pool_init(PoolId::VcpuFpu, 3072, 64, c"vcpufpu");
        let m = Model::new(false, false);
        let w = GuestWorld::new(k);
        assert!(w.is_ok(), "no pool object");
        let Ok(mut w) = w else { return };
        // SAFETY: the model has no FPU or interrupts to keep off.
        assert_eq!(unsafe { w.load(&m, 1, false) }, Ok(()));
        // SAFETY: as for `load`.
        assert_eq!(unsafe { w.leave(&m) }, 1);
        assert_eq!(*m.log.borrow(), ["fpu_enter", "fpu_exit"]);
    }

    #[test]
    fn reset_gives_pkru_zero() {
        let k = HostKernel::new();
        k.pool_init(PoolId::VcpuFpu, 3072, 64, c"vcpufpu");
        let m = Model::new(true, false);
        let w = GuestWorld::new(k);
        assert!(w.is_ok(), "no pool object");
        let Ok(mut w) = w else { return };
        // SAFETY: the model has no FPU or interrupts to keep off.
        assert_eq!(unsafe { w.load(&m, 1, false) }, Ok(()));
        m.guest_writes(7);
        // SAFETY: as for `load`.
        let _ = unsafe { w.leave(&m) };
        assert_eq!(w.pkru(), 7);
        w.reset();
        assert_eq!(w.pkru(), 0);
    }
}

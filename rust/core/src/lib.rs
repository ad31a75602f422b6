//! The machine-independent vmm(4) driver.
//!
//! A port of OpenBSD's `sys/dev/vmm/vmm.c` (rev 1.10) plus the parts of
//! `vmm_machdep.c` that are the same for every vendor (`vm_run`'s frame,
//! register and parameter ioctls, `VMM_IOC_INTR`, start/stop around the
//! first and last VM).  Each function keeps its upstream name in its
//! documentation, and the same checks, locks, reference-count steps and
//! errno values, except where "Differences from the C driver" in README.md
//! says otherwise.
//!
//! The driver is generic over the kernel ([`vmm_kernel::Kernel`]) and the
//! machine-dependent backend ([`Backend`]).  Its only `unsafe` is in
//! `place`: the VM and vcpu objects written field by field into their
//! pool objects, so that they never pass through the kernel stack.

#![no_std]
#![deny(unsafe_code)]

pub mod backend;
mod create;
mod ops;
mod place;
mod run;
pub mod vm;

use core::ffi::CStr;
use core::sync::atomic::{AtomicBool, Ordering};

use vmm_abi::ioctl::*;
use vmm_abi::{
    vm_create_params, vm_info_params, vm_intr_params, vm_resetcpu_params, vm_run_params,
    vm_rwregs_params, vm_rwvmparams_params, vm_sharemem_params, vm_terminate_params,
};
use vmm_kernel::pod::{from_bytes_mut, Pod};
use vmm_kernel::sync::{RefCount, RwLock};
use vmm_kernel::{pledge, Caller, Errno, KResult, Kernel};

pub use backend::{Backend, Mode, RunCheck, RunExit, RunRequest};
pub use ops::pvclock_gpa_valid;
pub use vm::{Vcpu, Vm, VmList, VmRef, NOCPU};

/// Device activation events (`DVACT_*`) the driver acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activate {
    /// Suspend: block new ioctls, wait for running ones, stop the CPUs.
    Quiesce,
    /// Resume: restart the CPUs if VMs exist, let ioctls in again.
    Wakeup,
}

/// `sc_status`: whether ioctls may proceed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Suspended,
    Active,
}

/// The driver instance (`struct vmm_softc`).
pub struct Vmm<K: Kernel, B: Backend<K>> {
    k: K,
    backend: B,
    /// `sc_slock` and `sc_status`: the suspend barrier.
    slock: RwLock<K, Status>,
    /// `sc_status == VMM_ACTIVE`, written with it (under `slock`), read
    /// without the lock on the way into an ioctl ([`Vmm::enter`]).
    active: AtomicBool,
    /// `sc_refcnt`: ioctls in flight.
    refcnt: RefCount<K>,
    /// A suspend is waiting for the ioctls in flight: running vcpus
    /// return to vmd at their next exit (not in upstream).
    quiescing: AtomicBool,
    /// `vm_lock` and the list it protects.
    vms: RwLock<K, VmList<K, B>>,
    /// `vcpu_max` [I].
    vcpu_max: usize,
}

impl<K: Kernel, B: Backend<K>> Vmm<K, B> {
    /// `vmm_attach`: a driver around `backend`, whose reference count and
    /// pools [`Vmm::init`] sets up once it is at its final address.
    /// `None` if the VM table cannot be allocated.
    pub fn new(k: K, backend: B) -> Option<Self> {
        Some(Vmm {
            k,
            backend,
            slock: RwLock::new(k, Status::Active, c"vmmslk"),
            active: AtomicBool::new(true),
            refcnt: RefCount::new(k),
            quiescing: AtomicBool::new(false),
            vms: RwLock::new(k, VmList::new(k)?, c"vm_list"),
            vcpu_max: vmm_abi::VMM_MAX_VCPUS as usize,
        })
    }

    /// Second half of `vmm_attach`, in place: the reference count and the
    /// pools.
    pub fn init(&self) {
        self.refcnt.init();
        vm::init_pools::<K, B>(self.k);
    }

    /// The kernel services.
    pub fn kernel(&self) -> &K {
        &self.k
    }

    /// The backend chosen at attach.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// `vmm_activate`.
    pub fn activate(&self, act: Activate) {
        match act {
            Activate::Quiesce => {
                {
                    let mut st = self.slock.write();
                    if *st != Status::Active {
                        self.log(c"vmm: quiesce while not active\n", 0, 0);
                        return;
                    }
                    *st = Status::Suspended;
                    // Before the count is drained: an ioctl that takes its
                    // reference after this sees it (`enter`).  SeqCst, a
                    // full barrier before the count's atomic operations.
                    self.active.store(false, Ordering::SeqCst);
                }
                // Wait for every ioctl in flight to finish; a vcpu in
                // VMM_IOC_RUN is asked to return at once (an IPI makes a
                // guest in guest mode exit; vmd runs it again, and that
                // ioctl waits for the wakeup).  SeqCst: pairs with the run
                // loop's store of `curcpu` and its check after it.
                self.quiescing.store(true, Ordering::SeqCst);
                self.kick_all();
                self.refcnt.finalize(c"vmmsusp");
                self.quiescing.store(false, Ordering::Release);
                self.activate_md(act);
            }
            Activate::Wakeup => {
                self.activate_md(act);
                {
                    let mut st = self.slock.write();
                    if *st != Status::Suspended {
                        self.log(c"vmm: wakeup while not suspended\n", 0, 0);
                        return;
                    }
                    // The device's own reference again.  Not refcnt_init,
                    // which stores 1: an ioctl on its way in may hold a
                    // reference for an instant (`enter`), so the count is
                    // only ever changed by atomic operations after attach.
                    self.refcnt.take();
                    *st = Status::Active;
                    self.active.store(true, Ordering::SeqCst);
                }
                self.k.wakeup(self.status_chan());
            }
        }
    }

    /// Kicks every vcpu that is in guest mode (see `kick`).
    fn kick_all(&self) {
        let list = self.vms.read();
        for owner in list.iter() {
            for vcpu in owner.value().vcpus() {
                self.kick(vcpu);
            }
        }
    }

    /// `vmm_activate_machdep`.
    fn activate_md(&self, act: Activate) {
        match act {
            Activate::Quiesce => {
                if !self.backend.running() {
                    return;
                }
                if self.quiesce_vcpus().is_err() {
                    self.log(c"vmm: vcpu quiesce failed\n", 0, 0);
                }
                self.stop();
            }
            Activate::Wakeup => {
                let vm_ct = self.vms.read().vm_ct;
                if vm_ct > 0 && self.start().is_err() {
                    self.log(c"vmm: restart after resume failed\n", 0, 0);
                }
            }
        }
    }

    /// `vmm_quiesce_vmx`, vendor-neutral: with the list and each vcpu locked
    /// without sleeping, let the backend flush the vcpu.
    fn quiesce_vcpus(&self) -> KResult {
        let list = self.vms.try_write()?;
        for owner in list.iter() {
            for vcpu in owner.value().vcpus() {
                let mut inner = vcpu.inner.try_write()?;
                self.backend.quiesce_vcpu(&mut inner.md)?;
            }
        }
        Ok(())
    }

    /// `vmm_start`: virtualisation on, on every CPU (under `sc_slock`).
    fn start(&self) -> KResult {
        let _g = self.slock.write();
        self.backend.start()
    }

    /// `vmm_stop`.
    fn stop(&self) {
        let _g = self.slock.write();
        self.backend.stop();
    }

    /// `vmmopen`: `ENODEV` unless a supported CPU was found.
    pub fn open(&self) -> KResult {
        match self.backend.mode() {
            Mode::Unknown => Err(Errno::ENODEV),
            Mode::Ept | Mode::Rvi => Ok(()),
        }
    }

    /// `vmmclose`: nothing; VMs outlive the descriptor (vmd relies on it).
    pub fn close(&self) -> KResult {
        Ok(())
    }

    fn status_chan(&self) -> *const () {
        core::ptr::from_ref(&self.slock).cast()
    }

    /// `vmmioctl`: waits while suspended (interruptibly), then dispatches
    /// with a reference on the device held.  `data` is the kernel copy of
    /// the parameter block (`IOCPARM_LEN(cmd)` bytes).
    pub fn ioctl(&self, c: Caller<K::Proc>, cmd: u64, data: &mut [u8]) -> KResult {
        self.enter()?;
        let r = self.dispatch(c, cmd, data);
        self.refcnt.rele_wake();
        r
    }

    /// The suspend barrier on the way into an ioctl: a reference on the
    /// device while it is active; while it is suspended, an interruptible
    /// wait for the resume.
    ///
    /// Upstream takes `sc_slock` to read `sc_status` and take the
    /// reference; here the lock is for the wait only.  The reference is
    /// taken first (an atomic increment, a full barrier), then `active`
    /// read: a suspend clears `active` before it waits for the count to
    /// drain, so either this ioctl sees it and backs out, or the suspend
    /// waits for this ioctl (README, "Differences from the C driver").
    /// Two lock operations fewer on every ioctl.
    #[inline]
    fn enter(&self) -> KResult {
        loop {
            self.refcnt.take();
            if self.active.load(Ordering::SeqCst) {
                return Ok(());
            }
            self.refcnt.rele_wake();
            let mut st = self.slock.read_intr()?;
            while *st != Status::Active {
                st.sleep_intr(self.status_chan(), c"vmmresume")?;
            }
        }
    }

    fn dispatch(&self, c: Caller<K::Proc>, cmd: u64, data: &mut [u8]) -> KResult {
        let Ok(cmd) = u32::try_from(cmd) else {
            return Err(Errno::ENOTTY);
        };
        match cmd {
            VMM_IOC_CREATE => {
                let vcp = params::<vm_create_params>(data)?;
                if let Err(e) = self.start() {
                    self.stop();
                    return Err(e);
                }
                self.vm_create(vcp, c)
            }
            VMM_IOC_RUN => self.vm_run(c, params::<vm_run_params>(data)?),
            VMM_IOC_INFO => self.vm_get_info(params::<vm_info_params>(data)?),
            VMM_IOC_TERM => self.vm_terminate(c, params::<vm_terminate_params>(data)?),
            VMM_IOC_RESETCPU => self.vm_resetcpu(c, params::<vm_resetcpu_params>(data)?),
            VMM_IOC_READREGS => self.vm_rwregs(c, params::<vm_rwregs_params>(data)?, false),
            VMM_IOC_WRITEREGS => self.vm_rwregs(c, params::<vm_rwregs_params>(data)?, true),
            VMM_IOC_READVMPARAMS => {
                self.vm_rwvmparams(c, params::<vm_rwvmparams_params>(data)?, false)
            }
            VMM_IOC_WRITEVMPARAMS => {
                self.vm_rwvmparams(c, params::<vm_rwvmparams_params>(data)?, true)
            }
            VMM_IOC_SHAREMEM => self.vm_share_mem(c, params::<vm_sharemem_params>(data)?),
            _ => self.ioctl_md(c, cmd, data),
        }
    }

    /// `vmmioctl_machdep`: the amd64 ioctl, `VMM_IOC_INTR`.
    fn ioctl_md(&self, c: Caller<K::Proc>, cmd: u32, data: &mut [u8]) -> KResult {
        match cmd {
            VMM_IOC_INTR => self.vm_intr_pending(c, params::<vm_intr_params>(data)?),
            _ => Err(Errno::ENOTTY),
        }
    }

    /// `pledge_ioctl_vmm` (with `pledge_ioctl_vmm_machdep`): CREATE, INFO
    /// and SHAREMEM need "proc" too; the others need only "vmm".
    pub fn pledge_ioctl(&self, c: Caller<K::Proc>, com: u64) -> KResult {
        let Ok(com) = u32::try_from(com) else {
            return Err(Errno::EPERM);
        };
        match com {
            VMM_IOC_CREATE | VMM_IOC_INFO | VMM_IOC_SHAREMEM => {
                if c.promises & pledge::PROC != 0 {
                    Ok(())
                } else {
                    Err(Errno::EPERM)
                }
            }
            // XXX upstream: VM processes should only terminate themselves.
            VMM_IOC_TERM
            | VMM_IOC_RUN
            | VMM_IOC_RESETCPU
            | VMM_IOC_READREGS
            | VMM_IOC_WRITEREGS
            | VMM_IOC_READVMPARAMS
            | VMM_IOC_WRITEVMPARAMS
            | VMM_IOC_INTR => Ok(()),
            _ => Err(Errno::EPERM),
        }
    }

    /// `vm_find`: the VM with `id`, referenced.  A process pledged "vmm"
    /// without "proc" may only find the VMs it created: anything else is a
    /// pledge violation (`EPERM`).
    pub fn vm_find(&self, c: Caller<K::Proc>, id: u32) -> KResult<VmRef<K, B>> {
        let mut denied = false;
        {
            let list = self.vms.read();
            if let Some(owner) = list.find(id) {
                let promises = c.promises & (pledge::VMM | pledge::PROC);
                if promises == pledge::VMM && owner.value().creator_pid != c.pid {
                    denied = true;
                } else {
                    return Ok(owner.get_ref());
                }
            }
        }
        if denied {
            Err(self.k.pledge_fail(c.proc, Errno::EPERM))
        } else {
            Err(Errno::ENOENT)
        }
    }

    /// The number of VMs and vcpus in memory (`vm_ct`, `vcpu_ct`).
    pub fn counts(&self) -> (usize, usize) {
        let l = self.vms.read();
        (l.vm_ct, l.vcpu_ct)
    }

    fn log(&self, fmt: &'static CStr, a: u64, b: u64) {
        self.k.log(fmt, a, b);
    }
}

/// The ioctl parameter block as a `T`; `EINVAL` if the kernel handed a
/// block of the wrong size (it cannot, for a command word that matched).
fn params<T: Pod>(data: &mut [u8]) -> KResult<&mut T> {
    from_bytes_mut::<T>(data).ok_or(Errno::EINVAL)
}

//! `VMM_IOC_RUN`: the vendor-neutral frame of upstream's `vm_run`.

use core::sync::atomic::Ordering;

use vmm_abi::{vcpu_state, vm_run_params, VM_EXIT_NONE, VM_EXIT_TERMINATED};
use vmm_kernel::user::{copyin_into, copyout};
use vmm_kernel::{Caller, Errno, KResult, Kernel};

use crate::backend::{Backend, RunCheck, RunRequest};
use crate::Vmm;

impl<K: Kernel, B: Backend<K>> Vmm<K, B> {
    /// `vm_run`: runs a stopped vcpu until vmd is needed.
    ///
    /// The vcpu goes from STOPPED to RUNNING (else `EBUSY`), takes in
    /// vmd's exit record (its answers to the previous exit), runs, and
    /// goes back to STOPPED with the new exit record copied out (`EFAULT`
    /// if that copy fails).  A backend error terminates the vcpu for good
    /// (`VM_EXIT_TERMINATED`, the error is returned).
    ///
    /// Unlike upstream, a failed copy-in puts the vcpu back to STOPPED
    /// instead of leaving it RUNNING (which made every later run `EBUSY`).
    pub(crate) fn vm_run(&self, c: Caller<K::Proc>, vrp: &mut vm_run_params) -> KResult {
        let vm = self.vm_find(c, vrp.vrp_vm_id)?;
        let vcpu = vm.vcpu(vrp.vrp_vcpu_id).ok_or(Errno::ENOENT)?;

        let mut inner = vcpu.inner.write();
        // SeqCst with `vm_terminate`'s `dying` store and its RUNNING to
        // REQTERM exchange: either TERM finds this vcpu RUNNING and asks
        // it to stop, or this run sees `dying` here and does not start.
        if vcpu
            .state
            .compare_exchange(
                vcpu_state::STOPPED,
                vcpu_state::RUNNING,
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_err()
        {
            return Err(Errno::EBUSY);
        }
        if vm.dying.load(Ordering::SeqCst) {
            vcpu.state.store(vcpu_state::STOPPED, Ordering::Release);
            return Err(Errno::ENOENT);
        }

        // In place, as upstream: the record is large (the register state)
        // and this is every exit to vmd.  A failed copy leaves part of the
        // user's record there, which nothing reads before the next run's
        // copy.
        let uexit = vrp.vrp_exit as u64;
        match copyin_into(&self.k, uexit, &mut inner.exit) {
            Ok(()) => {}
            Err(e) => {
                vcpu.state.store(vcpu_state::STOPPED, Ordering::Release);
                return Err(e);
            }
        }
        inner.inject = vrp.vrp_inject;

        let k = self.k;
        let state = &vcpu.state;
        let quiescing = &self.quiescing;
        let check = || {
            // SeqCst: pairs with the requests' stores and their reads of
            // `curcpu` (see `RunRequest::curcpu`).
            if state.load(Ordering::SeqCst) == vcpu_state::REQTERM
                || quiescing.load(Ordering::SeqCst)
            {
                return RunCheck::Stop;
            }
            let t = k.thread_check();
            if t.signal {
                RunCheck::Stop
            } else if t.yield_cpu {
                RunCheck::Yield
            } else {
                RunCheck::Go
            }
        };
        let inner = &mut *inner;
        let req = RunRequest {
            exit: &mut inner.exit,
            inject: &mut inner.inject,
            intr_pending: vrp.vrp_intr_pending != 0,
            intr: &vcpu.intr,
            curcpu: &vcpu.curcpu,
            pvclock_gpa: &vcpu.pvclock_gpa,
            pvclock_version: &vcpu.pvclock_version,
            ranges: vm.ranges(),
        };
        match self.backend.vcpu_run(&vm.md, &mut inner.md, req, check) {
            Ok(x) => {
                vrp.vrp_exit_reason = x.exit_reason.unwrap_or(VM_EXIT_NONE as u16);
                vrp.vrp_irqready = u8::from(x.irqready);
                vcpu.state.store(vcpu_state::STOPPED, Ordering::Release);
                copyout(&self.k, &inner.exit, uexit)
            }
            Err(e) => {
                vrp.vrp_exit_reason = VM_EXIT_TERMINATED as u16;
                vcpu.state.store(vcpu_state::TERMINATED, Ordering::Release);
                Err(e)
            }
        }
    }
}

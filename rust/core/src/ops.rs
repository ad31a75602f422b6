//! The ioctls on existing VMs: INFO, TERM, RESETCPU, SHAREMEM, READREGS/
//! WRITEREGS, READVMPARAMS/WRITEVMPARAMS and INTR.

use core::mem::size_of;
use core::sync::atomic::Ordering;

use vmm_abi::{
    vcpu_state, vm_info_params, vm_info_result, vm_intr_params, vm_resetcpu_params,
    vm_rwregs_params, vm_rwvmparams_params, vm_sharemem_params, vm_terminate_params, VM_MEM_MMIO,
    VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA, VM_RWVMPARAMS_PVCLOCK_VERSION,
};
use vmm_kernel::mem::KBuf;
use vmm_kernel::pod::from_bytes_mut;
use vmm_kernel::{Caller, Errno, KResult, Kernel};

use crate::backend::Backend;
use crate::vm::{Vcpu, NOCPU};

/// Where a pvclock structure may live: inside one memory range (the end
/// strictly inside, as upstream's `vmm_gpa_is_valid`) and one page.
pub fn pvclock_gpa_valid(ranges: &[vmm_abi::vm_mem_range], gpa: u64) -> bool {
    let inside = ranges.iter().any(|r| {
        let size = r.vmr_size as u64;
        size >= 32
            && r.vmr_gpa <= gpa
            && r.vmr_gpa
                .checked_add(size)
                .and_then(|e| e.checked_sub(32))
                .is_some_and(|e| gpa < e)
    });
    inside && (gpa & 0xfff).saturating_add(32) <= 4096
}
use crate::vm::{NAME_LEN, NRANGES};
use crate::Vmm;

impl<K: Kernel, B: Backend<K>> Vmm<K, B> {
    /// `vm_get_info`: describes every VM.  If `vip_size` is too small for
    /// `vm_ct` entries, only the needed size is returned (count 0); vmd
    /// then calls again with a large enough buffer.
    pub(crate) fn vm_get_info(&self, vip: &mut vm_info_params) -> KResult {
        let vm_ct = self.vms.read().vm_ct;
        let need = vm_ct
            .checked_mul(size_of::<vm_info_result>())
            .ok_or(Errno::ENOMEM)?;
        if vip.vip_size < need {
            vip.vip_info_ct = 0;
            vip.vip_size = need;
            return Ok(());
        }
        if need == 0 {
            vip.vip_info_ct = 0;
            return Ok(());
        }
        let Some(mut out) = KBuf::zeroed(self.k, need) else {
            vip.vip_info_ct = 0;
            return Err(Errno::ENOMEM);
        };
        // Only the VMs in the list are reported: one counted while it is
        // still being made (or torn down) is not, so no zeroed entry with
        // id 0 reaches vmd (whose start-up sweep would TERM id 0).
        let mut filled = 0usize;
        {
            let list = self.vms.read();
            // The list may hold more VMs than were counted above (one made
            // meanwhile): keep within the buffer.
            let entries = out
                .as_mut_slice()
                .chunks_exact_mut(size_of::<vm_info_result>());
            for (owner, chunk) in list.iter().zip(entries) {
                let vm = owner.value();
                let Some(r) = from_bytes_mut::<vm_info_result>(chunk) else {
                    break;
                };
                filled = filled.saturating_add(1);
                r.vir_memory_size = vm.memory_size;
                r.vir_used_size = vm.used_size();
                r.vir_ncpus = vm.vcpu_ct as usize;
                r.vir_id = vm.id;
                r.vir_creator_pid = vm.creator_pid;
                // strlcpy: the stored name is NUL-terminated and zero
                // after it, and `out` is zeroed: copy up to the NUL (all
                // 64 bytes, a few instructions each, were most of the cost
                // of each VM in INFO: make obsd-bench, info-16vm).
                for (d, s) in r.vir_name.iter_mut().zip(vm.name.iter()).take(NAME_LEN) {
                    if *s == 0 {
                        break;
                    }
                    *d = *s as core::ffi::c_char;
                }
                for (j, st) in r
                    .vir_vcpu_state
                    .iter_mut()
                    .enumerate()
                    .take(vm.vcpu_ct as usize)
                {
                    *st = u32::try_from(j)
                        .ok()
                        .and_then(|j| vm.vcpu(j))
                        .map_or(vcpu_state::UNKNOWN, |v| v.state.load(Ordering::Relaxed))
                        as u8;
                }
            }
        }
        vip.vip_info_ct = filled;
        let n = filled.saturating_mul(size_of::<vm_info_result>());
        self.k
            .copyout(out.as_slice().get(..n).unwrap_or(&[]), vip.vip_info as u64)
    }

    /// `vm_terminate`: removes the VM from the list (once: a second
    /// caller gets `EBUSY`), asks its running vcpus to stop, waits for
    /// every other user of it (a running vcpu included) and tears it down.
    ///
    /// Unlike upstream, a vcpu in `VMM_IOC_RUN` is moved from RUNNING to
    /// REQTERM (upstream never sets REQTERM, so TERM waited until the
    /// guest next needed vmd or vmd's vcpu thread got a signal): its run
    /// loop sees that at the next exit and returns `VM_EXIT_NONE`, and the
    /// next `VMM_IOC_RUN` gets `ENOENT`, as after upstream's TERM.
    pub(crate) fn vm_terminate(&self, c: Caller<K::Proc>, vtp: &vm_terminate_params) -> KResult {
        let vm = self.vm_find(c, vtp.vtp_vm_id)?;
        // SeqCst: pairs with `vm_run`'s RUNNING store and its `dying`
        // check (see there), so a run either sees `dying` or is stopped.
        if vm.dying.swap(true, Ordering::SeqCst) {
            return Err(Errno::EBUSY);
        }
        let owner = {
            let mut list = self.vms.write();
            list.remove(&vm)
        };
        let Some(owner) = owner else {
            // Not reachable: only the dying winner removes the VM.
            return Err(Errno::ENOENT);
        };
        for vcpu in vm.vcpus() {
            if vcpu
                .state
                .compare_exchange(
                    vcpu_state::RUNNING,
                    vcpu_state::REQTERM,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok()
            {
                self.kick(vcpu);
            }
        }
        let nvcpu = vm.vcpu_ct as usize;
        match owner.destroy(vm, c"vm_terminate") {
            // The VM is torn down here, with no user left.
            Ok(vm) => drop(vm),
            Err((owner, vm)) => {
                // Not reachable: `vm` came from this owner.  Put it back.
                drop(vm);
                let mut list = self.vms.write();
                if let Err(o) = list.push(owner) {
                    drop(o);
                }
                return Err(Errno::EIO);
            }
        }
        let mut list = self.vms.write();
        list.vm_ct = list.vm_ct.saturating_sub(1);
        list.vcpu_ct = list.vcpu_ct.saturating_sub(nvcpu);
        if list.vm_ct < 1 {
            self.stop();
        }
        Ok(())
    }

    /// `vm_resetcpu`: loads `vrp_init_state` into a stopped vcpu.
    /// `ENOENT` for an unknown VM or vcpu, `EBUSY` unless the vcpu is
    /// stopped, `EIO` if the backend rejects the state.
    pub(crate) fn vm_resetcpu(&self, c: Caller<K::Proc>, vrp: &vm_resetcpu_params) -> KResult {
        let vm = self.vm_find(c, vrp.vrp_vm_id)?;
        let vcpu = vm.vcpu(vrp.vrp_vcpu_id).ok_or(Errno::ENOENT)?;
        let mut inner = vcpu.inner.write();
        if vcpu.state.load(Ordering::Acquire) != vcpu_state::STOPPED {
            return Err(Errno::EBUSY);
        }
        if self
            .backend
            .vcpu_reset_regs(&mut inner.md, &vrp.vrp_init_state)
            .is_err()
        {
            self.log(c"vm_resetcpu: failed\n", 0, 0);
            return Err(Errno::EIO);
        }
        Ok(())
    }

    /// `vm_share_mem`: maps the VM's memory objects into the calling
    /// process (vmd's device processes).  The ranges must repeat the VM's
    /// exactly and every `vsp_va` must be 0 on input.  On failure the
    /// ranges mapped so far are removed again (MMIO ranges, which were
    /// never mapped, are not touched: upstream unmaps `[0, size)` for them).
    pub(crate) fn vm_share_mem(&self, c: Caller<K::Proc>, vsp: &mut vm_sharemem_params) -> KResult {
        let p = c.proc;
        let vm = self.vm_find(c, vsp.vsp_vm_id)?;
        if vm.nmemranges != vsp.vsp_nmemranges {
            return Err(Errno::EINVAL);
        }
        let n = vm.nmemranges;
        for ((src, dst), va) in vm
            .memranges
            .iter()
            .zip(vsp.vsp_memranges.iter())
            .zip(vsp.vsp_va.iter())
            .take(n)
        {
            if src.vmr_type != dst.vmr_type
                || src.vmr_gpa != dst.vmr_gpa
                || src.vmr_size != dst.vmr_size
                || *va != 0
            {
                return Err(Errno::EINVAL);
            }
        }

        let mut done = [false; NRANGES];
        let mut result = Ok(());
        for (((dst, va), slot), d) in vsp
            .vsp_memranges
            .iter()
            .zip(vsp.vsp_va.iter_mut())
            .zip(vm.slots.iter())
            .zip(done.iter_mut())
            .take(n)
        {
            if dst.vmr_type == VM_MEM_MMIO as i32 {
                continue;
            }
            let Some(uao) = slot else {
                // Not reachable: every non-MMIO range has its object.
                result = Err(Errno::EINVAL);
                break;
            };
            if let Err(e) = uao.clone_ref().map(p, va, dst.vmr_size) {
                self.log(c"vm_share_mem: uvm_map failed: %lu\n", e.to_raw() as u64, 0);
                result = Err(e);
                break;
            }
            *d = true;
            let end = va.saturating_add(dst.vmr_size as u64);
            if let Err(e) = self.k.map_immutable(p, *va, end) {
                self.log(
                    c"vm_share_mem: uvm_map_immutable failed: %lu\n",
                    e.to_raw() as u64,
                    0,
                );
                result = Err(e);
                break;
            }
        }
        if result.is_err() {
            for ((dst, va), d) in vsp
                .vsp_memranges
                .iter()
                .zip(vsp.vsp_va.iter())
                .zip(done.iter())
                .take(n)
            {
                if *d {
                    self.k.unmap(p, *va, va.saturating_add(dst.vmr_size as u64));
                }
            }
        }
        result
    }

    /// `vm_rwregs`: reads or writes the registers selected by `vrwp_mask`
    /// with the vcpu's lock held (so never during a run).
    pub(crate) fn vm_rwregs(
        &self,
        c: Caller<K::Proc>,
        vrwp: &mut vm_rwregs_params,
        write: bool,
    ) -> KResult {
        let vm = self.vm_find(c, vrwp.vrwp_vm_id)?;
        let vcpu = vm.vcpu(vrwp.vrwp_vcpu_id).ok_or(Errno::ENOENT)?;
        let mut inner = vcpu.inner.write();
        if write {
            self.backend
                .vcpu_writeregs(&mut inner.md, vrwp.vrwp_mask, &vrwp.vrwp_regs)
        } else {
            self.backend
                .vcpu_readregs(&mut inner.md, vrwp.vrwp_mask, &mut vrwp.vrwp_regs)
        }
    }

    /// `vm_rwvmparams`: the pvclock parameters, selected by `vpp_mask`.
    pub(crate) fn vm_rwvmparams(
        &self,
        c: Caller<K::Proc>,
        vpp: &mut vm_rwvmparams_params,
        write: bool,
    ) -> KResult {
        let vm = self.vm_find(c, vpp.vpp_vm_id)?;
        let vcpu = vm.vcpu(vpp.vpp_vcpu_id).ok_or(Errno::ENOENT)?;
        if write {
            if vpp.vpp_mask & VM_RWVMPARAMS_PVCLOCK_VERSION != 0 {
                vcpu.pvclock_version
                    .store(vpp.vpp_pvclock_version, Ordering::Relaxed);
            }
            if vpp.vpp_mask & VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA != 0 {
                // vmm_init_pvclock: the 32-byte structure must lie in guest
                // memory within one page (else upstream queues a #GP for
                // the guest from the ioctl; here it is just not taken).
                let gpa = vpp.vpp_pvclock_system_gpa & !0xf;
                if pvclock_gpa_valid(vm.ranges(), gpa) {
                    vcpu.pvclock_gpa
                        .store(vpp.vpp_pvclock_system_gpa, Ordering::Relaxed);
                }
            }
        } else {
            if vpp.vpp_mask & VM_RWVMPARAMS_PVCLOCK_VERSION != 0 {
                vpp.vpp_pvclock_version = vcpu.pvclock_version.load(Ordering::Relaxed);
            }
            if vpp.vpp_mask & VM_RWVMPARAMS_PVCLOCK_SYSTEM_GPA != 0 {
                vpp.vpp_pvclock_system_gpa = vcpu.pvclock_gpa.load(Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// `vm_intr_pending` (`VMM_IOC_INTR`): marks an interrupt pending, or
    /// not, without waiting for the vcpu's lock, and kicks the vcpu out of
    /// guest mode if it is in it (upstream's IPI to `vc_curcpu`).
    /// `vip_intr` is stored whole (16 bits, upstream's `vc_intr`).
    pub(crate) fn vm_intr_pending(&self, c: Caller<K::Proc>, vip: &vm_intr_params) -> KResult {
        let vm = self.vm_find(c, vip.vip_vm_id)?;
        let vcpu = vm.vcpu(vip.vip_vcpu_id).ok_or(Errno::ENOENT)?;
        // SeqCst: pairs with the run loop's store of `curcpu` and its
        // load of `intr` after it (see `RunRequest::curcpu`).
        vcpu.intr.store(vip.vip_intr, Ordering::SeqCst);
        self.kick(vcpu);
        Ok(())
    }

    /// Sends an IPI to the CPU `vcpu` is in guest mode on, if any, so the
    /// guest exits and the run loop looks at what was just asked of it.
    /// Called after the request was stored (`SeqCst`).
    pub(crate) fn kick(&self, vcpu: &Vcpu<K, B>) {
        let cpu = vcpu.curcpu.load(Ordering::SeqCst);
        if cpu != NOCPU {
            self.backend.kick(cpu);
        }
    }
}

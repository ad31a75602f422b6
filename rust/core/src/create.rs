//! `VMM_IOC_CREATE`: `vm_create` and `vm_create_check_mem_ranges`.

use vmm_abi::{vm_create_params, vm_mem_range, VM_MEM_MMIO};
use vmm_kernel::mem::{PmapBox, PoolBox, UaoRef};
use vmm_kernel::pod::zeroed;
use vmm_kernel::{Caller, Errno, KResult, Kernel, PAGE_MASK};

use crate::backend::Backend;
use crate::vm::{Vcpu, NAME_LEN, NRANGES, VCPUS_PER_VM};
use crate::{place, Vmm};

/// `vm_create_check_mem_ranges`: the total size of the RAM and reserved
/// ranges, or `None` if any rule is broken: 1 to 16 ranges; gpa, va and
/// size page aligned, size not 0; every range below `VMM_MAX_VM_MEM_SIZE`
/// (checked without overflow); ranges ascending and not overlapping.
pub fn check_mem_ranges(vcp: &vm_create_params) -> Option<usize> {
    let n = vcp.vcp_nmemranges;
    if n == 0 || n > NRANGES {
        return None;
    }
    let maxgpa = vmm_abi::MAX_VM_MEM_SIZE;
    let mut memsize: usize = 0;
    let mut prev: Option<&vm_mem_range> = None;
    for vmr in vcp.vcp_memranges.get(..n)? {
        let size = vmr.vmr_size as u64;
        if vmr.vmr_gpa & PAGE_MASK != 0
            || vmr.vmr_va & PAGE_MASK != 0
            || size & PAGE_MASK != 0
            || size == 0
        {
            return None;
        }
        if vmr.vmr_gpa >= maxgpa || size > maxgpa.wrapping_sub(vmr.vmr_gpa) {
            return None;
        }
        // Both terms are below 128 GiB here, so the sum cannot overflow.
        if let Some(p) = prev {
            if p.vmr_gpa.wrapping_add(p.vmr_size as u64) > vmr.vmr_gpa {
                return None;
            }
        }
        // MMIO ranges have no memory behind them.
        if vmr.vmr_type != VM_MEM_MMIO as i32 {
            memsize = memsize.checked_add(vmr.vmr_size)?;
        }
        prev = Some(vmr);
    }
    Some(memsize)
}

/// A mapping made in the creator while building a VM, removed again if
/// creation fails.
#[derive(Clone, Copy)]
struct Mapped {
    va: u64,
    end: u64,
}

impl<K: Kernel, B: Backend<K>> Vmm<K, B> {
    /// `vm_create`: builds the VM described by `vcp` for process `p`,
    /// publishes it with the next id and returns the id and the addresses
    /// of its memory in `p` through `vcp`.  On any failure everything made
    /// so far is undone, including (unlike upstream) the mappings already
    /// made in `p`.
    pub(crate) fn vm_create(&self, vcp: &mut vm_create_params, c: Caller<K::Proc>) -> KResult {
        let p = c.proc;
        let Some(memsize) = check_mem_ranges(vcp) else {
            return Err(Errno::EINVAL);
        };
        // XXX upstream: uniprocessor guests only (for now).
        if vcp.vcp_ncpus != 1 {
            return Err(Errno::EINVAL);
        }
        let ncpus = vcp.vcp_ncpus;

        // Count the VM early, so the capacity check holds and vmm_stop
        // cannot switch the CPUs off while the VM is being made.
        {
            let mut list = self.vms.write();
            let Some(total) = list.vcpu_ct.checked_add(ncpus) else {
                return Err(Errno::ENOMEM);
            };
            if total > self.vcpu_max {
                return Err(Errno::ENOMEM);
            }
            list.vcpu_ct = total;
            list.vm_ct = list.vm_ct.saturating_add(1);
        }

        let mut mapped = [None::<Mapped>; NRANGES];
        let r = self.vm_create_locked_out(vcp, c, memsize, &mut mapped);
        if r.is_err() {
            for m in mapped.iter().flatten() {
                self.k.unmap(p, m.va, m.end);
            }
            let mut list = self.vms.write();
            list.vm_ct = list.vm_ct.saturating_sub(1);
            list.vcpu_ct = list.vcpu_ct.saturating_sub(ncpus);
            if list.vm_ct < 1 {
                self.stop();
            }
        }
        r
    }

    /// The part of `vm_create` between counting and publishing.  Whatever
    /// it built is dropped (torn down) on error; mappings made in `p` are
    /// recorded in `mapped` for the caller to remove.
    fn vm_create_locked_out(
        &self,
        vcp: &mut vm_create_params,
        c: Caller<K::Proc>,
        memsize: usize,
        mapped: &mut [Option<Mapped>; NRANGES],
    ) -> KResult {
        let k = self.k;
        let p = c.proc;
        let pmap = PmapBox::create(k).ok_or(Errno::ENOMEM)?;

        let mut name = [0u8; NAME_LEN];
        // strncpy(vm_name, vcp_name, VMM_MAX_NAME_LEN - 1): stop at NUL,
        // keep the last byte 0.
        for (d, s) in name
            .iter_mut()
            .zip(vcp.vcp_name.iter())
            .take(NAME_LEN.saturating_sub(1))
        {
            if *s == 0 {
                break;
            }
            *d = *s as u8;
        }

        let n = vcp.vcp_nmemranges;
        let mut memranges = [zeroed::<vm_mem_range>(); NRANGES];
        for (d, s) in memranges.iter_mut().zip(vcp.vcp_memranges.iter()).take(n) {
            *d = *s;
        }

        let mut slots: [Option<UaoRef<K>>; NRANGES] = [const { None }; NRANGES];
        for ((vmr, slot), m) in memranges
            .iter_mut()
            .zip(slots.iter_mut())
            .zip(mapped.iter_mut())
            .take(n)
        {
            if vmr.vmr_type == VM_MEM_MMIO as i32 {
                continue;
            }
            let size = vmr.vmr_size;
            // The driver's reference, taken before the object is exposed
            // to the process (upstream takes it after mapping, when a
            // racing munmap could already have freed the object).
            let Some(uao) = UaoRef::create(k, size) else {
                self.log(c"vm_create: failed to initialize memory slot\n", 0, 0);
                return Err(Errno::ENOMEM);
            };
            // The mapping's reference.
            let mut va = vmr.vmr_va;
            if let Err(e) = uao.clone_ref().map(p, &mut va, size) {
                self.log(c"vm_create: uvm_map failed: %lu\n", e.to_raw() as u64, 0);
                return Err(Errno::ENOMEM);
            }
            let end = va.saturating_add(size as u64);
            // Userland must not be able to change or remove the mapping.
            if let Err(e) = k.map_immutable(p, va, end) {
                self.log(
                    c"vm_create: uvm_map_immutable failed: %lu\n",
                    e.to_raw() as u64,
                    0,
                );
                k.unmap(p, va, end);
                return Err(e);
            }
            *m = Some(Mapped { va, end });
            vmr.vmr_va = va;
            *slot = Some(uao);
        }

        let md = match self
            .backend
            .vm_init(&pmap, memranges.get(..n).unwrap_or(&[]))
        {
            Ok(md) => md,
            Err(_) => {
                self.log(c"vm_create: failed to init arch-specific features\n", 0, 0);
                return Err(Errno::ENOMEM);
            }
        };

        // The VM and its vcpus are made in their pool objects, never on
        // the kernel stack.
        let mut vcpus: [Option<PoolBox<K, Vcpu<K, B>>>; VCPUS_PER_VM] =
            [const { None }; VCPUS_PER_VM];
        for (i, slot) in vcpus.iter_mut().enumerate().take(vcp.vcp_ncpus) {
            let id = u32::try_from(i).map_err(|_| Errno::EINVAL)?;
            *slot = Some(self.vcpu_create(&md, id, vcp)?);
        }

        // Publish under the list lock with the next id whose table slot
        // is free (upstream: `vm_idx + 1`).
        {
            let mut list = self.vms.write();
            let id = list.next_id().ok_or(Errno::ENOMEM)?;
            let parts = place::VmParts {
                vcpus,
                vcpu_ct: u32::try_from(vcp.vcp_ncpus).map_err(|_| Errno::EINVAL)?,
                id,
                creator_pid: c.pid,
                nmemranges: n,
                memory_size: memsize,
                slots,
                md,
                pmap,
            };
            let owner = place::vm(k, parts, &name, &memranges).ok_or(Errno::ENOMEM)?;
            if list.push(owner).is_err() {
                return Err(Errno::ENOMEM);
            }
            list.vm_idx = id;
            vcp.vcp_id = id;
        }

        // Hand the chosen addresses back to the creator.
        for (d, m) in vcp.vcp_memranges.iter_mut().zip(mapped.iter()).take(n) {
            if let Some(m) = m {
                d.vmr_va = m.va;
            }
        }
        Ok(())
    }

    /// One vcpu (`vcpu_init`), made in its pool object.  Out of line so
    /// that its machine-dependent state is not on the stack together with
    /// `vm_create`'s.
    #[inline(never)]
    fn vcpu_create(
        &self,
        vm: &B::VmState,
        id: u32,
        vcp: &mut vm_create_params,
    ) -> KResult<PoolBox<K, Vcpu<K, B>>> {
        let k = self.k;
        let md = self.backend.vcpu_init(vm, id, vcp).inspect_err(|_| {
            self.log(c"vm_create: failed to init vcpu %lu\n", u64::from(id), 0);
        })?;
        place::vcpu::<K, B>(k, id, md).ok_or(Errno::ENOMEM)
    }
}

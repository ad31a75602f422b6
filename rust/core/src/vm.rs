//! The per-VM and per-vcpu objects and the global VM list.
//!
//! Locking (upstream's letters in brackets):
//! * [`VmList`] is behind the driver's `vm_lock` [V];
//! * a [`Vm`] is immutable once published [I]; it is shared through kernel
//!   reference counts [r] and torn down once (`dying`, [a]);
//! * a [`Vcpu`]'s machine state, exit record and pending injection are
//!   behind its `vc_lock` [v]; its run state, pending-interrupt flag and
//!   pvclock parameters are atomics [a], because upstream writes them
//!   without the lock (`VMM_IOC_INTR`, `VMM_IOC_WRITEVMPARAMS`) and reads
//!   the state for `VMM_IOC_INFO`.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8};

use vmm_abi::{vcpu_inject_event, vm_exit, vm_mem_range, VMM_MAX_MEM_RANGES, VMM_MAX_NAME_LEN};
use vmm_kernel::mem::{PageArray, PmapBox, PoolBox, UaoRef};
use vmm_kernel::pod::zeroed;
use vmm_kernel::sync::{RwLock, SharedOwner, SharedRef};
use vmm_kernel::{Kernel, PAGE_SIZE};

use crate::backend::Backend;

/// Guests are uniprocessor (upstream: `vcp_ncpus` must be 1).  The list
/// of vcpus is sized for that; SMP guests would raise it.
pub const VCPUS_PER_VM: usize = 1;

/// Most VMs that can exist at once: every VM has at least one vcpu and at
/// most `VMM_MAX_VCPUS` vcpus exist.
pub const MAX_VMS: usize = vmm_abi::VMM_MAX_VCPUS as usize;

pub(crate) const NRANGES: usize = VMM_MAX_MEM_RANGES as usize;
pub(crate) const NAME_LEN: usize = VMM_MAX_NAME_LEN as usize;

/// State of a vcpu behind its lock.
pub struct VcpuInner<K: Kernel, B: Backend<K>> {
    /// Machine-dependent state.
    pub md: B::VcpuState,
    /// `vc_exit`: vmd's last answer in, the current exit out.
    pub exit: vm_exit,
    /// `vc_inject`: the event to deliver on the next entry.
    pub inject: vcpu_inject_event,
}

/// A virtual CPU (`struct vcpu`).
pub struct Vcpu<K: Kernel, B: Backend<K>> {
    /// `vc_id` [I].
    pub id: u32,
    /// `vc_state` [a]: `VCPU_STATE_*`.
    pub state: AtomicU32,
    /// `vc_intr` [a]: an interrupt is pending for the guest.
    pub intr: AtomicU8,
    /// `vc_pvclock_system_gpa` [a].
    pub pvclock_gpa: AtomicU64,
    /// `vc_pvclock_version` [a].
    pub pvclock_version: AtomicU32,
    /// `vc_lock` and what it protects [v].
    pub inner: RwLock<K, VcpuInner<K, B>>,
}

/// A virtual machine (`struct vm`).
pub struct Vm<K: Kernel, B: Backend<K>> {
    /// `vm_vcpu_list`, by vcpu id [I].  Dropped first on teardown.
    pub(crate) vcpus: [Option<PoolBox<K, Vcpu<K, B>>>; VCPUS_PER_VM],
    /// `vm_vcpu_ct` [I].
    pub vcpu_ct: u32,
    /// `vm_id` [I].
    pub id: u32,
    /// `vm_creator_pid` [I].
    pub creator_pid: i32,
    /// `vm_name` [I], NUL-terminated.
    pub name: [u8; NAME_LEN],
    /// `vm_nmemranges` [I].
    pub nmemranges: usize,
    /// `vm_memranges` [I], with `vmr_va` as mapped in the creator.
    pub memranges: [vm_mem_range; NRANGES],
    /// `vm_memory_size` [I]: bytes of RAM and reserved memory.
    pub memory_size: usize,
    /// `vm_memory_slot`: the driver's reference to each range's memory
    /// object (`None` for MMIO) [I].
    pub(crate) slots: [Option<UaoRef<K>>; NRANGES],
    /// Machine-dependent state.
    pub md: B::VmState,
    /// `vm_pmap`: the guest-physical address space [r].  Dropped last.
    pub(crate) pmap: PmapBox<K>,
    /// `vm_dying` [a]: termination has begun.
    pub(crate) dying: AtomicBool,
}

impl<K: Kernel, B: Backend<K>> Vm<K, B> {
    /// The vcpu with id `id` (`vm_find_vcpu`).
    pub fn vcpu(&self, id: u32) -> Option<&Vcpu<K, B>> {
        self.vcpus
            .iter()
            .flatten()
            .map(|v| &**v)
            .find(|v| v.id == id)
    }

    /// All vcpus.
    pub fn vcpus(&self) -> impl Iterator<Item = &Vcpu<K, B>> {
        self.vcpus.iter().flatten().map(|v| &**v)
    }

    /// The guest-physical address space.
    pub fn pmap(&self) -> &PmapBox<K> {
        &self.pmap
    }

    /// The memory ranges in use.
    pub fn ranges(&self) -> &[vm_mem_range] {
        self.memranges.get(..self.nmemranges).unwrap_or(&[])
    }

    /// Bytes of guest memory currently resident.
    pub fn used_size(&self) -> usize {
        self.pmap.resident_count().saturating_mul(PAGE_SIZE)
    }
}

impl<K: Kernel, B: Backend<K>> Drop for Vm<K, B> {
    /// `vm_teardown`: vcpus first, then the nested mappings of every range,
    /// then (by field order) the memory objects, the MD state and the pmap.
    fn drop(&mut self) {
        for v in &mut self.vcpus {
            drop(v.take());
        }
        for r in self.memranges.iter().take(self.nmemranges) {
            let end = r
                .vmr_gpa
                .saturating_add(r.vmr_size as u64)
                .saturating_sub(1);
            self.pmap.remove(r.vmr_gpa, end);
        }
    }
}

/// A published VM in the list.
pub(crate) type VmOwner<K, B> = SharedOwner<K, Vm<K, B>>;
/// A counted reference to a VM, as `vm_find` returns it.
pub type VmRef<K, B> = SharedRef<K, Vm<K, B>>;

/// The global VM list and counters (behind `vm_lock`).
pub struct VmList<K: Kernel, B: Backend<K>> {
    /// Published VMs, oldest first.
    pub(crate) vms: PageArray<K, Option<VmOwner<K, B>>>,
    /// Entries in use at the front of `vms`.
    pub(crate) len: usize,
    /// `vm_ct`: VMs in memory, counting those being created.
    pub vm_ct: usize,
    /// `vcpu_ct`: vcpus in memory, counting those being created.
    pub vcpu_ct: usize,
    /// `vm_idx`: the last VM id handed out.
    pub vm_idx: u32,
}

impl<K: Kernel, B: Backend<K>> VmList<K, B> {
    /// An empty list; `None` if its table cannot be allocated.
    pub(crate) fn new(k: K) -> Option<Self> {
        Some(VmList {
            vms: PageArray::new(k, MAX_VMS, || None)?,
            len: 0,
            vm_ct: 0,
            vcpu_ct: 0,
            vm_idx: 0,
        })
    }

    /// Published VMs, newest first (upstream's list order).
    pub fn iter(&self) -> impl Iterator<Item = &VmOwner<K, B>> {
        self.vms
            .get(..self.len)
            .unwrap_or(&[])
            .iter()
            .rev()
            .flatten()
    }

    /// The VM with id `id`.  The live entries are dense and sorted by id
    /// (ids only grow and are handed out under the list lock in `push`
    /// order; `push` and `remove` keep the order), so this is a binary
    /// search: O(log n) instead of upstream's list walk.
    pub(crate) fn find(&self, id: u32) -> Option<&VmOwner<K, B>> {
        let live = self.vms.get(..self.len)?;
        let i = live.binary_search_by_key(&id, |o| key(o.as_ref())).ok()?;
        live.get(i)?.as_ref()
    }

    /// Inserts `o` at its place by id (the end, for a new VM); hands it
    /// back if the list is full.
    pub(crate) fn push(&mut self, o: VmOwner<K, B>) -> Result<(), VmOwner<K, B>> {
        let id = o.value().id;
        let len = self.len;
        let Some(live) = self.vms.get_mut(..=len) else {
            return Err(o);
        };
        let pos = live
            .get(..len)
            .map_or(0, |l| l.partition_point(|e| key(e.as_ref()) < id));
        let Some(slot) = live.get_mut(len) else {
            return Err(o);
        };
        *slot = Some(o);
        if let Some(tail) = live.get_mut(pos..) {
            // Never empty (pos <= len); the check lets the compiler drop
            // rotate_right's own length assertion.
            if !tail.is_empty() {
                tail.rotate_right(1);
            }
        }
        self.len = len.saturating_add(1);
        Ok(())
    }

    /// Removes the VM `r` refers to, keeping the order of the others.
    pub(crate) fn remove(&mut self, r: &VmRef<K, B>) -> Option<VmOwner<K, B>> {
        let live = self.vms.get_mut(..self.len)?;
        let pos = live
            .iter()
            .position(|o| o.as_ref().is_some_and(|o| core::ptr::eq(o.value(), &**r)))?;
        let owner = live.get_mut(pos)?.take();
        live.get_mut(pos..)?.rotate_left(1);
        self.len = self.len.saturating_sub(1);
        owner
    }
}

/// The sort key of a list entry (live entries are never empty).
fn key<K: Kernel, B: Backend<K>>(o: Option<&VmOwner<K, B>>) -> u32 {
    o.map_or(u32::MAX, |o| o.value().id)
}

/// A fresh exit record.
pub(crate) fn empty_exit() -> vm_exit {
    zeroed()
}

/// `pool_init` of `vm_pool` and `vcpu_pool` (the latter 64-byte aligned,
/// as the FPU save area inside a vcpu requires).
pub(crate) fn init_pools<K: Kernel, B: Backend<K>>(k: K) {
    use core::mem::{align_of, size_of};
    use vmm_kernel::sync::Counted;
    use vmm_kernel::PoolId;
    k.pool_init(
        PoolId::Vm,
        size_of::<Counted<K, Vm<K, B>>>(),
        align_of::<Counted<K, Vm<K, B>>>(),
        c"vmpool",
    );
    k.pool_init(
        PoolId::Vcpu,
        size_of::<Vcpu<K, B>>(),
        align_of::<Vcpu<K, B>>().max(64),
        c"vcpupl",
    );
}

//! The per-VM and per-vcpu objects and the global VM list.
//!
//! Locking (upstream's letters in brackets):
//! * [`VmList`] is behind the driver's `vm_lock` [V];
//! * a [`Vm`] is immutable once published [I], but for its place in the
//!   list (`link`, [V]); it is shared through kernel reference counts [r]
//!   and torn down once (`dying`, [a]);
//! * a [`Vcpu`]'s machine state, exit record and pending injection are
//!   behind its `vc_lock` [v]; its run state, pending-interrupt flag and
//!   pvclock parameters are atomics [a], because upstream writes them
//!   without the lock (`VMM_IOC_INTR`, `VMM_IOC_WRITEVMPARAMS`) and reads
//!   the state for `VMM_IOC_INFO`.

use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicU64, Ordering};

use vmm_abi::{vcpu_inject_event, vm_exit, vm_mem_range, VMM_MAX_MEM_RANGES, VMM_MAX_NAME_LEN};
use vmm_kernel::mem::{PageArray, PmapBox, PoolBox, UaoRef};
use vmm_kernel::sync::{RwLock, SharedOwner, SharedRef};
use vmm_kernel::{Kernel, PAGE_SIZE};

use crate::backend::Backend;

/// [`Vcpu::curcpu`] when the vcpu is not in guest mode on any CPU.
pub const NOCPU: u32 = u32::MAX;

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
    pub intr: AtomicU16,
    /// `vc_curcpu` [a]: the CPU the vcpu is in guest mode on, or
    /// [`NOCPU`].  The backend's run loop sets it while it holds the CPU
    /// for the guest (interrupts or GIF off between its entries and
    /// exits) and clears it when it lets go; `VMM_IOC_INTR`, `VMM_IOC_TERM`
    /// and suspend send that CPU an IPI (`Backend::kick`) so that the
    /// guest exits and the loop sees the request.
    pub curcpu: AtomicU32,
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
    /// `vm_link` [V]: the VM's place in the list.
    pub(crate) link: VmLink,
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

/// A list link meaning "none".
const NIL: u16 = u16::MAX;

const _: () = assert!(MAX_VMS > 0 && MAX_VMS < NIL as usize);

/// The table slot of VM id `id`.
fn slot_of(id: u32) -> usize {
    // MAX_VMS is a non-zero constant: no division by zero.
    (id as usize).wrapping_rem(MAX_VMS)
}

/// The id a new VM gets: the one after `last` (`vm_idx`; the first is 1,
/// and after `u32::MAX` comes 0, as upstream's `vm_idx++`), skipping every
/// id whose table slot (`id % MAX_VMS`) `taken` says a live VM holds.
/// `None` if all `MAX_VMS` slots are taken.
pub fn next_vm_id(last: u32, taken: impl Fn(usize) -> bool) -> Option<u32> {
    let mut id = last;
    for _ in 0..MAX_VMS {
        id = id.wrapping_add(1);
        if !taken(slot_of(id)) {
            return Some(id);
        }
    }
    None
}

/// `vm_link` [V]: a VM's place in the list of published VMs, as the
/// table slots of its neighbours.  Only touched with `vm_lock` held
/// (written with it held for writing); atomics because the VM is shared.
pub(crate) struct VmLink {
    /// The slot of the next newer VM, or `NIL`.
    newer: AtomicU16,
    /// The slot of the next older VM, or `NIL`.
    older: AtomicU16,
}

impl VmLink {
    /// Not in the list.
    pub(crate) const fn new() -> Self {
        VmLink {
            newer: AtomicU16::new(NIL),
            older: AtomicU16::new(NIL),
        }
    }

    fn newer(&self) -> u16 {
        self.newer.load(Ordering::Relaxed)
    }

    fn older(&self) -> u16 {
        self.older.load(Ordering::Relaxed)
    }

    fn set(&self, newer: u16, older: u16) {
        self.newer.store(newer, Ordering::Relaxed);
        self.older.store(older, Ordering::Relaxed);
    }
}

/// The global VM list and counters (behind `vm_lock`).
///
/// The published VMs live in a table of `MAX_VMS` slots indexed by
/// `id % MAX_VMS` (every VM has a vcpu and at most `MAX_VMS` vcpus exist,
/// so the table never runs out while an id's slot is kept free when the
/// id is handed out), threaded through their `vm_link`s on a doubly
/// linked list, newest first, for upstream's list order.  Lookup,
/// insertion and removal are O(1).
pub struct VmList<K: Kernel, B: Backend<K>> {
    /// The table, in kernel pages.
    slots: PageArray<K, Option<VmOwner<K, B>>>,
    /// The slot of the newest VM, or `NIL`.
    newest: u16,
    /// `vm_ct`: VMs in memory, counting those being created.
    pub vm_ct: usize,
    /// `vcpu_ct`: vcpus in memory, counting those being created.
    pub vcpu_ct: usize,
    /// `vm_idx`: the last VM id handed out.
    pub vm_idx: u32,
}

/// Bytes of the VM table (`MAX_VMS` owner handles); the kernel pages it
/// takes are this rounded up to whole pages.
pub const fn table_bytes<K: Kernel, B: Backend<K>>() -> usize {
    MAX_VMS.saturating_mul(core::mem::size_of::<Option<VmOwner<K, B>>>())
}

/// Published VMs, newest first.
pub(crate) struct Iter<'a, K: Kernel, B: Backend<K>> {
    slots: &'a [Option<VmOwner<K, B>>],
    at: u16,
    /// Steps left: a bound on the walk, whatever the links say.
    left: usize,
}

impl<'a, K: Kernel, B: Backend<K>> Iterator for Iter<'a, K, B> {
    type Item = &'a VmOwner<K, B>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left = self.left.saturating_sub(1);
        let o = self.slots.get(usize::from(self.at))?.as_ref()?;
        self.at = o.value().link.older();
        Some(o)
    }
}

impl<K: Kernel, B: Backend<K>> VmList<K, B> {
    /// An empty list; `None` if its table cannot be allocated.
    pub(crate) fn new(k: K) -> Option<Self> {
        Some(VmList {
            slots: PageArray::new(k, MAX_VMS, || None)?,
            newest: NIL,
            vm_ct: 0,
            vcpu_ct: 0,
            vm_idx: 0,
        })
    }

    /// Published VMs, newest first (upstream's list order).
    pub(crate) fn iter(&self) -> Iter<'_, K, B> {
        Iter {
            slots: &self.slots,
            at: self.newest,
            left: MAX_VMS,
        }
    }

    /// The VM with id `id`: one slot read and an id compare.
    pub(crate) fn find(&self, id: u32) -> Option<&VmOwner<K, B>> {
        let o = self.slots.get(slot_of(id))?.as_ref()?;
        (o.value().id == id).then_some(o)
    }

    /// The id for the next VM (see [`next_vm_id`]); `vm_idx` is advanced
    /// when the VM is published.
    pub(crate) fn next_id(&self) -> Option<u32> {
        next_vm_id(self.vm_idx, |i| {
            self.slots.get(i).is_none_or(Option::is_some)
        })
    }

    /// Publishes `o` as the newest VM, in the slot of its id; hands it
    /// back if that slot is taken.
    pub(crate) fn push(&mut self, o: VmOwner<K, B>) -> Result<(), VmOwner<K, B>> {
        let i = slot_of(o.value().id);
        let Ok(link) = u16::try_from(i) else {
            return Err(o);
        };
        let older = self.newest;
        match self.slots.get_mut(i) {
            Some(slot @ None) => {
                o.value().link.set(NIL, older);
                *slot = Some(o);
            }
            _ => return Err(o),
        }
        if let Some(Some(n)) = self.slots.get(usize::from(older)) {
            let l = &n.value().link;
            l.set(link, l.older());
        }
        self.newest = link;
        Ok(())
    }

    /// Removes the VM `r` refers to, keeping the order of the others.
    pub(crate) fn remove(&mut self, r: &VmRef<K, B>) -> Option<VmOwner<K, B>> {
        let slot = self.slots.get_mut(slot_of(r.id))?;
        if !slot
            .as_ref()
            .is_some_and(|o| core::ptr::eq(o.value(), &**r))
        {
            return None;
        }
        let owner = slot.take();
        let (newer, older) = (r.link.newer(), r.link.older());
        r.link.set(NIL, NIL);
        match self.slots.get(usize::from(newer)) {
            Some(Some(n)) => {
                let l = &n.value().link;
                l.set(l.newer(), older);
            }
            _ => self.newest = older,
        }
        if let Some(Some(o)) = self.slots.get(usize::from(older)) {
            let l = &o.value().link;
            l.set(newer, l.older());
        }
        owner
    }
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

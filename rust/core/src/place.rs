//! The VM and vcpu objects, made in their pool objects.
//!
//! A `Vm` is about 1.5 KiB and a `Vcpu` over 1 KiB, and OpenBSD gives a
//! system call about 16 KiB of kernel stack for everything below it.
//! Built as values and then moved into the pool, each would first live on
//! the stack, often twice (the compiler does not place a value straight
//! into memory it did not allocate).  Here each field is written where it
//! stays; only the small or already-made parts (the machine-dependent
//! state, the memory slots) are moved in.  `make check-kobj` checks the
//! frames that result.
//!
//! The only `unsafe` of this crate: raw writes into the zeroed pool
//! objects, each field exactly once, through
//! [`PoolBox::new_in_place`]/[`SharedOwner::new_in_place`].

#![allow(unsafe_code)]

use core::ptr::{addr_of_mut, write_bytes};
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicU64};

use vmm_abi::{vcpu_inject_event, vm_exit, vm_mem_range};
use vmm_kernel::mem::{PmapBox, PoolBox, UaoRef};
use vmm_kernel::sync::{RwLock, SharedOwner};
use vmm_kernel::{Kernel, PoolId};

use crate::backend::Backend;
use crate::vm::{Vcpu, VcpuInner, Vm, VmLink, NAME_LEN, NRANGES, VCPUS_PER_VM};

/// A STOPPED vcpu `id` with machine-dependent state `md`, an empty exit
/// record and nothing to inject (`vcpu_init`'s pool object), its lock
/// initialised.  `None` if the pool has no object.
pub(crate) fn vcpu<K: Kernel, B: Backend<K>>(
    k: K,
    id: u32,
    md: B::VcpuState,
) -> Option<PoolBox<K, Vcpu<K, B>>> {
    // SAFETY: `v` points to a zeroed, aligned, exclusively owned object
    // for a `Vcpu`; every field is written once below, through addresses
    // only (no reference to the unfinished object is made).  The exit
    // record and the injection are plain data whose initial value is all
    // zero, written as such in place.
    unsafe {
        PoolBox::new_in_place(k, PoolId::Vcpu, |v: *mut Vcpu<K, B>| {
            addr_of_mut!((*v).id).write(id);
            addr_of_mut!((*v).state).write(AtomicU32::new(vmm_abi::vcpu_state::STOPPED));
            addr_of_mut!((*v).intr).write(AtomicU16::new(0));
            addr_of_mut!((*v).curcpu).write(AtomicU32::new(crate::vm::NOCPU));
            addr_of_mut!((*v).pvclock_gpa).write(AtomicU64::new(0));
            addr_of_mut!((*v).pvclock_version).write(AtomicU32::new(0));
            let inner: *mut VcpuInner<K, B> =
                RwLock::write_in_place(addr_of_mut!((*v).inner), k, c"vcpu");
            addr_of_mut!((*inner).md).write(md);
            write_bytes(
                addr_of_mut!((*inner).exit).cast::<u8>(),
                0,
                size_of::<vm_exit>(),
            );
            write_bytes(
                addr_of_mut!((*inner).inject).cast::<u8>(),
                0,
                size_of::<vcpu_inject_event>(),
            );
        })
    }
}

/// Everything a new VM is made of, gathered by `vm_create`.
pub(crate) struct VmParts<K: Kernel, B: Backend<K>> {
    pub vcpus: [Option<PoolBox<K, Vcpu<K, B>>>; VCPUS_PER_VM],
    pub vcpu_ct: u32,
    pub id: u32,
    pub creator_pid: i32,
    pub nmemranges: usize,
    pub memory_size: usize,
    pub slots: [Option<UaoRef<K>>; NRANGES],
    pub md: B::VmState,
    pub pmap: PmapBox<K>,
}

/// The VM of `parts`, named `name`, with the ranges `memranges`, as a new
/// shared object of the VM pool (not yet in the list).  `None`, with
/// `parts` dropped, if the pool has no object.
pub(crate) fn vm<K: Kernel, B: Backend<K>>(
    k: K,
    parts: VmParts<K, B>,
    name: &[u8; NAME_LEN],
    memranges: &[vm_mem_range; NRANGES],
) -> Option<SharedOwner<K, Vm<K, B>>> {
    // SAFETY: as in `vcpu`: each field of the zeroed `Vm` is written once,
    // through its address; the arrays are copied from the caller's.
    unsafe {
        SharedOwner::new_in_place(k, PoolId::Vm, |vm: *mut Vm<K, B>| {
            let VmParts {
                vcpus,
                vcpu_ct,
                id,
                creator_pid,
                nmemranges,
                memory_size,
                slots,
                md,
                pmap,
            } = parts;
            addr_of_mut!((*vm).vcpus).write(vcpus);
            addr_of_mut!((*vm).vcpu_ct).write(vcpu_ct);
            addr_of_mut!((*vm).id).write(id);
            addr_of_mut!((*vm).creator_pid).write(creator_pid);
            addr_of_mut!((*vm).name)
                .cast::<u8>()
                .copy_from_nonoverlapping(name.as_ptr(), NAME_LEN);
            addr_of_mut!((*vm).nmemranges).write(nmemranges);
            addr_of_mut!((*vm).memranges)
                .cast::<vm_mem_range>()
                .copy_from_nonoverlapping(memranges.as_ptr(), NRANGES);
            addr_of_mut!((*vm).memory_size).write(memory_size);
            addr_of_mut!((*vm).slots).write(slots);
            addr_of_mut!((*vm).md).write(md);
            addr_of_mut!((*vm).pmap).write(pmap);
            addr_of_mut!((*vm).dying).write(AtomicBool::new(false));
            addr_of_mut!((*vm).link).write(VmLink::new());
        })
    }
}

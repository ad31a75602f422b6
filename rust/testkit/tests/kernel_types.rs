//! The safe kernel types of vmm-kernel on the host double: lock guards,
//! shared objects and their finalisation, pool boxes, page arrays, pmap
//! and memory-object references, Once, Pod views.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::sync::atomic::{AtomicUsize, Ordering};

use vmm_kernel::mem::{KBuf, PageArray, Pages, PmapBox, PoolBox, UaoRef};
use vmm_kernel::once::Once;
use vmm_kernel::pod::{as_bytes, from_bytes_mut};
use vmm_kernel::sync::{RwLock, SharedOwner};
use vmm_kernel::{Errno, Kernel, PoolId};
use vmm_testkit::{Fail, HostKernel};

struct Dropped<'a>(&'a AtomicUsize);
impl Drop for Dropped<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn rwlock_guards_exclude_writers_and_try_write_is_ebusy() {
    let k = HostKernel::new();
    let l = RwLock::new(k, 5u32, c"t");
    {
        let r1 = l.read();
        let r2 = l.read();
        assert_eq!(*r1 + *r2, 10);
        assert_eq!(l.try_write().err(), Some(Errno::EBUSY));
    }
    *l.write() += 1;
    assert_eq!(*l.read(), 6);
}

#[test]
fn shared_object_outlives_owner_drop_until_refs_go() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let k = HostKernel::new();
    k.pool_init(PoolId::Vm, 64, 8, c"t");
    let owner = SharedOwner::new(k, PoolId::Vm, Dropped(&DROPS))
        .ok()
        .unwrap();
    let r = owner.get_ref();
    let t = std::thread::spawn(move || drop(owner));
    std::thread::sleep(std::time::Duration::from_millis(30));
    assert!(!t.is_finished(), "owner drop waits for the reference");
    assert_eq!(DROPS.load(Ordering::SeqCst), 0);
    drop(r);
    t.join().unwrap();
    assert_eq!(DROPS.load(Ordering::SeqCst), 1);
    assert_eq!(k.snapshot().pool_objs, [0, 0, 0]);
}

#[test]
fn destroy_with_a_foreign_ref_is_refused() {
    let k = HostKernel::new();
    k.pool_init(PoolId::Vm, 64, 8, c"t");
    let a = SharedOwner::new(k, PoolId::Vm, 1u32).ok().unwrap();
    let b = SharedOwner::new(k, PoolId::Vm, 2u32).ok().unwrap();
    let rb = b.get_ref();
    let (a, rb) = match a.destroy(rb, c"t") {
        Err(both) => both,
        Ok(_) => panic!("destroyed with another object's reference"),
    };
    assert_eq!(*rb, 2);
    drop(rb);
    let ra = a.get_ref();
    assert_eq!(a.destroy(ra, c"t").ok(), Some(1));
    drop(b);
    assert_eq!(k.snapshot().pool_objs, [0, 0, 0]);
}

#[test]
fn pool_refuses_objects_bigger_or_more_aligned_than_configured() {
    let k = HostKernel::new();
    k.pool_init(PoolId::Vcpu, 16, 8, c"t");
    assert!(PoolBox::new(k, PoolId::Vcpu, [0u64; 2]).is_ok());
    assert!(PoolBox::new(k, PoolId::Vcpu, [0u64; 3]).is_err(), "too big");
    #[repr(align(64))]
    struct A(#[allow(dead_code)] u8);
    assert!(PoolBox::new(k, PoolId::Vcpu, A(0)).is_err(), "too aligned");
    k.fail_nth(Fail::PoolGet, 0);
    assert_eq!(
        PoolBox::new(k, PoolId::Vcpu, 7u64).err(),
        Some(7),
        "value handed back"
    );
    assert_eq!(k.snapshot().pool_objs, [0, 0, 0]);
}

#[test]
fn pages_are_contiguous_aligned_zeroed_and_counted() {
    let k = HostKernel::new();
    let mut p = Pages::alloc(k, 3).unwrap();
    assert_eq!(p.pa() % 4096, 0);
    assert_eq!(p.as_slice().len(), 3 * 4096);
    assert!(p.as_slice().iter().all(|b| *b == 0));
    p.as_mut_slice()[4095] = 1;
    assert_eq!(k.snapshot().pages, 3);
    assert!(Pages::alloc(k, 0).is_none());
    drop(p);
    assert_eq!(k.snapshot().pages, 0);
    k.fail_nth(Fail::PagesAlloc, 0);
    assert!(Pages::alloc(k, 1).is_none());
}

#[test]
fn page_array_initialises_and_drops_every_element() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let k = HostKernel::new();
    let a = PageArray::new(k, 1000, || Some(Dropped(&DROPS))).unwrap();
    assert_eq!(a.len(), 1000);
    assert_eq!(
        k.snapshot().pages,
        (1000 * std::mem::size_of::<Option<Dropped>>()).div_ceil(4096)
    );
    drop(a);
    assert_eq!(DROPS.load(Ordering::SeqCst), 1000);
    assert_eq!(k.snapshot().pages, 0);
}

#[test]
fn kbuf_zeroed_and_freed() {
    let k = HostKernel::new();
    let b = KBuf::zeroed(k, 100).unwrap();
    assert!(b.as_slice().iter().all(|x| *x == 0));
    assert_eq!(k.snapshot().malloc_bytes, 100);
    drop(b);
    assert_eq!(k.snapshot().malloc_objs, 0);
    assert!(KBuf::zeroed(k, 0).is_none());
}

#[test]
fn once_sets_once() {
    let o: Once<u32> = Once::new();
    assert!(o.get().is_none());
    assert_eq!(o.set_with(|| 1).copied(), Some(1));
    assert!(o.set_with(|| 2).is_none());
    assert_eq!(o.get().copied(), Some(1));
}

#[test]
fn pod_views_check_length_and_alignment() {
    let mut buf = [0u64; 4];
    let bytes: &mut [u8] = vmm_kernel::pod::as_bytes_mut(&mut buf);
    assert!(
        from_bytes_mut::<u64>(&mut bytes[..7]).is_none(),
        "too short"
    );
    assert!(
        from_bytes_mut::<u64>(&mut bytes[1..9]).is_none(),
        "misaligned"
    );
    *from_bytes_mut::<u64>(&mut bytes[8..]).unwrap() = 0x0102;
    assert_eq!(buf[1], 0x0102);
    assert_eq!(as_bytes(&0x0304u16), &[4, 3]);
}

#[test]
fn pmap_references_keep_it_until_the_last_box_goes() {
    // The amd64 backend keeps a reference of its own (`clone_ref`) for the
    // nested-paging operations: the pmap must outlive the driver's box
    // while it is held, and go with the last reference.
    let k = HostKernel::new();
    let a = PmapBox::create(k).unwrap();
    let b = a.clone_ref();
    drop(a);
    assert_eq!(k.snapshot().pmaps, 1, "the second reference keeps it");
    b.remove(0, 0x1000);
    assert_eq!(k.pmap_removes(b.raw()), vec![(0, 0x1000)]);
    drop(b);
    assert_eq!(k.snapshot().pmaps, 0, "the last reference destroys it");
}

#[test]
fn uao_mapping_takes_the_reference_only_when_it_succeeds() {
    let k = HostKernel::new();
    let pid = k.spawn(0);
    k.switch(pid);
    let p = k.curproc();
    let u = UaoRef::create(k, 0x2000).unwrap();
    k.fail_nth(Fail::MapGuest, 0);
    let mut va = 0;
    assert!(u.clone_ref().map(p, &mut va, 0x2000).is_err());
    assert_eq!(k.snapshot().uaos, 1, "a failed map gave its reference back");
    u.clone_ref().map(p, &mut va, 0x2000).unwrap();
    drop(u);
    assert_eq!(k.snapshot().uaos, 1, "the mapping holds the object");
    assert_eq!(k.snapshot().mappings, 1);
    k.unmap(p, va, va + 0x2000);
    assert_eq!(k.snapshot().uaos, 0, "unmapping dropped the last reference");
}

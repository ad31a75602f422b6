//! The VM table behind `vm_find`: a slot per `id % MAX_VMS`, threaded
//! newest first.  Lookups after holes, INFO order, removal from anywhere in
//! the list, the full table, and the id rule (README "Differences from the
//! C driver" 23): an id whose slot a live VM holds is skipped.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;
use common::*;

use vmm_abi::*;
use vmm_core::vm::{next_vm_id, MAX_VMS};
use vmm_kernel::pod::zeroed;
use vmm_kernel::Errno;

/// A one-page VM (the smallest the driver takes), named `name`.
fn create_small(e: &Env, name: &str) -> KResultId {
    let mut vcp: vm_create_params = zeroed();
    vcp.vcp_ncpus = 1;
    vcp.vcp_nmemranges = 1;
    vcp.vcp_memranges[0] = range(0, 4096, VM_MEM_RAM);
    for (d, s) in vcp.vcp_name.iter_mut().zip(name.bytes()) {
        *d = s as core::ffi::c_char;
    }
    e.create(&mut vcp).map(|()| vcp.vcp_id)
}

type KResultId = Result<u32, Errno>;

/// The ids INFO reports, in its order.
fn info_ids(e: &Env) -> Vec<u32> {
    e.info().iter().map(|r| r.vir_id).collect()
}

/// `vm_find` of `id` finds the VM with that id (and name).
fn found(e: &Env, id: u32, name: &str) {
    let vm = e
        .vmm
        .vm_find(e.k.caller(), id)
        .unwrap_or_else(|err| panic!("vm_find({id}): {err:?}"));
    assert_eq!(vm.id, id);
    let n: Vec<u8> = vm.name.iter().take_while(|c| **c != 0).copied().collect();
    assert_eq!(n, name.as_bytes(), "vm_find({id}) found another VM");
}

fn missing(e: &Env, id: u32) {
    assert_eq!(
        e.vmm.vm_find(e.k.caller(), id).err(),
        Some(Errno::ENOENT),
        "vm_find({id})"
    );
}

#[test]
fn next_vm_id_follows_upstream_and_skips_taken_slots() {
    let free = |_: usize| false;
    assert_eq!(next_vm_id(0, free), Some(1), "the first id is 1");
    assert_eq!(next_vm_id(41, free), Some(42));
    // Upstream's u32 vm_idx++ wraps to 0.
    assert_eq!(next_vm_id(u32::MAX, free), Some(0));
    // The slot of 513 is 1: taken, so 514.
    assert_eq!(next_vm_id(512, |s| s == 1), Some(514));
    // Across the wrap: slots 511 (id u32::MAX) and 0 (id 0) taken.
    assert_eq!(
        next_vm_id(u32::MAX - 1, |s| s == 511 || s == 0),
        Some(1),
        "u32::MAX and 0 skipped"
    );
    // Every slot taken but one.
    assert_eq!(next_vm_id(7, |s| s != 7), Some(7 + MAX_VMS as u32));
    // Every slot taken.
    assert_eq!(next_vm_id(7, |_| true), None);
}

#[test]
fn id_of_a_long_lived_vms_slot_is_skipped() {
    let e = env();
    let old = create_small(&e, "old").unwrap();
    assert_eq!(old, 1);
    // 511 short-lived VMs: ids 2..=512, slots 2..=511 and 0.
    for want in 2..=512u32 {
        let id = create_small(&e, "short").unwrap();
        assert_eq!(id, want, "upstream's sequence while no slot collides");
        e.terminate(id).unwrap();
    }
    // 513's slot (1) is the long-lived VM's: the next id is 514.
    let new = create_small(&e, "new").unwrap();
    assert_eq!(new, 514);
    missing(&e, 513);
    found(&e, old, "old");
    found(&e, new, "new");
    // The sequence goes on from the id handed out.
    let next = create_small(&e, "next").unwrap();
    assert_eq!(next, 515);
    assert_eq!(info_ids(&e), vec![515, 514, 1]);
    // With the old VM gone, its slot is used again.
    e.terminate(old).unwrap();
    e.terminate(new).unwrap();
    e.terminate(next).unwrap();
    for want in 516..=1025u32 {
        let id = create_small(&e, "short").unwrap();
        assert_eq!(id, want);
        e.terminate(id).unwrap();
    }
    assert_eq!(
        create_small(&e, "again").unwrap(),
        1026,
        "slot 2, was 514's"
    );
    e.assert_clean(&[]);
}

#[test]
fn find_after_holes() {
    let e = env();
    let names: Vec<String> = (1..=40).map(|i| format!("vm{i}")).collect();
    for (i, n) in names.iter().enumerate() {
        assert_eq!(create_small(&e, n).unwrap(), i as u32 + 1);
    }
    // Holes: every third VM, the first and the last.
    let gone = |id: u32| id.is_multiple_of(3) || id == 1 || id == 40;
    for id in (1..=40).filter(|id| gone(*id)) {
        e.terminate(id).unwrap();
    }
    for id in 1..=40u32 {
        if gone(id) {
            missing(&e, id);
        } else {
            found(&e, id, &names[id as usize - 1]);
        }
        // Same slot, other id: never this VM.
        missing(&e, id + MAX_VMS as u32);
        missing(&e, id.wrapping_sub(MAX_VMS as u32));
    }
    missing(&e, 0);
    missing(&e, u32::MAX);
    // A terminated VM's id stays unknown to TERM too.
    assert_eq!(e.terminate(3), Err(Errno::ENOENT));
    // New VMs fill in after the holes and are found.
    let a = create_small(&e, "a").unwrap();
    assert_eq!(a, 41);
    found(&e, a, "a");
    e.assert_clean(&[]);
}

#[test]
fn info_is_newest_first_through_removals() {
    let e = env();
    for i in 1..=6 {
        assert_eq!(create_small(&e, &format!("v{i}")).unwrap(), i);
    }
    assert_eq!(info_ids(&e), vec![6, 5, 4, 3, 2, 1]);
    // From the middle, the newest end and the oldest end.
    e.terminate(3).unwrap();
    assert_eq!(info_ids(&e), vec![6, 5, 4, 2, 1]);
    e.terminate(6).unwrap();
    assert_eq!(info_ids(&e), vec![5, 4, 2, 1]);
    e.terminate(1).unwrap();
    assert_eq!(info_ids(&e), vec![5, 4, 2]);
    // A new VM goes first.
    assert_eq!(create_small(&e, "v7").unwrap(), 7);
    assert_eq!(info_ids(&e), vec![7, 5, 4, 2]);
    let names: Vec<String> = e.info().iter().map(name_of).collect();
    assert_eq!(names, ["v7", "v5", "v4", "v2"]);
    // Down to one, to none, and up again.
    for id in [4, 7, 2] {
        e.terminate(id).unwrap();
    }
    assert_eq!(info_ids(&e), vec![5]);
    e.terminate(5).unwrap();
    assert!(info_ids(&e).is_empty());
    assert_eq!(create_small(&e, "v8").unwrap(), 8);
    assert_eq!(info_ids(&e), vec![8]);
    found(&e, 8, "v8");
    e.assert_clean(&[]);
}

#[test]
fn full_table_then_a_hole_in_the_middle() {
    let e = env();
    for want in 1..=MAX_VMS as u32 {
        assert_eq!(create_small(&e, "f").unwrap(), want);
    }
    assert_eq!(e.vmm.counts(), (MAX_VMS, MAX_VMS));
    // Full: every vcpu is taken, as upstream (ENOMEM).
    assert_eq!(create_small(&e, "over"), Err(Errno::ENOMEM));
    assert_eq!(e.vmm.counts(), (MAX_VMS, MAX_VMS));
    let all: Vec<u32> = (1..=MAX_VMS as u32).rev().collect();
    assert_eq!(info_ids(&e), all);
    for id in 1..=MAX_VMS as u32 {
        found(&e, id, "f");
    }
    // One slot free (VM 200's): the next id is the first after 512 whose
    // slot is 200.
    e.terminate(200).unwrap();
    missing(&e, 200);
    let id = create_small(&e, "mid").unwrap();
    assert_eq!(id, 200 + MAX_VMS as u32);
    found(&e, id, "mid");
    assert_eq!(info_ids(&e)[0], id);
    assert_eq!(info_ids(&e).len(), MAX_VMS);
    assert_eq!(create_small(&e, "over"), Err(Errno::ENOMEM));
    // Terminate from the middle outwards; the rest stay findable.
    for id in (100..=300u32).rev().filter(|i| *i != 200) {
        e.terminate(id).unwrap();
    }
    for id in (1..100u32).chain(301..=512) {
        found(&e, id, "f");
    }
    let left = info_ids(&e);
    assert_eq!(left.len(), MAX_VMS - 200);
    assert!(left.windows(2).all(|w| w[0] > w[1]), "newest first");
    e.assert_clean(&[]);
}

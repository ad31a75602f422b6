//! VMM_IOC_CREATE: every range rule, the vcpu cap, ids, mappings, and the
//! unwinding of every failure point.
#![allow(
    clippy::panic,
    clippy::unreachable,
    clippy::type_complexity,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;
use common::*;

use vmm_abi::*;
use vmm_core::Backend;
use vmm_kernel::pod::zeroed;
use vmm_kernel::Errno;
use vmm_testkit::Fail;

#[test]
fn vmd_64m_guest_is_created_and_mapped_immutably() {
    let e = env();
    let mut vcp = vmd_64m("guest1");
    e.create(&mut vcp).unwrap();
    assert_eq!(vcp.vcp_id, 1);
    let maps = e.k.mappings(e.root);
    // RAM and RESERVED ranges are mapped, the MMIO range is not.
    assert_eq!(maps.len(), 4);
    for (i, r) in vcp.vcp_memranges[..5].iter().enumerate() {
        if r.vmr_type == VM_MEM_MMIO as i32 {
            assert_eq!(r.vmr_va, 0, "MMIO range {i} must not be mapped");
            continue;
        }
        assert_ne!(r.vmr_va, 0, "range {i} has no address");
        assert_eq!(r.vmr_va % 4096, 0);
        let m = maps.iter().find(|m| m.0 == r.vmr_va).unwrap();
        assert_eq!(m.1, r.vmr_size);
        assert!(m.2, "mapping of range {i} must be immutable");
        // Userland cannot remove it.
        assert_eq!(e.k.user_munmap(e.root, r.vmr_va), Err(Errno::EPERM));
    }
    let info = e.info();
    assert_eq!(info.len(), 1);
    assert_eq!(
        info[0].vir_memory_size, 0x440_0000,
        "68 MiB: MMIO is not counted"
    );
    assert_eq!(info[0].vir_ncpus, 1);
    assert_eq!(info[0].vir_creator_pid, e.root);
    assert_eq!(name_of(&info[0]), "guest1");
    // Two references on each memory object: the mapping's and the driver's.
    let u =
        e.k.mapping_uobj(e.root, vcp.vcp_memranges[2].vmr_va)
            .unwrap();
    assert_eq!(e.k.uobj_refs(u), 2);
    // The backend reported the vcpu's ASID.
    assert_eq!(vcp.vcp_asid[0], 1);
    e.assert_clean(&[]);
}

#[test]
fn ids_increase_from_one_and_are_not_reused() {
    let e = env();
    let a = e.create_vm("a");
    let b = e.create_vm("b");
    assert_eq!((a, b), (1, 2));
    e.terminate(b).unwrap();
    let c = e.create_vm("c");
    assert_eq!(c, 3);
    e.assert_clean(&[]);
}

#[test]
fn name_is_truncated_to_63_bytes_and_terminated() {
    let e = env();
    let mut vcp = vmd_64m("");
    for c in vcp.vcp_name.iter_mut() {
        *c = b'x' as core::ffi::c_char;
    }
    e.create(&mut vcp).unwrap();
    let n = name_of(&e.info()[0]);
    assert_eq!(n.len(), 63);
    e.assert_clean(&[]);
}

fn expect_einval(f: impl FnOnce(&mut vm_create_params)) {
    let e = env();
    let mut vcp = vmd_64m("bad");
    f(&mut vcp);
    assert_eq!(e.create(&mut vcp), Err(Errno::EINVAL));
    assert!(e.k.mappings(e.root).is_empty(), "nothing mapped on EINVAL");
    assert_eq!(e.vmm.counts(), (0, 0));
    e.assert_clean(&[]);
}

#[test]
fn zero_ranges_einval() {
    expect_einval(|v| v.vcp_nmemranges = 0);
}

#[test]
fn too_many_ranges_einval() {
    expect_einval(|v| v.vcp_nmemranges = 17);
}

#[test]
fn unaligned_gpa_einval() {
    // vmd's own latent bug for guests of 5 MiB or less: gpa 0xFFBFFFFF.
    expect_einval(|v| v.vcp_memranges[4].vmr_gpa = 0xFFBF_FFFF);
}

#[test]
fn unaligned_va_einval() {
    expect_einval(|v| v.vcp_memranges[0].vmr_va = 0x1234);
}

#[test]
fn unaligned_size_einval() {
    expect_einval(|v| v.vcp_memranges[2].vmr_size = 0x3F0_0001);
}

#[test]
fn zero_size_einval() {
    expect_einval(|v| v.vcp_memranges[1].vmr_size = 0);
}

#[test]
fn gpa_at_128g_einval() {
    expect_einval(|v| {
        v.vcp_nmemranges = 1;
        v.vcp_memranges[0] = range(128 << 30, 4096, VM_MEM_RAM);
    });
}

#[test]
fn range_crossing_128g_einval() {
    expect_einval(|v| {
        v.vcp_nmemranges = 1;
        v.vcp_memranges[0] = range((128 << 30) - 4096, 8192, VM_MEM_RAM);
    });
}

#[test]
fn size_that_would_wrap_einval() {
    expect_einval(|v| {
        v.vcp_nmemranges = 1;
        v.vcp_memranges[0] = range(4096, usize::MAX - 4095, VM_MEM_RAM);
    });
}

#[test]
fn overlapping_ranges_einval() {
    expect_einval(|v| v.vcp_memranges[1].vmr_gpa = 0x9F000);
}

#[test]
fn descending_ranges_einval() {
    expect_einval(|v| v.vcp_memranges.swap(0, 1));
}

#[test]
fn ncpus_other_than_one_einval() {
    expect_einval(|v| v.vcp_ncpus = 0);
    expect_einval(|v| v.vcp_ncpus = 2);
}

#[test]
fn range_ending_exactly_at_128g_is_accepted() {
    let e = env();
    let mut vcp: vm_create_params = zeroed();
    vcp.vcp_ncpus = 1;
    vcp.vcp_nmemranges = 1;
    vcp.vcp_memranges[0] = range((128 << 30) - 4096, 4096, VM_MEM_RAM);
    e.create(&mut vcp).unwrap();
    e.assert_clean(&[]);
}

#[test]
fn sixteen_ranges_accepted() {
    let e = env();
    let mut vcp: vm_create_params = zeroed();
    vcp.vcp_ncpus = 1;
    vcp.vcp_nmemranges = 16;
    for i in 0..16 {
        vcp.vcp_memranges[i] = range(i as u64 * 0x10000, 0x1000, VM_MEM_RAM);
    }
    e.create(&mut vcp).unwrap();
    assert_eq!(e.info()[0].vir_memory_size, 16 * 0x1000);
    e.assert_clean(&[]);
}

#[test]
fn global_vcpu_cap_enomem() {
    let e = env();
    let mut vcp: vm_create_params = zeroed();
    vcp.vcp_ncpus = 1;
    vcp.vcp_nmemranges = 1;
    vcp.vcp_memranges[0] = range(0, 4096, VM_MEM_RAM);
    for i in 0..512 {
        let mut v = vcp;
        e.create(&mut v)
            .unwrap_or_else(|err| panic!("vm {i}: {err:?}"));
    }
    assert_eq!(e.vmm.counts(), (512, 512));
    let mut v = vcp;
    assert_eq!(e.create(&mut v), Err(Errno::ENOMEM));
    assert_eq!(e.vmm.counts(), (512, 512));
    e.assert_clean(&[]);
}

/// Every allocation or mapping step of vm_create, failed in turn: the
/// errno is the one upstream returns, and nothing is left behind (not
/// even the mappings already made in the caller, unlike upstream).
#[test]
fn every_failure_point_unwinds_completely() {
    let cases: &[(Fail, usize, Errno)] = &[
        (Fail::PmapCreate, 0, Errno::ENOMEM),
        (Fail::UaoCreate, 0, Errno::ENOMEM),
        (Fail::UaoCreate, 3, Errno::ENOMEM),
        (Fail::MapGuest, 0, Errno::ENOMEM),
        (Fail::MapGuest, 2, Errno::ENOMEM),
        (Fail::MapImmutable, 0, Errno::EPERM),
        (Fail::MapImmutable, 3, Errno::EPERM),
        (Fail::PagesAlloc, 0, Errno::ENOMEM),
        (Fail::PoolGet, 0, Errno::ENOMEM),
        (Fail::PoolGet, 1, Errno::ENOMEM),
    ];
    for &(op, nth, errno) in cases {
        let e = env();
        e.k.fail_nth(op, nth);
        let mut vcp = vmd_64m("f");
        assert_eq!(e.create(&mut vcp), Err(errno), "{op:?} #{nth}");
        e.k.clear_failures();
        assert_eq!(e.vmm.counts(), (0, 0), "{op:?} #{nth}: counts");
        assert!(
            e.k.mappings(e.root).is_empty(),
            "{op:?} #{nth}: mappings left"
        );
        assert_eq!(e.k.snapshot(), e.baseline, "{op:?} #{nth}: leak");
        assert!(!e.vmm.backend().running(), "{op:?} #{nth}: CPUs left on");
        // And the driver still works.
        let id = e.create_vm("after");
        assert!(id >= 1);
        e.assert_clean(&[]);
    }
}

#[test]
fn backend_vm_init_failure_is_enomem() {
    let e = env();
    e.vmm
        .backend()
        .fail_vm_init
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let mut vcp = vmd_64m("x");
    assert_eq!(e.create(&mut vcp), Err(Errno::ENOMEM));
    assert_eq!(e.k.snapshot(), e.baseline);
    e.assert_clean(&[]);
}

#[test]
fn backend_vcpu_init_error_is_passed_through() {
    let e = env();
    e.vmm
        .backend()
        .fail_vcpu_init
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let mut vcp = vmd_64m("x");
    assert_eq!(e.create(&mut vcp), Err(Errno::ENOMEM));
    assert_eq!(e.k.snapshot(), e.baseline);
    e.assert_clean(&[]);
}

#[test]
fn cpus_started_with_first_vm_and_stopped_with_last() {
    let e = env();
    let b = e.vmm.backend();
    assert!(!b.running());
    let a = e.create_vm("a");
    let c = e.create_vm("c");
    assert!(b.running());
    e.terminate(a).unwrap();
    assert!(b.running(), "one VM left");
    e.terminate(c).unwrap();
    assert!(!b.running(), "stopped with the last VM");
    e.assert_clean(&[]);
}

#[test]
fn start_failure_is_returned_and_cpus_stopped() {
    let e = env();
    e.vmm
        .backend()
        .fail_start
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let mut vcp = vmd_64m("x");
    assert_eq!(e.create(&mut vcp), Err(Errno::EIO));
    assert_eq!(e.vmm.counts(), (0, 0));
    e.assert_clean(&[]);
}

#[test]
fn teardown_removes_nested_mappings_of_every_range() {
    let e = env();
    let mut vcp = vmd_64m("t");
    e.create(&mut vcp).unwrap();
    let pm = e
        .vmm
        .vm_find(e.k.caller(), vcp.vcp_id)
        .map(|vm| vm.md.pmap)
        .unwrap();
    e.terminate(vcp.vcp_id).unwrap();
    let removes = e.k.pmap_removes(pm);
    let want: Vec<(u64, u64)> = vcp.vcp_memranges[..5]
        .iter()
        .map(|r| (r.vmr_gpa, r.vmr_gpa + r.vmr_size as u64 - 1))
        .collect();
    assert_eq!(removes, want);
    e.assert_clean(&[]);
}

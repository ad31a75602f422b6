//! INFO, TERM, RESETCPU, SHAREMEM, READREGS/WRITEREGS, READ/WRITEVMPARAMS,
//! INTR and unknown ioctls: behaviour and every errno.
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

use std::mem::size_of;
use std::sync::atomic::Ordering;

use vmm_abi::ioctl::*;
use vmm_abi::*;
use vmm_kernel::pod::zeroed;
use vmm_kernel::Errno;
use vmm_testkit::Fail;

// ---- VMM_IOC_INFO ---------------------------------------------------

#[test]
fn info_two_call_size_protocol() {
    let e = env();
    let mut vip: vm_info_params = zeroed();
    e.ioctl(VMM_IOC_INFO, &mut vip).unwrap();
    assert_eq!(
        (vip.vip_size, vip.vip_info_ct),
        (0, 0),
        "no VMs: nothing needed"
    );
    e.create_vm("one");
    e.create_vm("two");
    let mut vip: vm_info_params = zeroed();
    vip.vip_info_ct = 77;
    e.ioctl(VMM_IOC_INFO, &mut vip).unwrap();
    assert_eq!(vip.vip_size, 2 * size_of::<vm_info_result>());
    assert_eq!(vip.vip_info_ct, 0);
    // One byte short: still only the size.
    vip.vip_size -= 1;
    e.ioctl(VMM_IOC_INFO, &mut vip).unwrap();
    assert_eq!(vip.vip_info_ct, 0);
    assert_eq!(vip.vip_size, 320);
    let infos = e.info();
    assert_eq!(infos.len(), 2);
    // Newest first, as upstream's list.
    assert_eq!(name_of(&infos[0]), "two");
    assert_eq!(name_of(&infos[1]), "one");
    assert_eq!(infos[0].vir_id, 2);
    assert_eq!(infos[0].vir_vcpu_state[0], VCPU_STATE_STOPPED as u8);
    assert_eq!(
        infos[0].vir_vcpu_state[1], 0,
        "only vir_ncpus entries are set"
    );
    e.assert_clean(&[]);
}

#[test]
fn info_reports_used_size_from_the_pmap() {
    let e = env();
    let id = e.create_vm("u");
    let pm = e.vmm.vm_find(e.k.caller(), id).map(|v| v.md.pmap).unwrap();
    e.k.set_pmap_resident(pm, 5);
    assert_eq!(e.info()[0].vir_used_size, 5 * 4096);
    e.assert_clean(&[]);
}

#[test]
fn info_bad_buffer_efault() {
    let e = env();
    e.create_vm("x");
    let mut vip: vm_info_params = zeroed();
    vip.vip_size = size_of::<vm_info_result>();
    vip.vip_info = 0xdead_0000 as *mut vm_info_result;
    assert_eq!(e.ioctl(VMM_IOC_INFO, &mut vip), Err(Errno::EFAULT));
    // A buffer one byte too small for the copy-out (but vip_size lies).
    let short = e.k.user_alloc(e.root, size_of::<vm_info_result>() - 1);
    vip.vip_info = short as *mut vm_info_result;
    assert_eq!(e.ioctl(VMM_IOC_INFO, &mut vip), Err(Errno::EFAULT));
    assert_eq!(e.k.snapshot().malloc_objs, 0, "buffer freed on EFAULT");
    e.assert_clean(&[]);
}

#[test]
fn info_allocation_failure_enomem() {
    let e = env();
    e.create_vm("x");
    let mut vip: vm_info_params = zeroed();
    vip.vip_size = size_of::<vm_info_result>();
    vip.vip_info = e.k.user_alloc(e.root, vip.vip_size) as *mut vm_info_result;
    vip.vip_info_ct = 9;
    e.k.fail_nth(Fail::Malloc, 0);
    assert_eq!(e.ioctl(VMM_IOC_INFO, &mut vip), Err(Errno::ENOMEM));
    assert_eq!(vip.vip_info_ct, 0);
    e.assert_clean(&[]);
}

// ---- VMM_IOC_TERM ---------------------------------------------------

#[test]
fn terminate_unknown_enoent() {
    let e = env();
    assert_eq!(e.terminate(1), Err(Errno::ENOENT));
    e.create_vm("x");
    assert_eq!(e.terminate(2), Err(Errno::ENOENT));
    e.terminate(1).unwrap();
    assert_eq!(e.terminate(1), Err(Errno::ENOENT), "gone after terminate");
    e.assert_clean(&[]);
}

#[test]
fn lookup_by_id_after_holes_and_new_vms() {
    // The VM table is kept sorted by id and searched by bisection: every
    // live id must be found and every gone or unknown one refused, with
    // holes anywhere in the table.
    let e = env();
    let ids: Vec<u32> = (0..7).map(|i| e.create_vm(&format!("v{i}"))).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7]);
    for gone in [1, 4, 7] {
        e.terminate(gone).unwrap();
    }
    let new = e.create_vm("v8");
    assert_eq!(new, 8, "ids are not reused");
    let intr = |id: u32| {
        let mut vip: vm_intr_params = zeroed();
        vip.vip_vm_id = id;
        e.ioctl(VMM_IOC_INTR, &mut vip)
    };
    for id in [2, 3, 5, 6, 8] {
        assert_eq!(intr(id), Ok(()), "VM {id} is live");
    }
    for id in [0, 1, 4, 7, 9, 1000, u32::MAX] {
        assert_eq!(intr(id), Err(Errno::ENOENT), "VM {id} is not");
    }
    let mut live: Vec<u32> = e.info().iter().map(|r| r.vir_id).collect();
    live.sort_unstable();
    assert_eq!(live, [2, 3, 5, 6, 8]);
    for id in [2, 3, 5, 6, 8] {
        e.terminate(id).unwrap();
    }
    e.assert_clean(&[]);
}

#[test]
fn terminate_leaves_creator_mappings_until_process_exit() {
    let e = env();
    let mut vcp = vmd_64m("m");
    e.create(&mut vcp).unwrap();
    e.terminate(vcp.vcp_id).unwrap();
    // The VM's memory stays mapped in vmd (the mapping holds it) ...
    assert_eq!(e.k.mappings(e.root).len(), 4);
    assert_eq!(e.k.snapshot().uaos, 4);
    // ... and goes with the process.
    e.k.proc_exit(e.root);
    assert_eq!(e.k.snapshot(), e.baseline);
}

#[test]
fn terminate_while_referenced_waits_and_second_caller_gets_ebusy() {
    let e = env();
    let id = e.create_vm("busy");
    // Hold a reference the way a concurrent ioctl would.
    let held = e.vmm.vm_find(e.k.caller(), id).unwrap();
    let k = e.k;
    let vmm = e.vmm;
    let root = e.root;
    let t = std::thread::spawn(move || {
        k.switch(root);
        let mut p = vm_terminate_params { vtp_vm_id: id };
        vmm.ioctl(
            k.caller(),
            u64::from(VMM_IOC_TERM),
            vmm_kernel::pod::as_bytes_mut(&mut p),
        )
    });
    // Wait until the terminator has claimed the VM.
    // While it is torn down, INFO still counts it (vm_ct) but the list no
    // longer has it: the entry comes back zeroed, as upstream's does.
    while e.info().iter().any(|r| r.vir_id == id) {
        std::thread::yield_now();
    }
    assert_eq!(e.terminate(id), Err(Errno::ENOENT), "already off the list");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(!t.is_finished(), "terminate must wait for the reference");
    assert_eq!(held.id, id, "the held VM is still intact");
    drop(held);
    assert_eq!(t.join().unwrap(), Ok(()));
    e.assert_clean(&[]);
}

#[test]
fn terminate_of_dying_vm_ebusy() {
    let e = env();
    let id = e.create_vm("d");
    // Stop the first terminator after it has claimed the VM (dying set)
    // but before it takes the VM off the list.
    e.k.close_gate("vm_list");
    let (k, vmm, root) = (e.k, e.vmm, e.root);
    let t = std::thread::spawn(move || {
        k.switch(root);
        let mut p = vm_terminate_params { vtp_vm_id: id };
        vmm.ioctl(
            k.caller(),
            u64::from(VMM_IOC_TERM),
            vmm_kernel::pod::as_bytes_mut(&mut p),
        )
    });
    e.k.wait_gated(1);
    assert_eq!(e.terminate(id), Err(Errno::EBUSY), "second terminate");
    e.k.open_gate("vm_list");
    assert_eq!(t.join().unwrap(), Ok(()));
    e.assert_clean(&[]);
}

// ---- VMM_IOC_RESETCPU -------------------------------------------------

#[test]
fn resetcpu_errnos() {
    let e = env();
    assert_eq!(e.reset(1, 0, 0), Err(Errno::ENOENT), "no VM");
    let id = e.create_vm("r");
    assert_eq!(e.reset(id, 1, 0), Err(Errno::ENOENT), "no vcpu 1");
    e.reset(id, 0, 0x7c00).unwrap();
    let v = e.vmm.vm_find(e.k.caller(), id).unwrap();
    let vc = v.vcpu(0).unwrap();
    assert_eq!(vc.inner.read().md.regs.vrs_gprs[VCPU_REGS_RIP], 0x7c00);
    // Not stopped: EBUSY.
    vc.state.store(VCPU_STATE_RUNNING, Ordering::SeqCst);
    assert_eq!(e.reset(id, 0, 0), Err(Errno::EBUSY));
    vc.state.store(VCPU_STATE_TERMINATED, Ordering::SeqCst);
    assert_eq!(e.reset(id, 0, 0), Err(Errno::EBUSY));
    vc.state.store(VCPU_STATE_STOPPED, Ordering::SeqCst);
    drop(v);
    e.vmm.backend().fail_reset.store(true, Ordering::SeqCst);
    assert_eq!(e.reset(id, 0, 0), Err(Errno::EIO), "backend refusal is EIO");
    e.assert_clean(&[]);
}

// ---- VMM_IOC_SHAREMEM -------------------------------------------------

#[test]
fn sharemem_maps_the_same_memory_into_a_device_process() {
    let e = env();
    let mut vcp = vmd_64m("s");
    e.create(&mut vcp).unwrap();
    let dev = e.k.spawn(PROC_VMM);
    e.k.switch(dev);
    let (r, vsp) = e.share(vcp.vcp_id, &vcp);
    r.unwrap();
    assert_eq!(vsp.vsp_va[3], 0, "MMIO not mapped");
    for i in [0usize, 1, 2, 4] {
        assert_ne!(vsp.vsp_va[i], 0);
    }
    let maps = e.k.mappings(dev);
    assert_eq!(maps.len(), 4);
    assert!(maps.iter().all(|m| m.2), "immutable");
    // A write by the VM process is seen by the device process.
    e.k.user_write(e.root, vcp.vcp_memranges[2].vmr_va + 0x1000, b"hello")
        .unwrap();
    assert_eq!(
        e.k.user_read(dev, vsp.vsp_va[2] + 0x1000, 5).unwrap(),
        b"hello"
    );
    // Three references: creator's mapping, device's mapping, driver's.
    let u = e.k.mapping_uobj(dev, vsp.vsp_va[2]).unwrap();
    assert_eq!(e.k.uobj_refs(u), 3);
    e.assert_clean(&[dev]);
}

#[test]
fn sharemem_validation_einval() {
    let e = env();
    let mut vcp = vmd_64m("s");
    e.create(&mut vcp).unwrap();
    let id = vcp.vcp_id;
    let cases: Vec<Box<dyn Fn(&mut vm_sharemem_params)>> = vec![
        Box::new(|v| v.vsp_nmemranges = 4),
        Box::new(|v| v.vsp_nmemranges = 6),
        Box::new(|v| v.vsp_memranges[1].vmr_type = VM_MEM_RAM as i32),
        Box::new(|v| v.vsp_memranges[2].vmr_gpa += 4096),
        Box::new(|v| v.vsp_memranges[2].vmr_size -= 4096),
        Box::new(|v| v.vsp_va[4] = 0x1000),
        Box::new(|v| v.vsp_va[3] = 0x1000),
    ];
    for (i, f) in cases.iter().enumerate() {
        let mut vsp: vm_sharemem_params = zeroed();
        vsp.vsp_vm_id = id;
        vsp.vsp_nmemranges = 5;
        vsp.vsp_memranges = vcp.vcp_memranges;
        for r in vsp.vsp_memranges.iter_mut() {
            r.vmr_va = 0;
        }
        f(&mut vsp);
        assert_eq!(
            e.ioctl(VMM_IOC_SHAREMEM, &mut vsp),
            Err(Errno::EINVAL),
            "case {i}"
        );
    }
    assert_eq!(e.k.mappings(e.root).len(), 4, "no new mappings");
    let mut vsp: vm_sharemem_params = zeroed();
    vsp.vsp_vm_id = 99;
    assert_eq!(e.ioctl(VMM_IOC_SHAREMEM, &mut vsp), Err(Errno::ENOENT));
    e.assert_clean(&[]);
}

#[test]
fn sharemem_failure_rolls_back_mapped_ranges() {
    for (op, nth, errno) in [
        (Fail::MapGuest, 0, Errno::ENOMEM),
        (Fail::MapGuest, 2, Errno::ENOMEM),
        (Fail::MapGuest, 3, Errno::ENOMEM),
        (Fail::MapImmutable, 0, Errno::EPERM),
        (Fail::MapImmutable, 3, Errno::EPERM),
    ] {
        let e = env();
        let mut vcp = vmd_64m("s");
        e.create(&mut vcp).unwrap();
        let dev = e.k.spawn(PROC_VMM);
        e.k.switch(dev);
        // Something of the device's own at a low address, which upstream's
        // rollback of the MMIO range ([0, size)) would have hit.
        let own = e.k.user_alloc(dev, 64);
        e.k.user_write(dev, own, b"mine").unwrap();
        let before = e.k.snapshot();
        e.k.fail_nth(op, nth);
        let (r, _) = e.share(vcp.vcp_id, &vcp);
        assert_eq!(r, Err(errno), "{op:?} #{nth}");
        assert!(e.k.mappings(dev).is_empty(), "{op:?} #{nth}: rolled back");
        assert_eq!(e.k.snapshot(), before, "{op:?} #{nth}: references");
        assert_eq!(e.k.user_read(dev, own, 4).unwrap(), b"mine");
        e.assert_clean(&[dev]);
    }
}

// ---- READREGS / WRITEREGS ----------------------------------------------

#[test]
fn rwregs_round_trip_with_masks() {
    let e = env();
    let id = e.create_vm("regs");
    let mut w: vm_rwregs_params = zeroed();
    w.vrwp_vm_id = id;
    w.vrwp_mask = u64::from(VM_RWREGS_ALL);
    for (i, g) in w.vrwp_regs.vrs_gprs.iter_mut().enumerate() {
        *g = 0x1000 + i as u64;
    }
    w.vrwp_regs.vrs_crs[VCPU_REGS_CR0] = 0x8000_0011;
    w.vrwp_regs.vrs_msrs[VCPU_REGS_EFER] = 0x500;
    w.vrwp_regs.vrs_drs[VCPU_REGS_DR7] = 0x400;
    w.vrwp_regs.vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x8;
    e.ioctl(VMM_IOC_WRITEREGS, &mut w).unwrap();
    let mut r: vm_rwregs_params = zeroed();
    r.vrwp_vm_id = id;
    r.vrwp_mask = u64::from(VM_RWREGS_GPRS);
    e.ioctl(VMM_IOC_READREGS, &mut r).unwrap();
    assert_eq!(r.vrwp_regs.vrs_gprs, w.vrwp_regs.vrs_gprs);
    assert_eq!(r.vrwp_regs.vrs_crs[VCPU_REGS_CR0], 0, "CRS not in the mask");
    r.vrwp_mask = u64::from(VM_RWREGS_ALL);
    e.ioctl(VMM_IOC_READREGS, &mut r).unwrap();
    assert_eq!(r.vrwp_regs.vrs_crs[VCPU_REGS_CR0], 0x8000_0011);
    assert_eq!(r.vrwp_regs.vrs_msrs[VCPU_REGS_EFER], 0x500);
    assert_eq!(r.vrwp_regs.vrs_drs[VCPU_REGS_DR7], 0x400);
    assert_eq!(r.vrwp_regs.vrs_sregs[VCPU_REGS_CS].vsi_sel, 0x8);
    r.vrwp_vcpu_id = 3;
    assert_eq!(e.ioctl(VMM_IOC_READREGS, &mut r), Err(Errno::ENOENT));
    r.vrwp_vm_id = 42;
    assert_eq!(e.ioctl(VMM_IOC_WRITEREGS, &mut r), Err(Errno::ENOENT));
    e.assert_clean(&[]);
}

// ---- READVMPARAMS / WRITEVMPARAMS ----------------------------------------

#[test]
fn vmparams_round_trip_with_masks() {
    let e = env();
    let id = e.create_vm("pv");
    let mut w: vm_rwvmparams_params = zeroed();
    w.vpp_vm_id = id;
    w.vpp_mask = VM_RWVMPARAMS_ALL;
    w.vpp_pvclock_system_gpa = 0x5000 | 1;
    w.vpp_pvclock_version = 7;
    e.ioctl(VMM_IOC_WRITEVMPARAMS, &mut w).unwrap();
    let mut r: vm_rwvmparams_params = zeroed();
    r.vpp_vm_id = id;
    r.vpp_mask = VM_RWVMPARAMS_PVCLOCK_VERSION;
    e.ioctl(VMM_IOC_READVMPARAMS, &mut r).unwrap();
    assert_eq!((r.vpp_pvclock_version, r.vpp_pvclock_system_gpa), (7, 0));
    r.vpp_mask = VM_RWVMPARAMS_ALL;
    e.ioctl(VMM_IOC_READVMPARAMS, &mut r).unwrap();
    assert_eq!(r.vpp_pvclock_system_gpa, 0x5001);
    r.vpp_vcpu_id = 1;
    assert_eq!(e.ioctl(VMM_IOC_READVMPARAMS, &mut r), Err(Errno::ENOENT));
    r.vpp_vm_id = 9;
    assert_eq!(e.ioctl(VMM_IOC_WRITEVMPARAMS, &mut r), Err(Errno::ENOENT));
    e.assert_clean(&[]);
}

// ---- VMM_IOC_INTR and unknown ioctls -------------------------------------

#[test]
fn intr_sets_pending_flag() {
    let e = env();
    let id = e.create_vm("i");
    let mut vip = vm_intr_params {
        vip_vm_id: id,
        vip_vcpu_id: 0,
        vip_intr: 1,
    };
    e.ioctl(VMM_IOC_INTR, &mut vip).unwrap();
    let vm = e.vmm.vm_find(e.k.caller(), id).unwrap();
    assert_eq!(vm.vcpu(0).unwrap().intr.load(Ordering::SeqCst), 1);
    // The vcpu is not in guest mode anywhere: no IPI.
    assert_eq!(e.k.kicks(), Vec::<u32>::new());
    // All 16 bits are kept, as in upstream's vc_intr: 0x100 is pending
    // (truncated to 8 bits it was lost).
    vip.vip_intr = 0x100;
    e.ioctl(VMM_IOC_INTR, &mut vip).unwrap();
    assert_eq!(vm.vcpu(0).unwrap().intr.load(Ordering::SeqCst), 0x100);
    vip.vip_intr = 0;
    e.ioctl(VMM_IOC_INTR, &mut vip).unwrap();
    assert_eq!(vm.vcpu(0).unwrap().intr.load(Ordering::SeqCst), 0);
    drop(vm);
    vip.vip_vcpu_id = 1;
    assert_eq!(e.ioctl(VMM_IOC_INTR, &mut vip), Err(Errno::ENOENT));
    vip.vip_vm_id = 5;
    assert_eq!(e.ioctl(VMM_IOC_INTR, &mut vip), Err(Errno::ENOENT));
    e.assert_clean(&[]);
}

#[test]
fn unknown_ioctl_enotty() {
    let e = env();
    let mut x = [0u64; 8];
    // The old VMM_IOC_MPROTECT_EPT (_IOW('V', 12, 32 bytes)) is gone.
    let mprotect = IOC_IN | (32 << 16) | (u32::from(b'V') << 8) | 12;
    assert_eq!(
        e.vmm.ioctl(
            e.k.caller(),
            u64::from(mprotect),
            vmm_kernel::pod::as_bytes_mut(&mut x)
        ),
        Err(Errno::ENOTTY)
    );
    assert_eq!(
        e.vmm
            .ioctl(e.k.caller(), 0, vmm_kernel::pod::as_bytes_mut(&mut x)),
        Err(Errno::ENOTTY)
    );
    assert_eq!(
        e.vmm
            .ioctl(e.k.caller(), 1 << 40, vmm_kernel::pod::as_bytes_mut(&mut x)),
        Err(Errno::ENOTTY)
    );
    e.assert_clean(&[]);
}

#[test]
fn short_parameter_block_einval() {
    let e = env();
    let mut small = [0u8; 8];
    assert_eq!(
        e.vmm
            .ioctl(e.k.caller(), u64::from(VMM_IOC_RUN), &mut small),
        Err(Errno::EINVAL)
    );
    e.assert_clean(&[]);
}

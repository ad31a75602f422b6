//! The ABI table: every size, offset and ioctl word the Rust types give
//! equals the table (the build already fails otherwise; this also proves
//! the table is complete and holds the values vmd-contract.md lists).
#![allow(
    clippy::panic,
    clippy::unreachable,
    clippy::type_complexity,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs
)]

use vmm_abi::{AbiKind, ABI_TABLE};

#[test]
fn every_row_matches() {
    for it in ABI_TABLE {
        assert_eq!(it.value, it.expected, "{:?} {}", it.kind, it.name);
    }
}

#[test]
fn table_covers_all_structs_and_ioctls() {
    let structs: Vec<&str> = ABI_TABLE
        .iter()
        .filter(|i| i.kind == AbiKind::Struct)
        .map(|i| i.name)
        .collect();
    for s in [
        "vm_mem_range",
        "vm_create_params",
        "vm_info_result",
        "vm_info_params",
        "vm_terminate_params",
        "vm_resetcpu_params",
        "vm_sharemem_params",
        "vm_run_params",
        "vm_rwvmparams_params",
        "vm_exit_inout",
        "vm_exit_eptviolation",
        "vcpu_inject_event",
        "vcpu_segment_info",
        "vcpu_reg_state",
        "vm_exit",
        "vm_intr_params",
        "vm_rwregs_params",
    ] {
        assert!(structs.contains(&s), "struct {s} missing from the table");
    }
    assert_eq!(structs.len(), 17);
    assert_eq!(
        ABI_TABLE
            .iter()
            .filter(|i| i.kind == AbiKind::Ioctl)
            .count(),
        11
    );
}

#[test]
fn values_vmd_relies_on() {
    let get = |name: &str| ABI_TABLE.iter().find(|i| i.name == name).unwrap().value;
    assert_eq!(get("vm_create_params"), 2656);
    assert_eq!(get("vm_exit"), 600);
    assert_eq!(get("vm_exit.vee"), 0);
    assert_eq!(get("vm_exit.vrs"), 24);
    assert_eq!(get("vm_exit.cpl"), 592);
    assert_eq!(get("vm_run_params.vrp_exit"), 24);
    assert_eq!(get("vm_run_params.vrp_irqready"), 34);
    assert_eq!(get("VMM_IOC_CREATE"), 0xca60_5601);
    assert_eq!(get("VMM_IOC_RUN"), 0xc028_5602);
    assert_eq!(get("VMM_IOC_INTR"), 0x800c_5606);
    assert_eq!(get("VMM_IOC_SHAREMEM"), 0xc290_560b);
}

//! Every piece of host state a guest can change is switched or out of
//! the guest's reach (`vmm_amd64::world::HOST_STATE`), checked against
//! the MSR policies the backends program.
#![allow(clippy::indexing_slicing, missing_docs)]

use vmm_amd64::world::{HostStateItem, Kept, HOST_STATE};
use vmm_amd64::{svm, vmx};

fn svm_kept(i: &HostStateItem) -> Kept {
    i.svm
}

fn vmx_kept(i: &HostStateItem) -> Kept {
    i.vmx
}

fn kept(msr: u32, vendor: fn(&HostStateItem) -> Kept) -> Option<Kept> {
    HOST_STATE
        .iter()
        .find(|i| i.msrs.contains(&msr))
        .map(vendor)
}

#[test]
fn every_msr_a_guest_writes_directly_is_switched_or_read_only() {
    for (name, passed, vendor) in [
        (
            "SVM",
            &svm::MSRS_PASSED[..],
            svm_kept as fn(&HostStateItem) -> Kept,
        ),
        ("VMX", &vmx::MSRS_PASSED[..], vmx_kept),
    ] {
        for &m in passed {
            let k = kept(m, vendor);
            assert!(
                matches!(k, Some(Kept::Hardware | Kept::Inert)),
                "{name}: MSR {m:#x} passed through but kept {k:?}"
            );
        }
    }
}

#[test]
fn every_msr_a_guest_reads_directly_is_listed() {
    for (name, passed) in [
        ("SVM", &svm::MSRS_READ_PASSED[..]),
        ("VMX", &vmx::MSRS_READ_PASSED[..]),
    ] {
        for &m in passed {
            assert!(
                HOST_STATE.iter().any(|i| i.msrs.contains(&m)),
                "{name}: MSR {m:#x} readable by the guest but not in HOST_STATE"
            );
        }
    }
}

#[test]
fn vmx_msr_areas_switch_what_they_hold() {
    for m in vmx::GUEST_MSRS {
        assert_eq!(kept(m, vmx_kept), Some(Kept::Hardware), "{m:#x}");
    }
}

#[test]
fn unreachable_msrs_are_not_passed_through() {
    for i in HOST_STATE {
        for &m in i.msrs {
            if i.svm == Kept::Unreachable {
                assert!(!svm::MSRS_PASSED.contains(&m), "SVM {m:#x}: {}", i.what);
            }
            if i.vmx == Kept::Unreachable {
                assert!(!vmx::MSRS_PASSED.contains(&m), "VMX {m:#x}: {}", i.what);
            }
        }
    }
}

#[test]
fn software_switched_state_is_the_fpu_and_pkru() {
    let sw: Vec<&str> = HOST_STATE
        .iter()
        .filter(|i| i.svm == Kept::Software || i.vmx == Kept::Software)
        .map(|i| i.what)
        .collect();
    assert_eq!(sw.len(), 2, "{sw:?}");
    assert!(sw[0].starts_with("FPU") && sw[1].starts_with("PKRU"));
}

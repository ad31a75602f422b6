//! The SVM tables and conversions against the values upstream uses
//! (spec figures: MSRPM byte/bit per MSR, segment attribute examples from
//! vmd's initial register tables, PAT validity, ASID range).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use vmm_amd64::asid::AsidMap;
use vmm_amd64::svm::vmcb::{ar_from_attr, attr_from_ar, msrpm_pass, msrpm_position, Msrpm};

#[test]
fn msrpm_positions_match_upstream() {
    for (msr, byte, bit) in [
        (0x3au32, 0x00e, 4u8),
        (0x174, 0x05d, 0),
        (0x175, 0x05d, 2),
        (0x176, 0x05d, 4),
        (0xc000_0081, 0x820, 2),
        (0xc000_0082, 0x820, 4),
        (0xc000_0083, 0x820, 6),
        (0xc000_0084, 0x821, 0),
        (0xc000_0100, 0x840, 0),
        (0xc000_0102, 0x840, 4),
        (0xc001_0131, 0x104c, 2),
        (0xc001_0130, 0x104c, 0),
        (0xda0, 0x368, 0),
        (0xc000_0080, 0x820, 0),
        (0x10, 0x004, 0),
        (0xc001_0015, 0x1005, 2),
        (0xc001_0064, 0x1019, 0),
    ] {
        assert_eq!(msrpm_position(msr), Some((byte, bit)), "msr {msr:#x}");
    }
    assert_eq!(
        msrpm_position(0x4b56_4d00),
        None,
        "KVM MSRs: always intercepted"
    );
    assert_eq!(msrpm_position(0x2000), None);
}

#[test]
fn msrpm_pass_clears_read_then_write_bit() {
    let mut m: Msrpm = [0xff; 8192];
    msrpm_pass(&mut m, 0x10, false);
    assert_eq!(m[4], 0xfe, "TSC: read passes, write traps");
    msrpm_pass(&mut m, 0xc000_0081, true);
    assert_eq!(m[0x820], 0xf3, "STAR: both pass");
    msrpm_pass(&mut m, 0x4b56_4d01, true);
    assert!(
        m.iter().filter(|b| **b != 0xff).count() == 2,
        "out-of-range MSR ignored"
    );
}

#[test]
fn segment_attributes_convert_like_upstream() {
    for (ar, attr) in [
        (0xc09f, 0x0c9f),
        (0xc093, 0x0c93),
        (0x809f, 0x089f),
        (0x8093, 0x0893),
        (0x0082, 0x0082),
        (0x008b, 0x008b),
    ] {
        assert_eq!(attr_from_ar(ar), attr, "ar {ar:#x}");
        assert_eq!(ar_from_attr(attr), ar, "attr {attr:#x}");
    }
    // VMX's "unusable" bit 16 and reserved bits 11:8 do not survive.
    assert_eq!(attr_from_ar(0x1_0f93), 0x0093);
}

#[test]
fn asids_are_one_to_max_lowest_first_and_reused() {
    static MAP: AsidMap = AsidMap::new();
    MAP.set_max(3);
    let a = MAP.alloc().unwrap();
    let b = MAP.alloc().unwrap();
    let c = MAP.alloc().unwrap();
    assert_eq!((a.id(), b.id(), c.id()), (1, 2, 3));
    assert_eq!(MAP.alloc().err(), Some(vmm_kernel::Errno::ENOMEM));
    drop(b);
    assert_eq!(MAP.alloc().unwrap().id(), 2);
}

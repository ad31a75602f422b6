//! The VMX backend's pure logic against the SDM and the values upstream
//! and Bochs's Haswell model use: control computation from capability
//! MSRs (including impossible combinations), CR fixed bits, exit
//! qualification decoding, VM-instruction error names, event encoding,
//! the MSR bitmap layout, IN results.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use vmm_amd64::asid::AsidMap;
use vmm_amd64::cpu::VmxCaps;
use vmm_amd64::pat_is_valid;
use vmm_amd64::vmx::ctl;
use vmm_amd64::vmx::vmcs::{
    compute_ctls, encoding_is, intr_info, intr_type, io_in_result, msr_bitmap_pass,
    msr_bitmap_position, CrAccess, CrFixed, Ctl32, CtlError, CtlReg, EptQual, ExitReason, GuestNat,
    HostNat, InsnError, IoQual, MsrBitmap, Readable, Ro32, RoNat, SEGS,
};

// Typical TRUE capability MSRs of a Haswell-class CPU (Bochs's
// corei7_haswell_4770 and real parts agree on these).
const TRUE_PIN: u64 = 0x0000_007f_0000_0016;
const TRUE_PROC: u64 = 0xfff9_fffe_0400_6172;
const PROC2: u64 = 0x0004_7fff_0000_0000; // emulators.md, Haswell
const TRUE_EXIT: u64 = 0x01ff_ffff_0003_6dfb;
const TRUE_ENTRY: u64 = 0x0003_ffff_0000_11fb;

#[test]
fn pin_controls_keep_fixed_ones_and_wanted_bits() {
    let want1 = ctl::PIN_EXTINT_EXITING | ctl::PIN_NMI_EXITING;
    let want0 = ctl::PIN_VIRTUAL_NMIS | ctl::PIN_PREEMPTION_TIMER | ctl::PIN_POSTED_INTR;
    assert_eq!(compute_ctls(CtlReg::Pin, TRUE_PIN, want1, want0), Ok(0x1f));
}

#[test]
fn proc_controls_as_upstream_wants_them() {
    let want1 = ctl::PROC_HLT
        | ctl::PROC_MWAIT
        | ctl::PROC_CR8_LOAD
        | ctl::PROC_CR8_STORE
        | ctl::PROC_UNCOND_IO
        | ctl::PROC_MSR_BITMAPS
        | ctl::PROC_MONITOR
        | ctl::PROC_SECONDARY;
    let want0 =
        ctl::PROC_INT_WINDOW | ctl::PROC_CR3_LOAD | ctl::PROC_CR3_STORE | ctl::PROC_TPR_SHADOW;
    let v = compute_ctls(CtlReg::Proc, TRUE_PROC, want1, want0).unwrap();
    assert_eq!(v & want1, want1);
    assert_eq!(v & want0, 0);
    // Fixed-1 bits of the TRUE MSR stay (1, 4, 5, 6, 8, 13, 14, 26).
    assert_eq!(v & 0x0400_6172, 0x0400_6172);
    // Upstream's wanted set (0xB1380480) without the TPR shadow, plus the
    // fixed ones.
    assert_eq!(v, 0xb118_0480 | 0x0400_6172);
}

#[test]
fn flexible_unwanted_bits_follow_the_default1_class() {
    // CR3-load/store exiting (15, 16) are default1 and flexible with TRUE
    // controls: unwanted either way they are set, like upstream.
    let v = compute_ctls(CtlReg::Proc, TRUE_PROC, 0, 0).unwrap();
    assert_eq!(
        v & (ctl::PROC_CR3_LOAD | ctl::PROC_CR3_STORE),
        ctl::PROC_CR3_LOAD | ctl::PROC_CR3_STORE
    );
    // Interrupt-window exiting (2) is not default1: 0.
    assert_eq!(v & ctl::PROC_INT_WINDOW, 0);
    // Secondary controls have no default1 class.
    assert_eq!(compute_ctls(CtlReg::Proc2, PROC2, 0, 0), Ok(0));
}

#[test]
fn secondary_controls_ept_ug_vpid() {
    let want = ctl::PROC2_EPT | ctl::PROC2_UNRESTRICTED | ctl::PROC2_VPID;
    assert_eq!(compute_ctls(CtlReg::Proc2, PROC2, want, !want), Ok(0xa2));
}

#[test]
fn exit_and_entry_controls() {
    let e = compute_ctls(
        CtlReg::Exit,
        TRUE_EXIT,
        ctl::EXIT_SAVE_DEBUG | ctl::EXIT_HOST_64,
        ctl::EXIT_ACK_INTR | ctl::EXIT_PAT_EFER | ctl::EXIT_LOAD_CET,
    )
    .unwrap();
    assert_eq!(
        e & (ctl::EXIT_SAVE_DEBUG | ctl::EXIT_HOST_64),
        ctl::EXIT_SAVE_DEBUG | ctl::EXIT_HOST_64
    );
    assert_eq!(
        e & ctl::EXIT_ACK_INTR,
        0,
        "interrupts stay pending for the host"
    );
    let real = compute_ctls(
        CtlReg::Entry,
        TRUE_ENTRY,
        ctl::ENTRY_LOAD_DEBUG,
        ctl::ENTRY_IA32E | ctl::ENTRY_SMM | ctl::ENTRY_LOADS,
    )
    .unwrap();
    assert_eq!(real & ctl::ENTRY_IA32E, 0);
    let long = compute_ctls(
        CtlReg::Entry,
        TRUE_ENTRY,
        ctl::ENTRY_LOAD_DEBUG | ctl::ENTRY_IA32E,
        0,
    )
    .unwrap();
    assert_ne!(long & ctl::ENTRY_IA32E, 0);
}

#[test]
fn impossible_combinations_are_errors_not_masked() {
    // A wanted control the CPU cannot set: secondary controls without
    // unrestricted guest (bit 7 not allowed-1).
    let no_ug = PROC2 & !(1u64 << (32 + 7));
    assert_eq!(
        compute_ctls(
            CtlReg::Proc2,
            no_ug,
            ctl::PROC2_EPT | ctl::PROC2_UNRESTRICTED,
            0
        ),
        Err(CtlError::Unsupported(7))
    );
    // An unwanted control the CPU forces on: old CPUs without TRUE MSRs
    // fix CR3-load exiting to 1.
    let legacy_proc = 0xfff9_fffe_0401_e172u64;
    assert_eq!(
        compute_ctls(CtlReg::Proc, legacy_proc, 0, ctl::PROC_CR3_LOAD),
        Err(CtlError::Forced(15))
    );
    // An MSR allowing neither value.
    assert_eq!(
        compute_ctls(CtlReg::Pin, 0x0000_0000_0000_0001, 0, 0),
        Err(CtlError::Inconsistent(0))
    );
    // Asking for both.
    assert_eq!(
        compute_ctls(CtlReg::Pin, TRUE_PIN, 1 << 3, 1 << 3),
        Err(CtlError::Contradiction(3))
    );
}

#[test]
fn cr0_cr4_fixed_bits_with_unrestricted_guest() {
    // IA32_VMX_CR0_FIXED0 = PG|NE|PE, FIXED1 all ones: with unrestricted
    // guest only NE must be 1; vmd's flat16 CR0 gains NE.
    let cr0 = CrFixed::new(0x8000_0021, 0xffff_ffff, 1 | (1 << 31));
    assert_eq!(
        cr0,
        CrFixed {
            must1: 0x20,
            must0: 0
        }
    );
    assert_eq!(cr0.apply(0x6000_0010), 0x6000_0030);
    assert_eq!(cr0.apply(0x8000_0011), 0x8000_0031);
    // Without the flexible PE/PG, both are must-be-one.
    assert_eq!(CrFixed::new(0x8000_0021, 0xffff_ffff, 0).must1, 0x8000_0021);
    // CR4: VMXE must be 1; what FIXED1 lacks must be 0.
    let cr4 = CrFixed::new(0x2000, 0x0037_27ff, 0);
    assert_eq!(cr4.must1, 0x2000);
    assert_eq!(cr4.must0, 0xffc8_d800);
    assert_eq!(cr4.apply(0x30), 0x2030);
    assert_eq!(cr4.apply(1 << 12), 0x2000, "LA57 is not allowed");
}

#[test]
fn io_qualification() {
    // out %al, %dx to 0x3f8
    assert_eq!(
        IoQual::decode(0x03f8_0000),
        IoQual {
            size: 1,
            input: false,
            string: false,
            rep: false,
            immediate: false,
            port: 0x3f8
        }
    );
    // in $0xf0, %al
    let q = IoQual::decode(0x00f0_0048);
    assert!(q.input && q.immediate && q.size == 1 && q.port == 0xf0);
    // rep outsb, and in %dx, %eax / %ax
    let q = IoQual::decode(0x0080_0030);
    assert!(q.string && q.rep && !q.input);
    assert_eq!(IoQual::decode(0x0080_000b).size, 4);
    assert_eq!(IoQual::decode(0x0080_0009).size, 2);
    // Bochs's real-mode example from emulators.md: port 0xe9, immediate.
    let q = IoQual::decode(0x00e9_0040);
    assert!(q.immediate && q.port == 0xe9 && q.size == 1);
}

#[test]
fn cr_access_qualification() {
    assert_eq!(CrAccess::decode(0x0000), CrAccess::MovTo { cr: 0, gpr: 0 });
    assert_eq!(CrAccess::decode(0x0304), CrAccess::MovTo { cr: 4, gpr: 3 });
    assert_eq!(CrAccess::decode(0x0f08), CrAccess::MovTo { cr: 8, gpr: 15 });
    assert_eq!(
        CrAccess::decode(0x0118),
        CrAccess::MovFrom { cr: 8, gpr: 1 }
    );
    assert_eq!(CrAccess::decode(0x0020), CrAccess::Clts);
    assert_eq!(CrAccess::decode(0x0001_0030), CrAccess::Lmsw(1));
}

#[test]
fn ept_qualification() {
    let q = EptQual::decode(0x181);
    assert!(q.read && !q.write && !q.fetch && q.not_present());
    let q = EptQual::decode(0x3a);
    assert!(q.write && !q.not_present() && q.was == 0b111);
}

#[test]
fn exit_reason_split() {
    assert_eq!(
        ExitReason::decode(0x8000_0021),
        ExitReason {
            basic: 33,
            entry_failed: true
        }
    );
    assert_eq!(
        ExitReason::decode(30),
        ExitReason {
            basic: 30,
            entry_failed: false
        }
    );
    assert_eq!(ExitReason::decode(0x0800_0030).basic, 48);
}

#[test]
fn vm_instruction_errors_by_name() {
    assert_eq!(InsnError::from_raw(4), InsnError::VmlaunchNonClear);
    assert_eq!(
        InsnError::from_raw(7).name(),
        "VM entry with invalid control field(s)"
    );
    assert_eq!(InsnError::from_raw(8), InsnError::EntryInvalidHostState);
    assert_eq!(InsnError::from_raw(26), InsnError::EntryBlockedByMovSs);
    assert_eq!(
        InsnError::from_raw(28).name(),
        "invalid operand to INVEPT/INVVPID"
    );
    for reserved in [0, 14, 21, 27, 29, 0xffff] {
        assert_eq!(InsnError::from_raw(reserved), InsnError::Unknown(reserved));
    }
    for n in 0..64 {
        let e = InsnError::from_raw(n);
        assert_eq!(e.number(), n);
        let f = e.log_fmt().to_str().unwrap();
        assert!(f.starts_with("vmm: vmx: VM-instruction error %lu: "), "{f}");
        assert!(f.ends_with('\n') && f.matches('%').count() == 1, "{f}");
        if !matches!(e, InsnError::Unknown(_)) {
            assert!(f.contains(e.name()), "{f}");
        }
    }
}

#[test]
fn event_injection_encoding() {
    assert_eq!(intr_info(13, intr_type::HW_EXCEPTION, true), 0x8000_0b0d);
    assert_eq!(intr_info(6, intr_type::HW_EXCEPTION, false), 0x8000_0306);
    assert_eq!(intr_info(0x20, intr_type::EXTERNAL, false), 0x8000_0020);
    assert_eq!(intr_info(2, intr_type::NMI, false), 0x8000_0202);
}

#[test]
fn msr_bitmap_layout() {
    for (msr, byte, bit) in [
        (0x10u32, 0x002, 0u8),
        (0x3a, 0x007, 2),
        (0x174, 0x02e, 4),
        (0x176, 0x02e, 6),
        (0x1a0, 0x034, 0),
        (0x277, 0x04e, 7),
        (0xc000_0080, 0x410, 0),
        (0xc000_0084, 0x410, 4),
        (0xc000_0102, 0x420, 2),
    ] {
        assert_eq!(msr_bitmap_position(msr), Some((byte, bit)), "msr {msr:#x}");
    }
    assert_eq!(
        msr_bitmap_position(0x4b56_4d01),
        None,
        "KVM MSRs always exit"
    );
    assert_eq!(msr_bitmap_position(0xc001_0000), None);
    let mut m: MsrBitmap = [0xff; 4096];
    msr_bitmap_pass(&mut m, 0x10, false);
    assert_eq!(m[0x002], 0xfe, "TSC: reads pass");
    assert_eq!(m[0x802], 0xff, "TSC: writes exit");
    msr_bitmap_pass(&mut m, 0xc000_0102, true);
    assert_eq!(m[0x420], 0xfb);
    assert_eq!(m[0xc20], 0xfb);
    assert_eq!(m.iter().filter(|b| **b != 0xff).count(), 3);
}

#[test]
fn in_results_keep_the_untouched_bytes() {
    let rax = 0x1122_3344_5566_7788;
    assert_eq!(io_in_result(rax, 0xa1, 1), 0x1122_3344_5566_77a1);
    assert_eq!(io_in_result(rax, 0xffff_b2b3, 2), 0x1122_3344_5566_b2b3);
    assert_eq!(io_in_result(rax, 0xc4c5_c6c7, 4), 0xc4c5_c6c7);
}

#[test]
fn field_encodings() {
    assert_eq!(Ro32::ExitReason.encoding(), 0x4402);
    assert_eq!(RoNat::ExitQualification.encoding(), 0x6400);
    assert_eq!(GuestNat::Rip.encoding(), 0x681e);
    assert_eq!(HostNat::Rip.encoding(), 0x6c16);
    assert_eq!(Ctl32::ProcBased2.encoding(), 0x401e);
    // Width and kind bits, as the compile-time checks see them.
    assert!(encoding_is(0x6c14, 3, 3) && !encoding_is(0x6c14, 3, 2));
    // The segment table follows VCPU_REGS_ES..TR.
    let sels: Vec<u32> = SEGS.iter().map(|s| s.sel.encoding()).collect();
    assert_eq!(
        sels,
        [0x800, 0x802, 0x804, 0x806, 0x808, 0x80a, 0x80c, 0x80e]
    );
    let ars: Vec<u32> = SEGS.iter().map(|s| s.ar.encoding()).collect();
    assert_eq!(
        ars,
        [0x4814, 0x4816, 0x4818, 0x481a, 0x481c, 0x481e, 0x4820, 0x4822]
    );
}

#[test]
fn caps_need_ept_and_unrestricted_guest() {
    let mut c = VmxCaps {
        ept: true,
        ..VmxCaps::default()
    };
    assert!(!c.usable(), "EPT alone is not enough (identcpu.c 1.152)");
    c.unrestricted = true;
    assert!(c.usable());
    c.basic = 0x00d8_1000_0000_002b;
    assert_eq!(c.revision(), 0x2b);
    c.ept_vpid = 0x0000_0f01_0633_4141;
    assert!(c.ept_vpid_has(6) && c.ept_vpid_has(14) && c.ept_vpid_has(25) && c.ept_vpid_has(26));
    assert!(c.ept_vpid_has(41) && !c.ept_vpid_has(64));
}

#[test]
fn pat_validity_shared_with_svm() {
    assert!(pat_is_valid(0x0007_0406_0007_0406));
    assert!(!pat_is_valid(0x0202_0202));
    assert!(!pat_is_valid(0x0800_0000_0000_0000));
}

#[test]
fn vpids_are_1_to_4095() {
    let map: &'static AsidMap = Box::leak(Box::new(AsidMap::new()));
    map.set_max(0xfff);
    let ids: Vec<_> = (0..4095).map(|_| map.alloc().unwrap()).collect();
    assert_eq!(ids.first().unwrap().id(), 1);
    assert_eq!(ids.last().unwrap().id(), 4095);
    assert!(
        map.alloc().is_err(),
        "VPID 0 is the host's, 4096 does not exist"
    );
}

/// L1TF and MDS before each entry: a CPU that needs the L1D flushed uses
/// IA32_FLUSH_CMD when it has it, else reads the flush buffer in software
/// (Bochs's Haswell model: no FLUSH_CMD, no ARCH_CAPABILITIES); unless the
/// CPU is free of MDS, the kernel's own buffer clearing for VM entries
/// runs too (what it does, the kernel chose at boot: nothing after the
/// MSR flush, VERW, or the model's software sequence, as for upstream's
/// vmx_enter_guest).
#[test]
fn l1tf_mitigation_per_cpu() {
    use vmm_amd64::vmx::switch::{flags, mitigation_flags};
    assert_eq!(
        mitigation_flags(true, true, false),
        flags::L1D_FLUSH | flags::MDS
    );
    assert_eq!(
        mitigation_flags(false, true, false),
        flags::L1D_SOFTWARE | flags::MDS
    );
    assert_eq!(mitigation_flags(true, false, false), flags::MDS);
    assert_eq!(mitigation_flags(false, false, false), flags::MDS);
    // MDS_NO (and no RFDS VERW): no buffer clearing.
    assert_eq!(mitigation_flags(true, true, true), flags::L1D_FLUSH);
    assert_eq!(mitigation_flags(false, false, true), 0);
}

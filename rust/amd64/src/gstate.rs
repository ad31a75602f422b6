//! The guest registers the world switch saves and loads
//! (upstream's `struct vcpu_gueststate`, same layout).

use core::mem::{offset_of, size_of};

/// Guest state kept outside the VMCB/VMCS.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GuestState {
    /// RSI (first: the exit path stores it through the stack).
    pub rsi: u64,
    /// RAX (VMX; SVM keeps RAX in the VMCB).
    pub rax: u64,
    /// RBX.
    pub rbx: u64,
    /// RCX.
    pub rcx: u64,
    /// RDX.
    pub rdx: u64,
    /// RDI.
    pub rdi: u64,
    /// RBP.
    pub rbp: u64,
    /// R8.
    pub r8: u64,
    /// R9.
    pub r9: u64,
    /// R10.
    pub r10: u64,
    /// R11.
    pub r11: u64,
    /// R12.
    pub r12: u64,
    /// R13.
    pub r13: u64,
    /// R14.
    pub r14: u64,
    /// R15.
    pub r15: u64,
    /// CR2.
    pub cr2: u64,
    /// RIP as of the last exit (the VMCB/VMCS holds the live one).
    pub rip: u64,
    /// The last hardware exit reason.
    pub exit_reason: u32,
    _pad: u32,
    /// RFLAGS as of the last exit.
    pub rflags: u64,
    /// Guest XCR0.
    pub xcr0: u64,
    /// DR0.
    pub dr0: u64,
    /// DR1.
    pub dr1: u64,
    /// DR2.
    pub dr2: u64,
    /// DR3.
    pub dr3: u64,
    /// DR6 (VMX).
    pub dr6: u64,
}

const _: () = {
    assert!(size_of::<GuestState>() == 200);
    assert!(offset_of!(GuestState, rsi) == 0x00);
    assert!(offset_of!(GuestState, rax) == 0x08);
    assert!(offset_of!(GuestState, rbx) == 0x10);
    assert!(offset_of!(GuestState, rcx) == 0x18);
    assert!(offset_of!(GuestState, rdx) == 0x20);
    assert!(offset_of!(GuestState, rdi) == 0x28);
    assert!(offset_of!(GuestState, rbp) == 0x30);
    assert!(offset_of!(GuestState, r8) == 0x38);
    assert!(offset_of!(GuestState, r15) == 0x70);
    assert!(offset_of!(GuestState, cr2) == 0x78);
    assert!(offset_of!(GuestState, rip) == 0x80);
    assert!(offset_of!(GuestState, exit_reason) == 0x88);
    assert!(offset_of!(GuestState, rflags) == 0x90);
    assert!(offset_of!(GuestState, xcr0) == 0x98);
    assert!(offset_of!(GuestState, dr0) == 0xa0);
    assert!(offset_of!(GuestState, dr3) == 0xb8);
    assert!(offset_of!(GuestState, dr6) == 0xc0);
};

/// Room for the kernel's FPU save area (`struct savefpu`), 64-byte aligned
/// for XSAVE; the glue checks the kernel's fits.
#[repr(C, align(64))]
pub struct FpuArea(pub [u8; 3072]);

impl Default for FpuArea {
    fn default() -> Self {
        FpuArea([0; 3072])
    }
}

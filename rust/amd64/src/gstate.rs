//! The guest registers the world switch saves and loads
//! (upstream's `struct vcpu_gueststate`, same layout).

use core::mem::{offset_of, size_of};

use vmm_abi::{
    vcpu_reg_state, VCPU_REGS_R10, VCPU_REGS_R11, VCPU_REGS_R12, VCPU_REGS_R13, VCPU_REGS_R14,
    VCPU_REGS_R15, VCPU_REGS_R8, VCPU_REGS_R9, VCPU_REGS_RAX, VCPU_REGS_RBP, VCPU_REGS_RBX,
    VCPU_REGS_RCX, VCPU_REGS_RDI, VCPU_REGS_RDX, VCPU_REGS_RFLAGS, VCPU_REGS_RIP, VCPU_REGS_RSI,
    VCPU_REGS_RSP,
};

// `store_gprs` writes `vrs_gprs` in this order.
const _: () = assert!(
    VCPU_REGS_RAX == 0
        && VCPU_REGS_RCX == 1
        && VCPU_REGS_RDX == 2
        && VCPU_REGS_RBX == 3
        && VCPU_REGS_RSP == 4
        && VCPU_REGS_RBP == 5
        && VCPU_REGS_RSI == 6
        && VCPU_REGS_RDI == 7
        && VCPU_REGS_R8 == 8
        && VCPU_REGS_R9 == 9
        && VCPU_REGS_R10 == 10
        && VCPU_REGS_R11 == 11
        && VCPU_REGS_R12 == 12
        && VCPU_REGS_R13 == 13
        && VCPU_REGS_R14 == 14
        && VCPU_REGS_R15 == 15
        && VCPU_REGS_RIP == 16
        && VCPU_REGS_RFLAGS == 17
);

/// `GuestState::exit_reason` when the vcpu has no exit vmd may be
/// answering (the `VM_EXIT_NONE` value): after creation on VMX and after
/// every RESETCPU.
pub const NO_EXIT: u32 = 0xffff;

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
/// It lives in a pool object of its own ([`PoolId::VcpuFpu`]), made
/// zeroed in place: 3 KiB is too much to pass through the kernel stack.
///
/// [`PoolId::VcpuFpu`]: vmm_kernel::PoolId::VcpuFpu
#[repr(C, align(64))]
pub struct FpuArea(pub [u8; 3072]);

// SAFETY: bytes; all zero is an empty save area the glue initialises.
unsafe impl vmm_kernel::pod::Zeroable for FpuArea {}

impl GuestState {
    /// Takes the general-purpose registers and RIP from vmd's layout
    /// (RSP and RFLAGS live in the VMCB/VMCS: the caller puts them there).
    pub fn load_gprs(&mut self, vrs: &vcpu_reg_state) {
        let reg = |i: usize| vrs.vrs_gprs.get(i).copied().unwrap_or(0);
        self.rax = reg(VCPU_REGS_RAX);
        self.rbx = reg(VCPU_REGS_RBX);
        self.rcx = reg(VCPU_REGS_RCX);
        self.rdx = reg(VCPU_REGS_RDX);
        self.rsi = reg(VCPU_REGS_RSI);
        self.rdi = reg(VCPU_REGS_RDI);
        self.r8 = reg(VCPU_REGS_R8);
        self.r9 = reg(VCPU_REGS_R9);
        self.r10 = reg(VCPU_REGS_R10);
        self.r11 = reg(VCPU_REGS_R11);
        self.r12 = reg(VCPU_REGS_R12);
        self.r13 = reg(VCPU_REGS_R13);
        self.r14 = reg(VCPU_REGS_R14);
        self.r15 = reg(VCPU_REGS_R15);
        self.rbp = reg(VCPU_REGS_RBP);
        self.rip = reg(VCPU_REGS_RIP);
    }

    /// Puts the general-purpose registers into vmd's layout, with RAX,
    /// RIP, RSP and RFLAGS as the backend holds them.  One store of the
    /// whole array in `VCPU_REGS_*` order (checked at compile time below;
    /// `u64`s, so no padding): on every exit to vmd and every READREGS, a
    /// loop over (index, value) pairs with a bounds check each cost 184
    /// instructions (`make obsd-bench-profile`).
    pub fn store_gprs(&self, rax: u64, rip: u64, rsp: u64, rflags: u64, vrs: &mut vcpu_reg_state) {
        vrs.vrs_gprs = [
            rax, self.rcx, self.rdx, self.rbx, rsp, self.rbp, self.rsi, self.rdi, self.r8, self.r9,
            self.r10, self.r11, self.r12, self.r13, self.r14, self.r15, rip, rflags,
        ];
    }
}

/// RAX after an IN of `size` bytes returned `data`: the low `size` bytes
/// replaced, the rest kept (a 4-byte IN zero-extends, as any 32-bit
/// register write).  Upstream's SVM stored the 32-bit value into all of RAX; the
/// shared run loop applies this on both backends (README 19).
pub fn io_in_result(rax: u64, data: u32, size: u8) -> u64 {
    match size {
        1 => (rax & !0xff) | u64::from(data & 0xff),
        2 => (rax & !0xffff) | u64::from(data & 0xffff),
        _ => u64::from(data),
    }
}

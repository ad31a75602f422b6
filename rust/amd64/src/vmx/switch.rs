//! The VMX world switch (upstream's `vmx_enter_guest` in vmm_support.S)
//! and every other privileged VMX operation, behind safe interfaces:
//! entering and leaving VMX operation on a CPU, who holds a VMCS
//! ([`Vmcs`], [`Current`]) with VMREAD/VMWRITE/INVEPT/INVVPID on it, the
//! host state the VMCS host area needs, and the entries themselves with
//! interrupts off ([`Current::load_guest`], [`Current::run`],
//! [`Current::leave`]).
//!
//! Contract of [`vmx_enter_guest`] (Intel SDM Vol. 3C, 26 and 27):
//! * called with interrupts disabled, the vcpu's VMCS current on this CPU,
//!   its host-state area filled for this CPU (CR0/3/4, selectors, FS/GS/TR/
//!   GDTR/IDTR bases, SYSENTER MSRs), the exit-load MSR area holding the
//!   host's EFER, STAR, LSTAR, CSTAR (0) and SFMASK, KERNELGSBASE, and the
//!   guest FPU/XCR0 loaded;
//! * writes the host RSP and RIP fields itself (the exit lands on the
//!   label below with RSP pointing at the saved guest-state pointer),
//!   unless the VMCS already holds this RSP (`*host_rsp`, the value last
//!   written to it, and the RIP is a constant);
//! * clears the CPU buffers (MDS) in a region the kernel patches at boot
//!   ([`CPTAG_MDS_VMM`]), flushes the L1D through IA32_FLUSH_CMD or in
//!   software, as asked; loads DR0-3, DR6, CR2 and the guest GPRs
//!   from [`GuestState`]; VMLAUNCH or VMRESUME;
//! * on VMfail decodes CF/ZF right after the instruction, before anything
//!   can change the flags;
//! * on exit stores the guest GPRs, CR2, DR0-3 and DR6, then refills the
//!   return-stack buffer with 32 benign entries (direct calls only);
//! * restores RFLAGS as on entry;
//! * clears every caller-saved register that held a guest value.
//!
//! What a VM exit leaves changed and this function does not restore (the
//! GDTR and IDTR limits, which the exit sets to 0xFFFF, the LDT, which it
//! clears, and TR, whose limit it sets to 0x67) is restored by
//! [`Current::leave`] from what [`Current::load_guest`] saved, once per
//! stretch of entries instead of after each exit (as KVM restores the GDT
//! and TSS limits lazily).  In between only the run loop's own code runs,
//! with interrupts off but for the window after each exit in which the
//! host takes its pending interrupts ([`Live::interrupt_window`]); an
//! interrupt or NMI taken there finds its IDT vector and the stack
//! pointers in the TSS within those limits.
//!
//! Every offset into [`GuestState`] comes from `offset_of!`.

use core::arch::{asm, naked_asm};
use core::mem::offset_of;

use vmm_kernel::mem::{PageBox, Pages};
use vmm_kernel::{Errno, KResult, KernelAmd64, PAGE_SIZE};

use super::vmcs::{Ctl32, HostNat, InsnError, Readable, Ro32, VmcsRegion, Writable};
use crate::gstate::GuestState;
use crate::insn::{self, msr, VmFail};
use crate::world::{GuestWorld, Hw};
use crate::x86::{CR0_TS, CR4_VMXE, PSL_I};

/// What [`vmx_enter_guest`] returns.
pub mod ret {
    /// A VM exit happened.
    pub const EXIT: u64 = 0;
    /// VMLAUNCH/VMRESUME failed with VMfailInvalid (CF).
    pub const FAIL_INVALID: u64 = 1;
    /// VMLAUNCH/VMRESUME failed with VMfailValid (ZF): see the VMCS's
    /// VM-instruction error field.
    pub const FAIL_VALID: u64 = 2;
    /// Writing the host RSP/RIP fields failed.
    pub const FAIL_HOST_FIELDS: u64 = 3;
    /// The instruction fell through with neither CF nor ZF set.
    pub const FAIL_UNKNOWN: u64 = 4;
}

/// Flags for [`vmx_enter_guest`].
pub mod flags {
    /// Write IA32_FLUSH_CMD.L1D_FLUSH before entry.
    pub const L1D_FLUSH: u64 = 1 << 0;
    /// Clear the CPU buffers before entry (MDS) as the kernel does it for
    /// VM entries: the region [`super::CPTAG_MDS_VMM`] names, which the
    /// kernel patches at boot (the model's software sequence, VERW, or
    /// nothing).
    pub const MDS: u64 = 1 << 1;
    /// Flush the L1D in software before entry: the CPU is L1TF-affected
    /// and has no IA32_FLUSH_CMD ([`L1dFlushBuf`]).
    pub const L1D_SOFTWARE: u64 = 1 << 2;
}

/// Bytes read by the software L1D flush: more than any L1D so far
/// (Intel's are 32 or 48 KiB), as KVM's fallback reads.
pub const L1D_FLUSH_SIZE: usize = 64 * 1024;

/// The buffer the software L1D flush reads, for L1TF-affected CPUs
/// without IA32_FLUSH_CMD (Intel's "software sequence", as KVM's
/// fallback and upstream's `vmx_enter_guest` mean it: upstream reads 64
/// KiB from the address of its pointer variable `l1tf_flush_region`
/// instead of from the buffer it points to, filling the L1D with kernel
/// `.bss`).  Its own pages, read before every entry: whatever the L1D
/// held of the host is evicted by lines of this buffer, which holds
/// nothing.
pub struct L1dFlushBuf<K: KernelAmd64> {
    pages: Pages<K>,
}

impl<K: KernelAmd64> L1dFlushBuf<K> {
    /// The 64 KiB; `None` if memory is short.
    pub fn new(k: K) -> Option<Self> {
        Some(L1dFlushBuf {
            pages: Pages::alloc(k, L1D_FLUSH_SIZE / PAGE_SIZE)?,
        })
    }

    fn as_ptr(&self) -> *const u8 {
        self.pages.as_slice().as_ptr()
    }
}

/// What every entry does against L1TF and MDS on this CPU, chosen at
/// attach from its capabilities.
pub struct EntryMitigation<K: KernelAmd64> {
    flags: u64,
    l1d_buf: Option<L1dFlushBuf<K>>,
}

/// The entry flags for a CPU with (`msr`) or without IA32_FLUSH_CMD that
/// does (`needed`) or does not need the L1D flushed before entry, and
/// that is (`mds_no`) or is not free of MDS (and RFDS): the MSR flush if
/// there is one, else the software flush; and unless the CPU is free of
/// MDS, the kernel's buffer clearing for VM entries, as upstream's
/// `vmx_enter_guest` (its CPTAG_MDS_VMM region: the kernel makes it
/// nothing where the MSR flush clears the buffers too, VERW where the
/// microcode has MD_CLEAR, the model's software sequence where it has
/// not).
pub fn mitigation_flags(msr: bool, needed: bool, mds_no: bool) -> u64 {
    let l1d = match (needed, msr) {
        (true, true) => flags::L1D_FLUSH,
        (true, false) => flags::L1D_SOFTWARE,
        (false, _) => 0,
    };
    if mds_no {
        l1d
    } else {
        l1d | flags::MDS
    }
}

impl<K: KernelAmd64> EntryMitigation<K> {
    /// The mitigation for a CPU with `caps`; `None` if the software
    /// flush's buffer cannot be had.
    pub fn new(k: K, caps: &crate::cpu::VmxCaps) -> Option<Self> {
        let flags = mitigation_flags(caps.l1d_flush_msr, !caps.l1d_flush_not_needed, caps.mds_no);
        let l1d_buf = if flags & flags::L1D_SOFTWARE != 0 {
            Some(L1dFlushBuf::new(k)?)
        } else {
            None
        };
        Some(EntryMitigation { flags, l1d_buf })
    }

    /// The entry flags ([`flags`]).
    pub fn flags(&self) -> u64 {
        self.flags
    }
}

const MSR_FLUSH_CMD: u32 = 0x10b;
/// The tag of `<machine/codepatch.h>` the MDS region before entry is
/// recorded under (`.codepatch`), as upstream's `vmx_enter_guest` records
/// its own: OpenBSD's cpu.c patches every such region at boot with a call
/// to the CPU model's software sequence (where the microcode has no
/// MD_CLEAR; it uses RAX, RCX, RDI, RSI and R11 and saves XMM0), leaves its
/// VERW, or fills it with NOPs (MDS_NO, or the L1D flush MSR clears the
/// buffers too).  `vmm_rs` checks it against `vmm_kern.h`.
pub const CPTAG_MDS_VMM: u16 = 10;

/// The flags of the `.codepatch` record's section: allocated and kept
/// through `--gc-sections` (`R`) in the kernel object; not allocated in
/// a host build (tests), whose position-independent executables refuse
/// the record's absolute address in an allocated section, and which no
/// kernel patches.
#[cfg(target_os = "none")]
macro_rules! codepatch_flags {
    () => {
        "\"aR\""
    };
}
#[cfg(not(target_os = "none"))]
macro_rules! codepatch_flags {
    () => {
        "\"\""
    };
}

/// The kernel's data selector (`GSEL(GDATA_SEL, SEL_KPL)`).
pub const KERNEL_DATA_SEL: u16 = 0x10;

/// Enters the guest with the current VMCS, `launched` deciding between
/// VMLAUNCH (0) and VMRESUME (1), and returns at its next VM exit (0) or
/// with a [`ret`] failure code.
///
/// # Safety
///
/// Kernel mode, interrupts disabled, VMX root operation; the current VMCS
/// is this vcpu's, with valid control, host-state and guest-state areas
/// for this CPU (see the module contract); `gs` points to the vcpu's
/// guest state; `launched` is 1 only if the VMCS was launched on this CPU
/// and not cleared since; `host_rsp` points to the HOST_RSP value this
/// VMCS holds (0 if none was written yet: never a stack pointer);
/// `l1d_buf` is [`L1D_FLUSH_SIZE`] readable bytes if `flags` has
/// [`flags::L1D_SOFTWARE`].
#[unsafe(naked)]
pub unsafe extern "C" fn vmx_enter_guest(
    gs: *mut GuestState,
    launched: u64,
    flags: u64,
    host_rsp: *mut u64,
    l1d_buf: *const u8,
) -> u64 {
    naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "pushfq",
        "push rsi",                     // launched, at [rsp + 8] below
        "push rdi",                     // guest state: [HOST_RSP]
        "mov r9, r8",                   // the software flush's buffer
        "mov r8, rdx",                  // flags
        "cmp [rcx], rsp",
        "je 20f",                       // HOST_RSP/RIP already hold these
        "mov eax, {host_rsp}",
        "vmwrite rax, rsp",
        "jbe 30f",
        "lea rdx, [rip + 40f]",
        "mov eax, {host_rip}",
        "vmwrite rax, rdx",
        "jbe 30f",
        "mov [rcx], rsp",
        "20:",
        // MDS: the CPU buffers, in the region the kernel patches
        // (CPTAG_MDS_VMM, above); RAX, RCX, RSI, R11 are free here, RDI is
        // on the stack.  The `R` flag keeps the record through the
        // object's --gc-sections link.
        "test r8d, {mds}",
        "jz 23f",
        "998:",
        "sub rsp, 8",
        "mov word ptr [rsp], ds",
        "verw word ptr [rsp]",
        "add rsp, 8",
        "999:",
        concat!(".pushsection .codepatch, ", codepatch_flags!()),
        ".quad 998b",
        ".short 999b - 998b",
        ".short {cptag}",
        ".int 0",
        ".popsection",
        "mov rdi, [rsp]",
        "23:",
        // L1TF: flush the L1 data cache.
        "test r8d, {l1d}",
        "jz 21f",
        "mov ecx, {flush_cmd}",
        "mov eax, 1",
        "xor edx, edx",
        "wrmsr",
        "jmp 22f",
        // L1TF without the MSR: read the buffer, a byte per page first so
        // that the loads below do not wait for the page walker, CPUID to
        // serialise, then a byte per cache line (RBX, RCX and RDX are
        // free: the host's RBX is saved, the guest's loaded below).
        "21:",
        "test r8d, {l1d_sw}",
        "jz 22f",
        "xor eax, eax",
        "28:",
        "movzx ecx, byte ptr [r9 + rax]",
        "add eax, {page}",
        "cmp eax, {l1d_size}",
        "jne 28b",
        "xor eax, eax",
        "cpuid",
        "xor eax, eax",
        "29:",
        "movzx ecx, byte ptr [r9 + rax]",
        "add eax, 64",
        "cmp eax, {l1d_size}",
        "jne 29b",
        "lfence",
        "22:",
        // Guest state in.
        "mov rsi, rdi",
        guest_dr_cr2_in!(),
        "mov eax, dword ptr [rsi + {dr6}]", "mov dr6, rax",
        guest_gprs_in!(),
        "mov rax, [rsi + {rax}]",
        "mov rsi, [rsi + {rsi}]",
        "cmp qword ptr [rsp + 8], 0",
        "je 23f",
        "vmresume",
        "jmp 24f",
        "23:",
        "vmlaunch",
        "24:",
        // Still here: the instruction failed.  Decode the flags first.
        "mov eax, {fail_invalid}",
        "jc 50f",
        "mov eax, {fail_valid}",
        "jz 50f",
        "mov eax, {fail_unknown}",
        "jmp 50f",
        "30:",
        "mov eax, {fail_host}",
        "jmp 50f",
        // VM exit: RSP = the host RSP written above, [rsp] = guest state.
        "40:",
        "push rsi",
        "mov rsi, [rsp + 8]",
        "pop qword ptr [rsi + {rsi}]",
        "mov [rsi + {rax}], rax",
        guest_gprs_dr_cr2_out!(),
        "mov rax, dr6", "mov [rsi + {dr6}], rax",
        "xor eax, eax",
        // Common return: eax = result.  Refill the RSB with 32 entries
        // that lead nowhere (a guest must not steer host returns): 32
        // direct calls, unrolled, each return address a speculation trap.
        "50:",
        "mov edx, eax",
        ".rept 32",
        "call 26f",
        "27:",
        "pause",
        "lfence",
        "jmp 27b",
        "26:",
        ".endr",
        "add rsp, 256",
        // Host state back (the descriptor tables: Current::leave).
        "add rsp, 16",                  // guest state pointer, launched
        "popfq",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "mov eax, edx",
        // Nothing of the guest's stays in a scratch register.
        "xor ecx, ecx",
        "xor edx, edx",
        "xor esi, esi",
        "xor edi, edi",
        "xor r8d, r8d",
        "xor r9d, r9d",
        "xor r10d, r10d",
        "xor r11d, r11d",
        "pop rbp",
        "ret",
        host_rsp = const HostNat::Rsp as u32,
        host_rip = const HostNat::Rip as u32,
        l1d = const flags::L1D_FLUSH,
        l1d_sw = const flags::L1D_SOFTWARE,
        mds = const flags::MDS,
        cptag = const CPTAG_MDS_VMM,
        page = const PAGE_SIZE,
        l1d_size = const L1D_FLUSH_SIZE,
        flush_cmd = const MSR_FLUSH_CMD,
        fail_invalid = const ret::FAIL_INVALID,
        fail_valid = const ret::FAIL_VALID,
        fail_host = const ret::FAIL_HOST_FIELDS,
        fail_unknown = const ret::FAIL_UNKNOWN,
        rsi = const offset_of!(GuestState, rsi),
        rax = const offset_of!(GuestState, rax),
        rbx = const offset_of!(GuestState, rbx),
        rcx = const offset_of!(GuestState, rcx),
        rdx = const offset_of!(GuestState, rdx),
        rdi = const offset_of!(GuestState, rdi),
        rbp = const offset_of!(GuestState, rbp),
        r8 = const offset_of!(GuestState, r8),
        r9 = const offset_of!(GuestState, r9),
        r10 = const offset_of!(GuestState, r10),
        r11 = const offset_of!(GuestState, r11),
        r12 = const offset_of!(GuestState, r12),
        r13 = const offset_of!(GuestState, r13),
        r14 = const offset_of!(GuestState, r14),
        r15 = const offset_of!(GuestState, r15),
        cr2 = const offset_of!(GuestState, cr2),
        dr0 = const offset_of!(GuestState, dr0),
        dr1 = const offset_of!(GuestState, dr1),
        dr2 = const offset_of!(GuestState, dr2),
        dr3 = const offset_of!(GuestState, dr3),
        dr6 = const offset_of!(GuestState, dr6),
    );
}

/// The host's descriptor tables as this CPU has them loaded: what the VMCS
/// host-state area needs beyond what [`crate::insn`] reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostTables {
    /// GDTR base.
    pub gdt_base: u64,
    /// IDTR base.
    pub idt_base: u64,
    /// TR selector.
    pub tr_sel: u16,
    /// Base of the TSS that TR names.
    pub tr_base: u64,
}

/// Reads GDTR, IDTR and TR, and the TSS base from TR's descriptor.
pub fn host_tables() -> HostTables {
    let mut gdtr = [0u8; 10];
    let mut idtr = [0u8; 10];
    let tr: u16;
    // SAFETY: SGDT/SIDT store 10 bytes each into our buffers; STR only
    // reads TR.  None of them changes machine state.
    unsafe {
        asm!(
            "sgdt [{g}]",
            "sidt [{i}]",
            "str {t:x}",
            g = in(reg) gdtr.as_mut_ptr(),
            i = in(reg) idtr.as_mut_ptr(),
            t = out(reg) tr,
            options(nostack, preserves_flags),
        );
    }
    let base = |b: [u8; 10]| {
        let [_, _, a0, a1, a2, a3, a4, a5, a6, a7] = b;
        u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7])
    };
    let gdt_base = base(gdtr);
    let mut t = HostTables {
        gdt_base,
        idt_base: base(idtr),
        tr_sel: tr,
        tr_base: 0,
    };
    let off = u64::from(tr & 0xfff8);
    if tr != 0 && gdt_base != 0 {
        let p = gdt_base.wrapping_add(off) as *const [u8; 16];
        // SAFETY: the CPU loaded TR from this descriptor of the current
        // GDT, which is mapped kernel memory for as long as the kernel
        // runs; a 64-bit TSS descriptor is 16 bytes.
        let d = unsafe { core::ptr::read_volatile(p) };
        let [_, _, b0, b1, b2, _, _, b3, b4, b5, b6, b7, _, _, _, _] = d;
        t.tr_base = u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]);
    }
    t
}

/// Proof that interrupts are off on this CPU and the guest's FPU state,
/// XCR0 and PKRU are loaded: what [`Current::load_guest`] returns and
/// [`Current::leave`] consumes (with the RFLAGS to restore).
///
/// The invariant while one exists (the run loop keeps it across the exits
/// it handles in the kernel and goes straight back from, so that those
/// exits cost no FPU save and restore):
/// * interrupts are off, but for [`Live::interrupt_window`] after each
///   exit the loop goes straight back from: there the host takes the
///   interrupts that came in since the entry (its clock, IPIs), so a
///   guest never holds them off for longer than one exit, whether or not
///   the CPU made the entry exit for them (Bochs 2.7 does not for a guest
///   with RFLAGS.IF clear entered with interrupts off).  The handlers run
///   with the guest's FPU state and XCR0 loaded, as they run with a
///   user's in any system call, and OpenBSD's do not use the FPU; they
///   cannot switch threads (the kernel is not preempted), so nothing can
///   migrate the thread and no other vcpu runs here (no IBPB is due, the
///   VMCS stays current here).  The descriptor-table limits are the VM
///   exit's until [`Current::leave`]: IDTR and GDTR 0xFFFF, TR 0x67 (the
///   64-bit TSS, whose stack pointers a handler needs, is 0x68 bytes), no
///   LDT (the kernel has none).  An NMI is taken the same way (an NMI
///   exit hands it to the host with `int $2`);
/// * nothing may sleep, fault, switch, copy to or from user memory, take
///   a lock, or use the FPU or XSAVE: only the exit handlers' own
///   arithmetic, VMREAD/VMWRITE, and the kernel services that read two
///   flags (`thread_check`: signal pending, should yield) and send an IPI
///   (`cpu_kick`) run;
/// * everything else (the pvclock update through guest memory, VMCS
///   host-state writes and flushes for a new CPU, nested faults, the
///   return to vmd) happens only after [`Current::leave`].
#[must_use]
pub struct Live {
    rflags: u64,
    tables: SavedTables,
}

impl Live {
    /// Lets the host take the interrupts that are pending (see [`Live`]):
    /// interrupts on for one instruction, then off again; nothing if they
    /// were off when the stretch began.
    pub fn interrupt_window(&self) {
        if self.rflags & PSL_I != 0 {
            // SAFETY: kernel mode, interrupts off since `load_guest`;
            // after a VM exit the host's IDT, GDT and TSS bases and GS
            // base are loaded, with limits that cover what a handler uses
            // (see `Live`); the caller (the run loop) may take interrupts
            // here, which is what interrupts on at `load_guest` say.
            unsafe { insn::intr_window() };
        }
    }
}

/// The host's GDTR, IDTR (as SGDT/SIDT store them), LDTR and TR, saved
/// before the first entry of a stretch and put back after the last exit.
struct SavedTables {
    gdtr: [u8; 10],
    idtr: [u8; 10],
    ldt: u16,
    tr: u16,
}

impl SavedTables {
    fn save() -> Self {
        let mut t = SavedTables {
            gdtr: [0; 10],
            idtr: [0; 10],
            ldt: 0,
            tr: 0,
        };
        // SAFETY: SGDT/SIDT store 10 bytes each into our buffers; SLDT
        // and STR only read.  None of them changes machine state.
        unsafe {
            asm!(
                "sgdt [{g}]",
                "sidt [{i}]",
                "sldt {l:x}",
                "str {t:x}",
                g = in(reg) t.gdtr.as_mut_ptr(),
                i = in(reg) t.idtr.as_mut_ptr(),
                l = out(reg) t.ldt,
                t = out(reg) t.tr,
                options(nostack, preserves_flags),
            );
        }
        t
    }

    /// Loads them back: GDTR and IDTR with their limits, TR after its
    /// TSS descriptor in the GDT is marked available again (LTR faults
    /// on a busy one), and the LDT.
    ///
    /// # Safety
    /// Interrupts off; `self` was saved on this CPU, whose GDT, IDT and
    /// TSS have not moved since (they are the kernel's per-CPU tables).
    unsafe fn restore(&self) {
        let [_, _, b0, b1, b2, b3, b4, b5, b6, b7] = self.gdtr;
        let gdt = u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]);
        let type_byte = gdt
            .wrapping_add(u64::from(self.tr & 0xfff8))
            .wrapping_add(5);
        // SAFETY: the caller's contract: the tables are this CPU's as
        // loaded before the VM entry; the type byte is that of the TSS
        // descriptor TR was loaded from, and clearing its busy bit (the
        // TSS is not in use by a task switch on amd64) lets LTR reload TR
        // with its full limit, as the C driver does after every exit.
        unsafe {
            asm!(
                "lgdt [{g}]",
                "lidt [{i}]",
                "and byte ptr [{d}], 0xf9",
                "ltr {t:x}",
                "lldt {l:x}",
                g = in(reg) self.gdtr.as_ptr(),
                i = in(reg) self.idtr.as_ptr(),
                d = in(reg) type_byte,
                t = in(reg) self.tr,
                l = in(reg) self.ldt,
                options(nostack),
            );
        }
    }
}

// ---- Who holds a VMCS ------------------------------------------------------

/// A VMCS that is *clear* and not current on any CPU.
///
/// That is the only state a `Vmcs` is ever in at rest: it becomes current
/// on exactly one CPU while a [`Current`] borrows it, and the borrow ends
/// with a VMCLEAR on that CPU (explicitly, or in `Current`'s drop).  So no
/// VMCS is ever active on a CPU without its vcpu's lock being held there,
/// a VMCS never needs clearing on another CPU (no remote-VMCLEAR IPI), and
/// its page is never freed while a CPU may still write to it.
pub struct Vmcs<K: KernelAmd64> {
    k: K,
    region: PageBox<K, VmcsRegion>,
    /// The HOST_RSP value last written into the region (0: none yet);
    /// the fields stay in the region across VMCLEAR and VMPTRLD.
    host_rsp: u64,
}

/// A [`Vmcs`] made current on the CPU `cpu` by VMPTRLD.
///
/// Reads and writes of fields go through this (there is no other way to
/// reach the current VMCS).  `launched` tracks the launch state: VMLAUNCH
/// until an entry succeeded, VMRESUME afterwards.
pub struct Current<'a, K: KernelAmd64> {
    vmcs: &'a mut Vmcs<K>,
    /// The CPU the VMCS is current (and active) on.
    cpu: u32,
    /// The CPU the host-state area was last filled for.
    host_cpu: Option<u32>,
    launched: bool,
    held: bool,
}

fn vmfail(_: VmFail) -> Errno {
    Errno::EINVAL
}

impl<K: KernelAmd64> Vmcs<K> {
    /// A new, zeroed VMCS region with `revision`, initialised by VMCLEAR
    /// (upstream skipped this VMCLEAR before the first VMPTRLD).
    pub fn new(k: K, revision: u32) -> KResult<Self> {
        let mut region = PageBox::<K, VmcsRegion>::zeroed(k).ok_or(Errno::ENOMEM)?;
        if let Some(r) = region.first_mut() {
            *r = revision & 0x7fff_ffff;
        }
        let v = Vmcs {
            k,
            region,
            host_rsp: 0,
        };
        v.clear()?;
        Ok(v)
    }

    /// Physical address of the region.
    pub fn pa(&self) -> u64 {
        self.region.pa()
    }

    fn clear(&self) -> KResult {
        if !self.k.cpu_vmm_on() {
            return Err(Errno::EIO);
        }
        // SAFETY: VMX is on on this CPU (CPUF_VMM); the region is ours.
        unsafe { insn::vmclear(self.pa()) }.map_err(vmfail)
    }

    /// Makes the VMCS current on this CPU.  The caller must not sleep (and
    /// so not migrate) while the returned guard lives, except inside
    /// [`Current::while_released`].
    pub fn load(&mut self) -> KResult<Current<'_, K>> {
        let k = self.k;
        if !k.cpu_vmm_on() {
            return Err(Errno::EIO);
        }
        // SAFETY: VMX is on on this CPU; the VMCS is ours, initialised and
        // clear (the type's invariant), so active on no other CPU.
        unsafe { insn::vmptrld(self.pa()) }.map_err(vmfail)?;
        Ok(Current {
            cpu: k.cpu_id(),
            host_cpu: None,
            vmcs: self,
            launched: false,
            held: true,
        })
    }
}

impl<K: KernelAmd64> Drop for Vmcs<K> {
    fn drop(&mut self) {
        // A `Vmcs` at rest is clear, so this VMCLEAR is redundant by
        // construction; it is kept so that the page is provably flushed
        // before it goes back to the kernel (upstream freed VMCSs that
        // were still active).
        let _ = self.clear();
    }
}

impl<K: KernelAmd64> Current<'_, K> {
    /// The CPU the VMCS is current on.
    pub fn cpu(&self) -> u32 {
        self.cpu
    }

    /// Whether the next entry is a VMRESUME.
    pub fn launched(&self) -> bool {
        self.launched
    }

    /// Whether the host-state area is filled for the CPU the VMCS is
    /// current on.
    pub fn host_state_current(&self) -> bool {
        self.host_cpu == Some(self.cpu)
    }

    /// VMREAD.
    pub fn read<F: Readable>(&self, f: F) -> KResult<F::Value> {
        if !self.held {
            return Err(Errno::EINVAL);
        }
        // SAFETY: VMX is on (checked at load) and this VMCS is current.
        let v = unsafe { insn::vmread(f.encoding()) }.map_err(vmfail)?;
        Ok(F::from_raw(v))
    }

    /// VMWRITE.
    pub fn write<F: Writable>(&mut self, f: F, v: F::Value) -> KResult {
        if !self.held {
            return Err(Errno::EINVAL);
        }
        // SAFETY: as for read; guest and control fields only matter at the
        // next entry, which the caller's code prepares.
        unsafe { insn::vmwrite(f.encoding(), F::to_raw(v)) }.map_err(vmfail)
    }

    /// Sets and clears bits of a 32-bit control field.
    pub fn update32(&mut self, f: Ctl32, set: u32, clear: u32) -> KResult {
        let v = self.read(f)?;
        self.write(f, (v & !clear) | set)
    }

    /// The VM-instruction error of the last failed VMX instruction.
    pub fn insn_error(&self) -> Option<InsnError> {
        self.read(Ro32::InsnError).ok().map(InsnError::from_raw)
    }

    /// Runs `f` with the VMCS clear and not current (it may sleep and
    /// migrate), then makes it current again on whatever CPU this is now.
    /// The next entry is a VMLAUNCH.
    pub fn while_released<R>(&mut self, f: impl FnOnce() -> R) -> KResult<R> {
        self.vmcs.clear()?;
        self.held = false;
        self.launched = false;
        let r = f();
        let k = self.vmcs.k;
        if !k.cpu_vmm_on() {
            return Err(Errno::EIO);
        }
        // SAFETY: VMX is on on this CPU; the VMCS is clear (just above).
        unsafe { insn::vmptrld(self.vmcs.pa()) }.map_err(vmfail)?;
        self.held = true;
        self.cpu = k.cpu_id();
        Ok(r)
    }

    /// Ends the borrow with a VMCLEAR on this CPU.
    pub fn release(mut self) -> KResult {
        self.held = false;
        self.vmcs.clear()
    }
}

impl<K: KernelAmd64> Drop for Current<'_, K> {
    fn drop(&mut self) {
        if self.held {
            self.held = false;
            let _ = self.vmcs.clear();
        }
    }
}

impl<K: KernelAmd64> Current<'_, K> {
    /// INVEPT single-context for `eptp` if the CPU has it, else
    /// all-context if it has that (bits 25 and 26 of `ept_vpid_cap`).
    pub fn invept(&self, ept_vpid_cap: u64, eptp: u64) -> KResult {
        let kind = if ept_vpid_cap & CAP_INVEPT_SINGLE != 0 {
            INV_SINGLE_CONTEXT
        } else if ept_vpid_cap & CAP_INVEPT_ALL != 0 {
            INV_ALL_CONTEXT
        } else {
            return Ok(());
        };
        // SAFETY: in VMX root operation (a VMCS is current); the type is
        // one the CPU reports; INVEPT only drops cached translations.
        unsafe { insn::invept(kind, eptp) }.map_err(vmfail)
    }

    /// INVVPID single-context for `vpid` if the CPU has it, else
    /// all-context (bits 41 and 42 of `ept_vpid_cap`).
    pub fn invvpid(&self, ept_vpid_cap: u64, vpid: u16) -> KResult {
        let kind = if ept_vpid_cap & CAP_INVVPID_SINGLE != 0 {
            INV_SINGLE_CONTEXT
        } else if ept_vpid_cap & CAP_INVVPID_ALL != 0 {
            INV_ALL_CONTEXT
        } else {
            return Ok(());
        };
        // SAFETY: as for invept; INVVPID only drops cached translations.
        unsafe { insn::invvpid(kind, vpid, 0) }.map_err(vmfail)
    }

    /// Prepares entries into the guest: interrupts off, the guest FPU
    /// state from `world` and XCR0 from `gs` loaded, IBPB issued if `ibpb`
    /// (both through [`crate::world`]).  On error interrupts are as before
    /// and the host FPU state is intact.
    ///
    /// The host-state area must have been filled for this CPU since the
    /// VMCS became current here ([`Current::write_host_state`]); preparing
    /// on another CPU than the one the VMCS is current on is refused.
    pub(crate) fn load_guest(
        &mut self,
        hw: &Hw<'_, K>,
        gs: &GuestState,
        world: &mut GuestWorld<K>,
        ibpb: bool,
    ) -> KResult<Live> {
        let k = self.vmcs.k;
        if !self.held || self.host_cpu != Some(self.cpu) || k.cpu_id() != self.cpu {
            return Err(Errno::EINVAL);
        }
        // SAFETY: kernel mode; restored in `leave` or just below, and
        // nothing in between sleeps (see `Live`).
        let s = unsafe { insn::intr_disable() };
        // SAFETY: interrupts are off until `leave` (or just below on
        // error).
        if let Err(e) = unsafe { world.load(hw, gs.xcr0, ibpb) } {
            // SAFETY: `s` came from intr_disable just above.
            unsafe { insn::intr_restore(s) };
            return Err(e);
        }
        Ok(Live {
            rflags: s,
            tables: SavedTables::save(),
        })
    }

    /// Enters the guest (VMLAUNCH or VMRESUME as the launch state says)
    /// with what `live` proves loaded, and returns the [`ret`] code.
    pub fn run(&mut self, gs: &mut GuestState, m: &EntryMitigation<K>, _live: &Live) -> u64 {
        if !self.held || self.host_cpu != Some(self.cpu) {
            return ret::FAIL_INVALID;
        }
        let l1d_buf = m.l1d_buf.as_ref().map_or(core::ptr::null(), |b| b.as_ptr());
        // SAFETY: interrupts are off and the guest FPU/XCR0 loaded since
        // `load_guest` (witnessed by `_live`, during which nothing can
        // migrate the thread); VMX root operation with this vcpu's VMCS
        // current on this CPU (held, and the CPU checked by load_guest);
        // its control and guest areas were written by the backend's reset
        // and register writes, its host area for this CPU by
        // write_host_state (host_cpu checked); `gs` is this vcpu's guest
        // state; `launched` is true only after a successful entry since
        // this CPU made the VMCS current; `host_rsp` is what this VMCS's
        // HOST_RSP field holds (only written by vmx_enter_guest); the
        // software L1D flush is asked for only with its buffer
        // (EntryMitigation::new).
        let r = unsafe {
            vmx_enter_guest(
                gs,
                u64::from(self.launched),
                m.flags,
                &mut self.vmcs.host_rsp,
                l1d_buf,
            )
        };
        if r == ret::EXIT {
            self.launched = true;
        }
        r
    }

    /// Ends the guest's hold on the CPU: saves its FPU state into `world`
    /// and its XCR0 into `gs`, restores the host's, and restores the
    /// interrupt flag (the host takes a pending interrupt here).
    pub(crate) fn leave(
        &mut self,
        hw: &Hw<'_, K>,
        gs: &mut GuestState,
        world: &mut GuestWorld<K>,
        live: Live,
    ) {
        // SAFETY: interrupts are still off since `load_guest` saved the
        // tables on this CPU (no migration while `live` exists).
        unsafe { live.tables.restore() };
        // SAFETY: `live` proves `load_guest` loaded the guest's world with
        // interrupts off since.
        gs.xcr0 = unsafe { world.leave(hw) };
        // SAFETY: `live.rflags` came from intr_disable in `load_guest`.
        unsafe { insn::intr_restore(live.rflags) };
    }

    /// Fills the host-state area for this CPU: control registers,
    /// selectors, FS/GS/TR/GDTR/IDTR bases, SYSENTER MSRs, and the host
    /// MSR values the VM exit loads (`host_msrs`, in the backend's slot
    /// order: EFER, STAR, LSTAR, CSTAR (0), SFMASK, KERNELGSBASE).
    pub fn write_host_state(&mut self, host_msrs: &mut [[u64; 2]]) -> KResult {
        let t = host_tables();
        if t.tr_sel & 0xfff8 == 0 || t.gdt_base == 0 {
            return Err(Errno::EINVAL);
        }
        let cs = insn::read_cs() & 0xfff8;
        let rd = |m: u32| {
            // SAFETY: these architectural MSRs exist on every amd64 CPU
            // (SYSENTER_*, FS/GS bases, EFER, the SYSCALL MSRs).
            unsafe { insn::rdmsr(m) }
        };
        use super::vmcs::{Host16, Host32};
        self.write(HostNat::Cr0, insn::rcr0() & !CR0_TS)?;
        self.write(HostNat::Cr3, insn::rcr3())?;
        self.write(HostNat::Cr4, insn::rcr4())?;
        self.write(Host16::CsSel, cs)?;
        for f in [
            Host16::SsSel,
            Host16::DsSel,
            Host16::EsSel,
            Host16::FsSel,
            Host16::GsSel,
        ] {
            self.write(f, KERNEL_DATA_SEL)?;
        }
        self.write(Host16::TrSel, t.tr_sel & 0xfff8)?;
        self.write(HostNat::FsBase, rd(msr::FSBASE))?;
        self.write(HostNat::GsBase, rd(msr::GSBASE))?;
        self.write(HostNat::TrBase, t.tr_base)?;
        self.write(HostNat::GdtrBase, t.gdt_base)?;
        self.write(HostNat::IdtrBase, t.idt_base)?;
        self.write(Host32::SysenterCs, rd(msr::SYSENTER_CS) as u32)?;
        self.write(HostNat::SysenterEsp, rd(msr::SYSENTER_ESP))?;
        self.write(HostNat::SysenterEip, rd(msr::SYSENTER_EIP))?;
        // The host's values of the MSRs the exit loads back (the host area
        // holds the same list as the guest's).
        for (slot, m) in host_msrs.iter_mut().zip(super::GUEST_MSRS) {
            // CSTAR is 0 after every exit: nothing of the guest's stays,
            // and OpenBSD does not use it (as upstream).
            *slot = [u64::from(m), if m == msr::CSTAR { 0 } else { rd(m) }];
        }
        self.host_cpu = Some(self.cpu);
        Ok(())
    }
}

/// IA32_VMX_EPT_VPID_CAP: INVEPT single-context supported.
const CAP_INVEPT_SINGLE: u64 = 1 << 25;
/// IA32_VMX_EPT_VPID_CAP: INVEPT all-context supported.
const CAP_INVEPT_ALL: u64 = 1 << 26;
/// IA32_VMX_EPT_VPID_CAP: INVVPID single-context supported.
const CAP_INVVPID_SINGLE: u64 = 1 << 41;
/// IA32_VMX_EPT_VPID_CAP: INVVPID all-context supported.
const CAP_INVVPID_ALL: u64 = 1 << 42;
/// INVEPT/INVVPID type: single context.
const INV_SINGLE_CONTEXT: u64 = 1;
/// INVEPT/INVVPID type: all contexts.
const INV_ALL_CONTEXT: u64 = 2;

/// IA32_FEATURE_CONTROL: locked.
const FC_LOCK: u64 = 1 << 0;
/// IA32_FEATURE_CONTROL: VMXON allowed outside SMX.
const FC_VMX_EN: u64 = 1 << 2;

/// Why VMX operation could not be entered on a CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmxOnError {
    /// The firmware locked IA32_FEATURE_CONTROL with VMX disabled.
    Disabled,
    /// CR0 or CR4 violate the VMX fixed bits (VMXON would #GP).
    FixedBits,
    /// VMXON failed.
    Vmxon,
}

/// `start_vmm_on_cpu` for VMX: enables VMX in IA32_FEATURE_CONTROL if the
/// firmware left it unlocked, sets CR4.VMXE and executes VMXON with the
/// region at `region_pa`, then flushes all EPT-derived translations
/// (INVEPT all-context, when the CPU has it).
pub fn cpu_vmx_on(
    region_pa: u64,
    cr0_fixed: (u64, u64),
    cr4_fixed: (u64, u64),
    ept_vpid_cap: u64,
) -> Result<(), VmxOnError> {
    // SAFETY: the caller probed VMX on this CPU, so the MSR exists.
    let fc = unsafe { insn::rdmsr(msr::IA32_FEATURE_CONTROL) };
    if fc & FC_LOCK != 0 && fc & FC_VMX_EN == 0 {
        return Err(VmxOnError::Disabled);
    }
    if fc & FC_LOCK == 0 {
        // SAFETY: unlocked: enabling VMX outside SMX and locking is the
        // documented way to allow VMXON (until the next reset).
        unsafe { insn::wrmsr(msr::IA32_FEATURE_CONTROL, fc | FC_VMX_EN | FC_LOCK) };
    }
    let cr4 = insn::rcr4() | CR4_VMXE;
    let fits = |v: u64, (f0, f1): (u64, u64)| v & f0 == f0 && v & !f1 == 0;
    if !fits(insn::rcr0(), cr0_fixed) || !fits(cr4, cr4_fixed) {
        return Err(VmxOnError::FixedBits);
    }
    // SAFETY: setting CR4.VMXE only allows VMX instructions.
    unsafe { insn::lcr4(cr4) };
    // SAFETY: CR4.VMXE set and the fixed bits hold (checked), feature
    // control allows VMXON; the region is the caller's page for this CPU,
    // holding the revision identifier.
    if unsafe { insn::vmxon(region_pa) }.is_err() {
        // SAFETY: clearing the bit we set; not in VMX operation.
        unsafe { insn::lcr4(cr4 & !CR4_VMXE) };
        return Err(VmxOnError::Vmxon);
    }
    if ept_vpid_cap & CAP_INVEPT_ALL != 0 {
        // SAFETY: in VMX root operation; all-context INVEPT is supported.
        let _ = unsafe { insn::invept(INV_ALL_CONTEXT, 0) };
    }
    Ok(())
}

/// `stop_vmm_on_cpu` for VMX: VMXOFF and clear CR4.VMXE.  The caller
/// guarantees no VMCS is current or active on this CPU (the [`Vmcs`]
/// discipline: none is at rest), so nothing cached is lost.
pub fn cpu_vmx_off() -> Result<(), VmFail> {
    // SAFETY: the caller knows this CPU is in VMX operation (CPUF_VMM);
    // no VMCS is active here.
    unsafe { insn::vmxoff() }?;
    // SAFETY: leaving VMX operation: CR4.VMXE may be cleared.
    unsafe { insn::lcr4(insn::rcr4() & !CR4_VMXE) };
    Ok(())
}

/// Reads the host PAT (the initial guest PAT shadow, as upstream).
pub fn host_pat() -> u64 {
    // SAFETY: PAT exists on every amd64 CPU.
    unsafe { insn::rdmsr(msr::PAT) }
}

/// IBPB: flushes indirect branch predictions before running a different
/// vcpu on this CPU.  Only call when CPUID says IBPB exists.
pub fn ibpb() {
    // SAFETY: PRED_CMD exists when CPUID 7 EDX bit 26 is set (the caller
    // checked); IBPB only flushes predictions.
    unsafe { insn::wrmsr(msr::PRED_CMD, 1) };
}

/// Hands an NMI that caused a VM exit to the host's NMI handler.
pub fn nmi_to_host() {
    // SAFETY: kernel mode, back on the host's IDT/GDT/TSS after the exit.
    unsafe { insn::int_nmi() };
}

//! The SVM world switch (upstream's `svm_enter_guest` in vmm_support.S).
//!
//! Contract (AMD APM Vol. 2, 15.5 and 15.6):
//! * called with GIF clear, `VM_HSAVE_PA` set, the guest FPU/XCR0 loaded;
//! * saves the host state VMRUN does not (segment selectors, FS/GS/kernel
//!   GS bases, STAR/LSTAR/SFMASK, TR), loads the guest GPRs, DR0-3 and CR2
//!   from [`GuestState`], runs VMLOAD/VMRUN/VMSAVE, stores the guest GPRs,
//!   CR2 and DR0-3 back, and restores the host: GS selector before GS base,
//!   CSTAR cleared, LDT cleared, TR reloaded after clearing the busy bit of
//!   its descriptor in this CPU's GDT, RFLAGS as on entry;
//! * scrubs every caller-saved register that held a guest value;
//! * returns with GIF still clear.
//!
//! Every offset into [`GuestState`] comes from `offset_of!`.

use core::arch::naked_asm;
use core::mem::offset_of;
use core::sync::atomic::{AtomicUsize, Ordering};

use vmm_kernel::{KResult, Kernel};

use super::SvmVcpu;
use crate::gstate::GuestState;
use crate::insn::{self, msr};

const MSR_FSBASE: u32 = 0xc000_0100;
const MSR_GSBASE: u32 = 0xc000_0101;
const MSR_KERNELGSBASE: u32 = 0xc000_0102;
const MSR_STAR: u32 = 0xc000_0081;
const MSR_LSTAR: u32 = 0xc000_0082;
const MSR_CSTAR: u32 = 0xc000_0083;
const MSR_SFMASK: u32 = 0xc000_0084;

/// Enters the guest whose VMCB is at physical address `vmcb_pa` and
/// returns at its next #VMEXIT.
///
/// # Safety
///
/// Kernel mode with EFER.SVME set and GIF clear; `vmcb_pa` is a valid,
/// consistent VMCB; `gs` points to the vcpu's guest state; `gdt_base` is the
/// base of the GDT of the CPU executing this call; `VM_HSAVE_PA` names a
/// valid host save area.
#[unsafe(naked)]
pub unsafe extern "C" fn svm_enter_guest(vmcb_pa: u64, gs: *mut GuestState, gdt_base: u64) {
    naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "clgi",
        "pushfq",
        "push rdx",                     // GDT base
        "xor eax, eax",
        "str ax",
        "push rax",                     // host TR selector
        "xor eax, eax", "mov ax, es", "push rax",
        "xor eax, eax", "mov ax, ds", "push rax",
        "xor eax, eax", "mov ax, ss", "push rax",
        "mov r8, rdi",                  // VMCB PA (rdmsr clobbers rdx)
        "mov ecx, {fsbase}", "rdmsr", "shl rdx, 32", "or rax, rdx", "push rax",
        "xor eax, eax", "mov ax, fs", "push rax",
        "mov ecx, {gsbase}", "rdmsr", "shl rdx, 32", "or rax, rdx", "push rax",
        "xor eax, eax", "mov ax, gs", "push rax",
        "mov ecx, {kgsbase}", "rdmsr", "shl rdx, 32", "or rax, rdx", "push rax",
        "mov ecx, {star}", "rdmsr", "shl rdx, 32", "or rax, rdx", "push rax",
        "mov ecx, {lstar}", "rdmsr", "shl rdx, 32", "or rax, rdx", "push rax",
        "mov ecx, {sfmask}", "rdmsr", "shl rdx, 32", "or rax, rdx", "push rax",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "push rsi",                     // guest state pointer, on top
        // Guest state in.
        "mov rax, [rsi + {dr0}]", "mov dr0, rax",
        "mov rax, [rsi + {dr1}]", "mov dr1, rax",
        "mov rax, [rsi + {dr2}]", "mov dr2, rax",
        "mov rax, [rsi + {dr3}]", "mov dr3, rax",
        "mov rax, [rsi + {cr2}]", "mov cr2, rax",
        "mov rax, r8",
        "mov r15, [rsi + {r15}]",
        "mov r14, [rsi + {r14}]",
        "mov r13, [rsi + {r13}]",
        "mov r12, [rsi + {r12}]",
        "mov r11, [rsi + {r11}]",
        "mov r10, [rsi + {r10}]",
        "mov r9, [rsi + {r9}]",
        "mov r8, [rsi + {r8}]",
        "mov rbp, [rsi + {rbp}]",
        "mov rdi, [rsi + {rdi}]",
        "mov rdx, [rsi + {rdx}]",
        "mov rcx, [rsi + {rcx}]",
        "mov rbx, [rsi + {rbx}]",
        "mov rsi, [rsi + {rsi}]",
        "vmload rax",
        "vmrun rax",
        "vmsave rax",
        // Guest state out; the state pointer is at [rsp].
        "push rsi",
        "mov rsi, [rsp + 8]",
        "pop qword ptr [rsi + {rsi}]",
        "mov [rsi + {rbx}], rbx",
        "mov [rsi + {rcx}], rcx",
        "mov [rsi + {rdx}], rdx",
        "mov [rsi + {rdi}], rdi",
        "mov [rsi + {rbp}], rbp",
        "mov [rsi + {r8}], r8",
        "mov [rsi + {r9}], r9",
        "mov [rsi + {r10}], r10",
        "mov [rsi + {r11}], r11",
        "mov [rsi + {r12}], r12",
        "mov [rsi + {r13}], r13",
        "mov [rsi + {r14}], r14",
        "mov [rsi + {r15}], r15",
        "mov rax, cr2", "mov [rsi + {cr2}], rax",
        "mov rax, dr0", "mov [rsi + {dr0}], rax",
        "mov rax, dr1", "mov [rsi + {dr1}], rax",
        "mov rax, dr2", "mov [rsi + {dr2}], rax",
        "mov rax, dr3", "mov [rsi + {dr3}], rax",
        "add rsp, 8",                   // the state pointer
        // Host state back.
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rax", "mov rdx, rax", "shr rdx, 32", "mov ecx, {sfmask}", "wrmsr",
        "xor eax, eax", "xor edx, edx", "mov ecx, {cstar}", "wrmsr",
        "pop rax", "mov rdx, rax", "shr rdx, 32", "mov ecx, {lstar}", "wrmsr",
        "pop rax", "mov rdx, rax", "shr rdx, 32", "mov ecx, {star}", "wrmsr",
        "cli",
        "pop rax", "mov rdx, rax", "shr rdx, 32", "mov ecx, {kgsbase}", "wrmsr",
        "pop rax", "mov gs, ax",
        "pop rax", "mov rdx, rax", "shr rdx, 32", "mov ecx, {gsbase}", "wrmsr",
        "pop rax", "mov fs, ax",
        "pop rax", "mov rdx, rax", "shr rdx, 32", "mov ecx, {fsbase}", "wrmsr",
        "pop rax", "mov ss, ax",
        "pop rax", "mov ds, ax",
        "pop rax", "mov es, ax",
        "xor eax, eax", "lldt ax",
        "pop rax",                      // TR selector
        "pop rdx",                      // GDT base
        "and eax, 0xfff8",
        "and byte ptr [rdx + rax + 5], 0xf9",   // TSS: busy -> available
        "ltr ax",
        "popfq",
        // Nothing of the guest's stays in a scratch register.
        "xor eax, eax",
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
        fsbase = const MSR_FSBASE,
        gsbase = const MSR_GSBASE,
        kgsbase = const MSR_KERNELGSBASE,
        star = const MSR_STAR,
        lstar = const MSR_LSTAR,
        cstar = const MSR_CSTAR,
        sfmask = const MSR_SFMASK,
        rsi = const offset_of!(GuestState, rsi),
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
    );
}

/// Sets or clears EFER.SVME on the current CPU (`start_vmm_on_cpu` /
/// `stop_vmm_on_cpu`).
pub(super) fn set_svme(on: bool) {
    // SAFETY: EFER exists on every 64-bit CPU and SVM was found present
    // and not disabled at attach; SVME only enables the SVM instructions.
    // The backend clears it only when no guest runs on this CPU.
    unsafe {
        let efer = insn::rdmsr(msr::EFER);
        let efer = if on {
            efer | super::EFER_SVME
        } else {
            efer & !super::EFER_SVME
        };
        insn::wrmsr(msr::EFER, efer);
    }
}

/// One entry into the guest of `v` and back: GIF clear around it, the
/// guest FPU/XCR0 swapped in and out, IBPB first if `last` (this CPU's
/// last-vcpu slot, given when the CPU has IBPB) held a vcpu other than
/// `me`, `v`'s host save area named in VM_HSAVE_PA.  The backend's invariants make it
/// sound: SVME is set on every CPU while a VM exists, the VMCB was made
/// consistent by `reset_regs`, and `gdt_base` is this CPU's GDT (the
/// caller checked it is not 0).
pub(super) fn enter<K: Kernel>(
    k: &K,
    v: &mut SvmVcpu<K>,
    gdt_base: u64,
    last: Option<&AtomicUsize>,
    me: usize,
) -> KResult {
    // SAFETY: SVME is on for this CPU; GIF is set again on every path.
    unsafe { insn::clgi() };
    if let Err(e) = k.fpu_enter_guest(&mut v.fpu.0, v.fpu_loaded, v.gs.xcr0) {
        // SAFETY: as for clgi.
        unsafe { insn::stgi() };
        return Err(e);
    }
    if last.is_some_and(|slot| slot.swap(me, Ordering::Relaxed) != me) {
        // SAFETY: PRED_CMD exists when CPUID reports IBPB (the backend
        // passes `last` only then); IBPB only flushes branch predictions.
        unsafe { insn::wrmsr(0x49, 1) };
    }
    // SAFETY: the HSA page is the vcpu's and lives as long as it;
    // VM_HSAVE_PA exists with SVM.
    unsafe { insn::wrmsr(msr::VM_HSAVE_PA, v.hsa.pa()) };
    // SAFETY: GIF clear, SVME on, HSAVE_PA set, the VMCB consistent,
    // `gs` this vcpu's state and `gdt_base` this CPU's GDT (see above).
    unsafe { svm_enter_guest(v.vmcb.pa(), &mut v.gs, gdt_base) };
    v.gs.xcr0 = k.fpu_exit_guest(&mut v.fpu.0);
    v.fpu_loaded = true;
    // SAFETY: as for clgi.
    unsafe { insn::stgi() };
    Ok(())
}

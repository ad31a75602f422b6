//! The SVM world switch (upstream's `svm_enter_guest` in vmm_support.S)
//! and the per-CPU host state page it uses.
//!
//! Contract (AMD APM Vol. 2, 15.5, 15.6 and 15.7):
//! * called with GIF clear, `VM_HSAVE_PA` set, the guest FPU/XCR0 loaded,
//!   and the physical address of this CPU's host state page
//!   ([`HostAreas`]);
//! * VMSAVE stores the host state VMRUN does not save into that page: FS,
//!   GS, TR and LDTR (selectors with their hidden parts), KernelGSbase,
//!   STAR/LSTAR/CSTAR/SFMASK and the SYSENTER MSRs; loads the guest GPRs,
//!   DR0-3 and CR2 from [`GuestState`]; runs VMLOAD/VMRUN/VMSAVE on the
//!   VMCB; stores the guest GPRs, CR2 and DR0-3 back; VMLOAD of the host
//!   page then puts every one of those registers back exactly as the host
//!   had them (this is how KVM does it; upstream saved and restored six
//!   MSRs with RDMSR/WRMSR, wrote 0 to CSTAR, cleared the LDT and reloaded
//!   TR after clearing its busy bit in the GDT, none of which is needed
//!   when TR and LDTR come back with their hidden state).  ES, CS, SS and
//!   DS are reloaded by the #VMEXIT itself from the host save area
//!   (15.7.1), so they are not saved here; RFLAGS is restored as on entry;
//! * scrubs every caller-saved register that held a guest value;
//! * returns with GIF still clear.
//!
//! Every offset into [`GuestState`] comes from `offset_of!`.

use core::arch::naked_asm;
use core::mem::offset_of;
use core::ptr::{null_mut, NonNull};
use core::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use vmm_kernel::mem::PageBox;
use vmm_kernel::pod::Zeroable;
use vmm_kernel::{Errno, KResult, KernelAmd64};

use super::{SvmVcpu, MAXCPUS};
use crate::gstate::GuestState;
use crate::insn::{self, msr};
use crate::world::Hw;

/// Enters the guest whose VMCB is at physical address `vmcb_pa` and
/// returns at its next #VMEXIT.
///
/// # Safety
///
/// Kernel mode with EFER.SVME set and GIF clear; `vmcb_pa` is a valid,
/// consistent VMCB; `gs` points to the vcpu's guest state; `host_pa` is
/// the physical address of a 4 KiB page that only this CPU uses as a
/// VMSAVE/VMLOAD area while this call runs; `VM_HSAVE_PA` names a valid
/// host save area (a different page).
#[unsafe(naked)]
pub unsafe extern "C" fn svm_enter_guest(vmcb_pa: u64, gs: *mut GuestState, host_pa: u64) {
    naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "clgi",
        "pushfq",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "push rdx",                     // host state page
        "push rsi",                     // guest state pointer, on top
        "mov rax, rdx",
        "vmsave rax",                   // host FS/GS/TR/LDTR/KGS/STAR../SYSENTER
        // Guest state in.
        guest_dr_cr2_in!(),
        "mov rax, rdi",                 // VMCB PA
        guest_gprs_in!(),
        "mov rsi, [rsi + {rsi}]",
        "vmload rax",
        "vmrun rax",
        "vmsave rax",
        // Guest state out; the state pointer is at [rsp].
        "push rsi",
        "mov rsi, [rsp + 8]",
        "pop qword ptr [rsi + {rsi}]",
        guest_gprs_dr_cr2_out!(),
        "add rsp, 8",                   // the state pointer
        // Host state back.
        "pop rax",
        "vmload rax",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
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

/// One CPU's host state page: its address, or null and 0 if none yet.
struct HostArea {
    va: AtomicPtr<u8>,
    pa: AtomicU64,
}

// SAFETY: an atomic null pointer and an atomic 0: "no page yet".
unsafe impl Zeroable for HostArea {}

/// Per CPU, the page [`svm_enter_guest`] VMSAVEs the host's state into and
/// VMLOADs it back from (not the `VM_HSAVE_PA` area, which is the vcpu's
/// and the CPU's own).  A page is allocated the first time a guest runs on
/// the CPU and freed when virtualisation is stopped (no VM left, or
/// suspend), so it is not part of the pages a VM holds.
/// The table of slots is a page of its own (4 KiB: it is made in place,
/// not on the kernel stack).
pub(super) struct HostAreas<K: KernelAmd64> {
    slots: PageBox<K, [HostArea; MAXCPUS]>,
}

impl<K: KernelAmd64> HostAreas<K> {
    /// An empty table; `None` if its page cannot be had.
    pub(super) fn new(k: K) -> Option<Self> {
        Some(HostAreas {
            slots: PageBox::zeroed(k)?,
        })
    }

    /// The physical address of the page of CPU `cpu`, if it has one.
    #[inline]
    pub(super) fn pa(&self, cpu: u32) -> Option<u64> {
        let pa = self.slots.get(cpu as usize)?.pa.load(Ordering::Acquire);
        (pa != 0).then_some(pa)
    }

    /// Gives CPU `cpu` its page if it has none.  May sleep (and so
    /// migrate): the caller asks [`HostAreas::pa`] again afterwards.
    pub(super) fn alloc(&self, k: &K, cpu: u32) -> KResult {
        let slot = self.slots.get(cpu as usize).ok_or(Errno::EINVAL)?;
        if !slot.va.load(Ordering::Acquire).is_null() {
            return Ok(());
        }
        let (va, pa) = k.pages_alloc(1).ok_or(Errno::ENOMEM)?;
        match slot
            .va
            .compare_exchange(null_mut(), va.as_ptr(), Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => slot.pa.store(pa, Ordering::Release),
            // Another thread gave the CPU its page while this one slept.
            // SAFETY: `va` came from pages_alloc(1) just above and was
            // never published.
            Err(_) => unsafe { k.pages_free(va, 1) },
        }
        Ok(())
    }

    /// Frees every CPU's page.  Only when no guest runs on any CPU: the
    /// backend's `stop`, with no VM left or every ioctl finished
    /// (suspend), after SVME was cleared everywhere.
    pub(super) fn free_all(&self, k: &K) {
        for slot in self.slots.iter() {
            slot.pa.store(0, Ordering::Release);
            if let Some(va) = NonNull::new(slot.va.swap(null_mut(), Ordering::AcqRel)) {
                // SAFETY: the page came from pages_alloc(1) in `alloc`, was
                // published once in this slot and is taken out of it here;
                // no CPU runs a guest (caller), so none uses it.
                unsafe { k.pages_free(va, 1) };
            }
        }
    }
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
            efer | crate::x86::EFER_SVME
        } else {
            efer & !crate::x86::EFER_SVME
        };
        insn::wrmsr(msr::EFER, efer);
    }
}

/// Proof that the guest's FPU state, XCR0 and PKRU are loaded on this CPU
/// and GIF is clear: what [`load_guest`] returns and [`leave`] consumes.
///
/// The invariant while one exists (the run loop keeps it across the exits
/// it handles in the kernel and goes straight back from, so that those
/// exits cost no FPU save and restore):
/// * GIF is clear, but for [`gif_window`] after each exit the loop goes
///   straight back from: there the host takes the interrupts (and NMIs)
///   that came in since the VMRUN (its clock, IPIs), so a guest never
///   holds them off for longer than one exit, whether or not the CPU made
///   the VMRUN exit for them (Bochs 2.7 does not for a guest with
///   RFLAGS.IF clear).  The handlers run with the guest's FPU state and
///   XCR0 loaded, as they run with a user's in any system call, and
///   OpenBSD's do not use the FPU; the host state is the host's (the
///   world switch's VMLOAD put it back); they cannot switch threads (the
///   kernel is not preempted), so nothing can migrate the thread and no
///   other vcpu runs here (no IBPB is due, VM_HSAVE_PA stays this
///   vcpu's);
/// * nothing may sleep, fault, switch, copy to or from user memory, take
///   a lock, or use the FPU or XSAVE: only the exit handlers' own
///   arithmetic and the kernel services that read two flags
///   (`thread_check`: signal pending, should yield) and send an IPI
///   (`cpu_kick`) run;
/// * everything else (the pvclock update through guest memory, a possible
///   page allocation, nested faults, the return to vmd) happens only
///   after [`leave`] has put the host's FPU state and XCR0 back and set
///   GIF.
#[must_use]
pub(super) struct Live(());

/// Prepares an entry into the guest of `v`: clears GIF, swaps the guest
/// FPU/XCR0 in and issues IBPB if `last` (this CPU's last-vcpu slot,
/// given when the CPU has IBPB) held a vcpu other than `me` (both through
/// [`crate::world`]), and names `v`'s host save area in VM_HSAVE_PA.  On
/// error GIF is set again and the host FPU state is intact.
pub(super) fn load_guest<K: KernelAmd64>(
    hw: &Hw<'_, K>,
    v: &mut SvmVcpu<K>,
    last: Option<&AtomicUsize>,
    me: usize,
) -> KResult<Live> {
    // SAFETY: SVME is on for this CPU; GIF is set again on the error path
    // here and in `leave`.
    unsafe { insn::clgi() };
    // PRED_CMD exists when CPUID reports IBPB: the backend passes `last`
    // only then.
    let ibpb = last.is_some_and(|slot| slot.swap(me, Ordering::Relaxed) != me);
    // SAFETY: GIF is clear until `leave` (or just below on error).
    if let Err(e) = unsafe { v.world.load(hw, v.gs.xcr0, ibpb) } {
        // SAFETY: as for clgi.
        unsafe { insn::stgi() };
        return Err(e);
    }
    // SAFETY: the HSA page is the vcpu's and lives as long as it;
    // VM_HSAVE_PA exists with SVM.
    unsafe { insn::wrmsr(msr::VM_HSAVE_PA, v.hsa.pa()) };
    Ok(Live(()))
}

/// One VMRUN of `v` and back to its #VMEXIT, with the guest state `live`
/// proves loaded.  The backend's invariants make it sound: SVME is set on
/// every CPU while a VM exists, the VMCB was made consistent by
/// `reset_regs`, and `host_pa` is the page of [`HostAreas`] of the CPU
/// `live` was made on (the caller looked it up for that CPU, and no
/// migration is possible while `live` exists).
#[inline(always)]
pub(super) fn run_guest<K: KernelAmd64>(v: &mut SvmVcpu<K>, host_pa: u64, _live: &Live) {
    // SAFETY: GIF clear, SVME on, HSAVE_PA set to this vcpu's area, the
    // guest FPU/XCR0 loaded (all by `load_guest`, witnessed by `_live`),
    // the VMCB consistent, `gs` this vcpu's state and `host_pa` this
    // CPU's host page (see above).
    unsafe { svm_enter_guest(v.vmcb.pa(), &mut v.gs, host_pa) };
}

/// Lets the host take its pending interrupts and NMIs (see [`Live`]): GIF
/// set for one instruction boundary, then clear again.
pub(super) fn gif_window(_live: &Live) {
    // SAFETY: SVME is on and GIF clear (witnessed by `_live`, made by
    // `load_guest` on this CPU); after #VMEXIT and the world switch's
    // VMLOAD the host's state is complete, so its handlers may run here.
    unsafe { insn::gif_window() };
}

/// Ends the guest's hold on the CPU: saves its FPU state and XCR0,
/// restores the host's, and sets GIF (the host takes a pending interrupt
/// or NMI here).
pub(super) fn leave<K: KernelAmd64>(hw: &Hw<'_, K>, v: &mut SvmVcpu<K>, live: Live) {
    let Live(()) = live;
    // SAFETY: `live` proves `load_guest` loaded the guest's world with
    // GIF clear since.
    v.gs.xcr0 = unsafe { v.world.leave(hw) };
    // SAFETY: GIF was cleared by `load_guest`; setting it is what ends
    // the guest's hold.
    unsafe { insn::stgi() };
}

#[cfg(test)]
mod tests {
    use super::*;
    use vmm_testkit::{Fail, HostKernel};

    #[test]
    fn host_areas_one_page_per_cpu_until_freed() {
        let k = HostKernel::new();
        // The table itself is one page.
        let h = HostAreas::new(k);
        assert!(h.is_some());
        let Some(h) = h else { return };
        assert_eq!(k.snapshot().pages, 1);
        assert_eq!(h.pa(3), None);
        assert_eq!(h.alloc(&k, 3), Ok(()));
        let pa = h.pa(3);
        assert!(pa.is_some_and(|pa| pa != 0 && pa & 0xfff == 0));
        // A CPU that has its page keeps it; no second page is taken.
        assert_eq!(h.alloc(&k, 3), Ok(()));
        assert_eq!(h.pa(3), pa);
        assert_eq!(k.snapshot().pages, 2);
        // No slot beyond MAXCPUS; no page when memory is short.
        assert_eq!(h.alloc(&k, MAXCPUS as u32), Err(Errno::EINVAL));
        assert_eq!(h.pa(MAXCPUS as u32), None);
        k.fail_nth(Fail::PagesAlloc, 0);
        assert_eq!(h.alloc(&k, 4), Err(Errno::ENOMEM));
        assert_eq!(h.pa(4), None);
        assert_eq!(h.alloc(&k, 4), Ok(()));
        assert_eq!(k.snapshot().pages, 3);
        // Stop gives every CPU's page back; the next guest run allocates
        // again.
        h.free_all(&k);
        assert_eq!(k.snapshot().pages, 1);
        assert_eq!((h.pa(3), h.pa(4)), (None, None));
        assert_eq!(h.alloc(&k, 3), Ok(()));
        h.free_all(&k);
        assert_eq!(k.snapshot().pages, 1);
        drop(h);
        assert_eq!(k.snapshot().pages, 0);
    }
}

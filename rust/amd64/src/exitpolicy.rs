//! Exit handling that is the same on SVM and VMX: the exit-record
//! helpers, queued exceptions, the XSETBV rule and the MSRs both backends
//! emulate alike.  The backends keep only what differs (where the guest's
//! registers live, vendor MSRs).

use core::sync::atomic::{AtomicU16, AtomicU32, Ordering};

use vmm_abi::{
    vcpu_inject_event, vm_exit, vm_exit_eptviolation, vm_exit_inout, vm_mem_range, VCPU_INJECT_EX,
    VCPU_INJECT_NONE,
};
use vmm_core::{RunCheck, NOCPU};
use vmm_kernel::mem::PmapBox;
use vmm_kernel::pod::{as_bytes, as_bytes_mut, zeroed};
use vmm_kernel::KernelAmd64;

use crate::insn::msr;
use crate::pvclock::{self, PvClock};
use crate::x86::{vector, PSL_T};

/// What an exit handler decided.
pub(crate) enum Next {
    /// Resume the guest.
    Resume,
    /// Return to vmd with this exit (upstream's EAGAIN).
    ToVmd,
}

/// After an exit was handled: whether the run loop ends, and how
/// (`Some(Ok(Some(reason)))` to vmd with the exit, `Some(Ok(None))` to
/// vmd with `VM_EXIT_NONE` for a signal or the scheduler, `Some(Err)` to
/// fail the vcpu), or `None` to enter the guest again.  `intr` is vmd's
/// pending interrupt and `irqready` whether the guest can take it now.
#[inline]
pub(crate) fn after_exit(
    next: vmm_kernel::KResult<Next>,
    reason: u16,
    intr: bool,
    irqready: bool,
    check: &impl Fn() -> RunCheck,
) -> Option<vmm_kernel::KResult<Option<u16>>> {
    match next {
        Err(e) => return Some(Err(e)),
        Ok(Next::ToVmd) => return Some(Ok(Some(reason))),
        Ok(Next::Resume) => {}
    }
    let c = check();
    if c == RunCheck::Stop {
        return Some(Ok(None));
    }
    if intr && irqready {
        return Some(Ok(Some(reason)));
    }
    if c == RunCheck::Yield {
        return Some(Ok(None));
    }
    None
}

/// The run loop has taken the CPU for the guest (interrupts or GIF just
/// turned off, the guest's FPU state loaded): publishes the CPU in
/// `curcpu` (`vc_curcpu`), so that from now on every request to the vcpu
/// comes with an IPI that makes the guest exit, then looks once more at
/// what such a request changes (`check()`, and `intr` unless the loop
/// already saw it set).  A request made before the CPU was published had
/// no IPI: one is sent now, to this CPU, where it stays pending until the
/// entry and makes it exit at once.  `SeqCst`: pairs with the requests'
/// store-then-load of `curcpu`.
#[inline]
pub(crate) fn take_cpu<K: KernelAmd64>(
    k: &K,
    curcpu: &AtomicU32,
    cpu: u32,
    intr: &AtomicU16,
    intr_seen: bool,
    check: &impl Fn() -> RunCheck,
) {
    curcpu.store(cpu, Ordering::SeqCst);
    let intr_new = !intr_seen && intr.load(Ordering::SeqCst) != 0;
    if intr_new || check() != RunCheck::Go {
        k.cpu_kick(cpu);
    }
}

/// The run loop gives the CPU back (before interrupts or GIF are on
/// again): requests no longer send an IPI, the loop looks at them itself.
#[inline]
pub(crate) fn give_cpu(curcpu: &AtomicU32) {
    curcpu.store(NOCPU, Ordering::SeqCst);
}

/// Whether an exit for RDMSR/WRMSR of `msr` is handled without touching
/// guest memory or any kernel service, so the run loop may handle it with
/// the guest's FPU state still loaded and go straight back (see the
/// backends' `Live`).  The pvclock MSRs write guest memory: no.
#[inline]
pub(crate) fn msr_stays_in_kernel(msr: u32) -> bool {
    !matches!(
        u64::from(msr),
        pvclock::MSR_SYSTEM_TIME | pvclock::MSR_WALL_CLOCK
    )
}

/// A VM's backend state together with its guest-physical memory map (as
/// vmd passed it at create, validated by the MI layer), for one run: the
/// map stays in the MI `struct vm` (`vm_memranges`), as upstream reads it,
/// instead of a copy in the backend's state.
pub(crate) struct VmRun<'a, V> {
    vm: &'a V,
    /// The ranges in use.
    pub(crate) ranges: &'a [vm_mem_range],
}

impl<'a, V> VmRun<'a, V> {
    pub(crate) fn new(vm: &'a V, ranges: &'a [vm_mem_range]) -> Self {
        VmRun { vm, ranges }
    }

    /// The range holding `gpa`, if any.
    pub(crate) fn range_of(&self, gpa: u64) -> Option<&vm_mem_range> {
        self.ranges
            .iter()
            .find(|r| gpa >= r.vmr_gpa && gpa.wrapping_sub(r.vmr_gpa) < r.vmr_size as u64)
    }
}

impl<V> core::ops::Deref for VmRun<'_, V> {
    type Target = V;
    fn deref(&self) -> &V {
        self.vm
    }
}

/// Clears the exit-specific part of vmd's exit record (the `vei`/`vee`
/// union) at the start of a run, after vmd's answer was taken from it.
/// The register state after it is written by `readregs` of every
/// register and `cpl` at every return to vmd; the slots a backend has no
/// value for (SVM: CR8, the PDPTEs, MISC_ENABLE) and the padding keep
/// what vmd passed in, as upstream's record does.  The whole 600 bytes
/// were cleared before: about 100 instructions per run
/// (`make obsd-bench-profile`).
#[inline]
pub(crate) fn clear_exit_info(x: &mut vm_exit) {
    if let Some(b) = as_bytes_mut(x).get_mut(..core::mem::offset_of!(vm_exit, vrs)) {
        b.fill(0);
    }
}

/// The `vei` member of the exit record's union.  Inline, as
/// [`write_vei`]: both are on every exit to vmd.
#[inline(always)]
pub(crate) fn read_vei(x: &vm_exit) -> Option<vm_exit_inout> {
    let mut vei = zeroed::<vm_exit_inout>();
    let dst = as_bytes_mut(&mut vei);
    let n = dst.len();
    dst.copy_from_slice(as_bytes(x).get(..n)?);
    Some(vei)
}

/// Stores `vei` as the exit record's union.
#[inline(always)]
pub(crate) fn write_vei(x: &mut vm_exit, vei: &vm_exit_inout) {
    let src = as_bytes(vei);
    if let Some(d) = as_bytes_mut(x).get_mut(..src.len()) {
        d.copy_from_slice(src);
    }
}

/// Stores `vee` as the exit record's union.
pub(crate) fn write_vee(x: &mut vm_exit, vee: &vm_exit_eptviolation) {
    let src = as_bytes(vee);
    if let Some(d) = as_bytes_mut(x).get_mut(..src.len()) {
        d.copy_from_slice(src);
    }
}

/// Queues exception `vector` (no error code) for the next entry.
pub(crate) fn queue_ex(ev: &mut vcpu_inject_event, vector: u8) {
    ev.vie_vector = vector;
    ev.vie_type = VCPU_INJECT_EX as u8;
    ev.vie_errorcode = 0;
}

/// After an instruction the kernel emulated to its end (RIP advanced past
/// it): the single-step trap the CPU would have raised after it when
/// RFLAGS.TF is set, queued for the next entry unless an event already
/// is (an exception the instruction raised comes first, as on the CPU;
/// upstream queued #DB over it, so a refused WRMSR's #GP became a #DB on
/// both backends).  True if #DB was queued: the backend sets DR6.BS.
#[inline(always)]
pub(crate) fn single_step(ev: &mut vcpu_inject_event, rflags: u64) -> bool {
    let trap = rflags & PSL_T != 0 && u32::from(ev.vie_type) == VCPU_INJECT_NONE;
    if trap {
        queue_ex(ev, vector::DB);
    }
    trap
}

/// vmd's (or the driver's own) exception `ev`, as both backends inject
/// it: the error code to deliver with it, if any (`Some`), or `EINVAL`
/// for a vector that is no exception (upstream's rule: the vcpu fails).
/// #DF, #TS, #NP, #SS, #GP, #PF and #AC push an error code in protected
/// mode (`pe`), #AC's always 0 (`ev`'s is set so); #CP does where the
/// CPU has CET (`cp_code`); the other exceptions push none (vector 2 is
/// the NMI, not an exception).
#[inline(always)]
pub(crate) fn exception_error_code(
    ev: &mut vcpu_inject_event,
    pe: bool,
    cp_code: bool,
) -> vmm_kernel::KResult<Option<u32>> {
    let code = match ev.vie_vector {
        vector::DF | vector::TS..=vector::PF | vector::AC => {
            if ev.vie_vector == vector::AC {
                ev.vie_errorcode = 0;
            }
            pe
        }
        vector::CP => pe && cp_code,
        vector::DE
        | vector::DB
        | vector::BP..=vector::NM
        | vector::MF
        | vector::MC..=vector::VE => false,
        _ => return Err(vmm_kernel::Errno::EINVAL),
    };
    Ok(code.then_some(ev.vie_errorcode))
}

/// `vmm_handle_xsetbv`: the XCR0 value EDX:EAX may be set to by a guest
/// at `cpl` with `rcx`, or `None` for #GP.  Only features the host
/// enabled (of x87, SSE, AVX, the AVX-512 state and PKRU); x87 must stay
/// on and AVX needs SSE, or the CPU would refuse the value at the next
/// entry and the vcpu would fail (upstream let that happen).
pub(crate) fn xsetbv_value(host_mask: u64, cpl: u8, rcx: u64, rax: u64, rdx: u64) -> Option<u64> {
    let mask = host_mask & 0x602ff;
    let val = (rax & 0xffff_ffff) | (rdx << 32);
    let ok = cpl == 0
        && rcx as u32 == 0
        && val & !mask == 0
        && val & 1 != 0
        && (val & 4 == 0 || val & 2 != 0);
    ok.then_some(val)
}

/// IA32_PAT.
pub(crate) const MSR_PAT: u32 = msr::PAT;

/// What a WRMSR both backends emulate alike came to.
pub(crate) enum Wrmsr {
    /// Done; the instruction completes.
    Done,
    /// Refused: #GP, RIP stays on the instruction (upstream advanced it).
    Fault,
    /// Not one of the shared MSRs: the backend decides.
    NotShared,
}

/// WRMSR of ECX = `msr` with `val`: the pvclock MSRs and the shadowed,
/// validated PAT.
pub(crate) fn wrmsr_shared<K: KernelAmd64>(
    k: &K,
    pmap: &PmapBox<K>,
    ranges: &[vm_mem_range],
    pv: &PvClock<'_>,
    shadow_pat: &mut u64,
    msr: u32,
    val: u64,
) -> Wrmsr {
    match u64::from(msr) {
        pvclock::MSR_SYSTEM_TIME => {
            if !pvclock::register(ranges, val, pv) {
                return Wrmsr::Fault;
            }
            pvclock::update(k, pmap, pv);
            Wrmsr::Done
        }
        pvclock::MSR_WALL_CLOCK => {
            if pvclock::wall_clock(k, pmap, ranges, val) {
                Wrmsr::Done
            } else {
                Wrmsr::Fault
            }
        }
        m if m == u64::from(MSR_PAT) => {
            if !crate::pat_is_valid(val) {
                return Wrmsr::Fault;
            }
            *shadow_pat = val;
            Wrmsr::Done
        }
        _ => Wrmsr::NotShared,
    }
}

/// RDMSR of ECX = `msr` for the MSRs both backends emulate alike: the
/// microcode and platform IDs read as 0, PAT as the guest wrote it.
pub(crate) fn rdmsr_shared(msr: u32, shadow_pat: u64) -> Option<u64> {
    match msr {
        msr::BIOS_SIGN | msr::PLATFORM_ID => Some(0),
        MSR_PAT => Some(shadow_pat),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: u64 = 0x7; // x87 | SSE | AVX

    #[test]
    fn xsetbv_rule() {
        assert_eq!(xsetbv_value(HOST, 0, 0, 0x7, 0), Some(0x7));
        assert_eq!(xsetbv_value(HOST, 0, 0, 0x3, 0), Some(0x3));
        // RCX's upper half is ignored; EAX's is too.
        assert_eq!(
            xsetbv_value(HOST, 0, 1 << 32, 0xffff_0000_0000_0001, 0),
            Some(1)
        );
        assert_eq!(xsetbv_value(HOST, 3, 0, 0x1, 0), None, "CPL 3");
        assert_eq!(xsetbv_value(HOST, 0, 1, 0x1, 0), None, "XCR1");
        assert_eq!(xsetbv_value(HOST, 0, 0, 0x6, 0), None, "x87 off");
        assert_eq!(xsetbv_value(HOST, 0, 0, 0x5, 0), None, "AVX without SSE");
        assert_eq!(xsetbv_value(HOST, 0, 0, 0x1, 1), None, "not the host's");
        assert_eq!(xsetbv_value(0x3, 0, 0, 0x7, 0), None, "AVX the host lacks");
    }

    #[test]
    fn exception_error_codes_by_vector() {
        let ev = |v: u8| vcpu_inject_event {
            vie_vector: v,
            vie_errorcode: 0x1234,
            vie_type: VCPU_INJECT_EX as u8,
        };
        for v in 0u8..=255 {
            let mut e = ev(v);
            let real = exception_error_code(&mut e, false, true);
            let mut e = ev(v);
            let prot = exception_error_code(&mut e, true, true);
            let mut e = ev(v);
            let no_cet = exception_error_code(&mut e, true, false);
            match v {
                // NMI (2), the reserved vectors and interrupts: not
                // exceptions vmd may inject.
                2 | 9 | 15 | 22..=255 => {
                    assert!(real.is_err() && prot.is_err(), "{v}");
                }
                8 | 10..=14 => {
                    assert_eq!((real, prot), (Ok(None), Ok(Some(0x1234))), "{v}");
                }
                17 => assert_eq!(prot, Ok(Some(0)), "#AC's code is 0"),
                21 => assert_eq!((prot, no_cet), (Ok(Some(0x1234)), Ok(None)), "#CP"),
                _ => assert_eq!((real, prot), (Ok(None), Ok(None)), "{v}"),
            }
        }
    }

    #[test]
    fn single_step_never_replaces_a_queued_event() {
        let none = vcpu_inject_event {
            vie_vector: 0,
            vie_errorcode: 0,
            vie_type: VCPU_INJECT_NONE as u8,
        };
        // TF clear: nothing.
        let mut e = none;
        assert!(!single_step(&mut e, 0x2));
        assert_eq!(u32::from(e.vie_type), VCPU_INJECT_NONE);
        // TF set after an emulated CPUID: #DB.
        let mut e = none;
        assert!(single_step(&mut e, 0x102));
        assert_eq!((u32::from(e.vie_type), e.vie_vector), (VCPU_INJECT_EX, 1));
        // TF set, the instruction refused with #GP: the #GP stays (SVM
        // queued #DB over it, as upstream on both backends).
        let mut e = none;
        queue_ex(&mut e, 13);
        assert!(!single_step(&mut e, 0x102));
        assert_eq!((u32::from(e.vie_type), e.vie_vector), (VCPU_INJECT_EX, 13));
    }

    #[test]
    fn shared_rdmsr() {
        assert_eq!(rdmsr_shared(0x8b, 5), Some(0));
        assert_eq!(rdmsr_shared(0x17, 5), Some(0));
        assert_eq!(
            rdmsr_shared(MSR_PAT, 0x0007_0406_0007_0406),
            Some(0x0007_0406_0007_0406)
        );
        assert_eq!(rdmsr_shared(0x1b, 5), None);
    }
}

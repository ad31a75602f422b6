//! The machine-dependent half of the driver, as a trait.
//!
//! Upstream's `vmm_machdep.c` is reached from the MI code through a fixed
//! set of functions (`vmm_start`, `vm_impl_init`, `vcpu_init`,
//! `vcpu_reset_regs`, the run loop, register access, ...), and inside them
//! through `if (mode == VMM_MODE_EPT) ... else ...` at every site.  Here the
//! set is this trait, implemented once per vendor (VMX, SVM) and chosen at
//! attach; the core never asks which one it has.

use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU64};

use vmm_abi::{vcpu_inject_event, vcpu_reg_state, vm_create_params, vm_exit, vm_mem_range};
use vmm_kernel::mem::PmapBox;
use vmm_kernel::{KResult, Kernel};

/// What the run loop must do after an exit handled in the kernel, as
/// [`Backend::vcpu_run`]'s `check()` tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunCheck {
    /// Enter the guest again.
    Go,
    /// The scheduler wants the CPU: return to vmd with `VM_EXIT_NONE`
    /// (after an exit vmd must see anyway, that exit).
    Yield,
    /// Termination or suspend requested, or a signal pending: return to
    /// vmd with `VM_EXIT_NONE` now.
    Stop,
}

/// What the attached CPUs support (upstream's `sc->mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// No usable virtualisation support: /dev/vmm cannot be opened.
    Unknown,
    /// Intel VMX with EPT.
    Ept,
    /// AMD SVM with RVI (nested paging).
    Rvi,
}

/// One `VMM_IOC_RUN` as the machine-dependent run loop sees it.
pub struct RunRequest<'a> {
    /// The exit record: on entry vmd's answer to the previous exit (IN
    /// data, advanced RIP, registers); on return the new exit's data.
    pub exit: &'a mut vm_exit,
    /// The event vmd asked to inject (`vc_inject`); the backend sets its
    /// type to `VCPU_INJECT_NONE` once delivered.
    pub inject: &'a mut vcpu_inject_event,
    /// More interrupts are pending after this one (`vrp_intr_pending`).
    pub intr_pending: bool,
    /// `vc_intr`: also set asynchronously by `VMM_IOC_INTR`.
    pub intr: &'a AtomicU16,
    /// `vc_curcpu`: the backend stores the CPU it runs the guest on (its
    /// own CPU number, `KernelAmd64::cpu_id` on amd64) when it takes the
    /// CPU for the guest (interrupts or GIF off), before it looks at
    /// `check()` and `intr` once more, and [`crate::NOCPU`] when it gives
    /// the CPU back; from then on, and only then, a request (`intr`,
    /// termination, suspend) comes with [`Backend::kick`] of that CPU,
    /// which makes the guest exit.  `SeqCst` both ways.
    pub curcpu: &'a AtomicU32,
    /// `vc_pvclock_system_gpa`: the paravirtual clock registration.
    pub pvclock_gpa: &'a AtomicU64,
    /// `vc_pvclock_version`.
    pub pvclock_version: &'a AtomicU32,
    /// The VM's memory ranges (`vm_memranges`), with `vmr_va` as mapped
    /// in vmd: where guest memory is, for exits that read or map it.
    pub ranges: &'a [vm_mem_range],
}

/// How a run loop ended without failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunExit {
    /// `Some(reason)`: vmd must handle this exit (upstream's EAGAIN);
    /// `None`: the loop stopped for a signal, a yield or a pending
    /// interrupt and vmd just runs it again (`VM_EXIT_NONE`).
    pub exit_reason: Option<u16>,
    /// The guest can take an interrupt now (`vrp_irqready`).
    pub irqready: bool,
}

/// The machine-dependent driver.
pub trait Backend<K: Kernel>: Send + Sync + Sized + 'static {
    /// Per-VM state (nested paging root, ASID/VPID policy, ...).
    type VmState: Send + Sync;
    /// Per-vcpu state (VMCS/VMCB and friends); only touched with the
    /// vcpu's lock held.  Dropping it is `vcpu_deinit`.
    type VcpuState: Send + Sync;

    /// What the CPUs support.
    fn mode(&self) -> Mode;

    /// Enables virtualisation on every CPU (`vmm_start`); idempotent.
    fn start(&self) -> KResult;
    /// Disables it on every CPU (`vmm_stop`); idempotent.
    fn stop(&self);
    /// Virtualisation is enabled on the current CPU (`CPUF_VMM`).
    fn running(&self) -> bool;
    /// Makes a guest in guest mode on CPU `cpu` (as the run loop published
    /// it in [`RunRequest::curcpu`]) exit, so that its run loop looks at
    /// what was just asked of it (upstream's `X86_IPI_NOP` to
    /// `vc_curcpu`).  No default: a backend that cannot interrupt its
    /// guests would leave `VMM_IOC_INTR`, termination and suspend waiting
    /// for the guest's next exit.
    fn kick(&self, cpu: u32);
    /// Before suspend, for each vcpu (with its lock held): flush what the
    /// CPU caches of it (VMX: VMCLEAR).  Errors stop the sweep.
    fn quiesce_vcpu(&self, _vcpu: &mut Self::VcpuState) -> KResult {
        Ok(())
    }

    /// Per-VM initialisation (`vm_impl_init`), with the VM's memory ranges
    /// as mapped in the creating process (`vmr_va` filled in).
    fn vm_init(&self, pmap: &PmapBox<K>, ranges: &[vm_mem_range]) -> KResult<Self::VmState>;
    /// Per-vcpu initialisation (`vcpu_init`); may write `vcp_asid` and
    /// `vcp_poscbit`.
    fn vcpu_init(
        &self,
        vm: &Self::VmState,
        vcpu_id: u32,
        vcp: &mut vm_create_params,
    ) -> KResult<Self::VcpuState>;
    /// Loads an initial register state (`vcpu_reset_regs`).
    fn vcpu_reset_regs(&self, vcpu: &mut Self::VcpuState, vrs: &vcpu_reg_state) -> KResult;
    /// Reads the registers selected by `mask` (`VM_RWREGS_*`).
    fn vcpu_readregs(
        &self,
        vcpu: &mut Self::VcpuState,
        mask: u64,
        vrs: &mut vcpu_reg_state,
    ) -> KResult;
    /// Writes the registers selected by `mask`.
    fn vcpu_writeregs(
        &self,
        vcpu: &mut Self::VcpuState,
        mask: u64,
        vrs: &vcpu_reg_state,
    ) -> KResult;
    /// Runs the vcpu until vmd is needed, `check()` after an exit says to
    /// stop (termination or suspend requested, a signal pending) or to
    /// yield, or an error fails the vcpu (any `Err` terminates it).  Host
    /// interrupts must reach the host, and `check()` must be asked, at
    /// every exit: a guest may not hold off either for longer than one
    /// exit.
    fn vcpu_run(
        &self,
        vm: &Self::VmState,
        vcpu: &mut Self::VcpuState,
        req: RunRequest<'_>,
        check: impl Fn() -> RunCheck,
    ) -> KResult<RunExit>;
}

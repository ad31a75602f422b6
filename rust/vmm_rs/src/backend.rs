//! The machine-dependent backend chosen at attach.
//!
//! The VMX and SVM backends are built in the `vmm-amd64` crate (issues 4
//! and 5); until they land, no CPU is supported and /dev/vmm cannot be
//! opened (`ENODEV`), which is what upstream does on a CPU without VMX/EPT
//! or SVM/RVI.

use core::convert::Infallible;

use vmm_abi::{vcpu_reg_state, vm_create_params};
use vmm_core::{Backend, Mode, RunExit, RunRequest};
use vmm_kernel::mem::PmapBox;
use vmm_kernel::{Errno, KResult, Kernel};
use vmm_openbsd::OpenBsd;

/// The backend: which vendor's virtualisation this kernel drives.
pub enum Amd64 {
    /// No supported CPU.
    Unsupported,
}

impl Amd64 {
    /// What the CPUs support (`vmm_enabled`).
    pub fn probe(_k: OpenBsd) -> Mode {
        Mode::Unknown
    }

    /// `vmm_attach_machdep`: picks the backend.
    pub fn attach(k: OpenBsd) -> Self {
        k.log(c": no VMX/EPT or SVM/RVI support", 0, 0);
        Amd64::Unsupported
    }
}

impl Backend<OpenBsd> for Amd64 {
    type VmState = Infallible;
    type VcpuState = Infallible;

    fn mode(&self) -> Mode {
        Mode::Unknown
    }
    fn start(&self) -> KResult {
        Err(Errno::ENODEV)
    }
    fn stop(&self) {}
    fn running(&self) -> bool {
        false
    }
    fn vm_init(&self, _pmap: &PmapBox<OpenBsd>) -> KResult<Infallible> {
        Err(Errno::ENODEV)
    }
    fn vcpu_init(
        &self,
        vm: &Infallible,
        _id: u32,
        _vcp: &mut vm_create_params,
    ) -> KResult<Infallible> {
        match *vm {}
    }
    fn vcpu_reset_regs(&self, v: &mut Infallible, _vrs: &vcpu_reg_state) -> KResult {
        match *v {}
    }
    fn vcpu_readregs(&self, v: &mut Infallible, _m: u64, _vrs: &mut vcpu_reg_state) -> KResult {
        match *v {}
    }
    fn vcpu_writeregs(&self, v: &mut Infallible, _m: u64, _vrs: &vcpu_reg_state) -> KResult {
        match *v {}
    }
    fn vcpu_run(
        &self,
        vm: &Infallible,
        _v: &mut Infallible,
        _req: RunRequest<'_>,
        _must_stop: impl Fn() -> bool,
    ) -> KResult<RunExit> {
        match *vm {}
    }
}

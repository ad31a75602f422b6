//! A scriptable stand-in for the VMX/SVM backends.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use vmm_abi::{vcpu_reg_state, vm_create_params, vm_exit, VCPU_REGS_RIP, VM_RWREGS_GPRS};
use vmm_core::{Backend, Mode, RunCheck, RunExit, RunRequest};
use vmm_kernel::mem::{Pages, PmapBox};
use vmm_kernel::{Errno, KResult, KernelAmd64};

use crate::HostKernel;

/// What the next `vcpu_run` does.
#[derive(Clone, Debug)]
pub enum RunAction {
    /// Exit to vmd with this reason; `port` fills `vei_port`.
    Exit { reason: u16, port: u16 },
    /// Return without an exit for vmd (`VM_EXIT_NONE`).
    NoExit,
    /// Fail the vcpu with this error.
    Fail(Errno),
    /// Spin until `check()` says to stop (a signal, termination or suspend), then
    /// return `VM_EXIT_NONE`; `started` is raised on entry.
    UntilStopped,
    /// Spin, ignoring `check()`, until `release` is raised (a guest
    /// that never exits), then return `VM_EXIT_NONE`; `started` is raised
    /// on entry.
    UntilReleased,
}

/// Per-VM state of the test backend.
pub struct TestVm {
    pub pmap: vmm_kernel_pmap::Raw,
}

/// Per-vcpu state of the test backend: registers plus one page, so that
/// machine-dependent memory is accounted like a VMCS would be.
pub struct TestVcpu {
    pub regs: vcpu_reg_state,
    pub page: Pages<HostKernel>,
    /// The exit record vmd sent with the last run.
    pub last_exit_in: Option<vm_exit>,
    pub runs: usize,
}

pub mod vmm_kernel_pmap {
    /// The raw pmap handle type of the host kernel.
    pub type Raw = <crate::HostKernel as vmm_kernel::Kernel>::Pmap;
}

/// The scriptable backend.
pub struct TestBackend {
    k: HostKernel,
    pub mode: Mode,
    pub running: AtomicBool,
    pub starts: AtomicUsize,
    pub stops: AtomicUsize,
    pub quiesced: AtomicUsize,
    pub fail_start: AtomicBool,
    pub fail_vm_init: AtomicBool,
    pub fail_vcpu_init: AtomicBool,
    pub fail_reset: AtomicBool,
    pub script: Mutex<VecDeque<RunAction>>,
    pub run_started: AtomicBool,
    /// Ends a run in `RunAction::UntilReleased`.
    pub release: AtomicBool,
}

impl TestBackend {
    pub fn new(k: HostKernel, mode: Mode) -> Self {
        TestBackend {
            k,
            mode,
            running: AtomicBool::new(false),
            starts: AtomicUsize::new(0),
            stops: AtomicUsize::new(0),
            quiesced: AtomicUsize::new(0),
            fail_start: AtomicBool::new(false),
            fail_vm_init: AtomicBool::new(false),
            fail_vcpu_init: AtomicBool::new(false),
            fail_reset: AtomicBool::new(false),
            script: Mutex::new(VecDeque::new()),
            run_started: AtomicBool::new(false),
            release: AtomicBool::new(false),
        }
    }

    /// Queues what the next runs do.
    pub fn push(&self, a: RunAction) {
        self.script.lock().unwrap().push_back(a);
    }
}

impl Backend<HostKernel> for TestBackend {
    type VmState = TestVm;
    type VcpuState = TestVcpu;

    fn mode(&self) -> Mode {
        self.mode
    }
    fn start(&self) -> KResult {
        if self.fail_start.load(Ordering::SeqCst) {
            return Err(Errno::EIO);
        }
        if !self.running.swap(true, Ordering::SeqCst) {
            self.starts.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
    fn stop(&self) {
        if self.running.swap(false, Ordering::SeqCst) {
            self.stops.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }
    fn kick(&self, cpu: u32) {
        // As amd64's: an IPI, which the double records.
        self.k.cpu_kick(cpu);
    }
    fn quiesce_vcpu(&self, _vcpu: &mut TestVcpu) -> KResult {
        self.quiesced.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn vm_init(
        &self,
        pmap: &PmapBox<HostKernel>,
        _ranges: &[vmm_abi::vm_mem_range],
    ) -> KResult<TestVm> {
        if self.fail_vm_init.load(Ordering::SeqCst) {
            return Err(Errno::EINVAL);
        }
        Ok(TestVm { pmap: pmap.raw() })
    }
    fn vcpu_init(
        &self,
        _vm: &TestVm,
        vcpu_id: u32,
        vcp: &mut vm_create_params,
    ) -> KResult<TestVcpu> {
        if self.fail_vcpu_init.load(Ordering::SeqCst) {
            return Err(Errno::ENOMEM);
        }
        let page = Pages::alloc(self.k, 1).ok_or(Errno::ENOMEM)?;
        // Like SVM with SEV: report the ASID given to the vcpu.
        if let Some(a) = vcp.vcp_asid.get_mut(vcpu_id as usize) {
            *a = vcpu_id + 1;
        }
        Ok(TestVcpu {
            regs: vmm_kernel::pod::zeroed(),
            page,
            last_exit_in: None,
            runs: 0,
        })
    }
    fn vcpu_reset_regs(&self, vcpu: &mut TestVcpu, vrs: &vcpu_reg_state) -> KResult {
        if self.fail_reset.load(Ordering::SeqCst) {
            return Err(Errno::EINVAL);
        }
        vcpu.regs = *vrs;
        Ok(())
    }
    fn vcpu_readregs(&self, vcpu: &mut TestVcpu, mask: u64, vrs: &mut vcpu_reg_state) -> KResult {
        if mask & u64::from(VM_RWREGS_GPRS) != 0 {
            vrs.vrs_gprs = vcpu.regs.vrs_gprs;
        }
        if mask & u64::from(vmm_abi::VM_RWREGS_SREGS) != 0 {
            vrs.vrs_sregs = vcpu.regs.vrs_sregs;
            vrs.vrs_gdtr = vcpu.regs.vrs_gdtr;
            vrs.vrs_idtr = vcpu.regs.vrs_idtr;
        }
        if mask & u64::from(vmm_abi::VM_RWREGS_CRS) != 0 {
            vrs.vrs_crs = vcpu.regs.vrs_crs;
        }
        if mask & u64::from(vmm_abi::VM_RWREGS_MSRS) != 0 {
            vrs.vrs_msrs = vcpu.regs.vrs_msrs;
        }
        if mask & u64::from(vmm_abi::VM_RWREGS_DRS) != 0 {
            vrs.vrs_drs = vcpu.regs.vrs_drs;
        }
        Ok(())
    }
    fn vcpu_writeregs(&self, vcpu: &mut TestVcpu, mask: u64, vrs: &vcpu_reg_state) -> KResult {
        if mask & u64::from(VM_RWREGS_GPRS) != 0 {
            vcpu.regs.vrs_gprs = vrs.vrs_gprs;
        }
        if mask & u64::from(vmm_abi::VM_RWREGS_SREGS) != 0 {
            vcpu.regs.vrs_sregs = vrs.vrs_sregs;
            vcpu.regs.vrs_gdtr = vrs.vrs_gdtr;
            vcpu.regs.vrs_idtr = vrs.vrs_idtr;
        }
        if mask & u64::from(vmm_abi::VM_RWREGS_CRS) != 0 {
            vcpu.regs.vrs_crs = vrs.vrs_crs;
        }
        if mask & u64::from(vmm_abi::VM_RWREGS_MSRS) != 0 {
            vcpu.regs.vrs_msrs = vrs.vrs_msrs;
        }
        if mask & u64::from(vmm_abi::VM_RWREGS_DRS) != 0 {
            vcpu.regs.vrs_drs = vrs.vrs_drs;
        }
        Ok(())
    }
    fn vcpu_run(
        &self,
        _vm: &TestVm,
        vcpu: &mut TestVcpu,
        req: RunRequest<'_>,
        check: impl Fn() -> RunCheck,
    ) -> KResult<RunExit> {
        vcpu.runs += 1;
        vcpu.last_exit_in = Some(*req.exit);
        // vmd's answer: take its RIP, as the real backends do after IO.
        vcpu.regs.vrs_gprs[VCPU_REGS_RIP] = req.exit.vrs.vrs_gprs[VCPU_REGS_RIP];
        let action = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(RunAction::NoExit);
        *req.exit = vmm_kernel::pod::zeroed();
        req.exit.vrs = vcpu.regs;
        match action {
            RunAction::Exit { reason, port } => {
                req.exit.__bindgen_anon_1.vei.vei_port = port;
                Ok(RunExit {
                    exit_reason: Some(reason),
                    irqready: req.intr.load(Ordering::SeqCst) == 0,
                })
            }
            RunAction::NoExit => Ok(RunExit {
                exit_reason: None,
                irqready: true,
            }),
            RunAction::Fail(e) => Err(e),
            // The guest is "in guest mode" on this thread's CPU while it
            // spins, as the real backends publish it (`curcpu`).
            RunAction::UntilStopped => {
                req.curcpu.store(self.k.cpu_id(), Ordering::SeqCst);
                self.run_started.store(true, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(20);
                while check() != RunCheck::Stop {
                    assert!(Instant::now() < deadline, "run never asked to stop");
                    std::thread::sleep(Duration::from_millis(1));
                }
                req.curcpu.store(vmm_core::NOCPU, Ordering::SeqCst);
                Ok(RunExit {
                    exit_reason: None,
                    irqready: true,
                })
            }
            RunAction::UntilReleased => {
                req.curcpu.store(self.k.cpu_id(), Ordering::SeqCst);
                self.run_started.store(true, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(20);
                while !self.release.load(Ordering::SeqCst) {
                    assert!(Instant::now() < deadline, "run never released");
                    std::thread::sleep(Duration::from_millis(1));
                }
                req.curcpu.store(vmm_core::NOCPU, Ordering::SeqCst);
                Ok(RunExit {
                    exit_reason: None,
                    irqready: true,
                })
            }
        }
    }
}

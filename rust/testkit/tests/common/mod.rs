//! Shared set-up for the host tests: a driver on the host kernel double
//! with the test backend, and ioctl helpers that behave like OpenBSD's
//! sys_ioctl + pledge_ioctl in front of vmmioctl.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use vmm_abi::ioctl::*;
use vmm_abi::*;
use vmm_core::{Mode, Vmm};
use vmm_kernel::pod::{as_bytes_mut, zeroed, Pod};
use vmm_kernel::{pledge, Errno, KResult};
use vmm_testkit::{HostKernel, Snapshot, TestBackend};

pub type Drv = Vmm<HostKernel, TestBackend>;

/// The CPU the threads of `spawn_running_vcpu` run the vcpu on.
pub const VCPU_CPU: u32 = 3;

pub struct Env {
    pub k: HostKernel,
    pub vmm: &'static Drv,
    /// The process that runs the test (unpledged, like root).
    pub root: i32,
    pub baseline: Snapshot,
}

pub fn env() -> Env {
    env_mode(Mode::Rvi)
}

pub fn env_mode(mode: Mode) -> Env {
    let k = HostKernel::new();
    let vmm: &'static Drv = Box::leak(Box::new(
        Vmm::new(k, TestBackend::new(k, mode)).expect("attach"),
    ));
    vmm.init();
    let root = k.current_pid();
    let baseline = k.snapshot();
    Env {
        k,
        vmm,
        root,
        baseline,
    }
}

impl Env {
    /// OpenBSD's ioctl path: pledge_ioctl for pledged processes, then
    /// vmmioctl on the kernel copy of the parameters.
    pub fn ioctl<T: Pod>(&self, cmd: u32, arg: &mut T) -> KResult {
        let c = self.k.caller();
        if c.promises != 0 {
            if c.promises & pledge::VMM == 0 {
                return Err(Errno::EPERM);
            }
            self.vmm.pledge_ioctl(c, u64::from(cmd))?;
        }
        self.vmm.ioctl(c, u64::from(cmd), as_bytes_mut(arg))
    }

    pub fn create(&self, vcp: &mut vm_create_params) -> KResult {
        self.ioctl(VMM_IOC_CREATE, vcp)
    }

    /// Creates a VM with vmd's memory map of a 64 MiB guest; returns the id.
    pub fn create_vm(&self, name: &str) -> u32 {
        let mut vcp = vmd_64m(name);
        self.create(&mut vcp).expect("create");
        vcp.vcp_id
    }

    pub fn terminate(&self, id: u32) -> KResult {
        let mut t = vm_terminate_params { vtp_vm_id: id };
        self.ioctl(VMM_IOC_TERM, &mut t)
    }

    pub fn info(&self) -> Vec<vm_info_result> {
        let mut vip: vm_info_params = zeroed();
        self.ioctl(VMM_IOC_INFO, &mut vip).unwrap();
        let n = vip.vip_size / std::mem::size_of::<vm_info_result>();
        let pid = self.k.current_pid();
        let buf = self.k.user_alloc(pid, vip.vip_size.max(1));
        vip.vip_info = buf as *mut vm_info_result;
        self.ioctl(VMM_IOC_INFO, &mut vip).unwrap();
        (0..vip.vip_info_ct.min(n))
            .map(|i| {
                self.k.user_get(
                    pid,
                    buf + (i * std::mem::size_of::<vm_info_result>()) as u64,
                )
            })
            .collect()
    }

    /// A user exit record for VMM_IOC_RUN in the current process.
    pub fn exit_buf(&self) -> *mut vm_exit {
        let pid = self.k.current_pid();
        self.k.user_put(pid, &zeroed::<vm_exit>()) as *mut vm_exit
    }

    pub fn run(&self, vm: u32, vcpu: u32, exit: *mut vm_exit) -> (KResult, vm_run_params) {
        let mut vrp: vm_run_params = zeroed();
        vrp.vrp_vm_id = vm;
        vrp.vrp_vcpu_id = vcpu;
        vrp.vrp_exit = exit;
        let r = self.ioctl(VMM_IOC_RUN, &mut vrp);
        (r, vrp)
    }

    pub fn reset(&self, vm: u32, vcpu: u32, rip: u64) -> KResult {
        let mut vrp: vm_resetcpu_params = zeroed();
        vrp.vrp_vm_id = vm;
        vrp.vrp_vcpu_id = vcpu;
        vrp.vrp_init_state.vrs_gprs[VCPU_REGS_RIP] = rip;
        self.ioctl(VMM_IOC_RESETCPU, &mut vrp)
    }

    /// SHAREMEM of VM `id`'s ranges (taken from `vcp`) into the current
    /// process.
    pub fn share(&self, id: u32, vcp: &vm_create_params) -> (KResult, vm_sharemem_params) {
        let mut vsp: vm_sharemem_params = zeroed();
        vsp.vsp_vm_id = id;
        vsp.vsp_nmemranges = vcp.vcp_nmemranges;
        vsp.vsp_memranges = vcp.vcp_memranges;
        for r in vsp.vsp_memranges.iter_mut() {
            r.vmr_va = 0;
        }
        let r = self.ioctl(VMM_IOC_SHAREMEM, &mut vsp);
        (r, vsp)
    }

    /// Starts VM `id`'s vcpu running in a new process on another thread,
    /// on CPU [`VCPU_CPU`] (the test's own thread is on CPU 0), spinning
    /// in the backend until a signal or termination stops it; returns once
    /// it runs, with the pid and the thread (which yields the RUN's result
    /// and exit reason).
    pub fn spawn_running_vcpu(&self, id: u32) -> (i32, std::thread::JoinHandle<(KResult, u16)>) {
        self.spawn_run(id, vmm_testkit::RunAction::UntilStopped)
    }

    /// As `spawn_running_vcpu`, but the run ignores stop requests until
    /// the backend's `release` is raised.
    pub fn spawn_running_vcpu_until_released(
        &self,
        id: u32,
    ) -> (i32, std::thread::JoinHandle<(KResult, u16)>) {
        self.spawn_run(id, vmm_testkit::RunAction::UntilReleased)
    }

    fn spawn_run(
        &self,
        id: u32,
        action: vmm_testkit::RunAction,
    ) -> (i32, std::thread::JoinHandle<(KResult, u16)>) {
        let vmpid = self.k.spawn(0);
        self.k.switch(vmpid);
        let exit = self.exit_buf() as u64;
        self.k.switch(self.root);
        self.vmm.backend().push(action);
        self.vmm
            .backend()
            .run_started
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let (k, vmm) = (self.k, self.vmm);
        let t = std::thread::spawn(move || {
            k.switch(vmpid);
            k.set_cpu(VCPU_CPU);
            let mut vrp: vm_run_params = zeroed();
            vrp.vrp_vm_id = id;
            vrp.vrp_exit = exit as *mut vm_exit;
            let r = vmm.ioctl(k.caller(), u64::from(VMM_IOC_RUN), as_bytes_mut(&mut vrp));
            (r, vrp.vrp_exit_reason)
        });
        while !self
            .vmm
            .backend()
            .run_started
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            std::thread::yield_now();
        }
        (vmpid, t)
    }

    /// Issues `cmd` from process `pid` on another thread.
    pub fn spawn_ioctl<T: Pod>(
        &self,
        pid: i32,
        cmd: u32,
        arg: T,
    ) -> std::thread::JoinHandle<KResult> {
        let (k, vmm) = (self.k, self.vmm);
        // The parameter block travels as bytes (it may hold user pointers).
        let bytes = vmm_kernel::pod::as_bytes(&arg).to_vec();
        std::thread::spawn(move || {
            k.switch(pid);
            let mut v: T = zeroed();
            as_bytes_mut(&mut v).copy_from_slice(&bytes);
            vmm.ioctl(k.caller(), u64::from(cmd), as_bytes_mut(&mut v))
        })
    }

    /// Terminates every VM, ends every process's mappings, and checks that
    /// the kernel double is back where it was after attach.
    pub fn assert_clean(&self, pids: &[i32]) {
        self.k.switch(self.root);
        for r in self.info() {
            self.terminate(r.vir_id).unwrap();
        }
        assert_eq!(
            self.vmm.counts(),
            (0, 0),
            "vm_ct/vcpu_ct after terminating all"
        );
        for p in pids.iter().chain(std::iter::once(&self.root)) {
            self.k.proc_exit(*p);
        }
        assert_eq!(self.k.snapshot(), self.baseline, "resources leaked");
    }
}

pub fn range(gpa: u64, size: usize, ty: u32) -> vm_mem_range {
    vm_mem_range {
        vmr_gpa: gpa,
        vmr_va: 0,
        vmr_size: size,
        vmr_type: ty as i32,
    }
}

/// vmd's `create_memory_map` for a 64 MiB guest (vmd-contract §4.2).
pub fn vmd_64m(name: &str) -> vm_create_params {
    let mut vcp: vm_create_params = zeroed();
    let r = [
        range(0, 0xA0000, VM_MEM_RAM),
        range(0xA0000, 0x60000, VM_MEM_RESERVED),
        range(0x100000, 0x3F00000, VM_MEM_RAM),
        range(0xF000_0000, 0x0FC0_0000, VM_MEM_MMIO),
        range(0xFFC0_0000, 0x40_0000, VM_MEM_RESERVED),
    ];
    vcp.vcp_nmemranges = r.len();
    vcp.vcp_memranges[..r.len()].copy_from_slice(&r);
    vcp.vcp_ncpus = 1;
    for (d, s) in vcp.vcp_name.iter_mut().zip(name.bytes()) {
        *d = s as core::ffi::c_char;
    }
    vcp
}

pub fn name_of(r: &vm_info_result) -> String {
    let b: Vec<u8> = r
        .vir_name
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| *c as u8)
        .collect();
    String::from_utf8(b).unwrap()
}

pub const PROC_VMM: u32 = pledge::PROC | pledge::VMM;
pub const VMM_ONLY: u32 = pledge::VMM;

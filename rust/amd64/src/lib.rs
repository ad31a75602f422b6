//! The amd64 machine-dependent vmm(4): CPU probing, the SVM (AMD-V with
//! RVI) and VMX (VT-x with EPT) backends behind `vmm_core::Backend`, the
//! raw instructions and the world switch.
//!
//! `unsafe` is confined to [`insn`] (one instruction per function) and the
//! world-switch modules; the rest is safe Rust over typed pages.

#![no_std]

// Assembly shared by the two world switches (`svm::switch`, `vmx::switch`):
// the guest's general registers, CR2 and DR0-DR3 moved between the CPU
// and `GuestState` through RSI.  Each expands to one template string whose
// `{reg}` operands the including `naked_asm!` binds to
// `offset_of!(GuestState, reg)`.

/// Loads DR0-DR3 and CR2 from the guest state at RSI (clobbers RAX).
macro_rules! guest_dr_cr2_in {
    () => {
        concat!(
            "mov rax, [rsi + {dr0}]\n",
            "mov dr0, rax\n",
            "mov rax, [rsi + {dr1}]\n",
            "mov dr1, rax\n",
            "mov rax, [rsi + {dr2}]\n",
            "mov dr2, rax\n",
            "mov rax, [rsi + {dr3}]\n",
            "mov dr3, rax\n",
            "mov rax, [rsi + {cr2}]\n",
            "mov cr2, rax\n",
        )
    };
}

/// Loads every general register but RAX and RSI from the guest state at
/// RSI.
macro_rules! guest_gprs_in {
    () => {
        concat!(
            "mov r15, [rsi + {r15}]\n",
            "mov r14, [rsi + {r14}]\n",
            "mov r13, [rsi + {r13}]\n",
            "mov r12, [rsi + {r12}]\n",
            "mov r11, [rsi + {r11}]\n",
            "mov r10, [rsi + {r10}]\n",
            "mov r9, [rsi + {r9}]\n",
            "mov r8, [rsi + {r8}]\n",
            "mov rbp, [rsi + {rbp}]\n",
            "mov rdi, [rsi + {rdi}]\n",
            "mov rdx, [rsi + {rdx}]\n",
            "mov rcx, [rsi + {rcx}]\n",
            "mov rbx, [rsi + {rbx}]\n",
        )
    };
}

/// Stores every general register but RAX and RSI, then CR2 and DR0-DR3,
/// into the guest state at RSI (clobbers RAX).
macro_rules! guest_gprs_dr_cr2_out {
    () => {
        concat!(
            "mov [rsi + {rbx}], rbx\n",
            "mov [rsi + {rcx}], rcx\n",
            "mov [rsi + {rdx}], rdx\n",
            "mov [rsi + {rdi}], rdi\n",
            "mov [rsi + {rbp}], rbp\n",
            "mov [rsi + {r8}], r8\n",
            "mov [rsi + {r9}], r9\n",
            "mov [rsi + {r10}], r10\n",
            "mov [rsi + {r11}], r11\n",
            "mov [rsi + {r12}], r12\n",
            "mov [rsi + {r13}], r13\n",
            "mov [rsi + {r14}], r14\n",
            "mov [rsi + {r15}], r15\n",
            "mov rax, cr2\n",
            "mov [rsi + {cr2}], rax\n",
            "mov rax, dr0\n",
            "mov [rsi + {dr0}], rax\n",
            "mov rax, dr1\n",
            "mov [rsi + {dr1}], rax\n",
            "mov rax, dr2\n",
            "mov [rsi + {dr2}], rax\n",
            "mov rax, dr3\n",
            "mov [rsi + {dr3}], rax\n",
        )
    };
}

pub mod asid;
pub mod cpu;
pub mod cpuid;
pub(crate) mod exitpolicy;
pub mod gstate;
pub mod insn;
pub mod pvclock;
pub(crate) mod runloop;
pub mod svm;
pub mod vmx;
pub mod world;
pub(crate) mod x86;

use vmm_abi::{vcpu_reg_state, vm_create_params, vm_mem_range};
use vmm_core::{Backend, Mode, RunCheck, RunExit, RunRequest};
use vmm_kernel::mem::PmapBox;
use vmm_kernel::{Errno, KResult, KernelAmd64};

use svm::{Svm, SvmVcpu, SvmVm};
use vmm_kernel::mem::PageBox;
use vmx::{Vmx, VmxVcpu, VmxVm};

/// Most CPUs a host may have, for the per-CPU tables.
pub(crate) const MAXCPUS: usize = 256;

/// Per CPU, the vcpu that last ran there (for IBPB), by address: 2 KiB, a
/// page of its own (made in place, not on the kernel stack).
pub(crate) type PerCpuVcpu<K> = PageBox<K, [core::sync::atomic::AtomicUsize; MAXCPUS]>;

/// Every byte of a PAT value must name a memory type (0, 1, 4, 5, 6, 7);
/// a guest WRMSR of anything else gets #GP (`vmm_pat_is_valid`).
pub fn pat_is_valid(pat: u64) -> bool {
    pat.to_le_bytes().iter().all(|b| matches!(b, 0 | 1 | 4..=7))
}

/// The backend chosen at attach: which vendor's virtualisation this kernel
/// drives.  Every machine-dependent entry dispatches here, once.  (It lives
/// once, in the driver's static: the size of a variant does not matter.)
#[allow(clippy::large_enum_variant)]
pub enum Amd64<K: KernelAmd64> {
    /// No usable CPU support: /dev/vmm cannot be opened.
    Unsupported,
    /// AMD SVM with RVI.
    Svm(Svm<K>),
    /// Intel VMX with EPT and unrestricted guest.
    Vmx(Vmx<K>),
}

/// Per-VM state of the chosen backend.
pub enum VmState<K: KernelAmd64> {
    /// SVM.
    Svm(SvmVm<K>),
    /// VMX.
    Vmx(VmxVm<K>),
}

/// Per-vcpu state of the chosen backend.
pub enum VcpuState<K: KernelAmd64> {
    /// SVM.
    Svm(SvmVcpu<K>),
    /// VMX.
    Vmx(VmxVcpu<K>),
}

impl<K: KernelAmd64> Amd64<K> {
    /// `vmm_attach_machdep`: picks the backend for what the CPU offers and
    /// prints the attach line's tail.
    pub fn attach(k: K) -> Self {
        match cpu::probe() {
            cpu::Virt::Svm(caps) if caps.npt => match Svm::new(k, caps) {
                Some(s) => {
                    k.log(c": SVM/RVI", 0, 0);
                    Amd64::Svm(s)
                }
                None => {
                    k.log(c": SVM/RVI (failing, no memory)", 0, 0);
                    Amd64::Unsupported
                }
            },
            cpu::Virt::Vmx(caps) if caps.usable() => match Vmx::new(k, caps) {
                Some(v) => {
                    k.log(c": VMX/EPT", 0, 0);
                    Amd64::Vmx(v)
                }
                None => {
                    k.log(c": VMX/EPT (failing, no memory)", 0, 0);
                    Amd64::Unsupported
                }
            },
            _ => {
                k.log(c": unknown", 0, 0);
                Amd64::Unsupported
            }
        }
    }

    /// `vmm_enabled`: whether a usable mode exists.
    pub fn probe() -> Mode {
        match cpu::probe() {
            cpu::Virt::Svm(caps) if caps.npt => Mode::Rvi,
            cpu::Virt::Vmx(caps) if caps.usable() => Mode::Ept,
            _ => Mode::Unknown,
        }
    }

    /// `start_vmm_on_cpu`: on the current CPU (also from IPIs).
    pub fn start_cpu(&self) {
        match self {
            Amd64::Svm(s) => s.start_cpu(),
            Amd64::Vmx(v) => v.start_cpu(),
            Amd64::Unsupported => {}
        }
    }

    /// `stop_vmm_on_cpu`.
    pub fn stop_cpu(&self) {
        match self {
            Amd64::Svm(s) => s.stop_cpu(),
            Amd64::Vmx(v) => v.stop_cpu(),
            Amd64::Unsupported => {}
        }
    }

    fn kernel(&self) -> Option<&K> {
        match self {
            Amd64::Svm(s) => Some(&s.k),
            Amd64::Vmx(v) => Some(&v.k),
            Amd64::Unsupported => None,
        }
    }
}

impl<K: KernelAmd64> Backend<K> for Amd64<K> {
    type VmState = VmState<K>;
    type VcpuState = VcpuState<K>;

    fn mode(&self) -> Mode {
        match self {
            Amd64::Svm(_) => Mode::Rvi,
            Amd64::Vmx(_) => Mode::Ept,
            Amd64::Unsupported => Mode::Unknown,
        }
    }

    fn start(&self) -> KResult {
        let Some(k) = self.kernel() else {
            return Err(Errno::ENODEV);
        };
        if k.cpu_vmm_on() {
            return Ok(());
        }
        self.start_cpu();
        if !k.cpu_vmm_on() {
            k.log(c"vmm: failed to enter VMM mode\n", 0, 0);
            return Err(Errno::EIO);
        }
        k.broadcast_vmm(true);
        Ok(())
    }

    fn stop(&self) {
        let Some(k) = self.kernel() else {
            return;
        };
        if k.cpu_vmm_on() {
            self.stop_cpu();
            k.broadcast_vmm(false);
        }
        // No guest runs anywhere now (none ran if virtualisation was off).
        if let Amd64::Svm(s) = self {
            s.stopped();
        }
    }

    fn running(&self) -> bool {
        self.kernel().is_some_and(|k| k.cpu_vmm_on())
    }

    fn kick(&self, cpu: u32) {
        if let Some(k) = self.kernel() {
            k.cpu_kick(cpu);
        }
    }

    fn vm_init(&self, pmap: &PmapBox<K>, _ranges: &[vm_mem_range]) -> KResult<VmState<K>> {
        match self {
            Amd64::Svm(s) => s.vm_init(pmap).map(VmState::Svm),
            Amd64::Vmx(v) => v.vm_init(pmap).map(VmState::Vmx),
            Amd64::Unsupported => Err(Errno::EINVAL),
        }
    }

    #[inline(never)]
    fn vcpu_init(
        &self,
        vm: &VmState<K>,
        vcpu_id: u32,
        vcp: &mut vm_create_params,
    ) -> KResult<VcpuState<K>> {
        match (self, vm) {
            (Amd64::Svm(s), VmState::Svm(vm)) => s.vcpu_init(vm, vcpu_id, vcp).map(VcpuState::Svm),
            (Amd64::Vmx(v), VmState::Vmx(vm)) => v.vcpu_init(vm, vcpu_id, vcp).map(VcpuState::Vmx),
            _ => Err(Errno::EINVAL),
        }
    }

    fn vcpu_reset_regs(&self, vcpu: &mut VcpuState<K>, vrs: &vcpu_reg_state) -> KResult {
        match (self, vcpu) {
            (Amd64::Svm(s), VcpuState::Svm(v)) => s.reset_regs(v, vrs),
            (Amd64::Vmx(x), VcpuState::Vmx(v)) => x.reset_regs(v, vrs),
            _ => Err(Errno::EINVAL),
        }
    }

    fn vcpu_readregs(
        &self,
        vcpu: &mut VcpuState<K>,
        mask: u64,
        vrs: &mut vcpu_reg_state,
    ) -> KResult {
        match (self, vcpu) {
            (Amd64::Svm(s), VcpuState::Svm(v)) => {
                s.readregs(v, mask, vrs);
                Ok(())
            }
            (Amd64::Vmx(x), VcpuState::Vmx(v)) => x.readregs(v, mask, vrs),
            _ => Err(Errno::EINVAL),
        }
    }

    fn vcpu_writeregs(&self, vcpu: &mut VcpuState<K>, mask: u64, vrs: &vcpu_reg_state) -> KResult {
        match (self, vcpu) {
            (Amd64::Svm(s), VcpuState::Svm(v)) => {
                s.writeregs(v, mask, vrs);
                Ok(())
            }
            (Amd64::Vmx(x), VcpuState::Vmx(v)) => x.writeregs(v, mask, vrs),
            _ => Err(Errno::EINVAL),
        }
    }

    fn vcpu_run(
        &self,
        vm: &VmState<K>,
        vcpu: &mut VcpuState<K>,
        req: RunRequest<'_>,
        check: impl Fn() -> RunCheck,
    ) -> KResult<RunExit> {
        match (self, vm, vcpu) {
            (Amd64::Svm(s), VmState::Svm(vm), VcpuState::Svm(v)) => s.run(vm, v, req, check),
            (Amd64::Vmx(x), VmState::Vmx(vm), VcpuState::Vmx(v)) => x.run(vm, v, req, check),
            _ => Err(Errno::EINVAL),
        }
    }
}

//! Host test double of the kernel services, and a scriptable backend.
//!
//! [`HostKernel`] implements [`vmm_kernel::Kernel`] with real threads and
//! blocking locks, an allocator that counts every pool object, page,
//! buffer, memory object and pmap, simulated processes (pid, pledge
//! promises, pending signals, a user address space where copyin/copyout of
//! an unmapped address fails with `EFAULT`, guest-memory mappings with
//! immutability), and failure injection for every allocation and mapping.
//! [`TestBackend`] stands in for VMX/SVM in host tests.
//!
//! Test-only code: it may panic, and a panic here is a failed test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod backend;
mod host;

pub use backend::{RunAction, TestBackend, TestVcpu, TestVm};
pub use host::{Fail, HostKernel, Snapshot};

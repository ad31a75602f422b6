//! The amd64 machine-dependent vmm(4): CPU probing, the SVM (AMD-V with
//! RVI) and VMX (VT-x with EPT) backends behind `vmm_core::Backend`, the
//! raw instructions and the world switch.
//!
//! `unsafe` is confined to [`insn`] (one instruction per function) and the
//! world-switch modules; the rest is safe Rust over typed pages.

#![no_std]

pub mod cpu;
pub mod insn;
pub mod svm;

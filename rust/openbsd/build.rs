//! Generates the raw declarations of `ffi/vmm_kern.h` (the kernel services
//! implemented in C by `sys/dev/vmm/vmm_kern.c`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::env;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let ffi = manifest.join("../../ffi");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    for f in ["vmm_kern.h", "compat/vmm_host_compat.h"] {
        println!("cargo:rerun-if-changed={}", ffi.join(f).display());
    }
    bindgen::Builder::default()
        .header_contents(
            "vmm_kern_wrapper.h",
            "#include \"compat/vmm_host_compat.h\"\n#include \"vmm_kern.h\"\n",
        )
        .clang_arg(format!("-I{}", ffi.display()))
        .clang_arg("--target=x86_64-unknown-openbsd")
        .clang_arg("-ffreestanding")
        .use_core()
        .ctypes_prefix("core::ffi")
        .layout_tests(true)
        .derive_default(true)
        .allowlist_function("vmmk_.*")
        .allowlist_type("vmmk_.*")
        .allowlist_var("VMMK_.*")
        .generate()
        .expect("bindgen failed on ffi/vmm_kern.h")
        .write_to_file(out.join("vmm_kern.rs"))
        .expect("write vmm_kern.rs");
}

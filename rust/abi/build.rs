#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects,
    missing_docs
)]
//! Generates the Rust view of the /dev/vmm ABI.
//!
//! * `bindings.rs`: bindgen over `ffi/include/{dev/vmm/vmm.h,machine/vmmvar.h}`,
//!   with bindgen's own layout assertions (compile-time, `no_std`-safe).
//! * `abi_table.rs`: `ffi/vmm_abi_table.h` turned into compile-time
//!   assertions on those types plus a table of (kind, name, value) that
//!   `make abi` prints.  The same table file is checked by the C compiler
//!   through `ffi/vmm_abi_check.h`, so both sides are held to one truth.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

/// bindgen names the one anonymous union of the ABI this way; fields of
/// that union are reached through it.
const ANON_UNIONS: &[(&str, &str, &str, &[&str])] = &[(
    "vm_exit",
    "__bindgen_anon_1",
    "vm_exit__bindgen_ty_1",
    &["vei", "vee"],
)];

#[derive(Debug)]
struct IntKinds;

impl bindgen::callbacks::ParseCallbacks for IntKinds {
    fn int_macro(&self, name: &str, value: i64) -> Option<bindgen::callbacks::IntKind> {
        use bindgen::callbacks::IntKind;
        if name.starts_with("VCPU_REGS_") || name.starts_with("VCPU_HOST_REGS_") {
            return Some(IntKind::Custom {
                name: "usize",
                is_signed: false,
            });
        }
        if name == "VMM_MAX_VM_MEM_SIZE" || name == "VMX_VMCS_PA_CLEAR" {
            return Some(IntKind::U64);
        }
        if value < 0 {
            return Some(IntKind::I32);
        }
        Some(IntKind::U32)
    }
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let ffi = manifest.join("../../ffi");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());

    for f in [
        "include/dev/vmm/vmm.h",
        "include/machine/vmmvar.h",
        "compat/vmm_host_compat.h",
        "vmm_abi_table.h",
    ] {
        println!("cargo:rerun-if-changed={}", ffi.join(f).display());
    }

    let wrapper = "#include \"compat/vmm_host_compat.h\"\n\
                   #include <dev/vmm/vmm.h>\n";
    let bindings = bindgen::Builder::default()
        .header_contents("vmm_abi_wrapper.h", wrapper)
        .clang_arg(format!("-I{}", ffi.display()))
        .clang_arg(format!("-I{}", ffi.join("include").display()))
        .clang_arg("--target=x86_64-unknown-openbsd")
        .clang_arg("-ffreestanding")
        .clang_arg("-D_KERNEL")
        .use_core()
        .ctypes_prefix("core::ffi")
        .layout_tests(true)
        .derive_default(true)
        .derive_debug(false)
        .derive_copy(true)
        .impl_debug(false)
        .default_enum_style(bindgen::EnumVariation::Consts)
        .translate_enum_integer_types(true)
        .parse_callbacks(Box::new(IntKinds))
        .allowlist_type("vm_.*|vcpu_.*")
        .allowlist_var(
            "VMM_.*|VMX_EXIT_.*|SVM_VMEXIT_.*|SVM_AVIC_.*|SEV_VMGEXIT_.*|VM_EXIT_.*|VEI_.*|VEE_.*|\
             VCPU_.*|VM_MEM_.*|VM_RWREGS_.*|VM_RWVMPARAMS_.*|HVCALL_.*|VMX_MAX_CR3_TARGETS|\
             VMX_VMCS_PA_CLEAR",
        )
        .blocklist_type("vm_intr_params__bindgen.*")
        .generate()
        .expect("bindgen failed on ffi/include");
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("write bindings.rs");

    let table = fs::read_to_string(ffi.join("vmm_abi_table.h")).expect("read vmm_abi_table.h");
    let mut asserts = String::new();
    let mut rows = String::new();
    for line in table.lines().map(str::trim) {
        let Some((kind, rest)) = line.split_once('(') else {
            continue;
        };
        let Some(args) = rest.strip_suffix(')') else {
            continue;
        };
        let args: Vec<&str> = args.split(',').map(str::trim).collect();
        match (kind, args.as_slice()) {
            ("VMM_ABI_STRUCT", [s, n]) => {
                writeln!(
                    asserts,
                    "const _: () = assert!(::core::mem::size_of::<{s}>() == {n}, \"size of struct {s}\");"
                )
                .unwrap();
                writeln!(
                    rows,
                    "AbiItem {{ kind: AbiKind::Struct, name: \"{s}\", value: ::core::mem::size_of::<{s}>() as u64, expected: {n} }},"
                )
                .unwrap();
            }
            ("VMM_ABI_FIELD", [s, f, n]) => {
                let expr = field_offset(s, f);
                writeln!(
                    asserts,
                    "const _: () = assert!({expr} == {n}, \"offset of {s}.{f}\");"
                )
                .unwrap();
                writeln!(
                    rows,
                    "AbiItem {{ kind: AbiKind::Field, name: \"{s}.{f}\", value: ({expr}) as u64, expected: {n} }},"
                )
                .unwrap();
            }
            ("VMM_ABI_IOCTL", [c, v]) => {
                writeln!(
                    asserts,
                    "const _: () = assert!(crate::ioctl::{c} as u64 == {v}, \"ioctl {c}\");"
                )
                .unwrap();
                writeln!(
                    rows,
                    "AbiItem {{ kind: AbiKind::Ioctl, name: \"{c}\", value: crate::ioctl::{c} as u64, expected: {v} }},"
                )
                .unwrap();
            }
            _ => {}
        }
    }
    let gen = format!(
        "{asserts}\n/// Every row of `ffi/vmm_abi_table.h`, with the value computed from the Rust types.\n\
         pub static ABI_TABLE: &[AbiItem] = &[\n{rows}];\n"
    );
    fs::write(out.join("abi_table.rs"), gen).expect("write abi_table.rs");
}

fn field_offset(s: &str, f: &str) -> String {
    for (st, member, ty, fields) in ANON_UNIONS {
        if *st == s && fields.contains(&f) {
            return format!(
                "::core::mem::offset_of!({s}, {member}) + ::core::mem::offset_of!({ty}, {f})"
            );
        }
    }
    format!("::core::mem::offset_of!({s}, {f})")
}

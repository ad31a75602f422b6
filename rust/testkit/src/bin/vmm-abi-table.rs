//! Prints the /dev/vmm ABI table as the Rust types give it (`make abi`):
//! `struct S size N`, `field S.f offset N`, `ioctl NAME 0x...`.

use vmm_abi::{AbiKind, ABI_TABLE};

fn main() {
    for it in ABI_TABLE {
        match it.kind {
            AbiKind::Struct => println!("struct {} size {}", it.name, it.value),
            AbiKind::Field => println!("field {} offset {}", it.name, it.value),
            AbiKind::Ioctl => println!("ioctl {} {:#010x}", it.name, it.value),
        }
    }
}

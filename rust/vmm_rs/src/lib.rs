//! vmm(4) for the OpenBSD amd64 kernel, as a static library.
//!
//! Exports the entry points of `ffi/vmm_rs.h`, which `sys/dev/vmm/vmm_glue.c`
//! calls from the kernel's autoconf, cdevsw and pledge hooks.  The driver
//! instance is created once at attach (upstream's `vmm_softc`).
//!
//! The object built from this crate for the kernel contains no panic path:
//! the crates it is made of deny the lints that would introduce one, and
//! `make check-kobj` verifies that no `core::panicking` symbol is linked.

#![no_std]

use core::ffi::{c_int, c_long, c_ulong, c_void};

use vmm_core::{Activate, Mode, Vmm};
use vmm_kernel::errno::to_c;
use vmm_kernel::once::Once;
use vmm_kernel::Errno;
use vmm_openbsd::{OpenBsd, RawProc};

use vmm_amd64::Amd64;

// The VM table (`vm_find`'s, one slot per `id % 512`) is two pages: one
// 16-byte owner handle per slot, the list links being in the VMs.
const _: () = assert!(vmm_core::vm::table_bytes::<OpenBsd, Amd64<OpenBsd>>() == 2 * 4096);
const _: () = assert!(vmm_openbsd::CPTAG_MDS_VMM == vmm_amd64::vmx::switch::CPTAG_MDS_VMM as u32);

/// The driver, once attached.
static VMM: Once<Vmm<OpenBsd, Amd64<OpenBsd>>> = Once::new();

/// `vmm_enabled()` for mainbus: is there a CPU vmm can drive?
#[no_mangle]
pub extern "C" fn vmm_rs_enabled() -> c_int {
    c_int::from(Amd64::<OpenBsd>::probe() != Mode::Unknown)
}

/// `start_vmm_on_cpu()`: turn virtualisation on for the calling CPU (from
/// `vmm_start`'s IPI, or a CPU coming up while VMs exist).
#[no_mangle]
pub extern "C" fn vmm_rs_start_cpu() {
    if let Some(d) = VMM.get() {
        d.backend().start_cpu();
    }
}

/// `stop_vmm_on_cpu()`.
#[no_mangle]
pub extern "C" fn vmm_rs_stop_cpu() {
    if let Some(d) = VMM.get() {
        d.backend().stop_cpu();
    }
}

/// `vmm_probe_machdep()`.
#[no_mangle]
pub extern "C" fn vmm_rs_probe() -> c_int {
    1
}

/// `vmm_attach()`: creates the driver.  A second call does nothing.
#[no_mangle]
pub extern "C" fn vmm_rs_attach() {
    let k = OpenBsd;
    let Some(drv) = Vmm::new(k, Amd64::attach(k)) else {
        vmm_kernel::Kernel::log(&k, c": cannot allocate the VM table", 0, 0);
        return;
    };
    if let Some(d) = VMM.set_with(|| drv) {
        d.init();
    }
}

/// `vmm_activate()`.
#[no_mangle]
pub extern "C" fn vmm_rs_activate(act: c_int) -> c_int {
    let act = match act {
        1 => Activate::Quiesce,
        2 => Activate::Wakeup,
        _ => return 0,
    };
    if let Some(d) = VMM.get() {
        d.activate(act);
    }
    0
}

/// `vmmopen()`: `ENODEV` if vmm did not attach or found no usable CPU.
#[no_mangle]
pub extern "C" fn vmm_rs_open() -> c_int {
    match VMM.get() {
        None => Errno::ENODEV.to_raw(),
        Some(d) => to_c(d.open()),
    }
}

/// `vmmclose()`.
#[no_mangle]
pub extern "C" fn vmm_rs_close() -> c_int {
    match VMM.get() {
        None => 0,
        Some(d) => to_c(d.close()),
    }
}

/// `vmmioctl()`, called with the kernel lock released.
///
/// # Safety
///
/// `data` is the kernel's copy of the ioctl parameter block for `cmd`:
/// `IOCPARM_LEN(cmd)` bytes, 8-byte aligned, exclusively ours for the call
/// (OpenBSD's sys_ioctl guarantees this).  `p` is the calling thread's
/// process, with its `pid` and `promises` (`VMMK_PLEDGE_*` bits), as the
/// glue reads them from the `p` the kernel passed.
#[no_mangle]
pub unsafe extern "C" fn vmm_rs_ioctl(
    cmd: c_ulong,
    data: *mut c_void,
    p: *mut RawProc,
    pid: i32,
    promises: u32,
) -> c_int {
    let Some(d) = VMM.get() else {
        return Errno::ENODEV.to_raw();
    };
    // SAFETY: `p` is the calling thread's process (the function's
    // contract).
    let c = unsafe { vmm_openbsd::caller(p, pid, promises) };
    let len = u32::try_from(cmd).map_or(0, vmm_abi::ioctl::iocparm_len);
    let buf: &mut [u8] = if data.is_null() || len == 0 {
        &mut []
    } else {
        // SAFETY: see the function's contract.
        unsafe { core::slice::from_raw_parts_mut(data.cast::<u8>(), len) }
    };
    to_c(d.ioctl(c, cmd, buf))
}

/// `pledge_ioctl_vmm()`: 0 if a pledged process may issue `com`, else EPERM.
///
/// # Safety
///
/// `p` is the calling thread's process, with its `pid` and `promises`, as
/// for [`vmm_rs_ioctl`].
#[no_mangle]
pub unsafe extern "C" fn vmm_rs_pledge_ioctl(
    p: *mut RawProc,
    pid: i32,
    promises: u32,
    com: c_long,
) -> c_int {
    let Some(d) = VMM.get() else {
        return Errno::EPERM.to_raw();
    };
    // SAFETY: `p` is the calling thread's process (the function's
    // contract).
    let c = unsafe { vmm_openbsd::caller(p, pid, promises) };
    to_c(d.pledge_ioctl(c, com as u64))
}

/// `struct vmx_invept_descriptor` of `<machine/vmmvar.h>`.
#[repr(C)]
pub struct InveptDescriptor {
    /// The EPT pointer whose translations go.
    pub vid_eptp: u64,
    /// Reserved (pmap.c leaves it uninitialised; the INVEPT here gets 0).
    pub vid_reserved: u64,
}

/// `invept()`, which the kernel outside vmm(4) calls: pmap.c's
/// `pmap_remove_ept` flushes a guest's EPT translations on this CPU with it
/// (upstream's `vmm_support.S` had it).  INVEPT of type `op` for the EPTP
/// in `*vid`; 0, or 1 if the instruction failed, as upstream.
///
/// # Safety
///
/// The calling CPU is in VMX root operation with INVEPT of type `op`
/// available: pmap.c calls this only for an EPT pmap, which only exists
/// while a VM does, and the driver keeps VMX on on every CPU as long as
/// one does.  `vid` points to a readable descriptor.
#[no_mangle]
pub unsafe extern "C" fn invept(op: u64, vid: *const InveptDescriptor) -> c_int {
    // SAFETY: `vid` is readable (see the function's contract).
    let eptp = unsafe { (*vid).vid_eptp };
    // SAFETY: VMX root operation and the type: the function's contract.
    match unsafe { vmm_amd64::insn::invept(op, eptp) } {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// Reached only if some code path could panic, which the build forbids
/// (`check-kobj` fails if this is linked with any caller).
#[cfg(all(not(test), target_os = "none"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    vmm_openbsd::panic(c"vmm: Rust panic")
}

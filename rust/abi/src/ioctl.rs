//! The `/dev/vmm` ioctl command words, computed with OpenBSD's `_IOC`
//! encoding (`sys/sys/ioccom.h`): direction in bits 31..29, parameter
//! length in bits 28..16, group in 15..8, number in 7..0.

use core::mem::size_of;

use crate::{
    vm_create_params, vm_info_params, vm_intr_params, vm_resetcpu_params, vm_run_params,
    vm_rwregs_params, vm_rwvmparams_params, vm_sharemem_params, vm_terminate_params,
};

/// Largest parameter length the encoding can hold.
pub const IOCPARM_MASK: u32 = 0x1fff;
/// Parameters are copied out to the caller.
pub const IOC_OUT: u32 = 0x4000_0000;
/// Parameters are copied in from the caller.
pub const IOC_IN: u32 = 0x8000_0000;
/// Both directions.
pub const IOC_INOUT: u32 = IOC_IN | IOC_OUT;

/// The ioctl group of vmm(4).
const GROUP: u32 = b'V' as u32;

const fn ioc(inout: u32, num: u32, len: usize) -> u32 {
    // Lengths here are constants below IOCPARM_MASK (checked by the table).
    inout | (((len as u32) & IOCPARM_MASK) << 16) | (GROUP << 8) | num
}

/// Length of the parameter block an ioctl command word carries.
pub const fn iocparm_len(cmd: u32) -> usize {
    ((cmd >> 16) & IOCPARM_MASK) as usize
}

/// `_IOWR('V', 1, struct vm_create_params)`
pub const VMM_IOC_CREATE: u32 = ioc(IOC_INOUT, 1, size_of::<vm_create_params>());
/// `_IOWR('V', 2, struct vm_run_params)`
pub const VMM_IOC_RUN: u32 = ioc(IOC_INOUT, 2, size_of::<vm_run_params>());
/// `_IOWR('V', 3, struct vm_info_params)`
pub const VMM_IOC_INFO: u32 = ioc(IOC_INOUT, 3, size_of::<vm_info_params>());
/// `_IOW('V', 4, struct vm_terminate_params)`
pub const VMM_IOC_TERM: u32 = ioc(IOC_IN, 4, size_of::<vm_terminate_params>());
/// `_IOW('V', 5, struct vm_resetcpu_params)`
pub const VMM_IOC_RESETCPU: u32 = ioc(IOC_IN, 5, size_of::<vm_resetcpu_params>());
/// `_IOW('V', 6, struct vm_intr_params)` (machine-dependent)
pub const VMM_IOC_INTR: u32 = ioc(IOC_IN, 6, size_of::<vm_intr_params>());
/// `_IOWR('V', 7, struct vm_rwregs_params)`
pub const VMM_IOC_READREGS: u32 = ioc(IOC_INOUT, 7, size_of::<vm_rwregs_params>());
/// `_IOW('V', 8, struct vm_rwregs_params)`
pub const VMM_IOC_WRITEREGS: u32 = ioc(IOC_IN, 8, size_of::<vm_rwregs_params>());
/// `_IOWR('V', 9, struct vm_rwvmparams_params)`
pub const VMM_IOC_READVMPARAMS: u32 = ioc(IOC_INOUT, 9, size_of::<vm_rwvmparams_params>());
/// `_IOW('V', 10, struct vm_rwvmparams_params)`
pub const VMM_IOC_WRITEVMPARAMS: u32 = ioc(IOC_IN, 10, size_of::<vm_rwvmparams_params>());
/// `_IOWR('V', 11, struct vm_sharemem_params)`
pub const VMM_IOC_SHAREMEM: u32 = ioc(IOC_INOUT, 11, size_of::<vm_sharemem_params>());

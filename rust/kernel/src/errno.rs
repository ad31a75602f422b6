//! errno values as OpenBSD defines them (`sys/sys/errno.h`).
//!
//! The driver's functions return `Result<T, Errno>`; the `extern "C"`
//! boundary turns that into the `int` the kernel expects, once.

use core::num::NonZeroI32;

/// An OpenBSD errno value (never 0).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(NonZeroI32);

/// Shorthand used throughout the driver.
pub type KResult<T = ()> = Result<T, Errno>;

macro_rules! errnos {
    ($($(#[$m:meta])* $name:ident = $v:expr;)*) => {
        impl Errno {
            $($(#[$m])* pub const $name: Errno = match NonZeroI32::new($v) {
                Some(v) => Errno(v),
                None => Errno(NonZeroI32::MIN),
            };)*

            /// The symbolic name, for diagnostics.
            pub const fn name(self) -> &'static str {
                match self.0.get() {
                    $($v => stringify!($name),)*
                    _ => "E?",
                }
            }
        }
    };
}

errnos! {
    /// Operation not permitted.
    EPERM = 1;
    /// No such file or directory (no such VM or vcpu).
    ENOENT = 2;
    /// Interrupted system call.
    EINTR = 4;
    /// Input/output error.
    EIO = 5;
    /// Cannot allocate memory.
    ENOMEM = 12;
    /// Bad address.
    EFAULT = 14;
    /// Device busy.
    EBUSY = 16;
    /// Operation not supported by device.
    ENODEV = 19;
    /// Invalid argument.
    EINVAL = 22;
    /// Inappropriate ioctl for device.
    ENOTTY = 25;
    /// Resource temporarily unavailable (OpenBSD's value, not Linux's).
    EAGAIN = 35;
    /// Kernel-internal: restart the system call.
    ERESTART = -1;
}

impl Errno {
    /// The errno for a raw value from C; `None` for 0 (success).
    pub const fn from_raw(v: i32) -> Option<Errno> {
        match NonZeroI32::new(v) {
            Some(v) => Some(Errno(v)),
            None => None,
        }
    }

    /// The raw value handed back to the kernel.
    pub const fn to_raw(self) -> i32 {
        self.0.get()
    }

    /// `Ok(())` for 0, `Err` otherwise: for C functions returning an errno.
    pub const fn result(v: i32) -> KResult {
        match Errno::from_raw(v) {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}

impl core::fmt::Debug for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}({})", self.name(), self.0.get())
    }
}

/// Converts a driver result into the `int` the kernel expects.
pub fn to_c(r: KResult) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_raw(),
    }
}

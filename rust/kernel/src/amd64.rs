//! The amd64 services of the machine-dependent driver: nested-paging
//! pmaps and guest-physical memory, the TSC, per-CPU state and IPIs, and
//! the FPU/XCR0 swap around a guest.
//!
//! [`KernelAmd64`] extends [`Kernel`]; only `vmm-amd64` (and the staticlib
//! that picks it) asks for it, the machine-independent driver never does.
//! Its operations on a bare pmap handle are `unsafe`; the driver reaches
//! them through the [`PmapBox`] methods below, whose reference keeps the
//! pmap alive.

use crate::mem::PmapBox;
use crate::{KResult, Kernel};

/// The amd64 services the machine-dependent driver needs from the kernel.
///
/// # Safety
///
/// As for [`Kernel`]: implementations honour each method's contract, and
/// every safe method is sound for any argument.
pub unsafe trait KernelAmd64: Kernel {
    // ---- nested paging: through PmapBox ------------------------------

    /// Makes `pm` a nested page table of AMD (RVI) or Intel (EPT) format
    /// (`pmap_convert`).
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn pmap_convert(&self, pm: Self::Pmap, ept: bool);
    /// Physical address of the top-level table of `pm` (`pm_pdirpa`).
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn pmap_root(&self, pm: Self::Pmap) -> u64;
    /// Records the EPT pointer the VM uses (`pm->eptp`), which the pmap
    /// needs for its own EPT invalidations.
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn pmap_set_eptp(&self, pm: Self::Pmap, eptp: u64);
    /// The host-physical address `gpa` maps to in `pm`, if mapped.
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn pmap_extract(&self, pm: Self::Pmap, gpa: u64) -> Option<u64>;
    /// Resolves a nested fault: wires the page of process `p` at `hva`
    /// (faulting it in) and maps guest page `gpa` to it, read/write/execute,
    /// in `pm`.  May sleep.
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn guest_fault(&self, p: Self::Proc, pm: Self::Pmap, hva: u64, gpa: u64) -> KResult;
    /// Copies guest-physical memory at `gpa` (as mapped in `pm`) into
    /// `buf`; `EFAULT` if a page is not mapped.
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn guest_read(&self, pm: Self::Pmap, gpa: u64, buf: &mut [u8]) -> KResult;
    /// Copies `buf` to guest-physical memory at `gpa`; `EFAULT` if a page is
    /// not mapped.
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn guest_write(&self, pm: Self::Pmap, gpa: u64, buf: &[u8]) -> KResult;
    /// VMX: records `pm` as the EPT pmap the current CPU runs a guest with
    /// (`ci_ept_pmap`), so that the pmap's EPT invalidations of other CPUs
    /// (`pmap_shootept`, which sends its IPIs to the CPUs where the pmap
    /// is active) reach this one.  Call before invalidating the CPU's own
    /// cached translations for it.
    ///
    /// # Safety
    /// The caller holds a reference to `pm`.
    unsafe fn cpu_set_ept_pmap(&self, pm: Self::Pmap);

    // ---- the TSC -------------------------------------------------------

    /// The TSC frequency in Hz (0 if unknown).
    fn tsc_frequency(&self) -> u64;
    /// Whether the kernel found the TSC invariant (`tsc_is_invariant`).
    fn tsc_is_invariant(&self) -> bool;

    // ---- CPUs ------------------------------------------------------------

    /// Whether virtualisation is on for the current CPU (`CPUF_VMM`).
    fn cpu_vmm_on(&self) -> bool;
    /// Records that it is on or off for the current CPU.
    fn cpu_set_vmm_on(&self, on: bool);
    /// Runs the driver's per-CPU start (or stop) on every other CPU and
    /// waits until each has done it (an IPI to `vmm_rs_start_cpu`).
    fn broadcast_vmm(&self, start: bool);
    /// A small number identifying the current CPU.
    fn cpu_id(&self) -> u32;
    /// Interrupts CPU `cpu` (a [`KernelAmd64::cpu_id`]) so that a guest in
    /// guest mode there exits (`x86_send_ipi(ci, X86_IPI_NOP)`).  `cpu`
    /// may be the current CPU: with interrupts off the IPI stays pending
    /// and the next VM entry exits at once.  An unknown `cpu` is ignored.
    fn cpu_kick(&self, cpu: u32);
    /// VMX: prepares the current CPU's VMXON region (allocated per CPU by
    /// the kernel's `cpu_init_vmm`) with `revision` and returns its
    /// physical address; `None` if this CPU has none, or if virtualisation
    /// is already on for it ([`KernelAmd64::cpu_vmm_on`]: the region is in
    /// use and is left alone).
    fn cpu_vmxon_region(&self, revision: u32) -> Option<u64>;

    // ---- the FPU ---------------------------------------------------------

    /// The XSAVE features the kernel enabled (`xsave_mask`; 0 if none).
    fn xsave_mask(&self) -> u64;
    /// Size of the FPU save area the kernel uses.
    fn fpu_area_size(&self) -> usize;
    /// Before entering a guest: saves the thread's user FPU state if it is
    /// live, loads the guest's from `area` if `loaded` says it holds one,
    /// and loads the guest's XCR0.  `EINVAL` if the CPU refuses that XCR0
    /// or `area` is smaller than [`KernelAmd64::fpu_area_size`].
    ///
    /// # Safety
    /// Interrupts (or GIF) are off and stay off until
    /// [`KernelAmd64::fpu_exit_guest`] (the host's FPU and XCR0 are the
    /// guest's until then: nothing of the host may run on this CPU);
    /// `area` is 64-byte aligned (XSAVE's requirement).
    unsafe fn fpu_enter_guest(&self, area: &mut [u8], loaded: bool, xcr0: u64) -> KResult;
    /// After the guest, still with interrupts off: returns the guest's XCR0,
    /// restores the host's, and saves the guest FPU state into `area`.
    ///
    /// # Safety
    /// Follows a successful [`KernelAmd64::fpu_enter_guest`] with
    /// interrupts (or GIF) off since; `area` is 64-byte aligned.
    unsafe fn fpu_exit_guest(&self, area: &mut [u8]) -> u64;
}

/// The amd64 operations on a guest pmap, through the reference the
/// [`PmapBox`] holds.
impl<K: KernelAmd64> PmapBox<K> {
    /// Makes it a nested page table of AMD (RVI, `ept` false) or Intel
    /// (EPT) format.
    pub fn convert(&self, ept: bool) {
        // SAFETY: the box holds a reference to the pmap.
        unsafe { self.k.pmap_convert(self.pm, ept) }
    }

    /// Physical address of its top-level table.
    pub fn root(&self) -> u64 {
        // SAFETY: the box holds a reference to the pmap.
        unsafe { self.k.pmap_root(self.pm) }
    }

    /// Records the EPT pointer the VM uses with it.
    pub fn set_eptp(&self, eptp: u64) {
        // SAFETY: the box holds a reference to the pmap.
        unsafe { self.k.pmap_set_eptp(self.pm, eptp) }
    }

    /// The host-physical address `gpa` maps to, if mapped.
    pub fn extract(&self, gpa: u64) -> Option<u64> {
        // SAFETY: the box holds a reference to the pmap.
        unsafe { self.k.pmap_extract(self.pm, gpa) }
    }

    /// Resolves a nested fault (see [`KernelAmd64::guest_fault`]).
    pub fn guest_fault(&self, p: K::Proc, hva: u64, gpa: u64) -> KResult {
        // SAFETY: the box holds a reference to the pmap.
        unsafe { self.k.guest_fault(p, self.pm, hva, gpa) }
    }

    /// Copies guest-physical memory at `gpa` into `buf`.
    #[inline]
    pub fn guest_read(&self, gpa: u64, buf: &mut [u8]) -> KResult {
        // SAFETY: the box holds a reference to the pmap.
        unsafe { self.k.guest_read(self.pm, gpa, buf) }
    }

    /// Copies `buf` to guest-physical memory at `gpa`.
    #[inline]
    pub fn guest_write(&self, gpa: u64, buf: &[u8]) -> KResult {
        // SAFETY: the box holds a reference to the pmap.
        unsafe { self.k.guest_write(self.pm, gpa, buf) }
    }

    /// Records it as the EPT pmap the current CPU runs a guest with (see
    /// [`KernelAmd64::cpu_set_ept_pmap`]).
    pub fn set_cpu_ept(&self) {
        // SAFETY: the box holds a reference to the pmap.
        unsafe { self.k.cpu_set_ept_pmap(self.pm) }
    }
}

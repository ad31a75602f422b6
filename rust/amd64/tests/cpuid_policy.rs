//! The guest CPUID policy (`vmm_amd64::cpuid::guest_cpuid`) against
//! upstream vmm_machdep.c 1.64's `vmm_handle_cpuid` and
//! `vmm_handle_cpuid_0xd`, on tables of Intel and AMD hosts with and
//! without an invariant TSC, PKU, CET and XSAVE.
//!
//! Two kinds of check:
//!  - `upstream()` below restates 1.64's handler step by step (the
//!    maximum-leaf rules, which host data it reads, each `case`), over
//!    the same tables; every leaf and sub-leaf of a long list, on every
//!    host, for several guest states, must give what it gives, except
//!    where README's "Differences from the C driver" says otherwise
//!    (`deviation()`, each asserted on its own);
//!  - literal values per host, leaf by leaf, worked out by hand from
//!    1.64's code and the host's table, so that `upstream()` is checked
//!    too.
//!
//! A table answers only for leaves its CPU has: the policy asking for
//! any other (above the host's maximum basic or extended leaf) fails the
//! test.  Leaf 0xD sub-leaf 0 EBX depends on the XCR0 the CPU runs with:
//! `cpuid()` gives it for the host's XCR0, `xsave_ebx(xcr0)` for any
//! other (what upstream's XSETBV-CPUID-XSETBV sequence reads).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    missing_docs
)]

use std::collections::BTreeMap;

use vmm_amd64::cpuid::{guest_cpuid, CpuidHost, GuestCpuid, HostCpuid, HostState};
use vmm_amd64::insn::CpuidResult;

const OSXSAVE_CR4: u64 = 1 << 18;
const PKRU: u64 = 1 << 9;
const CET_U: u64 = 1 << 11;
/// sizeof(struct savefpu) since OpenBSD saves the AVX-512 state.
const SAVEFPU: u32 = 2688;
const TSC_HZ: u64 = 3_400_000_123;

fn r(eax: u32, ebx: u32, ecx: u32, edx: u32) -> CpuidResult {
    CpuidResult { eax, ebx, ecx, edx }
}

fn le(s: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*s)
}

/// A host: its CPUID table and what its kernel says.
#[derive(Clone)]
struct Host {
    name: &'static str,
    /// (leaf, sub-leaf) -> registers; sub-leaf `ANY` for leaves without.
    leaves: BTreeMap<(u32, u32), CpuidResult>,
    /// Leaf 0xD.0 EBX for an XCR0 other than the host's.
    xsave_ebx: BTreeMap<u64, u32>,
    st: HostState,
}

const ANY: u32 = u32::MAX;

impl Host {
    fn max_basic(&self) -> u32 {
        self.leaves[&(0, ANY)].eax
    }
    fn max_ext(&self) -> u32 {
        self.leaves[&(0x8000_0000, ANY)].eax
    }
    fn host_xcr0(&self) -> u64 {
        self.st.xsave_mask & 0x602ff
    }
    /// Leaf 0xD.0 EBX with `xcr0` loaded (what the CPU would say).
    fn xsave_ebx(&self, xcr0: u64) -> u32 {
        if xcr0 == self.host_xcr0() {
            return self.cpuid(0xd, 0).ebx;
        }
        *self
            .xsave_ebx
            .get(&xcr0)
            .unwrap_or_else(|| panic!("{}: no 0xD.0 EBX for XCR0 {xcr0:#x}", self.name))
    }
    fn with(&self, name: &'static str, f: impl FnOnce(&mut Host)) -> Host {
        let mut h = self.clone();
        h.name = name;
        f(&mut h);
        h
    }
}

impl HostCpuid for Host {
    fn cpuid(&self, leaf: u32, subleaf: u32) -> CpuidResult {
        let basic = leaf < 0x8000_0000;
        // (0 and 0x80000000 always answer: they say what else does.)
        if (basic && leaf > self.max_basic()) || (!basic && leaf > self.max_ext().max(0x8000_0000))
        {
            panic!("{}: CPUID {leaf:#x} asked of a host without it", self.name);
        }
        if let Some(v) = self.leaves.get(&(leaf, ANY)) {
            return *v;
        }
        self.leaves
            .get(&(leaf, subleaf))
            .copied()
            .unwrap_or_default()
    }
}

fn table(entries: &[((u32, u32), CpuidResult)]) -> BTreeMap<(u32, u32), CpuidResult> {
    entries.iter().copied().collect()
}

/// An Intel Core i7-4770 (Haswell): maximum basic leaf 0xD, invariant
/// TSC, AVX, no PKU, no CET, no AVX-512.
fn haswell() -> Host {
    Host {
        name: "intel-haswell",
        leaves: table(&[
            ((0, ANY), r(0xd, le(b"Genu"), le(b"ntel"), le(b"ineI"))),
            ((1, ANY), r(0x306c3, 0x0710_0800, 0x7ffa_fbff, 0xbfeb_fbff)),
            ((2, ANY), r(0x7603_6301, 0x00f0_b5ff, 0, 0x00c1_0000)),
            ((3, ANY), r(0, 0, 0, 0)),
            ((4, 0), r(0x1c00_4121, 0x01c0_003f, 0x3f, 0)),
            ((4, 1), r(0x1c00_4122, 0x01c0_003f, 0x3f, 0)),
            ((4, 3), r(0x1c03_c163, 0x03c0_003f, 0x1fff, 6)),
            ((5, ANY), r(0x40, 0x40, 3, 0x0004_2120)),
            ((6, ANY), r(0x77, 2, 9, 0)),
            ((7, 0), r(0, 0x0000_27ab, 0, 0x9c00_0400)),
            ((0xa, ANY), r(0x0730_0403, 0, 0, 0x603)),
            ((0xb, 0), r(1, 2, 0x100, 7)),
            ((0xb, 1), r(4, 8, 0x201, 7)),
            ((0xd, 0), r(7, 832, 832, 0)),
            ((0xd, 1), r(1, 0, 0, 0)),
            ((0xd, 2), r(256, 576, 0, 0)),
            ((0x8000_0000, ANY), r(0x8000_0008, 0, 0, 0)),
            ((0x8000_0001, ANY), r(0, 0, 0x21, 0x2c10_0800)),
            (
                (0x8000_0002, ANY),
                r(le(b"Inte"), le(b"l(R)"), le(b" Cor"), le(b"e(TM")),
            ),
            (
                (0x8000_0003, ANY),
                r(le(b") i7"), le(b"-477"), le(b"0 CP"), le(b"U @ ")),
            ),
            ((0x8000_0004, ANY), r(le(b"3.40"), le(b"GHz\0"), 0, 0)),
            ((0x8000_0006, ANY), r(0, 0, 0x0100_6040, 0)),
            ((0x8000_0007, ANY), r(0, 0, 0, 0x100)),
            ((0x8000_0008, ANY), r(0x3027, 0, 0, 0)),
        ]),
        xsave_ebx: [(1, 576), (3, 576), (5, 832)].into_iter().collect(),
        st: HostState {
            tsc_invariant: true,
            xsave_mask: 7,
            pkru: false,
            cet: false,
        },
    }
}

/// An Intel Core i7-1185G7 (Tiger Lake): maximum basic leaf 0x1B with
/// leaves 0x15 and 0x16, AVX-512, PKU and CET (IBT, shadow stacks); the
/// kernel has XSAVES and puts CET_U into `xsave_mask`, and has CR4.PKE
/// and CR4.CET on.
fn tigerlake() -> Host {
    let mut leaves = table(&[
        ((0, ANY), r(0x1b, le(b"Genu"), le(b"ntel"), le(b"ineI"))),
        ((1, ANY), r(0x806c1, 0x0010_0800, 0x7ffa_fbbf, 0xbfeb_fbff)),
        ((2, ANY), r(0x00fe_ff01, 0xf0, 0, 0)),
        ((4, 0), r(0x1c00_4121, 0x02c0_003f, 0x3f, 0)),
        ((6, ANY), r(0x0001_7ff7, 2, 9, 0)),
        ((7, 0), r(0, 0xf3bf_a7eb, 0x18c0_5fce, 0xfc10_0510)),
        ((7, 1), r(0x0000_0010, 0, 0, 0)),
        ((0xa, ANY), r(0x0830_0805, 0, 0xf, 0x8603)),
        ((0xb, 0), r(1, 2, 0x100, 0)),
        ((0xd, 0), r(0x2e7, 2688, 2696, 0)),
        ((0xd, 1), r(0x1f, 0x9a0, 0x1900, 0)),
        ((0xd, 2), r(256, 576, 0, 0)),
        ((0xd, 5), r(64, 1088, 0, 0)),
        ((0xd, 6), r(512, 1152, 0, 0)),
        ((0xd, 7), r(1024, 1664, 2, 0)),
        ((0xd, 8), r(128, 0, 1, 0)),
        ((0xd, 9), r(8, 2688, 0, 0)),
        ((0xd, 11), r(16, 0, 1, 0)),
        ((0xd, 12), r(24, 0, 1, 0)),
        ((0x14, 0), r(1, 0xf, 7, 0)),
        ((0x15, ANY), r(2, 0x9c, 0x0249_f000, 0)),
        ((0x16, ANY), r(0xbb8, 0x12c0, 0x64, 0)),
        ((0x1b, 0), r(0, 0, 0, 0)),
        ((0x8000_0000, ANY), r(0x8000_0008, 0, 0, 0)),
        ((0x8000_0001, ANY), r(0, 0, 0x121, 0x2c10_0800)),
        ((0x8000_0006, ANY), r(0, 0, 0x0500_7040, 0)),
        ((0x8000_0007, ANY), r(0, 0, 0, 0x100)),
        ((0x8000_0008, ANY), r(0x3027, 0x0100_d200, 0, 0)),
    ]);
    leaves.insert((0x8000_0002, ANY), r(1, 2, 3, 4));
    leaves.insert((0x8000_0003, ANY), r(5, 6, 7, 8));
    leaves.insert((0x8000_0004, ANY), r(9, 10, 11, 12));
    Host {
        name: "intel-tigerlake",
        leaves,
        xsave_ebx: [
            (1, 576),
            (3, 576),
            (7, 832),
            (0x203, 2696),
            (0x207, 2696),
            (0x2e7, 2696),
        ]
        .into_iter()
        .collect(),
        st: HostState {
            tsc_invariant: true,
            xsave_mask: 0xe7 | CET_U,
            pkru: true,
            cet: true,
        },
    }
}

/// An Intel Core i7-920 (Nehalem): maximum basic leaf 0xB, invariant
/// TSC, no XSAVE.
fn nehalem() -> Host {
    Host {
        name: "intel-nehalem",
        leaves: table(&[
            ((0, ANY), r(0xb, le(b"Genu"), le(b"ntel"), le(b"ineI"))),
            ((1, ANY), r(0x106a5, 0x0010_0800, 0x0098_e3bd, 0xbfeb_fbff)),
            ((2, ANY), r(0x5505_0101, 0x00f0_b0e4, 0, 0x09ca_212c)),
            ((4, 0), r(0x1c00_4121, 0x01c0_003f, 0x3f, 0)),
            ((6, ANY), r(7, 2, 1, 0)),
            ((0xa, ANY), r(0x0730_0403, 0x44, 0, 0)),
            ((0xb, 0), r(1, 2, 0x100, 0)),
            ((0x8000_0000, ANY), r(0x8000_0008, 0, 0, 0)),
            ((0x8000_0001, ANY), r(0, 0, 1, 0x2810_0800)),
            ((0x8000_0007, ANY), r(0, 0, 0, 0x100)),
            ((0x8000_0008, ANY), r(0x3024, 0, 0, 0)),
        ]),
        xsave_ebx: BTreeMap::new(),
        st: HostState {
            tsc_invariant: true,
            xsave_mask: 0,
            pkru: false,
            cet: false,
        },
    }
}

/// An AMD Ryzen 7 5800X (Zen 3): maximum basic leaf 0x10, extended leaves
/// to 0x80000023 (beyond 1.64's 0x8000001F), invariant TSC, AVX, PKU (its
/// PKRU area at 2432: no AVX-512 state before it), SEV leaf, shadow
/// stacks but no IBT.
fn zen3() -> Host {
    Host {
        name: "amd-zen3",
        leaves: table(&[
            ((0, ANY), r(0x10, le(b"Auth"), le(b"cAMD"), le(b"enti"))),
            (
                (1, ANY),
                r(0x00a2_0f10, 0x0010_0800, 0x7ed8_320b, 0x178b_fbff),
            ),
            ((5, ANY), r(0x40, 0x40, 3, 0x11)),
            ((6, ANY), r(4, 0, 1, 0)),
            ((7, 0), r(0, 0x219c_97a9, 0x0040_069c, 0x10)),
            ((0xb, 0), r(1, 2, 0x100, 0)),
            ((0xd, 0), r(0x207, 832, 2440, 0)),
            ((0xd, 1), r(0xf, 0x348, 0x1800, 0)),
            ((0xd, 2), r(256, 576, 0, 0)),
            ((0xd, 9), r(8, 0x980, 0, 0)),
            ((0xd, 11), r(16, 0, 1, 0)),
            ((0xd, 12), r(24, 0, 1, 0)),
            ((0x10, 0), r(0, 2, 0, 0)),
            (
                (0x8000_0000, ANY),
                r(0x8000_0023, le(b"Auth"), le(b"cAMD"), le(b"enti")),
            ),
            (
                (0x8000_0001, ANY),
                r(0x00a2_0f10, 0x2000_0000, 0x75c2_37ff, 0x2fd3_fbff),
            ),
            (
                (0x8000_0002, ANY),
                r(le(b"AMD "), le(b"Ryze"), le(b"n 7 "), le(b"5800")),
            ),
            (
                (0x8000_0003, ANY),
                r(le(b"X 8-"), le(b"Core"), le(b" Pro"), le(b"cess")),
            ),
            (
                (0x8000_0004, ANY),
                r(le(b"or  "), le(b"    "), le(b"    "), 0x0020_2020),
            ),
            (
                (0x8000_0005, ANY),
                r(0xff40_ff40, 0xff40_ff40, 0x2004_0140, 0x2004_0140),
            ),
            (
                (0x8000_0006, ANY),
                r(0x2600_6400, 0x6600_a400, 0x0200_6140, 0x0200_9140),
            ),
            ((0x8000_0007, ANY), r(0, 0x3b, 0, 0x6799)),
            ((0x8000_0008, ANY), r(0x3030, 0x111e_f657, 0x500f, 0x10000)),
            ((0x8000_000a, ANY), r(1, 0x8000, 0, 0x1ebf_bcff)),
            ((0x8000_001d, 0), r(0x121, 0x01c0_003f, 0x3f, 0)),
            ((0x8000_001d, 3), r(0x0002_c163, 0x03c0_003f, 0x7fff, 1)),
            ((0x8000_001e, ANY), r(0, 0x100, 0, 0)),
            ((0x8000_001f, ANY), r(0x0001_780f, 0x0000_5133, 0x1fd, 1)),
            ((0x8000_0021, ANY), r(0x62fc9, 0, 0, 0)),
        ]),
        xsave_ebx: [(1, 576), (3, 576), (0x203, 2440), (0x207, 2440)]
            .into_iter()
            .collect(),
        st: HostState {
            tsc_invariant: true,
            xsave_mask: 7,
            pkru: true,
            cet: false,
        },
    }
}

/// An AMD Ryzen 9 7950X (Zen 4): as Zen 3 with AVX-512, whose state puts
/// PKRU at 2688, as on Intel.
fn zen4() -> Host {
    zen3().with("amd-zen4", |h| {
        let l = &mut h.leaves;
        l.insert(
            (1, ANY),
            r(0x00a6_0f12, 0x0020_0800, 0x7ef8_320b, 0x178b_fbff),
        );
        l.insert((7, 0), r(1, 0xf1bf_97a9, 0x0040_5fce, 0x10));
        l.insert((0xd, 0), r(0x2e7, 2688, 2696, 0));
        l.insert((0xd, 5), r(64, 1088, 0, 0));
        l.insert((0xd, 6), r(512, 1152, 0, 0));
        l.insert((0xd, 7), r(1024, 1664, 0, 0));
        l.insert((0xd, 9), r(8, 2688, 0, 0));
        h.xsave_ebx = [
            (1, 576),
            (3, 576),
            (7, 832),
            (0x203, 2696),
            (0x207, 2696),
            (0x2e7, 2696),
        ]
        .into_iter()
        .collect();
        h.st.xsave_mask = 0xe7;
    })
}

/// An AMD Phenom II X4 (family 10h): maximum basic leaf 5, extended
/// leaves to 0x8000001B, invariant TSC, no XSAVE, no leaf 7.
fn phenom() -> Host {
    Host {
        name: "amd-phenom2",
        leaves: table(&[
            ((0, ANY), r(5, le(b"Auth"), le(b"cAMD"), le(b"enti"))),
            ((1, ANY), r(0x100f42, 0x0004_0800, 0x0080_2009, 0x178b_fbff)),
            ((5, ANY), r(0x40, 0x40, 3, 0)),
            (
                (0x8000_0000, ANY),
                r(0x8000_001b, le(b"Auth"), le(b"cAMD"), le(b"enti")),
            ),
            (
                (0x8000_0001, ANY),
                r(0x100f42, 0x1000_0000, 0x37ff, 0xefd3_fbff),
            ),
            (
                (0x8000_0005, ANY),
                r(0xff30_ff10, 0xff30_ff20, 0x4002_0140, 0x4002_0140),
            ),
            (
                (0x8000_0006, ANY),
                r(0x2000_6400, 0x2040_6400, 0x0200_4140, 0x0060_2140),
            ),
            ((0x8000_0007, ANY), r(0, 0, 0, 0x1f9)),
            ((0x8000_0008, ANY), r(0x3030, 0, 0x3, 0)),
            ((0x8000_001b, ANY), r(0x1f, 0, 0, 0)),
        ]),
        xsave_ebx: BTreeMap::new(),
        st: HostState {
            tsc_invariant: true,
            xsave_mask: 0,
            pkru: false,
            cet: false,
        },
    }
}

/// Every host, with its variants: TSC not invariant, PKU/CET not
/// exposed, XSAVE off in the kernel.
fn hosts() -> Vec<Host> {
    let mut v = Vec::new();
    for h in [haswell(), tigerlake(), nehalem(), zen3(), zen4(), phenom()] {
        v.push(h.with(h.name, |_| {}));
        v.push(h.with("variable-tsc", |h| h.st.tsc_invariant = false));
        if h.st.pkru || h.st.cet {
            v.push(h.with("pkru-off", |h| h.st.pkru = false));
            v.push(h.with("cet-off", |h| h.st.cet = false));
            v.push(h.with("pkru-cet-off", |h| {
                h.st.pkru = false;
                h.st.cet = false;
            }));
        }
        if h.st.xsave_mask != 0 {
            // The kernel without XSAVE: XCR0 is never set, CR4.OSXSAVE off.
            v.push(h.with("xsave-off", |h| {
                // XCR0 keeps its reset value, x87 only.
                h.st.xsave_mask = 0;
                let l = h.leaves.get_mut(&(0xd, 0)).unwrap();
                l.ebx = 576;
            }));
        }
    }
    v
}

/// The guest state upstream reads.
#[derive(Clone, Copy, Debug)]
struct Guest {
    vcpu_id: u32,
    cr4: u64,
    xcr0: u64,
    /// VMX, with the guest's MISC_ENABLE (`msr_store[VCPU_REGS_MISC_ENABLE]`).
    vmx_misc_enable: Option<u64>,
}

fn guests(h: &Host) -> Vec<Guest> {
    let mask = h.host_xcr0();
    let mut xcr0s = vec![mask];
    for x in [1, 3, 7, 0x2e7] {
        if x & !mask == 0 && x != mask {
            xcr0s.push(x);
        }
    }
    if h.st.pkru && mask != 0 {
        xcr0s.push(3 | PKRU);
        xcr0s.push(mask | PKRU);
    }
    let mut v = Vec::new();
    for (i, xcr0) in xcr0s.into_iter().enumerate() {
        for misc in [None, Some(0), Some(1 << 22), Some(!0u64)] {
            v.push(Guest {
                vcpu_id: [0, 3, 0x1ff][i % 3],
                cr4: if i % 2 == 0 { OSXSAVE_CR4 | 0x20 } else { 0x20 },
                xcr0,
                vmx_misc_enable: misc,
            });
        }
    }
    v
}

/// Upstream 1.64's `vmm_handle_cpuid` (and `vmm_handle_cpuid_0xd`) for
/// this host and guest, step by step.  The kernel's copies it reads
/// (`cpu_id`, `cpu_ebxfeature`, `cpu_ecxfeature`, `ci_feature_flags`,
/// `ci_feature_sefflags_*`, `ci_efeature_*`, `ci_brand`, `cpu_vendor`,
/// `ci_pnfeatset`, `cpuid_level`) are the host's leaves here.
fn upstream(h: &Host, leaf: u32, subleaf: u32, g: &Guest) -> CpuidResult {
    let cpuid_level = h.max_basic();
    let pnfeatset = h.max_ext();
    let mut level = cpuid_level;
    if level < 0x15 && h.st.tsc_invariant {
        level = 0x15;
    }
    if let Some(misc) = g.vmx_misc_enable {
        if misc & (1 << 22) != 0 {
            level = 0x02;
        }
    }
    let mut leaf = leaf;
    if (leaf > level && leaf < 0x4000_0000) || leaf > pnfeatset {
        leaf = level;
    }
    let host = if leaf <= cpuid_level || leaf > 0x8000_0000 {
        h.cpuid(leaf, subleaf)
    } else {
        CpuidResult::default()
    };
    let zero = CpuidResult::default();
    let raw = |l: u32| {
        if l <= cpuid_level || (l >= 0x8000_0000 && l <= pnfeatset) {
            h.cpuid(l, 0)
        } else {
            zero
        }
    };
    let vmm_cpuidecx_mask: u32 = !((1 << 7)
        | (1 << 8)
        | (1 << 3)
        | (1 << 15)
        | (1 << 5)
        | (1 << 2)
        | (1 << 4)
        | (1 << 6)
        | (1 << 10)
        | (1 << 11)
        | (1 << 14)
        | (1 << 17)
        | (1 << 18)
        | (1 << 21)
        | (1 << 24));
    let vmm_cpuidedx_mask: u32 = !((1 << 22)
        | (1 << 29)
        | (1 << 28)
        | (1 << 21)
        | (1 << 9)
        | (1 << 18)
        | (1 << 27)
        | (1 << 31)
        | (1 << 12)
        | (1 << 7)
        | (1 << 14));
    let pkru_enabled = h.st.pkru;
    let host_cr4_cet = h.st.cet;
    match leaf {
        0x00 => {
            let v = raw(0);
            r(level, v.ebx, v.ecx, v.edx)
        }
        0x01 => {
            let l1 = raw(1);
            let mut ecx = (l1.ecx | (1 << 31)) & vmm_cpuidecx_mask;
            if g.cr4 & OSXSAVE_CR4 != 0 {
                ecx |= 1 << 27;
            } else {
                ecx &= !(1 << 27);
            }
            r(
                l1.eax,
                (l1.ebx & 0xffff) | ((g.vcpu_id & 0xff) << 24),
                ecx,
                l1.edx & vmm_cpuidedx_mask,
            )
        }
        0x02 | 0x16 => host,
        0x03 | 0x05 | 0x06 => zero,
        0x04 => r(host.eax & 0x3ff, host.ebx, host.ecx, host.edx),
        0x07 => {
            if subleaf == 0 {
                // ci_feature_sefflags_*: leaf 7.0 of the host (OSPKE cleared).
                let s = if cpuid_level >= 7 {
                    h.cpuid(7, 0)
                } else {
                    zero
                };
                let ebx_mask: u32 = !((1 << 1)
                    | (1 << 2)
                    | (1 << 4)
                    | (1 << 10)
                    | (1 << 11)
                    | (1 << 12)
                    | (1 << 14)
                    | (1 << 22)
                    | (1 << 25)
                    | (1 << 16)
                    | (1 << 17)
                    | (1 << 21)
                    | (1 << 26)
                    | (1 << 27)
                    | (1 << 28)
                    | (1 << 30)
                    | (1 << 31));
                let mut ecx = (s.ecx & !(1 << 4)) & (1 << 2);
                let mut edx = s.edx & (1 << 10);
                if pkru_enabled {
                    ecx |= 1 << 3;
                } else {
                    ecx &= !(1 << 3);
                }
                if host_cr4_cet {
                    edx |= 1 << 20;
                } else {
                    edx &= !(1 << 20);
                }
                r(0, s.ebx & ebx_mask, ecx, edx)
            } else {
                zero
            }
        }
        0x09 | 0x0a | 0x0b | 0x0f | 0x14 => zero,
        0x0d => upstream_0xd(h, subleaf, g.xcr0, host),
        0x15 => {
            if cpuid_level >= 0x15 {
                host
            } else {
                assert!(h.st.tsc_invariant);
                r(1, 100, (TSC_HZ / 100) as u32, 0)
            }
        }
        0x4000_0000 => r(0, le(b"Open"), le(b"BSDV"), le(b"MM58")),
        0x4000_0001 => r((1 << 3) | (1 << 24), 0, 0, 0),
        0x4000_0100 => r(0x4000_0101, le(b"KVMK"), le(b"VMKV"), le(b"M\0\0\0")),
        0x4000_0101 => r((1 << 3) | (1 << 24) | (1 << 1), 0, 0, 0),
        0x8000_0000 => r(pnfeatset.min(0x8000_001f), 0, 0, 0),
        0x8000_0001 => {
            let e = raw(0x8000_0001);
            r(
                e.eax,
                0,
                e.ecx & !((1 << 2) | (1 << 29)),
                e.edx & !(1 << 27),
            )
        }
        // ci_brand[]
        0x8000_0002..=0x8000_0004 => raw(leaf),
        0x8000_0005 | 0x8000_0006 | 0x8000_001d | 0x8000_001f => host,
        0x8000_0007 => r(host.eax, host.ebx, host.ecx, host.edx & (1 << 8)),
        0x8000_0008 => {
            let spec: u32 = (1 << 12)
                | (1 << 14)
                | (1 << 15)
                | (1 << 16)
                | (1 << 17)
                | (1 << 18)
                | (1 << 24)
                | (1 << 25)
                | (1 << 26);
            r(host.eax, host.ebx & !spec, 0, host.edx)
        }
        _ => zero,
    }
}

fn upstream_0xd(h: &Host, subleaf: u32, xcr0: u64, host: CpuidResult) -> CpuidResult {
    let mask = h.st.xsave_mask & 0x602ff;
    // (The host's ECX is never passed on.)
    let (mut eax, mut ebx, mut edx) = (host.eax, host.ebx, host.edx);
    let mut ecx;
    if subleaf == 0 {
        ecx = ebx;
        if xcr0 != mask {
            // xsetbv(guest); CPUID(0xd, 0); xsetbv(host).
            ebx = h.xsave_ebx(xcr0);
        }
        eax = mask as u32;
        edx = (mask >> 32) as u32;
        if h.st.pkru {
            eax |= PKRU as u32;
            ecx = SAVEFPU + 8;
            if xcr0 & PKRU != 0 {
                ebx = ecx;
            }
        }
    } else if subleaf == 1 {
        eax &= 0x5;
        ebx = 0;
        ecx = 0;
        edx = 0;
    } else if subleaf == 9 {
        // (1ULL << subleaf) == XFEATURE_PKRU; for sub-leaves of 64 and up
        // the C shift is undefined (see deviation()).
        if h.st.pkru {
            eax = 8;
            ebx = SAVEFPU;
        } else {
            eax = 0;
            ebx = 0;
        }
        ecx = 0;
        edx = 0;
    } else if subleaf >= 63 || (1u64 << subleaf) & mask == 0 {
        return CpuidResult::default();
    } else {
        ecx = 0;
    }
    r(eax, ebx, ecx, edx)
}

/// What the port gives where it deliberately differs from 1.64 (README
/// "Differences from the C driver"), or None where it gives upstream's.
fn deviation(h: &Host, leaf: u32, subleaf: u32, g: &Guest) -> Option<CpuidResult> {
    let level_ok = g.vmx_misc_enable.is_none_or(|m| m & (1 << 22) == 0);
    if leaf != 0xd || !level_ok || !h.st.pkru {
        return None;
    }
    // With PKRU exposed, its area is where the host's CPUID puts it
    // (2432 on Zen 3), not at sizeof(struct savefpu) (2688).
    let pkru = h.cpuid(0xd, 9);
    let end = pkru.ebx + pkru.eax;
    match subleaf {
        9 => Some(r(pkru.eax, pkru.ebx, 0, 0)),
        0 => {
            let up = upstream(h, leaf, subleaf, g);
            let ebx = if g.xcr0 & PKRU != 0 {
                h.xsave_ebx(g.xcr0)
            } else {
                up.ebx
            };
            Some(r(up.eax, ebx, end.max(h.cpuid(0xd, 0).ebx), up.edx))
        }
        _ => None,
    }
}

/// Every leaf and sub-leaf the checks ask for.
fn queries() -> Vec<(u32, u32)> {
    let mut q = Vec::new();
    for leaf in 0..=0x22 {
        for sub in [0, 1, 2, 3] {
            q.push((leaf, sub));
        }
    }
    for sub in 4..=20 {
        q.push((0xd, sub));
    }
    for sub in [62, 63] {
        q.push((0xd, sub));
    }
    for leaf in [
        0x3fff_ffff,
        0x4000_0000,
        0x4000_0001,
        0x4000_0002,
        0x4000_00ff,
        0x4000_0100,
        0x4000_0101,
        0x4000_0102,
        0x7fff_ffff,
    ] {
        q.push((leaf, 0));
    }
    for leaf in 0x8000_0000..=0x8000_0024 {
        q.push((leaf, 0));
        q.push((leaf, 3));
    }
    for leaf in [0x8000_0100, 0x8fff_ffff, 0xc000_0000, 0xffff_ffff] {
        q.push((leaf, 0));
        q.push((leaf, 0xd));
    }
    q
}

fn port(h: &Host, leaf: u32, subleaf: u32, g: &Guest) -> CpuidResult {
    let host = CpuidHost::probe(h, h.st);
    let guest = GuestCpuid {
        vcpu_id: g.vcpu_id,
        xcr0: g.xcr0,
        limit_maxval: g.vmx_misc_enable.is_some_and(|m| m & (1 << 22) != 0),
    };
    let cr4 = g.cr4;
    guest_cpuid(
        h,
        &host,
        leaf,
        subleaf,
        guest,
        || Ok::<u64, ()>(cr4),
        || TSC_HZ,
    )
    .unwrap()
}

#[test]
fn every_leaf_as_upstream_on_every_host() {
    let mut checked = 0;
    let mut deviations = 0;
    for h in hosts() {
        for g in guests(&h) {
            for (leaf, sub) in queries() {
                let want = match deviation(&h, leaf, sub, &g) {
                    Some(d) => {
                        deviations += 1;
                        d
                    }
                    None => upstream(&h, leaf, sub, &g),
                };
                let got = port(&h, leaf, sub, &g);
                assert_eq!(got, want, "{}: leaf {leaf:#x}.{sub} for {g:x?}", h.name);
                checked += 1;
            }
        }
    }
    assert!(checked > 80_000, "{checked}");
    assert!(deviations > 0);
}

/// The guest on `h` with XCR0 = the host's and CR4.OSXSAVE set, on SVM.
fn plain(h: &Host) -> Guest {
    Guest {
        vcpu_id: 0,
        cr4: OSXSAVE_CR4,
        xcr0: h.host_xcr0(),
        vmx_misc_enable: None,
    }
}

fn both(h: &Host, leaf: u32, sub: u32, g: &Guest) -> CpuidResult {
    let p = port(h, leaf, sub, g);
    if deviation(h, leaf, sub, g).is_none() {
        assert_eq!(p, upstream(h, leaf, sub, g), "{} {leaf:#x}.{sub}", h.name);
    }
    p
}

#[test]
fn maximum_basic_leaf_rules() {
    let hw = haswell();
    let g = plain(&hw);
    // Invariant TSC: the maximum is raised to 0x15 ...
    assert_eq!(both(&hw, 0, 0, &g).eax, 0x15);
    assert_eq!(both(&hw, 0, 0, &g).ebx, le(b"Genu"));
    // ... and 0x15 gives TSC = crystal * 100 / 1 = the kernel's frequency.
    assert_eq!(both(&hw, 0x15, 0, &g), r(1, 100, 34_000_001, 0));
    // Leaves between the host's maximum and 0x15 are made up: zero.
    for leaf in 0xe..=0x14 {
        assert_eq!(both(&hw, leaf, 0, &g), r(0, 0, 0, 0), "{leaf:#x}");
    }
    // Above the maximum (and above the highest extended leaf): leaf 0x15.
    for leaf in [0x16, 0x20, 0x3fff_ffff, 0x8000_0009, 0xffff_ffff] {
        assert_eq!(
            both(&hw, leaf, 0, &g),
            r(1, 100, 34_000_001, 0),
            "{leaf:#x}"
        );
    }
    // Variable TSC: the host's 0xD, and 0x15 is above it.
    let var = hw.with("variable-tsc", |h| h.st.tsc_invariant = false);
    let g = plain(&var);
    assert_eq!(both(&var, 0, 0, &g).eax, 0xd);
    // ... so it gets 0xD with its own sub-leaf: 0xD.1 here.
    assert_eq!(both(&var, 0x15, 1, &g), both(&var, 0xd, 1, &g));
    assert_eq!(both(&var, 0x15, 1, &g), r(1, 0, 0, 0));
    // A host that has 0x15: its own, invariant TSC or not.
    let tgl = tigerlake();
    let g = plain(&tgl);
    assert_eq!(both(&tgl, 0, 0, &g).eax, 0x1b);
    assert_eq!(both(&tgl, 0x15, 0, &g), r(2, 0x9c, 0x0249_f000, 0));
    assert_eq!(both(&tgl, 0x16, 0, &g), r(0xbb8, 0x12c0, 0x64, 0));
    // Leaves between 0x40000000 and the highest extended leaf that are
    // not handled: zero, not clamped.
    for leaf in [0x4000_0002, 0x4000_0102, 0x7fff_ffff, 0x8000_0009] {
        assert_eq!(both(&tgl, leaf, 0, &g), r(0, 0, 0, 0), "{leaf:#x}");
    }
    // Nehalem (0xB): raised to 0x15; 0xD made up (no XSAVE): zero.
    let nh = nehalem();
    let g = plain(&nh);
    assert_eq!(both(&nh, 0, 0, &g).eax, 0x15);
    assert_eq!(both(&nh, 0xd, 0, &g), r(0, 0, 0, 0));
    // AMD: 0x10 raised to 0x15; 0x80000000 says at most 0x8000001F, but
    // the host's 0x80000021 is still answered (zero: not handled).
    let z3 = zen3();
    let g = plain(&z3);
    assert_eq!(
        both(&z3, 0, 0, &g),
        r(0x15, le(b"Auth"), le(b"cAMD"), le(b"enti"))
    );
    assert_eq!(both(&z3, 0x8000_0000, 0, &g), r(0x8000_001f, 0, 0, 0));
    assert_eq!(both(&z3, 0x8000_0021, 0, &g), r(0, 0, 0, 0));
    assert_eq!(both(&z3, 0x8000_0024, 0, &g), r(1, 100, 34_000_001, 0));
    // Phenom II: 5 raised to 0x15; leaf 7 made up.
    let ph = phenom();
    let g = plain(&ph);
    assert_eq!(both(&ph, 0, 0, &g).eax, 0x15);
    assert_eq!(both(&ph, 7, 0, &g), r(0, 0, 0, 0));
    assert_eq!(both(&ph, 0x8000_0000, 0, &g), r(0x8000_001b, 0, 0, 0));
    assert_eq!(both(&ph, 0x8000_001c, 0, &g), r(1, 100, 34_000_001, 0));
}

#[test]
fn misc_enable_limit_lowers_the_maximum_to_2_on_vmx() {
    for h in [haswell(), tigerlake()] {
        let mut g = plain(&h);
        g.vmx_misc_enable = Some(1 << 22);
        assert_eq!(both(&h, 0, 0, &g).eax, 2, "{}", h.name);
        let leaf2 = h.cpuid(2, 0);
        // Every basic leaf above 2 is leaf 2; the others are unchanged.
        for leaf in [3, 4, 7, 0xd, 0x15, 0x16, 0x3fff_ffff] {
            assert_eq!(both(&h, leaf, 1, &g), leaf2, "{} {leaf:#x}", h.name);
        }
        assert_eq!(
            both(&h, 0x4000_0000, 0, &g),
            r(0, le(b"Open"), le(b"BSDV"), le(b"MM58"))
        );
        assert_eq!(both(&h, 0x8000_0008, 0, &g).eax, 0x3027);
        assert_eq!(both(&h, 0xffff_ffff, 0, &g), leaf2);
        // Other MISC_ENABLE bits do nothing.
        g.vmx_misc_enable = Some(!(1u64 << 22));
        assert_ne!(both(&h, 0, 0, &g).eax, 2);
    }
}

#[test]
fn leaf_1_vcpu_id_osxsave_hypervisor_and_masks() {
    let h = haswell();
    let mut g = plain(&h);
    g.vcpu_id = 0x1ff;
    let l1 = both(&h, 1, 0, &g);
    assert_eq!(l1.eax, 0x306c3);
    assert_eq!(l1.ebx, 0xff00_0800, "APIC id = vcpu id & 0xff");
    // 0x7ffafbff: HV set; MONITOR, DSCPL, VMX, SMX, EST, TM2, XTPR, PDCM,
    // PCID gone; OSXSAVE from the guest's CR4.
    assert_eq!(l1.ecx, 0xfed8_3203);
    assert_eq!(l1.edx, 0x078b_a97f);
    g.cr4 = 0;
    assert_eq!(both(&h, 1, 0, &g).ecx, 0xf6d8_3203);
    // The guest's CR4 is read for leaf 1 only.
    let host = CpuidHost::probe(&h, h.st);
    let gc = GuestCpuid::default();
    assert_eq!(
        guest_cpuid(&h, &host, 1, 0, gc, || Err::<u64, u8>(7), || 0),
        Err(7)
    );
    for leaf in [0, 2, 7, 0xd, 0x15, 0x4000_0000, 0x8000_0001] {
        assert!(guest_cpuid(&h, &host, leaf, 0, gc, || Err::<u64, u8>(7), || 0).is_ok());
    }
}

#[test]
fn leaf_2_4_and_the_zero_leaves() {
    let h = haswell();
    let g = plain(&h);
    assert_eq!(
        both(&h, 2, 0, &g),
        r(0x7603_6301, 0x00f0_b5ff, 0, 0x00c1_0000)
    );
    // Leaf 4: EAX bits 31:10 (cores per package, threads sharing) cleared.
    assert_eq!(both(&h, 4, 3, &g), r(0x163, 0x03c0_003f, 0x1fff, 6));
    for leaf in [3, 5, 6, 8, 9, 0xa, 0xb, 0xc] {
        assert_eq!(both(&h, leaf, 0, &g), r(0, 0, 0, 0), "{leaf:#x}");
    }
}

#[test]
fn leaf_7_pku_and_ibt_follow_the_host() {
    let t = tigerlake();
    let g = plain(&t);
    // EBX 0xf3bfa7eb: TSC_ADJUST, INVPCID, AVX-512*, PT, ... removed.
    // ECX: UMIP kept, PKU added (host CR4.PKE); EDX: MD_CLEAR, IBT.
    assert_eq!(
        both(&t, 7, 0, &g),
        r(0, 0x219c_a3e9 & 0xf3bf_a7eb, 0xc, 0x0010_0400)
    );
    assert_eq!(both(&t, 7, 0, &g).ebx, 0x219c_a3e9);
    assert_eq!(both(&t, 7, 1, &g), r(0, 0, 0, 0));
    let off = t.with("pkru-cet-off", |h| {
        h.st.pkru = false;
        h.st.cet = false;
    });
    assert_eq!(
        both(&off, 7, 0, &off_guest(&off)),
        r(0, 0x219c_a3e9, 0x4, 0x400)
    );
    // Zen 3: PKU without IBT.
    let z = zen3();
    assert_eq!(both(&z, 7, 0, &plain(&z)), r(0, 0x219c_83a9, 0xc, 0));
}

fn off_guest(h: &Host) -> Guest {
    plain(h)
}

#[test]
fn leaf_0xd_sizes_for_the_guest_and_for_the_host() {
    // Haswell, host XCR0 x87|SSE|AVX.
    let h = haswell();
    let mut g = plain(&h);
    // EBX: the size for the guest's XCR0; ECX: for the host's components.
    assert_eq!(both(&h, 0xd, 0, &g), r(7, 832, 832, 0));
    g.xcr0 = 3;
    assert_eq!(both(&h, 0xd, 0, &g), r(7, 576, 832, 0));
    g.xcr0 = 1;
    assert_eq!(both(&h, 0xd, 0, &g), r(7, 576, 832, 0));
    // Sub-leaf 1: XSAVEOPT (and XGETBV1) only.
    assert_eq!(both(&h, 0xd, 1, &g), r(1, 0, 0, 0));
    assert_eq!(both(&h, 0xd, 2, &g), r(256, 576, 0, 0));
    for sub in [3, 4, 5, 9, 11, 62, 63] {
        assert_eq!(both(&h, 0xd, sub, &g), r(0, 0, 0, 0), "{sub}");
    }
    // Tiger Lake: xsave_mask has CET_U (an XSS component): not the
    // guest's; PKRU added (host CR4.PKE) at 2688 for 8 bytes.
    let t = tigerlake();
    let mut g = plain(&t);
    assert_eq!(g.xcr0, 0xe7);
    assert_eq!(both(&t, 0xd, 0, &g), r(0x2e7, 2688, 2696, 0));
    g.xcr0 = 7;
    assert_eq!(both(&t, 0xd, 0, &g), r(0x2e7, 832, 2696, 0));
    g.xcr0 = 0x203;
    assert_eq!(both(&t, 0xd, 0, &g), r(0x2e7, 2696, 2696, 0));
    assert_eq!(both(&t, 0xd, 1, &g), r(0x5, 0, 0, 0));
    assert_eq!(
        both(&t, 0xd, 7, &g),
        r(1024, 1664, 0, 0),
        "alignment bit off"
    );
    assert_eq!(both(&t, 0xd, 9, &g), r(8, 2688, 0, 0));
    assert_eq!(both(&t, 0xd, 8, &g), r(0, 0, 0, 0), "PT: XSS");
    assert_eq!(both(&t, 0xd, 11, &g), r(0, 0, 0, 0), "CET_U: XSS");
    assert_eq!(both(&t, 0xd, 12, &g), r(0, 0, 0, 0));
    // Without PKRU exposed: no PKRU component.
    let t = t.with("pkru-off", |h| h.st.pkru = false);
    let mut g = plain(&t);
    assert_eq!(both(&t, 0xd, 0, &g), r(0xe7, 2688, 2688, 0));
    g.xcr0 = 3;
    assert_eq!(both(&t, 0xd, 0, &g), r(0xe7, 576, 2688, 0));
    assert_eq!(both(&t, 0xd, 9, &g), r(0, 0, 0, 0));
    // Zen 4: as Intel.
    let z4 = zen4();
    let mut g = plain(&z4);
    g.xcr0 = 0x207;
    assert_eq!(both(&z4, 0xd, 0, &g), r(0x2e7, 2696, 2696, 0));
    assert_eq!(both(&z4, 0xd, 9, &g), r(8, 2688, 0, 0));
    // The kernel without XSAVE: nothing, whatever the CPU has.
    let nx = haswell().with("xsave-off", |h| h.st.xsave_mask = 0);
    let g = Guest {
        xcr0: 0,
        cr4: 0,
        ..plain(&nx)
    };
    assert_eq!(both(&nx, 0xd, 0, &g), r(0, 832, 832, 0));
    assert_eq!(both(&nx, 0xd, 2, &g), r(0, 0, 0, 0));
}

#[test]
fn leaf_0xd_pkru_where_the_cpu_puts_it() {
    // Zen 3 has no AVX-512 state: its PKRU area is at 2432, and the
    // standard-format XSAVE the guest runs writes it there.  Upstream
    // says 2688 (sizeof(struct savefpu)); the port says what the CPU does
    // (README, "Differences from the C driver").
    let z = zen3();
    let mut g = plain(&z);
    g.xcr0 = 0x207;
    assert_eq!(port(&z, 0xd, 9, &g), r(8, 2432, 0, 0));
    assert_eq!(upstream(&z, 0xd, 9, &g), r(8, 2688, 0, 0));
    assert_eq!(port(&z, 0xd, 0, &g), r(0x207, 2440, 2440, 0));
    assert_eq!(upstream(&z, 0xd, 0, &g), r(0x207, 2696, 2696, 0));
    g.xcr0 = 7;
    assert_eq!(port(&z, 0xd, 0, &g), r(0x207, 832, 2440, 0));
    assert_eq!(upstream(&z, 0xd, 0, &g), r(0x207, 832, 2696, 0));
}

#[test]
fn leaf_0x15_from_the_kernels_tsc_frequency() {
    let h = haswell();
    let host = CpuidHost::probe(&h, h.st);
    let g = GuestCpuid::default();
    let ok = |f: u64| guest_cpuid(&h, &host, 0x15, 0, g, || Ok::<u64, ()>(0), || f).unwrap();
    assert_eq!(ok(2_112_000_000), r(1, 100, 21_120_000, 0));
    assert_eq!(ok(99), r(1, 100, 0, 0));
    assert_eq!(ok(0), r(1, 100, 0, 0));
    // The frequency is asked for only by a made-up leaf 0x15.
    let never = || -> u64 { panic!("TSC frequency asked for") };
    // (0x16 is above Haswell's maximum, so it is 0x15 too.)
    for leaf in [0, 1, 0xd, 0x14, 0x4000_0000] {
        guest_cpuid(&h, &host, leaf, 0, g, || Ok::<u64, ()>(0), never).unwrap();
    }
    let t = tigerlake();
    let th = CpuidHost::probe(&t, t.st);
    guest_cpuid(&t, &th, 0x15, 0, g, || Ok::<u64, ()>(0), never).unwrap();
}

/// Without the kernel's TSC frequency the KVM clock is not offered (its
/// multiplier would be 0: a Linux guest divided by it at boot on OpenBSD
/// under QEMU's qemu64, whose TSC is not invariant); upstream offers it.
#[test]
fn kvm_clock_only_with_a_tsc_frequency() {
    for h in hosts() {
        let host = CpuidHost::probe(&h, h.st);
        let g = GuestCpuid::default();
        let eax = |leaf: u32, f: u64| {
            guest_cpuid(&h, &host, leaf, 0, g, || Ok::<u64, ()>(0), || f)
                .unwrap()
                .eax
        };
        assert_eq!(eax(0x4000_0001, 0), 0, "{}", h.name);
        assert_eq!(eax(0x4000_0101, 0), 1 << 1, "{}", h.name);
        assert_eq!(eax(0x4000_0001, TSC_HZ), (1 << 3) | (1 << 24));
        assert_eq!(eax(0x4000_0101, TSC_HZ), (1 << 3) | (1 << 24) | (1 << 1));
        assert_eq!(eax(0x4000_0001, 1), (1 << 3) | (1 << 24));
    }
}

#[test]
fn hypervisor_leaves() {
    for h in hosts() {
        let g = plain(&h);
        assert_eq!(
            both(&h, 0x4000_0000, 0, &g),
            r(0, le(b"Open"), le(b"BSDV"), le(b"MM58"))
        );
        assert_eq!(both(&h, 0x4000_0001, 0, &g), r(0x0100_0008, 0, 0, 0));
        assert_eq!(
            both(&h, 0x4000_0100, 0, &g),
            r(0x4000_0101, le(b"KVMK"), le(b"VMKV"), le(b"M\0\0\0"))
        );
        assert_eq!(both(&h, 0x4000_0101, 0, &g), r(0x0100_000a, 0, 0, 0));
        for leaf in [0x4000_0002, 0x4000_00ff, 0x4000_0102] {
            assert_eq!(both(&h, leaf, 0, &g), r(0, 0, 0, 0));
        }
    }
}

#[test]
fn extended_leaves() {
    let z = zen3();
    let g = plain(&z);
    // SVM and MWAITX gone; RDTSCP gone; EBX reserved.
    assert_eq!(
        both(&z, 0x8000_0001, 0, &g),
        r(0x00a2_0f10, 0, 0x55c2_37fb, 0x27d3_fbff)
    );
    assert_eq!(
        both(&z, 0x8000_0002, 0, &g),
        r(le(b"AMD "), le(b"Ryze"), le(b"n 7 "), le(b"5800"))
    );
    assert_eq!(
        both(&z, 0x8000_0005, 0, &g),
        r(0xff40_ff40, 0xff40_ff40, 0x2004_0140, 0x2004_0140)
    );
    // 0x80000007: only the invariant TSC bit of EDX.
    assert_eq!(both(&z, 0x8000_0007, 0, &g), r(0, 0x3b, 0, 0x100));
    // 0x80000008: IBPB, IBRS, STIBP, ..., SSBD gone; ECX (topology) 0.
    assert_eq!(
        both(&z, 0x8000_0008, 0, &g),
        r(0x3030, 0x111e_f657 & 0xf8f8_2fff, 0, 0x10000)
    );
    // SVM leaf and 0x8000001E: zero; 0x8000001D and 0x8000001F: the host's.
    assert_eq!(both(&z, 0x8000_000a, 0, &g), r(0, 0, 0, 0));
    assert_eq!(both(&z, 0x8000_001e, 0, &g), r(0, 0, 0, 0));
    assert_eq!(
        both(&z, 0x8000_001d, 3, &g),
        r(0x0002_c163, 0x03c0_003f, 0x7fff, 1)
    );
    assert_eq!(
        both(&z, 0x8000_001f, 0, &g),
        r(0x0001_780f, 0x5133, 0x1fd, 1)
    );
    // Intel: 0x80000007 without invariant TSC reports none.
    let hw = haswell().with("no-itsc", |h| {
        h.leaves.insert((0x8000_0007, ANY), r(0, 0, 0, 0));
        h.st.tsc_invariant = false;
    });
    assert_eq!(both(&hw, 0x8000_0007, 0, &plain(&hw)), r(0, 0, 0, 0));
}

#[test]
fn probe_reads_only_what_the_host_has() {
    // A table panics when asked for a leaf above its maxima; probing and
    // every query above ran on all hosts, so none was asked.  The facts:
    let h = haswell();
    assert_eq!(CpuidHost::probe(&h, h.st).max_basic(), 0x15);
    let v = h.with("v", |h| h.st.tsc_invariant = false);
    assert_eq!(CpuidHost::probe(&v, v.st).max_basic(), 0xd);
    let t = tigerlake();
    assert_eq!(CpuidHost::probe(&t, t.st).max_basic(), 0x1b);
    // What XSETBV lets the guest enable: the host's XCR0 components (not
    // CET_U, an XSS one), and PKRU when exposed (vmm_handle_xsetbv).
    assert_eq!(CpuidHost::probe(&t, t.st).guest_xcr0_mask(), 0x2e7);
    let off = t.with("pkru-off", |h| h.st.pkru = false);
    assert_eq!(CpuidHost::probe(&off, off.st).guest_xcr0_mask(), 0xe7);
    assert_eq!(CpuidHost::probe(&h, h.st).guest_xcr0_mask(), 7);
    let n = nehalem();
    assert_eq!(CpuidHost::probe(&n, n.st).guest_xcr0_mask(), 0);
}

#[test]
fn leaves_above_a_low_extended_maximum_are_clamped() {
    // Upstream clamps any leaf above ci_pnfeatset, so on a CPU whose
    // highest extended leaf is below the hypervisor range (none that runs
    // amd64, but the rule is the rule) those are the highest basic leaf.
    let h = haswell().with("no-extended-leaves", |h| {
        h.leaves.insert((0x8000_0000, ANY), r(0, 0, 0, 0));
    });
    let g = plain(&h);
    let top = both(&h, 0x15, 0, &g);
    assert_eq!(top, r(1, 100, 34_000_001, 0));
    for leaf in [0x4000_0000, 0x4000_0100, 0x4000_0101, 0x8000_0000] {
        assert_eq!(both(&h, leaf, 0, &g), top, "{leaf:#x}");
    }
}

//! Fuzzes the whole ioctl surface of the driver on the host double: a
//! sequence of ioctls with arbitrary command words and parameter blocks,
//! from arbitrary processes with arbitrary pledges.  After every input
//! all VMs are terminated and every process's mappings dropped, and the
//! double's accounting must be back to where it was (no leaked page, pool
//! object, buffer, memory object, pmap or mapping); every errno must be one
//! OpenBSD's driver can return.
#![no_main]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vmm_abi::ioctl::*;
use vmm_abi::*;
use vmm_core::{Mode, Vmm};
use vmm_kernel::pod::{as_bytes_mut, zeroed};
use vmm_kernel::{pledge, Errno, Kernel};
use vmm_testkit::{HostKernel, Snapshot, TestBackend};

struct World {
    k: HostKernel,
    vmm: &'static Vmm<HostKernel, TestBackend>,
    pids: [i32; 4],
    /// User memory of each process the fuzzer may point at.
    bufs: [u64; 4],
    baseline: Snapshot,
    /// The id the last successful CREATE returned.  VM ids only grow over
    /// the whole run (the world lives across inputs), so "small" ids are
    /// taken relative to it: they name the VMs this input created.
    last_id: AtomicU32,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let k = HostKernel::new();
        k.set_recycle(true);
        let vmm: &'static Vmm<HostKernel, TestBackend> = Box::leak(Box::new(
            Vmm::new(k, TestBackend::new(k, Mode::Rvi)).unwrap(),
        ));
        vmm.init();
        let mut pids = [0; 4];
        let mut bufs = [0; 4];
        for i in 0..4 {
            pids[i] = k.spawn(0);
            bufs[i] = k.user_alloc(pids[i], 1 << 16);
        }
        World {
            k,
            vmm,
            pids,
            bufs,
            baseline: k.snapshot(),
            last_id: AtomicU32::new(0),
        }
    })
}

const CMDS: [u32; 11] = [
    VMM_IOC_CREATE,
    VMM_IOC_RUN,
    VMM_IOC_INFO,
    VMM_IOC_TERM,
    VMM_IOC_RESETCPU,
    VMM_IOC_INTR,
    VMM_IOC_READREGS,
    VMM_IOC_WRITEREGS,
    VMM_IOC_READVMPARAMS,
    VMM_IOC_WRITEVMPARAMS,
    VMM_IOC_SHAREMEM,
];

const ALLOWED: [Errno; 9] = [
    Errno::EPERM,
    Errno::ENOENT,
    Errno::EIO,
    Errno::ENOMEM,
    Errno::EFAULT,
    Errno::EBUSY,
    Errno::EINVAL,
    Errno::ENOTTY,
    Errno::EAGAIN,
];

fuzz_target!(|data: &[u8]| {
    let w = world();
    let mut d = data;
    let mut ops = 0;
    while d.len() >= 4 {
        let (h, rest) = d.split_at(4);
        d = rest;
        ops += 1;
        if ops > 64 {
            break;
        }
        let who = (h[0] & 3) as usize;
        let promises = match h[1] & 3 {
            0 => 0,
            1 => pledge::VMM | pledge::PROC,
            2 => pledge::VMM,
            _ => pledge::PROC,
        };
        w.k.set_pledge(w.pids[who], promises);
        w.k.switch(w.pids[who]);
        let cmd = if h[2] & 0x80 != 0 {
            u32::from_le_bytes([h[2], h[3], h[0], h[1]])
        } else {
            CMDS[(h[2] as usize) % CMDS.len()]
        };
        let len = iocparm_len(cmd);
        let mut block = Block([0; 8192]);
        let buf = &mut block.0[..len];
        let n = len.min(d.len());
        buf[..n].copy_from_slice(&d[..n]);
        d = &d[n..];
        // Make small ids and valid-looking memory maps likely.
        if cmd == VMM_IOC_CREATE && len >= std::mem::size_of::<vm_create_params>() && h[3] & 1 == 0
        {
            let mut vcp: vm_create_params = zeroed();
            vcp.vcp_ncpus = 1;
            vcp.vcp_nmemranges = 1;
            vcp.vcp_memranges[0].vmr_size = 4096 * (1 + (h[3] as usize >> 1));
            buf[..std::mem::size_of::<vm_create_params>()]
                .copy_from_slice(vmm_kernel::pod::as_bytes(&vcp));
        } else if len >= 4 && h[3] & 2 == 0 {
            // One of the last few VMs created (or just before the first).
            let id = w
                .last_id
                .load(Ordering::Relaxed)
                .wrapping_sub(u32::from(h[3] >> 2 & 7));
            buf[..4].copy_from_slice(&id.to_le_bytes());
        }
        // Point user pointers at this process's buffer half the time.
        if cmd == VMM_IOC_RUN && len >= 32 && h[3] & 4 == 0 {
            buf[24..32].copy_from_slice(&w.bufs[who].to_le_bytes());
        }
        if cmd == VMM_IOC_INFO && len >= 24 && h[3] & 4 == 0 {
            buf[16..24].copy_from_slice(&w.bufs[who].to_le_bytes());
        }
        let p = w.k.caller();
        let r = if promises != 0 && promises & pledge::VMM == 0 {
            Err(Errno::EPERM)
        } else if promises != 0 {
            w.vmm
                .pledge_ioctl(p, u64::from(cmd))
                .and_then(|()| w.vmm.ioctl(p, u64::from(cmd), buf))
        } else {
            w.vmm.ioctl(p, u64::from(cmd), buf)
        };
        if let Err(e) = r {
            assert!(ALLOWED.contains(&e), "errno {e:?} from {cmd:#x}");
        } else if cmd == VMM_IOC_CREATE && len >= std::mem::size_of::<vm_create_params>() {
            let off = std::mem::offset_of!(vm_create_params, vcp_id);
            let id = u32::from_le_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]);
            w.last_id.store(id, Ordering::Relaxed);
        }
    }
    // Clean up and check the accounting.
    w.k.switch(w.pids[0]);
    w.k.set_pledge(w.pids[0], 0);
    loop {
        let mut vip: vm_info_params = zeroed();
        let _ = w.vmm.ioctl(w.k.caller(), u64::from(VMM_IOC_INFO), as_bytes_mut(&mut vip));
        let mut ids = Vec::new();
        let n = vip.vip_size / std::mem::size_of::<vm_info_result>();
        if n == 0 {
            break;
        }
        let buf = w.bufs[0];
        vip.vip_info = buf as *mut vm_info_result;
        w.vmm
            .ioctl(w.k.caller(), u64::from(VMM_IOC_INFO), as_bytes_mut(&mut vip))
            .unwrap();
        for i in 0..n {
            let r: vm_info_result = w.k.user_get(w.pids[0], buf + (i * 160) as u64);
            if r.vir_id != 0 {
                ids.push(r.vir_id);
            }
        }
        for id in ids {
            let mut t = vm_terminate_params { vtp_vm_id: id };
            let _ = w.vmm.ioctl(w.k.caller(), u64::from(VMM_IOC_TERM), as_bytes_mut(&mut t));
        }
    }
    for p in w.pids {
        w.k.unmap_all(p);
    }
    assert_eq!(w.k.snapshot(), w.baseline, "leak");
});

/// An ioctl parameter block as the kernel would hold it: up to
/// IOCPARM_MASK bytes, 8-byte aligned.
#[repr(C, align(8))]
struct Block([u8; 8192]);

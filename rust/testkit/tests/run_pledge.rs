//! VMM_IOC_RUN's frame, the pledge x ioctl x creator matrix, open, and
//! suspend/resume.
#![allow(
    clippy::panic,
    clippy::unreachable,
    clippy::type_complexity,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

mod common;
use common::*;

use std::sync::atomic::Ordering;

use vmm_abi::ioctl::*;
use vmm_abi::*;
use vmm_core::{Activate, Backend, Mode};
use vmm_kernel::pod::zeroed;
use vmm_kernel::Errno;
use vmm_testkit::RunAction;

// ---- VMM_IOC_RUN ------------------------------------------------------

#[test]
fn run_exit_round_trip() {
    let e = env();
    let id = e.create_vm("run");
    let exit = e.exit_buf();
    e.vmm.backend().push(RunAction::Exit {
        reason: SVM_VMEXIT_IOIO as u16,
        port: 0x3f8,
    });
    let (r, vrp) = e.run(id, 0, exit);
    r.unwrap();
    assert_eq!(vrp.vrp_exit_reason, SVM_VMEXIT_IOIO as u16);
    assert_eq!(vrp.vrp_irqready, 1);
    let out: vm_exit = e.k.user_get(e.root, exit as u64);
    // SAFETY-free read of the union member through the Pod copy.
    let port = unsafe_free_port(&out);
    assert_eq!(port, 0x3f8, "exit data copied out");
    // vmd advances RIP and runs again: the backend sees vmd's record.
    let mut answer = out;
    answer.vrs.vrs_gprs[VCPU_REGS_RIP] = 0x1234;
    e.k.user_write(e.root, exit as u64, vmm_kernel::pod::as_bytes(&answer))
        .unwrap();
    let (r, vrp) = e.run(id, 0, exit);
    r.unwrap();
    assert_eq!(vrp.vrp_exit_reason, VM_EXIT_NONE as u16);
    let vm = e.vmm.vm_find(e.k.caller(), id).unwrap();
    let inner = vm.vcpu(0).unwrap().inner.read();
    assert_eq!(
        inner.md.last_exit_in.unwrap().vrs.vrs_gprs[VCPU_REGS_RIP],
        0x1234,
        "vmd's exit record reached the backend"
    );
    assert_eq!(inner.md.runs, 2);
    drop(inner);
    drop(vm);
    assert_eq!(e.info()[0].vir_vcpu_state[0], VCPU_STATE_STOPPED as u8);
    e.assert_clean(&[]);
}

fn unsafe_free_port(x: &vm_exit) -> u16 {
    let b = vmm_kernel::pod::as_bytes(x);
    u16::from_le_bytes([b[6], b[7]])
}

#[test]
fn run_unknown_vm_or_vcpu_enoent() {
    let e = env();
    let exit = e.exit_buf();
    assert_eq!(e.run(1, 0, exit).0, Err(Errno::ENOENT));
    let id = e.create_vm("x");
    assert_eq!(e.run(id, 1, exit).0, Err(Errno::ENOENT));
    e.assert_clean(&[]);
}

#[test]
fn run_bad_exit_pointer_efault_and_vcpu_stays_usable() {
    let e = env();
    let id = e.create_vm("x");
    let (r, _) = e.run(id, 0, 0x10 as *mut vm_exit);
    assert_eq!(r, Err(Errno::EFAULT));
    // Upstream left the vcpu RUNNING here, so every later run was EBUSY.
    assert_eq!(e.info()[0].vir_vcpu_state[0], VCPU_STATE_STOPPED as u8);
    let exit = e.exit_buf();
    assert_eq!(e.run(id, 0, exit).0, Ok(()));
    e.assert_clean(&[]);
}

#[test]
fn run_copyout_failure_efault_vcpu_stopped() {
    let e = env();
    let id = e.create_vm("x");
    // vmd's record is readable (copyin works) but not writable.
    let ro = e.k.user_alloc_readonly(e.root, 600);
    let (r, vrp) = e.run(id, 0, ro as *mut vm_exit);
    assert_eq!(r, Err(Errno::EFAULT));
    assert_eq!(
        vrp.vrp_exit_reason, VM_EXIT_NONE as u16,
        "the run itself happened"
    );
    assert_eq!(e.info()[0].vir_vcpu_state[0], VCPU_STATE_STOPPED as u8);
    // A record straddling the end of the caller's memory: copyin fails.
    let buf = e.k.user_alloc(e.root, 600);
    let (r, _) = e.run(id, 0, buf as *mut vm_exit);
    assert_eq!(r, Ok(()));
    let (r, _) = e.run(id, 0, (buf + 8) as *mut vm_exit);
    assert_eq!(r, Err(Errno::EFAULT));
    assert_eq!(e.info()[0].vir_vcpu_state[0], VCPU_STATE_STOPPED as u8);
    e.assert_clean(&[]);
}

#[test]
fn backend_failure_terminates_the_vcpu() {
    let e = env();
    let id = e.create_vm("x");
    let exit = e.exit_buf();
    e.vmm.backend().push(RunAction::Fail(Errno::EINVAL));
    let (r, vrp) = e.run(id, 0, exit);
    assert_eq!(r, Err(Errno::EINVAL));
    assert_eq!(vrp.vrp_exit_reason, VM_EXIT_TERMINATED as u16);
    assert_eq!(e.info()[0].vir_vcpu_state[0], VCPU_STATE_TERMINATED as u8);
    // It cannot run or be reset again.
    assert_eq!(e.run(id, 0, exit).0, Err(Errno::EBUSY));
    assert_eq!(e.reset(id, 0, 0), Err(Errno::EBUSY));
    e.assert_clean(&[]);
}

#[test]
fn signal_ends_a_run_with_vm_exit_none_never_eintr() {
    let e = env();
    let id = e.create_vm("x");
    let (vmpid, t) = e.spawn_running_vcpu(id);
    assert_eq!(e.info()[0].vir_vcpu_state[0], VCPU_STATE_RUNNING as u8);
    // A signal to the running process ends the run with VM_EXIT_NONE
    // (never EINTR), and the vcpu is stopped again.
    e.k.set_sigpending(vmpid, true);
    let (r, reason) = t.join().unwrap();
    assert_eq!(r, Ok(()));
    assert_eq!(reason, VM_EXIT_NONE as u16);
    e.k.set_sigpending(vmpid, false);
    assert_eq!(e.info()[0].vir_vcpu_state[0], VCPU_STATE_STOPPED as u8);
    e.assert_clean(&[vmpid]);
}

#[test]
fn terminate_waits_for_a_running_vcpu() {
    let e = env();
    let id = e.create_vm("x");
    let (vmpid, runner) = e.spawn_running_vcpu(id);
    // No signal: TERM itself asks the running vcpu to stop (REQTERM), the
    // run loop sees it at its next exit and returns VM_EXIT_NONE; TERM
    // returns once the run has let go of the VM.
    let term = e.spawn_ioctl(e.root, VMM_IOC_TERM, vm_terminate_params { vtp_vm_id: id });
    assert_eq!(runner.join().unwrap(), (Ok(()), VM_EXIT_NONE as u16));
    assert_eq!(term.join().unwrap(), Ok(()));
    // vmd's vcpu thread runs again: the VM is gone.
    e.k.switch(vmpid);
    assert_eq!(e.run(id, 0, e.exit_buf()).0, Err(Errno::ENOENT));
    e.k.switch(e.root);
    e.assert_clean(&[vmpid]);
}

/// Upstream's behaviour is still there underneath: TERM does not tear the
/// VM down under a run that holds it; it waits for the run to return.
/// Here the run (a guest that never exits) ignores the stop request for
/// a while.
#[test]
fn terminate_waits_until_the_run_lets_go() {
    let e = env();
    let id = e.create_vm("x");
    let (vmpid, runner) = e.spawn_running_vcpu_until_released(id);
    let term = e.spawn_ioctl(e.root, VMM_IOC_TERM, vm_terminate_params { vtp_vm_id: id });
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(!term.is_finished(), "teardown must wait for the run");
    e.vmm.backend().release.store(true, Ordering::SeqCst);
    assert_eq!(runner.join().unwrap(), (Ok(()), VM_EXIT_NONE as u16));
    assert_eq!(term.join().unwrap(), Ok(()));
    e.assert_clean(&[vmpid]);
}

/// `VMM_IOC_INTR` sends an IPI to the CPU the vcpu is in guest mode on
/// (upstream's `x86_send_ipi(vc_curcpu, X86_IPI_NOP)`), and only while it
/// is: not before the run, not after it.
#[test]
fn intr_kicks_the_cpu_the_vcpu_runs_on_only_while_it_runs() {
    let e = env();
    let id = e.create_vm("k");
    let mut vip = vm_intr_params {
        vip_vm_id: id,
        vip_vcpu_id: 0,
        vip_intr: 1,
    };
    e.ioctl(VMM_IOC_INTR, &mut vip).unwrap();
    assert_eq!(e.k.kicks(), Vec::<u32>::new(), "stopped: no IPI");
    let (vmpid, runner) = e.spawn_running_vcpu_until_released(id);
    e.ioctl(VMM_IOC_INTR, &mut vip).unwrap();
    assert_eq!(e.k.kicks(), vec![VCPU_CPU], "one IPI, to the vcpu's CPU");
    vip.vip_intr = 0;
    e.ioctl(VMM_IOC_INTR, &mut vip).unwrap();
    assert_eq!(e.k.kicks(), vec![VCPU_CPU, VCPU_CPU]);
    e.vmm.backend().release.store(true, Ordering::SeqCst);
    assert_eq!(runner.join().unwrap(), (Ok(()), VM_EXIT_NONE as u16));
    vip.vip_intr = 1;
    e.ioctl(VMM_IOC_INTR, &mut vip).unwrap();
    assert_eq!(e.k.kicks().len(), 2, "stopped again: no IPI");
    e.assert_clean(&[vmpid]);
}

/// TERM and suspend kick a vcpu in guest mode too, so that it does not
/// wait for the guest's next exit of its own.
#[test]
fn terminate_and_suspend_kick_a_running_vcpu() {
    let e = env();
    let id = e.create_vm("t");
    // The runs stay in guest mode until released, so that each kick finds
    // the vcpu there (a run that saw the request by itself first would
    // leave guest mode with no IPI needed: a race, not a failure).
    let wait_kicks = |n: usize| {
        while e.k.kicks().len() < n {
            std::thread::yield_now();
        }
    };
    let (vmpid, runner) = e.spawn_running_vcpu_until_released(id);
    let vmm = e.vmm;
    let suspend = std::thread::spawn(move || vmm.activate(Activate::Quiesce));
    wait_kicks(1);
    assert_eq!(e.k.kicks(), vec![VCPU_CPU], "suspend: one IPI");
    e.vmm.backend().release.store(true, Ordering::SeqCst);
    assert_eq!(runner.join().unwrap(), (Ok(()), VM_EXIT_NONE as u16));
    suspend.join().unwrap();
    e.vmm.backend().release.store(false, Ordering::SeqCst);
    e.vmm.activate(Activate::Wakeup);
    let (vmpid2, runner) = e.spawn_running_vcpu_until_released(id);
    let term = e.spawn_ioctl(e.root, VMM_IOC_TERM, vm_terminate_params { vtp_vm_id: id });
    wait_kicks(2);
    assert_eq!(e.k.kicks(), vec![VCPU_CPU, VCPU_CPU], "TERM: one IPI");
    e.vmm.backend().release.store(true, Ordering::SeqCst);
    assert_eq!(runner.join().unwrap(), (Ok(()), VM_EXIT_NONE as u16));
    assert_eq!(term.join().unwrap(), Ok(()));
    e.vmm.backend().release.store(false, Ordering::SeqCst);
    // Nothing runs: a second VM's TERM and a suspend send none.
    let id2 = e.create_vm("u");
    e.terminate(id2).unwrap();
    e.vmm.activate(Activate::Quiesce);
    e.vmm.activate(Activate::Wakeup);
    assert_eq!(e.k.kicks().len(), 2);
    e.assert_clean(&[vmpid, vmpid2]);
}

// ---- pledge × ioctl × creator ---------------------------------------------

/// Every ioctl from a process pledged "vmm proc", "vmm" alone, or without
/// "vmm", on a VM it created or not: the errno the kernel gives and
/// whether a pledge violation is recorded.
#[test]
fn pledge_matrix() {
    let all_cmds = [
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
    let needs_proc = |c: u32| matches!(c, VMM_IOC_CREATE | VMM_IOC_INFO | VMM_IOC_SHAREMEM);
    for promises in [0u32, PROC_VMM, VMM_ONLY, vmm_kernel::pledge::PROC] {
        for own in [true, false] {
            for &cmd in &all_cmds {
                let e = env();
                let creator = e.k.spawn(0);
                e.k.switch(creator);
                let mut vcp = vmd_64m("p");
                e.create(&mut vcp).unwrap();
                let id = vcp.vcp_id;
                let caller = if own { creator } else { e.k.spawn(0) };
                e.k.set_pledge(caller, promises);
                e.k.switch(caller);
                let r = issue(&e, cmd, id, &vcp);
                let want = if promises == 0 {
                    // Unpledged: no restriction.
                    Ok(())
                } else if promises & vmm_kernel::pledge::VMM == 0
                    || (needs_proc(cmd) && promises & vmm_kernel::pledge::PROC == 0)
                {
                    // No "vmm", or "proc" missing for CREATE/INFO/SHAREMEM.
                    Err(Errno::EPERM)
                } else if cmd != VMM_IOC_CREATE
                    && cmd != VMM_IOC_INFO
                    && promises == VMM_ONLY
                    && !own
                {
                    // vm_find refuses another's VM to a "vmm"-only process.
                    Err(Errno::EPERM)
                } else {
                    Ok(())
                };
                assert_eq!(r, want, "promises {promises:#x} own {own} cmd {cmd:#x}");
                let violations = e.k.pledge_violations(caller);
                let want_violation =
                    promises == VMM_ONLY && !own && want.is_err() && !needs_proc(cmd);
                assert_eq!(
                    violations > 0,
                    want_violation,
                    "pledge_fail for promises {promises:#x} own {own} cmd {cmd:#x}"
                );
                e.k.set_pledge(caller, 0);
                e.assert_clean(&[creator, caller]);
            }
        }
    }
}

fn issue(e: &Env, cmd: u32, id: u32, vcp: &vm_create_params) -> Result<(), Errno> {
    match cmd {
        VMM_IOC_CREATE => {
            let mut v = vmd_64m("second");
            e.create(&mut v)
        }
        VMM_IOC_RUN => e.run(id, 0, e.exit_buf()).0,
        VMM_IOC_INFO => {
            let mut vip: vm_info_params = zeroed();
            e.ioctl(VMM_IOC_INFO, &mut vip)
        }
        VMM_IOC_TERM => e.terminate(id),
        VMM_IOC_RESETCPU => e.reset(id, 0, 0),
        VMM_IOC_INTR => {
            let mut v = vm_intr_params {
                vip_vm_id: id,
                vip_vcpu_id: 0,
                vip_intr: 1,
            };
            e.ioctl(VMM_IOC_INTR, &mut v)
        }
        VMM_IOC_READREGS | VMM_IOC_WRITEREGS => {
            let mut v: vm_rwregs_params = zeroed();
            v.vrwp_vm_id = id;
            e.ioctl(cmd, &mut v)
        }
        VMM_IOC_READVMPARAMS | VMM_IOC_WRITEVMPARAMS => {
            let mut v: vm_rwvmparams_params = zeroed();
            v.vpp_vm_id = id;
            e.ioctl(cmd, &mut v)
        }
        VMM_IOC_SHAREMEM => e.share(id, vcp).0,
        _ => unreachable!(),
    }
}

#[test]
fn pledge_ioctl_of_unknown_command_eperm() {
    let e = env();
    let p = e.k.caller();
    assert_eq!(e.vmm.pledge_ioctl(p, 0x2000_0000), Err(Errno::EPERM));
    assert_eq!(e.vmm.pledge_ioctl(p, 1 << 40), Err(Errno::EPERM));
    assert_eq!(e.vmm.pledge_ioctl(p, u64::from(VMM_IOC_INTR)), Ok(()));
}

// ---- open / close ------------------------------------------------------------

#[test]
fn open_enodev_without_supported_cpu() {
    let e = env_mode(Mode::Unknown);
    assert_eq!(e.vmm.open(), Err(Errno::ENODEV));
    let e = env_mode(Mode::Ept);
    assert_eq!(e.vmm.open(), Ok(()));
    assert_eq!(e.vmm.close(), Ok(()));
}

#[test]
fn close_does_not_destroy_vms() {
    let e = env();
    let id = e.create_vm("keep");
    e.vmm.close().unwrap();
    assert_eq!(e.info()[0].vir_id, id);
    e.assert_clean(&[]);
}

// ---- suspend / resume ----------------------------------------------------------

#[test]
fn quiesce_stops_cpus_and_wakeup_restarts_them() {
    let e = env();
    let b = e.vmm.backend();
    e.create_vm("a");
    assert!(b.running());
    e.vmm.activate(Activate::Quiesce);
    assert!(!b.running(), "virtualisation off for suspend");
    assert_eq!(b.quiesced.load(Ordering::SeqCst), 1, "each vcpu flushed");
    e.vmm.activate(Activate::Wakeup);
    assert!(b.running(), "back on: VMs exist");
    e.assert_clean(&[]);
    // Without VMs, wakeup leaves them off.
    e.vmm.activate(Activate::Quiesce);
    e.vmm.activate(Activate::Wakeup);
    assert!(!b.running());
}

#[test]
fn ioctls_wait_while_suspended_and_a_signal_interrupts_the_wait() {
    let e = env();
    e.vmm.activate(Activate::Quiesce);
    let p = e.k.spawn(0);
    let waiter = e.spawn_ioctl(p, VMM_IOC_INFO, zeroed::<vm_info_params>());
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(!waiter.is_finished(), "ioctl must wait for resume");
    e.k.set_sigpending(p, true);
    assert_eq!(waiter.join().unwrap(), Err(Errno::EINTR));
    e.k.set_sigpending(p, false);

    let waiter = e.spawn_ioctl(p, VMM_IOC_INFO, zeroed::<vm_info_params>());
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(!waiter.is_finished());
    e.vmm.activate(Activate::Wakeup);
    assert_eq!(waiter.join().unwrap(), Ok(()), "resumed");
    e.assert_clean(&[p]);
}

#[test]
fn quiesce_stops_a_running_vcpu_and_its_next_run_waits_for_wakeup() {
    let e = env();
    let id = e.create_vm("q");
    let (vmpid, runner) = e.spawn_running_vcpu(id);
    // No signal needed: the run returns VM_EXIT_NONE at its next exit.
    e.vmm.activate(Activate::Quiesce);
    assert_eq!(runner.join().unwrap(), (Ok(()), VM_EXIT_NONE as u16));
    assert!(!e.vmm.backend().running());
    // vmd runs the vcpu again: that waits for the wakeup.
    e.vmm.backend().push(RunAction::NoExit);
    let mut vrp: vm_run_params = zeroed();
    vrp.vrp_vm_id = id;
    e.k.switch(vmpid);
    vrp.vrp_exit = e.exit_buf();
    e.k.switch(e.root);
    let again = e.spawn_ioctl(vmpid, VMM_IOC_RUN, vrp);
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(!again.is_finished(), "RUN must wait for resume");
    e.vmm.activate(Activate::Wakeup);
    assert_eq!(again.join().unwrap(), Ok(()));
    assert!(e.vmm.backend().running());
    e.assert_clean(&[vmpid]);
}

#[test]
fn quiesce_waits_for_ioctls_in_flight() {
    quiesce_waits_for(false);
}

/// The way into an ioctl takes no lock while the device is active: the
/// suspend lock (`sc_slock`, "vmmslk") is taken by an ioctl only to wait
/// out a suspend (README, "Differences from the C driver" 39; upstream
/// takes it on every ioctl).  The barrier itself is the tests around.
#[test]
fn an_ioctl_takes_the_suspend_lock_only_while_suspended() {
    let e = env();
    let id = e.create_vm("l");
    let before = e.k.acquisitions("vmmslk");
    assert_eq!(e.info().len(), 1);
    assert_eq!(e.run(id, 0, e.exit_buf()).0, Ok(()));
    assert_eq!(e.k.acquisitions("vmmslk"), before, "INFO, RUN: no lock");
    e.vmm.activate(Activate::Quiesce);
    e.vmm.activate(Activate::Wakeup);
    let after_resume = e.k.acquisitions("vmmslk");
    assert_eq!(e.info().len(), 1);
    assert_eq!(
        e.k.acquisitions("vmmslk"),
        after_resume,
        "after a resume: no lock"
    );
    e.terminate(id).unwrap();
    e.assert_clean(&[]);
}

/// An ioctl issued while the device is suspended waits for the resume,
/// then goes through (taking the lock to wait).
#[test]
fn an_ioctl_while_suspended_waits_for_the_resume() {
    quiesce_waits_for(true);
}

fn quiesce_waits_for(then_ioctl: bool) {
    let e = env();
    let id = e.create_vm("q");
    // A run that does not look at the stop request for a while.
    let (vmpid, runner) = e.spawn_running_vcpu_until_released(id);
    let vmm = e.vmm;
    let q = std::thread::spawn(move || vmm.activate(Activate::Quiesce));
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(!q.is_finished(), "suspend waits for the running ioctl");
    e.vmm.backend().release.store(true, Ordering::SeqCst);
    runner.join().unwrap().0.unwrap();
    q.join().unwrap();
    assert!(!e.vmm.backend().running());
    if then_ioctl {
        let before = e.k.acquisitions("vmmslk");
        let info = e.spawn_ioctl(e.root, VMM_IOC_INFO, zeroed::<vm_info_params>());
        while e.k.acquisitions("vmmslk") == before {
            std::thread::yield_now();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!info.is_finished(), "an ioctl waits while suspended");
        e.vmm.activate(Activate::Wakeup);
        assert_eq!(info.join().unwrap(), Ok(()));
    } else {
        e.vmm.activate(Activate::Wakeup);
    }
    e.assert_clean(&[vmpid]);
}

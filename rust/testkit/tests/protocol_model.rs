//! An exhaustive model check of the terminate protocol: `VMM_IOC_RUN`
//! and two `VMM_IOC_TERM`s on one VM, every interleaving of their steps.
//!
//! The steps are those of `vm_find` (under the list lock), `vm_run`
//! (`rust/core/src/run.rs`) and `vm_terminate` (`rust/core/src/ops.rs`),
//! each an atomic action of a sequentially consistent machine (the code
//! uses the list lock, the kernel's refcnt and `SeqCst` for the vcpu state
//! and `dying`).  The guest is the worst case: it never exits for vmd, so
//! a run ends only when it sees REQTERM.
//!
//! Checked over every reachable state:
//! - nothing touches the VM after teardown freed it;
//! - from every state, all three calls can still finish (no deadlock and
//!   no run that TERM waits for forever);
//! - exactly one TERM tears the VM down, the other gets `EBUSY` or
//!   `ENOENT`.
//!
//! The same checker, given the protocol without the `dying` check at the
//! start of a run or without TERM's REQTERM request, finds the state
//! where TERM waits forever: the check is not vacuous.
#![allow(
    clippy::panic,
    clippy::unreachable,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::collections::{HashMap, HashSet, VecDeque};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Vcpu {
    Stopped,
    Running,
    ReqTerm,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Res {
    Pending,
    Ok,
    Enoent,
    Ebusy,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct State {
    listed: bool,
    refs: u32,
    dying: bool,
    vcpu: Vcpu,
    freed: bool,
    /// Program counters: RUN, TERM A, TERM B.
    pc: [u8; 3],
    res: [Res; 3],
}

#[derive(Clone, Copy)]
struct Protocol {
    /// `vm_run` checks `dying` after moving the vcpu to RUNNING.
    run_checks_dying: bool,
    /// `vm_terminate` moves a RUNNING vcpu to REQTERM.
    term_requests_stop: bool,
}

const DONE: u8 = 99;

/// One step of thread `t` from `s`, or `None` if it cannot move (done or
/// blocked).  `Err` is a safety violation.
fn step(p: Protocol, s: &State, t: usize) -> Option<Result<State, String>> {
    let mut n = *s;
    let pc = s.pc[t];
    if pc == DONE {
        return None;
    }
    // Every step after the lookup touches the VM.
    if pc > 0 && s.freed {
        return Some(Err(format!(
            "thread {t} at step {pc} uses the VM after teardown"
        )));
    }
    let finish = |n: &mut State, r: Res| {
        n.res[t] = r;
        n.pc[t] = DONE;
    };
    if t == 0 {
        // vm_run
        match pc {
            0 => {
                // vm_find under the list lock: a reference, or ENOENT.
                if s.listed {
                    n.refs += 1;
                    n.pc[0] = 1;
                } else {
                    finish(&mut n, Res::Enoent);
                }
            }
            1 => {
                // STOPPED -> RUNNING, else EBUSY.
                if s.vcpu == Vcpu::Stopped {
                    n.vcpu = Vcpu::Running;
                    n.pc[0] = if p.run_checks_dying { 2 } else { 3 };
                } else {
                    n.res[0] = Res::Ebusy;
                    n.pc[0] = 5;
                }
            }
            2 => {
                // A TERM in progress: do not start.
                if s.dying {
                    n.vcpu = Vcpu::Stopped;
                    n.res[0] = Res::Enoent;
                    n.pc[0] = 5;
                } else {
                    n.pc[0] = 3;
                }
            }
            3 => {
                // The guest runs; at each exit the loop checks REQTERM.
                if s.vcpu == Vcpu::ReqTerm {
                    n.pc[0] = 4;
                } else {
                    return None; // spins: no progress of its own
                }
            }
            4 => {
                n.vcpu = Vcpu::Stopped;
                n.res[0] = Res::Ok;
                n.pc[0] = 5;
            }
            5 => {
                // Drop the vm_find reference (refcnt_rele_wake).
                n.refs -= 1;
                n.pc[0] = DONE;
            }
            _ => unreachable!(),
        }
    } else {
        // vm_terminate
        match pc {
            0 => {
                if s.listed {
                    n.refs += 1;
                    n.pc[t] = 1;
                } else {
                    finish(&mut n, Res::Enoent);
                }
            }
            1 => {
                // Only one TERM proceeds.
                if s.dying {
                    n.res[t] = Res::Ebusy;
                    n.pc[t] = 6;
                } else {
                    n.dying = true;
                    n.pc[t] = 2;
                }
            }
            2 => {
                // Unlink under the list lock; the list's reference moves
                // to this caller (the owner handle).
                n.listed = false;
                n.pc[t] = if p.term_requests_stop { 3 } else { 4 };
            }
            3 => {
                if s.vcpu == Vcpu::Running {
                    n.vcpu = Vcpu::ReqTerm;
                }
                n.pc[t] = 4;
            }
            4 => {
                // destroy: drop the owner's reference (never the last).
                if s.refs < 2 {
                    return Some(Err("owner's reference was the last".into()));
                }
                n.refs -= 1;
                n.pc[t] = 5;
            }
            5 => {
                // refcnt_finalize: drop ours and wait for the others.
                if s.refs == 1 {
                    n.refs = 0;
                    n.freed = true;
                    finish(&mut n, Res::Ok);
                } else {
                    return None;
                }
            }
            6 => {
                n.refs -= 1;
                n.pc[t] = DONE;
            }
            _ => unreachable!(),
        }
    }
    Some(Ok(n))
}

struct Outcome {
    states: usize,
    /// Reachable states from which some call can never finish.
    stuck: Vec<State>,
    finals: HashSet<[Res; 3]>,
}

fn explore(p: Protocol) -> Result<Outcome, String> {
    let init = State {
        listed: true,
        refs: 1,
        dying: false,
        vcpu: Vcpu::Stopped,
        freed: false,
        pc: [0; 3],
        res: [Res::Pending; 3],
    };
    let mut succ: HashMap<State, Vec<State>> = HashMap::new();
    let mut queue = VecDeque::from([init]);
    succ.insert(init, Vec::new());
    while let Some(s) = queue.pop_front() {
        let mut next = Vec::new();
        for t in 0..3 {
            if let Some(r) = step(p, &s, t) {
                let n = r?;
                next.push(n);
                if let std::collections::hash_map::Entry::Vacant(e) = succ.entry(n) {
                    e.insert(Vec::new());
                    queue.push_back(n);
                }
            }
        }
        succ.insert(s, next);
    }
    // Backward fixed point: states from which "all finished" is reachable.
    let done = |s: &State| s.pc.iter().all(|&pc| pc == DONE);
    let mut good: HashSet<State> = succ.keys().filter(|s| done(s)).copied().collect();
    loop {
        let before = good.len();
        for (s, ns) in &succ {
            if !good.contains(s) && ns.iter().any(|n| good.contains(n)) {
                good.insert(*s);
            }
        }
        if good.len() == before {
            break;
        }
    }
    let stuck = succ.keys().filter(|s| !good.contains(s)).copied().collect();
    let finals = succ.keys().filter(|s| done(s)).map(|s| s.res).collect();
    Ok(Outcome {
        states: succ.len(),
        stuck,
        finals,
    })
}

#[test]
fn terminate_protocol_is_safe_and_always_finishes() {
    let o = explore(Protocol {
        run_checks_dying: true,
        term_requests_stop: true,
    })
    .unwrap_or_else(|e| panic!("safety violation: {e}"));
    assert!(o.stuck.is_empty(), "stuck states: {:?}", o.stuck.first());
    assert!(o.states > 100, "only {} states explored", o.states);
    for r in &o.finals {
        // Exactly one TERM tears down; the other is EBUSY or ENOENT.
        let oks = r[1..].iter().filter(|&&x| x == Res::Ok).count();
        assert_eq!(oks, 1, "{r:?}");
        assert!(r[1..]
            .iter()
            .all(|&x| matches!(x, Res::Ok | Res::Ebusy | Res::Enoent)));
        // The run either ran and was stopped, or never started.
        assert!(matches!(r[0], Res::Ok | Res::Enoent), "{r:?}");
    }
    // Both outcomes of the run happen in some interleaving.
    assert!(o.finals.iter().any(|r| r[0] == Res::Ok));
    assert!(o.finals.iter().any(|r| r[0] == Res::Enoent));
}

#[test]
fn without_the_dying_check_a_late_run_is_never_stopped() {
    let o = explore(Protocol {
        run_checks_dying: false,
        term_requests_stop: true,
    })
    .unwrap_or_else(|e| panic!("safety violation: {e}"));
    // A run that moved to RUNNING after TERM's request spins, and TERM
    // waits for it forever.
    let s = o
        .stuck
        .iter()
        .find(|s| s.pc[0] == 3 && s.vcpu == Vcpu::Running);
    assert!(s.is_some(), "the checker missed the late-run race");
}

#[test]
fn without_the_stop_request_terminate_waits_for_the_guest() {
    let o = explore(Protocol {
        run_checks_dying: true,
        term_requests_stop: false,
    })
    .unwrap_or_else(|e| panic!("safety violation: {e}"));
    // Upstream's protocol: with a guest that never exits, TERM waits for
    // the run forever.
    assert!(o
        .stuck
        .iter()
        .any(|s| s.pc[0] == 3 && s.pc[1..].contains(&5)));
}

/// The figures README.md's hardening table gives for this model: 342
/// states, none stuck, and every one of the 8 outcomes the protocol
/// allows (the run stopped or refused, times which TERM tore down and
/// whether the other one saw the VM dying or already gone) happens in
/// some interleaving, so none of them is dead code of the model.  A
/// change to the model's steps changes these and must update the README.
#[test]
fn state_space_and_outcomes_are_the_documented_ones() {
    let o = explore(Protocol {
        run_checks_dying: true,
        term_requests_stop: true,
    })
    .unwrap();
    println!(
        "terminate protocol: {} states, {} final outcomes, {} stuck",
        o.states,
        o.finals.len(),
        o.stuck.len()
    );
    assert_eq!(o.states, 342, "states explored (README.md says 342)");
    assert!(o.stuck.is_empty(), "stuck states: {:?}", o.stuck.first());
    let mut want = HashSet::new();
    for run in [Res::Ok, Res::Enoent] {
        for other in [Res::Ebusy, Res::Enoent] {
            want.insert([run, Res::Ok, other]);
            want.insert([run, other, Res::Ok]);
        }
    }
    assert_eq!(o.finals, want, "final outcomes (RUN, TERM A, TERM B)");
}

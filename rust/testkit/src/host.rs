//! The host kernel double.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::ffi::CStr;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use vmm_kernel::{pledge, Caller, Errno, KResult, Kernel, KernelAmd64, PoolId, PAGE_SIZE};

/// How long a blocked lock or sleep may wait before the test is declared
/// deadlocked.
// Under Miri the clock is virtual and runs with the instructions
// interpreted, so a wait that is merely slow there gets far more room.
const DEADLOCK: Duration = Duration::from_secs(if cfg!(miri) { 100_000 } else { 20 });

/// Operations whose failure can be injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fail {
    PoolGet,
    PagesAlloc,
    Malloc,
    UaoCreate,
    MapGuest,
    MapImmutable,
    PmapCreate,
}

/// Resources outstanding at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub pool_objs: [usize; 3],
    pub pages: usize,
    pub malloc_objs: usize,
    pub malloc_bytes: usize,
    pub uaos: usize,
    pub pmaps: usize,
    pub mappings: usize,
}

struct Uobj {
    size: AtomicUsize,
    refs: AtomicUsize,
    pages: Mutex<HashMap<u64, Box<[u8; PAGE_SIZE]>>>,
}

/// A guest-memory object handle.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct UobjH(&'static Uobj);

// The handle is a reference with identity.
impl PartialEq for Uobj {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
impl Eq for Uobj {}
impl std::hash::Hash for Uobj {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self as *const Uobj as usize).hash(h);
    }
}
impl std::fmt::Debug for Uobj {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Uobj({:p}, {} bytes)",
            self,
            self.size.load(Ordering::Relaxed)
        )
    }
}

pub struct Pmap {
    /// References (`pmap_reference`/`pmap_destroy`).
    refs: AtomicUsize,
    resident: AtomicUsize,
    removes: Mutex<Vec<(u64, u64)>>,
}

/// A pmap handle.
#[derive(Clone, Copy)]
pub struct PmapH(&'static Pmap);

#[derive(Clone, Copy, Debug)]
struct Mapping {
    size: usize,
    uobj: UobjH,
    immutable: bool,
}

struct Proc {
    pid: i32,
    promises: AtomicU32,
    sigpending: AtomicBool,
    /// Plain user memory: start -> bytes.
    user: Mutex<BTreeMap<u64, Box<[u8]>>>,
    /// Guest-memory mappings: start -> mapping.
    maps: Mutex<BTreeMap<u64, Mapping>>,
    pledge_violations: AtomicUsize,
    /// Starts of user buffers that are read-only.
    readonly: Mutex<Vec<u64>>,
}

/// A process handle.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ProcH(i32);

struct LockState {
    readers: usize,
    writer: Option<ThreadId>,
}

/// Storage of one host reader/writer lock.
pub struct HostRwLock {
    st: Mutex<LockState>,
    cv: Condvar,
    inited: AtomicBool,
    name: Mutex<&'static str>,
    kernel: &'static HostState,
}

/// Storage of one host reference count.
/// A reference count of the double.  The count lives in its own `Arc`,
/// so `refcnt_rele_wake` can keep it alive past the object that holds it
/// (which another thread frees as soon as the count drops).
pub struct HostRefCnt(Arc<HostRefCntInner>);

pub struct HostRefCntInner {
    /// The count, and whether refcnt_finalize drained it (OpenBSD lets a
    /// drained count be taken again; a count whose last reference was
    /// released belongs to an object being freed, and a take is a bug).
    n: Mutex<(u64, bool)>,
    cv: Condvar,
}

pub struct HostState {
    pools: Mutex<[Option<(usize, usize)>; 3]>,
    pool_objs: [AtomicUsize; 3],
    pages: AtomicUsize,
    malloc_objs: AtomicUsize,
    malloc_bytes: AtomicUsize,
    uaos: AtomicUsize,
    pmaps: AtomicUsize,
    /// Failure injection: op -> countdown (fail when it reaches 0).
    fail: Mutex<HashMap<Fail, usize>>,
    procs: Mutex<HashMap<i32, &'static Proc>>,
    next_pid: AtomicUsize,
    /// sleep/wakeup: a generation counter per channel.
    chans: Mutex<HashMap<usize, u64>>,
    chan_cv: Condvar,
    log: Mutex<Vec<String>>,
    yield_now: AtomicBool,
    /// Lock names whose write acquisitions are held at a gate, and how
    /// many threads wait there.
    gates: Mutex<(Vec<&'static str>, usize)>,
    /// Acquisitions of each rwlock, by the name given to rw_init.
    acquisitions: Mutex<HashMap<&'static str, usize>>,
    gate_cv: Condvar,
    cpu_vmm: AtomicBool,
    /// The CPUs `cpu_kick` was called for, in order.
    kicks: Mutex<Vec<u32>>,
    /// Reuse freed memory objects and pmaps (for the fuzzer's millions of
    /// inputs); off by default so a stale handle in a test stays visibly
    /// dead instead of aliasing a new object.
    recycle: AtomicBool,
    free_uobjs: Mutex<Vec<&'static Uobj>>,
    free_pmaps: Mutex<Vec<&'static Pmap>>,
}

thread_local! {
    static CURRENT: Cell<Option<(usize, i32)>> = const { Cell::new(None) };
    /// The CPU the calling thread runs on (`cpu_id`), 0 unless set.
    static CPU: Cell<u32> = const { Cell::new(0) };
}

/// The host kernel: a cheap handle to leaked per-test state.
#[derive(Clone, Copy)]
pub struct HostKernel(&'static HostState);

impl Default for HostKernel {
    fn default() -> Self {
        Self::new()
    }
}

impl HostKernel {
    /// A fresh kernel (leaked: one per test).  Process 1 exists and is
    /// current for the calling thread, unpledged.
    pub fn new() -> Self {
        let st: &'static HostState = Box::leak(Box::new(HostState {
            pools: Mutex::new([None, None, None]),
            pool_objs: [const { AtomicUsize::new(0) }; 3],
            pages: AtomicUsize::new(0),
            malloc_objs: AtomicUsize::new(0),
            malloc_bytes: AtomicUsize::new(0),
            uaos: AtomicUsize::new(0),
            pmaps: AtomicUsize::new(0),
            fail: Mutex::new(HashMap::new()),
            procs: Mutex::new(HashMap::new()),
            next_pid: AtomicUsize::new(100),
            chans: Mutex::new(HashMap::new()),
            chan_cv: Condvar::new(),
            log: Mutex::new(Vec::new()),
            yield_now: AtomicBool::new(false),
            gates: Mutex::new((Vec::new(), 0)),
            acquisitions: Mutex::new(HashMap::new()),
            gate_cv: Condvar::new(),
            cpu_vmm: AtomicBool::new(false),
            kicks: Mutex::new(Vec::new()),
            recycle: AtomicBool::new(false),
            free_uobjs: Mutex::new(Vec::new()),
            free_pmaps: Mutex::new(Vec::new()),
        }));
        let k = HostKernel(st);
        let pid = k.spawn(0);
        k.switch(pid);
        k
    }

    fn key(&self) -> usize {
        self.0 as *const HostState as usize
    }

    // ---- processes -------------------------------------------------

    /// A new process with `promises` ([`pledge`] bits; 0 = unpledged).
    pub fn spawn(&self, promises: u32) -> i32 {
        let pid = self.0.next_pid.fetch_add(1, Ordering::Relaxed) as i32;
        let p: &'static Proc = Box::leak(Box::new(Proc {
            pid,
            promises: AtomicU32::new(promises),
            sigpending: AtomicBool::new(false),
            user: Mutex::new(BTreeMap::new()),
            maps: Mutex::new(BTreeMap::new()),
            pledge_violations: AtomicUsize::new(0),
            readonly: Mutex::new(Vec::new()),
        }));
        self.0.procs.lock().unwrap().insert(pid, p);
        pid
    }

    /// Makes `pid` the current process of the calling thread.
    pub fn switch(&self, pid: i32) {
        assert!(
            self.0.procs.lock().unwrap().contains_key(&pid),
            "no pid {pid}"
        );
        CURRENT.with(|c| c.set(Some((self.key(), pid))));
    }

    /// The calling thread's current pid.
    /// The current process as the kernel's ioctl entry describes it to
    /// the driver (OpenBSD: the glue's `vmm_caller`): its pid and its
    /// promises.
    pub fn caller(&self) -> Caller<ProcH> {
        let pid = self.cur().pid;
        Caller {
            proc: ProcH(pid),
            pid,
            promises: self.proc(pid).promises.load(Ordering::SeqCst) & (pledge::PROC | pledge::VMM),
        }
    }

    pub fn current_pid(&self) -> i32 {
        self.cur().pid
    }

    fn proc(&self, pid: i32) -> &'static Proc {
        self.0
            .procs
            .lock()
            .unwrap()
            .get(&pid)
            .copied()
            .expect("no such pid")
    }

    fn cur(&self) -> &'static Proc {
        let (key, pid) = CURRENT
            .with(|c| c.get())
            .expect("no current process on this thread: call switch()");
        assert_eq!(key, self.key(), "current process belongs to another kernel");
        self.proc(pid)
    }

    /// Changes the promises of `pid`.
    pub fn set_pledge(&self, pid: i32, promises: u32) {
        // Promises only shrink in pledge(2); tests may set anything.
        self.proc(pid).promises.store(promises, Ordering::SeqCst);
    }

    /// Posts (or clears) a signal for `pid`, waking its sleeps.
    pub fn set_sigpending(&self, pid: i32, on: bool) {
        self.proc(pid).sigpending.store(on, Ordering::SeqCst);
        let _g = self.0.chans.lock().unwrap();
        self.0.chan_cv.notify_all();
    }

    /// Pledge violations recorded for `pid`.
    pub fn pledge_violations(&self, pid: i32) -> usize {
        self.proc(pid).pledge_violations.load(Ordering::SeqCst)
    }

    /// Ask the run loop to yield (`SPCF_SHOULDYIELD`).
    pub fn set_should_yield(&self, on: bool) {
        self.0.yield_now.store(on, Ordering::SeqCst);
    }

    /// Makes the calling thread run on CPU `cpu` (what `cpu_id` returns
    /// to it; every thread starts on CPU 0).
    pub fn set_cpu(&self, cpu: u32) {
        CPU.with(|c| c.set(cpu));
    }

    /// The CPUs kicked (`cpu_kick`) so far, in order.
    pub fn kicks(&self) -> Vec<u32> {
        self.0.kicks.lock().unwrap().clone()
    }

    /// `len` bytes of zeroed user memory in `pid`; returns its address.
    pub fn user_alloc(&self, pid: i32, len: usize) -> u64 {
        let b = vec![0u8; len.max(1)].into_boxed_slice();
        let addr = b.as_ptr() as u64;
        self.proc(pid).user.lock().unwrap().insert(addr, b);
        addr
    }

    /// `len` bytes of user memory that copyout cannot write.
    pub fn user_alloc_readonly(&self, pid: i32, len: usize) -> u64 {
        let a = self.user_alloc(pid, len);
        self.proc(pid).readonly.lock().unwrap().push(a);
        a
    }

    /// Places `v` in new user memory of `pid`.
    pub fn user_put<T: vmm_kernel::pod::Pod>(&self, pid: i32, v: &T) -> u64 {
        let bytes = vmm_kernel::pod::as_bytes(v);
        let a = self.user_alloc(pid, bytes.len());
        self.user_write(pid, a, bytes).unwrap();
        a
    }

    /// Reads a `T` from user memory of `pid`.
    pub fn user_get<T: vmm_kernel::pod::Pod>(&self, pid: i32, addr: u64) -> T {
        let mut v = vmm_kernel::pod::zeroed::<T>();
        let b = self.user_read(pid, addr, std::mem::size_of::<T>()).unwrap();
        vmm_kernel::pod::as_bytes_mut(&mut v).copy_from_slice(&b);
        v
    }

    fn user_range<R>(
        &self,
        pid: i32,
        addr: u64,
        len: usize,
        f: impl FnOnce(&mut [u8]) -> R,
    ) -> Option<R> {
        let p = self.proc(pid);
        let mut user = p.user.lock().unwrap();
        let (&start, buf) = user.range_mut(..=addr).next_back()?;
        let off = usize::try_from(addr - start).ok()?;
        let end = off.checked_add(len)?;
        if end > buf.len() {
            return None;
        }
        Some(f(&mut buf[off..end]))
    }

    /// Reads user memory (plain or guest mappings) of `pid`.
    pub fn user_read(&self, pid: i32, addr: u64, len: usize) -> Option<Vec<u8>> {
        if let Some(v) = self.user_range(pid, addr, len, |b| b.to_vec()) {
            return Some(v);
        }
        let mut out = vec![0u8; len];
        self.guest_access(pid, addr, &mut out, false)?;
        Some(out)
    }

    /// Writes user memory (plain or guest mappings) of `pid`.
    pub fn user_write(&self, pid: i32, addr: u64, data: &[u8]) -> Option<()> {
        if self
            .user_range(pid, addr, data.len(), |b| b.copy_from_slice(data))
            .is_some()
        {
            return Some(());
        }
        let mut d = data.to_vec();
        self.guest_access(pid, addr, &mut d, true)
    }

    fn guest_access(&self, pid: i32, addr: u64, buf: &mut [u8], write: bool) -> Option<()> {
        let p = self.proc(pid);
        let maps = p.maps.lock().unwrap();
        let (&start, m) = maps.range(..=addr).next_back()?;
        let off = addr - start;
        if off + buf.len() as u64 > m.size as u64 {
            return None;
        }
        let mut pages = m.uobj.0.pages.lock().unwrap();
        for (i, b) in buf.iter_mut().enumerate() {
            let o = off + i as u64;
            let pg = pages
                .entry(o / PAGE_SIZE as u64)
                .or_insert_with(|| Box::new([0u8; PAGE_SIZE]));
            let idx = (o % PAGE_SIZE as u64) as usize;
            if write {
                pg[idx] = *b;
            } else {
                *b = pg[idx];
            }
        }
        Some(())
    }

    /// Guest-memory mappings of `pid`: (address, size, immutable).
    pub fn mappings(&self, pid: i32) -> Vec<(u64, usize, bool)> {
        self.proc(pid)
            .maps
            .lock()
            .unwrap()
            .iter()
            .map(|(a, m)| (*a, m.size, m.immutable))
            .collect()
    }

    /// munmap(2) from userland: refused (`EPERM`) for immutable mappings.
    pub fn user_munmap(&self, pid: i32, addr: u64) -> KResult {
        let p = self.proc(pid);
        let mut maps = p.maps.lock().unwrap();
        match maps.get(&addr) {
            None => Err(Errno::EINVAL),
            Some(m) if m.immutable => Err(Errno::EPERM),
            Some(_) => {
                let m = maps.remove(&addr).unwrap();
                drop(maps);
                self.uobj_rele(m.uobj);
                Ok(())
            }
        }
    }

    /// Removes every guest-memory mapping of `pid` (as its exit would).
    pub fn unmap_all(&self, pid: i32) {
        let p = self.proc(pid);
        let maps = std::mem::take(&mut *p.maps.lock().unwrap());
        for (_, m) in maps {
            self.uobj_rele(m.uobj);
        }
    }

    /// Process exit: every mapping and user buffer of `pid` goes.
    pub fn proc_exit(&self, pid: i32) {
        self.unmap_all(pid);
        self.proc(pid).user.lock().unwrap().clear();
    }

    // ---- race gates ---------------------------------------------------

    /// Holds every future write acquisition of locks named `name` (as
    /// given to rw_init) until [`HostKernel::open_gate`].
    pub fn close_gate(&self, name: &'static str) {
        self.0.gates.lock().unwrap().0.push(name);
    }

    /// Lets held and future acquisitions through.
    pub fn open_gate(&self, name: &'static str) {
        self.0.gates.lock().unwrap().0.retain(|n| *n != name);
        self.0.gate_cv.notify_all();
    }

    /// How often rwlocks named `name` (as given to rw_init) have been
    /// acquired, read or write.
    pub fn acquisitions(&self, name: &'static str) -> usize {
        self.0
            .acquisitions
            .lock()
            .unwrap()
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    /// Waits until `n` threads are held at gates.
    pub fn wait_gated(&self, n: usize) {
        let deadline = Instant::now() + DEADLOCK;
        let mut g = self.0.gates.lock().unwrap();
        while g.1 < n {
            assert!(Instant::now() < deadline, "nobody reached the gate");
            g = self
                .0
                .gate_cv
                .wait_timeout(g, Duration::from_millis(10))
                .unwrap()
                .0;
        }
    }

    fn pass_gate(&self, name: &'static str) {
        let mut g = self.0.gates.lock().unwrap();
        if !g.0.contains(&name) {
            return;
        }
        g.1 += 1;
        self.0.gate_cv.notify_all();
        let deadline = Instant::now() + DEADLOCK;
        while g.0.contains(&name) {
            assert!(Instant::now() < deadline, "gate {name} never opened");
            g = self
                .0
                .gate_cv
                .wait_timeout(g, Duration::from_millis(10))
                .unwrap()
                .0;
        }
        g.1 -= 1;
    }

    // ---- accounting and failure injection ---------------------------

    /// What is outstanding now.
    /// Reuse freed memory objects and pmaps from now on, so a long fuzz
    /// run has bounded memory (see `HostState::recycle`).
    pub fn set_recycle(&self, on: bool) {
        self.0.recycle.store(on, Ordering::SeqCst);
    }

    pub fn snapshot(&self) -> Snapshot {
        let mappings = self
            .0
            .procs
            .lock()
            .unwrap()
            .values()
            .map(|p| p.maps.lock().unwrap().len())
            .sum();
        Snapshot {
            pool_objs: [
                self.0.pool_objs[0].load(Ordering::SeqCst),
                self.0.pool_objs[1].load(Ordering::SeqCst),
                self.0.pool_objs[2].load(Ordering::SeqCst),
            ],
            pages: self.0.pages.load(Ordering::SeqCst),
            malloc_objs: self.0.malloc_objs.load(Ordering::SeqCst),
            malloc_bytes: self.0.malloc_bytes.load(Ordering::SeqCst),
            uaos: self.0.uaos.load(Ordering::SeqCst),
            pmaps: self.0.pmaps.load(Ordering::SeqCst),
            mappings,
        }
    }

    /// Makes the `nth` (0 = next) future call of `op` fail.
    pub fn fail_nth(&self, op: Fail, nth: usize) {
        self.0.fail.lock().unwrap().insert(op, nth);
    }

    /// Clears every pending failure.
    pub fn clear_failures(&self) {
        self.0.fail.lock().unwrap().clear();
    }

    fn should_fail(&self, op: Fail) -> bool {
        let mut f = self.0.fail.lock().unwrap();
        match f.get_mut(&op) {
            None => false,
            Some(0) => {
                f.remove(&op);
                true
            }
            Some(n) => {
                *n -= 1;
                false
            }
        }
    }

    /// The driver's log lines (printf with the arguments substituted).
    pub fn log_lines(&self) -> Vec<String> {
        self.0.log.lock().unwrap().clone()
    }

    /// Sets the resident page count of a pmap (what `vir_used_size` shows).
    pub fn set_pmap_resident(&self, pm: PmapH, pages: usize) {
        pm.0.resident.store(pages, Ordering::SeqCst);
    }

    /// The `pmap_remove` calls made on `pm`.
    pub fn pmap_removes(&self, pm: PmapH) -> Vec<(u64, u64)> {
        pm.0.removes.lock().unwrap().clone()
    }

    /// References held on a memory object.
    pub fn uobj_refs(&self, u: UobjH) -> usize {
        u.0.refs.load(Ordering::SeqCst)
    }

    fn uobj_rele(&self, u: UobjH) {
        let prev = u.0.refs.fetch_sub(1, Ordering::SeqCst);
        assert!(prev > 0, "uao reference count underflow");
        if prev == 1 {
            self.0.uaos.fetch_sub(1, Ordering::SeqCst);
            // Poison what is left so a use after free shows.
            u.0.pages.lock().unwrap().clear();
            if self.0.recycle.load(Ordering::SeqCst) {
                self.0.free_uobjs.lock().unwrap().push(u.0);
            }
        }
    }

    // ---- sleep/wakeup -----------------------------------------------

    fn chan_gen(&self, ident: usize) -> u64 {
        *self.0.chans.lock().unwrap().get(&ident).unwrap_or(&0)
    }

    /// Waits until the channel generation moves past `seen` or a signal is
    /// pending for `p`.
    fn chan_wait(&self, ident: usize, seen: u64, p: &Proc) -> KResult {
        let deadline = Instant::now() + DEADLOCK;
        let mut chans = self.0.chans.lock().unwrap();
        loop {
            if *chans.get(&ident).unwrap_or(&0) != seen {
                return Ok(());
            }
            if p.sigpending.load(Ordering::SeqCst) {
                return Err(Errno::EINTR);
            }
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("deadlock: sleep on channel {ident:#x} never woken"));
            chans = self.0.chan_cv.wait_timeout(chans, left).unwrap().0;
        }
    }

    fn chan_wake(&self, ident: usize) {
        let mut chans = self.0.chans.lock().unwrap();
        *chans.entry(ident).or_insert(0) += 1;
        self.0.chan_cv.notify_all();
    }
}

impl HostRwLock {
    fn lock_state(&self) -> MutexGuard<'_, LockState> {
        assert!(
            self.inited.load(Ordering::SeqCst),
            "rwlock used before rw_init"
        );
        self.st.lock().unwrap()
    }

    /// Acquires; `intr` gives up with EINTR when it would block and a
    /// signal is pending for `p`.
    fn enter(&self, write: bool, intr: Option<&Proc>, trylock: bool) -> KResult {
        if write && !trylock {
            let name = *self.name.lock().unwrap();
            HostKernel(self.kernel).pass_gate(name);
        }
        let me = thread::current().id();
        let deadline = Instant::now() + DEADLOCK;
        let mut st = self.lock_state();
        loop {
            assert_ne!(st.writer, Some(me), "rwlock: recursive acquire");
            let free = if write {
                st.writer.is_none() && st.readers == 0
            } else {
                st.writer.is_none()
            };
            if free {
                if write {
                    st.writer = Some(me);
                } else {
                    st.readers += 1;
                }
                let name = *self.name.lock().unwrap();
                *self
                    .kernel
                    .acquisitions
                    .lock()
                    .unwrap()
                    .entry(name)
                    .or_insert(0) += 1;
                return Ok(());
            }
            if trylock {
                return Err(Errno::EBUSY);
            }
            if let Some(p) = intr {
                if p.sigpending.load(Ordering::SeqCst) {
                    return Err(Errno::EINTR);
                }
            }
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("deadlock: rwlock held too long"));
            st = self
                .cv
                .wait_timeout(st, left.min(Duration::from_millis(50)))
                .unwrap()
                .0;
        }
    }

    fn exit(&self, write: bool) {
        let mut st = self.lock_state();
        if write {
            assert_eq!(
                st.writer,
                Some(thread::current().id()),
                "rw_exit_write by non-owner"
            );
            st.writer = None;
        } else {
            assert!(st.readers > 0, "rw_exit_read without a reader");
            st.readers -= 1;
        }
        self.cv.notify_all();
    }

    fn held_for_write(&self) -> bool {
        self.lock_state().writer == Some(thread::current().id())
    }
}

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size.max(1), align.max(1)).unwrap()
}

// SAFETY: pool, page and malloc memory comes from the host allocator
// zeroed and with the requested layout; locks, counts and user copies
// follow the contracts of the trait.
unsafe impl Kernel for HostKernel {
    type RwLockStorage = HostRwLock;
    type RefCntStorage = HostRefCnt;
    type Proc = ProcH;
    type Uobj = UobjH;
    type Pmap = PmapH;

    fn rw_storage(&self) -> HostRwLock {
        HostRwLock {
            st: Mutex::new(LockState {
                readers: 0,
                writer: None,
            }),
            cv: Condvar::new(),
            inited: AtomicBool::new(false),
            name: Mutex::new("?"),
            kernel: self.0,
        }
    }
    unsafe fn rw_init(&self, l: &HostRwLock, name: &'static CStr) {
        *l.name.lock().unwrap() = name.to_str().unwrap_or("?");
        l.inited.store(true, Ordering::SeqCst);
    }
    unsafe fn rw_enter_read(&self, l: &HostRwLock) {
        l.enter(false, None, false).unwrap();
    }
    unsafe fn rw_enter_read_intr(&self, l: &HostRwLock) -> KResult {
        l.enter(false, Some(self.cur()), false)
    }
    unsafe fn rw_enter_write(&self, l: &HostRwLock) {
        l.enter(true, None, false).unwrap();
    }
    unsafe fn rw_enter_write_try(&self, l: &HostRwLock) -> KResult {
        l.enter(true, None, true)
    }
    unsafe fn rw_exit_read(&self, l: &HostRwLock) {
        l.exit(false);
    }
    unsafe fn rw_exit_write(&self, l: &HostRwLock) {
        l.exit(true);
    }
    unsafe fn rwsleep_intr(
        &self,
        ident: *const (),
        l: &HostRwLock,
        _wmesg: &'static CStr,
    ) -> KResult {
        let write = l.held_for_write();
        let ident = ident as usize;
        let seen = self.chan_gen(ident);
        l.exit(write);
        let r = self.chan_wait(ident, seen, self.cur());
        l.enter(write, None, false).unwrap();
        r
    }
    fn wakeup(&self, ident: *const ()) {
        self.chan_wake(ident as usize);
    }

    fn refcnt_storage(&self) -> HostRefCnt {
        HostRefCnt(Arc::new(HostRefCntInner {
            n: Mutex::new((0, false)),
            cv: Condvar::new(),
        }))
    }
    fn refcnt_init(&self, r: &HostRefCnt) {
        *r.0.n.lock().unwrap() = (1, false);
    }
    fn refcnt_take(&self, r: &HostRefCnt) {
        let mut n = r.0.n.lock().unwrap();
        assert!(n.0 > 0 || n.1, "refcnt_take on a dead count");
        n.0 += 1;
    }
    fn refcnt_rele(&self, r: &HostRefCnt) -> bool {
        let mut n = r.0.n.lock().unwrap();
        assert!(n.0 > 0, "refcnt underflow");
        n.0 -= 1;
        n.0 == 0
    }
    unsafe fn refcnt_rele_wake(&self, r: NonNull<HostRefCnt>) {
        // SAFETY: live and initialised at the call (the caller's contract);
        // the count is cloned out before the decrement, so nothing of the
        // object holding it is touched after that.
        let r = unsafe { Arc::clone(&(*r.as_ptr()).0) };
        let mut n = r.n.lock().unwrap();
        assert!(n.0 > 0, "refcnt underflow");
        n.0 -= 1;
        if n.0 == 0 {
            r.cv.notify_all();
        }
    }
    fn refcnt_finalize(&self, r: &HostRefCnt, wmesg: &'static CStr) {
        let deadline = Instant::now() + DEADLOCK;
        let r = &r.0;
        let mut n = r.n.lock().unwrap();
        assert!(n.0 > 0, "refcnt underflow");
        n.0 -= 1;
        n.1 = true;
        while n.0 > 0 {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("deadlock: refcnt_finalize {wmesg:?} never done"));
            n = r.cv.wait_timeout(n, left).unwrap().0;
        }
    }

    fn pool_init(&self, pool: PoolId, size: usize, align: usize, _name: &'static CStr) {
        // As the kernel glue: the first call counts, later ones are
        // ignored (a pool in use keeps its object size).
        self.0.pools.lock().unwrap()[pool as usize].get_or_insert((size, align));
    }
    fn pool_get(&self, pool: PoolId, size: usize, align: usize) -> Option<NonNull<u8>> {
        let (psize, palign) = self.0.pools.lock().unwrap()[pool as usize].expect("pool_init");
        if size > psize || align > palign || self.should_fail(Fail::PoolGet) {
            return None;
        }
        // SAFETY: non-zero size layout.
        let p = NonNull::new(unsafe { alloc_zeroed(layout(psize, palign)) })?;
        self.0.pool_objs[pool as usize].fetch_add(1, Ordering::SeqCst);
        Some(p)
    }
    unsafe fn pool_put(&self, pool: PoolId, obj: NonNull<u8>) {
        let (psize, palign) = self.0.pools.lock().unwrap()[pool as usize].expect("pool_init");
        // SAFETY: caller contract: from pool_get of this pool.
        unsafe {
            std::ptr::write_bytes(obj.as_ptr(), 0xdb, psize);
            dealloc(obj.as_ptr(), layout(psize, palign));
        }
        let prev = self.0.pool_objs[pool as usize].fetch_sub(1, Ordering::SeqCst);
        assert!(prev > 0, "pool_put of more than was got");
    }

    fn malloc(&self, size: usize) -> Option<NonNull<u8>> {
        if self.should_fail(Fail::Malloc) {
            return None;
        }
        // SAFETY: non-zero size layout.
        let p = NonNull::new(unsafe { alloc_zeroed(layout(size, 8)) })?;
        self.0.malloc_objs.fetch_add(1, Ordering::SeqCst);
        self.0.malloc_bytes.fetch_add(size, Ordering::SeqCst);
        Some(p)
    }
    unsafe fn free(&self, p: NonNull<u8>, size: usize) {
        // SAFETY: caller contract.
        unsafe { dealloc(p.as_ptr(), layout(size, 8)) };
        self.0.malloc_objs.fetch_sub(1, Ordering::SeqCst);
        self.0.malloc_bytes.fetch_sub(size, Ordering::SeqCst);
    }

    fn pages_alloc(&self, npages: usize) -> Option<(NonNull<u8>, u64)> {
        if self.should_fail(Fail::PagesAlloc) {
            return None;
        }
        // SAFETY: non-zero size layout.
        let p = NonNull::new(unsafe { alloc_zeroed(layout(npages * PAGE_SIZE, PAGE_SIZE)) })?;
        self.0.pages.fetch_add(npages, Ordering::SeqCst);
        Some((p, p.as_ptr() as u64))
    }
    unsafe fn pages_free(&self, va: NonNull<u8>, npages: usize) {
        // SAFETY: caller contract.
        unsafe { dealloc(va.as_ptr(), layout(npages * PAGE_SIZE, PAGE_SIZE)) };
        let prev = self.0.pages.fetch_sub(npages, Ordering::SeqCst);
        assert!(prev >= npages, "pages_free of more than was allocated");
    }

    fn uao_create(&self, size: usize) -> Option<UobjH> {
        if self.should_fail(Fail::UaoCreate) {
            return None;
        }
        let reuse = self.0.free_uobjs.lock().unwrap().pop();
        let u: &'static Uobj = match reuse {
            // Released objects have no pages left; only size and count
            // need resetting.
            Some(u) => {
                u.size.store(size, Ordering::SeqCst);
                u.refs.store(1, Ordering::SeqCst);
                u
            }
            None => Box::leak(Box::new(Uobj {
                size: AtomicUsize::new(size),
                refs: AtomicUsize::new(1),
                pages: Mutex::new(HashMap::new()),
            })),
        };
        self.0.uaos.fetch_add(1, Ordering::SeqCst);
        Some(UobjH(u))
    }
    unsafe fn uao_reference(&self, u: UobjH) {
        let prev = u.0.refs.fetch_add(1, Ordering::SeqCst);
        assert!(prev > 0, "uao_reference on a freed object");
    }
    unsafe fn uao_detach(&self, u: UobjH) {
        self.uobj_rele(u);
    }

    unsafe fn map_guest(&self, p: ProcH, va: &mut u64, size: usize, u: UobjH) -> KResult {
        if self.should_fail(Fail::MapGuest) {
            return Err(Errno::ENOMEM);
        }
        assert!(
            u.0.refs.load(Ordering::SeqCst) > 0,
            "mapping a freed object"
        );
        let pr = self.proc(p.0);
        let mut maps = pr.maps.lock().unwrap();
        let overlaps = |maps: &BTreeMap<u64, Mapping>, a: u64| {
            maps.iter()
                .any(|(s, m)| a < s + m.size as u64 && *s < a + size as u64)
        };
        let mut a = *va;
        if a == 0 || !a.is_multiple_of(PAGE_SIZE as u64) || overlaps(&maps, a) {
            // Pick the first free address above 4 GiB.
            a = 0x1_0000_0000;
            while overlaps(&maps, a) {
                a += 0x1000_0000;
            }
        }
        maps.insert(
            a,
            Mapping {
                size,
                uobj: u,
                immutable: false,
            },
        );
        *va = a;
        Ok(())
    }
    fn map_immutable(&self, p: ProcH, start: u64, end: u64) -> KResult {
        if self.should_fail(Fail::MapImmutable) {
            return Err(Errno::EPERM);
        }
        let pr = self.proc(p.0);
        let mut maps = pr.maps.lock().unwrap();
        for (s, m) in maps.iter_mut() {
            if *s >= start && *s + m.size as u64 <= end {
                m.immutable = true;
            }
        }
        Ok(())
    }
    fn unmap(&self, p: ProcH, start: u64, end: u64) {
        let pr = self.proc(p.0);
        let mut maps = pr.maps.lock().unwrap();
        let gone: Vec<u64> = maps
            .iter()
            .filter(|(s, m)| **s >= start && **s + m.size as u64 <= end)
            .map(|(s, _)| *s)
            .collect();
        let mut rele = Vec::new();
        for s in gone {
            rele.push(maps.remove(&s).unwrap().uobj);
        }
        drop(maps);
        for u in rele {
            self.uobj_rele(u);
        }
    }

    fn pmap_create(&self) -> Option<PmapH> {
        if self.should_fail(Fail::PmapCreate) {
            return None;
        }
        self.0.pmaps.fetch_add(1, Ordering::SeqCst);
        if let Some(pm) = self.0.free_pmaps.lock().unwrap().pop() {
            pm.refs.store(1, Ordering::SeqCst);
            return Some(PmapH(pm));
        }
        Some(PmapH(Box::leak(Box::new(Pmap {
            refs: AtomicUsize::new(1),
            resident: AtomicUsize::new(0),
            removes: Mutex::new(Vec::new()),
        }))))
    }
    unsafe fn pmap_reference(&self, pm: PmapH) {
        let prev = pm.0.refs.fetch_add(1, Ordering::SeqCst);
        assert!(prev > 0, "pmap_reference on a destroyed pmap");
    }
    unsafe fn pmap_destroy(&self, pm: PmapH) {
        let refs = pm.0.refs.fetch_sub(1, Ordering::SeqCst);
        assert!(refs > 0, "pmap_destroy of a destroyed pmap");
        if refs > 1 {
            return;
        }
        let prev = self.0.pmaps.fetch_sub(1, Ordering::SeqCst);
        assert!(prev > 0, "pmap_destroy of more than were created");
        if self.0.recycle.load(Ordering::SeqCst) {
            pm.0.removes.lock().unwrap().clear();
            pm.0.resident.store(0, Ordering::SeqCst);
            self.0.free_pmaps.lock().unwrap().push(pm.0);
        }
    }
    unsafe fn pmap_remove(&self, pm: PmapH, sva: u64, eva: u64) {
        pm.0.removes.lock().unwrap().push((sva, eva));
    }
    unsafe fn pmap_resident_count(&self, pm: PmapH) -> usize {
        pm.0.resident.load(Ordering::SeqCst)
    }

    fn copyin(&self, uaddr: u64, dst: &mut [u8]) -> KResult {
        let pid = self.cur().pid;
        match self.user_read(pid, uaddr, dst.len()) {
            Some(v) => {
                dst.copy_from_slice(&v);
                Ok(())
            }
            None => Err(Errno::EFAULT),
        }
    }
    fn copyout(&self, src: &[u8], uaddr: u64) -> KResult {
        if src.is_empty() {
            return Ok(());
        }
        let p = self.cur();
        let ro = p.readonly.lock().unwrap().clone();
        if let Some((&start, buf)) = p.user.lock().unwrap().range(..=uaddr).next_back() {
            if ro.contains(&start) && uaddr < start + buf.len() as u64 {
                return Err(Errno::EFAULT);
            }
        }
        self.user_write(p.pid, uaddr, src).ok_or(Errno::EFAULT)
    }

    fn curproc(&self) -> ProcH {
        ProcH(self.cur().pid)
    }
    fn pledge_fail(&self, p: ProcH, e: Errno) -> Errno {
        self.proc(p.0)
            .pledge_violations
            .fetch_add(1, Ordering::SeqCst);
        e
    }
    fn thread_check(&self) -> vmm_kernel::ThreadCheck {
        vmm_kernel::ThreadCheck {
            signal: self.cur().sigpending.load(Ordering::SeqCst),
            yield_cpu: self.0.yield_now.load(Ordering::SeqCst),
        }
    }

    fn nanouptime(&self) -> u64 {
        1_000
    }
    fn nanoboottime(&self) -> (u64, u32) {
        (1_767_225_600, 0)
    }
    fn log(&self, fmt: &'static CStr, a: u64, b: u64) {
        let s = fmt
            .to_string_lossy()
            .replacen("%lu", &a.to_string(), 1)
            .replacen("%lu", &b.to_string(), 1);
        let mut log = self.0.log.lock().unwrap();
        // Bounded, so that long fuzzing runs do not grow without limit.
        if log.len() >= 4096 {
            log.remove(0);
        }
        log.push(s);
    }
}

// SAFETY: the amd64 services of the double touch only its own
// bookkeeping and the slices they are given.
unsafe impl KernelAmd64 for HostKernel {
    unsafe fn pmap_convert(&self, _pm: PmapH, _ept: bool) {}
    unsafe fn pmap_root(&self, pm: PmapH) -> u64 {
        pm.0 as *const Pmap as u64
    }
    unsafe fn pmap_set_eptp(&self, _pm: PmapH, _eptp: u64) {}
    unsafe fn pmap_extract(&self, _pm: PmapH, _gpa: u64) -> Option<u64> {
        None
    }
    unsafe fn guest_fault(&self, _p: ProcH, pm: PmapH, _hva: u64, _gpa: u64) -> KResult {
        pm.0.resident.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    unsafe fn guest_read(&self, _pm: PmapH, _gpa: u64, _buf: &mut [u8]) -> KResult {
        Err(Errno::EFAULT)
    }
    unsafe fn guest_write(&self, _pm: PmapH, _gpa: u64, _buf: &[u8]) -> KResult {
        Err(Errno::EFAULT)
    }
    fn tsc_frequency(&self) -> u64 {
        1_000_000_000
    }
    fn tsc_is_invariant(&self) -> bool {
        true
    }
    fn cpu_vmm_on(&self) -> bool {
        self.0.cpu_vmm.load(Ordering::SeqCst)
    }
    fn cpu_set_vmm_on(&self, on: bool) {
        self.0.cpu_vmm.store(on, Ordering::SeqCst);
    }
    fn broadcast_vmm(&self, _start: bool) {}
    fn cpu_id(&self) -> u32 {
        CPU.with(Cell::get)
    }
    fn cpu_kick(&self, cpu: u32) {
        self.0.kicks.lock().unwrap().push(cpu);
    }
    fn cpu_vmxon_region(&self, _revision: u32) -> Option<u64> {
        Some(0x2000)
    }
    unsafe fn cpu_set_ept_pmap(&self, _pm: PmapH) {}
    fn xsave_mask(&self) -> u64 {
        0x7
    }
    fn fpu_area_size(&self) -> usize {
        832
    }
    unsafe fn fpu_enter_guest(&self, _area: &mut [u8], _loaded: bool, xcr0: u64) -> KResult {
        if xcr0 & 1 == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }
    unsafe fn fpu_exit_guest(&self, _area: &mut [u8]) -> u64 {
        0x7
    }
}

impl HostKernel {
    /// The memory object behind a guest mapping of `pid` at `addr`.
    pub fn mapping_uobj(&self, pid: i32, addr: u64) -> Option<UobjH> {
        self.proc(pid)
            .maps
            .lock()
            .unwrap()
            .get(&addr)
            .map(|m| m.uobj)
    }
}

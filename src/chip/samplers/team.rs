//! A fork-join team of threads that stay awake between short jobs.
//!
//! A checkerboard sweep of a 256 x 256 lattice redraws each colour in about 9 us. Handing
//! each colour to a thread pool costs about as much again: a pool's idle workers sleep, and
//! waking one is a system call and a scheduler round trip, several per sweep (measured: two
//! threads at 2.1 flips/ns against one thread's 3.6). The team keeps its helper threads
//! spinning on an atomic flag for a while after each job (then parks them, so an idle team
//! costs nothing), so a job reaches them in well under a microsecond. A waiting thread spins
//! for 20 us only and then blocks until it is woken, so on a machine with more busy threads
//! than cores (a study running chips side by side, a test suite) the team falls back to what a
//! pool costs instead of burning time slices while the thread it waits for is not running.
//!
//! [`Team::run`] posts one job to each helper, runs one on the calling thread, takes back the
//! jobs no helper has started, and waits for the rest; the jobs borrow from the caller's
//! stack, which is sound because `run` does not return (or unwind) before every helper has
//! finished with or given up its job. Jobs that claim their work from a shared counter (as
//! the lattice sampler's do, one chunk at a time) then balance themselves: a helper that the
//! operating system has not scheduled costs the caller nothing. Which thread runs which piece
//! of work does not change what it computes when each piece owns its random streams.

use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

const IDLE: u32 = 0;
const READY: u32 = 1;
const RUNNING: u32 = 2;
const DONE: u32 = 3;
const FAILED: u32 = 4;
const EXIT: u32 = 5;

/// How long a waiting thread spins before it blocks: longer than the gap between a sweep's
/// two colours, short against an operating-system time slice.
const SPIN_FOR: Duration = Duration::from_micros(20);

/// Spins (of [`std::hint::spin_loop`]) between looks at the clock.
const SPINS_PER_LOOK: u32 = 64;

/// A job as a helper sees it: its lifetime erased (see [`Team::run`]).
type Job = *mut (dyn FnMut() + Send + 'static);

/// One helper's mailbox.
struct Slot {
    state: AtomicU32,
    job: UnsafeCell<Option<Job>>,
    /// The thread that posted the job, woken when it is done.
    owner: UnsafeCell<Option<std::thread::Thread>>,
}

// SAFETY: `job` and `owner` are written by the caller only while `state` is IDLE (the helper
// is not reading them) and taken by the helper only after it has moved `state` from READY to
// RUNNING (AcqRel, after the caller's Release); the job is then used by that helper alone
// until it stores DONE or FAILED. A job taken back (READY -> IDLE by the caller) was never
// touched by the helper.
unsafe impl Sync for Slot {}
unsafe impl Send for Slot {}

/// The calling thread plus `helpers` threads.
pub struct Team {
    slots: Vec<Arc<Slot>>,
    handles: Vec<JoinHandle<()>>,
}

impl Team {
    /// A team of the calling thread and `helpers` more.
    ///
    /// # Panics
    /// If a thread cannot be spawned.
    pub fn new(helpers: usize) -> Team {
        let mut slots = Vec::with_capacity(helpers);
        let mut handles = Vec::with_capacity(helpers);
        for k in 0..helpers {
            let slot = Arc::new(Slot {
                state: AtomicU32::new(IDLE),
                job: UnsafeCell::new(None),
                owner: UnsafeCell::new(None),
            });
            let mine = Arc::clone(&slot);
            let handle = std::thread::Builder::new()
                .name(format!("pbitsim-team-{}", k + 1))
                .spawn(move || helper(&mine))
                .expect("cannot spawn a sampler thread");
            slots.push(slot);
            handles.push(handle);
        }
        Team { slots, handles }
    }

    /// Threads in the team, the calling one included.
    pub fn size(&self) -> usize {
        self.slots.len() + 1
    }

    /// Runs `jobs[0]` on the calling thread and offers `jobs[k]` to helper k; returns when
    /// every job has finished or been taken back unstarted (so a job may not run at all). A
    /// panic in any job is raised here after all have stopped.
    ///
    /// # Panics
    /// If `jobs.len()` is not [`Team::size`], or a job panicked.
    pub fn run<F: FnMut() + Send>(&self, jobs: &mut [F]) {
        assert_eq!(jobs.len(), self.size(), "one job per thread of the team");
        let (mine, theirs) = jobs.split_first_mut().expect("a team has the calling thread");
        for ((slot, handle), job) in self.slots.iter().zip(&self.handles).zip(theirs.iter_mut()) {
            let job: *mut (dyn FnMut() + Send + '_) = job as &mut (dyn FnMut() + Send);
            // SAFETY: only the lifetime is erased; this function waits below until the
            // helper has finished with the job, so the borrow outlives every use of it.
            let job: Job = unsafe { std::mem::transmute(job) };
            // SAFETY: the slot is IDLE (every earlier run waited for DONE and reset it).
            unsafe {
                *slot.job.get() = Some(job);
                *slot.owner.get() = Some(std::thread::current());
            }
            slot.state.store(READY, Ordering::Release);
            handle.thread().unpark();
        }
        let outcome = catch_unwind(AssertUnwindSafe(mine));
        let mut failed = outcome.is_err();
        for slot in &self.slots {
            // a helper that has not started yet is not waited for: its job is taken back
            // (jobs that share their work out dynamically then find nothing left anyway)
            if slot.state.compare_exchange(READY, IDLE, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                // SAFETY: the helper never took the job (it takes it only after moving the
                // state from READY to RUNNING), and the slot is IDLE again.
                unsafe {
                    *slot.job.get() = None;
                    *slot.owner.get() = None;
                }
                continue;
            }
            if wait_while(&slot.state, |s| s != DONE && s != FAILED, Duration::from_micros(100)) == FAILED {
                failed = true;
            }
            slot.state.store(IDLE, Ordering::Relaxed);
        }
        if failed {
            panic!("a sampler thread panicked");
        }
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        for (slot, handle) in self.slots.iter().zip(&self.handles) {
            slot.state.store(EXIT, Ordering::Release);
            handle.thread().unpark();
        }
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}

/// Waits while `busy(state)`: spins for [`SPIN_FOR`], then parks (woken by an unpark, or
/// after `nap` to look again). Returns the state that ended the wait.
fn wait_while(state: &AtomicU32, busy: impl Fn(u32) -> bool, nap: Duration) -> u32 {
    let start = std::time::Instant::now();
    loop {
        for _ in 0..SPINS_PER_LOOK {
            let s = state.load(Ordering::Acquire);
            if !busy(s) {
                return s;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() > SPIN_FOR {
            std::thread::park_timeout(nap);
        }
    }
}

/// A helper's loop: wait for a job (spinning, then parked), run it, report and wake the
/// thread that posted it.
fn helper(slot: &Slot) {
    loop {
        if wait_while(&slot.state, |s| s != READY && s != EXIT, Duration::from_millis(10)) == EXIT {
            return;
        }
        if slot.state.compare_exchange(READY, RUNNING, Ordering::AcqRel, Ordering::Acquire).is_err() {
            continue; // taken back by the caller, or told to exit
        }
        // SAFETY: READY was stored (Release) after the job and owner were written; the caller
        // keeps the job alive until this helper stores DONE or FAILED, and writes neither
        // field again before it has seen that.
        let (job, owner) = unsafe {
            ((*slot.job.get()).take().expect("a READY slot holds a job"), (*slot.owner.get()).take())
        };
        let ok = catch_unwind(AssertUnwindSafe(|| unsafe { (*job)() })).is_ok();
        slot.state.store(if ok { DONE } else { FAILED }, Ordering::Release);
        if let Some(owner) = owner {
            owner.unpark();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_work_is_done_exactly_once_per_run() {
        // work claimed from a shared counter is done exactly once, whoever runs it
        let team = Team::new(2);
        let cells: Vec<std::sync::atomic::AtomicU64> = (0..64).map(|_| Default::default()).collect();
        for _ in 0..1000 {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let (cells, next) = (&cells, &next);
            let mut jobs: Vec<_> = (0..team.size())
                .map(|_| {
                    move || {
                        while let Some(c) = cells.get(next.fetch_add(1, Ordering::Relaxed)) {
                            c.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
                .collect();
            team.run(&mut jobs);
        }
        assert!(cells.iter().all(|c| c.load(Ordering::Relaxed) == 1000));
    }

    #[test]
    fn a_panicking_job_is_reported_after_all_stop() {
        let team = Team::new(1);
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut jobs: Vec<_> = (0..2).map(|_| || panic!("job failed")).collect();
            team.run(&mut jobs);
        }));
        assert!(result.is_err());
        // the team still works afterwards
        let n = std::sync::atomic::AtomicUsize::new(0);
        let mut jobs: Vec<_> = (0..2).map(|_| || _ = n.fetch_add(1, Ordering::Relaxed)).collect();
        team.run(&mut jobs);
        assert!((1..=2).contains(&n.load(Ordering::Relaxed)));
    }
}

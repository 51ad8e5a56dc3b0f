//! A fork-join team of threads that stay awake between short jobs.
//!
//! A checkerboard sweep of a 256 x 256 lattice redraws each colour in about 9 us. Handing
//! each colour to a thread pool costs about as much again: a pool's idle workers sleep, and
//! waking one is a system call and a scheduler round trip, several per sweep (measured: two
//! threads at 2.1 flips/ns against one thread's 3.6). The team keeps its helper threads
//! spinning on an atomic flag for a while after each job (then parks them, so an idle team
//! costs nothing), so a job reaches them in well under a microsecond.
//!
//! [`Team::run`] runs one job on the calling thread and one on each helper and returns when
//! all are done; the jobs borrow from the caller's stack, which is sound because `run` does
//! not return (or unwind) before every helper has finished with its job. Which thread runs
//! which job does not change what a job computes, so results stay independent of the team's
//! size when each job owns its random streams.

use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

const IDLE: u32 = 0;
const READY: u32 = 1;
const DONE: u32 = 2;
const FAILED: u32 = 3;
const EXIT: u32 = 4;

/// Spins of an idle helper before it parks (about a millisecond).
const SPINS: u32 = 1 << 15;

/// A job as a helper sees it: its lifetime erased (see [`Team::run`]).
type Job = *mut (dyn FnMut() + Send + 'static);

/// One helper's mailbox.
struct Slot {
    state: AtomicU32,
    job: UnsafeCell<Option<Job>>,
}

// SAFETY: `job` is written by the caller only while `state` is IDLE (helper not reading)
// and read by the helper only after it has seen READY (Acquire after the caller's Release);
// the pointer it holds is used by that helper alone until it stores DONE or FAILED.
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
            let slot = Arc::new(Slot { state: AtomicU32::new(IDLE), job: UnsafeCell::new(None) });
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

    /// Runs `jobs[0]` on the calling thread and `jobs[k]` on helper k, and returns when all
    /// have finished. A panic in any job is raised here after all have stopped.
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
            unsafe { *slot.job.get() = Some(job) };
            slot.state.store(READY, Ordering::Release);
            handle.thread().unpark();
        }
        let outcome = catch_unwind(AssertUnwindSafe(mine));
        let mut failed = outcome.is_err();
        for slot in &self.slots {
            let mut spins = 0u32;
            loop {
                match slot.state.load(Ordering::Acquire) {
                    DONE => break,
                    FAILED => {
                        failed = true;
                        break;
                    }
                    _ if spins < SPINS => {
                        spins += 1;
                        std::hint::spin_loop();
                    }
                    _ => std::thread::yield_now(),
                }
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

/// A helper's loop: wait for a job (spinning, then parked), run it, report.
fn helper(slot: &Slot) {
    loop {
        let mut spins = 0u32;
        loop {
            match slot.state.load(Ordering::Acquire) {
                READY => break,
                EXIT => return,
                _ if spins < SPINS => {
                    spins += 1;
                    std::hint::spin_loop();
                }
                _ => std::thread::park_timeout(Duration::from_millis(1)),
            }
        }
        // SAFETY: READY was stored (Release) after the job was written; the caller keeps
        // the job alive until this helper stores DONE or FAILED.
        let job = unsafe { (*slot.job.get()).take() }.expect("a READY slot holds a job");
        let ok = catch_unwind(AssertUnwindSafe(|| unsafe { (*job)() })).is_ok();
        slot.state.store(if ok { DONE } else { FAILED }, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_runs_once_per_run() {
        let team = Team::new(2);
        let mut counts = [0u64; 3];
        for _ in 0..1000 {
            let mut jobs: Vec<_> = counts.iter_mut().zip(1..).map(|(c, k)| move || *c += k).collect();
            team.run(&mut jobs);
        }
        assert_eq!(counts, [1000, 2000, 3000]);
    }

    #[test]
    fn a_panicking_job_is_reported_after_all_stop() {
        let team = Team::new(1);
        let mut done = [false; 2];
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut jobs: Vec<_> = done
                .iter_mut()
                .enumerate()
                .map(|(k, d)| {
                    move || {
                        assert!(k == 0, "job {k} failed");
                        *d = true;
                    }
                })
                .collect();
            team.run(&mut jobs);
        }));
        assert!(result.is_err() && done[0] && !done[1]);
        // the team still works afterwards
        let mut n = [0; 2];
        let mut jobs: Vec<_> = n.iter_mut().map(|c| move || *c += 1).collect();
        team.run(&mut jobs);
        assert_eq!(n, [1, 1]);
    }
}

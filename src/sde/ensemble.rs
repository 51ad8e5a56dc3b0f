//! Ensembles of independent trajectories over rayon, bit-identical for any thread count: run
//! `i` always draws from stream (seed, Trajectory, i), whichever thread runs it, and results
//! come back in run order.

use rayon::prelude::*;

use crate::rng::{Domain, Seed, StreamRng};

/// Run `f` on `threads` threads (0: rayon's global pool, which uses every core).
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    if threads == 0 {
        return f();
    }
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(f),
        // The OS refused new threads: run on the global pool; results are the same.
        Err(_) => f(),
    }
}

/// Run `runs` trajectories, run `i` with its own generator from stream (seed, Trajectory, i).
/// Stops at the first error (by run order).
pub fn ensemble<T, E, F>(runs: usize, seed: Seed, threads: usize, run: F) -> Result<Vec<T>, E>
where
    T: Send,
    E: Send,
    F: Fn(usize, &mut StreamRng) -> Result<T, E> + Sync + Send,
{
    with_threads(threads, || {
        (0..runs)
            .into_par_iter()
            .map(|i| {
                let mut rng = seed.stream(Domain::Trajectory, i as u64);
                run(i, &mut rng)
            })
            .collect()
    })
}

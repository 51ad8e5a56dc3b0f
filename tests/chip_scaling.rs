//! Sweep time against cell count (1e4 .. 1e7 cells), ideal Ising lattice path, per-edge f32
//! couplings, degree 4 and 12, 1 and 2 threads. A measurement, not a test: ignored by default.
//!
//!     CARGO_TARGET_DIR=/work/target-chip cargo test --release --test chip_scaling -- --ignored --nocapture

use pbitsim::chip::description::model::random_couplings;
use pbitsim::chip::samplers::lattice_gibbs::LatticeIsing;
use pbitsim::chip::{
    Boundary, IdealCell, Lattice, Model, ModelKind, Sampler, Topology, samplers::sampler::initial_state,
};
use pbitsim::rng::Seed;
use std::time::Instant;

/// CPU time (user + system) of this process in seconds, from /proc/self/stat (Linux; the
/// machine is shared, so wall time alone understates the speed when others are running).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the ')'; ticks of 1/100 s
    let ticks = |k: usize| f.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[test]
#[ignore]
fn sweep_time_table() {
    println!("| cells | L | degree | bytes/cell | threads | ms/sweep | flips/ns (wall) | flips/ns (CPU) |");
    println!("|---|---|---|---|---|---|---|---|");
    for l in [100usize, 316, 1000, 3162] {
        for degree in [4, 12] {
            let lat = Lattice::new(l, Boundary::Torus, degree).unwrap();
            let t = Topology::Lattice(lat.clone());
            let model = Model {
                kind: ModelKind::Ising,
                beta: 0.3,
                couplings: random_couplings(&t, 1, 1.0, Default::default()),
                fields: vec![0.0; l * l],
                diagonal: vec![],
            };
            let init = initial_state(ModelKind::Ising, l * l, Default::default(), Seed(1));
            let mut s = LatticeIsing::new(&lat, &model, IdealCell::new(0.3), &init, &[], Seed(2)).unwrap();
            drop(model);
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                s.sweep(&pool);
                let reps = (1e8 / (l * l) as f64).ceil().max(10.0) as usize;
                let (t0, c0) = (Instant::now(), cpu_seconds());
                for _ in 0..reps {
                    s.sweep(&pool);
                }
                let dt = t0.elapsed().as_secs_f64() / reps as f64;
                let cpu = (cpu_seconds() - c0) / reps as f64;
                println!(
                    "| {} | {l} | {degree} | {:.1} | {threads} | {:.3} | {:.3} | {:.3} |",
                    l * l,
                    s.bytes_per_cell(),
                    dt * 1e3,
                    (l * l) as f64 / (dt * 1e9),
                    (l * l) as f64 / (cpu * 1e9)
                );
            }
        }
    }
}

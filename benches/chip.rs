//! Speed of ideal block Gibbs on the Ising lattice path with per-edge f32 couplings (random
//! N(0, 1), stored once per undirected edge; no fields): one iteration = one sweep (every cell once), so
//! criterion's element throughput is cell updates per second (flips/ns = Gelem/s).
//!
//!     cargo bench --bench chip
//!
//! Also prints the memory per cell of each case. The sweep-time table against cell count
//! (1e4 .. 1e7 cells) is `tests/chip_scaling.rs` (ignored test).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pbitsim::chip::description::model::random_couplings;
use pbitsim::chip::samplers::lattice_gibbs::LatticeIsing;
use pbitsim::chip::{
    Boundary, IdealCell, Lattice, Model, ModelKind, Sampler, StateBuf, Topology,
    samplers::sampler::initial_state,
};
use pbitsim::rng::Seed;
use std::time::Duration;

fn sampler(l: usize, degree: usize) -> LatticeIsing<IdealCell> {
    let lat = Lattice::new(l, Boundary::Torus, degree).unwrap();
    let t = Topology::Lattice(lat.clone());
    let model = Model {
        kind: ModelKind::Ising,
        beta: 0.3,
        couplings: random_couplings(&t, 1, 1.0, Default::default()),
        fields: vec![0.0; l * l],
        diagonal: vec![],
    };
    let init: StateBuf = initial_state(ModelKind::Ising, l * l, Default::default(), Seed(1));
    LatticeIsing::new(&lat, &model, IdealCell::new(0.3), &init, &[], Seed(2)).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("chip_sweep");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for l in [256, 1024] {
        for degree in [4, 12] {
            let mut s = sampler(l, degree);
            eprintln!("L {l} degree {degree}: {:.1} bytes per cell", s.bytes_per_cell());
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                g.throughput(Throughput::Elements((l * l) as u64));
                g.bench_function(format!("L{l}_deg{degree}_threads{threads}"), |b| b.iter(|| s.sweep(&pool)));
            }
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

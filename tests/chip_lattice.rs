//! The lattice fast path's implicit neighbour geometry (row offsets per colour, row parity and
//! direction) against the explicit neighbour list of `Lattice::neighbour` (used by
//! `Model::ising_energy`): after a few sweeps with random couplings and fields, the energy the
//! sampler computes from its own layout must equal the energy of its state computed edge by
//! edge, for every degree, torus and open. A wrong offset pairs a spin with the wrong
//! neighbour or coupling and changes the energy.

use pbitsim::chip::run::build_sampler;
use pbitsim::chip::{Boundary, Chip, IdealCell, Lattice, Model, ModelKind, Schedule, StateBuf, Topology};
use pbitsim::rng::Seed;

#[test]
fn fast_path_energy_matches_edge_list() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    for degree in [4, 8, 12, 16, 20] {
        for (l, b) in [(64, Boundary::Torus), (50, Boundary::Open)] {
            let t = Topology::Lattice(Lattice::new(l, b, degree).unwrap());
            let couplings = pbitsim::chip::description::model::random_couplings(
                &t,
                degree as u64,
                1.0,
                Default::default(),
            );
            let fields = pbitsim::chip::description::model::random_fields(l * l, 1, 3, 0.5);
            let model = Model { kind: ModelKind::Ising, beta: 0.3, couplings, fields, diagonal: vec![] };
            let chip = Chip::new(t, model).unwrap();
            let mut s = build_sampler(&chip, IdealCell::new(0.3), &Schedule::default(), Seed(1)).unwrap();
            let mut state = StateBuf::Spins(vec![0; l * l]);
            for _ in 0..3 {
                s.sweep(&pool);
                s.read(&mut state);
                let StateBuf::Spins(v) = &state else { unreachable!() };
                let exact = chip.model.ising_energy(&chip.topology, v);
                let got = s.energy();
                // f32 couplings summed in f32 per cell: relative error ~1e-6 per term
                assert!(
                    (got - exact).abs() < 1e-4 * (l * l * degree) as f64 * 1e-2,
                    "L {l} {b:?} degree {degree}: {got} vs {exact}"
                );
            }
        }
    }
}

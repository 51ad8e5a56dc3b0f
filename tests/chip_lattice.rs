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

/// The marginal counts the lattice sampler keeps where the cells are drawn (so that the
/// runner need not copy the state per sample) against counts made from the states it
/// returns, after each kernel: every build (portable, AVX2, AVX-512 where the CPU has it), f32
/// and integer fields (Gaussian and +-1 couplings) with fields, rows of 48 cells (full
/// blocks), 35 (paired tails of 3) and 49 (an unpaired tail), one and several chunks, three
/// clamped cells, counting every other sweep for 600 sweeps (the byte counters are emptied
/// every 255 counted sweeps), on one and two threads.
#[test]
fn kept_up_counts_match_counts_of_the_read_states() {
    use pbitsim::chip::samplers::lattice_gibbs::LatticeIsing;
    use pbitsim::chip::samplers::sampler::Sampler;
    let avx512 = cfg!(target_arch = "x86_64") && {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512bw")
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    };
    // rows of 48 cells; of 35 (a tail of 3, rows paired); of 49 in two chunks of 49 rows (the
    // last row of each chunk unpaired: a tail of one cell on its own)
    for (l, degree) in [(96, 4), (70, 12), (98, 12)] {
        let lat = Lattice::new(l, Boundary::Torus, degree).unwrap();
        let t = Topology::Lattice(lat.clone());
        let gauss = pbitsim::chip::description::model::random_couplings(&t, 7, 1.0, Default::default());
        let pm = pbitsim::chip::description::model::random_couplings(
            &t,
            7,
            1.0,
            pbitsim::chip::description::model::RandomKind::Pm,
        );
        // Gaussian fields with Gaussian couplings (f32 local fields); fields of -1, 0, +1 with
        // +-1 couplings (integer local fields)
        let real = pbitsim::chip::description::model::random_fields(l * l, 1, 3, 0.5);
        let int: Vec<f32> = (0..l * l).map(|i| ((i * 7) % 3) as f32 - 1.0).collect();
        for (couplings, fields) in [(gauss, real), (pm, int)] {
            let model = Model {
                kind: ModelKind::Ising,
                beta: 0.4,
                couplings: couplings.clone(),
                fields: fields.clone(),
                diagonal: vec![],
            };
            let clamp = [(0, 1.0), (97, -1.0), (l * l - 1, 1.0)];
            for (avx2, wide) in [(false, false), (true, false), (true, true)] {
                if wide && !avx512 {
                    continue;
                }
                for threads in [1, 2] {
                    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                    let init = StateBuf::Spins(vec![1; l * l]);
                    let mut s =
                        LatticeIsing::new(&lat, &model, IdealCell::new(0.4), &init, &clamp, Seed(3)).unwrap();
                    s.set_allow_avx2(avx2);
                    s.set_allow_avx512(wide);
                    let integer = matches!(couplings, pbitsim::chip::description::model::Couplings::PerEdge(ref v) if v.iter().all(|j| j.abs() == 1.0));
                    assert_eq!(s.kernel().local_field.contains("integer"), integer, "the field form meant");
                    let mut state = StateBuf::Spins(vec![0; l * l]);
                    let mut read_counts = vec![0u64; l * l];
                    let mut counted = 0u64;
                    for sweep in 0..600 {
                        let count = sweep % 2 == 1;
                        if count {
                            assert!(s.count_next_sweep(), "the lattice sampler keeps counts");
                        }
                        s.sweep(&pool);
                        if count {
                            s.read(&mut state);
                            let StateBuf::Spins(v) = &state else { unreachable!() };
                            for (c, &x) in read_counts.iter_mut().zip(v) {
                                *c += (x > 0) as u64;
                            }
                            counted += 1;
                        }
                    }
                    let case =
                        format!("L {l}, degree {degree}, avx2 {avx2}, avx512 {wide}, {threads} threads");
                    let (kept, sweeps) = s.up_counts().expect("counts kept");
                    assert_eq!(sweeps, counted, "{case}");
                    assert_eq!(read_counts[0], counted, "{case}: a cell clamped up is up in every sample");
                    assert_eq!(read_counts[97], 0, "{case}: a cell clamped down is never up");
                    let differ = kept.iter().zip(&read_counts).filter(|(a, b)| a != b).count();
                    assert_eq!(differ, 0, "{case}: {differ} cells counted otherwise");
                    assert!(read_counts.iter().any(|&c| c > 0 && c < counted), "{case}: cells that flip");
                }
            }
        }
    }
}

//! Evaluation of large machines: annealed importance sampling of ln Z on the chip's samplers
//! against exact enumeration of a machine small enough to enumerate (free, and with the
//! visible cells clamped), within 5 of its own standard errors; and the library's Gray-code
//! enumeration (ln Z and moments) against a plain sum over states written here.

use pbitsim::chip::{Boundary, Chip, Couplings, Lattice, Model, ModelKind, Topology};
use pbitsim::rng::Seed;
use pbitsim::train::ais::log_partition;
use pbitsim::train::exact::enumerate;
use pbitsim::train::machine::Machine;
use pbitsim::train::placement::Placement;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

/// A 4 x 4 torus (degree 4, 16 cells, 32 edges) with couplings N(0.2, 0.6) and fields
/// N(0, 0.4), beta = 1; visible cells 0-3.
fn machine() -> (Machine, Model) {
    let topology = Topology::Lattice(Lattice::new(4, Boundary::Torus, 4).unwrap());
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
    let j = Normal::new(0.2, 0.6).unwrap();
    let h = Normal::new(0.0, 0.4).unwrap();
    let couplings: Vec<f32> = (0..topology.edge_slots()).map(|_| j.sample(&mut rng) as f32).collect();
    let fields: Vec<f32> = (0..16).map(|_| h.sample(&mut rng) as f32).collect();
    let model = Model {
        kind: ModelKind::Ising,
        beta: 1.0,
        couplings: Couplings::PerEdge(couplings),
        fields,
        diagonal: vec![],
    };
    let chip = Chip::new(topology, model.clone()).unwrap();
    let placement = Placement { visible: (0..4).collect(), inputs: vec![], stride: None };
    (Machine::new(chip, &placement, 0), model)
}

/// ln Z by summing exp(-beta E(s)) over every state with cells `clamp` fixed, and <s_i>.
fn brute(machine: &Machine, model: &Model, clamp: &[(usize, f64)]) -> (f64, Vec<f64>) {
    let n = machine.cells();
    let mut edges = vec![];
    machine.chip.topology.for_each_edge(|e, i, j| edges.push((i, j, model.couplings.get(e) as f64)));
    let mut terms = vec![];
    let mut states = vec![];
    for idx in 0u32..1 << n {
        let s: Vec<f64> = (0..n).map(|i| if idx >> i & 1 == 1 { 1.0 } else { -1.0 }).collect();
        if clamp.iter().any(|&(c, v)| s[c] != v) {
            continue;
        }
        let e = -(0..n).map(|i| model.fields[i] as f64 * s[i]).sum::<f64>()
            - edges.iter().map(|&(i, j, v)| v * s[i] * s[j]).sum::<f64>();
        terms.push(-model.beta * e);
        states.push(s);
    }
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = terms.iter().map(|t| (t - max).exp()).sum();
    let mean = (0..n)
        .map(|i| states.iter().zip(&terms).map(|(s, t)| s[i] * (t - max).exp()).sum::<f64>() / z)
        .collect();
    (max + z.ln(), mean)
}

#[test]
fn enumeration_matches_a_plain_sum() {
    let (m, model) = machine();
    for clamp in [vec![], vec![(0, 1.0), (5, -1.0)]] {
        let (log_z, mean) = brute(&m, &model, &clamp);
        let e = enumerate(&m, &model, &clamp, true).unwrap();
        assert!((e.log_z - log_z).abs() < 1e-9, "{} vs {log_z}", e.log_z);
        for (a, b) in e.mean_s.iter().zip(&mean) {
            assert!((a - b).abs() < 1e-9);
        }
    }
    // <s_i s_j> is d ln Z / d (beta J_ij): central difference of the exact ln Z
    let k = 7;
    let bump = |d: f32| {
        let mut mm = model.clone();
        if let Couplings::PerEdge(v) = &mut mm.couplings {
            v[m.edges[k].id] += d;
        }
        enumerate(&m, &mm, &[], false).unwrap().log_z
    };
    let d = 1e-2f32;
    let derivative = (bump(d) - bump(-d)) / (2.0 * d as f64);
    let e = enumerate(&m, &model, &[], true).unwrap();
    assert!((e.mean_ss[k] - derivative).abs() < 1e-4, "{} vs {derivative}", e.mean_ss[k]);
}

#[test]
fn ais_agrees_with_enumeration_within_its_error() {
    let (m, model) = machine();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    for (k, clamp) in [vec![], vec![(0, 1.0), (1, -1.0), (2, 1.0), (3, 1.0)]].into_iter().enumerate() {
        let exact = brute(&m, &model, &clamp).0;
        let est = log_partition(&m, &model, &clamp, 64, 1000, Seed(10 + k as u64), &pool).unwrap();
        eprintln!(
            "ln Z: AIS {:.4} +- {:.4} ({:.0} effective runs), exact {exact:.4}",
            est.log_z, est.log_z_se, est.effective_runs
        );
        assert!(est.log_z_se > 0.0 && est.log_z_se < 0.05, "{}", est.log_z_se);
        assert!(
            (est.log_z - exact).abs() < 5.0 * est.log_z_se,
            "AIS {} +- {}, exact {exact}",
            est.log_z,
            est.log_z_se
        );
    }
}

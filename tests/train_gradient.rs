//! The chip's gradient estimate (data-clamped and free chains, PCD) against the exact
//! log-likelihood gradient by enumeration (PHYSICS.md 11): averaged over steps at fixed
//! parameters, every component within 5 standard errors (batch means over steps).

use pbitsim::chip::{Chip, Couplings, Graph, IdealCell, Model, ModelKind, Topology};
use pbitsim::rng::Seed;
use pbitsim::train::data::bars_and_stripes;
use pbitsim::train::exact;
use pbitsim::train::machine::Machine;
use pbitsim::train::pcd::{Average, ChainConfig, Estimator, NegativeStart, Target, chains};
use pbitsim::train::placement::Placement;

/// An RBM-like graph: 9 visible cells, 3 hidden cells coupled to every visible one.
fn machine() -> Machine {
    let (nv, nh) = (9, 3);
    let edges: Vec<(u32, u32)> =
        (0..nv).flat_map(|v| (0..nh).map(move |h| (v as u32, (nv + h) as u32))).collect();
    let n = nv + nh;
    let model = Model {
        kind: ModelKind::Ising,
        beta: 1.0,
        couplings: Couplings::PerEdge(vec![0.0; edges.len()]),
        fields: vec![0.0; n],
        diagonal: vec![],
    };
    let chip = Chip::new(Topology::Graph(Graph::new(n, edges).unwrap()), model).unwrap();
    Machine::new(chip, &Placement { visible: (0..nv).collect(), inputs: vec![], stride: None }, 0)
}

#[test]
fn pcd_estimate_matches_the_exact_gradient() {
    let machine = machine();
    // fixed, moderately coupled parameters
    let theta: Vec<f64> =
        (0..machine.parameters()).map(|k| 0.3 * ((k * 7919 % 13) as f64 / 6.0 - 1.0)).collect();
    let dist = bars_and_stripes(3).distribution();
    let (exact, _) = exact::gradient(&machine, &theta, &dist).unwrap();
    let cfg = ChainConfig { method: Default::default(), tau: 1.0, read_interval: 1.0 };
    let cell = IdealCell::new(1.0);
    let b = dist.len();
    let pos = chains(&machine, &cell, &cfg, 0, b, Seed(1)).unwrap();
    let neg = chains(&machine, &cell, &cfg, b, 200, Seed(1)).unwrap();
    let mut est = Estimator::new(pos, neg, 10, NegativeStart::Persistent, Average::Sweeps, &machine).unwrap();
    let targets: Vec<Target> =
        dist.iter().map(|(v, _)| Target { visible: v, inputs: None, class: 0 }).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let (batches, per_batch) = (20, 10);
    let mut means = vec![vec![0.0; exact.len()]; batches];
    for step in 0..(batches * per_batch) as u64 {
        let e = est.estimate(&machine, &theta, &targets, step, Seed(1), &pool).unwrap();
        let m = &mut means[step as usize / per_batch];
        m.iter_mut().zip(&e.gradient).for_each(|(m, g)| *m += g / per_batch as f64);
    }
    let n = batches as f64;
    for (k, &g) in exact.iter().enumerate() {
        let xs: Vec<f64> = means.iter().map(|m| m[k]).collect();
        let mean = xs.iter().sum::<f64>() / n;
        let se = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
        assert!(se > 0.0, "component {k} has no spread");
        assert!((mean - g).abs() < 5.0 * se, "component {k}: chip {mean:.4} +- {se:.4}, exact {g:.4}");
    }
}

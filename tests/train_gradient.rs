//! The chip's gradient estimate against the exact gradient by enumeration.

use pbitsim::chip::{Chip, Couplings, Graph, IdealCell, Model, ModelKind, Topology};
use pbitsim::rng::Seed;
use pbitsim::train::data::bars_and_stripes;
use pbitsim::train::exact;
use pbitsim::train::machine::Machine;
use pbitsim::train::pcd::{Average, ChainConfig, Estimator, NegativeStart, Target, chains};
use pbitsim::train::placement::Placement;

#[test]
fn pcd_estimate_matches_exact_gradient() {
    let (nv, nh) = (9, 3);
    let mut edges = vec![];
    for v in 0..nv {
        for h in 0..nh {
            edges.push((v as u32, (nv + h) as u32));
        }
    }
    let n = nv + nh;
    let topology = Topology::Graph(Graph::new(n, edges.clone()).unwrap());
    let model = Model {
        kind: ModelKind::Ising,
        beta: 1.0,
        couplings: Couplings::PerEdge(vec![0.0; edges.len()]),
        fields: vec![0.0; n],
        diagonal: vec![],
    };
    let chip = Chip::new(topology, model).unwrap();
    let placement = Placement { visible: (0..nv).collect(), inputs: vec![], stride: None };
    let machine = Machine::new(chip, &placement, 0);
    let theta: Vec<f64> =
        (0..machine.parameters()).map(|k| 0.3 * ((k * 7919 % 13) as f64 / 6.0 - 1.0)).collect();
    let data = bars_and_stripes(3);
    let dist = data.distribution();
    let (g, _) = exact::gradient(&machine, &theta, &dist).unwrap();
    let cfg = ChainConfig { method: Default::default(), tau: 1.0, read_interval: 1.0 };
    let b = dist.len();
    let pos = chains(&machine, &IdealCell::new(1.0), &cfg, 0, b, Seed(1)).unwrap();
    let neg = chains(&machine, &IdealCell::new(1.0), &cfg, b, 400, Seed(1)).unwrap();
    let mut est = Estimator::new(pos, neg, 20, NegativeStart::Persistent, Average::Final, &machine).unwrap();
    let targets: Vec<Target> =
        dist.iter().map(|(v, _)| Target { visible: v, inputs: None, class: 0 }).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let mut mean = vec![0.0; g.len()];
    let reps = 400;
    for step in 0..reps {
        let e = est.estimate(&machine, &theta, &targets, step, Seed(1), &pool).unwrap();
        mean.iter_mut().zip(&e.gradient).for_each(|(m, x)| *m += x / reps as f64);
    }
    // exact phases separately
    let model = machine.model(&theta, 0);
    let free = exact::enumerate(&machine, &model, &[], true).unwrap();
    let mut pos = vec![0.0; g.len()];
    for (v, p) in &dist {
        let c = exact::enumerate(&machine, &model, &machine.clamps(None, Some(v)), true).unwrap();
        for (a, x) in pos.iter_mut().zip(c.mean_ss.iter().chain(&c.mean_s)) {
            *a += p * x;
        }
    }
    let neg: Vec<f64> = free.mean_ss.iter().chain(&free.mean_s).copied().collect();
    for (k, (a, b)) in mean.iter().zip(&g).enumerate() {
        eprintln!("{k} {a:.4} {b:.4}  pos {:.4} neg {:.4}", pos[k], neg[k]);
    }
}

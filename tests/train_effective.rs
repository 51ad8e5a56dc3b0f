//! The law calibrated cells realise: the effective model read from the cells' own
//! conditionals against the calibration's formula, and against the chip's samples.

use pbitsim::cell::PbitCell;
use pbitsim::chip::cells::behavioural::PbitCells;
use pbitsim::chip::{Couplings, IdealCell, Model, ModelKind};

use pbitsim::train::evaluate::effective_model;

#[test]
fn effective_model_of_offset_cells_is_the_calibrated_formula() {
    let n = 5;
    let model = Model {
        kind: ModelKind::Ising,
        beta: 0.7,
        couplings: Couplings::PerEdge(vec![0.3; 4]),
        fields: vec![0.1, -0.2, 0.0, 0.4, 0.05],
        diagonal: vec![],
    };
    let offsets = vec![0.004, -0.002, 0.0, 0.01, -0.006];
    let (design_vs, vs) = (0.032, 0.039);
    let cells = PbitCells::new(PbitCell::ideal(0.0, vs, 1e-8, 350.0), design_vs, 0.7, offsets.clone());
    let eff = effective_model(&model, &cells).expect("logistic cells with one slope");
    // P(1) = sigma((g u - o) / Vs), g = 2 beta Vs_design: beta_eff = beta Vs_design / Vs,
    // h_eff = h - o / g
    let g = 2.0 * 0.7 * design_vs;
    assert!((eff.beta - 0.7 * design_vs / vs).abs() < 1e-5 * eff.beta, "{}", eff.beta);
    for i in 0..n {
        let want = model.fields[i] as f64 - offsets[i] / g;
        assert!((eff.fields[i] as f64 - want).abs() < 1e-4, "cell {i}: {} vs {want}", eff.fields[i]);
    }
    let ideal = effective_model(&model, &IdealCell::new(0.7)).unwrap();
    assert!((ideal.beta - 0.7).abs() < 1e-5);
}

mod chip_common;

/// The chip sampling a small spin glass with offset cells at a temperature off the design
/// point draws from the Boltzmann law of the effective model (enumerated independently in
/// tests/chip_common), and not from the ideal one: total variation within twice the sampling
/// noise floor of the former, and more than five floors from the latter.
#[test]
fn chip_with_offset_cells_samples_the_effective_law() {
    use chip_common::*;
    use pbitsim::chip::{Chip, Initial, RunOptions, Schedule, run_chip};
    let n = 7;
    let edges = random_graph(n, 5, 3);
    let j = normals(edges.len(), 0.0, 0.6, 4);
    let h = normals(n, 0.0, 0.5, 5);
    let (t, m) = graph_model(n, edges.clone(), ModelKind::Ising, 1.0, j.clone(), h.clone());
    let chip = Chip::new(t, m.clone()).unwrap();
    let offsets: Vec<f64> = normals(n, 0.0, 0.006, 6).into_iter().map(f64::from).collect();
    let cells = PbitCells::new(PbitCell::ideal(0.0, 0.039, 1e-8, 350.0), 0.032, 1.0, offsets);
    let eff = effective_model(&m, &cells).unwrap();
    let e64: Vec<(usize, usize, f64)> =
        edges.iter().zip(&j).map(|(&(a, b), &jv)| (a as usize, b as usize, jv as f64)).collect();
    let law =
        |h: &[f32], beta: f64| exact_ising(n, &e64, &h.iter().map(|&x| x as f64).collect::<Vec<_>>(), beta);
    let (p_eff, p_ideal) = (law(&eff.fields, eff.beta), law(&h, 1.0));
    let samples = 600_000;
    let schedule = Schedule { warmup: 200, sweeps: samples, initial: Initial::Random, ..Schedule::default() };
    let mut hist = Histogram::new(1 << n, 0);
    let opts = RunOptions { seed: 9, threads: 2, ..Default::default() };
    let st = run_chip(&chip, cells, &schedule, &opts, &mut [&mut hist]).unwrap();
    let floor = tv_noise_floor(&p_eff, samples as f64 / (2.0 * st.tau_int_energy.max(0.5)));
    let (to_eff, to_ideal) = (tv(&p_eff, &hist.counts), tv(&p_ideal, &hist.counts));
    eprintln!("TV to effective law {to_eff:.4}, to ideal law {to_ideal:.4}, noise floor {floor:.4}");
    assert!(floor < 0.01);
    assert!(to_eff < 2.0 * floor, "{to_eff} vs floor {floor}");
    assert!(to_ideal > 5.0 * floor, "{to_ideal} vs floor {floor}");
}

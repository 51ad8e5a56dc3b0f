//! The chip with calibrated p-bit cells (circuits/pbit_calibration.json): the measured
//! effective inverse temperature falls as the chip warms, as the calibrated logistic width
//! Vs(T) predicts, beta_eff(T) = beta Vs(T_design) / Vs(T).
//!
//! Measurement: an uncoupled chip (J = 0) in a uniform field h, where each cell's conditional
//! is its marginal, P(s = +1) = sigma(2 beta_eff h), so the magnetisation is
//! m = tanh(beta_eff h) and beta_eff = atanh(m) / h. With N cells and S independent sweeps
//! (J = 0: sweeps are independent), SE(m) = sqrt((1 - m^2) / (N S)).

use std::path::PathBuf;

use pbitsim::calibration::{Calibration, CellKind};
use pbitsim::cell::PbitCell;
use pbitsim::chip::{ChipConfig, RunOptions, run};

fn calibration_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("circuits/pbit_calibration.json")
}

fn chip(temperature: &str, field: f64) -> ChipConfig {
    let text = format!(
        r#"
[lattice]
size = [64, 64]
boundary = "torus"
degree = 4

[model]
kind = "ising"
beta = 1.0
coupling = 0.0
field = {field}

[cells]
kind = "pbit"
calibration = "{}"
temperature = "{temperature}"
design_temperature = "300K"

[schedule]
method = "block-gibbs"
warmup = 10
sweeps = 400
"#,
        calibration_path().display()
    );
    ChipConfig::parse(&text, "test chip", std::path::Path::new("."), &[]).unwrap()
}

#[test]
fn effective_beta_falls_with_temperature_as_calibrated() {
    let cal = Calibration::load(&calibration_path(), CellKind::Pbit).unwrap();
    let vs = |t: f64| PbitCell::from_calibration(&cal, t).unwrap().vs;
    let h = 0.3;
    let mut measured = Vec::new();
    for (t, label) in [(250.0, "250K"), (300.0, "300K"), (350.0, "350K")] {
        let stats =
            run(&chip(label, h), &RunOptions { seed: 5, threads: 0, ..Default::default() }, &mut []).unwrap();
        let m = stats.mean_magnetization;
        let n = (stats.cells as f64) * (stats.samples as f64);
        let se_m = ((1.0 - m * m) / n).sqrt();
        let beta = m.atanh() / h;
        // d atanh(m)/dm = 1/(1 - m^2).
        let se_beta = se_m / (1.0 - m * m) / h;
        let predicted = vs(300.0) / vs(t);
        eprintln!("{t} K: beta_eff = {beta:.4} +- {se_beta:.4}, predicted {predicted:.4}");
        assert!((beta - predicted).abs() < 4.0 * se_beta, "{t} K: {beta} vs {predicted}");
        measured.push(beta);
    }
    assert!(measured[0] > measured[1] && measured[1] > measured[2], "{measured:?}");
}

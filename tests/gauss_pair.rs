//! The Gaussian sampler pair (circuits/gauss_pair.cir) against independent truths, and its
//! calibrated Gaussian chip against a fresh transistor-level run.
//!
//! Standard errors are batch means: a transistor-level measurement is 8 independent runs of
//! 10 us (run r from its own random stream), each giving its own covariance S_r and gyration
//! rate L_r; se(mean) = sd_r / sqrt(8). The chip's samples are cut into 20 consecutive batches
//! the same way (each batch of 10^4 sweeps is far longer than the chain's correlation time of a
//! few sweeps, so the batches are independent). A calibrated value carries the standard error
//! recorded in the calibration file (jackknife over its runs), interpolated between grid
//! points as sqrt(sum w_k^2 se_k^2). Every comparison allows 4 combined standard errors.
//!
//! Closed forms (PHYSICS.md 9), for the idealised devices of models/zvt_{n,p}.toml (n = 1,
//! V_th = 0, I_0 = 8.75 nA, exponential law) at the midpoint v = 0 of an inverter on +-vdd/2:
//! each transistor conducts I_0/U_T there, so the node's conductance is g = 2 I_0 / U_T
//! whatever the supply, and the shot noise 2 q I_0 (1 + e^{vdd/2U_T}) makes it an RC node
//! at T_eff = T (1 + e^{vdd/2U_T}) / 2. With C the Maxwell capacitance matrix
//! [[ca + cc, -cc], [-cc, cb + cc]]: A = -C^-1 g, D = C^-1 diag(2 k T_a g, 2 k T_b g) C^-1,
//! A S + S A^T + D = 0 (solved here by hand), and at vdda = vddb = 0 S = k T C^-1.

use std::collections::BTreeMap;
use std::path::PathBuf;

use nalgebra::{DMatrix, Matrix2, Matrix3, Vector3};
use pbitsim::chip::cells::gaussian::calibrated_gaussian_chip;
use pbitsim::chip::{ChipConfig, ChipError, IdealCell, Observer, RunOptions, Sample, StateBuf, run_chip};
use pbitsim::circuit::elaborate::Variation;
use pbitsim::rng::Seed;
use pbitsim::simulate::{Engine, SimulateConfig, prepare, run_batch};

const BOLTZMANN: f64 = 1.380649e-23;
const CHARGE: f64 = 1.602176634e-19;
const T: f64 = 300.0;
const C_NODE: f64 = 0.1e-15;
const I0: f64 = 8.75e-9;

/// Covariance matrices and gyration rates of the independent runs of a transistor-level run.
struct Runs {
    covariances: Vec<Matrix2<f64>>,
    gyrations: Vec<f64>,
    interval: f64,
}

impl Runs {
    fn mean_cov(&self) -> Matrix2<f64> {
        self.covariances.iter().sum::<Matrix2<f64>>() / self.covariances.len() as f64
    }
    fn se_cov(&self) -> Matrix2<f64> {
        let m = self.mean_cov();
        let r = self.covariances.len() as f64;
        self.covariances
            .iter()
            .map(|c| (c - m).map(|x| x * x))
            .sum::<Matrix2<f64>>()
            .map(|v| (v / (r - 1.0) / r).sqrt())
    }
    fn gyration(&self) -> (f64, f64) {
        let r = self.gyrations.len() as f64;
        let m = self.gyrations.iter().sum::<f64>() / r;
        (m, (self.gyrations.iter().map(|g| (g - m).powi(2)).sum::<f64>() / (r - 1.0) / r).sqrt())
    }
}

/// 8 runs of 10 us of the pair at the given supplies (step 5 ps, within the 0.5 % accuracy
/// bound), from `seed`.
fn transistor_runs(vdda: f64, vddb: f64, seed: u64) -> Runs {
    let config = SimulateConfig {
        circuit: PathBuf::from("circuits/gauss_pair.cir"),
        overrides: vec![("vdda".into(), format!("{vdda:e}")), ("vddb".into(), format!("{vddb:e}"))],
        temperature: None,
        tstop: Some(10e-6),
        dt: Some(5e-12),
        force_dt: false,
        tran_step_bounds: true,
        accuracy: pbitsim::simulate::DEFAULT_ACCURACY,
        check_step: false,
        engine: Engine::parse("sde", None).unwrap(),
        runs: 8,
        seed,
        threads: 2,
        record_every: None,
        warmup: 50e-9,
        variation: Variation::default(),
    };
    let mut prepared = prepare(&config).unwrap();
    prepared.record_every = prepared.tstop / 10.0;
    let (records, _) = run_batch(&config, &prepared, Seed(seed), config.runs, &|_| {}).unwrap();
    let acc: Vec<_> = records.iter().map(|r| r.covariance.clone().unwrap()).collect();
    Runs {
        covariances: acc
            .iter()
            .map(|a| {
                let c = a.covariance();
                Matrix2::new(c[0][0], c[0][1], c[1][0], c[1][1])
            })
            .collect(),
        gyrations: acc.iter().map(|a| a.gyration(0, 1)).collect(),
        interval: acc[0].interval,
    }
}

fn maxwell() -> Matrix2<f64> {
    Matrix2::new(2.0 * C_NODE, -C_NODE, -C_NODE, 2.0 * C_NODE)
}

/// The closed-form linear model (A, S) of the pair at the supplies.
fn linear_model(vdda: f64, vddb: f64) -> (Matrix2<f64>, Matrix2<f64>) {
    let ut = BOLTZMANN * T / CHARGE;
    let g = 2.0 * I0 / ut;
    let t_eff = |vdd: f64| T * (1.0 + (vdd / (2.0 * ut)).exp()) / 2.0;
    let c_inv = maxwell().try_inverse().unwrap();
    let a = -c_inv * g;
    let n = Matrix2::new(2.0 * BOLTZMANN * t_eff(vdda) * g, 0.0, 0.0, 2.0 * BOLTZMANN * t_eff(vddb) * g);
    let d = c_inv * n * c_inv;
    // A S + S A^T + D = 0 in the unknowns (S11, S12, S22).
    let m = Matrix3::new(
        2.0 * a[(0, 0)],
        2.0 * a[(0, 1)],
        0.0,
        a[(1, 0)],
        a[(0, 0)] + a[(1, 1)],
        a[(0, 1)],
        0.0,
        2.0 * a[(1, 0)],
        2.0 * a[(1, 1)],
    );
    let s = m.lu().solve(&-Vector3::new(d[(0, 0)], d[(0, 1)], d[(1, 1)])).unwrap();
    (a, Matrix2::new(s[0], s[1], s[1], s[2]))
}

/// The expectation of the measured gyration rate of a stationary linear process sampled
/// every h: [e^{A h} S - S e^{A^T h}]_ba / (2 h) (src/analysis/covariance.rs).
fn sampled_gyration(a: &Matrix2<f64>, s: &Matrix2<f64>, h: f64) -> f64 {
    let e = DMatrix::from_column_slice(2, 2, (a * h).as_slice()).exp();
    let e = Matrix2::from_column_slice(e.as_slice());
    let m = e * s - s * e.transpose();
    m[(1, 0)] / (2.0 * h)
}

#[test]
fn equal_supplies_are_at_equilibrium_and_unequal_ones_circulate() {
    // vdda = vddb = 0: equilibrium, S = k T C^-1 exactly and no circulation.
    let runs = transistor_runs(0.0, 0.0, 21);
    let exact = maxwell().try_inverse().unwrap() * (BOLTZMANN * T);
    let (s, se) = (runs.mean_cov(), runs.se_cov());
    println!("equilibrium: S = {s:?} +- {se:?}, kT C^-1 = {exact:?}");
    for i in 0..2 {
        for j in 0..2 {
            assert!(
                (s[(i, j)] - exact[(i, j)]).abs() < 4.0 * se[(i, j)],
                "S[{i}{j}] {} vs kT/C {}",
                s[(i, j)],
                exact[(i, j)]
            );
        }
    }
    let (l, l_se) = runs.gyration();
    println!("equilibrium gyration {l:.4e} +- {l_se:.2e} V^2/s");
    assert!(l.abs() < 4.0 * l_se, "gyration at equilibrium {l} +- {l_se}");
    // vdda = 70 mV, vddb = 30 mV: node a hotter; the pair circulates with the sign of the
    // closed-form rate, and the measured rate matches the closed form sampled as measured.
    let runs = transistor_runs(0.07, 0.03, 22);
    let (a, s_exact) = linear_model(0.07, 0.03);
    let rate = 0.5 * ((a * s_exact)[(1, 0)] - (a * s_exact)[(0, 1)]);
    let sampled = sampled_gyration(&a, &s_exact, runs.interval);
    let (l, l_se) = runs.gyration();
    println!(
        "vdda 70 mV, vddb 30 mV: gyration {l:.4e} +- {l_se:.2e} V^2/s; closed form {rate:.4e}, sampled every {:.3e} s {sampled:.4e}",
        runs.interval
    );
    assert!(
        l.abs() > 4.0 * l_se && l.signum() == rate.signum(),
        "gyration {l} +- {l_se}, closed form {rate}"
    );
    assert!((l - sampled).abs() < 4.0 * l_se, "gyration {l} +- {l_se} vs sampled closed form {sampled}");
}

/// Collects the chip's states.
struct Collect(Vec<[f64; 2]>);

impl Observer for Collect {
    fn observe(&mut self, sample: &Sample) -> Result<(), ChipError> {
        if let StateBuf::Real(x) = sample.state {
            self.0.push([x[0], x[1]]);
        }
        Ok(())
    }
}

#[test]
fn calibrated_chip_reproduces_the_transistor_covariance_between_grid_points() {
    // circuits/gauss_pair_chip.toml reads the calibration at vdda = 70 mV, vddb = 30 mV,
    // between grid points (its grid is 0, 20, ..., 100 mV on both supplies).
    let config = ChipConfig::from_file(std::path::Path::new("circuits/gauss_pair_chip.toml"), &[]).unwrap();
    assert_eq!(
        config.cells.controls.as_ref().unwrap(),
        &BTreeMap::from([("vdda".into(), 0.07), ("vddb".into(), 0.03)])
    );
    let chip = config.build().unwrap();
    let (chip, report) = calibrated_gaussian_chip(&config, &chip).unwrap();
    let mut schedule = config.schedule(&chip).unwrap();
    let batches = 20usize;
    schedule.sweeps = 200_000;
    let mut collect = Collect(Vec::new());
    let options = RunOptions { seed: 5, threads: 1, ..Default::default() };
    let stats = run_chip(&chip, IdealCell::new(1.0), &schedule, &options, &mut [&mut collect]).unwrap();
    let per = collect.0.len() / batches;
    let batch_cov: Vec<Matrix2<f64>> = collect
        .0
        .chunks_exact(per)
        .map(|b| {
            let m = b.iter().fold([0.0; 2], |m, x| [m[0] + x[0], m[1] + x[1]]).map(|v| v / per as f64);
            b.iter().fold(Matrix2::zeros(), |acc, x| {
                let d = nalgebra::Vector2::new(x[0] - m[0], x[1] - m[1]);
                acc + d * d.transpose()
            }) / per as f64
        })
        .collect();
    let chip_cov = {
        let c = &stats.covariance.as_ref().unwrap().matrix;
        Matrix2::new(c[0][0], c[0][1], c[1][0], c[1][1])
    };
    let chip_se = {
        let m = batch_cov.iter().sum::<Matrix2<f64>>() / batches as f64;
        batch_cov
            .iter()
            .map(|c| (c - m).map(|x| x * x))
            .sum::<Matrix2<f64>>()
            .map(|v| (v / (batches as f64 - 1.0) / batches as f64).sqrt())
    };
    let runs = transistor_runs(0.07, 0.03, 23);
    let (fresh, fresh_se) = (runs.mean_cov(), runs.se_cov());
    let cal_se = &report.law.covariance_se_v2;
    println!(
        "chip S = {chip_cov:?} +- {chip_se:?}\ntransistor S = {fresh:?} +- {fresh_se:?}\ncalibration se {cal_se:?}"
    );
    for i in 0..2 {
        for j in 0..2 {
            let se = (chip_se[(i, j)].powi(2) + fresh_se[(i, j)].powi(2) + cal_se[i][j].powi(2)).sqrt();
            let diff = chip_cov[(i, j)] - fresh[(i, j)];
            println!(
                "S[{i}{j}]: chip - transistor = {diff:.3e} ({:.2} se, {:.2} %)",
                diff / se,
                100.0 * diff / fresh[(i, j)]
            );
            assert!(
                diff.abs() < 4.0 * se,
                "S[{i}{j}]: chip {} vs transistor {} (se {se})",
                chip_cov[(i, j)],
                fresh[(i, j)]
            );
        }
    }
}

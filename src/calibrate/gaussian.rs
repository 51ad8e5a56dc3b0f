//! `pbitsim calibrate --gaussian`: a Gaussian sampler circuit (two coupled noisy nodes read by
//! analog outputs) measured over a grid of its controls into mean vectors and precision
//! matrices ([`crate::calibration::gaussian`]).
//!
//! Each grid point p is `runs` independent transistor-level runs (run r of point p drawing
//! from seed.child(SweepPoint, p), trajectory r), each of length tstop after `warmup`. Every run
//! accumulates the node means, the covariance S and the stochastic-area (gyration) rate
//! ([`crate::analysis::covariance`]); the point's values pool all runs, and their standard
//! errors are jackknife estimates over the runs (Efron and Tibshirani, "An Introduction to
//! the Bootstrap", 1993, ch. 11): theta_(r) the estimate without run r,
//! se^2 = (R - 1)/R sum_r (theta_(r) - mean_r theta_(r))^2. For the linear statistics (means,
//! S, gyration) this is the batch-means error of the runs; for the precision Q = S^-1 it
//! carries the non-linearity of the inverse. The linear-noise analysis at the same controls
//! is recorded beside ([`crate::noise`]).

use std::collections::BTreeMap;

use nalgebra::DMatrix;

use super::{CalibrateConfig, circuit_info, grid, point_config};
use crate::analysis::covariance::CovarianceAccumulator;
use crate::calibration::{self as schema, CellKind, GaussianCalibration, GaussianPoint, LinearNoise};
use crate::circuit::elaborate::Variation;
use crate::rng::{Domain, Seed};
use crate::simulate::{self, SimulateError, Summary, run_batch};

/// The statistics of one pooled set of runs: means, covariance, precision, gyration.
struct Pooled {
    mean: Vec<f64>,
    covariance: DMatrix<f64>,
    precision: DMatrix<f64>,
    gyration: f64,
}

fn pool(accumulators: &[&CovarianceAccumulator]) -> Option<Pooled> {
    let mut acc = (*accumulators.first()?).clone();
    for other in &accumulators[1..] {
        acc.merge(other);
    }
    let rows = acc.covariance();
    let n = rows.len();
    let covariance = DMatrix::from_fn(n, n, |i, j| rows[i][j]);
    let precision = covariance.clone().cholesky()?.inverse();
    Some(Pooled { mean: acc.mean().to_vec(), covariance, precision, gyration: acc.gyration(0, 1) })
}

/// Jackknife standard error of a statistic from its leave-one-out values.
fn jackknife(values: &[f64]) -> f64 {
    let r = values.len() as f64;
    let m = values.iter().sum::<f64>() / r;
    ((r - 1.0) / r * values.iter().map(|v| (v - m).powi(2)).sum::<f64>()).sqrt()
}

fn rows(m: &DMatrix<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows()).map(|i| m.row(i).iter().copied().collect()).collect()
}

/// Measure one control setting (point index `index`).
fn measure_point(
    config: &CalibrateConfig,
    values: &BTreeMap<String, f64>,
    index: usize,
) -> Result<(GaussianPoint, simulate::Prepared, Vec<String>), SimulateError> {
    let started = std::time::Instant::now();
    let t = config.temperatures[0];
    let sim = point_config(config, values, t, &Variation::default());
    let mut prepared = simulate::prepare(&sim)?;
    prepared.record_every = prepared.tstop / 10.0;
    let runs = sim.runs.max(2);
    let seed = Seed(config.seed).child(Domain::SweepPoint, index as u64);
    let (records, work) = run_batch(&sim, &prepared, seed, runs, &|_| {})?;
    let summary = Summary::from_records(&sim, &prepared, &records, work, 0.0);
    let fail = |m: &str| SimulateError::Config(format!("{}: at {values:?}: {m}", config.circuit.display()));
    let covariance = summary.covariance.as_ref().ok_or_else(|| fail("no analog outputs read free nodes"))?;
    if covariance.nodes.len() != 2 {
        return Err(fail(&format!(
            "a Gaussian pair needs analog outputs on exactly two free nodes; they read {:?}",
            covariance.nodes
        )));
    }
    let accumulators: Vec<&CovarianceAccumulator> =
        records.iter().filter_map(|r| r.covariance.as_ref()).collect();
    let all = pool(&accumulators).ok_or_else(|| fail("the measured covariance is not positive definite"))?;
    let mut leave_out = Vec::with_capacity(runs);
    for r in 0..accumulators.len() {
        let rest: Vec<&CovarianceAccumulator> =
            accumulators.iter().enumerate().filter(|(k, _)| *k != r).map(|(_, a)| *a).collect();
        leave_out
            .push(pool(&rest).ok_or_else(|| fail("a leave-one-out covariance is not positive definite"))?);
    }
    let n = 2;
    let se_matrix = |f: &dyn Fn(&Pooled) -> &DMatrix<f64>| -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| jackknife(&leave_out.iter().map(|p| f(p)[(i, j)]).collect::<Vec<_>>()))
                    .collect()
            })
            .collect()
    };
    let outputs: Vec<String> = prepared
        .circuit
        .outputs
        .iter()
        .filter(|o| matches!(o.kind, crate::circuit::OutputKind::Analog { .. }))
        .map(|o| o.name.clone())
        .collect();
    let lna = linear_noise(&prepared, &covariance.nodes);
    let per_run = prepared.tstop - prepared.warmup;
    let point = GaussianPoint {
        controls: values.clone(),
        mean_v: all.mean.clone(),
        mean_se_v: (0..n)
            .map(|i| jackknife(&leave_out.iter().map(|p| p.mean[i]).collect::<Vec<_>>()))
            .collect(),
        covariance_v2: rows(&all.covariance),
        covariance_se_v2: se_matrix(&|p| &p.covariance),
        precision_per_v2: rows(&all.precision),
        precision_se_per_v2: se_matrix(&|p| &p.precision),
        gyration_v2_per_s: all.gyration,
        gyration_se_v2_per_s: jackknife(&leave_out.iter().map(|p| p.gyration).collect::<Vec<_>>()),
        gyration_interval_s: accumulators[0].interval,
        correlation_time_s: outputs
            .iter()
            .map(|o| summary.outputs.get(o).and_then(|s| s.correlation_time_s).unwrap_or(f64::NAN))
            .collect(),
        power_w: summary.energy.power_w,
        lna,
        runs,
        simulated_s: runs as f64 * per_run,
        wall_s: started.elapsed().as_secs_f64(),
    };
    Ok((point, prepared, outputs))
}

/// The linear-noise analysis of the prepared circuit on `nodes` (None without a stable point).
fn linear_noise(prepared: &simulate::Prepared, nodes: &[String]) -> Option<LinearNoise> {
    let c = &prepared.circuit;
    let op = crate::op::find(c, &[]).ok()?;
    let a = crate::noise::analyse(c, op, None).ok()?;
    let index: Vec<usize> =
        nodes.iter().map(|n| a.covariance.nodes.iter().position(|m| m == n)).collect::<Option<_>>()?;
    let g = a
        .gyration
        .iter()
        .find(|g| g.nodes[0] == nodes[0] && g.nodes[1] == nodes[1])
        .map(|g| g.rate_v2_per_s)?;
    let mean = index.iter().map(|&i| a.nodes[&a.covariance.nodes[i]].mean_v).collect();
    Some(LinearNoise {
        mean_v: mean,
        covariance_v2: index
            .iter()
            .map(|&i| index.iter().map(|&j| a.covariance.matrix[i][j]).collect())
            .collect(),
        gyration_v2_per_s: g,
    })
}

/// Calibrate a Gaussian sampler over the grid of `config.sweeps` at the first temperature;
/// `progress(done, total)` counts points.
pub fn run(
    config: &CalibrateConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<GaussianCalibration, SimulateError> {
    if config.temperatures.len() != 1 {
        return Err(SimulateError::Config(
            "--gaussian calibrates at one temperature; give one --temps value".into(),
        ));
    }
    let (text, netlist) = super::read_swept_netlist(config)?;
    let points = grid(&config.sweeps);
    let mut measured = Vec::with_capacity(points.len());
    let (mut dt, mut tstop, mut nodes, mut outputs) = (0.0f64, 0.0, Vec::new(), Vec::new());
    for (index, values) in points.iter().enumerate() {
        let (point, prepared, names) = measure_point(config, values, index)?;
        (dt, tstop) = (dt.max(prepared.dt), prepared.tstop);
        let analog = crate::simulate::observe::analog_nodes(&prepared.circuit);
        nodes = analog.iter().map(|&i| prepared.circuit.free_names[i].clone()).collect();
        outputs = names;
        measured.push(point);
        progress(index + 1, points.len());
    }
    let controls: Vec<String> = config.sweeps.iter().map(|s| s.name.clone()).collect();
    let calibration = GaussianCalibration {
        schema: schema::SCHEMA.to_string(),
        version: schema::VERSION,
        created_by: format!("pbitsim {}", env!("CARGO_PKG_VERSION")),
        cell: CellKind::Gaussian,
        circuit: circuit_info(&config.circuit, &netlist, &text, &controls),
        nodes,
        outputs,
        controls: config.sweeps.clone(),
        temperature_k: config.temperatures[0],
        seed: config.seed,
        engine: config.engine.engine_name().to_string(),
        method: config.engine.method_name().to_string(),
        dt_s: dt,
        tstop_s: tstop,
        warmup_s: config.warmup,
        runs_per_point: config.precision.batch_runs.max(2),
        points: measured,
    };
    calibration.validate().map_err(SimulateError::Config)?;
    Ok(calibration)
}

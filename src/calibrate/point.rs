//! One calibration point: a control setting at a temperature, simulated at transistor level
//! until its readout is known to a stated precision.
//!
//! Runs come in batches of independent trajectories (deterministic: batch b of point p draws
//! from seed.child(SweepPoint, p).child(Other, b)). After each batch the standard error of
//! the readout is estimated from its correlation time (sqrt(p (1 - p) 2 tau / T) for a
//! probability); the simulated time still needed is extrapolated as T (se / target)^2 and
//! the next batches are sized to reach it, up to a cap on the simulated time per point.

use std::collections::BTreeMap;

use crate::calibration::{PointMeasurement, Precision};
use crate::rng::{Domain, Seed};
use crate::simulate::{Prepared, SimulateConfig, SimulateError, Summary, run_batch};

/// The fraction of the simulated time a point still needs (by its current estimate) that the
/// next batch runs.
const APPROACH: f64 = 0.6;

/// The largest standard error of the quantity the precision target applies to.
fn worst_se(summary: &Summary, output: &str, simulated: f64) -> Option<(f64, f64)> {
    let o = summary.outputs.get(output)?;
    let tau = o.correlation_time_s?;
    let se = match &o.probability_se {
        Some(errors) => errors.iter().cloned().fold(0.0, f64::max),
        // An analog readout: the worst-case weight error of a two-state switching signal.
        None => (0.25 * 2.0 * tau / simulated).sqrt(),
    };
    Some((se, tau))
}

/// Measure the output `output` of a prepared circuit to `precision`, with `seed` the point's
/// own seed. `progress` receives the fraction of the point's time budget used.
pub fn measure(
    config: &SimulateConfig,
    prepared: Prepared,
    output: &str,
    controls: BTreeMap<String, f64>,
    precision: &Precision,
    seed: Seed,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<PointMeasurement, SimulateError> {
    let started = std::time::Instant::now();
    let per_run = prepared.tstop - prepared.warmup;
    let mut records = Vec::new();
    let mut work = 0;
    let mut batch = 0u64;
    let mut runs_next = precision.batch_runs.max(1);
    let (summary, reached) = loop {
        let done_before = records.len() as f64 * per_run;
        let budget = precision.max_simulated;
        let report = |f: f64| progress(((done_before + f * runs_next as f64 * per_run) / budget).min(1.0));
        let (new, w) = run_batch(config, &prepared, seed.child(Domain::Other, batch), runs_next, &report)?;
        records.extend(new);
        work += w;
        batch += 1;
        let simulated = records.len() as f64 * per_run;
        let summary = Summary::from_records(config, &prepared, &records, work, 0.0);
        let estimate = worst_se(&summary, output, simulated);
        match estimate {
            Some((se, _)) if se <= precision.target_se => break (summary, true),
            _ if simulated >= precision.max_simulated => break (summary, false),
            Some((se, _)) => {
                // Run a fraction of what the estimate says is still needed, then look again:
                // the estimate from a few runs is noisy, and running all of it (times 1.1)
                // made the p-bit's 250 K points run 37 % longer than their precision needed
                // (the last batches are small, so the point stops close to its precision).
                let needed = APPROACH * (simulated * (se / precision.target_se).powi(2) - simulated);
                // Whole batches keep every core busy.
                let batches = (needed / per_run / precision.batch_runs as f64).ceil().max(1.0) as usize;
                let cap = ((precision.max_simulated - simulated) / per_run).ceil() as usize;
                runs_next = (batches * precision.batch_runs).min(cap.max(precision.batch_runs));
            }
            // Correlation time not yet resolved: the runs were too short; double the data.
            None => runs_next = records.len().max(1),
        }
    };
    let o = summary
        .outputs
        .get(output)
        .ok_or_else(|| SimulateError::Config(format!("the circuit has no output named '{output}'")))?;
    let simulated = records.len() as f64 * per_run;
    let tau = o.correlation_time_s.unwrap_or(f64::NAN);
    let samples = analog_samples(&prepared, &records, output, tau);
    Ok(PointMeasurement {
        temperature_k: prepared.circuit.temperature,
        controls,
        kind: o.kind.to_string(),
        probabilities: o.probabilities.clone(),
        probability_se: o.probability_se.clone(),
        mean: o.mean,
        std: o.std,
        correlation_time_s: tau,
        correlation_time_se_s: crate::analysis::correlator::standard_error(tau, simulated),
        mean_dwell_s: o.mean_dwell_s.clone(),
        switching_rate_hz: o.switching_rate_hz,
        energy_per_sample_j: summary.energy.power_w * tau,
        power_w: summary.energy.power_w,
        runs: records.len(),
        simulated_s: simulated,
        work,
        wall_s: started.elapsed().as_secs_f64(),
        precision_reached: reached,
        mixture: None,
        samples,
    })
}

/// Values of an analog output from the recorded traces after the warm-up, thinned to about
/// two per correlation time.
fn analog_samples(
    prepared: &Prepared,
    records: &[crate::simulate::RunRecord],
    output: &str,
    tau: f64,
) -> Vec<f64> {
    let c = &prepared.circuit;
    let Some(k) = c.outputs.iter().position(|o| o.name == output) else { return Vec::new() };
    if !matches!(c.outputs[k].kind, crate::circuit::OutputKind::Analog { .. }) {
        return Vec::new();
    }
    let column = 1 + c.free_count() + k;
    let stride =
        if tau.is_finite() { ((0.5 * tau / prepared.record_every).floor() as usize).max(1) } else { 1 };
    let mut out = Vec::new();
    for r in records {
        for row in r.rows.chunks_exact(r.row_len).filter(|row| row[0] >= prepared.warmup).step_by(stride) {
            out.push(row[column]);
        }
    }
    out
}

//! The summary of an ensemble, written as JSON with stable keys:
//!
//! - `temperature_k`, `engine`, `method`, `runs`, `seed`, `tstop_s`, `dt_s`, `warmup_s`;
//! - `nodes.<node>.mean`, `.std` (V), pooled over runs after the warm-up;
//! - `outputs.<name>`: `kind`; for bit and category outputs `probabilities` (state 0 first,
//!   time fractions), `probability_standard_errors` (from the correlation time:
//!   sqrt(p (1 - p) 2 tau / T_total)), `switching_rate_hz` (state changes per second),
//!   `mean_dwell_s`; for analog outputs `mean` and `std` (V); for all `correlation_time_s`
//!   (the integral of the readout's normalised autocorrelation; for a category the
//!   autocorrelation of its state indicators, summed);
//! - `energy.supply_j`: energy the sources deliver over the measured window, per run (J);
//!   `energy.power_w`: its rate; `energy.per_sample_j`: power times the correlation time of
//!   the first bit or category output (the energy of one independent sample);
//! - `work`: SDE steps or jump events; `wall_time_s`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Outcome, Prepared, RunRecord, SimulateConfig};
use crate::analysis::correlator::correlation_time_of;
use crate::analysis::{Correlator, Dwell, Moments};
use crate::circuit::OutputKind;

#[derive(Debug, Clone, Serialize)]
pub struct NodeSummary {
    pub mean: f64,
    pub std: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputSummary {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability_standard_errors: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    /// None when the run was too short for the readout to decorrelate.
    pub correlation_time_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub switching_rate_hz: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_dwell_s: Option<Vec<f64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnergySummary {
    pub supply_j: f64,
    pub power_w: f64,
    pub per_sample_j: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub pbitsim_version: &'static str,
    pub circuit: String,
    pub title: String,
    pub temperature_k: f64,
    pub engine: &'static str,
    pub method: &'static str,
    pub runs: usize,
    pub seed: u64,
    pub tstop_s: f64,
    pub dt_s: f64,
    pub warmup_s: f64,
    pub nodes: BTreeMap<String, NodeSummary>,
    pub outputs: BTreeMap<String, OutputSummary>,
    pub energy: EnergySummary,
    pub work: u64,
    pub wall_time_s: f64,
}

/// Correlation time of a signal observed as several indicator correlators: the summed
/// autocovariances, normalised at lag 0.
fn joint_correlation_time(correlators: &[Correlator]) -> Option<f64> {
    let covariances: Vec<Vec<(f64, f64)>> = correlators.iter().map(|c| c.autocovariance()).collect();
    let first = covariances.first()?;
    let summed: Vec<(f64, f64)> = (0..first.len())
        .map(|k| (first[k].0, covariances.iter().map(|c| c.get(k).map_or(0.0, |x| x.1)).sum()))
        .collect();
    let c0 = summed.first()?.1;
    if c0 <= 0.0 {
        return None;
    }
    correlation_time_of(&summed.iter().map(|&(t, c)| (t, c / c0)).collect::<Vec<_>>())
}

impl Summary {
    pub fn new(config: &SimulateConfig, outcome: &Outcome) -> Summary {
        Summary::from_records(config, &outcome.prepared, &outcome.records, outcome.work, outcome.wall_time)
    }

    /// The summary of runs `records` of a prepared circuit.
    pub fn from_records(
        config: &SimulateConfig,
        p: &Prepared,
        records: &[RunRecord],
        work: u64,
        wall_time: f64,
    ) -> Summary {
        let c = &p.circuit;
        let mut nodes = BTreeMap::new();
        for (i, name) in c.free_names.iter().enumerate() {
            let mut m = Moments::default();
            for r in records {
                m.merge(&r.nodes[i]);
            }
            nodes.insert(name.clone(), NodeSummary { mean: m.mean, std: m.std() });
        }
        let measured: f64 = records.iter().map(|r| r.measured).sum();
        let mut outputs = BTreeMap::new();
        let mut sample_time = None;
        for (k, o) in c.outputs.iter().enumerate() {
            let mut correlators = records[0].readouts[k].correlators.clone();
            let mut moments = Moments::default();
            let mut dwell: Option<Dwell> = records[0].readouts[k].dwell.clone();
            for (ri, r) in records.iter().enumerate() {
                let s = &r.readouts[k];
                if ri > 0 {
                    for (a, b) in correlators.iter_mut().zip(&s.correlators) {
                        a.merge(b);
                    }
                    if let (Some(d), Some(e)) = (dwell.as_mut(), s.dwell.as_ref()) {
                        d.merge(e);
                    }
                }
                moments.merge(&s.moments);
            }
            let tau = if correlators.len() == 1 {
                correlators[0].correlation_time()
            } else {
                joint_correlation_time(&correlators)
            };
            let summary = match (&o.kind, dwell) {
                (OutputKind::Analog { .. }, _) | (_, None) => OutputSummary {
                    kind: "analog",
                    probabilities: None,
                    probability_standard_errors: None,
                    mean: Some(moments.mean),
                    std: Some(moments.std()),
                    correlation_time_s: tau,
                    switching_rate_hz: None,
                    mean_dwell_s: None,
                },
                (kind, Some(d)) => {
                    let probabilities = d.probabilities();
                    let errors = probabilities
                        .iter()
                        .map(|&q| tau.map_or(f64::NAN, |t| (q * (1.0 - q) * 2.0 * t / measured).sqrt()))
                        .collect();
                    if sample_time.is_none() {
                        sample_time = tau;
                    }
                    OutputSummary {
                        kind: if matches!(kind, OutputKind::Bit { .. }) { "bit" } else { "cat" },
                        probabilities: Some(probabilities),
                        probability_standard_errors: Some(errors),
                        mean: None,
                        std: None,
                        correlation_time_s: tau,
                        switching_rate_hz: Some(d.switches as f64 / d.duration()),
                        mean_dwell_s: Some(d.mean_dwell()),
                    }
                }
            };
            outputs.insert(o.name.clone(), summary);
        }
        let runs = records.len() as f64;
        let supply = records.iter().map(|r| r.supply_energy).sum::<f64>() / runs;
        let power = records.iter().map(|r| r.supply_energy).sum::<f64>() / measured;
        Summary {
            pbitsim_version: env!("CARGO_PKG_VERSION"),
            circuit: config.circuit.display().to_string(),
            title: c.title.clone(),
            temperature_k: c.temperature,
            engine: config.engine.engine_name(),
            method: config.engine.method_name(),
            runs: config.runs,
            seed: config.seed,
            tstop_s: p.tstop,
            dt_s: p.dt,
            warmup_s: p.warmup,
            nodes,
            outputs,
            energy: EnergySummary {
                supply_j: supply,
                power_w: power,
                per_sample_j: sample_time.map(|t| power * t),
            },
            work,
            wall_time_s: wall_time,
        }
    }
}

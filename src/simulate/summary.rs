//! The summary of an ensemble, written as JSON with stable keys:
//!
//! - `temperature_k`, `engine`, `method`, `runs`, `seed`, `tstop_s`, `dt_s`, `warmup_s`;
//! - `nodes.<node>.mean`, `.std` (V), pooled over runs after the warm-up;
//! - `outputs.<name>`: `kind`; for bit and category outputs `probabilities` (state 0 first,
//!   time fractions), `probability_se` (from the correlation time:
//!   sqrt(p (1 - p) 2 tau / T_total), for a category class the time of its own indicator),
//!   `switching_rate_hz` (state changes per second), `mean_dwell_s`; for analog outputs `mean` and `std` (V); for all `correlation_time_s`
//!   (the integral of the readout's normalised autocorrelation; for a category the
//!   autocorrelation of its state indicators, summed), with `correlation_time_upper_bound`
//!   true when the signal decorrelated within two statistics intervals and the value is only
//!   an upper bound;
//! - `joint` (1 to 16 bit outputs): {"outputs": [bit outputs in netlist order],
//!   "probabilities": [2^n, index = sum_k bit_k << k], "probability_se": [batch means],
//!   "batches": B}, sampled at the statistics interval and pooled over runs;
//! - `covariance` (when analog outputs read free nodes): {"nodes": [those nodes in order of
//!   first appearance], "matrix": [[V^2]]}, pooled over runs at the statistics interval
//!   (the same key as `pbitsim noise` writes, there from the Lyapunov equation), and
//!   `gyration`: [{"nodes": [a, b], "rate_v2_per_s"}], the measured stochastic-area rate
//!   (1/2) <v_a dv_b - v_b dv_a> / dt from consecutive samples `gyration_interval_s` apart
//!   ([`crate::analysis::covariance`]; biased by O(interval / correlation time));
//! - `operating_point` (with `.op` in the netlist): what `pbitsim op` reports;
//! - `energy.supply_j`: energy the sources deliver over the measured window, per run (J);
//!   `energy.power_w`: its rate; `energy.per_sample_j`: power times the correlation time of
//!   the first bit or category output (the energy of one independent sample);
//! - `step`: how the step was chosen ([`StepPlan`]: `chosen_by`, `accuracy`, `dt_s`,
//!   `bound_s`, `upper_bound_s` and `upper_bound_from`, `fastest_time_constant_s`, the
//!   sampling and statistics intervals) and what the runs did: `dt_min_s`, `dt_max_s`,
//!   `limited_by` (the bound binding at most Jacobian checks: accuracy, upper_bound,
//!   stability, drift, noise), `checks`, `newton_halvings`; for tau-leaping `leaps` and
//!   `exact_events`;
//! - `check_step` (with --check-step): the same statistics rerun at half the step, and their
//!   differences (full step minus half step);
//! - `work`: SDE steps or jump events; `wall_time_s`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::observe::StepRecord;
use super::{Outcome, Prepared, RunRecord, SimulateConfig, StepPlan};
use crate::analysis::correlator::{CorrelationTime, correlation_time_of};
use crate::analysis::{Correlator, Dwell, Joint, Moments};
use crate::circuit::OutputKind;
use crate::sde::control::StepReport;

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
    pub probability_se: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    /// None when the run was too short for the readout to decorrelate.
    pub correlation_time_s: Option<f64>,
    /// The correlation time is only an upper bound (the readout decorrelated within two
    /// statistics intervals).
    pub correlation_time_upper_bound: bool,
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

/// How the step was chosen and what the runs did with it.
#[derive(Debug, Clone, Serialize)]
pub struct StepSummary {
    #[serde(flatten)]
    pub plan: StepPlan,
    /// Shortest and longest step (or leap) taken in any run (s).
    pub dt_min_s: f64,
    pub dt_max_s: f64,
    /// The bound binding at most checks of the step controller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limited_by: Option<crate::sde::control::Limit>,
    pub checks: u64,
    pub newton_halvings: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaps: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_events: Option<u64>,
}

impl StepSummary {
    fn new(plan: &StepPlan, records: &[RunRecord]) -> StepSummary {
        let mut summary = StepSummary {
            plan: plan.clone(),
            dt_min_s: plan.dt_s,
            dt_max_s: plan.dt_s,
            limited_by: None,
            checks: 0,
            newton_halvings: 0,
            leaps: None,
            exact_events: None,
        };
        let mut control: Option<StepReport> = None;
        let (mut low, mut high) = (f64::INFINITY, 0.0f64);
        for r in records {
            match r.steps {
                StepRecord::Exact => {}
                StepRecord::Sde { control: c, halvings, .. } => {
                    summary.newton_halvings += halvings;
                    if let Some(c) = c {
                        control.get_or_insert_with(StepReport::default).merge(&c);
                    }
                }
                StepRecord::Leaps(j) => {
                    *summary.leaps.get_or_insert(0) += j.leaps;
                    *summary.exact_events.get_or_insert(0) += j.exact_events;
                    if j.leaps > 0 {
                        low = low.min(j.leap_min);
                        high = high.max(j.leap_max);
                    }
                }
            }
        }
        if let Some(c) = control {
            (low, high) = (c.h_min, c.h_max);
            summary.limited_by = Some(c.main_limit());
            summary.checks = c.checks;
        }
        if low <= high {
            (summary.dt_min_s, summary.dt_max_s) = (low, high);
        }
        summary
    }
}

/// Node statistics at the step and at half the step, and the differences (--check-step).
#[derive(Debug, Clone, Serialize)]
pub struct CheckStep {
    /// The half-step run's step plan dt (s).
    pub half_dt_s: f64,
    pub nodes: BTreeMap<String, NodeSummary>,
    pub outputs: BTreeMap<String, OutputSummary>,
    /// Full step minus half step, per node: mean and std (V).
    pub node_differences: BTreeMap<String, NodeSummary>,
    /// Full step minus half step, per output: probabilities, or mean and std, and
    /// correlation time.
    pub output_differences: BTreeMap<String, OutputDifference>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputDifference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    pub correlation_time_s: Option<f64>,
}

impl CheckStep {
    /// Compare the summary at the full step with the one at half the step.
    pub fn new(full: &Summary, half: &Summary) -> CheckStep {
        let node_differences = full
            .nodes
            .iter()
            .filter_map(|(k, a)| {
                half.nodes
                    .get(k)
                    .map(|b| (k.clone(), NodeSummary { mean: a.mean - b.mean, std: a.std - b.std }))
            })
            .collect();
        let minus = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a - b);
        let output_differences = full
            .outputs
            .iter()
            .filter_map(|(k, a)| {
                half.outputs.get(k).map(|b| {
                    let probabilities = a
                        .probabilities
                        .as_ref()
                        .zip(b.probabilities.as_ref())
                        .map(|(p, q)| p.iter().zip(q).map(|(x, y)| x - y).collect());
                    (
                        k.clone(),
                        OutputDifference {
                            probabilities,
                            mean: minus(a.mean, b.mean),
                            std: minus(a.std, b.std),
                            correlation_time_s: minus(a.correlation_time_s, b.correlation_time_s),
                        },
                    )
                })
            })
            .collect();
        CheckStep {
            half_dt_s: half.dt_s,
            nodes: half.nodes.clone(),
            outputs: half.outputs.clone(),
            node_differences,
            output_differences,
        }
    }
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
    /// Joint law of the bit outputs (1 to 16 of them), bit k the k-th in netlist order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joint: Option<Joint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covariance: Option<crate::noise::Covariance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gyration: Option<Vec<crate::noise::Gyration>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gyration_interval_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_point: Option<crate::op::OperatingPoint>,
    pub energy: EnergySummary,
    pub step: StepSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_step: Option<CheckStep>,
    pub work: u64,
    pub wall_time_s: f64,
}

/// Correlation time of a signal observed as several indicator correlators: the summed
/// autocovariances, normalised at lag 0.
fn joint_correlation_time(correlators: &[Correlator]) -> Option<CorrelationTime> {
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
            let upper_bound = tau.is_some_and(|t| t.upper_bound);
            let tau = tau.map(|t| t.value);
            let summary = match (&o.kind, dwell) {
                (OutputKind::Analog { .. }, _) | (_, None) => OutputSummary {
                    kind: "analog",
                    probabilities: None,
                    probability_se: None,
                    mean: Some(moments.mean),
                    std: Some(moments.std()),
                    correlation_time_s: tau,
                    correlation_time_upper_bound: upper_bound,
                    switching_rate_hz: None,
                    mean_dwell_s: None,
                },
                (kind, Some(d)) => {
                    let probabilities = d.probabilities();
                    // Each class's frequency is the time average of its own indicator, so its
                    // error takes that indicator's correlation time: a slow exchange between
                    // two classes can sit beyond the joint signal's window.
                    let class_tau = |k: usize| match correlators.len() {
                        1 => tau,
                        _ => correlators[k].correlation_time().map(|t| t.value).or(tau),
                    };
                    let errors = probabilities
                        .iter()
                        .enumerate()
                        .map(|(k, &q)| {
                            class_tau(k).map_or(f64::NAN, |t| (q * (1.0 - q) * 2.0 * t / measured).sqrt())
                        })
                        .collect();
                    if sample_time.is_none() {
                        sample_time = tau;
                    }
                    OutputSummary {
                        kind: if matches!(kind, OutputKind::Bit { .. }) { "bit" } else { "cat" },
                        probabilities: Some(probabilities),
                        probability_se: Some(errors),
                        mean: None,
                        std: None,
                        correlation_time_s: tau,
                        correlation_time_upper_bound: upper_bound,
                        switching_rate_hz: Some(d.switches as f64 / d.duration()),
                        mean_dwell_s: Some(d.mean_dwell()),
                    }
                }
            };
            outputs.insert(o.name.clone(), summary);
        }
        let joint = records.first().and_then(|r| r.joint.clone()).map(|mut counter| {
            for r in &records[1..] {
                if let Some(other) = &r.joint {
                    counter.merge(other);
                }
            }
            let bits = c.outputs.iter().filter(|o| matches!(o.kind, OutputKind::Bit { .. }));
            counter.joint(bits.map(|o| o.name.clone()).collect())
        });
        let accumulated = records.first().and_then(|r| r.covariance.clone()).map(|mut acc| {
            for r in &records[1..] {
                if let Some(other) = &r.covariance {
                    acc.merge(other);
                }
            }
            acc
        });
        let names: Vec<String> =
            super::observe::analog_nodes(c).iter().map(|&i| c.free_names[i].clone()).collect();
        let covariance = accumulated
            .as_ref()
            .map(|acc| crate::noise::Covariance { nodes: names.clone(), matrix: acc.covariance() });
        let gyration = accumulated.as_ref().map(|acc| {
            let mut pairs = Vec::new();
            for i in 0..names.len() {
                for j in i + 1..names.len() {
                    pairs.push(crate::noise::Gyration {
                        nodes: [names[i].clone(), names[j].clone()],
                        rate_v2_per_s: acc.gyration(i, j),
                    });
                }
            }
            pairs
        });
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
            joint,
            covariance,
            gyration,
            gyration_interval_s: accumulated.as_ref().map(|acc| acc.interval),
            operating_point: p.operating_point.clone(),
            energy: EnergySummary {
                supply_j: supply,
                power_w: power,
                per_sample_j: sample_time.map(|t| power * t),
            },
            step: StepSummary::new(&p.step, records),
            check_step: None,
            work,
            wall_time_s: wall_time,
        }
    }
}

//! The points of a study and what each one measures.
//!
//! A study expands into a fixed, ordered list of points: for each stage (traces,
//! calibration, chip), each temperature, each combination of the swept parameters. Point i
//! draws from seed.child(SweepPoint, i) whichever machine, shard or thread runs it, so a
//! point's result depends on the study file alone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::StudyError;
use super::config::{Compensation, Study};
use crate::calibrate::{self, CalibrateConfig};
use crate::calibration::Precision;
use crate::calibration::TemperatureFit;
use crate::chip::cells::behavioural::pbit_cells;
use crate::chip::description::config::{ChipConfig, FieldValue, LatticeSection};
use crate::chip::description::graph::Boundary;
use crate::chip::{RunOptions, run_chip};
use crate::rng::{Domain, Seed};
use crate::simulate::{self, Engine, SimulateConfig, Summary};

/// The stages, in the order a study runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Traces,
    Calibration,
    Chip,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Traces => "traces",
            Stage::Calibration => "calibration",
            Stage::Chip => "chip",
        }
    }
}

/// Which point: its index in the whole study, its stage, temperature and swept values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointKey {
    pub index: usize,
    pub stage: Stage,
    pub temperature_k: f64,
    /// Swept values as written in the study file: netlist .params, `control_range`,
    /// `mismatch`, `compensation` ("on" or "off").
    pub parameters: BTreeMap<String, String>,
    /// The point's own seed, seed.child(SweepPoint, index).
    pub seed: u64,
}

/// Every combination of the swept .params (first name varying slowest).
fn combinations(parameters: &[(String, Vec<String>)]) -> Vec<BTreeMap<String, String>> {
    let mut out = vec![BTreeMap::new()];
    for (name, values) in parameters {
        out = out
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.insert(name.clone(), v.clone());
                    c
                })
            })
            .collect();
    }
    out
}

/// The sweep's label, NAME=START:STOP:COUNT.
pub fn sweep_label(axis: &crate::calibration::SweepAxis) -> String {
    format!("{}={}:{}:{}", axis.name, axis.start, axis.stop, axis.count)
}

/// The study's points, in order.
pub fn points(study: &Study) -> Vec<PointKey> {
    let mut keys = Vec::new();
    let mut push = |stage: Stage, t: f64, parameters: BTreeMap<String, String>| {
        let index = keys.len();
        let seed = Seed(study.seed).child(Domain::SweepPoint, index as u64).0;
        keys.push(PointKey { index, stage, temperature_k: t, parameters, seed });
    };
    let combos = combinations(&study.parameters);
    if study.traces.is_some() {
        for &t in &study.temperatures {
            for c in &combos {
                push(Stage::Traces, t, c.clone());
            }
        }
    }
    if let Some(cal) = &study.calibration {
        for &t in &study.temperatures {
            for c in &combos {
                for axis in &cal.sweeps {
                    let mut c = c.clone();
                    if cal.sweeps.len() > 1 {
                        c.insert("control_range".into(), sweep_label(axis));
                    }
                    push(Stage::Calibration, t, c);
                }
            }
        }
    }
    if let Some(chip) = &study.chip {
        let mismatches: Vec<Option<&String>> =
            if chip.mismatch.is_empty() { vec![None] } else { chip.mismatch.iter().map(Some).collect() };
        let compensations: &[bool] = match chip.compensation {
            Compensation::Off => &[false],
            Compensation::On => &[true],
            Compensation::Both => &[false, true],
        };
        for &t in &study.temperatures {
            for m in &mismatches {
                for &on in compensations {
                    let mut c = BTreeMap::new();
                    if let Some(m) = m {
                        c.insert("mismatch".into(), (*m).clone());
                    }
                    c.insert("compensation".into(), if on { "on" } else { "off" }.into());
                    push(Stage::Chip, t, c);
                }
            }
        }
    }
    keys
}

/// A decimated excerpt of the first run's trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceExcerpt {
    pub time_s: Vec<f64>,
    pub readout: Vec<f64>,
    /// Free-node voltages (at most four), by name.
    pub nodes: Vec<(String, Vec<f64>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracesResult {
    pub output: String,
    /// The SDE step the runs planned (s) and what chose it (`accuracy`: the step rule).
    pub dt_s: f64,
    pub step_chosen_by: String,
    pub probabilities: Vec<f64>,
    pub correlation_time_s: Option<f64>,
    pub switching_rate_hz: Option<f64>,
    pub power_w: f64,
    pub energy_per_sample_j: Option<f64>,
    pub trace: TraceExcerpt,
}

/// One control value of a calibration point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlPoint {
    pub control_v: f64,
    pub p1: f64,
    pub p1_se: f64,
    pub correlation_time_s: f64,
    pub correlation_time_se_s: f64,
    pub energy_per_sample_j: f64,
    pub precision_reached: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationResult {
    pub control: String,
    /// The SDE step the calibration runs planned (s).
    pub dt_s: f64,
    pub points: Vec<ControlPoint>,
    /// The logistic fit, tau(V) and energy at this temperature (the calibration's fit).
    pub fit: TemperatureFit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipResult {
    pub cells: usize,
    pub sweeps: u64,
    pub model_beta: f64,
    pub compensation: bool,
    pub mismatch_sigma_v: f64,
    /// beta Vs(T_design) c / Vs(T) from the calibration (c = T / T_design when compensated).
    pub effective_beta_predicted: f64,
    /// atanh(m) / h of the uncoupled probe (J = 0, field h), with its standard error.
    pub effective_beta_measured: f64,
    pub effective_beta_se: f64,
    pub mean_abs_magnetization: f64,
    pub mean_abs_magnetization_se: f64,
    pub energy_per_cell: f64,
    pub energy_per_cell_se: f64,
    pub tau_int_energy: f64,
    pub energy_per_sweep_j: f64,
    /// The energy of one independent sample of the whole chip (a sweep's energy times the
    /// energy's integrated autocorrelation time); `energy_per_sample_j` elsewhere is one
    /// cell's circuit sample.
    #[serde(alias = "energy_per_sample_j")]
    pub chip_energy_per_sample_j: f64,
}

/// What a point measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PointResult {
    Traces(TracesResult),
    Calibration(Box<CalibrationResult>),
    Chip(ChipResult),
}

/// Netlist overrides of a circuit-stage point: fixed ones, then the swept ones, then extra.
pub(super) fn overrides(study: &Study, key: &PointKey, extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut o: Vec<(String, String)> = study.circuit.as_ref().map_or_else(Vec::new, |c| c.set.clone());
    o.extend(
        study.parameters.iter().filter_map(|(n, _)| key.parameters.get(n).map(|v| (n.clone(), v.clone()))),
    );
    o.extend(extra.iter().cloned());
    o
}

const EXCERPT_POINTS: usize = 2000;

/// The simulation a traces point runs.
pub(super) fn traces_config(study: &Study, key: &PointKey) -> Result<SimulateConfig, StudyError> {
    let (circuit, stage) =
        (study.circuit.as_ref().expect("validated"), study.traces.as_ref().expect("validated"));
    Ok(SimulateConfig {
        circuit: circuit.netlist.clone(),
        overrides: overrides(study, key, &stage.set),
        temperature: Some(key.temperature_k),
        tstop: stage.tstop,
        dt: None,
        force_dt: false,
        tran_step_bounds: true,
        accuracy: crate::simulate::DEFAULT_ACCURACY,
        check_step: false,
        engine: Engine::parse("sde", None).map_err(StudyError::Point)?,
        runs: stage.runs,
        seed: key.seed,
        threads: 0,
        record_every: None,
        warmup: 200e-9,
        variation: Default::default(),
    })
}

fn run_traces(study: &Study, key: &PointKey) -> Result<PointResult, StudyError> {
    let circuit = study.circuit.as_ref().expect("validated");
    let config = traces_config(study, key)?;
    let mut prepared = simulate::prepare(&config)?;
    prepared.record_every = prepared.tstop / EXCERPT_POINTS as f64;
    let outcome = simulate::run(&config, prepared, &|_| {})?;
    let summary = Summary::new(&config, &outcome);
    let c = &outcome.prepared.circuit;
    let name = circuit
        .output
        .clone()
        .or_else(|| c.outputs.first().map(|o| o.name.clone()))
        .ok_or_else(|| StudyError::Point(format!("{} declares no .output", circuit.netlist.display())))?;
    let k = c.outputs.iter().position(|o| o.name == name).ok_or_else(|| {
        StudyError::Point(format!("{}: no output named '{name}'", circuit.netlist.display()))
    })?;
    let o = &summary.outputs[&name];
    let record = &outcome.records[0];
    let rows: Vec<&[f64]> = record.rows.chunks_exact(record.row_len).collect();
    let n = c.free_count();
    let trace = TraceExcerpt {
        time_s: rows.iter().map(|r| r[0]).collect(),
        readout: rows.iter().map(|r| r[1 + n + k]).collect(),
        nodes: c
            .free_names
            .iter()
            .enumerate()
            .take(4)
            .map(|(i, node)| (node.clone(), rows.iter().map(|r| r[1 + i]).collect()))
            .collect(),
    };
    Ok(PointResult::Traces(TracesResult {
        output: name.clone(),
        dt_s: summary.step.plan.dt_s,
        step_chosen_by: summary.step.plan.chosen_by.to_string(),
        probabilities: o.probabilities.clone().unwrap_or_default(),
        correlation_time_s: o.correlation_time_s,
        switching_rate_hz: o.switching_rate_hz,
        power_w: summary.energy.power_w,
        energy_per_sample_j: summary.energy.per_sample_j,
        trace,
    }))
}

fn run_calibration(study: &Study, key: &PointKey) -> Result<PointResult, StudyError> {
    let (circuit, stage) =
        (study.circuit.as_ref().expect("validated"), study.calibration.as_ref().expect("validated"));
    let axis = match key.parameters.get("control_range") {
        Some(label) => stage.sweeps.iter().find(|a| &sweep_label(a) == label).cloned(),
        None => stage.sweeps.first().cloned(),
    }
    .ok_or_else(|| StudyError::Point(format!("point {}: unknown control range", key.index)))?;
    let config = CalibrateConfig {
        circuit: circuit.netlist.clone(),
        overrides: overrides(study, key, &[]),
        sweeps: vec![axis.clone()],
        temperatures: vec![key.temperature_k],
        output: circuit.output.clone(),
        engine: Engine::parse("sde", None).map_err(StudyError::Point)?,
        dt: None,
        force_dt: false,
        accuracy: crate::simulate::DEFAULT_ACCURACY,
        tstop: stage.tstop,
        warmup: stage.warmup,
        seed: key.seed,
        threads: 0,
        precision: Precision { target_se: stage.precision, batch_runs: 4, max_simulated: stage.max_time },
        monte_carlo: 0,
        mismatch_reach: None,
    };
    let cal = calibrate::run(&config, &|_, _| {})?;
    let fit =
        cal.fits.into_iter().next().ok_or_else(|| StudyError::Point("calibration without a fit".into()))?;
    if fit.vs.is_none() {
        return Err(StudyError::Point(format!(
            "{}: the calibration stage fits a p-bit (a bit readout); this circuit's readout is a {}",
            circuit.netlist.display(),
            cal.cell.name()
        )));
    }
    let points = cal
        .points
        .iter()
        .map(|p| {
            let probabilities = p.probabilities.as_deref().unwrap_or(&[]);
            ControlPoint {
                control_v: p.controls.get(&axis.name).copied().unwrap_or(f64::NAN),
                p1: probabilities.get(1).copied().unwrap_or(f64::NAN),
                p1_se: p.probability_se.as_ref().and_then(|s| s.get(1).copied()).unwrap_or(f64::NAN),
                correlation_time_s: p.correlation_time_s,
                correlation_time_se_s: p.correlation_time_se_s,
                energy_per_sample_j: p.energy_per_sample_j,
                precision_reached: p.precision_reached,
            }
        })
        .collect();
    Ok(PointResult::Calibration(Box::new(CalibrationResult {
        control: axis.name,
        dt_s: cal.dt_s,
        points,
        fit,
    })))
}

/// The chip description overrides of a chip-stage point: the study's own, then the
/// calibration, temperature, compensation and mismatch of the point.
pub(super) fn chip_settings(study: &Study, key: &PointKey) -> Vec<String> {
    let stage = study.chip.as_ref().expect("validated");
    let mut set = stage.set.clone();
    set.push(format!("cells.calibration=\"{}\"", stage.calibration.display()));
    set.push(format!("cells.temperature=\"{}K\"", key.temperature_k));
    let compensation = key.parameters.get("compensation").is_some_and(|c| c == "on");
    set.push(format!("cells.compensation={compensation}"));
    if let Some(m) = key.parameters.get("mismatch") {
        set.push(format!("cells.mismatch=\"{m}\""));
    }
    set
}

/// Field of the uncoupled probe that measures beta_eff: m = tanh(beta_eff h).
const PROBE_FIELD: f64 = 0.3;

fn run_chip_point(study: &Study, key: &PointKey) -> Result<PointResult, StudyError> {
    let stage = study.chip.as_ref().expect("validated");
    let config = ChipConfig::from_file(&stage.description, &chip_settings(study, key))?;
    let compensation = key.parameters.get("compensation").is_some_and(|c| c == "on");
    let options = RunOptions { seed: key.seed, threads: 0, ..Default::default() };
    let chip = config.build()?;
    let schedule = config.schedule(&chip)?;
    let (cells, report) = pbit_cells(&config, &chip, key.seed)?;
    let stats = run_chip(&chip, cells, &schedule, &options, &mut [])?;

    // The probe: the same cells, uncoupled, in a uniform field.
    let mut probe = config.clone();
    probe.lattice = Some(LatticeSection { size: [64, 64], boundary: Boundary::Torus, degree: 4 });
    probe.graph = None;
    probe.model.coupling = Some(0.0);
    probe.model.random = None;
    probe.model.weights = None;
    probe.model.field = Some(FieldValue::Scalar(PROBE_FIELD));
    probe.schedule.warmup = 10;
    probe.schedule.sweeps = stage.probe_sweeps;
    probe.schedule.thin = 1;
    probe.schedule.anneal = None;
    probe.schedule.clamp.clear();
    let probe_chip = probe.build()?;
    let probe_schedule = probe.schedule(&probe_chip)?;
    let probe_seed = Seed(key.seed).child(Domain::Other, 1).0;
    let (probe_cells, _) = pbit_cells(&probe, &probe_chip, probe_seed)?;
    let probe_stats = run_chip(
        &probe_chip,
        probe_cells,
        &probe_schedule,
        &RunOptions { seed: probe_seed, threads: 0, ..Default::default() },
        &mut [],
    )?;
    let m = probe_stats.mean_magnetization;
    if !(m.abs() < 1.0) {
        return Err(StudyError::Point(format!(
            "point {}: the probe's magnetisation {m} saturated; beta_eff cannot be measured",
            key.index
        )));
    }
    let n = probe_stats.cells as f64 * probe_stats.samples as f64;
    let se_m = ((1.0 - m * m) / n).sqrt();
    Ok(PointResult::Chip(ChipResult {
        cells: stats.cells,
        sweeps: stats.sweeps,
        model_beta: stats.beta,
        compensation,
        mismatch_sigma_v: report.mismatch_sigma_v,
        effective_beta_predicted: report.effective_beta,
        effective_beta_measured: m.atanh() / PROBE_FIELD,
        effective_beta_se: se_m / (1.0 - m * m) / PROBE_FIELD,
        mean_abs_magnetization: stats.mean_abs_magnetization,
        mean_abs_magnetization_se: stats.mean_abs_magnetization_se,
        energy_per_cell: stats.energy_per_cell_mean,
        energy_per_cell_se: stats.energy_per_cell_se,
        tau_int_energy: stats.tau_int_energy,
        energy_per_sweep_j: report.energy.per_sweep_j,
        chip_energy_per_sample_j: report.energy.per_sample_j(stats.tau_int_energy),
    }))
}

/// Run one point.
pub fn run(study: &Study, key: &PointKey) -> Result<PointResult, StudyError> {
    let result = match key.stage {
        Stage::Traces => run_traces(study, key),
        Stage::Calibration => run_calibration(study, key),
        Stage::Chip => run_chip_point(study, key),
    };
    result.map_err(|e| {
        StudyError::Point(format!(
            "{}: point {} ({} at {} K): {}",
            study.source.display(),
            key.index,
            key.stage.name(),
            key.temperature_k,
            as_study_keys(&e.to_string(), key.stage.name())
        ))
    })
}

/// The library's messages name command-line flags; in a study the stage's keys are meant
/// (`--tstop 1u` is `traces.tstop = "1u"`, `--set vin=0` is `set = { vin = "0" }`).
pub(super) fn as_study_keys(message: &str, stage: &str) -> String {
    let mut text = message.replace("--set ", "");
    for flag in ["tstop", "dt", "warmup", "max-time", "precision", "accuracy", "runs"] {
        text = text.replace(&format!("--{flag}"), &format!("{stage}.{}", flag.replace('-', "_")));
    }
    text
}

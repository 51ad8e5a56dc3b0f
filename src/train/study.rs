//! The study users want: does training with the hardware's imperfect cells in the loop
//! recover what deploying an ideally trained machine on them loses?
//!
//! ```toml
//! [study]
//! temperatures = ["250K", "300K", "350K"]   # operating temperatures of the cells
//! mismatch = ["0", "5m", "10m"]             # values of [cells] mismatch (offset sigma)
//! seeds = 3                                 # replicates: training seed and chip instance
//! ```
//! with `[cells] kind = "pbit"` (calibration, design_temperature: the temperature at which the
//! cells realise the machine's beta; default 300 K). For replicate r (seed s_r =
//! seed.child(SweepPoint, r)):
//! 1. the machine is trained with ideal cells (seed s_r);
//! 2. at every (temperature, mismatch) the chip instance s_r (offsets from s_r, so one draw of
//!    offsets scaled by sigma) is built, the ideal machine is deployed on it, and a machine is
//!    trained in the loop on it (same seed s_r, same data order: only the cells differ);
//! 3. both are scored by KL(data || the law the chip samples): exact, by enumerating the
//!    effective model the cells realise ([`crate::train::evaluate::effective_model`]), or from
//!    the chip's samples when the cells realise no Boltzmann law or the machine is too big.
//!
//! The figure shows the mean over replicates with its standard error (sd / sqrt(seeds)).
//! Every training keeps its own directory (DIR/runs/NAME/), so `--resume` reruns only what an
//! interruption cut short. Results: DIR/results.csv (one row per replicate and point),
//! DIR/summary.json (means and errors), DIR/report.html.

use super::TrainError;
use super::cells::ChipCells;
use super::config::TrainFile;
use super::data::DataSet;
use super::evaluate::{self, effective_model};
use super::machine::Machine;
use super::plain::{DataSummary, MachineSummary, data_batches, deployed_kl, load_data, machine};
use super::run::{Job, RunOptions, pool, train};
use crate::chip::ChipConfig;
use crate::chip::description::config::CellKind;
use crate::io::CsvWriter;
use crate::rng::{Domain, Seed};
use crate::units::parse_temperature;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `[study]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySection {
    pub temperatures: Vec<String>,
    pub mismatch: Vec<toml::Value>,
    #[serde(default = "three")]
    pub seeds: usize,
}

fn three() -> usize {
    3
}

impl StudySection {
    pub fn validate(&self, file: &TrainFile) -> Result<(), TrainError> {
        let err = |key: &str, m: String| file.error("study", key, m);
        if self.temperatures.is_empty() || self.mismatch.is_empty() || self.seeds == 0 {
            return Err(err(
                "temperatures",
                "give at least one temperature, one mismatch and one seed".into(),
            ));
        }
        for t in &self.temperatures {
            parse_temperature(t).map_err(|e| err("temperatures", e.to_string()))?;
        }
        if file.chip.cells.kind != CellKind::Pbit {
            return Err(file.error(
                "cells",
                "kind",
                "the study deploys on calibrated cells: kind = \"pbit\"",
            ));
        }
        if file.dtm.is_some() {
            return Err(err("seeds", "a file is either a [study] or a [dtm], not both".into()));
        }
        Ok(())
    }
}

/// One replicate at one point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyRow {
    pub temperature_k: f64,
    pub mismatch: String,
    pub mismatch_v: f64,
    pub replicate: usize,
    /// KL of the ideal machine deployed on these cells, and of the machine trained on them.
    pub kl_ideal_deployed: f64,
    pub kl_in_the_loop: f64,
    /// Standard errors (0 when exact).
    pub kl_ideal_deployed_se: f64,
    pub kl_in_the_loop_se: f64,
    /// KL of this replicate's ideal machine on ideal cells (the loss-free reference).
    pub kl_ideal_cells: f64,
    pub exact: bool,
    pub effective_beta: f64,
}

/// Mean and standard error over replicates at one point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyPoint {
    pub temperature_k: f64,
    pub mismatch: String,
    pub mismatch_v: f64,
    pub kl_ideal_deployed: f64,
    pub kl_ideal_deployed_se: f64,
    pub kl_in_the_loop: f64,
    pub kl_in_the_loop_se: f64,
    /// What training in the loop gains, deployed minus in the loop, paired by replicate (same
    /// chip instance and seed): mean and standard error.
    pub gain: f64,
    pub gain_se: f64,
    /// What training in the loop leaves, in the loop minus the same replicate's ideal machine
    /// on ideal cells: mean and standard error (0 within its error: the loss is recovered).
    pub excess: f64,
    pub excess_se: f64,
}

/// What the study produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyOutcome {
    pub trainings: usize,
    /// KL of the ideal machines with ideal cells (mean, standard error).
    pub kl_ideal: (f64, f64),
    pub rows: Vec<StudyRow>,
    pub points: Vec<StudyPoint>,
    /// A check of the exact scoring: KL from the chip's own samples at the first point.
    pub sampled_check: Option<(f64, f64, f64)>,
}

fn mismatch_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// KL(data || chip) of `theta` on `cells`, exact when possible: (value, standard error, exact).
#[allow(clippy::too_many_arguments)]
fn score(
    file: &TrainFile,
    machine: &Machine,
    theta: &[f64],
    data: &DataSet,
    cells: &ChipCells,
    seed: Seed,
    pool: &rayon::ThreadPool,
) -> Result<(f64, f64, bool), TrainError> {
    let enumerable = evaluate::enumerable(machine, &file.evaluation);
    let model = machine.model(theta, 0);
    if enumerable && effective_model(&model, cells).is_some() {
        let kl = deployed_kl(machine, theta, data, cells, true)?.unwrap_or(f64::NAN);
        return Ok((kl, 0.0, true));
    }
    let s = evaluate::sampled(machine, theta, data, cells, &file.chains, &file.evaluation, seed, pool)?;
    Ok((s.kl, s.kl_se, false))
}

/// Mean and standard error of `x`.
fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let se = if x.len() > 1 {
        (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt()
    } else {
        0.0
    };
    (m, se)
}

/// Runs the study of `file` into `dir`.
pub fn run(
    file: &TrainFile,
    dir: &Path,
    options: &RunOptions,
    label: &(dyn Fn(&str) + Sync),
) -> Result<StudyOutcome, TrainError> {
    let study = file.study.as_ref().ok_or_else(|| TrainError::Unsupported("no [study] section".into()))?;
    let pool = pool(options.threads)?;
    let data = load_data(file);
    let design =
        file.chip.cells.design_temperature.clone().unwrap_or_else(|| toml::Value::String("300K".into()));
    let cells_at = |t: &str, sigma: &toml::Value| -> ChipConfig {
        let mut c = file.chip.clone();
        c.cells.temperature = Some(toml::Value::String(t.to_string()));
        c.cells.design_temperature = Some(design.clone());
        c.cells.mismatch = Some(sigma.clone());
        c
    };
    let mut ideal_chip = file.chip.clone();
    ideal_chip.cells.kind = CellKind::Ideal;
    let m = machine(file, &ideal_chip, data.rows, data.cols, false, 0)?;
    let enumerable = evaluate::enumerable(&m, &file.evaluation);
    let distribution = data.distribution();
    let mut trainings = 0;
    let mut train_on = |name: &str, cells: &ChipCells, seed: Seed| -> Result<Vec<f64>, TrainError> {
        label(name);
        let sub = dir.join("runs").join(name);
        std::fs::create_dir_all(&sub).map_err(|e| TrainError::Io(format!("{}: {e}", sub.display())))?;
        let batches = data_batches(&data, file.train.batch, false, seed);
        let loss = |theta: &[f64]| deployed_kl(&m, theta, &data, cells, enumerable);
        let job = Job {
            file,
            machine: &m,
            seed,
            batches: &batches,
            loss: &loss,
            distribution: Some(&distribution),
            initial: None,
            checkpoint: sub.join("checkpoint.json"),
        };
        let trained = train(&job, cells, &RunOptions { resume: true, ..*options }, &pool)?;
        if !trained.finished {
            return Err(TrainError::Unsupported("stopped".into()));
        }
        super::outputs::write_machine(&sub, &m, &trained.theta, &file.chip)?;
        super::outputs::write_history(&sub.join("history.csv"), &trained.history)?;
        trainings += 1;
        Ok(trained.theta)
    };
    let (ideal_cells, _) = ChipCells::new(&ideal_chip, &m.chip, file.train.seed)?;
    let mut rows = vec![];
    let mut kl_ideal = vec![];
    let mut sampled_check = None;
    for r in 0..study.seeds {
        let seed = Seed(file.train.seed).child(Domain::SweepPoint, r as u64);
        let ideal = train_on(&format!("ideal_r{r}"), &ideal_cells, seed)?;
        kl_ideal.push(score(file, &m, &ideal, &data, &ideal_cells, seed, &pool)?.0);
        for t in &study.temperatures {
            for sigma in &study.mismatch {
                let config = cells_at(t, sigma);
                let (cells, report) = ChipCells::new(&config, &m.chip, seed.0)?;
                let report =
                    report.ok_or_else(|| TrainError::Unsupported("the study needs p-bit cells".into()))?;
                let name = format!("T{}_m{}_r{r}", report.temperature_k.round(), mismatch_text(sigma));
                let looped = train_on(&name, &cells, seed)?;
                let s = seed.child(Domain::Other, 5);
                let (a, a_se, exact_a) = score(file, &m, &ideal, &data, &cells, s, &pool)?;
                let (b, b_se, exact_b) = score(file, &m, &looped, &data, &cells, s, &pool)?;
                if sampled_check.is_none() && exact_a {
                    let x = evaluate::sampled(
                        &m,
                        &ideal,
                        &data,
                        &cells,
                        &file.chains,
                        &file.evaluation,
                        s,
                        &pool,
                    )?;
                    sampled_check = Some((a, x.kl, x.kl_se));
                }
                rows.push(StudyRow {
                    temperature_k: report.temperature_k,
                    mismatch: mismatch_text(sigma),
                    mismatch_v: report.mismatch_sigma_v,
                    replicate: r,
                    kl_ideal_deployed: a,
                    kl_in_the_loop: b,
                    kl_ideal_deployed_se: a_se,
                    kl_in_the_loop_se: b_se,
                    kl_ideal_cells: kl_ideal[r],
                    exact: exact_a && exact_b,
                    effective_beta: report.effective_beta,
                });
            }
        }
    }
    let mut points = vec![];
    for row in rows.iter().filter(|r| r.replicate == 0) {
        let same: Vec<&StudyRow> = rows
            .iter()
            .filter(|q| q.temperature_k == row.temperature_k && q.mismatch == row.mismatch)
            .collect();
        let (a, a_se) = mean_se(&same.iter().map(|q| q.kl_ideal_deployed).collect::<Vec<_>>());
        let (b, b_se) = mean_se(&same.iter().map(|q| q.kl_in_the_loop).collect::<Vec<_>>());
        let (gain, gain_se) =
            mean_se(&same.iter().map(|q| q.kl_ideal_deployed - q.kl_in_the_loop).collect::<Vec<_>>());
        let (excess, excess_se) =
            mean_se(&same.iter().map(|q| q.kl_in_the_loop - q.kl_ideal_cells).collect::<Vec<_>>());
        points.push(StudyPoint {
            temperature_k: row.temperature_k,
            mismatch: row.mismatch.clone(),
            mismatch_v: row.mismatch_v,
            kl_ideal_deployed: a,
            kl_ideal_deployed_se: a_se,
            kl_in_the_loop: b,
            kl_in_the_loop_se: b_se,
            gain,
            gain_se,
            excess,
            excess_se,
        });
    }
    let outcome = StudyOutcome { trainings, kl_ideal: mean_se(&kl_ideal), rows, points, sampled_check };
    write_results(&dir.join("results.csv"), &outcome.rows)?;
    crate::io::write_json_atomic(
        dir.join("summary.json"),
        &serde_json::json!({
            "pbitsim_version": env!("CARGO_PKG_VERSION"),
            "training_file_sha256": file.sha256,
            "data": DataSummary::of(&data),
            "machine": MachineSummary::of(&m),
            "study": &outcome,
        }),
    )?;
    super::report::study(dir, file, &data, &outcome)?;
    Ok(outcome)
}

fn write_results(path: &Path, rows: &[StudyRow]) -> Result<(), TrainError> {
    let columns = [
        "temperature_k",
        "mismatch_v",
        "replicate",
        "kl_ideal_deployed",
        "kl_ideal_deployed_se",
        "kl_in_the_loop",
        "kl_in_the_loop_se",
        "kl_ideal_cells",
        "exact",
        "effective_beta",
    ];
    let mut w = CsvWriter::create(path, &columns)?;
    for r in rows {
        w.write_row(&[
            r.temperature_k,
            r.mismatch_v,
            r.replicate as f64,
            r.kl_ideal_deployed,
            r.kl_ideal_deployed_se,
            r.kl_in_the_loop,
            r.kl_in_the_loop_se,
            r.kl_ideal_cells,
            f64::from(u8::from(r.exact)),
            r.effective_beta,
        ])?;
    }
    Ok(w.finish()?)
}

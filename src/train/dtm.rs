//! A small denoising thermodynamic model (DTM; arXiv:2510.23972, PHYSICS.md 11): a chain of T
//! conditional Boltzmann machines on the chip, machine t sampling x_{t-1} given x_t.
//!
//! **Forward process.** Step t flips every pixel of x_{t-1} independently with probability
//! eps_t (`noise = [eps_1, ..., eps_T]`, T = 2..4), so q(x_t | x_{t-1}) is proportional to
//! exp(J_t sum_i x_t,i x_{t-1},i) with J_t = ln((1 - eps_t) / eps_t) / 2, and after k steps a
//! pixel is flipped with probability p_k = (1 - prod_{j<=k} (1 - 2 eps_j)) / 2. With
//! eps_T = 1/2, x_T is uniform noise.
//!
//! **Reverse machines.** Machine t is a conditional Boltzmann machine on the chip (placement:
//! [`crate::train::placement`], input cell beside its output pixel): its inputs are clamped to
//! x_t, its visible cells hold x_{t-1}, and the class y enters as a field vector b_y (the bias
//! every cell is programmed with, `classes = true`). It is trained by PCD on pairs
//! (x_{t-1}, x_t) drawn from the forward process of the training digits, with the cells of
//! `[cells]` in both phases (one chip, one mismatch draw, for all T machines); the coupling of
//! each input to its pixel starts at J_t, the rest as `[train] init` says. Machine t draws from
//! seed.child(SweepPoint, t).
//!
//! **Generation.** x_T is uniform; for t = T..1, machine t starts with its visible cells at
//! x_t (hidden cells random), runs `sweeps` sweeps (K_mix) with inputs x_t and class y, and
//! its visible cells are x_{t-1}. Image k asks for class k mod 10.
//!
//! **Quality.** A nearest-centroid classifier (class means of the training digits) labels the
//! generated x_0; the accuracy against the class asked for is compared with the classifier's
//! accuracy on real held-out digits and with images of independent pixels drawn from each
//! class's pixel means (what class fields alone give); and the mean Hamming distance from each
//! generated digit to its nearest training digit, against the same for real held-out digits
//! and for the independent-pixel images. Denoising: held-out digits are noised
//! to x_1 and machine 1's mean over 50 reads (after 50 sweeps) predicts each pixel.
//!
//! **Energy.** One generated sample costs T sweeps of K_mix per step:
//! E = T K_mix N (E_cell + E_links) with the chip energy model of
//! [`crate::chip::cells::behavioural`] (calibrated p-bit cells), reported also for the same
//! program on a 70 x 70 degree-12 chip against Extropic's estimate of about 1.6 T nJ.

use super::TrainError;
use super::cells::ChipCells;
use super::checkpoint::HistoryRow;
use super::config::TrainFile;
use super::data::{DataSet, Example, choose};
use super::evaluate::{ChainSpec, SamplingPlan, mean_spins, sample_visible};
use super::machine::Machine;
use super::plain::{DataSummary, MachineSummary, load_data, machine};
use super::run::{Job, OwnedTarget, RunOptions, Trained, initial, pool, train};
use crate::chip::Model;
use crate::rng::{Domain, Seed};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `[dtm]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DtmSection {
    /// Flip probability eps_t of each forward step (T = its length).
    pub noise: Vec<f64>,
    /// Class-conditional machines (class fields).
    #[serde(default = "yes")]
    pub classes: bool,
    /// Images generated.
    #[serde(default = "d_generate")]
    pub generate: usize,
    /// Sweeps per reverse step when generating (K_mix).
    #[serde(default = "d_sweeps")]
    pub sweeps: u64,
}

fn yes() -> bool {
    true
}
fn d_generate() -> usize {
    100
}
fn d_sweeps() -> u64 {
    250
}

impl DtmSection {
    pub fn validate(&self, file: &TrainFile) -> Result<(), TrainError> {
        let err = |key: &str, m: &str| file.error("dtm", key, m);
        if !(2..=4).contains(&self.noise.len()) {
            return Err(err("noise", "give 2 to 4 flip probabilities (one per step)"));
        }
        if self.noise.iter().any(|&e| !(e > 0.0 && e <= 0.5)) {
            return Err(err("noise", "each flip probability must be in (0, 1/2]"));
        }
        if self.generate == 0 || self.sweeps == 0 {
            return Err(err(if self.generate == 0 { "generate" } else { "sweeps" }, "expected at least 1"));
        }
        if file.data.set != super::config::DataName::Digits {
            return Err(file.error("data", "set", "the DTM is trained on the digits: set = \"digits\""));
        }
        if file.study.is_some() {
            return Err(err("noise", "a file is either a [study] or a [dtm], not both"));
        }
        Ok(())
    }

    /// Flip probability after `k` forward steps.
    pub fn cumulative(&self, k: usize) -> f64 {
        (1.0 - self.noise[..k].iter().map(|e| 1.0 - 2.0 * e).product::<f64>()) / 2.0
    }
}

/// Each pixel of `x` flipped with probability `p` (uniforms from `rng`).
fn flip(x: &[i8], p: f64, rng: &mut impl Rng) -> Vec<i8> {
    x.iter()
        .map(|&s| if ((rng.next_u64() >> 11) as f64) * (1.0 / 9_007_199_254_740_992.0) < p { -s } else { s })
        .collect()
}

/// The minibatch of machine `t` (1-based) at step `s`: pairs (x_{t-1}, x_t) of forward noise.
fn pairs(data: &DataSet, dtm: &DtmSection, t: usize, batch: usize, seed: Seed, s: u64) -> Vec<OwnedTarget> {
    let chosen = choose(data.train.len(), batch.min(data.train.len()), seed, s);
    let noise = seed.child(Domain::Other, s);
    (0..batch)
        .map(|b| {
            let e = &data.train[chosen[b % chosen.len()]];
            let mut rng = noise.stream(Domain::Other, b as u64);
            let before = flip(&e.pixels, dtm.cumulative(t - 1), &mut rng);
            let after = flip(&before, dtm.noise[t - 1], &mut rng);
            OwnedTarget { visible: before, inputs: Some(after), class: if dtm.classes { e.label } else { 0 } }
        })
        .collect()
}

/// Machine t's initial parameters: `[train] init`, then each input-to-pixel coupling at J_t.
fn start(job: &Job, eps: f64) -> Vec<f64> {
    let m = job.machine;
    let mut theta = initial(job);
    let jt = (0.5 * ((1.0 - eps) / eps).ln()).min(3.0);
    for (k, e) in m.edges.iter().enumerate() {
        let pair = |a: usize, b: usize| m.visible.iter().zip(&m.inputs).any(|(&v, &i)| (v, i) == (a, b));
        if pair(e.i, e.j) || pair(e.j, e.i) {
            theta[k] = jt;
        }
    }
    theta
}

/// The quality and energy numbers of a DTM.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DtmOutcome {
    pub steps: usize,
    pub noise: Vec<f64>,
    pub generated: usize,
    /// Nearest-centroid accuracy of the generated digits against the class asked for.
    pub accuracy: f64,
    pub accuracy_se: f64,
    /// The classifier on real held-out digits.
    pub real_accuracy: f64,
    /// Independent pixels with each class's mean (class fields alone).
    pub independent_pixel_accuracy: f64,
    /// Mean Hamming distance (pixels) from each image to its nearest training digit: the
    /// generated digits, real held-out digits, and independent pixels with class means.
    pub nearest_training_distance: f64,
    pub real_nearest_training_distance: f64,
    pub independent_nearest_training_distance: f64,
    /// Machine 1 denoising held-out x_1: pixel accuracy, and that of x_1 itself.
    pub denoise_accuracy: f64,
    pub noisy_accuracy: f64,
    pub sweeps_per_step: u64,
    /// Energy of one generated sample on this chip and on a 70 x 70 degree-12 chip (J); None
    /// for ideal cells (no energy model).
    pub energy_per_sample_j: Option<f64>,
    pub energy_per_sample_70x70_j: Option<f64>,
    /// Extropic's estimate for the 70 x 70 chip: 1.6 T nJ.
    pub extropic_estimate_j: f64,
    pub cells: usize,
}

fn sign(mean: &[f64], rng: &mut impl Rng) -> Vec<i8> {
    mean.iter().map(|&m| if m > 0.0 || (m == 0.0 && rng.next_u64() >> 63 == 1) { 1 } else { -1 }).collect()
}

/// A chain of a reverse machine: inputs clamped to `x`, its visible cells starting at `x`
/// (the other cells from the chain's random start), class `class`.
fn spec(machine: &Machine, x: &[i8], class: usize) -> ChainSpec {
    let mut start = vec![0i8; machine.cells()];
    for (&c, &v) in machine.visible.iter().zip(x) {
        start[c] = v;
    }
    ChainSpec { clamp: machine.clamps(Some(x), None), class, start: Some(start) }
}

/// Generates images: x_T uniform, then machines T..1, K_mix sweeps each; returns every x_t.
fn generate(
    machines: &[(Machine, Vec<f64>)],
    dtm: &DtmSection,
    cells: &ChipCells,
    file: &TrainFile,
    seed: Seed,
    pool: &rayon::ThreadPool,
) -> Result<Vec<Vec<Vec<i8>>>, TrainError> {
    let n = dtm.generate;
    let pixels = machines[0].0.visible.len();
    let classes: Vec<usize> = (0..n).map(|k| if dtm.classes { k % 10 } else { 0 }).collect();
    let mut x: Vec<Vec<i8>> =
        (0..n).map(|k| flip(&vec![1; pixels], 0.5, &mut seed.stream(Domain::Initial, k as u64))).collect();
    let mut trail = vec![x.clone()];
    for t in (1..=machines.len()).rev() {
        let (m, theta) = &machines[t - 1];
        let models: Vec<Model> = (0..m.classes.max(1)).map(|y| m.model(theta, y)).collect();
        let specs: Vec<ChainSpec> = x.iter().zip(&classes).map(|(v, &class)| spec(m, v, class)).collect();
        let plan = SamplingPlan { warmup: dtm.sweeps - 1, reads: 1, thin: 1 };
        let s = seed.child(Domain::SweepPoint, t as u64);
        let reads = sample_visible(m, &models, cells, &file.chains, &specs, &plan, s, pool)?;
        x = reads.into_iter().map(|mut r| r.pop().unwrap_or_default()).collect();
        trail.push(x.clone());
    }
    Ok(trail)
}

/// Trains the DTM of `file` into `dir` and writes its report.
pub fn run(
    file: &TrainFile,
    dir: &Path,
    options: &RunOptions,
    label: &(dyn Fn(&str) + Sync),
) -> Result<DtmOutcome, TrainError> {
    let dtm = file.dtm.as_ref().ok_or_else(|| TrainError::Unsupported("no [dtm] section".into()))?;
    let pool = pool(options.threads)?;
    let data = load_data(file);
    let classes = if dtm.classes { data.classes } else { 0 };
    let seed = Seed(file.train.seed);
    let first = machine(file, &file.chip, data.rows, data.cols, true, classes)?;
    let (cells, cells_report) = ChipCells::new(&file.chip, &first.chip, file.train.seed)?;
    let mut machines: Vec<(Machine, Vec<f64>)> = vec![];
    let mut histories: Vec<Vec<HistoryRow>> = vec![];
    let mut sweeps_here = (0u64, 0.0f64);
    for t in 1..=dtm.noise.len() {
        label(&format!("DTM machine {t}/{}", dtm.noise.len()));
        let sub = dir.join("steps").join(format!("t{t}"));
        std::fs::create_dir_all(&sub).map_err(|e| TrainError::Io(format!("{}: {e}", sub.display())))?;
        let m = first.clone();
        let st = seed.child(Domain::SweepPoint, t as u64);
        let batches = |s: u64| pairs(&data, dtm, t, file.train.batch, st, s);
        let no_loss = |_: &[f64]| Ok(None);
        let mut job = Job {
            file,
            machine: &m,
            seed: st,
            batches: &batches,
            loss: &no_loss,
            distribution: None,
            initial: None,
            checkpoint: sub.join("checkpoint.json"),
        };
        job.initial = Some(start(&job, dtm.noise[t - 1]));
        let opts = RunOptions { resume: true, ..*options };
        let trained: Trained = train(&job, &cells, &opts, &pool)?;
        if !trained.finished {
            return Err(TrainError::Unsupported("stopped".into()));
        }
        sweeps_here = (sweeps_here.0 + trained.sweeps_here, sweeps_here.1 + trained.seconds_here);
        super::outputs::write_machine(&sub, &m, &trained.theta, &file.chip)?;
        super::outputs::write_history(&sub.join("history.csv"), &trained.history)?;
        histories.push(trained.history);
        machines.push((m, trained.theta));
    }
    label("DTM generating");
    let started = std::time::Instant::now();
    let trail = generate(&machines, dtm, &cells, file, seed.child(Domain::Other, 7), &pool)?;
    let generated = trail.last().cloned().unwrap_or_default();
    let centroids = data.centroids();
    let asked: Vec<usize> = (0..generated.len()).map(|k| if dtm.classes { k % 10 } else { 0 }).collect();
    let right = generated.iter().zip(&asked).filter(|(x, y)| centroids.classify(x) == **y).count();
    let n = generated.len() as f64;
    let accuracy = right as f64 / n;
    let independent: Vec<Example> = (0..generated.len())
        .map(|k| {
            let mut rng = seed.child(Domain::Other, 8).stream(Domain::Other, k as u64);
            let mean = &centroids.means[asked[k]];
            let pixels = mean
                .iter()
                .map(|&m| {
                    if ((rng.next_u64() >> 11) as f64) * (1.0 / 9_007_199_254_740_992.0) < (1.0 + m) / 2.0 {
                        1
                    } else {
                        -1
                    }
                })
                .collect();
            Example { pixels, label: asked[k] }
        })
        .collect();
    let (denoise, noisy) =
        denoising(&machines[0], dtm, &data, &cells, file, seed.child(Domain::Other, 9), &pool)?;
    let energy = cells_report.as_ref().map(|c| c.energy);
    let t = dtm.noise.len() as f64;
    let outcome = DtmOutcome {
        steps: dtm.noise.len(),
        noise: dtm.noise.clone(),
        generated: generated.len(),
        accuracy,
        accuracy_se: (accuracy * (1.0 - accuracy) / n).sqrt(),
        real_accuracy: centroids.accuracy(&data.test),
        independent_pixel_accuracy: centroids.accuracy(&independent),
        nearest_training_distance: nearest_distance(generated.iter(), &data.train),
        real_nearest_training_distance: nearest_distance(data.test.iter().map(|e| &e.pixels), &data.train),
        independent_nearest_training_distance: nearest_distance(
            independent.iter().map(|e| &e.pixels),
            &data.train,
        ),
        denoise_accuracy: denoise,
        noisy_accuracy: noisy,
        sweeps_per_step: dtm.sweeps,
        energy_per_sample_j: energy.map(|e| t * dtm.sweeps as f64 * e.per_sweep_j),
        energy_per_sample_70x70_j: energy
            .map(|e| t * dtm.sweeps as f64 * 4900.0 * (e.cell_j + e.links_j * 12.0 / degree(&first))),
        extropic_estimate_j: t * 1.6e-9,
        cells: first.cells(),
    };
    let timing = serde_json::json!({
        "threads": pool.current_num_threads(),
        "train_seconds": sweeps_here.1,
        "chain_sweeps": sweeps_here.0,
        "chain_sweeps_per_second": sweeps_here.0 as f64 / sweeps_here.1.max(1e-9),
        "generation_and_evaluation_seconds": started.elapsed().as_secs_f64(),
    });
    crate::io::write_json_atomic(
        dir.join("summary.json"),
        &serde_json::json!({
            "pbitsim_version": env!("CARGO_PKG_VERSION"),
            "training_file_sha256": file.sha256,
            "data": DataSummary::of(&data),
            "machine": MachineSummary::of(&first),
            "cells": cells_report,
            "dtm": outcome,
        }),
    )?;
    crate::io::write_json_atomic(dir.join("timing.json"), &timing)?;
    super::report::dtm(dir, file, &data, &outcome, &trail, &histories, &independent)?;
    Ok(outcome)
}

/// Mean over `images` of the Hamming distance to the nearest image of `train`.
fn nearest_distance<'a>(images: impl Iterator<Item = &'a Vec<i8>>, train: &[Example]) -> f64 {
    let (mut sum, mut n) = (0usize, 0usize);
    for x in images {
        let d =
            train.iter().map(|e| e.pixels.iter().zip(x).filter(|(a, b)| a != b).count()).min().unwrap_or(0);
        sum += d;
        n += 1;
    }
    sum as f64 / n.max(1) as f64
}

/// The chip's mean degree (links per cell).
fn degree(m: &Machine) -> f64 {
    2.0 * m.chip.topology.edge_slots() as f64 / m.cells() as f64
}

/// Machine 1 denoising held-out digits: pixel accuracy of its prediction, and of x_1.
fn denoising(
    machine: &(Machine, Vec<f64>),
    dtm: &DtmSection,
    data: &DataSet,
    cells: &ChipCells,
    file: &TrainFile,
    seed: Seed,
    pool: &rayon::ThreadPool,
) -> Result<(f64, f64), TrainError> {
    let (m, theta) = machine;
    let test = &data.test[..data.test.len().min(200)];
    let noisy: Vec<Vec<i8>> = test
        .iter()
        .enumerate()
        .map(|(k, e)| flip(&e.pixels, dtm.noise[0], &mut seed.stream(Domain::Initial, k as u64)))
        .collect();
    let models: Vec<Model> = (0..m.classes.max(1)).map(|y| m.model(theta, y)).collect();
    let specs: Vec<ChainSpec> =
        noisy.iter().zip(test).map(|(v, e)| spec(m, v, if dtm.classes { e.label } else { 0 })).collect();
    let plan = SamplingPlan { warmup: 50, reads: 50, thin: 1 };
    let reads = sample_visible(m, &models, cells, &file.chains, &specs, &plan, seed, pool)?;
    let means: Vec<Vec<f64>> = reads.iter().map(|r| mean_spins(r)).collect();
    let mut rng = seed.stream(Domain::Other, 0);
    let total = (test.len() * data.pixels()) as f64;
    let agree = |a: &[i8], b: &[i8]| a.iter().zip(b).filter(|(x, y)| x == y).count();
    let denoised: usize =
        means.iter().zip(test).map(|(mean, e)| agree(&sign(mean, &mut rng), &e.pixels)).sum();
    let raw: usize = noisy.iter().zip(test).map(|(x, e)| agree(x, &e.pixels)).sum();
    Ok((denoised as f64 / total, raw as f64 / total))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two forward steps flip a pixel with the composed probability p_2 (binomial, 5 SE).
    #[test]
    fn composed_flips_follow_the_cumulative_probability() {
        let d = DtmSection { noise: vec![0.1, 0.25], classes: false, generate: 1, sweeps: 1 };
        let p2 = d.cumulative(2);
        assert!((p2 - (1.0 - 0.8 * 0.5) / 2.0).abs() < 1e-15);
        let n = 200_000;
        let mut rng = Seed(3).stream(Domain::Other, 0);
        let x = vec![1i8; n];
        let y = flip(&flip(&x, 0.1, &mut rng), 0.25, &mut rng);
        let frac = y.iter().filter(|&&s| s < 0).count() as f64 / n as f64;
        assert!((frac - p2).abs() < 5.0 * (p2 * (1.0 - p2) / n as f64).sqrt(), "{frac} vs {p2}");
    }
}

//! The training loop: parameter updates from chip gradient estimates (or exact gradients),
//! the learning-rate schedule, loss evaluations, progress, and checkpoints every
//! `checkpoint_every` steps, resumable bit for bit (see [`crate::train::checkpoint`]).
//! A [`Job`] says what to train (machine, minibatches, loss, checkpoint path); [`train`] runs
//! it with any cells. [`crate::train::plain`], [`crate::train::dtm`] and
//! [`crate::train::study`] build the jobs.

use super::TrainError;
use super::checkpoint::{Checkpoint, HistoryRow};
use super::config::{GradientKind, Init, TrainFile};
use super::exact;
use super::machine::Machine;
use super::optimizer::Optimizer;
use super::pcd::{Estimator, Target, chains};
use crate::chip::CellModel;
use crate::rng::{Domain, Seed};
use rand_distr::{Distribution, Normal};
use std::path::PathBuf;
use std::time::Instant;

/// What the caller sees after each step.
#[derive(Debug, Clone, Copy)]
pub struct StepInfo {
    pub step: u64,
    pub steps: u64,
    pub gradient_rms: f64,
    /// The latest loss evaluation (step, value).
    pub loss: Option<(u64, f64)>,
}

/// How to run (not what to train).
#[derive(Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// Worker threads (0: one per core). Results do not depend on it.
    pub threads: usize,
    /// Continue from DIR/checkpoint.json if there is one.
    pub resume: bool,
    /// Called after every step; the library never prints.
    pub progress: Option<&'a (dyn Fn(&StepInfo) + Sync)>,
    /// Stop after this many steps as if interrupted (checkpoint written, no outputs): tests.
    pub stop_after: Option<u64>,
}

/// The worker pool of `threads` threads (0: one per core).
pub fn pool(threads: usize) -> Result<rayon::ThreadPool, TrainError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| TrainError::Unsupported(format!("cannot start {threads} threads: {e}")))
}

/// A training target that owns its pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedTarget {
    pub visible: Vec<i8>,
    pub inputs: Option<Vec<i8>>,
    pub class: usize,
}

/// Supplies the minibatch of each step.
pub type Batches<'a> = &'a (dyn Fn(u64) -> Vec<OwnedTarget> + Sync);
/// Evaluates the loss of parameters (None: not evaluable).
pub type LossFn<'a> = &'a (dyn Fn(&[f64]) -> Result<Option<f64>, TrainError> + Sync);

/// One training job: a machine, its data and where its checkpoint lives.
pub struct Job<'a> {
    pub file: &'a TrainFile,
    pub machine: &'a Machine,
    pub seed: Seed,
    pub batches: Batches<'a>,
    pub loss: LossFn<'a>,
    /// The data distribution (exact gradients only).
    pub distribution: Option<&'a [(Vec<i8>, f64)]>,
    /// Initial parameters chosen by the caller (else `[train] init`).
    pub initial: Option<Vec<f64>>,
    pub checkpoint: PathBuf,
}

/// What a training job produced.
#[derive(Debug, Clone)]
pub struct Trained {
    pub theta: Vec<f64>,
    pub history: Vec<HistoryRow>,
    /// Chain sweeps over the whole run (resumed parts included) and in this process.
    pub sweeps: u64,
    pub sweeps_here: u64,
    pub seconds_here: f64,
    /// False when stopped early by `stop_after`.
    pub finished: bool,
}

/// Initial parameters: couplings N(0, init_sigma) from stream (seed, Parameters, 0), fields
/// and class fields zero; or the chip description's own model.
pub fn initial(job: &Job) -> Vec<f64> {
    if let Some(theta) = &job.initial {
        return theta.clone();
    }
    let m = job.machine;
    if job.file.train.init == Init::Chip {
        return m.parameters_of_chip();
    }
    let mut theta = vec![0.0; m.parameters()];
    let sigma = job.file.train.init_sigma;
    if sigma > 0.0 {
        let mut rng = job.seed.stream(Domain::Parameters, 0);
        let normal = Normal::new(0.0, sigma).expect("init_sigma validated");
        theta[..m.edges.len()].iter_mut().for_each(|j| *j = normal.sample(&mut rng));
    }
    theta
}

/// Trains `job` with `cells` in both phases.
pub fn train<C: CellModel + Clone + 'static>(
    job: &Job,
    cells: &C,
    options: &RunOptions,
    pool: &rayon::ThreadPool,
) -> Result<Trained, TrainError> {
    let (file, machine, t) = (job.file, job.machine, &job.file.train);
    let mut optimizer = Optimizer::new(job.file.optimizer(), machine.parameters());
    let resumed = if options.resume && job.checkpoint.is_file() {
        let c = Checkpoint::load(&job.checkpoint, &optimizer)?;
        if c.config_sha256 != file.sha256 || c.theta.len() != machine.parameters() {
            return Err(TrainError::Directory(format!(
                "{} was written by a different training file (SHA-256 {}...); start a new --out-dir",
                job.checkpoint.display(),
                &c.config_sha256[..12.min(c.config_sha256.len())]
            )));
        }
        Some(c)
    } else {
        None
    };
    let batch = t.batch;
    let negatives = if machine.conditional() { batch } else { t.chains.unwrap_or(batch) };
    let exact_gradient = t.gradient == GradientKind::Exact;
    let mut estimator = if exact_gradient {
        None
    } else {
        let pos = chains(machine, cells, &file.chains, 0, batch, job.seed)?;
        let neg = chains(machine, cells, &file.chains, batch, negatives, job.seed)?;
        Some(Estimator::new(pos, neg, t.sweeps, t.negative, t.average, machine)?)
    };
    let (mut step, mut theta, mut history, mut sweeps) = (0, initial(job), vec![], 0);
    if let Some(c) = resumed {
        if let Some(e) = estimator.as_mut() {
            if c.positive.len() != e.positive.len() || c.negative.len() != e.negative.len() {
                return Err(TrainError::Directory(format!(
                    "{}: chain count differs",
                    job.checkpoint.display()
                )));
            }
            e.positive.iter_mut().zip(c.positive).for_each(|(ch, s)| ch.state = s);
            e.negative.iter_mut().zip(c.negative).for_each(|(ch, s)| ch.state = s);
        }
        (step, theta, history, sweeps, optimizer) = (c.step, c.theta, c.history, c.sweeps, c.optimizer);
    }
    let started = Instant::now();
    let sweeps_before = sweeps;
    let eval_every = file.eval_every();
    let save =
        |step: u64, theta: &[f64], opt: &Optimizer, e: &Option<Estimator>, h: &[HistoryRow], sweeps: u64| {
            let states = |f: fn(&Estimator) -> &Vec<super::pcd::Chain>| {
                e.as_ref().map_or(vec![], |e| f(e).iter().map(|c| c.state.clone()).collect())
            };
            Checkpoint {
                config_sha256: file.sha256.clone(),
                step,
                theta: theta.to_vec(),
                optimizer: opt.clone(),
                positive: states(|e| &e.positive),
                negative: states(|e| &e.negative),
                history: h.to_vec(),
                sweeps,
            }
            .save(&job.checkpoint)
        };
    while step < t.steps {
        let gradient = if let Some(e) = estimator.as_mut() {
            let owned = (job.batches)(step);
            let targets: Vec<Target> = owned
                .iter()
                .map(|o| Target { visible: &o.visible, inputs: o.inputs.as_deref(), class: o.class })
                .collect();
            let est = e.estimate(machine, &theta, &targets, step, job.seed, pool)?;
            sweeps += est.sweeps;
            est.gradient
        } else {
            let dist = job
                .distribution
                .ok_or_else(|| TrainError::Unsupported("exact gradients need a data distribution".into()))?;
            exact::gradient(machine, &theta, dist)?.0
        };
        if let Some(k) = gradient.iter().position(|g| !g.is_finite()) {
            return Err(TrainError::Numerical(format!(
                "step {step}: gradient component {k} is {}",
                gradient[k]
            )));
        }
        optimizer.step(&mut theta, &gradient, machine.edges.len(), file.learning_rate(step));
        if theta.iter().any(|x| !x.is_finite() || x.abs() > 1e6) {
            return Err(TrainError::Numerical(format!(
                "step {step}: the parameters diverged (|theta| > 1e6 or not finite); lower [train] learning_rate"
            )));
        }
        step += 1;
        let rms = (gradient.iter().map(|g| g * g).sum::<f64>() / gradient.len().max(1) as f64).sqrt();
        let loss = if step % eval_every == 0 || step == t.steps { (job.loss)(&theta)? } else { None };
        history.push(HistoryRow { step, gradient_rms: rms, loss });
        if let Some(p) = options.progress {
            let last = history.iter().rev().find_map(|h| h.loss.map(|l| (h.step, l)));
            p(&StepInfo { step, steps: t.steps, gradient_rms: rms, loss: last });
        }
        if step % t.checkpoint_every == 0 || step == t.steps || options.stop_after == Some(step) {
            save(step, &theta, &optimizer, &estimator, &history, sweeps)?;
        }
        if options.stop_after == Some(step) && step < t.steps {
            return Ok(Trained {
                theta,
                history,
                sweeps,
                sweeps_here: sweeps - sweeps_before,
                seconds_here: started.elapsed().as_secs_f64(),
                finished: false,
            });
        }
    }
    if history.is_empty() || !job.checkpoint.is_file() {
        save(step, &theta, &optimizer, &estimator, &history, sweeps)?;
    }
    Ok(Trained {
        theta,
        history,
        sweeps,
        sweeps_here: sweeps - sweeps_before,
        seconds_here: started.elapsed().as_secs_f64(),
        finished: true,
    })
}

//! The training loop and the files a run writes.
//!
//! `DIR` after `pbitsim train TRAIN.toml --out DIR`:
//! ```text
//! DIR/train.toml         the training file, verbatim
//! DIR/checkpoint.json    the resumable state (crate::train::checkpoint), atomic
//! DIR/edges.csv          i,j,J    the trained couplings, one row per chip edge
//! DIR/fields.csv         i,h      the trained fields, one row per cell
//! DIR/class_fields.csv   class,i,b   class field vectors (class-conditional machines)
//! DIR/placement.csv      pixel,cell,role   where each pixel sits (role visible or input)
//! DIR/chip.toml          a chip description of the trained machine: `pbitsim chip DIR/chip.toml`
//! DIR/history.csv        step,gradient_rms,loss   (loss NaN where not evaluated)
//! DIR/summary.json       the machine, the data, the training settings, every evaluation
//! DIR/timing.json        wall times and chain sweeps per second (kept apart: not reproducible)
//! DIR/report.html        figures and tables; the figures also in DIR/plots/ (SVG, PNG)
//! ```
//! Everything but timing.json is the same, byte for byte, for the same file and seed, on any
//! number of threads, interrupted and resumed or not.

use super::TrainError;
use super::cells::ChipCells;
use super::checkpoint::{Checkpoint, HistoryRow};
use super::config::{DataName, GradientKind, Init, TrainFile};
use super::data::{DataSet, bars_and_stripes, choose};
use super::digits::digits;
use super::evaluate::{self, Evaluation};
use super::exact;
use super::machine::Machine;
use super::optimizer::Optimizer;
use super::outputs::{write_history, write_machine};
use super::pcd::{Estimator, Target, chains};
use super::placement::place;
use crate::chip::cells::behavioural::CellsReport;
use crate::chip::{CellModel, ChipConfig};
use crate::rng::{Domain, Seed};
use rand_distr::{Distribution, Normal};
use serde::Serialize;
use std::path::{Path, PathBuf};
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

/// The data set a `[data]` section describes.
pub fn load_data(file: &TrainFile) -> DataSet {
    let d = &file.data;
    match d.set {
        DataName::BarsAndStripes => bars_and_stripes(d.size.unwrap_or(3)),
        DataName::Digits => digits(
            d.train.unwrap_or(500),
            d.test.unwrap_or(200),
            d.noise.unwrap_or(0.03),
            d.seed.unwrap_or(1),
        ),
    }
}

/// The machine of a training file for images of `rows x cols` (conditional: with inputs).
pub fn machine(
    file: &TrainFile,
    chip: &ChipConfig,
    rows: usize,
    cols: usize,
    conditional: bool,
    classes: usize,
) -> Result<Machine, TrainError> {
    let built = chip.build()?;
    let placement =
        place(&built.topology, rows, cols, conditional, &file.placement).map_err(|e| match e {
            TrainError::Config { message, .. } => file.error("placement", "visible", message),
            other => other,
        })?;
    Ok(Machine::new(built, &placement, classes))
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
fn initial(job: &Job) -> Vec<f64> {
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
                "{} was written by a different training file (SHA-256 {}...); start a new --out directory",
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

/// The minibatches of a plain machine: `batch` training images of step s chosen from stream
/// (seed, Other, s) without replacement (a batch larger than the set repeats it in turn).
pub fn data_batches(
    data: &DataSet,
    batch: usize,
    classes: bool,
    seed: Seed,
) -> impl Fn(u64) -> Vec<OwnedTarget> + Sync + '_ {
    move |step| {
        let n = data.train.len();
        let chosen = choose(n, batch.min(n), seed, step);
        (0..batch)
            .map(|k| {
                let e = &data.train[chosen[k % chosen.len()]];
                OwnedTarget {
                    visible: e.pixels.clone(),
                    inputs: None,
                    class: if classes { e.label } else { 0 },
                }
            })
            .collect()
    }
}

/// The machine, data and training settings, as summary.json records them.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub pbitsim_version: &'static str,
    pub training_file_sha256: &'a str,
    pub data: DataSummary,
    pub machine: MachineSummary,
    pub cells: Option<&'a CellsReport>,
    pub steps: u64,
    pub chain_sweeps: u64,
    pub evaluation: &'a Evaluation,
}

#[derive(Debug, Serialize)]
pub struct DataSummary {
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    pub train: usize,
    pub test: usize,
    pub classes: usize,
    pub exact_distribution: bool,
    pub provenance: String,
}

impl DataSummary {
    pub fn of(d: &DataSet) -> Self {
        DataSummary {
            name: d.name.clone(),
            rows: d.rows,
            cols: d.cols,
            train: d.train.len(),
            test: d.test.len(),
            classes: d.classes,
            exact_distribution: d.exact,
            provenance: d.provenance.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MachineSummary {
    pub cells: usize,
    pub edges: usize,
    pub visible: usize,
    pub inputs: usize,
    pub hidden: usize,
    pub classes: usize,
    pub beta: f64,
    pub parameters: usize,
}

impl MachineSummary {
    pub fn of(m: &Machine) -> Self {
        MachineSummary {
            cells: m.cells(),
            edges: m.edges.len(),
            visible: m.visible.len(),
            inputs: m.inputs.len(),
            hidden: m.hidden.len(),
            classes: m.classes,
            beta: m.beta(),
            parameters: m.parameters(),
        }
    }
}

/// timing.json: how long the run took and how fast the chains ran (not reproducible).
#[derive(Debug, Serialize)]
pub struct Timing {
    pub threads: usize,
    pub resumed: bool,
    pub train_seconds: f64,
    pub chain_sweeps: u64,
    pub chain_sweeps_per_second: f64,
    pub cell_updates_per_second: f64,
    pub evaluation_seconds: f64,
}

impl Timing {
    pub fn of(t: &Trained, cells: usize, threads: usize, evaluation_seconds: f64) -> Self {
        let rate = t.sweeps_here as f64 / t.seconds_here.max(1e-9);
        Timing {
            threads,
            resumed: t.sweeps_here != t.sweeps,
            train_seconds: t.seconds_here,
            chain_sweeps: t.sweeps_here,
            chain_sweeps_per_second: rate,
            cell_updates_per_second: rate * cells as f64,
            evaluation_seconds,
        }
    }
}

/// What a plain training run produced.
#[derive(Debug)]
pub struct Outcome {
    pub trained: Trained,
    pub evaluation: Evaluation,
    pub timing: Option<Timing>,
}

/// Evaluates a trained plain machine as `[evaluation]` says.
pub fn evaluate_all(
    file: &TrainFile,
    machine: &Machine,
    theta: &[f64],
    data: &DataSet,
    cells: &ChipCells,
    seed: Seed,
    pool: &rayon::ThreadPool,
) -> Result<Evaluation, TrainError> {
    let limits = &file.evaluation;
    let enumerable = evaluate::enumerable(machine, limits);
    let s = seed.child(Domain::Other, 1 << 40);
    let model = machine.model(theta, 0);
    let effective = if cells.is_ideal() { None } else { evaluate::effective_model(&model, cells) };
    Ok(Evaluation {
        exact: if enumerable { Some(evaluate::exact(machine, &model, data)?) } else { None },
        deployed: match effective {
            Some(m) if enumerable => Some(evaluate::exact(machine, &m, data)?),
            _ => None,
        },
        ais: if !enumerable && limits.ais.runs > 0 && !machine.conditional() {
            Some(evaluate::ais(machine, theta, data, limits, s.child(Domain::Other, 1), pool)?)
        } else {
            None
        },
        sampled: if data.exact {
            Some(evaluate::sampled(
                machine,
                theta,
                data,
                cells,
                &file.chains,
                limits,
                s.child(Domain::Other, 2),
                pool,
            )?)
        } else {
            None
        },
        conditional: Some(evaluate::conditional(
            machine,
            theta,
            data,
            cells,
            cells.is_ideal(),
            &file.chains,
            limits,
            s.child(Domain::Other, 3),
            pool,
        )?),
    })
}

/// The loss of the history: KL(data || the law the cells realise), exact, for an enumerable
/// machine (the parameters' own law when the cells realise no Boltzmann law); else None.
pub fn deployed_kl(
    machine: &Machine,
    theta: &[f64],
    data: &DataSet,
    cells: &ChipCells,
    enumerable: bool,
) -> Result<Option<f64>, TrainError> {
    if !enumerable {
        return Ok(None);
    }
    let model = machine.model(theta, 0);
    let model =
        if cells.is_ideal() { model } else { evaluate::effective_model(&model, cells).unwrap_or(model) };
    Ok(Some(evaluate::kl(machine, &model, data)?))
}

/// Trains the plain machine of `file` into `dir` (checked by [`super::outputs::prepare`]).
pub fn train_file(file: &TrainFile, dir: &Path, options: &RunOptions) -> Result<Outcome, TrainError> {
    let pool = pool(options.threads)?;
    let data = load_data(file);
    let machine = machine(file, &file.chip, data.rows, data.cols, false, 0)?;
    let seed = Seed(file.train.seed);
    let (cells, cells_report) = ChipCells::new(&file.chip, &machine.chip, file.train.seed)?;
    if file.train.gradient == GradientKind::Exact && !cells.is_ideal() {
        return Err(file.error(
            "train",
            "gradient",
            "exact gradients are the law of ideal cells: use [cells] kind = \"ideal\"",
        ));
    }
    let enumerable = evaluate::enumerable(&machine, &file.evaluation);
    if file.train.gradient == GradientKind::Exact && !enumerable {
        return Err(file.error(
            "train",
            "gradient",
            format!(
                "exact gradients need an enumerable machine (at most [evaluation] exact_cells = {} cells)",
                file.evaluation.exact_cells
            ),
        ));
    }
    let batches = data_batches(&data, file.train.batch, false, seed);
    let loss = |theta: &[f64]| deployed_kl(&machine, theta, &data, &cells, enumerable);
    let distribution = data.distribution();
    let job = Job {
        file,
        machine: &machine,
        seed,
        batches: &batches,
        loss: &loss,
        distribution: Some(&distribution),
        checkpoint: dir.join("checkpoint.json"),
    };
    let trained = train(&job, &cells, options, &pool)?;
    if !trained.finished {
        return Ok(Outcome { trained, evaluation: Evaluation::default(), timing: None });
    }
    let started = Instant::now();
    let evaluation = evaluate_all(file, &machine, &trained.theta, &data, &cells, seed, &pool)?;
    let images = model_images(&machine, &trained.theta, &cells, file, seed, &pool)?;
    let timing =
        Timing::of(&trained, machine.cells(), pool.current_num_threads(), started.elapsed().as_secs_f64());
    write_machine(dir, &machine, &trained.theta, &file.chip)?;
    write_history(&dir.join("history.csv"), &trained.history)?;
    let summary = Summary {
        pbitsim_version: env!("CARGO_PKG_VERSION"),
        training_file_sha256: &file.sha256,
        data: DataSummary::of(&data),
        machine: MachineSummary::of(&machine),
        cells: cells_report.as_ref(),
        steps: file.train.steps,
        chain_sweeps: trained.sweeps,
        evaluation: &evaluation,
    };
    crate::io::write_json_atomic(dir.join("summary.json"), &summary)?;
    crate::io::write_json_atomic(dir.join("timing.json"), &timing)?;
    super::report::plain(dir, file, &data, &summary, &trained.history, &images)?;
    Ok(Outcome { trained, evaluation, timing: Some(timing) })
}

/// Up to 64 images sampled from the trained machine on its cells (8 chains, 8 reads 20 sweeps
/// apart after 200 sweeps), for the report.
fn model_images(
    machine: &Machine,
    theta: &[f64],
    cells: &ChipCells,
    file: &TrainFile,
    seed: Seed,
    pool: &rayon::ThreadPool,
) -> Result<Vec<Vec<i8>>, TrainError> {
    let models = [machine.model(theta, 0)];
    let plan = evaluate::SamplingPlan { warmup: 200, reads: 8, thin: 20 };
    let reads = evaluate::sample_visible(
        machine,
        &models,
        cells,
        &file.chains,
        &vec![vec![]; 8],
        &[0; 8],
        &plan,
        seed.child(Domain::Other, 1 << 41),
        pool,
    )?;
    Ok(reads.into_iter().flatten().collect())
}

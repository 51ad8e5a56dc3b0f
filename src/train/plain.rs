//! A plain training run: one Boltzmann machine on one data set, and the files it writes.
//!
//! `DIR` after `pbitsim train TRAIN.toml --out-dir DIR`:
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
use super::config::{DataName, GradientKind, TrainFile};
use super::data::{DataSet, bars_and_stripes, choose};
use super::digits::digits;
use super::evaluate::{self, Evaluation};
use super::machine::Machine;
use super::outputs::{write_history, write_machine};
use super::placement::place;
use super::run::{Job, OwnedTarget, RunOptions, Trained, pool, train};
use crate::chip::ChipConfig;
use crate::chip::cells::behavioural::CellsReport;
use crate::rng::{Domain, Seed};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

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
        initial: None,
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
    let specs = vec![evaluate::ChainSpec::default(); 8];
    let s = seed.child(Domain::Other, 1 << 41);
    let reads = evaluate::sample_visible(machine, &models, cells, &file.chains, &specs, &plan, s, pool)?;
    Ok(reads.into_iter().flatten().collect())
}

/// Checks everything a run needs before any output is written: the data, the chip, the
/// placement and the cells (for a study at every temperature and mismatch).
pub fn check(file: &TrainFile) -> Result<(), TrainError> {
    let data = load_data(file);
    let (conditional, classes) = match &file.dtm {
        Some(d) => (true, if d.classes { data.classes } else { 0 }),
        None => (false, 0),
    };
    let m = machine(file, &file.chip, data.rows, data.cols, conditional, classes)?;
    if let Some(study) = &file.study {
        for t in &study.temperatures {
            for sigma in &study.mismatch {
                let mut c = file.chip.clone();
                c.cells.temperature = Some(toml::Value::String(t.clone()));
                c.cells.mismatch = Some(sigma.clone());
                ChipCells::new(&c, &m.chip, file.train.seed).map_err(|e| {
                    let key = if e.to_string().contains("mismatch") { "mismatch" } else { "temperatures" };
                    file.error("study", key, format!("{t}, mismatch {sigma}: {e}"))
                })?;
            }
        }
    } else {
        ChipCells::new(&file.chip, &m.chip, file.train.seed)?;
    }
    Ok(())
}

//! The training file (TOML). The chip and its cells are the chip description's own sections,
//! read by the chip module's types (so every `[cells]` option of `pbitsim chip`, mismatch
//! models included, works here too); the rest describes the learning.
//!
//! ```toml
//! [train]
//! seed = 1                  # master seed: data order, chains, initial weights, mismatch draw
//! steps = 2000              # parameter updates
//! batch = 14                # data (positive-phase) chains per step
//! chains = 64               # free (negative-phase) chains; conditional machines: one per example
//! sweeps = 5                # sweeps of every chain per step
//! gradient = "pcd"          # or "exact" (enumeration; small unconditional machines, ideal cells)
//! negative = "persistent"   # or "data" (CD-k: free chains start from the data chains)
//! average = "sweeps"        # moments over every sweep's state, or "final" (last state only)
//! optimizer = "adam"        # or "sgd" (momentum = 0.9)
//! learning_rate = 0.02      # also beta1, beta2, epsilon (Adam)
//! learning_rate_final = 0.0 # the rate falls linearly to this at the last step (default: constant)
//! weight_decay = 0.0        # decoupled, couplings only
//! init = "random"           # J ~ N(0, init_sigma), h = 0; or "chip": the chip's own model
//! init_sigma = 0.1
//! checkpoint_every = 100    # steps between checkpoints
//! eval_every = 100          # steps between loss evaluations (exact when enumerable)
//! [data]
//! set = "bars-and-stripes"  # size = 3; or "digits": train, test, noise, seed
//! [placement]               # see crate::train::placement: stride, or visible = [...]
//! [evaluation]              # all optional:
//! exact_cells = 24          #   enumerate machines of at most this many cells
//! ais = { runs = 32, betas = 500, examples = 10 }   # larger machines (runs = 0: none)
//! samples = { chains = 16, warmup = 100, reads = 2000, thin = 2 }  # scoring by sampling
//! conditional_rows = 1      #   rows clamped in conditional generation (default half)
//! conditional_examples = 100
//! [graph]                   # the chip: [lattice] or [graph], [model] (kind = "ising", beta),
//! edges = "bas3_edges.csv"  #   [cells] (ideal or calibrated p-bits), [schedule] method
//! [cells]
//! kind = "ideal"
//! ```
//! Optional `[study]` ([`crate::train::study`]) and `[dtm]` ([`crate::train::dtm`]) sections
//! make the run a study or a DTM. Paths are relative to the file. Every error names the file,
//! the line and the key.

use super::TrainError;
use super::dtm::DtmSection;
use super::optimizer::{OptimizerConfig, OptimizerKind};
use super::pcd::{Average, ChainConfig, NegativeStart};
use super::placement::PlacementSection;
use super::study::StudySection;
use crate::chip::description::config::{
    CellKind, CellsSection, GraphSection, LatticeSection, ModelName, ModelSection, ScheduleSection,
};
use crate::chip::{ChipConfig, Method};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// How gradients are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GradientKind {
    #[default]
    Pcd,
    Exact,
}

/// Initial parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    #[default]
    Random,
    Chip,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSection {
    #[serde(default = "d_seed")]
    pub seed: u64,
    pub steps: u64,
    #[serde(default = "d_batch")]
    pub batch: usize,
    pub chains: Option<usize>,
    #[serde(default = "d_sweeps")]
    pub sweeps: u64,
    #[serde(default)]
    pub gradient: GradientKind,
    #[serde(default)]
    pub negative: NegativeStart,
    #[serde(default)]
    pub average: Average,
    #[serde(default)]
    pub optimizer: OptimizerKind,
    #[serde(default = "d_lr")]
    pub learning_rate: f64,
    /// The learning rate at the last step: the rate falls linearly from `learning_rate` to it
    /// (default: constant).
    pub learning_rate_final: Option<f64>,
    #[serde(default = "d_momentum")]
    pub momentum: f64,
    #[serde(default = "d_beta1")]
    pub beta1: f64,
    #[serde(default = "d_beta2")]
    pub beta2: f64,
    #[serde(default = "d_eps")]
    pub epsilon: f64,
    #[serde(default)]
    pub weight_decay: f64,
    #[serde(default)]
    pub init: Init,
    #[serde(default = "d_sigma")]
    pub init_sigma: f64,
    #[serde(default = "d_every")]
    pub checkpoint_every: u64,
    pub eval_every: Option<u64>,
}

fn d_seed() -> u64 {
    1
}
fn d_batch() -> usize {
    16
}
fn d_sweeps() -> u64 {
    5
}
fn d_lr() -> f64 {
    0.02
}
fn d_momentum() -> f64 {
    0.9
}
fn d_beta1() -> f64 {
    0.9
}
fn d_beta2() -> f64 {
    0.999
}
fn d_eps() -> f64 {
    1e-8
}
fn d_sigma() -> f64 {
    0.1
}
fn d_every() -> u64 {
    100
}

/// Which data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataName {
    BarsAndStripes,
    Digits,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    pub set: DataName,
    /// Bars and stripes: side n.
    pub size: Option<usize>,
    /// Digits: training and held-out images, flip noise, seed.
    pub train: Option<usize>,
    pub test: Option<usize>,
    pub noise: Option<f64>,
    pub seed: Option<u64>,
}

/// `[evaluation] ais`: annealed importance sampling.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct AisSection {
    /// Independent runs (0: no AIS).
    #[serde(default = "d_runs")]
    pub runs: usize,
    /// Intermediate inverse temperatures (one sweep each), linear from 0 to beta.
    #[serde(default = "d_betas")]
    pub betas: usize,
    /// Held-out examples whose ln p(v) is estimated.
    #[serde(default = "d_examples")]
    pub examples: usize,
}

fn d_runs() -> usize {
    32
}
fn d_betas() -> usize {
    500
}
fn d_examples() -> usize {
    10
}

impl Default for AisSection {
    fn default() -> Self {
        AisSection { runs: d_runs(), betas: d_betas(), examples: d_examples() }
    }
}

/// `[evaluation] samples` / `conditional`: sampling on the chip with the run's cells.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingSection {
    /// Independent chains.
    #[serde(default = "d_chains")]
    pub chains: usize,
    /// Sweeps discarded at the start of each chain.
    #[serde(default = "d_warmup")]
    pub warmup: u64,
    /// States read per chain, `thin` sweeps apart.
    #[serde(default = "d_reads")]
    pub reads: u64,
    #[serde(default = "d_thin")]
    pub thin: u64,
}

fn d_chains() -> usize {
    16
}
fn d_warmup() -> u64 {
    100
}
fn d_reads() -> u64 {
    2000
}
fn d_thin() -> u64 {
    2
}

impl Default for SamplingSection {
    fn default() -> Self {
        SamplingSection { chains: d_chains(), warmup: d_warmup(), reads: d_reads(), thin: d_thin() }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSection {
    /// Largest number of free cells evaluated exactly by enumeration.
    #[serde(default = "d_exact")]
    pub exact_cells: usize,
    #[serde(default)]
    pub ais: AisSection,
    /// KL of the chip's own samples from the data (data sets with a known distribution).
    #[serde(default)]
    pub samples: SamplingSection,
    /// Conditional generation: the first `rows` image rows clamped, the rest sampled.
    pub conditional_rows: Option<usize>,
    /// Held-out examples for conditional generation.
    #[serde(default = "d_cond")]
    pub conditional_examples: usize,
}

fn d_exact() -> usize {
    24
}
fn d_cond() -> usize {
    100
}

impl Default for EvaluationSection {
    fn default() -> Self {
        toml::from_str("").expect("all evaluation keys have defaults")
    }
}

/// `[schedule]` of a training file: only how the chains run.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SchedulePick {
    #[serde(default)]
    pub method: Method,
    pub tau: Option<f64>,
    pub read_interval: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    train: TrainSection,
    data: DataSection,
    #[serde(default)]
    placement: PlacementSection,
    #[serde(default)]
    evaluation: EvaluationSection,
    study: Option<StudySection>,
    dtm: Option<DtmSection>,
    lattice: Option<LatticeSection>,
    graph: Option<GraphSection>,
    model: Option<ModelSection>,
    #[serde(default)]
    cells: CellsSection,
    schedule: Option<SchedulePick>,
}

/// A validated training file.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainFile {
    pub train: TrainSection,
    pub data: DataSection,
    pub placement: PlacementSection,
    pub evaluation: EvaluationSection,
    pub study: Option<StudySection>,
    pub dtm: Option<DtmSection>,
    /// The chip (its `[schedule]` holds only the chains' method).
    pub chip: ChipConfig,
    pub chains: ChainConfig,
    /// The file as read, its path and SHA-256.
    pub text: String,
    pub path: PathBuf,
    pub sha256: String,
}

/// Line (1-based) of `key` in `[section]` of a TOML text (0 if not found), for messages.
pub fn line_of(text: &str, section: &str, key: &str) -> usize {
    let mut inside = false;
    for (k, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t.trim_start_matches('[').trim_end_matches(']').trim() == section;
        } else if inside && t.split('=').next().is_some_and(|k| k.trim() == key) {
            return k + 1;
        }
    }
    0
}

impl TrainFile {
    /// Reads and validates a training file.
    pub fn from_file(path: &Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TrainError::Io(format!("{}: cannot read: {e}", path.display())))?;
        Self::parse(&text, path)
    }

    /// An error at `section.key` of this file.
    pub fn error(&self, section: &str, key: &str, message: impl Into<String>) -> TrainError {
        located(&self.text, &self.path, section, key, message)
    }

    /// Validates the text of a training file that lives at `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Self, TrainError> {
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let location =
                if line > 0 { format!("{}:{line}", path.display()) } else { path.display().to_string() };
            TrainError::Config { location, message: e.message().trim().to_string() }
        })?;
        let err = |section: &str, key: &str, message: String| located(text, path, section, key, message);
        let t = &raw.train;
        let positive = [
            ("steps", t.steps as f64),
            ("batch", t.batch as f64),
            ("sweeps", t.sweeps as f64),
            ("checkpoint_every", t.checkpoint_every as f64),
        ];
        for (key, v) in positive {
            if v < 1.0 {
                return Err(err("train", key, format!("got {v}, expected at least 1")));
            }
        }
        if t.chains == Some(0) || t.eval_every == Some(0) {
            return Err(err(
                "train",
                if t.chains == Some(0) { "chains" } else { "eval_every" },
                "expected at least 1".into(),
            ));
        }
        let checks = [
            ("learning_rate", t.learning_rate > 0.0 && t.learning_rate.is_finite()),
            ("learning_rate_final", t.learning_rate_final.is_none_or(|r| r >= 0.0 && r <= t.learning_rate)),
            ("momentum", (0.0..1.0).contains(&t.momentum)),
            ("beta1", (0.0..1.0).contains(&t.beta1)),
            ("beta2", (0.0..1.0).contains(&t.beta2)),
            ("epsilon", t.epsilon > 0.0 && t.epsilon.is_finite()),
            ("weight_decay", t.weight_decay >= 0.0 && t.weight_decay * t.learning_rate < 1.0),
            ("init_sigma", t.init_sigma >= 0.0 && t.init_sigma.is_finite()),
        ];
        if let Some((key, _)) = checks.iter().find(|c| !c.1) {
            return Err(err(
                "train",
                key,
                "out of range (learning_rate, epsilon > 0; 0 <= learning_rate_final <= learning_rate; momentum, beta1, beta2 in [0, 1); \
                 weight_decay, init_sigma >= 0 with learning_rate * weight_decay < 1)"
                    .into(),
            ));
        }
        let d = &raw.data;
        let allowed: &[&str] = match d.set {
            DataName::BarsAndStripes => &["size"],
            DataName::Digits => &["train", "test", "noise", "seed"],
        };
        let given = [("size", d.size.is_some()), ("train", d.train.is_some()), ("test", d.test.is_some())];
        let given = given.into_iter().chain([("noise", d.noise.is_some()), ("seed", d.seed.is_some())]);
        for (key, present) in given {
            if present && !allowed.contains(&key) {
                return Err(err(
                    "data",
                    key,
                    format!("not a key of this data set (it takes {})", allowed.join(", ")),
                ));
            }
        }
        if d.size.is_some_and(|n| !(2..=5).contains(&n)) {
            return Err(err("data", "size", "expected 2..=5".into()));
        }
        if d.noise.is_some_and(|p| !(0.0..0.5).contains(&p)) {
            return Err(err("data", "noise", "expected a flip probability in [0, 0.5)".into()));
        }
        if d.train == Some(0) {
            return Err(err("data", "train", "expected at least 1 image".into()));
        }
        let model = raw.model.clone().unwrap_or(ModelSection {
            kind: ModelName::Ising,
            beta: 1.0,
            coupling: None,
            field: None,
            random: None,
            weights: None,
            q: None,
            diagonal: None,
        });
        if model.kind != ModelName::Ising {
            return Err(err("model", "kind", "learning needs kind = \"ising\"".into()));
        }
        if !matches!(raw.cells.kind, CellKind::Ideal | CellKind::Pbit) {
            return Err(err("cells", "kind", "expected \"ideal\" or \"pbit\" (binary cells)".into()));
        }
        let pick = raw.schedule.clone().unwrap_or_default();
        let chains = ChainConfig {
            method: pick.method,
            tau: pick.tau.unwrap_or(1.0),
            read_interval: pick.read_interval.unwrap_or(1.0),
        };
        for (key, v) in [("tau", chains.tau), ("read_interval", chains.read_interval)] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(err("schedule", key, format!("got {v}, expected a finite number > 0")));
            }
        }
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let chip = ChipConfig {
            lattice: raw.lattice.clone(),
            graph: raw.graph.clone(),
            model,
            cells: raw.cells.clone(),
            schedule: ScheduleSection {
                method: chains.method,
                tau: chains.tau,
                read_interval: chains.read_interval,
                ..ScheduleSection::default()
            },
            base_dir,
            source: path.display().to_string(),
        };
        let file = TrainFile {
            train: raw.train,
            data: raw.data,
            placement: raw.placement,
            evaluation: raw.evaluation,
            study: raw.study,
            dtm: raw.dtm,
            chip,
            chains,
            text: text.to_string(),
            path: path.to_path_buf(),
            sha256: crate::io::sha256_hex(text.as_bytes()),
        };
        if let Some(s) = &file.study {
            s.validate(&file)?;
        }
        if let Some(d) = &file.dtm {
            d.validate(&file)?;
        }
        Ok(file)
    }

    /// The optimiser settings of `[train]`.
    pub fn optimizer(&self) -> OptimizerConfig {
        let t = &self.train;
        OptimizerConfig {
            kind: t.optimizer,
            learning_rate: t.learning_rate,
            momentum: t.momentum,
            beta1: t.beta1,
            beta2: t.beta2,
            epsilon: t.epsilon,
            weight_decay: t.weight_decay,
        }
    }

    /// The learning rate of step `step` (0-based): linear from `learning_rate` at step 0 to
    /// `learning_rate_final` at the last step.
    pub fn learning_rate(&self, step: u64) -> f64 {
        let t = &self.train;
        let last = t.learning_rate_final.unwrap_or(t.learning_rate);
        let f = if t.steps > 1 { step as f64 / (t.steps - 1) as f64 } else { 0.0 };
        t.learning_rate + (last - t.learning_rate) * f
    }

    /// Steps between loss evaluations.
    pub fn eval_every(&self) -> u64 {
        self.train.eval_every.unwrap_or((self.train.steps / 20).max(1))
    }
}

/// A [`TrainError::Config`] at `file:line` of `section.key`.
pub fn located(text: &str, path: &Path, section: &str, key: &str, message: impl Into<String>) -> TrainError {
    let line = line_of(text, section, key);
    let location = if line > 0 { format!("{}:{line}", path.display()) } else { path.display().to_string() };
    TrainError::Config { location, message: format!("[{section}] {key}: {}", message.into()) }
}

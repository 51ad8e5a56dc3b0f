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
use super::optimizer::OptimizerConfig;
use super::pcd::ChainConfig;
use super::placement::PlacementSection;
use super::study::StudySection;
use crate::chip::ChipConfig;
use crate::chip::description::config::{
    CellKind, CellsSection, GraphSection, LatticeSection, ModelName, ModelSection, ScheduleSection,
};
use serde::Deserialize;
use std::path::{Path, PathBuf};

mod sections;
pub use sections::*;

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
            // Training runs calibrated cells with ideal (exact, instant) couplings.
            couplings: None,
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

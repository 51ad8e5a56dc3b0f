//! The sections of a training file that describe the learning: `[train]`, `[data]`,
//! `[evaluation]` and the `[schedule]` subset the chains use (keys and defaults; the file's
//! layout is documented in [`super`]).

use crate::chip::Method;
use crate::train::optimizer::OptimizerKind;
use crate::train::pcd::{Average, NegativeStart};
use serde::Deserialize;

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

//! The resumable state of a training run, `DIR/checkpoint.json`, written atomically (a
//! temporary beside it, renamed on success) every `checkpoint_every` steps and at the end.
//!
//! It holds everything the next step depends on: the step count, the parameters, the
//! optimiser's moments, the states of every chain and the loss history. Streams are derived
//! from (seed, step, chain) afresh at every step, so no generator state is needed, and a run
//! resumed from a checkpoint continues bit for bit as the uninterrupted run would have.
//! Real numbers are stored as their IEEE-754 bit patterns (u64), which JSON carries exactly;
//! chain states as strings of '1' (+1) and '0' (-1), one per cell.

use super::TrainError;
use super::optimizer::Optimizer;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format tag of the file.
pub const FORMAT: &str = "pbitsim-train-checkpoint-1";

/// One row of the loss history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryRow {
    /// Steps done.
    pub step: u64,
    /// Root mean square of the gradient estimate (data minus model moments, times beta).
    pub gradient_rms: f64,
    /// The loss estimate at this step, when evaluated: exact KL (nats) for data sets with a
    /// known distribution, else the exact mean negative log-likelihood of the training set.
    pub loss: Option<f64>,
}

/// The checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// SHA-256 of the training file the run started from.
    pub config_sha256: String,
    pub step: u64,
    pub theta: Vec<f64>,
    pub optimizer: Optimizer,
    pub positive: Vec<Vec<i8>>,
    pub negative: Vec<Vec<i8>>,
    pub history: Vec<HistoryRow>,
    /// Chain sweeps done so far.
    pub sweeps: u64,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    format: String,
    config_sha256: String,
    step: u64,
    theta: Vec<u64>,
    optimizer_t: u64,
    optimizer_m: Vec<u64>,
    optimizer_v: Vec<u64>,
    positive: Vec<String>,
    negative: Vec<String>,
    /// (step, gradient rms bits, loss bits or null)
    history: Vec<(u64, u64, Option<u64>)>,
    sweeps: u64,
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn floats(v: &[u64]) -> Vec<f64> {
    v.iter().map(|&b| f64::from_bits(b)).collect()
}

fn encode(s: &[i8]) -> String {
    s.iter().map(|&x| if x > 0 { '1' } else { '0' }).collect()
}

fn decode(s: &str) -> Result<Vec<i8>, String> {
    s.chars()
        .map(|c| match c {
            '1' => Ok(1),
            '0' => Ok(-1),
            other => Err(format!("a chain state holds `{other}`, expected 0 or 1")),
        })
        .collect()
}

impl Checkpoint {
    /// Writes the checkpoint to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let stored = Stored {
            format: FORMAT.into(),
            config_sha256: self.config_sha256.clone(),
            step: self.step,
            theta: bits(&self.theta),
            optimizer_t: self.optimizer.t,
            optimizer_m: bits(&self.optimizer.m),
            optimizer_v: bits(&self.optimizer.v),
            positive: self.positive.iter().map(|s| encode(s)).collect(),
            negative: self.negative.iter().map(|s| encode(s)).collect(),
            history: self
                .history
                .iter()
                .map(|h| (h.step, h.gradient_rms.to_bits(), h.loss.map(f64::to_bits)))
                .collect(),
            sweeps: self.sweeps,
        };
        Ok(crate::io::write_json_atomic(path, &stored)?)
    }

    /// Reads a checkpoint; `optimizer` supplies the settings (the file holds only its state).
    pub fn load(path: &Path, optimizer: &Optimizer) -> Result<Self, TrainError> {
        let bad = |m: String| TrainError::Directory(format!("{}: {m}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
        let s: Stored = serde_json::from_str(&text).map_err(|e| bad(format!("not a checkpoint: {e}")))?;
        if s.format != FORMAT {
            return Err(bad(format!("format `{}`, expected `{FORMAT}`", s.format)));
        }
        let states = |v: &[String]| v.iter().map(|x| decode(x)).collect::<Result<Vec<_>, _>>().map_err(bad);
        let mut opt = optimizer.clone();
        opt.t = s.optimizer_t;
        opt.m = floats(&s.optimizer_m);
        opt.v = floats(&s.optimizer_v);
        if opt.m.len() != optimizer.m.len() || opt.v.len() != optimizer.v.len() {
            return Err(bad("the optimiser state does not match the machine".into()));
        }
        Ok(Checkpoint {
            config_sha256: s.config_sha256,
            step: s.step,
            theta: floats(&s.theta),
            optimizer: opt,
            positive: states(&s.positive)?,
            negative: states(&s.negative)?,
            history: s
                .history
                .iter()
                .map(|&(step, g, l)| HistoryRow {
                    step,
                    gradient_rms: f64::from_bits(g),
                    loss: l.map(f64::from_bits),
                })
                .collect(),
            sweeps: s.sweeps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::optimizer::{OptimizerConfig, OptimizerKind};

    /// Saving and loading gives back every bit, including values JSON decimals would round.
    #[test]
    fn round_trip_is_exact() {
        let config = OptimizerConfig {
            kind: OptimizerKind::Adam,
            learning_rate: 0.1,
            momentum: 0.9,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            weight_decay: 0.0,
        };
        let mut optimizer = Optimizer::new(config, 3);
        optimizer.t = 7;
        optimizer.m = vec![0.1 + 0.2, -1e-300, f64::MIN_POSITIVE];
        optimizer.v = vec![1.0 / 3.0, 2.0, 5e-324];
        let c = Checkpoint {
            config_sha256: "abc".into(),
            step: 12,
            theta: vec![std::f64::consts::PI, -0.0, 1e308],
            optimizer: optimizer.clone(),
            positive: vec![vec![1, -1, 1]],
            negative: vec![vec![-1, -1, 1], vec![1, 1, 1]],
            history: vec![HistoryRow { step: 10, gradient_rms: 0.3, loss: Some(1.0 / 7.0) }],
            sweeps: 99,
        };
        let dir = std::env::temp_dir().join(format!("pbitsim-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("checkpoint.json");
        c.save(&path).unwrap();
        let back = Checkpoint::load(&path, &Optimizer::new(config, 3)).unwrap();
        assert_eq!(back, c);
        assert!(back.theta[1].is_sign_negative());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

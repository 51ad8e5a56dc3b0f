//! Optimisers for gradient *ascent* on the log-likelihood, with optional decoupled weight
//! decay on the couplings.
//!
//! - SGD with momentum: v <- mu v + g, theta <- theta + lr v.
//! - Adam (Kingma and Ba, ICLR 2015): m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2,
//!   theta <- theta + lr m_hat / (sqrt(v_hat) + eps), with bias corrections
//!   m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).
//! - Weight decay (decoupled, Loshchilov and Hutter, ICLR 2019): after the step,
//!   J <- J (1 - lr lambda) for the couplings only (fields are not decayed), the gradient of
//!   the penalty -lambda |J|^2 / 2 taken apart from the adaptive scaling.
//!
//! The learning rate of each step is given by the caller (a schedule, see
//! [`crate::train::config::TrainSection`]).
//!
//! The whole state is plain numbers (serialised in checkpoints), so a resumed run continues
//! bit for bit.

use serde::{Deserialize, Serialize};

/// Which optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    #[default]
    Adam,
    Sgd,
}

/// Optimiser settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    pub kind: OptimizerKind,
    pub learning_rate: f64,
    /// SGD momentum mu.
    pub momentum: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
    pub weight_decay: f64,
}

/// The optimiser's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Optimizer {
    pub config: OptimizerConfig,
    /// Steps taken.
    pub t: u64,
    /// First moment (Adam) or velocity (SGD).
    pub m: Vec<f64>,
    /// Second moment (Adam only).
    pub v: Vec<f64>,
}

impl Optimizer {
    pub fn new(config: OptimizerConfig, parameters: usize) -> Self {
        let v = if config.kind == OptimizerKind::Adam { vec![0.0; parameters] } else { vec![] };
        Optimizer { config, t: 0, m: vec![0.0; parameters], v }
    }

    /// One ascent step along `grad` with learning rate `lr`; the first `couplings`
    /// parameters are decayed.
    pub fn step(&mut self, theta: &mut [f64], grad: &[f64], couplings: usize, lr: f64) {
        let c = OptimizerConfig { learning_rate: lr, ..self.config };
        self.t += 1;
        match c.kind {
            OptimizerKind::Sgd => {
                for ((th, m), &g) in theta.iter_mut().zip(&mut self.m).zip(grad) {
                    *m = c.momentum * *m + g;
                    *th += c.learning_rate * *m;
                }
            }
            OptimizerKind::Adam => {
                let b1t = 1.0 - c.beta1.powi(self.t.min(i32::MAX as u64) as i32);
                let b2t = 1.0 - c.beta2.powi(self.t.min(i32::MAX as u64) as i32);
                for (((th, m), v), &g) in theta.iter_mut().zip(&mut self.m).zip(&mut self.v).zip(grad) {
                    *m = c.beta1 * *m + (1.0 - c.beta1) * g;
                    *v = c.beta2 * *v + (1.0 - c.beta2) * g * g;
                    *th += c.learning_rate * (*m / b1t) / ((*v / b2t).sqrt() + c.epsilon);
                }
            }
        }
        if c.weight_decay > 0.0 {
            let keep = 1.0 - c.learning_rate * c.weight_decay;
            theta[..couplings].iter_mut().for_each(|j| *j *= keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: OptimizerKind) -> OptimizerConfig {
        OptimizerConfig {
            kind,
            learning_rate: 0.1,
            momentum: 0.5,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            weight_decay: 0.0,
        }
    }

    /// Both climb the concave log-likelihood -(x - 3)^2 to its maximum.
    #[test]
    fn ascent_reaches_the_maximum() {
        for kind in [OptimizerKind::Adam, OptimizerKind::Sgd] {
            let mut o = Optimizer::new(config(kind), 1);
            let mut x = [0.0];
            for _ in 0..2000 {
                let g = [-2.0 * (x[0] - 3.0)];
                o.step(&mut x, &g, 0, 0.1);
            }
            assert!((x[0] - 3.0).abs() < 1e-3, "{kind:?}: {}", x[0]);
        }
    }

    /// Adam's first step has size lr whatever the gradient's scale (bias correction).
    #[test]
    fn adam_first_step_is_the_learning_rate() {
        let mut o = Optimizer::new(config(OptimizerKind::Adam), 2);
        let mut x = [0.0, 0.0];
        o.step(&mut x, &[1e-3, -50.0], 0, 0.1);
        assert!((x[0] - 0.1).abs() < 1e-6 && (x[1] + 0.1).abs() < 1e-6, "{x:?}");
    }

    #[test]
    fn weight_decay_shrinks_couplings_only() {
        let mut c = config(OptimizerKind::Sgd);
        c.weight_decay = 0.5;
        let mut o = Optimizer::new(c, 2);
        let mut x = [1.0, 1.0];
        o.step(&mut x, &[0.0, 0.0], 1, 0.1);
        assert_eq!(x, [0.95, 1.0]);
    }
}

//! The behavioural p-dit: class probabilities softmax(b + W v) over K classes (class 0 the
//! reference), a correlation time, and the energy per sample, from a calibration.

use rand::{Rng, RngExt};

use super::interpolate::{Bracketed, linear_vec};
use super::{CellError, telegraph_step};
use crate::calibration::{Calibration, CellKind};

/// A p-dit at one temperature.
#[derive(Debug, Clone, PartialEq)]
pub struct PditCell {
    /// Logit biases b_k (b_0 = 0).
    pub bias: Vec<f64>,
    /// Logit weights W_kj (1/V); row 0 is zero.
    pub weights: Vec<Vec<f64>>,
    /// Correlation time (s).
    pub tau: f64,
    pub energy_per_sample: f64,
    pub temperature: f64,
}

impl PditCell {
    /// The cell of a p-dit calibration at `temperature` (K).
    pub fn from_calibration(calibration: &Calibration, temperature: f64) -> Result<Self, CellError> {
        let f = Bracketed::new(calibration, CellKind::Pdit, temperature)?;
        let (sa, sb) = match (&f.lower.softmax, &f.upper.softmax) {
            (Some(x), Some(y)) => (x, y),
            _ => return Err(CellError::Invalid("p-dit fit lacks its softmax".into())),
        };
        let w = f.weight;
        Ok(PditCell {
            bias: linear_vec(&sa.bias, &sb.bias, w),
            weights: sa.weights.iter().zip(&sb.weights).map(|(x, y)| linear_vec(x, y, w)).collect(),
            tau: f.correlation_time(),
            energy_per_sample: f.energy_per_sample(),
            temperature,
        })
    }

    /// Class probabilities at controls `v` (each shifted by the cell's `offsets`).
    pub fn probabilities(&self, v: &[f64], offsets: &[f64]) -> Vec<f64> {
        let logits: Vec<f64> = self
            .bias
            .iter()
            .zip(&self.weights)
            .map(|(b, w)| {
                b + w
                    .iter()
                    .enumerate()
                    .map(|(j, wj)| wj * (v[j] - offsets.get(j).copied().unwrap_or(0.0)))
                    .sum::<f64>()
            })
            .collect();
        let top = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = logits.iter().map(|l| (l - top).exp()).collect();
        let z: f64 = e.iter().sum();
        e.iter().map(|x| x / z).collect()
    }

    /// An independent sample of the class.
    pub fn sample<R: Rng + ?Sized>(&self, v: &[f64], offsets: &[f64], rng: &mut R) -> usize {
        let p = self.probabilities(v, offsets);
        let mut u = rng.random::<f64>();
        for (k, pk) in p.iter().enumerate() {
            if u < *pk {
                return k;
            }
            u -= pk;
        }
        p.len() - 1
    }

    /// The class after `dt` of continuous-time evolution: the state is redrawn from p at
    /// rate 1/tau, so it is kept with probability e^{-dt/tau} and redrawn otherwise.
    pub fn evolve<R: Rng + ?Sized>(
        &self,
        state: usize,
        v: &[f64],
        offsets: &[f64],
        dt: f64,
        rng: &mut R,
    ) -> usize {
        if telegraph_step(true, 0.0, self.tau, dt, rng.random()) {
            state
        } else {
            self.sample(v, offsets, rng)
        }
    }
}

//! The behavioural p-MoG: an analog output drawn from a two-component Gaussian mixture whose
//! weight, means and spreads are smooth functions of the controls, from a calibration. The
//! component switches as a telegraph process (correlation time tau); the output relaxes much
//! faster, so each read draws a fresh value within the current component.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use super::interpolate::{Bracketed, linear};
use super::{CellError, telegraph_step};
use crate::calibration::{Calibration, CellKind, LinearRecord, MixtureModelRecord};
use crate::special::logistic;

/// A p-MoG at one temperature.
#[derive(Debug, Clone, PartialEq)]
pub struct PmogCell {
    model: [MixtureModelRecord; 2],
    weight: f64,
    pub tau: f64,
    pub energy_per_sample: f64,
    pub temperature: f64,
}

/// The mixture at a control setting: weight of the upper component, means and spreads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mixture {
    pub weight_upper: f64,
    pub means: [f64; 2],
    pub stds: [f64; 2],
}

fn lerp(a: &LinearRecord, b: &LinearRecord, w: f64, v: &[f64]) -> f64 {
    linear(a.eval(v), b.eval(v), w)
}

impl PmogCell {
    /// The cell of a p-MoG calibration at `temperature` (K).
    pub fn from_calibration(calibration: &Calibration, temperature: f64) -> Result<Self, CellError> {
        let f = Bracketed::new(calibration, CellKind::Pmog, temperature)?;
        let (ma, mb) = match (&f.lower.mixture, &f.upper.mixture) {
            (Some(x), Some(y)) => (x.clone(), y.clone()),
            _ => return Err(CellError::Invalid("p-MoG fit lacks its mixture model".into())),
        };
        Ok(PmogCell {
            model: [ma, mb],
            weight: f.weight,
            tau: f.correlation_time(),
            energy_per_sample: f.energy_per_sample(),
            temperature,
        })
    }

    /// The mixture at controls `v`.
    pub fn mixture(&self, v: &[f64]) -> Mixture {
        let [a, b] = &self.model;
        let w = self.weight;
        Mixture {
            weight_upper: logistic(lerp(&a.weight_logit, &b.weight_logit, w, v)),
            means: [lerp(&a.means[0], &b.means[0], w, v), lerp(&a.means[1], &b.means[1], w, v)],
            stds: [lerp(&a.stds[0], &b.stds[0], w, v).abs(), lerp(&a.stds[1], &b.stds[1], w, v).abs()],
        }
    }

    /// An independent sample (V).
    pub fn sample<R: Rng + ?Sized>(&self, v: &[f64], rng: &mut R) -> f64 {
        let m = self.mixture(v);
        let k = usize::from(rng.random::<f64>() < m.weight_upper);
        let z: f64 = StandardNormal.sample(rng);
        m.means[k] + m.stds[k] * z
    }

    /// Continuous time: evolve the component over `dt` as a telegraph process and read a value.
    pub fn evolve<R: Rng + ?Sized>(&self, upper: bool, v: &[f64], dt: f64, rng: &mut R) -> (bool, f64) {
        let m = self.mixture(v);
        let next = telegraph_step(upper, m.weight_upper, self.tau, dt, rng.random());
        let z: f64 = StandardNormal.sample(rng);
        let k = usize::from(next);
        (next, m.means[k] + m.stds[k] * z)
    }
}

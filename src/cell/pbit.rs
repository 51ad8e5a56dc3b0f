//! The behavioural p-bit: P(1) = sigma((V - V0 - offset) / Vs), a correlation time tau(V), and
//! the energy of one independent sample, all from a calibration.

use rand::{Rng, RngExt};

use super::interpolate::{Bracketed, linear, linear_vec};
use super::{CellError, telegraph_step};
use crate::calibration::{Calibration, CellKind};
use crate::special::logistic;

/// A p-bit at one temperature.
#[derive(Debug, Clone, PartialEq)]
pub struct PbitCell {
    /// Input voltage of P(1) = 1/2 (V).
    pub v0: f64,
    /// Logistic width (V).
    pub vs: f64,
    /// Correlation time at V0 (s).
    pub tau0: f64,
    /// ln(tau(V) / tau(V0)) as a polynomial in V - V0, lowest order first (constant term 0).
    pub log_tau_shape: Vec<f64>,
    /// logit P(1) as a polynomial in V - V0, lowest order first, when the calibration has
    /// one (the response's shape beyond the logistic); else P(1) = sigma((V - V0) / Vs).
    pub logit: Option<Vec<f64>>,
    /// Energy per independent sample (J).
    pub energy_per_sample: f64,
    /// How long the latch must hold a state before the readout shows it (s): 0 for a cell
    /// read at its latch ([`super::readout`]).
    pub readout_latency: f64,
    /// Temperature (K).
    pub temperature: f64,
}

impl PbitCell {
    /// An ideal p-bit: P(1) = sigma((V - v0)/vs), correlation time tau at every input.
    pub fn ideal(v0: f64, vs: f64, tau: f64, temperature: f64) -> Self {
        PbitCell {
            v0,
            vs,
            tau0: tau,
            log_tau_shape: vec![0.0],
            logit: None,
            energy_per_sample: 0.0,
            readout_latency: 0.0,
            temperature,
        }
    }

    /// The cell of a p-bit calibration at `temperature` (K), interpolated between calibrated
    /// temperatures.
    pub fn from_calibration(calibration: &Calibration, temperature: f64) -> Result<Self, CellError> {
        let f = Bracketed::new(calibration, CellKind::Pbit, temperature)?;
        let (a, b, w) = (f.lower, f.upper, f.weight);
        let need =
            |x: Option<f64>, what: &str| x.ok_or_else(|| CellError::Invalid(format!("fit lacks {what}")));
        let shape = |f: &crate::calibration::TemperatureFit| {
            let mut c = f.log_tau.coefficients.clone();
            if let Some(c0) = c.first_mut() {
                *c0 = 0.0;
            }
            c
        };
        let (sa, sb) = (shape(a), shape(b));
        let log_tau_shape = if sa.len() == sb.len() { linear_vec(&sa, &sb, w) } else { sa };
        let logit = match (&a.logit, &b.logit) {
            (Some(la), Some(lb)) if la.coefficients.len() == lb.coefficients.len() => {
                Some(linear_vec(&la.coefficients, &lb.coefficients, w))
            }
            _ => None,
        };
        Ok(PbitCell {
            v0: linear(need(a.v0, "v0")?, need(b.v0, "v0")?, w),
            vs: linear(need(a.vs, "vs")?, need(b.vs, "vs")?, w),
            tau0: f.correlation_time(),
            log_tau_shape,
            logit,
            energy_per_sample: f.energy_per_sample(),
            readout_latency: linear(
                super::readout::readout_latency(&calibration.points, a.temperature_k),
                super::readout::readout_latency(&calibration.points, b.temperature_k),
                w,
            ),
            temperature,
        })
    }

    /// P(1) at input `v` for a cell with offset `offset` (V).
    #[inline]
    pub fn probability(&self, v: f64, offset: f64) -> f64 {
        logistic(self.log_odds(v - self.v0 - offset))
    }

    /// logit P(1) at `x` = V - V0 - offset: the calibrated polynomial, else x / Vs.
    #[inline]
    pub fn log_odds(&self, x: f64) -> f64 {
        match &self.logit {
            Some(c) => c.iter().rev().fold(0.0, |acc, k| acc * x + k),
            None => x / self.vs,
        }
    }

    /// Correlation time at input `v` (s).
    pub fn correlation_time(&self, v: f64, offset: f64) -> f64 {
        let x = v - self.v0 - offset;
        let log_ratio = self.log_tau_shape.iter().rev().fold(0.0, |acc, c| acc * x + c);
        self.tau0 * log_ratio.exp()
    }

    /// Transition rates (r01, r10) at input `v`: P(1)/tau and P(0)/tau.
    pub fn rates(&self, v: f64, offset: f64) -> (f64, f64) {
        let (p, tau) = (self.probability(v, offset), self.correlation_time(v, offset));
        (p / tau, (1.0 - p) / tau)
    }

    /// An independent sample.
    pub fn sample<R: Rng + ?Sized>(&self, v: f64, offset: f64, rng: &mut R) -> bool {
        rng.random::<f64>() < self.probability(v, offset)
    }

    /// The state after `dt` of continuous-time evolution from `state` (exact for constant
    /// input over dt).
    pub fn evolve<R: Rng + ?Sized>(&self, state: bool, v: f64, offset: f64, dt: f64, rng: &mut R) -> bool {
        telegraph_step(state, self.probability(v, offset), self.correlation_time(v, offset), dt, rng.random())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Domain, Seed};

    /// Continuous-time evolution has the calibrated stationary law and correlation time:
    /// sampled every dt = tau/10, the fraction of ones is P(1) and the lag-one correlation is
    /// e^{-dt/tau} (within 5 standard errors of 200000 samples).
    #[test]
    fn telegraph_evolution_matches_calibrated_law() {
        let cell = PbitCell::ideal(0.0, 0.02, 1e-7, 300.0);
        let (v, dt) = (0.015, 1e-8);
        let p = cell.probability(v, 0.0);
        let mut rng = Seed(6).stream(Domain::Other, 0);
        let mut s = false;
        let n = 200_000;
        let mut series = Vec::with_capacity(n);
        for _ in 0..n {
            s = cell.evolve(s, v, 0.0, dt, &mut rng);
            series.push(f64::from(u8::from(s)));
        }
        let mean = series.iter().sum::<f64>() / n as f64;
        let var = mean * (1.0 - mean);
        let lag1 =
            series.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum::<f64>() / (n - 1) as f64 / var;
        let rho = (-dt / 1e-7f64).exp();
        // Effective samples n (1 - rho)/(1 + rho) for the mean.
        let n_eff = n as f64 * (1.0 - rho) / (1.0 + rho);
        assert!((mean - p).abs() < 5.0 * (var / n_eff).sqrt(), "{mean} vs {p}");
        assert!((lag1 - rho).abs() < 5.0 * ((1.0 - rho * rho) / n as f64).sqrt() * 2.0, "{lag1} vs {rho}");
    }
}

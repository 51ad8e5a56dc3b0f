//! Arrhenius law of correlation (or switching) times: tau(T) = tau0 exp(E_a/(k_B T)), i.e.
//! ln tau = ln tau0 + (E_a/k_B) (1/T).
//!
//! Data: points (T_i in kelvin, tau_i in seconds, se_i the standard error of tau_i).
//! Method: weighted linear least squares of ln tau_i against 1/T_i with the delta-method
//! errors se_i/tau_i (valid for small relative errors). Returns ln tau0 and E_a with their
//! covariance (scaled as [`ErrorScale`] says), tau0 with the delta-method error tau0 se(ln
//! tau0), and E_a in joules and electronvolts.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::error::{list, num};
use super::{ErrorScale, FitError, FitOptions, Goodness, Point, linear};
use crate::units::{BOLTZMANN, ELEMENTARY_CHARGE};

const FIT: &str = "Arrhenius";

/// A fitted Arrhenius law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArrheniusFit {
    pub ln_tau0: f64,
    pub ln_tau0_se: f64,
    /// Attempt time tau0 (s) and its delta-method standard error.
    pub tau0: f64,
    pub tau0_se: f64,
    /// Activation energy (barrier) in joules.
    pub energy_j: f64,
    pub energy_j_se: f64,
    /// Activation energy in electronvolts.
    pub energy_ev: f64,
    pub energy_ev_se: f64,
    /// Covariance of (ln tau0, E_a/k_B in kelvin), scaled by `scale_factor`.
    pub covariance: [[f64; 2]; 2],
    pub goodness: Goodness,
    pub error_scale: ErrorScale,
    pub scale_factor: f64,
}

impl ArrheniusFit {
    /// The fitted tau at temperature T (kelvin).
    pub fn tau(&self, temperature: f64) -> f64 {
        (self.ln_tau0 + self.energy_j / (BOLTZMANN * temperature)).exp()
    }

    /// The fitted tau at T with its delta-method standard error tau * se(ln tau).
    pub fn tau_with_se(&self, temperature: f64) -> (f64, f64) {
        let (u, c) = (1.0 / temperature, &self.covariance);
        let var = c[0][0] + 2.0 * u * c[0][1] + u * u * c[1][1];
        let tau = self.tau(temperature);
        (tau, tau * var.max(0.0).sqrt())
    }
}

/// Fit tau = tau0 exp(E_a/(k_B T)) to points (x = T in K, y = tau in s, se of tau).
pub fn fit_arrhenius(points: &[Point], options: &FitOptions) -> Result<ArrheniusFit, FitError> {
    let shown =
        || list(points.iter().map(|p| format!("(T={}, tau={}, se={})", num(p.x), num(p.y), num(p.se))));
    for (index, p) in points.iter().enumerate() {
        let problem = if !(p.x > 0.0 && p.x.is_finite()) {
            "the temperature is not positive and finite"
        } else if !(p.y > 0.0 && p.y.is_finite()) {
            "tau is not positive and finite"
        } else {
            continue;
        };
        return Err(FitError::InvalidPoint { fit: FIT, index, problem: problem.into(), data: shown() });
    }
    let design = DMatrix::from_fn(points.len(), 2, |i, j| if j == 0 { 1.0 } else { 1.0 / points[i].x });
    let y: Vec<f64> = points.iter().map(|p| p.y.ln()).collect();
    let se: Vec<f64> = points.iter().map(|p| p.se / p.y).collect();
    let (c, cov, goodness, scale_factor) = linear::solve(FIT, design, &y, &se, options, &shown)?;
    let (ln_tau0_se, slope_se) = (cov[(0, 0)].sqrt(), cov[(1, 1)].sqrt());
    let tau0 = c[0].exp();
    Ok(ArrheniusFit {
        ln_tau0: c[0],
        ln_tau0_se,
        tau0,
        tau0_se: tau0 * ln_tau0_se,
        energy_j: c[1] * BOLTZMANN,
        energy_j_se: slope_se * BOLTZMANN,
        energy_ev: c[1] * BOLTZMANN / ELEMENTARY_CHARGE,
        energy_ev_se: slope_se * BOLTZMANN / ELEMENTARY_CHARGE,
        covariance: [[cov[(0, 0)], cov[(0, 1)]], [cov[(1, 0)], cov[(1, 1)]]],
        goodness,
        error_scale: options.scale,
        scale_factor,
    })
}

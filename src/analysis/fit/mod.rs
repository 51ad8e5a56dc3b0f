//! Fits that turn transistor-level measurements into calibrated behavioural cells.
//!
//! | module          | model                                             | method                          |
//! |-----------------|---------------------------------------------------|---------------------------------|
//! | [`logistic`]    | p = sigma((x - x0)/w)                             | weighted least squares, LM      |
//! | [`mod@softmax`] | p = softmax(b + W v), class 0 the reference       | multinomial quasi-likelihood    |
//! | [`mixture`]     | sum_k pi_k N(mu_k, sigma_k^2)                     | EM with restarts                |
//! | [`ks`]          | Kolmogorov-Smirnov distances                      | exact on the sorted samples     |
//! | [`arrhenius`]   | ln tau = ln tau0 + E_a/(k_B T)                    | weighted linear least squares   |
//! | [`proportional`]| y = a T                                           | weighted least squares          |
//! | [`linear`]      | y = c0 + sum_j c_j x_j, and polynomials in x      | weighted least squares (SVD)    |
//!
//! Conventions shared by every fit of points with standard errors:
//! - Each point carries a standard error se_i > 0 of its ordinate, taken as an absolute,
//!   Gaussian, independent 1-sigma error (the weights are 1/se_i^2).
//! - The parameter covariance is the inverse of the normal (Fisher information) matrix at the
//!   solution. By default ([`ErrorScale::Absolute`]) it is not rescaled; the user may ask for
//!   it to be multiplied by chi2/dof ([`ErrorScale::Chi2PerDof`], appropriate when the errors
//!   are only known up to a common factor, as with time averages of autocorrelated signals)
//!   or by max(1, chi2/dof) ([`ErrorScale::InflateOnly`], the Particle Data Group convention).
//!   Every result records the scale factor applied.
//! - Goodness of fit ([`Goodness`]): chi-square, degrees of freedom (points minus
//!   parameters), chi2/dof, the upper-tail p-value, and the largest |residual|/se.
//! - A fit needs at least one degree of freedom, so that chi2/dof is defined.
//! - Failures are [`FitError`] values whose message says what failed and lists the data
//!   (up to [`SHOWN`] points); a result never contains NaN.

pub mod arrhenius;
mod error;
pub mod ks;
pub mod linear;
mod lm;
pub mod logistic;
pub mod mixture;
pub mod proportional;
pub mod softmax;
mod wls;

pub use arrhenius::{ArrheniusFit, fit_arrhenius};
pub use error::{FitError, SHOWN};
pub use ks::{kolmogorov_p_value, ks_distance, ks_distance_to, ks_two_sample};
pub use linear::{LinearFit, PolynomialFit, RegPoint, fit_linear, fit_polynomial};
pub use logistic::{CurvePoint, LogisticFit, ProbPoint, fit_logistic, logit};
pub use mixture::{GaussianMixture, MixtureFit, MixtureOptions, StartOutcome, fit_mixture};
pub use proportional::{InterceptTest, ProportionalFit, fit_proportional};
pub use softmax::{CatPoint, SoftmaxFit, fit_softmax, softmax};

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// A measured point y(x) with the standard error of y.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub se: f64,
}

impl Point {
    pub fn new(x: f64, y: f64, se: f64) -> Point {
        Point { x, y, se }
    }
}

impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(x={}, y={}, se={})", error::num(self.x), error::num(self.y), error::num(self.se))
    }
}

impl From<(f64, f64, f64)> for Point {
    fn from((x, y, se): (f64, f64, f64)) -> Point {
        Point { x, y, se }
    }
}

/// How the covariance of the parameters is scaled after the fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorScale {
    /// The standard errors of the points are absolute: covariance = (J^T W J)^-1.
    #[default]
    Absolute,
    /// Multiply the covariance by chi2/dof (errors known only up to a common factor).
    Chi2PerDof,
    /// Multiply the covariance by max(1, chi2/dof): inflate, never shrink.
    InflateOnly,
}

impl ErrorScale {
    /// The factor that multiplies the covariance for this goodness of fit.
    pub fn factor(self, goodness: &Goodness) -> f64 {
        match self {
            ErrorScale::Absolute => 1.0,
            ErrorScale::Chi2PerDof => goodness.chi2_per_dof,
            ErrorScale::InflateOnly => goodness.chi2_per_dof.max(1.0),
        }
    }
}

/// Options shared by the fits of points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    pub scale: ErrorScale,
    /// Iteration limit of the nonlinear fits (logistic, softmax).
    pub max_iterations: usize,
    /// Convergence of the nonlinear fits: the expected further decrease of the objective
    /// (the Gauss-Newton or Newton decrement) is below `tolerance * (1 + objective)`, the
    /// objective being chi2 (logistic) or the quasi-likelihood -ln L (softmax). Since the
    /// decrement bounds (step / standard error)^2, the last step is then below
    /// sqrt(tolerance (1 + objective)) standard errors of every parameter.
    pub tolerance: f64,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions { scale: ErrorScale::Absolute, max_iterations: 200, tolerance: 1e-14 }
    }
}

impl FitOptions {
    pub fn with_scale(scale: ErrorScale) -> FitOptions {
        FitOptions { scale, ..FitOptions::default() }
    }
}

/// Goodness of fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Goodness {
    pub chi2: f64,
    /// Degrees of freedom: independent residuals minus fitted parameters (at least 1).
    pub dof: usize,
    pub chi2_per_dof: f64,
    /// Probability that a chi-square variable with `dof` degrees of freedom exceeds `chi2`.
    pub p_value: f64,
    /// The largest |data - model| / se over the points.
    pub max_residual: f64,
    /// Index of the point with the largest residual.
    pub max_residual_index: usize,
}

impl Goodness {
    /// Goodness from the normalised residuals (data - model)/se and the degrees of freedom.
    pub(crate) fn from_residuals(residuals: &[f64], dof: usize) -> Goodness {
        let chi2 = residuals.iter().map(|r| r * r).sum();
        let (index, max) = residuals
            .iter()
            .enumerate()
            .map(|(i, r)| (i, r.abs()))
            .fold((0, 0.0), |best, (i, r)| if r > best.1 { (i, r) } else { best });
        Goodness::new(chi2, dof, max, index)
    }

    pub(crate) fn new(chi2: f64, dof: usize, max_residual: f64, max_residual_index: usize) -> Goodness {
        debug_assert!(dof >= 1);
        let p_value = ChiSquared::new(dof as f64).map(|d| d.sf(chi2)).unwrap_or(0.0);
        Goodness { chi2, dof, chi2_per_dof: chi2 / dof as f64, p_value, max_residual, max_residual_index }
    }
}

/// Square roots of the diagonal of a covariance matrix.
pub(crate) fn diagonal_se(cov: &nalgebra::DMatrix<f64>) -> Vec<f64> {
    (0..cov.nrows()).map(|i| cov[(i, i)].max(0.0).sqrt()).collect()
}

/// A covariance matrix as rows, for serialisation.
pub(crate) fn rows(cov: &nalgebra::DMatrix<f64>) -> Vec<Vec<f64>> {
    (0..cov.nrows()).map(|i| (0..cov.ncols()).map(|j| cov[(i, j)]).collect()).collect()
}

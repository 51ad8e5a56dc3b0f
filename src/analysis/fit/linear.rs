//! Linear models for smooth dependences (mixture means against control voltages, ...):
//! y = c_0 + sum_j c_j x_j (the intercept optional), and polynomials y = sum_{d=0}^{deg} c_d x^d.
//!
//! Method: weighted least squares with weights 1/se_i^2, solved by SVD of the weighted design
//! with columns scaled to unit norm (see `wls`). Covariance (X^T W X)^-1, scaled as
//! [`ErrorScale`] says. For high polynomial degrees far from x = 0, centre x first: raw
//! power bases are ill-conditioned, and a condition number above 1e12 is an error.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::error::{list, num};
use super::{ErrorScale, FitError, FitOptions, Goodness, Point, diagonal_se, rows, wls};

/// A measured y with standard error se at regressors x.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegPoint {
    pub x: Vec<f64>,
    pub y: f64,
    pub se: f64,
}

impl std::fmt::Display for RegPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x: Vec<String> = self.x.iter().map(|&v| num(v)).collect();
        write!(f, "(x=[{}], y={}, se={})", x.join(", "), num(self.y), num(self.se))
    }
}

/// A fitted linear model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearFit {
    pub intercept: bool,
    /// (c_0 if intercept, c_1, ..., c_D).
    pub coefficients: Vec<f64>,
    pub standard_errors: Vec<f64>,
    pub covariance: Vec<Vec<f64>>,
    pub goodness: Goodness,
    pub error_scale: ErrorScale,
    pub scale_factor: f64,
}

impl LinearFit {
    fn row(&self, x: &[f64]) -> Vec<f64> {
        let offset = usize::from(self.intercept);
        assert_eq!(x.len() + offset, self.coefficients.len(), "wrong number of regressors");
        (0..self.coefficients.len()).map(|j| if j < offset { 1.0 } else { x[j - offset] }).collect()
    }

    /// The fitted y at regressors x (panics if x has the wrong length).
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.row(x).iter().zip(&self.coefficients).map(|(a, c)| a * c).sum()
    }

    /// The fitted y at x and its standard error sqrt(r^T C r).
    pub fn predict_with_se(&self, x: &[f64]) -> (f64, f64) {
        let r = self.row(x);
        let c = &self.covariance;
        let var: f64 = (0..r.len())
            .flat_map(|a| (0..r.len()).map(move |b| (a, b)))
            .map(|(a, b)| r[a] * c[a][b] * r[b])
            .sum();
        (self.predict(x), var.max(0.0).sqrt())
    }
}

/// Validate and solve: shared by [`fit_linear`] and [`fit_polynomial`]. `design` holds the
/// full rows (with the intercept column), `shown` formats the data for errors.
pub(crate) fn solve(
    fit: &'static str,
    design: DMatrix<f64>,
    y: &[f64],
    se: &[f64],
    options: &FitOptions,
    shown: &dyn Fn() -> String,
) -> Result<(Vec<f64>, DMatrix<f64>, Goodness, f64), FitError> {
    let (n, p) = design.shape();
    if n < p + 1 {
        return Err(FitError::TooFewPoints { fit, needed: p + 1, got: n, data: shown() });
    }
    for i in 0..n {
        let problem = if !(design.row(i).iter().all(|v| v.is_finite()) && y[i].is_finite()) {
            "a value is not finite"
        } else if !(se[i] > 0.0 && se[i].is_finite()) {
            "the standard error is not positive and finite"
        } else {
            continue;
        };
        return Err(FitError::InvalidPoint { fit, index: i, problem: problem.into(), data: shown() });
    }
    let sol =
        wls::solve(&design, y, se).map_err(|reason| FitError::Undetermined { fit, reason, data: shown() })?;
    let goodness = Goodness::from_residuals(&sol.residuals, n - p);
    let factor = options.scale.factor(&goodness);
    Ok((sol.coefficients, sol.covariance * factor, goodness, factor))
}

/// Fit y = c_0 + sum_j c_j x_j (or without c_0) to points with D regressors each.
pub fn fit_linear(points: &[RegPoint], intercept: bool, options: &FitOptions) -> Result<LinearFit, FitError> {
    const FIT: &str = "linear";
    let shown = || list(points.iter());
    let d = points.first().map_or(0, |p| p.x.len());
    if let Some(index) = points.iter().position(|p| p.x.len() != d) {
        let problem = format!("has {} regressors, the first point {d}", points[index].x.len());
        return Err(FitError::InvalidPoint { fit: FIT, index, problem, data: shown() });
    }
    let offset = usize::from(intercept);
    if d + offset == 0 {
        let reason = "no regressors and no intercept".into();
        return Err(FitError::Undetermined { fit: FIT, reason, data: shown() });
    }
    let design =
        DMatrix::from_fn(
            points.len(),
            d + offset,
            |i, j| if j < offset { 1.0 } else { points[i].x[j - offset] },
        );
    let y: Vec<f64> = points.iter().map(|p| p.y).collect();
    let se: Vec<f64> = points.iter().map(|p| p.se).collect();
    let (coefficients, cov, goodness, scale_factor) = solve(FIT, design, &y, &se, options, &shown)?;
    Ok(LinearFit {
        intercept,
        coefficients,
        standard_errors: diagonal_se(&cov),
        covariance: rows(&cov),
        goodness,
        error_scale: options.scale,
        scale_factor,
    })
}

/// A fitted polynomial y = sum_d c_d x^d.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolynomialFit {
    pub degree: usize,
    /// c_0, ..., c_degree (ascending powers).
    pub coefficients: Vec<f64>,
    pub standard_errors: Vec<f64>,
    pub covariance: Vec<Vec<f64>>,
    pub goodness: Goodness,
    pub error_scale: ErrorScale,
    pub scale_factor: f64,
}

impl PolynomialFit {
    fn powers(&self, x: f64) -> Vec<f64> {
        (0..=self.degree).scan(1.0, |p, _| Some(std::mem::replace(p, *p * x))).collect()
    }

    pub fn predict(&self, x: f64) -> f64 {
        self.coefficients.iter().rev().fold(0.0, |acc, c| acc * x + c)
    }

    /// The fitted y at x and its standard error.
    pub fn predict_with_se(&self, x: f64) -> (f64, f64) {
        let r = self.powers(x);
        let c = &self.covariance;
        let var: f64 = (0..r.len())
            .flat_map(|a| (0..r.len()).map(move |b| (a, b)))
            .map(|(a, b)| r[a] * c[a][b] * r[b])
            .sum();
        (self.predict(x), var.max(0.0).sqrt())
    }
}

/// Fit a polynomial of the given degree in x to the points.
pub fn fit_polynomial(
    points: &[Point],
    degree: usize,
    options: &FitOptions,
) -> Result<PolynomialFit, FitError> {
    let shown = || list(points.iter());
    let design = DMatrix::from_fn(points.len(), degree + 1, |i, j| points[i].x.powi(j as i32));
    let y: Vec<f64> = points.iter().map(|p| p.y).collect();
    let se: Vec<f64> = points.iter().map(|p| p.se).collect();
    let (coefficients, cov, goodness, scale_factor) = solve("polynomial", design, &y, &se, options, &shown)?;
    Ok(PolynomialFit {
        degree,
        coefficients,
        standard_errors: diagonal_se(&cov),
        covariance: rows(&cov),
        goodness,
        error_scale: options.scale,
        scale_factor,
    })
}

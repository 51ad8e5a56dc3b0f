//! Logistic response of a p-bit (PHYSICS.md 5): p(x) = sigma((x - x0)/w), sigma(z) = 1/(1 + e^-z).
//!
//! Data: points (x_i, p_i, se_i), p_i an estimated probability with standard error se_i > 0
//! (from time averages of autocorrelated signals, so not binomial counts; p_i may be 0 or 1).
//!
//! Method: weighted least squares on p, chi2 = sum_i ((p_i - p(x_i))/se_i)^2, minimised by
//! Levenberg-Marquardt in (x0, w). The start is a weighted linear fit of logit(p_i) = (x_i -
//! x0)/w over the points with 0 < p_i < 1, with the delta-method errors se_i / (p_i (1 - p_i)).
//! The width w may come out negative (a falling curve); w = 0 is a step, which no finite
//! data determine. The fit is an error unless at least two points lie within 5 widths of x0
//! (0.7% < p < 99.3%): otherwise the width is set only by exponentially small tails (and
//! chi2 often keeps falling as w -> 0). The covariance of (x0, w) is (J^T W J)^-1 scaled as [`ErrorScale`] says.
//! The band of the fitted curve is the delta method: var p(x) = g^T C g, g = dp/d(x0, w).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::error::{list, num};
use super::lm::{self, LmFailure};
use super::{ErrorScale, FitError, FitOptions, Goodness, wls};
use crate::special::logistic;

const FIT: &str = "logistic";
/// The transition is resolved when at least two points lie within this many widths of x0.
const RESOLVED: f64 = 5.0;

/// A measured probability p at control x with standard error se.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProbPoint {
    pub x: f64,
    pub p: f64,
    pub se: f64,
}

impl ProbPoint {
    pub fn new(x: f64, p: f64, se: f64) -> ProbPoint {
        ProbPoint { x, p, se }
    }
}

impl std::fmt::Display for ProbPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(x={}, p={}, se={})", num(self.x), num(self.p), num(self.se))
    }
}

/// One point of the fitted curve with its delta-method standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub x: f64,
    pub p: f64,
    pub se: f64,
}

/// A fitted logistic curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticFit {
    /// The midpoint, where p = 1/2 (V_0).
    pub x0: f64,
    /// The width (V_s): p = sigma((x - x0)/w).
    pub w: f64,
    pub x0_se: f64,
    pub w_se: f64,
    /// Covariance of (x0, w), already scaled by `scale_factor`.
    pub covariance: [[f64; 2]; 2],
    pub goodness: Goodness,
    pub error_scale: ErrorScale,
    pub scale_factor: f64,
    pub iterations: usize,
}

/// The inverse of [`sigmoid`]: ln(p/(1 - p)).
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// p and its gradient with respect to (x0, w).
fn model(x: f64, x0: f64, w: f64) -> (f64, [f64; 2]) {
    let z = (x - x0) / w;
    let s = logistic(z);
    let ds = s * (1.0 - s);
    (s, [-ds / w, -ds * z / w])
}

impl LogisticFit {
    /// The fitted probability at x.
    pub fn predict(&self, x: f64) -> f64 {
        logistic((x - self.x0) / self.w)
    }

    /// The fitted probability at x with its delta-method standard error.
    pub fn band(&self, x: f64) -> CurvePoint {
        let (p, g) = model(x, self.x0, self.w);
        let c = &self.covariance;
        let var = g[0] * g[0] * c[0][0] + 2.0 * g[0] * g[1] * c[0][1] + g[1] * g[1] * c[1][1];
        CurvePoint { x, p, se: var.max(0.0).sqrt() }
    }

    /// The curve and its band at each x, for plotting.
    pub fn curve(&self, xs: &[f64]) -> Vec<CurvePoint> {
        xs.iter().map(|&x| self.band(x)).collect()
    }

    /// Correlation coefficient of x0 and w.
    pub fn correlation(&self) -> f64 {
        self.covariance[0][1] / (self.x0_se * self.w_se)
    }
}

/// Fit p = sigma((x - x0)/w) to the points (see the module documentation).
pub fn fit_logistic(points: &[ProbPoint], options: &FitOptions) -> Result<LogisticFit, FitError> {
    let data = || list(points.iter());
    if points.len() < 3 {
        return Err(FitError::TooFewPoints { fit: FIT, needed: 3, got: points.len(), data: data() });
    }
    for (index, pt) in points.iter().enumerate() {
        let problem = if !pt.x.is_finite() {
            "x is not finite"
        } else if !(0.0..=1.0).contains(&pt.p) {
            "p is not a probability in [0, 1]"
        } else if !(pt.se > 0.0 && pt.se.is_finite()) {
            "the standard error is not positive and finite"
        } else {
            continue;
        };
        return Err(FitError::InvalidPoint { fit: FIT, index, problem: problem.into(), data: data() });
    }
    let undetermined = |reason: String| FitError::Undetermined { fit: FIT, reason, data: data() };

    // Start: weighted line through logit(p) against x over the interior points.
    let inner: Vec<&ProbPoint> = points.iter().filter(|p| p.p > 0.0 && p.p < 1.0).collect();
    if inner.is_empty() {
        return Err(undetermined("every probability is 0 or 1".into()));
    }
    if inner.len() < 2 || inner.iter().all(|p| p.x == inner[0].x) {
        return Err(undetermined("fewer than two distinct x with 0 < p < 1 to start from".into()));
    }
    let design = DMatrix::from_fn(inner.len(), 2, |i, j| if j == 0 { 1.0 } else { inner[i].x });
    let y: Vec<f64> = inner.iter().map(|p| logit(p.p)).collect();
    let se: Vec<f64> = inner.iter().map(|p| p.se / (p.p * (1.0 - p.p))).collect();
    let start = wls::solve(&design, &y, &se).map_err(|r| undetermined(format!("start: {r}")))?;
    let (a, b) = (start.coefficients[0], start.coefficients[1]);
    if b == 0.0 || !(a / b).is_finite() {
        return Err(undetermined("logit(p) does not change with x".into()));
    }
    let theta0 = vec![-a / b, 1.0 / b];

    let n = points.len();
    let eval = |t: &[f64]| -> lm::Eval {
        let mut r = DVector::zeros(n);
        let mut j = DMatrix::zeros(n, 2);
        for (i, pt) in points.iter().enumerate() {
            let (p, g) = model(pt.x, t[0], t[1]);
            r[i] = (pt.p - p) / pt.se;
            j[(i, 0)] = g[0] / pt.se;
            j[(i, 1)] = g[1] / pt.se;
        }
        Some((r, j))
    };
    let sol = lm::minimise(theta0, eval, options).map_err(|f| match f {
        LmFailure::Start => undetermined("the model is not finite at the start".into()),
        LmFailure::Iterations { theta, chi2 } => FitError::NoConvergence {
            fit: FIT,
            iterations: options.max_iterations,
            reason: format!("last x0 = {}, w = {}, chi2 = {}", num(theta[0]), num(theta[1]), num(chi2)),
            data: data(),
        },
    })?;
    let (x0, w) = (sol.theta[0], sol.theta[1]);
    let inside = points.iter().filter(|p| ((p.x - x0) / w).abs() < RESOLVED).count();
    if inside < 2 {
        return Err(undetermined(format!(
            "the transition is not resolved: {inside} point(s) within {RESOLVED} widths of x0 \
             (0.7% < p < 99.3%) at x0 = {}, w = {}",
            num(x0),
            num(w)
        )));
    }
    let cov = wls::spd_inverse(&sol.normal)
        .map_err(|r| undetermined(format!("{r} at x0 = {}, w = {}", num(x0), num(w))))?;
    let goodness = Goodness::from_residuals(sol.residuals.as_slice(), n - 2);
    let factor = options.scale.factor(&goodness);
    let c = cov * factor;
    Ok(LogisticFit {
        x0,
        w,
        x0_se: c[(0, 0)].sqrt(),
        w_se: c[(1, 1)].sqrt(),
        covariance: [[c[(0, 0)], c[(0, 1)]], [c[(1, 0)], c[(1, 1)]]],
        goodness,
        error_scale: options.scale,
        scale_factor: factor,
        iterations: sol.iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_curve_is_recovered() {
        let pts: Vec<ProbPoint> = (0..9)
            .map(|i| i as f64 * 0.01 - 0.04)
            .map(|x| ProbPoint::new(x, logistic((x - 0.003) / 0.017), 0.01))
            .collect();
        let fit = fit_logistic(&pts, &FitOptions::default()).unwrap();
        assert!((fit.x0 - 0.003).abs() < 1e-10 && (fit.w - 0.017).abs() < 1e-10, "{fit:?}");
        assert!(fit.goodness.chi2 < 1e-12);
        let band = fit.band(0.003);
        assert!((band.p - 0.5).abs() < 1e-9 && band.se > 0.0);
    }
}

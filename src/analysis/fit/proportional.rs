//! Proportionality y = a T (a line through the origin), as for the logistic width V_s ~ T.
//!
//! Data: points (x = T_i, y_i, se_i), every T_i non-zero. Method: weighted least squares,
//! a = sum(w x y)/sum(w x^2), var(a) = 1/sum(w x^2) (scaled as [`ErrorScale`] says), w = 1/se^2.
//! Besides chi2, the result gives the largest relative deviation |y_i - a x_i| / |a x_i| and,
//! when there are at least three points at two or more abscissae, the free-intercept fit
//! y = c + b x, whose intercept c in units of its standard error tests proportionality
//! statistically (a significant intercept means the data are not proportional).

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::error::{list, num};
use super::{ErrorScale, FitError, FitOptions, Goodness, Point, linear};

const FIT: &str = "proportional";

/// The line y = c + b x fitted to the same points, to test c = 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InterceptTest {
    pub slope: f64,
    pub slope_se: f64,
    pub intercept: f64,
    pub intercept_se: f64,
    /// intercept / intercept_se.
    pub pull: f64,
}

/// A fitted proportionality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProportionalFit {
    pub slope: f64,
    pub slope_se: f64,
    pub goodness: Goodness,
    /// max_i |y_i - a x_i| / |a x_i|.
    pub max_relative_deviation: f64,
    pub max_relative_deviation_index: usize,
    /// The free-intercept fit (None with fewer than three points or a single abscissa).
    pub intercept: Option<InterceptTest>,
    pub error_scale: ErrorScale,
    pub scale_factor: f64,
}

impl ProportionalFit {
    pub fn predict(&self, x: f64) -> f64 {
        self.slope * x
    }

    /// Every point lies within `fraction` of the line, relatively: |y - a x| <= fraction |a x|.
    pub fn proportional_within(&self, fraction: f64) -> bool {
        self.max_relative_deviation <= fraction
    }

    /// The free intercept is within `n_sigma` standard errors of 0 (true when no intercept
    /// fit was possible).
    pub fn intercept_consistent(&self, n_sigma: f64) -> bool {
        self.intercept.is_none_or(|t| t.pull.abs() <= n_sigma)
    }
}

/// Fit y = a x to the points (see the module documentation).
pub fn fit_proportional(points: &[Point], options: &FitOptions) -> Result<ProportionalFit, FitError> {
    let shown = || list(points.iter());
    if let Some(index) = points.iter().position(|p| p.x == 0.0) {
        let problem = "the abscissa is 0, where a proportional law says nothing".into();
        return Err(FitError::InvalidPoint { fit: FIT, index, problem, data: shown() });
    }
    let y: Vec<f64> = points.iter().map(|p| p.y).collect();
    let se: Vec<f64> = points.iter().map(|p| p.se).collect();
    let design = DMatrix::from_fn(points.len(), 1, |i, _| points[i].x);
    let (c, cov, goodness, scale_factor) = linear::solve(FIT, design, &y, &se, options, &shown)?;
    let slope = c[0];
    if slope == 0.0 {
        let reason = "the fitted slope is exactly 0, so relative deviations are undefined".into();
        return Err(FitError::Undetermined { fit: FIT, reason, data: shown() });
    }
    let (index, max) = points
        .iter()
        .map(|p| ((p.y - slope * p.x) / (slope * p.x)).abs())
        .enumerate()
        .fold((0, 0.0), |best, (i, r)| if r > best.1 { (i, r) } else { best });
    let distinct = points.iter().any(|p| p.x != points[0].x);
    let intercept = if points.len() >= 3 && distinct {
        let design = DMatrix::from_fn(points.len(), 2, |i, j| if j == 0 { 1.0 } else { points[i].x });
        linear::solve(FIT, design, &y, &se, options, &shown).ok().map(|(c, cov, _, _)| {
            let intercept_se = cov[(0, 0)].sqrt();
            InterceptTest {
                slope: c[1],
                slope_se: cov[(1, 1)].sqrt(),
                intercept: c[0],
                intercept_se,
                pull: c[0] / intercept_se,
            }
        })
    } else {
        None
    };
    debug_assert!(max.is_finite(), "slope {} gave relative deviation {}", num(slope), num(max));
    Ok(ProportionalFit {
        slope,
        slope_se: cov[(0, 0)].sqrt(),
        goodness,
        max_relative_deviation: max,
        max_relative_deviation_index: index,
        intercept,
        error_scale: options.scale,
        scale_factor,
    })
}

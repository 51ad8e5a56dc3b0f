//! Categorical cell (p-dit): K classes, D controls. Logits l_k = b_k + sum_j W_kj v_j with class
//! 0 the reference (b_0 = W_0j = 0), p = softmax(l).
//!
//! Data: points (v_i, p_i, se_i) with p_i in the simplex and per-class standard errors se_i.
//!
//! Method: multinomial quasi-likelihood with per-point effective sample sizes, not least
//! squares on the K probabilities (whose errors are correlated through sum_k p_k = 1, so
//! treating them as independent would count the information twice for K = 2). The effective
//! size of point i is n_i = (1 - sum_k p_ik^2) / sum_k se_ik^2, which is exactly n for a
//! multinomial estimate from n independent draws (se_ik^2 = p_ik(1 - p_ik)/n), and equals
//! p(1 - p)/se^2 of the logistic fit for K = 2. A point with all its probability in one class
//! has n_i = 0 and carries no weight (its size cannot be inferred); the sizes are reported.
//! The objective -sum_i n_i sum_k p_ik ln p_k(v_i) is convex; it is minimised by Newton's
//! method (Fisher scoring: for this canonical link the observed and expected information
//! agree) with a backtracking line search, from b = W = 0. The covariance is the inverse
//! information, scaled as [`ErrorScale`] says by the Pearson chi2/dof (the quasi-likelihood
//! dispersion). Goodness: Pearson chi2 = sum_i n_i sum_k (p_ik - p_k)^2 / p_k on
//! N_weighted (K - 1) - (K - 1)(D + 1) degrees of freedom; the residual of class k at point i
//! in units of its standard error is (p_ik - p_k)/sqrt(p_k (1 - p_k)/n_i).
//!
//! Parameter order in the covariance: for k = 1..K-1, (b_k, W_k1, ..., W_kD).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::error::{list, num};
use super::{ErrorScale, FitError, FitOptions, Goodness, diagonal_se, rows, wls};

const FIT: &str = "softmax";

/// Measured class probabilities `p` (K) with standard errors `se` (K) at controls `v` (D).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatPoint {
    pub v: Vec<f64>,
    pub p: Vec<f64>,
    pub se: Vec<f64>,
}

impl std::fmt::Display for CatPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |xs: &[f64]| xs.iter().map(|&x| num(x)).collect::<Vec<_>>().join(", ");
        write!(f, "(v=[{}], p=[{}], se=[{}])", show(&self.v), show(&self.p), show(&self.se))
    }
}

/// A fitted categorical cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoftmaxFit {
    pub classes: usize,
    pub controls: usize,
    /// b_k, k = 0..K (b_0 = 0).
    pub bias: Vec<f64>,
    /// W_kj as K rows of D (row 0 is zero).
    pub weights: Vec<Vec<f64>>,
    pub bias_se: Vec<f64>,
    pub weights_se: Vec<Vec<f64>>,
    /// Covariance in the order given in the module documentation, scaled by `scale_factor`.
    pub covariance: Vec<Vec<f64>>,
    /// Effective sample size n_i of each point (0 for points at a vertex of the simplex).
    pub effective_sizes: Vec<f64>,
    pub goodness: Goodness,
    /// Class of the largest residual (its point is `goodness.max_residual_index`).
    pub max_residual_class: usize,
    pub error_scale: ErrorScale,
    pub scale_factor: f64,
    pub iterations: usize,
}

/// softmax(l)_k = e^{l_k} / sum_j e^{l_j}, without overflow.
pub fn softmax(logits: &[f64]) -> Vec<f64> {
    let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|x| x / s).collect()
}

/// Logits (reference 0) for the parameter vector theta at controls v.
fn logits(theta: &[f64], k: usize, v: &[f64]) -> Vec<f64> {
    let d = v.len();
    let mut l = vec![0.0; k];
    for c in 1..k {
        let row = &theta[(c - 1) * (d + 1)..c * (d + 1)];
        l[c] = row[0] + v.iter().zip(&row[1..]).map(|(a, b)| a * b).sum::<f64>();
    }
    l
}

impl SoftmaxFit {
    /// The logits b + W v (class 0 is 0).
    pub fn logits(&self, v: &[f64]) -> Vec<f64> {
        assert_eq!(v.len(), self.controls, "softmax cell has {} controls", self.controls);
        (0..self.classes)
            .map(|k| self.bias[k] + v.iter().zip(&self.weights[k]).map(|(a, b)| a * b).sum::<f64>())
            .collect()
    }

    /// The class probabilities at controls v (panics if v has the wrong length).
    pub fn predict(&self, v: &[f64]) -> Vec<f64> {
        softmax(&self.logits(v))
    }
}

/// Fit the softmax cell to the points (see the module documentation).
pub fn fit_softmax(points: &[CatPoint], options: &FitOptions) -> Result<SoftmaxFit, FitError> {
    let data = || list(points.iter());
    let first = points.first().ok_or(FitError::TooFewPoints { fit: FIT, needed: 1, got: 0, data: data() })?;
    let (k, d) = (first.p.len(), first.v.len());
    let invalid =
        |index: usize, problem: String| FitError::InvalidPoint { fit: FIT, index, problem, data: data() };
    if k < 2 {
        return Err(invalid(0, format!("{k} classes; at least 2 are needed")));
    }
    let mut sizes = Vec::with_capacity(points.len());
    for (i, pt) in points.iter().enumerate() {
        if pt.v.len() != d || pt.p.len() != k || pt.se.len() != k {
            return Err(invalid(i, format!("expected {d} controls, {k} probabilities and {k} errors")));
        }
        if !pt.v.iter().all(|x| x.is_finite()) {
            return Err(invalid(i, "a control is not finite".into()));
        }
        if !pt.p.iter().all(|x| (0.0..=1.0).contains(x)) || (pt.p.iter().sum::<f64>() - 1.0).abs() > 1e-6 {
            return Err(invalid(i, "the probabilities are not in [0, 1] with sum 1 (within 1e-6)".into()));
        }
        let var: f64 = pt.se.iter().map(|s| s * s).sum();
        if !(pt.se.iter().all(|s| *s >= 0.0 && s.is_finite()) && var > 0.0 && var.is_finite()) {
            return Err(invalid(i, "the standard errors are not finite, non-negative, and not all 0".into()));
        }
        sizes.push(((1.0 - pt.p.iter().map(|p| p * p).sum::<f64>()) / var).max(0.0));
    }
    let params = (k - 1) * (d + 1);
    let weighted = sizes.iter().filter(|&&n| n > 0.0).count();
    if weighted == 0 {
        let reason = "every point has all its probability in one class (every p is 0 or 1)".into();
        return Err(FitError::Undetermined { fit: FIT, reason, data: data() });
    }
    if weighted < d + 2 {
        return Err(FitError::TooFewPoints { fit: FIT, needed: d + 2, got: weighted, data: data() });
    }
    // The controls of the weighted points must span an affine space of dimension D.
    let mut moments = DMatrix::zeros(d + 1, d + 1);
    for (pt, &n) in points.iter().zip(&sizes) {
        let x: Vec<f64> = std::iter::once(1.0).chain(pt.v.iter().copied()).collect();
        for i in 0..=d {
            for j in 0..=d {
                moments[(i, j)] += n * x[i] * x[j];
            }
        }
    }
    wls::spd_inverse(&moments).map_err(|r| FitError::Undetermined {
        fit: FIT,
        reason: format!("the controls do not vary independently: {r}"),
        data: data(),
    })?;

    // Objective, gradient and information (Hessian) at theta.
    let objective = |theta: &[f64]| -> f64 {
        let mut f = 0.0;
        for (pt, &n) in points.iter().zip(&sizes) {
            let l = logits(theta, k, &pt.v);
            let m = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + l.iter().map(|x| (x - m).exp()).sum::<f64>().ln();
            f -= n * (0..k).filter(|&c| pt.p[c] > 0.0).map(|c| pt.p[c] * (l[c] - lse)).sum::<f64>();
        }
        f
    };
    let derivatives = |theta: &[f64]| -> (DVector<f64>, DMatrix<f64>) {
        let mut g = DVector::zeros(params);
        let mut h = DMatrix::zeros(params, params);
        let mut x = vec![1.0; d + 1];
        for (pt, &n) in points.iter().zip(&sizes) {
            let q = softmax(&logits(theta, k, &pt.v));
            x[1..].copy_from_slice(&pt.v);
            for a in 1..k {
                for i in 0..=d {
                    g[(a - 1) * (d + 1) + i] += n * (q[a] - pt.p[a]) * x[i];
                    for b in 1..k {
                        let cab = n * (if a == b { q[a] } else { 0.0 } - q[a] * q[b]);
                        for j in 0..=d {
                            h[((a - 1) * (d + 1) + i, (b - 1) * (d + 1) + j)] += cab * x[i] * x[j];
                        }
                    }
                }
            }
        }
        (g, h)
    };

    let mut theta = vec![0.0; params];
    let mut f = objective(&theta);
    let mut iterations = 0;
    let information = loop {
        let (g, h) = derivatives(&theta);
        let step = match h.clone().cholesky() {
            Some(chol) => chol.solve(&g),
            None => {
                let reason =
                    format!("{} (singular information)", wls::spd_inverse(&h).err().unwrap_or_default());
                return Err(FitError::Undetermined { fit: FIT, reason, data: data() });
            }
        };
        let decrement = g.dot(&step);
        if decrement <= options.tolerance * (1.0 + f.abs()) {
            break h;
        }
        if iterations == options.max_iterations {
            let (l, s) = (theta.iter().map(|&t| num(t)), num(decrement));
            let reason = format!("parameters {} with Newton decrement {s} (separable data?)", list(l));
            return Err(FitError::NoConvergence { fit: FIT, iterations, reason, data: data() });
        }
        iterations += 1;
        // Backtracking (Armijo) line search along the Newton direction.
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = theta.iter().zip(step.iter()).map(|(a, s)| a - t * s).collect();
            let ft = objective(&trial);
            if ft.is_finite() && ft <= f - 0.25 * t * decrement {
                (theta, f) = (trial, ft);
                break;
            }
            t *= 0.5;
            if t < 1e-12 {
                // No decrease along the Newton direction at machine precision: a minimum.
                break;
            }
        }
        if t < 1e-12 {
            let (_, h) = derivatives(&theta);
            break h;
        }
    };
    let cov = wls::spd_inverse(&information).map_err(|r| FitError::Undetermined {
        fit: FIT,
        reason: format!(
            "{r} at parameters {} (do the controls separate some classes completely?)",
            list(theta.iter().map(|&t| num(t)))
        ),
        data: data(),
    })?;

    // Pearson chi2 and residuals.
    let (mut chi2, mut max, mut at, mut class) = (0.0, 0.0, 0, 0);
    for (i, (pt, &n)) in points.iter().zip(&sizes).enumerate() {
        if n == 0.0 {
            continue;
        }
        let q = softmax(&logits(&theta, k, &pt.v));
        for c in 0..k {
            chi2 += n * (pt.p[c] - q[c]).powi(2) / q[c];
            let r = (pt.p[c] - q[c]).abs() / (q[c] * (1.0 - q[c]) / n).sqrt();
            if r > max {
                (max, at, class) = (r, i, c);
            }
        }
    }
    let dof = weighted * (k - 1) - params; // >= K - 1 since weighted >= D + 2
    let goodness = Goodness::new(chi2, dof, max, at);
    let factor = options.scale.factor(&goodness);
    let cov = cov * factor;
    let se = diagonal_se(&cov);
    let mut bias = vec![0.0; k];
    let mut bias_se = vec![0.0; k];
    let mut weights = vec![vec![0.0; d]; k];
    let mut weights_se = vec![vec![0.0; d]; k];
    for c in 1..k {
        let o = (c - 1) * (d + 1);
        (bias[c], bias_se[c]) = (theta[o], se[o]);
        weights[c].copy_from_slice(&theta[o + 1..o + d + 1]);
        weights_se[c].copy_from_slice(&se[o + 1..o + d + 1]);
    }
    Ok(SoftmaxFit {
        classes: k,
        controls: d,
        bias,
        weights,
        bias_se,
        weights_se,
        covariance: rows(&cov),
        effective_sizes: sizes,
        goodness,
        max_residual_class: class,
        error_scale: options.scale,
        scale_factor: factor,
        iterations,
    })
}

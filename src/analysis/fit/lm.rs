//! Levenberg-Marquardt minimisation of chi2(theta) = |r(theta)|^2 for nonlinear weighted
//! least squares, r_i = (y_i - f_i(theta))/se_i.
//!
//! Each iteration solves (A + lambda diag(A)) delta = J^T r with A = J^T J and J_ij = (df_i/
//! dtheta_j)/se_i; a step that lowers chi2 is accepted and lambda divided by 10, otherwise
//! lambda is multiplied by 10 (Marquardt's scaling by diag(A) makes the iteration invariant
//! to rescaling the parameters). Convergence: the Gauss-Newton decrement g^T A^-1 g, which is
//! the predicted further decrease of chi2, falls below tolerance * (1 + chi2).

use nalgebra::{DMatrix, DVector};

use super::FitOptions;

/// Weighted residuals and Jacobian at a parameter vector, or None if not finite there.
pub(crate) type Eval = Option<(DVector<f64>, DMatrix<f64>)>;

#[derive(Debug, Clone)]
pub(crate) struct LmSolution {
    pub theta: Vec<f64>,
    /// J^T J at the solution (the Fisher information of the Gaussian errors).
    pub normal: DMatrix<f64>,
    pub residuals: DVector<f64>,
    pub iterations: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum LmFailure {
    /// The model is not finite at the starting point.
    Start,
    /// The iteration limit was reached; the last parameters and chi2.
    Iterations { theta: Vec<f64>, chi2: f64 },
}

fn finite(e: Eval) -> Eval {
    e.filter(|(r, j)| r.iter().chain(j.iter()).all(|v| v.is_finite()))
}

pub(crate) fn minimise(
    theta0: Vec<f64>,
    mut eval: impl FnMut(&[f64]) -> Eval,
    options: &FitOptions,
) -> Result<LmSolution, LmFailure> {
    let mut theta = theta0;
    let (mut r, mut j) = finite(eval(&theta)).ok_or(LmFailure::Start)?;
    let mut chi2 = r.norm_squared();
    let mut lambda = 1e-3;
    let p = theta.len();
    for iteration in 0..options.max_iterations {
        let a = j.transpose() * &j;
        let g = j.transpose() * &r;
        if let Some(chol) = a.clone().cholesky() {
            let decrement = g.dot(&chol.solve(&g));
            if decrement <= options.tolerance * (1.0 + chi2) {
                return Ok(LmSolution { theta, normal: a, residuals: r, iterations: iteration });
            }
        }
        let floor = 1e-12 * (0..p).map(|k| a[(k, k)]).fold(0.0, f64::max);
        let mut accepted = false;
        while lambda < 1e20 {
            let mut damped = a.clone();
            for k in 0..p {
                damped[(k, k)] += lambda * a[(k, k)].max(floor);
            }
            if let Some(chol) = damped.cholesky() {
                let delta = chol.solve(&g);
                let trial: Vec<f64> = theta.iter().zip(delta.iter()).map(|(t, d)| t + d).collect();
                if let Some((r2, j2)) = finite(eval(&trial)) {
                    let chi2_trial = r2.norm_squared();
                    if chi2_trial <= chi2 {
                        let unchanged = trial == theta;
                        (theta, r, j, chi2) = (trial, r2, j2, chi2_trial);
                        lambda = (lambda / 10.0).max(1e-15);
                        accepted = !unchanged;
                        break;
                    }
                }
            }
            lambda *= 10.0;
        }
        if !accepted {
            // No step lowers chi2 even at machine precision: a numerical minimum. Whether its
            // normal matrix determines the parameters is checked by the caller.
            let normal = j.transpose() * &j;
            return Ok(LmSolution { theta, normal, residuals: r, iterations: iteration + 1 });
        }
    }
    Err(LmFailure::Iterations { theta, chi2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An exponential decay y = a exp(-b x) is recovered from exact data.
    #[test]
    fn recovers_exponential() {
        let xs: Vec<f64> = (0..10).map(|i| i as f64 * 0.3).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 2.0 * (-1.3 * x).exp()).collect();
        let eval = |t: &[f64]| -> Eval {
            let r = DVector::from_fn(xs.len(), |i, _| ys[i] - t[0] * (-t[1] * xs[i]).exp());
            let j = DMatrix::from_fn(xs.len(), 2, |i, k| {
                let e = (-t[1] * xs[i]).exp();
                if k == 0 { e } else { -t[0] * xs[i] * e }
            });
            Some((r, j))
        };
        let sol = minimise(vec![1.0, 0.5], eval, &FitOptions::default()).unwrap();
        assert!((sol.theta[0] - 2.0).abs() < 1e-9 && (sol.theta[1] - 1.3).abs() < 1e-9, "{:?}", sol.theta);
    }
}

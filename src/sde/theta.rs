//! Drift-implicit theta method for stiff systems:
//!
//!   X_{n+1} = X_n + [(1 - theta) f(t_n, X_n) + theta f(t_{n+1}, X_{n+1})] h + G(t_n, X_n) dW,
//!
//! solved by Newton's method with the drift Jacobian (analytic when the system provides one),
//! reusing the factors of the previous step until convergence stalls.
//! theta = 1 is drift-implicit Euler, theta = 1/2 the stochastic trapezoidal rule. Strong order
//! 1/2, weak order 1, any noise shape, the diffusion taken explicitly (Ito). On the
//! Ornstein-Uhlenbeck process the stationary variance is sigma^2 / (1 + h/2tau) for theta = 1
//! and exactly sigma^2 for theta = 1/2 (PHYSICS.md section 3), for any step: the scheme stays
//! stable however stiff the drift.

use super::{Increment, Method, NoiseShape, SdeError, System, Tolerance};

/// The drift-implicit theta method.
#[derive(Debug, Clone, Copy)]
pub struct Theta {
    /// Implicitness, in [0, 1].
    pub theta: f64,
    /// Newton iterations allowed per step.
    pub max_iterations: usize,
    /// Newton stops when every component's correction is below this fraction of its scale
    /// (|x_i| + |h f_i| + |G dW_i|).
    pub tolerance: f64,
}

impl Theta {
    /// Drift-implicit Euler (theta = 1).
    pub fn implicit_euler() -> Self {
        Theta { theta: 1.0, max_iterations: 20, tolerance: 1e-12 }
    }

    /// Stochastic trapezoidal rule (theta = 1/2).
    pub fn trapezoidal() -> Self {
        Theta { theta: 0.5, ..Theta::implicit_euler() }
    }
}

pub struct ThetaWorkspace {
    f0: Vec<f64>,
    gdw: Vec<f64>,
    g: Vec<f64>,
    c: Vec<f64>,
    fy: Vec<f64>,
    jac: Vec<f64>,
    scratch: Vec<f64>,
    residual: Vec<f64>,
    scale: Vec<f64>,
    /// LU factors of I - theta h J (row-major, in place) and the row pivots.
    lu: Vec<f64>,
    pivots: Vec<usize>,
    /// The step the factors belong to (NaN when there are none).
    factored_for: f64,
}

/// Factor the row-major n x n matrix `a` in place (LU with partial pivoting); false when it
/// is singular.
fn lu_factor(a: &mut [f64], n: usize, pivots: &mut [usize]) -> bool {
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| a[i * n + k].abs().total_cmp(&a[j * n + k].abs())).unwrap_or(k);
        if a[p * n + k] == 0.0 || !a[p * n + k].is_finite() {
            return false;
        }
        pivots[k] = p;
        if p != k {
            for j in 0..n {
                a.swap(k * n + j, p * n + j);
            }
        }
        for i in k + 1..n {
            let factor = a[i * n + k] / a[k * n + k];
            a[i * n + k] = factor;
            for j in k + 1..n {
                a[i * n + j] -= factor * a[k * n + j];
            }
        }
    }
    true
}

/// Solve with the factors of [`lu_factor`], `b` overwritten by the solution.
fn lu_solve(a: &[f64], n: usize, pivots: &[usize], b: &mut [f64]) {
    // Whole rows were swapped while factoring: permute first, then substitute forward.
    for (k, &p) in pivots.iter().enumerate().take(n) {
        b.swap(k, p);
    }
    for k in 0..n {
        for i in k + 1..n {
            b[i] -= a[i * n + k] * b[k];
        }
    }
    for k in (0..n).rev() {
        for j in k + 1..n {
            b[k] -= a[k * n + j] * b[j];
        }
        b[k] /= a[k * n + k];
    }
}

impl Method for Theta {
    type Workspace = ThetaWorkspace;

    fn name(&self) -> &'static str {
        if self.theta == 1.0 { "implicit" } else { "trapezoidal" }
    }

    fn check(&self, _shape: NoiseShape) -> Result<(), SdeError> {
        Ok(())
    }

    /// Implicit Euler errs by -u/4 in the stationary standard deviation of an
    /// Ornstein-Uhlenbeck node (u <= 4 eps); the trapezoidal rule is exact there, and on the
    /// nonlinear one-node inverter its stationary law errs by at most about 0.05 u
    /// (u <= 20 eps).
    fn stationary_step(&self, accuracy: f64) -> f64 {
        if self.theta == 1.0 { 4.0 * accuracy } else { 20.0 * accuracy }
    }

    fn workspace<S: System + ?Sized>(&self, sys: &S) -> ThetaWorkspace {
        let n = sys.dim();
        ThetaWorkspace {
            f0: vec![0.0; n],
            gdw: vec![0.0; n],
            g: vec![0.0; sys.noise_shape().diffusion_len(n, sys.noise_dim())],
            c: vec![0.0; n],
            fy: vec![0.0; n],
            jac: vec![0.0; n * n],
            scratch: vec![0.0; 3 * n],
            residual: vec![0.0; n],
            scale: vec![0.0; n],
            lu: vec![0.0; n * n],
            pivots: vec![0; n],
            factored_for: f64::NAN,
        }
    }

    fn step<S: System + ?Sized>(
        &self,
        sys: &S,
        ws: &mut ThetaWorkspace,
        x: &[f64],
        inc: &Increment<'_>,
        _tol: &Tolerance,
        y: &mut [f64],
    ) -> Result<Option<f64>, SdeError> {
        let t = inc.t;
        let n = x.len();
        let h = inc.dt;
        let th = self.theta;
        sys.drift_and_noise(t, x, inc.dw, &mut ws.f0, &mut ws.gdw, &mut ws.g);
        // Each component converges against its own scale (state and step), floored at a
        // millionth of the largest so that static components do not stall the iteration.
        let mut largest = f64::MIN_POSITIVE;
        for i in 0..n {
            ws.c[i] = x[i] + (1.0 - th) * h * ws.f0[i] + ws.gdw[i];
            y[i] = ws.c[i] + th * h * ws.f0[i];
            ws.scale[i] = x[i].abs() + (h * ws.f0[i]).abs() + ws.gdw[i].abs();
            largest = largest.max(ws.scale[i]);
        }
        for s in ws.scale.iter_mut() {
            *s = self.tolerance * s.max(1e-6 * largest);
        }
        let t1 = t + h;
        let mut last = f64::INFINITY;
        let mut iterations = 0;
        // Newton, first with the factors of the previous step if it had the same length (a
        // small step changes the Jacobian little and each iteration is cheap), then with the
        // Jacobian at the current iterate whenever convergence stalls.
        for attempt in 0..3 {
            let reuse = attempt == 0 && ws.factored_for == h;
            if !reuse {
                sys.drift_jacobian(t1, y, &mut ws.jac, &mut ws.scratch);
                for i in 0..n {
                    for j in 0..n {
                        let identity = if i == j { 1.0 } else { 0.0 };
                        ws.lu[i * n + j] = identity - th * h * ws.jac[i * n + j];
                    }
                }
                ws.factored_for = f64::NAN;
                if !lu_factor(&mut ws.lu, n, &mut ws.pivots) {
                    break;
                }
                ws.factored_for = h;
            }
            last = f64::INFINITY;
            for _ in 0..self.max_iterations / 2 {
                iterations += 1;
                sys.drift(t1, y, &mut ws.fy);
                for i in 0..n {
                    ws.residual[i] = y[i] - th * h * ws.fy[i] - ws.c[i];
                }
                lu_solve(&ws.lu, n, &ws.pivots, &mut ws.residual);
                let mut correction = 0.0f64;
                let mut converged = true;
                for i in 0..n {
                    y[i] -= ws.residual[i];
                    correction = correction.max(ws.residual[i].abs() / ws.scale[i] * self.tolerance);
                    converged &= ws.residual[i].abs() <= ws.scale[i];
                }
                if !correction.is_finite() {
                    break;
                }
                if converged {
                    return Ok(None);
                }
                let stalled = correction > 0.5 * last;
                last = correction;
                if stalled && attempt < 2 {
                    break;
                }
            }
        }
        Err(SdeError::NewtonFailed { t, iterations, correction: last, halvings: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-place LU solves a system that needs pivoting.
    #[test]
    fn lu_solves_with_pivoting() {
        // A = [[0, 2, 1], [1, 1, 0], [3, 0, 1]], x = (1, -2, 3): b = A x = (-1, -1, 6).
        let mut a = [0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 3.0, 0.0, 1.0];
        let mut pivots = [0; 3];
        assert!(lu_factor(&mut a, 3, &mut pivots));
        let mut b = [-1.0, -1.0, 6.0];
        lu_solve(&a, 3, &pivots, &mut b);
        for (x, e) in b.iter().zip([1.0, -2.0, 3.0]) {
            assert!((x - e).abs() < 1e-12, "{b:?}");
        }
        let mut singular = [1.0, 2.0, 2.0, 4.0];
        assert!(!lu_factor(&mut singular, 2, &mut [0; 2]));
    }
}

//! Roessler's SRIW1: a stochastic Runge-Kutta method of strong order 1.5 and weak order 2 for
//! Ito equations with diagonal (or scalar) noise, with an embedded error estimate for adaptive
//! steps (Roessler, SIAM J. Numer. Anal. 48(3), 922-952, 2010; error estimate and step
//! control after Rackauckas and Nie, DCDS-B 2017).
//!
//! With chi1 = I_(1,1)/sqrt(h) = (dW^2 - h)/(2 sqrt(h)), chi2 = I_(1,0)/h and
//! chi3 = I_(1,1,1)/h = (dW^3 - 3 h dW)/(6h), componentwise:
//!
//!   H0  = X + 3/4 f(X) h + 3/2 g(X) chi2
//!   H11 = X + 1/4 f(X) h + 1/2 g(X) sqrt(h)
//!   H12 = X + f(X) h - g(X) sqrt(h)
//!   H13 = X + 1/4 f(X) h + sqrt(h) (-5 g(X) + 3 g(H11) + 1/2 g(H12))
//!   X'  = X + (f(X) + 2 f(H0)) h/3 + dW (-g1 + 4/3 g2 + 2/3 g3) + chi1 (-g1 + 4/3 g2 - 1/3 g3)
//!           + chi2 (2 g1 - 4/3 g2 - 2/3 g3) + chi3 (-2 g1 + 5/3 g2 - 2/3 g3 + g4)
//!
//! with g1..g4 = g(X), g(H11), g(H12), g(H13). The local error estimate is
//! E = delta |(f(X) + f(H0)) h| + |chi2 (...) + chi3 (...)| (the order-1.5 terms), delta = 1/6,
//! normalised per component by abs + rel max(|X|, |X'|) and combined as an RMS norm.

use super::{Increment, Method, NoiseShape, SdeError, System, Tolerance};

/// Weight of the drift part of the error estimate.
const DELTA: f64 = 1.0 / 6.0;

/// The SRIW1 scheme.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sriw1;

pub struct SriWorkspace {
    f1: Vec<f64>,
    f2: Vec<f64>,
    g: [Vec<f64>; 4],
    h0: Vec<f64>,
    stage: Vec<f64>,
}

impl Method for Sriw1 {
    type Workspace = SriWorkspace;

    fn name(&self) -> &'static str {
        "sri"
    }

    fn check(&self, shape: NoiseShape) -> Result<(), SdeError> {
        match shape {
            NoiseShape::Scalar | NoiseShape::Diagonal => Ok(()),
            NoiseShape::General => Err(SdeError::UnsupportedNoise {
                method: "sri",
                shape,
                reason: "SRIW1 is an order-1.5 method for diagonal noise; use em, heun, implicit or trapezoidal",
            }),
        }
    }

    fn needs_time_integral(&self) -> bool {
        true
    }

    fn has_error_estimate(&self) -> bool {
        true
    }

    fn workspace<S: System + ?Sized>(&self, sys: &S) -> SriWorkspace {
        let n = sys.dim();
        let z = vec![0.0; n];
        SriWorkspace {
            f1: z.clone(),
            f2: z.clone(),
            g: [z.clone(), z.clone(), z.clone(), z.clone()],
            h0: z.clone(),
            stage: z,
        }
    }

    fn step<S: System + ?Sized>(
        &self,
        sys: &S,
        ws: &mut SriWorkspace,
        x: &[f64],
        inc: &Increment<'_>,
        tol: &Tolerance,
        x_new: &mut [f64],
    ) -> Result<Option<f64>, SdeError> {
        let t = inc.t;
        let n = x.len();
        let h = inc.dt;
        let sqrt_h = h.sqrt();
        let scalar = sys.noise_shape() == NoiseShape::Scalar;
        let k = |i: usize| if scalar { 0 } else { i };
        sys.drift(t, x, &mut ws.f1);
        sys.diffusion(t, x, &mut ws.g[0]);
        for i in 0..n {
            let chi2 = inc.dz[k(i)] / h;
            ws.h0[i] = x[i] + 0.75 * ws.f1[i] * h + 1.5 * ws.g[0][i] * chi2;
            ws.stage[i] = x[i] + 0.25 * ws.f1[i] * h + 0.5 * ws.g[0][i] * sqrt_h;
        }
        let [g1, g2, g3, g4] = &mut ws.g;
        sys.diffusion(t + 0.25 * h, &ws.stage, g2);
        for i in 0..n {
            ws.stage[i] = x[i] + ws.f1[i] * h - g1[i] * sqrt_h;
        }
        sys.diffusion(t + h, &ws.stage, g3);
        for i in 0..n {
            ws.stage[i] = x[i] + 0.25 * ws.f1[i] * h + sqrt_h * (-5.0 * g1[i] + 3.0 * g2[i] + 0.5 * g3[i]);
        }
        sys.diffusion(t + 0.25 * h, &ws.stage, g4);
        sys.drift(t + 0.75 * h, &ws.h0, &mut ws.f2);
        let mut sum_sq = 0.0;
        for i in 0..n {
            let dw = inc.dw[k(i)];
            let chi1 = (dw * dw - h) / (2.0 * sqrt_h);
            let chi2 = inc.dz[k(i)] / h;
            let chi3 = (dw * dw * dw - 3.0 * h * dw) / (6.0 * h);
            let (a, b, c, d) = (g1[i], g2[i], g3[i], g4[i]);
            let e2 = chi2 * (2.0 * a - 4.0 / 3.0 * b - 2.0 / 3.0 * c)
                + chi3 * (-2.0 * a + 5.0 / 3.0 * b - 2.0 / 3.0 * c + d);
            x_new[i] = x[i]
                + (ws.f1[i] + 2.0 * ws.f2[i]) * h / 3.0
                + dw * (-a + 4.0 / 3.0 * b + 2.0 / 3.0 * c)
                + chi1 * (-a + 4.0 / 3.0 * b - 1.0 / 3.0 * c)
                + e2;
            let e1 = (ws.f1[i] + ws.f2[i]) * h;
            let scale = tol.abs + tol.rel * x[i].abs().max(x_new[i].abs());
            let r = (DELTA * e1.abs() + e2.abs()) / scale;
            sum_sq += r * r;
        }
        Ok(Some((sum_sq / n as f64).sqrt()))
    }
}

//! Derivative-free Milstein scheme (a Runge-Kutta form, Kloeden and Platen 1992, eq. 11.1.7):
//!
//!   Y = X + f h + g sqrt(h),
//!   X_{n+1} = X + f h + g dW + (g(Y) - g(X)) (dW^2 - h) / (2 sqrt(h)),
//!
//! applied per component. Strong order 1 for scalar noise and for diagonal noise in which
//! g_i depends on x_i only (then the noise is commutative and no Levy areas are needed).
//! General (non-commutative) noise would need Levy areas and is refused.

use super::{Increment, Method, NoiseShape, SdeError, System, Tolerance};

/// The derivative-free Milstein scheme.
#[derive(Debug, Clone, Copy, Default)]
pub struct Milstein;

pub struct MilsteinWorkspace {
    f: Vec<f64>,
    g: Vec<f64>,
    g_support: Vec<f64>,
    support: Vec<f64>,
}

impl Method for Milstein {
    type Workspace = MilsteinWorkspace;

    fn name(&self) -> &'static str {
        "milstein"
    }

    fn check(&self, shape: NoiseShape) -> Result<(), SdeError> {
        match shape {
            NoiseShape::Scalar | NoiseShape::Diagonal => Ok(()),
            NoiseShape::General => Err(SdeError::UnsupportedNoise {
                method: "milstein",
                shape,
                reason: "non-commutative noise needs Levy areas; use em, heun, implicit or trapezoidal",
            }),
        }
    }

    fn workspace<S: System + ?Sized>(&self, sys: &S) -> MilsteinWorkspace {
        let n = sys.dim();
        MilsteinWorkspace { f: vec![0.0; n], g: vec![0.0; n], g_support: vec![0.0; n], support: vec![0.0; n] }
    }

    fn step<S: System + ?Sized>(
        &self,
        sys: &S,
        ws: &mut MilsteinWorkspace,
        x: &[f64],
        inc: &Increment<'_>,
        _tol: &Tolerance,
        x_new: &mut [f64],
    ) -> Result<Option<f64>, SdeError> {
        let t = inc.t;
        let h = inc.dt;
        let sqrt_h = h.sqrt();
        sys.drift(t, x, &mut ws.f);
        sys.diffusion(t, x, &mut ws.g);
        for i in 0..x.len() {
            ws.support[i] = x[i] + ws.f[i] * h + ws.g[i] * sqrt_h;
        }
        sys.diffusion(t, &ws.support, &mut ws.g_support);
        let scalar = sys.noise_shape() == NoiseShape::Scalar;
        for i in 0..x.len() {
            let dw = if scalar { inc.dw[0] } else { inc.dw[i] };
            x_new[i] = x[i]
                + ws.f[i] * h
                + ws.g[i] * dw
                + (ws.g_support[i] - ws.g[i]) * (dw * dw - h) / (2.0 * sqrt_h);
        }
        Ok(None)
    }
}

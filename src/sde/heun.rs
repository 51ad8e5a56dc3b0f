//! Stochastic Heun scheme, which converges to the Stratonovich solution:
//!
//!   Y = X + f(X) h + G(X) dW,
//!   X_{n+1} = X + (f(X) + f(Y)) h/2 + (G(X) + G(Y)) dW / 2.
//!
//! Strong order 1/2 in general, 1 for additive noise (Kloeden and Platen 1992; PHYSICS.md
//! section 4). For Ito systems with multiplicative noise it integrates a different equation
//! (the Stratonovich one); for additive noise, such as kT/C noise of linear RC networks, Ito
//! and Stratonovich coincide.

use super::{Increment, Method, NoiseShape, SdeError, System, Tolerance};

/// The stochastic Heun (Euler-Heun predictor-corrector) scheme.
#[derive(Debug, Clone, Copy, Default)]
pub struct Heun;

pub struct HeunWorkspace {
    f0: Vec<f64>,
    f1: Vec<f64>,
    n0: Vec<f64>,
    n1: Vec<f64>,
    g: Vec<f64>,
    predictor: Vec<f64>,
}

impl Method for Heun {
    type Workspace = HeunWorkspace;

    fn name(&self) -> &'static str {
        "heun"
    }

    fn check(&self, _shape: NoiseShape) -> Result<(), SdeError> {
        Ok(())
    }

    fn workspace<S: System + ?Sized>(&self, sys: &S) -> HeunWorkspace {
        let n = sys.dim();
        let z = vec![0.0; n];
        HeunWorkspace {
            f0: z.clone(),
            f1: z.clone(),
            n0: z.clone(),
            n1: z.clone(),
            g: vec![0.0; sys.noise_shape().diffusion_len(n, sys.noise_dim())],
            predictor: z,
        }
    }

    fn step<S: System + ?Sized>(
        &self,
        sys: &S,
        ws: &mut HeunWorkspace,
        x: &[f64],
        inc: &Increment<'_>,
        _tol: &Tolerance,
        x_new: &mut [f64],
    ) -> Result<Option<f64>, SdeError> {
        let t = inc.t;
        let h = inc.dt;
        sys.drift_and_noise(t, x, inc.dw, &mut ws.f0, &mut ws.n0, &mut ws.g);
        for i in 0..x.len() {
            ws.predictor[i] = x[i] + ws.f0[i] * h + ws.n0[i];
        }
        sys.drift_and_noise(t + h, &ws.predictor, inc.dw, &mut ws.f1, &mut ws.n1, &mut ws.g);
        for i in 0..x.len() {
            x_new[i] = x[i] + 0.5 * (ws.f0[i] + ws.f1[i]) * h + 0.5 * (ws.n0[i] + ws.n1[i]);
        }
        Ok(None)
    }
}

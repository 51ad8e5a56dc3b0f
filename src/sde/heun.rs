//! Stochastic Heun scheme for the Ito equation dX = f dt + G dW.
//!
//! Heun's predictor-corrector converges to the Stratonovich solution of the equation it is
//! given, so it is given the Stratonovich drift a = f - c, c = (1/2) sum_k (g_k . grad) g_k
//! ([`System::ito_correction`]; PHYSICS.md section 7), whose Stratonovich solution is the Ito
//! solution of (f, G):
//!
//!   Y = X + a(X) h + G(X) dW,
//!   X_{n+1} = X + (a(X) + a(Y)) h/2 + (G(X) + G(Y)) dW / 2.
//!
//! Strong order 1/2 in general, 1 for additive noise (Kloeden and Platen 1992; PHYSICS.md
//! section 4). On the Ornstein-Uhlenbeck process its stationary variance is
//! sigma^2 (1 - u^2/4 + O(u^3)), u = h/tau: second order, where Euler-Maruyama errs by u/2.
//! Without the correction a circuit node at zero supply would sit about 0.3 mV off zero at
//! 0.1 fF (the noise is multiplicative, of order q/C).

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

    /// The Ornstein-Uhlenbeck error is u^2/8 in the standard deviation (u <= sqrt(8 eps));
    /// on nonlinear circuit nodes with stiff walls (the one-node inverter with its output
    /// mid-rail at 0.4 V, 200 K, 20 aF) the exact stationary law of the scheme errs by about
    /// 0.9 u^2, so the rule is u <= sqrt(eps) (0.071 at 0.5 %).
    fn stationary_step(&self, accuracy: f64) -> f64 {
        accuracy.sqrt()
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
        sys.corrected_drift_and_noise(t, x, inc.dw, 1.0, &mut ws.f0, &mut ws.n0, &mut ws.g);
        for i in 0..x.len() {
            ws.predictor[i] = x[i] + ws.f0[i] * h + ws.n0[i];
        }
        sys.corrected_drift_and_noise(t + h, &ws.predictor, inc.dw, 1.0, &mut ws.f1, &mut ws.n1, &mut ws.g);
        for i in 0..x.len() {
            x_new[i] = x[i] + 0.5 * (ws.f0[i] + ws.f1[i]) * h + 0.5 * (ws.n0[i] + ws.n1[i]);
        }
        Ok(None)
    }
}

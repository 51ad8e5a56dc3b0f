//! Euler-Maruyama: X_{n+1} = X_n + f(t_n, X_n) h + G(t_n, X_n) dW_n.
//! Strong order 1/2, weak order 1, any noise shape (Kloeden and Platen 1992, section 10.2).
//! On the Ornstein-Uhlenbeck process dx = -x/tau dt + sqrt(2 sigma^2/tau) dW its stationary
//! variance is sigma^2 / (1 - h/2tau) (PHYSICS.md section 3).

use super::{Increment, Method, NoiseShape, SdeError, System, Tolerance};

/// The Euler-Maruyama scheme.
#[derive(Debug, Clone, Copy, Default)]
pub struct EulerMaruyama;

/// Scratch buffers: drift, noise term, diffusion.
pub struct EmWorkspace {
    f: Vec<f64>,
    gdw: Vec<f64>,
    g: Vec<f64>,
}

impl Method for EulerMaruyama {
    type Workspace = EmWorkspace;

    fn name(&self) -> &'static str {
        "em"
    }

    fn check(&self, _shape: NoiseShape) -> Result<(), SdeError> {
        Ok(())
    }

    fn workspace<S: System + ?Sized>(&self, sys: &S) -> EmWorkspace {
        let n = sys.dim();
        EmWorkspace {
            f: vec![0.0; n],
            gdw: vec![0.0; n],
            g: vec![0.0; sys.noise_shape().diffusion_len(n, sys.noise_dim())],
        }
    }

    #[inline]
    fn step<S: System + ?Sized>(
        &self,
        sys: &S,
        ws: &mut EmWorkspace,
        x: &[f64],
        inc: &Increment<'_>,
        _tol: &Tolerance,
        x_new: &mut [f64],
    ) -> Result<Option<f64>, SdeError> {
        let t = inc.t;
        sys.drift_and_noise(t, x, inc.dw, &mut ws.f, &mut ws.gdw, &mut ws.g);
        for i in 0..x.len() {
            x_new[i] = x[i] + ws.f[i] * inc.dt + ws.gdw[i];
        }
        Ok(None)
    }
}

//! Canonical test problems with exact results, shared by the tests and the benches
//! (PHYSICS.md section 3).

use crate::units::BOLTZMANN;

use super::{NoiseShape, System};

/// Ornstein-Uhlenbeck process dx = (mu - x)/tau dt + sqrt(2 sigma^2 / tau) dW: mean reversion
/// to `mu` with time constant `tau` and stationary standard deviation `sigma`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrnsteinUhlenbeck {
    pub tau: f64,
    pub mu: f64,
    pub sigma: f64,
}

impl OrnsteinUhlenbeck {
    /// E x(t) from x(0) = x0: mu + (x0 - mu) e^{-t/tau}.
    pub fn mean(&self, x0: f64, t: f64) -> f64 {
        self.mu + (x0 - self.mu) * (-t / self.tau).exp()
    }

    /// Var x(t) from a fixed x(0): sigma^2 (1 - e^{-2t/tau}).
    pub fn variance(&self, t: f64) -> f64 {
        self.sigma * self.sigma * (1.0 - (-2.0 * t / self.tau).exp())
    }

    /// Stationary autocovariance sigma^2 e^{-|s|/tau}.
    pub fn autocovariance(&self, lag: f64) -> f64 {
        self.sigma * self.sigma * (-lag.abs() / self.tau).exp()
    }
}

impl System for OrnsteinUhlenbeck {
    fn dim(&self) -> usize {
        1
    }
    fn noise_dim(&self) -> usize {
        1
    }
    fn noise_shape(&self) -> NoiseShape {
        NoiseShape::Diagonal
    }
    fn drift(&self, _t: f64, x: &[f64], f: &mut [f64]) {
        f[0] = (self.mu - x[0]) / self.tau;
    }
    fn diffusion(&self, _t: f64, _x: &[f64], g: &mut [f64]) {
        g[0] = (2.0 * self.sigma * self.sigma / self.tau).sqrt();
    }
}

/// An RC node at temperature T: C dv = -v/R dt + sqrt(2kT/R) dW (Johnson noise of R).
/// Stationary variance kT/C, time constant RC.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RcNode {
    pub r: f64,
    pub c: f64,
    pub temperature: f64,
}

impl RcNode {
    /// kT/C (V^2).
    pub fn ktc(&self) -> f64 {
        BOLTZMANN * self.temperature / self.c
    }

    pub fn tau(&self) -> f64 {
        self.r * self.c
    }
}

impl System for RcNode {
    fn dim(&self) -> usize {
        1
    }
    fn noise_dim(&self) -> usize {
        1
    }
    fn noise_shape(&self) -> NoiseShape {
        NoiseShape::Diagonal
    }
    fn drift(&self, _t: f64, x: &[f64], f: &mut [f64]) {
        f[0] = -x[0] / (self.r * self.c);
    }
    fn diffusion(&self, _t: f64, _x: &[f64], g: &mut [f64]) {
        g[0] = (2.0 * BOLTZMANN * self.temperature / self.r).sqrt() / self.c;
    }
}

/// Geometric Brownian motion dX = lambda X dt + mu X dW, with the exact solution
/// X(t) = X0 exp((lambda - mu^2/2) t + mu W(t)) (Higham, SIAM Review 43(3), 2001).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeometricBrownian {
    pub lambda: f64,
    pub mu: f64,
}

impl GeometricBrownian {
    /// Higham's set-up: lambda = 2, mu = 1 (with X0 = 1, T = 1).
    pub fn higham() -> Self {
        GeometricBrownian { lambda: 2.0, mu: 1.0 }
    }

    /// The exact solution given W(t).
    pub fn exact(&self, x0: f64, t: f64, w: f64) -> f64 {
        x0 * ((self.lambda - 0.5 * self.mu * self.mu) * t + self.mu * w).exp()
    }
}

impl System for GeometricBrownian {
    fn dim(&self) -> usize {
        1
    }
    fn noise_dim(&self) -> usize {
        1
    }
    fn noise_shape(&self) -> NoiseShape {
        NoiseShape::Diagonal
    }
    fn drift(&self, _t: f64, x: &[f64], f: &mut [f64]) {
        f[0] = self.lambda * x[0];
    }
    fn diffusion(&self, _t: f64, x: &[f64], g: &mut [f64]) {
        g[0] = self.mu * x[0];
    }
}

/// Overdamped particle in the double well U(x) = barrier (x^2 - 1)^2:
/// gamma dx = -U'(x) dt + sqrt(2 gamma kT) dW. Minima at +-1, saddle at 0, U''(+-1) =
/// 8 barrier, U''(0) = -4 barrier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoubleWell {
    pub barrier: f64,
    pub gamma: f64,
    pub kt: f64,
}

impl DoubleWell {
    pub fn potential(&self, x: f64) -> f64 {
        let s = x * x - 1.0;
        self.barrier * s * s
    }

    /// Kramers' escape rate r = sqrt(U''(min) |U''(saddle)|) / (2 pi gamma) e^{-dU/kT}.
    pub fn kramers_rate(&self) -> f64 {
        let curvatures = (8.0 * self.barrier * 4.0 * self.barrier).sqrt();
        curvatures / (2.0 * std::f64::consts::PI * self.gamma) * (-self.barrier / self.kt).exp()
    }
}

impl System for DoubleWell {
    fn dim(&self) -> usize {
        1
    }
    fn noise_dim(&self) -> usize {
        1
    }
    fn noise_shape(&self) -> NoiseShape {
        NoiseShape::Diagonal
    }
    fn drift(&self, _t: f64, x: &[f64], f: &mut [f64]) {
        f[0] = -4.0 * self.barrier * x[0] * (x[0] * x[0] - 1.0) / self.gamma;
    }
    fn diffusion(&self, _t: f64, _x: &[f64], g: &mut [f64]) {
        g[0] = (2.0 * self.kt / self.gamma).sqrt();
    }
}

/// A four-component nonlinear system with multiplicative noise, for benchmarks:
/// dx_i = (sum_j A_ij x_j - x_i^3 / 10) dt + noise, with either general noise
/// G_ik = B_ik sqrt(1 + x_k^2/10) (four Wiener processes mixing into every component) or
/// diagonal noise g_i = B_ii sqrt(1 + x_i^2/10).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coupled4 {
    pub shape: NoiseShape,
}

const A4: [[f64; 4]; 4] =
    [[-2.0, 0.5, 0.0, 0.3], [0.4, -1.5, 0.2, 0.0], [0.0, 0.3, -1.0, 0.5], [0.2, 0.0, 0.4, -2.5]];
const B4: [[f64; 4]; 4] =
    [[0.5, 0.1, 0.0, 0.05], [0.1, 0.4, 0.1, 0.0], [0.0, 0.1, 0.3, 0.1], [0.05, 0.0, 0.1, 0.6]];

impl System for Coupled4 {
    fn dim(&self) -> usize {
        4
    }
    fn noise_dim(&self) -> usize {
        match self.shape {
            NoiseShape::Scalar => 1,
            _ => 4,
        }
    }
    fn noise_shape(&self) -> NoiseShape {
        self.shape
    }
    fn drift(&self, _t: f64, x: &[f64], f: &mut [f64]) {
        for i in 0..4 {
            f[i] = (0..4).map(|j| A4[i][j] * x[j]).sum::<f64>() - 0.1 * x[i] * x[i] * x[i];
        }
    }
    fn diffusion(&self, _t: f64, x: &[f64], g: &mut [f64]) {
        match self.shape {
            NoiseShape::General => {
                for i in 0..4 {
                    for k in 0..4 {
                        g[i * 4 + k] = B4[i][k] * (1.0 + 0.1 * x[k] * x[k]).sqrt();
                    }
                }
            }
            NoiseShape::Diagonal | NoiseShape::Scalar => {
                for i in 0..4 {
                    g[i] = B4[i][i] * (1.0 + 0.1 * x[i] * x[i]).sqrt();
                }
            }
        }
    }
}

//! Stochastic differential equations dX = f(t, X) dt + G(t, X) dW (Ito unless a method says
//! otherwise), kept apart from the methods that integrate them.
//!
//! A problem implements [`System`]; a scheme implements [`Method`], one file per scheme:
//!
//! | method | file | strong / weak order | noise |
//! |---|---|---|---|
//! | Euler-Maruyama | [`euler_maruyama`] | 0.5 / 1 | any |
//! | Milstein (derivative-free) | [`milstein`] | 1.0 / 1 | scalar, diagonal |
//! | stochastic Heun, Ito-corrected | [`heun`] | 0.5 (1.0 additive) | any |
//! | Leimkuhler-Matthews, Ito-corrected | [`leimkuhler`] | 0.5 / 1 (stationary law exact for OU) | any |
//! | drift-implicit theta, Newton | [`theta`] | 0.5 / 1 | any |
//! | Roessler SRIW1, adaptive | [`sri`] | 1.5 / 2 | scalar, diagonal |
//!
//! (PHYSICS.md section 4; Kloeden and Platen 1992; Roessler, SIAM J. Numer. Anal. 48, 2010.)
//! Every method integrates the Ito equation: Heun, which converges to the Stratonovich
//! solution, is given the Stratonovich drift f - (1/2) sum_k (g_k . grad) g_k
//! ([`System::ito_correction`], PHYSICS.md section 7); Leimkuhler-Matthews, which adds half
//! of that correction, is given half of it.
//!
//! [`solve`] is the executor that drives a method over a schedule and hands states to
//! observers; [`control`] chooses steps from the drift Jacobian and the requested accuracy;
//! [`ensemble`] runs many trajectories in parallel, deterministically.

pub mod control;
pub mod ensemble;
pub mod euler_maruyama;
pub mod heun;
pub mod leimkuhler;
pub mod milstein;
pub mod noise;
pub mod problems;
pub mod solve;
pub mod sri;
pub mod theta;
pub mod trace;

pub use control::{Controller, Pilot, StepRule, pilot};
pub use ensemble::ensemble;
pub use euler_maruyama::EulerMaruyama;
pub use heun::Heun;
pub use leimkuhler::LeimkuhlerMatthews;
pub use milstein::Milstein;
pub use noise::{BrownianPath, Increment};
pub use solve::{Observer, Schedule, SolveStats, StepControl, Tolerance, integrate};
pub use sri::Sriw1;
pub use theta::Theta;
pub use trace::Trace;

use thiserror::Error;

/// How the noise enters: the shape of G.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum NoiseShape {
    /// One Wiener process drives every component: G is a column of `dim` entries.
    Scalar,
    /// One Wiener process per component, g_i depending on x_i only: `dim` entries.
    Diagonal,
    /// A full dim x m matrix, row-major (g[i * m + k] multiplies dW_k in component i).
    General,
}

impl NoiseShape {
    /// Number of entries of the diffusion buffer for a system of `dim` components driven by
    /// `noise_dim` Wiener processes.
    pub fn diffusion_len(self, dim: usize, noise_dim: usize) -> usize {
        match self {
            NoiseShape::Scalar | NoiseShape::Diagonal => dim,
            NoiseShape::General => dim * noise_dim,
        }
    }

    /// out = G dW for a diffusion buffer `g` of this shape.
    #[inline]
    pub fn apply(self, g: &[f64], dw: &[f64], out: &mut [f64]) {
        match self {
            NoiseShape::Scalar => {
                for (o, gi) in out.iter_mut().zip(g) {
                    *o = gi * dw[0];
                }
            }
            NoiseShape::Diagonal => {
                for ((o, gi), w) in out.iter_mut().zip(g).zip(dw) {
                    *o = gi * w;
                }
            }
            NoiseShape::General => {
                let m = dw.len();
                for (o, row) in out.iter_mut().zip(g.chunks_exact(m)) {
                    *o = row.iter().zip(dw).map(|(a, b)| a * b).sum();
                }
            }
        }
    }
}

/// A stochastic differential equation dX = f(t, X) dt + G(t, X) dW.
///
/// Buffers are supplied by the caller, so evaluating a system never allocates.
pub trait System: Sync {
    /// Number of state components.
    fn dim(&self) -> usize;
    /// Number of independent Wiener processes (1 for scalar noise, `dim` for diagonal).
    fn noise_dim(&self) -> usize;
    /// The shape of G.
    fn noise_shape(&self) -> NoiseShape;
    /// Drift f(t, x) into `f` (`dim` entries).
    fn drift(&self, t: f64, x: &[f64], f: &mut [f64]);
    /// Diffusion G(t, x) into `g`, laid out as [`NoiseShape::diffusion_len`] says.
    fn diffusion(&self, t: f64, x: &[f64], g: &mut [f64]);

    /// Drift and the noise term G(t, x) dW together. Systems whose drift and diffusion share
    /// expensive work (a circuit's device evaluations) override this; `g` is scratch space
    /// of [`NoiseShape::diffusion_len`] entries.
    fn drift_and_noise(&self, t: f64, x: &[f64], dw: &[f64], f: &mut [f64], gdw: &mut [f64], g: &mut [f64]) {
        self.drift(t, x, f);
        self.diffusion(t, x, g);
        self.noise_shape().apply(g, dw, gdw);
    }

    /// The Ito-Stratonovich drift correction c = (1/2) sum_k (g_k . grad) g_k, g_k the k-th
    /// column of G, into `out` (`dim` entries): the Stratonovich equation with drift f - c
    /// has the same solutions as this Ito equation (PHYSICS.md section 7). The default
    /// differentiates each column along itself by central differences; systems with the
    /// derivatives at hand override it. Zero for additive noise.
    fn ito_correction(&self, t: f64, x: &[f64], out: &mut [f64]) {
        let n = self.dim();
        let m = self.noise_dim();
        let shape = self.noise_shape();
        let len = shape.diffusion_len(n, m);
        let (mut g, mut gp, mut gm) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
        let mut probe = x.to_vec();
        self.diffusion(t, x, &mut g);
        out.fill(0.0);
        // Column k of G as (component, entry index) pairs.
        let column = |k: usize, i: usize| match shape {
            NoiseShape::Scalar => Some(i),
            NoiseShape::Diagonal => (i == k).then_some(i),
            NoiseShape::General => Some(i * m + k),
        };
        for k in 0..m {
            let norm = (0..n).filter_map(|i| column(k, i).map(|e| g[e] * g[e])).sum::<f64>().sqrt();
            if norm == 0.0 {
                continue;
            }
            let scale = (0..n).map(|i| x[i].abs()).fold(1.0, f64::max);
            let eps = 1e-6 * scale / norm;
            for sign in [1.0, -1.0] {
                for i in 0..n {
                    probe[i] = x[i] + sign * eps * column(k, i).map_or(0.0, |e| g[e]);
                }
                self.diffusion(t, &probe, if sign > 0.0 { &mut gp } else { &mut gm });
            }
            for i in 0..n {
                if let Some(e) = column(k, i) {
                    out[i] += 0.5 * (gp[e] - gm[e]) / (2.0 * eps);
                }
            }
        }
    }

    /// The drift less `weight` times the Ito-Stratonovich correction, f - weight c, into `f`,
    /// with the noise term G dW into `gdw` (`g` is scratch space as in
    /// [`System::drift_and_noise`]). Weight 1 is the drift of the equivalent Stratonovich
    /// equation (for Heun's method), 1/2 the drift the Leimkuhler-Matthews scheme needs.
    #[allow(clippy::too_many_arguments)]
    fn corrected_drift_and_noise(
        &self,
        t: f64,
        x: &[f64],
        dw: &[f64],
        weight: f64,
        f: &mut [f64],
        gdw: &mut [f64],
        g: &mut [f64],
    ) {
        self.drift_and_noise(t, x, dw, f, gdw, g);
        let mut c = vec![0.0; f.len()];
        self.ito_correction(t, x, &mut c);
        for (a, b) in f.iter_mut().zip(&c) {
            *a -= weight * b;
        }
    }

    /// The first time after `t` at which the system's explicit time dependence has a corner
    /// (a PWL point, a pulse edge): steps end there rather than straddle it ([`solve`]).
    /// None: no corner ahead (the default, and any autonomous system).
    fn next_breakpoint(&self, _t: f64) -> Option<f64> {
        None
    }

    /// Whether the system has a state-independent shift ([`System::shift`]).
    fn has_shift(&self) -> bool {
        false
    }

    /// Add to `x` the state-independent part of its motion from `t0` to `t1`, which the
    /// executor applies exactly around each step (half before, half after: Strang
    /// splitting) instead of through the drift. A circuit's capacitive feedthrough of moving
    /// sources is one. The default has none.
    fn shift(&self, _t0: f64, _t1: f64, _x: &mut [f64]) {}

    /// Check a new state: every component finite, and within the system's own bounds (a
    /// circuit node far outside every rail has diverged).
    fn check_state(&self, t: f64, x: &[f64]) -> Result<(), SdeError> {
        check_finite(t, x)
    }

    /// The leading components whose dynamics set the step (a circuit's node voltages; the
    /// energy it accumulates follows them and is left out).
    fn dynamic_dim(&self) -> usize {
        self.dim()
    }

    /// The change of a dynamic component over which the drift and noise change appreciably
    /// (the thermal voltage for a circuit, whose rates are exponential in V/U_T); None when
    /// the system has no such scale.
    fn state_scale(&self) -> Option<f64> {
        None
    }

    /// Jacobian of the drift, df_i/dx_j into `jac` (row-major dim x dim). The default uses
    /// central differences with steps scaled to each component; systems with analytic
    /// derivatives override it. `scratch` has 3 * dim entries.
    fn drift_jacobian(&self, t: f64, x: &[f64], jac: &mut [f64], scratch: &mut [f64]) {
        let n = self.dim();
        let (probe, rest) = scratch.split_at_mut(n);
        let (fp, fm) = rest.split_at_mut(n);
        probe.copy_from_slice(x);
        for j in 0..n {
            let h = 1e-7 * (1.0 + x[j].abs());
            probe[j] = x[j] + h;
            self.drift(t, probe, fp);
            probe[j] = x[j] - h;
            self.drift(t, probe, &mut fm[..n]);
            probe[j] = x[j];
            for i in 0..n {
                jac[i * n + j] = (fp[i] - fm[i]) / (2.0 * h);
            }
        }
    }
}

/// One integration scheme. A method advances a state by one step given the Brownian
/// increment over it; step-size control and recording belong to [`solve`].
pub trait Method: Sync {
    /// Per-trajectory scratch buffers, allocated once.
    type Workspace: Send;
    /// Short name used on the command line.
    fn name(&self) -> &'static str;
    /// Whether this method can integrate noise of this shape.
    fn check(&self, shape: NoiseShape) -> Result<(), SdeError>;
    /// Whether steps need the time integral I_(1,0) of the Brownian increment.
    fn needs_time_integral(&self) -> bool {
        false
    }
    /// Whether [`Method::step`] returns a local error estimate (needed for adaptive steps).
    fn has_error_estimate(&self) -> bool {
        false
    }
    /// The largest dimensionless step u = h lambda (lambda the fastest relaxation rate of the
    /// drift) at which the stationary standard deviation of a node errs by at most the
    /// relative `accuracy` ([`control`] explains where each method's rule comes from).
    fn stationary_step(&self, accuracy: f64) -> f64 {
        4.0 * accuracy
    }
    /// Allocate the workspace for a system.
    fn workspace<S: System + ?Sized>(&self, sys: &S) -> Self::Workspace;
    /// Advance from `x` at time `inc.t` over `inc` into `x_new`. Methods with an error estimate
    /// return it normalised by `tol` (accept when <= 1).
    fn step<S: System + ?Sized>(
        &self,
        sys: &S,
        ws: &mut Self::Workspace,
        x: &[f64],
        inc: &Increment<'_>,
        tol: &Tolerance,
        x_new: &mut [f64],
    ) -> Result<Option<f64>, SdeError>;
}

/// What can go wrong while integrating. Every message says what to try.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SdeError {
    #[error("method '{method}' cannot integrate {shape:?} noise: {reason}")]
    UnsupportedNoise { method: &'static str, shape: NoiseShape, reason: &'static str },
    #[error(
        "the state became non-finite at t = {t:.6e} s (component {component} = {value}): \
         the step is too large for this system; let the step be chosen automatically (no --dt) \
         or use --method implicit"
    )]
    NonFinite { t: f64, component: usize, value: f64 },
    #[error(
        "component {component} reached {value:.4e} at t = {t:.6e} s, beyond {limit:.4e} (the state \
         has diverged; the step was {step:.3e} s)"
    )]
    Diverged { t: f64, component: usize, value: f64, limit: f64, step: f64 },
    #[error(
        "Newton iteration of the implicit step at t = {t:.6e} did not converge \
         ({iterations} iterations, last correction {correction:.3e}), not even on a step {halvings} \
         times halved: the step is far too long for this drift; let pbitsim choose it (no --dt or --force-dt)"
    )]
    NewtonFailed { t: f64, iterations: usize, correction: f64, halvings: u32 },
    #[error(
        "adaptive step size fell to {dt:.3e} at t = {t:.6e} (minimum {dt_min:.3e}); \
         loosen the tolerance or check the system for a singularity"
    )]
    StepTooSmall { t: f64, dt: f64, dt_min: f64 },
    #[error("invalid schedule: {0}")]
    Schedule(String),
    #[error("method '{0}' has no error estimate; adaptive stepping needs --method sri")]
    NoErrorEstimate(&'static str),
}

/// The methods by command-line name, for dispatch in callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MethodKind {
    /// Euler-Maruyama.
    Em,
    /// Derivative-free Milstein.
    Milstein,
    /// Stochastic Heun with the Ito-Stratonovich drift correction.
    Heun,
    /// Leimkuhler-Matthews with half the Ito-Stratonovich correction.
    Lm,
    /// Drift-implicit Euler (theta = 1).
    Implicit,
    /// Stochastic trapezoidal rule (drift-implicit theta = 1/2).
    Trapezoidal,
    /// Roessler SRIW1 (strong order 1.5).
    Sri,
}

impl MethodKind {
    pub const ALL: [MethodKind; 7] = [
        MethodKind::Em,
        MethodKind::Milstein,
        MethodKind::Heun,
        MethodKind::Lm,
        MethodKind::Implicit,
        MethodKind::Trapezoidal,
        MethodKind::Sri,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MethodKind::Em => "em",
            MethodKind::Milstein => "milstein",
            MethodKind::Heun => "heun",
            MethodKind::Lm => "lm",
            MethodKind::Implicit => "implicit",
            MethodKind::Trapezoidal => "trapezoidal",
            MethodKind::Sri => "sri",
        }
    }

    /// Parse a command-line name; the error lists the valid ones.
    pub fn parse(text: &str) -> Result<MethodKind, String> {
        MethodKind::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(text)).ok_or_else(|| {
            let names: Vec<_> = MethodKind::ALL.iter().map(|m| m.name()).collect();
            format!("unknown method '{text}'; expected one of {}", names.join(", "))
        })
    }
}

impl SdeError {
    /// The same error, a divergence recording the step that led to it.
    pub fn with_step(self, h: f64) -> SdeError {
        match self {
            SdeError::Diverged { t, component, value, limit, .. } => {
                SdeError::Diverged { t, component, value, limit, step: h }
            }
            other => other,
        }
    }
}

/// Check every component of a state for NaN or infinity.
pub fn check_finite(t: f64, x: &[f64]) -> Result<(), SdeError> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(component) => Err(SdeError::NonFinite { t, component, value: x[component] }),
    }
}

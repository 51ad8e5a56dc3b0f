//! Step control for stationary statistics: the step a method needs so that the stationary
//! mean and standard deviation of every component are within a stated relative accuracy,
//! chosen from the drift Jacobian at the states the trajectory visits (PHYSICS.md section 7).
//!
//! For an Ornstein-Uhlenbeck component of relaxation rate lambda, Euler-Maruyama's stationary
//! variance is sigma^2 / (1 - u/2), u = h lambda: a relative error of u/4 in the standard
//! deviation, so an accuracy eps needs u <= 4 eps (0.02 at 0.5 %). Each method states its own
//! u_max(eps) ([`Method::stationary_step`]). A nonlinear component relaxes at a rate that
//! depends on where it is: the exact stationary laws of the schemes on the one-node inverter
//! (200-400 K, 0.05-0.4 V, 20 aF-1 fF, output at the rail and mid-rail) err by at most u/4 when
//! lambda is the time average of the local rate over the visited states, and by far more when
//! it is the rate at the mean state (a node with a flat middle and steep walls spends little
//! time at the walls, but that is where the scheme errs). So the controller measures:
//!
//! - lambda(x), the spectral radius of the Jacobian of the drift over the dynamic components
//!   ([`System::dynamic_dim`]), at checks spaced 1, 2, 4, ... up to `max_interval` steps
//!   apart (back to 1 whenever the rate changes by more than a factor 2), so a transient or a
//!   p-bit switching between wells is followed;
//! - its time average over the trajectory (with a pilot run's average as the prior), which
//!   sets the accuracy step h = u_max / lambda_mean;
//! - at the current state, the stability step 1/lambda(x) (u <= 1, half the explicit limit),
//!   and, for systems with a state scale s (U_T for a circuit, whose rates are exponential in
//!   V/U_T), the steps over which the drift or the noise alone move a component by
//!   `displacement` s: |f_i| h <= 0.5 s and D_ii h <= (0.5 s)^2, D = G G^T. The second is the
//!   charge granularity: a node's noise power is q (Phi_F + Phi_R) / C^2, so a smaller node
//!   capacitance takes smaller steps (rates then change by at most e^{1/2} per step, as
//!   Cao-Gillespie-Petzold bound the change of every propensity in a tau-leap).
//!
//! The step is the smallest of these and the upper bound (a netlist's .tran step, or --dt).

use nalgebra::{DMatrix, Schur};
use rand::Rng;

use super::noise::{Increment, sample_increment};
use super::solve::advance;
use super::{Method, SdeError, System, Tolerance};

/// What bounds the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// The requested accuracy with the time-averaged stiffness.
    Accuracy,
    /// The upper bound (the .tran step or --dt).
    UpperBound,
    /// Stability at the current state (h lambda(x) <= 1).
    Stability,
    /// The drift would move a component by more than half its state scale.
    Drift,
    /// The noise would move a component by more than half its state scale (charge
    /// granularity).
    Noise,
}

/// How steps are chosen.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct StepRule {
    /// Relative accuracy of stationary means and standard deviations (0.005: 0.5 %).
    pub accuracy: f64,
    /// The largest step allowed (s); infinity for none.
    pub upper: f64,
    /// Largest move of a component per step, from drift or noise alone, in units of the
    /// system's state scale.
    pub displacement: f64,
    /// Most steps between two checks of the Jacobian.
    pub max_interval: u64,
    /// Space the checks of a large system ([`check_floor`]) so that they cost a small share
    /// of its steps (false in the pilot, which is a fixed number of checks).
    pub spaced_checks: bool,
    /// Every step is multiplied by this (1; 0.5 to check convergence at half the step).
    pub scale: f64,
    /// Prior time-averaged stiffness (1/s) and its weight (s of trajectory), from a pilot.
    pub prior: Option<(f64, f64)>,
}

impl StepRule {
    /// Steps for `accuracy`, never above `upper`.
    pub fn new(accuracy: f64, upper: f64) -> Self {
        StepRule {
            accuracy,
            upper,
            displacement: 0.5,
            max_interval: 256,
            spaced_checks: true,
            scale: 1.0,
            prior: None,
        }
    }
}

/// Dynamic dimensions up to this are checked as often as the rate asks (every circuit of a
/// few cells; their results do not depend on [`check_floor`]).
pub const SMALL_SYSTEM: usize = 16;

/// The fewest steps between two checks for a system of `k` dynamic components and `m` noise
/// terms (devices). A check costs a dense Jacobian and a Schur decomposition, about
/// 15 k^3 instructions (nalgebra; 6 M at k = 73, measured with callgrind), a step about
/// 300 m (the flux and noise work per device). A network whose cells switch all the time
/// changes its stiffness at nearly every check, which resets the interval to 1: on the 3 x 3
/// transistor network (k = 72, m = 240) the checks took 80 % of the run. So for k above
/// [`SMALL_SYSTEM`] the checks are spaced at least k^3 / (2 m) steps apart (10 % of the
/// work), at most 4096. The time-averaged stiffness that sets the accuracy step is then
/// sampled more coarsely but without bias; the stability bound 1/lambda(x) is refreshed
/// less often, which the accuracy step's margin (u = h lambda_mean <= 0.02-0.2, against 1)
/// covers; a state that diverges anyway is caught by [`System::check_state`].
pub fn check_floor(k: usize, m: usize) -> u64 {
    if k <= SMALL_SYSTEM {
        return 1;
    }
    let k = k as u64;
    (k * k * k).div_ceil(2 * (m.max(1) as u64)).clamp(1, 4096)
}

/// What one controlled trajectory did.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct StepReport {
    /// Smallest and largest step taken (s).
    pub h_min: f64,
    pub h_max: f64,
    /// Jacobian checks.
    pub checks: u64,
    /// Time-averaged spectral radius of the drift Jacobian (1/s).
    pub stiffness: f64,
    /// How many checks each limit was binding at: accuracy, upper bound, stability, drift,
    /// noise.
    pub limits: [u64; 5],
}

impl StepReport {
    /// The limit binding at most checks.
    pub fn main_limit(&self) -> Limit {
        let order = [Limit::Accuracy, Limit::UpperBound, Limit::Stability, Limit::Drift, Limit::Noise];
        let best = (0..5).max_by_key(|&i| (self.limits[i], 5 - i)).unwrap_or(0);
        order[best]
    }

    /// Combine the reports of several trajectories.
    pub fn merge(&mut self, other: &StepReport) {
        if self.checks == 0 {
            *self = *other;
            return;
        }
        self.h_min = self.h_min.min(other.h_min);
        self.h_max = self.h_max.max(other.h_max);
        let total = (self.checks + other.checks) as f64;
        self.stiffness =
            (self.stiffness * self.checks as f64 + other.stiffness * other.checks as f64) / total.max(1.0);
        self.checks += other.checks;
        for (a, b) in self.limits.iter_mut().zip(other.limits) {
            *a += b;
        }
    }
}

/// Spectral radius of the leading k x k block of a row-major dim x dim matrix.
fn spectral_radius(jac: &[f64], dim: usize, k: usize) -> f64 {
    match k {
        0 => 0.0,
        1 => jac[0].abs(),
        2 => {
            let (a, b, c, d) = (jac[0], jac[1], jac[dim], jac[dim + 1]);
            let half = 0.5 * (a + d);
            let disc = half * half - (a * d - b * c);
            if disc >= 0.0 { half.abs() + disc.sqrt() } else { (a * d - b * c).abs().sqrt() }
        }
        _ => {
            // nalgebra's plain `complex_eigenvalues` iterates without limit and can hang on a
            // Jacobian whose QR iteration does not converge (seen on coupled p-bit networks);
            // then the largest absolute row sum, an upper bound (Gershgorin), is used.
            let m = DMatrix::from_fn(k, k, |i, j| jac[i * dim + j]);
            match Schur::try_new(m, f64::EPSILON, 50 * k) {
                Some(schur) => schur.complex_eigenvalues().iter().map(|e| e.norm()).fold(0.0, f64::max),
                None => {
                    (0..k).map(|i| (0..k).map(|j| jac[i * dim + j].abs()).sum::<f64>()).fold(0.0, f64::max)
                }
            }
        }
    }
}

/// The step controller of one trajectory.
pub struct Controller {
    rule: StepRule,
    u_max: f64,
    countdown: u64,
    interval: u64,
    /// The fewest steps between checks ([`check_floor`]; 1 for small systems).
    floor: u64,
    last_rate: f64,
    /// Integral of the stiffness over time, and the time it covers.
    rate_time: f64,
    time: f64,
    t_last: f64,
    started: bool,
    target: f64,
    report: StepReport,
    jac: Vec<f64>,
    scratch: Vec<f64>,
    f: Vec<f64>,
    g: Vec<f64>,
}

impl Controller {
    pub fn new<S: System + ?Sized, M: Method>(sys: &S, method: &M, rule: &StepRule) -> Self {
        let n = sys.dim();
        let (rate_time, time) = rule.prior.map_or((0.0, 0.0), |(rate, weight)| (rate * weight, weight));
        Controller {
            rule: *rule,
            u_max: method.stationary_step(rule.accuracy),
            countdown: 0,
            interval: 1,
            floor: if rule.spaced_checks { check_floor(sys.dynamic_dim(), sys.noise_dim()) } else { 1 },
            last_rate: f64::NAN,
            rate_time,
            time,
            t_last: 0.0,
            started: false,
            target: rule.upper * rule.scale,
            report: StepReport { h_min: f64::INFINITY, ..StepReport::default() },
            jac: vec![0.0; n * n],
            scratch: vec![0.0; 3 * n],
            f: vec![0.0; n],
            g: vec![0.0; sys.noise_shape().diffusion_len(n, sys.noise_dim())],
        }
    }

    /// Whether the Jacobian is due for a check before the next step.
    #[inline]
    pub fn due(&self) -> bool {
        self.countdown == 0
    }

    /// The step to take now (s).
    #[inline]
    pub fn target(&self) -> f64 {
        self.target
    }

    /// Count a step of length `h`.
    #[inline]
    pub fn step_taken(&mut self, h: f64) {
        self.countdown = self.countdown.saturating_sub(1);
        self.report.h_min = self.report.h_min.min(h);
        self.report.h_max = self.report.h_max.max(h);
    }

    /// What the trajectory did so far.
    pub fn report(&self) -> StepReport {
        let mut r = self.report;
        r.stiffness = self.mean_stiffness();
        if r.h_min > r.h_max {
            r.h_min = 0.0;
        }
        r
    }

    /// The time-averaged stiffness so far (the rate at the start before any time passed).
    pub fn mean_stiffness(&self) -> f64 {
        if self.time > 0.0 { self.rate_time / self.time } else { self.last_rate.max(0.0) }
    }

    /// Check the Jacobian at state `x` (time `t`) and set the step; returns it, or an error
    /// when the drift or its Jacobian is not finite there (no step would do).
    pub fn check<S: System + ?Sized>(&mut self, sys: &S, t: f64, x: &[f64]) -> Result<f64, SdeError> {
        let n = sys.dim();
        let k = sys.dynamic_dim();
        sys.drift_jacobian(t, x, &mut self.jac, &mut self.scratch);
        let rate = spectral_radius(&self.jac, n, k);
        let rate = if rate.is_finite() { rate } else { f64::INFINITY };
        if self.started {
            self.rate_time += rate * (t - self.t_last);
            self.time += t - self.t_last;
        }
        self.started = true;
        self.t_last = t;
        let stable =
            self.last_rate.is_finite() && rate <= 2.0 * self.last_rate && rate >= 0.5 * self.last_rate;
        self.interval =
            if stable { (2 * self.interval).min(self.rule.max_interval.max(self.floor)) } else { self.floor };
        self.countdown = self.interval;
        self.last_rate = rate;
        let mean = self.mean_stiffness().max(f64::MIN_POSITIVE);
        let mut candidates = [
            self.u_max / mean,
            self.rule.upper,
            1.0 / rate.max(f64::MIN_POSITIVE),
            f64::INFINITY,
            f64::INFINITY,
        ];
        if let Some(scale) = sys.state_scale() {
            let reach = self.rule.displacement * scale;
            sys.drift(t, x, &mut self.f);
            sys.diffusion(t, x, &mut self.g);
            let m = sys.noise_dim();
            let shape = sys.noise_shape();
            let (mut drift, mut noise) = (0.0f64, 0.0f64);
            for i in 0..k {
                drift = drift.max(self.f[i].abs());
                let power = match shape {
                    super::NoiseShape::General => self.g[i * m..(i + 1) * m].iter().map(|v| v * v).sum(),
                    super::NoiseShape::Diagonal => self.g[i] * self.g[i],
                    super::NoiseShape::Scalar => self.g[i] * self.g[i],
                };
                noise = noise.max(power);
            }
            candidates[3] = reach / drift;
            candidates[4] = reach * reach / noise;
        }
        let (which, h) = candidates
            .iter()
            .enumerate()
            .fold((1, f64::INFINITY), |best, (i, &h)| if h < best.1 { (i, h) } else { best });
        if !(h > 0.0) {
            return Err(SdeError::StepTooSmall { t, dt: h, dt_min: f64::MIN_POSITIVE });
        }
        self.report.checks += 1;
        self.report.limits[which] += 1;
        self.target = h * self.rule.scale;
        Ok(self.target)
    }
}

/// What a pilot trajectory found.
#[derive(Debug, Clone, PartialEq)]
pub struct Pilot {
    /// Time-averaged spectral radius of the drift Jacobian over the pilot (1/s).
    pub stiffness: f64,
    /// The same at the initial state.
    pub initial_stiffness: f64,
    /// Simulated time covered (s).
    pub duration: f64,
    /// The accuracy step u_max / stiffness (s), before the upper bound.
    pub accuracy_step: f64,
    /// The state at every check.
    pub states: Vec<Vec<f64>>,
    pub report: StepReport,
}

/// Run a pilot trajectory from `x0` under `rule` (its upper bound ignored) until `checks`
/// Jacobian checks have been made, to learn the stiffness of the states the system visits.
pub fn pilot<S, M, R>(
    sys: &S,
    method: &M,
    rule: &StepRule,
    x0: &[f64],
    rng: &mut R,
    checks: u64,
) -> Result<Pilot, SdeError>
where
    S: System + ?Sized,
    M: Method,
    R: Rng + ?Sized,
{
    method.check(sys.noise_shape())?;
    let rule =
        StepRule { upper: f64::INFINITY, max_interval: 16, spaced_checks: false, prior: None, ..*rule };
    let mut ctrl = Controller::new(sys, method, &rule);
    let mut ws = method.workspace(sys);
    let m = sys.noise_dim();
    let mut dw = vec![0.0; m];
    let mut dz = vec![0.0; if method.needs_time_integral() { m } else { 0 }];
    let mut x = x0.to_vec();
    let mut next = vec![0.0; x.len()];
    let mut states = Vec::new();
    let mut t = 0.0;
    let mut initial = f64::NAN;
    let tol = Tolerance::default();
    loop {
        if ctrl.due() {
            ctrl.check(sys, t, &x)?;
            if initial.is_nan() {
                initial = ctrl.last_rate;
            }
            states.push(x.clone());
            if ctrl.report.checks >= checks || !ctrl.target().is_finite() {
                break;
            }
        }
        let h = ctrl.target();
        sample_increment(rng, h, &mut dw, &mut dz);
        let inc = Increment { t, dt: h, dw: &dw, dz: &dz };
        advance(sys, method, &mut ws, &x, &inc, &tol, &mut next, rng, 0)?;
        sys.check_state(t + h, &next).map_err(|e| e.with_step(h))?;
        x.copy_from_slice(&next);
        ctrl.step_taken(h);
        t += h;
    }
    let stiffness = ctrl.mean_stiffness();
    Ok(Pilot {
        stiffness,
        initial_stiffness: initial,
        duration: t,
        accuracy_step: method.stationary_step(rule.accuracy) / stiffness.max(f64::MIN_POSITIVE),
        states,
        report: ctrl.report(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_spaced_only_for_large_systems() {
        // Regression of the policy: every circuit of up to 16 dynamic nodes is checked as
        // before; the 3 x 3 network (72 nodes, 240 devices) at least 72^3 / 480 steps apart.
        assert_eq!(check_floor(3, 7), 1);
        assert_eq!(check_floor(16, 2), 1);
        assert_eq!(check_floor(72, 240), 778);
        assert_eq!(check_floor(1000, 10), 4096);
    }

    /// The spectral radius of 2 x 2 blocks (real and complex pairs) and a 3 x 3 block.
    #[test]
    fn spectral_radius_of_small_blocks() {
        // diag(-1, -3) inside a 3 x 3 layout: radius 3.
        let m = [-1.0, 0.0, 0.0, 0.0, -3.0, 0.0, 0.0, 0.0, 0.0];
        assert!((spectral_radius(&m, 3, 2) - 3.0).abs() < 1e-12);
        // Rotation-like block [[-1, -2], [2, -1]]: eigenvalues -1 +- 2i, modulus sqrt(5).
        let r = [-1.0, -2.0, 2.0, -1.0];
        assert!((spectral_radius(&r, 2, 2) - 5f64.sqrt()).abs() < 1e-12);
        // Upper triangular 3 x 3 with diagonal -1, -2, -7.
        let u = [-1.0, 4.0, 1.0, 0.0, -2.0, 5.0, 0.0, 0.0, -7.0];
        assert!((spectral_radius(&u, 3, 3) - 7.0).abs() < 1e-9);
    }
}

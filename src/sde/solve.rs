//! The executor: drives a [`Method`] over a [`Schedule`], draws the Brownian increments from
//! the caller's generator, checks every new state ([`System::check_state`]: finite, and for a
//! circuit within its rails), and hands recorded states to an [`Observer`]. Fixed steps;
//! steps chosen by a [`Controller`] for stationary accuracy, landing on every recording time;
//! or adaptive steps for methods with an error estimate, with a [`BrownianPath`] that keeps
//! rejected increments so the path never changes. A drift-implicit step whose Newton
//! iteration fails is retaken as two half steps on the same Brownian path (a bridge), down to
//! a thousandth of the step. No step straddles a breakpoint of the system
//! ([`System::next_breakpoint`]: a source waveform's corners): steps end on them, and a
//! system's state-independent shift ([`System::shift`]) is applied exactly around each step.

use std::ops::ControlFlow;

use rand::Rng;

use super::control::{Controller, StepReport, StepRule};
use super::noise::{BrownianPath, Increment, sample_increment, split};
use super::{Method, SdeError, System};

/// Error tolerance of adaptive steps: a component's error is measured against
/// abs + rel max(|x_n|, |x_{n+1}|).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Tolerance {
    pub abs: f64,
    pub rel: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { abs: 1e-6, rel: 1e-3 }
    }
}

/// How step sizes are chosen.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum StepControl {
    /// Every step has the schedule's `dt` (shortened so a whole number of steps ends at
    /// `t_end`).
    Fixed,
    /// Steps adapt to the method's error estimate; `dt` is the first step.
    Adaptive { tol: Tolerance, dt_min: f64, dt_max: f64 },
    /// Steps chosen by a [`Controller`] for stationary accuracy, never longer than the
    /// recording interval (each recording time is landed on); `dt` is unused.
    Controlled(StepRule),
}

/// When to integrate and when to record.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Schedule {
    pub t0: f64,
    pub t_end: f64,
    pub dt: f64,
    /// Time between recorded states (a multiple of `dt` for fixed steps; rounded to one).
    pub record_every: f64,
    pub control: StepControl,
}

/// Counts from one integration.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct SolveStats {
    /// Accepted steps.
    pub steps: u64,
    /// Rejected steps (adaptive only).
    pub rejected: u64,
    /// Time reached (t_end unless an observer stopped early).
    pub t_final: f64,
    /// Implicit steps retaken as half steps because Newton failed.
    pub halvings: u64,
    /// What the step controller did (controlled steps only).
    pub control: Option<StepReport>,
}

/// Receives the recorded states. Returning `ControlFlow::Break` stops the integration (for
/// first-passage times and the like).
pub trait Observer {
    fn observe(&mut self, t: f64, x: &[f64]) -> ControlFlow<()>;
}

impl<F: FnMut(f64, &[f64]) -> ControlFlow<()>> Observer for F {
    fn observe(&mut self, t: f64, x: &[f64]) -> ControlFlow<()> {
        self(t, x)
    }
}

impl Schedule {
    /// Fixed steps of `dt` from 0 to `t_end`, recording every `record_every`.
    pub fn fixed(t_end: f64, dt: f64, record_every: f64) -> Schedule {
        Schedule { t0: 0.0, t_end, dt, record_every, control: StepControl::Fixed }
    }

    /// Check the numbers make sense.
    pub fn validate(&self) -> Result<(), SdeError> {
        let bad = |what: &str| Err(SdeError::Schedule(what.to_string()));
        let positive = |v: f64| v > 0.0 && v.is_finite();
        if !positive(self.t_end - self.t0) {
            return bad("the stop time must be after the start time");
        }
        if !positive(self.dt) {
            return bad("the time step must be positive");
        }
        if !positive(self.record_every) {
            return bad("the recording interval must be positive");
        }
        if let StepControl::Adaptive { tol, dt_min, dt_max } = self.control
            && !(tol.abs > 0.0 && tol.rel >= 0.0 && dt_min > 0.0 && dt_max >= dt_min)
        {
            return bad("adaptive stepping needs abs > 0, rel >= 0 and 0 < dt_min <= dt_max");
        }
        if let StepControl::Controlled(rule) = self.control
            && !(rule.accuracy > 0.0 && rule.upper > 0.0 && rule.scale > 0.0 && rule.max_interval > 0)
        {
            return bad("controlled steps need a positive accuracy, upper bound and scale");
        }
        Ok(())
    }

    /// Number of fixed steps and their exact length.
    pub fn fixed_steps(&self) -> (u64, f64) {
        let span = self.t_end - self.t0;
        let n = ((span / self.dt) - 1e-9).ceil().max(1.0);
        (n as u64, span / n)
    }

    /// Record every this many fixed steps.
    pub fn decimation(&self) -> u64 {
        let (_, h) = self.fixed_steps();
        ((self.record_every / h).round() as u64).max(1)
    }

    /// How many states a full run records (the initial state included).
    pub fn record_count(&self) -> usize {
        match self.control {
            StepControl::Fixed => (self.fixed_steps().0 / self.decimation()) as usize + 1,
            StepControl::Adaptive { .. } => ((self.t_end - self.t0) / self.record_every).ceil() as usize + 1,
            StepControl::Controlled(_) => {
                (((self.t_end - self.t0) / self.record_every) - 1e-9).ceil().max(1.0) as usize + 1
            }
        }
    }
}

/// Integrate `sys` from the state `x` (updated in place) over `schedule` with `method`,
/// drawing noise from `rng`, and give recorded states to `observer` (the initial state first).
pub fn integrate<S, M, R, O>(
    sys: &S,
    method: &M,
    schedule: &Schedule,
    x: &mut [f64],
    rng: &mut R,
    observer: &mut O,
) -> Result<SolveStats, SdeError>
where
    S: System + ?Sized,
    M: Method,
    R: Rng + ?Sized,
    O: Observer + ?Sized,
{
    schedule.validate()?;
    method.check(sys.noise_shape())?;
    sys.check_state(schedule.t0, x)?;
    let mut ws = method.workspace(sys);
    let m = sys.noise_dim();
    let mut dw = vec![0.0; m];
    let mut dz = vec![0.0; if method.needs_time_integral() { m } else { 0 }];
    let mut next = vec![0.0; x.len()];
    // The shifted start of a step of a system with a shift (see step_across).
    let mut shifted = vec![0.0; x.len()];
    let mut stats = SolveStats { t_final: schedule.t0, ..SolveStats::default() };
    if observer.observe(schedule.t0, x).is_break() {
        return Ok(stats);
    }
    match schedule.control {
        StepControl::Fixed => {
            let (n, h) = schedule.fixed_steps();
            let every = schedule.decimation();
            let tol = super::Tolerance::default();
            for k in 0..n {
                let t = schedule.t0 + k as f64 * h;
                sample_increment(rng, h, &mut dw, &mut dz);
                let inc = Increment { t, dt: h, dw: &dw, dz: &dz };
                stats.halvings +=
                    step_across(sys, method, &mut ws, x, &inc, &tol, &mut next, &mut shifted, rng)? as u64;
                sys.check_state(t + h, &next).map_err(|e| e.with_step(h))?;
                x.copy_from_slice(&next);
                stats.steps += 1;
                stats.t_final = schedule.t0 + (k + 1) as f64 * h;
                if (k + 1) % every == 0 && observer.observe(stats.t_final, x).is_break() {
                    break;
                }
            }
        }
        StepControl::Controlled(rule) => {
            let mut ctrl = Controller::new(sys, method, &rule);
            let tol = super::Tolerance::default();
            // Recording times: a whole number of equal intervals up to t_end.
            let span = schedule.t_end - schedule.t0;
            let intervals = ((span / schedule.record_every) - 1e-9).ceil().max(1.0) as u64;
            let mut t = schedule.t0;
            for records in 1..=intervals {
                let t_record = if records == intervals {
                    schedule.t_end
                } else {
                    schedule.t0 + records as f64 * (span / intervals as f64)
                };
                loop {
                    if ctrl.due() {
                        ctrl.check(sys, t, x)?;
                    }
                    // Equal steps to the recording time, none longer than the target.
                    let remaining = t_record - t;
                    let count = (remaining / ctrl.target() * (1.0 - 1e-6)).ceil().max(1.0);
                    let h = remaining / count;
                    sample_increment(rng, h, &mut dw, &mut dz);
                    let inc = Increment { t, dt: h, dw: &dw, dz: &dz };
                    stats.halvings +=
                        step_across(sys, method, &mut ws, x, &inc, &tol, &mut next, &mut shifted, rng)?
                            as u64;
                    sys.check_state(t + h, &next).map_err(|e| e.with_step(h))?;
                    x.copy_from_slice(&next);
                    ctrl.step_taken(h);
                    stats.steps += 1;
                    if count <= 1.0 {
                        t = t_record;
                        break;
                    }
                    t += h;
                }
                stats.t_final = t;
                if observer.observe(t, x).is_break() {
                    break;
                }
            }
            stats.control = Some(ctrl.report());
        }
        StepControl::Adaptive { tol, dt_min, dt_max } => {
            if !method.has_error_estimate() {
                return Err(SdeError::NoErrorEstimate(method.name()));
            }
            let mut path = BrownianPath::new(m, method.needs_time_integral());
            let mut t = schedule.t0;
            let mut h = schedule.dt.clamp(dt_min, dt_max);
            let mut records = 1u64;
            while t < schedule.t_end {
                let t_record = (schedule.t0 + records as f64 * schedule.record_every).min(schedule.t_end);
                // Steps end on recording times and on the system's breakpoints.
                let t_stop = sys.next_breakpoint(t).map_or(t_record, |b| b.min(t_record));
                let lands = h >= t_stop - t;
                let step = if lands { t_stop - t } else { h };
                path.next(rng, step, &mut dw, &mut dz);
                let inc = Increment { t, dt: step, dw: &dw, dz: &dz };
                let error = if sys.has_shift() {
                    let mut start = x.to_vec();
                    sys.shift(t, t + 0.5 * step, &mut start);
                    let error = method.step(sys, &mut ws, &start, &inc, &tol, &mut next)?;
                    sys.shift(t + 0.5 * step, t + step, &mut next);
                    error
                } else {
                    method.step(sys, &mut ws, x, &inc, &tol, &mut next)?
                }
                .unwrap_or(0.0);
                // Step-size factor for an error of order h^(3/2) in the estimate, with a
                // safety factor; at most a five-fold shrink and a two-fold growth per step.
                let factor = if error > 0.0 { (0.9 * error.powf(-2.0 / 3.0)).clamp(0.2, 2.0) } else { 2.0 };
                if error <= 1.0 && next.iter().all(|v| v.is_finite()) {
                    x.copy_from_slice(&next);
                    t = if lands { t_stop } else { t + step };
                    stats.steps += 1;
                    stats.t_final = t;
                    if lands && t_stop >= t_record {
                        records += 1;
                        if observer.observe(t, x).is_break() {
                            break;
                        }
                    }
                    h = (step.max(h) * factor).min(dt_max);
                } else {
                    path.reject(step, &dw, &dz);
                    stats.rejected += 1;
                    h = step * factor.min(0.5);
                    if h < dt_min {
                        return Err(SdeError::StepTooSmall { t, dt: h, dt_min });
                    }
                }
            }
        }
    }
    Ok(stats)
}

/// Take one step over `inc` as [`advance`] does, but never across a breakpoint of the system:
/// a step with a breakpoint inside is taken as two, the Brownian increment split at the
/// breakpoint by its exact bridge (the path is unchanged). A system with a state-independent
/// shift gets half of it before the step and half after (Strang splitting: the shift is
/// exact, the splitting error second order in the step). `shifted` is scratch space of the
/// state's length for that shifted start.
#[allow(clippy::too_many_arguments)]
pub(crate) fn step_across<S, M, R>(
    sys: &S,
    method: &M,
    ws: &mut M::Workspace,
    x: &[f64],
    inc: &Increment<'_>,
    tol: &super::Tolerance,
    next: &mut [f64],
    shifted: &mut [f64],
    rng: &mut R,
) -> Result<u32, SdeError>
where
    S: System + ?Sized,
    M: Method,
    R: Rng + ?Sized,
{
    let (t, h) = (inc.t, inc.dt);
    if let Some(b) = sys.next_breakpoint(t)
        && b > t + 1e-9 * h
        && b < t + h * (1.0 - 1e-9)
    {
        let (mut dw1, mut dz1) = (inc.dw.to_vec(), inc.dz.to_vec());
        let (mut dw2, mut dz2) = (vec![0.0; dw1.len()], vec![0.0; dz1.len()]);
        split(rng, h, (b - t) / h, &mut dw1, &mut dz1, &mut dw2, &mut dz2);
        let mut middle = vec![0.0; x.len()];
        let first = Increment { t, dt: b - t, dw: &dw1, dz: &dz1 };
        let a = step_across(sys, method, ws, x, &first, tol, &mut middle, shifted, rng)?;
        sys.check_state(b, &middle).map_err(|e| e.with_step(b - t))?;
        let second = Increment { t: b, dt: t + h - b, dw: &dw2, dz: &dz2 };
        return Ok(a + step_across(sys, method, ws, &middle, &second, tol, next, shifted, rng)?);
    }
    if !sys.has_shift() {
        return advance(sys, method, ws, x, inc, tol, next, rng, 0);
    }
    shifted.copy_from_slice(x);
    sys.shift(t, t + 0.5 * h, shifted);
    let halvings = advance(sys, method, ws, shifted, inc, tol, next, rng, 0)?;
    sys.shift(t + 0.5 * h, t + h, next);
    Ok(halvings)
}

/// Most halvings of a step whose Newton iteration fails (down to h / 1024).
const MAX_HALVINGS: u32 = 10;

/// Take one step of `method` over `inc` from `x` into `next`. A drift-implicit step whose
/// Newton iteration fails is retaken as two half steps on the same Brownian path (the
/// increment split by its exact bridge), recursively; returns how many halvings were needed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn advance<S, M, R>(
    sys: &S,
    method: &M,
    ws: &mut M::Workspace,
    x: &[f64],
    inc: &Increment<'_>,
    tol: &super::Tolerance,
    next: &mut [f64],
    rng: &mut R,
    depth: u32,
) -> Result<u32, SdeError>
where
    S: System + ?Sized,
    M: Method,
    R: Rng + ?Sized,
{
    match method.step(sys, ws, x, inc, tol, next) {
        Ok(_) => Ok(0),
        Err(SdeError::NewtonFailed { t, iterations, correction, .. }) => {
            if depth >= MAX_HALVINGS {
                return Err(SdeError::NewtonFailed { t, iterations, correction, halvings: depth });
            }
            let (mut dw1, mut dz1) = (inc.dw.to_vec(), inc.dz.to_vec());
            let (mut dw2, mut dz2) = (vec![0.0; dw1.len()], vec![0.0; dz1.len()]);
            split(rng, inc.dt, 0.5, &mut dw1, &mut dz1, &mut dw2, &mut dz2);
            let h = 0.5 * inc.dt;
            let mut middle = vec![0.0; x.len()];
            let first = Increment { t: inc.t, dt: h, dw: &dw1, dz: &dz1 };
            let a = advance(sys, method, ws, x, &first, tol, &mut middle, rng, depth + 1)?;
            sys.check_state(inc.t + h, &middle).map_err(|e| e.with_step(h))?;
            let second = Increment { t: inc.t + h, dt: h, dw: &dw2, dz: &dz2 };
            let b = advance(sys, method, ws, &middle, &second, tol, next, rng, depth + 1)?;
            Ok(1 + a + b)
        }
        Err(e) => Err(e),
    }
}

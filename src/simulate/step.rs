//! The step of a run, chosen from the circuit before it starts.
//!
//! A short pilot trajectory (its own random stream) follows the circuit from its initial state
//! under the step controller ([`crate::sde::control`]) and measures the spectral radius of the
//! drift Jacobian over the states it visits. That gives:
//!
//! - the accuracy bound of the SDE methods, u_max(accuracy) / lambda_mean, which every run
//!   keeps re-checking as its own state moves; the netlist's .tran step and TMAX (or --dt)
//!   are only upper bounds (a calibration, which prints no trace, keeps TMAX alone:
//!   [`super::SimulateConfig::tran_step_bounds`]). A --dt beyond the bound is refused, naming
//!   the bound, unless --force-dt, which fixes the step and turns the control off;
//! - the tau-leaping bound (Cao-Gillespie-Petzold, [`crate::jump::tau_leap`]) at the median of
//!   the pilot's states, for the same check of --dt; leaps are then chosen before every leap;
//! - the sampling and statistics intervals: a readout cannot decorrelate much faster than the
//!   fastest node relaxes, 1/lambda_mean, so the state is observed at least every
//!   1/(4 lambda_mean) (but at most 2 10^7 times per run; without an upper bound, every
//!   whole number of accuracy steps within that, so that steps land on the observations at
//!   full length) and statistics are taken every
//!   tstop / 160000 or as often as that, whichever is more often; a correlation time still
//!   below two intervals is reported as an upper bound ([`crate::analysis::correlator`]).

use serde::Serialize;

use super::{Engine, SimulateConfig, SimulateError};
use crate::circuit::{Circuit, CircuitSde};
use crate::jump::{LeapRule, leap_bound, tau_leap::EPSILON};
use crate::rng::{Domain, Seed};
use crate::sde::{
    EulerMaruyama, Heun, LeimkuhlerMatthews, MethodKind, Milstein, Pilot, SdeError, Sriw1, StepRule, System,
    Theta, pilot,
};

/// Default relative accuracy of stationary node means and standard deviations.
pub const DEFAULT_ACCURACY: f64 = 0.005;
/// Jacobian checks of the pilot trajectory.
const PILOT_CHECKS: u64 = 256;
/// The pilot's stream: (seed, Other, this).
const PILOT_STREAM: u64 = 0x5354_4550;

/// How the step of a run was chosen (recorded in the summary).
#[derive(Debug, Clone, Serialize)]
pub struct StepPlan {
    /// `accuracy` (the SDE rule), `cao-gillespie-petzold` (tau-leaps), `forced` (--force-dt)
    /// or `exact` (Gillespie: `dt_s` is the sampling interval).
    pub chosen_by: &'static str,
    /// Relative accuracy asked of stationary means and standard deviations.
    pub accuracy: f64,
    /// The planned step (s): min(upper bound, bound), or the forced step.
    pub dt_s: f64,
    /// The bound from the pilot (s): u_max / lambda_mean for the SDE, the median
    /// Cao-Gillespie-Petzold leap for tau-leaping.
    pub bound_s: f64,
    /// The upper bound and where it came from (`.tran` or `--dt`), if any.
    pub upper_bound_s: Option<f64>,
    pub upper_bound_from: Option<&'static str>,
    /// 1 / (time-averaged spectral radius of the drift Jacobian over the pilot).
    pub fastest_time_constant_s: f64,
    /// Simulated time the pilot covered (s).
    pub pilot_s: f64,
    /// Every step is multiplied by this (0.5 for the --check-step rerun).
    pub scale: f64,
    /// Time between observations of the state, and between statistics samples (s).
    pub sample_interval_s: f64,
    pub statistics_interval_s: f64,
    #[serde(skip)]
    stiffness: f64,
}

impl StepPlan {
    /// The controller's rule for SDE runs; None when the step is forced.
    pub fn sde_rule(&self) -> Option<StepRule> {
        (self.chosen_by == "accuracy").then(|| StepRule {
            scale: self.scale,
            prior: Some((self.stiffness, self.pilot_s)),
            ..StepRule::new(self.accuracy, self.upper_bound_s.unwrap_or(f64::INFINITY))
        })
    }

    /// The leap rule of tau-leaping runs.
    pub fn leap_rule(&self) -> LeapRule {
        if self.chosen_by == "forced" {
            LeapRule::Fixed(self.dt_s)
        } else {
            LeapRule::Adaptive {
                epsilon: EPSILON,
                scale: self.scale,
                upper: self.upper_bound_s.map_or(f64::INFINITY, |u| u * self.scale),
            }
        }
    }

    /// The same plan with every step halved (for --check-step).
    pub fn halved(&self) -> StepPlan {
        let mut half = self.clone();
        half.scale *= 0.5;
        half.dt_s *= 0.5;
        if self.chosen_by == "forced" {
            half.sample_interval_s = half.dt_s;
        }
        half
    }

    /// Time-averaged stiffness of the pilot (1/s).
    pub fn stiffness(&self) -> f64 {
        self.stiffness
    }
}

/// The message for a circuit whose drift is not finite, or changes faster than any step can
/// follow, at time `t`: almost always a supply, bias or temperature outside the range the
/// device models describe (the subthreshold currents grow as exp(V / U_T)), not a step too long.
pub(crate) fn beyond_any_step(circuit: &Circuit, t: f64, forced: bool) -> String {
    let largest = circuit.fixed_voltages.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let forced = if forced { "; or the step forced by --force-dt is too long (drop --force-dt)" } else { "" };
    format!(
        "at t = {} the circuit's currents became too large or not finite for any time step (at {:.1} K, \
         sources up to {}): a supply, bias or temperature outside the range of the device models? check \
         the .param values, --set and --temp (or .temp){forced}. Nothing was written.",
        crate::units::format_si(t, "s"),
        circuit.temperature,
        crate::units::format_si(largest, "V")
    )
}

fn run_pilot(kind: MethodKind, sys: &CircuitSde<'_>, rule: &StepRule, seed: u64) -> Result<Pilot, SdeError> {
    let x0 = sys.initial_state();
    let mut rng = Seed(seed).stream(Domain::Other, PILOT_STREAM);
    let r = &mut rng;
    match kind {
        MethodKind::Em => pilot(sys, &EulerMaruyama, rule, &x0, r, PILOT_CHECKS),
        MethodKind::Milstein => pilot(sys, &Milstein, rule, &x0, r, PILOT_CHECKS),
        MethodKind::Heun => pilot(sys, &Heun, rule, &x0, r, PILOT_CHECKS),
        MethodKind::Lm => pilot(sys, &LeimkuhlerMatthews, rule, &x0, r, PILOT_CHECKS),
        MethodKind::Implicit => pilot(sys, &Theta::implicit_euler(), rule, &x0, r, PILOT_CHECKS),
        MethodKind::Trapezoidal => pilot(sys, &Theta::trapezoidal(), rule, &x0, r, PILOT_CHECKS),
        MethodKind::Sri => pilot(sys, &Sriw1, rule, &x0, r, PILOT_CHECKS),
    }
}

/// Plan the step of `config` on `circuit` run to `tstop`, with the netlist's .tran step.
pub fn plan(
    config: &SimulateConfig,
    circuit: &Circuit,
    tstop: f64,
    tran_step: Option<f64>,
) -> Result<StepPlan, SimulateError> {
    if !(config.accuracy > 0.0 && config.accuracy < 0.5) {
        return Err(SimulateError::Config(format!(
            "--accuracy {} must be a fraction between 0 and 0.5 (0.005 is 0.5 %)",
            config.accuracy
        )));
    }
    if let Some(dt) = config.dt
        && !(dt > 0.0 && dt < tstop)
    {
        return Err(SimulateError::Config(format!("need 0 < --dt ({dt:e} s) < tstop ({tstop:e} s)")));
    }
    if config.force_dt && config.dt.is_none() {
        return Err(SimulateError::Config("--force-dt needs a --dt to force".into()));
    }
    let sys = CircuitSde::new(circuit);
    // The pilot uses the run's method (the default one for the jump engines, only to learn
    // the stiffness).
    let kind = match config.engine {
        Engine::Sde(kind) => kind,
        Engine::Gillespie | Engine::TauLeap => MethodKind::Lm,
    };
    let rule = StepRule::new(config.accuracy, f64::INFINITY);
    let found = run_pilot(kind, &sys, &rule, config.seed).map_err(|e| match e {
        SdeError::Diverged { .. } => SimulateError::Step(format!(
            "{}: the circuit diverged while pbitsim was choosing its step ({e}); a node with no path to \
             any source, or a current source into a capacitor, drives its voltage without bound",
            config.circuit.display()
        )),
        SdeError::NonFinite { t, .. } | SdeError::StepTooSmall { t, .. } => SimulateError::Step(format!(
            "{}: {}",
            config.circuit.display(),
            beyond_any_step(circuit, t, false)
        )),
        other => SimulateError::Sde(other),
    })?;
    let tau_fast = if found.stiffness > 0.0 { 1.0 / found.stiffness } else { f64::INFINITY };
    let (upper, upper_from) = match (config.dt, tran_step) {
        (Some(dt), _) => (Some(dt), Some("--dt")),
        (None, Some(step)) => (Some(step), Some(".tran")),
        (None, None) => (None, None),
    };
    let bound = match config.engine {
        Engine::Sde(_) => found.accuracy_step,
        Engine::TauLeap => median_leap(circuit, &found, sys.dynamic_dim()),
        Engine::Gillespie => f64::INFINITY,
    };
    let chosen_by = match config.engine {
        _ if config.force_dt => "forced",
        Engine::Sde(_) => "accuracy",
        Engine::TauLeap => "cao-gillespie-petzold",
        Engine::Gillespie => "exact",
    };
    if let (Some(dt), false, false) = (config.dt, config.force_dt, config.engine == Engine::Gillespie)
        && dt > bound * (1.0 + 1e-9)
    {
        let what = match config.engine {
            Engine::TauLeap => format!(
                "the Cao-Gillespie-Petzold leap {} (no rate may change by more than {:.0} % within a leap)",
                crate::units::format_si(bound, "s"),
                100.0 * EPSILON
            ),
            _ => format!(
                "the accuracy bound {} for --method {} at --accuracy {} % (the fastest node time constant, \
                 averaged over the states a pilot run visited, is {})",
                crate::units::format_si(bound, "s"),
                config.engine.method_name(),
                100.0 * config.accuracy,
                crate::units::format_si(tau_fast, "s")
            ),
        };
        return Err(SimulateError::Step(format!(
            "--dt {} is beyond {what}; omit --dt to let pbitsim choose the step, give one of at most {}, \
             or add --force-dt to use it anyway",
            crate::units::format_si(dt, "s"),
            crate::units::format_si(bound, "s")
        )));
    }
    // Observations resolve the fastest relaxation; statistics are taken about 160000 times
    // per run, or as often as observations when the circuit relaxes faster.
    let resolution = (0.25 * tau_fast).max(tstop / 2e7);
    let statistics = (tstop / 160_000.0).min(resolution);
    // Without an upper bound (a calibration), the observation interval is a whole number of
    // accuracy steps: steps land on every observation, and an interval of 3.5 steps would
    // cost 4 shorter ones.
    let observe = match upper {
        Some(upper) => upper.min(resolution),
        None if bound < resolution => (resolution / bound).floor() * bound,
        None => resolution,
    };
    let dt = match chosen_by {
        "forced" => config.dt.unwrap_or(bound),
        "exact" => observe,
        _ => upper.unwrap_or(f64::INFINITY).min(bound),
    };
    let sample = if chosen_by == "forced" { dt } else { observe };
    Ok(StepPlan {
        chosen_by,
        accuracy: config.accuracy,
        dt_s: dt.min(tstop),
        bound_s: bound,
        upper_bound_s: upper,
        upper_bound_from: upper_from,
        fastest_time_constant_s: tau_fast,
        pilot_s: found.duration,
        scale: 1.0,
        sample_interval_s: sample.min(tstop),
        statistics_interval_s: statistics.max(sample),
        stiffness: found.stiffness,
    })
}

/// The median Cao-Gillespie-Petzold leap over the pilot's states.
fn median_leap(circuit: &Circuit, found: &Pilot, n: usize) -> f64 {
    let mut leaps: Vec<f64> = found.states.iter().map(|x| leap_bound(circuit, &x[..n], EPSILON)).collect();
    leaps.sort_by(f64::total_cmp);
    leaps.get(leaps.len() / 2).copied().unwrap_or(f64::INFINITY)
}

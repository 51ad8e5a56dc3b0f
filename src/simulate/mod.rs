//! `pbitsim simulate`: one circuit, one engine, an ensemble of runs, and what they measure.
//!
//! A [`SimulateConfig`] (validated from the command line) is prepared into a circuit and a
//! step plan ([`step`]: the step chosen from the circuit for a stated accuracy), run as a
//! deterministic parallel ensemble, reduced to a [`Summary`], and written out (trace, plot,
//! summary JSON) by [`output`]. A run whose state diverges stops with an error naming the node,
//! the time and the likely cause, before anything is written.

pub mod observe;
pub mod output;
pub mod step;
pub mod summary;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use thiserror::Error;

use crate::circuit::elaborate::{Variation, elaborate};
use crate::circuit::netlist::NetlistError;
use crate::circuit::{Circuit, CircuitError, CircuitSde, DrivenSde};
use crate::jump::{self, JumpError};
use crate::rng::Seed;
use crate::sde::{
    EulerMaruyama, Heun, LeimkuhlerMatthews, Method, MethodKind, Milstein, Schedule, SdeError, Sriw1,
    StepControl, Theta, ensemble, integrate,
};
pub use observe::{RunObserver, RunRecord};
pub use step::{DEFAULT_ACCURACY, StepPlan};
pub use summary::Summary;

/// Which engine integrates the circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Engine {
    /// The Langevin SDE with one of the integrators.
    Sde(MethodKind),
    /// The exact jump process (Gillespie's direct method).
    Gillespie,
    /// Tau-leaping of the jump process with leap `dt`.
    TauLeap,
}

impl Engine {
    /// Engine from `--engine` and `--method` (method None: the engine's default).
    pub fn parse(engine: &str, method: Option<&str>) -> Result<Engine, String> {
        match engine.to_lowercase().as_str() {
            "sde" => Ok(Engine::Sde(method.map(MethodKind::parse).transpose()?.unwrap_or(MethodKind::Lm))),
            "jump" => match method.map(|m| m.to_lowercase()) {
                None => Ok(Engine::Gillespie),
                Some(m) if m == "gillespie" || m == "exact" => Ok(Engine::Gillespie),
                Some(m) if m == "tau" || m == "tau-leap" => Ok(Engine::TauLeap),
                Some(m) => Err(format!("unknown jump method '{m}'; expected gillespie or tau")),
            },
            other => Err(format!("unknown engine '{other}'; expected sde or jump")),
        }
    }

    pub fn engine_name(self) -> &'static str {
        match self {
            Engine::Sde(_) => "sde",
            Engine::Gillespie | Engine::TauLeap => "jump",
        }
    }

    pub fn method_name(self) -> &'static str {
        match self {
            Engine::Sde(m) => m.name(),
            Engine::Gillespie => "gillespie",
            Engine::TauLeap => "tau",
        }
    }
}

/// A validated `simulate` request.
#[derive(Debug, Clone)]
pub struct SimulateConfig {
    pub circuit: PathBuf,
    pub overrides: Vec<(String, String)>,
    /// Temperature override (K); else the netlist's `.temp`, else 27 C.
    pub temperature: Option<f64>,
    /// Simulated time per run (s); else the netlist's `.tran` stop time.
    pub tstop: Option<f64>,
    /// The largest step (s) of the SDE or tau-leaping, or the jump engine's sampling interval;
    /// else the netlist's `.tran` step. Refused beyond the accuracy bound unless `force_dt`.
    pub dt: Option<f64>,
    /// Take `dt` as the fixed step even beyond the accuracy bound.
    pub force_dt: bool,
    /// Whether the `.tran` print step TSTEP bounds the step, as ngspice's default TMAX does
    /// (true for `simulate`, whose state is observed at it, and for the coupling calibration,
    /// which reads its bench's trace). A cell calibration observes its readout at the
    /// resolution of the circuit's fastest relaxation and prints no trace, so there only TMAX
    /// (the fourth `.tran` value) and the accuracy bound limit the step.
    pub tran_step_bounds: bool,
    /// Relative accuracy of stationary node means and standard deviations (0.005: 0.5 %).
    pub accuracy: f64,
    /// Rerun the statistics at half the step and record both.
    pub check_step: bool,
    pub engine: Engine,
    pub runs: usize,
    pub seed: u64,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Time between trace rows (s); default: tstop / 20000 (at least the sampling interval).
    pub record_every: Option<f64>,
    /// Time discarded before statistics are taken (s).
    pub warmup: f64,
    /// How the transistors deviate from their cards: the mismatch Monte Carlo sample
    /// (`--mismatch K`; 0 is nominal) and deliberate offsets by element name.
    pub variation: Variation,
}

impl Default for SimulateConfig {
    /// One run of the SDE engine (Leimkuhler-Matthews) with the step chosen for 0.5 %
    /// accuracy, seed 1.
    fn default() -> Self {
        SimulateConfig {
            circuit: PathBuf::new(),
            overrides: Vec::new(),
            temperature: None,
            tstop: None,
            dt: None,
            force_dt: false,
            tran_step_bounds: true,
            accuracy: DEFAULT_ACCURACY,
            check_step: false,
            engine: Engine::Sde(MethodKind::Lm),
            runs: 1,
            seed: 1,
            threads: 0,
            record_every: None,
            warmup: 0.0,
            variation: Default::default(),
        }
    }
}

/// Everything that can stop a simulation, each naming what to fix.
#[derive(Debug, Error)]
pub enum SimulateError {
    #[error(transparent)]
    Netlist(#[from] NetlistError),
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    #[error(transparent)]
    Sde(#[from] SdeError),
    #[error(transparent)]
    Jump(#[from] JumpError),
    #[error("{0}")]
    Config(String),
    /// A step refused, or a run that diverged.
    #[error("{0}")]
    Step(String),
    #[error("{0}")]
    Output(String),
}

/// More steps than this in an ensemble are refused (hours of work; usually a tstop far longer
/// than the circuit's time constants).
const MAX_STEPS: f64 = 1e11;

/// A circuit ready to run and the schedule to run it on.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub circuit: Circuit,
    pub tstop: f64,
    /// The planned step (s): [`StepPlan::dt_s`].
    pub dt: f64,
    pub record_every: f64,
    pub warmup: f64,
    pub step: StepPlan,
    /// The DC operating point, when the netlist asks for it with `.op`.
    pub operating_point: Option<crate::op::OperatingPoint>,
    /// How the starting state was found: the operating point's method, or None for `uic`.
    pub start: Option<crate::op::Method>,
}

impl Prepared {
    /// Time between observations of the state (s).
    pub fn sample(&self) -> f64 {
        self.step.sample_interval_s
    }

    /// Time between statistics samples (moments, correlators): about 160000 per run, finer
    /// when the circuit relaxes faster ([`step`]).
    pub fn stat_every(&self) -> f64 {
        self.step.statistics_interval_s
    }

    /// The same circuit with every step halved (for --check-step).
    pub fn halved(&self) -> Prepared {
        let step = self.step.halved();
        Prepared {
            dt: step.dt_s,
            record_every: self.record_every.max(step.sample_interval_s),
            step,
            ..self.clone()
        }
    }
}

/// Parse, elaborate and plan the step.
pub fn prepare(config: &SimulateConfig) -> Result<Prepared, SimulateError> {
    let netlist =
        crate::circuit::temperature::parse_at(&config.circuit, &config.overrides, config.temperature)?;
    let spec = elaborate(&netlist, config.temperature, &config.variation)?;
    let mut circuit = Circuit::build(&spec)?;
    let (operating_point, start) = starting_state(config, &netlist, &mut circuit)?;
    let tstop = config.tstop.or(netlist.tran.as_ref().map(|t| t.stop)).ok_or_else(|| {
        SimulateError::Config(format!(
            "{}: no stop time: give --tstop or a .tran line in the netlist",
            config.circuit.display()
        ))
    })?;
    if !(tstop > 0.0 && tstop.is_finite()) {
        return Err(SimulateError::Config(format!("the stop time must be positive ({tstop:e} s)")));
    }
    if !(config.warmup >= 0.0 && config.warmup < tstop) {
        return Err(SimulateError::Config(format!(
            "the warm-up ({:e} s) must be shorter than tstop",
            config.warmup
        )));
    }
    if config.runs == 0 {
        return Err(SimulateError::Config("--runs must be at least 1".into()));
    }
    if config.check_step && config.engine == Engine::Gillespie {
        return Err(SimulateError::Config(
            "--check-step halves the step of --engine sde or --method tau; Gillespie's method has none"
                .into(),
        ));
    }
    if config.engine == Engine::TauLeap
        && let Some(source) = circuit.drive.voltage.first()
    {
        return Err(JumpError::DrivenLeap(source.name.clone()).into());
    }
    // The largest step `.tran` allows: TMAX, and TSTEP unless only TMAX applies (ngspice
    // takes TMAX = min(TSTEP, (TSTOP - TSTART) / 50) when it is not given; the run's own
    // observation interval plays the second part here).
    let tran_step = netlist
        .tran
        .as_ref()
        .map(|t| {
            let print = if config.tran_step_bounds { t.step } else { f64::INFINITY };
            print.min(t.max_step.unwrap_or(f64::INFINITY))
        })
        .filter(|s| s.is_finite() && *s < tstop);
    let step = step::plan(config, &circuit, tstop, tran_step)?;
    // The SDE engine integrates flicker traps with the nodes' step: the fastest must span
    // several steps (an explicit step errs by h / (2 tau) in a trap's variance).
    let fastest_trap = circuit
        .devices
        .iter()
        .flat_map(|d| d.traps.iter().map(move |t| (t.tau, &d.name)))
        .fold(None, |a: Option<(f64, &String)>, b| if a.is_none_or(|a| b.0 < a.0) { Some(b) } else { a });
    if let (Engine::Sde(_), Some((tau, name))) = (config.engine, fastest_trap)
        && tau < 10.0 * step.dt_s
    {
        return Err(SimulateError::Config(format!(
            "{}: transistor {name} has a flicker trap of time constant {}, under 10 steps of {}; raise its              card's flicker.tau_min_s (.model trapmin) to at least {}, or use --engine jump",
            config.circuit.display(),
            crate::units::format_si(tau, "s"),
            crate::units::format_si(step.dt_s, "s"),
            crate::units::format_si(10.0 * step.dt_s, "s")
        )));
    }
    let steps = tstop / step.dt_s * config.runs as f64;
    if matches!(config.engine, Engine::Sde(_) | Engine::TauLeap) && steps > MAX_STEPS {
        let tau = step.fastest_time_constant_s;
        return Err(SimulateError::Step(format!(
            "{}: the run would take {steps:.1e} steps of {} (the fastest node time constant is {}, and \
             tstop is {:.1e} of them); stationary statistics need 10^5-10^6 time constants: try --tstop {}",
            config.circuit.display(),
            crate::units::format_si(step.dt_s, "s"),
            crate::units::format_si(tau, "s"),
            tstop / tau,
            crate::units::format_si(1e6 * tau, "s")
        )));
    }
    let record_every = config.record_every.unwrap_or(tstop / 20_000.0).max(step.sample_interval_s);
    let rows = (tstop / record_every)
        * config.runs as f64
        * (circuit.free_count() + circuit.outputs.len() + 2) as f64;
    if rows * 8.0 > 4e9 {
        return Err(SimulateError::Config(format!(
            "the trace would hold {:.1} GB; record less often (--record-every) or run fewer runs",
            rows * 8e-9
        )));
    }
    Ok(Prepared {
        circuit,
        tstop,
        dt: step.dt_s,
        record_every,
        warmup: config.warmup,
        step,
        operating_point,
        start,
    })
}

/// Where `.tran` starts (SPICE): at the DC operating point, solved with the `.ic` nodes held
/// at their values ([`crate::op::primary`]), unless the `.tran` line says `uic` (then at the
/// `.ic` values and the zero-charge state elsewhere). Also the full `.op` report when the
/// netlist has `.op`.
fn starting_state(
    config: &SimulateConfig,
    netlist: &crate::circuit::netlist::Netlist,
    circuit: &mut Circuit,
) -> Result<(Option<crate::op::OperatingPoint>, Option<crate::op::Method>), SimulateError> {
    let held: Vec<String> = netlist.initial_conditions.iter().map(|ic| ic.node.clone()).collect();
    let fail = |message: String| {
        SimulateError::Config(format!(
            "{}: {message}; or write uic on the .tran line to start from the .ic values",
            config.circuit.display()
        ))
    };
    let report = if netlist.op { Some(crate::op::find(circuit, &held).map_err(fail)?) } else { None };
    if netlist.tran.as_ref().is_some_and(|t| t.uic) {
        return Ok((report, None));
    }
    let (start, method) = match &report {
        Some(op) => (op.primary.voltages.clone(), op.method),
        None => {
            let (v, method, _) = crate::op::primary(circuit, &held).map_err(fail)?;
            (v, method)
        }
    };
    circuit.initial = start;
    Ok((report, Some(method)))
}

/// The result of an ensemble.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub prepared: Prepared,
    pub records: Vec<RunRecord>,
    /// SDE steps or jump events, summed over runs.
    pub work: u64,
    pub wall_time: f64,
}

fn run_sde<M: Method>(
    prepared: &Prepared,
    method: &M,
    rng: &mut crate::rng::StreamRng,
    observer: &mut RunObserver<'_>,
) -> Result<(u64, Option<crate::sde::control::StepReport>, u64), SimulateError> {
    let plan = &prepared.step;
    let schedule = match plan.sde_rule() {
        Some(rule) => Schedule {
            t0: 0.0,
            t_end: prepared.tstop,
            dt: plan.dt_s,
            record_every: plan.sample_interval_s,
            control: StepControl::Controlled(rule),
        },
        None => Schedule::fixed(prepared.tstop, plan.dt_s, plan.sample_interval_s),
    };
    let stats = if prepared.circuit.is_driven() {
        let sys = DrivenSde::new(&prepared.circuit);
        let mut x = sys.initial_state();
        CircuitSde::new(&prepared.circuit).draw_traps(&mut x, rng);
        integrate(&sys, method, &schedule, &mut x, rng, observer)
    } else {
        let sys = CircuitSde::new(&prepared.circuit);
        let mut x = sys.initial_state();
        sys.draw_traps(&mut x, rng);
        integrate(&sys, method, &schedule, &mut x, rng, observer)
    }
    .map_err(|e| diverged(prepared, e, plan.dt_s))?;
    Ok((stats.steps, stats.control, stats.halvings))
}

/// A divergence as an error naming the node, the time and the likely cause.
fn diverged(prepared: &Prepared, error: SdeError, step: f64) -> SimulateError {
    let forced = prepared.step.chosen_by == "forced";
    let (t, component, value, limit, h) = match error {
        SdeError::Diverged { t, component, value, limit, step } => (t, component, value, limit, step),
        SdeError::NonFinite { t, .. } | SdeError::StepTooSmall { t, .. } => {
            return SimulateError::Step(step::beyond_any_step(&prepared.circuit, t, forced));
        }
        other => return SimulateError::Sde(other),
    };
    let h = if h > 0.0 { h } else { step };
    let c = &prepared.circuit;
    let node = c.free_names.get(component).cloned().unwrap_or_else(|| format!("#{component}"));
    let tau = prepared.step.fastest_time_constant_s;
    let cause = if h * prepared.step.stiffness() > 1.0 {
        let advice = if prepared.step.chosen_by == "forced" {
            "drop --force-dt to let pbitsim choose the step, or use --method implicit"
        } else {
            "lower --dt, or use --method implicit"
        };
        format!(
            "likely cause: the step {} is {:.0} times the fastest node time constant {}, where an explicit \
             step is unstable; {advice}",
            crate::units::format_si(h, "s"),
            h / tau,
            crate::units::format_si(tau, "s")
        )
    } else {
        "likely cause: the circuit itself drives the node without bound (a current source into a node          with no path to a source?); check the netlist"
            .to_string()
    };
    SimulateError::Step(format!(
        "the run diverged: V({node}) = {} at t = {} is beyond {} (10 x the largest source + 10 U_T); \
         {cause}. Nothing was written.",
        crate::units::format_si(value, "V"),
        crate::units::format_si(t, "s"),
        crate::units::format_si(limit, "V")
    ))
}

/// Run the ensemble. `progress` receives the fraction of the total work done (0..1), from
/// any thread.
pub fn run(
    config: &SimulateConfig,
    prepared: Prepared,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<Outcome, SimulateError> {
    let started = Instant::now();
    let (records, work) = run_batch(config, &prepared, Seed(config.seed), config.runs, progress)?;
    Ok(Outcome { prepared, records, work, wall_time: started.elapsed().as_secs_f64() })
}

/// Run `runs` trajectories, run `i` drawing from stream (seed, Trajectory, i); returns their
/// records in run order and the work done (steps or events).
pub fn run_batch(
    config: &SimulateConfig,
    prepared: &Prepared,
    seed: Seed,
    runs: usize,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<(Vec<RunRecord>, u64), SimulateError> {
    let done = Mutex::new(vec![0.0f64; runs]);
    let total = prepared.tstop * runs as f64;
    let p = prepared;
    let results = ensemble(runs, seed, config.threads, |i, rng| {
        let report = |t: f64| {
            if let Ok(mut d) = done.lock() {
                d[i] = t;
                progress(d.iter().sum::<f64>() / total);
            }
        };
        let mut observer =
            RunObserver::new(&p.circuit, p.warmup, p.sample(), p.record_every, p.stat_every(), &report);
        let work = match config.engine {
            Engine::Sde(kind) => {
                let (steps, control, halvings) = match kind {
                    MethodKind::Em => run_sde(p, &EulerMaruyama, rng, &mut observer)?,
                    MethodKind::Milstein => run_sde(p, &Milstein, rng, &mut observer)?,
                    MethodKind::Heun => run_sde(p, &Heun, rng, &mut observer)?,
                    MethodKind::Lm => run_sde(p, &LeimkuhlerMatthews, rng, &mut observer)?,
                    MethodKind::Implicit => run_sde(p, &Theta::implicit_euler(), rng, &mut observer)?,
                    MethodKind::Trapezoidal => run_sde(p, &Theta::trapezoidal(), rng, &mut observer)?,
                    MethodKind::Sri => run_sde(p, &Sriw1, rng, &mut observer)?,
                };
                observer.record.steps = observe::StepRecord::Sde { steps, control, halvings };
                steps
            }
            Engine::Gillespie => jump::gillespie(&p.circuit, p.tstop, p.sample(), rng, &mut observer)?.events,
            Engine::TauLeap => {
                let stats =
                    jump::tau_leap(&p.circuit, p.tstop, &p.step.leap_rule(), p.sample(), rng, &mut observer)?;
                observer.record.steps = observe::StepRecord::Leaps(stats);
                stats.events
            }
        };
        report(p.tstop);
        Ok::<_, SimulateError>((observer.finish(), work))
    })?;
    let work = results.iter().map(|r| r.1).sum();
    Ok((results.into_iter().map(|r| r.0).collect(), work))
}

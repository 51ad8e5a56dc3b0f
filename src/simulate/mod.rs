//! `pbitsim simulate`: one circuit, one engine, an ensemble of runs, and what they measure.
//!
//! A [`SimulateConfig`] (validated from the command line) is prepared into a circuit and a
//! schedule, run as a deterministic parallel ensemble, reduced to a [`Summary`], and written
//! out (trace, plot, summary JSON) by [`output`].

pub mod observe;
pub mod output;
pub mod summary;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use thiserror::Error;

use crate::circuit::elaborate::{Variation, elaborate};
use crate::circuit::netlist::NetlistError;
use crate::circuit::{Circuit, CircuitError, CircuitSde};
use crate::jump::{self, JumpError};
use crate::rng::Seed;
use crate::sde::{
    EulerMaruyama, Heun, Method, MethodKind, Milstein, Schedule, SdeError, Sriw1, Theta, ensemble, integrate,
};
pub use observe::{RunObserver, RunRecord};
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
            "sde" => Ok(Engine::Sde(method.map(MethodKind::parse).transpose()?.unwrap_or(MethodKind::Em))),
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
    /// Time step (s): the SDE step, the tau-leap, or the jump engine's sampling interval;
    /// else the netlist's `.tran` step, else a fiftieth of the fastest node time constant.
    pub dt: Option<f64>,
    pub engine: Engine,
    pub runs: usize,
    pub seed: u64,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Time between trace rows (s); default: tstop / 20000 (at least dt).
    pub record_every: Option<f64>,
    /// Time discarded before statistics are taken (s).
    pub warmup: f64,
    /// How the transistors deviate from their cards: the mismatch Monte Carlo sample
    /// (`--mismatch K`; 0 is nominal) and deliberate offsets by element name.
    pub variation: Variation,
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
    #[error("{0}")]
    Output(String),
}

/// A circuit ready to run and the schedule to run it on.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub circuit: Circuit,
    pub tstop: f64,
    pub dt: f64,
    pub record_every: f64,
    pub warmup: f64,
}

impl Prepared {
    /// Statistics (moments, correlators) are fed about 160000 times per run: a signal
    /// sampled much faster than it changes gains nothing from every step.
    pub fn stat_every(&self) -> f64 {
        (self.tstop / 160_000.0).max(self.dt)
    }
}

/// The fastest relaxation time of any free node at the initial state: the inverse of the
/// largest diagonal entry of the drift Jacobian (s).
fn fastest_time_constant(circuit: &Circuit) -> f64 {
    use crate::sde::System;
    let sys = CircuitSde::new(circuit);
    let x = sys.initial_state();
    let d = sys.dim();
    let mut jac = vec![0.0; d * d];
    let mut scratch = vec![0.0; 3 * d];
    sys.drift_jacobian(0.0, &x, &mut jac, &mut scratch);
    let fastest = (0..circuit.free_count()).map(|i| jac[i * d + i].abs()).fold(0.0, f64::max);
    if fastest > 0.0 { 1.0 / fastest } else { 1e-9 }
}

/// Parse, elaborate and schedule.
pub fn prepare(config: &SimulateConfig) -> Result<Prepared, SimulateError> {
    let netlist =
        crate::circuit::temperature::parse_at(&config.circuit, &config.overrides, config.temperature)?;
    let spec = elaborate(&netlist, config.temperature, &config.variation)?;
    let circuit = Circuit::build(&spec)?;
    let tstop = config.tstop.or(netlist.tran.as_ref().map(|t| t.stop)).ok_or_else(|| {
        SimulateError::Config(format!(
            "{}: no stop time: give --tstop or a .tran line in the netlist",
            config.circuit.display()
        ))
    })?;
    let dt = config
        .dt
        .or(netlist.tran.as_ref().map(|t| t.step))
        .unwrap_or_else(|| fastest_time_constant(&circuit) / 50.0);
    if !(tstop > 0.0 && tstop.is_finite() && dt > 0.0 && dt < tstop) {
        return Err(SimulateError::Config(format!("need 0 < dt ({dt:e} s) < tstop ({tstop:e} s)")));
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
    let record_every = config.record_every.unwrap_or(tstop / 20_000.0).max(dt);
    let rows = (tstop / record_every)
        * config.runs as f64
        * (circuit.free_count() + circuit.outputs.len() + 2) as f64;
    if rows * 8.0 > 4e9 {
        return Err(SimulateError::Config(format!(
            "the trace would hold {:.1} GB; record less often (--record-every) or run fewer runs",
            rows * 8e-9
        )));
    }
    Ok(Prepared { circuit, tstop, dt, record_every, warmup: config.warmup })
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
) -> Result<u64, SimulateError> {
    let sys = CircuitSde::new(&prepared.circuit);
    let mut x = sys.initial_state();
    let schedule = Schedule::fixed(prepared.tstop, prepared.dt, prepared.dt);
    Ok(integrate(&sys, method, &schedule, &mut x, rng, observer)?.steps)
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
        let sample = p.dt;
        let mut observer =
            RunObserver::new(&p.circuit, p.warmup, sample, p.record_every, p.stat_every(), &report);
        let work = match config.engine {
            Engine::Sde(kind) => match kind {
                MethodKind::Em => run_sde(p, &EulerMaruyama, rng, &mut observer)?,
                MethodKind::Milstein => run_sde(p, &Milstein, rng, &mut observer)?,
                MethodKind::Heun => run_sde(p, &Heun, rng, &mut observer)?,
                MethodKind::Implicit => run_sde(p, &Theta::implicit_euler(), rng, &mut observer)?,
                MethodKind::Trapezoidal => run_sde(p, &Theta::trapezoidal(), rng, &mut observer)?,
                MethodKind::Sri => run_sde(p, &Sriw1, rng, &mut observer)?,
            },
            Engine::Gillespie => jump::gillespie(&p.circuit, p.tstop, sample, rng, &mut observer)?.events,
            Engine::TauLeap => jump::tau_leap(&p.circuit, p.tstop, p.dt, sample, rng, &mut observer)?.events,
        };
        report(p.tstop);
        Ok::<_, SimulateError>((observer.finish(), work))
    })?;
    let work = results.iter().map(|r| r.1).sum();
    Ok((results.into_iter().map(|r| r.0).collect(), work))
}

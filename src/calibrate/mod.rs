//! Calibration: sweeps of control voltages and temperature on the transistor-level circuit,
//! fitted into the parameters of a behavioural cell ([`crate::cell`]).
//!
//! Every grid point at every temperature is measured to a stated precision ([`point`]),
//! deterministically (point p draws from seed.child(SweepPoint, p)); the points are fitted per
//! temperature and across temperatures ([`fitting`]) and written as a versioned calibration
//! file ([`crate::calibration`], the format module shared with its readers) with plots ([`plots`]).
//! With `--monte-carlo N`, N device-mismatch samples of the circuit are calibrated the same
//! way and written as the file's population ([`population`]). A Gaussian sampler circuit is
//! measured into mean vectors and precision matrices over its control grid ([`gaussian`]).

pub mod anchors;
pub mod coupling;
pub mod fitting;
pub mod gaussian;
pub mod gaussian_plots;
pub mod plots;
pub mod point;
pub mod population;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::calibration::{
    self as schema, Calibration, CardInfo, CellKind, CircuitInfo, Precision, SweepAxis, TemperatureFit,
};
use crate::circuit::elaborate::{Variation, elaborate};
use crate::circuit::netlist::Netlist;
use crate::circuit::{Circuit, OutputKind};
use crate::io::sha256_hex;
use crate::rng::{Domain, Seed};
use crate::simulate::{self, Engine, SimulateConfig, SimulateError};

/// A validated `calibrate` request.
#[derive(Debug, Clone)]
pub struct CalibrateConfig {
    pub circuit: PathBuf,
    pub overrides: Vec<(String, String)>,
    pub sweeps: Vec<SweepAxis>,
    pub temperatures: Vec<f64>,
    /// The readout to calibrate (default: the first output).
    pub output: Option<String>,
    pub engine: Engine,
    /// The largest step (or the jump engine's sampling interval); refused beyond the accuracy
    /// bound unless `force_dt` ([`crate::simulate::step`]).
    pub dt: Option<f64>,
    pub force_dt: bool,
    /// Relative accuracy of stationary node statistics that sets the step.
    pub accuracy: f64,
    /// Length of each run (s); default: the netlist's .tran stop time.
    pub tstop: Option<f64>,
    pub warmup: f64,
    pub seed: u64,
    pub threads: usize,
    pub precision: Precision,
    /// Mismatch Monte Carlo samples to calibrate beside the nominal circuit (0: none).
    pub monte_carlo: usize,
    /// How far from the nominal balance point the Monte Carlo search looks for a sample's
    /// (in the control's unit); None: the larger of the first sweep's span and 8 times the
    /// devices' root-sum-square gate-referred mismatch sigma (`default_reach`).
    pub mismatch_reach: Option<f64>,
}

/// How far from the nominal balance point the Monte Carlo search looks by default: the
/// larger of the first sweep's span and 8 times the root-sum-square of every transistor's
/// gate-referred mismatch sigma ([`Spec::gate_referred_mismatch`]). A control that drives a
/// gate through a divider of 2 (the p-bits' +-vin/2) sees a device offset twice, and a
/// population of up to a few thousand samples draws within 4 sigma: 2 x 4 = 8. Unlike a
/// multiple of the logistic width, it does not run to volts for a wide p-bit (20 widths of
/// circuits/pbit.cir were 0.65 V).
fn default_reach(config: &CalibrateConfig, spec: &crate::circuit::Spec) -> f64 {
    let axis = &config.sweeps[0];
    (axis.stop - axis.start).abs().max(8.0 * spec.gate_referred_mismatch())
}

/// The grid: every combination of the sweep values (first sweep varying slowest).
pub fn grid(sweeps: &[SweepAxis]) -> Vec<BTreeMap<String, f64>> {
    let mut points = vec![BTreeMap::new()];
    for axis in sweeps {
        points = points
            .into_iter()
            .flat_map(|p| {
                axis.values().into_iter().map(move |v| {
                    let mut q = p.clone();
                    q.insert(axis.name.clone(), v);
                    q
                })
            })
            .collect();
    }
    points
}

/// The cell kind a readout calibrates.
fn cell_kind(circuit: &Circuit, output: &str) -> Result<CellKind, SimulateError> {
    let o = circuit.outputs.iter().find(|o| o.name == output).ok_or_else(|| {
        let names: Vec<&str> = circuit.outputs.iter().map(|o| o.name.as_str()).collect();
        SimulateError::Config(format!("no output named '{output}'; the circuit has {}", names.join(", ")))
    })?;
    Ok(match o.kind {
        OutputKind::Bit { .. } => CellKind::Pbit,
        OutputKind::Category { .. } => CellKind::Pdit,
        OutputKind::Analog { .. } => CellKind::Pmog,
    })
}

/// The netlist's bytes and its parse, with every swept name checked to be a parameter.
pub fn read_swept_netlist(config: &CalibrateConfig) -> Result<(Vec<u8>, Netlist), SimulateError> {
    let text = std::fs::read(&config.circuit)
        .map_err(|e| SimulateError::Config(format!("{}: cannot read: {e}", config.circuit.display())))?;
    let netlist = Netlist::parse_file(&config.circuit, &config.overrides)?;
    for axis in &config.sweeps {
        if netlist.param(&axis.name).is_none() {
            let names: Vec<&String> = netlist.params.keys().collect();
            return Err(SimulateError::Config(format!(
                "--sweep {}: no .param '{}' (nor instance parameter, such as x1.vin) in {}; its parameters are {:?}",
                axis.name,
                axis.name,
                config.circuit.display(),
                names
            )));
        }
    }
    Ok((text, netlist))
}

/// Run a calibration. `progress(done, total)` counts points.
pub fn run(
    config: &CalibrateConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Calibration, SimulateError> {
    let (text, netlist) = read_swept_netlist(config)?;
    let at_first = crate::circuit::temperature::parse_at(
        &config.circuit,
        &config.overrides,
        Some(config.temperatures[0]),
    )?;
    let spec = elaborate(&at_first, Some(config.temperatures[0]), &Default::default())?;
    let circuit = Circuit::build(&spec)?;
    if let Some(source) = circuit.drive.voltage.first() {
        return Err(SimulateError::Config(format!(
            "{}: source {} has a waveform; calibrate measures stationary statistics at fixed controls: give it a DC value and sweep the control with --sweep",
            config.circuit.display(),
            source.name
        )));
    }
    let output = config
        .output
        .clone()
        .or_else(|| circuit.outputs.first().map(|o| o.name.clone()))
        .ok_or_else(|| {
            SimulateError::Config(format!("{} declares no .output to calibrate", config.circuit.display()))
        })?;
    let kind = cell_kind(&circuit, &output)?;
    if config.monte_carlo > 0 && kind != CellKind::Pbit {
        return Err(SimulateError::Config(format!(
            "--monte-carlo: a mismatch population is calibrated for p-bit cells (a bit readout); '{output}' is a {} readout",
            kind.name()
        )));
    }
    if config.monte_carlo > 0 && spec.gate_referred_mismatch() == 0.0 {
        return Err(SimulateError::Config(format!(
            "--monte-carlo: no transistor of {} has a card with mismatch coefficients (avt, abeta), so every sample would be the nominal circuit; use cards that carry them (models/nlvt.toml) or add avt= to the .model lines",
            config.circuit.display()
        )));
    }
    let controls: Vec<String> = config.sweeps.iter().map(|s| s.name.clone()).collect();
    let total = grid(&config.sweeps).len() * config.temperatures.len() * (1 + config.monte_carlo);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = || progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total);
    let nominal = calibrate_sample(
        config,
        &output,
        kind,
        &controls,
        &Variation::default(),
        Seed(config.seed),
        None,
        &tick,
    )?;
    let (dt, tstop) = (nominal.dt, nominal.tstop);
    let (measured, fits, temperature_fits) = (nominal.points, nominal.fits, nominal.temperature_fits);
    let nominal_fits = |fits: &[TemperatureFit]| -> Vec<(f64, f64, f64)> {
        fits.iter().map(|f| (f.v0.unwrap_or(0.0), f.vs.unwrap_or(1.0), f.correlation_time_s)).collect()
    };
    let population = if config.monte_carlo > 0 {
        let searched = CalibrateConfig {
            mismatch_reach: Some(config.mismatch_reach.unwrap_or_else(|| default_reach(config, &spec))),
            ..config.clone()
        };
        Some(population::calibrate(&searched, &output, &controls, &nominal_fits(&fits), &tick)?)
    } else {
        None
    };
    Ok(Calibration {
        schema: schema::SCHEMA.to_string(),
        version: schema::VERSION,
        created_by: format!("pbitsim {}", env!("CARGO_PKG_VERSION")),
        cell: kind,
        circuit: circuit_info(&config.circuit, &netlist, &text, &controls),
        output,
        controls: config.sweeps.clone(),
        temperatures_k: config.temperatures.clone(),
        seed: config.seed,
        engine: config.engine.engine_name().to_string(),
        method: config.engine.method_name().to_string(),
        dt_s: dt,
        tstop_s: tstop,
        warmup_s: config.warmup,
        precision: config.precision,
        points: measured,
        fits,
        temperature_fits,
        mismatch: population::mismatch_record(population.as_ref()),
        population,
    })
}

/// What calibrating one circuit (nominal or a mismatch sample) gives.
pub struct SampleCalibration {
    pub points: Vec<crate::calibration::PointMeasurement>,
    pub fits: Vec<TemperatureFit>,
    pub temperature_fits: crate::calibration::TemperatureFits,
    pub dt: f64,
    pub tstop: f64,
}

/// The simulation of one control setting at one temperature of a circuit with deviations
/// `variation`.
pub fn point_config(
    config: &CalibrateConfig,
    values: &BTreeMap<String, f64>,
    t: f64,
    variation: &Variation,
) -> SimulateConfig {
    let mut overrides = config.overrides.clone();
    overrides.extend(values.iter().map(|(k, v)| (k.clone(), format!("{v:e}"))));
    SimulateConfig {
        circuit: config.circuit.clone(),
        overrides,
        temperature: Some(t),
        tstop: config.tstop,
        dt: config.dt,
        force_dt: config.force_dt,
        tran_step_bounds: false,
        accuracy: config.accuracy,
        check_step: false,
        engine: config.engine,
        runs: config.precision.batch_runs,
        seed: config.seed,
        threads: config.threads,
        record_every: None,
        warmup: config.warmup,
        variation: variation.clone(),
    }
}

/// Measure every grid point at every temperature of the circuit with deviations `variation`
/// (point p drawing from seed.child(SweepPoint, p)) and fit them; `tick` is called after
/// each point. `grids`, one (nominal V0, sample V0, scale) per temperature, map the first
/// control's grid value v to V0_sample + (v - V0_nominal) scale (a mismatch sample is
/// measured around its own balance point, over its own width).
#[allow(clippy::too_many_arguments)]
pub fn calibrate_sample(
    config: &CalibrateConfig,
    output: &str,
    kind: CellKind,
    controls: &[String],
    variation: &Variation,
    seed: Seed,
    grids: Option<&[(f64, f64, f64)]>,
    tick: &(dyn Fn() + Sync),
) -> Result<SampleCalibration, SimulateError> {
    let points = grid(&config.sweeps);
    let mut measured = Vec::with_capacity(points.len() * config.temperatures.len());
    let (mut dt, mut tstop) = (0.0f64, 0.0);
    for (ti, &t) in config.temperatures.iter().enumerate() {
        for (pi, values) in points.iter().enumerate() {
            let index = ti * points.len() + pi;
            let mut values = values.clone();
            if let (Some(grids), Some(first)) = (grids, controls.first()) {
                let (nominal, own, scale) = grids[ti];
                values.entry(first.clone()).and_modify(|v| *v = own + (*v - nominal) * scale);
            }
            let sim = point_config(config, &values, t, variation);
            let mut prepared = simulate::prepare(&sim)?;
            (dt, tstop) = (dt.max(prepared.dt), prepared.tstop);
            // Only analog readouts need the trace (for their mixture samples).
            if kind != CellKind::Pmog {
                prepared.record_every = prepared.tstop / 10.0;
            }
            let point_seed = seed.child(Domain::SweepPoint, index as u64);
            let mut m =
                point::measure(&sim, prepared, output, values, &config.precision, point_seed, &|_| {})?;
            if kind == CellKind::Pmog {
                m.mixture = Some(
                    fitting::point_mixture(&m, point_seed.child(Domain::Other, 1 << 20))
                        .map_err(SimulateError::Config)?,
                );
            }
            measured.push(m);
            tick();
        }
    }
    let groups = fitting::by_temperature(&measured, &config.temperatures);
    let mut fits: Vec<TemperatureFit> = Vec::new();
    for (ti, &t) in config.temperatures.iter().enumerate() {
        let group = &groups[&ti];
        let fit = match kind {
            CellKind::Pbit => fitting::fit_pbit(group, controls, t),
            CellKind::Pdit => fitting::fit_pdit(group, controls, t),
            CellKind::Pmog => {
                let mixtures: Vec<&crate::calibration::MixtureRecord> =
                    group.iter().filter_map(|p| p.mixture.as_ref()).collect();
                fitting::fit_pmog(group, &mixtures, controls, t)
            }
            CellKind::Coupling => Err("a coupling is calibrated with --coupling".to_string()),
            CellKind::Gaussian => Err("a Gaussian sampler is calibrated with --gaussian".to_string()),
        }
        .map_err(SimulateError::Config)?;
        fits.push(fit);
    }
    let temperature_fits =
        fitting::temperature_fits(&fits, kind == CellKind::Pbit).map_err(SimulateError::Config)?;
    Ok(SampleCalibration { points: measured, fits, temperature_fits, dt, tstop })
}

/// The simulation of one calibration point at temperature `t` (K), before its controls are
/// set (nominal devices).
pub fn simulate_config(config: &CalibrateConfig, t: f64) -> SimulateConfig {
    point_config(config, &BTreeMap::new(), t, &Variation::default())
}

/// What a calibration file records of its circuit: path, title, the hash of its text, its
/// parameters (the swept `controls` and the temperature parameter excluded) and its model
/// cards with their hashes.
pub fn circuit_info(path: &Path, netlist: &Netlist, text: &[u8], controls: &[String]) -> CircuitInfo {
    let cards = netlist
        .model_cards
        .iter()
        .map(|c| {
            let bytes = std::fs::read(&c.path).unwrap_or_default();
            let card = crate::device::load_card(&c.path).ok();
            CardInfo {
                name: card.as_ref().map_or(String::new(), |k| k.name.clone()),
                path: c.path.display().to_string(),
                sha256: sha256_hex(&bytes),
                source: card.map_or(String::new(), |k| k.source),
            }
        })
        .chain(netlist.models.iter().map(|m| CardInfo {
            // A .model line: where it is, and the hash of the validated card it gives.
            name: m.card.name.clone(),
            path: m.location.to_string(),
            sha256: sha256_hex(&serde_json::to_vec(&m.card).unwrap_or_default()),
            source: m.card.source.clone(),
        }))
        .collect();
    let mut parameters = netlist.params.clone();
    for c in controls {
        parameters.remove(c);
    }
    parameters.remove(crate::circuit::temperature::TEMPERATURE_PARAM);
    CircuitInfo {
        path: path.display().to_string(),
        title: netlist.title.clone(),
        sha256: sha256_hex(text),
        parameters,
        model_cards: cards,
    }
}

/// Write a calibration atomically.
pub fn write(calibration: &Calibration, path: &Path) -> Result<(), SimulateError> {
    crate::io::write_json_atomic(path, calibration).map_err(|e| SimulateError::Output(e.to_string()))
}

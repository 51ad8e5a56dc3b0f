//! Calibration: sweeps of control voltages and temperature on the transistor-level circuit,
//! fitted into the parameters of a behavioural cell ([`crate::cell`]).
//!
//! Every grid point at every temperature is measured to a stated precision ([`point`]),
//! deterministically (point p draws from seed.child(SweepPoint, p)); the points are fitted per
//! temperature and across temperatures ([`fitting`]) and written as a versioned calibration
//! file ([`crate::calibration`], the format module shared with its readers) with plots ([`plots`]).

pub mod fitting;
pub mod plots;
pub mod point;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::calibration::{
    self as schema, Calibration, CardInfo, CellKind, CircuitInfo, MismatchRecord, Precision, SweepAxis,
    TemperatureFit,
};
use crate::circuit::elaborate::elaborate;
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

/// Pelgrom offset of V0 from the model cards: sqrt of the summed sigma(V_T)^2 of the
/// transistors whose gates the controls drive (through sources named after the controls).
fn mismatch(spec: &crate::circuit::Spec) -> MismatchRecord {
    let mut variance = 0.0;
    let mut names = Vec::new();
    for e in &spec.elements {
        if let crate::circuit::SpecKind::Mosfet { gate, card, geometry, .. } = &e.kind {
            let driven = spec.elements.iter().any(|s| {
                matches!(&s.kind, crate::circuit::SpecKind::VoltageSource { plus, .. } if plus == gate)
                    && s.name.to_lowercase().starts_with("vin")
            });
            if driven {
                variance += card.sigma_vt(*geometry).powi(2);
                names.push(e.name.clone());
            }
        }
    }
    MismatchRecord {
        sigma_v0_v: variance.sqrt(),
        source: if names.is_empty() {
            "no transistor gated by a control source (named vin*): no offset".into()
        } else {
            format!(
                "Pelgrom A_VT/sqrt(WL) of {} (the control-gated transistors), added in quadrature",
                names.join(", ")
            )
        },
    }
}

/// Run a calibration. `progress(done, total)` counts points.
pub fn run(
    config: &CalibrateConfig,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Calibration, SimulateError> {
    let text = std::fs::read(&config.circuit)
        .map_err(|e| SimulateError::Config(format!("{}: cannot read: {e}", config.circuit.display())))?;
    let netlist = Netlist::parse_file(&config.circuit, &config.overrides)?;
    for axis in &config.sweeps {
        if !netlist.params.contains_key(&axis.name) {
            let names: Vec<&String> = netlist.params.keys().collect();
            return Err(SimulateError::Config(format!(
                "--sweep {}: no .param '{}' in {}; its parameters are {:?}",
                axis.name,
                axis.name,
                config.circuit.display(),
                names
            )));
        }
    }
    let spec = elaborate(&netlist, Some(config.temperatures[0]), &Default::default())?;
    let circuit = Circuit::build(&spec)?;
    let output = config
        .output
        .clone()
        .or_else(|| circuit.outputs.first().map(|o| o.name.clone()))
        .ok_or_else(|| {
            SimulateError::Config(format!("{} declares no .output to calibrate", config.circuit.display()))
        })?;
    let kind = cell_kind(&circuit, &output)?;
    let controls: Vec<String> = config.sweeps.iter().map(|s| s.name.clone()).collect();
    let points = grid(&config.sweeps);
    let total = points.len() * config.temperatures.len();
    let mut measured = Vec::with_capacity(total);
    let (mut dt, mut tstop) = (0.0f64, 0.0);
    for (ti, &t) in config.temperatures.iter().enumerate() {
        for (pi, values) in points.iter().enumerate() {
            let index = ti * points.len() + pi;
            let mut overrides = config.overrides.clone();
            overrides.extend(values.iter().map(|(k, v)| (k.clone(), format!("{v:e}"))));
            let sim = SimulateConfig {
                circuit: config.circuit.clone(),
                overrides,
                temperature: Some(t),
                tstop: config.tstop,
                dt: config.dt,
                force_dt: config.force_dt,
                accuracy: config.accuracy,
                check_step: false,
                engine: config.engine,
                runs: config.precision.batch_runs,
                seed: config.seed,
                threads: config.threads,
                record_every: None,
                warmup: config.warmup,
                offsets: Default::default(),
            };
            let mut prepared = simulate::prepare(&sim)?;
            (dt, tstop) = (dt.max(prepared.dt), prepared.tstop);
            // Only analog readouts need the trace (for their mixture samples).
            if kind != CellKind::Pmog {
                prepared.record_every = prepared.tstop / 10.0;
            }
            let seed = Seed(config.seed).child(Domain::SweepPoint, index as u64);
            let mut m =
                point::measure(&sim, prepared, &output, values.clone(), &config.precision, seed, &|_| {})?;
            if kind == CellKind::Pmog {
                m.mixture = Some(
                    fitting::point_mixture(&m, seed.child(Domain::Other, 1 << 20))
                        .map_err(SimulateError::Config)?,
                );
            }
            measured.push(m);
            progress(index + 1, total);
        }
    }
    let groups = fitting::by_temperature(&measured, &config.temperatures);
    let mut fits: Vec<TemperatureFit> = Vec::new();
    for (ti, &t) in config.temperatures.iter().enumerate() {
        let group = &groups[&ti];
        let fit = match kind {
            CellKind::Pbit => fitting::fit_pbit(group, &controls, t),
            CellKind::Pdit => fitting::fit_pdit(group, &controls, t),
            CellKind::Pmog => {
                let mixtures: Vec<&crate::calibration::MixtureRecord> =
                    group.iter().filter_map(|p| p.mixture.as_ref()).collect();
                fitting::fit_pmog(group, &mixtures, &controls, t)
            }
        }
        .map_err(SimulateError::Config)?;
        fits.push(fit);
    }
    let temperature_fits =
        fitting::temperature_fits(&fits, kind == CellKind::Pbit).map_err(SimulateError::Config)?;
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
        .collect();
    let mut parameters = netlist.params.clone();
    for c in &controls {
        parameters.remove(c);
    }
    Ok(Calibration {
        schema: schema::SCHEMA.to_string(),
        version: schema::VERSION,
        created_by: format!("pbitsim {}", env!("CARGO_PKG_VERSION")),
        cell: kind,
        circuit: CircuitInfo {
            path: config.circuit.display().to_string(),
            title: netlist.title.clone(),
            sha256: sha256_hex(&text),
            parameters,
            model_cards: cards,
        },
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
        mismatch: mismatch(&spec),
    })
}

/// Write a calibration atomically.
pub fn write(calibration: &Calibration, path: &Path) -> Result<(), SimulateError> {
    crate::io::write_json_atomic(path, calibration).map_err(|e| SimulateError::Output(e.to_string()))
}

//! The study file (TOML): which stages run, at which temperatures, with which swept
//! parameters. A section present is a stage that runs.
//!
//! ```toml
//! [study]
//! name = "p-bit across temperature"
//! seed = 1
//! temperatures = ["250K", "300K", "350K"]     # or { start = "250K", stop = "350K", count = 5 }
//!
//! [circuit]                   # the cell the traces and calibration stages simulate
//! netlist = "pbit.cir"        # paths are relative to the study file
//! set = { vb = "-25m" }       # fixed .param overrides
//!
//! [parameters]                # swept .params of the netlist: every combination, each
//! vdd = ["28m", "30m"]        #   at every temperature
//!
//! [traces]                    # stage: time traces of the readout
//! set = { vin = "0" }
//! tstop = "5u"
//! runs = 2
//!
//! [calibration]               # stage: control sweep and logistic fit at each temperature
//! sweep = "vin=-100m:100m:9"  # or a list: the control range as a swept parameter
//! precision = 0.02
//! max_time = "2m"            # most simulated time per control point
//! tstop = "20u"               # length of each run (default: the netlist's .tran)
//!
//! [chip]                      # stage: the chip with calibrated cells at each temperature
//! description = "ferro64.toml"
//! calibration = "pbit_calibration.json"
//! set = ["model.beta=0.5"]    # overrides of the chip description
//! mismatch = ["0", "2m"]      # swept offset sigma (V); absent: the description's
//! compensation = "both"       # false, true or "both" (with and without)
//! probe_sweeps = 200          # sweeps of the uncoupled probe that measures beta_eff
//! ```
//! Values with units are SPICE-style (`2m`, `5u`, `300K`); every error names the study file,
//! the line and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::StudyError;
use crate::calibration::SweepAxis;
use crate::units::{Quantity, parse_temperature, parse_value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StudyFile {
    study: StudySection,
    circuit: Option<CircuitSection>,
    #[serde(default)]
    parameters: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    traces: Option<TracesSection>,
    calibration: Option<CalibrationSection>,
    chip: Option<ChipSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StudySection {
    name: String,
    #[serde(default = "one")]
    seed: u64,
    temperatures: Spanned<Temperatures>,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Temperatures {
    List(Vec<String>),
    Range { start: String, stop: String, count: usize },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CircuitSection {
    netlist: Spanned<String>,
    #[serde(default)]
    set: BTreeMap<String, Spanned<String>>,
    output: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TracesSection {
    #[serde(default)]
    set: BTreeMap<String, Spanned<String>>,
    tstop: Option<Spanned<String>>,
    #[serde(default = "two")]
    runs: usize,
}

fn two() -> usize {
    2
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalibrationSection {
    sweep: Spanned<OneOrMany>,
    #[serde(default = "default_precision")]
    precision: f64,
    max_time: Option<Spanned<String>>,
    warmup: Option<Spanned<String>>,
    tstop: Option<Spanned<String>>,
}

fn default_precision() -> f64 {
    0.02
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChipSection {
    description: Spanned<String>,
    calibration: Spanned<String>,
    #[serde(default)]
    set: Vec<String>,
    mismatch: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    compensation: Option<Spanned<toml::Value>>,
    #[serde(default = "probe")]
    probe_sweeps: u64,
}

fn probe() -> u64 {
    200
}

/// Which way the chip stage runs its cells' input gain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compensation {
    Off,
    On,
    Both,
}

/// A validated study: absolute paths, parsed values.
#[derive(Debug, Clone)]
pub struct Study {
    pub name: String,
    pub seed: u64,
    /// The study file and its exact text (copied into the output directory).
    pub source: PathBuf,
    pub text: String,
    pub temperatures: Vec<f64>,
    pub circuit: Option<CircuitStage>,
    /// Swept .params: name and values (the text as written, for the netlist).
    pub parameters: Vec<(String, Vec<String>)>,
    pub traces: Option<TracesStage>,
    pub calibration: Option<CalibrationStage>,
    pub chip: Option<ChipStage>,
    /// The line of each key whose value is checked against the netlist or the chip
    /// description ("circuit.set.vb", "parameters.wb", "traces.set.vin",
    /// "calibration.sweep", "chip.set"), for messages.
    pub key_lines: BTreeMap<String, usize>,
}

#[derive(Debug, Clone)]
pub struct CircuitStage {
    pub netlist: PathBuf,
    pub set: Vec<(String, String)>,
    pub output: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TracesStage {
    pub set: Vec<(String, String)>,
    pub tstop: Option<f64>,
    pub runs: usize,
}

#[derive(Debug, Clone)]
pub struct CalibrationStage {
    /// Alternatives of the control sweep (one axis each); more than one is a swept range.
    pub sweeps: Vec<SweepAxis>,
    pub precision: f64,
    pub max_time: f64,
    pub warmup: f64,
    /// Length of each run (default: the netlist's .tran stop time).
    pub tstop: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct ChipStage {
    pub description: PathBuf,
    pub calibration: PathBuf,
    pub set: Vec<String>,
    /// Swept offset sigmas (V) as written; empty: the description's own.
    pub mismatch: Vec<String>,
    pub compensation: Compensation,
    pub probe_sweeps: u64,
}

/// Line (1-based) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

struct Reader<'a> {
    file: &'a Path,
    text: &'a str,
    base: &'a Path,
}

impl Reader<'_> {
    fn error(&self, span: std::ops::Range<usize>, key: &str, message: impl std::fmt::Display) -> StudyError {
        StudyError::config(self.file, line_of(self.text, span.start), format!("{key}: {message}"))
    }

    fn value(&self, s: &Spanned<String>, key: &str, quantity: Quantity) -> Result<f64, StudyError> {
        parse_value(s.get_ref(), quantity).map_err(|e| self.error(s.span(), key, e))
    }

    /// A time that must be positive (or zero, if `zero_allowed`).
    fn duration(&self, s: &Spanned<String>, key: &str, zero_allowed: bool) -> Result<f64, StudyError> {
        let value = self.value(s, key, Quantity::Time)?;
        if value < 0.0 || (value == 0.0 && !zero_allowed) {
            let expected = if zero_allowed { "zero or a positive time" } else { "a positive time" };
            return Err(self.error(s.span(), key, format!("'{}': expected {expected}", s.get_ref())));
        }
        Ok(value)
    }

    fn temperature(&self, s: &str, span: std::ops::Range<usize>, key: &str) -> Result<f64, StudyError> {
        parse_temperature(s).map_err(|e| self.error(span, key, e))
    }

    fn file(&self, s: &Spanned<String>, key: &str) -> Result<PathBuf, StudyError> {
        let path = self.base.join(s.get_ref());
        if !path.is_file() {
            return Err(self.error(s.span(), key, format!("no such file '{}'", path.display())));
        }
        // Absolute, so that other files (a chip description) can name it from elsewhere.
        std::fs::canonicalize(&path)
            .map_err(|e| self.error(s.span(), key, format!("'{}': {e}", path.display())))
    }
}

/// A study's control sweep: at least three values for a logistic fit.
fn sweep(text: &str) -> Result<SweepAxis, String> {
    SweepAxis::parse(text, 3)
}

impl Study {
    /// Read and validate a study file.
    ///
    /// Besides the file itself, every point's netlist overrides, control sweeps and chip
    /// settings are checked here ([`super::check`]), so that a study that cannot run fails
    /// before its output directory is made.
    pub fn from_file(path: &Path) -> Result<Study, StudyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| StudyError::Io(format!("{}: cannot read: {e}", path.display())))?;
        let study = Study::parse(&text, path)?;
        super::check::check(&study)?;
        Ok(study)
    }

    /// Validate the text of a study file that lives at `path` (relative paths are taken from
    /// its directory).
    pub fn parse(text: &str, path: &Path) -> Result<Study, StudyError> {
        let file: StudyFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            StudyError::config(path, line, e.message().trim())
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let r = Reader { file: path, text, base };
        let mut key_lines = BTreeMap::new();
        let mut note = |key: String, span: std::ops::Range<usize>| {
            key_lines.insert(key, line_of(text, span.start));
        };
        let span = file.study.temperatures.span();
        let temperatures = match file.study.temperatures.get_ref() {
            Temperatures::List(list) => list
                .iter()
                .map(|t| r.temperature(t, span.clone(), "study.temperatures"))
                .collect::<Result<Vec<_>, _>>()?,
            Temperatures::Range { start, stop, count } => {
                let (a, b) = (
                    r.temperature(start, span.clone(), "study.temperatures.start")?,
                    r.temperature(stop, span.clone(), "study.temperatures.stop")?,
                );
                if *count < 2 || a >= b {
                    return Err(r.error(
                        file.study.temperatures.span(),
                        "study.temperatures",
                        "a range needs start < stop and count >= 2",
                    ));
                }
                (0..*count).map(|i| a + (b - a) * i as f64 / (*count - 1) as f64).collect()
            }
        };
        if temperatures.is_empty() {
            return Err(r.error(file.study.temperatures.span(), "study.temperatures", "no temperature"));
        }
        if let Some(c) = &file.circuit {
            c.set.iter().for_each(|(k, v)| note(format!("circuit.set.{}", k.to_lowercase()), v.span()));
        }
        if let Some(t) = &file.traces {
            t.set.iter().for_each(|(k, v)| note(format!("traces.set.{}", k.to_lowercase()), v.span()));
        }
        file.parameters.iter().for_each(|(k, v)| note(format!("parameters.{}", k.to_lowercase()), v.span()));
        if let Some(c) = &file.calibration {
            note("calibration.sweep".into(), c.sweep.span());
        }
        let circuit = file
            .circuit
            .as_ref()
            .map(|c| -> Result<CircuitStage, StudyError> {
                Ok(CircuitStage {
                    netlist: r.file(&c.netlist, "circuit.netlist")?,
                    set: c.set.iter().map(|(k, v)| (k.to_lowercase(), v.get_ref().clone())).collect(),
                    output: c.output.clone(),
                })
            })
            .transpose()?;
        let mut parameters = Vec::new();
        for (name, values) in &file.parameters {
            if values.get_ref().is_empty() {
                return Err(r.error(values.span(), &format!("parameters.{name}"), "an empty list"));
            }
            parameters
                .push((name.to_lowercase(), values.get_ref().iter().map(|v| v.get_ref().clone()).collect()));
        }
        let needs_circuit = |stage: &str| -> Result<(), StudyError> {
            if circuit.is_none() {
                return Err(StudyError::config(
                    path,
                    0,
                    format!("[{stage}] needs a [circuit] section naming the netlist"),
                ));
            }
            Ok(())
        };
        let traces = match &file.traces {
            None => None,
            Some(t) => {
                needs_circuit("traces")?;
                if t.runs == 0 {
                    return Err(StudyError::config(path, 0, "traces.runs: expected at least 1"));
                }
                Some(TracesStage {
                    set: t.set.iter().map(|(k, v)| (k.to_lowercase(), v.get_ref().clone())).collect(),
                    tstop: t.tstop.as_ref().map(|s| r.duration(s, "traces.tstop", false)).transpose()?,
                    runs: t.runs,
                })
            }
        };
        let calibration = match &file.calibration {
            None => None,
            Some(c) => {
                needs_circuit("calibration")?;
                let list = match c.sweep.get_ref() {
                    OneOrMany::One(s) => vec![s.clone()],
                    OneOrMany::Many(v) => v.clone(),
                };
                let sweeps = list
                    .iter()
                    .map(|s| sweep(s).map_err(|e| r.error(c.sweep.span(), "calibration.sweep", e)))
                    .collect::<Result<Vec<_>, _>>()?;
                if sweeps.is_empty() {
                    return Err(r.error(c.sweep.span(), "calibration.sweep", "an empty list"));
                }
                if !(c.precision > 0.0 && c.precision < 0.5) {
                    return Err(StudyError::config(
                        path,
                        0,
                        format!("calibration.precision {}: expected between 0 and 0.5", c.precision),
                    ));
                }
                let time = |s: &Option<Spanned<String>>, key: &str, default: f64, zero: bool| {
                    s.as_ref().map_or(Ok(default), |s| r.duration(s, key, zero))
                };
                Some(CalibrationStage {
                    sweeps,
                    precision: c.precision,
                    max_time: time(&c.max_time, "calibration.max_time", 2e-3, false)?,
                    warmup: time(&c.warmup, "calibration.warmup", 200e-9, true)?,
                    tstop: c.tstop.as_ref().map(|s| r.duration(s, "calibration.tstop", false)).transpose()?,
                })
            }
        };
        let chip = match &file.chip {
            None => None,
            Some(c) => {
                let compensation = match c.compensation.as_ref().map(|v| (v.get_ref(), v.span())) {
                    None => Compensation::Off,
                    Some((toml::Value::Boolean(false), _)) => Compensation::Off,
                    Some((toml::Value::Boolean(true), _)) => Compensation::On,
                    Some((toml::Value::String(s), _)) if s == "both" => Compensation::Both,
                    Some((v, span)) => {
                        return Err(r.error(
                            span,
                            "chip.compensation",
                            format!("'{v}': expected false, true or \"both\""),
                        ));
                    }
                };
                let mismatch = c.mismatch.clone().unwrap_or_default();
                for m in &mismatch {
                    if r.value(m, "chip.mismatch", Quantity::Voltage)? < 0.0 {
                        return Err(r.error(m.span(), "chip.mismatch", "a sigma must be >= 0"));
                    }
                }
                Some(ChipStage {
                    description: r.file(&c.description, "chip.description")?,
                    calibration: r.file(&c.calibration, "chip.calibration")?,
                    set: c.set.clone(),
                    mismatch: mismatch.iter().map(|m| m.get_ref().clone()).collect(),
                    compensation,
                    probe_sweeps: c.probe_sweeps,
                })
            }
        };
        if traces.is_none() && calibration.is_none() && chip.is_none() {
            return Err(StudyError::config(
                path,
                0,
                "no stage: add a [traces], [calibration] or [chip] section",
            ));
        }
        Ok(Study {
            name: file.study.name,
            seed: file.study.seed,
            source: path.to_path_buf(),
            text: text.to_string(),
            temperatures,
            circuit,
            parameters,
            traces,
            calibration,
            chip,
            key_lines,
        })
    }
}

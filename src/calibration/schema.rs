//! The calibration file: a versioned JSON document that carries everything a behavioural cell
//! needs and everything a reader needs to trust it.
//!
//! ```text
//! schema            "pbitsim-calibration"
//! version           2 (1 is still read: it has no population)
//! cell              "pbit" | "pdit" | "pmog" ("coupling": a coupling circuit, see
//!                   [`super::coupling`], "gaussian": a Gaussian sampler, see
//!                   [`super::gaussian`]; documents of their own with the same header)
//! circuit           path, title, sha256 of the netlist text, parameters, model cards (name,
//!                   path, sha256, source)
//! output            the readout calibrated
//! controls          swept parameters: name, start, stop, count (V)
//! temperatures_k    the calibrated temperatures, increasing
//! seed, engine, method, dt_s, tstop_s, warmup_s, precision
//! points            every measured point: temperature_k, controls, probabilities with
//!                   standard errors (bit, cat) or mean/std and a mixture (analog),
//!                   correlation_time_s with its error, energy_per_sample_j, runs, ...
//! fits              one entry per temperature:
//!                     pbit: v0_v, v0_se_v, vs_v, vs_se_v (V), correlation_time_s at V0, the
//!                           logistic goodness of fit, ln tau(V) as a polynomial in V - V0,
//!                           logit P(1) as a cubic in V - V0 (the shape beyond the logistic)
//!                     pdit: softmax biases and weights (logits linear in the controls)
//!                     pmog: weight, means and spreads as polynomials in the controls
//! temperature_fits  pbit: vs against the proportional-to-T law, tau(V0) as an Arrhenius law
//! mismatch          sigma of the per-cell offset of V0 (V) and where it comes from: the
//!                   population's spread of V0 (RMS over temperatures), or 0 without one
//! population        optional (calibrate --monte-carlo N): the mismatch Monte Carlo samples'
//!                   V0, Vs and tau at each temperature, their mean and covariance
//!                   ([`super::population`])
//! ```
//!
//! A file is validated on load: wrong schema or version, a missing key, a cell kind other than
//! the one asked for, or inconsistent contents are errors naming the file and the problem.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::point::{PointMeasurement, Precision};

/// The schema name written in every calibration file.
pub const SCHEMA: &str = "pbitsim-calibration";
/// The schema version this build writes.
pub const VERSION: u32 = 2;
/// The oldest schema version this build reads (version 1 has no population section).
pub const OLDEST_READ: u32 = 1;

/// Which behavioural cell a calibration describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    Pbit,
    Pdit,
    Pmog,
    /// A coupling circuit ([`super::coupling::CouplingCalibration`]).
    Coupling,
    /// A Gaussian sampler circuit ([`super::gaussian::GaussianCalibration`]).
    Gaussian,
}

impl CellKind {
    pub fn name(self) -> &'static str {
        match self {
            CellKind::Pbit => "pbit",
            CellKind::Pdit => "pdit",
            CellKind::Pmog => "pmog",
            CellKind::Coupling => "coupling",
            CellKind::Gaussian => "gaussian",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardInfo {
    pub name: String,
    pub path: String,
    pub sha256: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitInfo {
    pub path: String,
    pub title: String,
    /// SHA-256 of the netlist file's bytes.
    pub sha256: String,
    /// Every `.param` after overrides (sweeps excluded).
    pub parameters: BTreeMap<String, f64>,
    pub model_cards: Vec<CardInfo>,
}

/// One swept control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepAxis {
    pub name: String,
    pub start: f64,
    pub stop: f64,
    pub count: usize,
}

impl SweepAxis {
    /// Parse NAME=START:STOP:COUNT (volts, SPICE suffixes allowed), with at least
    /// `min_count` values.
    pub fn parse(text: &str, min_count: usize) -> Result<SweepAxis, String> {
        use crate::units::{Quantity, parse_value};
        let fail = || format!("'{text}': expected NAME=START:STOP:COUNT, e.g. vin=-60m:60m:21");
        let (name, range) = text.split_once('=').ok_or_else(fail)?;
        let parts: Vec<&str> = range.split(':').collect();
        let [start, stop, count] = parts[..] else { return Err(fail()) };
        let volt = |v: &str| parse_value(v, Quantity::Voltage).map_err(|e| format!("'{text}': {e}"));
        let (start, stop) = (volt(start)?, volt(stop)?);
        let count: usize =
            count.parse().map_err(|_| format!("'{text}': COUNT '{count}' is not a whole number"))?;
        if count < min_count || start == stop {
            return Err(format!("'{text}': need COUNT >= {min_count} and START != STOP"));
        }
        Ok(SweepAxis { name: name.trim().to_lowercase(), start, stop, count })
    }

    /// The grid values, `count` evenly spaced from start to stop.
    pub fn values(&self) -> Vec<f64> {
        if self.count <= 1 {
            return vec![self.start];
        }
        (0..self.count)
            .map(|i| self.start + (self.stop - self.start) * i as f64 / (self.count - 1) as f64)
            .collect()
    }
}

/// Goodness of a fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Goodness {
    pub chi2: f64,
    pub dof: usize,
    pub chi2_per_dof: f64,
    /// The largest residual in units of its standard error.
    pub max_residual_se: f64,
}

/// A polynomial with its coefficients (lowest order first) and their standard errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolynomialRecord {
    /// Name of the regressor(s), e.g. "vin - v0".
    pub variable: String,
    pub coefficients: Vec<f64>,
    /// Standard errors of the coefficients (written `errors` before schema 2).
    #[serde(alias = "errors")]
    pub coefficients_se: Vec<f64>,
    pub goodness: Goodness,
}

impl PolynomialRecord {
    pub fn eval(&self, x: f64) -> f64 {
        self.coefficients.iter().rev().fold(0.0, |acc, c| acc * x + c)
    }
}

/// Softmax with logits linear in the controls: l_k = b_k + sum_j w_kj v_j, class 0 the
/// reference (b_0 = w_0j = 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftmaxRecord {
    pub controls: Vec<String>,
    pub bias: Vec<f64>,
    pub bias_se: Vec<f64>,
    /// weights[k][j] multiplies control j in the logit of class k (1/V).
    pub weights: Vec<Vec<f64>>,
    pub weights_se: Vec<Vec<f64>>,
    pub goodness: Goodness,
}

/// A two-component mixture whose parameters are smooth functions of the controls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixtureModelRecord {
    pub controls: Vec<String>,
    /// Logit of the weight of the upper component, linear in the controls.
    pub weight_logit: LinearRecord,
    /// Means and standard deviations of the lower and upper components, linear in the
    /// controls (V).
    pub means: [LinearRecord; 2],
    pub stds: [LinearRecord; 2],
}

/// y = intercept + sum_j slopes_j v_j.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearRecord {
    pub intercept: f64,
    pub slopes: Vec<f64>,
    /// Standard errors of the intercept and the slopes (written `errors` before schema 2).
    #[serde(alias = "errors")]
    pub coefficients_se: Vec<f64>,
    pub goodness: Goodness,
}

impl LinearRecord {
    pub fn eval(&self, v: &[f64]) -> f64 {
        self.intercept + self.slopes.iter().zip(v).map(|(s, x)| s * x).sum::<f64>()
    }
}

/// The fitted behaviour at one temperature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemperatureFit {
    pub temperature_k: f64,
    /// p-bit: P(1) = sigma((V - v0)/vs). In the file `v0_v`, `v0_se_v`, `vs_v`, `vs_se_v`
    /// (V), as in a study's results.csv; `v0`, `v0_se`, `vs`, `vs_se` before schema 2.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "v0_v", alias = "v0")]
    pub v0: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "v0_se_v", alias = "v0_se")]
    pub v0_se: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "vs_v", alias = "vs")]
    pub vs: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "vs_se_v", alias = "vs_se")]
    pub vs_se: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logistic: Option<Goodness>,
    /// p-bit: logit P(1) as a polynomial in V - V0 (a cubic), the response's shape beyond the
    /// logistic (which is its first-order form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logit: Option<PolynomialRecord>,
    /// Correlation time at V0 (p-bit) or at the grid centre (others) (s).
    pub correlation_time_s: f64,
    /// ln(tau / s) as a polynomial in the first control minus v0 (p-bit) or its centre.
    pub log_tau: PolynomialRecord,
    /// Energy per independent sample at V0 / the grid centre (J).
    pub energy_per_sample_j: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub softmax: Option<SoftmaxRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixture: Option<MixtureModelRecord>,
}

/// vs against the proportional-to-T law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProportionalRecord {
    /// vs / T (V/K).
    pub slope: f64,
    pub slope_se: f64,
    pub goodness: Goodness,
    /// Largest |vs(T) / (slope T) - 1| over the calibrated temperatures.
    pub max_relative_deviation: f64,
}

/// tau(V0) = tau0 exp(E_a / kT).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrheniusRecord {
    pub barrier_j: f64,
    pub barrier_ev: f64,
    pub barrier_se_j: f64,
    pub tau0_s: f64,
    pub tau0_se_s: f64,
    pub goodness: Goodness,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemperatureFits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_proportional: Option<ProportionalRecord>,
    pub arrhenius: Option<ArrheniusRecord>,
}

/// Per-cell offsets of V0 from device mismatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MismatchRecord {
    pub sigma_v0_v: f64,
    pub source: String,
}

/// A whole calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    pub schema: String,
    pub version: u32,
    pub created_by: String,
    pub cell: CellKind,
    pub circuit: CircuitInfo,
    pub output: String,
    pub controls: Vec<SweepAxis>,
    pub temperatures_k: Vec<f64>,
    pub seed: u64,
    pub engine: String,
    pub method: String,
    pub dt_s: f64,
    pub tstop_s: f64,
    pub warmup_s: f64,
    pub precision: Precision,
    pub points: Vec<PointMeasurement>,
    pub fits: Vec<TemperatureFit>,
    pub temperature_fits: TemperatureFits,
    pub mismatch: MismatchRecord,
    /// Mismatch Monte Carlo population (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<super::population::Population>,
}

/// A calibration file that cannot be used.
#[derive(Debug, Error)]
pub enum CalibrationError {
    #[error("calibration file {path}: {message}")]
    Invalid { path: String, message: String },
}

pub(super) fn invalid(path: &Path, message: impl Into<String>) -> CalibrationError {
    CalibrationError::Invalid { path: path.display().to_string(), message: message.into() }
}

/// Read a calibration file as JSON and check its header: schema, version and the kind of
/// cell it calibrates, before the full structure, so that an old, foreign or other-kind file
/// gets a message about that rather than about its fields. Returns the file's text.
fn read_checked(path: &Path, expected: CellKind) -> Result<String, CalibrationError> {
    let text = std::fs::read_to_string(path).map_err(|e| invalid(path, format!("cannot read it: {e}")))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| invalid(path, format!("not valid JSON: {e}")))?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(SCHEMA) => {}
        Some(other) => return Err(invalid(path, format!("schema is '{other}', expected '{SCHEMA}'"))),
        None => return Err(invalid(path, format!("missing key 'schema' (expected '{SCHEMA}')"))),
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if (OLDEST_READ as u64..=VERSION as u64).contains(&v) => {}
        Some(v) => {
            return Err(invalid(
                path,
                format!(
                    "schema version {v}, but this pbitsim reads versions {OLDEST_READ} to {VERSION}; recalibrate with pbitsim calibrate"
                ),
            ));
        }
        None => return Err(invalid(path, "missing key 'version'")),
    }
    let kind = value.get("cell").cloned().ok_or_else(|| invalid(path, "missing key 'cell'"))?;
    let kind: CellKind = serde_json::from_value(kind.clone()).map_err(|_| {
        invalid(path, format!("cell is {kind}, expected one of pbit, pdit, pmog, coupling, gaussian"))
    })?;
    if kind != expected {
        return Err(invalid(
            path,
            format!("it calibrates a {} cell, but a {} cell was asked for", kind.name(), expected.name()),
        ));
    }
    Ok(text)
}

/// [`read_checked`], then the whole file as a `T`, parsed from its text so that a wrong field
/// is named with its line and column.
pub(super) fn parse_checked<T: serde::de::DeserializeOwned>(
    path: &Path,
    expected: CellKind,
) -> Result<T, CalibrationError> {
    let text = read_checked(path, expected)?;
    serde_json::from_str(&text).map_err(|e| invalid(path, format!("{e}")))
}

impl Calibration {
    /// Read and validate a calibration file, requiring the given cell kind.
    pub fn load(path: &Path, expected: CellKind) -> Result<Calibration, CalibrationError> {
        let calibration: Calibration = parse_checked(path, expected)?;
        calibration.validate().map_err(|m| invalid(path, m))?;
        Ok(calibration)
    }

    /// Internal consistency: temperatures increase, one fit per temperature, fits carry the
    /// parameters their cell kind needs, numbers are finite.
    pub fn validate(&self) -> Result<(), String> {
        if self.cell == CellKind::Coupling {
            return Err("a coupling calibration is not a cell calibration; read it as a coupling".into());
        }
        if self.cell == CellKind::Gaussian {
            return Err("a Gaussian calibration is read as one (a Gaussian chip's [cells])".into());
        }
        if self.temperatures_k.is_empty() || self.temperatures_k.windows(2).any(|w| w[0] >= w[1]) {
            return Err("temperatures_k must be a non-empty increasing list".into());
        }
        if self.fits.len() != self.temperatures_k.len() {
            return Err(format!("{} fits for {} temperatures", self.fits.len(), self.temperatures_k.len()));
        }
        for (fit, t) in self.fits.iter().zip(&self.temperatures_k) {
            if (fit.temperature_k - t).abs() > 1e-9 {
                return Err(format!("fit at {} K does not match temperature {t} K", fit.temperature_k));
            }
            let missing = match self.cell {
                CellKind::Pbit if fit.v0.is_none() => Some("v0_v"),
                CellKind::Pbit if fit.vs.is_none() => Some("vs_v"),
                CellKind::Pdit if fit.softmax.is_none() => Some("softmax"),
                CellKind::Pmog if fit.mixture.is_none() => Some("mixture"),
                _ => None,
            };
            if let Some(key) = missing {
                return Err(format!("fit at {t} K lacks '{key}', which a {} cell needs", self.cell.name()));
            }
            let numbers = [fit.v0.unwrap_or(0.0), fit.vs.unwrap_or(1.0), fit.correlation_time_s];
            if numbers.iter().any(|x| !x.is_finite())
                || fit.vs.is_some_and(|vs| vs <= 0.0)
                || fit.correlation_time_s <= 0.0
            {
                return Err(format!("fit at {t} K has a non-finite or non-positive parameter"));
            }
        }
        if !(self.mismatch.sigma_v0_v >= 0.0) {
            return Err("mismatch.sigma_v0_v must be zero or positive".into());
        }
        if let Some(p) = &self.population {
            if self.cell != CellKind::Pbit {
                return Err("a population section is only defined for p-bit calibrations".into());
            }
            if self.version < 2 {
                return Err("a population section needs schema version 2".into());
            }
            p.validate(&self.temperatures_k)?;
        }
        Ok(())
    }
}

//! The calibration file of a coupling circuit (a synapse): what a weight setting does to the
//! receiving cell's input, written by `pbitsim calibrate --coupling` and read by the
//! behavioural chip and the netlist writer. The header is that of every calibration file
//! (schema, version, `cell`: "coupling", circuit with its hashes and model cards); then:
//!
//! ```text
//! weight            the swept weight parameter: name, start, stop, count (V)
//! outputs           the bench's driver bit and summing-node analog outputs, the coupling
//!                   instance
//! temperatures_k, seed, engine, method, dt_s, tstop_s, warmup_s, precision
//! points            per temperature and weight setting:
//!                     coupling_v       J_v = (m+ - m-) / 2, m+- the settled mean of the
//!                                      summing node (relative to the cell's bias) while the
//!                                      driving neighbour is up / down (V per unit state)
//!                     offset_v         (m+ + m-) / 2 (V)
//!                     noise_v          the summing node's standard deviation within a state
//!                     settling_time_s  integral of the normalised step response of the
//!                                      summing node after the driver's readout flips
//!                     delay_s          mean delay from the driver's latch flip to its
//!                                      readout's (0 when the bench has no latch output)
//!                     power_w          supply power the coupling adds (bench power minus the
//!                                      bench's power with the weight at 0)
//!                     energy_per_update_j  power_w times the driver's correlation time
//!                     driver           (with --driver-bias) how the coupling depends on the
//!                                      driver's own input x: the synapse adds
//!                                      J_v [s (1 + b x^2) + a x], a the offset and b the gain
//!                                      coefficient, from the settled means with the driver
//!                                      biased at +-x (its readout levels follow its latch,
//!                                      which its input tilts)
//!                   each with its standard error (from independent runs)
//! fits              per temperature: ln J_v and ln power as polynomials in the weight,
//!                   the offset as a polynomial in the weight, the settling time and the
//!                   readout delay (weighted means over the weights), the reference power,
//!                   the update time, and the driver response's a and b as lines in the
//!                   weight
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::point::Precision;
use super::schema::{
    CalibrationError, CellKind, CircuitInfo, PolynomialRecord, SweepAxis, invalid, parse_checked,
};

/// Which outputs and instance of the bench the calibration measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouplingBench {
    /// The bit output of the driving neighbour's readout.
    pub driver: String,
    /// The analog output of the receiving cell's input node relative to its bias.
    pub summing: String,
}

/// What one weight setting at one temperature measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouplingPoint {
    pub temperature_k: f64,
    /// The weight setting (V).
    pub weight: f64,
    pub coupling_v: f64,
    pub coupling_se_v: f64,
    pub offset_v: f64,
    pub offset_se_v: f64,
    pub noise_v: f64,
    pub settling_time_s: f64,
    pub settling_time_se_s: f64,
    pub delay_s: f64,
    pub delay_se_s: f64,
    pub power_w: f64,
    pub power_se_w: f64,
    pub energy_per_update_j: f64,
    /// Flips of the driver's readout seen (the step responses averaged).
    pub driver_flips: u64,
    /// Correlation time of the driver's readout (s): the time of one update.
    pub update_time_s: f64,
    pub runs: usize,
    pub simulated_s: f64,
    pub work: u64,
    pub wall_s: f64,
    pub precision_reached: bool,
    /// How the coupling depends on the driver's own input (with `--driver-bias`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<DriverResponse>,
}

/// How a synapse's contribution depends on the input x of the cell that drives it: the
/// receiving input moves by J_v [s (1 + b x^2) + a x] (V) for the driver in state s = +-1.
/// The synapse's current is exponential in its gate voltage, the driver's readout level, and
/// that level follows the driver's latch nodes, which the driver's own input tilts: a driver
/// pushed towards its state sits deeper in it (a x s > 0) and one pushed against it shallower,
/// both relative to J_v, so a and b do not depend on the weight to first order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriverResponse {
    /// The driver bias x the response was measured at (+-x, V).
    pub bias_v: f64,
    /// a (1/V) and its standard error.
    pub offset_per_v: f64,
    pub offset_se_per_v: f64,
    /// b (1/V^2) and its standard error.
    pub gain_per_v2: f64,
    pub gain_se_per_v2: f64,
}

/// The fitted coupling at one temperature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouplingFit {
    pub temperature_k: f64,
    /// ln(J_v / V) as a polynomial in the weight.
    pub log_coupling: PolynomialRecord,
    /// offset_v as a polynomial in the weight.
    pub offset: PolynomialRecord,
    /// ln(power / W) as a polynomial in the weight.
    pub log_power: PolynomialRecord,
    /// Settling time constant of the summing node (s), weighted over the weights.
    pub settling_time_s: f64,
    pub settling_time_se_s: f64,
    /// Mean delay from a neighbour's latch flip to its readout's (s), weighted over the
    /// weights: the part of the lag before the synapse.
    pub delay_s: f64,
    /// Bench power with the weight at 0 (W), the reference of power_w.
    pub reference_power_w: f64,
    /// Mean correlation time of the driver's readout (s), the time of one update.
    pub update_time_s: f64,
    /// The driver response's a (1/V) and b (1/V^2) as polynomials in the weight (absent in
    /// calibrations made without `--driver-bias`: then a = b = 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_offset: Option<PolynomialRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_gain: Option<PolynomialRecord>,
}

/// A coupling calibration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouplingCalibration {
    pub schema: String,
    pub version: u32,
    pub created_by: String,
    /// Always [`CellKind::Coupling`].
    pub cell: CellKind,
    pub circuit: CircuitInfo,
    pub weight: SweepAxis,
    pub bench: CouplingBench,
    pub temperatures_k: Vec<f64>,
    pub seed: u64,
    pub engine: String,
    pub method: String,
    pub dt_s: f64,
    pub tstop_s: f64,
    pub warmup_s: f64,
    pub precision: Precision,
    pub points: Vec<CouplingPoint>,
    pub fits: Vec<CouplingFit>,
}

impl CouplingCalibration {
    /// Read and validate a coupling calibration file.
    pub fn load(path: &Path) -> Result<CouplingCalibration, CalibrationError> {
        let calibration: CouplingCalibration = parse_checked(path, CellKind::Coupling)?;
        calibration.validate().map_err(|m| invalid(path, m))?;
        Ok(calibration)
    }

    /// Temperatures increase, one fit per temperature, finite positive settling times and
    /// update times, polynomials with coefficients.
    pub fn validate(&self) -> Result<(), String> {
        if self.cell != CellKind::Coupling {
            return Err(format!("cell is {}, expected coupling", self.cell.name()));
        }
        if self.temperatures_k.is_empty() || self.temperatures_k.windows(2).any(|w| w[0] >= w[1]) {
            return Err("temperatures_k must be a non-empty increasing list".into());
        }
        if self.fits.len() != self.temperatures_k.len() {
            return Err(format!("{} fits for {} temperatures", self.fits.len(), self.temperatures_k.len()));
        }
        if !(self.weight.start < self.weight.stop) {
            return Err(format!(
                "weight range {} to {} V must increase",
                self.weight.start, self.weight.stop
            ));
        }
        for (fit, t) in self.fits.iter().zip(&self.temperatures_k) {
            if (fit.temperature_k - t).abs() > 1e-9 {
                return Err(format!("fit at {} K does not match temperature {t} K", fit.temperature_k));
            }
            let times = [fit.settling_time_s, fit.update_time_s];
            if times.iter().any(|x| !(x.is_finite() && *x > 0.0)) || !(fit.delay_s >= 0.0) {
                return Err(format!(
                    "fit at {t} K has a non-positive settling or update time or a negative delay"
                ));
            }
            let driver = [("driver_offset", &fit.driver_offset), ("driver_gain", &fit.driver_gain)];
            for (name, p) in driver.iter().filter_map(|(n, p)| p.as_ref().map(|p| (n, p))) {
                if p.coefficients.is_empty() || p.coefficients.iter().any(|c| !c.is_finite()) {
                    return Err(format!("fit at {t} K: {name} has no finite coefficients"));
                }
            }
            for (name, p) in
                [("log_coupling", &fit.log_coupling), ("offset", &fit.offset), ("log_power", &fit.log_power)]
            {
                if p.coefficients.is_empty() || p.coefficients.iter().any(|c| !c.is_finite()) {
                    return Err(format!("fit at {t} K: {name} has no finite coefficients"));
                }
            }
        }
        Ok(())
    }
}

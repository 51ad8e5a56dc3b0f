//! The behavioural coupling: what a synapse with weight setting w adds to its receiving
//! cell's input voltage, from a coupling calibration ([`crate::calibration::coupling`]).
//!
//! A neighbour in state s = +-1 driving through a synapse of weight w shifts the receiving
//! cell's input by s J_v(w) + offset(w) (V), with J_v(w) = exp(P(w)) for the calibrated
//! polynomial P (a weak-inversion current source gives ln J_v linear in w); contributions of
//! different synapses add (their currents sum at the input node). With a calibrated driver
//! response the contribution is s J_v [1 + b x^2] + a J_v x, x the driving cell's own input
//! ([`crate::calibration::DriverResponse`]). A neighbour's flip reaches the input once the
//! neighbour's latch has held its new state for the calibrated readout delay, and the input
//! then settles with the calibrated time constant; the synapse draws the calibrated power. Between calibrated
//! temperatures every polynomial coefficient is interpolated linearly in T; outside the
//! calibrated weights the coupling is an error, not an extrapolation.

use super::CellError;
use super::interpolate::{bracket, linear, linear_vec};
use crate::calibration::{CouplingCalibration, CouplingFit, PolynomialRecord};

/// A calibrated coupling at one temperature.
#[derive(Debug, Clone, PartialEq)]
pub struct Coupling {
    /// Coefficients of ln J_v(w), lowest order first.
    log_coupling: Vec<f64>,
    offset: Vec<f64>,
    log_power: Vec<f64>,
    /// Calibrated weight range (V).
    pub weight_range: (f64, f64),
    /// Settling time constant of the receiving input (s).
    pub settling_time: f64,
    /// Delay from a neighbour's latch flip to its readout's (s).
    pub delay: f64,
    /// Time of one update of a cell (s), which an update's energy is counted over.
    pub update_time: f64,
    /// Coefficients of the driver response's a (1/V) and b (1/V^2) in the weight (empty
    /// when not calibrated: a = b = 0).
    driver_offset: Vec<f64>,
    driver_gain: Vec<f64>,
    pub temperature: f64,
}

fn eval(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, k| acc * x + k)
}

fn blend(a: &PolynomialRecord, b: &PolynomialRecord, w: f64) -> Vec<f64> {
    if a.coefficients.len() == b.coefficients.len() {
        linear_vec(&a.coefficients, &b.coefficients, w)
    } else if w < 0.5 {
        a.coefficients.clone()
    } else {
        b.coefficients.clone()
    }
}

/// A driver-response polynomial interpolated between two temperatures (empty if either lacks it).
fn driver(a: &Option<PolynomialRecord>, b: &Option<PolynomialRecord>, w: f64) -> Vec<f64> {
    match (a, b) {
        (Some(a), Some(b)) => blend(a, b, w),
        _ => Vec::new(),
    }
}

impl Coupling {
    /// The coupling of a calibration at `temperature` (K), interpolated between calibrated
    /// temperatures; an error outside them.
    pub fn from_calibration(calibration: &CouplingCalibration, temperature: f64) -> Result<Self, CellError> {
        let (i, w) = bracket(&calibration.temperatures_k, temperature, &calibration.circuit.path)?;
        let j = (i + 1).min(calibration.fits.len() - 1);
        let (a, b): (&CouplingFit, &CouplingFit) = (&calibration.fits[i], &calibration.fits[j]);
        Ok(Coupling {
            log_coupling: blend(&a.log_coupling, &b.log_coupling, w),
            offset: blend(&a.offset, &b.offset, w),
            log_power: blend(&a.log_power, &b.log_power, w),
            weight_range: (calibration.weight.start, calibration.weight.stop),
            settling_time: linear(a.settling_time_s, b.settling_time_s, w),
            delay: linear(a.delay_s, b.delay_s, w),
            update_time: linear(a.update_time_s, b.update_time_s, w),
            driver_offset: driver(&a.driver_offset, &b.driver_offset, w),
            driver_gain: driver(&a.driver_gain, &b.driver_gain, w),
            temperature,
        })
    }

    fn check(&self, weight: f64) -> Result<(), CellError> {
        let (lo, hi) = self.weight_range;
        if weight >= lo - 1e-12 && weight <= hi + 1e-12 {
            return Ok(());
        }
        Err(CellError::Invalid(format!(
            "weight {weight:.4} V is outside the calibrated range {lo:.4} to {hi:.4} V; calibrate a wider range"
        )))
    }

    /// J_v(w): the input shift per unit neighbour state (V).
    pub fn coupling_v(&self, weight: f64) -> Result<f64, CellError> {
        self.check(weight)?;
        Ok(eval(&self.log_coupling, weight).exp())
    }

    /// The mean input shift of the synapse, whatever the neighbour's state (V).
    pub fn offset_v(&self, weight: f64) -> Result<f64, CellError> {
        self.check(weight)?;
        Ok(eval(&self.offset, weight))
    }

    /// The driver response (a in 1/V, b in 1/V^2) at weight `weight`: the synapse adds
    /// J_v [s (1 + b x^2) + a x] for a driver with input x; (0, 0) when not calibrated.
    pub fn driver_response(&self, weight: f64) -> Result<(f64, f64), CellError> {
        self.check(weight)?;
        Ok((eval(&self.driver_offset, weight), eval(&self.driver_gain, weight)))
    }

    /// Supply power of the synapse (W).
    pub fn power_w(&self, weight: f64) -> Result<f64, CellError> {
        self.check(weight)?;
        Ok(eval(&self.log_power, weight).exp())
    }

    /// The weight setting that gives J_v = `coupling_v` (V), by bisection on the calibrated
    /// (increasing) law; an error when it lies outside the calibrated range.
    pub fn weight_for(&self, coupling_v: f64) -> Result<f64, CellError> {
        let (lo, hi) = self.weight_range;
        let target = coupling_v.ln();
        let f = |w: f64| eval(&self.log_coupling, w) - target;
        let (flo, fhi) = (f(lo), f(hi));
        if !(coupling_v > 0.0 && flo <= 0.0 && fhi >= 0.0) {
            return Err(CellError::Invalid(format!(
                "a coupling of {:.3} mV at the input is outside the calibrated {:.3} to {:.3} mV (weights {lo:.4} to {hi:.4} V); \
                 lower the couplings or beta, or calibrate a wider weight range",
                1e3 * coupling_v,
                1e3 * flo.exp() * coupling_v,
                1e3 * fhi.exp() * coupling_v
            )));
        }
        let (mut a, mut b) = (lo, hi);
        for _ in 0..100 {
            let m = 0.5 * (a + b);
            if f(m) < 0.0 {
                a = m;
            } else {
                b = m;
            }
        }
        Ok(0.5 * (a + b))
    }
}

//! Interpolation of calibrated quantities between temperatures.

use super::CellError;
use crate::calibration::{Calibration, CellKind, TemperatureFit};

/// The two calibrated fits that bracket a temperature, and the weight of the upper one.
pub struct Bracketed<'a> {
    pub lower: &'a TemperatureFit,
    pub upper: &'a TemperatureFit,
    pub weight: f64,
    pub temperature: f64,
}

impl<'a> Bracketed<'a> {
    /// The fits of a calibration of cell `kind` around `temperature` (K); an error for another
    /// kind of calibration or a temperature outside the calibrated range.
    pub fn new(calibration: &'a Calibration, kind: CellKind, temperature: f64) -> Result<Self, CellError> {
        if calibration.cell != kind {
            return Err(CellError::Invalid(format!(
                "a {} calibration is not a {}",
                calibration.cell.name(),
                match kind {
                    CellKind::Pbit => "p-bit",
                    CellKind::Pdit => "p-dit",
                    CellKind::Pmog => "p-MoG",
                    CellKind::Coupling => "coupling",
                    CellKind::Gaussian => "Gaussian sampler",
                }
            )));
        }
        let (i, weight) = bracket(&calibration.temperatures_k, temperature, &calibration.circuit.path)?;
        let j = (i + 1).min(calibration.fits.len() - 1);
        Ok(Bracketed { lower: &calibration.fits[i], upper: &calibration.fits[j], weight, temperature })
    }

    /// The correlation time (at V0 or the grid centre), Arrhenius-interpolated.
    pub fn correlation_time(&self) -> f64 {
        let (a, b) = (self.lower, self.upper);
        arrhenius(
            a.temperature_k,
            a.correlation_time_s,
            b.temperature_k,
            b.correlation_time_s,
            self.temperature,
        )
    }

    /// The energy per sample, linearly interpolated.
    pub fn energy_per_sample(&self) -> f64 {
        linear(self.lower.energy_per_sample_j, self.upper.energy_per_sample_j, self.weight)
    }
}

/// Where `t` falls among increasing `temperatures`: (lower index, weight of the upper one).
/// An error outside [first, last].
pub fn bracket(temperatures: &[f64], t: f64, source: &str) -> Result<(usize, f64), CellError> {
    let (first, last) = (temperatures[0], temperatures[temperatures.len() - 1]);
    let tolerance = 1e-9 * last;
    if !(t >= first - tolerance && t <= last + tolerance) {
        return Err(CellError::OutOfRange {
            temperature: t,
            low: first,
            high: last,
            source_name: source.into(),
        });
    }
    if temperatures.len() == 1 {
        return Ok((0, 0.0));
    }
    let i = temperatures.windows(2).position(|w| t <= w[1] + tolerance).unwrap_or(temperatures.len() - 2);
    let w = ((t - temperatures[i]) / (temperatures[i + 1] - temperatures[i])).clamp(0.0, 1.0);
    Ok((i, w))
}

/// Linear interpolation of a value given at two bracketing temperatures.
pub fn linear(a: f64, b: f64, w: f64) -> f64 {
    a + (b - a) * w
}

/// Arrhenius interpolation: ln tau linear in 1/T between (t0, tau0) and (t1, tau1).
pub fn arrhenius(t0: f64, tau0: f64, t1: f64, tau1: f64, t: f64) -> f64 {
    if t0 == t1 {
        return tau0;
    }
    let w = (1.0 / t - 1.0 / t0) / (1.0 / t1 - 1.0 / t0);
    (tau0.ln() + (tau1.ln() - tau0.ln()) * w).exp()
}

/// Element-wise linear interpolation of two equally shaped vectors.
pub fn linear_vec(a: &[f64], b: &[f64], w: f64) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| linear(*x, *y, w)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_and_rejects() {
        let temps = [250.0, 300.0, 350.0];
        assert_eq!(bracket(&temps, 250.0, "f").unwrap(), (0, 0.0));
        assert_eq!(bracket(&temps, 275.0, "f").unwrap(), (0, 0.5));
        assert_eq!(bracket(&temps, 350.0, "f").unwrap(), (1, 1.0));
        assert!(matches!(bracket(&temps, 360.0, "f"), Err(CellError::OutOfRange { .. })));
        assert!(matches!(bracket(&temps, 240.0, "f"), Err(CellError::OutOfRange { .. })));
        // Arrhenius interpolation reproduces an exact Arrhenius law.
        let law = |t: f64| 1e-9 * (3000.0 / t).exp();
        let got = arrhenius(250.0, law(250.0), 350.0, law(350.0), 300.0);
        assert!((got / law(300.0) - 1.0).abs() < 1e-12);
    }
}

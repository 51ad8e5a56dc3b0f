//! The `population` section of a calibration file: the cell parameters of N device-mismatch
//! Monte Carlo samples of the circuit ([`crate::device::mismatch`]), each calibrated like the
//! nominal circuit, and their joint statistics.
//!
//! ```text
//! population
//!   seed              master seed of the mismatch draws (sample k: seed.child(Mismatch, k))
//!   source            what varied (Pelgrom A_VT and A_beta of each transistor's card)
//!   samples           per sample k = 1..N: at each calibrated temperature v0_v, v0_se_v,
//!                     vs_v, vs_se_v (V, named as in the nominal fits and results.csv),
//!                     correlation_time_s at V0, energy_per_sample_j
//!   variables         names of the joint variables: v0@T, vs@T, ln_tau@T for each T
//!   mean, covariance  their sample mean and covariance (N - 1 denominator)
//!   excluded          samples left out of the law, each with its index, the temperature
//!                     where it failed, a kind and the evidence: stuck_output or beyond_reach
//!                     for a sample whose P(1) never crosses 1/2 (no balance point to
//!                     calibrate: a yield loss, not an offset), calibration_failed for one
//!                     whose own calibration failed or gave an unusable parameter
//! ```
//!
//! The law (mean, covariance) is that of the usable samples: the population of working cells
//! after a yield screen. The yield is the fraction of samples with a balance point.
//!
//! ln tau rather than tau: the correlation time is Arrhenius-like, exponential in a barrier
//! that deviates linearly with the devices, so ln tau is the near-Gaussian variable.

use serde::{Deserialize, Serialize};

/// One calibrated temperature of one Monte Carlo sample (p-bit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleFit {
    pub temperature_k: f64,
    #[serde(rename = "v0_v", alias = "v0")]
    pub v0: f64,
    #[serde(rename = "v0_se_v", alias = "v0_se")]
    pub v0_se: f64,
    #[serde(rename = "vs_v", alias = "vs")]
    pub vs: f64,
    #[serde(rename = "vs_se_v", alias = "vs_se")]
    pub vs_se: f64,
    pub correlation_time_s: f64,
    pub energy_per_sample_j: f64,
}

impl SampleFit {
    /// Whether a population can use this fit: V0 finite, Vs and tau positive and finite
    /// (a correlation time beyond the run's reach is recorded as NaN or infinity).
    pub fn is_usable(&self) -> bool {
        let positive = |x: f64| x > 0.0 && x.is_finite();
        self.v0.is_finite() && positive(self.vs) && positive(self.correlation_time_s)
    }
}

/// One Monte Carlo sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSample {
    /// Monte Carlo index (1..=N; 0 is the nominal calibration).
    pub index: u64,
    /// One fit per calibrated temperature, in the file's temperature order.
    pub fits: Vec<SampleFit>,
}

/// Why a Monte Carlo sample has no balance point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionKind {
    /// P(1) hardly changes across the whole search: the output does not follow the latch.
    StuckOutput,
    /// P(1) moves towards 1/2 across the search but does not reach it: the balance point lies
    /// beyond `--mismatch-reach`.
    BeyondReach,
    /// The sample has a balance point, but its own calibration failed or gave an unusable
    /// parameter (no correlation time within `--max-time`, a fit that did not converge): a
    /// measurement left undone, not a yield loss.
    CalibrationFailed,
}

impl ExclusionKind {
    /// Whether the sample has no balance point (a yield loss).
    pub fn is_defect(self) -> bool {
        matches!(self, ExclusionKind::StuckOutput | ExclusionKind::BeyondReach)
    }
}

/// A Monte Carlo sample left out of the population, with the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludedSample {
    /// Monte Carlo index.
    pub index: u64,
    /// The temperature at which no balance point was found or the fit was unusable (none
    /// when the sample's calibration as a whole failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_k: Option<f64>,
    pub kind: ExclusionKind,
    /// The probes' evidence, in words (control values and P(1) at the ends of the search).
    pub reason: String,
}

/// The population of Monte Carlo samples and its joint statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    pub seed: u64,
    pub source: String,
    pub samples: Vec<PopulationSample>,
    pub variables: Vec<String>,
    pub mean: Vec<f64>,
    pub covariance: Vec<Vec<f64>>,
    /// Samples without a balance point, left out of the statistics (files written before
    /// this field read as none excluded).
    #[serde(default)]
    pub excluded: Vec<ExcludedSample>,
}

impl PopulationSample {
    /// The joint variables of this sample: (v0, vs, ln tau) per temperature.
    pub fn variables(&self) -> Vec<f64> {
        self.fits.iter().flat_map(|f| [f.v0, f.vs, f.correlation_time_s.ln()]).collect()
    }
}

impl Population {
    /// The population of `samples` (calibrated at `temperatures`) with its statistics.
    pub fn new(seed: u64, source: String, samples: Vec<PopulationSample>, temperatures: &[f64]) -> Self {
        let variables = temperatures
            .iter()
            .flat_map(|t| [format!("v0@{t}K"), format!("vs@{t}K"), format!("ln_tau@{t}K")])
            .collect::<Vec<_>>();
        let rows: Vec<Vec<f64>> = samples.iter().map(PopulationSample::variables).collect();
        let d = variables.len();
        let n = rows.len() as f64;
        let mean: Vec<f64> = (0..d).map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n).collect();
        let covariance = (0..d)
            .map(|i| {
                (0..d)
                    .map(|j| {
                        let s: f64 = rows.iter().map(|r| (r[i] - mean[i]) * (r[j] - mean[j])).sum();
                        if rows.len() > 1 { s / (n - 1.0) } else { 0.0 }
                    })
                    .collect()
            })
            .collect();
        Population { seed, source, samples, variables, mean, covariance, excluded: Vec::new() }
    }

    /// The fraction of Monte Carlo samples that have a balance point (1 when none is excluded;
    /// samples left out only because their calibration failed count as having one).
    pub fn yield_fraction(&self) -> f64 {
        let total = self.samples.len() + self.excluded.len();
        let defects = self.excluded.iter().filter(|e| e.kind.is_defect()).count();
        if total == 0 { 0.0 } else { (total - defects) as f64 / total as f64 }
    }

    /// Consistency: the samples, the variables and the statistics agree with `temperatures`.
    pub fn validate(&self, temperatures: &[f64]) -> Result<(), String> {
        let d = 3 * temperatures.len();
        if self.samples.is_empty() {
            return Err("population has no samples".into());
        }
        if self.variables.len() != d || self.mean.len() != d || self.covariance.iter().any(|r| r.len() != d) {
            return Err(format!(
                "population statistics must have {d} variables (v0, vs, ln_tau per temperature)"
            ));
        }
        if self.covariance.len() != d {
            return Err(format!("population covariance must be {d} x {d}"));
        }
        for s in &self.samples {
            if s.fits.len() != temperatures.len()
                || s.fits.iter().zip(temperatures).any(|(f, t)| (f.temperature_k - t).abs() > 1e-9)
            {
                return Err(format!(
                    "population sample {} does not have one fit per calibrated temperature",
                    s.index
                ));
            }
            if s.fits.iter().any(|f| !f.is_usable()) {
                return Err(format!(
                    "population sample {} has a non-finite or non-positive parameter",
                    s.index
                ));
            }
        }
        if self.mean.iter().chain(self.covariance.iter().flatten()).any(|x| !x.is_finite()) {
            return Err("population statistics are not finite".into());
        }
        Ok(())
    }
}

//! The measured points of a calibration file: what one control setting at one temperature
//! measured, how hard the calibration worked for it, and the mixture fitted to an analog
//! point. Written by [`crate::calibrate`], read back with the rest of the file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How hard to work on each point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Precision {
    /// Target standard error of each probability (bit and category readouts), or of the
    /// mixture weight (analog readouts).
    pub target_se: f64,
    /// Runs per batch.
    pub batch_runs: usize,
    /// Cap on the simulated time per point, summed over runs (s).
    pub max_simulated: f64,
}

/// What one point measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointMeasurement {
    pub temperature_k: f64,
    /// Control parameter values (V) by name.
    pub controls: BTreeMap<String, f64>,
    /// Readout kind: "bit", "cat" or "analog".
    pub kind: String,
    /// Class probabilities (bit and category; state 0 first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<f64>>,
    /// Their standard errors; NaN (written as null) where a run never left its state.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nans_from_nulls")]
    pub probability_se: Option<Vec<f64>>,
    /// Analog readout samples' mean and standard deviation (V).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    /// Correlation time of the readout (s) and its standard error (Sokal's, for the
    /// windowed integral: tau sqrt(4 W / T), W = 6 tau the window); NaN (written as null)
    /// where the readout never changed.
    #[serde(deserialize_with = "nan_from_null")]
    pub correlation_time_s: f64,
    #[serde(deserialize_with = "nan_from_null")]
    pub correlation_time_se_s: f64,
    /// Mean dwell in each state (s); NaN for a state never left, which JSON writes as null.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nans_from_nulls")]
    pub mean_dwell_s: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switching_rate_hz: Option<f64>,
    /// Energy per independent sample: supply power times correlation time (J); NaN (null)
    /// with the correlation time.
    #[serde(deserialize_with = "nan_from_null")]
    pub energy_per_sample_j: f64,
    pub power_w: f64,
    /// Runs, total simulated time after warm-up (s), work (steps or events) and wall time.
    pub runs: usize,
    pub simulated_s: f64,
    pub work: u64,
    pub wall_s: f64,
    /// Whether the target precision was reached within the cap.
    pub precision_reached: bool,
    /// The two-component mixture fitted to the analog samples (p-MoG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixture: Option<MixtureRecord>,
    /// Analog readout values sampled about twice per correlation time (V), for mixture fits;
    /// not written to calibration files.
    #[serde(skip)]
    pub samples: Vec<f64>,
}

/// The two-component mixture fitted at one analog point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixtureRecord {
    /// Components ordered by mean: lower first.
    pub weights: [f64; 2],
    pub means: [f64; 2],
    pub stds: [f64; 2],
    pub weight_se: f64,
    pub mean_se: [f64; 2],
    pub std_se: [f64; 2],
    pub samples: usize,
    pub log_likelihood: f64,
}

/// A measured number as written: serde_json writes NaN (a quantity the run could not
/// measure) as null, so null reads back as NaN.
fn nan_from_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// [`nan_from_null`] for each entry of an optional list.
fn nans_from_nulls<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<f64>>, D::Error> {
    let values: Option<Vec<Option<f64>>> = Deserialize::deserialize(d)?;
    Ok(values.map(|v| v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect()))
}

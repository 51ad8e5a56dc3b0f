//! The calibration file of a Gaussian sampler circuit (a pair of coupled noisy nodes, such as
//! `circuits/gauss_pair.cir`): its measured mean vector and precision matrix as functions of
//! its controls, written by `pbitsim calibrate --gaussian` and read by the Gaussian chip. The
//! header is that of every calibration file (schema, version, `cell`: "gaussian", circuit with
//! its hashes and model cards); then:
//!
//! ```text
//! nodes, outputs    the circuit nodes (and the analog outputs reading them), in matrix order
//! controls          the swept parameters (a grid, first varying slowest): name, start, stop,
//!                   count (V); every other parameter is fixed at circuit.parameters
//! temperature_k, seed, engine, method, dt_s, tstop_s, warmup_s, runs_per_point
//! points            per grid point, measured from transistor-level runs (SDE by default):
//!                     mean_v              node means (V)
//!                     covariance_v2       stationary covariance S (V^2)
//!                     precision_per_v2    Q = S^-1 (V^-2): the law is N(mean, Q^-1), i.e. the
//!                                         chip's Gaussian model with beta = 1, diagonal Q_ii,
//!                                         couplings J_ij = -Q_ij, fields b = Q mean
//!                     gyration_v2_per_s   (1/2) <v_a dv_b - v_b dv_a> / dt of the node pair
//!                     correlation_time_s  per node
//!                   each with its standard error (jackknife over the independent runs);
//!                   lna: the linear-noise covariance and gyration rate beside (pbitsim noise)
//! ```
//!
//! Between grid points a reader interpolates the precision and the mean multilinearly
//! ([`GaussianCalibration::at`]); the precision rather than the covariance because it varies
//! more nearly linearly with the supplies (the conductances add in it).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::schema::{CalibrationError, CellKind, CircuitInfo, SweepAxis, invalid, parse_checked};

/// The linear-noise analysis at a point, for comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearNoise {
    pub mean_v: Vec<f64>,
    pub covariance_v2: Vec<Vec<f64>>,
    pub gyration_v2_per_s: f64,
}

/// What one control setting measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaussianPoint {
    /// Control values (V) by name.
    pub controls: BTreeMap<String, f64>,
    pub mean_v: Vec<f64>,
    pub mean_se_v: Vec<f64>,
    pub covariance_v2: Vec<Vec<f64>>,
    pub covariance_se_v2: Vec<Vec<f64>>,
    pub precision_per_v2: Vec<Vec<f64>>,
    pub precision_se_per_v2: Vec<Vec<f64>>,
    pub gyration_v2_per_s: f64,
    pub gyration_se_v2_per_s: f64,
    /// Sampling interval of the gyration estimate (its bias is O(interval / tau)).
    pub gyration_interval_s: f64,
    pub correlation_time_s: Vec<f64>,
    pub power_w: f64,
    /// The linear-noise analysis at the same controls (absent if it has no stable point).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lna: Option<LinearNoise>,
    pub runs: usize,
    pub simulated_s: f64,
    pub wall_s: f64,
}

/// A whole Gaussian calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaussianCalibration {
    pub schema: String,
    pub version: u32,
    pub created_by: String,
    pub cell: CellKind,
    pub circuit: CircuitInfo,
    pub nodes: Vec<String>,
    pub outputs: Vec<String>,
    pub controls: Vec<SweepAxis>,
    pub temperature_k: f64,
    pub seed: u64,
    pub engine: String,
    pub method: String,
    pub dt_s: f64,
    pub tstop_s: f64,
    pub warmup_s: f64,
    pub runs_per_point: usize,
    pub points: Vec<GaussianPoint>,
}

/// The law at one control setting, interpolated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GaussianLaw {
    pub controls: BTreeMap<String, f64>,
    pub mean_v: Vec<f64>,
    pub precision_per_v2: Vec<Vec<f64>>,
    /// Standard errors carried through the interpolation, the grid points taken as
    /// independent: sqrt(sum_k w_k^2 se_k^2).
    pub mean_se_v: Vec<f64>,
    pub precision_se_per_v2: Vec<Vec<f64>>,
    pub covariance_se_v2: Vec<Vec<f64>>,
    pub gyration_v2_per_s: f64,
    pub gyration_se_v2_per_s: f64,
}

impl GaussianCalibration {
    /// Read and validate a Gaussian calibration file.
    pub fn load(path: &Path) -> Result<GaussianCalibration, CalibrationError> {
        let calibration: GaussianCalibration = parse_checked(path, CellKind::Gaussian)?;
        calibration.validate().map_err(|m| invalid(path, m))?;
        Ok(calibration)
    }

    /// One point per grid node in grid order, square matrices of the node count, finite.
    pub fn validate(&self) -> Result<(), String> {
        let n = self.nodes.len();
        let expected: usize = self.controls.iter().map(|c| c.count.max(1)).product();
        if self.points.len() != expected {
            return Err(format!("{} points for a grid of {expected}", self.points.len()));
        }
        for (k, p) in self.points.iter().enumerate() {
            let square = |m: &Vec<Vec<f64>>| m.len() == n && m.iter().all(|r| r.len() == n);
            let finite = |m: &Vec<Vec<f64>>| m.iter().flatten().all(|x| x.is_finite());
            if p.mean_v.len() != n
                || !square(&p.covariance_v2)
                || !square(&p.precision_per_v2)
                || !finite(&p.precision_per_v2)
                || !finite(&p.precision_se_per_v2)
            {
                return Err(format!("point {k}: expected {n} means and {n}x{n} finite matrices"));
            }
            for c in &self.controls {
                if !p.controls.contains_key(&c.name) {
                    return Err(format!("point {k} lacks control '{}'", c.name));
                }
            }
        }
        Ok(())
    }

    /// The law at `controls` (every swept control; any other name must be a circuit parameter
    /// at its calibrated value): the precision and the mean interpolated multilinearly between
    /// the grid points around it. Outside the grid is an error.
    pub fn at(&self, controls: &BTreeMap<String, f64>) -> Result<GaussianLaw, String> {
        for (name, v) in controls {
            if self.controls.iter().any(|c| &c.name == name) {
                continue;
            }
            match self.circuit.parameters.get(name) {
                Some(fixed) if (fixed - v).abs() <= 1e-12 * fixed.abs().max(1.0) => {}
                Some(fixed) => {
                    return Err(format!(
                        "control {name} = {v}: the calibration holds it at {fixed} (it sweeps {}); recalibrate with --sweep {name}=...",
                        self.swept()
                    ));
                }
                None => return Err(format!("control {name}: not a parameter of {}", self.circuit.path)),
            }
        }
        // Per axis: the lower grid index and the weight of the upper one.
        let mut cells = Vec::new();
        for axis in &self.controls {
            let v = *controls.get(&axis.name).ok_or_else(|| {
                format!("control {} is not given; the calibration needs {}", axis.name, self.swept())
            })?;
            let (lo, hi) = (axis.start.min(axis.stop), axis.start.max(axis.stop));
            let slack = 1e-9 * (hi - lo);
            if !(v >= lo - slack && v <= hi + slack) {
                return Err(format!(
                    "control {} = {v} V is outside the calibrated range {lo} to {hi} V",
                    axis.name
                ));
            }
            let span = (axis.count.max(2) - 1) as f64;
            let x = ((v - axis.start) / (axis.stop - axis.start) * span).clamp(0.0, span);
            let i = (x.floor() as usize).min(axis.count.max(2) - 2);
            cells.push((i, x - i as f64, axis.count));
        }
        let n = self.nodes.len();
        let zero_m = || vec![vec![0.0; n]; n];
        let (mut mean, mut mean_se) = (vec![0.0; n], vec![0.0; n]);
        let (mut q, mut q_se, mut s_se) = (zero_m(), zero_m(), zero_m());
        let (mut gyration, mut gyration_se) = (0.0, 0.0);
        for corner in 0..1usize << cells.len() {
            let (mut index, mut weight) = (0usize, 1.0);
            for (axis, &(i, w, count)) in cells.iter().enumerate() {
                let up = (corner >> (cells.len() - 1 - axis)) & 1 == 1;
                index = index * count + (i + up as usize).min(count - 1);
                weight *= if up { w } else { 1.0 - w };
            }
            if weight == 0.0 {
                continue;
            }
            let p = &self.points[index];
            for a in 0..n {
                mean[a] += weight * p.mean_v[a];
                mean_se[a] += (weight * p.mean_se_v[a]).powi(2);
                for b in 0..n {
                    q[a][b] += weight * p.precision_per_v2[a][b];
                    q_se[a][b] += (weight * p.precision_se_per_v2[a][b]).powi(2);
                    s_se[a][b] += (weight * p.covariance_se_v2[a][b]).powi(2);
                }
            }
            gyration += weight * p.gyration_v2_per_s;
            gyration_se += (weight * p.gyration_se_v2_per_s).powi(2);
        }
        let sqrt_all = |m: Vec<Vec<f64>>| -> Vec<Vec<f64>> {
            m.into_iter().map(|r| r.into_iter().map(f64::sqrt).collect()).collect()
        };
        Ok(GaussianLaw {
            controls: controls.clone(),
            mean_v: mean,
            precision_per_v2: q,
            mean_se_v: mean_se.into_iter().map(f64::sqrt).collect(),
            precision_se_per_v2: sqrt_all(q_se),
            covariance_se_v2: sqrt_all(s_se),
            gyration_v2_per_s: gyration,
            gyration_se_v2_per_s: gyration_se.sqrt(),
        })
    }

    fn swept(&self) -> String {
        let names: Vec<&str> = self.controls.iter().map(|c| c.name.as_str()).collect();
        names.join(", ")
    }
}

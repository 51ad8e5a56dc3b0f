//! Linear-noise analysis (`pbitsim noise`): van Kampen's linear-noise approximation around
//! a stable DC operating point V* (PHYSICS.md section 9).
//!
//! Small fluctuations x = V - V* obey dx = A x dt + B dW with
//! - A the Jacobian of the drift at V* (A = C^{-1} dI/dV, [`CircuitSde`]'s own Jacobian), and
//! - D = B B^T from the SDE engine's own diffusion at V* ([`System::diffusion`], without the
//!   O(q/C) midpoint shifts): each device's two-sided current-noise intensity
//!   q F (Phi_F + Phi_R) (PHYSICS.md 2.2; 2kT/R for a resistor at its own temperature) mapped
//!   onto the nodes through C^{-1} D_k,
//!
//! so that the analysis and the SDE engine describe the same noise. The stationary covariance
//! S solves A S + S A^T + D = 0 ([`lyapunov`]); at equilibrium S = kT C^{-1} exactly. From it:
//! - per node: variance S_ii, effective temperature T_eff = C_node S_ii / k with
//!   C_node = 1 / (C^{-1})_ii (so T_eff = T for every node at equilibrium, coupled or not),
//!   correlation time tau_i = (-A^{-1} S)_ii / S_ii (the integral of the normalised
//!   autocorrelation e^{A s} S, as `simulate` measures it), and the one-sided PSD
//!   S_i(f) = 2 [(i w - A)^{-1} D (i w - A)^{-H}]_ii, w = 2 pi f (V^2/Hz; an RC node gives
//!   4kTR / (1 + (w R C)^2));
//! - per node pair: the mean stochastic-area (gyration) rate L = (A S - S A^T) / 2, with
//!   L_ji = (1/2) <x_i dx_j - x_j dx_i> / dt (V^2/s): zero at equilibrium, not zero when
//!   the nodes run at different effective temperatures (Brownian gyrator).

pub mod lyapunov;

use std::collections::BTreeMap;

use nalgebra::{Complex, DMatrix};
use serde::Serialize;

use crate::circuit::{Circuit, CircuitSde};
use crate::op::{OperatingPoint, Stability};
use crate::sde::System;
use crate::units::BOLTZMANN;

/// A covariance matrix with its node names (V^2), the `covariance` key of a summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Covariance {
    pub nodes: Vec<String>,
    pub matrix: Vec<Vec<f64>>,
}

/// What the analysis says about one node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeNoise {
    /// Operating-point voltage (V).
    pub mean_v: f64,
    pub variance_v2: f64,
    pub std_v: f64,
    /// 1 / (C^{-1})_ii (F).
    pub capacitance_f: f64,
    pub effective_temperature_k: f64,
    pub correlation_time_s: f64,
}

/// The gyration (stochastic-area) rate of a node pair: (1/2) <v_a dv_b - v_b dv_a> / dt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gyration {
    pub nodes: [String; 2],
    pub rate_v2_per_s: f64,
}

/// One-sided power spectral densities of the node voltages (V^2/Hz).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spectra {
    pub frequency_hz: Vec<f64>,
    pub nodes: BTreeMap<String, Vec<f64>>,
}

/// The result of a noise analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoiseAnalysis {
    pub title: String,
    pub temperature_k: f64,
    /// Which equilibrium of `operating_point.equilibria` the analysis is at.
    pub equilibrium: usize,
    pub operating_point: OperatingPoint,
    pub covariance: Covariance,
    pub nodes: BTreeMap<String, NodeNoise>,
    pub gyration: Vec<Gyration>,
    pub psd: Spectra,
    /// Drift Jacobian A (1/s) and diffusion matrix D (V^2/s), node order as `covariance`.
    pub drift_jacobian: Vec<Vec<f64>>,
    pub diffusion: Vec<Vec<f64>>,
}

fn rows(m: &DMatrix<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows()).map(|i| m.row(i).iter().copied().collect()).collect()
}

/// A (1/s) and D (V^2/s) at free-node voltages `v`, from the SDE engine's own Jacobian and
/// diffusion, with the midpoint shifts of the fluxes removed (they are O(q/C), beyond the
/// linear-noise approximation; with them an RC node would come out at kT/C (1 - q/(4 C U_T))
/// instead of kT/C). Flicker traps are left out: the result is the white (shot and thermal)
/// noise of the devices and resistors.
pub fn linearise(circuit: &Circuit, v: &[f64]) -> (DMatrix<f64>, DMatrix<f64>) {
    let mut plain = circuit.clone();
    for device in &mut plain.devices {
        device.half_jump.iter_mut().for_each(|h| *h = 0.0);
    }
    plain.log_linear = crate::circuit::fluxes::LogLinearFluxes::new(&plain);
    let circuit = &plain;
    let sys = CircuitSde::new(circuit);
    let n = circuit.free_count();
    let dim = sys.dim();
    // The state is the node voltages, the supply energy, then any flicker traps (at rest:
    // the traps are slow noise sources of their own, left out of this white-noise analysis).
    let mut x = v.to_vec();
    x.resize(dim, 0.0);
    let mut jac = vec![0.0; dim * dim];
    let mut scratch = vec![0.0; dim];
    sys.drift_jacobian(0.0, &x, &mut jac, &mut scratch);
    let a = DMatrix::from_fn(n, n, |i, j| jac[i * dim + j]);
    let m = sys.noise_dim();
    let mut g = vec![0.0; dim * m];
    sys.diffusion(0.0, &x, &mut g);
    let b = DMatrix::from_fn(n, m, |i, k| g[i * m + k]);
    (a, &b * b.transpose())
}

/// One-sided PSD of every node at angular frequency `w`: the diagonal of
/// 2 (i w - A)^{-1} D (i w - A)^{-H}.
fn psd_at(a: &DMatrix<f64>, d: &DMatrix<f64>, w: f64) -> Option<Vec<f64>> {
    let n = a.nrows();
    let m = DMatrix::from_fn(n, n, |i, j| Complex::new(-a[(i, j)], if i == j { w } else { 0.0 }));
    let h = m.lu().try_inverse()?;
    let dc = d.map(|x| Complex::new(x, 0.0));
    let p = &h * dc * h.adjoint();
    Some((0..n).map(|i| 2.0 * p[(i, i)].re).collect())
}

/// The analysis at equilibrium `which` of `op` (None: the primary point). It must be stable.
pub fn analyse(circuit: &Circuit, op: OperatingPoint, which: Option<usize>) -> Result<NoiseAnalysis, String> {
    let n = circuit.free_count();
    if n > lyapunov::MAX_NODES {
        return Err(format!(
            "the circuit has {n} free nodes; the linear-noise analysis solves up to {} (use pbitsim simulate)",
            lyapunov::MAX_NODES
        ));
    }
    let name = |s: Stability| format!("{s:?}").to_lowercase();
    let list = |op: &OperatingPoint| -> String {
        let parts: Vec<String> =
            op.equilibria.iter().enumerate().map(|(k, e)| format!("{k}: {}", name(e.stability))).collect();
        parts.join(", ")
    };
    let (index, point) = match which {
        Some(k) => match op.equilibria.get(k) {
            Some(e) => (k, e.clone()),
            None => {
                return Err(format!(
                    "--point {k}: only {} equilibria were found ({})",
                    op.equilibria.len(),
                    list(&op)
                ));
            }
        },
        None => {
            let k = op.equilibria.iter().position(|e| e.voltages == op.primary.voltages).unwrap_or(0);
            (k, op.primary.clone())
        }
    };
    if point.stability != Stability::Stable {
        return Err(format!(
            "equilibrium {index} is {}: the linear-noise approximation needs a stable point (no covariance \
             exists at an unstable or marginal one); choose a stable one with --point K from: {}",
            name(point.stability),
            list(&op)
        ));
    }
    let (a, d) = linearise(circuit, &point.voltages);
    let s = lyapunov::solve(&a, &d).ok_or_else(|| {
        "the Lyapunov equation has no unique solution at this point (the drift Jacobian is singular); \
         a node without a conducting path has no stationary covariance"
            .to_string()
    })?;
    let a_inv = a.clone().try_inverse().ok_or("the drift Jacobian is singular")?;
    let integral = -(&a_inv * &s);
    let mut nodes = BTreeMap::new();
    let mut slowest = 0.0f64;
    let mut fastest = f64::INFINITY;
    for (i, name) in circuit.free_names.iter().enumerate() {
        let variance = s[(i, i)];
        let c_node = 1.0 / circuit.capacitance.c_inv[(i, i)];
        let tau = integral[(i, i)] / variance;
        slowest = slowest.max(tau.abs());
        fastest = fastest.min(tau.abs());
        nodes.insert(
            name.clone(),
            NodeNoise {
                mean_v: point.voltages[i],
                variance_v2: variance,
                std_v: variance.sqrt(),
                capacitance_f: c_node,
                effective_temperature_k: c_node * variance / BOLTZMANN,
                correlation_time_s: tau,
            },
        );
    }
    let l = (&a * &s - &s * a.transpose()) * 0.5;
    let mut gyration = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            gyration.push(Gyration {
                nodes: [circuit.free_names[i].clone(), circuit.free_names[j].clone()],
                rate_v2_per_s: l[(j, i)],
            });
        }
    }
    let psd = spectra(circuit, &a, &d, fastest, slowest)?;
    Ok(NoiseAnalysis {
        title: circuit.title.clone(),
        temperature_k: circuit.temperature,
        equilibrium: index,
        operating_point: op,
        covariance: Covariance { nodes: circuit.free_names.clone(), matrix: rows(&s) },
        nodes,
        gyration,
        psd,
        drift_jacobian: rows(&a),
        diffusion: rows(&d),
    })
}

/// PSDs on 200 log-spaced frequencies from 1e-3 / (2 pi tau_slowest) to 1e3 / (2 pi tau_fastest).
fn spectra(
    circuit: &Circuit,
    a: &DMatrix<f64>,
    d: &DMatrix<f64>,
    fastest: f64,
    slowest: f64,
) -> Result<Spectra, String> {
    let (low, high) = (1e-3 / (std::f64::consts::TAU * slowest), 1e3 / (std::f64::consts::TAU * fastest));
    let count = 200;
    let frequency_hz: Vec<f64> =
        (0..count).map(|k| low * (high / low).powf(k as f64 / (count - 1) as f64)).collect();
    let mut nodes: BTreeMap<String, Vec<f64>> =
        circuit.free_names.iter().map(|name| (name.clone(), Vec::with_capacity(count))).collect();
    for f in &frequency_hz {
        let p = psd_at(a, d, std::f64::consts::TAU * f).ok_or("the PSD is singular at some frequency")?;
        for (i, name) in circuit.free_names.iter().enumerate() {
            nodes.get_mut(name).expect("every node").push(p[i]);
        }
    }
    Ok(Spectra { frequency_hz, nodes })
}

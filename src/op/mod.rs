//! The DC operating point (`.op`, `pbitsim op`): the free-node voltages at which the drift
//! of the circuit SDE (PHYSICS.md 2.2, without noise and without the O(q/C) midpoint shifts)
//! vanishes, i.e. Kirchhoff's current law with the devices' mean currents, found by
//! [`newton`] (Newton, then gmin stepping, then source stepping, then pseudo-transient).
//!
//! Choices, as a SPICE user expects them:
//! - The reported point (the *primary* point, where `.tran` starts unless `uic`) is the one
//!   Newton reaches from the circuit's zero-charge state, with `.ic` nodes held at their
//!   values while it is solved and released afterwards (SPICE's `.ic` without `uic`).
//! - A circuit may have several equilibria (a latch has two stable states and a saddle).
//!   Plain Newton is also started from the corners of the supply box (every free node at the
//!   lowest or the highest source voltage; all 2^n corners up to 8 free nodes, else 256 of
//!   them chosen by a fixed hash) and from the middle, with no node held; the distinct
//!   solutions are classified by the eigenvalues of the drift Jacobian A = C^{-1} dI/dV:
//!   stable (all real parts negative), unstable (one positive) or marginal. When more than
//!   one is stable, the report says so. The primary point is still where `.tran` starts:
//!   for a symmetric latch it is the saddle between the two states, so the noise chooses
//!   the state without bias (start in one state with `.ic`).

pub mod newton;

use nalgebra::DMatrix;
use serde::Serialize;

use crate::circuit::{Circuit, DeviceKind, NodeRef};
use crate::device::Terminals;
pub use newton::Method;

/// Two solutions closer than this on every node are the same point (V).
const SAME_POINT: f64 = 1e-6;
/// At most this many corners are tried.
const MAX_STARTS: usize = 256;

/// Stability of an equilibrium of the drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stability {
    Stable,
    Unstable,
    /// An eigenvalue with zero real part (a node with no conducting path keeps its charge).
    Marginal,
}

/// The current through a conducting element at a point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceCurrent {
    pub name: String,
    /// Into the drain (transistor) or into the first terminal (resistor), A (SPICE's sign).
    pub current_a: f64,
}

/// One equilibrium.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Equilibrium {
    /// Free-node voltages, in the circuit's node order (V).
    pub voltages: Vec<f64>,
    pub stability: Stability,
    /// Eigenvalues of the drift Jacobian, (real, imaginary), 1/s, largest real part first.
    pub eigenvalues: Vec<(f64, f64)>,
}

/// What `.op` finds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatingPoint {
    pub nodes: Vec<String>,
    /// The primary point: where `.tran` starts unless `uic`.
    pub primary: Equilibrium,
    pub method: Method,
    /// The nodes held at their `.ic` values while the primary point was solved.
    pub held: Vec<String>,
    pub devices: Vec<DeviceCurrent>,
    /// Every distinct equilibrium found (the primary first when no node is held).
    pub equilibria: Vec<Equilibrium>,
    /// More than one stable equilibrium was found.
    pub multistable: bool,
}

/// The drift Jacobian A = C^{-1} dI/dV at `v` (1/s).
pub fn drift_jacobian(circuit: &Circuit, v: &[f64]) -> DMatrix<f64> {
    let held = vec![false; circuit.free_count()];
    let (_, g, _) = newton::Kcl { circuit, held: &held, gmin: 0.0 }.evaluate(v);
    &circuit.capacitance.c_inv * g
}

/// Classify the equilibrium at `v` by the eigenvalues of the drift Jacobian.
pub fn classify(circuit: &Circuit, v: &[f64]) -> Equilibrium {
    let a = drift_jacobian(circuit, v);
    let mut eigenvalues: Vec<(f64, f64)> = a.complex_eigenvalues().iter().map(|z| (z.re, z.im)).collect();
    eigenvalues.sort_by(|x, y| y.0.total_cmp(&x.0));
    let scale = eigenvalues.iter().fold(0.0f64, |m, z| m.max(z.0.hypot(z.1)));
    let zero = 1e-9 * scale;
    let stability = match eigenvalues.first() {
        None => Stability::Stable,
        Some(&(re, _)) if re > zero => Stability::Unstable,
        Some(&(re, _)) if re >= -zero => Stability::Marginal,
        _ => Stability::Stable,
    };
    Equilibrium { voltages: v.to_vec(), stability, eigenvalues }
}

/// Currents through the conducting elements at `v`.
pub fn device_currents(circuit: &Circuit, v: &[f64]) -> Vec<DeviceCurrent> {
    circuit
        .devices
        .iter()
        .map(|d| {
            let at = |k: usize| circuit.voltage(d.terminals[k], v);
            let current_a = match &d.kind {
                DeviceKind::Mosfet(t) => {
                    t.evaluate(&Terminals { d: at(0), g: at(1), s: at(2), b: at(3) }).i_d
                }
                DeviceKind::Resistor { ohms, .. } => (at(0) - at(1)) / ohms,
            };
            DeviceCurrent { name: d.name.clone(), current_a }
        })
        .collect()
}

/// The starting states of the search: the corners of the supply box and its middle.
fn corners(circuit: &Circuit) -> Vec<Vec<f64>> {
    let n = circuit.free_count();
    let low = circuit.fixed_voltages.iter().copied().fold(0.0f64, f64::min);
    let high = circuit.fixed_voltages.iter().copied().fold(0.0f64, f64::max);
    let mut starts = vec![vec![0.5 * (low + high); n]];
    let count = if n < 8 { 1usize << n } else { MAX_STARTS };
    for c in 0..count {
        // Up to 8 nodes, corner c sets node i high when bit i is set; beyond, a fixed hash.
        let bits = if n < 8 { c as u64 } else { crate::device::mismatch::name_key(&format!("corner{c}")) };
        starts.push((0..n).map(|i| if (bits >> (i % 64)) & 1 == 1 { high } else { low }).collect());
    }
    starts
}

/// The primary operating point of `circuit`: from its zero-charge state, with the nodes
/// named in `held_nodes` held at their initial (`.ic`) values. Also says which nodes were held.
pub fn primary(circuit: &Circuit, held_nodes: &[String]) -> Result<(Vec<f64>, Method, Vec<bool>), String> {
    let mut held = vec![false; circuit.free_count()];
    let mut start = circuit.zero_charge_voltages();
    for name in held_nodes {
        if let Some(NodeRef::Free(i)) = circuit.node(name) {
            held[i] = true;
            start[i] = circuit.initial[i];
        }
    }
    let (v, method) = newton::solve(circuit, &held, &start)?;
    Ok((v, method, held))
}

/// Find the operating point of `circuit`: the [`primary`] point and every distinct
/// equilibrium Newton reaches from the corners (see the module doc).
pub fn find(circuit: &Circuit, held_nodes: &[String]) -> Result<OperatingPoint, String> {
    let n = circuit.free_count();
    let (v, method, held) = primary(circuit, held_nodes)?;
    let primary = classify(circuit, &v);
    let mut equilibria: Vec<Equilibrium> = Vec::new();
    if !held.iter().any(|h| *h) {
        equilibria.push(primary.clone());
    }
    let free = vec![false; n];
    for s in corners(circuit) {
        let Some(found) = newton::newton(circuit, &free, &s) else { continue };
        let known =
            equilibria.iter().any(|e| e.voltages.iter().zip(&found).all(|(a, b)| (a - b).abs() < SAME_POINT));
        if !known {
            equilibria.push(classify(circuit, &found));
        }
    }
    let multistable = equilibria.iter().filter(|e| e.stability == Stability::Stable).count() > 1;
    Ok(OperatingPoint {
        nodes: circuit.free_names.clone(),
        devices: device_currents(circuit, &v),
        primary,
        method,
        held: held_nodes.to_vec(),
        equilibria,
        multistable,
    })
}

//! Newton's method on Kirchhoff's current law with the devices' mean currents,
//!
//!   F(V) = sum_k D_k I_k(V) + sum_s (e_minus - e_plus) I_s - g_min V = 0,
//!
//! over the free nodes that are not held (F in amperes, D_k the incidence of device k, I_k its
//! net current without noise or midpoint shifts: the drift of the circuit SDE of PHYSICS.md
//! 2.2 times C, set to zero). Steps are limited to [`MAX_STEP`] per node (the exponential laws
//! overflow on a free Newton step). When plain Newton fails, the two SPICE homotopies follow:
//! gmin stepping (a conductance from every free node to ground, lowered decade by decade to
//! zero) and source stepping (every source scaled from 0, where all nodes sit at 0 V, to its
//! value); last, the pseudo-transient continuation of [`crate::circuit::operating_point`].

use nalgebra::{DMatrix, DVector};

use crate::circuit::{Circuit, NodeRef};

/// Largest Newton step per node and iteration (V): about 4 U_T at 300 K.
pub const MAX_STEP: f64 = 0.1;
/// Converged when the last full step moved no node by more than this (V) ...
const STEP_TOLERANCE: f64 = 1e-9;
/// ... and every node's residual is below this fraction of the current through it, plus
/// [`CURRENT_FLOOR`].
const RELATIVE_RESIDUAL: f64 = 1e-9;
const CURRENT_FLOOR: f64 = 1e-21;
const MAX_ITERATIONS: usize = 200;

/// How the point was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Newton,
    GminStepping,
    SourceStepping,
    PseudoTransient,
}

/// The equations: the circuit (sources possibly scaled), the held nodes and g_min.
pub struct Kcl<'a> {
    pub circuit: &'a Circuit,
    /// Free nodes held at their starting value (`.ic` without `uic`).
    pub held: &'a [bool],
    pub gmin: f64,
}

impl Kcl<'_> {
    /// Net current into each free node (A), the Jacobian dF/dV (S), and the sum of the
    /// magnitudes of the currents through each node (A; the scale of its residual).
    pub fn evaluate(&self, v: &[f64]) -> (DVector<f64>, DMatrix<f64>, DVector<f64>) {
        let c = self.circuit;
        let n = c.free_count();
        let mut f = DVector::zeros(n);
        let mut jac = DMatrix::zeros(n, n);
        let mut scale = DVector::zeros(n);
        let mut grad = vec![0.0; n];
        for device in &c.devices {
            let current = c.current_gradient(device, v, &mut grad);
            for (node, sign) in [(device.to, 1.0), (device.from, -1.0)] {
                if let NodeRef::Free(i) = node {
                    f[i] += sign * current;
                    scale[i] += current.abs();
                    for (j, g) in grad.iter().enumerate() {
                        jac[(i, j)] += sign * g;
                    }
                }
            }
        }
        for s in &c.current_sources {
            for (node, sign) in [(s.minus, 1.0), (s.plus, -1.0)] {
                if let NodeRef::Free(i) = node {
                    f[i] += sign * s.amps;
                    scale[i] += s.amps.abs();
                }
            }
        }
        for i in 0..n {
            f[i] -= self.gmin * v[i];
            jac[(i, i)] -= self.gmin;
        }
        (f, jac, scale)
    }

    /// Damped Newton from `v` (held nodes untouched); true if it converged.
    pub fn solve(&self, v: &mut [f64]) -> bool {
        let free: Vec<usize> = (0..v.len()).filter(|&i| !self.held[i]).collect();
        let m = free.len();
        if m == 0 {
            return true;
        }
        for _ in 0..MAX_ITERATIONS {
            let (f, jac, scale) = self.evaluate(v);
            let reduced = DMatrix::from_fn(m, m, |a, b| jac[(free[a], free[b])]);
            let rhs = DVector::from_fn(m, |a, _| -f[free[a]]);
            let Some(step) = reduced.lu().solve(&rhs) else { return false };
            let largest = step.iter().fold(0.0f64, |a, s| a.max(s.abs()));
            if !largest.is_finite() {
                return false;
            }
            let small_residual =
                free.iter().all(|&i| f[i].abs() <= RELATIVE_RESIDUAL * scale[i] + CURRENT_FLOOR);
            if largest < STEP_TOLERANCE && small_residual {
                return true;
            }
            let factor = if largest > MAX_STEP { MAX_STEP / largest } else { 1.0 };
            for (a, &i) in free.iter().enumerate() {
                v[i] += factor * step[a];
            }
        }
        false
    }
}

/// The circuit with every source (voltage and current) scaled by `alpha`.
fn scaled(circuit: &Circuit, alpha: f64) -> Circuit {
    let mut c = circuit.clone();
    for v in &mut c.fixed_voltages {
        *v *= alpha;
    }
    for s in &mut c.current_sources {
        s.amps *= alpha;
    }
    c
}

/// Plain Newton from `start`.
pub fn newton(circuit: &Circuit, held: &[bool], start: &[f64]) -> Option<Vec<f64>> {
    let mut v = start.to_vec();
    Kcl { circuit, held, gmin: 0.0 }.solve(&mut v).then_some(v)
}

/// Gmin stepping from `start`: g_min from 1 mS down by decades (finer when a step fails) to
/// 1e-18 S, then zero.
fn gmin_stepping(circuit: &Circuit, held: &[bool], start: &[f64]) -> Option<Vec<f64>> {
    let mut v = start.to_vec();
    let mut gmin = 1e-3;
    if !(Kcl { circuit, held, gmin }).solve(&mut v) {
        return None;
    }
    let mut factor: f64 = 10.0;
    while gmin > 1e-18 {
        let next = gmin / factor;
        let mut trial = v.clone();
        if (Kcl { circuit, held, gmin: next }).solve(&mut trial) {
            v = trial;
            gmin = next;
            factor = (factor * factor).min(10.0);
        } else {
            factor = factor.sqrt();
            if factor < 1.001 {
                return None;
            }
        }
    }
    (Kcl { circuit, held, gmin: 0.0 }).solve(&mut v).then_some(v)
}

/// Source stepping: every source from 0 (all nodes, held ones included, at 0 V scaled with
/// them) to its value.
fn source_stepping(circuit: &Circuit, held: &[bool], start: &[f64]) -> Option<Vec<f64>> {
    let mut v: Vec<f64> = vec![0.0; start.len()];
    let (mut alpha, mut step) = (0.0f64, 0.1f64);
    while alpha < 1.0 {
        let next = (alpha + step).min(1.0);
        let c = scaled(circuit, next);
        let mut trial = v.clone();
        for i in (0..v.len()).filter(|&i| held[i]) {
            trial[i] = next * start[i];
        }
        if (Kcl { circuit: &c, held, gmin: 0.0 }).solve(&mut trial) {
            v = trial;
            alpha = next;
            step = (step * 2.0).min(0.25);
        } else {
            step /= 2.0;
            if step < 1e-4 {
                return None;
            }
        }
    }
    Some(v)
}

/// The operating point nearest `start` by the first method that converges: Newton, gmin
/// stepping, source stepping, then (with no node held) the pseudo-transient continuation.
pub fn solve(circuit: &Circuit, held: &[bool], start: &[f64]) -> Result<(Vec<f64>, Method), String> {
    if let Some(v) = newton(circuit, held, start) {
        return Ok((v, Method::Newton));
    }
    if let Some(v) = gmin_stepping(circuit, held, start) {
        return Ok((v, Method::GminStepping));
    }
    if let Some(v) = source_stepping(circuit, held, start) {
        return Ok((v, Method::SourceStepping));
    }
    if !held.iter().any(|h| *h) {
        let mut anchored = circuit.clone();
        anchored.initial = start.to_vec();
        if let Ok(v) = crate::circuit::operating_point::dc_operating_point(&anchored) {
            return Ok((v, Method::PseudoTransient));
        }
    }
    Err("no DC operating point found: Newton, gmin stepping, source stepping and the pseudo-transient \
         continuation all failed; check for a node driven without bound (a current source into a node with \
         no conducting path), give .ic voltages near the expected point, or run .tran with uic"
        .to_string())
}

//! The DC operating point: the free-node voltages at which the net conducted current into
//! every free node vanishes, I(V) = 0 (noise and the O(q/C) midpoint shifts left out).
//!
//! It is found by a Newton homotopy anchored at the circuit's initial state V_0 (its `.ic`
//! voltages, else its zero-charge state): solve
//!
//!   V - V_0 - h C^{-1} I(V) = 0
//!
//! for h growing geometrically from 1e-15 s to 1e3 s, each solve starting from the last. At
//! small h the solution is V_0; as h grows it follows the zeros continuously, and at h = 1e3 s
//! it is the operating point, except for nodes with no conducting path, which keep their
//! initial charge. Started from a symmetric state, a symmetric latch stays at its metastable
//! point, so a control that tilts it moves the point continuously (what a constant
//! capacitance matrix evaluated there needs).

use nalgebra::{DMatrix, DVector};

use super::model::Circuit;

/// Largest Newton step per node and iteration (V).
const MAX_STEP: f64 = 0.05;

/// Free-node voltage rates C^{-1} I(V) (V/s) and their Jacobian (1/s), without midpoint shifts.
fn rates(circuit: &Circuit, v: &[f64]) -> (DVector<f64>, DMatrix<f64>) {
    let n = circuit.free_count();
    let mut r = DVector::zeros(n);
    let mut jac = DMatrix::zeros(n, n);
    let mut grad = vec![0.0; n];
    for device in &circuit.devices {
        let current = circuit.current_gradient(device, v, &mut grad);
        for i in 0..n {
            r[i] += device.dv[i] * current;
            for (j, g) in grad.iter().enumerate() {
                jac[(i, j)] += device.dv[i] * g;
            }
        }
    }
    for s in &circuit.current_sources {
        for i in 0..n {
            r[i] += s.dv[i] * s.amps;
        }
    }
    (r, jac)
}

/// Newton on V - V_0 - h r(V) = 0 from `v`; true if it converged (1 nV).
fn solve(circuit: &Circuit, v0: &[f64], h: f64, v: &mut [f64]) -> bool {
    let n = v.len();
    for _ in 0..40 {
        let (r, jac) = rates(circuit, v);
        let residual = DVector::from_fn(n, |i, _| v[i] - v0[i] - h * r[i]);
        let matrix = DMatrix::identity(n, n) - jac * h;
        let Some(step) = matrix.lu().solve(&residual) else { return false };
        let largest = step.iter().fold(0.0f64, |a, s| a.max(s.abs()));
        if !largest.is_finite() {
            return false;
        }
        let scale = if largest > MAX_STEP { MAX_STEP / largest } else { 1.0 };
        for i in 0..n {
            v[i] -= scale * step[i];
        }
        if largest < 1e-9 {
            return true;
        }
    }
    false
}

/// The DC operating point of `circuit`, by the anchored homotopy above. An error says what
/// to do when it fails to converge.
pub fn dc_operating_point(circuit: &Circuit) -> Result<Vec<f64>, String> {
    let v0 = circuit.initial.clone();
    if v0.is_empty() {
        return Ok(v0);
    }
    let mut v = v0.clone();
    let (mut h, end) = (1e-15, 1e3);
    let mut growth: f64 = 4.0;
    while h < end {
        let next = (h * growth).min(end);
        let mut trial = v.clone();
        if solve(circuit, &v0, next, &mut trial) {
            v = trial;
            h = next;
            growth = (growth * 2.0).min(4.0);
        } else {
            growth = growth.sqrt();
            if growth < 1.0001 {
                return Err(format!(
                    "no DC operating point found for the device capacitances (the homotopy stalled at h = {h:.1e} s); \
                     fix the transistors' capacitances on their lines (cgs=, cgd=, cgb=, cdb=, csb=) or give .ic \
                     voltages nearer the operating point"
                ));
            }
        }
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err("the DC operating point has non-finite voltages".into());
    }
    Ok(v)
}

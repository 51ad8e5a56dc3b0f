//! Exact evaluation by enumeration (PHYSICS.md 11: up to about 24 free cells): the partition
//! function Z = sum_s exp(-beta E(s)) over every state of the free (unclamped) cells, and, if
//! asked, the exact moments <s_i> and <s_i s_j> that the likelihood gradient needs.
//!
//! The states are visited in Gray-code order, so each step flips one cell i and costs its
//! degree: E changes by 2 s_i u_i (u_i = h_i + sum_j J_ij s_j its local field, s_i before the
//! flip) and each neighbour's field by -2 s_i J_ij (s_i after). A first pass finds the lowest
//! energy E_min, a second sums w(s) = exp(-beta (E(s) - E_min)), so nothing overflows:
//! ln Z = -beta E_min + ln sum_s w(s).
//!
//! From it: ln p(v) = ln Z(v clamped) - ln Z (hidden cells summed out), the log-likelihood of
//! data and KL(data || model) = sum_v p_data(v) (ln p_data(v) - ln p(v)).

use super::TrainError;
use super::machine::Machine;
use crate::chip::Model;

/// Largest number of free cells enumerated.
pub const MAX_CELLS: usize = 28;

/// What an enumeration found.
#[derive(Debug, Clone, PartialEq)]
pub struct Enumeration {
    /// ln Z over the free cells (clamped cells held at their values).
    pub log_z: f64,
    /// <s_i> per cell and <s_i s_j> per machine edge (empty unless moments were asked for).
    pub mean_s: Vec<f64>,
    pub mean_ss: Vec<f64>,
}

/// Enumerates the chip model `model` of `machine` with cells `clamp` (cell, +-1) fixed.
pub fn enumerate(
    machine: &Machine,
    model: &Model,
    clamp: &[(usize, f64)],
    moments: bool,
) -> Result<Enumeration, TrainError> {
    let n = machine.cells();
    let beta = model.beta;
    let mut s = vec![-1f64; n];
    let mut fixed = vec![false; n];
    for &(c, v) in clamp {
        s[c] = if v > 0.0 { 1.0 } else { -1.0 };
        fixed[c] = true;
    }
    let free: Vec<usize> = (0..n).filter(|&c| !fixed[c]).collect();
    if free.len() > MAX_CELLS {
        return Err(TrainError::Numerical(format!(
            "exact enumeration of {} free cells (2^{} states) is too large; at most {MAX_CELLS}: \
             use [evaluation] ais for larger machines",
            free.len(),
            free.len()
        )));
    }
    let mut adj: Vec<Vec<(usize, f64)>> = vec![vec![]; n];
    let j: Vec<f64> = machine.edges.iter().map(|e| model.couplings.get(e.id) as f64).collect();
    for (e, &jv) in machine.edges.iter().zip(&j) {
        adj[e.i].push((e.j, jv));
        adj[e.j].push((e.i, jv));
    }
    let h: Vec<f64> = model.fields.iter().map(|&x| x as f64).collect();
    let start = s.clone();
    // visits every free state in Gray-code order, calling f(state, energy)
    let walk = |f: &mut dyn FnMut(&[f64], f64)| {
        let mut s = start.clone();
        let mut u: Vec<f64> =
            (0..n).map(|i| h[i] + adj[i].iter().map(|&(k, jv)| jv * s[k]).sum::<f64>()).collect();
        let mut e = -(0..n).map(|i| h[i] * s[i]).sum::<f64>()
            - machine.edges.iter().zip(&j).map(|(ed, &jv)| jv * s[ed.i] * s[ed.j]).sum::<f64>();
        f(&s, e);
        for k in 1u64..1 << free.len() {
            let i = free[k.trailing_zeros() as usize];
            e += 2.0 * s[i] * u[i];
            s[i] = -s[i];
            for &(m, jv) in &adj[i] {
                u[m] += 2.0 * s[i] * jv;
            }
            f(&s, e);
        }
    };
    let mut e_min = f64::INFINITY;
    walk(&mut |_, e| e_min = e_min.min(e));
    let mut z = 0.0;
    let (mut ms, mut mss) = if moments { (vec![0.0; n], vec![0.0; j.len()]) } else { (vec![], vec![]) };
    walk(&mut |s, e| {
        let w = (-beta * (e - e_min)).exp();
        z += w;
        if moments {
            for (a, &x) in ms.iter_mut().zip(s) {
                *a += w * x;
            }
            for (a, ed) in mss.iter_mut().zip(&machine.edges) {
                *a += w * s[ed.i] * s[ed.j];
            }
        }
    });
    ms.iter_mut().chain(mss.iter_mut()).for_each(|a| *a /= z);
    let log_z = -beta * e_min + z.ln();
    if !log_z.is_finite() {
        return Err(TrainError::Numerical(format!(
            "the partition function is not finite (ln Z = {log_z}): the parameters have diverged; \
             lower the learning rate"
        )));
    }
    Ok(Enumeration { log_z, mean_s: ms, mean_ss: mss })
}

/// ln p(v) under `model` for each visible pattern of `patterns` (with `inputs` clamped on the
/// input cells): ln Z(v, inputs) - ln Z(inputs).
pub fn log_likelihoods(
    machine: &Machine,
    model: &Model,
    inputs: Option<&[i8]>,
    patterns: &[&[i8]],
) -> Result<Vec<f64>, TrainError> {
    let log_z = enumerate(machine, model, &machine.clamps(inputs, None), false)?.log_z;
    patterns
        .iter()
        .map(|v| Ok(enumerate(machine, model, &machine.clamps(inputs, Some(v)), false)?.log_z - log_z))
        .collect()
}

/// The exact gradient of the average log-likelihood of the (unconditional) data distribution
/// `data` (patterns with probabilities) with respect to theta: beta (<.>_data - <.>_model), laid
/// out like theta (PHYSICS.md 11), and the KL divergence of the model from the data.
pub fn gradient(
    machine: &Machine,
    theta: &[f64],
    data: &[(Vec<i8>, f64)],
) -> Result<(Vec<f64>, f64), TrainError> {
    if machine.conditional() {
        return Err(TrainError::Unsupported(
            "exact gradients are for machines without inputs or classes".into(),
        ));
    }
    let model = machine.model(theta, 0);
    let free = enumerate(machine, &model, &[], true)?;
    let mut pos = vec![0.0; machine.edges.len() + machine.cells()];
    let mut kl = 0.0;
    for (v, p) in data {
        let clamped = enumerate(machine, &model, &machine.clamps(None, Some(v)), true)?;
        for (a, x) in pos.iter_mut().zip(clamped.mean_ss.iter().chain(&clamped.mean_s)) {
            *a += p * x;
        }
        kl += p * (p.ln() - (clamped.log_z - free.log_z));
    }
    let beta = machine.beta();
    let grad = pos.iter().zip(free.mean_ss.iter().chain(&free.mean_s)).map(|(a, b)| beta * (a - b)).collect();
    Ok((grad, kl))
}

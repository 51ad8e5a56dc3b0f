//! Calibrated p-bit cells coupled through calibrated synapses: the behavioural model of the
//! transistor-level network that `pbitsim netlist` writes.
//!
//! Each cell's input is V = V0 + g u (u its local field of the effective model of
//! [`super::couplings`], g = 2 beta Vs(T_design)) and it answers with the calibrated response
//! P(1) = sigma(L(V - V0 - delta_i)), L the calibrated logit polynomial (the logistic
//! (V - V0) / Vs when the calibration has none): a real cell's logit is not quite linear in
//! its input, and the network's joint law depends on that shape. Its correlation time is the
//! calibrated tau(V) at its present input, and its input follows its neighbours with the
//! couplings' calibrated lag, a readout delay and a settling time constant
//! ([`CellModel::input_lag`]), which the free-running sampler follows
//! ([`crate::chip::samplers::settling`]).

use crate::cell::PbitCell;
use crate::chip::cells::cell::{CellModel, InputLag};
use crate::chip::error::ChipError;
use crate::rng::{Domain, Seed};

/// The mismatch offsets of V0 a chip run with master seed `seed` gives its `cells` cells
/// (V): the behavioural chip and the netlist writer draw the same ones.
pub fn cell_offsets(cells: usize, sigma: f64, seed: u64) -> Vec<f64> {
    crate::cell::offsets(cells, sigma, Seed(seed).child(Domain::Parameters, 0))
}

/// Calibrated p-bits behind calibrated couplings.
#[derive(Debug, Clone)]
pub struct CoupledPbitCells {
    cell: PbitCell,
    design_vs: f64,
    beta: f64,
    /// Offsets by natural cell index (V), and by sampler slot once bound.
    offsets: Vec<f64>,
    bound: Vec<f64>,
    /// How the inputs lag, in the schedule's time units.
    lag: InputLag,
}

impl CoupledPbitCells {
    /// Cells at the operating temperature of `cell` realising `beta` with the design width
    /// `design_vs` (input gain 2 beta design_vs), per-cell `offsets` (V, natural order) and
    /// inputs that lag as `lag` says (schedule time units).
    pub fn new(cell: PbitCell, design_vs: f64, beta: f64, offsets: Vec<f64>, lag: InputLag) -> Self {
        let bound = offsets.clone();
        CoupledPbitCells { cell, design_vs, beta, offsets, bound, lag }
    }

    /// Input gain (V per unit local field): 2 beta Vs(T_design).
    pub fn gain(&self) -> f64 {
        2.0 * self.beta * self.design_vs
    }

    /// The behavioural cell.
    pub fn cell(&self) -> &PbitCell {
        &self.cell
    }

    /// P(s = +1) of the cell in `slot` at local field `u`.
    pub fn probability(&self, slot: usize, u: f64) -> f64 {
        crate::special::logistic(self.cell.log_odds(self.gain() * u - self.bound[slot]))
    }
}

impl CellModel for CoupledPbitCells {
    fn bind(&mut self, sites: &[u32]) -> Result<(), ChipError> {
        self.bound = sites
            .iter()
            .map(|&i| {
                self.offsets
                    .get(i as usize)
                    .copied()
                    .ok_or_else(|| ChipError::Unsupported(format!("no offset for cell {i}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    fn p_up(&self, first: usize, u: &[f32], p: &mut [f32]) {
        for (k, (p, &u)) in p.iter_mut().zip(u).enumerate() {
            *p = self.probability(first + k, u as f64) as f32;
        }
    }

    /// Binary cells only: the ideal softmax at beta, for completeness.
    fn categorical(&self, _slot: usize, u: &[f64], p: &mut [f64]) {
        crate::chip::IdealCell::new(self.beta).categorical(0, u, p)
    }

    fn gaussian(&self, _slot: usize, mean: f64, precision: f64) -> (f64, f64) {
        (mean, 1.0 / (self.beta * precision).sqrt())
    }

    fn tau(&self, slot: usize) -> f64 {
        self.tau_at(slot, 0.0)
    }

    /// The calibrated tau(V) at V = V0 + g u, relative to tau0.
    fn tau_at(&self, slot: usize, u: f32) -> f64 {
        let o = self.bound[slot];
        self.cell.correlation_time(self.cell.v0 + self.gain() * u as f64, o) / self.cell.tau0
    }

    fn input_lag(&self) -> Option<InputLag> {
        Some(self.lag)
    }

    fn set_beta(&mut self, beta: f64) -> Result<(), ChipError> {
        if !(beta >= 0.0 && beta.is_finite()) {
            return Err(ChipError::Unsupported(format!("beta {beta} is not a finite non-negative number")));
        }
        self.beta = beta;
        Ok(())
    }
}

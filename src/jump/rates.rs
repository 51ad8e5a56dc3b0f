//! The transfer rates of every channel, kept between events: after a transfer only the
//! devices with a terminal on a node the transfer moved are re-evaluated (and only those
//! nodes' shared exponentials), the dependency-graph idea of Gibson and Bruck's next-reaction
//! method (J. Phys. Chem. A 104, 1876, 2000) applied to the direct method. A transfer of
//! device k moves the free nodes where C^-1 D_k is non-zero: two on a circuit whose
//! capacitors all go to ground, so an event costs a handful of device evaluations instead of
//! one per device. The rates are the same functions of the same voltages as a full refresh
//! ([`Rates::refresh_all`], which the tau-leaping and driven engines use at every step), and
//! the total is summed in the same order, so the trajectory is bit-identical to recomputing
//! everything after each event.

use crate::circuit::{Circuit, NodeRef};
use crate::units::ELEMENTARY_CHARGE;

/// Rates of channel 2k (device k forward) and 2k + 1 (reverse), per second.
pub(crate) struct Rates {
    pub rates: Vec<f64>,
    /// Elementary charges one transfer of each device carries.
    pub charges: Vec<f64>,
    /// The fast form's shared factors at the current voltages.
    factors: Vec<f64>,
    /// Per device: the free nodes one of its transfers moves.
    moved: Vec<Vec<u32>>,
    /// Per device: the devices with a terminal on one of those nodes (ascending).
    affected: Vec<Vec<u32>>,
}

impl Rates {
    pub fn new(circuit: &Circuit) -> Self {
        let devices = &circuit.devices;
        let moved: Vec<Vec<u32>> =
            devices.iter().map(|d| d.dv_sparse.iter().map(|&(i, _)| i).collect()).collect();
        let mut on_node = vec![Vec::new(); circuit.free_count()];
        for (j, d) in devices.iter().enumerate() {
            for t in &d.terminals {
                if let NodeRef::Free(i) = *t
                    && on_node[i].last() != Some(&(j as u32))
                {
                    on_node[i].push(j as u32);
                }
            }
        }
        let affected = moved
            .iter()
            .map(|nodes| {
                let mut list: Vec<u32> =
                    nodes.iter().flat_map(|&i| on_node[i as usize].iter().copied()).collect();
                list.sort_unstable();
                list.dedup();
                list
            })
            .collect();
        Rates {
            rates: vec![0.0; 2 * devices.len()],
            charges: vec![1.0; devices.len()],
            factors: vec![0.0; circuit.log_linear.factor_count()],
            moved,
            affected,
        }
    }

    fn set(&mut self, circuit: &Circuit, k: usize, v: &[f64], traps: &[f64]) {
        let (pf, pr, charge) = circuit.device_fluxes(k, v, traps, &self.factors);
        let unit = charge * ELEMENTARY_CHARGE;
        self.rates[2 * k] = pf / unit;
        self.rates[2 * k + 1] = pr / unit;
        self.charges[k] = charge;
    }

    /// The total rate, summed device by device in order.
    fn total(&self) -> f64 {
        self.rates.chunks_exact(2).fold(0.0, |total, pair| total + (pair[0] + pair[1]))
    }

    /// Every rate at voltages `v` and traps' states `traps`; returns the total.
    pub fn refresh_all(&mut self, circuit: &Circuit, v: &[f64], traps: &[f64]) -> f64 {
        circuit.log_linear.evaluate_factors(v, &mut self.factors);
        for k in 0..circuit.devices.len() {
            self.set(circuit, k, v, traps);
        }
        self.total()
    }

    /// The rates after a transfer of device `k` moved its nodes to `v`; returns the total.
    pub fn refresh_after(&mut self, circuit: &Circuit, k: usize, v: &[f64], traps: &[f64]) -> f64 {
        circuit.log_linear.update_factors(v, &self.moved[k], &mut self.factors);
        for idx in 0..self.affected[k].len() {
            let j = self.affected[k][idx] as usize;
            self.set(circuit, j, v, traps);
        }
        self.total()
    }
}

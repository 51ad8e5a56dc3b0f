//! Sources that move: the fixed-node voltages and source currents of a circuit as functions
//! of time, and what the engines need from them.
//!
//! A fixed node's voltage is the sum of the sources on its path to ground
//! ([`super::model`] resolves the path), so with waveform sources
//!
//!   V_x(t) = V_x(0) + sum_s sign_xs (w_s(t) - w_s(0)).
//!
//! The free nodes are capacitively coupled to the fixed ones: their voltages are
//! V_f = C_ff^{-1} (Q_f - C_fx V_x), so at fixed charge a move of the sources moves them by
//!
//!   dV_f = -C_ff^{-1} C_fx dV_x            (the capacitive feedthrough),
//!
//! a state-independent shift the engines apply exactly ([`Circuit::feedthrough`]). Everything
//! else that depends on the sources (device fluxes, the energy a transfer takes from them, the
//! fast log-linear fluxes, current-source values) follows [`Circuit::set_time`].

use super::model::{Circuit, DeviceKind, NodeRef};
use super::waveform::Waveform;

/// One waveform source as the circuit sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DrivenSource {
    pub name: String,
    pub waveform: Waveform,
    /// Its value at t = 0 (what the fixed voltages were resolved with).
    pub at_zero: f64,
}

/// A fixed node that moves with waveform sources.
#[derive(Debug, Clone, PartialEq)]
pub struct MovingNode {
    /// Its index among the fixed nodes.
    pub fixed: usize,
    /// Its voltage at t = 0.
    pub at_zero: f64,
    /// The waveform sources on its path to ground (index into [`Drive::voltage`]) with their
    /// signs.
    pub sources: Vec<(usize, f64)>,
}

/// The time dependence of a circuit: empty for a DC circuit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Drive {
    /// Voltage sources with a waveform.
    pub voltage: Vec<DrivenSource>,
    /// Fixed nodes that move.
    pub nodes: Vec<MovingNode>,
    /// Per moving node (same order): dV_f / dV_x = -C_ff^{-1} C_fx e_x, its non-zero entries.
    pub feed: Vec<Vec<(u32, f64)>>,
    /// Current sources with a waveform: (index into the circuit's current sources, waveform).
    pub current: Vec<(usize, Waveform)>,
    /// Devices with a terminal on a moving node.
    pub devices: Vec<usize>,
    /// The time the circuit's source-dependent values are set for.
    pub time: f64,
}

impl Drive {
    /// Whether nothing moves.
    pub fn is_empty(&self) -> bool {
        self.voltage.is_empty() && self.current.is_empty()
    }

    /// Voltage of moving node `k` (index into `nodes`) at time `t`.
    pub fn node_voltage(&self, k: usize, t: f64) -> f64 {
        let MovingNode { at_zero, sources, .. } = &self.nodes[k];
        at_zero
            + sources
                .iter()
                .map(|&(s, sign)| sign * (self.voltage[s].waveform.value(t) - self.voltage[s].at_zero))
                .sum::<f64>()
    }

    /// The first breakpoint of any waveform after `t`.
    pub fn next_breakpoint(&self, t: f64) -> Option<f64> {
        self.voltage
            .iter()
            .map(|s| &s.waveform)
            .chain(self.current.iter().map(|c| &c.1))
            .filter_map(|w| w.next_breakpoint(t))
            .min_by(f64::total_cmp)
    }

    /// An upper bound on how fast any moving node's voltage changes from `t` to the next
    /// breakpoint (V/s).
    pub fn slope_bound(&self, t: f64) -> f64 {
        self.nodes
            .iter()
            .map(|node| {
                node.sources.iter().map(|&(s, _)| self.voltage[s].waveform.slope_bound(t)).sum::<f64>()
            })
            .fold(0.0, f64::max)
    }

    /// The largest |voltage| a moving node reaches.
    pub fn peak(&self) -> f64 {
        self.nodes
            .iter()
            .map(|node| {
                node.at_zero.abs()
                    + node
                        .sources
                        .iter()
                        .map(|&(s, _)| self.voltage[s].waveform.peak() + self.voltage[s].at_zero.abs())
                        .sum::<f64>()
            })
            .fold(0.0, f64::max)
    }
}

impl Circuit {
    /// Whether any source has a waveform.
    pub fn is_driven(&self) -> bool {
        !self.drive.is_empty()
    }

    /// Voltage of a node at time `t` given the free-node voltages: a moving fixed node at its
    /// waveform's value, any other as [`Circuit::voltage`].
    pub fn voltage_at(&self, node: NodeRef, v: &[f64], t: f64) -> f64 {
        if let NodeRef::Fixed(j) = node
            && let Some(k) = self.drive.nodes.iter().position(|n| n.fixed == j)
        {
            return self.drive.node_voltage(k, t);
        }
        self.voltage(node, v)
    }

    /// Set every source-dependent value to time `t`: the moving fixed-node voltages, the
    /// energy a transfer takes from the sources, the fast fluxes of the devices on moving
    /// nodes, and the current-source values. Free-node voltages are the engines' state and
    /// are not touched (see [`Circuit::feedthrough`]).
    pub fn set_time(&mut self, t: f64) {
        if self.drive.is_empty() || self.drive.time == t {
            return;
        }
        for k in 0..self.drive.nodes.len() {
            let v = self.drive.node_voltage(k, t);
            self.fixed_voltages[self.drive.nodes[k].fixed] = v;
        }
        for &k in &self.drive.devices {
            let fixed = |n: NodeRef| match n {
                NodeRef::Fixed(j) => self.fixed_voltages[j],
                NodeRef::Free(_) => 0.0,
            };
            let device = &self.devices[k];
            let supply = fixed(device.from) - fixed(device.to);
            self.devices[k].supply_per_coulomb = supply;
            if matches!(self.devices[k].kind, DeviceKind::Mosfet(_)) {
                self.log_linear.refresh(k, &self.fixed_voltages);
            }
        }
        for (i, w) in &self.drive.current {
            self.current_sources[*i].amps = w.value(t);
        }
        self.drive.time = t;
    }

    /// Shift the free-node voltages `v` by the capacitive feedthrough of the sources moving
    /// from time `t0` to `t1`: dV_f = -C_ff^{-1} C_fx (V_x(t1) - V_x(t0)) (exact: the charges
    /// do not move).
    pub fn feedthrough(&self, t0: f64, t1: f64, v: &mut [f64]) {
        for (k, feed) in self.drive.feed.iter().enumerate() {
            if feed.is_empty() {
                continue;
            }
            let dv = self.drive.node_voltage(k, t1) - self.drive.node_voltage(k, t0);
            if dv != 0.0 {
                for &(i, d) in feed {
                    v[i as usize] += d * dv;
                }
            }
        }
    }

    /// Record the waveform sources (called once the circuit is assembled): which fixed nodes
    /// move, their feedthrough, and the devices on them.
    pub(super) fn attach_drive(
        &mut self,
        voltage: Vec<DrivenSource>,
        nodes: Vec<MovingNode>,
        current: Vec<(usize, Waveform)>,
    ) {
        let n = self.free_count();
        let c = &self.capacitance;
        let feed = nodes
            .iter()
            .map(|node| {
                let j = node.fixed;
                (0..n)
                    .filter_map(|i| {
                        let d = -(0..n).map(|k| c.c_inv[(i, k)] * c.c_fx[(k, j)]).sum::<f64>();
                        (d != 0.0).then_some((i as u32, d))
                    })
                    .collect()
            })
            .collect();
        let moving: Vec<usize> = nodes.iter().map(|n| n.fixed).collect();
        let devices = self
            .devices
            .iter()
            .enumerate()
            .filter(|(_, d)| d.terminals.iter().any(|t| matches!(t, NodeRef::Fixed(j) if moving.contains(j))))
            .map(|(k, _)| k)
            .collect();
        self.drive = Drive { voltage, nodes, feed, current, devices, time: 0.0 };
    }
}

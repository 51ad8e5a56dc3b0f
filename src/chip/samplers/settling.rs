//! Free running with cells and inputs that take time: the asynchronous chip of
//! [`super::free_running`] with the behavioural model of a network of p-bit cells behind
//! calibrated couplings (`pbitsim netlist`; README, "A chip made of transistors").
//!
//! Each cell is two-staged ([`crate::cell::readout`]): a hidden latch flips up at rate
//! P(up | x_i) / tau_c(x_i) and down at (1 - P(up | x_i)) / tau_c(x_i) at its present input
//! x_i, with tau_c the calibrated correlation time ([`CellModel::tau_at`]); the cell's read
//! state shows a latch state once the latch has held it for the readout latency t_c (so the
//! latch's excursions that turn back are never read), and its synapses switch once the latch
//! has held it for the couplings' calibrated delay d (timed from the latch's flip, so shorter
//! excursions never leave the cell). The neighbour's input then settles towards its new
//! local field with time constant tau_b:
//!
//!   dx_i/dt = (u_i(t) - x_i) / tau_b,
//!   u_i = h_i + sum_j J_ij [v_j (1 + B w_j^2) + A w_j],   w_j = h_j + sum_k J_jk v_k,
//!
//! v_j the state cell j's synapses show and w_j the input it is driven to: a synapse's
//! contribution depends on the driving cell's own input through A and B, the calibrated driver
//! response ([`crate::calibration::DriverResponse`]) in units of the local field, kept to
//! first order (w_j leaves out j's own A and B terms). Between changes
//! x_i(t) = u_i + (x_i(t0) - u_i) e^{-(t - t0)/tau_b}. With t_c = d = tau_b = A = B = 0 this
//! is Glauber dynamics, whose stationary law is the Boltzmann law; otherwise a cell answers
//! neighbours' states of a while ago and its own read state lags its latch, which is what the
//! transistor-level network does (PHYSICS.md section 8). Pending reads and switches wait in
//! two queues, each in time order because every cell has the same t_c and every edge the
//! same d.
//!
//! Simulation is exact by thinning (Lewis and Shedler 1979): candidate events arrive at the
//! total rate N / tau_min, tau_min a lower bound of every tau_c over the inputs a cell can
//! see (the input always lies between the extremes of its local field); a candidate picks a
//! cell uniformly, evaluates x_i at that instant and rings it with probability
//! tau_min / tau_c(x_i), and a ringing cell redraws its latch from P(up | x_i). Ising models
//! only; one stream (seed, Chain, 0), so the result does not depend on the thread count.

use std::collections::VecDeque;

use crate::chip::cells::cell::{CellModel, InputLag};
use crate::chip::description::graph::Topology;
use crate::chip::description::model::{Model, ModelKind};
use crate::chip::error::ChipError;
use crate::chip::samplers::sampler::{Sampler, StateBuf};
use crate::rng::{Domain, Seed, StreamRng};
use rand::Rng;

/// A latch state waiting to be read or switched: (due time, cell, latch version).
type Pending = (f64, u32, u32);

/// The settling free-running sampler of an Ising chip with cells `C`.
pub struct SettlingFreeRunning<C: CellModel> {
    cell: C,
    /// Neighbours and couplings of each cell (CSR).
    start: Vec<usize>,
    nbr: Vec<u32>,
    /// Edge id of each CSR entry (where its coupling is read from a model).
    edge: Vec<u32>,
    coupling: Vec<f64>,
    fields: Vec<f64>,
    /// Read state, hidden latch and the state each cell's synapses show.
    s: Vec<i8>,
    latch: Vec<i8>,
    shown: Vec<i8>,
    /// Flips of each latch so far (a pending read or switch is stale once it moved on).
    version: Vec<u32>,
    reads: VecDeque<Pending>,
    switches: VecDeque<Pending>,
    /// w_i: the field cell i's synapses are driven to (without the driver response).
    driven: Vec<f64>,
    /// u_i: the settled input of the present shown states.
    target: Vec<f64>,
    /// Input x_i at time `stamp[i]` (since when `target[i]` has held).
    input: Vec<f64>,
    stamp: Vec<f64>,
    clamped: Vec<bool>,
    lag: InputLag,
    /// Correlation-time scale (the schedule's tau) and the bound tau_min.
    tau: f64,
    tau_min: f64,
    lambda: f64,
    read_interval: f64,
    /// Time since the start and of the next candidate event.
    now: f64,
    next_event: f64,
    rng: StreamRng,
    updates_last: u64,
}

fn exp_time(rng: &mut StreamRng, rate: f64) -> f64 {
    // U in (0, 1]: -ln U is Exp(1)
    let u = ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / 9_007_199_254_740_992.0);
    -u.ln() / rate
}

fn uniform(rng: &mut StreamRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

impl<C: CellModel> SettlingFreeRunning<C> {
    /// `lag`: the read latency, switch delay, settling time and driver response in the
    /// schedule's time units and the local field's units (finite, times >= 0); `tau`,
    /// `read_interval` as for [`super::free_running::FreeRunning`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        topology: &Topology,
        model: &Model,
        mut cell: C,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
        tau: f64,
        read_interval: f64,
        lag: InputLag,
    ) -> Result<Self, ChipError> {
        if model.kind != ModelKind::Ising {
            return Err(ChipError::Unsupported("settling inputs are modelled for Ising chips only".into()));
        }
        if !(tau > 0.0 && tau.is_finite() && read_interval > 0.0 && read_interval.is_finite()) {
            return Err(ChipError::value(
                "schedule.tau / schedule.read_interval",
                format!("got {tau} and {read_interval}, expected finite numbers > 0"),
            ));
        }
        let times = [lag.settling, lag.delay, lag.readout];
        let finite = lag.driver_offset.is_finite() && lag.driver_gain.is_finite();
        if !(finite && times.iter().all(|t| *t >= 0.0 && t.is_finite())) {
            return Err(ChipError::Unsupported(format!("input lag {lag:?} is not finite with times >= 0")));
        }
        let n = topology.cells();
        let sites: Vec<u32> = (0..n as u32).collect();
        cell.bind(&sites)?;
        let adjacency = topology.adjacency();
        let mut sampler = SettlingFreeRunning {
            cell,
            start: adjacency.start,
            nbr: adjacency.nbr,
            edge: adjacency.edge,
            coupling: Vec::new(),
            fields: Vec::new(),
            s: Vec::new(),
            latch: Vec::new(),
            shown: Vec::new(),
            version: vec![0; n],
            reads: VecDeque::new(),
            switches: VecDeque::new(),
            driven: vec![0.0; n],
            target: vec![0.0; n],
            input: vec![0.0; n],
            stamp: vec![0.0; n],
            clamped: vec![false; n],
            lag,
            tau,
            tau_min: 0.0,
            lambda: 0.0,
            read_interval,
            now: 0.0,
            next_event: 0.0,
            rng: seed.stream(Domain::Chain, 0),
            updates_last: 0,
        };
        sampler.load(model, init, clamp, seed)?;
        Ok(sampler)
    }

    /// (Re)start from the couplings and fields of `model`, the state `init`, the clamps and
    /// the stream of `seed`, at time 0 with every latch read and shown.
    fn load(
        &mut self,
        model: &Model,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<(), ChipError> {
        let n = self.start.len() - 1;
        self.coupling = self.edge.iter().map(|&e| model.couplings.get(e as usize) as f64).collect();
        self.fields = model.fields.iter().map(|&h| h as f64).collect();
        let StateBuf::Spins(start_state) = init else {
            return Err(ChipError::Unsupported("initial state does not match the model kind".into()));
        };
        self.s = start_state.clone();
        self.clamped = vec![false; n];
        for &(i, v) in clamp {
            self.s[i] = if v > 0.0 { 1 } else { -1 };
            self.clamped[i] = true;
        }
        self.latch = self.s.clone();
        self.shown = self.s.clone();
        self.version.fill(0);
        self.reads.clear();
        self.switches.clear();
        // tau_min: a lower bound of tau_c over the inputs each cell can see, from a grid over
        // [h - reach, h + reach] (reach: the largest |u - h| the couplings and the driver
        // response allow) with a margin for the curvature between grid points.
        let (a, b) = (self.lag.driver_offset.abs(), self.lag.driver_gain.abs());
        let spread = |i: usize| -> f64 {
            self.coupling[self.start[i]..self.start[i + 1]].iter().map(|j| j.abs()).sum()
        };
        let driven_reach: Vec<f64> = (0..n).map(|j| self.fields[j].abs() + spread(j)).collect();
        let mut tau_min = f64::INFINITY;
        for i in 0..n {
            let reach: f64 = (self.start[i]..self.start[i + 1])
                .map(|k| {
                    let w = driven_reach[self.nbr[k] as usize];
                    self.coupling[k].abs() * (1.0 + b * w * w + a * w)
                })
                .sum();
            for k in 0..=64 {
                let u = self.fields[i] - reach + 2.0 * reach * k as f64 / 64.0;
                let t = self.tau * self.cell.tau_at(i, u as f32);
                if !(t > 0.0 && t.is_finite()) {
                    return Err(ChipError::Unsupported(format!(
                        "cell {i} reports a correlation time {t} at field {u} (expected > 0)"
                    )));
                }
                tau_min = tau_min.min(t);
            }
        }
        self.tau_min = 0.7 * tau_min;
        self.lambda = n as f64 / self.tau_min;
        self.rng = seed.stream(Domain::Chain, 0);
        self.next_event = exp_time(&mut self.rng, self.lambda);
        self.now = 0.0;
        self.updates_last = 0;
        self.stamp.fill(0.0);
        for i in 0..n {
            self.driven[i] = self.local_field(i);
        }
        for i in 0..n {
            self.target[i] = self.fields[i]
                + (self.start[i]..self.start[i + 1])
                    .map(|k| {
                        let j = self.nbr[k] as usize;
                        self.coupling[k] * self.contribution(self.shown[j], self.driven[j])
                    })
                    .sum::<f64>();
            self.input[i] = self.target[i];
        }
        Ok(())
    }

    /// What a neighbour showing `state` and driven to `w` adds per unit coupling:
    /// v (1 + B w^2) + A w.
    fn contribution(&self, state: i8, w: f64) -> f64 {
        state as f64 * (1.0 + self.lag.driver_gain * w * w) + self.lag.driver_offset * w
    }

    fn local_field(&self, i: usize) -> f64 {
        let r = self.start[i]..self.start[i + 1];
        self.fields[i]
            + self.nbr[r.clone()]
                .iter()
                .zip(&self.coupling[r])
                .map(|(&j, &c)| c * self.shown[j as usize] as f64)
                .sum::<f64>()
    }

    /// The input of cell `i` at time `t`.
    fn input_at(&self, i: usize, t: f64) -> f64 {
        if self.lag.settling == 0.0 {
            return self.target[i];
        }
        let decay = (-(t - self.stamp[i]) / self.lag.settling).exp();
        self.target[i] + (self.input[i] - self.target[i]) * decay
    }

    /// One candidate event at time `t`: returns whether a cell was updated.
    fn event(&mut self, t: f64) -> bool {
        let n = self.s.len() as u128;
        let i = ((self.rng.next_u64() as u128 * n) >> 64) as usize;
        if self.clamped[i] {
            return false;
        }
        let x = self.input_at(i, t);
        let tau_c = self.tau * self.cell.tau_at(i, x as f32);
        if uniform(&mut self.rng) * tau_c >= self.tau_min {
            return false;
        }
        let mut p = [0f32];
        self.cell.p_up(i, &[x as f32], &mut p);
        let up = ((self.rng.next_u64() >> 40) as f32 + 0.5) * (1.0 / 16_777_216.0) < p[0];
        let new = if up { 1 } else { -1 };
        if new != self.latch[i] {
            self.latch[i] = new;
            self.version[i] = self.version[i].wrapping_add(1);
            let v = self.version[i];
            if self.lag.readout == 0.0 {
                self.s[i] = new;
            } else if new != self.s[i] {
                self.reads.push_back((t + self.lag.readout, i as u32, v));
            }
            if self.lag.delay == 0.0 {
                self.switch(i, t);
            } else if new != self.shown[i] {
                self.switches.push_back((t + self.lag.delay, i as u32, v));
            }
        }
        true
    }

    /// Cell `i`'s synapses switch to its latch at time `t`.
    fn switch(&mut self, i: usize, t: f64) {
        let new = self.latch[i];
        if new == self.shown[i] {
            return;
        }
        self.shown[i] = new;
        let scale = 1.0 + self.lag.driver_gain * self.driven[i] * self.driven[i];
        for k in self.start[i]..self.start[i + 1] {
            let step = 2.0 * self.coupling[k] * new as f64;
            self.arrive(self.nbr[k] as usize, t, step * scale, step);
        }
    }

    /// Cell `j`'s input target moves by `change` at time `t`.
    fn shift(&mut self, j: usize, t: f64, change: f64) {
        self.input[j] = self.input_at(j, t);
        self.stamp[j] = t;
        self.target[j] += change;
    }

    /// A neighbour's switch reaches cell `j` at time `t`: its input target moves by `change`
    /// and the field it is driven to by `step`, which moves its own synapses' contributions
    /// (the driver response) at its neighbours.
    fn arrive(&mut self, j: usize, t: f64, change: f64, step: f64) {
        self.shift(j, t, change);
        let (old, new) = (self.driven[j], self.driven[j] + step);
        self.driven[j] = new;
        if self.lag.driver_offset == 0.0 && self.lag.driver_gain == 0.0 {
            return;
        }
        let moved = self.contribution(self.shown[j], new) - self.contribution(self.shown[j], old);
        for k in self.start[j]..self.start[j + 1] {
            let c = self.coupling[k] * moved;
            self.shift(self.nbr[k] as usize, t, c);
        }
    }

    /// Every read and switch due by time `t`, in time order (reads first at equal times).
    fn settle_until(&mut self, t: f64) {
        loop {
            let r = self.reads.front().map_or(f64::INFINITY, |p| p.0);
            let w = self.switches.front().map_or(f64::INFINITY, |p| p.0);
            if r.min(w) > t {
                break;
            }
            if r <= w {
                let (_, i, v) = self.reads.pop_front().expect("a pending read");
                if self.version[i as usize] == v {
                    self.s[i as usize] = self.latch[i as usize];
                }
            } else {
                let (when, i, v) = self.switches.pop_front().expect("a pending switch");
                if self.version[i as usize] == v {
                    self.switch(i as usize, when);
                }
            }
        }
    }
}

impl<C: CellModel> Sampler for SettlingFreeRunning<C> {
    fn cells(&self) -> usize {
        self.s.len()
    }

    fn sweep(&mut self, _pool: &rayon::ThreadPool) {
        let end = self.now + self.read_interval;
        let mut updates = 0;
        while self.next_event < end {
            let t = self.next_event;
            self.settle_until(t);
            if self.event(t) {
                updates += 1;
            }
            self.next_event = t + exp_time(&mut self.rng, self.lambda);
        }
        // reads and switches due before the end, so that the state read now is the state then
        self.settle_until(end);
        self.now = end;
        self.updates_last = updates;
    }

    fn set_beta(&mut self, beta: f64) -> Result<(), ChipError> {
        self.cell.set_beta(beta)
    }

    fn read(&self, out: &mut StateBuf) {
        if let StateBuf::Spins(v) = out {
            v.copy_from_slice(&self.s);
        }
    }

    fn energy(&self) -> f64 {
        let mut e = 0.0;
        for i in 0..self.s.len() {
            let r = self.start[i]..self.start[i + 1];
            let pair: f64 = self.nbr[r.clone()]
                .iter()
                .zip(&self.coupling[r])
                .map(|(&j, &c)| c * self.s[j as usize] as f64)
                .sum();
            e -= self.s[i] as f64 * (self.fields[i] + 0.5 * pair);
        }
        e
    }

    fn updates_last_sweep(&self) -> u64 {
        self.updates_last
    }

    fn restart(
        &mut self,
        model: &Model,
        state: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<(), ChipError> {
        crate::chip::samplers::sampler::check_restart(model, state, clamp, self.s.len())?;
        if model.kind != ModelKind::Ising {
            return Err(ChipError::Unsupported("settling inputs are modelled for Ising chips only".into()));
        }
        self.load(model, state, clamp, seed)
    }
}

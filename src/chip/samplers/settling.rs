//! Free running with inputs that lag: the asynchronous chip of [`super::free_running`],
//! except that each cell responds to its input node, which follows the local field with the
//! calibrated lag of its couplings instead of jumping with it: a neighbour's flip arrives
//! after the delay d (its readout), and the input then settles with time constant tau_b,
//!
//!   dx_i/dt = (u_i(t) - x_i) / tau_b,   u_i(t) = h_i + sum_j J_ij s_j(t - d),
//!
//! so between arrivals x_i(t) = u_i + (x_i(t0) - u_i) e^{-(t - t0)/tau_b}.
//! Cell i flips up at rate P(up | x_i) / tau_c(x_i) and down at (1 - P(up | x_i)) / tau_c(x_i),
//! both taken at its present input, with tau_c(x) the cell's calibrated correlation time at
//! that input ([`CellModel::tau_at`]). With tau_b = 0 this is Glauber dynamics, whose
//! stationary law is the Boltzmann law; with d > 0 or tau_b > 0 a cell still feels a
//! neighbour's old state for a while after it flipped, which is what the transistor-level
//! network does (PHYSICS.md section 8). Arrivals wait in one queue, which is in time order
//! because every edge has the same delay.
//!
//! Simulation is exact by thinning (Lewis and Shedler 1979): candidate events arrive at the
//! total rate N / tau_min, tau_min a lower bound of every tau_c over the inputs a cell can
//! see (the input always lies between the extremes of its local field); a candidate picks a
//! cell uniformly, evaluates x_i at that instant and rings it with probability
//! tau_min / tau_c(x_i), and a ringing cell redraws its state from P(up | x_i). Ising models
//! only; one stream (seed, Chain, 0), so the result does not depend on the thread count.

use crate::chip::cells::cell::{CellModel, InputLag};
use crate::chip::description::graph::Topology;
use crate::chip::description::model::{Model, ModelKind};
use crate::chip::error::ChipError;
use crate::chip::samplers::sampler::{Sampler, StateBuf};
use crate::rng::{Domain, Seed, StreamRng};
use rand::Rng;

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
    s: Vec<i8>,
    /// Local field u_i of the present state.
    target: Vec<f64>,
    /// Input x_i at time `stamp[i]` (since when `target[i]` has held).
    input: Vec<f64>,
    stamp: Vec<f64>,
    clamped: Vec<bool>,
    lag: InputLag,
    /// Flips on their way to a neighbour's input: (arrival time, cell, change of its field).
    arrivals: std::collections::VecDeque<(f64, u32, f64)>,
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
    /// `lag`: the delay d and settling time tau_b in the schedule's time units (>= 0); `tau`,
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
        if !(lag.settling >= 0.0 && lag.settling.is_finite() && lag.delay >= 0.0 && lag.delay.is_finite()) {
            return Err(ChipError::Unsupported(format!("input lag {lag:?} is not finite and >= 0")));
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
            target: vec![0.0; n],
            input: vec![0.0; n],
            stamp: vec![0.0; n],
            clamped: vec![false; n],
            lag,
            arrivals: std::collections::VecDeque::new(),
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
    /// the stream of `seed`, at time 0 with no flips in flight.
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
        // tau_min: a lower bound of tau_c over the inputs each cell can see, from a grid over
        // [h - sum |J|, h + sum |J|] with a margin for the curvature between grid points.
        let mut tau_min = f64::INFINITY;
        for i in 0..n {
            let r = self.start[i]..self.start[i + 1];
            let reach: f64 = self.coupling[r].iter().map(|j| j.abs()).sum();
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
        self.arrivals.clear();
        self.stamp.fill(0.0);
        for i in 0..n {
            self.target[i] = self.local_field(i);
            self.input[i] = self.target[i];
        }
        Ok(())
    }

    fn local_field(&self, i: usize) -> f64 {
        let r = self.start[i]..self.start[i + 1];
        self.fields[i]
            + self.nbr[r.clone()]
                .iter()
                .zip(&self.coupling[r])
                .map(|(&j, &c)| c * self.s[j as usize] as f64)
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
        if new != self.s[i] {
            self.s[i] = new;
            for k in self.start[i]..self.start[i + 1] {
                let change = 2.0 * self.coupling[k] * new as f64;
                if self.lag.delay > 0.0 {
                    self.arrivals.push_back((t + self.lag.delay, self.nbr[k], change));
                } else {
                    self.arrive(self.nbr[k] as usize, t, change);
                }
            }
        }
        true
    }

    /// A neighbour's flip reaches cell `j`'s input at time `t`.
    fn arrive(&mut self, j: usize, t: f64, change: f64) {
        self.input[j] = self.input_at(j, t);
        self.stamp[j] = t;
        self.target[j] += change;
    }

    /// Deliver every arrival due by time `t`.
    fn deliver(&mut self, t: f64) {
        while let Some(&(when, j, change)) = self.arrivals.front() {
            if when > t {
                break;
            }
            self.arrivals.pop_front();
            self.arrive(j as usize, when, change);
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
            self.deliver(t);
            if self.event(t) {
                updates += 1;
            }
            self.next_event = t + exp_time(&mut self.rng, self.lambda);
        }
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

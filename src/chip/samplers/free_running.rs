//! Free-running (asynchronous, continuous-time) sampling, the way an unclocked p-bit chip
//! runs: every cell is a two-state telegraph process (Markov jump process) whose rates follow
//! its neighbours' current states,
//!   r_up = P(up | u) / tau_c,   r_down = (1 - P(up | u)) / tau_c,
//! with tau_c = tau * cell.tau(slot) its correlation time. Equivalently each cell carries a
//! Poisson clock of rate 1/tau_c and, when it rings, redraws its state from its conditional
//! (heat bath); for Potts and Gaussian cells that is the definition. These rates satisfy
//! detailed balance with respect to exp(-beta E) (Glauber dynamics), so the stationary law is
//! exactly the Boltzmann law whatever tau_c; tau_c only sets how correlated successive reads
//! are. An isolated cell's state has autocorrelation exp(-t / tau_c).
//!
//! Simulation is exact, by uniformisation (Jensen 1953; see e.g. Norris, "Markov Chains",
//! 1997, section 2.6): events arrive at the total rate Lambda = N / (tau * min_i cell.tau(i));
//! each picks a cell uniformly and rings it with probability min_tau / cell.tau(i). The state
//! is read every `read_interval`; one [`Sampler::sweep`] advances time by one read interval.
//! The event loop is sequential (one stream, (seed, Chain, 0)), so the result does not depend
//! on the thread count.

use crate::chip::cells::cell::CellModel;
use crate::chip::cells::kinds::Kind;
use crate::chip::description::colouring::Colouring;
use crate::chip::description::graph::Topology;
use crate::chip::description::model::Model;
use crate::chip::error::ChipError;
use crate::chip::samplers::layout::ColourLayout;
use crate::chip::samplers::sampler::{Sampler, StateBuf, check_restart};
use crate::rng::{Domain, Seed, StreamRng};
use rand::Rng;

/// Free-running sampler of model kind `K` with cells `C`.
pub struct FreeRunning<K: Kind, C: CellModel> {
    lay: ColourLayout,
    kind: K,
    cell: C,
    state: Vec<K::Value>,
    rng: StreamRng,
    /// Probability that an event on a slot rings it (0 for clamped slots).
    accept: Vec<f64>,
    /// Total event rate.
    lambda: f64,
    read_interval: f64,
    /// Time of the next event, measured from the start of the current read interval.
    next_event: f64,
    updates_last: u64,
}

fn exp_time(rng: &mut StreamRng, rate: f64) -> f64 {
    // U in (0, 1]: -ln U is Exp(1)
    let u = ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / 9_007_199_254_740_992.0);
    -u.ln() / rate
}

impl<K: Kind, C: CellModel> FreeRunning<K, C> {
    /// `tau`: the cells' correlation time (scaled per cell by `cell.tau`); `read_interval`:
    /// time between reads. Both > 0 (validated by the config).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        topology: &Topology,
        model: &Model,
        colouring: &Colouring,
        mut cell: C,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
        tau: f64,
        read_interval: f64,
    ) -> Result<Self, ChipError> {
        if !(tau > 0.0 && tau.is_finite() && read_interval > 0.0 && read_interval.is_finite()) {
            return Err(ChipError::value(
                "schedule.tau / schedule.read_interval",
                format!("got {tau} and {read_interval}, expected finite numbers > 0"),
            ));
        }
        let lay = ColourLayout::new(topology, model, colouring)?;
        check_restart(model, init, clamp, lay.cells())?;
        cell.bind(&lay.sites)?;
        let kind = K::new(model, &lay);
        let n = lay.cells();
        let taus: Vec<f64> = (0..n).map(|s| cell.tau(s)).collect();
        if let Some(s) = taus.iter().position(|&t| !(t > 0.0 && t.is_finite())) {
            return Err(ChipError::Unsupported(format!(
                "cell {} reports a correlation time {} (expected > 0)",
                lay.sites[s], taus[s]
            )));
        }
        let tau_min = taus.iter().copied().fold(f64::INFINITY, f64::min);
        let lambda = n as f64 / (tau * tau_min);
        let mut me = FreeRunning {
            lay,
            kind,
            cell,
            state: vec![],
            rng: seed.stream(Domain::Chain, 0),
            accept: vec![],
            lambda,
            read_interval,
            next_event: 0.0,
            updates_last: 0,
        };
        me.load(init, clamp, seed)?;
        Ok(me)
    }

    /// State, clamps and streams (the part of construction that [`Sampler::restart`] repeats).
    fn load(&mut self, init: &StateBuf, clamp: &[(usize, f64)], seed: Seed) -> Result<(), ChipError> {
        let (lay, cell) = (&self.lay, &self.cell);
        let mut state = K::load(lay, init)
            .ok_or_else(|| ChipError::Unsupported("initial state does not match the model kind".into()))?;
        let taus: Vec<f64> = (0..lay.cells()).map(|s| cell.tau(s)).collect();
        let tau_min = taus.iter().copied().fold(f64::INFINITY, f64::min);
        let mut accept: Vec<f64> = taus.iter().map(|&t| tau_min / t).collect();
        for &(i, v) in clamp {
            let s = lay.slot_of[i] as usize;
            state[s] = K::clamp_value(v);
            accept[s] = 0.0;
        }
        let mut rng = seed.stream(Domain::Chain, 0);
        self.next_event = exp_time(&mut rng, self.lambda);
        self.rng = rng;
        self.state = state;
        self.accept = accept;
        self.updates_last = 0;
        Ok(())
    }
}

impl<K: Kind, C: CellModel> Sampler for FreeRunning<K, C> {
    fn cells(&self) -> usize {
        self.lay.cells()
    }

    fn sweep(&mut self, _pool: &rayon::ThreadPool) {
        let n = self.lay.cells() as u128;
        let mut t = self.next_event;
        let mut updates = 0;
        while t < self.read_interval {
            let slot = ((self.rng.next_u64() as u128 * n) >> 64) as usize;
            let a = self.accept[slot];
            if a >= 1.0
                || (a > 0.0 && ((self.rng.next_u64() >> 11) as f64) * (1.0 / 9_007_199_254_740_992.0) < a)
            {
                self.state[slot] = self.kind.draw(&self.lay, &self.state, slot, &self.cell, &mut self.rng);
                updates += 1;
            }
            t += exp_time(&mut self.rng, self.lambda);
        }
        self.next_event = t - self.read_interval;
        self.updates_last = updates;
    }

    fn set_beta(&mut self, beta: f64) -> Result<(), ChipError> {
        self.cell.set_beta(beta)
    }

    fn read(&self, out: &mut StateBuf) {
        K::store(&self.lay, &self.state, out);
    }

    fn energy(&self) -> f64 {
        self.kind.energy(&self.lay, &self.state)
    }

    fn updates_last_sweep(&self) -> u64 {
        self.updates_last
    }

    fn restart(
        &mut self,
        model: &Model,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<(), ChipError> {
        check_restart(model, init, clamp, self.lay.cells())?;
        self.lay.set_couplings(&model.couplings)?;
        self.kind = K::new(model, &self.lay);
        self.load(init, clamp, seed)
    }

    fn kernel(&self) -> crate::chip::samplers::sampler::KernelInfo {
        crate::chip::samplers::sampler::KernelInfo {
            sampler: "free running (continuous-time cells)".into(),
            local_field: "f32 sums over the cell's neighbour list".into(),
            draw: "the cell model's conditional".into(),
            vector: "portable".into(),
            threads_used: "pool when a colour has more than one chunk".into(),
        }
    }
}

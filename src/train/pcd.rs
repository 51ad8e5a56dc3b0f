//! Gradient estimation on the chip: data-clamped chains and free chains, by persistent
//! contrastive divergence (Tieleman, ICML 2008; PHYSICS.md 11).
//!
//! The log-likelihood gradient of a Boltzmann machine is
//!   dL/dJ_ij = beta (<s_i s_j>_data - <s_i s_j>_model),   dL/dh_i = beta (<s_i>_data - <s_i>_model),
//! (and dL/db_yi = beta (<s_i>_data,y - <s_i>_model,y) for class fields). Both expectations come
//! from chip samplers built with the same cells, so a machine trained with calibrated,
//! mismatched cells is trained "in the loop" on the hardware it will run on:
//!
//! - **positive phase**: one chain per example of the minibatch, its visible (and input) cells
//!   clamped to the example, its hidden cells swept `sweeps` times from where the chain of the
//!   same batch position left them at the previous step; their states give <.>_data;
//! - **negative phase**: `chains` free chains, each swept `sweeps` times from where it stopped
//!   at the previous step (persistent), or, with `negative = "data"`, from the end of the
//!   positive chain of the same index (CD-k). A conditional machine (inputs or classes) has one
//!   negative chain per example, clamped to that example's inputs and class.
//!
//! Each chain restarts ([`crate::chip::Sampler::restart`]) at every step with the new parameters
//! and the streams of (seed, step, chain): seed.child(Chain, step).child(Chain, chain index;
//! negative chains after the positive ones). The chains' states are the only thing carried
//! from step to step, so a checkpoint of them resumes the run bit for bit. Chains run in
//! parallel; the moments are integer sums, so the result does not depend on the thread count.

use super::TrainError;
use super::machine::{Machine, Moments};
use crate::chip::run::build_sampler;
use crate::chip::samplers::sampler::{Initial, initial_state};
use crate::chip::{CellModel, Method, Model, Sampler, Schedule, StateBuf};
use crate::rng::{Domain, Seed};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Where the negative chains start at each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NegativeStart {
    /// Where they stopped at the previous step (persistent contrastive divergence).
    #[default]
    Persistent,
    /// At the end of the positive chain of the same index (contrastive divergence, CD-k).
    Data,
}

/// Which chain states enter the moments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Average {
    /// The state after every sweep of the step (K states per chain and step).
    #[default]
    Sweeps,
    /// Only the final state of each chain.
    Final,
}

/// One training target: the visible pixels, the inputs (conditional machines) and the class.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub visible: &'a [i8],
    pub inputs: Option<&'a [i8]>,
    pub class: usize,
}

/// A chain: a chip sampler and the state it carries between steps.
pub struct Chain {
    sampler: Box<dyn Sampler>,
    /// State in natural order (spins).
    pub state: Vec<i8>,
}

impl Chain {
    /// Restarts the sampler from the chain's own state with `model`, `clamp` and `seed`.
    pub fn restart_at(
        &mut self,
        model: &Model,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<(), TrainError> {
        let buf = StateBuf::Spins(std::mem::take(&mut self.state));
        let result = self.sampler.restart(model, &buf, clamp, seed);
        if let StateBuf::Spins(s) = buf {
            self.state = s;
        }
        Ok(result?)
    }

    /// One sweep of the sampler (the chain's `state` is updated by [`Chain::keep`]).
    pub fn sweep(&mut self, pool: &rayon::ThreadPool) {
        self.sampler.sweep(pool);
    }

    /// Copies the sampler's state into `out`.
    pub fn read(&self, out: &mut StateBuf) {
        self.sampler.read(out);
    }

    /// Copies the sampler's state into the chain's `state`.
    pub fn keep(&mut self) {
        let mut buf = StateBuf::Spins(std::mem::take(&mut self.state));
        self.sampler.read(&mut buf);
        if let StateBuf::Spins(s) = buf {
            self.state = s;
        }
    }

    /// Restarts at the chain's state with `clamp`, sweeps `sweeps` times and keeps the final
    /// state; returns the moments of the final state (class `class`), or of the state after
    /// every sweep if `every`.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        machine: &Machine,
        model: &Model,
        clamp: &[(usize, f64)],
        class: usize,
        sweeps: u64,
        every: bool,
        seed: Seed,
        pool: &rayon::ThreadPool,
    ) -> Result<Moments, TrainError> {
        self.restart_at(model, clamp, seed)?;
        let mut moments = Moments::new(machine);
        for k in 0..sweeps {
            self.sampler.sweep(pool);
            if every || k + 1 == sweeps {
                self.keep();
                moments.add(machine, &self.state, class);
            }
        }
        if sweeps == 0 {
            moments.add(machine, &self.state, class);
        }
        Ok(moments)
    }
}

/// How the chains are run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChainConfig {
    pub method: Method,
    pub tau: f64,
    pub read_interval: f64,
}

/// The chains of the estimator and where they run.
pub struct Estimator {
    pub positive: Vec<Chain>,
    pub negative: Vec<Chain>,
    pub sweeps: u64,
    pub start: NegativeStart,
    pub average: Average,
    single: rayon::ThreadPool,
    /// Chains side by side (each sampler on one thread), or one after another with the pool
    /// inside each sweep (big generic graphs).
    parallel_chains: bool,
}

/// The result of one estimate.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// beta (<.>_data - <.>_model), laid out like theta.
    pub gradient: Vec<f64>,
    /// Chain sweeps done (all chains).
    pub sweeps: u64,
}

/// Builds `count` chains from index `first` on `machine` with cells `cells`; chain k starts
/// from the uniform random state of stream (seed, Initial, k).
pub fn chains<C: CellModel + Clone + 'static>(
    machine: &Machine,
    cells: &C,
    config: &ChainConfig,
    first: usize,
    count: usize,
    seed: Seed,
) -> Result<Vec<Chain>, TrainError> {
    let schedule = Schedule {
        method: config.method,
        tau: config.tau,
        read_interval: config.read_interval,
        ..Schedule::default()
    };
    (first..first + count)
        .map(|k| {
            let start = seed.child(Domain::Initial, k as u64);
            let StateBuf::Spins(state) =
                initial_state(machine.chip.model.kind, machine.cells(), Initial::Random, start)
            else {
                return Err(TrainError::Unsupported("learning needs an Ising chip".into()));
            };
            let sampler = build_sampler(&machine.chip, cells.clone(), &schedule, start)?;
            Ok(Chain { sampler, state })
        })
        .collect()
}

impl Estimator {
    pub fn new(
        positive: Vec<Chain>,
        negative: Vec<Chain>,
        sweeps: u64,
        start: NegativeStart,
        average: Average,
        machine: &Machine,
    ) -> Result<Self, TrainError> {
        let single = super::run::pool(1)?;
        let big_class = machine.chip.colouring.count > 0
            && (0..machine.chip.colouring.count).any(|c| {
                machine.chip.colouring.colour.iter().filter(|&&k| k as usize == c).count()
                    > crate::chip::samplers::layout::CHUNK
            });
        let parallel_chains =
            !(matches!(machine.chip.topology, crate::chip::Topology::Graph(_)) && big_class);
        Ok(Estimator { positive, negative, sweeps, start, average, single, parallel_chains })
    }

    /// Runs `work(index, chain)` on every chain of `chains` (in parallel when allowed) and
    /// sums the moments it returns (integer sums: the order does not matter).
    fn each(
        &self,
        machine: &Machine,
        chains: &mut [Chain],
        pool: &rayon::ThreadPool,
        work: impl Fn(usize, &mut Chain, &rayon::ThreadPool) -> Result<Moments, TrainError> + Sync,
    ) -> Result<Moments, TrainError> {
        let parts: Vec<Moments> = if self.parallel_chains {
            let single = &self.single;
            pool.install(|| {
                chains
                    .par_iter_mut()
                    .enumerate()
                    .map(|(k, c)| work(k, c, single))
                    .collect::<Result<Vec<_>, _>>()
            })?
        } else {
            chains.iter_mut().enumerate().map(|(k, c)| work(k, c, pool)).collect::<Result<_, _>>()?
        };
        let mut total = Moments::new(machine);
        parts.iter().for_each(|m| total.merge(m));
        Ok(total)
    }

    /// One gradient estimate at parameters `theta` for the minibatch `batch`, with the
    /// streams of step `step`.
    pub fn estimate(
        &mut self,
        machine: &Machine,
        theta: &[f64],
        batch: &[Target],
        step: u64,
        seed: Seed,
        pool: &rayon::ThreadPool,
    ) -> Result<Estimate, TrainError> {
        let models: Vec<Model> = (0..machine.classes.max(1)).map(|y| machine.model(theta, y)).collect();
        let step_seed = seed.child(Domain::Chain, step);
        if batch.len() != self.positive.len() {
            return Err(TrainError::Unsupported(format!(
                "{} examples for {} chains",
                batch.len(),
                self.positive.len()
            )));
        }
        let sweeps = if machine.hidden.is_empty() { 0 } else { self.sweeps };
        let every = self.average == Average::Sweeps;
        let mut positive = std::mem::take(&mut self.positive);
        let pos = self.each(machine, &mut positive, pool, |b, chain, inner| {
            let t = &batch[b];
            overwrite(&mut chain.state, &machine.visible, t.visible);
            if let Some(x) = t.inputs {
                overwrite(&mut chain.state, &machine.inputs, x);
            }
            let clamp = machine.clamps(t.inputs, Some(t.visible));
            let seed = step_seed.child(Domain::Chain, b as u64);
            chain.run(machine, &models[t.class], &clamp, t.class, sweeps, every, seed, inner)
        });
        self.positive = positive;
        let pos = pos?;
        let offset = self.positive.len() as u64;
        if self.start == NegativeStart::Data {
            for (n, p) in self.negative.iter_mut().zip(&self.positive) {
                n.state.clone_from(&p.state);
            }
        }
        let conditional = machine.conditional();
        let mut negative = std::mem::take(&mut self.negative);
        let neg = self.each(machine, &mut negative, pool, |m, chain, inner| {
            let (inputs, class) = if conditional { (batch[m].inputs, batch[m].class) } else { (None, 0) };
            if let Some(x) = inputs {
                overwrite(&mut chain.state, &machine.inputs, x);
            }
            let clamp = machine.clamps(inputs, None);
            let seed = step_seed.child(Domain::Chain, offset + m as u64);
            chain.run(machine, &models[class], &clamp, class, self.sweeps, every, seed, inner)
        });
        self.negative = negative;
        let neg = neg?;
        let beta = machine.beta();
        let gradient =
            pos.expectations().iter().zip(neg.expectations()).map(|(a, b)| beta * (a - b)).collect();
        let total = sweeps * self.positive.len() as u64 + self.sweeps * self.negative.len() as u64;
        Ok(Estimate { gradient, sweeps: total })
    }
}

fn overwrite(state: &mut [i8], cells: &[usize], values: &[i8]) {
    for (&c, &v) in cells.iter().zip(values) {
        state[c] = v;
    }
}

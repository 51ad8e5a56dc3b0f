//! Block (chromatic) Gibbs sampling on any graph: for each colour in turn, every cell of that
//! colour is redrawn from its conditional given its neighbours (which all have other colours,
//! so the draws are independent and run in parallel). One sweep updates every cell once.
//!
//! Determinism: each colour class is cut into fixed chunks ([`crate::chip::samplers::layout::CHUNK`]),
//! each with its own streams carried across sweeps; a chunk's draws depend only on the state
//! and its streams, so the result is bit-identical for any number of threads.
//!
//! Each colour is updated in two phases: new values are drawn into a scratch buffer (reading
//! the state), then copied into the class; clamped cells are then restored.

use crate::chip::cells::cell::CellModel;
use crate::chip::cells::kinds::Kind;
use crate::chip::description::colouring::Colouring;
use crate::chip::description::graph::Topology;
use crate::chip::description::model::Model;
use crate::chip::error::ChipError;
use crate::chip::samplers::layout::{CHUNK, ChunkRng, ColourLayout};
use crate::chip::samplers::sampler::{Sampler, StateBuf, check_restart};
use crate::rng::Seed;
use rayon::prelude::*;

/// Block Gibbs sampler of model kind `K` with cells `C`.
pub struct GraphGibbs<K: Kind, C: CellModel> {
    lay: ColourLayout,
    kind: K,
    cell: C,
    state: Vec<K::Value>,
    next: Vec<K::Value>,
    rngs: Vec<ChunkRng>,
    /// (slot, value) of clamped cells.
    clamp: Vec<(usize, K::Value)>,
}

impl<K: Kind, C: CellModel> GraphGibbs<K, C> {
    /// Builds the sampler; asserts the colouring is proper, binds the cells to the slots.
    pub fn new(
        topology: &Topology,
        model: &Model,
        colouring: &Colouring,
        mut cell: C,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<Self, ChipError> {
        let lay = ColourLayout::new(topology, model, colouring)?;
        check_restart(model, init, clamp, lay.cells())?;
        cell.bind(&lay.sites)?;
        let kind = K::new(model, &lay);
        let mut me = GraphGibbs { lay, kind, cell, state: vec![], next: vec![], rngs: vec![], clamp: vec![] };
        me.load(init, clamp, seed)?;
        Ok(me)
    }

    /// State, clamps and streams (the part of construction that [`Sampler::restart`] repeats).
    fn load(&mut self, init: &StateBuf, clamp: &[(usize, f64)], seed: Seed) -> Result<(), ChipError> {
        let lay = &self.lay;
        let mut state = K::load(lay, init)
            .ok_or_else(|| ChipError::Unsupported("initial state does not match the model kind".into()))?;
        let clamp: Vec<(usize, K::Value)> =
            clamp.iter().map(|&(i, v)| (lay.slot_of[i] as usize, K::clamp_value(v))).collect();
        for &(s, v) in &clamp {
            state[s] = v;
        }
        self.rngs = lay.chunk_rngs(seed);
        self.next.clone_from(&state);
        self.state = state;
        self.clamp = clamp;
        Ok(())
    }
}

impl<K: Kind, C: CellModel> Sampler for GraphGibbs<K, C> {
    fn cells(&self) -> usize {
        self.lay.cells()
    }

    fn sweep(&mut self, pool: &rayon::ThreadPool) {
        let mut first_chunk = 0;
        for c in 0..self.lay.classes.len() {
            let class = self.lay.classes[c].clone();
            let nchunks = self.lay.chunks_in(c);
            let (lay, kind, cell, state) = (&self.lay, &self.kind, &self.cell, &self.state);
            let rngs = &mut self.rngs[first_chunk..first_chunk + nchunks];
            let next = &mut self.next[class.clone()];
            let work = |k: usize, out: &mut [K::Value], rng: &mut ChunkRng| {
                let a = class.start + k * CHUNK;
                kind.draw_block(lay, state, a..a + out.len(), out, cell, rng);
            };
            if nchunks <= 1 {
                // one chunk: waking the pool would cost more than the work (same result)
                if let Some(rng) = rngs.first_mut() {
                    work(0, next, rng);
                }
            } else {
                pool.install(|| {
                    next.par_chunks_mut(CHUNK)
                        .zip(rngs.par_iter_mut())
                        .enumerate()
                        .for_each(|(k, (out, rng))| work(k, out, rng));
                });
            }
            self.state[class.clone()].copy_from_slice(&self.next[class.clone()]);
            for &(s, v) in &self.clamp {
                if class.contains(&s) {
                    self.state[s] = v;
                }
            }
            first_chunk += nchunks;
        }
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
        (self.lay.cells() - self.clamp.len()) as u64
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
            sampler: "graph block Gibbs (colour-major compressed rows)".into(),
            local_field: "f32 sums over the cell's neighbour list".into(),
            draw: "the cell model's conditional".into(),
            vector: "portable".into(),
            threads_used: "pool when a colour has more than one chunk".into(),
        }
    }
}

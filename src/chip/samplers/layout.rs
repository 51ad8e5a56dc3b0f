//! Colour-major layout of a chip for block Gibbs: cells sorted by (colour, natural index),
//! so each colour class is a contiguous range of internal slots; neighbours and couplings in
//! compressed rows over slots (each undirected edge stored once per direction); each class
//! cut into fixed chunks of [`CHUNK`] slots, each with its own random streams, so results do
//! not depend on the number of threads.

use crate::chip::description::colouring::{Colouring, check_proper};
use crate::chip::description::graph::Topology;
use crate::chip::description::model::{Couplings, Model};
use crate::chip::error::ChipError;
use crate::chip::samplers::lanes::Lanes;
use crate::rng::{Domain, Seed, StreamRng};
use std::ops::Range;

/// Slots per chunk (fixed: never derived from the thread count).
pub const CHUNK: usize = 1024;

/// The random streams of one chunk: a scalar stream and eight vector lanes, from streams
/// (seed, CellBlock, 2k) and (seed, CellBlock, 2k + 1) of chunk k.
#[derive(Debug, Clone)]
pub struct ChunkRng {
    pub scalar: StreamRng,
    pub lanes: Lanes,
}

impl ChunkRng {
    pub fn new(seed: Seed, chunk: u64) -> Self {
        ChunkRng {
            scalar: seed.stream(Domain::CellBlock, 2 * chunk),
            lanes: Lanes::from_stream(seed.stream(Domain::CellBlock, 2 * chunk + 1)),
        }
    }
}

/// A chip in colour-major order.
#[derive(Debug, Clone)]
pub struct ColourLayout {
    /// Natural index of each slot.
    pub sites: Vec<u32>,
    /// Slot of each natural index.
    pub slot_of: Vec<u32>,
    /// Slot range of each colour class.
    pub classes: Vec<Range<usize>>,
    /// Neighbours of slot i: `nbr[start[i]..start[i+1]]` (slots), couplings in `j`.
    pub start: Vec<usize>,
    pub nbr: Vec<u32>,
    pub j: Vec<f32>,
    /// Edge id of each entry of `nbr` (to reload the couplings, see [`Self::set_couplings`]).
    pub edge: Vec<u32>,
}

impl ColourLayout {
    /// Builds the layout; fails if the colouring is not proper.
    pub fn new(topology: &Topology, model: &Model, colouring: &Colouring) -> Result<Self, ChipError> {
        let adj = topology.adjacency();
        check_proper(&adj, colouring)?;
        let n = topology.cells();
        let mut sites: Vec<u32> = (0..n as u32).collect();
        sites.sort_by_key(|&i| (colouring.colour[i as usize], i));
        let mut slot_of = vec![0u32; n];
        for (s, &i) in sites.iter().enumerate() {
            slot_of[i as usize] = s as u32;
        }
        let mut classes = vec![];
        let mut a = 0;
        for c in 0..colouring.count {
            let len = colouring.colour.iter().filter(|&&k| k as usize == c).count();
            classes.push(a..a + len);
            a += len;
        }
        let mut start = Vec::with_capacity(n + 1);
        start.push(0);
        let mut nbr = Vec::with_capacity(adj.nbr.len());
        let mut edge = Vec::with_capacity(adj.nbr.len());
        for &i in &sites {
            for (k, e) in adj.of(i as usize) {
                nbr.push(slot_of[k]);
                edge.push(e as u32);
            }
            start.push(nbr.len());
        }
        let mut lay = ColourLayout { sites, slot_of, classes, start, nbr, j: vec![], edge };
        lay.set_couplings(&model.couplings)?;
        Ok(lay)
    }

    /// Loads the couplings of every edge (e.g. new ones from a learning step), keeping the
    /// topology. Per-edge couplings must cover every edge id.
    pub fn set_couplings(&mut self, couplings: &Couplings) -> Result<(), ChipError> {
        if let Couplings::PerEdge(v) = couplings
            && let Some(&e) = self.edge.iter().find(|&&e| e as usize >= v.len())
        {
            return Err(ChipError::Unsupported(format!("no coupling for edge {e} ({} given)", v.len())));
        }
        self.j.clear();
        self.j.extend(self.edge.iter().map(|&e| couplings.get(e as usize)));
        Ok(())
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.sites.len()
    }

    /// Neighbour slots and couplings of `slot`.
    #[inline]
    pub fn row(&self, slot: usize) -> (&[u32], &[f32]) {
        let r = self.start[slot]..self.start[slot + 1];
        (&self.nbr[r.clone()], &self.j[r])
    }

    /// Number of chunks of class `c`.
    pub fn chunks_in(&self, c: usize) -> usize {
        self.classes[c].len().div_ceil(CHUNK)
    }

    /// One [`ChunkRng`] per chunk, classes in order.
    pub fn chunk_rngs(&self, seed: Seed) -> Vec<ChunkRng> {
        let total: usize = (0..self.classes.len()).map(|c| self.chunks_in(c)).sum();
        (0..total as u64).map(|k| ChunkRng::new(seed, k)).collect()
    }

    /// Reorders natural-order values into slot order.
    pub fn to_slots<T: Copy>(&self, natural: &[T]) -> Vec<T> {
        self.sites.iter().map(|&i| natural[i as usize]).collect()
    }

    /// Reorders slot-order values into natural order.
    pub fn to_natural<T: Copy>(&self, slots: &[T], out: &mut [T]) {
        for (&i, &v) in self.sites.iter().zip(slots) {
            out[i as usize] = v;
        }
    }
}

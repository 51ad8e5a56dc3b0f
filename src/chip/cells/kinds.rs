//! The conditional laws of the three energy models (see [`crate::chip::description::model`]) on a
//! [`ColourLayout`], as heat-bath draws: a cell's new state is drawn from its conditional
//! given its neighbours, with the probabilities supplied by a [`CellModel`].

use crate::chip::cells::cell::CellModel;
use crate::chip::description::model::Model;
use crate::chip::samplers::layout::{ChunkRng, ColourLayout};
use crate::chip::samplers::sampler::StateBuf;
use crate::rng::StreamRng;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::ops::Range;

/// A uniform in (0, 1) with 24 bits, matching [`crate::chip::samplers::lanes::Lanes::fill_uniform`].
#[inline]
fn uniform24(rng: &mut StreamRng) -> f32 {
    (((rng.next_u64() >> 40) as i32) as f32 + 0.5) * (1.0 / 16_777_216.0)
}

/// A uniform in [0, 1) with 53 bits.
#[inline]
fn uniform53(rng: &mut StreamRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// One energy model's state type and conditionals, in slot order.
pub trait Kind: Send + Sync + Sized {
    type Value: Copy + Send + Sync + PartialEq + std::fmt::Debug;

    /// The model's per-slot parameters.
    fn new(model: &Model, layout: &ColourLayout) -> Self;
    /// Heat-bath draw of `slot` given the state `s` (slot order).
    fn draw<C: CellModel>(
        &self,
        lay: &ColourLayout,
        s: &[Self::Value],
        slot: usize,
        cell: &C,
        rng: &mut StreamRng,
    ) -> Self::Value;
    /// Draws every slot of `range` into `out` (default: one [`Kind::draw`] per slot).
    fn draw_block<C: CellModel>(
        &self,
        lay: &ColourLayout,
        s: &[Self::Value],
        range: Range<usize>,
        out: &mut [Self::Value],
        cell: &C,
        rng: &mut ChunkRng,
    ) {
        for (o, slot) in out.iter_mut().zip(range) {
            *o = self.draw(lay, s, slot, cell, &mut rng.scalar);
        }
    }
    /// Energy of a slot-order state.
    fn energy(&self, lay: &ColourLayout, s: &[Self::Value]) -> f64;
    /// The slot-order state from a natural-order buffer (None if the variant is wrong).
    fn load(lay: &ColourLayout, init: &StateBuf) -> Option<Vec<Self::Value>>;
    /// Writes a slot-order state into a natural-order buffer.
    fn store(lay: &ColourLayout, s: &[Self::Value], out: &mut StateBuf);
    /// A clamp value as a state (validated by the config).
    fn clamp_value(v: f64) -> Self::Value;
}

/// Ising spins: P(+1) = cell.p_up(u), u = h + sum_j J s_j.
pub struct IsingKind {
    h: Vec<f32>,
}

impl IsingKind {
    #[inline]
    fn field(&self, lay: &ColourLayout, s: &[i8], slot: usize) -> f32 {
        let (nbr, j) = lay.row(slot);
        let mut u = self.h[slot];
        for (&k, &jk) in nbr.iter().zip(j) {
            u += jk * s[k as usize] as f32;
        }
        u
    }
}

impl Kind for IsingKind {
    type Value = i8;

    fn new(model: &Model, lay: &ColourLayout) -> Self {
        IsingKind { h: lay.to_slots(&model.fields) }
    }

    fn draw<C: CellModel>(
        &self,
        lay: &ColourLayout,
        s: &[i8],
        slot: usize,
        cell: &C,
        rng: &mut StreamRng,
    ) -> i8 {
        let u = [self.field(lay, s, slot)];
        let mut p = [0f32];
        cell.p_up(slot, &u, &mut p);
        if uniform24(rng) < p[0] { 1 } else { -1 }
    }

    /// Batches of 64: local fields, uniforms from the chunk's vector lanes, then the cell's
    /// draw for the whole batch.
    fn draw_block<C: CellModel>(
        &self,
        lay: &ColourLayout,
        s: &[i8],
        range: Range<usize>,
        out: &mut [i8],
        cell: &C,
        rng: &mut ChunkRng,
    ) {
        const B: usize = 64;
        let (mut u, mut p, mut r) = ([0f32; B], [0f32; B], [0f32; B]);
        for (b, outb) in out.chunks_mut(B).enumerate() {
            let first = range.start + b * B;
            let n = outb.len();
            for (k, uk) in u[..n].iter_mut().enumerate() {
                *uk = self.field(lay, s, first + k);
            }
            rng.lanes.fill_uniform(&mut r[..n]);
            cell.draw_up(first, &u[..n], &r[..n], outb, &mut p[..n]);
        }
    }

    fn energy(&self, lay: &ColourLayout, s: &[i8]) -> f64 {
        let mut e = 0f64;
        for slot in 0..s.len() {
            let (nbr, j) = lay.row(slot);
            let pair: f64 = nbr.iter().zip(j).map(|(&k, &jk)| jk as f64 * s[k as usize] as f64).sum();
            // each edge is seen from both ends
            e -= s[slot] as f64 * (self.h[slot] as f64 + 0.5 * pair);
        }
        e
    }

    fn load(lay: &ColourLayout, init: &StateBuf) -> Option<Vec<i8>> {
        match init {
            StateBuf::Spins(v) => Some(lay.to_slots(v)),
            _ => None,
        }
    }

    fn store(lay: &ColourLayout, s: &[i8], out: &mut StateBuf) {
        if let StateBuf::Spins(v) = out {
            lay.to_natural(s, v);
        }
    }

    fn clamp_value(v: f64) -> i8 {
        if v > 0.0 { 1 } else { -1 }
    }
}

/// q-state Potts: P(k) from cell.categorical(u), u_k = h[k] + sum_j J delta(k, s_j).
pub struct PottsKind {
    q: usize,
    h: Vec<f32>,
}

impl Kind for PottsKind {
    type Value = u8;

    fn new(model: &Model, lay: &ColourLayout) -> Self {
        let q = model.kind.field_width();
        let mut h = Vec::with_capacity(model.fields.len());
        for &i in &lay.sites {
            h.extend_from_slice(&model.fields[i as usize * q..(i as usize + 1) * q]);
        }
        PottsKind { q, h }
    }

    fn draw<C: CellModel>(
        &self,
        lay: &ColourLayout,
        s: &[u8],
        slot: usize,
        cell: &C,
        rng: &mut StreamRng,
    ) -> u8 {
        let q = self.q;
        let mut u = [0f64; 256];
        let mut p = [0f64; 256];
        for (uk, &hk) in u[..q].iter_mut().zip(&self.h[slot * q..(slot + 1) * q]) {
            *uk = hk as f64;
        }
        let (nbr, j) = lay.row(slot);
        for (&k, &jk) in nbr.iter().zip(j) {
            u[s[k as usize] as usize] += jk as f64;
        }
        cell.categorical(slot, &u[..q], &mut p[..q]);
        let mut x = uniform53(rng);
        for (k, &pk) in p[..q].iter().enumerate() {
            if x < pk {
                return k as u8;
            }
            x -= pk;
        }
        // rounding left x >= sum p: the last state with non-zero probability
        p[..q].iter().rposition(|&pk| pk > 0.0).unwrap_or(q - 1) as u8
    }

    fn energy(&self, lay: &ColourLayout, s: &[u8]) -> f64 {
        let mut e = 0f64;
        for slot in 0..s.len() {
            let (nbr, j) = lay.row(slot);
            let same: f64 =
                nbr.iter().zip(j).filter(|&(&k, _)| s[k as usize] == s[slot]).map(|(_, &jk)| jk as f64).sum();
            e -= self.h[slot * self.q + s[slot] as usize] as f64 + 0.5 * same;
        }
        e
    }

    fn load(lay: &ColourLayout, init: &StateBuf) -> Option<Vec<u8>> {
        match init {
            StateBuf::Potts(v) => Some(lay.to_slots(v)),
            _ => None,
        }
    }

    fn store(lay: &ColourLayout, s: &[u8], out: &mut StateBuf) {
        if let StateBuf::Potts(v) = out {
            lay.to_natural(s, v);
        }
    }

    fn clamp_value(v: f64) -> u8 {
        v as u8
    }
}

/// Gaussian field: x ~ N((b + sum_j J x_j) / d, 1 / (beta d)) via cell.gaussian.
pub struct GaussKind {
    b: Vec<f32>,
    d: Vec<f32>,
}

impl Kind for GaussKind {
    type Value = f64;

    fn new(model: &Model, lay: &ColourLayout) -> Self {
        GaussKind { b: lay.to_slots(&model.fields), d: lay.to_slots(&model.diagonal) }
    }

    fn draw<C: CellModel>(
        &self,
        lay: &ColourLayout,
        s: &[f64],
        slot: usize,
        cell: &C,
        rng: &mut StreamRng,
    ) -> f64 {
        let (nbr, j) = lay.row(slot);
        let mut m = self.b[slot] as f64;
        for (&k, &jk) in nbr.iter().zip(j) {
            m += jk as f64 * s[k as usize];
        }
        let d = self.d[slot] as f64;
        let (mean, sd) = cell.gaussian(slot, m / d, d);
        let z: f64 = StandardNormal.sample(rng);
        mean + sd * z
    }

    fn energy(&self, lay: &ColourLayout, s: &[f64]) -> f64 {
        let mut e = 0f64;
        for slot in 0..s.len() {
            let (nbr, j) = lay.row(slot);
            let pair: f64 = nbr.iter().zip(j).map(|(&k, &jk)| jk as f64 * s[k as usize]).sum();
            let x = s[slot];
            e += 0.5 * self.d[slot] as f64 * x * x - self.b[slot] as f64 * x - 0.5 * x * pair;
        }
        e
    }

    fn load(lay: &ColourLayout, init: &StateBuf) -> Option<Vec<f64>> {
        match init {
            StateBuf::Real(v) => Some(lay.to_slots(v)),
            _ => None,
        }
    }

    fn store(lay: &ColourLayout, s: &[f64], out: &mut StateBuf) {
        if let StateBuf::Real(v) = out {
            lay.to_natural(s, v);
        }
    }

    fn clamp_value(v: f64) -> f64 {
        v
    }
}

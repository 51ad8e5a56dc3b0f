//! Tracking the energy and magnetisation through the passes (see the parent module's docs),
//! and their independent recomputation from the state.

use super::{Fields, LatticeIsing};
use crate::chip::cells::cell::CellModel;

/// The tracked sums of the last pass of each colour (module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Tracked {
    pub(super) pair: [f64; 2],
    pub(super) field: [f64; 2],
    pub(super) ups: [i64; 2],
    /// Energy of the initial state (before the first sweep).
    pub(super) initial_energy: f64,
    pub(super) swept: bool,
}

impl<C: CellModel> LatticeIsing<C> {
    /// The cells of one colour array, row by row (pads skipped).
    pub(super) fn colour_cells<'a, T: Copy>(&self, v: &'a [T]) -> impl Iterator<Item = T> + 'a {
        let (m, p) = (self.g.m, self.g.lead);
        v.chunks(self.g.stride).flat_map(move |row| row[p..p + m].iter().copied())
    }

    /// E recomputed from the state in f64, each edge once: E = -sum_i h_i s_i - sum over
    /// colour-0 cells of s_i sum_d J_id s_nbr (every edge joins the two colours).
    pub fn recompute_energy(&self) -> f64 {
        let (l, m, st, p) = (self.g.l, self.g.m, self.g.stride, self.g.lead);
        let mut e = 0f64;
        for y in 0..l {
            let bases = self.g.row_bases::<0>(y);
            for k in 0..m {
                for c in 0..2 {
                    e -= self.s[c][y * st + p + k] as f64 * self.field_at(c, y * st + p + k);
                }
                let pair: f64 = bases
                    .iter()
                    .map(|&[sb, jb]| {
                        let j = match &self.fields {
                            Fields::Real { j, .. } => j[jb + k] as f64,
                            Fields::Int { w, unit, .. } => w[jb + k] as f64 * *unit as f64,
                        };
                        j * self.s[1][sb + k] as f64
                    })
                    .sum();
                e -= self.s[0][y * st + p + k] as f64 * pair;
            }
        }
        e
    }

    /// h of the cell at `idx` of colour `c` (f64).
    fn field_at(&self, c: usize, idx: usize) -> f64 {
        match &self.fields {
            Fields::Real { h, .. } => h.as_ref().map_or(0.0, |h| h[c][idx] as f64),
            Fields::Int { v, unit, offset, .. } => {
                v.as_ref().map_or(0.0, |v| v[c][idx] as f64 * *unit as f64) + *offset as f64
            }
        }
    }

    /// The local field of the cell at `idx` of colour `COL` as the kernels compute it: (u,
    /// n) with n the integer sum (integer fields) or 0.
    pub(super) fn local_field<const COL: usize>(&self, idx: usize) -> (f32, i64) {
        let (y, k) = (idx / self.g.stride, idx % self.g.stride - self.g.lead);
        let bases = self.g.row_bases::<COL>(y);
        match &self.fields {
            Fields::Real { j, h } => {
                let mut u = h.as_ref().map_or(0.0, |h| h[COL][idx]);
                for &[sb, jb] in bases {
                    u += j[jb + k] * self.s[1 - COL][sb + k] as f32;
                }
                (u, 0)
            }
            Fields::Int { w, v, .. } => {
                let mut n = v.as_ref().map_or(0, |v| v[COL][idx] as i64);
                for &[sb, jb] in bases {
                    n += w[jb + k] as i64 * self.s[1 - COL][sb + k] as i64;
                }
                (0.0, n)
            }
        }
    }

    /// Adds up the chunks' statistics in chunk order, restores clamped cells (correcting the
    /// sums), and records the colour's tracked sums.
    pub(super) fn finish_pass<const COL: usize>(&mut self) {
        let chunks = &self.stats[COL];
        let mut ups: i64 = chunks.iter().map(|s| s.ups).sum();
        let mut pair = chunks.iter().fold(0.0, |a, s| a + s.pair_sum());
        let mut field = chunks.iter().fold(0.0, |a, s| a + s.field_sum());
        let (mut pair_int, mut field_int): (i64, i64) =
            (chunks.iter().map(|s| s.pair_int).sum(), chunks.iter().map(|s| s.field_int).sum());
        let st = self.g.stride;
        for i in 0..self.clamp[COL].len() {
            let (idx, v) = self.clamp[COL][i];
            let drawn = self.s[COL][idx];
            if drawn == v {
                continue;
            }
            let delta = (v - drawn) as i64;
            ups += delta / 2;
            let (u, n) = self.local_field::<COL>(idx);
            match &self.fields {
                Fields::Real { h, .. } => {
                    pair += delta as f64 * u as f64;
                    field += delta as f64 * h.as_ref().map_or(0.0, |h| h[COL][idx] as f64);
                }
                Fields::Int { v: vf, .. } => {
                    pair_int += delta * n;
                    field_int += delta * vf.as_ref().map_or(0, |vf| vf[COL][idx] as i64);
                }
            }
            let y = idx / st;
            self.s[COL][idx] = v;
            self.g.refresh_pads(&mut self.s[COL][y * st..(y + 1) * st]);
        }
        if let Fields::Int { unit, offset, .. } = &self.fields {
            let sum_s = (2 * ups - (self.g.l * self.g.m) as i64) as f64;
            pair = *unit as f64 * pair_int as f64 + *offset as f64 * sum_s;
            field = *unit as f64 * field_int as f64 + *offset as f64 * sum_s;
        }
        self.tracked.ups[COL] = ups;
        self.tracked.pair[COL] = pair;
        self.tracked.field[COL] = field;
    }
}

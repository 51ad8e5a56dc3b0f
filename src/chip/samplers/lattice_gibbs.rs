//! The fast path: checkerboard block Gibbs for the Ising model on an L x L jump-vector
//! lattice (L even, torus or open), generic over the cell model.
//!
//! Layout: colour c = (x + y) mod 2; in row y the cells of colour c are x = x0 + 2k,
//! x0 = (c + y) mod 2, k in 0..M, M = L/2. A jump (a, b) from colour c, row y reaches colour
//! 1 - c, row y + b, column k + delta with delta = (x0 + a - x0') / 2 depending only on c,
//! the parity of y and the direction: every neighbour of a row is the same row of the other
//! colour rotated by a fixed offset, so neighbour indices are implicit and the local-field
//! loop runs over contiguous slices (vectorised). Storage and the row kernel (padded rows,
//! couplings once per undirected edge, f32; absent edges of an open lattice have J = 0) are
//! in [`crate::chip::samplers::lattice_kernel`].
//!
//! Per block of 16 cells: u = h + sum_d J_d s_nbr (f32), uniforms from eight Xoshiro256++
//! lanes, then s = +1 if U < P(+1) else -1 via cell.draw_up (ideal cell: U (1 + e^{-2 beta u})
//! < 1 with a fast exp). Rows are grouped into fixed chunks of about [`CELLS_PER_CHUNK`]
//! cells, each with its own lanes carried across sweeps ((seed, CellBlock, 2 chunks c + k)),
//! so results do not depend on the thread count.

use crate::chip::cells::cell::{CellModel, ideal_k};
use crate::chip::description::graph::Lattice;
use crate::chip::description::model::{Couplings, Model, ModelKind};
use crate::chip::error::ChipError;
use crate::chip::samplers::lanes::Lanes;
use crate::chip::samplers::lattice_kernel::{Geom, W, update_row};
use crate::chip::samplers::sampler::{Sampler, StateBuf, check_restart};
use crate::rng::{Domain, Seed};
use rayon::prelude::*;

/// Target number of cells per chunk (fixed by L only).
pub const CELLS_PER_CHUNK: usize = 4096;

/// Checkerboard Ising sampler on an even lattice.
pub struct LatticeIsing<C: CellModel> {
    g: Geom,
    /// Spins per colour, padded rows.
    s: [Vec<i8>; 2],
    /// Couplings of colour-0 cells, every direction (each undirected edge once).
    j: Vec<f32>,
    /// Fields per colour; None when every field is zero.
    h: Option<[Vec<f32>; 2]>,
    rng: [Vec<Lanes>; 2],
    rows_per_chunk: usize,
    /// (index in the padded colour array, value) of clamped cells.
    clamp: [Vec<(usize, i8)>; 2],
    cell: C,
    /// Natural index of each slot (colour-major, then row, then column).
    sites: Vec<u32>,
    /// (index in `j`, edge id) of every present edge, to reload the couplings.
    edges: Vec<(usize, usize)>,
}

impl<C: CellModel> LatticeIsing<C> {
    /// Builds the sampler for an Ising `model` on `lattice` (L even).
    pub fn new(
        lattice: &Lattice,
        model: &Model,
        mut cell: C,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<Self, ChipError> {
        let l = lattice.l;
        if l % 2 != 0 || model.kind != ModelKind::Ising {
            return Err(ChipError::Unsupported(
                "the lattice fast path needs an Ising model on an even L".into(),
            ));
        }
        let m = l / 2;
        let dirs = lattice.directions();
        let d = dirs.len();
        let dy: Vec<i64> = dirs.iter().map(|&(_, b)| b).collect();
        let opp: Vec<usize> = (0..d).map(|k| (k + d / 2) % d).collect();
        let mut koff: [[Vec<isize>; 2]; 2] = Default::default();
        for (c, kc) in koff.iter_mut().enumerate() {
            for (py, kp) in kc.iter_mut().enumerate() {
                for &(a, b) in dirs {
                    let x0 = ((c + py) % 2) as i64;
                    let x1 = ((1 - c as i64) + py as i64 + b).rem_euclid(2);
                    let delta = x0 + a - x1;
                    debug_assert_eq!(delta % 2, 0);
                    kp.push((delta / 2) as isize);
                }
            }
        }
        let reach = koff.iter().flatten().flatten().map(|o| o.unsigned_abs()).max().unwrap_or(0);
        let lead = reach.div_ceil(W).max(1) * W;
        let st = 2 * lead + m.div_ceil(W) * W;
        let mut sites = Vec::with_capacity(l * l);
        let mut edges = Vec::with_capacity(l * l * d / 2);
        for c in 0..2 {
            for y in 0..l {
                for k in 0..m {
                    let x = (c + y) % 2 + 2 * k;
                    let site = y * l + x;
                    sites.push(site as u32);
                    for dd in 0..d {
                        if c == 0 && lattice.neighbour_xy(x, y, dd).is_some() {
                            edges.push(((y * d + dd) * st + lead + k, lattice.edge_id(site, dd)));
                        }
                    }
                }
            }
        }
        cell.bind(&sites)?;
        let g = Geom { l, m, lead, stride: st, d, dy, koff, opp, allow_avx2: true };
        let rows_per_chunk = (CELLS_PER_CHUNK / m).clamp(1, l);
        let mut me = LatticeIsing {
            g,
            s: [vec![0; l * st], vec![0; l * st]],
            j: vec![0f32; l * d * st],
            h: None,
            rng: Default::default(),
            rows_per_chunk,
            clamp: Default::default(),
            cell,
            sites,
            edges,
        };
        me.load(model, init, clamp, seed)?;
        Ok(me)
    }

    /// Couplings, fields, state, clamps and streams: the part of construction that
    /// [`Sampler::restart`] repeats.
    fn load(
        &mut self,
        model: &Model,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<(), ChipError> {
        let (l, m, st, lead) = (self.g.l, self.g.m, self.g.stride, self.g.lead);
        if model.kind != ModelKind::Ising {
            return Err(ChipError::Unsupported("the lattice fast path needs an Ising model".into()));
        }
        check_restart(model, init, clamp, l * l)?;
        let StateBuf::Spins(init) = init else {
            return Err(ChipError::Unsupported("initial state does not match the model kind".into()));
        };
        if let Couplings::PerEdge(v) = &model.couplings
            && let Some(&(_, e)) = self.edges.iter().find(|&&(_, e)| e >= v.len())
        {
            return Err(ChipError::Unsupported(format!("no coupling for edge {e} ({} given)", v.len())));
        }
        let has_h = model.fields.iter().any(|&f| f != 0.0);
        let mut h = match self.h.take() {
            Some(h) if has_h => Some(h),
            None if has_h => Some([vec![0.0; l * st], vec![0.0; l * st]]),
            _ => None,
        };
        for (slot, &site) in self.sites.iter().enumerate() {
            let (c, rest) = (slot / (l * m), slot % (l * m));
            let idx = (rest / m) * st + lead + rest % m;
            self.s[c][idx] = if init[site as usize] > 0 { 1 } else { -1 };
            if let Some(h) = h.as_mut() {
                h[c][idx] = model.fields[site as usize];
            }
        }
        for &(idx, e) in &self.edges {
            self.j[idx] = model.couplings.get(e);
        }
        let mut cl: [Vec<(usize, i8)>; 2] = Default::default();
        for &(site, v) in clamp {
            let (x, y) = (site % l, site / l);
            let c = (x + y) % 2;
            let idx = y * st + lead + x / 2;
            let v = if v > 0.0 { 1 } else { -1 };
            self.s[c][idx] = v;
            cl[c].push((idx, v));
        }
        let g = &self.g;
        for v in self.s.iter_mut() {
            v.chunks_mut(st).for_each(|row| g.refresh_pads(row));
        }
        self.j.chunks_mut(st).for_each(|row| g.refresh_pads(row));
        let nchunks = l.div_ceil(self.rows_per_chunk);
        self.rng = [0, 1].map(|c| {
            (0..nchunks)
                .map(|k| Lanes::from_stream(seed.stream(Domain::CellBlock, (c * nchunks + k) as u64)))
                .collect()
        });
        self.h = h;
        self.clamp = cl;
        Ok(())
    }

    /// Allows or forbids the AVX2 build of the row kernel (default: allowed where the CPU has
    /// it). Both builds give bit-identical results; this exists so that tests can check it.
    pub fn set_allow_avx2(&mut self, allow: bool) {
        self.g.allow_avx2 = allow;
    }

    /// Bytes of sampler state per cell (spins, fields, couplings, streams; row pads included).
    pub fn bytes_per_cell(&self) -> f64 {
        let n = (self.g.l * self.g.l) as f64;
        let bytes = self.s.iter().map(|v| v.len()).sum::<usize>()
            + 4 * (self.h.iter().flatten().map(|v| v.len()).sum::<usize>() + self.j.len())
            + (self.rng[0].len() + self.rng[1].len()) * std::mem::size_of::<Lanes>();
        bytes as f64 / n
    }
}

impl<C: CellModel> LatticeIsing<C> {
    /// Both colours in turn; chunks in parallel (on the current pool) if `parallel`.
    fn sweep_colours(&mut self, parallel: bool) {
        self.sweep_colour::<0>(parallel);
        self.sweep_colour::<1>(parallel);
    }

    fn sweep_colour<const COL: usize>(&mut self, parallel: bool) {
        let st = self.g.stride;
        let rpc = self.rows_per_chunk;
        let (a, b) = self.s.split_at_mut(1);
        let (mine, other) = if COL == 0 { (&mut a[0], &b[0]) } else { (&mut b[0], &a[0]) };
        let (g, j, cell) = (&self.g, &self.j, &self.cell);
        let h = self.h.as_ref().map(|h| &h[COL][..]);
        let ideal = cell.ideal_beta().map(ideal_k);
        let rng = &mut self.rng[COL];
        let work = |ch: usize, rows: &mut [i8], lanes: &mut Lanes| {
            update_chunk_dispatch::<C, COL>(g, ch * rpc, rows, other, j, h, cell, ideal, lanes);
        };
        if parallel {
            mine.par_chunks_mut(rpc * st)
                .zip(rng.par_iter_mut())
                .enumerate()
                .for_each(|(ch, (rows, lanes))| work(ch, rows, lanes));
        } else {
            for (ch, (rows, lanes)) in mine.chunks_mut(rpc * st).zip(rng.iter_mut()).enumerate() {
                work(ch, rows, lanes);
            }
        }
        for &(idx, v) in &self.clamp[COL] {
            self.s[COL][idx] = v;
            let y = idx / st;
            self.g.refresh_pads(&mut self.s[COL][y * st..(y + 1) * st]);
        }
    }
}

/// Redraws the rows of one chunk (first row `y0`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn update_chunk<C: CellModel, const COL: usize, const AVX2: bool>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    other: &[i8],
    j: &[f32],
    h: Option<&[f32]>,
    cell: &C,
    lanes: &mut Lanes,
) {
    for (r, row) in rows.chunks_mut(g.stride).enumerate() {
        let y = y0 + r;
        let first = (COL * g.l + y) * g.m;
        update_row::<C, COL, AVX2>(g, y, first, row, other, j, h, cell, lanes);
    }
}

/// The same code compiled for AVX2 (8 f32 lanes instead of SSE2's 4). Only plain IEEE
/// operations are used (Rust never fuses a * b + c), so the results are bit-identical to the
/// baseline path: the choice depends on the CPU, never the output.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
fn update_chunk_avx2<C: CellModel, const COL: usize>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    other: &[i8],
    j: &[f32],
    h: Option<&[f32]>,
    cell: &C,
    lanes: &mut Lanes,
) {
    update_chunk::<C, COL, true>(g, y0, rows, other, j, h, cell, lanes)
}

/// Runtime dispatch: the explicit AVX2 kernel for ideal cells (`ideal` = Some(k)), else the
/// AVX2 or baseline build of [`update_chunk`]. All three give bit-identical results.
#[allow(clippy::too_many_arguments)]
fn update_chunk_dispatch<C: CellModel, const COL: usize>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    other: &[i8],
    j: &[f32],
    h: Option<&[f32]>,
    cell: &C,
    ideal: Option<f32>,
    lanes: &mut Lanes,
) {
    #[cfg(target_arch = "x86_64")]
    if g.allow_avx2 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above)
        unsafe {
            match ideal {
                Some(k) => crate::chip::samplers::lattice_ideal::update_chunk::<COL>(
                    g, y0, rows, other, j, h, k, lanes,
                ),
                None => update_chunk_avx2::<C, COL>(g, y0, rows, other, j, h, cell, lanes),
            }
        }
        return;
    }
    let _ = ideal;
    update_chunk::<C, COL, false>(g, y0, rows, other, j, h, cell, lanes)
}

impl<C: CellModel> Sampler for LatticeIsing<C> {
    fn cells(&self) -> usize {
        self.g.l * self.g.l
    }

    fn sweep(&mut self, pool: &rayon::ThreadPool) {
        if pool.current_num_threads() == 1 || self.rng[0].len() == 1 {
            // nothing to share: run on the calling thread (same result, no hand-off)
            self.sweep_colours(false);
        } else {
            // one hand-off to the pool per sweep, not per colour
            pool.install(|| self.sweep_colours(true));
        }
    }

    fn set_beta(&mut self, beta: f64) -> Result<(), ChipError> {
        self.cell.set_beta(beta)
    }

    fn read(&self, out: &mut StateBuf) {
        let StateBuf::Spins(out) = out else { return };
        let (l, m, st, p) = (self.g.l, self.g.m, self.g.stride, self.g.lead);
        for c in 0..2 {
            for y in 0..l {
                let x0 = (c + y) % 2;
                let row = &self.s[c][y * st + p..y * st + p + m];
                let dst = &mut out[y * l..(y + 1) * l];
                for (k, &v) in row.iter().enumerate() {
                    dst[x0 + 2 * k] = v;
                }
            }
        }
    }

    /// E = -sum_i h_i s_i - sum_{i in colour 0} s_i sum_d J_id s_nbr: every edge joins the two
    /// colours, so summing over colour-0 cells counts each edge once.
    fn energy(&self) -> f64 {
        let (l, m, st, p) = (self.g.l, self.g.m, self.g.stride, self.g.lead);
        let mut e = 0f64;
        let mut u = vec![0f64; m];
        for y in 0..l {
            if let Some(h) = &self.h {
                for c in 0..2 {
                    let r = y * st + p..y * st + p + m;
                    e -= self.s[c][r.clone()]
                        .iter()
                        .zip(&h[c][r])
                        .map(|(&s, &h)| s as f64 * h as f64)
                        .sum::<f64>();
                }
            }
            self.g.pair_fields::<0>(y, &self.s[1], &self.j, &mut u);
            e -= self.s[0][y * st + p..y * st + p + m]
                .iter()
                .zip(&u)
                .map(|(&s, &u)| s as f64 * u)
                .sum::<f64>();
        }
        e
    }

    fn updates_last_sweep(&self) -> u64 {
        (self.g.l * self.g.l - self.clamp[0].len() - self.clamp[1].len()) as u64
    }

    fn restart(
        &mut self,
        model: &Model,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<(), ChipError> {
        self.load(model, init, clamp, seed)
    }
}

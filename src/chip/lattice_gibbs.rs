//! The fast path: checkerboard block Gibbs for the Ising model on an L x L jump-vector
//! lattice (L even, torus or open), generic over the cell model.
//!
//! Layout: colour c = (x + y) mod 2; in row y the cells of colour c are x = x0 + 2k,
//! x0 = (c + y) mod 2, k in 0..M, M = L/2, stored at `s[c][y * M + k]` as i8 (+-1). A jump
//! (a, b) from colour c, row y reaches colour 1 - c, row y + b, column k + delta with
//! delta = (x0 + a - x0') / 2 depending only on c, the parity of y and the direction: every
//! neighbour of a row is the same row of the other colour rotated by a fixed offset, so
//! neighbour indices are implicit and the local-field loop runs over contiguous slices
//! (vectorised). Couplings are f32, stored per cell and direction (`j[c][(y D + d) M + k]`,
//! each edge once per direction); absent edges of an open lattice have J = 0.
//!
//! Per row: u = h + sum_d J_d s_nbr (f32), uniforms U from eight Xoshiro256++ lanes, then
//! s = +1 if U < P(+1) else -1 via cell.draw_up (ideal cell: U (1 + e^{-2 beta u}) < 1 with a
//! fast exp). Rows are grouped into
//! fixed chunks of about [`CELLS_PER_CHUNK`] cells, each with its own lanes carried across
//! sweeps ((seed, CellBlock, 2 chunks c + k)), so results do not depend on the thread count.

use crate::chip::cell::CellModel;
use crate::chip::error::ChipError;
use crate::chip::graph::Lattice;
use crate::chip::lanes::Lanes;
use crate::chip::model::{Model, ModelKind};
use crate::chip::sampler::{Sampler, StateBuf};
use crate::rng::{Domain, Seed};
use rayon::prelude::*;

/// Target number of cells per chunk (fixed by L only).
pub const CELLS_PER_CHUNK: usize = 4096;

/// Row geometry shared by all chunks.
struct Geom {
    l: usize,
    m: usize,
    d: usize,
    /// Row offset of each direction.
    dy: Vec<i64>,
    /// Column offset in 0..M for [colour][row parity][direction].
    koff: [[Vec<usize>; 2]; 2],
    /// Use the AVX2 build when the CPU has it.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    allow_avx2: bool,
}

/// Checkerboard Ising sampler on an even lattice.
pub struct LatticeIsing<C: CellModel> {
    g: Geom,
    s: [Vec<i8>; 2],
    j: [Vec<f32>; 2],
    h: [Vec<f32>; 2],
    rng: [Vec<Lanes>; 2],
    rows_per_chunk: usize,
    clamp: [Vec<(usize, i8)>; 2],
    cell: C,
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
        let StateBuf::Spins(init) = init else {
            return Err(ChipError::Unsupported("initial state does not match the model kind".into()));
        };
        let m = l / 2;
        let dirs = lattice.directions();
        let d = dirs.len();
        let dy: Vec<i64> = dirs.iter().map(|&(_, b)| b).collect();
        let mut koff: [[Vec<usize>; 2]; 2] = Default::default();
        for (c, kc) in koff.iter_mut().enumerate() {
            for (py, kp) in kc.iter_mut().enumerate() {
                for &(a, b) in dirs {
                    let x0 = ((c + py) % 2) as i64;
                    let x1 = ((1 - c as i64) + py as i64 + b).rem_euclid(2);
                    let delta = x0 + a - x1;
                    debug_assert_eq!(delta % 2, 0);
                    kp.push((delta / 2).rem_euclid(m as i64) as usize);
                }
            }
        }
        let mut sites = Vec::with_capacity(l * l);
        let mut s: [Vec<i8>; 2] = [vec![0; l * m], vec![0; l * m]];
        let mut h: [Vec<f32>; 2] = [vec![0.0; l * m], vec![0.0; l * m]];
        let mut j: [Vec<f32>; 2] = [vec![0.0; l * m * d], vec![0.0; l * m * d]];
        for c in 0..2 {
            for y in 0..l {
                for k in 0..m {
                    let x = (c + y) % 2 + 2 * k;
                    let site = y * l + x;
                    sites.push(site as u32);
                    s[c][y * m + k] = if init[site] > 0 { 1 } else { -1 };
                    h[c][y * m + k] = model.fields[site];
                    for dd in 0..d {
                        if lattice.neighbour_xy(x, y, dd).is_some() {
                            j[c][(y * d + dd) * m + k] = model.couplings.get(lattice.edge_id(site, dd));
                        }
                    }
                }
            }
        }
        cell.bind(&sites)?;
        let mut cl: [Vec<(usize, i8)>; 2] = Default::default();
        for &(site, v) in clamp {
            let (x, y) = (site % l, site / l);
            let c = (x + y) % 2;
            let idx = y * m + x / 2;
            let v = if v > 0.0 { 1 } else { -1 };
            s[c][idx] = v;
            cl[c].push((idx, v));
        }
        let rows_per_chunk = (CELLS_PER_CHUNK / m).clamp(1, l);
        let nchunks = l.div_ceil(rows_per_chunk);
        let rng = [0, 1].map(|c| {
            (0..nchunks)
                .map(|k| Lanes::from_stream(seed.stream(Domain::CellBlock, (c * nchunks + k) as u64)))
                .collect()
        });
        Ok(LatticeIsing {
            g: Geom { l, m, d, dy, koff, allow_avx2: true },
            s,
            j,
            h,
            rng,
            rows_per_chunk,
            clamp: cl,
            cell,
        })
    }

    /// Allows or forbids the AVX2 build of the row kernel (default: allowed where the CPU has
    /// it). Both builds give bit-identical results; this exists so that tests can check it.
    pub fn set_allow_avx2(&mut self, allow: bool) {
        self.g.allow_avx2 = allow;
    }

    /// Bytes of sampler state per cell (spins, fields, couplings, streams).
    pub fn bytes_per_cell(&self) -> f64 {
        let n = (2 * self.g.l * self.g.m) as f64;
        let bytes = 2 * self.g.l * self.g.m * (1 + 4 + 4 * self.g.d)
            + (self.rng[0].len() + self.rng[1].len()) * std::mem::size_of::<Lanes>();
        bytes as f64 / n
    }
}

impl<C: CellModel> LatticeIsing<C> {
    /// Both colours in turn; chunks in parallel (on the current pool) if `parallel`.
    fn sweep_colours(&mut self, parallel: bool) {
        let m = self.g.m;
        let rpc = self.rows_per_chunk;
        for c in 0..2 {
            let (a, b) = self.s.split_at_mut(1);
            let (mine, other) = if c == 0 { (&mut a[0], &b[0]) } else { (&mut b[0], &a[0]) };
            let (g, j, h, cell) = (&self.g, &self.j[c], &self.h[c], &self.cell);
            let rng = &mut self.rng[c];
            let work = |ch: usize, rows: &mut [i8], lanes: &mut Lanes| {
                update_chunk_dispatch(g, c, ch * rpc, rows, other, j, h, cell, lanes);
            };
            if parallel {
                mine.par_chunks_mut(rpc * m)
                    .zip(rng.par_iter_mut())
                    .enumerate()
                    .for_each(|(ch, (rows, lanes))| work(ch, rows, lanes));
            } else {
                for (ch, (rows, lanes)) in mine.chunks_mut(rpc * m).zip(rng.iter_mut()).enumerate() {
                    work(ch, rows, lanes);
                }
            }
            for &(idx, v) in &self.clamp[c] {
                self.s[c][idx] = v;
            }
        }
    }
}

/// u[k] += J[k] * src[(start + k) mod M] for k in 0..u.len(), as two contiguous loops.
#[inline(always)]
fn accumulate(u: &mut [f32], jr: &[f32], src: &[i8], start: usize) {
    let first = u.len().min(src.len() - start);
    let (u0, u1) = u.split_at_mut(first);
    let (j0, j1) = jr.split_at(first);
    for ((u, &j), &s) in u0.iter_mut().zip(j0).zip(&src[start..start + first]) {
        *u += j * s as f32;
    }
    for ((u, &j), &s) in u1.iter_mut().zip(j1).zip(src) {
        *u += j * s as f32;
    }
}

/// Local pair fields (without h) of cells k0..k0+u.len() of colour c, row y.
#[inline(always)]
fn pair_field(g: &Geom, c: usize, y: usize, k0: usize, u: &mut [f32], other: &[i8], j: &[f32]) {
    let m = g.m;
    for d in 0..g.d {
        let yr = (y as i64 + g.dy[d]).rem_euclid(g.l as i64) as usize;
        let src = &other[yr * m..(yr + 1) * m];
        let jr = &j[(y * g.d + d) * m + k0..][..u.len()];
        let start = (k0 + g.koff[c][y % 2][d]) % m;
        accumulate(u, jr, src, start);
    }
}

/// Scratch buffers of one row block (local fields, probabilities, uniforms).
const B: usize = 256;
struct Scratch {
    u: [f32; B],
    p: [f32; B],
    r: [f32; B],
}

/// Redraws row y of colour c.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn update_row<C: CellModel>(
    g: &Geom,
    c: usize,
    y: usize,
    row: &mut [i8],
    other: &[i8],
    j: &[f32],
    h: &[f32],
    cell: &C,
    lanes: &mut Lanes,
    sc: &mut Scratch,
) {
    let m = g.m;
    for k0 in (0..m).step_by(B) {
        let n = B.min(m - k0);
        let u = &mut sc.u[..n];
        u.copy_from_slice(&h[y * m + k0..y * m + k0 + n]);
        pair_field(g, c, y, k0, u, other, j);
        lanes.fill_uniform(&mut sc.r[..n]);
        cell.draw_up(c * g.l * m + y * m + k0, u, &sc.r[..n], &mut row[k0..k0 + n], &mut sc.p);
    }
}

/// Redraws the rows of one chunk (first row `y0`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn update_chunk<C: CellModel>(
    g: &Geom,
    c: usize,
    y0: usize,
    rows: &mut [i8],
    other: &[i8],
    j: &[f32],
    h: &[f32],
    cell: &C,
    lanes: &mut Lanes,
) {
    let mut sc = Scratch { u: [0.0; B], p: [0.0; B], r: [0.0; B] };
    for (r, row) in rows.chunks_mut(g.m).enumerate() {
        update_row(g, c, y0 + r, row, other, j, h, cell, lanes, &mut sc);
    }
}

/// The same code compiled for AVX2 (8 f32 lanes instead of SSE2's 4). Only plain IEEE
/// operations are used (Rust never fuses a * b + c), so the results are bit-identical to the
/// baseline path: the choice depends on the CPU, never the output.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
fn update_chunk_avx2<C: CellModel>(
    g: &Geom,
    c: usize,
    y0: usize,
    rows: &mut [i8],
    other: &[i8],
    j: &[f32],
    h: &[f32],
    cell: &C,
    lanes: &mut Lanes,
) {
    update_chunk(g, c, y0, rows, other, j, h, cell, lanes)
}

/// Runtime dispatch between the AVX2 and baseline builds of [`update_chunk`].
#[allow(clippy::too_many_arguments)]
fn update_chunk_dispatch<C: CellModel>(
    g: &Geom,
    c: usize,
    y0: usize,
    rows: &mut [i8],
    other: &[i8],
    j: &[f32],
    h: &[f32],
    cell: &C,
    lanes: &mut Lanes,
) {
    #[cfg(target_arch = "x86_64")]
    if g.allow_avx2 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above)
        unsafe { update_chunk_avx2(g, c, y0, rows, other, j, h, cell, lanes) };
        return;
    }
    update_chunk(g, c, y0, rows, other, j, h, cell, lanes)
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
        let (l, m) = (self.g.l, self.g.m);
        for c in 0..2 {
            for y in 0..l {
                let x0 = (c + y) % 2;
                let row = &self.s[c][y * m..(y + 1) * m];
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
        let (l, m) = (self.g.l, self.g.m);
        let mut e = 0f64;
        for c in 0..2 {
            e -= self.s[c].iter().zip(&self.h[c]).map(|(&s, &h)| s as f64 * h as f64).sum::<f64>();
        }
        let mut u = vec![0f32; m];
        for y in 0..l {
            u.fill(0.0);
            pair_field(&self.g, 0, y, 0, &mut u, &self.s[1], &self.j[0]);
            e -=
                self.s[0][y * m..(y + 1) * m].iter().zip(&u).map(|(&s, &u)| s as f64 * u as f64).sum::<f64>();
        }
        e
    }

    fn updates_last_sweep(&self) -> u64 {
        (self.g.l * self.g.l - self.clamp[0].len() - self.clamp[1].len()) as u64
    }
}

//! The row kernel of the lattice path ([`crate::chip::samplers::lattice_gibbs`]), portable
//! version: the reference that the AVX2 kernels ([`crate::chip::samplers::lattice_avx2`])
//! reproduce bit for bit, and the kernel that drives any other cell model's `draw_up`.
//!
//! Storage: every array has rows of stride `S = 2 P + ceil(M / W) W`, cell k of a row at
//! `P + k`. The P entries before and the `S - P - M` entries after the M cells (the *pads*)
//! hold the row's periodic continuation, entry `P + i` holding cell `i mod M` for every i,
//! and P is at least the largest column offset of any direction (|offset| <= 12 for the
//! jump vectors up to degree 20). So the neighbour slice of a block in any direction is one
//! contiguous read at a fixed signed offset: no split at the wrap, no modulo per block.
//! - spins of colour c, row y: `s[c][y S + P + k]` (i8, +-1), and with f32 fields their f32
//!   image (+-1.0) in the same layout, so that a neighbour term is one multiply-add;
//! - couplings **once per undirected edge**: only colour-0 cells store theirs, all D
//!   directions, at `j[(y D + d) S + P + k]` (f32, or the integers w of
//!   [`crate::chip::samplers::lattice_plan`]). Colour 1 reads the edge to its neighbour in
//!   direction d from that neighbour's entry in the opposite direction, which lies on colour-0
//!   row y + dy[d] at the same offset as the neighbour's spin;
//! - fields `h[c][y S + P + k]` (f32 or integers), or none when they are all equal.
//!
//! A row is drawn in groups of [`G`] = 8 cells; group g uses half g mod 2 of the chunk's
//! eight Xoshiro lanes, stepped once ([`Lanes::bits8`]): u = h + sum_d J_d s_d (f32, in
//! direction order) or n = v + sum_d w_d s_d (exact integers, u = J0 n + h0), then the draw of
//! [`DrawView`]. The spins of the last group beyond M land in the pads, which are refreshed
//! after the row.
//!
//! **Statistics in the same pass** (for the energy and magnetisation, no pass per sample):
//! each chunk counts its +1 cells and adds up sum_i s_i u_i and sum_i h_i s_i over its new
//! spins: f32 fields in 16 f32 lanes per row (lane = cell mod 16, zero for cells beyond M),
//! added lane-wise into 16 f64 sums at the end of each row; integer fields exactly in
//! integers. The order of every addition is fixed by the layout, so the AVX2 kernels give the
//! same bits.

use crate::chip::cells::cell::{CellModel, ideal_up, logistic_up};
use crate::chip::samplers::lanes::{Lanes, uniform_of};
use crate::chip::samplers::lattice_plan::TABLE;

/// Row padding granule: rows hold a multiple of W cells.
pub const W: usize = 16;
/// Cells per group: one half-step of the lanes.
pub const G: usize = 8;
/// Largest lattice degree (jump-vector lattices go up to 20).
pub const MAX_D: usize = 20;

/// Row geometry shared by all chunks.
pub struct Geom {
    pub l: usize,
    /// Cells of one colour per row, L / 2.
    pub m: usize,
    /// Pad before the cells of a row (a multiple of W).
    pub lead: usize,
    /// Row stride of every array.
    pub stride: usize,
    pub d: usize,
    /// Row offset of each direction.
    pub dy: Vec<i64>,
    /// (y + dy[d]) mod L at `[y D + d]` (no division per row).
    pub wrapped: Vec<u32>,
    /// Signed column offset (|offset| <= lead) for [colour][row parity][direction].
    pub koff: [[Vec<isize>; 2]; 2],
    /// The opposite of each direction.
    pub opp: Vec<usize>,
    /// Use the AVX2 kernels when the CPU has AVX2 and FMA.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub allow_avx2: bool,
}

impl Geom {
    /// Index of the first neighbour spin and the first coupling of row y, colour `COL`, in
    /// each direction (block k0 reads from index + k0 on).
    #[inline(always)]
    pub fn row_bases<const COL: usize>(&self, y: usize) -> ([usize; MAX_D], [usize; MAX_D]) {
        let (mut sb, mut jb) = ([0; MAX_D], [0; MAX_D]);
        for d in 0..self.d {
            (sb[d], jb[d]) = self.base::<COL>(y, d);
        }
        (sb, jb)
    }

    /// [`Geom::row_bases`] for one direction.
    #[inline(always)]
    pub fn base<const COL: usize>(&self, y: usize, d: usize) -> (usize, usize) {
        let yr = self.wrapped[y * self.d + d] as usize;
        let k = (self.lead as isize + self.koff[COL][y % 2][d]) as usize;
        let jb = if COL == 0 {
            (y * self.d + d) * self.stride + self.lead
        } else {
            (yr * self.d + self.opp[d]) * self.stride + k
        };
        (yr * self.stride + k, jb)
    }

    /// Writes the periodic continuation of a row's cells into its pads.
    #[inline(always)]
    pub fn refresh_pads<T: Copy + Default>(&self, row: &mut [T]) {
        let (p, m) = (self.lead, self.m);
        let tail = self.stride - p - m;
        if m >= tail {
            // lead pad <- cells m - p..m, tail pad <- cells 0..tail: non-overlapping copies of
            // at least W entries, done W at a time (the last block aligned to the end) so
            // that they compile to a few vector moves instead of library calls
            let copy = |row: &mut [T], from: usize, to: usize, len: usize| {
                for a in (0..len).step_by(W).map(|a| a.min(len - W)) {
                    let mut block = [T::default(); W];
                    block.copy_from_slice(&row[from + a..from + a + W]);
                    row[to + a..to + a + W].copy_from_slice(&block);
                }
            };
            copy(row, m, 0, p);
            copy(row, p, p + m, tail);
        } else {
            for i in (0..p).chain(p + m..self.stride) {
                row[i] = row[p + (i + m * p - p) % m];
            }
        }
    }
}

/// The local fields of one pass over colour `COL`: this colour's fields, the couplings, and
/// the other colour's spins in the form the sum reads.
#[derive(Clone, Copy)]
pub enum FieldView<'a> {
    /// u = h + sum_d J_d s_d in f32; `other` is the f32 image of the other colour's spins.
    Real { j: &'a [f32], h: Option<&'a [f32]>, other: &'a [f32] },
    /// n = v + sum_d w_d s_d in 8-bit integers (|n| <= reach <= 127), u = unit n + offset.
    Int { w: &'a [i8], v: Option<&'a [i8]>, other: &'a [i8], unit: f32, offset: f32, reach: i32 },
}

/// How the cells of a pass are drawn (see [`crate::chip::samplers::lattice_plan::DrawPlan`]).
pub enum DrawView<'a, C> {
    /// Integer fields only: down iff bits > t[n + reach].
    Table(&'a [i32; TABLE]),
    /// [`ideal_up`] with this k.
    Ideal(f32),
    /// [`logistic_up`] with per-slot (k, c).
    Logistic { k: &'a [f32], c: &'a [f32] },
    /// The cell's `draw_up`.
    Cell(&'a C),
}

impl<C> Clone for DrawView<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C> Copy for DrawView<'_, C> {}

/// What one chunk's pass adds up over its new spins (module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChunkStats {
    /// Cells drawn +1.
    pub ups: i64,
    /// f32 fields: sum of s u, and of h s, per lane.
    pub pair: [f64; W],
    pub field: [f64; W],
    /// Integer fields: sum of s n, and of s v.
    pub pair_int: i64,
    pub field_int: i64,
}

impl ChunkStats {
    /// The lanes of `pair` added in lane order.
    pub fn pair_sum(&self) -> f64 {
        self.pair.iter().fold(0.0, |a, &x| a + x)
    }

    /// The lanes of `field` added in lane order.
    pub fn field_sum(&self) -> f64 {
        self.field.iter().fold(0.0, |a, &x| a + x)
    }
}

/// Redraws the rows of one chunk of colour `COL` (first row `y0`; `rows_f` their f32 image,
/// empty with integer fields) and returns its statistics in `st`. `AVX2`: step the lanes
/// with AVX2 (only from the AVX2 build).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn update_chunk<C: CellModel, const COL: usize, const AVX2: bool>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    rows_f: &mut [f32],
    field: FieldView,
    draw: DrawView<C>,
    lanes: &mut Lanes,
    st: &mut ChunkStats,
) {
    *st = ChunkStats::default();
    for (r, row) in rows.chunks_mut(g.stride).enumerate() {
        let row_f = if rows_f.is_empty() { &mut [][..] } else { &mut rows_f[r * g.stride..(r + 1) * g.stride] };
        update_row::<C, COL, AVX2>(g, y0 + r, row, row_f, field, draw, lanes, st);
    }
}

/// One row (see [`update_chunk`]).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn update_row<C: CellModel, const COL: usize, const AVX2: bool>(
    g: &Geom,
    y: usize,
    row: &mut [i8],
    row_f: &mut [f32],
    field: FieldView,
    draw: DrawView<C>,
    lanes: &mut Lanes,
    st: &mut ChunkStats,
) {
    let (m, p) = (g.m, g.lead);
    let (sb, jb) = g.row_bases::<COL>(y);
    let first = (COL * g.l + y) * m;
    let base = y * g.stride + p;
    let (mut acc_pair, mut acc_field) = ([0f32; W], [0f32; W]);
    let mut scratch = [0f32; G];
    for grp in 0..m.div_ceil(G) {
        let (k0, half) = (G * grp, grp % 2);
        let n = G.min(m - k0);
        let (mut u, mut hv, mut ni, mut vi) = ([0f32; G], [0f32; G], [0i32; G], [0i32; G]);
        match field {
            FieldView::Real { j, h, other } => {
                if let Some(h) = h {
                    hv.copy_from_slice(&h[base + k0..][..G]);
                    u = hv;
                }
                for d in 0..g.d {
                    let (s, jj) = (&other[sb[d] + k0..][..G], &j[jb[d] + k0..][..G]);
                    for i in 0..G {
                        u[i] += jj[i] * s[i];
                    }
                }
            }
            FieldView::Int { w, v, other, unit, offset, .. } => {
                let mut nb = [0i8; G];
                if let Some(v) = v {
                    nb.copy_from_slice(&v[base + k0..][..G]);
                    vi = nb.map(|x| x as i32);
                }
                for d in 0..g.d {
                    let (s, ww) = (&other[sb[d] + k0..][..G], &w[jb[d] + k0..][..G]);
                    for i in 0..G {
                        nb[i] = nb[i].wrapping_add(ww[i].wrapping_mul(s[i]));
                    }
                }
                ni = nb.map(|x| x as i32);
                u = ni.map(|x| x as f32 * unit + offset);
            }
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX2 = true only in the build called after checking the CPU has AVX2
        let bits = if AVX2 { unsafe { lanes.bits8_avx2(half) } } else { lanes.bits8(half) };
        #[cfg(not(target_arch = "x86_64"))]
        let bits = lanes.bits8(half);
        let mut up = [false; G];
        match draw {
            DrawView::Table(t) => {
                let FieldView::Int { reach, .. } = field else { unreachable!("tables need integer fields") };
                for i in 0..G {
                    up[i] = bits[i] as i32 <= t[(ni[i] + reach) as usize];
                }
            }
            DrawView::Ideal(k) => {
                for i in 0..G {
                    up[i] = ideal_up(u[i], uniform_of(bits[i]), k);
                }
            }
            DrawView::Logistic { k, c } => {
                let (k, c) = (&k[first + k0..][..n], &c[first + k0..][..n]);
                for i in 0..n {
                    up[i] = logistic_up(u[i], uniform_of(bits[i]), k[i], c[i]);
                }
            }
            DrawView::Cell(cell) => {
                let r = bits.map(uniform_of);
                let mut s = [0i8; G];
                cell.draw_up(first + k0, &u[..n], &r[..n], &mut s[..n], &mut scratch[..n]);
                up = s.map(|x| x > 0);
            }
        }
        for i in 0..n {
            row[p + k0 + i] = if up[i] { 1 } else { -1 };
        }
        if !row_f.is_empty() {
            for i in 0..n {
                row_f[p + k0 + i] = if up[i] { 1.0 } else { -1.0 };
            }
        }
        st.ups += up[..n].iter().filter(|&&x| x).count() as i64;
        let signed = |x: f32, i: usize| if i >= n { 0.0 } else if up[i] { x } else { -x };
        match field {
            FieldView::Real { h, .. } => {
                for i in 0..G {
                    acc_pair[G * half + i] += signed(u[i], i);
                }
                if h.is_some() {
                    for i in 0..G {
                        acc_field[G * half + i] += signed(hv[i], i);
                    }
                }
            }
            FieldView::Int { .. } => {
                for i in 0..n {
                    let s = if up[i] { 1 } else { -1 };
                    st.pair_int += (s * ni[i]) as i64;
                    st.field_int += (s * vi[i]) as i64;
                }
            }
        }
    }
    if let FieldView::Real { .. } = field {
        for l in 0..W {
            st.pair[l] += acc_pair[l] as f64;
            st.field[l] += acc_field[l] as f64;
        }
    }
    g.refresh_pads(row);
    if !row_f.is_empty() {
        g.refresh_pads(row_f);
    }
}

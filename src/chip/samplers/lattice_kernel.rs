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
//! - spins of colour c, row y: `s[c][y S + P + k]` (i8, +-1: a quarter of the memory traffic
//!   of f32 spins, which matters at degree 12, where the sweep streams the couplings);
//! - couplings **once per undirected edge**: only colour-0 cells store theirs, all D
//!   directions, at `j[(y D + d) S + P + k]` (f32 on 64-byte lines, [`LineF32`], or the
//!   integers w of [`crate::chip::samplers::lattice_plan`]). Colour 1 reads the edge to its
//!   neighbour in direction d from that neighbour's entry in the opposite direction, which
//!   lies on colour-0 row y + dy[d] at the same offset as the neighbour's spin;
//! - fields `h[c][y S + P + k]` (f32 on lines, or integers), or none when they are all equal.
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
use crate::chip::samplers::lattice_plan::{TABLE, table_index};

/// Row padding granule: rows hold a multiple of W cells.
pub const W: usize = 16;
/// Cells per group: one half-step of the lanes.
pub const G: usize = 8;

/// Row geometry shared by all chunks.
pub struct Geom {
    pub l: usize,
    /// Cells of one colour per row, L / 2.
    pub m: usize,
    /// Pad before the cells of a row (a multiple of W).
    pub lead: usize,
    /// The largest |column offset| of any direction (<= lead).
    pub reach: usize,
    /// Row stride of every array.
    pub stride: usize,
    pub d: usize,
    /// Per colour, `[y D + d]`: the index of the first neighbour spin and of the first
    /// coupling of row y in direction d (block k0 reads from index + k0 on). Checked at
    /// construction: index + (stride - 2 lead) <= L stride (spins) and <= L D stride
    /// (couplings), which the AVX2 kernels rely on.
    bases: [Vec<[usize; 2]>; 2],
    /// Use the AVX2 kernels when the CPU has AVX2 and FMA.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub allow_avx2: bool,
    /// Draw pairs of full groups with the AVX-512 blocks when the CPU has AVX-512 F, BW, VL
    /// and DQ (and the AVX2 kernels are in use).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub allow_avx512: bool,
}

impl Geom {
    /// The geometry of an even `lattice` (see the storage docs above).
    pub fn new(lattice: &crate::chip::description::graph::Lattice) -> Self {
        let (l, dirs) = (lattice.l, lattice.directions());
        let (m, d) = (l / 2, dirs.len());
        // signed column offset of each direction for [colour][row parity]
        let koff = |c: usize, py: usize, (a, b): (i64, i64)| -> isize {
            let x0 = ((c + py) % 2) as i64;
            let x1 = ((1 - c as i64) + py as i64 + b).rem_euclid(2);
            debug_assert_eq!((x0 + a - x1) % 2, 0);
            ((x0 + a - x1) / 2) as isize
        };
        let reach =
            (0..4).flat_map(|cp| dirs.iter().map(move |&v| koff(cp / 2, cp % 2, v).unsigned_abs())).max();
        let reach = reach.unwrap_or(0);
        let lead = reach.div_ceil(W).max(1) * W;
        let stride = 2 * lead + m.div_ceil(W) * W;
        let span = stride - 2 * lead;
        let bases = core::array::from_fn(|c| {
            let mut t = Vec::with_capacity(l * d);
            for y in 0..l {
                for (dd, &(a, b)) in dirs.iter().enumerate() {
                    let yr = (y as i64 + b).rem_euclid(l as i64) as usize;
                    let k = (lead as isize + koff(c, y % 2, (a, b))) as usize;
                    let opp = (dd + d / 2) % d;
                    let jb = if c == 0 { (y * d + dd) * stride + lead } else { (yr * d + opp) * stride + k };
                    let sb = yr * stride + k;
                    assert!(sb + span <= l * stride && jb + span <= l * d * stride, "lattice row bases");
                    t.push([sb, jb]);
                }
            }
            t
        });
        Geom { l, m, lead, reach, stride, d, bases, allow_avx2: true, allow_avx512: true }
    }

    /// Index of the first neighbour spin and the first coupling of row y, colour `COL`, in
    /// each direction (block k0 reads from index + k0 on).
    #[inline(always)]
    pub fn row_bases<const COL: usize>(&self, y: usize) -> &[[usize; 2]] {
        &self.bases[COL][y * self.d..(y + 1) * self.d]
    }

    /// Writes the periodic continuation of a row's cells into its pads.
    #[inline(always)]
    pub fn refresh_pads<T: Copy>(&self, row: &mut [T]) {
        let (p, m) = (self.lead, self.m);
        let tail = self.stride - p - m;
        if m >= tail {
            // lead pad <- cells m - p..m, tail pad <- cells 0..tail: non-overlapping copies of
            // at least W entries, done W at a time (the last block aligned to the end) so
            // that they compile to a few vector moves instead of library calls
            fn blocks<T: Copy>(dst: &mut [T], src: &[T]) {
                let len = dst.len();
                let block = |dst: &mut [T], src: &[T], a: usize| {
                    let b: [T; W] = src[a..a + W].try_into().expect("W entries");
                    dst[a..a + W].copy_from_slice(&b);
                };
                // the pads hold W..2 W entries on lattices up to degree 20 (lead = W): two
                // fixed-size copies, no loop for the compiler to turn into a library call
                block(dst, src, 0);
                if len > W {
                    block(dst, src, len - W);
                }
                for a in (W..len.saturating_sub(W)).step_by(W) {
                    block(dst, src, a);
                }
            }
            let (lead, rest) = row.split_at_mut(p);
            blocks(lead, &rest[m - p..m]);
            let (cells, pad) = rest.split_at_mut(m);
            blocks(pad, &cells[..tail]);
        } else {
            // short rows (M < pad): only the entries a block can read, P - reach..P and
            // P + M..P + span + reach; entry P + i holds cell i mod M (no divisions)
            let (r, span) = (self.reach, self.stride - 2 * p);
            let mut k = (m - r % m) % m;
            for i in p - r..p {
                row[i] = row[p + k];
                k = if k + 1 == m { 0 } else { k + 1 };
            }
            let mut k = 0;
            for i in p + m..p + span + r {
                row[i] = row[p + k];
                k = if k + 1 == m { 0 } else { k + 1 };
            }
        }
    }
}

/// f32 storage that starts on a 64-byte cache line, so that a load of 16 entries from a
/// multiple of 16 (an AVX-512 block of couplings of a colour-0 row: rows of `stride` entries,
/// a multiple of 16, cells from `lead` = 16 on) never straddles two lines. A `Vec<f32>`
/// starts wherever the allocator puts it (48 bytes into a line for the couplings of the
/// 256 x 256 degree-12 workload, stop 27), and then every one of those loads touches two
/// lines: degree 12 ran at 1.49 flips/ns so, 1.64 on lines (README, Performance).
#[derive(Debug, Clone)]
pub struct LineF32 {
    lines: Vec<Line>,
    len: usize,
}

#[repr(C, align(64))]
#[derive(Debug, Clone, Copy)]
struct Line([f32; 16]);

impl LineF32 {
    /// `len` zeros.
    pub fn zeros(len: usize) -> Self {
        LineF32 { lines: vec![Line([0.0; 16]); len.div_ceil(16)], len }
    }
}

impl core::ops::Deref for LineF32 {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        // SAFETY: `Line` is 16 f32 with no padding (repr(C), size 64), so the lines are
        // `16 lines.len() >= len` contiguous, initialised f32
        unsafe { core::slice::from_raw_parts(self.lines.as_ptr() as *const f32, self.len) }
    }
}

impl core::ops::DerefMut for LineF32 {
    fn deref_mut(&mut self) -> &mut [f32] {
        // SAFETY: as in `deref`, and `&mut self` borrows the lines uniquely
        unsafe { core::slice::from_raw_parts_mut(self.lines.as_mut_ptr() as *mut f32, self.len) }
    }
}

/// The local fields of one pass over colour `COL`: this colour's fields, the couplings, and
/// the other colour's spins in the form the sum reads.
#[derive(Clone, Copy)]
pub enum FieldView<'a> {
    /// u = h + sum_d J_d s_d in f32 (`other`: the other colour's spins).
    Real { j: &'a [f32], h: Option<&'a [f32]>, other: &'a [i8] },
    /// n = v + sum_d w_d s_d in 8-bit integers (|n| <= reach <= 127), u = unit n + offset;
    /// tables indexed by [`table_index`]`(n, reach, halve)`; `unit_weights`: every w is 1.
    Int {
        w: &'a [i8],
        v: Option<&'a [i8]>,
        other: &'a [i8],
        unit: f32,
        offset: f32,
        reach: i32,
        halve: bool,
        unit_weights: bool,
    },
}

/// How the cells of a pass are drawn (see [`crate::chip::samplers::lattice_plan::DrawPlan`]).
pub enum DrawView<'a, C> {
    /// Integer fields only: down iff bits > t[index(n)].
    Table(&'a [i32; TABLE]),
    /// Integer fields only: up iff r (1 + e[index(n)] scale[slot]) < 1.
    Scaled { e: &'a [f32; TABLE], scale: &'a [f32] },
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

/// How the rows of a chunk are cut into groups: `full` groups of eight per row, then the
/// `tail` = M mod 8 last cells. When 0 < tail <= 4 the tails of two rows (r, r + 1; r even)
/// share one group, lanes 0..4 from row r and 4..8 from row r + 1 (cells 8 full.. of each),
/// drawn after both rows' full groups; a last unpaired row keeps its own tail group. A tail
/// group uses half `full mod 2` of the lanes. The f32 statistics lanes are added into the
/// f64 sums after each row, or after each pair of rows when tails are paired.
#[derive(Debug, Clone, Copy)]
pub struct Groups {
    pub full: usize,
    pub tail: usize,
    pub paired: bool,
}

impl Groups {
    pub fn of(m: usize) -> Self {
        let (full, tail) = (m / G, m % G);
        Groups { full, tail, paired: tail != 0 && tail <= G / 2 }
    }
}

/// One segment of a group: lanes `lane..lane + len` hold cells `k..k + len` of chunk row `r`,
/// the first `valid` of them real cells (the others, beyond M, pads).
#[derive(Debug, Clone, Copy)]
struct Seg {
    r: usize,
    k: usize,
    lane: usize,
    len: usize,
    valid: usize,
}

/// Redraws the rows of one chunk of colour `COL` (first row `y0`) and returns its statistics
/// in `st`. `AVX2`: step the lanes
/// with AVX2 (only from the AVX2 build).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn update_chunk<C: CellModel, const COL: usize, const AVX2: bool>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    field: FieldView,
    draw: DrawView<C>,
    lanes: &mut Lanes,
    st: &mut ChunkStats,
) {
    *st = ChunkStats::default();
    let (stride, gr) = (g.stride, Groups::of(g.m));
    let nrows = rows.len() / stride;
    let mut acc = [[0f32; W]; 2];
    let mut r = 0;
    while r < nrows {
        let pair = gr.paired && r + 1 < nrows;
        let span = if pair { 2 } else { 1 };
        let mut run = |segs: &[Seg], half: usize| {
            group::<C, COL, AVX2>(g, y0, segs, half, rows, field, draw, lanes, st, &mut acc)
        };
        for rr in r..r + span {
            for grp in 0..gr.full {
                run(&[Seg { r: rr, k: G * grp, lane: 0, len: G, valid: G }], grp % 2);
            }
            if !pair && gr.tail != 0 {
                run(&[Seg { r: rr, k: G * gr.full, lane: 0, len: G, valid: gr.tail }], gr.full % 2);
            }
        }
        if pair {
            let (k, h) = (G * gr.full, G / 2);
            let segs = [
                Seg { r, k, lane: 0, len: h, valid: gr.tail },
                Seg { r: r + 1, k, lane: h, len: h, valid: gr.tail },
            ];
            run(&segs, gr.full % 2);
        }
        if let FieldView::Real { .. } = field {
            for l in 0..W {
                st.pair[l] += acc[0][l] as f64;
                st.field[l] += acc[1][l] as f64;
            }
            acc = [[0f32; W]; 2];
        }
        for rr in r..r + span {
            g.refresh_pads(&mut rows[rr * stride..(rr + 1) * stride]);
        }
        r += span;
    }
}

/// One group of eight lanes (see [`Groups`]); `acc` the f32 statistics lanes (s u, h s).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn group<C: CellModel, const COL: usize, const AVX2: bool>(
    g: &Geom,
    y0: usize,
    segs: &[Seg],
    half: usize,
    rows: &mut [i8],
    field: FieldView,
    draw: DrawView<C>,
    lanes: &mut Lanes,
    st: &mut ChunkStats,
    acc: &mut [[f32; W]; 2],
) {
    let (m, p, stride) = (g.m, g.lead, g.stride);
    let (mut u, mut hv, mut ni, mut vi) = ([0f32; G], [0f32; G], [0i32; G], [0i32; G]);
    let mut valid = [false; G];
    for seg in segs {
        let y = y0 + seg.r;
        let (bases, base) = (g.row_bases::<COL>(y), y * stride + p + seg.k);
        for i in 0..seg.len {
            let (l, k) = (seg.lane + i, seg.k + i);
            valid[l] = i < seg.valid;
            match field {
                FieldView::Real { j, h, other } => {
                    hv[l] = h.map_or(0.0, |h| h[base + i]);
                    u[l] = hv[l];
                    for &[sb, jb] in bases {
                        u[l] += j[jb + k] * other[sb + k] as f32;
                    }
                }
                FieldView::Int { w, v, other, unit, offset, .. } => {
                    let mut nb = v.map_or(0, |v| v[base + i]);
                    vi[l] = nb as i32;
                    for &[sb, jb] in bases {
                        nb = nb.wrapping_add(w[jb + k].wrapping_mul(other[sb + k]));
                    }
                    ni[l] = nb as i32;
                    u[l] = ni[l] as f32 * unit + offset;
                }
            }
        }
    }
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX2 = true only in the build called after checking the CPU has AVX2
    let bits = if AVX2 { unsafe { lanes.bits8_avx2(half) } } else { lanes.bits8(half) };
    #[cfg(not(target_arch = "x86_64"))]
    let bits = lanes.bits8(half);
    let r = bits.map(uniform_of);
    let mut up = [false; G];
    let index = |l: usize| match field {
        FieldView::Int { reach, halve, .. } => table_index(ni[l], reach, halve),
        FieldView::Real { .. } => unreachable!("tables need integer fields"),
    };
    for seg in segs {
        let first = (COL * g.l + y0 + seg.r) * m + seg.k;
        let lanes = seg.lane..seg.lane + seg.valid;
        match draw {
            DrawView::Table(t) => {
                for l in lanes {
                    up[l] = bits[l] as i32 <= t[index(l)];
                }
            }
            DrawView::Scaled { e, scale } => {
                for (l, &c) in lanes.zip(&scale[first..]) {
                    up[l] = r[l] * (1.0 + e[index(l)] * c) < 1.0;
                }
            }
            DrawView::Ideal(k) => {
                for l in lanes {
                    up[l] = ideal_up(u[l], r[l], k);
                }
            }
            DrawView::Logistic { k, c } => {
                for ((l, &k), &c) in lanes.zip(&k[first..]).zip(&c[first..]) {
                    up[l] = logistic_up(u[l], r[l], k, c);
                }
            }
            DrawView::Cell(cell) => {
                let (mut s, mut scratch) = ([0i8; G], [0f32; G]);
                let n = seg.valid;
                cell.draw_up(first, &u[lanes.clone()], &r[lanes.clone()], &mut s[..n], &mut scratch[..n]);
                for (l, s) in lanes.zip(s) {
                    up[l] = s > 0;
                }
            }
        }
        let at = (seg.r * stride + p + seg.k)..;
        for (o, &up) in rows[at].iter_mut().zip(&up[seg.lane..seg.lane + seg.valid]) {
            *o = if up { 1 } else { -1 };
        }
    }
    let signed = |x: f32, l: usize| {
        if !valid[l] {
            0.0
        } else if up[l] {
            x
        } else {
            -x
        }
    };
    for l in 0..G {
        if !valid[l] {
            continue;
        }
        st.ups += up[l] as i64;
        if let FieldView::Int { .. } = field {
            let s = if up[l] { 1 } else { -1 };
            st.pair_int += (s * ni[l]) as i64;
            st.field_int += (s * vi[l]) as i64;
        }
    }
    if let FieldView::Real { h, .. } = field {
        for l in 0..G {
            acc[0][G * half + l] += signed(u[l], l);
        }
        if h.is_some() {
            for l in 0..G {
                acc[1][G * half + l] += signed(hv[l], l);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LineF32;

    /// The storage contract the AVX-512 blocks rely on (a regression test of the unsafe views):
    /// the first entry on a 64-byte line, exactly `len` entries, zeros, writable.
    #[test]
    fn line_storage_starts_on_a_cache_line() {
        for len in [0, 1, 15, 16, 17, 1000, 491_520] {
            let mut a = LineF32::zeros(len);
            assert_eq!(a.len(), len);
            assert_eq!(a.as_ptr() as usize % 64, 0, "len {len}");
            assert!(a.iter().all(|&x| x == 0.0));
            for (i, x) in a.iter_mut().enumerate() {
                *x = i as f32;
            }
            let b = a.clone();
            assert!(b.iter().enumerate().all(|(i, &x)| x == i as f32));
            assert_eq!(b.as_ptr() as usize % 64, 0);
        }
    }
}

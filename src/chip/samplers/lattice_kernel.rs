//! The row kernel of the lattice path ([`crate::chip::samplers::lattice_gibbs`]): one fused pass per
//! block of [`W`] cells, with field, uniforms and draw kept in registers.
//!
//! Storage: every array has rows of stride `S = 2 P + ceil(M / W) W`, cell k of a row at
//! `P + k`. The P entries before and the `S - P - M` entries after the M cells (the *pads*)
//! hold the row's periodic continuation, entry `P + i` holding cell `i mod M` for every i,
//! and P is at least the largest column offset of any direction (|offset| <= 12 for the
//! jump vectors up to degree 20). So the neighbour slice of a block in any direction is one
//! contiguous read at a fixed signed offset: no split at the wrap, no modulo per block.
//! - spins of colour c, row y: `s[c][y S + P + k]` (i8, +-1); a row's pads are refreshed
//!   after the row is redrawn;
//! - couplings **once per undirected edge**: only colour-0 cells store theirs, all D
//!   directions, at `j[(y D + d) S + P + k]` (pads periodic as well). Colour 1 reads the edge
//!   to its neighbour in direction d from that neighbour's entry in the opposite direction,
//!   which lies on colour-0 row y + dy[d] at the same offset as the neighbour's spin: the
//!   same contiguous-slice access, at half the memory of one entry per direction;
//! - fields `h[c][y S + P + k]`, or none at all when every field is zero (the kernels then
//!   start the sum from 0.0 instead of h: the same arithmetic, 4 bytes per cell less).
//!
//! Per block: u = h + sum_d J_d s_d (f32, in direction order), one step of the chunk's
//! eight Xoshiro lanes gives the W = 16 uniforms, then `cell.draw_up`. Nothing goes through
//! memory between the three stages (the previous version made five passes over L1 scratch
//! per block: copy h, one accumulation per direction, fill uniforms, draw). When W does not
//! divide M the last block's fields are computed for W cells (all reads stay inside the
//! padded rows) but only the real cells are drawn and the rest of its uniforms discarded.

use crate::chip::cells::cell::CellModel;
use crate::chip::samplers::lanes::Lanes;

/// Cells per block: one step of the eight lanes.
pub const W: usize = 16;
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
    /// Signed column offset (|offset| <= lead) for [colour][row parity][direction].
    pub koff: [[Vec<isize>; 2]; 2],
    /// The opposite of each direction.
    pub opp: Vec<usize>,
    /// Use the AVX2 build when the CPU has it.
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
            let yr = (y as i64 + self.dy[d]).rem_euclid(self.l as i64) as usize;
            let k = (self.lead as isize + self.koff[COL][y % 2][d]) as usize;
            sb[d] = yr * self.stride + k;
            jb[d] = if COL == 0 {
                (y * self.d + d) * self.stride + self.lead
            } else {
                (yr * self.d + self.opp[d]) * self.stride + k
            };
        }
        (sb, jb)
    }

    /// Local pair fields (without h) of the M cells of row y, colour `COL`, in f64 (energy).
    pub fn pair_fields<const COL: usize>(&self, y: usize, other: &[i8], j: &[f32], out: &mut [f64]) {
        let (sb, jb) = self.row_bases::<COL>(y);
        for (k, o) in out.iter_mut().enumerate() {
            *o = (0..self.d).map(|d| j[jb[d] + k] as f64 * other[sb[d] + k] as f64).sum();
        }
    }

    /// Writes the periodic continuation of a row's cells into its pads.
    #[inline(always)]
    pub fn refresh_pads<T: Copy>(&self, row: &mut [T]) {
        let (p, m) = (self.lead, self.m);
        if m >= self.stride - p - m {
            row.copy_within(p + m - p..p + m, 0);
            row.copy_within(p..self.stride - m, p + m);
        } else {
            for i in (0..p).chain(p + m..self.stride) {
                row[i] = row[p + (i + m * p - p) % m];
            }
        }
    }
}

/// Redraws row y of colour `COL` (`row`: its padded spins; `other`: all spins of the other
/// colour; `j`, `h` as in the module documentation; `first`: internal slot of cell 0).
/// `AVX2`: use the 256-bit random generator (only from the AVX2 build).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn update_row<C: CellModel, const COL: usize, const AVX2: bool>(
    g: &Geom,
    y: usize,
    first: usize,
    row: &mut [i8],
    other: &[i8],
    j: &[f32],
    h: Option<&[f32]>,
    cell: &C,
    lanes: &mut Lanes,
) {
    let (m, p) = (g.m, g.lead);
    let (sb, jb) = g.row_bases::<COL>(y);
    let hrow = h.map(|h| &h[y * g.stride + p..][..g.stride - 2 * p]);
    let mut scratch = [0f32; W];
    for k0 in (0..m).step_by(W) {
        let mut u: [f32; W] = match hrow {
            Some(h) => h[k0..k0 + W].try_into().expect("padded row"),
            None => [0.0; W],
        };
        for d in 0..g.d {
            let s = &other[sb[d] + k0..][..W];
            let jj = &j[jb[d] + k0..][..W];
            for i in 0..W {
                u[i] += jj[i] * s[i] as f32;
            }
        }
        let mut r = [0f32; W];
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            // SAFETY: AVX2 = true only in the build called after checking the CPU has AVX2
            unsafe { lanes.fill16_avx2(&mut r) };
        } else {
            lanes.fill16(&mut r);
        }
        #[cfg(not(target_arch = "x86_64"))]
        lanes.fill16(&mut r);
        let n = W.min(m - k0);
        let out = &mut row[p + k0..p + k0 + n];
        if n == W {
            cell.draw_up(first + k0, &u, &r, out, &mut scratch);
        } else {
            cell.draw_up(first + k0, &u[..n], &r[..n], out, &mut scratch);
        }
    }
    g.refresh_pads(row);
}

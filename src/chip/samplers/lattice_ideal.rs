//! The lattice row kernel for ideal cells, written out with AVX2 intrinsics (x86_64 only).
//!
//! It computes exactly what the generic kernel ([`crate::chip::samplers::lattice_kernel::update_row`])
//! computes with an [`crate::chip::IdealCell`], one IEEE operation for one, in the same
//! order: fields h + J_0 s_0 + J_1 s_1 + ... (zero instead of h when the model has no
//! fields), uniforms from the same Xoshiro lanes, and [`crate::chip::cells::cell::ideal_up`] with
//! [`crate::chip::cells::cell::exp2_clamped`] for the draw. The result is bit-identical (tested by
//! `tests/chip_determinism.rs`). What the intrinsics buy over the auto-vectorised generic
//! code (about half the instructions per cell):
//! - the sixteen fields, the random generator's state (eight 256-bit registers, loaded once
//!   per row) and the uniforms stay in registers; the generic code goes through stack
//!   arrays at every block;
//! - the 64-bit rotations of Xoshiro256++ stay vector shifts (LLVM scalarises them);
//! - no bounds checks in the direction loop (all offsets are checked once per row);
//! - the sixteen new spins are packed from the comparison masks in four instructions.

use crate::chip::cells::cell::{EXP2_MAGIC, EXP2_POLY};
use crate::chip::samplers::lanes::Lanes;
use crate::chip::samplers::lattice_kernel::{Geom, MAX_D, W};
use core::arch::x86_64::*;

/// The Xoshiro256++ state of eight lanes: words 0..4 of lanes 0..4, then of lanes 4..8.
type State = [__m256i; 8];

#[inline]
#[target_feature(enable = "avx2")]
fn rotl<const L: i32, const R: i32>(x: __m256i) -> __m256i {
    _mm256_or_si256(_mm256_slli_epi64::<L>(x), _mm256_srli_epi64::<R>(x))
}

/// One step of four lanes (words `s[0..4]`): the 64-bit outputs.
#[inline]
#[target_feature(enable = "avx2")]
fn xoshiro4(s: &mut [__m256i]) -> __m256i {
    let out = _mm256_add_epi64(rotl::<23, 41>(_mm256_add_epi64(s[0], s[3])), s[0]);
    let t = _mm256_slli_epi64::<17>(s[1]);
    s[2] = _mm256_xor_si256(s[2], s[0]);
    s[3] = _mm256_xor_si256(s[3], s[1]);
    s[1] = _mm256_xor_si256(s[1], s[2]);
    s[0] = _mm256_xor_si256(s[0], s[3]);
    s[2] = _mm256_xor_si256(s[2], t);
    s[3] = rotl::<45, 19>(s[3]);
    out
}

/// Eight uniforms (k + 1/2) 2^-24 from the top 24 bits of each 32-bit half of four outputs
/// (as [`Lanes::fill16`]).
#[inline]
#[target_feature(enable = "avx2")]
fn uniforms(out: __m256i) -> __m256 {
    let k = _mm256_cvtepi32_ps(_mm256_srli_epi32::<8>(out));
    _mm256_mul_ps(_mm256_add_ps(k, _mm256_set1_ps(0.5)), _mm256_set1_ps(1.0 / 16_777_216.0))
}

/// Masks of the cells that go down, !(r (1 + 2^(k u)) < 1) as
/// [`crate::chip::cells::cell::ideal_up`], for N vectors of eight cells. Each step is written for
/// all N vectors before the next, so that N independent dependency chains (about 60 cycles
/// each) sit side by side in program order: the out-of-order window, which holds less than
/// one block of this almost all-vector code, then overlaps them.
#[inline]
#[target_feature(enable = "avx2")]
fn down_masks<const N: usize>(u: [__m256; N], r: [__m256; N], k: __m256) -> [__m256i; N] {
    let c = EXP2_POLY.map(|c| _mm256_set1_ps(c));
    let magic = _mm256_set1_ps(EXP2_MAGIC);
    let one = _mm256_set1_ps(1.0);
    let each = |f: &dyn Fn(usize) -> __m256| -> [__m256; N] { core::array::from_fn(f) };
    // f32::clamp(t, -126, 126): t < -126 ? -126 : t, then > 126 ? 126 (NaN kept, like Rust)
    let t = each(&|i| _mm256_mul_ps(u[i], k));
    let t = each(&|i| _mm256_max_ps(_mm256_set1_ps(-126.0), t[i]));
    let t = each(&|i| _mm256_min_ps(_mm256_set1_ps(126.0), t[i]));
    let z = each(&|i| _mm256_add_ps(t[i], magic));
    let n = each(&|i| _mm256_sub_ps(z[i], magic));
    let f = each(&|i| _mm256_sub_ps(t[i], n[i]));
    // c0 + f (c1 + f (c2 + f (c3 + f (c4 + f c5))))
    let mut p = each(&|i| _mm256_mul_ps(f[i], c[5]));
    for ci in (1..5).rev() {
        p = each(&|i| _mm256_add_ps(c[ci], p[i]));
        p = each(&|i| _mm256_mul_ps(f[i], p[i]));
    }
    let p = each(&|i| _mm256_add_ps(c[0], p[i]));
    let scale = each(&|i| {
        let b = _mm256_add_epi32(_mm256_castps_si256(z[i]), _mm256_set1_epi32(127));
        _mm256_castsi256_ps(_mm256_slli_epi32::<23>(b))
    });
    let e = each(&|i| _mm256_mul_ps(p[i], scale[i]));
    let x = each(&|i| _mm256_mul_ps(r[i], _mm256_add_ps(one, e[i])));
    core::array::from_fn(|i| _mm256_castps_si256(_mm256_cmp_ps::<_CMP_NLT_UQ>(x[i], one)))
}

/// Sixteen spins (+1, or -1 where the mask is set) from two masks of eight.
#[inline]
#[target_feature(enable = "avx2")]
fn spins(down_a: __m256i, down_b: __m256i) -> __m128i {
    // i16 lanes [a0..4, b0..4, a4..8, b4..8] -> [a0..8, b0..8] -> bytes; -1 | 1 = -1, 0 | 1 = 1
    let w = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(down_a, down_b));
    let b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256::<1>(w));
    _mm_or_si128(b, _mm_set1_epi8(1))
}

/// Where one row's reads start: the fields (if any), and per direction the neighbour spins
/// and couplings (all bounds-checked once per row).
struct RowPtrs<'a> {
    h: Option<&'a [f32]>,
    s: [*const i8; MAX_D],
    j: [*const f32; MAX_D],
    d: usize,
}

impl RowPtrs<'_> {
    /// The fields of cells k0..k0 + 8 N (h + sum_d J_d s_d, in direction order).
    ///
    /// # Safety
    /// k0 + 8 N must not exceed the span checked when the pointers were made.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn fields<const N: usize>(&self, k0: usize) -> [__m256; N] {
        // SAFETY (all blocks): in bounds by the caller's contract; unaligned loads
        let mut u: [__m256; N] = match self.h {
            Some(h) => core::array::from_fn(|i| unsafe { _mm256_loadu_ps(h.as_ptr().add(k0 + 8 * i)) }),
            None => [_mm256_setzero_ps(); N],
        };
        for d in 0..self.d {
            let (sp, jp) = unsafe { (self.s[d].add(k0), self.j[d].add(k0)) };
            for (i, u) in u.iter_mut().enumerate() {
                unsafe {
                    let s8 = _mm_loadl_epi64(sp.add(8 * i) as *const __m128i);
                    let s = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(s8));
                    *u = _mm256_add_ps(*u, _mm256_mul_ps(_mm256_loadu_ps(jp.add(8 * i)), s));
                }
            }
        }
        u
    }
}

/// Redraws the rows of one chunk of colour `COL` (first row `y0`) with ideal cells of
/// constant `k` (see [`crate::chip::cells::cell::ideal_k`]); arguments as
/// [`crate::chip::samplers::lattice_kernel::update_row`], `h` None when the model has no fields.
///
/// # Safety
/// The CPU must support AVX2.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2")]
pub unsafe fn update_chunk<const COL: usize>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    other: &[i8],
    j: &[f32],
    h: Option<&[f32]>,
    k: f32,
    lanes: &mut Lanes,
) {
    let (m, p, st) = (g.m, g.lead, g.stride);
    let span = st - 2 * p; // cells read per row, from the row's first cell on
    let kv = _mm256_set1_ps(k);
    let words = lanes.words_mut();
    let ld = |w: &[u64; 8], half: usize| {
        // SAFETY: 32 bytes inside an array of eight u64 (half is 0 or 1); unaligned load
        unsafe { _mm256_loadu_si256(w.as_ptr().add(4 * half) as *const __m256i) }
    };
    let mut s: State = core::array::from_fn(|i| ld(&words[i % 4], i / 4));
    for (r, row) in rows.chunks_mut(st).enumerate() {
        let y = y0 + r;
        let (sb, jb) = g.row_bases::<COL>(y);
        let mut ptr = RowPtrs {
            h: h.map(|h| &h[y * st + p..y * st + p + span]),
            s: [other.as_ptr(); MAX_D],
            j: [j.as_ptr(); MAX_D],
            d: g.d,
        };
        for d in 0..g.d {
            assert!(sb[d] + span <= other.len() && jb[d] + span <= j.len());
            // SAFETY: in bounds (just checked)
            unsafe {
                ptr.s[d] = other.as_ptr().add(sb[d]);
                ptr.j[d] = j.as_ptr().add(jb[d]);
            }
        }
        let out = &mut row[p..p + span];
        let mut k0 = 0;
        // blocks of 32 cells (two steps of the lanes) while they fit the row, then of 16, so
        // that the lanes are stepped exactly as in the generic kernel
        while k0 + 2 * W <= m {
            // SAFETY: k0 + 32 <= m <= span
            let u = unsafe { ptr.fields::<4>(k0) };
            let (lo, hi) = s.split_at_mut(4);
            let (o0, o1) = (xoshiro4(lo), xoshiro4(hi));
            let (o2, o3) = (xoshiro4(lo), xoshiro4(hi));
            let r = [o0, o1, o2, o3].map(|o| uniforms(o));
            let dn = down_masks::<4>(u, r, kv);
            // SAFETY: out[k0..k0 + 32] is in bounds; unaligned stores
            unsafe {
                _mm_storeu_si128(out.as_mut_ptr().add(k0) as *mut __m128i, spins(dn[0], dn[1]));
                _mm_storeu_si128(out.as_mut_ptr().add(k0 + W) as *mut __m128i, spins(dn[2], dn[3]));
            }
            k0 += 2 * W;
        }
        while k0 < m {
            // SAFETY: k0 + 16 <= span (span is a multiple of 16 and k0 < m <= span)
            let u = unsafe { ptr.fields::<2>(k0) };
            let (lo, hi) = s.split_at_mut(4);
            let r = [uniforms(xoshiro4(lo)), uniforms(xoshiro4(hi))];
            let dn = down_masks::<2>(u, r, kv);
            let new = spins(dn[0], dn[1]);
            let n = W.min(m - k0);
            let mut tmp = [0i8; W];
            // SAFETY: tmp has 16 bytes; unaligned store
            unsafe { _mm_storeu_si128(tmp.as_mut_ptr() as *mut __m128i, new) };
            out[k0..k0 + n].copy_from_slice(&tmp[..n]);
            k0 += W;
        }
        g.refresh_pads(row);
    }
    for (i, v) in s.iter().enumerate() {
        // SAFETY: 32 bytes inside an array of eight u64; unaligned store
        unsafe { _mm256_storeu_si256(words[i % 4].as_mut_ptr().add(4 * (i / 4)) as *mut __m256i, *v) };
    }
}

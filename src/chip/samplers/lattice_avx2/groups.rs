//! One group of eight cells (or a block of four groups) of the AVX2 lattice kernels: local
//! fields, the draw and the statistics, with the generator's state in registers.

use super::ops::*;
use crate::chip::samplers::lattice_kernel::G;
use core::arch::x86_64::*;

/// Field forms and draws (const parameters of [`chunk`]).
pub(super) const REAL: u8 = 0;
pub(super) const INT: u8 = 1;
/// Integer fields whose couplings are all +1 (a uniform ferromagnet on a torus): n = v +
/// sum_d s_d, without the weights.
pub(super) const INT_UNIT: u8 = 2;
pub(super) const TAB: u8 = 0;
pub(super) const IDEAL: u8 = 1;
pub(super) const LOGISTIC: u8 = 2;
pub(super) const SCALED: u8 = 3;

/// Where one row's reads start (bounds checked once per chunk, see [`chunk`]).
pub(super) struct Row {
    /// The other colour's spins (i8) and the couplings (f32 or i8), index 0.
    pub(super) s: *const u8,
    pub(super) j: *const u8,
    /// The row's [spin, coupling] base indices, one pair per direction.
    pub(super) bases: *const [usize; 2],
    pub(super) d: usize,
    /// This row's fields (f32 or i8), cell 0.
    pub(super) h: *const u8,
    /// Per-slot logistic parameters of cell 0 of the row.
    pub(super) k: *const f32,
    pub(super) c: *const f32,
    /// Output: spins, cell 0.
    pub(super) out: *mut i8,
}

/// Accumulators of one chunk: f32 (row) sums of s u and h s per group parity, integer sums.
pub(super) struct Acc {
    pub(super) pair: [__m256; 2],
    pub(super) field: [__m256; 2],
    pub(super) pair_int: __m256i,
    pub(super) field_int: __m256i,
    /// Cells drawn -1, per lane.
    pub(super) downs: __m256i,
    /// What the AVX-512 blocks add up: cells drawn -1, sum of s n, sum of s v.
    pub(super) wide: [i64; 3],
}

/// Pass constants of the draw.
pub(super) struct Consts {
    pub(super) k: __m256,
    pub(super) unit: __m256,
    pub(super) offset: __m256,
    /// R in every byte, and whether tables are indexed by (n + R) / 2.
    pub(super) bias8: __m256i,
    pub(super) halve: bool,
    /// The table (thresholds, or the f32 bits of 2^(k u)).
    pub(super) tab: [__m256i; 4],
}

/// Groups g0..g0 + N of a row (N = 4: a block of 32 cells, N = 1: one group of `n` <= 8
/// real cells); `P0` = g0 mod 2, a constant so that the lanes' state and the accumulators
/// are indexed statically and stay in registers. `PAIR` (N = 1): the paired tails of two
/// rows, lanes 0..4 from `row`, 4..8 from `row2`, `n` real cells in each half (see
/// [`crate::chip::samplers::lattice_kernel::Groups`]).
///
/// # Safety
/// The rows' pointers must be valid for cells 8 g0..8 (g0 + N) (checked by [`chunk`]).
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn groups<
    const N: usize,
    const P0: usize,
    const FIELD: u8,
    const DRAW: u8,
    const HAS_H: bool,
    const NT: usize,
    const PAIR: bool,
>(
    row: &Row,
    row2: &Row,
    g0: usize,
    n: usize,
    st: &mut State,
    cs: &Consts,
    acc: &mut Acc,
) {
    debug_assert_eq!(g0 % 2, P0);
    let k0 = G * g0;
    let zero_ps = _mm256_setzero_ps();
    let zero_si = _mm256_setzero_si256();
    // SAFETY (all loads and stores of this function): inside the spans checked by `chunk`
    // for cells k0..k0 + 8 N; unaligned accesses
    let (mut u, mut ndw, mut vdw, mut idx) = ([zero_ps; N], [zero_si; N], [zero_si; N], [zero_si; N]);
    // integer fields of a block of 32: the byte sums n and v, for the statistics
    let (mut n32, mut v32) = (zero_si, zero_si);
    let mut hv = [zero_ps; N];
    // eight f32 from `p` + k0 + 8 i, or four from each row when paired
    let ld_ps = |p: *const u8, p2: *const u8, i: usize| unsafe {
        let (p, p2) = ((p as *const f32).add(k0 + 8 * i), (p2 as *const f32).add(k0));
        if PAIR { _mm256_set_m128(_mm_loadu_ps(p2), _mm_loadu_ps(p)) } else { _mm256_loadu_ps(p) }
    };
    if FIELD == REAL {
        if HAS_H {
            hv = core::array::from_fn(|i| ld_ps(row.h, row2.h, i));
            u = hv;
        }
        // eight spins from `p` + k0 + 8 i (four from each row when paired) as f32 +-1.0
        let ld_s = |p: *const u8, p2: *const u8, i: usize| unsafe {
            let b = if PAIR {
                let four = |p: *const u8| _mm_cvtsi32_si128((p.add(k0) as *const i32).read_unaligned());
                _mm_unpacklo_epi32(four(p), four(p2))
            } else {
                _mm_loadl_epi64(p.add(k0 + 8 * i) as *const __m128i)
            };
            _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b))
        };
        for d in 0..row.d {
            let [sb, jb] = unsafe { *row.bases.add(d) };
            let [sb2, jb2] = if PAIR { unsafe { *row2.bases.add(d) } } else { [sb, jb] };
            let (sp, jp, sp2, jp2) =
                unsafe { (row.s.add(sb), row.j.add(4 * jb), row.s.add(sb2), row.j.add(4 * jb2)) };
            for (i, u) in u.iter_mut().enumerate() {
                *u = _mm256_fmadd_ps(ld_ps(jp, jp2, i), ld_s(sp, sp2, i), *u);
            }
        }
    } else {
        // bytes -> dwords, sign- or zero-extended, in cell order
        let widen = |x: __m128i, signed: bool| -> [__m256i; 2] {
            let hi = _mm_srli_si128::<8>(x);
            if signed {
                [_mm256_cvtepi8_epi32(x), _mm256_cvtepi8_epi32(hi)]
            } else {
                [_mm256_cvtepu8_epi32(x), _mm256_cvtepu8_epi32(hi)]
            }
        };
        let split = |b: __m256i, signed: bool| -> [__m256i; N] {
            let [a0, a1] = widen(_mm256_castsi256_si128(b), signed);
            let [a2, a3] = widen(_mm256_extracti128_si256::<1>(b), signed);
            let a = [a0, a1, a2, a3];
            core::array::from_fn(|i| a[i])
        };
        // the byte sums n (and v) of the N groups, in the low bytes for N = 1
        let (b, v) = if N == 4 {
            let ld = |p: *const u8| unsafe { _mm256_loadu_si256(p.add(k0) as *const __m256i) };
            let v = if HAS_H { ld(row.h) } else { zero_si };
            let mut b = v;
            for d in 0..row.d {
                let [sb, jb] = unsafe { *row.bases.add(d) };
                let s = ld(unsafe { row.s.add(sb) });
                b = _mm256_add_epi8(
                    b,
                    if FIELD == INT_UNIT { s } else { _mm256_sign_epi8(ld(unsafe { row.j.add(jb) }), s) },
                );
            }
            (b, v)
        } else {
            // eight bytes from `p` + k0, or four from each row when paired
            let ld = |p: *const u8, p2: *const u8| unsafe {
                if PAIR {
                    let four = |p: *const u8| _mm_cvtsi32_si128((p.add(k0) as *const i32).read_unaligned());
                    _mm_unpacklo_epi32(four(p), four(p2))
                } else {
                    _mm_loadl_epi64(p.add(k0) as *const __m128i)
                }
            };
            let v = if HAS_H { ld(row.h, row2.h) } else { _mm_setzero_si128() };
            let mut b = v;
            for d in 0..row.d {
                let [sb, jb] = unsafe { *row.bases.add(d) };
                let [sb2, jb2] = if PAIR { unsafe { *row2.bases.add(d) } } else { [sb, jb] };
                let s = unsafe { ld(row.s.add(sb), row.s.add(sb2)) };
                if FIELD == INT_UNIT {
                    b = _mm_add_epi8(b, s);
                } else {
                    let w = unsafe { ld(row.j.add(jb), row.j.add(jb2)) };
                    b = _mm_add_epi8(b, _mm_sign_epi8(w, s));
                }
            }
            (_mm256_castsi128_si256(b), _mm256_castsi128_si256(v))
        };
        (n32, v32) = (b, v);
        if DRAW == TAB || DRAW == SCALED {
            // index n + R (< 256), or (n + R) / 2 (`halve`), as unsigned bytes
            let mut x = _mm256_add_epi8(b, cs.bias8);
            if cs.halve {
                x = _mm256_and_si256(_mm256_srli_epi16::<1>(x), _mm256_set1_epi8(0x7f));
            }
            idx = split(x, false);
        }
        if DRAW == IDEAL || DRAW == LOGISTIC || N == 1 {
            ndw = split(b, true);
            if HAS_H {
                vdw = split(v, true);
            }
        }
        if DRAW == IDEAL || DRAW == LOGISTIC {
            u = core::array::from_fn(|i| {
                _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(ndw[i]), cs.unit), cs.offset)
            });
        }
    }
    let bits: [__m256i; N] = core::array::from_fn(|i| {
        let (lo, hi) = st.split_at_mut(4);
        _mm256_srli_epi32::<8>(xoshiro4(if (P0 + i).is_multiple_of(2) { lo } else { hi }))
    });
    // per-slot parameters of cells k0..k0 + 8 N (the last group of a row has only n)
    let lanes_below = |n: usize| {
        let lane = if PAIR {
            _mm256_setr_epi32(0, 1, 2, 3, 0, 1, 2, 3)
        } else {
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
        };
        _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), lane)
    };
    let per_slot = |p: *const f32, p2: *const f32| -> [__m256; N] {
        if N == 4 || n == G {
            core::array::from_fn(|i| unsafe { _mm256_loadu_ps(p.add(k0 + 8 * i)) })
        } else if PAIR {
            let mask = _mm256_castsi256_si128(lanes_below(n));
            [unsafe { _mm256_set_m128(_mm_maskload_ps(p2.add(k0), mask), _mm_maskload_ps(p.add(k0), mask)) };
                N]
        } else {
            // masked load: lanes n..8 read nothing and hold 0
            [unsafe { _mm256_maskload_ps(p.add(k0), lanes_below(n)) }; N]
        }
    };
    let one = _mm256_set1_ps(1.0);
    let down: [__m256i; N] = if DRAW == TAB {
        core::array::from_fn(|i| _mm256_cmpgt_epi32(bits[i], lookup::<NT>(&cs.tab, idx[i])))
    } else if DRAW == SCALED {
        let scale = per_slot(row.c, row2.c);
        core::array::from_fn(|i| {
            let e = _mm256_castsi256_ps(lookup::<NT>(&cs.tab, idx[i]));
            let x = _mm256_mul_ps(uniforms(bits[i]), _mm256_add_ps(one, _mm256_mul_ps(e, scale[i])));
            _mm256_castps_si256(_mm256_cmp_ps::<_CMP_NLT_UQ>(x, one))
        })
    } else {
        let t: [__m256; N] = if DRAW == IDEAL {
            core::array::from_fn(|i| _mm256_mul_ps(u[i], cs.k))
        } else {
            let (k, c) = (per_slot(row.k, row2.k), per_slot(row.c, row2.c));
            core::array::from_fn(|i| _mm256_add_ps(_mm256_mul_ps(u[i], k[i]), c[i]))
        };
        down_masks::<N>(t, core::array::from_fn(|i| uniforms(bits[i])))
    };
    // spins (the tail's extra cells land in the pads, refreshed after the row)
    let mut s32 = zero_si;
    unsafe {
        if N == 4 {
            s32 = spins32(core::array::from_fn(|i| down[i % N]));
            _mm256_storeu_si256(row.out.add(k0) as *mut __m256i, s32);
        } else if PAIR {
            let b = spins(down[0], down[0]);
            (row.out.add(k0) as *mut i32).write_unaligned(_mm_cvtsi128_si32(b));
            (row2.out.add(k0) as *mut i32).write_unaligned(_mm_extract_epi32::<1>(b));
        } else {
            _mm_storel_epi64(row.out.add(k0) as *mut __m128i, spins(down[0], down[0]));
        }
    }
    let sign = _mm256_castsi256_ps(_mm256_set1_epi32(i32::MIN));
    // statistics: lanes beyond the row's end count zero
    let valid = if N == 4 { _mm256_set1_epi32(-1) } else { lanes_below(n) };
    let valid_ps = _mm256_castsi256_ps(valid);
    if FIELD != REAL && N == 4 {
        // sum of s n = sum over bytes of sign(n, s); |n| <= 127 fits a byte
        acc.pair_int = _mm256_add_epi32(acc.pair_int, byte_sums(_mm256_sign_epi8(n32, s32)));
        if HAS_H {
            acc.field_int = _mm256_add_epi32(acc.field_int, byte_sums(_mm256_sign_epi8(v32, s32)));
        }
    }
    for (i, &dn) in down.iter().enumerate() {
        acc.downs = _mm256_sub_epi32(acc.downs, _mm256_and_si256(dn, valid));
        let par = (P0 + i) % 2;
        let dn_sign = _mm256_and_ps(_mm256_castsi256_ps(dn), sign);
        if FIELD == REAL {
            let su = _mm256_and_ps(_mm256_xor_ps(u[i], dn_sign), valid_ps);
            acc.pair[par] = _mm256_add_ps(acc.pair[par], su);
            if HAS_H {
                let sh = _mm256_and_ps(_mm256_xor_ps(hv[i], dn_sign), valid_ps);
                acc.field[par] = _mm256_add_ps(acc.field[par], sh);
            }
        } else if N == 1 {
            let neg = |x: __m256i| _mm256_and_si256(_mm256_sub_epi32(_mm256_xor_si256(x, dn), dn), valid);
            acc.pair_int = _mm256_add_epi32(acc.pair_int, neg(ndw[i]));
            if HAS_H {
                acc.field_int = _mm256_add_epi32(acc.field_int, neg(vdw[i]));
            }
        }
    }
}

//! The lattice row kernels written out with AVX2 and FMA intrinsics (x86_64 only), one per
//! local-field form (f32, integer) and draw (lookup table, ideal, per-cell logistic).
//!
//! Each computes exactly what the portable kernel
//! ([`crate::chip::samplers::lattice_kernel::update_chunk`]) computes, one IEEE or integer
//! operation for one, in the same order: the same groups of eight cells and half-steps of the
//! lanes, the same fields, draws and statistics. The multiply-add of an f32 neighbour term is
//! fused, J s + u in one rounding, which equals the portable u + J s because J s is exact
//! (s = +-1). The result is bit-identical (tested by `tests/chip_determinism.rs`). What the
//! intrinsics buy over auto-vectorised code:
//! - fields, the random generator's state (eight 256-bit registers, loaded once per chunk)
//!   and the uniforms stay in registers;
//! - the 64-bit rotations of Xoshiro256++ stay vector shifts (LLVM scalarises them);
//! - integer fields are summed 32 cells per instruction (`vpsignb` applies the neighbour's
//!   sign to w), table lookups are `vpermd` permutes;
//! - no bounds checks in the direction loop (all offsets are checked once per row);
//! - spins are packed from the comparison masks in four instructions, statistics come from
//!   the same masks.

use crate::chip::cells::cell::{EXP2_MAGIC, EXP2_POLY};
use crate::chip::samplers::lanes::Lanes;
use crate::chip::samplers::lattice_kernel::{ChunkStats, DrawView, FieldView, G, Geom, Groups};
use crate::chip::samplers::lattice_plan::TABLE;
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

/// Eight uniforms (k + 1/2) 2^-24 from the 24-bit integers k ([`crate::chip::samplers::lanes::uniform_of`]).
#[inline]
#[target_feature(enable = "avx2")]
fn uniforms(bits: __m256i) -> __m256 {
    let k = _mm256_cvtepi32_ps(bits);
    _mm256_mul_ps(_mm256_add_ps(k, _mm256_set1_ps(0.5)), _mm256_set1_ps(1.0 / 16_777_216.0))
}

/// Masks of the cells that go down, !(r (1 + 2^t) < 1) with [`crate::chip::cells::cell::exp2_clamped`],
/// for N vectors of eight cells. Each step is written for all N vectors before the next, so
/// that N independent dependency chains (about 60 cycles each) sit side by side in program
/// order and the out-of-order window overlaps them.
#[inline]
#[target_feature(enable = "avx2")]
fn down_masks<const N: usize>(t: [__m256; N], r: [__m256; N]) -> [__m256i; N] {
    let c = EXP2_POLY.map(|c| _mm256_set1_ps(c));
    let magic = _mm256_set1_ps(EXP2_MAGIC);
    let one = _mm256_set1_ps(1.0);
    let each = |f: &dyn Fn(usize) -> __m256| -> [__m256; N] { core::array::from_fn(f) };
    // f32::clamp(t, -126, 126): t < -126 ? -126 : t, then > 126 ? 126 (NaN kept, like Rust)
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

/// Table lookup of eight indices in 0..8 NT: `vpermd` per eight entries, blended on bits 3
/// and 4 of the index.
#[inline]
#[target_feature(enable = "avx2")]
fn lookup<const NT: usize>(tab: &[__m256i; 4], idx: __m256i) -> __m256i {
    let pick = |a: __m256i, b: __m256i, sel: __m256i| {
        _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), _mm256_castsi256_ps(sel)))
    };
    let a = _mm256_permutevar8x32_epi32(tab[0], idx);
    if NT == 1 {
        return a;
    }
    let bit3 = _mm256_slli_epi32::<28>(idx);
    let ab = pick(a, _mm256_permutevar8x32_epi32(tab[1], idx), bit3);
    if NT == 2 {
        return ab;
    }
    let cd = pick(_mm256_permutevar8x32_epi32(tab[2], idx), _mm256_permutevar8x32_epi32(tab[3], idx), bit3);
    pick(ab, cd, _mm256_slli_epi32::<27>(idx))
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

const _: () = assert!(TABLE == 4 * G, "lookup() covers four permutes of eight entries");

/// Thirty-two spins (+1, or -1 where the mask is set) from four masks of eight, in order.
#[inline]
#[target_feature(enable = "avx2")]
fn spins32(d: [__m256i; 4]) -> __m256i {
    // i16 [d0 0..4, d1 0..4 | d0 4..8, d1 4..8] and the same for d2, d3; then bytes
    // [d0 0..4, d1 0..4, d2 0..4, d3 0..4 | d0 4..8, d1 4..8, d2 4..8, d3 4..8]; dwords back
    // in order
    let b = _mm256_packs_epi16(_mm256_packs_epi32(d[0], d[1]), _mm256_packs_epi32(d[2], d[3]));
    let b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_or_si256(b, _mm256_set1_epi8(1))
}

/// Sum of 32 signed bytes into eight i32 lanes (pairs, then quadruples).
#[inline]
#[target_feature(enable = "avx2")]
fn byte_sums(x: __m256i) -> __m256i {
    _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), x), _mm256_set1_epi16(1))
}

/// Field forms and draws (const parameters of [`chunk`]).
const REAL: u8 = 0;
const INT: u8 = 1;
const TAB: u8 = 0;
const IDEAL: u8 = 1;
const LOGISTIC: u8 = 2;
const SCALED: u8 = 3;

/// Where one row's reads start (bounds checked once per chunk, see [`chunk`]).
struct Row {
    /// The other colour's spins (f32 image or i8) and the couplings (f32 or i8), index 0.
    s: *const u8,
    j: *const u8,
    /// The row's [spin, coupling] base indices, one pair per direction.
    bases: *const [usize; 2],
    d: usize,
    /// This row's fields (f32 or i8), cell 0.
    h: *const u8,
    /// Per-slot logistic parameters of cell 0 of the row.
    k: *const f32,
    c: *const f32,
    /// Output: spins and their f32 image, cell 0.
    out: *mut i8,
    out_f: *mut f32,
}

/// Accumulators of one chunk: f32 (row) sums of s u and h s per group parity, integer sums.
struct Acc {
    pair: [__m256; 2],
    field: [__m256; 2],
    pair_int: __m256i,
    field_int: __m256i,
    /// Cells drawn -1, per lane.
    downs: __m256i,
}

/// Pass constants of the draw.
struct Consts {
    k: __m256,
    unit: __m256,
    offset: __m256,
    /// R in every byte, and whether tables are indexed by (n + R) / 2.
    bias8: __m256i,
    halve: bool,
    /// The table (thresholds, or the f32 bits of 2^(k u)).
    tab: [__m256i; 4],
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
unsafe fn groups<
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
        for d in 0..row.d {
            let [sb, jb] = unsafe { *row.bases.add(d) };
            let [sb2, jb2] = if PAIR { unsafe { *row2.bases.add(d) } } else { [sb, jb] };
            let (sp, jp, sp2, jp2) = unsafe { (row.s.add(4 * sb), row.j.add(4 * jb), row.s.add(4 * sb2), row.j.add(4 * jb2)) };
            for (i, u) in u.iter_mut().enumerate() {
                *u = _mm256_fmadd_ps(ld_ps(jp, jp2, i), ld_ps(sp, sp2, i), *u);
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
                b = _mm256_add_epi8(b, _mm256_sign_epi8(ld(unsafe { row.j.add(jb) }), ld(unsafe { row.s.add(sb) })));
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
                let (w, s) = unsafe { (ld(row.j.add(jb), row.j.add(jb2)), ld(row.s.add(sb), row.s.add(sb2))) };
                b = _mm_add_epi8(b, _mm_sign_epi8(w, s));
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
        _mm256_srli_epi32::<8>(xoshiro4(if (P0 + i) % 2 == 0 { lo } else { hi }))
    });
    // per-slot parameters of cells k0..k0 + 8 N (the last group of a row has only n)
    let lanes_below = |n: usize| {
        let lane = if PAIR { _mm256_setr_epi32(0, 1, 2, 3, 0, 1, 2, 3) } else { _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7) };
        _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), lane)
    };
    let per_slot = |p: *const f32, p2: *const f32| -> [__m256; N] {
        if N == 4 || n == G {
            core::array::from_fn(|i| unsafe { _mm256_loadu_ps(p.add(k0 + 8 * i)) })
        } else if PAIR {
            let mask = _mm256_castsi256_si128(lanes_below(n));
            [unsafe { _mm256_set_m128(_mm_maskload_ps(p2.add(k0), mask), _mm_maskload_ps(p.add(k0), mask)) }; N]
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
    if FIELD == REAL {
        let one = _mm256_set1_ps(1.0);
        for (i, &dn) in down.iter().enumerate() {
            let f = _mm256_or_ps(one, _mm256_and_ps(_mm256_castsi256_ps(dn), sign));
            unsafe {
                if PAIR {
                    _mm_storeu_ps(row.out_f.add(k0), _mm256_castps256_ps128(f));
                    _mm_storeu_ps(row2.out_f.add(k0), _mm256_extractf128_ps::<1>(f));
                } else {
                    _mm256_storeu_ps(row.out_f.add(k0 + 8 * i), f);
                }
            }
        }
    }
    // statistics: lanes beyond the row's end count zero
    let valid = if N == 4 { _mm256_set1_epi32(-1) } else { lanes_below(n) };
    let valid_ps = _mm256_castsi256_ps(valid);
    if FIELD == INT && N == 4 {
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

/// Adds eight f32 lanes to eight f64 sums, lane by lane.
#[inline]
#[target_feature(enable = "avx2")]
fn add_lanes(dst: &mut [f64], x: __m256) {
    let (lo, hi) = (_mm256_cvtps_pd(_mm256_castps256_ps128(x)), _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(x)));
    // SAFETY: dst has 8 elements (asserted); unaligned loads and stores
    unsafe {
        assert!(dst.len() >= 8);
        _mm256_storeu_pd(dst.as_mut_ptr(), _mm256_add_pd(_mm256_loadu_pd(dst.as_ptr()), lo));
        _mm256_storeu_pd(dst.as_mut_ptr().add(4), _mm256_add_pd(_mm256_loadu_pd(dst.as_ptr().add(4)), hi));
    }
}

/// Sum of eight i32 lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn hsum(x: __m256i) -> i64 {
    let mut v = [0i32; 8];
    // SAFETY: 32 bytes into an array of eight i32; unaligned store
    unsafe { _mm256_storeu_si256(v.as_mut_ptr() as *mut __m256i, x) };
    v.iter().map(|&x| x as i64).sum()
}

/// One chunk with the kernel the const parameters name (see [`update_chunk`]).
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma")]
unsafe fn chunk<const COL: usize, const FIELD: u8, const DRAW: u8, const HAS_H: bool, const NT: usize>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    rows_f: &mut [f32],
    field: FieldView,
    draw: &DrawView<()>,
    lanes: &mut Lanes,
    st: &mut ChunkStats,
) {
    let (m, p, stride) = (g.m, g.lead, g.stride);
    let mut cs = Consts {
        k: _mm256_setzero_ps(),
        unit: _mm256_setzero_ps(),
        offset: _mm256_setzero_ps(),
        bias8: _mm256_setzero_si256(),
        halve: false,
        tab: [_mm256_setzero_si256(); 4],
    };
    // SAFETY: 32 bytes at offsets 0, 32, 64, 96 of a table of 32 four-byte values; unaligned
    let load_table =
        |t: *const u8| core::array::from_fn(|q| unsafe { _mm256_loadu_si256(t.add(32 * q) as *const __m256i) });
    // per-slot arrays: (k, c) of a logistic draw, (-, 2^c) of a scaled one
    let mut kc: (&[f32], &[f32]) = (&[], &[]);
    match *draw {
        DrawView::Table(t) => cs.tab = load_table(t.as_ptr() as *const u8),
        DrawView::Scaled { e, scale } => {
            cs.tab = load_table(e.as_ptr() as *const u8);
            kc = (scale, scale);
        }
        DrawView::Ideal(k) => cs.k = _mm256_set1_ps(k),
        DrawView::Logistic { k, c } => kc = (k, c),
        DrawView::Cell(_) => unreachable!("cell models run the portable kernel"),
    }
    let (other, j, h): (&[u8], &[u8], Option<&[u8]>) = match field {
        FieldView::Real { j, h, other } => {
            let bytes = |x: &[f32]| {
                // SAFETY: viewing f32 storage as bytes (any bit pattern is a valid u8)
                unsafe { core::slice::from_raw_parts(x.as_ptr() as *const u8, 4 * x.len()) }
            };
            (bytes(other), bytes(j), h.map(bytes))
        }
        FieldView::Int { w, v, other, unit, offset, reach, halve } => {
            (cs.unit, cs.offset, cs.bias8, cs.halve) =
                (_mm256_set1_ps(unit), _mm256_set1_ps(offset), _mm256_set1_epi8(reach as i8), halve);
            let bytes = |x: &[i8]| {
                // SAFETY: viewing i8 storage as u8
                unsafe { core::slice::from_raw_parts(x.as_ptr() as *const u8, x.len()) }
            };
            (bytes(other), bytes(w), v.map(bytes))
        }
    };
    let size = if FIELD == REAL { 4 } else { 1 };
    let words = lanes.words_mut();
    let ld = |w: &[u64; 8], half: usize| {
        // SAFETY: 32 bytes inside an array of eight u64 (half is 0 or 1); unaligned load
        unsafe { _mm256_loadu_si256(w.as_ptr().add(4 * half) as *const __m256i) }
    };
    let mut state: State = core::array::from_fn(|i| ld(&words[i % 4], i / 4));
    let mut acc = Acc {
        pair: [_mm256_setzero_ps(); 2],
        field: [_mm256_setzero_ps(); 2],
        pair_int: _mm256_setzero_si256(),
        field_int: _mm256_setzero_si256(),
        downs: _mm256_setzero_si256(),
    };
    let mut cells = 0i64;
    // every base index + span is within L stride (spins, fields) or L D stride (couplings)
    // (checked when the geometry was built); check the arrays are that long
    let (l, d) = (g.l, g.d);
    assert!(other.len() >= size * l * stride && j.len() >= size * l * d * stride);
    assert!(h.is_none_or(|h| h.len() >= size * l * stride));
    assert!(rows.len() % stride == 0 && (FIELD != REAL || rows_f.len() == rows.len()));
    assert!(y0 + rows.len() / stride <= l);
    *st = ChunkStats::default();
    // every access to the rows below goes through these two pointers
    let (rows_ptr, rows_f_ptr) = (rows.as_mut_ptr(), rows_f.as_mut_ptr());
    // the pointers of chunk row r (bounds: see the checks above)
    let row_at = |r: usize| -> Row {
        let y = y0 + r;
        let (first, base) = ((COL * g.l + y) * m, y * stride + p);
        let mut row = Row {
            s: other.as_ptr(),
            j: j.as_ptr(),
            bases: g.row_bases::<COL>(y).as_ptr(),
            d,
            h: other.as_ptr(),
            k: kc.0.as_ptr(),
            c: kc.1.as_ptr(),
            out: rows_ptr,
            out_f: rows_f_ptr,
        };
        // SAFETY: base + span <= L stride; first + m <= the slot arrays' length (checked
        // below); cell 0 of the row, writes stop at p + span <= stride
        unsafe {
            if let Some(h) = h {
                row.h = h.as_ptr().add(size * base);
            }
            if DRAW == LOGISTIC || DRAW == SCALED {
                assert!(first + m <= kc.0.len() && first + m <= kc.1.len());
                (row.k, row.c) = (kc.0.as_ptr().add(first), kc.1.as_ptr().add(first));
            }
            row.out = row.out.add(r * stride + p);
            if FIELD == REAL {
                row.out_f = row.out_f.add(r * stride + p);
            }
        }
        row
    };
    let gr = Groups::of(m);
    let nrows = rows.len() / stride;
    let mut r = 0;
    while r < nrows {
        let pair = gr.paired && r + 1 < nrows;
        let span = 1 + pair as usize;
        let first = row_at(r);
        let second = if pair { Some(row_at(r + 1)) } else { None };
        for row in core::iter::once(&first).chain(second.as_ref()) {
            let mut g0 = 0;
            while G * g0 + 4 * G <= m {
                // SAFETY: cells 8 g0..8 g0 + 32 <= m <= span
                unsafe { groups::<4, 0, FIELD, DRAW, HAS_H, NT, false>(row, row, g0, G, &mut state, &cs, &mut acc) };
                g0 += 4;
            }
            let tail = if pair { 0 } else { gr.tail };
            while G * g0 + G <= m || (g0 == gr.full && tail != 0) {
                // SAFETY: 8 g0 + 8 <= span (span is a multiple of 16 and 8 g0 < m <= span)
                unsafe {
                    let n = G.min(m - G * g0);
                    if g0 % 2 == 0 {
                        groups::<1, 0, FIELD, DRAW, HAS_H, NT, false>(row, row, g0, n, &mut state, &cs, &mut acc)
                    } else {
                        groups::<1, 1, FIELD, DRAW, HAS_H, NT, false>(row, row, g0, n, &mut state, &cs, &mut acc)
                    }
                };
                g0 += 1;
            }
        }
        if let Some(b) = &second {
            let a = &first;
            // SAFETY: 8 full + 4 <= span in both rows
            unsafe {
                if gr.full % 2 == 0 {
                    groups::<1, 0, FIELD, DRAW, HAS_H, NT, true>(a, b, gr.full, gr.tail, &mut state, &cs, &mut acc)
                } else {
                    groups::<1, 1, FIELD, DRAW, HAS_H, NT, true>(a, b, gr.full, gr.tail, &mut state, &cs, &mut acc)
                }
            };
        }
        cells += (span * m) as i64;
        if FIELD == REAL {
            add_lanes(&mut st.pair[..8], acc.pair[0]);
            add_lanes(&mut st.pair[8..], acc.pair[1]);
            add_lanes(&mut st.field[..8], acc.field[0]);
            add_lanes(&mut st.field[8..], acc.field[1]);
            acc.pair = [_mm256_setzero_ps(); 2];
            acc.field = [_mm256_setzero_ps(); 2];
        }
        for rr in r..r + span {
            // SAFETY: row rr of the chunk (rr < nrows), through the pointers above
            unsafe {
                if FIELD == REAL {
                    g.refresh_pads(core::slice::from_raw_parts_mut(rows_f_ptr.add(rr * stride), stride));
                }
                g.refresh_pads(core::slice::from_raw_parts_mut(rows_ptr.add(rr * stride), stride));
            }
        }
        r += span;
    }
    st.ups = cells - hsum(acc.downs);
    st.pair_int = hsum(acc.pair_int);
    st.field_int = hsum(acc.field_int);
    for (i, v) in state.iter().enumerate() {
        // SAFETY: 32 bytes inside an array of eight u64; unaligned store
        unsafe { _mm256_storeu_si256(words[i % 4].as_mut_ptr().add(4 * (i / 4)) as *mut __m256i, *v) };
    }
}

/// Redraws the rows of one chunk of colour `COL` (first row `y0`) with the fused kernel for
/// `field` and `draw`, arguments as [`crate::chip::samplers::lattice_kernel::update_chunk`].
/// Returns false (doing nothing) for [`DrawView::Cell`], which only the portable kernel runs.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma")]
pub unsafe fn update_chunk<C, const COL: usize>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    rows_f: &mut [f32],
    field: FieldView,
    draw: DrawView<C>,
    lanes: &mut Lanes,
    st: &mut ChunkStats,
) -> bool {
    let d: DrawView<()> = match draw {
        DrawView::Table(t) => DrawView::Table(t),
        DrawView::Ideal(k) => DrawView::Ideal(k),
        DrawView::Logistic { k, c } => DrawView::Logistic { k, c },
        DrawView::Scaled { e, scale } => DrawView::Scaled { e, scale },
        DrawView::Cell(_) => return false,
    };
    let args = (g, y0, rows, rows_f, field, &d, lanes, st);
    macro_rules! run {
        ($f:expr, $d:expr, $h:expr, $nt:expr) => {{
            let (g, y0, rows, rows_f, field, d, lanes, st) = args;
            // SAFETY: the caller guarantees AVX2 and FMA
            unsafe { chunk::<COL, $f, $d, $h, $nt>(g, y0, rows, rows_f, field, d, lanes, st) }
        }};
    }
    let has_h = match field {
        FieldView::Real { h, .. } => h.is_some(),
        FieldView::Int { v, .. } => v.is_some(),
    };
    let int = matches!(field, FieldView::Int { .. });
    let nt = match field {
        FieldView::Int { reach, halve, .. } => match if halve { reach + 1 } else { 2 * reach + 1 } as usize {
            e if e <= G => 1,
            e if e <= 2 * G => 2,
            _ => 4,
        },
        FieldView::Real { .. } => 4,
    };
    match (int, &d, has_h, nt) {
        (false, DrawView::Ideal(_), false, _) => run!(REAL, IDEAL, false, 1),
        (false, DrawView::Ideal(_), true, _) => run!(REAL, IDEAL, true, 1),
        (false, DrawView::Logistic { .. }, false, _) => run!(REAL, LOGISTIC, false, 1),
        (false, DrawView::Logistic { .. }, true, _) => run!(REAL, LOGISTIC, true, 1),
        (true, DrawView::Ideal(_), false, _) => run!(INT, IDEAL, false, 1),
        (true, DrawView::Ideal(_), true, _) => run!(INT, IDEAL, true, 1),
        (true, DrawView::Logistic { .. }, false, _) => run!(INT, LOGISTIC, false, 1),
        (true, DrawView::Logistic { .. }, true, _) => run!(INT, LOGISTIC, true, 1),
        (true, DrawView::Table(_), false, 1) => run!(INT, TAB, false, 1),
        (true, DrawView::Table(_), false, 2) => run!(INT, TAB, false, 2),
        (true, DrawView::Table(_), false, _) => run!(INT, TAB, false, 4),
        (true, DrawView::Table(_), true, 1) => run!(INT, TAB, true, 1),
        (true, DrawView::Table(_), true, 2) => run!(INT, TAB, true, 2),
        (true, DrawView::Table(_), true, _) => run!(INT, TAB, true, 4),
        (true, DrawView::Scaled { .. }, false, 1) => run!(INT, SCALED, false, 1),
        (true, DrawView::Scaled { .. }, false, 2) => run!(INT, SCALED, false, 2),
        (true, DrawView::Scaled { .. }, false, _) => run!(INT, SCALED, false, 4),
        (true, DrawView::Scaled { .. }, true, 1) => run!(INT, SCALED, true, 1),
        (true, DrawView::Scaled { .. }, true, 2) => run!(INT, SCALED, true, 2),
        (true, DrawView::Scaled { .. }, true, _) => run!(INT, SCALED, true, 4),
        (false, DrawView::Table(_) | DrawView::Scaled { .. }, ..) => unreachable!("tables need integer fields"),
        (_, DrawView::Cell(_), ..) => unreachable!("handled above"),
    }
    true
}

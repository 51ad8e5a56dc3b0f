//! AVX-512 blocks of the lattice kernels: the full groups of a row drawn two groups (16
//! cells) per 512-bit vector, with exactly the operations of the AVX2 groups
//! ([`super::groups::groups`]), so the result is the same bit for bit.
//!
//! Why they are the same draws: register w of the wide state holds word w of all eight
//! Xoshiro256++ lanes, so one step (`vprolq` is native here) gives the 16 uniforms of an
//! even group (lanes 0..4, cells 0..8) followed by those of the next, odd group (lanes
//! 4..8, cells 8..16): the two half-steps the AVX2 kernel takes for that pair of groups.
//! The f32 statistics lanes are the same too: lane i < 8 of a wide accumulator is lane i of
//! the even-group accumulator, lane 8 + i that of the odd group, added in the same order.
//! Integer statistics are exact sums (any order). Tables of up to 32 entries are one
//! `vpermd` / `vpermt2d`; integer fields are summed 64 cells per instruction; spins are
//! written from the comparison masks in one blend. Rows keep their state in the AVX2 layout
//! between calls; the last odd group and the tails go through the AVX2 groups.

use super::groups::*;
use crate::chip::cells::cell::{EXP2_MAGIC, EXP2_POLY};
use core::arch::x86_64::*;

/// The state of the eight lanes: word w of lanes 0..8 in register w.
pub(super) type Wide = [__m512i; 4];

/// [`Consts`] widened to 16 lanes; `tab`: entries 0..16 and 16..32.
pub(super) struct WideConsts {
    pub(super) k: __m512,
    pub(super) unit: __m512,
    pub(super) offset: __m512,
    pub(super) bias8: __m512i,
    pub(super) halve: bool,
    pub(super) tab: [__m512i; 2],
}

/// The accumulators of one row: f32 lanes (even group | odd group), SAD sums of the
/// (s n + 128) and (s v + 128) bytes, the number of 64-byte vectors summed, cells drawn -1.
pub(super) struct WideAcc {
    pub(super) pair: __m512,
    pub(super) field: __m512,
    pub(super) sums: [__m512i; 2],
    pub(super) vectors: i64,
    pub(super) downs: i64,
}

/// Two 256-bit registers as one 512-bit register (`a` low).
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn join(a: __m256i, b: __m256i) -> __m512i {
    _mm512_inserti64x4::<1>(_mm512_castsi256_si512(a), b)
}

#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn join_ps(a: __m256, b: __m256) -> __m512 {
    _mm512_castsi512_ps(join(_mm256_castps_si256(a), _mm256_castps_si256(b)))
}

#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn split_ps(x: __m512) -> [__m256; 2] {
    let x = _mm512_castps_si512(x);
    [_mm512_castsi512_si256(x), _mm512_extracti64x4_epi64::<1>(x)].map(|v| _mm256_castsi256_ps(v))
}

/// Bytes 16 q..16 q + 16.
#[inline]
#[target_feature(enable = "avx512f")]
fn quarter(x: __m512i, q: usize) -> __m128i {
    match q {
        0 => _mm512_extracti32x4_epi32::<0>(x),
        1 => _mm512_extracti32x4_epi32::<1>(x),
        2 => _mm512_extracti32x4_epi32::<2>(x),
        _ => _mm512_extracti32x4_epi32::<3>(x),
    }
}

/// One step of all eight lanes: their 64-bit outputs (what [`super::ops::xoshiro4`] gives for
/// lanes 0..4, then for lanes 4..8).
#[inline]
#[target_feature(enable = "avx512f")]
fn xoshiro8(s: &mut Wide) -> __m512i {
    let out = _mm512_add_epi64(_mm512_rol_epi64::<23>(_mm512_add_epi64(s[0], s[3])), s[0]);
    let t = _mm512_slli_epi64::<17>(s[1]);
    s[2] = _mm512_xor_si512(s[2], s[0]);
    s[3] = _mm512_xor_si512(s[3], s[1]);
    s[1] = _mm512_xor_si512(s[1], s[2]);
    s[0] = _mm512_xor_si512(s[0], s[3]);
    s[2] = _mm512_xor_si512(s[2], t);
    s[3] = _mm512_rol_epi64::<45>(s[3]);
    out
}

/// Sixteen uniforms (k + 1/2) 2^-24 ([`super::ops::uniforms`]).
#[inline]
#[target_feature(enable = "avx512f")]
fn uniforms(bits: __m512i) -> __m512 {
    let k = _mm512_cvtepi32_ps(bits);
    _mm512_mul_ps(_mm512_add_ps(k, _mm512_set1_ps(0.5)), _mm512_set1_ps(1.0 / 16_777_216.0))
}

/// Table lookup of 16 indices ([`super::ops::lookup`]: the same entry for every index,
/// 3, 4 or 5 low bits).
#[inline]
#[target_feature(enable = "avx512f")]
fn lookup<const NT: usize>(tab: &[__m512i; 2], idx: __m512i) -> __m512i {
    if NT == 4 {
        _mm512_permutex2var_epi32(tab[0], idx, tab[1])
    } else {
        _mm512_permutexvar_epi32(idx, tab[0])
    }
}

/// [`super::ops::down_masks`] for Q vectors of 16 cells, operation for operation.
#[inline]
#[target_feature(enable = "avx512f")]
fn down_masks<const Q: usize>(t: [__m512; Q], r: [__m512; Q]) -> [__mmask16; Q] {
    let c = EXP2_POLY.map(|c| _mm512_set1_ps(c));
    let magic = _mm512_set1_ps(EXP2_MAGIC);
    let one = _mm512_set1_ps(1.0);
    let each = |f: &dyn Fn(usize) -> __m512| -> [__m512; Q] { core::array::from_fn(f) };
    let t = each(&|i| _mm512_max_ps(_mm512_set1_ps(-126.0), t[i]));
    let t = each(&|i| _mm512_min_ps(_mm512_set1_ps(126.0), t[i]));
    let z = each(&|i| _mm512_add_ps(t[i], magic));
    let n = each(&|i| _mm512_sub_ps(z[i], magic));
    let f = each(&|i| _mm512_sub_ps(t[i], n[i]));
    let mut p = each(&|i| _mm512_mul_ps(f[i], c[5]));
    for ci in (1..5).rev() {
        p = each(&|i| _mm512_add_ps(c[ci], p[i]));
        p = each(&|i| _mm512_mul_ps(f[i], p[i]));
    }
    let p = each(&|i| _mm512_add_ps(c[0], p[i]));
    let scale = each(&|i| {
        let b = _mm512_add_epi32(_mm512_castps_si512(z[i]), _mm512_set1_epi32(127));
        _mm512_castsi512_ps(_mm512_slli_epi32::<23>(b))
    });
    let e = each(&|i| _mm512_mul_ps(p[i], scale[i]));
    let x = each(&|i| _mm512_mul_ps(r[i], _mm512_add_ps(one, e[i])));
    core::array::from_fn(|i| _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(x[i], one))
}

/// Draws the pairs of full groups of one row, cells 0..16 floor(m / 16) (see the module
/// documentation), and sets `g0` to the first group left for the AVX2 groups. `st`, `cs`,
/// `acc`: the chunk's state, constants and accumulators in their AVX2 form; `FIELD`, `DRAW`,
/// `HAS_H`, `NT`: the chunk's const parameters. A macro, expanded in the AVX-512 chunk, so
/// that it is always inlined there (a call per row, with the state and the accumulators
/// through memory, costs about a tenth of a 35-cell row); only in a function built for
/// AVX-512 F, BW, VL and DQ whose row pointers are valid for cells 0..m.
macro_rules! wide_row {
    ($row:expr, $m:expr, $g0:expr, $st:expr, $cs:expr, $acc:expr) => {{
        let (row, m, st, cs, acc): (&Row, usize, &mut State, &Consts, &mut Acc) = ($row, $m, $st, $cs, $acc);
        // SAFETY: expanded only in the AVX-512 build; blocks within cells 0..m of the row
        #[allow(unused_unsafe)]
        unsafe {
            if m >= 2 * G {
                use wide::*;
                let mut z: Wide = core::array::from_fn(|w| join(st[w], st[4 + w]));
                let wc = WideConsts {
                    k: join_ps(cs.k, cs.k),
                    unit: join_ps(cs.unit, cs.unit),
                    offset: join_ps(cs.offset, cs.offset),
                    bias8: join(cs.bias8, cs.bias8),
                    halve: cs.halve,
                    tab: match NT {
                        1 => [join(cs.tab[0], cs.tab[0]); 2],
                        2 => [join(cs.tab[0], cs.tab[1]); 2],
                        _ => [join(cs.tab[0], cs.tab[1]), join(cs.tab[2], cs.tab[3])],
                    },
                };
                let mut wa = WideAcc {
                    pair: join_ps(acc.pair[0], acc.pair[1]),
                    field: join_ps(acc.field[0], acc.field[1]),
                    sums: [_mm512_setzero_si512(); 2],
                    vectors: 0,
                    downs: 0,
                };
                let mut k0 = 0;
                while k0 + 64 <= m {
                    block::<4, FIELD, DRAW, HAS_H, NT>(row, k0, &mut z, &wc, &mut wa);
                    k0 += 64;
                }
                if k0 + 32 <= m {
                    block::<2, FIELD, DRAW, HAS_H, NT>(row, k0, &mut z, &wc, &mut wa);
                    k0 += 32;
                }
                if k0 + 16 <= m {
                    block::<1, FIELD, DRAW, HAS_H, NT>(row, k0, &mut z, &wc, &mut wa);
                    k0 += 16;
                }
                *$g0 = k0 / G;
                for (w, z) in z.iter().enumerate() {
                    (st[w], st[4 + w]) = (_mm512_castsi512_si256(*z), _mm512_extracti64x4_epi64::<1>(*z));
                }
                acc.pair = split_ps(wa.pair);
                acc.field = split_ps(wa.field);
                // each summed byte carries +128 (SAD of x + 128)
                let sum = |x: __m512i| _mm512_reduce_add_epi64(x) - 128 * 64 * wa.vectors;
                acc.wide[0] += wa.downs;
                if FIELD != REAL {
                    acc.wide[1] += sum(wa.sums[0]);
                    if HAS_H {
                        acc.wide[2] += sum(wa.sums[1]);
                    }
                }
            }
        }
    }};
}
pub(super) use wide_row;

/// Cells k0..k0 + 16 Q of a row (Q = 1, 2, 4): Q pairs of groups, one step of the eight
/// lanes each.
///
/// # Safety
/// The row's pointers must be valid for cells k0..k0 + 16 Q.
#[inline]
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512vl,avx512dq")]
pub(super) unsafe fn block<
    const Q: usize,
    const FIELD: u8,
    const DRAW: u8,
    const HAS_H: bool,
    const NT: usize,
>(
    row: &Row,
    k0: usize,
    z: &mut Wide,
    wc: &WideConsts,
    wa: &mut WideAcc,
) {
    let zero_ps = _mm512_setzero_ps();
    let zero_si = _mm512_setzero_si512();
    const { assert!(Q == 1 || Q == 2 || Q == 4) };
    let (mut u, mut hv, mut idx) = ([zero_ps; Q], [zero_ps; Q], [zero_si; Q]);
    let (mut b, mut v) = (zero_si, zero_si);
    // SAFETY (all loads and stores below): inside cells k0..k0 + 16 Q of the row's arrays
    // (bases checked by the chunk); unaligned accesses
    if FIELD == REAL {
        let f32s = |p: *const u8, q: usize| unsafe { _mm512_loadu_ps((p as *const f32).add(k0 + 16 * q)) };
        if HAS_H {
            hv = core::array::from_fn(|q| f32s(row.h, q));
            u = hv;
        }
        // J s for s = +-1 is J with its sign flipped where s < 0, and u + (J s) rounds once,
        // as the AVX2 kernels' fma(J, s, u) does: the same bits, without converting spins
        let sign = _mm512_set1_ps(-0.0);
        for d in 0..row.d {
            let [sb, jb] = unsafe { *row.bases.add(d) };
            let (sp, jp) = unsafe { (row.s.add(sb), row.j.add(4 * jb)) };
            let negative: u64 = match Q {
                4 => _mm512_movepi8_mask(unsafe { _mm512_loadu_si512(sp.add(k0) as *const __m512i) }),
                2 => _mm256_movemask_epi8(unsafe { _mm256_loadu_si256(sp.add(k0) as *const __m256i) }) as u32
                    as u64,
                _ => {
                    _mm_movemask_epi8(unsafe { _mm_loadu_si128(sp.add(k0) as *const __m128i) }) as u16 as u64
                }
            };
            for (q, u) in u.iter_mut().enumerate() {
                let j = f32s(jp, q);
                let js = _mm512_mask_xor_ps(j, (negative >> (16 * q)) as __mmask16, j, sign);
                *u = _mm512_add_ps(*u, js);
            }
        }
    } else {
        // the byte sums of the block; plain loads and stores, not masked ones, which the
        // next reads of the row (pads) could not forward from
        if Q == 4 {
            let ld = |p: *const u8| unsafe { _mm512_loadu_si512(p.add(k0) as *const __m512i) };
            if HAS_H {
                v = ld(row.h);
            }
            b = v;
            for d in 0..row.d {
                let [sb, jb] = unsafe { *row.bases.add(d) };
                let s = ld(unsafe { row.s.add(sb) });
                b = _mm512_add_epi8(
                    b,
                    if FIELD == INT_UNIT {
                        s
                    } else {
                        // w s for s = +-1 (`vpsignb` of the AVX2 kernels): -w where s < 0
                        let w = ld(unsafe { row.j.add(jb) });
                        _mm512_mask_sub_epi8(w, _mm512_movepi8_mask(s), zero_si, w)
                    },
                );
            }
        } else {
            // 32 or 16 bytes (the others 0), summed as in the AVX2 kernels
            let ld = |p: *const u8| unsafe {
                let p = p.add(k0);
                if Q == 2 {
                    _mm256_loadu_si256(p as *const __m256i)
                } else {
                    _mm256_zextsi128_si256(_mm_loadu_si128(p as *const __m128i))
                }
            };
            let h = if HAS_H { ld(row.h) } else { _mm256_setzero_si256() };
            let mut n = h;
            for d in 0..row.d {
                let [sb, jb] = unsafe { *row.bases.add(d) };
                let s = ld(unsafe { row.s.add(sb) });
                n = _mm256_add_epi8(
                    n,
                    if FIELD == INT_UNIT { s } else { _mm256_sign_epi8(ld(unsafe { row.j.add(jb) }), s) },
                );
            }
            (b, v) = (_mm512_zextsi256_si512(n), _mm512_zextsi256_si512(h));
        }
        if DRAW == TAB || DRAW == SCALED {
            // index n + R (< 256), or (n + R) / 2 (`halve`), as unsigned bytes
            let mut x = _mm512_add_epi8(b, wc.bias8);
            if wc.halve {
                x = _mm512_and_si512(_mm512_srli_epi16::<1>(x), _mm512_set1_epi8(0x7f));
            }
            idx = core::array::from_fn(|q| _mm512_cvtepu8_epi32(quarter(x, q)));
        }
        if DRAW == IDEAL || DRAW == LOGISTIC {
            u = core::array::from_fn(|q| {
                let n = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(quarter(b, q)));
                _mm512_add_ps(_mm512_mul_ps(n, wc.unit), wc.offset)
            });
        }
    }
    let bits: [__m512i; Q] = core::array::from_fn(|_| _mm512_srli_epi32::<8>(xoshiro8(z)));
    let per_slot = |p: *const f32| -> [__m512; Q] {
        core::array::from_fn(|q| unsafe { _mm512_loadu_ps(p.add(k0 + 16 * q)) })
    };
    let one = _mm512_set1_ps(1.0);
    let down: [__mmask16; Q] = if DRAW == TAB {
        core::array::from_fn(|q| _mm512_cmpgt_epi32_mask(bits[q], lookup::<NT>(&wc.tab, idx[q])))
    } else if DRAW == SCALED {
        let scale = per_slot(row.c);
        core::array::from_fn(|q| {
            let e = _mm512_castsi512_ps(lookup::<NT>(&wc.tab, idx[q]));
            let x = _mm512_mul_ps(uniforms(bits[q]), _mm512_add_ps(one, _mm512_mul_ps(e, scale[q])));
            _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(x, one)
        })
    } else {
        let t: [__m512; Q] = if DRAW == IDEAL {
            core::array::from_fn(|q| _mm512_mul_ps(u[q], wc.k))
        } else {
            let (k, c) = (per_slot(row.k), per_slot(row.c));
            core::array::from_fn(|q| _mm512_add_ps(_mm512_mul_ps(u[q], k[q]), c[q]))
        };
        down_masks::<Q>(t, core::array::from_fn(|q| uniforms(bits[q])))
    };
    let k64 = down.iter().enumerate().fold(0u64, |a, (q, &d)| a | (d as u64) << (16 * q));
    // spins: -1 where the mask is set, else +1
    let s64 = _mm512_mask_blend_epi8(k64, _mm512_set1_epi8(1), _mm512_set1_epi8(-1));
    unsafe {
        match Q {
            4 => _mm512_storeu_si512(row.out.add(k0) as *mut __m512i, s64),
            2 => _mm256_storeu_si256(row.out.add(k0) as *mut __m256i, _mm512_castsi512_si256(s64)),
            _ => _mm_storeu_si128(row.out.add(k0) as *mut __m128i, _mm512_castsi512_si128(s64)),
        }
    }
    wa.downs += k64.count_ones() as i64;
    if FIELD == REAL {
        let sign = _mm512_set1_epi32(i32::MIN);
        // s x: x with its sign flipped where the cell went down
        let signed = |x: __m512, k: __mmask16| {
            let x = _mm512_castps_si512(x);
            _mm512_castsi512_ps(_mm512_mask_xor_epi32(x, k, x, sign))
        };
        for q in 0..Q {
            wa.pair = _mm512_add_ps(wa.pair, signed(u[q], down[q]));
            if HAS_H {
                wa.field = _mm512_add_ps(wa.field, signed(hv[q], down[q]));
            }
        }
    } else {
        // sum of s n over the bytes: -n where down (|n| <= 127), + 128 each, by SAD
        let sum = |x: __m512i| {
            let sx = _mm512_mask_sub_epi8(x, k64, zero_si, x);
            _mm512_sad_epu8(_mm512_xor_si512(sx, _mm512_set1_epi8(i8::MIN)), zero_si)
        };
        wa.sums[0] = _mm512_add_epi64(wa.sums[0], sum(b));
        if HAS_H {
            wa.sums[1] = _mm512_add_epi64(wa.sums[1], sum(v));
        }
        wa.vectors += 1;
    }
}

//! The building blocks of the AVX2 lattice kernels: the vector random generator (eight
//! Xoshiro256++ lanes in eight registers), the logistic test, table lookups, spin packing and
//! sums. Small `#[inline]` AVX2 functions that LLVM inlines into the kernels.

use crate::chip::cells::cell::{EXP2_MAGIC, EXP2_POLY};
use crate::chip::samplers::lattice_kernel::G;
use crate::chip::samplers::lattice_plan::TABLE;
use core::arch::x86_64::*;

/// The Xoshiro256++ state of eight lanes: words 0..4 of lanes 0..4, then of lanes 4..8.
pub(super) type State = [__m256i; 8];

#[inline]
#[target_feature(enable = "avx2")]
fn rotl<const L: i32, const R: i32>(x: __m256i) -> __m256i {
    _mm256_or_si256(_mm256_slli_epi64::<L>(x), _mm256_srli_epi64::<R>(x))
}

/// One step of four lanes (words `s[0..4]`): the 64-bit outputs.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn xoshiro4(s: &mut [__m256i]) -> __m256i {
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
pub(super) fn uniforms(bits: __m256i) -> __m256 {
    let k = _mm256_cvtepi32_ps(bits);
    _mm256_mul_ps(_mm256_add_ps(k, _mm256_set1_ps(0.5)), _mm256_set1_ps(1.0 / 16_777_216.0))
}

/// Masks of the cells that go down, !(r (1 + 2^t) < 1) with [`crate::chip::cells::cell::exp2_clamped`],
/// for N vectors of eight cells. Each step is written for all N vectors before the next, so
/// that N independent dependency chains (about 60 cycles each) sit side by side in program
/// order and the out-of-order window overlaps them.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn down_masks<const N: usize>(t: [__m256; N], r: [__m256; N]) -> [__m256i; N] {
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
pub(super) fn lookup<const NT: usize>(tab: &[__m256i; 4], idx: __m256i) -> __m256i {
    let pick = |a: __m256i, b: __m256i, sel: __m256i| {
        _mm256_castps_si256(_mm256_blendv_ps(
            _mm256_castsi256_ps(a),
            _mm256_castsi256_ps(b),
            _mm256_castsi256_ps(sel),
        ))
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
pub(super) fn spins(down_a: __m256i, down_b: __m256i) -> __m128i {
    // i16 lanes [a0..4, b0..4, a4..8, b4..8] -> [a0..8, b0..8] -> bytes; -1 | 1 = -1, 0 | 1 = 1
    let w = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(down_a, down_b));
    let b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256::<1>(w));
    _mm_or_si128(b, _mm_set1_epi8(1))
}

const _: () = assert!(TABLE == 4 * G, "lookup() covers four permutes of eight entries");

/// Thirty-two spins (+1, or -1 where the mask is set) from four masks of eight, in order.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn spins32(d: [__m256i; 4]) -> __m256i {
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
pub(super) fn byte_sums(x: __m256i) -> __m256i {
    _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), x), _mm256_set1_epi16(1))
}

/// Adds eight f32 lanes to eight f64 sums, lane by lane.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn add_lanes(dst: &mut [f64], x: __m256) {
    let (lo, hi) =
        (_mm256_cvtps_pd(_mm256_castps256_ps128(x)), _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(x)));
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
pub(super) fn hsum(x: __m256i) -> i64 {
    let mut v = [0i32; 8];
    // SAFETY: 32 bytes into an array of eight i32; unaligned store
    unsafe { _mm256_storeu_si256(v.as_mut_ptr() as *mut __m256i, x) };
    v.iter().map(|&x| x as i64).sum()
}

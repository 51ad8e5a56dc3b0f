//! Eight Xoshiro256++ generators stepped together (structure of arrays), so that the update
//! vectorises: each lane is bit-for-bit the Xoshiro256++ of Blackman and Vigna ("Scrambled
//! linear pseudorandom number generators", ACM TOMS 47(4), 2021), and the lanes are filled
//! from one stream of the seed policy ([`crate::rng::Seed::stream`]).

use crate::rng::StreamRng;
use rand::Rng;

/// Number of lanes.
pub const LANES: usize = 8;

/// Eight Xoshiro256++ states, word-major.
#[derive(Debug, Clone)]
pub struct Lanes {
    s: [[u64; LANES]; 4],
}

impl Lanes {
    /// Lane states are 4 x 8 successive outputs of `stream` (a Xoshiro256++ stream of the seed
    /// policy); distinct streams give unrelated lanes, and an all-zero state has probability
    /// 2^-256 (it is replaced by a fixed non-zero word).
    pub fn from_stream(mut stream: StreamRng) -> Self {
        let mut s = [[0u64; LANES]; 4];
        for lane in 0..LANES {
            for w in s.iter_mut() {
                w[lane] = stream.next_u64();
            }
            if (0..4).all(|w| s[w][lane] == 0) {
                s[0][lane] = 0x9e37_79b9_7f4a_7c15;
            }
        }
        Lanes { s }
    }

    /// A lane state given directly as Xoshiro256++'s four words (for tests).
    pub fn from_words(words: [[u64; 4]; LANES]) -> Self {
        let mut s = [[0u64; LANES]; 4];
        for (lane, w) in words.iter().enumerate() {
            for k in 0..4 {
                s[k][lane] = w[k];
            }
        }
        Lanes { s }
    }

    /// The state, word-major (`words[w][lane]`), for kernels that step the lanes themselves.
    pub(crate) fn words_mut(&mut self) -> &mut [[u64; LANES]; 4] {
        &mut self.s
    }

    /// One output of every lane.
    #[inline(always)]
    pub fn step(&mut self) -> [u64; LANES] {
        let [s0, s1, s2, s3] = &mut self.s;
        let mut out = [0u64; LANES];
        for l in 0..LANES {
            out[l] = s0[l].wrapping_add(s3[l]).rotate_left(23).wrapping_add(s0[l]);
            let t = s1[l] << 17;
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
            s2[l] ^= t;
            s3[l] = s3[l].rotate_left(45);
        }
        out
    }

    /// Fills `out` with uniforms in (0, 1): each 64-bit output gives two 24-bit values
    /// (k + 1/2) 2^-24 (the top 24 bits of lane l's low 32-bit half go to position 2l of each
    /// group of 16, those of its high half to 2l + 1), so P(U < p) differs from p by at most 2^-25. Uses
    /// ceil(len / 16) steps; unused values of the last step are discarded.
    #[inline(always)]
    pub fn fill_uniform(&mut self, out: &mut [f32]) {
        let mut chunks = out.chunks_exact_mut(2 * LANES);
        for chunk in &mut chunks {
            self.fill16(chunk.try_into().expect("chunk of 2 LANES"));
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let mut u = [0f32; 2 * LANES];
            self.fill16(&mut u);
            rest.copy_from_slice(&u[..rest.len()]);
        }
    }

    /// One step of every lane turned into 16 uniforms (portable version).
    #[inline(always)]
    pub fn fill16_scalar(&mut self, u: &mut [f32; 2 * LANES]) {
        let r = self.step();
        for (k, u) in u.iter_mut().enumerate() {
            let w = (r[k / 2] >> (32 * (k % 2))) as u32;
            *u = (((w >> 8) as i32) as f32 + 0.5) * SCALE;
        }
    }

    /// One step of every lane turned into 16 uniforms: SSE2 (the x86_64 baseline) two lanes
    /// per register, bit-identical to [`Lanes::fill16_scalar`] (tested).
    #[inline(always)]
    pub fn fill16(&mut self, u: &mut [f32; 2 * LANES]) {
        #[cfg(target_arch = "x86_64")]
        {
            sse2::fill16(&mut self.s, u);
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self.fill16_scalar(u);
        }
    }

    /// [`Lanes::fill16`] with 256-bit AVX2 registers (four lanes per register instead of two),
    /// bit-identical (tested). LLVM does not vectorise the portable version well (it
    /// scalarises the 64-bit rotations), hence the intrinsics.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    pub unsafe fn fill16_avx2(&mut self, u: &mut [f32; 2 * LANES]) {
        avx2::fill16(&mut self.s, u);
    }
}

const SCALE: f32 = 1.0 / 16_777_216.0;

/// The uniform (k + 1/2) 2^-24 in (0, 1) of a 24-bit integer k (exact in f32: the value every
/// fill method gives for the same bits).
#[inline(always)]
pub fn uniform_of(bits: u32) -> f32 {
    ((bits as i32) as f32 + 0.5) * SCALE
}

/// Half-steps: the lattice kernels draw eight cells at a time from one half of the lanes
/// (lanes 4h..4h + 4), so that a row whose length is not a multiple of 16 does not step
/// lanes it does not use. The eight values of half h are the top 24 bits of the low and high
/// 32-bit halves of its four outputs, in that order (position 2j: lane 4h + j low, 2j + 1:
/// high), i.e. entries 8h..8h + 8 of [`Lanes::fill16`] as integers.
impl Lanes {
    /// Eight 24-bit integers from one step of half `half` (portable version).
    #[inline(always)]
    pub fn bits8_scalar(&mut self, half: usize) -> [u32; 8] {
        let [s0, s1, s2, s3] = &mut self.s;
        let mut out = [0u32; 8];
        for j in 0..LANES / 2 {
            let l = 4 * half + j;
            let r = s0[l].wrapping_add(s3[l]).rotate_left(23).wrapping_add(s0[l]);
            let t = s1[l] << 17;
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
            s2[l] ^= t;
            s3[l] = s3[l].rotate_left(45);
            out[2 * j] = (r as u32) >> 8;
            out[2 * j + 1] = ((r >> 32) as u32) >> 8;
        }
        out
    }

    /// [`Lanes::bits8_scalar`] with SSE2 (the x86_64 baseline), bit-identical (tested).
    #[inline(always)]
    pub fn bits8(&mut self, half: usize) -> [u32; 8] {
        #[cfg(target_arch = "x86_64")]
        {
            sse2::bits8(&mut self.s, half)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self.bits8_scalar(half)
        }
    }

    /// [`Lanes::bits8_scalar`] with one 256-bit AVX2 register per word, bit-identical (tested).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    pub unsafe fn bits8_avx2(&mut self, half: usize) -> [u32; 8] {
        avx2::bits8(&mut self.s, half)
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{LANES, SCALE};
    use core::arch::x86_64::*;

    #[inline(always)]
    fn rotl<const L: i32, const R: i32>(x: __m128i) -> __m128i {
        // SAFETY: SSE2 is part of the x86_64 baseline
        unsafe { _mm_or_si128(_mm_slli_epi64::<L>(x), _mm_srli_epi64::<R>(x)) }
    }

    /// Xoshiro256++ on lanes (2k, 2k + 1) for k = 0..4, then the top 24 bits of each 32-bit
    /// half of each output as (k + 1/2) 2^-24.
    #[inline(always)]
    pub fn fill16(st: &mut [[u64; LANES]; 4], u: &mut [f32; 2 * LANES]) {
        // SAFETY: SSE2 is part of the x86_64 baseline
        let (half, scale) = unsafe { (_mm_set1_ps(0.5), _mm_set1_ps(SCALE)) };
        for k in 0..LANES / 2 {
            // SAFETY: SSE2 is part of the x86_64 baseline; every pointer is to 16 bytes
            // inside the arrays (lanes 2k, 2k + 1 of a word; uniforms 4k..4k + 4), and the
            // loads and stores are unaligned ones.
            unsafe {
                let ld = |w: &[u64; LANES]| _mm_loadu_si128(w.as_ptr().add(2 * k) as *const __m128i);
                let (mut s0, mut s1, mut s2, mut s3) = (ld(&st[0]), ld(&st[1]), ld(&st[2]), ld(&st[3]));
                let out = _mm_add_epi64(rotl::<23, 41>(_mm_add_epi64(s0, s3)), s0);
                let t = _mm_slli_epi64::<17>(s1);
                s2 = _mm_xor_si128(s2, s0);
                s3 = _mm_xor_si128(s3, s1);
                s1 = _mm_xor_si128(s1, s2);
                s0 = _mm_xor_si128(s0, s3);
                s2 = _mm_xor_si128(s2, t);
                s3 = rotl::<45, 19>(s3);
                for (w, v) in st.iter_mut().zip([s0, s1, s2, s3]) {
                    _mm_storeu_si128(w.as_mut_ptr().add(2 * k) as *mut __m128i, v);
                }
                let f = _mm_mul_ps(_mm_add_ps(_mm_cvtepi32_ps(_mm_srli_epi32::<8>(out)), half), scale);
                _mm_storeu_ps(u.as_mut_ptr().add(4 * k), f);
            }
        }
    }

    /// Half `half` of the lanes stepped once, two lanes per register: the 24-bit integers.
    #[inline(always)]
    pub fn bits8(st: &mut [[u64; LANES]; 4], half: usize) -> [u32; 8] {
        let mut out = [0u32; 8];
        for k in 0..2 {
            let lane = 4 * half + 2 * k;
            // SAFETY: SSE2 is part of the x86_64 baseline; every pointer is to 16 bytes
            // inside the arrays (lanes lane, lane + 1 of a word, lane <= 6; values 4k..4k + 4),
            // and the loads and stores are unaligned ones.
            unsafe {
                let ld = |w: &[u64; LANES]| _mm_loadu_si128(w.as_ptr().add(lane) as *const __m128i);
                let (mut s0, mut s1, mut s2, mut s3) = (ld(&st[0]), ld(&st[1]), ld(&st[2]), ld(&st[3]));
                let r = _mm_add_epi64(rotl::<23, 41>(_mm_add_epi64(s0, s3)), s0);
                let t = _mm_slli_epi64::<17>(s1);
                s2 = _mm_xor_si128(s2, s0);
                s3 = _mm_xor_si128(s3, s1);
                s1 = _mm_xor_si128(s1, s2);
                s0 = _mm_xor_si128(s0, s3);
                s2 = _mm_xor_si128(s2, t);
                s3 = rotl::<45, 19>(s3);
                for (w, v) in st.iter_mut().zip([s0, s1, s2, s3]) {
                    _mm_storeu_si128(w.as_mut_ptr().add(lane) as *mut __m128i, v);
                }
                _mm_storeu_si128(out.as_mut_ptr().add(4 * k) as *mut __m128i, _mm_srli_epi32::<8>(r));
            }
        }
        out
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{LANES, SCALE};
    use core::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx2")]
    fn rotl<const L: i32, const R: i32>(x: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_slli_epi64::<L>(x), _mm256_srli_epi64::<R>(x))
    }

    /// Xoshiro256++ on lanes (4k..4k + 4) for k = 0, 1, then the top 24 bits of each 32-bit
    /// half of each output as (k + 1/2) 2^-24 (the same formula as the SSE2 version).
    #[inline]
    #[target_feature(enable = "avx2")]
    pub fn fill16(st: &mut [[u64; LANES]; 4], u: &mut [f32; 2 * LANES]) {
        let (half, scale) = (_mm256_set1_ps(0.5), _mm256_set1_ps(SCALE));
        for k in 0..LANES / 4 {
            // SAFETY: every pointer is to 32 bytes inside the arrays (lanes 4k..4k + 4 of a
            // word; uniforms 8k..8k + 8), and the loads and stores are unaligned ones.
            unsafe {
                let ld = |w: &[u64; LANES]| _mm256_loadu_si256(w.as_ptr().add(4 * k) as *const __m256i);
                let (mut s0, mut s1, mut s2, mut s3) = (ld(&st[0]), ld(&st[1]), ld(&st[2]), ld(&st[3]));
                let out = _mm256_add_epi64(rotl::<23, 41>(_mm256_add_epi64(s0, s3)), s0);
                let t = _mm256_slli_epi64::<17>(s1);
                s2 = _mm256_xor_si256(s2, s0);
                s3 = _mm256_xor_si256(s3, s1);
                s1 = _mm256_xor_si256(s1, s2);
                s0 = _mm256_xor_si256(s0, s3);
                s2 = _mm256_xor_si256(s2, t);
                s3 = rotl::<45, 19>(s3);
                for (w, v) in st.iter_mut().zip([s0, s1, s2, s3]) {
                    _mm256_storeu_si256(w.as_mut_ptr().add(4 * k) as *mut __m256i, v);
                }
                let i = _mm256_srli_epi32::<8>(out);
                let f = _mm256_mul_ps(_mm256_add_ps(_mm256_cvtepi32_ps(i), half), scale);
                _mm256_storeu_ps(u.as_mut_ptr().add(8 * k), f);
            }
        }
    }

    /// Half `half` of the lanes stepped once in one register per word: the 24-bit integers.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub fn bits8(st: &mut [[u64; LANES]; 4], half: usize) -> [u32; 8] {
        let mut out = [0u32; 8];
        // SAFETY: every pointer is to 32 bytes inside the arrays (lanes 4 half..4 half + 4 of
        // a word, half <= 1; the eight outputs), and the loads and stores are unaligned ones.
        unsafe {
            let ld = |w: &[u64; LANES]| _mm256_loadu_si256(w.as_ptr().add(4 * half) as *const __m256i);
            let (mut s0, mut s1, mut s2, mut s3) = (ld(&st[0]), ld(&st[1]), ld(&st[2]), ld(&st[3]));
            let r = _mm256_add_epi64(rotl::<23, 41>(_mm256_add_epi64(s0, s3)), s0);
            let t = _mm256_slli_epi64::<17>(s1);
            s2 = _mm256_xor_si256(s2, s0);
            s3 = _mm256_xor_si256(s3, s1);
            s1 = _mm256_xor_si256(s1, s2);
            s0 = _mm256_xor_si256(s0, s3);
            s2 = _mm256_xor_si256(s2, t);
            s3 = rotl::<45, 19>(s3);
            for (w, v) in st.iter_mut().zip([s0, s1, s2, s3]) {
                _mm256_storeu_si256(w.as_mut_ptr().add(4 * half) as *mut __m256i, v);
            }
            _mm256_storeu_si256(out.as_mut_ptr() as *mut __m256i, _mm256_srli_epi32::<8>(r));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Each lane reproduces rand_xoshiro's Xoshiro256PlusPlus (an independent implementation)
    /// from the same state.
    #[test]
    fn lanes_match_reference_generator() {
        let mut words = [[0u64; 4]; LANES];
        for (l, w) in words.iter_mut().enumerate() {
            for (k, x) in w.iter_mut().enumerate() {
                *x = ((l as u64 + 1) * 0x1234_5678_9abc_def1) ^ ((k as u64) << 7);
            }
        }
        let mut lanes = Lanes::from_words(words);
        let mut refs: Vec<StreamRng> = words
            .iter()
            .map(|w| {
                let mut seed = [0u8; 32];
                for k in 0..4 {
                    seed[8 * k..8 * k + 8].copy_from_slice(&w[k].to_le_bytes());
                }
                StreamRng::from_seed(seed)
            })
            .collect();
        for _ in 0..100 {
            let out = lanes.step();
            for l in 0..LANES {
                assert_eq!(out[l], refs[l].next_u64());
            }
        }
    }

    /// The SSE2 path gives exactly the portable path's uniforms.
    #[test]
    fn vector_uniforms_match_scalar() {
        let mut a = Lanes::from_stream(crate::rng::Seed(5).stream(crate::rng::Domain::Other, 1));
        let mut b = a.clone();
        for _ in 0..1000 {
            let (mut ua, mut ub) = ([0f32; 16], [0f32; 16]);
            a.fill16(&mut ua);
            b.fill16_scalar(&mut ub);
            assert_eq!(ua, ub);
        }
    }

    /// The AVX2 path (where the CPU has it) gives exactly the portable path's uniforms.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_uniforms_match_scalar() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let mut a = Lanes::from_stream(crate::rng::Seed(6).stream(crate::rng::Domain::Other, 1));
        let mut b = a.clone();
        for _ in 0..1000 {
            let (mut ua, mut ub) = ([0f32; 16], [0f32; 16]);
            // SAFETY: AVX2 detected above
            unsafe { a.fill16_avx2(&mut ua) };
            b.fill16_scalar(&mut ub);
            assert_eq!(ua, ub);
        }
    }

    /// Half-steps (scalar, SSE2, AVX2) agree with each other and with fill16: half 0 then
    /// half 1 give fill16's sixteen values as integers.
    #[test]
    fn half_steps_match_fill16() {
        let mut a = Lanes::from_stream(crate::rng::Seed(7).stream(crate::rng::Domain::Other, 2));
        let (mut b, mut c, mut d) = (a.clone(), a.clone(), a.clone());
        for step in 0..1000 {
            let mut u = [0f32; 16];
            a.fill16_scalar(&mut u);
            for half in 0..2 {
                let x = b.bits8_scalar(half);
                assert_eq!(c.bits8(half), x);
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: AVX2 detected just above
                    assert_eq!(unsafe { d.bits8_avx2(half) }, x);
                } else {
                    d.bits8_scalar(half);
                }
                #[cfg(not(target_arch = "x86_64"))]
                d.bits8_scalar(half);
                for (i, &bits) in x.iter().enumerate() {
                    assert_eq!(uniform_of(bits), u[8 * half + i], "step {step}");
                }
            }
        }
    }

    #[test]
    fn uniforms_are_in_range_with_right_mean() {
        let mut lanes = Lanes::from_stream(crate::rng::Seed(1).stream(crate::rng::Domain::Other, 0));
        let mut u = vec![0f32; 100_000];
        lanes.fill_uniform(&mut u);
        assert!(u.iter().all(|&x| x > 0.0 && x < 1.0));
        let mean = u.iter().map(|&x| x as f64).sum::<f64>() / u.len() as f64;
        // standard error of the mean of U(0,1): sqrt(1/12 / n) = 9.1e-4; 5 SE
        assert!((mean - 0.5).abs() < 5.0 * 9.2e-4, "{mean}");
    }
}

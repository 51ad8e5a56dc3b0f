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

    /// One output of every lane.
    #[inline(always)]
    pub fn step(&mut self) -> [u64; LANES] {
        let [s0, s1, s2, s3] = &mut self.s;
        let mut out = [0u64; LANES];
        for l in 0..LANES {
            out[l] = s0[l]
                .wrapping_add(s3[l])
                .rotate_left(23)
                .wrapping_add(s0[l]);
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
    /// (k + 1/2) 2^-24 (lane l's high bits to position l, its low bits to position 8 + l of
    /// each group of 16), so P(U < p) differs from p by at most 2^-25. Uses
    /// ceil(len / 16) steps; unused values of the last step are discarded.
    #[inline(always)]
    pub fn fill_uniform(&mut self, out: &mut [f32]) {
        const SCALE: f32 = 1.0 / 16_777_216.0;
        let convert = |r: [u64; LANES], u: &mut [f32; 2 * LANES]| {
            for l in 0..LANES {
                u[l] = (((r[l] >> 40) as i32) as f32 + 0.5) * SCALE;
                u[LANES + l] = ((((r[l] >> 8) & 0xff_ffff) as i32) as f32 + 0.5) * SCALE;
            }
        };
        let mut chunks = out.chunks_exact_mut(2 * LANES);
        for chunk in &mut chunks {
            let r = self.step();
            convert(r, chunk.try_into().expect("chunk of 2 LANES"));
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let mut u = [0f32; 2 * LANES];
            let r = self.step();
            convert(r, &mut u);
            rest.copy_from_slice(&u[..rest.len()]);
        }
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

    #[test]
    fn uniforms_are_in_range_with_right_mean() {
        let mut lanes =
            Lanes::from_stream(crate::rng::Seed(1).stream(crate::rng::Domain::Other, 0));
        let mut u = vec![0f32; 100_000];
        lanes.fill_uniform(&mut u);
        assert!(u.iter().all(|&x| x > 0.0 && x < 1.0));
        let mean = u.iter().map(|&x| x as f64).sum::<f64>() / u.len() as f64;
        // standard error of the mean of U(0,1): sqrt(1/12 / n) = 9.1e-4; 5 SE
        assert!((mean - 0.5).abs() < 5.0 * 9.2e-4, "{mean}");
    }
}

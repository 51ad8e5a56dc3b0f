//! The seed policy: one master seed per run, named streams derived from it.
//!
//! Every trajectory, chain, sweep point and cell block draws from its own stream, identified
//! by a [`Domain`] and an index and derived from the master seed by a fixed hash. The
//! generator is Xoshiro256++ (portable, specified bit for bit, never `StdRng`). Work is split
//! into fixed pieces (one stream per piece, not per thread), so a result is bit-identical
//! whatever the number of threads.
//!
//! Library code never seeds from the operating system: the caller owns the generator.

use rand::SeedableRng;
use rand_xoshiro::{SplitMix64, Xoshiro256PlusPlus};

/// The random generator used for every stream.
pub type StreamRng = Xoshiro256PlusPlus;

/// Name of the generator, written into result files.
pub const GENERATOR: &str = "Xoshiro256++ (streams keyed by SplitMix64 of seed, domain, index)";

/// What a stream is for. Different domains never share a stream even with equal indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Domain {
    /// One SDE or jump-process trajectory of an ensemble.
    Trajectory = 1,
    /// One point of a calibration or study sweep (its own sub-seed).
    SweepPoint = 2,
    /// A block of cells of a chip (colour class slice, free-running block).
    CellBlock = 3,
    /// Random model parameters: couplings, fields, mismatch offsets.
    Parameters = 4,
    /// Initial states.
    Initial = 5,
    /// A Gibbs chain.
    Chain = 6,
    /// Anything that is not one of the above, keyed by the index alone.
    Other = 7,
    /// Device mismatch: the Monte Carlo sample (child seed), then the instance (stream keyed
    /// by a hash of its hierarchical name).
    Mismatch = 8,
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A master seed. Streams and child seeds are derived from it deterministically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Seed(pub u64);

impl Seed {
    /// The 64-bit key of stream (domain, index): a two-level SplitMix64 hash, injective in
    /// `index` for a fixed seed and domain.
    fn key(self, domain: Domain, index: u64) -> u64 {
        let d = mix64(mix64(self.0) ^ (domain as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        mix64(d ^ index)
    }

    /// The generator of stream (domain, index). Its 256-bit state is filled by SplitMix64
    /// from the stream key, as the Xoshiro authors recommend.
    pub fn stream(self, domain: Domain, index: u64) -> StreamRng {
        let mut seeder = SplitMix64::seed_from_u64(self.key(domain, index));
        StreamRng::from_rng(&mut seeder)
    }

    /// A new master seed for a sub-run (one sweep point, one temperature), so that nested
    /// work keeps its own stream namespace.
    pub fn child(self, domain: Domain, index: u64) -> Seed {
        Seed(self.key(domain, index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn first(mut rng: StreamRng) -> Vec<u64> {
        (0..4).map(|_| rng.next_u64()).collect()
    }

    #[test]
    fn streams_differ_and_repeat() {
        let seed = Seed(42);
        let a = first(seed.stream(Domain::Trajectory, 0));
        assert_eq!(a, first(seed.stream(Domain::Trajectory, 0)));
        assert_ne!(a, first(seed.stream(Domain::Trajectory, 1)));
        assert_ne!(a, first(seed.stream(Domain::Chain, 0)));
        assert_ne!(a, first(Seed(43).stream(Domain::Trajectory, 0)));
        assert_ne!(seed.child(Domain::SweepPoint, 3), seed);
    }

    /// Value stability: the stream layout is part of the reproducibility contract (a seed
    /// written in a result file must regenerate the same run in later versions). These are
    /// the SplitMix64 finaliser's published outputs, an independent reference: mix64 applied
    /// to the SplitMix64 state after one increment from 0 gives 0xe220a8397b1dcdaf.
    #[test]
    fn splitmix_finaliser_matches_reference() {
        assert_eq!(mix64(0x9e37_79b9_7f4a_7c15), 0xe220_a839_7b1d_cdaf);
        let mut sm = SplitMix64::seed_from_u64(0);
        assert_eq!(sm.next_u64(), 0xe220_a839_7b1d_cdaf);
    }
}

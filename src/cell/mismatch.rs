//! Per-cell offsets from device mismatch (Pelgrom): each cell's input is shifted by an
//! independent Gaussian offset of standard deviation sigma, drawn from the seed policy's
//! parameter streams (cell i from stream (seed, Parameters, i)), so a chip's offsets do not
//! depend on how it is split across threads.

use rand_distr::{Distribution, Normal};

use crate::rng::{Domain, Seed};

/// Offsets (V) of `cells` cells with standard deviation `sigma` (V).
pub fn offsets(cells: usize, sigma: f64, seed: Seed) -> Vec<f64> {
    if sigma == 0.0 {
        return vec![0.0; cells];
    }
    let normal = Normal::new(0.0, sigma.abs()).expect("finite sigma");
    (0..cells).map(|i| normal.sample(&mut seed.stream(Domain::Parameters, i as u64))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sample mean and standard deviation of 20000 offsets match N(0, sigma^2) to 5 standard
    /// errors; the same seed gives the same offsets.
    #[test]
    fn offsets_are_gaussian_and_reproducible() {
        let sigma = 3e-3;
        let v = offsets(20_000, sigma, Seed(5));
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(mean.abs() < 5.0 * sigma / n.sqrt());
        assert!((sd / sigma - 1.0).abs() < 5.0 * (0.5 / n).sqrt());
        assert_eq!(v[..10], offsets(10, sigma, Seed(5))[..]);
    }
}

//! Allan deviation of a sampled series (Allan, Proc. IEEE 54, 221, 1966): with y_k the means
//! of consecutive, non-overlapping windows of m samples (averaging time tau = m dt),
//!
//!   sigma_A^2(tau) = (1/2) < (y_{k+1} - y_k)^2 >.
//!
//! For independent samples of variance s^2 it is s^2 / m (falls as tau^-1/2); for 1/f noise
//! it is flat (the flicker floor, 2 ln 2 h for S(f) = h/f); a drift makes it rise.
//!
//! The overlapping estimator is used (windows starting at every sample, the IEEE 1139 form):
//! the same expectation, a smaller variance. Its relative standard error is at most that of
//! the non-overlapping one, sqrt(3 / P) for sigma_A^2 with P = N/m - 1 pairs of consecutive
//! windows (for white noise: Var(d^2) = 8 s_y^4, neighbouring differences correlated -1/2).

/// Allan deviation of `x` (sampled every `dt`) at window lengths m = 1, 2, 4, ... while at
/// least `min_windows` windows fit. Returns (tau, sigma_A, P = N/m - 1 non-overlapping pairs:
/// the relative SE of sigma_A is at most sqrt(3 / P) / 2).
pub fn allan_deviation(x: &[f64], dt: f64, min_windows: usize) -> Vec<(f64, f64, usize)> {
    let mut prefix = Vec::with_capacity(x.len() + 1);
    prefix.push(0.0);
    for v in x {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + v);
    }
    let mut out = Vec::new();
    let mut m = 1usize;
    while x.len() / m >= min_windows.max(2) {
        // Window mean from sample i: (prefix[i + m] - prefix[i]) / m; difference of the
        // windows at i + m and i, for every i.
        let count = x.len() + 1 - 2 * m;
        let sum: f64 = (0..count)
            .map(|i| ((prefix[i + 2 * m] - 2.0 * prefix[i + m] + prefix[i]) / m as f64).powi(2))
            .sum();
        out.push((m as f64 * dt, (0.5 * sum / count as f64).sqrt(), x.len() / m - 1));
        m *= 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Domain, Seed};
    use rand_distr::{Distribution, StandardNormal};

    /// Independent unit-variance samples: sigma_A(m) = 1/sqrt(m). With P window pairs the
    /// estimate of sigma_A^2 has a relative SE of about sqrt(3/P) (consecutive differences
    /// share a window); 4 SE is allowed.
    #[test]
    fn white_noise_falls_as_inverse_root() {
        let mut rng = Seed(9).stream(Domain::Other, 0);
        let x: Vec<f64> = (0..1 << 16).map(|_| StandardNormal.sample(&mut rng)).collect();
        let result = allan_deviation(&x, 1e-3, 64);
        assert_eq!(result.len(), 11);
        for (tau, sigma, pairs) in result {
            let m = tau / 1e-3;
            let ratio = sigma * sigma * m;
            let se = (3.0 / pairs as f64).sqrt();
            assert!((ratio - 1.0).abs() < 4.0 * se, "m {m}: sigma_A^2 m = {ratio}, se {se}");
        }
    }
}

//! Kolmogorov-Smirnov distances: between samples and a distribution function, and between two
//! samples, with the asymptotic Kolmogorov p-value.
//!
//! One sample: D = sup_x |F_n(x) - F(x)| = max_i max(i/n - F(x_(i)), F(x_(i)) - (i-1)/n) over
//! the sorted samples. Two samples: D = sup_x |F_n(x) - G_m(x)|, evaluated after each run of
//! equal values. For independent samples the 5% critical value is about 1.36/sqrt(n_e), with
//! n_e = n (one sample) or n m/(n + m) (two samples); samples from a correlated chain have a
//! smaller effective n_e.

use super::error::samples as show;
use super::{FitError, GaussianMixture};

const FIT: &str = "Kolmogorov-Smirnov";

fn sorted(values: &[f64]) -> Result<Vec<f64>, FitError> {
    if values.is_empty() {
        return Err(FitError::TooFewPoints { fit: FIT, needed: 1, got: 0, data: show(values) });
    }
    if let Some(index) = values.iter().position(|x| x.is_nan()) {
        return Err(FitError::InvalidPoint {
            fit: FIT,
            index,
            problem: "sample is NaN".into(),
            data: show(values),
        });
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Ok(v)
}

/// KS distance between the samples and the distribution function `cdf`.
pub fn ks_distance_to(samples: &[f64], cdf: impl Fn(f64) -> f64) -> Result<f64, FitError> {
    let v = sorted(samples)?;
    let n = v.len() as f64;
    Ok(v.iter().enumerate().fold(0.0, |d, (i, &x)| {
        let f = cdf(x);
        d.max((i + 1) as f64 / n - f).max(f - i as f64 / n)
    }))
}

/// KS distance between the samples and a mixture's distribution function.
pub fn ks_distance(samples: &[f64], mixture: &GaussianMixture) -> Result<f64, FitError> {
    ks_distance_to(samples, |x| mixture.cdf(x))
}

/// Two-sample KS distance sup_x |F_a(x) - F_b(x)|.
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> Result<f64, FitError> {
    let (a, b) = (sorted(a)?, sorted(b)?);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] == x {
            i += 1;
        }
        while j < b.len() && b[j] == x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    Ok(d)
}

/// Asymptotic probability that a KS distance of at least `d` arises by chance with `n_eff`
/// independent samples: Q_KS((sqrt(n) + 0.12 + 0.11/sqrt(n)) d), with Q_KS(t) = 2 sum_{j>=1}
/// (-1)^(j-1) exp(-2 j^2 t^2) (Stephens' small-sample correction, as in Numerical Recipes).
pub fn kolmogorov_p_value(d: f64, n_eff: f64) -> f64 {
    let s = n_eff.sqrt();
    let t = (s + 0.12 + 0.11 / s) * d;
    if t <= 0.0 {
        return 1.0;
    }
    let q = if t < 1.18 {
        // Jacobi-transformed series, fast for small t.
        let y = (-std::f64::consts::PI.powi(2) / (8.0 * t * t)).exp();
        1.0 - (2.0 * std::f64::consts::PI).sqrt() / t * (y + y.powi(9) + y.powi(25) + y.powi(49))
    } else {
        let x = (-2.0 * t * t).exp();
        2.0 * (x - x.powi(4) + x.powi(9) - x.powi(16))
    };
    q.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_of_small_samples() {
        // Uniform CDF on [0, 1]: samples at 0.1, 0.2 give D = max(0.5 - 0.1, 1 - 0.2) = 0.8.
        let d = ks_distance_to(&[0.2, 0.1], |x| x.clamp(0.0, 1.0)).unwrap();
        assert!((d - 0.8).abs() < 1e-15);
        assert_eq!(ks_two_sample(&[1.0, 2.0], &[1.0, 2.0]).unwrap(), 0.0);
        assert_eq!(ks_two_sample(&[1.0, 2.0], &[3.0, 4.0]).unwrap(), 1.0);
        assert!((ks_two_sample(&[1.0, 3.0], &[2.0, 4.0]).unwrap() - 0.5).abs() < 1e-15);
    }

    #[test]
    fn p_value_at_the_five_percent_point() {
        // Q_KS(1.3581) = 0.05; both branches of the series agree near the switch.
        let n: f64 = 1e12;
        assert!((kolmogorov_p_value(1.358_099 / n.sqrt(), n) - 0.05).abs() < 1e-4);
        let (lo, hi) = (kolmogorov_p_value(1.1799 / n.sqrt(), n), kolmogorov_p_value(1.1801 / n.sqrt(), n));
        assert!((lo - hi).abs() < 1e-3);
    }
}

//! Autocorrelation of a sampled signal and its integrated correlation time.
//!
//! The normalised autocorrelation rho(k) is computed by FFT (zero-padded, so it is the plain
//! lagged sum). The integrated autocorrelation time tau_int = 1/2 + sum_{k>=1} rho(k) (in
//! samples) uses Sokal's automatic window: the smallest M with M >= c tau_int(M), c = 5
//! (Sokal, "Monte Carlo methods in statistical mechanics", 1996, section 3). For an
//! exponential autocorrelation e^{-t/tau} sampled every dt (dt << tau), tau_int dt = tau, so
//! tau_int dt is the correlation time; the variance of a sample mean is 2 tau_int Var / N.

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

/// Normalised autocorrelation rho(0..max_lag) of `x` (rho(0) = 1). A constant signal has no
/// defined autocorrelation: returns an empty vector.
pub fn autocorrelation(x: &[f64], max_lag: usize) -> Vec<f64> {
    let n = x.len();
    if n < 2 {
        return Vec::new();
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let size = (2 * n).next_power_of_two();
    let mut buf: Vec<Complex<f64>> = x.iter().map(|v| Complex::new(v - mean, 0.0)).collect();
    buf.resize(size, Complex::new(0.0, 0.0));
    let mut planner = FftPlanner::new();
    planner.plan_fft_forward(size).process(&mut buf);
    for c in buf.iter_mut() {
        *c = Complex::new(c.norm_sqr(), 0.0);
    }
    planner.plan_fft_inverse(size).process(&mut buf);
    let c0 = buf[0].re;
    if c0 <= 0.0 {
        return Vec::new();
    }
    buf.iter().take(max_lag.min(n - 1) + 1).map(|c| c.re / c0).collect()
}

/// Integrated autocorrelation time of `x` in samples, with Sokal's window (c = 5). Returns
/// None for a constant signal or when the window does not close within the series (the
/// series is too short for its correlation time).
pub fn integrated_time(x: &[f64]) -> Option<f64> {
    let rho = autocorrelation(x, x.len() / 2);
    if rho.is_empty() {
        return None;
    }
    let mut tau = 0.5;
    for (m, r) in rho.iter().enumerate().skip(1) {
        tau += r;
        if m as f64 >= 5.0 * tau {
            return Some(tau.max(0.5));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Domain, Seed};
    use rand_distr::{Distribution, StandardNormal};

    /// An AR(1) series x_k = a x_{k-1} + noise has rho(k) = a^k and
    /// tau_int = 1/2 + a/(1 - a) = (1 + a) / (2 (1 - a)).
    #[test]
    fn ar1_correlation_time() {
        let a: f64 = 0.9;
        let mut rng = Seed(3).stream(Domain::Other, 0);
        let mut x = 0.0;
        let series: Vec<f64> = (0..400_000)
            .map(|_| {
                let e: f64 = StandardNormal.sample(&mut rng);
                x = a * x + e;
                x
            })
            .collect();
        let rho = autocorrelation(&series, 5);
        for (k, r) in rho.iter().enumerate() {
            assert!((r - a.powi(k as i32)).abs() < 0.02, "rho({k}) = {r}");
        }
        let tau = integrated_time(&series).unwrap();
        let exact = (1.0 + a) / (2.0 * (1.0 - a));
        // Relative error of the windowed estimator: about sqrt(2 (2M + 1) / N) = 2.5 %.
        assert!((tau / exact - 1.0).abs() < 0.1, "tau {tau} vs {exact}");
        assert!(integrated_time(&[1.0; 100]).is_none());
    }
}

//! Integrated autocorrelation time and effective sample size of a time series.
//!
//! tau_int = 1/2 + sum_{t=1}^{W} rho(t), with rho the normalised autocorrelation (biased
//! estimator C(t) = (1/n) sum_i (x_i - mean)(x_{i+t} - mean), computed by FFT in
//! [`crate::analysis::autocorr`]), and the
//! window W chosen by Sokal's automatic windowing: the smallest W with W >= c tau_int(W),
//! c = 5 (A. D. Sokal, "Monte Carlo methods in statistical mechanics: foundations and new
//! algorithms", Cargese lectures 1996, section 3; N. Madras and A. D. Sokal, J. Stat. Phys.
//! 50, 109 (1988)). With this convention i.i.d. samples have tau_int = 1/2, the variance of
//! the sample mean is 2 tau_int Var(x) / n and the effective sample size is n / (2 tau_int).

/// Result of [`integrated_time`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AutoCorr {
    /// Integrated autocorrelation time tau_int, in samples (1/2 for independent samples).
    pub tau_int: f64,
    /// The window W chosen.
    pub window: usize,
    /// False if no window W < n/4 satisfied W >= c tau_int (the series is too short and
    /// tau_int is then a lower bound).
    pub reliable: bool,
    /// Effective sample size n / (2 tau_int).
    pub ess: f64,
    /// Mean of the series.
    pub mean: f64,
    /// Standard error of the mean, sqrt(2 tau_int Var / n).
    pub stderr: f64,
}

/// Sokal's window constant.
pub const SOKAL_C: f64 = 5.0;

/// tau_int, ESS and the standard error of the mean of `x`.
pub fn integrated_time(x: &[f64]) -> AutoCorr {
    let n = x.len();
    let mean = if n > 0 { x.iter().sum::<f64>() / n as f64 } else { f64::NAN };
    if n < 2 {
        return AutoCorr { tau_int: 0.5, window: 0, reliable: false, ess: n as f64, mean, stderr: f64::NAN };
    }
    // rho(t) = C(t) / C(0) by FFT (the same estimator, in crate::analysis)
    let rho = crate::analysis::autocorr::autocorrelation(x, (n / 4).max(2));
    let c0 = x.iter().map(|&v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    if rho.is_empty() || c0 <= 0.0 {
        // a constant series: no fluctuation to correlate
        return AutoCorr { tau_int: 0.5, window: 0, reliable: true, ess: n as f64, mean, stderr: 0.0 };
    }
    let mut tau = 0.5;
    let mut window = 0;
    let mut reliable = false;
    for t in 1..(n / 4).max(2).min(rho.len()) {
        tau += rho[t];
        window = t;
        if t as f64 >= SOKAL_C * tau {
            reliable = true;
            break;
        }
    }
    let tau = tau.max(0.5 / n as f64);
    let var = c0 * n as f64 / (n - 1) as f64;
    AutoCorr {
        tau_int: tau,
        window,
        reliable,
        ess: n as f64 / (2.0 * tau),
        mean,
        stderr: (2.0 * tau * var / n as f64).sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    /// AR(1) x_t = a x_{t-1} + e_t has rho(t) = a^t, so tau_int = 1/2 + a/(1-a)
    /// = (1+a) / (2(1-a)) (Sokal 1996, eq. 3.6 ff.): 4.5 for a = 0.8.
    #[test]
    fn ar1_tau_matches_formula() {
        let mut rng = crate::rng::StreamRng::seed_from_u64(3);
        let a = 0.8;
        let mut x = vec![0.0; 200_000];
        for t in 1..x.len() {
            let e: f64 = StandardNormal.sample(&mut rng);
            x[t] = a * x[t - 1] + e;
        }
        let r = integrated_time(&x);
        // relative error of tau_int ~ sqrt(2(2W+1)/n) (Sokal eq. 3.19): ~ 2% here; allow 10%
        assert!((r.tau_int - 4.5).abs() < 0.45, "{r:?}");
        assert!(r.reliable);
    }

    /// tau_int of a short series against the direct sums C(t) = (1/n) sum_i (x_i - mean)
    /// (x_{i+t} - mean) and Sokal's window applied by hand.
    #[test]
    fn fft_autocorrelation_matches_direct_sums() {
        let x: Vec<f64> =
            (0..400).map(|i| ((i * 7919) % 13) as f64 + (i as f64 * 0.05).sin() * 4.0).collect();
        let n = x.len();
        let mean = x.iter().sum::<f64>() / n as f64;
        let c = |t: usize| (0..n - t).map(|i| (x[i] - mean) * (x[i + t] - mean)).sum::<f64>() / n as f64;
        let (mut tau, mut window) = (0.5, 0);
        for t in 1..n / 4 {
            tau += c(t) / c(0);
            window = t;
            if t as f64 >= SOKAL_C * tau {
                break;
            }
        }
        let r = integrated_time(&x);
        assert_eq!(r.window, window);
        assert!((r.tau_int - tau).abs() < 1e-9, "{} vs {tau}", r.tau_int);
    }
}

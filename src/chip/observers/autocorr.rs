//! Integrated autocorrelation time and effective sample size of a time series.
//!
//! tau_int = 1/2 + sum_{t=1}^{W} rho(t), with rho the normalised autocorrelation (biased
//! estimator C(t) = (1/n) sum_i (x_i - mean)(x_{i+t} - mean), computed by FFT), and the
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

/// In-place radix-2 FFT of (re, im); `inverse` uses e^{+i...} without 1/n scaling.
fn fft(re: &mut [f64], im: &mut [f64], inverse: bool) {
    let n = re.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let ang = 2.0 * std::f64::consts::PI / len as f64 * if inverse { 1.0 } else { -1.0 };
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (s, c) = (ang * k as f64).sin_cos();
                let (a, b) = (start + k, start + k + len / 2);
                let tr = re[b] * c - im[b] * s;
                let ti = re[b] * s + im[b] * c;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
        len <<= 1;
    }
}

/// Autocovariance C(t), t = 0..n, biased (divided by n).
fn autocovariance(x: &[f64], mean: f64) -> Vec<f64> {
    let n = x.len();
    let size = (2 * n).next_power_of_two();
    let mut re = vec![0.0; size];
    let mut im = vec![0.0; size];
    for (r, &v) in re.iter_mut().zip(x) {
        *r = v - mean;
    }
    fft(&mut re, &mut im, false);
    for k in 0..size {
        re[k] = re[k] * re[k] + im[k] * im[k];
        im[k] = 0.0;
    }
    fft(&mut re, &mut im, true);
    re.truncate(n);
    for v in re.iter_mut() {
        *v /= (size * n) as f64;
    }
    re
}

/// tau_int, ESS and the standard error of the mean of `x`.
pub fn integrated_time(x: &[f64]) -> AutoCorr {
    let n = x.len();
    let mean = if n > 0 { x.iter().sum::<f64>() / n as f64 } else { f64::NAN };
    if n < 2 {
        return AutoCorr { tau_int: 0.5, window: 0, reliable: false, ess: n as f64, mean, stderr: f64::NAN };
    }
    let c = autocovariance(x, mean);
    if c[0] <= 0.0 {
        // a constant series: no fluctuation to correlate
        return AutoCorr { tau_int: 0.5, window: 0, reliable: true, ess: n as f64, mean, stderr: 0.0 };
    }
    let mut tau = 0.5;
    let mut window = 0;
    let mut reliable = false;
    for t in 1..(n / 4).max(2) {
        tau += c[t] / c[0];
        window = t;
        if t as f64 >= SOKAL_C * tau {
            reliable = true;
            break;
        }
    }
    let tau = tau.max(0.5 / n as f64);
    let var = c[0] * n as f64 / (n - 1) as f64;
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

    #[test]
    fn fft_autocovariance_matches_direct() {
        let x: Vec<f64> = (0..37).map(|i| ((i * 7919) % 13) as f64).collect();
        let mean = x.iter().sum::<f64>() / 37.0;
        let c = autocovariance(&x, mean);
        for t in 0..37 {
            let d: f64 = (0..37 - t).map(|i| (x[i] - mean) * (x[i + t] - mean)).sum::<f64>() / 37.0;
            assert!((c[t] - d).abs() < 1e-9);
        }
    }
}

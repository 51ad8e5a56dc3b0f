//! Online autocorrelation over many decades of lag: the multiple-tau correlator (Ramirez,
//! Sukumaran, Vorselaars and Likhtman, J. Chem. Phys. 133, 154103, 2010).
//!
//! Level 0 keeps the last P samples and correlates them at lags 0..P-1 (in sample steps).
//! Every M samples of a level are averaged into one sample of the next level, which
//! correlates at lags P/M..P-1 of its own (coarser) step, so level l covers lags up to
//! P M^l steps. Memory and cost per sample are constant; the lag range grows with the run.
//! From the normalised autocorrelation rho(t) the correlation time is its integral, taken by
//! the trapezoid rule up to the first lag where rho falls below zero (for a telegraph or
//! Ornstein-Uhlenbeck signal, rho = e^{-t/tau} and the integral is tau).
//!
//! A signal that decorrelates within one sample interval dt is not resolved: the trapezoid
//! rule would report about dt/2 whatever the true time. When rho(dt) < e^{-1/2} (an
//! exponential with tau < 2 dt) [`correlation_time_of`] reports an upper bound instead:
//! rho <= 1 on [0, dt], so tau <= dt + int_dt^inf rho.

/// Lags correlated per level.
const P: usize = 16;
/// Samples averaged into one sample of the next level.
const M: usize = 2;
/// Levels: lags up to P M^(LEVELS-1) samples (16 * 2^39, far beyond any run).
const LEVELS: usize = 40;

/// A multiple-tau autocorrelator of one scalar signal sampled at a fixed interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlator {
    /// Sample interval (s).
    dt: f64,
    /// Ring buffers of the last P samples per level (newest at `head`).
    shift: Vec<[f64; P]>,
    head: Vec<usize>,
    filled: Vec<usize>,
    /// Sum of x(t) x(t - lag) and number of products, per level and lag.
    products: Vec<[f64; P]>,
    counts: Vec<[u64; P]>,
    /// Pending sum and count for averaging into the next level.
    pending: Vec<(f64, usize)>,
    sum: f64,
    samples: u64,
}

impl Correlator {
    /// A correlator for samples taken every `dt` seconds.
    pub fn new(dt: f64) -> Self {
        Correlator {
            dt,
            shift: vec![[0.0; P]; LEVELS],
            head: vec![0; LEVELS],
            filled: vec![0; LEVELS],
            products: vec![[0.0; P]; LEVELS],
            counts: vec![[0; P]; LEVELS],
            pending: vec![(0.0, 0); LEVELS],
            sum: 0.0,
            samples: 0,
        }
    }

    /// Add the next sample.
    pub fn push(&mut self, x: f64) {
        self.sum += x;
        self.samples += 1;
        self.push_level(0, x);
    }

    fn push_level(&mut self, level: usize, x: f64) {
        if level >= LEVELS {
            return;
        }
        let head = (self.head[level] + P - 1) % P;
        self.head[level] = head;
        self.shift[level][head] = x;
        self.filled[level] = (self.filled[level] + 1).min(P);
        let first = if level == 0 { 0 } else { P / M };
        for lag in first..self.filled[level] {
            self.products[level][lag] += x * self.shift[level][(head + lag) % P];
            self.counts[level][lag] += 1;
        }
        let (s, c) = &mut self.pending[level];
        *s += x;
        *c += 1;
        if *c == M {
            let average = *s / M as f64;
            self.pending[level] = (0.0, 0);
            self.push_level(level + 1, average);
        }
    }

    /// Number of samples pushed.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Combine with a correlator of another, independent run with the same interval: the
    /// products and counts add (the lag structure is the same).
    pub fn merge(&mut self, other: &Correlator) {
        for l in 0..LEVELS {
            for j in 0..P {
                self.products[l][j] += other.products[l][j];
                self.counts[l][j] += other.counts[l][j];
            }
        }
        self.sum += other.sum;
        self.samples += other.samples;
    }

    /// The autocovariance C(t) = <x(t') x(t' - t)> - <x>^2 at every lag with data, as
    /// (lag in seconds, covariance), lags increasing.
    pub fn autocovariance(&self) -> Vec<(f64, f64)> {
        if self.samples == 0 {
            return Vec::new();
        }
        let mean = self.sum / self.samples as f64;
        let mut out = Vec::new();
        for l in 0..LEVELS {
            let step = self.dt * (M as f64).powi(l as i32);
            let first = if l == 0 { 0 } else { P / M };
            for j in first..P {
                if self.counts[l][j] > 0 {
                    out.push((j as f64 * step, self.products[l][j] / self.counts[l][j] as f64 - mean * mean));
                }
            }
        }
        out
    }

    /// Normalised autocorrelation rho(t) = C(t)/C(0); empty for a constant signal.
    pub fn autocorrelation(&self) -> Vec<(f64, f64)> {
        let c = self.autocovariance();
        match c.first() {
            Some(&(_, c0)) if c0 > 0.0 => c.iter().map(|&(t, v)| (t, v / c0)).collect(),
            _ => Vec::new(),
        }
    }

    /// Variance of the signal (population).
    pub fn variance(&self) -> f64 {
        self.autocovariance().first().map_or(f64::NAN, |&(_, c0)| c0)
    }

    /// Correlation time: the integral of rho(t) up to its first negative value (an upper
    /// bound when the signal decorrelates within one sample interval). None when the signal
    /// is constant or rho never falls below 1/e within the lags seen (the run is too short to
    /// measure it).
    pub fn correlation_time(&self) -> Option<CorrelationTime> {
        correlation_time_of(&self.autocorrelation())
    }
}

/// A correlation time, or an upper bound on it when the sampling did not resolve it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CorrelationTime {
    /// Seconds.
    pub value: f64,
    /// True when `value` is only an upper bound (rho(dt) < e^{-1/2} at the first lag dt).
    pub upper_bound: bool,
}

/// Integral of a normalised autocorrelation given at increasing lags from 0, up to its first
/// negative value; an upper bound (rho taken as 1 up to the first lag) when rho has fallen
/// below e^{-1/2} at the first lag; None if it never decays below 1/e.
pub fn correlation_time_of(rho: &[(f64, f64)]) -> Option<CorrelationTime> {
    if rho.len() < 2 || !rho.iter().any(|&(_, r)| r < (-1.0f64).exp()) {
        return None;
    }
    let unresolved = rho[1].1 < (-0.5f64).exp();
    let mut integral = 0.0;
    for (k, w) in rho.windows(2).enumerate() {
        let ((t0, r0), (t1, r1)) = (w[0], w[1]);
        let r0 = if unresolved && k == 0 { 1.0 } else { r0 };
        let r1 = if unresolved && k == 0 { 1.0f64.max(r1) } else { r1 };
        if r1 < 0.0 {
            // Stop at the zero crossing.
            let cross = t0 + (t1 - t0) * r0 / (r0 - r1);
            integral += 0.5 * r0 * (cross - t0);
            return Some(CorrelationTime { value: integral, upper_bound: unresolved });
        }
        integral += 0.5 * (r0 + r1) * (t1 - t0);
    }
    Some(CorrelationTime { value: integral, upper_bound: unresolved })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Domain, Seed};
    use rand::RngExt;

    /// A random telegraph signal with switching rates a (0 -> 1) and b (1 -> 0), sampled
    /// every dt, has rho(t) = e^{-(a + b) t}: correlation time 1/(a + b).
    #[test]
    fn telegraph_correlation_time() {
        let (a, b, dt) = (2e6, 6e6, 1e-9);
        let mut rng = Seed(9).stream(Domain::Other, 0);
        let mut c = Correlator::new(dt);
        let mut s = 0u8;
        for _ in 0..4_000_000 {
            let flip = if s == 0 { a * dt } else { b * dt };
            if rng.random::<f64>() < flip {
                s ^= 1;
            }
            c.push(s as f64);
        }
        let tau = c.correlation_time().unwrap();
        assert!(!tau.upper_bound);
        let tau = tau.value;
        let exact = 1.0 / (a + b);
        // 4 ms of signal holds 32000 correlation times: relative error about
        // sqrt(2 / 32000) ~ 1 %, plus the discrete-time flip probability (< 1 %).
        assert!((tau / exact - 1.0).abs() < 0.05, "tau {tau} vs {exact}");
        let rho = c.autocorrelation();
        let at = |t: f64| rho.iter().min_by(|x, y| (x.0 - t).abs().total_cmp(&(y.0 - t).abs())).unwrap();
        let (t, r) = at(exact);
        assert!((r - (-t / exact).exp()).abs() < 0.03, "rho({t}) = {r}");
        // Merging two halves equals one run.
        let mut half = Correlator::new(dt);
        half.merge(&c);
        assert_eq!(half.correlation_time(), c.correlation_time());
    }

    /// White noise decorrelates within one sample: the estimate is flagged as an upper bound
    /// of one sample interval, never reported as dt/2.
    #[test]
    fn unresolved_correlation_is_an_upper_bound() {
        let dt = 1e-9;
        let mut rng = Seed(4).stream(Domain::Other, 0);
        let mut c = Correlator::new(dt);
        for _ in 0..100_000 {
            c.push(rng.random::<f64>());
        }
        let tau = c.correlation_time().unwrap();
        assert!(tau.upper_bound, "{tau:?}");
        // rho = 1 on [0, dt], then noise of order 1/sqrt(N) up to the first negative lag.
        assert!(tau.value >= dt && tau.value < 1.1 * dt, "{tau:?}");
    }
}

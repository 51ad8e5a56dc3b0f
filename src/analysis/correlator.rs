//! Online autocorrelation over many decades of lag: the multiple-tau correlator (Ramirez,
//! Sukumaran, Vorselaars and Likhtman, J. Chem. Phys. 133, 154103, 2010).
//!
//! Level 0 keeps the last P samples and correlates them at lags 0..P-1 (in sample steps).
//! Every M samples of a level are averaged into one sample of the next level, which
//! correlates at lags P/M..P-1 of its own (coarser) step, so level l covers lags up to
//! P M^l steps. Memory and cost per sample are constant; the lag range grows with the run.
//! From the normalised autocorrelation rho(t) the correlation time is its integral, taken by
//! the trapezoid rule up to the first lag where rho falls below zero, or up to the first lag
//! W at least [`WINDOW`] times the integral so far, whichever comes first (for a telegraph or
//! Ornstein-Uhlenbeck signal, rho = e^{-t/tau} and the integral is tau, less e^{-WINDOW}).
//! The window is Sokal's (Madras and Sokal, J. Stat. Phys. 50, 109, 1988; Sokal, "Monte
//! Carlo methods in statistical mechanics", 1997, section 3): beyond a few tau, rho is noise,
//! and its integral up to the first negative value is a random walk. On a p-bit at 350 K
//! (tau 5.6 ns, two runs of 20 us) the integral to the first zero once gave 0.76 us.
//!
//! A signal that decorrelates within one sample interval dt is not resolved: the trapezoid
//! rule would report about dt/2 whatever the true time. When rho(dt) < e^{-1/2} (an
//! exponential with tau < 2 dt) [`correlation_time_of`] reports an upper bound instead:
//! rho <= 1 on [0, dt], so tau <= dt + int_dt^inf rho.

/// Sokal's window factor: the integral stops at the first lag W >= WINDOW x integral(W).
pub const WINDOW: f64 = 6.0;

/// The standard error of a correlation time `tau` measured as the windowed integral over a
/// signal of total length `span` (s; independent runs add up): var(tau) = 4 W tau^2 / T for a
/// window W = WINDOW tau (Madras and Sokal, J. Stat. Phys. 50, 109, 1988: 2 (2M + 1) / n in
/// samples), so se = tau sqrt(4 WINDOW tau / T), at most tau. The count of independent
/// stretches alone, tau / sqrt(T / 2 tau), is sqrt(2 WINDOW) = 3.5 times smaller: with it the
/// fits of ln tau against the control of the p-bit calibration had chi^2 per degree of
/// freedom of 10 to 25, with this 0.8 to 2.
pub fn standard_error(tau: f64, span: f64) -> f64 {
    tau * (4.0 * WINDOW * tau / span).min(1.0).sqrt()
}

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
/// negative value or Sokal's window (the first lag W >= [`WINDOW`] times the integral up to
/// W); an upper bound (rho taken as 1 up to the first lag) when rho has fallen
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
        if t1 >= WINDOW * integral {
            break;
        }
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

    /// Short runs of a telegraph signal (400 correlation times each): the windowed integral
    /// is unbiased, its scatter over runs is Sokal's tau sqrt(4 W / T) (W = WINDOW tau), the
    /// standard error the calibration reports, and no run's estimate runs away (the integral
    /// up to the first negative value gave up to 100 times tau on a p-bit). Truth: the
    /// discrete telegraph chain, rho(k) = lambda^k with lambda = 1 - (a + b) dt, whose
    /// trapezoid integral is dt (1 + lambda) / (2 (1 - lambda)).
    #[test]
    fn windowed_time_and_its_error_on_short_telegraph_runs() {
        let (rate, dt) = (0.01, 1.0);
        let lambda = 1.0 - 2.0 * rate;
        let exact = dt * (1.0 + lambda) / (2.0 * (1.0 - lambda));
        let (runs, samples) = (300usize, 20_000usize);
        let mut rng = Seed(12).stream(Domain::Other, 0);
        let estimates: Vec<f64> = (0..runs)
            .map(|_| {
                let mut c = Correlator::new(dt);
                let mut s = u8::from(rng.random::<bool>());
                for _ in 0..samples {
                    if rng.random::<f64>() < rate {
                        s ^= 1;
                    }
                    c.push(s as f64);
                }
                c.correlation_time().unwrap().value
            })
            .collect();
        let n = runs as f64;
        let mean = estimates.iter().sum::<f64>() / n;
        let sd = (estimates.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let sokal = exact * (4.0 * WINDOW * exact / (samples as f64 * dt)).sqrt();
        // The mean to 4 of its standard errors plus 5 %: a window that follows its own noisy
        // integral is biased upwards in short runs (+4.5 % here; -0.5 % over the 32000 tau of
        // the test above, and a calibration point merges thousands of tau). The scatter to
        // 30 % (its sampling error is 1 / sqrt(2 runs) = 4 %; measured 0.82 of Sokal's).
        // Without the window: mean +8 %, scatter 1.18 of Sokal's, largest 3.2 tau.
        assert!((mean / exact - 1.0).abs() < 4.0 * sd / n.sqrt() / exact + 0.05, "mean {mean} vs {exact}");
        assert!((sd / sokal - 1.0).abs() < 0.3, "scatter {sd} vs Sokal's {sokal}");
        let largest = estimates.iter().cloned().fold(0.0, f64::max);
        assert!(largest < 2.5 * exact, "largest {largest} vs {exact}");
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

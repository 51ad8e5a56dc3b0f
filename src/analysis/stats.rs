//! Running moments (Welford's algorithm), mergeable across runs.

/// Running mean and variance of a stream of values.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Moments {
    pub count: u64,
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    m2: f64,
}

impl Moments {
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Combine with the moments of another stream (Chan et al. 1979).
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        let n = self.count + other.count;
        let delta = other.mean - self.mean;
        self.m2 += other.m2 + delta * delta * (self.count as f64) * (other.count as f64) / n as f64;
        self.mean += delta * other.count as f64 / n as f64;
        self.count = n;
    }

    /// Population variance (divides by n).
    pub fn variance(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.m2 / self.count as f64 }
    }

    pub fn std(&self) -> f64 {
        self.variance().sqrt()
    }

    pub fn from_slice(values: &[f64]) -> Moments {
        let mut m = Moments::default();
        values.iter().for_each(|&v| m.push(v));
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_equals_single_pass() {
        let data: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin() * 3.0 + 1.0).collect();
        let whole = Moments::from_slice(&data);
        let mut a = Moments::from_slice(&data[..37]);
        a.merge(&Moments::from_slice(&data[37..]));
        assert_eq!(a.count, 100);
        assert!((a.mean - whole.mean).abs() < 1e-12);
        assert!((a.variance() - whole.variance()).abs() < 1e-12);
        let direct = data.iter().map(|x| (x - whole.mean).powi(2)).sum::<f64>() / 100.0;
        assert!((whole.variance() - direct).abs() < 1e-12);
    }
}

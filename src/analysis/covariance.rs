//! Covariance and stochastic-area (gyration) rate of a few signals sampled at a fixed
//! interval h, mergeable across runs.
//!
//! Covariance: Welford's update with Chan et al.'s merge (population covariance, like
//! [`super::Moments`]). Gyration rate of the pair (i, j), the mean rate of the stochastic
//! area (1/2) <x_i dx_j - x_j dx_i> / dt (PHYSICS.md 9), estimated as
//!
//!   L_ij = sum_k [x_i(t_k) x_j(t_{k+1}) - x_j(t_k) x_i(t_{k+1})] / (2 h K)
//!
//! over K consecutive pairs of samples, x measured from the run's first sample (the means
//! cancel in expectation; removing the offset keeps the variance down). The antisymmetric
//! form is the same in Ito and Stratonovich readings. Its expectation in a stationary linear
//! process is [e^{A h} S - S e^{A^T h}]_ji / (2 h), which tends to (A S - S A^T)_ji / 2 as
//! h / tau -> 0.

/// The accumulator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CovarianceAccumulator {
    dim: usize,
    count: u64,
    mean: Vec<f64>,
    /// Sum of centred products, row-major dim x dim.
    comoment: Vec<f64>,
    /// Sum of x_i(t_k) x_j(t_{k+1}) - x_j(t_k) x_i(t_{k+1}), row-major.
    area: Vec<f64>,
    pairs: u64,
    origin: Vec<f64>,
    previous: Vec<f64>,
    /// The sampling interval h (s).
    pub interval: f64,
}

impl CovarianceAccumulator {
    pub fn new(dim: usize, interval: f64) -> Self {
        CovarianceAccumulator {
            dim,
            mean: vec![0.0; dim],
            comoment: vec![0.0; dim * dim],
            area: vec![0.0; dim * dim],
            interval,
            ..Default::default()
        }
    }

    /// Add the next sample (taken `interval` after the previous one).
    pub fn push(&mut self, x: &[f64]) {
        let d = self.dim;
        self.count += 1;
        let weight = 1.0 / self.count as f64;
        let delta: Vec<f64> = (0..d).map(|i| x[i] - self.mean[i]).collect();
        for i in 0..d {
            self.mean[i] += delta[i] * weight;
        }
        for i in 0..d {
            for j in 0..d {
                self.comoment[i * d + j] += delta[i] * (x[j] - self.mean[j]);
            }
        }
        if self.origin.is_empty() {
            self.origin = x[..d].to_vec();
        } else {
            for i in 0..d {
                for j in 0..d {
                    let (pi, pj) = (self.previous[i] - self.origin[i], self.previous[j] - self.origin[j]);
                    let (ni, nj) = (x[i] - self.origin[i], x[j] - self.origin[j]);
                    self.area[i * d + j] += pi * nj - pj * ni;
                }
            }
            self.pairs += 1;
        }
        self.previous.clear();
        self.previous.extend_from_slice(&x[..d]);
    }

    /// Combine with another run's accumulator (Chan et al. for the covariance).
    pub fn merge(&mut self, other: &CovarianceAccumulator) {
        if other.count == 0 {
            return;
        }
        let d = self.dim;
        let n = (self.count + other.count) as f64;
        let (a, b) = (self.count as f64, other.count as f64);
        let delta: Vec<f64> = (0..d).map(|i| other.mean[i] - self.mean[i]).collect();
        for i in 0..d {
            for j in 0..d {
                self.comoment[i * d + j] += other.comoment[i * d + j] + delta[i] * delta[j] * a * b / n;
                self.area[i * d + j] += other.area[i * d + j];
            }
        }
        for i in 0..d {
            self.mean[i] += delta[i] * b / n;
        }
        self.count += other.count;
        self.pairs += other.pairs;
    }

    /// Population covariance matrix (rows).
    pub fn covariance(&self) -> Vec<Vec<f64>> {
        let d = self.dim;
        let n = self.count.max(1) as f64;
        (0..d).map(|i| (0..d).map(|j| self.comoment[i * d + j] / n).collect()).collect()
    }

    /// Gyration rate of the pair (i, j) (signal units squared per second).
    pub fn gyration(&self, i: usize, j: usize) -> f64 {
        self.area[i * self.dim + j] / (2.0 * self.interval * self.pairs.max(1) as f64)
    }

    /// Mean of each signal.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_has_its_area_rate_and_merge_matches_one_stream() {
        // Points on a circle of radius 2 turning by 0.1 rad per sample of 1 s: the area swept
        // per step is (1/2) r^2 sin(0.1).
        let xs: Vec<[f64; 2]> =
            (0..1000).map(|k| [2.0 * (0.1 * k as f64).cos(), 2.0 * (0.1 * k as f64).sin()]).collect();
        let mut one = CovarianceAccumulator::new(2, 1.0);
        xs.iter().for_each(|x| one.push(x));
        let rate = one.gyration(0, 1);
        // Measured from the first sample (2, 0): the area about it differs from the area about
        // the centre by a telescoping sum, small over many turns.
        assert!((rate - 2.0 * 0.1f64.sin()).abs() < 0.01, "{rate}");
        let (mut a, mut b) = (CovarianceAccumulator::new(2, 1.0), CovarianceAccumulator::new(2, 1.0));
        xs[..400].iter().for_each(|x| a.push(x));
        xs[400..].iter().for_each(|x| b.push(x));
        a.merge(&b);
        let (c1, c2) = (one.covariance(), a.covariance());
        for i in 0..2 {
            for j in 0..2 {
                assert!((c1[i][j] - c2[i][j]).abs() < 1e-12);
            }
        }
        assert!((c1[0][0] - 2.0).abs() < 0.02 && c1[0][1].abs() < 0.02);
    }
}

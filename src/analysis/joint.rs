//! The joint law of up to 16 binary readouts (bits of a circuit, cells of a chip), with
//! standard errors that are honest for correlated samples.
//!
//! A state is indexed by sum_i b_i << i (bit 0 the first readout). Samples are counted in
//! consecutive batches of equal length; with B full batches whose state frequencies are
//! m_bk, the standard error of P(k) is sqrt(sum_b (m_bk - p_k)^2 / (B (B - 1))), the
//! batch-means estimate (Flegal and Jones, Ann. Statist. 38, 2010), valid when a batch spans
//! many correlation times. The batch length doubles whenever 2 [`BATCHES`] batches are full
//! (neighbours merged), so a run of any length ends with [`BATCHES`] to 2 [`BATCHES`] - 1
//! batches, each as long as possible. Batches of independent runs are pooled. The JSON form is
//! `joint`: {"outputs": [names], "probabilities": [2^n], "probability_se": [2^n],
//! "batches": B}.

use serde::Serialize;

/// At most this many bits.
pub const MAX_JOINT_BITS: usize = 16;

/// Batches a counter keeps at least, once it has seen that many samples.
pub const BATCHES: usize = 32;

/// Counts of joint states in batches.
#[derive(Debug, Clone, PartialEq)]
pub struct JointCounter {
    bits: usize,
    batch_len: u64,
    current: Vec<u32>,
    filled: u64,
    batches: Vec<Vec<u32>>,
    total: Vec<u64>,
}

/// The joint law as written to JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Joint {
    pub outputs: Vec<String>,
    pub probabilities: Vec<f64>,
    pub probability_se: Vec<f64>,
    /// Batches the standard errors come from.
    pub batches: usize,
}

impl JointCounter {
    /// A counter of `bits` bits (1..=16).
    pub fn new(bits: usize) -> JointCounter {
        assert!((1..=MAX_JOINT_BITS).contains(&bits), "joint laws of 1 to 16 bits");
        let states = 1usize << bits;
        JointCounter {
            bits,
            batch_len: 1,
            current: vec![0; states],
            filled: 0,
            batches: Vec::new(),
            total: vec![0; states],
        }
    }

    /// Number of bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Count one sample of state `state` (< 2^bits).
    #[inline]
    pub fn push(&mut self, state: usize) {
        self.current[state] += 1;
        self.total[state] += 1;
        self.filled += 1;
        if self.filled == self.batch_len {
            let states = self.current.len();
            self.batches.push(std::mem::replace(&mut self.current, vec![0; states]));
            self.filled = 0;
            if self.batches.len() == 2 * BATCHES {
                self.double();
            }
        }
    }

    /// Merge neighbouring batches: half as many, twice as long (the partial batch waits).
    fn double(&mut self) {
        let batches = std::mem::take(&mut self.batches);
        self.batches = batches
            .chunks_exact(2)
            .map(|pair| pair[0].iter().zip(&pair[1]).map(|(a, b)| a + b).collect())
            .collect();
        self.batch_len *= 2;
        // A partial batch longer than the new length cannot occur: it held fewer than the old
        // length's samples.
    }

    /// Pool the batches of another run (brought to the same batch length first).
    pub fn merge(&mut self, other: &JointCounter) {
        for (a, b) in self.total.iter_mut().zip(&other.total) {
            *a += b;
        }
        let mut other = other.clone();
        while other.batch_len < self.batch_len && other.batches.len() >= 2 {
            other.double();
        }
        while self.batch_len < other.batch_len && self.batches.len() >= 2 {
            self.double();
        }
        if other.batch_len == self.batch_len {
            self.batches.extend(other.batches);
        }
    }

    /// Samples counted.
    pub fn samples(&self) -> u64 {
        self.total.iter().sum()
    }

    /// Probabilities and batch-means standard errors, with the outputs' names.
    pub fn joint(&self, outputs: Vec<String>) -> Joint {
        let n = self.samples().max(1) as f64;
        let probabilities: Vec<f64> = self.total.iter().map(|&c| c as f64 / n).collect();
        let b = self.batches.len();
        let probability_se = probabilities
            .iter()
            .enumerate()
            .map(|(k, &p)| {
                if b < 2 {
                    return f64::NAN;
                }
                let ss: f64 = self
                    .batches
                    .iter()
                    .map(|batch| (batch[k] as f64 / self.batch_len as f64 - p).powi(2))
                    .sum();
                (ss / (b * (b - 1)) as f64).sqrt()
            })
            .collect();
        Joint { outputs, probabilities, probability_se, batches: b }
    }
}

/// Total variation distance 1/2 sum |p - q| of two laws on the same states.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Domain, Seed};
    use rand::Rng;

    /// A two-state Markov chain that flips with probability 0.1 (correlated samples): the
    /// batch-means error of P(1) over 200 repetitions is what the estimates' scatter and the
    /// exact variance say (within 25 %), where a naive sqrt(p(1-p)/n) would be 3 times too
    /// small.
    #[test]
    fn batch_means_errors_match_the_scatter_of_correlated_estimates() {
        let (reps, n) = (200, 20_000u64);
        let mut estimates = Vec::new();
        let mut errors = Vec::new();
        for r in 0..reps {
            let mut rng = Seed(3).stream(Domain::Other, r);
            let mut counter = JointCounter::new(1);
            let mut s = 0usize;
            for _ in 0..n {
                if rng.next_u64().is_multiple_of(10) {
                    s = 1 - s;
                }
                counter.push(s);
            }
            let j = counter.joint(vec!["b".into()]);
            estimates.push(j.probabilities[1]);
            errors.push(j.probability_se[1]);
        }
        let mean = estimates.iter().sum::<f64>() / reps as f64;
        let scatter = (estimates.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (reps - 1) as f64).sqrt();
        let reported = errors.iter().sum::<f64>() / reps as f64;
        // Exact: tau_int of the indicator is (1 + 0.8) / (1 - 0.8) / 2 = 4.5 steps, so the
        // error of the mean is sqrt(0.25 * 2 * 4.5 / n).
        let exact = (0.25 * 9.0 / n as f64).sqrt();
        assert!((scatter / exact - 1.0).abs() < 0.15, "scatter {scatter} exact {exact}");
        assert!((reported / exact - 1.0).abs() < 0.25, "reported {reported} exact {exact}");
        assert!((mean - 0.5).abs() < 5.0 * exact / (reps as f64).sqrt());
    }

    #[test]
    fn states_index_bits_from_the_first_output() {
        let mut c = JointCounter::new(2);
        for s in [0b01, 0b01, 0b10, 0b11] {
            c.push(s);
        }
        let j = c.joint(vec!["a".into(), "b".into()]);
        assert_eq!(j.probabilities, vec![0.0, 0.5, 0.25, 0.25]);
        assert_eq!(total_variation(&j.probabilities, &[0.25; 4]), 0.25);
    }
}

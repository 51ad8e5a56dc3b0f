//! Data sets that ship with pbitsim (no download): the bars-and-stripes family, whose
//! distribution is known exactly, and small binarized digits rendered from a bitmap font
//! ([`crate::train::digits`]).
//!
//! Pixels are Ising spins: +1 for an "on" (ink, bar) pixel, -1 for "off". An image of
//! `rows x cols` pixels is stored row-major.
//!
//! **Bars and stripes** (MacKay 2003; PHYSICS.md 11): n x n images whose rows are all
//! constant (stripes: row r has value a_r) or whose columns are all constant (bars: column c
//! has value b_c), for every a, b in {off, on}^n. All-off and all-on are both, so there are
//! 2^(n+1) - 2 distinct patterns, each with probability 1 / (2^(n+1) - 2). The training set is
//! the list of distinct patterns, which with uniform weights *is* the data distribution; the
//! held-out set is the same list (the family has nothing else to hold out).

use crate::rng::{Domain, Seed};
use rand::Rng;

/// One image, with its class when the set has classes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Example {
    /// Pixels as spins (+1 on, -1 off), row-major.
    pub pixels: Vec<i8>,
    /// Class in 0..classes (0 when the set has no classes).
    pub label: usize,
}

/// A data set: training and held-out images of one shape.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSet {
    /// Name for reports.
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    /// Number of classes (0: unlabelled).
    pub classes: usize,
    pub train: Vec<Example>,
    pub test: Vec<Example>,
    /// True if the uniform law on `train` is the exact data distribution (bars and stripes).
    pub exact: bool,
    /// Where the data come from and under which licence.
    pub provenance: String,
}

impl DataSet {
    /// Pixels per image.
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }

    /// The empirical distribution of the training set: distinct images with their
    /// probabilities (duplicates merged), in order of first appearance.
    pub fn distribution(&self) -> Vec<(Vec<i8>, f64)> {
        let mut index = std::collections::HashMap::new();
        let mut out: Vec<(Vec<i8>, f64)> = vec![];
        let w = 1.0 / self.train.len() as f64;
        for e in &self.train {
            let k = *index.entry(e.pixels.clone()).or_insert_with(|| {
                out.push((e.pixels.clone(), 0.0));
                out.len() - 1
            });
            out[k].1 += w;
        }
        out
    }

    /// Entropy of [`Self::distribution`] (nats).
    pub fn entropy(&self) -> f64 {
        -self.distribution().iter().map(|(_, p)| p * p.ln()).sum::<f64>()
    }

    /// Nearest-centroid classifier from the training set (needs classes).
    pub fn centroids(&self) -> Centroids {
        let n = self.pixels();
        let mut sum = vec![vec![0.0; n]; self.classes];
        let mut count = vec![0usize; self.classes];
        for e in &self.train {
            count[e.label] += 1;
            for (s, &p) in sum[e.label].iter_mut().zip(&e.pixels) {
                *s += p as f64;
            }
        }
        for (s, &c) in sum.iter_mut().zip(&count) {
            s.iter_mut().for_each(|x| *x /= c.max(1) as f64);
        }
        Centroids { means: sum }
    }
}

/// The class means of a labelled training set; an image belongs to the class whose mean is
/// nearest in Euclidean distance.
#[derive(Debug, Clone, PartialEq)]
pub struct Centroids {
    pub means: Vec<Vec<f64>>,
}

impl Centroids {
    /// The nearest class of `pixels`.
    pub fn classify(&self, pixels: &[i8]) -> usize {
        let dist = |m: &[f64]| pixels.iter().zip(m).map(|(&p, &c)| (p as f64 - c).powi(2)).sum::<f64>();
        (0..self.means.len())
            .min_by(|&a, &b| dist(&self.means[a]).total_cmp(&dist(&self.means[b])))
            .unwrap_or(0)
    }

    /// Fraction of `examples` classified as their label.
    pub fn accuracy(&self, examples: &[Example]) -> f64 {
        let right = examples.iter().filter(|e| self.classify(&e.pixels) == e.label).count();
        right as f64 / examples.len().max(1) as f64
    }
}

/// The 2^(n+1) - 2 distinct n x n bars-and-stripes patterns: stripes for a = 0..2^n (row r on
/// iff bit r of a), then the bars that are not also stripes.
pub fn bars_and_stripes(n: usize) -> DataSet {
    let mut train = vec![];
    for bars in [false, true] {
        for a in 0..1usize << n {
            if bars && (a == 0 || a == (1 << n) - 1) {
                continue; // all off / all on are already stripes
            }
            let pixels = (0..n * n)
                .map(|k| {
                    let line = if bars { k % n } else { k / n };
                    if a >> line & 1 == 1 { 1 } else { -1 }
                })
                .collect();
            train.push(Example { pixels, label: 0 });
        }
    }
    DataSet {
        name: format!("bars and stripes {n} x {n}"),
        rows: n,
        cols: n,
        classes: 0,
        test: train.clone(),
        train,
        exact: true,
        provenance: "generated (MacKay, Information Theory, Inference and Learning Algorithms, 2003)".into(),
    }
}

/// `count` distinct indices into `0..n` (all of them, in order, when count >= n), drawn from
/// stream (seed, Other, index) by a partial Fisher-Yates shuffle.
pub fn choose(n: usize, count: usize, seed: Seed, index: u64) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).collect();
    if count >= n {
        return all;
    }
    let mut rng = seed.stream(Domain::Other, index);
    for k in 0..count {
        let r = k + ((rng.next_u64() as u128 * (n - k) as u128) >> 64) as usize;
        all.swap(k, r);
    }
    all.truncate(count);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2^(n+1) - 2 distinct patterns, each all-rows or all-columns constant.
    #[test]
    fn bars_and_stripes_has_the_known_count() {
        for n in 2..=4 {
            let d = bars_and_stripes(n);
            assert_eq!(d.train.len(), (1 << (n + 1)) - 2);
            assert_eq!(d.distribution().len(), d.train.len());
            for e in &d.train {
                let px = |r: usize, c: usize| e.pixels[r * n + c];
                let rows = (0..n).all(|r| (0..n).all(|c| px(r, c) == px(r, 0)));
                let cols = (0..n).all(|c| (0..n).all(|r| px(r, c) == px(0, c)));
                assert!(rows || cols);
            }
            assert!((d.entropy() - (d.train.len() as f64).ln()).abs() < 1e-12);
        }
    }

    #[test]
    fn choose_is_a_reproducible_subset() {
        let a = choose(100, 10, Seed(1), 7);
        assert_eq!(a, choose(100, 10, Seed(1), 7));
        let mut s = a.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), 10);
        assert!(a.iter().all(|&i| i < 100));
        assert_eq!(choose(5, 9, Seed(1), 0), vec![0, 1, 2, 3, 4]);
    }
}

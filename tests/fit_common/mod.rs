//! Helpers shared by the fit tests: seeded Gaussian noise and the spread of pulls over
//! synthetic repetitions.
#![allow(dead_code)]

use pbitsim::rng::{Domain, Seed, StreamRng};
use rand_distr::{Distribution, StandardNormal};

/// The generator of repetition `rep` of a test with master seed `seed`.
pub fn rng(seed: u64, rep: u64) -> StreamRng {
    Seed(seed).stream(Domain::Other, rep)
}

pub fn normal(rng: &mut StreamRng) -> f64 {
    StandardNormal.sample(rng)
}

/// Mean and sample standard deviation.
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Estimates and reported standard errors of one parameter over repetitions.
#[derive(Debug, Default)]
pub struct Spread {
    pub estimates: Vec<f64>,
    pub errors: Vec<f64>,
    pub truth: f64,
}

impl Spread {
    pub fn new(truth: f64) -> Spread {
        Spread { truth, ..Spread::default() }
    }

    pub fn push(&mut self, estimate: f64, se: f64) {
        self.estimates.push(estimate);
        self.errors.push(se);
    }

    /// Over R repetitions the pulls (estimate - truth)/se must have mean 0 within 4/sqrt(R)
    /// and standard deviation 1 within 4/sqrt(2(R - 1)) (the standard error of a sample
    /// standard deviation of normal values); the spread of the estimates must match the mean
    /// reported standard error within the same relative tolerance.
    pub fn check(&self, name: &str) {
        let r = self.estimates.len() as f64;
        let pulls: Vec<f64> =
            self.estimates.iter().zip(&self.errors).map(|(e, s)| (e - self.truth) / s).collect();
        let (pm, ps) = mean_sd(&pulls);
        let (_, spread) = mean_sd(&self.estimates);
        let (se, _) = mean_sd(&self.errors);
        let tol_sd = 4.0 / (2.0 * (r - 1.0)).sqrt();
        assert!(pm.abs() < 4.0 / r.sqrt(), "{name}: mean pull {pm} over {r} repetitions");
        assert!((ps - 1.0).abs() < tol_sd, "{name}: pull sd {ps} over {r} repetitions (tolerance {tol_sd})");
        assert!(
            (spread / se - 1.0).abs() < tol_sd,
            "{name}: spread of estimates {spread} against mean reported se {se} (tolerance {tol_sd})"
        );
    }
}

/// The mean of chi2 over repetitions must equal its degrees of freedom within 4 standard
/// errors of the mean (estimated from the same repetitions).
pub fn check_chi2(name: &str, chi2: &[f64], dof: usize) {
    let (m, s) = mean_sd(chi2);
    let tol = 4.0 * s / (chi2.len() as f64).sqrt();
    assert!((m - dof as f64).abs() < tol, "{name}: mean chi2 {m} against dof {dof} (tolerance {tol})");
}

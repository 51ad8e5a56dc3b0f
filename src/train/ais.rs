//! Annealed importance sampling (Neal, Statistics and Computing 11, 2001; for Boltzmann
//! machines Salakhutdinov and Murray, ICML 2008) of the partition function of a machine too
//! large to enumerate, on the chip's own samplers with ideal cells.
//!
//! The path runs through p_k(s) proportional to exp(-beta_k E(s)), beta_k = beta k / K for
//! k = 0..K, over the free (unclamped) cells: p_0 is uniform, Z_0 = 2^free. A run draws
//! s_0 ~ p_0, then for k = 0..K-1 adds (beta_k - beta_{k+1}) E(s_k) to its log-weight and
//! moves s_k -> s_{k+1} by one block-Gibbs sweep at beta_{k+1} (which leaves p_{k+1}
//! invariant). Then E[w] = Z_K / Z_0, so with R independent runs
//!   ln Z_hat = ln Z_0 + ln((1/R) sum_r w_r),
//! and its standard error by the delta method, SE = sd(w) / (sqrt(R) mean(w)) (computed on
//! w / max w). ln Z_hat is a stochastic lower bound (Jensen): its bias, about -SE^2 / 2, is
//! negligible once SE is small. The effective sample size (sum w)^2 / sum w^2 says how many
//! runs carry the estimate. Run r draws from seed.child(Chain, r); runs are independent, so
//! the estimate does not depend on the thread count.

use super::TrainError;
use super::machine::Machine;
use crate::chip::run::build_sampler;
use crate::chip::{IdealCell, Model, Schedule};
use crate::rng::{Domain, Seed};
use rayon::prelude::*;

/// An AIS estimate of ln Z.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AisEstimate {
    pub log_z: f64,
    pub log_z_se: f64,
    pub effective_runs: f64,
    pub runs: usize,
    pub betas: usize,
}

/// ln Z of `model` on `machine` with cells `clamp` fixed, by `runs` AIS runs of `betas` steps.
pub fn log_partition(
    machine: &Machine,
    model: &Model,
    clamp: &[(usize, f64)],
    runs: usize,
    betas: usize,
    seed: Seed,
    pool: &rayon::ThreadPool,
) -> Result<AisEstimate, TrainError> {
    if runs < 2 || betas < 1 {
        return Err(TrainError::Unsupported(
            "AIS needs at least 2 runs and 1 intermediate temperature".into(),
        ));
    }
    let beta = model.beta;
    let n = machine.cells();
    let free = n - clamp.len();
    let chip = crate::chip::Chip { model: model.clone(), ..machine.chip.clone() };
    let schedule =
        Schedule { clamp: clamp.to_vec(), initial: crate::chip::Initial::Random, ..Schedule::default() };
    let single = super::run::pool(1)?;
    let log_w: Vec<f64> = pool.install(|| {
        (0..runs)
            .into_par_iter()
            .map(|r| {
                let s = seed.child(Domain::Chain, r as u64);
                // starts from the uniform state of stream (s, Initial, 0): an exact draw of p_0
                let mut sampler = build_sampler(&chip, IdealCell::new(0.0), &schedule, s)?;
                let mut log_w = 0.0;
                for k in 0..betas {
                    let (b0, b1) = (beta * k as f64 / betas as f64, beta * (k + 1) as f64 / betas as f64);
                    log_w += (b0 - b1) * sampler.energy();
                    sampler.set_beta(b1)?;
                    sampler.sweep(&single);
                }
                Ok(log_w)
            })
            .collect::<Result<Vec<f64>, TrainError>>()
    })?;
    let max = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return Err(TrainError::Numerical("AIS weights are not finite: the parameters have diverged".into()));
    }
    let w: Vec<f64> = log_w.iter().map(|&l| (l - max).exp()).collect();
    let r = runs as f64;
    let mean = w.iter().sum::<f64>() / r;
    let var = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r - 1.0);
    let log_z = free as f64 * std::f64::consts::LN_2 + max + mean.ln();
    let ess = w.iter().sum::<f64>().powi(2) / w.iter().map(|x| x * x).sum::<f64>();
    Ok(AisEstimate { log_z, log_z_se: (var / r).sqrt() / mean, effective_runs: ess, runs, betas })
}

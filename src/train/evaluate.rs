//! How well a trained machine models its data, four ways:
//!
//! - **exact** (free cells <= `exact_cells`, about 24): ln Z by enumeration, the mean negative
//!   log-likelihood -ln p(v) of the training and held-out images, and KL(data || model) when
//!   the data distribution is known (bars and stripes) or of the empirical training law; for
//!   non-ideal cells also the same for the law those cells realise ([`effective_model`]);
//! - **AIS** (larger machines): ln Z by annealed importance sampling with its standard error,
//!   and the held-out negative log-likelihood ln Z - ln Z(v) (ln Z(v) exact when the hidden
//!   cells can be enumerated, else by AIS too); the error combines the AIS errors only;
//! - **sampled on the chip** (any cells: this is how a deployed machine is scored): chains of
//!   the run's own cells, `reads` states each, give the frequency q_hat(v) of every data
//!   pattern, and KL(data || chip) = sum_v p(v) ln(p(v) / q_hat(v)), a pattern never seen
//!   counting as half a sample (so the estimate stays finite), with a jackknife standard error
//!   over the independent chains;
//! - **conditional generation**: the first `rows` image rows of each held-out image clamped,
//!   the other pixels sampled; the accuracy is the fraction of free pixels of a generated image
//!   that equal the held-out image's, averaged over the sampled images (for a pixel of sampled
//!   mean spin m and truth t: (1 + t m) / 2), with its mean and standard error over held-out
//!   images. It is compared with the exact machine's (when enumerable) and, for a known data
//!   distribution, with images drawn from the data's own conditional law (the best possible).

use super::TrainError;
use super::ais::{AisEstimate, log_partition};
use super::config::EvaluationSection;
use super::data::{DataSet, Example};
use super::exact::{enumerate, log_likelihoods};
use super::machine::Machine;
use super::pcd::{ChainConfig, chains};
use crate::chip::{CellModel, Model, StateBuf};
use crate::rng::{Domain, Seed};
use rayon::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExactEval {
    pub log_z: f64,
    pub train_nll: f64,
    pub test_nll: f64,
    /// KL(data || model) (nats): the exact data law, or the empirical training law.
    pub kl: f64,
    pub data_entropy: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AisEval {
    pub log_z: AisEstimate,
    pub test_nll: f64,
    pub test_nll_se: f64,
    pub examples: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampledEval {
    pub kl: f64,
    pub kl_se: f64,
    /// Fraction of the sampled images that are data patterns.
    pub mass_on_data: f64,
    pub samples: u64,
    pub chains: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditionalEval {
    pub clamped_rows: usize,
    pub examples: usize,
    pub accuracy: f64,
    pub accuracy_se: f64,
    /// The exact machine's accuracy (ideal cells, enumerable machines).
    pub exact_accuracy: Option<f64>,
    /// The accuracy of images drawn from the data's own conditional law (known distributions).
    pub data_accuracy: Option<f64>,
}

/// Everything evaluated at the end of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Evaluation {
    /// The trained parameters' own Boltzmann law (what ideal cells sample).
    pub exact: Option<ExactEval>,
    /// The law the run's (non-ideal) cells realise, by enumeration of their effective model.
    pub deployed: Option<ExactEval>,
    pub ais: Option<AisEval>,
    pub sampled: Option<SampledEval>,
    pub conditional: Option<ConditionalEval>,
}

/// True if `machine` is evaluated exactly under `limits`.
pub fn enumerable(machine: &Machine, limits: &EvaluationSection) -> bool {
    !machine.conditional() && machine.cells() <= limits.exact_cells
}

/// Exact scores of an unconditional machine with the chip model `model`.
pub fn exact(machine: &Machine, model: &Model, data: &DataSet) -> Result<ExactEval, TrainError> {
    let log_z = enumerate(machine, model, &[], false)?.log_z;
    let nll = |set: &[Example]| -> Result<f64, TrainError> {
        let v: Vec<&[i8]> = set.iter().map(|e| &e.pixels[..]).collect();
        let ll = log_likelihoods(machine, model, None, &v)?;
        Ok(-ll.iter().sum::<f64>() / ll.len().max(1) as f64)
    };
    Ok(ExactEval {
        log_z,
        train_nll: nll(&data.train)?,
        test_nll: nll(&data.test)?,
        kl: kl(machine, model, data)?,
        data_entropy: data.entropy(),
    })
}

/// KL(data || model) by enumeration, the data law being the training set's.
pub fn kl(machine: &Machine, model: &Model, data: &DataSet) -> Result<f64, TrainError> {
    let dist = data.distribution();
    let v: Vec<&[i8]> = dist.iter().map(|(p, _)| &p[..]).collect();
    let ll = log_likelihoods(machine, model, None, &v)?;
    Ok(dist.iter().zip(&ll).map(|((_, p), l)| p * (p.ln() - l)).sum())
}

/// The Boltzmann law that `cells` realise for `model`, if they realise one: cells whose
/// P(s = +1 | u) is a logistic sigma(a u + b_i) of the local field with one slope a for every
/// cell (ideal cells; calibrated p-bits with offsets) sample, by block Gibbs or free running,
/// exactly the Ising law at beta_eff = a / 2 with fields h_i + b_i / a (same couplings). The
/// slope and intercept of each cell are read from its own `p_up` at u = -1/2, 0, 1/2, and
/// accepted only if the three logits lie on a line (within 1e-3) and the slopes agree (within
/// 1e-4 relative); otherwise None (then the chip is scored by sampling).
pub fn effective_model<C: CellModel + Clone>(model: &Model, cells: &C) -> Option<Model> {
    let n = model.fields.len();
    let mut cells = cells.clone();
    let identity: Vec<u32> = (0..n as u32).collect();
    cells.bind(&identity).ok()?;
    let logit = |p: f32| {
        let p = p as f64;
        (p / (1.0 - p)).ln()
    };
    let mut slope = None;
    let mut fields = Vec::with_capacity(n);
    for i in 0..n {
        // one call per value: p_up's `first` indexes consecutive cells
        let l = [-0.5f32, 0.0, 0.5].map(|u| {
            let mut p = [0f32];
            cells.p_up(i, &[u], &mut p);
            logit(p[0])
        });
        let a = l[2] - l[0];
        if !(a > 0.0 && a.is_finite()) || ((l[2] - l[1]) - (l[1] - l[0])).abs() > 1e-3 * a.max(1.0) {
            return None;
        }
        match slope {
            None => slope = Some(a),
            Some(s) if ((a - s) / s).abs() > 1e-4 => return None,
            Some(_) => {}
        }
        fields.push((model.fields[i] as f64 + l[1] / a) as f32);
    }
    let a = slope?;
    Some(Model { beta: a / 2.0, fields, ..model.clone() })
}

/// AIS scores of an unconditional machine.
pub fn ais(
    machine: &Machine,
    theta: &[f64],
    data: &DataSet,
    limits: &EvaluationSection,
    seed: Seed,
    pool: &rayon::ThreadPool,
) -> Result<AisEval, TrainError> {
    let a = &limits.ais;
    let model = machine.model(theta, 0);
    let log_z = log_partition(machine, &model, &[], a.runs, a.betas, seed.child(Domain::Other, 0), pool)?;
    let examples = &data.test[..a.examples.min(data.test.len())];
    let (mut sum, mut var) = (0.0, log_z.log_z_se.powi(2));
    let n = examples.len().max(1) as f64;
    for (k, e) in examples.iter().enumerate() {
        let clamp = machine.clamps(None, Some(&e.pixels));
        let (lz, se) = if machine.hidden.len() <= limits.exact_cells {
            (enumerate(machine, &model, &clamp, false)?.log_z, 0.0)
        } else {
            let s = seed.child(Domain::Other, 1 + k as u64);
            let est = log_partition(machine, &model, &clamp, a.runs, a.betas, s, pool)?;
            (est.log_z, est.log_z_se)
        };
        sum += log_z.log_z - lz;
        var += (se / n).powi(2);
    }
    Ok(AisEval { log_z, test_nll: sum / n, test_nll_se: var.sqrt(), examples: examples.len() })
}

/// What one sampling chain is given: its clamps, its class and (optionally) the states some
/// cells start from (0 keeps the chain's own random start).
#[derive(Debug, Clone, Default)]
pub struct ChainSpec {
    pub clamp: Vec<(usize, f64)>,
    pub class: usize,
    pub start: Option<Vec<i8>>,
}

/// Visible states read from one chain of `cells` per spec (chain k from stream
/// seed.child(Chain, k)): `warmup` sweeps, then `reads` states `thin` sweeps apart.
#[allow(clippy::too_many_arguments)]
pub fn sample_visible<C: CellModel + Clone + 'static>(
    machine: &Machine,
    models: &[Model],
    cells: &C,
    config: &ChainConfig,
    specs: &[ChainSpec],
    s: &SamplingPlan,
    seed: Seed,
    pool: &rayon::ThreadPool,
) -> Result<Vec<Vec<Vec<i8>>>, TrainError> {
    let mut pool_chains = chains(machine, cells, config, 0, specs.len(), seed)?;
    let single = super::run::pool(1)?;
    pool.install(|| {
        pool_chains
            .par_iter_mut()
            .zip(specs)
            .enumerate()
            .map(|(k, (chain, spec))| {
                if let Some(start) = &spec.start {
                    for (c, &v) in chain.state.iter_mut().zip(start) {
                        if v != 0 {
                            *c = v;
                        }
                    }
                }
                chain.restart_at(&models[spec.class], &spec.clamp, seed.child(Domain::Chain, k as u64))?;
                let mut out = Vec::with_capacity(s.reads as usize);
                let mut buf = StateBuf::Spins(vec![0; machine.cells()]);
                for r in 0..s.warmup + s.reads * s.thin {
                    chain.sweep(&single);
                    if r >= s.warmup && (r + 1 - s.warmup).is_multiple_of(s.thin) {
                        chain.read(&mut buf);
                        if let StateBuf::Spins(v) = &buf {
                            out.push(machine.read_visible(v));
                        }
                    }
                }
                Ok(out)
            })
            .collect()
    })
}

/// The mean spin of each visible cell over a chain's reads (an integer sum divided once, so a
/// tie is exactly 0).
pub fn mean_spins(reads: &[Vec<i8>]) -> Vec<f64> {
    let mut sum = vec![0i64; reads.first().map_or(0, Vec::len)];
    for v in reads {
        sum.iter_mut().zip(v).for_each(|(m, &x)| *m += x as i64);
    }
    sum.iter().map(|&s| s as f64 / reads.len() as f64).collect()
}

/// Warm-up, reads and thinning of a sampling evaluation.
#[derive(Debug, Clone, Copy)]
pub struct SamplingPlan {
    pub warmup: u64,
    pub reads: u64,
    pub thin: u64,
}

/// KL(data || chip) from the chip's own samples with `cells`.
#[allow(clippy::too_many_arguments)]
pub fn sampled<C: CellModel + Clone + 'static>(
    machine: &Machine,
    theta: &[f64],
    data: &DataSet,
    cells: &C,
    config: &ChainConfig,
    limits: &EvaluationSection,
    seed: Seed,
    pool: &rayon::ThreadPool,
) -> Result<SampledEval, TrainError> {
    let s = &limits.samples;
    let plan = SamplingPlan { warmup: s.warmup, reads: s.reads, thin: s.thin };
    let models = [machine.model(theta, 0)];
    let specs = vec![ChainSpec::default(); s.chains];
    let reads = sample_visible(machine, &models, cells, config, &specs, &plan, seed, pool)?;
    let dist = data.distribution();
    let index: std::collections::HashMap<&[i8], usize> =
        dist.iter().enumerate().map(|(k, (v, _))| (&v[..], k)).collect();
    let counts: Vec<Vec<u64>> = reads
        .iter()
        .map(|chain| {
            let mut c = vec![0u64; dist.len()];
            for v in chain {
                if let Some(&k) = index.get(&v[..]) {
                    c[k] += 1;
                }
            }
            c
        })
        .collect();
    let per_chain = s.reads as f64;
    let kl_of = |skip: Option<usize>| {
        let used = (0..counts.len()).filter(|&c| Some(c) != skip);
        let total = per_chain * used.clone().count() as f64;
        dist.iter()
            .enumerate()
            .map(|(k, (_, p))| {
                let n = used.clone().map(|c| counts[c][k]).sum::<u64>() as f64;
                p * (p.ln() - (n.max(0.5) / total).ln())
            })
            .sum::<f64>()
    };
    let kl = kl_of(None);
    let c = counts.len() as f64;
    let loo: Vec<f64> = (0..counts.len()).map(|k| kl_of(Some(k))).collect();
    let mean = loo.iter().sum::<f64>() / c;
    let kl_se = ((c - 1.0) / c * loo.iter().map(|x| (x - mean).powi(2)).sum::<f64>()).sqrt();
    let hits: u64 = counts.iter().flatten().sum();
    let samples = per_chain as u64 * counts.len() as u64;
    Ok(SampledEval { kl, kl_se, mass_on_data: hits as f64 / samples as f64, samples, chains: counts.len() })
}

/// Conditional generation accuracy on the held-out images.
#[allow(clippy::too_many_arguments)]
pub fn conditional<C: CellModel + Clone + 'static>(
    machine: &Machine,
    theta: &[f64],
    data: &DataSet,
    cells: &C,
    ideal: bool,
    config: &ChainConfig,
    limits: &EvaluationSection,
    seed: Seed,
    pool: &rayon::ThreadPool,
) -> Result<ConditionalEval, TrainError> {
    let rows = limits.conditional_rows.unwrap_or(data.rows / 2).clamp(1, data.rows - 1);
    let fixed = rows * data.cols;
    let examples = &data.test[..limits.conditional_examples.min(data.test.len())];
    let clamp_of = |e: &Example| -> Vec<(usize, f64)> {
        machine.visible[..fixed].iter().zip(&e.pixels).map(|(&c, &s)| (c, s as f64)).collect()
    };
    let specs: Vec<ChainSpec> = examples
        .iter()
        .map(|e| ChainSpec {
            clamp: clamp_of(e),
            class: if machine.classes > 0 { e.label } else { 0 },
            start: None,
        })
        .collect();
    let models: Vec<Model> = (0..machine.classes.max(1)).map(|y| machine.model(theta, y)).collect();
    let s = &limits.samples;
    let plan = SamplingPlan { warmup: s.warmup, reads: (s.reads / 10).max(50), thin: s.thin };
    let reads = sample_visible(machine, &models, cells, config, &specs, &plan, seed, pool)?;
    let score = |mean: &[f64], truth: &[i8]| -> f64 {
        let right: f64 =
            mean[fixed..].iter().zip(&truth[fixed..]).map(|(&m, &t)| (1.0 + t as f64 * m) / 2.0).sum();
        right / (truth.len() - fixed) as f64
    };
    let acc: Vec<f64> =
        reads.iter().zip(examples).map(|(chain, e)| score(&mean_spins(chain), &e.pixels)).collect();
    let n = acc.len() as f64;
    let accuracy = acc.iter().sum::<f64>() / n;
    let accuracy_se =
        (acc.iter().map(|a| (a - accuracy).powi(2)).sum::<f64>() / (n * (n - 1.0)).max(1.0)).sqrt();
    let exact_accuracy =
        if ideal && machine.cells() - fixed <= limits.exact_cells && machine.inputs.is_empty() {
            let mut total = 0.0;
            for (e, spec) in examples.iter().zip(&specs) {
                let en = enumerate(machine, &models[spec.class], &spec.clamp, true)?;
                let mean: Vec<f64> = machine.visible.iter().map(|&v| en.mean_s[v]).collect();
                total += score(&mean, &e.pixels);
            }
            Some(total / n)
        } else {
            None
        };
    let data_accuracy = data.exact.then(|| {
        let dist = data.distribution();
        examples
            .iter()
            .map(|e| {
                let consistent: Vec<&(Vec<i8>, f64)> =
                    dist.iter().filter(|(v, _)| v[..fixed] == e.pixels[..fixed]).collect();
                let mass: f64 = consistent.iter().map(|(_, p)| p).sum();
                let mut mean = vec![0.0; data.pixels()];
                for (v, p) in consistent {
                    mean.iter_mut().zip(v).for_each(|(m, &x)| *m += p / mass * x as f64);
                }
                score(&mean, &e.pixels)
            })
            .sum::<f64>()
            / n
    });
    Ok(ConditionalEval {
        clamped_rows: rows,
        examples: examples.len(),
        accuracy,
        accuracy_se,
        exact_accuracy,
        data_accuracy,
    })
}

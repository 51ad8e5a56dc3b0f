//! One-dimensional Gaussian mixtures (p-MoG outputs): f(x) = sum_k pi_k N(x; mu_k, sigma_k^2).
//!
//! Method: expectation-maximisation on the samples, from several deterministic starts, keeping
//! the converged start with the largest log-likelihood:
//! - start 0 splits the sorted samples into K groups of equal count (quantiles) and takes each
//!   group's fraction, mean and variance;
//! - starts 1.. place K centres by k-means++ (D^2 sampling) with the stream
//!   `options.seed.stream(Domain::Other, start)`, then take each nearest-centre group's
//!   fraction, mean and variance.
//!
//! Each EM iteration computes responsibilities in log space. A start has converged when the
//! log-likelihood changes by at most `tolerance * n` in one iteration. Variances are floored
//! at `variance_floor` times the sample variance, which keeps the likelihood bounded; a
//! component has *collapsed* when its effective count sum_i r_ik drops below `min_count` or
//! when its variance sits on the floor at convergence, and that start is discarded. If every
//! start collapses, fails to converge, or meets a non-finite likelihood, the fit is an error.
//!
//! Standard errors come from the observed information (the negative Hessian of the
//! log-likelihood at the maximum, computed exactly per sample with Louis' identity:
//! -H = sum_i [sum_k r_ik (-D2_ik - (s_ik - g_i)(s_ik - g_i)^T)], with s_ik the gradient of
//! ln(pi_k N_k(x_i)), g_i = sum_k r_ik s_ik and D2_ik its Hessian), in the free parameters
//! (pi_0..pi_{K-2}, mu_0..mu_{K-1}, sigma_0..sigma_{K-1}), pi_{K-1} = 1 - sum of the others.
//! Components are reported in order of increasing mean.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use statrs::function::erf::erfc;

use super::error::{num, samples as show};
use super::{FitError, diagonal_se, rows, wls};
use crate::rng::{Domain, Seed};

const FIT: &str = "mixture";
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// A mixture of one-dimensional Gaussians.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixture {
    pub weights: Vec<f64>,
    pub means: Vec<f64>,
    pub sds: Vec<f64>,
}

impl GaussianMixture {
    /// A mixture; the weights must be non-negative with sum 1 (within 1e-9), the standard
    /// deviations positive, everything finite.
    pub fn new(weights: Vec<f64>, means: Vec<f64>, sds: Vec<f64>) -> Result<GaussianMixture, FitError> {
        let ok = !weights.is_empty()
            && weights.len() == means.len()
            && weights.len() == sds.len()
            && weights.iter().all(|w| *w >= 0.0 && w.is_finite())
            && (weights.iter().sum::<f64>() - 1.0).abs() <= 1e-9
            && means.iter().all(|m| m.is_finite())
            && sds.iter().all(|s| *s > 0.0 && s.is_finite());
        let mixture = GaussianMixture { weights, means, sds };
        if ok {
            Ok(mixture)
        } else {
            let reason = "weights must be >= 0 with sum 1, sds > 0, all finite, equal lengths".into();
            Err(FitError::Undetermined { fit: FIT, reason, data: format!("{mixture:?}") })
        }
    }

    pub fn components(&self) -> usize {
        self.weights.len()
    }

    /// ln f(x), by log-sum-exp.
    pub fn ln_pdf(&self, x: f64) -> f64 {
        let a: Vec<f64> = (0..self.components()).map(|k| self.ln_component(k, x)).collect();
        let m = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        m + a.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
    }

    fn ln_component(&self, k: usize, x: f64) -> f64 {
        let z = (x - self.means[k]) / self.sds[k];
        self.weights[k].ln() - self.sds[k].ln() - 0.5 * (LN_2PI + z * z)
    }

    pub fn pdf(&self, x: f64) -> f64 {
        self.ln_pdf(x).exp()
    }

    /// F(x) = sum_k pi_k Phi((x - mu_k)/sigma_k).
    pub fn cdf(&self, x: f64) -> f64 {
        (0..self.components())
            .map(|k| {
                self.weights[k] * 0.5 * erfc(-(x - self.means[k]) / (self.sds[k] * std::f64::consts::SQRT_2))
            })
            .sum()
    }

    /// Sum of ln f over the samples.
    pub fn log_likelihood(&self, samples: &[f64]) -> f64 {
        samples.iter().map(|&x| self.ln_pdf(x)).sum()
    }

    /// One draw from the mixture.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut k = self.components() - 1;
        for (i, w) in self.weights.iter().enumerate() {
            acc += w;
            if u < acc {
                k = i;
                break;
            }
        }
        let z: f64 = StandardNormal.sample(rng);
        self.means[k] + self.sds[k] * z
    }
}

/// Options of [`fit_mixture`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MixtureOptions {
    pub components: usize,
    /// Number of starts: one from quantiles, the rest from k-means++.
    pub starts: usize,
    pub max_iterations: usize,
    /// Converged when the log-likelihood changes by at most `tolerance * n` in an iteration.
    pub tolerance: f64,
    /// Variance floor as a fraction of the sample variance.
    pub variance_floor: f64,
    /// A component whose effective sample count falls below this has collapsed.
    pub min_count: f64,
    /// Seed of the k-means++ starts.
    pub seed: Seed,
}

impl MixtureOptions {
    pub fn new(components: usize) -> MixtureOptions {
        MixtureOptions {
            components,
            starts: 5,
            max_iterations: 5000,
            tolerance: 1e-10,
            variance_floor: 1e-8,
            min_count: 2.0,
            seed: Seed(0),
        }
    }
}

impl Default for MixtureOptions {
    fn default() -> MixtureOptions {
        MixtureOptions::new(2)
    }
}

/// What became of one EM start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum StartOutcome {
    Converged { log_likelihood: f64, iterations: usize },
    Collapsed { component: usize, iteration: usize, mean: f64, sd: f64, count: f64 },
    NotConverged { log_likelihood: f64 },
    NonFinite { iteration: usize },
}

/// A fitted mixture with standard errors from the observed information.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixtureFit {
    /// Components in order of increasing mean.
    pub mixture: GaussianMixture,
    pub weight_se: Vec<f64>,
    pub mean_se: Vec<f64>,
    pub sd_se: Vec<f64>,
    /// Covariance of (pi_0..pi_{K-2}, mu_0..mu_{K-1}, sigma_0..sigma_{K-1}).
    pub covariance: Vec<Vec<f64>>,
    pub log_likelihood: f64,
    /// Bayesian information criterion -2 ln L + (3K - 1) ln n.
    pub bic: f64,
    /// EM iterations of the best start.
    pub iterations: usize,
    pub samples: usize,
    pub best_start: usize,
    pub starts: Vec<StartOutcome>,
}

/// Mixture parameters during EM (variances, not standard deviations).
#[derive(Debug, Clone)]
struct Params {
    w: Vec<f64>,
    m: Vec<f64>,
    v: Vec<f64>,
}

/// Weight, mean and variance of each group (groups with fewer than two members get the
/// fallback variance and mean `centres[g]`).
fn from_groups(x: &[f64], group: &[usize], centres: &[f64], fallback_var: f64) -> Params {
    let k = centres.len();
    let (mut c, mut s, mut s2) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for (&xi, &g) in x.iter().zip(group) {
        c[g] += 1.0;
        s[g] += xi;
    }
    let m: Vec<f64> = (0..k).map(|g| if c[g] >= 2.0 { s[g] / c[g] } else { centres[g] }).collect();
    for (&xi, &g) in x.iter().zip(group) {
        s2[g] += (xi - m[g]).powi(2);
    }
    let v =
        (0..k).map(|g| if c[g] >= 2.0 { (s2[g] / c[g]).max(fallback_var) } else { fallback_var }).collect();
    let total: f64 = c.iter().map(|ci| ci.max(1.0)).sum();
    Params { w: c.iter().map(|ci| ci.max(1.0) / total).collect(), m, v }
}

fn quantile_start(x: &[f64], k: usize, fallback_var: f64) -> Params {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut group = vec![0; x.len()];
    for (rank, &i) in idx.iter().enumerate() {
        group[i] = rank * k / x.len();
    }
    let centres: Vec<f64> = (0..k).map(|g| x[idx[(2 * g + 1) * x.len() / (2 * k)]]).collect();
    from_groups(x, &group, &centres, fallback_var)
}

fn kmeanspp_start(x: &[f64], k: usize, fallback_var: f64, seed: Seed, start: usize) -> Params {
    let mut rng = seed.stream(Domain::Other, start as u64);
    let mut centres = vec![x[rng.random_range(0..x.len())]];
    let mut d2: Vec<f64> = x.iter().map(|&xi| (xi - centres[0]).powi(2)).collect();
    while centres.len() < k {
        let total: f64 = d2.iter().sum();
        let mut u = rng.random::<f64>() * total;
        let mut pick = x.len() - 1;
        for (i, d) in d2.iter().enumerate() {
            if u < *d {
                pick = i;
                break;
            }
            u -= d;
        }
        centres.push(x[pick]);
        for (d, &xi) in d2.iter_mut().zip(x) {
            *d = d.min((xi - x[pick]).powi(2));
        }
    }
    let nearest =
        |xi: f64| (0..k).min_by(|&a, &b| (xi - centres[a]).abs().total_cmp(&(xi - centres[b]).abs()));
    let group: Vec<usize> = x.iter().map(|&xi| nearest(xi).unwrap_or(0)).collect();
    from_groups(x, &group, &centres, fallback_var)
}

/// Run EM from `p`; the outcome and, if converged without collapse, the parameters.
fn em(x: &[f64], mut p: Params, o: &MixtureOptions, floor: f64) -> (StartOutcome, Option<Params>) {
    let (n, k) = (x.len(), p.w.len());
    let mut r = vec![0.0; n * k];
    let mut previous = f64::NEG_INFINITY;
    for iteration in 0..o.max_iterations {
        let c: Vec<f64> = (0..k).map(|j| p.w[j].ln() - 0.5 * (LN_2PI + p.v[j].ln())).collect();
        let mut ll = 0.0;
        for (i, &xi) in x.iter().enumerate() {
            let row = &mut r[i * k..(i + 1) * k];
            for j in 0..k {
                row[j] = c[j] - 0.5 * (xi - p.m[j]).powi(2) / p.v[j];
            }
            let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + row.iter().map(|a| (a - m).exp()).sum::<f64>().ln();
            row.iter_mut().for_each(|a| *a = (*a - lse).exp());
            ll += lse;
        }
        if !ll.is_finite() {
            return (StartOutcome::NonFinite { iteration }, None);
        }
        if (ll - previous).abs() <= o.tolerance * n as f64 {
            if let Some(j) = (0..k).find(|&j| p.v[j] <= floor * (1.0 + 1e-9)) {
                let count = p.w[j] * n as f64;
                let out = StartOutcome::Collapsed {
                    component: j,
                    iteration,
                    mean: p.m[j],
                    sd: p.v[j].sqrt(),
                    count,
                };
                return (out, None);
            }
            return (StartOutcome::Converged { log_likelihood: ll, iterations: iteration }, Some(p));
        }
        previous = ll;
        for j in 0..k {
            let (mut nk, mut s) = (0.0, 0.0);
            for (i, &xi) in x.iter().enumerate() {
                nk += r[i * k + j];
                s += r[i * k + j] * xi;
            }
            if nk.is_nan() || nk < o.min_count {
                let out = StartOutcome::Collapsed {
                    component: j,
                    iteration,
                    mean: p.m[j],
                    sd: p.v[j].sqrt(),
                    count: nk,
                };
                return (out, None);
            }
            let m = s / nk;
            let s2: f64 = x.iter().enumerate().map(|(i, &xi)| r[i * k + j] * (xi - m).powi(2)).sum();
            (p.w[j], p.m[j], p.v[j]) = (nk / n as f64, m, (s2 / nk).max(floor));
        }
    }
    (StartOutcome::NotConverged { log_likelihood: previous }, None)
}

/// Observed information of the mixture in the free parameters (see the module docs).
fn observed_information(x: &[f64], g: &GaussianMixture) -> nalgebra::DMatrix<f64> {
    let k = g.components();
    let np = 3 * k - 1;
    let (iw, im, is) = (|j: usize| j, |j: usize| k - 1 + j, |j: usize| 2 * k - 1 + j);
    let mut info = nalgebra::DMatrix::zeros(np, np);
    let mut s = vec![vec![0.0; np]; k];
    let mut r = vec![0.0; k];
    for &xi in x {
        let lp = g.ln_pdf(xi);
        for j in 0..k {
            r[j] = (g.ln_component(j, xi) - lp).exp();
            let (sd, z) = (g.sds[j], xi - g.means[j]);
            s[j].iter_mut().for_each(|v| *v = 0.0);
            if j + 1 < k {
                s[j][iw(j)] = 1.0 / g.weights[j];
            } else {
                (0..k - 1).for_each(|l| s[j][iw(l)] = -1.0 / g.weights[j]);
            }
            s[j][im(j)] = z / (sd * sd);
            s[j][is(j)] = -1.0 / sd + z * z / sd.powi(3);
            // -r_j * D2_j (the negative Hessian of ln(pi_j N_j)).
            let (var, rj) = (sd * sd, r[j]);
            if j + 1 < k {
                info[(iw(j), iw(j))] += rj / g.weights[j].powi(2);
            } else {
                for a in 0..k - 1 {
                    for b in 0..k - 1 {
                        info[(iw(a), iw(b))] += rj / g.weights[j].powi(2);
                    }
                }
            }
            info[(im(j), im(j))] += rj / var;
            info[(is(j), is(j))] += rj * (3.0 * z * z / (var * var) - 1.0 / var);
            info[(im(j), is(j))] += rj * 2.0 * z / (var * sd);
            info[(is(j), im(j))] += rj * 2.0 * z / (var * sd);
        }
        let mean: Vec<f64> = (0..np).map(|a| (0..k).map(|j| r[j] * s[j][a]).sum()).collect();
        for j in 0..k {
            for a in 0..np {
                let da = s[j][a] - mean[a];
                for b in 0..np {
                    info[(a, b)] -= r[j] * da * (s[j][b] - mean[b]);
                }
            }
        }
    }
    info
}

/// Fit a K-component Gaussian mixture to the samples (see the module documentation).
pub fn fit_mixture(samples: &[f64], options: &MixtureOptions) -> Result<MixtureFit, FitError> {
    let data = || show(samples);
    let k = options.components;
    let n = samples.len();
    if k == 0 {
        let reason = "a mixture needs at least one component".into();
        return Err(FitError::Undetermined { fit: FIT, reason, data: data() });
    }
    if n < 3 * k {
        return Err(FitError::TooFewPoints { fit: FIT, needed: 3 * k, got: n, data: data() });
    }
    if let Some(index) = samples.iter().position(|x| !x.is_finite()) {
        return Err(FitError::InvalidPoint {
            fit: FIT,
            index,
            problem: "sample is not finite".into(),
            data: data(),
        });
    }
    let mean = samples.iter().sum::<f64>() / n as f64;
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
    if !var.is_finite() {
        let reason = format!("the sample variance overflows ({})", num(var));
        return Err(FitError::NonFinite { fit: FIT, reason, data: data() });
    }
    if var == 0.0 {
        let reason = "every sample is equal".into();
        return Err(FitError::Undetermined { fit: FIT, reason, data: data() });
    }
    let floor = options.variance_floor * var;
    let fallback = var / (k * k) as f64;
    let mut outcomes = Vec::with_capacity(options.starts);
    let mut best: Option<(usize, f64, usize, Params)> = None;
    for start in 0..options.starts.max(1) {
        let init = if start == 0 {
            quantile_start(samples, k, fallback)
        } else {
            kmeanspp_start(samples, k, fallback, options.seed, start)
        };
        let (outcome, params) = em(samples, init, options, floor);
        if let (StartOutcome::Converged { log_likelihood, iterations }, Some(p)) = (&outcome, params)
            && best.as_ref().is_none_or(|b| *log_likelihood > b.1)
        {
            best = Some((start, *log_likelihood, *iterations, p));
        }
        outcomes.push(outcome);
    }
    let Some((best_start, _, iterations, p)) = best else {
        let reason = format!("{outcomes:?}");
        let collapsed = outcomes.iter().any(|o| matches!(o, StartOutcome::Collapsed { .. }));
        return Err(if outcomes.iter().all(|o| matches!(o, StartOutcome::NonFinite { .. })) {
            FitError::NonFinite { fit: FIT, reason, data: data() }
        } else if collapsed {
            FitError::Collapsed { fit: FIT, reason, data: data() }
        } else {
            FitError::NoConvergence { fit: FIT, iterations: options.max_iterations, reason, data: data() }
        });
    };
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| p.m[a].total_cmp(&p.m[b]));
    let mixture = GaussianMixture {
        weights: order.iter().map(|&j| p.w[j]).collect(),
        means: order.iter().map(|&j| p.m[j]).collect(),
        sds: order.iter().map(|&j| p.v[j].sqrt()).collect(),
    };
    let log_likelihood = mixture.log_likelihood(samples);
    let cov =
        wls::spd_inverse(&observed_information(samples, &mixture)).map_err(|r| FitError::Undetermined {
            fit: FIT,
            reason: format!("observed information at {mixture:?}: {r}"),
            data: data(),
        })?;
    let se = diagonal_se(&cov);
    let mut weight_se = se[..k - 1].to_vec();
    let last: f64 = (0..k - 1).flat_map(|a| (0..k - 1).map(move |b| (a, b))).map(|(a, b)| cov[(a, b)]).sum();
    weight_se.push(last.max(0.0).sqrt());
    Ok(MixtureFit {
        mean_se: se[k - 1..2 * k - 1].to_vec(),
        sd_se: se[2 * k - 1..].to_vec(),
        weight_se,
        covariance: rows(&cov),
        bic: -2.0 * log_likelihood + (3 * k - 1) as f64 * (n as f64).ln(),
        log_likelihood,
        iterations,
        samples: n,
        best_start,
        starts: outcomes,
        mixture,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(x: &[f64], t: &[f64]) -> f64 {
        GaussianMixture { weights: vec![t[0], 1.0 - t[0]], means: vec![t[1], t[2]], sds: vec![t[3], t[4]] }
            .log_likelihood(x)
    }

    /// The observed information equals minus the finite-difference Hessian of ln L, at a point
    /// that is not the maximum (Louis' identity holds everywhere).
    #[test]
    fn information_is_the_negative_hessian() {
        let x: Vec<f64> = (0..200).map(|i| ((i as f64) * 0.618_034).fract() * 6.0 - 3.0).collect();
        let t = [0.3, -1.0, 0.8, 0.7, 1.1];
        let g = GaussianMixture { weights: vec![0.3, 0.7], means: vec![-1.0, 0.8], sds: vec![0.7, 1.1] };
        let info = observed_information(&x, &g);
        let h = 1e-4;
        for a in 0..5 {
            for b in 0..5 {
                let at = |da: f64, db: f64| {
                    let mut u = t;
                    u[a] += da;
                    u[b] += db;
                    ll(&x, &u)
                };
                let d2 = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4.0 * h * h);
                assert!(
                    (info[(a, b)] + d2).abs() < 1e-4 * (1.0 + d2.abs()),
                    "({a}, {b}): {} vs {}",
                    info[(a, b)],
                    -d2
                );
            }
        }
    }

    /// One component: the mean and the population standard deviation, with errors sd/sqrt(n)
    /// and sd/sqrt(2n).
    #[test]
    fn single_component_is_the_sample_moments() {
        let x: Vec<f64> = (0..1000).map(|i| ((i as f64) * 0.618_034).fract()).collect();
        let fit = fit_mixture(&x, &MixtureOptions::new(1)).unwrap();
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let m = &fit.mixture;
        assert!((m.means[0] - mean).abs() < 1e-12 && (m.sds[0] - sd).abs() < 1e-12);
        assert!(
            (fit.mean_se[0] - sd / n.sqrt()).abs() < 1e-9
                && (fit.sd_se[0] - sd / (2.0 * n).sqrt()).abs() < 1e-9
        );
        assert_eq!((m.weights[0], fit.weight_se[0]), (1.0, 0.0));
    }
}

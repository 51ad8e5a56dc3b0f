//! Gaussian-mixture EM and Kolmogorov-Smirnov distances on samples drawn from known mixtures.
//! KS bound: for n independent samples from F, P(sqrt(n) D > 1.36) is about 5% (Kolmogorov).

mod fit_common;

use fit_common::{Spread, rng};
use pbitsim::analysis::fit::{
    FitError, GaussianMixture, MixtureOptions, StartOutcome, fit_mixture, kolmogorov_p_value, ks_distance,
    ks_two_sample,
};
use pbitsim::rng::Seed;

fn truth2() -> GaussianMixture {
    GaussianMixture::new(vec![0.35, 0.65], vec![-1.0, 1.5], vec![0.4, 0.7]).unwrap()
}

fn draw(m: &GaussianMixture, n: usize, seed: u64, rep: u64) -> Vec<f64> {
    let mut g = rng(seed, rep);
    (0..n).map(|_| m.sample(&mut g)).collect()
}

#[test]
fn recovers_two_components_with_honest_errors() {
    let t = truth2();
    let n = 4000;
    let mut spreads: Vec<(String, Spread)> = Vec::new();
    for k in 0..2 {
        spreads.push((format!("weight {k}"), Spread::new(t.weights[k])));
        spreads.push((format!("mean {k}"), Spread::new(t.means[k])));
        spreads.push((format!("sd {k}"), Spread::new(t.sds[k])));
    }
    for rep in 0..100 {
        let x = draw(&t, n, 31, rep);
        let fit = fit_mixture(&x, &MixtureOptions::new(2)).unwrap();
        let m = &fit.mixture;
        if rep == 0 {
            for k in 0..2 {
                assert!((m.weights[k] - t.weights[k]).abs() < 4.0 * fit.weight_se[k], "{fit:?}");
                assert!((m.means[k] - t.means[k]).abs() < 4.0 * fit.mean_se[k], "{fit:?}");
                assert!((m.sds[k] - t.sds[k]).abs() < 4.0 * fit.sd_se[k], "{fit:?}");
            }
            // The KS distance of the fitted mixture to fresh samples of the truth.
            let fresh = draw(&t, n, 32, 0);
            let d = ks_distance(&fresh, m).unwrap();
            assert!(d < 1.36 / (n as f64).sqrt(), "KS distance {d}");
            assert!(fit.starts.len() == 5 && fit.iterations > 0 && fit.samples == n);
            assert!((fit.log_likelihood - m.log_likelihood(&x)).abs() < 1e-9 * fit.log_likelihood.abs());
            assert!((fit.weight_se[0] - fit.weight_se[1]).abs() < 1e-12);
        }
        for k in 0..2 {
            spreads[3 * k].1.push(m.weights[k], fit.weight_se[k]);
            spreads[3 * k + 1].1.push(m.means[k], fit.mean_se[k]);
            spreads[3 * k + 2].1.push(m.sds[k], fit.sd_se[k]);
        }
    }
    for (name, s) in &spreads {
        s.check(name);
    }
}

#[test]
fn recovers_three_components_deterministically() {
    let t = GaussianMixture::new(vec![0.2, 0.5, 0.3], vec![-3.0, 0.0, 2.5], vec![0.5, 0.6, 0.4]).unwrap();
    let x = draw(&t, 6000, 33, 0);
    let options = MixtureOptions { seed: Seed(5), ..MixtureOptions::new(3) };
    let fit = fit_mixture(&x, &options).unwrap();
    for k in 0..3 {
        let m = &fit.mixture;
        assert!((m.weights[k] - t.weights[k]).abs() < 4.0 * fit.weight_se[k], "{fit:?}");
        assert!((m.means[k] - t.means[k]).abs() < 4.0 * fit.mean_se[k], "{fit:?}");
        assert!((m.sds[k] - t.sds[k]).abs() < 4.0 * fit.sd_se[k], "{fit:?}");
    }
    assert_eq!(fit.covariance.len(), 8);
    let again = fit_mixture(&x, &options).unwrap();
    assert_eq!(again, fit);
    // A single start from quantiles alone also works for separated modes.
    let one = fit_mixture(&x, &MixtureOptions { starts: 1, ..options }).unwrap();
    assert!((one.log_likelihood - fit.log_likelihood).abs() < 1e-6 * fit.log_likelihood.abs());
    // Fewer components fit worse by the BIC.
    let two = fit_mixture(&x, &MixtureOptions::new(2)).unwrap();
    assert!(two.bic > fit.bic);
}

#[test]
fn mixture_cdf_and_ks_distances() {
    let t = truth2();
    assert!(t.cdf(-50.0) < 1e-300 && (t.cdf(50.0) - 1.0).abs() < 1e-15);
    let single = GaussianMixture::new(vec![1.0], vec![2.0], vec![3.0]).unwrap();
    assert!((single.cdf(2.0) - 0.5).abs() < 1e-15);
    // Phi(1); statrs 0.19's erfc is good to about 1e-10 (statrs-dev/statrs PR #412), far
    // below the 1/sqrt(n) resolution of any KS distance.
    assert!((single.cdf(5.0) - 0.841_344_746_068_543).abs() < 1e-9, "{}", single.cdf(5.0));
    let n = 5000;
    let (a, b) = (draw(&t, n, 34, 0), draw(&t, n, 34, 1));
    let d2 = ks_two_sample(&a, &b).unwrap();
    assert!(d2 < 1.36 * (2.0 / n as f64).sqrt(), "two-sample KS {d2}");
    assert!(kolmogorov_p_value(d2, n as f64 / 2.0) > 0.05);
    // A mixture with shifted means is far from the samples.
    let shifted = GaussianMixture::new(vec![0.35, 0.65], vec![-0.8, 1.7], vec![0.4, 0.7]).unwrap();
    let d = ks_distance(&a, &shifted).unwrap();
    assert!(d > 3.0 / (n as f64).sqrt() && kolmogorov_p_value(d, n as f64) < 1e-4, "{d}");
    assert!(ks_distance(&[], &t).unwrap_err().to_string().contains("too few"));
    assert!(ks_two_sample(&[1.0, f64::NAN], &a).unwrap_err().to_string().contains("NaN"));
}

#[test]
fn failures_are_errors_that_show_the_samples() {
    // Two spikes: each component sits on one, its variance falls to the floor.
    let spikes: Vec<f64> = (0..200).map(|i| if i % 2 == 0 { 0.25 } else { 1.75 }).collect();
    let e = fit_mixture(&spikes, &MixtureOptions::new(2));
    assert!(matches!(e, Err(FitError::Collapsed { .. })), "{e:?}");
    let m = e.unwrap_err().to_string();
    assert!(m.contains("collapsed") && m.contains("200 samples in [0.25, 1.75]: [0.25, 1.75, 0.25"), "{m}");

    let m = fit_mixture(&[1.0, 2.0, 3.0, 4.0, 5.0], &MixtureOptions::new(2)).unwrap_err().to_string();
    assert!(m.contains("too few") && m.contains("[1, 2, 3, 4, 5]"), "{m}");

    let m = fit_mixture(&[1.0, 2.0, f64::INFINITY, 4.0, 5.0, 6.0], &MixtureOptions::new(2))
        .unwrap_err()
        .to_string();
    assert!(m.contains("sample 2") || m.contains("point 2"), "{m}");
    assert!(m.contains("inf"), "{m}");

    let m = fit_mixture(&[3.0; 10], &MixtureOptions::new(2)).unwrap_err().to_string();
    assert!(m.contains("every sample is equal") && m.contains("[3, 3, 3"), "{m}");

    let huge: Vec<f64> = (0..10).map(|i| if i % 2 == 0 { 1e300 } else { -1e300 }).collect();
    let e = fit_mixture(&huge, &MixtureOptions::new(2));
    assert!(matches!(e, Err(FitError::NonFinite { .. })), "{e:?}");
    assert!(e.unwrap_err().to_string().contains("1e300"));

    let x = draw(&truth2(), 500, 35, 0);
    let e = fit_mixture(&x, &MixtureOptions { max_iterations: 1, ..MixtureOptions::new(2) });
    assert!(matches!(e, Err(FitError::NoConvergence { .. })), "{e:?}");
    assert!(e.unwrap_err().to_string().contains("500 samples"));

    assert!(GaussianMixture::new(vec![0.5, 0.6], vec![0.0, 1.0], vec![1.0, 1.0]).is_err());
    assert!(GaussianMixture::new(vec![0.5, 0.5], vec![0.0, 1.0], vec![1.0, 0.0]).is_err());
}

/// A start that collapses is discarded while the others succeed: a narrow spike of a few
/// identical values next to a broad mode.
#[test]
fn collapsed_starts_are_reported_not_kept() {
    let mut x =
        draw(&GaussianMixture::new(vec![0.5, 0.5], vec![-2.0, 2.0], vec![0.5, 0.5]).unwrap(), 1000, 36, 0);
    x.extend([7.0; 3]);
    let fit = fit_mixture(&x, &MixtureOptions { starts: 8, ..MixtureOptions::new(3) }).unwrap();
    assert!(matches!(fit.starts[fit.best_start], StartOutcome::Converged { .. }), "{fit:?}");
    let collapsed = fit.starts.iter().filter(|o| matches!(o, StartOutcome::Collapsed { .. })).count();
    assert!(collapsed >= 1, "{:?}", fit.starts);
    assert!(fit.mixture.sds.iter().all(|&s| s > 0.1), "{fit:?}");
}

//! Logistic fit p = sigma((x - x0)/w) (PHYSICS.md 5: P(1) = sigma((V_in - V_0)/V_s)) on
//! synthetic data drawn from the model itself with Gaussian errors of known se.

mod fit_common;

use fit_common::{Spread, check_chi2, mean_sd, normal, rng};
use pbitsim::analysis::fit::{ErrorScale, FitError, FitOptions, LogisticFit, ProbPoint, fit_logistic};
use proptest::prelude::*;

/// The logistic law the data are drawn from, written here (not taken from the library).
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

const X0: f64 = 0.004;
const W: f64 = 0.017;
/// Effective sample size setting the errors: se = sqrt(p(1 - p)/N_EFF), at least 9 se from 0
/// and 1 on the grid below, so no synthetic probability leaves [0, 1].
const N_EFF: f64 = 2000.0;

/// 21 points on [-50, 50] mV; the observed p has noise `inflate` times its stated se.
fn synthetic(seed: u64, rep: u64, inflate: f64) -> Vec<ProbPoint> {
    let mut g = rng(seed, rep);
    (0..21)
        .map(|i| {
            let x = -0.05 + 0.005 * i as f64;
            let p = sigmoid((x - X0) / W);
            let se = (p * (1.0 - p) / N_EFF).sqrt();
            ProbPoint::new(x, p + inflate * se * normal(&mut g), se)
        })
        .collect()
}

#[test]
fn recovers_parameters_and_reports_honest_errors() {
    let reps = 400;
    let (mut x0, mut w, mut chi2) = (Spread::new(X0), Spread::new(W), Vec::new());
    let x_band = 0.03;
    let (mut band_p, mut band_se) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        let fit = fit_logistic(&synthetic(11, rep, 1.0), &FitOptions::default()).unwrap();
        if rep == 0 {
            assert!((fit.x0 - X0).abs() < 4.0 * fit.x0_se, "{fit:?}");
            assert!((fit.w - W).abs() < 4.0 * fit.w_se, "{fit:?}");
            assert_eq!(fit.goodness.dof, 19);
            assert_eq!(fit.scale_factor, 1.0);
        }
        x0.push(fit.x0, fit.x0_se);
        w.push(fit.w, fit.w_se);
        chi2.push(fit.goodness.chi2);
        let b = fit.band(x_band);
        band_p.push(b.p);
        band_se.push(b.se);
    }
    x0.check("x0");
    w.check("w");
    check_chi2("logistic chi2", &chi2, 19);
    // The delta-method band matches the spread of the fitted curve at one x.
    let (mean_p, spread) = mean_sd(&band_p);
    let (se, _) = mean_sd(&band_se);
    let tol = 4.0 / (2.0 * (reps as f64 - 1.0)).sqrt();
    assert!((spread / se - 1.0).abs() < tol, "band: spread {spread}, se {se}");
    assert!((mean_p - sigmoid((x_band - X0) / W)).abs() < 4.0 * se / (reps as f64).sqrt());
}

/// Errors understated by a factor 2: the absolute covariance gives pulls of spread 2, the
/// chi2/dof scaling restores spread 1, and the scale factor is chi2/dof.
#[test]
fn chi2_scaling_corrects_understated_errors() {
    let (mut absolute, mut scaled) = (Spread::new(X0), Spread::new(X0));
    for rep in 0..200 {
        let pts = synthetic(12, rep, 2.0);
        let a = fit_logistic(&pts, &FitOptions::default()).unwrap();
        let s = fit_logistic(&pts, &FitOptions::with_scale(ErrorScale::Chi2PerDof)).unwrap();
        assert!((s.scale_factor - a.goodness.chi2_per_dof).abs() < 1e-12);
        assert!((s.x0_se / a.x0_se - s.scale_factor.sqrt()).abs() < 1e-9);
        let inflate = fit_logistic(&pts, &FitOptions::with_scale(ErrorScale::InflateOnly)).unwrap();
        assert_eq!(inflate.scale_factor, a.goodness.chi2_per_dof.max(1.0));
        absolute.push(a.x0, a.x0_se);
        scaled.push(s.x0, s.x0_se);
    }
    let pulls =
        |s: &Spread| s.estimates.iter().zip(&s.errors).map(|(e, se)| (e - X0) / se).collect::<Vec<_>>();
    let (_, sd_abs) = mean_sd(&pulls(&absolute));
    assert!((sd_abs - 2.0).abs() < 2.0 * 4.0 / 398f64.sqrt(), "absolute pulls sd {sd_abs}");
    scaled.check("x0 scaled by chi2/dof");
}

#[test]
fn curve_and_serialisation() {
    let fit = fit_logistic(&synthetic(13, 0, 1.0), &FitOptions::default()).unwrap();
    let xs = [-0.05, 0.0, fit.x0, 0.05];
    let curve = fit.curve(&xs);
    assert_eq!(curve.len(), 4);
    assert!((curve[2].p - 0.5).abs() < 1e-12);
    assert!(curve.iter().all(|c| c.se > 0.0 && c.se < 0.01 && (c.p - fit.predict(c.x)).abs() < 1e-15));
    assert!(fit.correlation().abs() < 1.0);
    let json = serde_json::to_string(&fit).unwrap();
    assert!(json.contains("\"x0_se\"") && json.contains("\"chi2_per_dof\"") && json.contains("\"absolute\""));
    // serde_json parses floats to within an ulp or so (exactly only with float_roundtrip).
    let back: LogisticFit = serde_json::from_str(&json).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-14 * a.abs();
    assert!(
        close(back.x0, fit.x0)
            && close(back.w_se, fit.w_se)
            && close(back.covariance[0][1], fit.covariance[0][1])
    );
    assert_eq!(back.goodness.dof, fit.goodness.dof);
}

/// Probabilities of exactly 0 and 1 (with non-zero errors) are legitimate data.
#[test]
fn saturated_points_are_used() {
    let mut pts = synthetic(14, 0, 1.0);
    pts.push(ProbPoint::new(-0.2, 0.0, 0.002));
    pts.push(ProbPoint::new(0.2, 1.0, 0.002));
    let fit = fit_logistic(&pts, &FitOptions::default()).unwrap();
    assert!((fit.x0 - X0).abs() < 4.0 * fit.x0_se && (fit.w - W).abs() < 4.0 * fit.w_se);
    assert_eq!(fit.goodness.dof, 21);
}

fn err(points: &[ProbPoint]) -> String {
    let e = fit_logistic(points, &FitOptions::default()).unwrap_err();
    e.to_string()
}

#[test]
fn bad_data_are_errors_that_show_the_data() {
    let p = ProbPoint::new;
    let m = err(&[p(0.1, 0.5, 0.05), p(0.2, 0.7, 0.05)]);
    assert!(m.contains("too few points") && m.contains("(x=0.1, p=0.5, se=0.05)"), "{m}");

    let m = err(&[p(0.0, 0.0, 0.01), p(0.1, 1.0, 0.01), p(0.2, 1.0, 0.01)]);
    assert!(m.contains("every probability is 0 or 1") && m.contains("(x=0, p=0, se=0.01)"), "{m}");

    let m = err(&[p(0.0, 0.2, 0.01), p(0.1, 0.5, 0.0), p(0.2, 0.8, 0.01)]);
    assert!(m.contains("point 1 is invalid") && m.contains("standard error") && m.contains("se=0)"), "{m}");

    let m = err(&[p(0.0, 0.2, 0.01), p(f64::NAN, 0.5, 0.01), p(0.2, 0.8, 0.01)]);
    assert!(m.contains("point 1") && m.contains("x=NaN"), "{m}");

    let m = err(&[p(0.0, 0.2, 0.01), p(0.1, 1.2, 0.01), p(0.2, 0.8, f64::INFINITY)]);
    assert!(m.contains("point 1") && m.contains("p=1.2"), "{m}");

    let m = err(&[p(0.0, 0.2, 0.01), p(0.1, 0.5, 0.01), p(0.2, 0.8, f64::INFINITY)]);
    assert!(m.contains("point 2") && m.contains("se=inf"), "{m}");

    let m = err(&[p(0.1, 0.3, 0.01), p(0.1, 0.4, 0.01), p(0.1, 0.35, 0.01)]);
    assert!(m.contains("cannot determine") && m.contains("(x=0.1, p=0.4, se=0.01)"), "{m}");

    // A step sampled by a single point in its transition: the width is set by exponential
    // tails only, and chi2 keeps falling as w -> 0.
    let m = err(&[p(0.0, 0.0, 1e-6), p(1.0, 0.4, 0.1), p(2.0, 0.6, 0.1), p(3.0, 1.0, 1e-6)]);
    assert!(m.contains("transition is not resolved") && m.contains("(x=3, p=1, se=1e-6)"), "{m}");

    let e = fit_logistic(&synthetic(15, 0, 1.0), &FitOptions { max_iterations: 1, ..FitOptions::default() });
    assert!(matches!(e, Err(FitError::NoConvergence { .. })), "{e:?}");
    let m = e.unwrap_err().to_string();
    assert!(m.contains("did not converge") && m.contains("(x=-0.05, p="), "{m}");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x10915),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Fitting p against x' = a x + c gives x0' = a x0 + c and w' = a w, with standard errors
    /// scaled by |a| (the start and LM are equivariant under affine maps of x).
    #[test]
    fn invariant_under_affine_maps_of_x(
        log_a in -3.0f64..3.0, negative in any::<bool>(), c in -10.0f64..10.0, rep in 0u64..1000,
    ) {
        let a = if negative { -(10f64.powf(log_a)) } else { 10f64.powf(log_a) };
        let pts = synthetic(16, rep, 1.0);
        let mapped: Vec<ProbPoint> = pts.iter().map(|p| ProbPoint::new(a * p.x + c, p.p, p.se)).collect();
        let f = fit_logistic(&pts, &FitOptions::default()).unwrap();
        let g = fit_logistic(&mapped, &FitOptions::default()).unwrap();
        prop_assert!((g.x0 - (a * f.x0 + c)).abs() < 1e-5 * a.abs() * f.x0_se, "{f:?} {g:?}");
        prop_assert!((g.w - a * f.w).abs() < 1e-5 * a.abs() * f.w_se, "{f:?} {g:?}");
        prop_assert!((g.x0_se / (a.abs() * f.x0_se) - 1.0).abs() < 1e-6);
        prop_assert!((g.w_se / (a.abs() * f.w_se) - 1.0).abs() < 1e-6);
        prop_assert!((g.goodness.chi2 - f.goodness.chi2).abs() < 1e-8 * (1.0 + f.goodness.chi2));
    }
}

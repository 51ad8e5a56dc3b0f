//! Linear-model fits on synthetic data from their own models with known Gaussian noise:
//! Arrhenius ln tau = ln tau0 + E_a/(k_B T) (PHYSICS.md 3: an Arrhenius plot gives the
//! barrier), proportionality y = a T (the logistic width V_s ~ T, PHYSICS.md 5), polynomials
//! and multiple regression.

mod fit_common;

use fit_common::{Spread, check_chi2, mean_sd, normal, rng};
use pbitsim::analysis::fit::{
    ErrorScale, FitOptions, Point, RegPoint, fit_arrhenius, fit_linear, fit_polynomial, fit_proportional,
};
use pbitsim::units::{BOLTZMANN, ELEMENTARY_CHARGE};

const EA_EV: f64 = 0.15;
const TAU0: f64 = 2e-12;
/// Relative error of each tau.
const REL: f64 = 0.03;

fn arrhenius_points(seed: u64, rep: u64) -> Vec<Point> {
    let mut g = rng(seed, rep);
    (0..11)
        .map(|i| {
            let t = 250.0 + 15.0 * i as f64;
            let tau = TAU0 * (EA_EV * ELEMENTARY_CHARGE / (BOLTZMANN * t)).exp();
            // Log-normal noise: ln tau has standard deviation exactly REL = se/tau.
            let observed = tau * (REL * normal(&mut g)).exp();
            Point::new(t, observed, REL * observed)
        })
        .collect()
}

#[test]
fn arrhenius_recovers_the_barrier() {
    let (mut ea, mut ln_tau0, mut chi2) = (Spread::new(EA_EV), Spread::new(TAU0.ln()), Vec::new());
    let mut at300 = Vec::new();
    for rep in 0..300 {
        let fit = fit_arrhenius(&arrhenius_points(41, rep), &FitOptions::default()).unwrap();
        if rep == 0 {
            assert!((fit.energy_ev - EA_EV).abs() < 4.0 * fit.energy_ev_se, "{fit:?}");
            assert!((fit.tau0 - TAU0).abs() < 4.0 * fit.tau0_se, "{fit:?}");
            assert!((fit.energy_j / ELEMENTARY_CHARGE - fit.energy_ev).abs() < 1e-12 * fit.energy_ev);
            assert_eq!(fit.goodness.dof, 9);
        }
        ea.push(fit.energy_ev, fit.energy_ev_se);
        ln_tau0.push(fit.ln_tau0, fit.ln_tau0_se);
        chi2.push(fit.goodness.chi2);
        at300.push(fit.tau_with_se(300.0));
    }
    ea.check("E_a");
    ln_tau0.check("ln tau0");
    check_chi2("Arrhenius chi2", &chi2, 9);
    // The predictor's delta-method error matches the spread of tau(300 K).
    let (_, spread) = mean_sd(&at300.iter().map(|p| p.0).collect::<Vec<_>>());
    let (se, _) = mean_sd(&at300.iter().map(|p| p.1).collect::<Vec<_>>());
    assert!((spread / se - 1.0).abs() < 4.0 / 598f64.sqrt(), "tau(300 K): spread {spread}, se {se}");
}

/// V_s = A T with 1% errors at seven temperatures.
const A: f64 = 0.65 * BOLTZMANN / ELEMENTARY_CHARGE;

fn width_points(seed: u64, rep: u64, offset: f64) -> Vec<Point> {
    let mut g = rng(seed, rep);
    (0..7)
        .map(|i| {
            let t = 250.0 + 25.0 * i as f64;
            let y = A * t + offset;
            Point::new(t, y + 0.01 * y * normal(&mut g), 0.01 * y)
        })
        .collect()
}

#[test]
fn proportional_recovers_the_slope() {
    let (mut a, mut chi2) = (Spread::new(A), Vec::new());
    for rep in 0..300 {
        let fit = fit_proportional(&width_points(42, rep, 0.0), &FitOptions::default()).unwrap();
        a.push(fit.slope, fit.slope_se);
        chi2.push(fit.goodness.chi2);
        if rep == 0 {
            assert!((fit.slope - A).abs() < 4.0 * fit.slope_se);
            assert!(fit.proportional_within(0.04), "{fit:?}");
            assert!(fit.intercept_consistent(4.0), "{fit:?}");
            assert!((fit.predict(300.0) - A * 300.0).abs() < 4.0 * 300.0 * fit.slope_se);
        }
    }
    a.check("slope");
    check_chi2("proportional chi2", &chi2, 6);
}

/// A 5 mV offset (about 25% of V_s, mostly absorbed by the slope) is detected by every measure.
#[test]
fn proportional_detects_an_offset() {
    let fit = fit_proportional(&width_points(43, 0, 0.005), &FitOptions::default()).unwrap();
    assert!(!fit.proportional_within(0.03), "{fit:?}");
    assert!(fit.goodness.p_value < 1e-6, "{fit:?}");
    let t = fit.intercept.unwrap();
    assert!(t.pull > 5.0 && (t.intercept - 0.005).abs() < 4.0 * t.intercept_se, "{t:?}");
    assert!(!fit.intercept_consistent(4.0));
}

#[test]
fn polynomial_and_multiple_regression() {
    let c = [0.2, -1.3, 0.8];
    let (mut spreads, mut chi2, mut at) =
        ([Spread::new(c[0]), Spread::new(c[1]), Spread::new(c[2])], vec![], vec![]);
    for rep in 0..300 {
        let mut g = rng(44, rep);
        let pts: Vec<Point> = (0..15)
            .map(|i| {
                let x = -1.0 + 3.0 * i as f64 / 14.0;
                Point::new(x, c[0] + c[1] * x + c[2] * x * x + 0.05 * normal(&mut g), 0.05)
            })
            .collect();
        let fit = fit_polynomial(&pts, 2, &FitOptions::default()).unwrap();
        for k in 0..3 {
            spreads[k].push(fit.coefficients[k], fit.standard_errors[k]);
        }
        chi2.push(fit.goodness.chi2);
        at.push(fit.predict_with_se(0.5));
    }
    for (k, s) in spreads.iter().enumerate() {
        s.check(&format!("c{k}"));
    }
    check_chi2("polynomial chi2", &chi2, 12);
    let (mean, spread) = mean_sd(&at.iter().map(|p| p.0).collect::<Vec<_>>());
    let (se, _) = mean_sd(&at.iter().map(|p| p.1).collect::<Vec<_>>());
    assert!((spread / se - 1.0).abs() < 4.0 / 598f64.sqrt());
    assert!((mean - (0.2 - 0.65 + 0.2)).abs() < 4.0 * se / 300f64.sqrt());

    // Two regressors and an intercept; errors understated twofold and rescaled by chi2/dof.
    let mut g = rng(45, 0);
    let pts: Vec<RegPoint> = (0..40)
        .map(|i| {
            let (u, v) = ((i % 8) as f64 * 0.1, (i / 8) as f64 * 0.2);
            RegPoint { x: vec![u, v], y: 1.0 + 2.0 * u - 0.5 * v + 0.02 * normal(&mut g), se: 0.01 }
        })
        .collect();
    let abs = fit_linear(&pts, true, &FitOptions::default()).unwrap();
    let fit = fit_linear(&pts, true, &FitOptions::with_scale(ErrorScale::Chi2PerDof)).unwrap();
    assert!(abs.goodness.chi2_per_dof > 2.0, "{abs:?}");
    for (k, truth) in [1.0, 2.0, -0.5].iter().enumerate() {
        assert!((fit.coefficients[k] - truth).abs() < 4.0 * fit.standard_errors[k], "{fit:?}");
    }
    assert!((fit.predict(&[0.3, 0.4]) - (1.0 + 0.6 - 0.2)).abs() < 4.0 * fit.predict_with_se(&[0.3, 0.4]).1);
}

#[test]
fn bad_data_are_errors_that_show_the_data() {
    let o = FitOptions::default();
    let p = Point::new;
    let m = fit_arrhenius(&[p(300.0, 1e-9, 1e-11), p(-5.0, 1e-9, 1e-11), p(350.0, 1e-9, 1e-11)], &o)
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("point 1") && m.contains("temperature") && m.contains("(T=-5, tau=1e-9, se=1e-11)"),
        "{m}"
    );
    let m = fit_arrhenius(&[p(300.0, 1e-9, 1e-11), p(320.0, 0.0, 1e-11), p(350.0, 1e-9, 1e-11)], &o)
        .unwrap_err()
        .to_string();
    assert!(m.contains("point 1") && m.contains("tau=0"), "{m}");
    let m = fit_arrhenius(&[p(300.0, 1e-9, 1e-11), p(300.0, 2e-9, 1e-11), p(300.0, 1.5e-9, 1e-11)], &o)
        .unwrap_err()
        .to_string();
    assert!(m.contains("singular") && m.contains("(T=300, tau=2e-9, se=1e-11)"), "{m}");
    let m = fit_arrhenius(&[p(300.0, 1e-9, 1e-11), p(320.0, 1e-9, 1e-11)], &o).unwrap_err().to_string();
    assert!(m.contains("too few points") && m.contains("needs at least 3"), "{m}");

    let m = fit_proportional(&[p(1.0, 2.0, 0.1), p(0.0, 0.1, 0.1)], &o).unwrap_err().to_string();
    assert!(m.contains("point 1") && m.contains("(x=0, y=0.1, se=0.1)"), "{m}");
    let m = fit_proportional(&[p(1.0, 2.0, 0.1), p(2.0, 4.1, 0.0)], &o).unwrap_err().to_string();
    assert!(m.contains("point 1") && m.contains("standard error") && m.contains("se=0)"), "{m}");
    let m = fit_proportional(&[p(1.0, 2.0, 0.1)], &o).unwrap_err().to_string();
    assert!(m.contains("too few points") && m.contains("(x=1, y=2, se=0.1)"), "{m}");
    let m = fit_proportional(&[p(1.0, 0.0, 0.1), p(2.0, 0.0, 0.1)], &o).unwrap_err().to_string();
    assert!(m.contains("slope is exactly 0"), "{m}");

    let m = fit_polynomial(&[p(1.0, 2.0, 0.1), p(f64::NAN, 2.0, 0.1), p(3.0, 2.0, 0.1)], 1, &o)
        .unwrap_err()
        .to_string();
    assert!(m.contains("point 1") && m.contains("x=NaN"), "{m}");
    let m = fit_polynomial(&[p(1.0, 2.0, 0.1), p(1.0, 2.5, 0.1), p(1.0, 3.0, 0.1)], 1, &o)
        .unwrap_err()
        .to_string();
    assert!(m.contains("singular normal matrix") && m.contains("(x=1, y=2.5, se=0.1)"), "{m}");

    let r = |x: Vec<f64>, y| RegPoint { x, y, se: 0.1 };
    let m = fit_linear(&[r(vec![1.0], 1.0), r(vec![1.0, 2.0], 1.0)], true, &o).unwrap_err().to_string();
    assert!(m.contains("point 1") && m.contains("(x=[1, 2], y=1, se=0.1)"), "{m}");
    let collinear: Vec<RegPoint> = (0..5).map(|i| r(vec![i as f64, 2.0 * i as f64], i as f64)).collect();
    let m = fit_linear(&collinear, false, &o).unwrap_err().to_string();
    assert!(m.contains("singular normal matrix") && m.contains("(x=[4, 8], y=4, se=0.1)"), "{m}");
}

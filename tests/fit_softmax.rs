//! Softmax (p-dit) fit on multinomial data drawn from the model itself: K = 3 classes, D = 2
//! controls, n draws per point, p = counts/n with se_k = sqrt(p_k (1 - p_k)/n). For such data
//! the effective sizes equal n and the quasi-likelihood is the multinomial likelihood, so the
//! standard errors from the inverse information must match the spread over repetitions.

mod fit_common;

use fit_common::{Spread, check_chi2, rng};
use pbitsim::analysis::fit::{CatPoint, FitError, FitOptions, fit_softmax, softmax};
use rand::RngExt;

const B: [f64; 3] = [0.0, 0.4, -0.3];
const W: [[f64; 2]; 3] = [[0.0, 0.0], [1.5, -0.8], [-1.0, 1.2]];
const DRAWS: usize = 1000;

fn truth(v: &[f64]) -> Vec<f64> {
    let l: Vec<f64> = (0..3).map(|k| B[k] + W[k][0] * v[0] + W[k][1] * v[1]).collect();
    softmax(&l)
}

/// A 6 x 6 grid of controls on [-1, 1]^2, each with DRAWS categorical draws.
fn synthetic(seed: u64, rep: u64) -> Vec<CatPoint> {
    let mut g = rng(seed, rep);
    let mut points = Vec::new();
    for i in 0..6 {
        for j in 0..6 {
            let v = vec![-1.0 + 0.4 * i as f64, -1.0 + 0.4 * j as f64];
            let q = truth(&v);
            let mut counts = [0usize; 3];
            for _ in 0..DRAWS {
                let u: f64 = g.random();
                counts[if u < q[0] {
                    0
                } else if u < q[0] + q[1] {
                    1
                } else {
                    2
                }] += 1;
            }
            let p: Vec<f64> = counts.iter().map(|&c| c as f64 / DRAWS as f64).collect();
            let se = p.iter().map(|&x| (x * (1.0 - x) / DRAWS as f64).sqrt()).collect();
            points.push(CatPoint { v, p, se });
        }
    }
    points
}

#[test]
fn recovers_bias_and_weights_with_honest_errors() {
    let reps = 200;
    let mut spreads: Vec<(String, Spread)> = Vec::new();
    for k in 1..3 {
        spreads.push((format!("b{k}"), Spread::new(B[k])));
        for j in 0..2 {
            spreads.push((format!("W{k}{j}"), Spread::new(W[k][j])));
        }
    }
    let mut chi2 = Vec::new();
    for rep in 0..reps {
        let fit = fit_softmax(&synthetic(21, rep), &FitOptions::default()).unwrap();
        assert_eq!((fit.classes, fit.controls, fit.goodness.dof), (3, 2, 36 * 2 - 6));
        assert!(fit.effective_sizes.iter().all(|n| (n - DRAWS as f64).abs() < 1e-6 * DRAWS as f64));
        let mut s = spreads.iter_mut();
        for k in 1..3 {
            let (name, b) = s.next().unwrap();
            if rep == 0 {
                assert!((fit.bias[k] - B[k]).abs() < 4.0 * fit.bias_se[k], "{name}: {fit:?}");
            }
            b.push(fit.bias[k], fit.bias_se[k]);
            for j in 0..2 {
                let (name, w) = s.next().unwrap();
                if rep == 0 {
                    assert!(
                        (fit.weights[k][j] - W[k][j]).abs() < 4.0 * fit.weights_se[k][j],
                        "{name}: {fit:?}"
                    );
                }
                w.push(fit.weights[k][j], fit.weights_se[k][j]);
            }
        }
        chi2.push(fit.goodness.chi2);
        let p = fit.predict(&[0.3, -0.2]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(fit.bias[0], 0.0);
        assert_eq!(fit.weights[0], vec![0.0, 0.0]);
    }
    for (name, s) in &spreads {
        s.check(name);
    }
    check_chi2("softmax Pearson chi2", &chi2, 66);
}

/// With the chi2/dof scaling the covariance is multiplied by the Pearson dispersion.
#[test]
fn dispersion_scaling() {
    let pts = synthetic(22, 0);
    let a = fit_softmax(&pts, &FitOptions::default()).unwrap();
    let s =
        fit_softmax(&pts, &FitOptions::with_scale(pbitsim::analysis::fit::ErrorScale::Chi2PerDof)).unwrap();
    assert!((s.scale_factor - a.goodness.chi2_per_dof).abs() < 1e-12);
    assert!((s.covariance[2][2] / a.covariance[2][2] - s.scale_factor).abs() < 1e-9);
    assert_eq!(a.covariance.len(), 6);
}

fn point(v: &[f64], p: &[f64], se: &[f64]) -> CatPoint {
    CatPoint { v: v.to_vec(), p: p.to_vec(), se: se.to_vec() }
}

#[test]
fn bad_data_are_errors_that_show_the_data() {
    let o = FitOptions::default();
    let m = fit_softmax(&[], &o).unwrap_err().to_string();
    assert!(m.contains("too few points"), "{m}");

    let two = [point(&[0.0], &[0.5, 0.5], &[0.1, 0.1]), point(&[1.0], &[0.3, 0.7], &[0.1, 0.1])];
    let m = fit_softmax(&two, &o).unwrap_err().to_string();
    assert!(m.contains("too few points") && m.contains("(v=[1], p=[0.3, 0.7], se=[0.1, 0.1])"), "{m}");

    let bad_sum = [point(&[0.0], &[0.5, 0.6], &[0.1, 0.1])];
    let m = fit_softmax(&bad_sum, &o).unwrap_err().to_string();
    assert!(m.contains("point 0") && m.contains("sum 1") && m.contains("p=[0.5, 0.6]"), "{m}");

    let zero_se = [point(&[0.0], &[0.5, 0.5], &[0.1, 0.1]), point(&[1.0], &[0.3, 0.7], &[0.0, 0.0])];
    let m = fit_softmax(&zero_se, &o).unwrap_err().to_string();
    assert!(m.contains("point 1") && m.contains("standard errors") && m.contains("se=[0, 0]"), "{m}");

    let nan = [point(&[f64::NAN], &[0.5, 0.5], &[0.1, 0.1])];
    let m = fit_softmax(&nan, &o).unwrap_err().to_string();
    assert!(m.contains("not finite") && m.contains("v=[NaN]"), "{m}");

    let ragged = [point(&[0.0], &[0.5, 0.5], &[0.1, 0.1]), point(&[0.0, 1.0], &[0.5, 0.5], &[0.1, 0.1])];
    let m = fit_softmax(&ragged, &o).unwrap_err().to_string();
    assert!(m.contains("point 1") && m.contains("expected 1 controls"), "{m}");

    let vertices: Vec<CatPoint> = (0..5)
        .map(|i| point(&[i as f64], if i < 3 { &[1.0, 0.0] } else { &[0.0, 1.0] }, &[0.01, 0.01]))
        .collect();
    let m = fit_softmax(&vertices, &o).unwrap_err().to_string();
    assert!(m.contains("every p is 0 or 1") && m.contains("(v=[4], p=[0, 1], se=[0.01, 0.01])"), "{m}");

    // Controls that never vary independently: v2 = 2 v1 at every point.
    let collinear: Vec<CatPoint> =
        (0..6).map(|i| point(&[i as f64, 2.0 * i as f64], &[0.4, 0.6], &[0.05, 0.05])).collect();
    let m = fit_softmax(&collinear, &o).unwrap_err().to_string();
    assert!(m.contains("cannot determine") && m.contains("v=[5, 10]"), "{m}");

    // Separable data: class 0 occurs only at v = -1, class 2 only at v = +1, so the likelihood
    // keeps growing as the weights diverge; the information becomes singular on the way.
    let separable: Vec<CatPoint> = [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0]
        .iter()
        .map(|&v: &f64| {
            let (p, se) = if v < 0.0 {
                ([0.5, 0.5, 0.0], [0.05, 0.05, 0.0])
            } else {
                ([0.0, 0.5, 0.5], [0.0, 0.05, 0.05])
            };
            point(&[v], &p, &se)
        })
        .collect();
    let e = fit_softmax(&separable, &o);
    assert!(matches!(e, Err(FitError::NoConvergence { .. } | FitError::Undetermined { .. })), "{e:?}");
    let m = e.unwrap_err().to_string();
    assert!(m.contains("(v=[-1], p=[0.5, 0.5, 0], se=[0.05, 0.05, 0])"), "{m}");
    println!("separable: {m}");
}

//! Ornstein-Uhlenbeck checks against the exact law (PHYSICS.md section 3): transient mean and
//! variance, stationary autocovariance, and the stationary variance each scheme converges to
//! at a large step (Euler-Maruyama sigma^2/(1 - h/2tau), drift-implicit Euler
//! sigma^2/(1 + h/2tau), stochastic trapezoidal sigma^2 exactly).

use std::ops::ControlFlow;

use pbitsim::rng::{Domain, Seed};
use pbitsim::sde::problems::OrnsteinUhlenbeck;
use pbitsim::sde::{EulerMaruyama, Method, Schedule, Sriw1, Theta, ensemble, integrate};
use rand_distr::{Distribution, StandardNormal};

const OU: OrnsteinUhlenbeck = OrnsteinUhlenbeck { tau: 1.0, mu: 0.0, sigma: 1.0 };

/// Final states of `runs` trajectories from x0 over [0, t] with step dt.
fn finals<M: Method>(method: &M, x0: f64, t: f64, dt: f64, runs: usize, seed: u64) -> Vec<f64> {
    ensemble(runs, Seed(seed), 0, |_, rng| {
        let mut x = [x0];
        integrate(&OU, method, &Schedule::fixed(t, dt, t), &mut x, rng, &mut |_, _: &[f64]| {
            ControlFlow::Continue(())
        })?;
        Ok::<f64, pbitsim::sde::SdeError>(x[0])
    })
    .unwrap()
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0))
}

/// E x(t) = x0 e^{-t/tau} and Var x(t) = sigma^2 (1 - e^{-2t/tau}) at t = 0.5 tau and 2 tau,
/// with N = 20000 runs: SE(mean) = sd/sqrt(N), SE(var) = var sqrt(2/(N-1)); tolerance 5 SE
/// plus the schemes' O(h) bias (h = 1e-3 tau: about 1e-3 relative).
#[test]
fn transient_mean_and_variance_match_exact_law() {
    let n = 20_000;
    for (name, samples) in [
        (
            "em",
            [finals(&EulerMaruyama, 1.0, 0.5, 1e-3, n, 10), finals(&EulerMaruyama, 1.0, 2.0, 1e-3, n, 11)],
        ),
        ("sri", [finals(&Sriw1, 1.0, 0.5, 1e-3, n, 12), finals(&Sriw1, 1.0, 2.0, 1e-3, n, 13)]),
    ] {
        for (t, v) in [0.5, 2.0].into_iter().zip(samples.iter()) {
            let (m, var) = mean_var(v);
            let (em, ev) = (OU.mean(1.0, t), OU.variance(t));
            let se_m = (ev / n as f64).sqrt();
            let se_v = ev * (2.0 / (n as f64 - 1.0)).sqrt();
            assert!((m - em).abs() < 5.0 * se_m + 1e-3 * em, "{name} t={t}: mean {m} vs {em}");
            assert!((var - ev).abs() < 5.0 * se_v + 1e-3 * ev, "{name} t={t}: var {var} vs {ev}");
        }
    }
}

/// Stationary autocovariance sigma^2 e^{-s/tau}: runs start from the stationary law
/// (x0 ~ N(0, sigma^2), drawn from their own stream) and E[x(0) x(s)] is averaged over
/// N = 20000 runs; Var[x(0) x(s)] = sigma^4 (1 + rho^2) gives the standard error.
#[test]
fn stationary_autocovariance_matches_exact_law() {
    let n = 20_000;
    let lags = [0.25, 0.5, 1.0, 2.0];
    let products = ensemble(n, Seed(20), 0, |i, rng| {
        let mut start = Seed(21).stream(Domain::Initial, i as u64);
        let x0: f64 = StandardNormal.sample(&mut start);
        let mut x = [x0];
        let mut out = Vec::with_capacity(lags.len());
        let mut record = |t: f64, s: &[f64]| {
            if lags.iter().any(|l| (l - t).abs() < 1e-9) {
                out.push(x0 * s[0]);
            }
            ControlFlow::Continue(())
        };
        integrate(&OU, &Theta::trapezoidal(), &Schedule::fixed(2.0, 1e-3, 0.25), &mut x, rng, &mut record)?;
        Ok::<Vec<f64>, pbitsim::sde::SdeError>(out)
    })
    .unwrap();
    for (k, lag) in lags.iter().enumerate() {
        let c = products.iter().map(|p| p[k]).sum::<f64>() / n as f64;
        let exact = OU.autocovariance(*lag);
        let se = ((1.0 + exact * exact) / n as f64).sqrt();
        assert!((c - exact).abs() < 5.0 * se, "lag {lag}: {c} vs {exact} (se {se})");
    }
}

/// Stationary variance of each scheme at h = tau/2, from 400 runs of 4000 steps after a
/// burn-in of 40 tau. Successive states of the discrete chain are AR(1) with coefficient a,
/// so the variance estimate has standard error var sqrt(2 (1 + a^2) / ((1 - a^2) N)).
#[test]
fn stationary_variance_of_each_scheme_matches_its_formula() {
    let h = 0.5;
    let r = h / (2.0 * OU.tau);
    let cases: [(&str, f64, f64); 3] = [
        ("em", 1.0 / (1.0 - r), 1.0 - h / OU.tau),
        ("implicit", 1.0 / (1.0 + r), 1.0 / (1.0 + h / OU.tau)),
        ("trapezoidal", 1.0, (1.0 - r) / (1.0 + r)),
    ];
    for (name, factor, a) in cases {
        let runs = 400;
        let steps = 4000usize;
        let sums = ensemble(runs, Seed(30), 0, |_, rng| {
            let mut x = [0.0];
            let mut acc = (0.0f64, 0.0f64, 0usize);
            let mut record = |t: f64, s: &[f64]| {
                if t > 40.0 {
                    acc.0 += s[0];
                    acc.1 += s[0] * s[0];
                    acc.2 += 1;
                }
                ControlFlow::Continue(())
            };
            let schedule = Schedule::fixed(40.0 + h * steps as f64, h, h);
            match name {
                "em" => integrate(&OU, &EulerMaruyama, &schedule, &mut x, rng, &mut record),
                "implicit" => integrate(&OU, &Theta::implicit_euler(), &schedule, &mut x, rng, &mut record),
                _ => integrate(&OU, &Theta::trapezoidal(), &schedule, &mut x, rng, &mut record),
            }?;
            Ok::<_, pbitsim::sde::SdeError>(acc)
        })
        .unwrap();
        let (s1, s2, count) = sums.iter().fold((0.0, 0.0, 0usize), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
        let n = count as f64;
        let var = s2 / n - (s1 / n) * (s1 / n);
        let expected = factor * OU.sigma * OU.sigma;
        let se = expected * (2.0 * (1.0 + a * a) / ((1.0 - a * a) * n)).sqrt();
        assert!((var - expected).abs() < 5.0 * se, "{name}: {var} vs {expected} (se {se})");
    }
}

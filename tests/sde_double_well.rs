//! Barrier crossing in the overdamped double well U(x) = dU (x^2 - 1)^2 with dU = 6 kT
//! (kT = 1, gamma = 1): the mean first-passage time from the left minimum to the right one
//! against the exact one-dimensional integral (Gardiner, Handbook of Stochastic Methods,
//! section 5.2.7)
//!
//!   T(a -> b) = int_a^b dy exp(U(y)/kT) / D int_{-inf}^y exp(-U(z)/kT) dz,   D = kT/gamma,
//!
//! computed here by quadrature, and against Kramers' rate (PHYSICS.md section 3).

use std::ops::ControlFlow;

use pbitsim::rng::Seed;
use pbitsim::sde::problems::DoubleWell;
use pbitsim::sde::{Method, Schedule, SdeError, Sriw1, ensemble, integrate};

const WELL: DoubleWell = DoubleWell { barrier: 6.0, gamma: 1.0, kt: 1.0 };

/// Exact MFPT from a to b by the trapezoidal rule on a fine grid (the inner integral starts
/// at -3, where exp(-U) is below 1e-100 of its peak).
fn exact_mfpt(well: &DoubleWell, a: f64, b: f64) -> f64 {
    let n = 200_000;
    let lo = -3.0;
    let h = (b - lo) / n as f64;
    let boltzmann = |x: f64| (-well.potential(x) / well.kt).exp();
    let diffusion = well.kt / well.gamma;
    let mut inner = 0.0;
    let mut outer = 0.0;
    let mut previous: Option<f64> = None;
    for i in 0..=n {
        let y = lo + i as f64 * h;
        if i > 0 {
            inner += 0.5 * h * (boltzmann(y - h) + boltzmann(y));
        }
        if y >= a - 1e-12 {
            let value = inner / (boltzmann(y) * diffusion);
            if let Some(p) = previous {
                outer += 0.5 * h * (p + value);
            }
            previous = Some(value);
        }
    }
    outer
}

/// First-passage times of `runs` trajectories from -1 to +1.
fn passage_times<M: Method>(method: &M, dt: f64, runs: usize) -> Vec<f64> {
    ensemble(runs, Seed(77), 0, |_, rng| {
        let mut x = [-1.0];
        let mut hit = f64::NAN;
        let mut stop = |t: f64, s: &[f64]| {
            if s[0] >= 1.0 {
                hit = t;
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        integrate(&WELL, method, &Schedule::fixed(1e5, dt, dt), &mut x, rng, &mut stop)?;
        Ok::<f64, SdeError>(hit)
    })
    .unwrap()
}

/// 4000 passages with SRIW1 (weak order 2) at h = 2e-3 (h U''(min) = 0.1). The passage time
/// is close to exponential, so its mean has a relative standard error of about
/// 1/sqrt(4000) = 1.6 %; the 5 % tolerance of the exact check is about 3 standard errors.
#[test]
fn mean_first_passage_time_matches_exact_integral_and_kramers() {
    let runs = 4000;
    let times = passage_times(&Sriw1, 2e-3, runs);
    assert!(times.iter().all(|t| t.is_finite()), "a trajectory never crossed");
    let n = times.len() as f64;
    let mean = times.iter().sum::<f64>() / n;
    let sd = (times.iter().map(|t| (t - mean) * (t - mean)).sum::<f64>() / (n - 1.0)).sqrt();
    let exact = exact_mfpt(&WELL, -1.0, 1.0);
    let kramers = 1.0 / WELL.kramers_rate();
    eprintln!("MFPT {mean:.2} +- {:.2} (exact integral {exact:.2}, Kramers 1/r {kramers:.2})", sd / n.sqrt());
    assert!((mean / exact - 1.0).abs() < 0.05, "MFPT {mean} vs exact {exact}");
    assert!((mean / kramers - 1.0).abs() < 0.15, "MFPT {mean} vs Kramers {kramers}");
}

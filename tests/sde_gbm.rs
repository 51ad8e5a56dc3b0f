//! Convergence orders on geometric Brownian motion in Higham's set-up (SIAM Review 43(3),
//! 2001): dX = 2 X dt + X dW, X0 = 1, T = 1, exact solution X(T) = exp(1.5 T + W(T)).
//! Every method steps the same Brownian paths at each step size (coarse increments are
//! joined from a fine path, time integrals included), and the error is measured against the
//! exact solution on that path. Orders are least-squares slopes of log error against log h.

use pbitsim::rng::{Domain, Seed};
use pbitsim::sde::noise::{combine, sample_increment};
use pbitsim::sde::problems::GeometricBrownian;
use pbitsim::sde::{EulerMaruyama, Increment, Method, Milstein, Sriw1, Tolerance};

const GBM: GeometricBrownian = GeometricBrownian { lambda: 2.0, mu: 1.0 };
/// Finest step 2^-FINE; the tested steps are 2^-(FINE - r) for r in LEVELS.
const FINE: i32 = 10;

/// For each coarsening level r, the per-path endpoint errors X_h(T) - X(T) of `method`
/// with h = 2^r 2^-FINE, over `paths` Brownian paths from the given seed.
fn endpoint_errors<M: Method>(method: &M, levels: &[u32], paths: usize, seed: u64) -> Vec<Vec<f64>> {
    let fine_steps = 1usize << FINE;
    let h_fine = 1.0 / fine_steps as f64;
    let mut ws = method.workspace(&GBM);
    let mut errors = vec![Vec::with_capacity(paths); levels.len()];
    let mut fine_w = vec![0.0; fine_steps];
    let mut fine_z = vec![0.0; fine_steps];
    for p in 0..paths {
        let mut rng = Seed(seed).stream(Domain::Trajectory, p as u64);
        for k in 0..fine_steps {
            let (mut w, mut z) = ([0.0], [0.0]);
            sample_increment(&mut rng, h_fine, &mut w, &mut z);
            fine_w[k] = w[0];
            fine_z[k] = z[0];
        }
        let w_total: f64 = fine_w.iter().sum();
        let exact = GBM.exact(1.0, 1.0, w_total);
        for (li, &r) in levels.iter().enumerate() {
            let per = 1usize << r;
            let h = h_fine * per as f64;
            let mut x = [1.0];
            let mut next = [0.0];
            for step in 0..fine_steps / per {
                let (mut dw, mut dz) = ([0.0], [0.0]);
                for k in step * per..(step + 1) * per {
                    combine(&mut dw, &mut dz, &[fine_w[k]], &[fine_z[k]], h_fine);
                }
                let inc = Increment { t: step as f64 * h, dt: h, dw: &dw, dz: &dz };
                method.step(&GBM, &mut ws, &x, &inc, &Tolerance::default(), &mut next).unwrap();
                x = next;
            }
            errors[li].push(x[0] - exact);
        }
    }
    errors
}

/// Least-squares slope of log(err) against log(h).
fn slope(levels: &[u32], err: &[f64]) -> f64 {
    let xs: Vec<f64> = levels.iter().map(|&r| ((r as i32 - FINE) as f64) * std::f64::consts::LN_2).collect();
    let ys: Vec<f64> = err.iter().map(|e| e.ln()).collect();
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    sxy / sxx
}

fn strong_order<M: Method>(method: &M, levels: &[u32], paths: usize) -> f64 {
    let errors = endpoint_errors(method, levels, paths, 1);
    let strong: Vec<f64> =
        errors.iter().map(|e| e.iter().map(|v| v.abs()).sum::<f64>() / e.len() as f64).collect();
    slope(levels, &strong)
}

#[test]
fn euler_maruyama_has_strong_order_one_half() {
    let order = strong_order(&EulerMaruyama, &[1, 2, 3, 4, 5], 2000);
    eprintln!("Euler-Maruyama strong order {order:.3}");
    assert!((order - 0.5).abs() <= 0.1, "EM strong order {order}");
}

#[test]
fn milstein_has_strong_order_one() {
    let order = strong_order(&Milstein, &[1, 2, 3, 4, 5], 2000);
    eprintln!("Milstein strong order {order:.3}");
    assert!((order - 1.0).abs() <= 0.1, "Milstein strong order {order}");
}

#[test]
fn sriw1_has_strong_order_three_halves() {
    // Steps 2^-10 to 2^-6: coarser steps are pre-asymptotic for this stiff-noise problem
    // (local slopes 1.49, 1.54, 1.49, 1.47 here, then 1.44 and 1.33 beyond 2^-6).
    let order = strong_order(&Sriw1, &[0, 1, 2, 3, 4], 2000);
    eprintln!("SRIW1 strong order {order:.3}");
    assert!((order - 1.5).abs() <= 0.15, "SRIW1 strong order {order}");
}

/// Weak order of Euler-Maruyama: |E X_h(T) - E X(T)| with E X(T) = e^{lambda T}. The exact
/// expectation of the exact solution on the same path is e^{lambda T}, so the weak error is
/// estimated as the mean of X_h(T) - X(T) (a control variate that removes the large
/// variance of X(T) itself). 20000 paths; the standard error of each mean is at most a tenth
/// of the weak error at the finest tested step.
#[test]
fn euler_maruyama_has_weak_order_one() {
    let levels = [3, 4, 5, 6, 7];
    let errors = endpoint_errors(&EulerMaruyama, &levels, 20_000, 2);
    let weak: Vec<f64> = errors.iter().map(|e| (e.iter().sum::<f64>() / e.len() as f64).abs()).collect();
    for (e, w) in errors.iter().zip(&weak) {
        let n = e.len() as f64;
        let m = e.iter().sum::<f64>() / n;
        let se = (e.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0) / n).sqrt();
        assert!(se < 0.1 * w, "weak error {w} not resolved (se {se})");
    }
    let order = slope(&levels, &weak);
    eprintln!("Euler-Maruyama weak order {order:.3}");
    assert!((order - 1.0).abs() <= 0.2, "EM weak order {order}");
}

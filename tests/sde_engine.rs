//! The SDE engine as a whole: kT/C noise of an RC node at three temperatures, adaptive
//! SRIW1 with rejections keeping the Brownian path, bit-identical ensembles on 1 and 2
//! threads, and numerical trouble reported as errors.

use std::ops::ControlFlow;

use pbitsim::rng::Seed;
use pbitsim::sde::problems::{Coupled4, OrnsteinUhlenbeck, RcNode};
use pbitsim::sde::{
    EulerMaruyama, Heun, Method, Milstein, NoiseShape, Schedule, SdeError, Sriw1, StepControl, System, Theta,
    Tolerance, Trace, ensemble, integrate,
};

fn no_record() -> impl FnMut(f64, &[f64]) -> ControlFlow<()> {
    |_, _| ControlFlow::Continue(())
}

/// Stationary variance of an RC node (R = 100 kOhm, C = 1 fF, tau = 100 ps) equals kT/C
/// (PHYSICS.md section 3: 2.03 mV rms at 1 fF and 300 K) at 250, 300 and 350 K, within 2 %.
/// 100000 independent runs, each read after 12 tau from v = 0 (transient left: e^{-24}), with
/// the stochastic trapezoidal rule (exact stationary variance for a linear node) at h = tau/20;
/// the standard error of the variance is sqrt(2/N) = 0.45 %.
#[test]
fn rc_node_variance_is_kt_over_c() {
    for (k, temperature) in [250.0, 300.0, 350.0].into_iter().enumerate() {
        let node = RcNode { r: 1e5, c: 1e-15, temperature };
        let tau = node.tau();
        let finals = ensemble(100_000, Seed(40 + k as u64), 0, |_, rng| {
            let mut v = [0.0];
            integrate(
                &node,
                &Theta::trapezoidal(),
                &Schedule::fixed(12.0 * tau, tau / 20.0, tau),
                &mut v,
                rng,
                &mut no_record(),
            )?;
            Ok::<f64, SdeError>(v[0])
        })
        .unwrap();
        let n = finals.len() as f64;
        let var = finals.iter().map(|v| v * v).sum::<f64>() / n;
        let rel = var / node.ktc() - 1.0;
        eprintln!(
            "T = {temperature} K: <v^2> = {:.4e} V^2, kT/C = {:.4e} ({:+.2} %)",
            var,
            node.ktc(),
            100.0 * rel
        );
        assert!(rel.abs() < 0.02, "T={temperature}: {var} vs {}", node.ktc());
    }
}

/// GBM (dX = 2X dt + X dW) augmented with Y = W (dY = dW) under scalar noise, so the run
/// reports its own Brownian endpoint W(T) = Y(T) (SRIW1 integrates additive noise exactly).
struct GbmWithPath;

impl System for GbmWithPath {
    fn dim(&self) -> usize {
        2
    }
    fn noise_dim(&self) -> usize {
        1
    }
    fn noise_shape(&self) -> NoiseShape {
        NoiseShape::Scalar
    }
    fn drift(&self, _t: f64, x: &[f64], f: &mut [f64]) {
        f[0] = 2.0 * x[0];
        f[1] = 0.0;
    }
    fn diffusion(&self, _t: f64, x: &[f64], g: &mut [f64]) {
        g[0] = x[0];
        g[1] = 1.0;
    }
}

fn adaptive_runs(tol: f64, runs: usize) -> Vec<(f64, f64, u64)> {
    let schedule = Schedule {
        t0: 0.0,
        t_end: 1.0,
        dt: 0.1,
        record_every: 1.0,
        control: StepControl::Adaptive { tol: Tolerance { abs: tol, rel: tol }, dt_min: 1e-12, dt_max: 0.1 },
    };
    ensemble(runs, Seed(50), 0, |_, rng| {
        let mut x = [1.0, 0.0];
        let stats = integrate(&GbmWithPath, &Sriw1, &schedule, &mut x, rng, &mut no_record())?;
        Ok::<_, SdeError>((x[0], x[1], stats.rejected))
    })
    .unwrap()
}

/// With many rejected steps the endpoint W(1) is still N(0, 1) (rejection sampling without
/// memory would bias it towards small increments), and the error against the exact solution
/// X(1) = exp(1.5 + W(1)) shrinks as the tolerance tightens.
#[test]
fn adaptive_sri_keeps_the_brownian_path_and_converges() {
    let runs = 20_000;
    let loose = adaptive_runs(1e-2, runs);
    let rejected: u64 = loose.iter().map(|r| r.2).sum();
    assert!(rejected as f64 > 0.5 * runs as f64, "only {rejected} rejections: the test needs many");
    let n = runs as f64;
    let mean_w = loose.iter().map(|r| r.1).sum::<f64>() / n;
    let var_w = loose.iter().map(|r| r.1 * r.1).sum::<f64>() / n - mean_w * mean_w;
    // SE of the mean 1/sqrt(n), of the variance sqrt(2/n).
    assert!(mean_w.abs() < 5.0 / n.sqrt(), "E W(1) = {mean_w}");
    assert!((var_w - 1.0).abs() < 5.0 * (2.0 / n).sqrt(), "Var W(1) = {var_w}");
    let error = |runs: &[(f64, f64, u64)]| {
        runs.iter().map(|(x, w, _)| (x - (1.5 + w).exp()).abs()).sum::<f64>() / runs.len() as f64
    };
    let tight = adaptive_runs(1e-4, 4000);
    let (e_loose, e_tight) = (error(&loose), error(&tight));
    eprintln!(
        "adaptive SRIW1: {rejected} rejections in {runs} runs; mean error {e_loose:.3e} at tol 1e-2, {e_tight:.3e} at 1e-4"
    );
    assert!(e_tight < 0.1 * e_loose, "error {e_tight} at tol 1e-4 vs {e_loose} at 1e-2");
}

/// Full traces of an ensemble are bit-identical on 1 and on 2 threads, for every method.
#[test]
fn ensembles_are_bit_identical_across_thread_counts() {
    fn traces<S: System, M: Method>(sys: &S, method: &M, threads: usize) -> Vec<u64> {
        let schedule = Schedule::fixed(2.0, 0.01, 0.05);
        let runs = ensemble(16, Seed(60), threads, |_, rng| {
            let mut x = vec![0.3; sys.dim()];
            let mut trace = Trace::with_capacity(sys.dim(), schedule.record_count());
            integrate(sys, method, &schedule, &mut x, rng, &mut trace)?;
            Ok::<Trace, SdeError>(trace)
        })
        .unwrap();
        runs.iter()
            .flat_map(|t| (0..t.len()).flat_map(move |i| t.state(i).to_vec()))
            .map(f64::to_bits)
            .collect()
    }
    let general = Coupled4 { shape: NoiseShape::General };
    let diagonal = Coupled4 { shape: NoiseShape::Diagonal };
    assert_eq!(traces(&general, &EulerMaruyama, 1), traces(&general, &EulerMaruyama, 2));
    assert_eq!(traces(&general, &Heun, 1), traces(&general, &Heun, 2));
    assert_eq!(traces(&general, &Theta::implicit_euler(), 1), traces(&general, &Theta::implicit_euler(), 2));
    assert_eq!(traces(&diagonal, &Milstein, 1), traces(&diagonal, &Milstein, 2));
    assert_eq!(traces(&diagonal, &Sriw1, 1), traces(&diagonal, &Sriw1, 2));
    // And a different seed gives a different result (the comparison can fail).
    assert_ne!(traces(&general, &EulerMaruyama, 1), {
        let other = Coupled4 { shape: NoiseShape::General };
        let schedule = Schedule::fixed(2.0, 0.01, 0.05);
        ensemble(16, Seed(61), 1, |_, rng| {
            let mut x = vec![0.3; 4];
            let mut trace = Trace::with_capacity(4, schedule.record_count());
            integrate(&other, &EulerMaruyama, &schedule, &mut x, rng, &mut trace)?;
            Ok::<Trace, SdeError>(trace)
        })
        .unwrap()
        .iter()
        .flat_map(|t| (0..t.len()).flat_map(move |i| t.state(i).to_vec()))
        .map(f64::to_bits)
        .collect::<Vec<u64>>()
    });
}

/// A step far beyond the stability limit of an explicit method ends in an error with advice,
/// not in NaN data; the implicit method takes the same step.
#[test]
fn divergence_is_reported_not_written() {
    let stiff = OrnsteinUhlenbeck { tau: 1e-3, mu: 0.0, sigma: 1.0 };
    // h/tau = 100: Euler-Maruyama multiplies the state by -99 each step and overflows.
    let schedule = Schedule::fixed(100.0, 0.1, 0.1);
    let mut rng = Seed(70).stream(pbitsim::rng::Domain::Trajectory, 0);
    let mut x = [1.0];
    let err = integrate(&stiff, &EulerMaruyama, &schedule, &mut x, &mut rng, &mut no_record()).unwrap_err();
    assert!(matches!(err, SdeError::NonFinite { .. }), "{err}");
    assert!(err.to_string().contains("--dt"), "{err}");
    let mut x = [1.0];
    integrate(&stiff, &Theta::implicit_euler(), &schedule, &mut x, &mut rng, &mut no_record()).unwrap();
    assert!(x[0].is_finite());
}

/// Methods refuse noise they cannot integrate, and adaptive stepping needs an estimate.
#[test]
fn methods_refuse_unsupported_set_ups() {
    let general = Coupled4 { shape: NoiseShape::General };
    let schedule = Schedule::fixed(1.0, 0.01, 0.1);
    let mut rng = Seed(71).stream(pbitsim::rng::Domain::Trajectory, 0);
    for err in [
        integrate(&general, &Milstein, &schedule, &mut [0.0; 4], &mut rng, &mut no_record()).unwrap_err(),
        integrate(&general, &Sriw1, &schedule, &mut [0.0; 4], &mut rng, &mut no_record()).unwrap_err(),
    ] {
        assert!(matches!(err, SdeError::UnsupportedNoise { .. }), "{err}");
    }
    let adaptive = Schedule {
        control: StepControl::Adaptive { tol: Tolerance::default(), dt_min: 1e-9, dt_max: 0.1 },
        ..schedule
    };
    let err = integrate(&general, &EulerMaruyama, &adaptive, &mut [0.0; 4], &mut rng, &mut no_record())
        .unwrap_err();
    assert!(matches!(err, SdeError::NoErrorEstimate("em")), "{err}");
    let bad = Schedule::fixed(-1.0, 0.01, 0.1);
    assert!(matches!(
        integrate(&general, &EulerMaruyama, &bad, &mut [0.0; 4], &mut rng, &mut no_record()),
        Err(SdeError::Schedule(_))
    ));
}

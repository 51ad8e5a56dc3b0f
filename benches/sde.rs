//! SDE engine speed on the canonical problems (the same ones the tests use).
//!
//! - `integrators/*`: steps per second of each method on the 4-dimensional nonlinear system
//!   with general noise (methods that need diagonal noise run its diagonal variant).
//! - `ou_ensemble/*`: an Ornstein-Uhlenbeck ensemble (64 runs of 10^4 steps) on 1 and 2
//!   threads.
//!
//! Run with `cargo bench --bench sde`; criterion reports time per iteration and, through the
//! throughput setting, steps per second.

use std::hint::black_box;
use std::ops::ControlFlow;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pbitsim::rng::{Domain, Seed};
use pbitsim::sde::problems::{Coupled4, OrnsteinUhlenbeck};
use pbitsim::sde::{
    EulerMaruyama, Heun, Method, Milstein, NoiseShape, Schedule, SdeError, Sriw1, System, Theta, ensemble,
    integrate,
};

const STEPS: u64 = 10_000;

fn run<S: System, M: Method>(sys: &S, method: &M) -> f64 {
    let mut rng = Seed(1).stream(Domain::Trajectory, 0);
    let mut x = vec![0.1; sys.dim()];
    let schedule = Schedule::fixed(STEPS as f64 * 1e-3, 1e-3, 1.0);
    integrate(sys, method, &schedule, &mut x, &mut rng, &mut |_, _: &[f64]| ControlFlow::Continue(()))
        .unwrap();
    x[0]
}

fn integrators(c: &mut Criterion) {
    let general = Coupled4 { shape: NoiseShape::General };
    let diagonal = Coupled4 { shape: NoiseShape::Diagonal };
    let mut group = c.benchmark_group("integrators");
    group.throughput(Throughput::Elements(STEPS));
    group.bench_function("em_general4", |b| b.iter(|| black_box(run(&general, &EulerMaruyama))));
    group.bench_function("heun_general4", |b| b.iter(|| black_box(run(&general, &Heun))));
    group.bench_function("implicit_general4", |b| {
        b.iter(|| black_box(run(&general, &Theta::implicit_euler())))
    });
    group.bench_function("trapezoidal_general4", |b| {
        b.iter(|| black_box(run(&general, &Theta::trapezoidal())))
    });
    group.bench_function("milstein_diagonal4", |b| b.iter(|| black_box(run(&diagonal, &Milstein))));
    group.bench_function("sri_diagonal4", |b| b.iter(|| black_box(run(&diagonal, &Sriw1))));
    group.finish();
}

fn ou_ensemble(c: &mut Criterion) {
    let ou = OrnsteinUhlenbeck { tau: 1.0, mu: 0.0, sigma: 1.0 };
    let runs = 64;
    let mut group = c.benchmark_group("ou_ensemble");
    group.throughput(Throughput::Elements(runs as u64 * STEPS));
    for threads in [1, 2] {
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| {
                let finals = ensemble(runs, Seed(2), threads, |_, rng| {
                    let mut x = [0.0];
                    let schedule = Schedule::fixed(STEPS as f64 * 1e-3, 1e-3, 1.0);
                    integrate(&ou, &EulerMaruyama, &schedule, &mut x, rng, &mut |_, _: &[f64]| {
                        ControlFlow::Continue(())
                    })?;
                    Ok::<f64, SdeError>(x[0])
                })
                .unwrap();
                black_box(finals)
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = integrators, ou_ensemble
}
criterion_main!(benches);

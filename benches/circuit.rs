//! Circuit engines on the shipped p-bit (circuits/pbit.cir at 300 K, vin = 0).
//!
//! - `pbit_sde/em`: Euler-Maruyama steps per second (dt = 20 ps), no observer.
//! - `pbit_sde/em_observed`: the same with the `simulate` observer (readout, dwell times,
//!   multi-tau correlator, moments, decimated trace), as `pbitsim simulate` ran it before the
//!   step was chosen automatically.
//! - `pbit_sde/lm_controlled`: what `pbitsim simulate circuits/pbit.cir` runs now:
//!   Leimkuhler-Matthews with half the Ito correction, steps chosen by the controller (40 ps,
//!   the .tran step, for this circuit; Jacobian re-checked every 256 steps), with the
//!   observer. Elements are steps.
//! - `pbit_jump/gillespie`: exact jump-process events per second.
//!
//! Run with `cargo bench --bench circuit`.

use std::hint::black_box;
use std::ops::ControlFlow;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::Netlist;
use pbitsim::circuit::{Circuit, CircuitSde};
use pbitsim::rng::{Domain, Seed};
use pbitsim::sde::{EulerMaruyama, LeimkuhlerMatthews, Schedule, StepControl, integrate};
use pbitsim::simulate::{self, RunObserver, SimulateConfig};

fn pbit() -> Circuit {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/pbit.cir");
    let netlist = Netlist::parse_file(path, &[]).unwrap();
    Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap()
}

const STEPS: u64 = 100_000;

fn sde(c: &mut Criterion) {
    let circuit = pbit();
    let sys = CircuitSde::new(&circuit);
    let dt = 20e-12;
    let schedule = Schedule::fixed(STEPS as f64 * dt, dt, dt);
    let mut group = c.benchmark_group("pbit_sde");
    group.throughput(Throughput::Elements(STEPS));
    group.bench_function("em", |b| {
        let mut rng = Seed(1).stream(Domain::Trajectory, 0);
        b.iter(|| {
            let mut x = sys.initial_state();
            integrate(&sys, &EulerMaruyama, &schedule, &mut x, &mut rng, &mut |_, _: &[f64]| {
                ControlFlow::Continue(())
            })
            .unwrap();
            black_box(x)
        })
    });
    group.bench_function("em_observed", |b| {
        let mut rng = Seed(1).stream(Domain::Trajectory, 0);
        let progress = |_: f64| {};
        b.iter(|| {
            let mut x = sys.initial_state();
            let mut observer = RunObserver::new(
                &circuit,
                0.0,
                dt,
                STEPS as f64 * dt / 2000.0,
                STEPS as f64 * dt / 160_000.0,
                &progress,
            );
            integrate(&sys, &EulerMaruyama, &schedule, &mut x, &mut rng, &mut observer).unwrap();
            black_box(observer.finish().supply_energy)
        })
    });
    let config = SimulateConfig {
        circuit: Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/pbit.cir"),
        tstop: Some(STEPS as f64 * 40e-12),
        ..Default::default()
    };
    let prepared = simulate::prepare(&config).unwrap();
    let rule = prepared.step.sde_rule().expect("the step is chosen");
    let controlled = Schedule {
        t0: 0.0,
        t_end: prepared.tstop,
        dt: prepared.dt,
        record_every: prepared.sample(),
        control: StepControl::Controlled(rule),
    };
    group.bench_function("lm_controlled", |b| {
        let mut rng = Seed(1).stream(Domain::Trajectory, 0);
        let progress = |_: f64| {};
        b.iter(|| {
            let mut x = sys.initial_state();
            let mut observer = RunObserver::new(
                &circuit,
                0.0,
                prepared.sample(),
                prepared.record_every,
                prepared.stat_every(),
                &progress,
            );
            let stats =
                integrate(&sys, &LeimkuhlerMatthews, &controlled, &mut x, &mut rng, &mut observer).unwrap();
            assert!(
                stats.steps <= STEPS + STEPS / 10,
                "the controller left the 40 ps step: {} steps",
                stats.steps
            );
            black_box(observer.finish().supply_energy)
        })
    });
    group.finish();
}

fn jump(c: &mut Criterion) {
    let circuit = pbit();
    let mut group = c.benchmark_group("pbit_jump");
    let mut rng = Seed(2).stream(Domain::Trajectory, 0);
    let probe = pbitsim::jump::gillespie(&circuit, 2e-6, 1e-9, &mut rng, &mut |_, _: &[f64]| {
        ControlFlow::Continue(())
    })
    .unwrap();
    group.throughput(Throughput::Elements(probe.events));
    group.bench_function("gillespie", |b| {
        b.iter(|| {
            let stats = pbitsim::jump::gillespie(&circuit, 2e-6, 1e-9, &mut rng, &mut |_, _: &[f64]| {
                ControlFlow::Continue(())
            })
            .unwrap();
            black_box(stats.events)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3));
    targets = sde, jump
}
criterion_main!(benches);

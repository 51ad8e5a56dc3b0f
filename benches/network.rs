//! A chip made of transistors on the SDE engine: the 9-cell network of
//! circuits/network/grid9_ferro.toml (3 x 3 lattice, 9 p-bit cells with readouts and 24
//! synapses: 240 devices, 72 free nodes), written by the netlist writer and integrated with
//! Euler-Maruyama at its calibration step. Throughput is in device evaluations (devices x
//! steps), the figure the network speed target is stated in.
//!
//! Run with `cargo bench --bench network`.

use std::hint::black_box;
use std::ops::ControlFlow;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pbitsim::chip::ChipConfig;
use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::Netlist;
use pbitsim::circuit::{Circuit, CircuitSde};
use pbitsim::rng::{Domain, Seed};
use pbitsim::sde::{EulerMaruyama, Schedule, integrate};

fn network() -> Circuit {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = ChipConfig::from_file(&root.join("circuits/network/grid9_ferro.toml"), &[]).unwrap();
    let dir = root.join("target").join("bench-network");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("grid9_ferro.cir");
    pbitsim::netlist_writer::write(&config, &out, 1).unwrap();
    let netlist = Netlist::parse_file(&out, &[]).unwrap();
    Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap()
}

const STEPS: u64 = 20_000;

fn sde(c: &mut Criterion) {
    let circuit = network();
    let sys = CircuitSde::new(&circuit);
    let dt = 40e-12;
    let schedule = Schedule::fixed(STEPS as f64 * dt, dt, dt);
    let mut group = c.benchmark_group("network9_sde");
    group.throughput(Throughput::Elements(STEPS * circuit.devices.len() as u64));
    group.bench_function("em_device_evaluations", |b| {
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
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(5));
    targets = sde
}
criterion_main!(benches);

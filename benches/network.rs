//! A chip made of transistors on the SDE engine: the 9-cell network of
//! circuits/network/grid9_ferro.toml (3 x 3 lattice, 9 p-bit cells with readouts and 24
//! synapses: 240 devices, 72 free nodes) and the 4-cell K4 of k4_ferro.toml (12 synapses),
//! written by the netlist writer and integrated at a fixed 20 ps step with Euler-Maruyama and
//! with the default Leimkuhler-Matthews method. Throughput is in device evaluations (devices x
//! steps), the figure the network speed target is stated in; the two sizes show the step cost
//! per device staying flat (linear in devices).
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
use pbitsim::sde::{EulerMaruyama, LeimkuhlerMatthews, Method, Schedule, integrate};

fn network(name: &str) -> Circuit {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = ChipConfig::from_file(&root.join(format!("circuits/network/{name}.toml")), &[]).unwrap();
    let dir = root.join("target").join("bench-network");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("{name}.cir"));
    pbitsim::netlist_writer::write(&config, &out, 1).unwrap();
    let netlist = Netlist::parse_file(&out, &[]).unwrap();
    Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap()
}

const STEPS: u64 = 20_000;

fn run<M: Method>(c: &mut Criterion, name: &str, method_name: &str, method: M) {
    let circuit = network(name);
    let sys = CircuitSde::new(&circuit);
    let dt = 20e-12;
    let schedule = Schedule::fixed(STEPS as f64 * dt, dt, dt);
    let mut group = c.benchmark_group(format!("{name}_sde"));
    group.throughput(Throughput::Elements(STEPS * circuit.devices.len() as u64));
    group.bench_function(format!("{method_name}_device_evaluations"), |b| {
        let mut rng = Seed(1).stream(Domain::Trajectory, 0);
        b.iter(|| {
            let mut x = sys.initial_state();
            integrate(&sys, &method, &schedule, &mut x, &mut rng, &mut |_, _: &[f64]| {
                ControlFlow::Continue(())
            })
            .unwrap();
            black_box(x)
        })
    });
    group.finish();
}

fn sde(c: &mut Criterion) {
    for name in ["grid9_ferro", "k4_ferro"] {
        run(c, name, "em", EulerMaruyama);
        run(c, name, "lm", LeimkuhlerMatthews);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(5));
    targets = sde
}
criterion_main!(benches);

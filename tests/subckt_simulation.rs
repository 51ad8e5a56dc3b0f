//! Subcircuits simulate as the circuit they flatten to: two p-bit instances run bit for bit
//! as the same circuit written out flat by hand (same seed, both engines). (Hierarchical
//! readouts and `--set` through `pbitsim simulate` are in `tests/cli_simulate.rs`.)

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::Netlist;
use pbitsim::circuit::{Circuit, CircuitSde};
use pbitsim::rng::{Domain, Seed};
use pbitsim::sde::{EulerMaruyama, Schedule, integrate};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/netlists/subckt").join(name)
}

fn build(path: &Path) -> Circuit {
    let netlist = Netlist::parse_file(path, &[]).unwrap_or_else(|e| panic!("{e}"));
    Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap()
}

/// An observer appending the time and state, as raw bits, to `rows`.
fn record(rows: &mut Vec<u64>) -> impl FnMut(f64, &[f64]) -> ControlFlow<()> + '_ {
    move |t: f64, x: &[f64]| {
        rows.push(t.to_bits());
        rows.extend(x.iter().map(|v| v.to_bits()));
        ControlFlow::Continue(())
    }
}

/// Every recorded state of one run of each engine, as raw bits.
fn trajectories(circuit: &Circuit, seed: u64) -> (Vec<u64>, Vec<u64>) {
    let mut sde_rows = Vec::new();
    let sys = CircuitSde::new(circuit);
    let mut x = sys.initial_state();
    let mut rng = Seed(seed).stream(Domain::Trajectory, 0);
    integrate(
        &sys,
        &EulerMaruyama,
        &Schedule::fixed(200e-9, 40e-12, 1e-9),
        &mut x,
        &mut rng,
        &mut record(&mut sde_rows),
    )
    .unwrap();
    let mut jump_rows = Vec::new();
    let mut rng = Seed(seed).stream(Domain::Trajectory, 1);
    pbitsim::jump::gillespie(circuit, 100e-9, 1e-9, &mut rng, &mut record(&mut jump_rows)).unwrap();
    (sde_rows, jump_rows)
}

#[test]
fn two_instances_simulate_bit_for_bit_as_the_flat_circuit() {
    let (hierarchical, flat) = (build(&fixture("two_pbits.cir")), build(&fixture("two_pbits_flat.cir")));
    assert_eq!(hierarchical.free_names, ["x1.a", "x1.b", "x2.a", "x2.b"]);
    assert_eq!(flat.free_names, ["a1", "b1", "a2", "b2"]);
    assert_eq!(hierarchical.fixed_voltages, flat.fixed_voltages);
    assert_eq!(hierarchical.capacitance, flat.capacitance);
    let names: Vec<&str> = hierarchical.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(&names[..3], ["x1.mp1", "x1.mn1", "x1.mp2"], "devices carry their hierarchical names");
    for (h, f) in hierarchical.devices.iter().zip(&flat.devices) {
        assert_eq!(
            (&h.kind, &h.terminals, &h.dv),
            (&f.kind, &f.terminals, &f.dv),
            "{} vs {}",
            h.name,
            f.name
        );
    }
    assert_eq!(
        hierarchical.outputs.iter().map(|o| &o.kind).collect::<Vec<_>>(),
        flat.outputs.iter().map(|o| &o.kind).collect::<Vec<_>>()
    );
    let (h, f) = (trajectories(&hierarchical, 7), trajectories(&flat, 7));
    // Rows: time, four node voltages, supply energy.
    assert!(h.0.len() == 201 * 6 && h.1.len() == 101 * 6, "{} {}", h.0.len(), h.1.len());
    assert!(h.0 == f.0, "SDE runs differ");
    assert!(h.1 == f.1, "jump runs differ");
    // And they do move: the p-bits are not stuck at their starting voltages.
    assert!(h.0.chunks(6).map(|row| row[1]).collect::<std::collections::HashSet<_>>().len() > 100);
}

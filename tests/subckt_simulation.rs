//! Subcircuits simulate as the circuit they flatten to: two p-bit instances run bit for bit
//! as the same circuit written out flat by hand (same seed, both engines); hierarchical
//! readouts and `--set` of instance parameters work through `pbitsim simulate`.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;

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

fn pbitsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pbitsim")).args(args).output().expect("run pbitsim")
}

fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target").join("cli-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `.output` on hierarchical nodes (an internal node, a port named through its instance) and
/// `--set` of an instance parameter and a subcircuit default, through the command line: the
/// node means follow the sources the parameters set (RC nodes at equilibrium sit at the
/// source voltage; SE of the mean about 0.5 mV here).
#[test]
fn hierarchical_outputs_and_set_through_the_command_line() {
    let dir = scratch("subckt_set");
    let summary = dir.join("s.json");
    let result = pbitsim(&[
        "simulate",
        fixture("rc_cells.cir").to_str().unwrap(),
        "--set",
        "x2.v0=-20m",
        "--set",
        "X1.R=2meg",
        "--summary",
        summary.to_str().unwrap(),
        "--runs",
        "4",
        "--seed",
        "5",
        "--quiet",
    ]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let mean = |output: &str| s["outputs"][output]["mean"].as_f64().unwrap();
    assert!((mean("va") - 10e-3).abs() < 3e-3, "va {}", mean("va"));
    assert!((mean("vmid") + 20e-3).abs() < 3e-3, "vmid {}", mean("vmid"));
    for node in ["a", "b", "x1.mid", "x2.mid"] {
        assert!(s["nodes"][node]["std"].is_f64(), "node {node} missing from {}", s["nodes"]);
    }
    // A --set of an instance that does not exist fails before any work, writing nothing.
    std::fs::remove_file(&summary).unwrap();
    let result = pbitsim(&[
        "simulate",
        fixture("rc_cells.cir").to_str().unwrap(),
        "--set",
        "x3.v0=1",
        "--summary",
        summary.to_str().unwrap(),
        "--quiet",
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success());
    assert!(
        stderr.contains("x3.v0")
            && stderr.contains("no subcircuit instance 'x3'")
            && stderr.contains("x1, x2"),
        "{stderr}"
    );
    assert!(!summary.exists());
}

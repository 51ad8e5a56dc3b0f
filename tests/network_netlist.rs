//! `pbitsim netlist`: a chip description written out as transistors.
//!
//! - A 64-cell lattice (8 x 8 torus, degree 4, with fields and mismatch): one cell instance
//!   per node in cell order, one synapse per directed edge (256) wired from the neighbour's
//!   readout, `.output bit s<i>` in cell order, each bias V0 + g h_i - delta_i with the
//!   mismatch offsets the behavioural chip draws for the same seed, and weights whose
//!   calibrated input shift is g |J| (read back from the written text and the calibration
//!   file, not from the writer's structures).
//! - The shipped four-cell example: the sign of each coupling is the wiring (qb, q for
//!   J > 0; q, qb for J < 0), the written netlist elaborates into a circuit with a bit output
//!   per cell, and the command line writes it atomically.
//! - Refusals: a description without the circuits, with PTAT compensation, or with a coupling
//!   beyond the calibrated weights fails naming what to change, and writes nothing.

mod scratch;

use std::path::{Path, PathBuf};
use std::process::Command;

use pbitsim::calibration::{Calibration, CellKind, CouplingCalibration};
use pbitsim::cell::{Coupling, PbitCell};
use pbitsim::chip::ChipConfig;
use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::Netlist;
use pbitsim::circuit::{Circuit, OutputKind};
use scratch::Scratch;

fn circuits() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("circuits")
}

/// A chip description in `dir` using the shipped cell and synapse.
fn description(dir: &Path, body: &str) -> PathBuf {
    let c = circuits();
    let text = format!(
        "{body}\n[cells]\nkind = \"pbit\"\ncalibration = \"{cal}\"\ntemperature = \"300K\"\ncircuit = \"{cell}\"\n\
         mismatch = \"1m\"\n[couplings]\ncircuit = \"{syn}\"\ncalibration = \"{syncal}\"\n",
        cal = c.join("cells/pbit_cell_calibration.json").display(),
        cell = c.join("cells/pbit_cell.cir").display(),
        syn = c.join("cells/synapse.cir").display(),
        syncal = c.join("cells/synapse_calibration.json").display(),
    );
    let path = dir.join("chip.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `(name, nodes, parameter value)` of every `X` line of a netlist text.
fn instances(text: &str, prefix: &str, parameter: &str) -> Vec<(String, Vec<String>, f64)> {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| {
            let code = l.split(';').next().unwrap();
            let tokens: Vec<&str> = code.split_whitespace().collect();
            let at = tokens.iter().position(|t| *t == "params:").unwrap();
            let value = tokens[at + 1].strip_prefix(&format!("{parameter}=")).unwrap().parse().unwrap();
            (tokens[0].to_string(), tokens[1..at - 1].iter().map(|s| s.to_string()).collect(), value)
        })
        .collect()
}

#[test]
fn a_64_cell_lattice_is_one_cell_per_node_and_one_synapse_per_directed_edge() {
    let dir = Scratch::new("netlist", "lattice");
    let chip = description(
        &dir.0,
        "[lattice]\nsize = [8, 8]\nboundary = \"torus\"\ndegree = 4\n[model]\nkind = \"ising\"\nbeta = 0.4\ncoupling = 0.5\nfield = 0.1",
    );
    let out = dir.path("net.cir");
    let config = ChipConfig::from_file(&chip, &[]).unwrap();
    pbitsim::netlist_writer::write(&config, &out, 3).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let cells = instances(&text, "Xc", "bias");
    let synapses = instances(&text, "Xs", "w");
    assert_eq!(cells.len(), 64);
    assert_eq!(synapses.len(), 256, "128 undirected edges, two synapses each");
    for (i, (name, nodes, _)) in cells.iter().enumerate() {
        assert_eq!(name, &format!("Xc{i}"));
        assert_eq!(nodes, &[format!("in{i}"), format!("inb{i}"), format!("q{i}"), format!("qb{i}")]);
    }
    // Every synapse carries cell j's readout into cell i's input, positive coupling: qb, q.
    let mut directed = std::collections::BTreeSet::new();
    for (name, nodes, _) in &synapses {
        let (i, j) = name[2..].split_once('_').unwrap();
        assert_eq!(nodes, &[format!("in{i}"), format!("inb{i}"), format!("qb{j}"), format!("q{j}")]);
        directed.insert((i.parse::<usize>().unwrap(), j.parse::<usize>().unwrap()));
    }
    assert_eq!(directed.len(), 256);
    assert!(directed.iter().all(|&(i, j)| directed.contains(&(j, i))));
    // Outputs in cell order.
    let outputs: Vec<&str> = text.lines().filter(|l| l.starts_with(".output")).collect();
    for (i, line) in outputs.iter().enumerate() {
        assert!(line.starts_with(&format!(".output bit s{i} V(q{i}) V(qb{i})")), "{line}");
    }
    // Biases and weights against the calibrations, independently of the writer.
    let cell = PbitCell::from_calibration(
        &Calibration::load(&circuits().join("cells/pbit_cell_calibration.json"), CellKind::Pbit).unwrap(),
        300.0,
    )
    .unwrap();
    let gain = 2.0 * 0.4 * cell.vs;
    let offsets =
        pbitsim::cell::offsets(64, 1e-3, pbitsim::rng::Seed(3).child(pbitsim::rng::Domain::Parameters, 0));
    for (i, (_, _, bias)) in cells.iter().enumerate() {
        let expected = cell.v0 + gain * 0.1 - offsets[i];
        assert!((bias - expected).abs() < 1e-9, "cell {i}: bias {bias} vs {expected}");
    }
    let coupling = Coupling::from_calibration(
        &CouplingCalibration::load(&circuits().join("cells/synapse_calibration.json")).unwrap(),
        300.0,
    )
    .unwrap();
    for (name, _, w) in &synapses {
        let jv = coupling.coupling_v(*w).unwrap();
        // the weight is written to 10 significant digits, and d ln J_v / dw is about 40 / V
        assert!((jv / (gain * 0.5) - 1.0).abs() < 1e-7, "{name}: J_v {jv} vs {}", gain * 0.5);
    }
    // And it is a circuit: 64 * 8 free nodes, 64 * 16 + 256 * 4 devices, 64 bit outputs.
    let netlist = Netlist::parse_file(&out, &[]).unwrap();
    let circuit = Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap();
    assert_eq!(circuit.free_count(), 64 * 8);
    assert_eq!(circuit.devices.len(), 64 * 16 + 256 * 4);
    assert!(circuit.outputs.iter().all(|o| matches!(o.kind, OutputKind::Bit { .. })));
}

#[test]
fn the_four_cell_example_is_wired_by_sign_and_written_by_the_command() {
    let dir = Scratch::new("netlist", "net4");
    let out = dir.path("net4.cir");
    let run = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
        .args([
            "netlist",
            circuits().join("pbit_net4.toml").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(dir.entries(), ["net4.cir"], "nothing but the netlist");
    let text = std::fs::read_to_string(&out).unwrap();
    let edges = std::fs::read_to_string(circuits().join("pbit_net4_edges.csv")).unwrap();
    let synapses = instances(&text, "Xs", "w");
    let mut count = 0;
    for line in edges.lines().skip(1) {
        let v: Vec<&str> = line.split(',').collect();
        let (i, j, coupling): (usize, usize, f64) =
            (v[0].parse().unwrap(), v[1].parse().unwrap(), v[2].parse().unwrap());
        for (to, from) in [(i, j), (j, i)] {
            let (_, nodes, _) = synapses.iter().find(|s| s.0 == format!("Xs{to}_{from}")).unwrap();
            let drive = if coupling > 0.0 {
                [format!("qb{from}"), format!("q{from}")]
            } else {
                [format!("q{from}"), format!("qb{from}")]
            };
            assert_eq!(nodes[2..], drive, "synapse {to} <- {from}, J = {coupling}");
            count += 1;
        }
    }
    assert_eq!(count, synapses.len());
    let netlist = Netlist::parse_file(&out, &[]).unwrap();
    let circuit = Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap();
    let names: Vec<&str> = circuit.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["s0", "s1", "s2", "s3"]);
}

#[test]
fn descriptions_a_netlist_cannot_realise_are_refused_with_the_fix() {
    let dir = Scratch::new("netlist", "refused");
    let out = dir.path("net.cir");
    let graph = "[lattice]\nsize = [4, 4]\ndegree = 4\n[model]\nkind = \"ising\"\nbeta = 0.5\ncoupling = 1.0";
    let cases: [(&str, &str, &str); 3] = [
        ("compensation", "cells.compensation=true", "compensation"),
        ("strong", "model.beta=20", "outside the calibrated"),
        ("no circuit", "couplings.circuit=\"missing.cir\"", "missing.cir"),
    ];
    let chip = description(&dir.0, graph);
    for (what, set, expected) in cases {
        let run = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
            .args(["netlist", chip.to_str().unwrap(), "--out", out.to_str().unwrap(), "--set", set])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{what}: should fail");
        assert!(stderr.contains(expected), "{what}: {stderr}");
        assert!(!out.exists(), "{what}: no netlist written");
    }
}

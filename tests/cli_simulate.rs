//! `pbitsim simulate` as a user runs it: shipped circuits produce every output; bad input
//! gives a message with file, line and token, a non-zero exit, and no output file.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pbitsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pbitsim")).args(args).output().expect("run pbitsim")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const CARDS: &str = ".include ../../../models/ideal_n.toml\n";

/// Each bad netlist must fail naming the file, the line and the token, and leave nothing but
/// itself in its directory.
#[test]
fn bad_input_fails_cleanly() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("unknown_element", "Q1 a b c npn\nC1 a 0 1f\n", ":2", "Q1"),
        ("unknown_directive", "C1 a 0 1f\n.frobnicate 3\n", ":3", ".frobnicate"),
        ("missing_node", "C1 a 0 1f\nR1 a\n", ":3", "R1"),
        ("malformed_value", "C1 a 0 1.2.3f\n", ":2", "1.2.3f"),
        ("unknown_model", "M1 a a 0 0 nosuchfet W=1u L=1u\nC1 a 0 1f\n", ":2", "nosuchfet"),
        ("negative_capacitance", "R1 a 0 1k\nC1 a 0 -1f\n", ":3", "C1"),
        ("zero_capacitance", "R1 a 0 1k\nC1 a 0 0\n", ":3", "C1"),
        ("no_capacitance", &format!("{CARDS}V1 g 0 0.1\nM1 a g 0 0 ideal_n W=1u L=1u\n"), ":4", "'a'"),
        ("include_loop", ".include loop.cir\nC1 a 0 1f\n", "loop.cir", "loop"),
    ];
    for (name, body, line, token) in cases {
        let dir = common::cli_scratch(name);
        let netlist = dir.join("bad.cir");
        std::fs::write(&netlist, format!("bad circuit\n{body}.tran 1p 1n\n.output analog v V(a)\n")).unwrap();
        if *name == "include_loop" {
            std::fs::write(dir.join("loop.cir"), ".include bad.cir\n").unwrap();
        }
        let (out, plot, summary) = (dir.join("t.csv"), dir.join("p.svg"), dir.join("s.json"));
        let result = pbitsim(&[
            "simulate",
            netlist.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--plot",
            plot.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
            "--quiet",
        ]);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{name}: succeeded");
        assert!(stderr.contains("bad.cir") || stderr.contains("loop.cir"), "{name}: no file in: {stderr}");
        assert!(stderr.contains(line), "{name}: no line {line} in: {stderr}");
        assert!(stderr.contains(token), "{name}: no token {token} in: {stderr}");
        let left: Vec<String> =
            files_in(&dir).into_iter().filter(|f| f != "bad.cir" && f != "loop.cir").collect();
        assert!(left.is_empty(), "{name}: left {left:?}");
    }
}

/// A --set of a parameter the netlist does not define is refused, naming it.
#[test]
fn set_of_unknown_parameter_fails() {
    let dir = common::cli_scratch("unknown_set");
    let summary = dir.join("s.json");
    let result = pbitsim(&[
        "simulate",
        root().join("circuits/rc.cir").to_str().unwrap(),
        "--set",
        "nosuch=1",
        "--summary",
        summary.to_str().unwrap(),
        "--quiet",
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success());
    assert!(stderr.contains("nosuch") && stderr.contains("rc.cir"), "{stderr}");
    assert!(files_in(&dir).is_empty());
}

/// An empty or all-comment netlist is refused, naming the file, before anything is written.
#[test]
fn netlist_without_elements_is_refused() {
    let dir = common::cli_scratch("no_elements");
    for (name, text) in [("empty.cir", ""), ("comments.cir", "title\n* nothing here\n.tran 1p 1n\n.end\n")] {
        std::fs::write(dir.join(name), text).unwrap();
        let result = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
            .args(["simulate", name, "--quiet", "--out", "trace.npy"])
            .current_dir(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{name}");
        assert!(stderr.contains(name) && stderr.contains("no elements"), "{stderr}");
        std::fs::remove_file(dir.join(name)).unwrap();
    }
    assert!(files_in(&dir).is_empty());
}

/// Bad flags fail before any work: an output format pbitsim cannot write, a temperature
/// without a unit or outside 1-1000 K, a negative or zero duration.
#[test]
fn bad_flags_fail_before_running() {
    let dir = common::cli_scratch("bad_flags");
    let rc = root().join("circuits/rc.cir");
    for (args, token) in [
        (vec!["--out", "trace.txt"], "trace.txt"),
        (vec!["--plot", "plot.pdf"], "plot.pdf"),
        (vec!["--temp", "300"], "300"),
        (vec!["--tstop", "10 parsecs"], "parsecs"),
        (vec!["--engine", "quantum"], "quantum"),
        (vec!["--temp", "1e9K"], "1e9K"),
        (vec!["--temp", "0.5K"], "0.5K"),
        (vec!["--record-every=-1n"], "-1n"),
        (vec!["--tstop", "0"], "positive time"),
        (vec!["--dt=-1p"], "-1p"),
        (vec!["--warmup=-5n"], "zero or a positive time"),
    ] {
        let mut full = vec!["simulate", rc.to_str().unwrap(), "--quiet"];
        full.extend(args);
        let result =
            Command::new(env!("CARGO_BIN_EXE_pbitsim")).args(&full).current_dir(&dir).output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{full:?}");
        assert!(stderr.contains(token), "{full:?}: {stderr}");
    }
    assert!(files_in(&dir).is_empty());
}

/// The shipped p-bit runs and writes a trace, a plot and a summary with the documented keys.
#[test]
fn shipped_pbit_writes_every_output() {
    let dir = common::cli_scratch("pbit_outputs");
    let (out, plot, summary) = (dir.join("trace.npy"), dir.join("trace.png"), dir.join("summary.json"));
    let result = pbitsim(&[
        "simulate",
        root().join("circuits/pbit.cir").to_str().unwrap(),
        "--tstop",
        "2u",
        "--runs",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    assert_eq!(files_in(&dir), vec!["summary.json", "trace.npy", "trace.png"]);
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert!((s["temperature_k"].as_f64().unwrap() - 300.0).abs() < 1e-9);
    assert_eq!(s["engine"], "sde");
    for node in ["a", "b"] {
        assert!(s["nodes"][node]["mean"].is_f64() && s["nodes"][node]["std"].is_f64());
    }
    let out_summary = &s["outputs"]["out"];
    let p: Vec<f64> =
        out_summary["probabilities"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(p.len(), 2);
    assert!((p[0] + p[1] - 1.0).abs() < 1e-9);
    assert!(out_summary["correlation_time_s"].is_f64() || out_summary["correlation_time_s"].is_null());
    assert!(out_summary["switching_rate_hz"].is_f64());
    assert!(s["energy"]["supply_j"].as_f64().unwrap() > 0.0);
    assert!(s["energy"].get("per_sample_j").is_some());
    // The NPY header declares the row count. The default record interval, tstop / 20000 =
    // 100 ps, is rounded to the nearest whole number of .tran steps (40 ps; 2.5 -> 3): 120 ps,
    // so each run of 50001 observations keeps 16667 rows; 2 runs, records of 6 named fields.
    let bytes = std::fs::read(&out).unwrap();
    let header = String::from_utf8_lossy(&bytes[10..256]);
    assert!(header.contains("'shape': (33334,)"), "{header}");
    assert!(
        header.contains(
            "[('run', '<f8'), ('time_s', '<f8'), ('v(a)', '<f8'), ('v(b)', '<f8'), ('out', '<f8'), ('supply_energy_j', '<f8')]"
        ),
        "{header}"
    );
}

/// `.output` on hierarchical nodes (an internal node, a port named through its instance) and
/// `--set` of an instance parameter and a subcircuit default, through the command line: the
/// node means follow the sources the parameters set (RC nodes at equilibrium sit at the
/// source voltage; SE of the mean about 0.5 mV here).
#[test]
fn hierarchical_outputs_and_set_through_the_command_line() {
    let dir = common::cli_scratch("subckt_set");
    let summary = dir.join("s.json");
    let result = pbitsim(&[
        "simulate",
        root().join("tests/netlists/subckt/rc_cells.cir").to_str().unwrap(),
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
        root().join("tests/netlists/subckt/rc_cells.cir").to_str().unwrap(),
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

/// A command that fails on one output replaces none: an existing trace survives a plot path
/// in a missing directory, the failure comes before the simulation, and nothing is left over.
#[test]
fn failing_output_replaces_nothing() {
    let dir = common::cli_scratch("replaces_nothing");
    std::fs::write(dir.join("trace.npy"), "old").unwrap();
    let rc = root().join("circuits/rc.cir");
    let result = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
        .args(["simulate", rc.to_str().unwrap(), "--quiet", "--out", "trace.npy", "--plot", "nodir/plot.svg"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success());
    assert!(stderr.contains("nodir/plot.svg"), "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.join("trace.npy")).unwrap(), "old");
    assert_eq!(files_in(&dir), vec!["trace.npy".to_string()]);
}

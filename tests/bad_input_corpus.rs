//! The bad-input corpus (issue 14): inputs a hostile or careless user gives each command,
//! one row per case. Every case runs the built binary in a fresh directory holding only its
//! setup files and a few pre-existing "outputs", and asserts that
//! - the command fails with exit code 1 or 2 (never 0, never an abort or a signal, never a
//!   hang: a case is killed after `LIMIT`);
//! - the message holds the case's fragments (the file, line or token, the key, what was
//!   expected) and stays short;
//! - nothing was written: the directory lists exactly what was there before, and every
//!   pre-existing file has its bytes and its modification time.
//!
//! Paths in the table are relative to the case's directory; `@C` stands for the shipped
//! `circuits/` directory, `@BIG` for a 10 MB token. Cases already covered elsewhere are not
//! repeated here: netlist syntax (tests/netlist_errors.rs, tests/cli_simulate.rs), the study
//! keys there (tests/study.rs), a 10 MB netlist token (tests/cli_messages.rs).

mod scratch;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use scratch::Scratch;

/// Longest a case may run: every case must be refused before any real work.
const LIMIT: Duration = Duration::from_secs(20);

/// What a pre-existing output holds; it must still hold it afterwards.
const PREVIOUS: &str = "previous output, must survive\n";

struct Case {
    /// Class of issue 14 (or "own"), then a short name.
    class: &'static str,
    name: &'static str,
    /// Files written before the run: (path, contents).
    files: &'static [(&'static str, &'static str)],
    /// Pre-existing outputs (written with `PREVIOUS`, dated in the past).
    keep: &'static [&'static str],
    args: &'static [&'static str],
    /// Fragments the message must contain.
    expect: &'static [&'static str],
    /// Fragments it must not contain.
    refuse: &'static [&'static str],
}

const fn case(
    class: &'static str,
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    keep: &'static [&'static str],
    args: &'static [&'static str],
    expect: &'static [&'static str],
) -> Case {
    Case { class, name, files, keep, args, expect, refuse: &[] }
}

// ---- setup files ----

/// A three-cell chain of ideal cells on a graph.
const GRAPH: &str = "[graph]\nedges = \"edges.csv\"\n[model]\nkind = \"ising\"\nbeta = 0.5\n\
                     [cells]\nkind = \"ideal\"\n[schedule]\nwarmup = 10\nsweeps = 20\n";
const GRAPH_FIELDS: &str = "[graph]\nedges = \"edges.csv\"\nfields = \"fields.csv\"\n[model]\n\
                            kind = \"ising\"\nbeta = 0.5\n[cells]\nkind = \"ideal\"\n[schedule]\n\
                            warmup = 10\nsweeps = 20\n";
const EDGES: &str = "i,j,J\n0,1,0.5\n1,2,0.5\n";
/// A lattice big enough that sampling it would take minutes.
const BIG_LATTICE: &str = "[lattice]\nsize = [512, 512]\ndegree = 4\n[model]\nkind = \"ising\"\n\
                           beta = 0.44\n[cells]\nkind = \"ideal\"\n[schedule]\nwarmup = 100000\n\
                           sweeps = 1000000\n";
/// p-bit cells with a negative mismatch.
const NEGATIVE_MISMATCH: &str = "[lattice]\nsize = [8, 8]\ndegree = 4\n[model]\nkind = \"ising\"\n\
                                 beta = 0.5\n[cells]\nkind = \"pbit\"\n\
                                 calibration = \"@C/pbit_calibration.json\"\ntemperature = \"300K\"\n\
                                 design_temperature = \"300K\"\nmismatch = \"-2m\"\n[schedule]\n\
                                 warmup = 10\nsweeps = 20\n";
const TRAIN_BAD: &str = "[train]\nseed = 1\nsteps = 10\nbatch = 4\nchains = 4\nsweeps = 2\n\
                         optimizer = \"adam\"\nlearning_rate = -0.5\n[data]\nset = \"bars-and-stripes\"\n\
                         size = 3\n";

fn cases() -> Vec<Case> {
    vec![
        // ---- accepted nonsense (exit 0 and output written, before) ----
        case(
            "nonsense",
            "op of an empty netlist",
            &[("empty.cir", "")],
            &["op.json"],
            &["op", "empty.cir", "--summary", "op.json"],
            &["empty.cir", "no elements", "expected"],
        ),
        case(
            "nonsense",
            "noise of a netlist of comments only",
            &[("c.cir", "title\n* nothing\n.tran 1p 1n\n.end\n")],
            &["psd.svg"],
            &["noise", "c.cir", "--plot", "psd.svg"],
            &["c.cir", "no elements"],
        ),
        case(
            "nonsense",
            "chip: an edges.csv with only its header (a 0-cell chip)",
            &[("g.toml", GRAPH), ("edges.csv", "i,j,J\n")],
            &["stats.json"],
            &["chip", "g.toml", "--stats", "stats.json"],
            &["g.toml", "edges.csv", "no edges", "expected rows i,j,J"],
        ),
        case(
            "nonsense",
            "netlist: an empty edges.csv",
            &[("g.toml", GRAPH), ("edges.csv", "")],
            &["net.cir"],
            &["netlist", "g.toml", "--out", "net.cir"],
            &["g.toml", "edges.csv", "no edges"],
        ),
        case(
            "nonsense",
            "chip: a negative mismatch",
            &[("p.toml", NEGATIVE_MISMATCH)],
            &["stats.json"],
            &["chip", "p.toml", "--stats", "stats.json", "--plot-dir", "plots"],
            &["p.toml", "cells.mismatch", ">= 0"],
        ),
        case(
            "nonsense",
            "noise at 1e9 K",
            &[],
            &["noise.json"],
            &["noise", "@C/rc.cir", "--temp", "1e9K", "--summary", "noise.json"],
            &["--temp", "1e9K", "1 K to 1000 K"],
        ),
        case(
            "nonsense",
            "calibrate at 250 K and 1e9 K",
            &[],
            &["cal.json"],
            &[
                "calibrate",
                "@C/pbit.cir",
                "--sweep",
                "vin=-1m:1m:3",
                "--temps",
                "250K,1e9K",
                "--out",
                "cal.json",
            ],
            &["--temps", "1e9K", "1 K to 1000 K"],
        ),
        case(
            "nonsense",
            "simulate with a negative --record-every",
            &[],
            &["trace.csv"],
            &["simulate", "@C/rc.cir", "--record-every=-2n", "--out", "trace.csv"],
            &["--record-every", "-2n", "positive time"],
        ),
        case(
            "nonsense",
            "calibrate with a negative --max-time",
            &[],
            &["cal.json"],
            &["calibrate", "@C/pbit.cir", "--sweep", "vin=-1m:1m:3", "--max-time=-1u", "--out", "cal.json"],
            &["--max-time", "-1u", "positive time"],
        ),
        // ---- aborts instead of errors (allocation, endless run) ----
        case(
            "abort",
            "chip: an edge index of 4e9",
            &[("g.toml", GRAPH), ("edges.csv", "i,j,J\n0,4000000000,0.5\n")],
            &["stats.json"],
            &["chip", "g.toml", "--stats", "stats.json"],
            &["edges.csv:2", "4000000000", "cell index"],
        ),
        case(
            "abort",
            "chip: a field row index of 1e9",
            &[("g.toml", GRAPH_FIELDS), ("edges.csv", EDGES), ("fields.csv", "i,h\n1000000000,0.1\n")],
            &["stats.json"],
            &["chip", "g.toml", "--stats", "stats.json"],
            &["fields.csv:2", "1000000000", "cell index"],
        ),
        case(
            "abort",
            "simulate: a 1e-300 F capacitor and no .tran",
            &[("tiny.cir", "tiny\nR1 a 0 1k\nC1 a 0 1e-300\n.output analog v V(a)\n")],
            &["trace.npy"],
            &["simulate", "tiny.cir", "--out", "trace.npy"],
            &["tiny.cir:3", "1e-300", "capacitance of C1", "1e-20 F"],
        ),
        case(
            "own",
            "simulate: a chip description given for a netlist",
            &[("g.toml", GRAPH), ("edges.csv", EDGES)],
            &["trace.npy"],
            &["simulate", "g.toml", "--out", "trace.npy"],
            &["g.toml", "not a netlist", "pbitsim chip g.toml", "pbitsim netlist g.toml"],
        ),
        // ---- existing outputs clobbered by a failing command ----
        case(
            "clobber",
            "simulate: good trace and summary, plot in a missing directory",
            &[],
            &["trace.csv", "summary.json"],
            &[
                "simulate",
                "@C/rc.cir",
                "--tstop",
                "1n",
                "--out",
                "trace.csv",
                "--summary",
                "summary.json",
                "--plot",
                "nodir/plot.svg",
            ],
            &["nodir/plot.svg", "nodir", "does not exist"],
        ),
        case(
            "clobber",
            "chip: good stats and samples, plot directory under a file",
            &[("g.toml", GRAPH), ("edges.csv", EDGES)],
            &["stats.json", "samples.npy"],
            &[
                "chip",
                "g.toml",
                "--stats",
                "stats.json",
                "--samples",
                "samples.npy",
                "--plot-dir",
                "stats.json/plots",
            ],
            &["--plot-dir", "stats.json/plots"],
        ),
        case(
            "clobber",
            "calibrate: good calibration file, plot directory under a file",
            &[],
            &["cal.json"],
            &[
                "calibrate",
                "@C/pbit.cir",
                "--sweep",
                "vin=-1m:1m:3",
                "--out",
                "cal.json",
                "--plot-dir",
                "cal.json/plots",
            ],
            &["--plot-dir", "cal.json/plots"],
        ),
        // ---- output paths checked only after the work ----
        case(
            "output-path",
            "simulate: 1 s of a p-bit into a missing directory",
            &[],
            &[],
            &["simulate", "@C/pbit.cir", "--tstop", "1", "--out", "missing/trace.csv"],
            &["missing/trace.csv", "'missing'", "does not exist"],
        ),
        case(
            "output-path",
            "chip: a 512 x 512 lattice for a million sweeps into a missing directory",
            &[("big.toml", BIG_LATTICE)],
            &[],
            &["chip", "big.toml", "--samples", "missing/samples.npy"],
            &["missing/samples.npy", "does not exist"],
        ),
        case(
            "output-path",
            "calibrate: into a missing directory",
            &[],
            &[],
            &["calibrate", "@C/pbit.cir", "--sweep", "vin=-1m:1m:3", "--out", "missing/cal.json"],
            &["--out", "missing", "does not exist"],
        ),
        case(
            "output-path",
            "netlist: into a missing directory",
            &[],
            &[],
            &["netlist", "@C/pbit_net4.toml", "--out", "missing/net.cir"],
            &["--out", "missing", "does not exist"],
        ),
        case(
            "output-path",
            "op: summary into a missing directory",
            &[],
            &[],
            &["op", "@C/rc.cir", "--summary", "missing/op.json"],
            &["missing/op.json", "does not exist"],
        ),
        case(
            "output-path",
            "sweep: the demo study into a directory under a file",
            &[],
            &["file"],
            &["sweep", "@C/demo_study.toml", "--out-dir", "file/study"],
            &["--out-dir", "file/study", "cannot create"],
        ),
        case(
            "output-path",
            "train: into a directory under a file",
            &[],
            &["file"],
            &["train", "@C/train_bas3.toml", "--out-dir", "file/run"],
            &["file/run"],
        ),
        case(
            "output-path",
            "man: into a missing directory",
            &[],
            &[],
            &["man", "--out-dir", "missing"],
            &["--out-dir", "missing", "does not exist"],
        ),
        // ---- study errors found only when a point ran ----
        case(
            "study",
            "unknown [parameters] name, calibration stage",
            &[(
                "st.toml",
                "[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n[circuit]\nnetlist = \"@C/pbit.cir\"\n\
                 [parameters]\nnosuch = [\"1m\"]\n[calibration]\nsweep = \"vin=-1m:1m:3\"\n",
            )],
            &[],
            &["sweep", "st.toml", "--out-dir", "out"],
            &["st.toml:7", "parameters.nosuch", "no .param 'nosuch'"],
        ),
        case(
            "study",
            "a value that is no number in [traces] set",
            &[(
                "st.toml",
                "[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n[circuit]\nnetlist = \"@C/pbit.cir\"\n\
                 [traces]\nset = { vdd = \"3 volts\" }\n",
            )],
            &[],
            &["sweep", "st.toml", "--out-dir", "out"],
            &["st.toml:7", "traces.set.vdd", "3 volts"],
        ),
        case(
            "study",
            "an unknown key in [circuit] set",
            &[(
                "st.toml",
                "[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n[circuit]\nnetlist = \"@C/pbit.cir\"\n\
                 set = { nosuch = \"1\" }\n[traces]\n",
            )],
            &[],
            &["sweep", "st.toml", "--out-dir", "out"],
            &["st.toml:6", "circuit.set.nosuch", "defined parameters"],
        ),
        case(
            "study",
            "a negative calibration tstop",
            &[(
                "st.toml",
                "[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n[circuit]\nnetlist = \"@C/pbit.cir\"\n\
                 [calibration]\nsweep = \"vin=-1m:1m:3\"\ntstop = \"-1u\"\n",
            )],
            &[],
            &["sweep", "st.toml", "--out-dir", "out"],
            &["st.toml:8", "calibration.tstop", "-1u", "positive time"],
        ),
        case(
            "study",
            "a sweep of a parameter the netlist lacks",
            &[(
                "st.toml",
                "[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n[circuit]\nnetlist = \"@C/pbit.cir\"\n\
                 [calibration]\nsweep = \"vx=-1m:1m:3\"\n",
            )],
            &[],
            &["sweep", "st.toml", "--out-dir", "out"],
            &["st.toml:7", "calibration.sweep", "vx"],
        ),
        case(
            "study",
            "an absurd temperature in a list",
            &[(
                "st.toml",
                "[study]\nname = \"x\"\ntemperatures = [\"300K\", \"1e9K\"]\n[circuit]\n\
                 netlist = \"@C/pbit.cir\"\n[traces]\n",
            )],
            &[],
            &["sweep", "st.toml", "--out-dir", "out"],
            &["st.toml:3", "study.temperatures", "1e9K", "1 K to 1000 K"],
        ),
        case(
            "study",
            "an absurd temperature at the end of a range",
            &[(
                "st.toml",
                "[study]\nname = \"x\"\ntemperatures = { start = \"250K\", stop = \"5000K\", count = 3 }\n\
                 [circuit]\nnetlist = \"@C/pbit.cir\"\n[traces]\n",
            )],
            &[],
            &["sweep", "st.toml", "--out-dir", "out"],
            &["st.toml:3", "study.temperatures.stop", "5000K"],
        ),
        case(
            "study",
            "a chip stage whose description is missing",
            &[(
                "st.toml",
                "[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n[circuit]\nnetlist = \"@C/pbit.cir\"\n\
                 [chip]\ndescription = \"nowhere.toml\"\ncalibration = \"@C/pbit_calibration.json\"\n",
            )],
            &[],
            &["sweep", "st.toml", "--out-dir", "out"],
            &["st.toml:7", "chip.description", "nowhere.toml"],
        ),
        Case {
            refuse: &["--tstop"],
            ..case(
                "study",
                "a traces tstop of 30 years (10^19 steps)",
                &[(
                    "st.toml",
                    "[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n[circuit]\nnetlist = \"@C/pbit.cir\"\n\
                     [traces]\ntstop = \"1e9\"\n",
                )],
                &[],
                &["sweep", "st.toml", "--out-dir", "out"],
                &["st.toml", "point 0", "steps", "traces.tstop"],
            )
        },
        case(
            "study",
            "a supply of 1 GV (no operating point)",
            &[(
                "st.toml",
                "[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n[circuit]\nnetlist = \"@C/pbit.cir\"\n\
                 [traces]\nset = { vdd = \"1e9\" }\n",
            )],
            &[],
            &["sweep", "st.toml", "--out-dir", "out"],
            &["st.toml", "point 0", "pbit.cir", "operating point"],
        ),
        // ---- unclear messages ----
        case(
            "message",
            "a supply far outside the device models (was: 'adaptive step size fell to 0')",
            &[],
            &["summary.json"],
            &["simulate", "@C/pbit.cir", "--set", "vdd=5", "--tstop", "10n", "--summary", "summary.json"],
            &["pbit.cir", "not finite", "--temp", ".param", "Nothing was written"],
        ),
        case(
            "message",
            "demo into a directory under a file names the path",
            &[],
            &["file"],
            &["demo", "--out-dir", "file/demo"],
            &["--out-dir", "file/demo"],
        ),
        case(
            "message",
            "a 10 MB token in edges.csv is shortened",
            &[("g.toml", GRAPH), ("edges.csv", "i,j,J\n0,1,@BIGx\n")],
            &["stats.json"],
            &["chip", "g.toml", "--stats", "stats.json"],
            &["edges.csv:2", "characters]"],
        ),
        // ---- renamed flags: the old spelling names the new one ----
        case(
            "renamed",
            "chip --warmup",
            &[],
            &[],
            &["chip", "x.toml", "--warmup", "5"],
            &["--warmup-sweeps"],
        ),
        case("renamed", "chip --plot", &[], &[], &["chip", "x.toml", "--plot", "d"], &["--plot-dir"]),
        case(
            "renamed",
            "calibrate --plot",
            &[],
            &[],
            &["calibrate", "x.cir", "--sweep", "v=0:1:2", "--out", "c.json", "--plot", "d"],
            &["--plot-dir"],
        ),
        case("renamed", "sweep --out", &[], &[], &["sweep", "x.toml", "--out", "d"], &["--out-dir"]),
        case("renamed", "train --out", &[], &[], &["train", "x.toml", "--out", "d"], &["--out-dir"]),
        case("renamed", "demo --out", &[], &[], &["demo", "--out", "d"], &["--out-dir"]),
        case("renamed", "man --out", &[], &[], &["man", "--out", "d"], &["--out-dir"]),
        // ---- own cases ----
        case(
            "own",
            "completions for a shell clap does not know",
            &[],
            &[],
            &["completions", "tcsh"],
            &["tcsh", "possible values", "bash"],
        ),
        case(
            "own",
            "train with a negative learning rate",
            &[("t.toml", TRAIN_BAD)],
            &[],
            &["train", "t.toml", "--out-dir", "run"],
            &["t.toml:8", "learning_rate", "out of range"],
        ),
        case(
            "own",
            "train: a missing training file",
            &[],
            &[],
            &["train", "nowhere.toml", "--out-dir", "run"],
            &["nowhere.toml", "no such training file"],
        ),
        case(
            "own",
            "chip samples to a CSV",
            &[("g.toml", GRAPH), ("edges.csv", EDGES)],
            &["samples.csv"],
            &["chip", "g.toml", "--samples", "samples.csv"],
            &["--samples", "samples.csv", ".npy"],
        ),
        case(
            "own",
            "noise plot to a PDF",
            &[],
            &["psd.pdf"],
            &["noise", "@C/rc.cir", "--plot", "psd.pdf"],
            &["--plot", "psd.pdf", ".svg or .png"],
        ),
        case(
            "own",
            "calibrate with a precision of 0.7",
            &[],
            &["cal.json"],
            &[
                "calibrate",
                "@C/pbit.cir",
                "--sweep",
                "vin=-1m:1m:3",
                "--precision",
                "0.7",
                "--out",
                "cal.json",
            ],
            &["--precision", "0.7", "between 0 and 0.5"],
        ),
        case(
            "own",
            "calibrate: a sweep without a count",
            &[],
            &["cal.json"],
            &["calibrate", "@C/pbit.cir", "--sweep", "vin=-1m:1m", "--out", "cal.json"],
            &["--sweep", "vin=-1m:1m", "NAME=START:STOP:COUNT"],
        ),
        case(
            "own",
            "chip: an edge with a coupling that is no number",
            &[("g.toml", GRAPH), ("edges.csv", "i,j,J\n0,1,strong\n")],
            &["stats.json"],
            &["chip", "g.toml", "--stats", "stats.json"],
            &["edges.csv:2", "strong"],
        ),
        case(
            "own",
            "chip: an unknown key in the description",
            &[("g.toml", "[graph]\nedges = \"edges.csv\"\ncolour = \"red\"\n"), ("edges.csv", EDGES)],
            &["stats.json"],
            &["chip", "g.toml", "--stats", "stats.json"],
            &["g.toml", "colour"],
        ),
        case(
            "own",
            "op: a --set of a parameter the netlist lacks",
            &[],
            &["op.json"],
            &["op", "@C/pbit.cir", "--set", "nosuch=1", "--summary", "op.json"],
            &["nosuch", "pbit.cir"],
        ),
        case(
            "own",
            "netlist of a chip of ideal cells (no transistor cells to write)",
            &[("g.toml", GRAPH), ("edges.csv", EDGES)],
            &["net.cir"],
            &["netlist", "g.toml", "--out", "net.cir"],
            &["g.toml", "p-bit cells", "kind = \"pbit\""],
        ),
        case(
            "own",
            "report of a directory that is no study",
            &[],
            &["file"],
            &["report", "."],
            &["study.json", "pbitsim sweep"],
        ),
    ]
}

/// The case's text with `@C` replaced by the circuits directory and `@BIG` by a 10 MB token.
fn expand(text: &str) -> String {
    let text = text.replace("@C", concat!(env!("CARGO_MANIFEST_DIR"), "/circuits"));
    if text.contains("@BIG") { text.replace("@BIG", &"7".repeat(10 << 20)) } else { text }
}

/// Every file under `dir` (relative paths), sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            found.push(path.strip_prefix(dir).unwrap().display().to_string());
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Run one case; the problems found, if any.
fn run(case: &Case, index: usize) -> Vec<String> {
    let dir = Scratch::new("corpus", &index.to_string());
    for (name, text) in case.files {
        std::fs::write(dir.path(name), expand(text)).unwrap();
    }
    let past = SystemTime::now() - Duration::from_secs(86_400);
    for name in case.keep {
        let file = std::fs::File::create(dir.path(name)).unwrap();
        std::io::Write::write_all(&mut &file, PREVIOUS.as_bytes()).unwrap();
        file.set_modified(past).unwrap();
    }
    let before = listing(&dir.0);
    let args: Vec<String> = case.args.iter().map(|a| expand(a)).collect();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
        .args(&args)
        .arg("--quiet")
        .current_dir(&dir.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut problems = Vec::new();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > LIMIT {
            child.kill().unwrap();
            problems.push(format!("still running after {LIMIT:?}: killed"));
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if let Some(status) = status {
        match status.code() {
            Some(1 | 2) => {}
            Some(code) => problems.push(format!("exit code {code}, expected 1 or 2")),
            None => problems.push(format!("killed by a signal ({status})")),
        }
    }
    for fragment in case.expect {
        if !stderr.contains(fragment) {
            problems.push(format!("message lacks {fragment:?}"));
        }
    }
    for fragment in case.refuse {
        if stderr.contains(fragment) {
            problems.push(format!("message has {fragment:?}"));
        }
    }
    if stderr.len() > 2000 {
        problems.push(format!("message of {} bytes", stderr.len()));
    }
    let after = listing(&dir.0);
    if after != before {
        problems.push(format!("directory changed: {before:?} -> {after:?}"));
    }
    for name in case.keep {
        let path = dir.path(name);
        if std::fs::read(&path).ok().as_deref() != Some(PREVIOUS.as_bytes()) {
            problems.push(format!("{name} was touched"));
        }
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        if modified != Some(past) {
            problems.push(format!("{name} has a new modification time"));
        }
    }
    if problems.is_empty() {
        problems
    } else {
        vec![format!("[{}] {}: {} (stderr: {})", case.class, case.name, problems.join("; "), stderr.trim())]
    }
}

/// Every case of the corpus (collected, so that one failure shows all the others too).
#[test]
fn every_bad_input_is_refused_cleanly() {
    let cases = cases();
    let failures: Vec<String> = cases.iter().enumerate().flat_map(|(i, c)| run(c, i)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The corpus covers every class of issue 14 and every command that reads input.
#[test]
fn the_corpus_covers_every_class_and_command() {
    let cases = cases();
    for class in ["nonsense", "abort", "clobber", "output-path", "study", "message", "renamed", "own"] {
        assert!(cases.iter().any(|c| c.class == class), "no case of class {class}");
    }
    for command in [
        "simulate",
        "chip",
        "calibrate",
        "sweep",
        "demo",
        "netlist",
        "op",
        "noise",
        "train",
        "completions",
        "man",
        "report",
    ] {
        assert!(cases.iter().any(|c| c.args[0] == command), "no case of {command}");
    }
}

/// Interrupts: Ctrl-C (SIGINT) during `chip --samples` leaves neither the samples nor their
/// temporary file, and a pre-existing samples file keeps its bytes. Unix only (`kill -INT`).
#[cfg(unix)]
#[test]
fn an_interrupted_chip_run_leaves_nothing() {
    let dir = Scratch::new("corpus", "interrupt");
    // Sampling from the first sweep (no warm-up), for longer than the test waits.
    let chip = "[lattice]\nsize = [64, 64]\ndegree = 4\n[model]\nkind = \"ising\"\nbeta = 0.44\n\
                [cells]\nkind = \"ideal\"\n[schedule]\nwarmup = 0\nsweeps = 10000000\n";
    std::fs::write(dir.path("big.toml"), chip).unwrap();
    std::fs::write(dir.path("samples.npy"), PREVIOUS).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
        .args(["chip", "big.toml", "--samples", "samples.npy", "--quiet"])
        .current_dir(&dir.0)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the samples' temporary exists (the sampling has started), at most LIMIT.
    let started = Instant::now();
    while !listing(&dir.0).iter().any(|f| f.contains(".tmp-")) {
        assert!(started.elapsed() < LIMIT, "no temporary file appeared");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it was interrupted");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let stopping = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if stopping.elapsed() > Duration::from_secs(5) {
            child.kill().unwrap();
            panic!("the run did not stop within 5 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success(), "an interrupted run reported success");
    assert_eq!(listing(&dir.0), ["big.toml", "samples.npy"], "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(std::fs::read(dir.path("samples.npy")).unwrap(), PREVIOUS.as_bytes());
}

//! Checkpoints and outputs of `pbitsim train`: a run stopped and resumed (also after Ctrl-C,
//! and on another thread count) writes files byte-identical to an uninterrupted run; an
//! existing run is refused without --resume; and `pbitsim chip` reads the trained
//! edges.csv / fields.csv, sampling the trained machine's law (the probability of a data
//! pattern on the visible cells against an enumeration of the files, tests/chip_common).

mod chip_common;
mod scratch;

use pbitsim::train::{RunOptions, TrainFile, outputs, train_file};
use scratch::Scratch;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pbitsim")
}

/// A small bars-and-stripes training file in `dir` using the shipped graph.
fn small(dir: &Path, steps: u64) -> PathBuf {
    let edges = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("circuits/bas3_edges.csv");
    let path = dir.join(format!("small{steps}.toml"));
    std::fs::write(
        &path,
        format!(
            "[train]\nseed = 5\nsteps = {steps}\nbatch = 14\nchains = 8\nsweeps = 2\nlearning_rate = 0.01\n\
             init_sigma = 0.3\ncheckpoint_every = 50\n[data]\nset = \"bars-and-stripes\"\n\
             [graph]\nedges = \"{}\"\n[cells]\nkind = \"ideal\"\n",
            edges.display()
        ),
    )
    .unwrap();
    path
}

const OUTPUTS: [&str; 9] = [
    "checkpoint.json",
    "edges.csv",
    "fields.csv",
    "placement.csv",
    "chip.toml",
    "history.csv",
    "summary.json",
    "report.html",
    "train.toml",
];

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    OUTPUTS.iter().map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap())).collect()
}

fn run(file: &TrainFile, dir: &Path, options: RunOptions) {
    outputs::prepare(dir, file, options.resume).unwrap();
    train_file(file, dir, &options).unwrap();
}

#[test]
fn stopped_and_resumed_run_equals_one_run() {
    let s = Scratch::new("train-resume", "lib");
    let file = TrainFile::from_file(&small(&s.0, 300)).unwrap();
    let whole = s.path("whole");
    run(&file, &whole, RunOptions { threads: 1, ..Default::default() });
    let reference = files(&whole);
    let cut = s.path("cut");
    run(&file, &cut, RunOptions { threads: 2, stop_after: Some(120), ..Default::default() });
    assert!(cut.join("checkpoint.json").is_file() && !cut.join("edges.csv").exists());
    assert!(outputs::prepare(&cut, &file, false).unwrap_err().to_string().contains("--resume"));
    run(&file, &cut, RunOptions { threads: 2, resume: true, ..Default::default() });
    assert_eq!(files(&cut), reference, "resumed run differs from the uninterrupted one");
}

/// The probability that the visible cells 0-8 show a bars-and-stripes pattern under the
/// Ising law of edges.csv / fields.csv (beta 1), by enumeration.
fn exact_mass_on_data(dir: &Path) -> f64 {
    let rows = |f: &str| -> Vec<Vec<f64>> {
        std::fs::read_to_string(dir.join(f))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
            .collect()
    };
    // the chip stores couplings and fields as f32
    let edges: Vec<(usize, usize, f64)> =
        rows("edges.csv").iter().map(|r| (r[0] as usize, r[1] as usize, r[2] as f32 as f64)).collect();
    let h: Vec<f64> = rows("fields.csv").iter().map(|r| r[1] as f32 as f64).collect();
    let p = chip_common::exact_ising(h.len(), &edges, &h, 1.0);
    p.iter()
        .enumerate()
        .filter(|(idx, _)| is_bas(&(0..9).map(|i| idx >> i & 1 == 1).collect::<Vec<_>>()))
        .map(|(_, q)| q)
        .sum()
}

/// True for a 3 x 3 bars-and-stripes pattern (all rows constant or all columns constant).
fn is_bas(v: &[bool]) -> bool {
    let rows = (0..3).all(|r| v[3 * r] == v[3 * r + 1] && v[3 * r] == v[3 * r + 2]);
    let cols = (0..3).all(|c| v[c] == v[3 + c] && v[c] == v[6 + c]);
    rows || cols
}

/// Fraction of the samples of an .npy file (uint8 0/1, one row per sample) whose cells 0-8
/// form a bars-and-stripes pattern.
fn sampled_mass_on_data(npy: &Path, cells: usize) -> f64 {
    let bytes = std::fs::read(npy).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let start = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let rows: Vec<&[u8]> = bytes[start..].chunks(cells).collect();
    let hits = rows.iter().filter(|r| is_bas(&r[..9].iter().map(|&b| b == 1).collect::<Vec<_>>())).count();
    hits as f64 / rows.len() as f64
}

#[test]
fn cli_interrupt_resume_and_chip_reads_the_weights() {
    let s = Scratch::new("train-resume", "cli");
    let file = small(&s.0, 8000);
    let train = |out: &Path, extra: &[&str]| {
        let o = Command::new(bin())
            .args(["train", file.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--quiet"])
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let whole = s.path("whole");
    train(&whole, &["--threads", "1"]);
    // Ctrl-C once the first checkpoint is on disk, then --resume
    let cut = s.path("cut");
    let mut child = Command::new(bin())
        .args(["train", file.to_str().unwrap(), "--out-dir", cut.to_str().unwrap(), "--quiet"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !cut.join("checkpoint.json").exists() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(2));
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(!cut.join("edges.csv").exists(), "the run finished before the interruption ({status:?})");
    let refused = Command::new(bin())
        .args(["train", file.to_str().unwrap(), "--out-dir", cut.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));
    let leftovers: Vec<String> = std::fs::read_dir(&cut)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporaries left behind: {leftovers:?}");
    train(&cut, &["--resume", "--threads", "2"]);
    assert_eq!(files(&cut), files(&whole), "resumed run differs from the uninterrupted one");

    // `pbitsim chip` on the trained machine: independent runs, mean and standard error of the
    // probability that the visible cells show a data pattern, against the enumeration of the
    // written weights (5 SE)
    let runs = 8;
    let mut per_run = vec![];
    for seed in 0..runs {
        let npy = s.path(&format!("samples{seed}.npy"));
        let o = Command::new(bin())
            .args(["chip", whole.join("chip.toml").to_str().unwrap(), "--quiet", "--sweeps", "40000"])
            .args(["--seed", &seed.to_string(), "--samples", npy.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        per_run.push(sampled_mass_on_data(&npy, 13));
    }
    let exact = exact_mass_on_data(&whole);
    let mean = per_run.iter().sum::<f64>() / runs as f64;
    let se =
        (per_run.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (runs as f64 - 1.0) / runs as f64).sqrt();
    eprintln!("mass on data patterns: chip {mean:.4} +- {se:.4}, exact {exact:.4}");
    assert!(exact > 0.5, "the trained machine should favour the data ({exact})");
    assert!((mean - exact).abs() < 5.0 * se.max(1e-3), "chip {mean} +- {se}, exact {exact}");
}

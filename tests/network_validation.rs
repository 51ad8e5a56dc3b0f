//! A chip made of transistors against the behavioural chip that abstracts it (issue: a chip
//! made of transistors, item 7). The same chip description (circuits/network/) runs both
//! ways: `pbitsim netlist` + `pbitsim simulate` (transistors, SDE or jump engine) and
//! `pbitsim chip` (calibrated cells and couplings, free running, settling inputs).
//!
//! Compared, with tolerances from the runs' own standard errors:
//! - the joint law of the cells: total variation less its sampling floor below 0.03 (4
//!   cells), the floor being E[TV] of two independent estimates of one law,
//!   (1/2) sum_k sqrt(2 (se_a,k^2 + se_b,k^2) / pi);
//! - every cell's magnetisation <s_i> and every coupled pair's correlation <s_i s_j>: within
//!   0.03 (9 cells; reported for 4), each side's standard error from its own integrated
//!   autocorrelation time (Sokal), the check sized so that 0.03 is at least 3 combined SE;
//! - the integrated autocorrelation time of the magnetisation M = sum_i s_i: within 20 %.
//!   Both sides are read at the same interval (the chip's read interval times the cells'
//!   calibrated correlation time tau0, in seconds on both), and tau_int has the standard
//!   error tau sqrt(2 (2 W + 1) / N) (Sokal; window W, N reads);
//! - the supply power of the circuit against the behavioural energy model (the chip's energy
//!   per sweep over the sweep's time): within 20 %;
//! - and, reported only, the TV of each against the Boltzmann law at the intended beta
//!   (exact enumeration here), whose sources the README discusses.
//!
//! The CI case is the 4-cell ferromagnet at beta = 0.15; the long tier reruns both 4-cell
//! models at both strengths on both engines, and the 9-cell models (3 x 3 ferromagnet and
//! +-J glass) at both strengths on the SDE engine:
//! `cargo test --release --test network_validation -- --ignored --nocapture`.

mod npy;
mod scratch;

use std::path::{Path, PathBuf};
use std::process::Command;

use npy::read_npy;
use pbitsim::chip::ChipConfig;
use pbitsim::chip::observers::autocorr::{AutoCorr, integrated_time};
use scratch::Scratch;
use serde_json::Value;

fn network(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("circuits/network").join(name)
}

fn pbitsim(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_pbitsim")).args(args).arg("--quiet").output().unwrap();
    assert!(out.status.success(), "pbitsim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
}

/// A model of circuits/network at one coupling strength, and how long to run it.
struct Case {
    toml: &'static str,
    beta: f64,
    /// Simulated time per circuit run, and runs.
    tstop: &'static str,
    runs: usize,
    /// Behavioural sweeps.
    sweeps: u64,
}

/// A mean over reads with its standard error.
#[derive(Clone, Copy)]
struct Estimate {
    value: f64,
    se: f64,
}

/// What one side (circuit or chip) measured from its reads.
struct Side {
    /// <s_i> per cell, <s_i s_j> per edge (in the order of `Model::edges`).
    magnetisations: Vec<Estimate>,
    correlations: Vec<Estimate>,
    /// Integrated autocorrelation time of M = sum_i s_i, in reads.
    tau_m: Estimate,
}

/// The chip description's cells, edges (i, j, J) and timing.
struct Model {
    cells: usize,
    edges: Vec<(usize, usize, f64)>,
    /// The chip's read interval in units of the cells' correlation time.
    read_interval: f64,
}

impl Model {
    fn of(case: &Case) -> Model {
        let config =
            ChipConfig::from_file(&network(case.toml), &[format!("model.beta={}", case.beta)]).unwrap();
        let chip = config.build().unwrap();
        assert!(chip.model.fields.iter().all(|&h| h == 0.0), "the validation models have no fields");
        let mut edges = Vec::new();
        chip.topology.for_each_edge(|e, i, j| edges.push((i, j, chip.model.couplings.get(e) as f64)));
        Model { cells: chip.topology.cells(), edges, read_interval: config.schedule.read_interval }
    }
}

/// What both sides measured.
struct Outcome {
    tv: f64,
    floor: f64,
    tv_boltzmann_circuit: f64,
    tv_boltzmann_chip: f64,
    power_circuit: f64,
    power_chip: f64,
    circuit: Side,
    chip: Side,
}

fn exact_ising(n: usize, edges: &[(usize, usize, f64)], beta: f64) -> Vec<f64> {
    let w: Vec<f64> = (0..1usize << n)
        .map(|idx| {
            let s = |i: usize| if idx >> i & 1 == 1 { 1.0 } else { -1.0 };
            (beta * edges.iter().map(|&(i, j, jv)| jv * s(i) * s(j)).sum::<f64>()).exp()
        })
        .collect();
    let z: f64 = w.iter().sum();
    w.iter().map(|x| x / z).collect()
}

fn tv(p: &[f64], q: &[f64]) -> f64 {
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

/// Per run, the cells' spins at every read of the circuit's trace after `warmup` seconds.
fn circuit_reads(path: &Path, cells: usize, warmup: f64) -> Vec<Vec<Vec<f64>>> {
    let (names, size, data) = read_npy(path);
    assert_eq!(size, 8);
    let col = |name: &str| names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no {name}"));
    let (run, time) = (col("run"), col("time_s"));
    let outputs: Vec<usize> = (0..cells).map(|i| col(&format!("s{i}"))).collect();
    let width = names.len();
    let values: Vec<f64> = data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    let mut runs: Vec<Vec<Vec<f64>>> = Vec::new();
    for row in values.chunks_exact(width) {
        let r = row[run] as usize;
        if runs.len() <= r {
            runs.resize(r + 1, Vec::new());
        }
        if row[time] >= warmup {
            runs[r].push(outputs.iter().map(|&k| 2.0 * row[k] - 1.0).collect());
        }
    }
    runs
}

/// The chip's reads (one run) from its samples file.
fn chip_reads(path: &Path, cells: usize) -> Vec<Vec<Vec<f64>>> {
    let (_, size, data) = read_npy(path);
    assert_eq!(size, 1);
    vec![data.chunks_exact(cells).map(|r| r.iter().map(|&b| 2.0 * b as f64 - 1.0).collect()).collect()]
}

/// Mean of a series observed in several runs, with the standard error from each run's
/// integrated autocorrelation time (runs weighted by their length).
fn pooled(series: &[Vec<f64>]) -> (Estimate, Vec<AutoCorr>) {
    let fits: Vec<AutoCorr> = series.iter().map(|x| integrated_time(x)).collect();
    let n: Vec<f64> = series.iter().map(|x| x.len() as f64).collect();
    let total: f64 = n.iter().sum();
    let value = fits.iter().zip(&n).map(|(f, n)| f.mean * n).sum::<f64>() / total;
    let se = fits.iter().zip(&n).map(|(f, n)| (f.stderr * n).powi(2)).sum::<f64>().sqrt() / total;
    (Estimate { value, se }, fits)
}

/// Magnetisations, pair correlations and tau_int(M) of reads (per run, per read, per cell).
fn side(reads: &[Vec<Vec<f64>>], edges: &[(usize, usize, f64)], cells: usize) -> Side {
    let series = |f: &dyn Fn(&[f64]) -> f64| -> Vec<Vec<f64>> {
        reads.iter().map(|run| run.iter().map(|s| f(s)).collect()).collect()
    };
    let magnetisations = (0..cells).map(|i| pooled(&series(&|s| s[i])).0).collect();
    let correlations = edges.iter().map(|&(i, j, _)| pooled(&series(&|s| s[i] * s[j])).0).collect();
    let (_, fits) = pooled(&series(&|s| s.iter().sum()));
    // tau_int per run with Sokal's variance 2 (2 W + 1) tau^2 / N; inverse-variance mean
    let (mut num, mut den) = (0.0, 0.0);
    for (f, run) in fits.iter().zip(reads) {
        assert!(f.reliable, "the runs are too short for tau_int of M ({} reads)", run.len());
        let var = 2.0 * (2.0 * f.window as f64 + 1.0) * f.tau_int * f.tau_int / run.len() as f64;
        num += f.tau_int / var;
        den += 1.0 / var;
    }
    Side { magnetisations, correlations, tau_m: Estimate { value: num / den, se: den.sqrt().recip() } }
}

impl Outcome {
    /// Energy per independent sample of M on one side: power times 2 tau_int(M) reads of
    /// `read` seconds (J).
    fn energy_per_sample(&self, side: &Side, power: f64, read: f64) -> f64 {
        power * 2.0 * side.tau_m.value * read
    }
}

/// Runs `case` both ways with `engine` and compares.
fn compare(case: &Case, engine: &str) -> Outcome {
    let model = Model::of(case);
    let dir = Scratch::new("network", case.toml);
    let toml = network(case.toml);
    let toml = toml.to_str().unwrap();
    let beta = format!("model.beta={}", case.beta);
    let (cir, summary, trace) = (dir.path("net.cir"), dir.path("circuit.json"), dir.path("trace.npy"));
    let (stats, samples) = (dir.path("chip.json"), dir.path("samples.npy"));
    let sweeps = format!("schedule.sweeps={}", case.sweeps);
    pbitsim(&[
        "chip",
        toml,
        "--set",
        &beta,
        "--set",
        &sweeps,
        "--seed",
        "6",
        "--stats",
        stats.to_str().unwrap(),
        "--samples",
        samples.to_str().unwrap(),
    ]);
    let b = read(&stats);
    // the circuit's trace is read at the chip's read interval, in seconds
    let tau0 = b["cells_model"]["tau0_s"].as_f64().unwrap();
    let record = format!("{:e}", model.read_interval * tau0);
    pbitsim(&["netlist", toml, "--set", &beta, "--out", cir.to_str().unwrap()]);
    let runs = case.runs.to_string();
    let warmup = 1e-6;
    pbitsim(&[
        "simulate",
        cir.to_str().unwrap(),
        "--engine",
        engine,
        "--tstop",
        case.tstop,
        "--warmup",
        "1u",
        "--runs",
        &runs,
        "--seed",
        "5",
        "--summary",
        summary.to_str().unwrap(),
        "--record-every",
        &record,
        "--out",
        trace.to_str().unwrap(),
    ]);
    let c = read(&summary);
    let (p, se_p) = (floats(&c["joint"]["probabilities"]), floats(&c["joint"]["probability_se"]));
    let (q, se_q) = (floats(&b["joint"]["probabilities"]), floats(&b["joint"]["probability_se"]));
    let floor = 0.5
        * se_p
            .iter()
            .zip(&se_q)
            .map(|(a, b)| (2.0 * (a * a + b * b) / std::f64::consts::PI).sqrt())
            .sum::<f64>();
    let exact = exact_ising(model.cells, &model.edges, case.beta);
    let energy = &b["cells_model"]["energy"];
    let sweep_time = energy["updates_per_sweep"].as_f64().unwrap() * tau0;
    let circuit = side(&circuit_reads(&trace, model.cells, warmup), &model.edges, model.cells);
    let chip = side(&chip_reads(&samples, model.cells), &model.edges, model.cells);
    let outcome = Outcome {
        tv: tv(&p, &q),
        floor,
        tv_boltzmann_circuit: tv(&p, &exact),
        tv_boltzmann_chip: tv(&q, &exact),
        power_circuit: c["energy"]["power_w"].as_f64().unwrap(),
        power_chip: energy["per_sweep_j"].as_f64().unwrap() / sweep_time,
        circuit,
        chip,
    };
    let worst = |a: &[Estimate], b: &[Estimate]| {
        a.iter().zip(b).map(|(x, y)| (x.value - y.value).abs()).fold(0.0, f64::max)
    };
    let (tc, tb) = (outcome.circuit.tau_m, outcome.chip.tau_m);
    println!(
        "{} beta {} ({engine}): TV(circuit, chip) {:.4} (floor {:.4}); TV to Boltzmann: circuit {:.4}, chip {:.4}; \
         largest |dm| {:.4}, |dC| {:.4}; tau_int(M) circuit {:.3} +- {:.3}, chip {:.3} +- {:.3} reads of {:.3e} s; \
         power circuit {:.3e} W, behavioural {:.3e} W; energy per sample circuit {:.3e} J, behavioural {:.3e} J; \
         energy per independent sample of M (power x 2 tau_int(M)) circuit {:.3e} J, behavioural {:.3e} J",
        case.toml,
        case.beta,
        outcome.tv,
        outcome.floor,
        outcome.tv_boltzmann_circuit,
        outcome.tv_boltzmann_chip,
        worst(&outcome.circuit.magnetisations, &outcome.chip.magnetisations),
        worst(&outcome.circuit.correlations, &outcome.chip.correlations),
        tc.value,
        tc.se,
        tb.value,
        tb.se,
        model.read_interval * tau0,
        outcome.power_circuit,
        outcome.power_chip,
        c["energy"]["per_sample_j"].as_f64().unwrap_or(f64::NAN),
        b["energy_per_sample_j"].as_f64().unwrap_or(f64::NAN),
        outcome.energy_per_sample(&outcome.circuit, outcome.power_circuit, model.read_interval * tau0),
        outcome.energy_per_sample(&outcome.chip, outcome.power_chip, model.read_interval * tau0),
    );
    outcome
}

/// The power, the autocorrelation time of M and the energy per independent sample of M (the
/// one definition both sides share: power times 2 tau_int(M)), both models.
fn check_power_and_time(o: &Outcome) {
    let ratio = o.power_chip / o.power_circuit;
    assert!((ratio - 1.0).abs() < 0.2, "behavioural power / circuit power = {ratio}");
    let energy = (o.power_chip * o.chip.tau_m.value) / (o.power_circuit * o.circuit.tau_m.value);
    assert!(
        (energy - 1.0).abs() < 0.2,
        "behavioural / circuit energy per independent sample of M = {energy}"
    );
    let (tc, tb) = (o.circuit.tau_m, o.chip.tau_m);
    let r = tb.value / tc.value;
    // SE of the ratio from the two relative SEs; the 20 % band must be at least 2.5 of them
    let se = r * ((tc.se / tc.value).powi(2) + (tb.se / tb.value).powi(2)).sqrt();
    assert!(se < 0.08, "tau_int(M) ratio {r} has standard error {se}: run longer");
    assert!((r - 1.0).abs() < 0.2, "tau_int(M): chip / circuit = {r} +- {se}");
}

/// The 4-cell check: the joint law.
fn check_joint(o: &Outcome, floor_max: f64) {
    assert!(o.floor < floor_max, "sampling floor {} too large for the check", o.floor);
    // the observed TV is about the true TV plus the floor (when the true TV is small): the
    // excess over the floor must be below 0.03
    assert!(o.tv < 0.03 + o.floor, "TV {} (floor {})", o.tv, o.floor);
    check_power_and_time(o);
}

/// The 9-cell check: every magnetisation and pair correlation within 0.03.
fn check_moments(o: &Outcome) {
    for (what, a, b) in [
        ("magnetisation", &o.circuit.magnetisations, &o.chip.magnetisations),
        ("pair correlation", &o.circuit.correlations, &o.chip.correlations),
    ] {
        for (k, (x, y)) in a.iter().zip(b.iter()).enumerate() {
            let se = x.se.hypot(y.se);
            assert!(se < 0.01, "{what} {k}: standard error {se} too large for a 0.03 check");
            assert!(
                (x.value - y.value).abs() < 0.03,
                "{what} {k}: circuit {} chip {} (SE {se})",
                x.value,
                y.value
            );
        }
    }
    check_power_and_time(o);
}

/// CI: the 4-cell ferromagnet at the weaker coupling, on the SDE engine.
#[test]
fn four_cell_ferromagnet_transistors_match_the_behavioural_chip() {
    let case = Case { toml: "k4_ferro.toml", beta: 0.15, tstop: "300u", runs: 2, sweeps: 400_000 };
    check_joint(&compare(&case, "sde"), 0.03);
}

/// Long tier: both 4-cell models at both strengths, on the SDE and the jump engine (every
/// case is run and printed before any is checked).
///
/// Last run (2026-11-30, 21 min on two cores, with the two-stage cells and the driver
/// response of the settling sampler): every case passes on both engines, TV 0.007-0.018
/// against floors of 0.008-0.010, tau_int(M) within 0-9 % (README, "A chip made of
/// transistors").
#[test]
#[ignore]
fn four_cell_models_long() {
    let mut outcomes = Vec::new();
    for toml in ["k4_ferro.toml", "k4_glass.toml"] {
        for beta in [0.15, 0.3] {
            for engine in ["sde", "jump"] {
                let case = Case { toml, beta, tstop: "1000u", runs: 2, sweeps: 1_000_000 };
                outcomes.push(compare(&case, engine));
            }
        }
    }
    outcomes.iter().for_each(|o| check_joint(o, 0.01));
}

/// Long tier: the 3 x 3 models (ferromagnet and +-J glass) at both strengths, SDE engine.
///
/// Last run (2026-11-30, 2 x 1500 us, 52 min on two cores beside other jobs, with the
/// two-stage cells and the driver response of the settling sampler): every moment within
/// 0.03 (largest 0.021), tau_int(M) within 2-12 %, power within 1 % (README, "A chip made of
/// transistors"). At 2 x 1200 us the centre magnetisation's standard error (0.0107) was
/// above the 0.01 the check needs.
#[test]
#[ignore]
fn nine_cell_models_long() {
    let mut outcomes = Vec::new();
    for toml in ["grid9_ferro.toml", "grid9_glass.toml"] {
        for beta in [0.2, 0.35] {
            let case = Case { toml, beta, tstop: "1500u", runs: 2, sweeps: 4_000_000 };
            outcomes.push(compare(&case, "sde"));
        }
    }
    outcomes.iter().for_each(check_moments);
}

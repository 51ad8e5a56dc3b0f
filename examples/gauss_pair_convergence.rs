//! The linear-noise approximation (LNA) of the inverter pair `circuits/gauss_pair.cir` against
//! its SDE and jump runs, as the node capacitance C = ca = cb = cc grows from 20 aF to 1 fF
//! at one non-equilibrium control point (vdda = 0.1 V, vddb = 0.05 V: the nodes run at
//! different effective temperatures and circulate).
//!
//!   cargo run --release --example gauss_pair_convergence -- [OUT.png] [SCALE]
//!
//! (defaults: docs/gauss_pair_convergence.png, SCALE 1; a CSV is written beside the plot).
//! SCALE multiplies every run length (0.1 for a quick look). At SCALE 1 it takes about
//! 2.5 min of CPU (5 min wall on two shared cores), half of it the jump engine at 0.5-1 fF.
//!
//! The LNA covariance S solves A S + S A^T + D = 0 at the operating point (`pbitsim noise`,
//! PHYSICS.md 9). It keeps only the linear drift and the diffusion at the operating point;
//! the drift of a node is -2 I_0 sinh(V/U_T) / C and its shot-noise diffusion grows as
//! cosh(V/U_T), so the exact stationary law deviates from S by a relative amount of order
//! S/U_T^2 ~ q T_eff / (C U_T T), i.e. as 1/C (the jump engine adds its discreteness, of
//! the same order). Measured (docs/gauss_pair_convergence.csv): both engines lie below the
//! LNA, by 14.5 %, 11 % and 7.7 % in Var(V(a)), Cov and Var(V(b)) at 20 aF, and
//! C x deviation levels off for C >= 0.14 fF (about -4 aF / C in Var(V(a)) on the SDE: -0.4 %
//! at 1 fF). The SDE and the jump engine agree with each other within 2.2 combined standard
//! errors at every C; at C >= 0.14 fF the SDE's Var(V(a)) lies 1.3-1.8 of them below the
//! jump engine's each time, a hint of an O(q/C) difference between the Langevin and the
//! jump law that these runs do not resolve.
//!
//! Each engine makes RUNS independent runs per C, each of a fixed number of LNA correlation
//! times of node a (so the SDE's cost is the same at every C and the jump engine's grows as
//! C, its events per correlation time being ~ C U_T / q); the runs start at the operating
//! point and drop a warm-up of 50 correlation times. A run's covariance and gyration rate
//! are its own time averages; the estimate is the mean over runs and its standard error
//! the spread over runs / sqrt(RUNS). The SDE runs Leimkuhler-Matthews at --accuracy 0.1 %
//! (step bias at most 0.2 % in a variance). The measured gyration rate is taken from
//! samples h apart, so its LNA value is [e^{A h} S - S e^{A^T h}]_ba / (2 h) with A, S of
//! the LNA (`tests/linear_noise.rs` explains).

use std::path::{Path, PathBuf};

use nalgebra::DMatrix;
use pbitsim::circuit::Circuit;
use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::Netlist;
use pbitsim::noise::{NoiseAnalysis, analyse};
use pbitsim::report::plot::{Axis, Figure, LegendPosition, Panel, Series, categorical, render};
use pbitsim::simulate::{self, Engine, SimulateConfig};

/// The node capacitances: 20 aF to 1 fF, log-spaced.
const CAPS: usize = 7;
const C_MIN: f64 = 20e-18;
const C_MAX: f64 = 1e-15;
/// The control point (the netlist's defaults, written out).
const CONTROLS: [(&str, &str); 2] = [("vdda", "0.1"), ("vddb", "0.05")];
const RUNS: usize = 8;
/// Run length in LNA correlation times of node a, per engine.
const SDE_TAUS: f64 = 100_000.0;
const JUMP_TAUS: f64 = 20_000.0;
const WARMUP_TAUS: f64 = 50.0;
const SDE_ACCURACY: f64 = 0.001;
/// The quantities compared: Var(V(a)), Cov(V(a), V(b)), Var(V(b)), gyration rate.
const NAMES: [&str; 4] = ["Var(V(a))", "Cov(V(a),V(b))", "Var(V(b))", "gyration rate"];
/// Their names in the CSV.
const KEYS: [&str; 4] = ["var_a", "cov_ab", "var_b", "gyration"];

fn overrides(c: f64) -> Vec<(String, String)> {
    let mut o: Vec<(String, String)> = CONTROLS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    for name in ["ca", "cb", "cc"] {
        o.push((name.to_string(), format!("{c:e}")));
    }
    o
}

/// The LNA at the operating point, and its four quantities, the gyration rate as it is
/// measured from samples `h` apart.
fn lna(path: &Path, c: f64) -> Result<NoiseAnalysis, String> {
    let netlist = Netlist::parse_file(path, &overrides(c)).map_err(|e| e.to_string())?;
    let spec = elaborate(&netlist, None, &Default::default()).map_err(|e| e.to_string())?;
    let circuit = Circuit::build(&spec).map_err(|e| e.to_string())?;
    let op = pbitsim::op::find(&circuit, &[])?;
    let a = analyse(&circuit, op, None)?;
    if a.covariance.nodes != ["a", "b"] {
        return Err(format!("expected nodes a, b; the analysis has {:?}", a.covariance.nodes));
    }
    Ok(a)
}

/// [S11, S12, S22, (e^{A h} S - S e^{A^T h})_ba / (2 h)].
fn lna_values(a: &NoiseAnalysis, h: f64) -> [f64; 4] {
    let s = DMatrix::from_fn(2, 2, |i, j| a.covariance.matrix[i][j]);
    let drift = DMatrix::from_fn(2, 2, |i, j| a.drift_jacobian[i][j]);
    let lagged = (drift * h).exp() * &s;
    [s[(0, 0)], s[(0, 1)], s[(1, 1)], (lagged[(1, 0)] - lagged[(0, 1)]) / (2.0 * h)]
}

/// Per-run [S11, S12, S22, gyration] of `runs` runs of `tstop`, and the statistics interval.
fn measure(config: &SimulateConfig) -> Result<(Vec<[f64; 4]>, f64), String> {
    let mut config = config.clone();
    if let Engine::Sde(_) = config.engine {
        // The netlist's .tran step (1 ps) caps the step; lift the cap to the accuracy bound.
        let plan = simulate::prepare(&config).map_err(|e| e.to_string())?;
        config.dt = Some(plan.step.bound_s);
    } else {
        // The jump engine is exact; dt only caps its sampling interval.
        config.dt = config.tstop.map(|t| t / 100.0);
    }
    let prepared = simulate::prepare(&config).map_err(|e| e.to_string())?;
    let names: Vec<&str> = simulate::observe::analog_nodes(&prepared.circuit)
        .iter()
        .map(|&i| prepared.circuit.free_names[i].as_str())
        .collect();
    if names != ["a", "b"] {
        return Err(format!("expected analog outputs on a, b; found {names:?}"));
    }
    let outcome = simulate::run(&config, prepared, &|_| {}).map_err(|e| e.to_string())?;
    let mut h = 0.0;
    let per_run = outcome
        .records
        .iter()
        .map(|r| {
            let acc = r.covariance.as_ref().expect("analog outputs give a covariance");
            h = acc.interval;
            let m = acc.covariance();
            [m[0][0], m[0][1], m[1][1], acc.gyration(0, 1)]
        })
        .collect();
    Ok((per_run, h))
}

/// Mean and standard error over runs, relative to `reference`: (mean / reference - 1, se).
fn relative(per_run: &[[f64; 4]], reference: &[f64; 4]) -> [(f64, f64); 4] {
    let n = per_run.len() as f64;
    std::array::from_fn(|k| {
        let mean = per_run.iter().map(|r| r[k]).sum::<f64>() / n;
        let var = per_run.iter().map(|r| (r[k] - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean / reference[k] - 1.0, (var / n).sqrt() / reference[k].abs())
    })
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out: PathBuf =
        args.first().map_or_else(|| root.join("docs/gauss_pair_convergence.png"), |a| a.into());
    let scale: f64 = args.get(1).map_or(Ok(1.0), |a| a.parse()).map_err(|e| format!("SCALE: {e}"))?;
    let path = root.join("circuits/gauss_pair.cir");
    let engines =
        [("sde", Engine::parse("sde", None)?, SDE_TAUS), ("jump", Engine::parse("jump", None)?, JUMP_TAUS)];
    let caps: Vec<f64> =
        (0..CAPS).map(|k| C_MIN * (C_MAX / C_MIN).powf(k as f64 / (CAPS - 1) as f64)).collect();
    let mut csv = String::from(
        "engine,c_f,quantity,lna,measured,relative_deviation,relative_se,runs,run_s,interval_s,wall_s\n",
    );
    // results[engine][quantity] = (C, deviation, se)
    let mut results = vec![vec![Vec::new(); 4]; engines.len()];
    let started = std::time::Instant::now();
    for &c in &caps {
        let analysis = lna(&path, c)?;
        let tau = analysis.nodes["a"].correlation_time_s;
        for (e, (label, engine, taus)) in engines.iter().enumerate() {
            let t0 = std::time::Instant::now();
            let config = SimulateConfig {
                circuit: path.clone(),
                overrides: overrides(c),
                engine: *engine,
                runs: RUNS,
                tstop: Some((WARMUP_TAUS + taus * scale) * tau),
                warmup: WARMUP_TAUS * tau,
                accuracy: SDE_ACCURACY,
                seed: 15,
                ..Default::default()
            };
            let (per_run, h) = measure(&config)?;
            let reference = lna_values(&analysis, h);
            let rel = relative(&per_run, &reference);
            let wall = t0.elapsed().as_secs_f64();
            eprintln!("C = {:.1} aF, {label} ({:.1} s):", c * 1e18, wall);
            for k in 0..4 {
                let measured = reference[k] * (1.0 + rel[k].0);
                eprintln!(
                    "  {:<15} LNA {:.5e}  measured {:.5e}  {:+7.3} % +- {:.3} %",
                    NAMES[k],
                    reference[k],
                    measured,
                    100.0 * rel[k].0,
                    100.0 * rel[k].1
                );
                csv.push_str(&format!(
                    "{label},{c:e},{},{:e},{measured:e},{:e},{:e},{RUNS},{:e},{h:e},{wall:.2}\n",
                    KEYS[k],
                    reference[k],
                    rel[k].0,
                    rel[k].1,
                    taus * scale * tau
                ));
                results[e][k].push((c, rel[k].0, rel[k].1));
            }
        }
    }
    let mut signed = Panel::new(
        format!("relative deviation from the LNA (mean of {RUNS} runs +- 1 SE)"),
        Axis::si("node capacitance C", "F").log(),
        Axis::unit("(measured - LNA) / LNA", "%"),
    )
    .legend(LegendPosition::LowerRight);
    let mut magnitude = Panel::new(
        "|deviation|, points resolved beyond 2 SE; line: q / (C U_T)",
        Axis::si("node capacitance C", "F").log(),
        Axis::new("|measured - LNA| / LNA").log(),
    )
    .legend(LegendPosition::UpperRight);
    for (e, (label, _, _)) in engines.iter().enumerate() {
        for (k, name) in NAMES.iter().enumerate().take(3) {
            let color = categorical(3 * e + k);
            let rows = &results[e][k];
            let x: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let y: Vec<f64> = rows.iter().map(|r| 100.0 * r.1).collect();
            let err: Vec<f64> = rows.iter().map(|r| 100.0 * r.2).collect();
            signed = signed
                .series(Series::line("", x.clone(), y.clone()).color(color))
                .series(Series::error_bars(format!("{label}: {name}"), x, y, err).color(color));
            let resolved: Vec<&(f64, f64, f64)> = rows.iter().filter(|r| r.1.abs() > 2.0 * r.2).collect();
            magnitude = magnitude.series(
                Series::error_bars(
                    format!("{label}: {name}"),
                    resolved.iter().map(|r| r.0).collect(),
                    resolved.iter().map(|r| r.1.abs()).collect(),
                    resolved.iter().map(|r| r.2).collect(),
                )
                .color(color),
            );
        }
    }
    // U_T at the netlist's .temp (26.85 C).
    let u_t = pbitsim::units::BOLTZMANN * 300.0 / pbitsim::units::ELEMENTARY_CHARGE;
    let q_over_cut = |c: f64| pbitsim::units::ELEMENTARY_CHARGE / (c * u_t);
    let ends = vec![caps[0], caps[CAPS - 1]];
    magnitude = magnitude.series(Series::line(
        "q / (C U_T)",
        ends.clone(),
        ends.iter().map(|&c| q_over_cut(c)).collect(),
    ));
    let figure =
        Figure::new("gauss_pair.cir at vdda = 0.1 V, vddb = 0.05 V, C = ca = cb = cc: runs against the LNA")
            .panel(signed)
            .panel(magnitude)
            .size(1000, 1100);
    render(&figure, &out).map_err(|e| e.to_string())?;
    let csv_path = out.with_extension("csv");
    pbitsim::io::write_atomic(&csv_path, csv.as_bytes()).map_err(|e| e.to_string())?;
    eprintln!(
        "wrote {} and {} in {:.0} s",
        out.display(),
        csv_path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

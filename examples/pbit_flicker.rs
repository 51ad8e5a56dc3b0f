//! Flicker noise on a p-bit: the Allan deviation of P(1) against averaging time, for
//! `circuits/pbit_real.cir` at its balance point, with the sky130-like cards as shipped (no
//! flicker noise) and with the same cards plus a `[flicker]` section
//! (`models/nlvt_flicker.toml`, `models/plvt_flicker.toml`: KF = 1e-24 V^2 F, assumed).
//!
//!   cargo run --release --example pbit_flicker -- [TSTOP_S] [SEED] [OUT.png]
//!
//! (defaults: 1e-3 s, seed 1, docs/pbit_flicker_allan.png; a CSV of the curves is written
//! beside the plot). Each variant is one SDE run (Euler-Maruyama, fixed step 35 ps, the
//! step `pbitsim simulate --method em --accuracy 0.02` chooses for this circuit, rounded
//! down), the bit read as `.output bit out V(r) V(rm) hyst=60m` every 10 ns after 5 us of
//! warm-up; the Allan deviation is the overlapping estimator, error bars one standard
//! error (an upper bound). Without flicker the Allan deviation of P(1) falls as tau^-1/2 (independent
//! samples every few correlation times); the traps' 1/f threshold noise moves the balance
//! point and sets a floor (flat for 1/f noise), which is what limits how long a p-bit's P(1)
//! stays calibrated.

use std::ops::ControlFlow;
use std::path::Path;

use pbitsim::analysis::{BitReadout, allan_deviation};
use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::Netlist;
use pbitsim::circuit::{Circuit, CircuitSde};
use pbitsim::report::plot::{Axis, Figure, LegendPosition, Panel, Series, categorical, render};
use pbitsim::rng::{Domain, Seed};
use pbitsim::sde::{EulerMaruyama, Schedule, integrate};

/// The balance point V0 of pbit_real at 300 K (README, "Real devices and the realistic p-bit").
const V0: &str = "-1.81m";
const STEP: f64 = 35e-12;
const SAMPLE: f64 = 10e-9;
const WARMUP: f64 = 5e-6;

fn circuit(root: &Path, flicker: bool) -> Result<Circuit, String> {
    let path = root.join("circuits/pbit_real.cir");
    let mut text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if flicker {
        text = text
            .replace("../models/nlvt.toml", "../models/nlvt_flicker.toml")
            .replace("../models/plvt.toml", "../models/plvt_flicker.toml");
    }
    let netlist = Netlist::parse_str(&text, &path, &[("vin".to_string(), V0.to_string())])
        .map_err(|e| e.to_string())?;
    let spec = elaborate(&netlist, None, &Default::default()).map_err(|e| e.to_string())?;
    Circuit::build(&spec).map_err(|e| e.to_string())
}

/// The bit every SAMPLE after the warm-up.
fn bits(circuit: &Circuit, tstop: f64, seed: u64) -> Result<Vec<f64>, String> {
    let n = circuit.free_count();
    let (r, rm) = (circuit.node("r").ok_or("no node r")?, circuit.node("rm").ok_or("no node rm")?);
    let sys = CircuitSde::new(circuit);
    let mut rng = Seed(seed).stream(Domain::Trajectory, 0);
    let mut x = sys.initial_state();
    sys.draw_traps(&mut x, &mut rng);
    let mut readout = BitReadout::new(60e-3);
    let mut out = Vec::with_capacity((tstop / SAMPLE) as usize);
    let mut observe = |t: f64, x: &[f64]| {
        let v = &x[..n];
        let bit = readout.update(circuit.voltage(r, v) - circuit.voltage(rm, v));
        if t >= WARMUP {
            out.push(f64::from(bit));
        }
        ControlFlow::Continue(())
    };
    integrate(&sys, &EulerMaruyama, &Schedule::fixed(tstop, STEP, SAMPLE), &mut x, &mut rng, &mut observe)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tstop: f64 = args.first().map_or(Ok(1e-3), |a| a.parse()).map_err(|e| format!("TSTOP_S: {e}"))?;
    let seed: u64 = args.get(1).map_or(Ok(1), |a| a.parse()).map_err(|e| format!("SEED: {e}"))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = args.get(2).map_or_else(|| root.join("docs/pbit_flicker_allan.png"), |a| a.into());
    let mut panel = Panel::new(
        format!("pbit_real at V0 = {V0}V, 300 K: Allan deviation of P(1), {} ms per run", tstop * 1e3),
        Axis::si("averaging time", "s").log(),
        Axis::new("Allan deviation of P(1)").log(),
    )
    .legend(LegendPosition::LowerLeft);
    let mut csv = String::from("variant,tau_s,allan_deviation,pairs,p1\n");
    for (i, (flicker, label)) in
        [(false, "no flicker"), (true, "flicker, KF = 1e-24 V^2 F")].into_iter().enumerate()
    {
        let circuit = circuit(root, flicker)?;
        let started = std::time::Instant::now();
        let series = bits(&circuit, tstop, seed)?;
        let p1 = series.iter().sum::<f64>() / series.len() as f64;
        let allan = allan_deviation(&series, SAMPLE, 6);
        eprintln!(
            "{label}: {} traps, P(1) = {p1:.4}, {:.0} s; tau, sigma_A, pairs:",
            circuit.trap_count,
            started.elapsed().as_secs_f64()
        );
        for (tau, sigma, pairs) in &allan {
            eprintln!("  {tau:.3e} {sigma:.4e} {pairs}");
            csv.push_str(&format!("{label},{tau:e},{sigma:e},{pairs},{p1}\n"));
        }
        let (tau, sigma): (Vec<f64>, Vec<f64>) = allan.iter().map(|a| (a.0, a.1)).unzip();
        // One standard error, the bound sqrt(3 / P) / 2 of `analysis::allan`.
        let se: Vec<f64> = allan.iter().map(|a| a.1 * (0.75 / a.2 as f64).sqrt()).collect();
        panel = panel
            .series(Series::line(label, tau.clone(), sigma.clone()).color(categorical(i)))
            .series(Series::error_bars(format!("{label}, 1 SE"), tau, sigma, se).color(categorical(i)));
    }
    render(&Figure::new("Flicker noise on a p-bit").panel(panel).size(900, 600), &out)
        .map_err(|e| e.to_string())?;
    let csv_path = out.with_extension("csv");
    pbitsim::io::write_atomic(&csv_path, csv.as_bytes()).map_err(|e| e.to_string())?;
    eprintln!("wrote {} and {}", out.display(), csv_path.display());
    Ok(())
}

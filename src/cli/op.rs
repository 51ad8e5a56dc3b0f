//! `pbitsim op` (the DC operating point) and `pbitsim noise` (the linear-noise analysis).

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::{check_extension, flag_temperature};
use crate::circuit::Circuit;
use crate::circuit::elaborate::{Variation, elaborate};
use crate::circuit::netlist::split_override;
use crate::io::{Staging, write_json_atomic};
use crate::noise::NoiseAnalysis;
use crate::op::OperatingPoint;
use crate::report::plot::{Axis, Figure, Panel, Series, render};
use crate::units::format_si;

/// The circuit options shared by `op` and `noise`.
#[derive(Debug, Args)]
pub struct CircuitArgs {
    /// The netlist (.cir).
    pub circuit: PathBuf,
    /// Override a .param of the netlist, e.g. --set vin=20m (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Temperature with its unit (300K, 27C); overrides the netlist's .temp.
    #[arg(long)]
    pub temp: Option<String>,
    /// Device mismatch Monte Carlo sample K (0: nominal), drawn from --seed.
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub mismatch: u64,
    /// Master seed of the mismatch draw.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the result to this JSON file.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OpArgs {
    #[command(flatten)]
    pub circuit: CircuitArgs,
}

#[derive(Debug, Args)]
pub struct NoiseArgs {
    #[command(flatten)]
    pub circuit: CircuitArgs,
    /// Analyse at equilibrium K of the operating-point list (default: the primary point).
    #[arg(long, value_name = "K")]
    pub point: Option<usize>,
    /// Plot the node voltage PSDs to this file (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

/// Parse, elaborate and build the circuit; also the names of its `.ic` nodes.
fn load(args: &CircuitArgs) -> Result<(Circuit, Vec<String>)> {
    if let Some(summary) = &args.summary {
        check_extension("summary", summary, &["json"])?;
    }
    if !args.circuit.is_file() {
        bail!("{}: no such netlist file", args.circuit.display());
    }
    let overrides = args
        .set
        .iter()
        .map(|s| split_override(s).map_err(|e| anyhow!("--set: {e}")))
        .collect::<Result<Vec<_>>>()?;
    let temperature = args.temp.as_deref().map(|t| flag_temperature("temp", t)).transpose()?;
    let netlist = crate::circuit::temperature::parse_at(&args.circuit, &overrides, temperature)?;
    let spec = elaborate(&netlist, temperature, &Variation::sample(args.seed, args.mismatch))?;
    let held = netlist.initial_conditions.iter().map(|ic| ic.node.clone()).collect();
    Ok((Circuit::build(&spec)?, held))
}

pub fn run_op(args: &OpArgs, quiet: bool) -> Result<()> {
    let (circuit, held) = load(&args.circuit)?;
    let op =
        crate::op::find(&circuit, &held).map_err(|e| anyhow!("{}: {e}", args.circuit.circuit.display()))?;
    let mut staging = Staging::default();
    let summary = staging.stage_optional(args.circuit.summary.as_ref())?;
    if let Some(path) = &summary {
        write_json_atomic(path, &op)?;
    }
    staging.commit()?;
    if !quiet {
        print_op(&circuit, &op);
    }
    Ok(())
}

pub fn run_noise(args: &NoiseArgs, quiet: bool) -> Result<()> {
    if let Some(plot) = &args.plot {
        check_extension("plot", plot, &["svg", "png"])?;
    }
    let (circuit, held) = load(&args.circuit)?;
    let file = args.circuit.circuit.display();
    let op = crate::op::find(&circuit, &held).map_err(|e| anyhow!("{file}: {e}"))?;
    let analysis = crate::noise::analyse(&circuit, op, args.point).map_err(|e| anyhow!("{file}: {e}"))?;
    let mut staging = Staging::default();
    let summary = staging.stage_optional(args.circuit.summary.as_ref())?;
    let plot = staging.stage_optional(args.plot.as_ref())?;
    if let Some(path) = &summary {
        write_json_atomic(path, &analysis)?;
    }
    if let Some(path) = &plot {
        render(&psd_figure(&analysis), path)?;
    }
    staging.commit()?;
    if !quiet {
        print_noise(&analysis);
    }
    Ok(())
}

/// The node voltage PSDs, log-log.
pub fn psd_figure(a: &NoiseAnalysis) -> Figure {
    let mut panel = Panel::new(
        "one-sided PSD (linear-noise approximation)",
        Axis::si("frequency", "Hz").log(),
        Axis::unit("PSD", "V²/Hz").log(),
    );
    for (name, values) in &a.psd.nodes {
        panel = panel.series(Series::line(format!("V({name})"), a.psd.frequency_hz.clone(), values.clone()));
    }
    Figure::new(format!("{} at {:.2} K", a.title, a.temperature_k)).panel(panel)
}

fn print_op(c: &Circuit, op: &OperatingPoint) {
    let held =
        if op.held.is_empty() { String::new() } else { format!(", .ic nodes held: {}", op.held.join(" ")) };
    println!(
        "{} at {:.2} K: DC operating point ({:?}{held}), {}",
        c.title,
        c.temperature,
        op.method,
        format!("{:?}", op.primary.stability).to_lowercase()
    );
    for (name, v) in op.nodes.iter().zip(&op.primary.voltages) {
        println!("  V({name}) = {}", format_si(*v, "V"));
    }
    for d in &op.devices {
        println!("  I({}) = {}", d.name, format_si(d.current_a, "A"));
    }
    if op.equilibria.len() > 1 || op.multistable {
        let stable = op.equilibria.iter().filter(|e| e.stability == crate::op::Stability::Stable).count();
        println!(
            "  {} equilibria found ({stable} stable){}:",
            op.equilibria.len(),
            if op.multistable {
                "; the circuit is multistable, .tran starts from the point above"
            } else {
                ""
            }
        );
        for (k, e) in op.equilibria.iter().enumerate() {
            let v: Vec<String> = op
                .nodes
                .iter()
                .zip(&e.voltages)
                .map(|(n, v)| format!("V({n}) = {}", format_si(*v, "V")))
                .collect();
            println!("    {k}: {} ({})", v.join(", "), format!("{:?}", e.stability).to_lowercase());
        }
    }
}

fn print_noise(a: &NoiseAnalysis) {
    println!(
        "{} at {:.2} K: linear noise at equilibrium {} (method {:?})",
        a.title, a.temperature_k, a.equilibrium, a.operating_point.method
    );
    for (name, n) in &a.nodes {
        println!(
            "  V({name}): {} +- {} rms, T_eff {:.1} K (C {}), correlation time {}",
            format_si(n.mean_v, "V"),
            format_si(n.std_v, "V"),
            n.effective_temperature_k,
            format_si(n.capacitance_f, "F"),
            format_si(n.correlation_time_s, "s")
        );
    }
    let c = &a.covariance;
    for (i, row) in c.matrix.iter().enumerate() {
        for (j, value) in row.iter().enumerate().skip(i + 1) {
            let rho = value / (c.matrix[i][i] * c.matrix[j][j]).sqrt();
            println!("  cov(V({}), V({})) = {value:.4e} V^2 (correlation {rho:.4})", c.nodes[i], c.nodes[j]);
        }
    }
    for g in &a.gyration {
        println!("  gyration rate of (V({}), V({})): {:.4e} V^2/s", g.nodes[0], g.nodes[1], g.rate_v2_per_s);
    }
}

//! `pbitsim simulate`.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::{Progress, RunArgs, check_extension, flag_duration, flag_temperature};
use crate::circuit::netlist::split_override;
use crate::io::Staging;
use crate::io::TraceFormat;
use crate::simulate::summary::CheckStep;
use crate::simulate::{self, Engine, SimulateConfig, Summary, output};
use crate::units::format_si;

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The netlist (.cir) to simulate.
    pub circuit: PathBuf,
    /// Override a .param of the netlist, e.g. --set vin=20m (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Temperature with its unit (300K, 27C); overrides the netlist's .temp.
    #[arg(long)]
    pub temp: Option<String>,
    /// Simulated time per run (e.g. 20u); default: the netlist's .tran stop time.
    #[arg(long)]
    pub tstop: Option<String>,
    /// Largest time step of the SDE or tau-leaping, or the jump engine's sampling interval;
    /// default: the netlist's .tran step. The step itself is chosen from the circuit for
    /// --accuracy; a --dt beyond that bound is refused unless --force-dt.
    #[arg(long)]
    pub dt: Option<String>,
    /// Use --dt as the fixed step even beyond the accuracy bound.
    #[arg(long)]
    pub force_dt: bool,
    /// Relative accuracy of stationary node means and standard deviations that sets the step
    /// (0.005 is 0.5 %).
    #[arg(long, default_value_t = crate::simulate::DEFAULT_ACCURACY)]
    pub accuracy: f64,
    /// Rerun the statistics at half the step and record both, with their differences, in
    /// the summary.
    #[arg(long)]
    pub check_step: bool,
    /// Engine: sde (Langevin, fast) or jump (exact single-charge transfers).
    #[arg(long, default_value = "sde")]
    pub engine: String,
    /// Integration method: lm (Leimkuhler-Matthews, default), heun, em, implicit, trapezoidal
    /// (any circuit), milstein, sri (diagonal noise only: not circuits); gillespie (default) or
    /// tau (jump).
    #[arg(long)]
    pub method: Option<String>,
    /// Number of independent runs (run in parallel).
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    #[command(flatten)]
    pub run: RunArgs,
    /// Time between trace rows (default: tstop/20000).
    #[arg(long)]
    pub record_every: Option<String>,
    /// Time discarded from the start of each run before statistics are taken.
    #[arg(long, default_value = "0")]
    pub warmup: String,
    /// Write the trace to this file (.csv or .npy).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Plot the first run to this file (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Write summary statistics to this JSON file.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Device mismatch Monte Carlo sample K (0: nominal): every transistor draws its
    /// threshold and current-factor deviations (Pelgrom, from its card's A_VT and A_beta) from
    /// the seed, its name and K.
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub mismatch: u64,
}

impl SimulateArgs {
    /// Validate into a library config.
    pub fn config(&self) -> Result<SimulateConfig> {
        let overrides = self
            .set
            .iter()
            .map(|s| split_override(s).map_err(|e| anyhow!("--set: {e}")))
            .collect::<Result<Vec<_>>>()?;
        let engine = Engine::parse(&self.engine, self.method.as_deref())
            .map_err(|e| anyhow!("--engine/--method: {e}"))?;
        if let Some(out) = &self.out {
            TraceFormat::from_path(out).map_err(|e| anyhow!("--out: {e}"))?;
        }
        if let Some(plot) = &self.plot {
            check_extension("plot", plot, &["svg", "png"])?;
        }
        if let Some(summary) = &self.summary {
            check_extension("summary", summary, &["json"])?;
        }
        if !self.circuit.is_file() {
            bail!("{}: no such netlist file", self.circuit.display());
        }
        Ok(SimulateConfig {
            circuit: self.circuit.clone(),
            overrides,
            temperature: self.temp.as_deref().map(|t| flag_temperature("temp", t)).transpose()?,
            tstop: self.tstop.as_deref().map(|t| flag_duration("tstop", t, false)).transpose()?,
            dt: self.dt.as_deref().map(|t| flag_duration("dt", t, false)).transpose()?,
            force_dt: self.force_dt,
            tran_step_bounds: true,
            accuracy: self.accuracy,
            check_step: self.check_step,
            engine,
            runs: self.runs,
            seed: self.run.seed,
            threads: self.run.threads,
            record_every: self
                .record_every
                .as_deref()
                .map(|t| flag_duration("record-every", t, false))
                .transpose()?,
            warmup: flag_duration("warmup", &self.warmup, true)?,
            variation: crate::circuit::elaborate::Variation::sample(self.run.seed, self.mismatch),
        })
    }
}

/// Run a simulation: prepare, run with a progress bar, write the outputs, print a summary.
pub fn run(args: &SimulateArgs, quiet: bool) -> Result<()> {
    let config = args.config()?;
    let prepared = simulate::prepare(&config)?;
    // Every output reserved now (its directory proven writable), replaced only at the end.
    let mut staging = Staging::default();
    let out = staging.stage_optional(args.out.as_ref())?;
    let plot = staging.stage_optional(args.plot.as_ref())?;
    let summary_path = staging.stage_optional(args.summary.as_ref())?;
    let progress = Progress::new(quiet, 1000, &format!("simulating {}", config.circuit.display()));
    let half = config.check_step.then(|| prepared.halved());
    let outcome = simulate::run(&config, prepared, &|fraction| progress.set((fraction * 1000.0) as u64))?;
    progress.finish();
    let mut summary = Summary::new(&config, &outcome);
    if let Some(half) = half {
        let progress = Progress::new(quiet, 1000, "rerunning at half the step (--check-step)");
        let rerun = simulate::run(&config, half, &|fraction| progress.set((fraction * 1000.0) as u64))?;
        progress.finish();
        summary.check_step = Some(CheckStep::new(&summary, &Summary::new(&config, &rerun)));
    }
    if let Some(path) = &out {
        output::write_trace(&outcome, path)?;
    }
    if let Some(path) = &plot {
        output::write_plot(&outcome, path)?;
    }
    if let Some(path) = &summary_path {
        output::write_summary(&summary, path)?;
    }
    staging.commit()?;
    if !quiet {
        print_summary(&summary);
    }
    Ok(())
}

fn print_summary(s: &Summary) {
    println!(
        "{} at {:.2} K, {} engine ({}), {} run(s) of {}",
        s.title,
        s.temperature_k,
        s.engine,
        s.method,
        s.runs,
        format_si(s.tstop_s, "s")
    );
    if let Some(op) = &s.operating_point {
        println!("  .op: {}", format!("{:?} point ({:?})", op.primary.stability, op.method).to_lowercase());
        for (name, v) in op.nodes.iter().zip(&op.primary.voltages) {
            println!("    V({name}) = {}", format_si(*v, "V"));
        }
        for d in &op.devices {
            println!("    I({}) = {}", d.name, format_si(d.current_a, "A"));
        }
        if op.multistable {
            let stable = op.equilibria.iter().filter(|e| e.stability == crate::op::Stability::Stable).count();
            println!(
                "    {stable} stable points found (pbitsim op lists them); the run starts from the point above"
            );
        }
    }
    for (name, node) in &s.nodes {
        println!("  V({name}): mean {}, std {}", format_si(node.mean, "V"), format_si(node.std, "V"));
    }
    for (name, o) in &s.outputs {
        let tau = match o.correlation_time_s {
            None => "not resolved (run longer)".into(),
            Some(t) if o.correlation_time_upper_bound => {
                format!("below {} (faster than the statistics interval)", format_si(t, "s"))
            }
            Some(t) => format_si(t, "s"),
        };
        match &o.probabilities {
            Some(p) => {
                let p: Vec<String> = p.iter().map(|x| format!("{x:.4}")).collect();
                let rate = o
                    .switching_rate_hz
                    .map_or(String::new(), |r| format!(", switching {}", format_si(r, "Hz")));
                println!("  {name} ({}): P = [{}], correlation time {tau}{rate}", o.kind, p.join(", "));
            }
            None => println!(
                "  {name} (analog): mean {}, std {}, correlation time {tau}",
                format_si(o.mean.unwrap_or(f64::NAN), "V"),
                format_si(o.std.unwrap_or(f64::NAN), "V")
            ),
        }
    }
    if let Some(c) = &s.covariance {
        for (i, row) in c.matrix.iter().enumerate() {
            for (j, value) in row.iter().enumerate().skip(i + 1) {
                println!("  cov(V({}), V({})) = {value:.4e} V^2", c.nodes[i], c.nodes[j]);
            }
        }
    }
    let per_sample = s.energy.per_sample_j.map_or("n/a".into(), |e| format_si(e, "J"));
    println!(
        "  supply: {} per run, {}, {} per sample",
        format_si(s.energy.supply_j, "J"),
        format_si(s.energy.power_w, "W"),
        per_sample
    );
    println!("  {}", step_line(s));
    if let Some(c) = &s.check_step {
        for (name, d) in &c.node_differences {
            println!(
                "  at half the step ({}): V({name}) mean {:+}, std {:+}",
                format_si(c.half_dt_s, "s"),
                format_si(d.mean, "V"),
                format_si(d.std, "V")
            );
        }
    }
    println!("  {} steps/events in {:.2} s", s.work, s.wall_time_s);
}

/// One line on how the step was chosen.
fn step_line(s: &Summary) -> String {
    let st = &s.step;
    let p = &st.plan;
    let range = if st.dt_min_s < st.dt_max_s {
        format!("{} to {}", format_si(st.dt_min_s, "s"), format_si(st.dt_max_s, "s"))
    } else {
        format_si(st.dt_max_s, "s")
    };
    let upper = match (p.upper_bound_s, p.upper_bound_from) {
        (Some(u), Some(from)) => format!(", upper bound {} ({from})", format_si(u, "s")),
        _ => String::new(),
    };
    match p.chosen_by {
        "exact" => format!("exact jump process, sampled every {}", format_si(p.sample_interval_s, "s")),
        "forced" => {
            format!("step forced to {} (--force-dt; accuracy bound {})", range, format_si(p.bound_s, "s"))
        }
        "cao-gillespie-petzold" => match st.leaps {
            Some(leaps) if leaps > 0 => format!(
                "{leaps} leaps of {range} (Cao-Gillespie-Petzold{upper}) and {} exact events",
                st.exact_events.unwrap_or(0)
            ),
            _ => format!(
                "no leaps: a leap holding 10 events would change a rate by more than 3 % (bound {}), so \
                 every event was exact",
                format_si(p.bound_s, "s")
            ),
        },
        _ => format!(
            "step {range} for {} % accuracy (bound {}, fastest node time constant {}{upper}; limited by {})",
            100.0 * p.accuracy,
            format_si(p.bound_s, "s"),
            format_si(p.fastest_time_constant_s, "s"),
            st.limited_by.map_or("-".to_string(), |l| format!("{l:?}").to_lowercase())
        ),
    }
}

//! `pbitsim calibrate`: sweeps of control voltages and temperature fitted into a cell.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::{Progress, RunArgs, check_extension, flag_duration, flag_temperature, flag_value};
use crate::calibrate::{self, CalibrateConfig};
use crate::calibration::Precision;
use crate::calibration::SweepAxis;
use crate::circuit::netlist::split_override;
use crate::io::Staging;
use crate::simulate::Engine;
use crate::units::Quantity;
use crate::units::format_si;

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The netlist (.cir) of the cell to calibrate.
    pub circuit: PathBuf,
    /// A swept control parameter, NAME=START:STOP:COUNT (volts, SPICE suffixes allowed);
    /// repeat for a grid.
    #[arg(long = "sweep", value_name = "NAME=START:STOP:COUNT", required = true)]
    pub sweeps: Vec<String>,
    /// Temperatures, comma-separated with units (e.g. 250K,300K,350K).
    #[arg(long, default_value = "300K")]
    pub temps: String,
    /// Write the calibration to this JSON file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Write calibration plots (SVG and PNG) to this directory.
    #[arg(long, value_name = "DIR")]
    pub plot_dir: Option<PathBuf>,
    /// The readout to calibrate (default: the first .output).
    #[arg(long)]
    pub output: Option<String>,
    /// Override a .param of the netlist (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Target standard error of each probability (or mixture weight).
    #[arg(long, default_value_t = 0.01)]
    pub precision: f64,
    /// Most simulated time per point, summed over runs (e.g. 5m).
    #[arg(long, default_value = "20m")]
    pub max_time: String,
    /// Runs per batch: a point runs whole batches until its precision is reached (default 2,
    /// one per core of a two-core machine, the finest step of a cell calibration; 4 with
    /// --coupling and --gaussian).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Length of each run (default: the netlist's .tran stop time).
    #[arg(long)]
    pub tstop: Option<String>,
    /// Largest time step (default: the netlist's .tran step); the step itself is chosen for
    /// --accuracy, and a --dt beyond that bound is refused unless --force-dt.
    #[arg(long)]
    pub dt: Option<String>,
    /// Use --dt as the fixed step even beyond the accuracy bound.
    #[arg(long)]
    pub force_dt: bool,
    /// Relative accuracy of stationary node means and standard deviations that sets the step
    /// (0.005 is 0.5 %).
    #[arg(long, default_value_t = crate::simulate::DEFAULT_ACCURACY)]
    pub accuracy: f64,
    /// Time discarded at the start of each run.
    #[arg(long, default_value = "200n")]
    pub warmup: String,
    /// Calibrate a coupling circuit: the circuit is a coupling bench (a driving cell, the
    /// coupling, the receiving input), the one --sweep its weight parameter.
    #[arg(long)]
    pub coupling: bool,
    /// With --coupling: the bit output of the driving readout (default: the first bit output).
    #[arg(long, requires = "coupling")]
    pub driver: Option<String>,
    /// With --coupling: the driver's bias parameter and a bias x (e.g. vin=40m): also measure
    /// the bench with the driver biased at +x and -x, for how the coupling depends on the
    /// driver's own input (the `driver` response of the calibration file).
    #[arg(long, requires = "coupling", value_name = "NAME=X")]
    pub driver_bias: Option<String>,
    /// Calibrate a Gaussian sampler: the circuit's analog outputs read two free nodes, and
    /// every grid point is measured (--batch runs of --tstop) into their mean vector,
    /// covariance, precision matrix and gyration rate, at one temperature (--precision and
    /// --max-time do not apply).
    #[arg(long, conflicts_with_all = ["coupling", "monte_carlo"])]
    pub gaussian: bool,
    /// Engine: sde or jump.
    #[arg(long, default_value = "sde")]
    pub engine: String,
    /// Method of the engine.
    #[arg(long)]
    pub method: Option<String>,
    /// Also calibrate N device-mismatch Monte Carlo samples (p-bits) and write their V0, Vs
    /// and tau with their mean and covariance as the file's population. A sample whose P(1)
    /// never crosses 1/2 (a stuck readout, or beyond --mismatch-reach) is left out, listed
    /// under the population's `excluded` with its evidence, and the yield is warned about.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub monte_carlo: usize,
    /// With --monte-carlo: how far from the nominal balance point to look for each sample's,
    /// in the control's unit (e.g. 60m); default: the larger of the sweep's span and 8 times
    /// the root-sum-square of every transistor's Pelgrom sigma (A_VT / sqrt(W L)) at the gate.
    #[arg(long, value_name = "VALUE", requires = "monte_carlo")]
    pub mismatch_reach: Option<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Parse NAME=START:STOP:COUNT.
pub fn parse_sweep(text: &str) -> Result<SweepAxis> {
    SweepAxis::parse(text, 2).map_err(|e| anyhow!("--sweep {e}"))
}

/// Read --mismatch-reach: a positive number with an optional SPICE scale suffix.
fn positive_reach(text: &str) -> Result<f64> {
    let value = flag_value("mismatch-reach", text, Quantity::Dimensionless)?;
    if !(value > 0.0 && value.is_finite()) {
        bail!("--mismatch-reach {text}: expected a positive distance in the control's unit, such as 60m");
    }
    Ok(value)
}

impl CalibrateArgs {
    pub fn config(&self) -> Result<CalibrateConfig> {
        check_extension("out", &self.out, &["json"])?;
        if let Some(parent) = self.out.parent().filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
            bail!("--out {}: the directory {} does not exist", self.out.display(), parent.display());
        }
        if !self.circuit.is_file() {
            bail!("{}: no such netlist file", self.circuit.display());
        }
        let mut temperatures = self
            .temps
            .split(',')
            .map(|t| flag_temperature("temps", t.trim()))
            .collect::<Result<Vec<f64>>>()?;
        temperatures.sort_by(f64::total_cmp);
        temperatures.dedup();
        if !(self.precision > 0.0 && self.precision < 0.5) {
            bail!("--precision {}: expected a standard error between 0 and 0.5", self.precision);
        }
        Ok(CalibrateConfig {
            circuit: self.circuit.clone(),
            overrides: self
                .set
                .iter()
                .map(|s| split_override(s).map_err(|e| anyhow!("--set: {e}")))
                .collect::<Result<_>>()?,
            sweeps: self.sweeps.iter().map(|s| parse_sweep(s)).collect::<Result<_>>()?,
            temperatures,
            output: self.output.clone(),
            engine: Engine::parse(&self.engine, self.method.as_deref())
                .map_err(|e| anyhow!("--engine/--method: {e}"))?,
            dt: self.dt.as_deref().map(|t| flag_duration("dt", t, false)).transpose()?,
            force_dt: self.force_dt,
            accuracy: self.accuracy,
            tstop: self.tstop.as_deref().map(|t| flag_duration("tstop", t, false)).transpose()?,
            warmup: flag_duration("warmup", &self.warmup, true)?,
            seed: self.run.seed,
            threads: self.run.threads,
            precision: Precision {
                target_se: self.precision,
                batch_runs: self.batch.unwrap_or(if self.coupling || self.gaussian { 4 } else { 2 }).max(1),
                max_simulated: flag_duration("max-time", &self.max_time, false)?,
            },
            monte_carlo: self.monte_carlo,
            mismatch_reach: self.mismatch_reach.as_deref().map(positive_reach).transpose()?,
        })
    }
}

pub fn run(args: &CalibrateArgs, quiet: bool) -> Result<()> {
    let config = args.config()?;
    if args.coupling {
        return run_coupling(args, &config, quiet);
    }
    if args.gaussian {
        return run_gaussian(args, &config, quiet);
    }
    // The calibration file is staged now (its directory proven writable) and replaced only
    // when the plots are written too; the plot directory is made before the work.
    let mut staging = Staging::default();
    let out = staging.stage(&args.out)?;
    if let Some(dir) = &args.plot_dir {
        std::fs::create_dir_all(dir).map_err(|e| anyhow!("--plot-dir {}: {e}", dir.display()))?;
    }
    let points = calibrate::grid(&config.sweeps).len() * config.temperatures.len() * (1 + config.monte_carlo);
    let progress = Progress::new(quiet, points as u64, &format!("calibrating {}", config.circuit.display()));
    let started = std::time::Instant::now();
    let calibration = calibrate::run(&config, &|done, _| progress.set(done as u64))?;
    progress.finish();
    calibrate::write(&calibration, &out)?;
    if let Some(dir) = &args.plot_dir {
        calibrate::plots::write(&calibration, dir, "svg")?;
        calibrate::plots::write(&calibration, dir, "png")?;
    }
    staging.commit()?;
    // A yield loss is a warning, shown even with --quiet.
    if let Some(p) = calibration.population.as_ref().filter(|p| !p.excluded.is_empty()) {
        let defects = p.excluded.iter().filter(|e| e.kind.is_defect()).count();
        eprintln!(
            "warning: {} of {} mismatch samples are left out of the population: {defects} without a balance point (yield {:.0} %), {} whose calibration failed:",
            p.excluded.len(),
            p.samples.len() + p.excluded.len(),
            100.0 * p.yield_fraction(),
            p.excluded.len() - defects
        );
        for e in &p.excluded {
            eprintln!("  sample {}: {}", e.index, e.reason);
        }
    }
    if !quiet {
        println!(
            "{} cell from {} points in {:.1} s; wrote {}",
            calibration.cell.name(),
            calibration.points.len(),
            started.elapsed().as_secs_f64(),
            args.out.display()
        );
        println!(
            "  {} engine, method {}, step {} (largest planned; chosen for {} % accuracy, the .tran step an upper bound)",
            calibration.engine,
            calibration.method,
            format_si(calibration.dt_s, "s"),
            100.0 * config.accuracy
        );
        for f in &calibration.fits {
            match (f.v0, f.vs) {
                (Some(v0), Some(vs)) => println!(
                    "  {:.1} K: V0 = {} +- {}, Vs = {} +- {}, tau(V0) = {}",
                    f.temperature_k,
                    format_si(v0, "V"),
                    format_si(f.v0_se.unwrap_or(f64::NAN), "V"),
                    format_si(vs, "V"),
                    format_si(f.vs_se.unwrap_or(f64::NAN), "V"),
                    format_si(f.correlation_time_s, "s")
                ),
                _ => println!("  {:.1} K: tau = {}", f.temperature_k, format_si(f.correlation_time_s, "s")),
            }
        }
        if let Some(p) = &calibration.temperature_fits.vs_proportional {
            println!(
                "  Vs / T = {:.2} uV/K, largest deviation from proportional {:.1} %",
                p.slope * 1e6,
                100.0 * p.max_relative_deviation
            );
        }
        if let Some(a) = &calibration.temperature_fits.arrhenius {
            println!("  Arrhenius barrier {:.3} eV (tau0 {})", a.barrier_ev, format_si(a.tau0_s, "s"));
        }
        if let Some(p) = &calibration.population {
            for (t, temperature) in calibration.temperatures_k.iter().enumerate() {
                let sd = |j: usize| p.covariance[3 * t + j][3 * t + j].sqrt();
                println!(
                    "  population of {} at {temperature:.1} K: sigma(V0) = {}, sigma(Vs) = {}, sigma(ln tau) = {:.3}",
                    p.samples.len(),
                    format_si(sd(0), "V"),
                    format_si(sd(1), "V"),
                    sd(2)
                );
            }
        }
        let unmet = calibration.points.iter().filter(|p| !p.precision_reached).count();
        if unmet > 0 {
            println!("  warning: {unmet} point(s) did not reach the target precision within --max-time");
        }
    }
    Ok(())
}

fn run_coupling(args: &CalibrateArgs, config: &CalibrateConfig, quiet: bool) -> Result<()> {
    if args.plot_dir.is_some() {
        bail!("--plot-dir: a coupling calibration has no plots; its points are in the calibration file");
    }
    let driver_bias = match &args.driver_bias {
        None => None,
        Some(text) => {
            let (name, value) = text
                .split_once('=')
                .ok_or_else(|| anyhow!("--driver-bias '{text}': expected NAME=X, e.g. vin=40m"))?;
            let x = crate::units::parse_value(value, crate::units::Quantity::Voltage)
                .map_err(|e| anyhow!("--driver-bias '{text}': {e}"))?;
            Some((name.trim().to_lowercase(), x))
        }
    };
    let per_weight = if driver_bias.is_some() { 3 } else { 1 };
    let points = (per_weight * calibrate::grid(&config.sweeps).len() + 1) * config.temperatures.len();
    let progress = Progress::new(quiet, points as u64, &format!("calibrating {}", config.circuit.display()));
    let started = std::time::Instant::now();
    let calibration = calibrate::coupling::run(
        config,
        args.driver.as_deref(),
        driver_bias.as_ref().map(|(n, x)| (n.as_str(), *x)),
        &|done, _| progress.set(done as u64),
    )?;
    progress.finish();
    crate::io::write_json_atomic(&args.out, &calibration)?;
    if !quiet {
        println!(
            "coupling from {} points in {:.1} s; wrote {}",
            calibration.points.len(),
            started.elapsed().as_secs_f64(),
            args.out.display()
        );
        for p in &calibration.points {
            println!(
                "  {:.1} K, {} = {}: J_v = {} +- {}, offset {}, delay {} + settling {}, power {}",
                p.temperature_k,
                calibration.weight.name,
                format_si(p.weight, "V"),
                format_si(p.coupling_v, "V"),
                format_si(p.coupling_se_v, "V"),
                format_si(p.offset_v, "V"),
                format_si(p.delay_s, "s"),
                format_si(p.settling_time_s, "s"),
                format_si(p.power_w, "W")
            );
            if let Some(d) = &p.driver {
                println!(
                    "    driver at +-{}: a = {:.3} +- {:.3} /V, b = {:.1} +- {:.1} /V^2",
                    format_si(d.bias_v, "V"),
                    d.offset_per_v,
                    d.offset_se_per_v,
                    d.gain_per_v2,
                    d.gain_se_per_v2
                );
            }
        }
    }
    Ok(())
}

fn run_gaussian(args: &CalibrateArgs, config: &CalibrateConfig, quiet: bool) -> Result<()> {
    let mut staging = Staging::default();
    let out = staging.stage(&args.out)?;
    if let Some(dir) = &args.plot_dir {
        std::fs::create_dir_all(dir).map_err(|e| anyhow!("--plot-dir {}: {e}", dir.display()))?;
    }
    let points = calibrate::grid(&config.sweeps).len();
    let progress = Progress::new(quiet, points as u64, &format!("calibrating {}", config.circuit.display()));
    let started = std::time::Instant::now();
    let calibration = calibrate::gaussian::run(config, &|done, _| progress.set(done as u64))?;
    progress.finish();
    crate::io::write_json_atomic(&out, &calibration)?;
    if let Some(dir) = &args.plot_dir {
        for ext in ["svg", "png"] {
            calibrate::gaussian_plots::write(&calibration, dir, ext)?;
        }
    }
    staging.commit()?;
    if !quiet {
        println!(
            "gaussian pair ({}) from {} points in {:.1} s; wrote {}",
            calibration.nodes.join(", "),
            calibration.points.len(),
            started.elapsed().as_secs_f64(),
            args.out.display()
        );
        for p in &calibration.points {
            let controls: Vec<String> =
                p.controls.iter().map(|(k, v)| format!("{k} = {}", format_si(*v, "V"))).collect();
            let s = &p.covariance_v2;
            println!(
                "  {}: mean ({}, {}), S = [{:.4e} {:.4e} {:.4e}] V^2 (+- {:.1e}), gyration {:.3e} +- {:.1e} V^2/s",
                controls.join(", "),
                format_si(p.mean_v[0], "V"),
                format_si(p.mean_v[1], "V"),
                s[0][0],
                s[0][1],
                s[1][1],
                p.covariance_se_v2[0][0].max(p.covariance_se_v2[1][1]),
                p.gyration_v2_per_s,
                p.gyration_se_v2_per_s
            );
        }
    }
    Ok(())
}

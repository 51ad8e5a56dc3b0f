//! `pbitsim chip`: whole-chip Gibbs sampling from a chip description.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use serde::Serialize;

use super::{Progress, RunArgs, check_extension};
use crate::chip::cells::behavioural::CellsReport;
use crate::chip::cells::couplings::{BehaviouralCells, behavioural_chip};
use crate::chip::description::config::CellKind;
use crate::chip::observers::npy::NpyWriter;
use crate::chip::observers::snapshot::Snapshots;
use crate::chip::{ChipConfig, ChipStats, IdealCell, Observer, RunOptions, Sample, run_chip};
use crate::io::Staging;
use crate::report::plot::{Axis, Figure, Panel, Series, render};

#[derive(Debug, Args)]
pub struct ChipArgs {
    /// The chip description (.toml).
    pub chip: PathBuf,
    /// Override a key of the description, e.g. --set model.beta=0.4 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Sweeps after warm-up (overrides schedule.sweeps).
    #[arg(long)]
    pub sweeps: Option<u64>,
    /// Warm-up sweeps (overrides schedule.warmup).
    #[arg(long, value_name = "N")]
    pub warmup_sweeps: Option<u64>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Write the samples to this .npy file (shape [samples, cells], uint8; spins as 0/1).
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
    /// Write statistics to this JSON file.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
    /// Write plots (magnetisation and energy against sweep, lattice snapshots) to this
    /// directory.
    #[arg(long, value_name = "DIR")]
    pub plot_dir: Option<PathBuf>,
}

/// The stats file: the sampler's statistics, plus the calibrated cells and the chip's energy
/// per sample when the cells are behavioural.
#[derive(Debug, Serialize)]
pub struct ChipReport {
    #[serde(flatten)]
    pub stats: ChipStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cells_model: Option<CellsReport>,
    /// Calibrated Gaussian cells: the calibration and the law read from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gaussian_cells: Option<crate::chip::cells::gaussian::GaussianCellsReport>,
    /// Energy of one sweep (every cell updated once) (J).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_per_sweep_j: Option<f64>,
    /// Energy of one independent sample: a sweep times 2 tau_int of the energy (J).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy_per_sample_j: Option<f64>,
}

/// Records magnetisation and energy per sample for the plots.
/// The chip's cells, built before any output is touched.
enum PreparedCells {
    Ideal,
    Behavioural(Box<crate::chip::cells::couplings::BehaviouralChip>),
    /// The chip with diagonal, couplings and fields from a Gaussian calibration.
    Gaussian(Box<(crate::chip::Chip, crate::chip::cells::gaussian::GaussianCellsReport)>),
}

#[derive(Default)]
struct Series2 {
    sweep: Vec<f64>,
    m: Vec<f64>,
    energy: Vec<f64>,
    cells: usize,
}

impl Observer for Series2 {
    fn needs_state(&self, _: u64) -> bool {
        false
    }

    fn observe(&mut self, sample: &Sample) -> Result<(), crate::chip::ChipError> {
        self.cells = sample.state.len();
        self.sweep.push(sample.sweep as f64);
        self.m.push(sample.magnetisation);
        self.energy.push(sample.energy / sample.state.len() as f64);
        Ok(())
    }
}

pub fn run(args: &ChipArgs, quiet: bool) -> Result<()> {
    if let Some(path) = &args.samples {
        check_extension("samples", path, &["npy"])?;
    }
    if let Some(path) = &args.stats {
        check_extension("stats", path, &["json"])?;
    }
    let mut overrides = args.set.clone();
    if let Some(s) = args.sweeps {
        overrides.push(format!("schedule.sweeps={s}"));
    }
    if let Some(w) = args.warmup_sweeps {
        overrides.push(format!("schedule.warmup={w}"));
    }
    if !args.chip.is_file() {
        bail!("{}: no such chip description", args.chip.display());
    }
    let config = ChipConfig::from_file(&args.chip, &overrides)?;
    let chip = config.build()?;
    let schedule = config.schedule(&chip)?;
    let total = schedule.warmup + schedule.sweeps;
    let progress = Progress::new(quiet, total.max(1), &format!("sampling {}", args.chip.display()));
    let report_progress = |done: u64, _total: u64| progress.set(done);
    let options = RunOptions {
        seed: args.run.seed,
        threads: args.run.threads,
        progress: Some(&report_progress),
        pairs: None,
    };
    // The cells are built (their calibration read, mismatch checked) before any output is
    // touched, so a bad [cells] section leaves the plot directory and every file as they were.
    let cells = match config.cells.kind {
        CellKind::Ideal => PreparedCells::Ideal,
        CellKind::Pbit => PreparedCells::Behavioural(Box::new(
            behavioural_chip(&config, &chip, args.run.seed)
                .map_err(|e| anyhow::anyhow!("{}: {e}", args.chip.display()))?,
        )),
        CellKind::Gaussian => {
            let (calibrated, report) = crate::chip::cells::gaussian::calibrated_gaussian_chip(&config, &chip)
                .map_err(|e| anyhow::anyhow!("{}: {e}", args.chip.display()))?;
            PreparedCells::Gaussian(Box::new((calibrated, report)))
        }
        other => bail!(
            "{}: [cells] kind = {other:?} is not available on the chip; use ideal, pbit or gaussian",
            args.chip.display()
        ),
    };
    let mut series = Series2::default();
    // Every output file staged now (its directory proven writable) and replaced only at the end.
    let mut staging = Staging::default();
    let samples_path = staging.stage_optional(args.samples.as_ref())?;
    let stats_path = staging.stage_optional(args.stats.as_ref())?;
    let mut writer = samples_path.as_ref().map(|p| NpyWriter::create(p, chip.cells())).transpose()?;
    let mut snapshots =
        args.plot_dir.as_ref().filter(|_| chip.topology.lattice_side().is_some()).map(|dir| {
            let every = (schedule.sweeps / schedule.thin.max(1) / 8).max(1);
            Snapshots::new(dir.join("snapshots"), every)
        });
    if let Some(dir) = &args.plot_dir {
        let snapshots = dir.join("snapshots");
        std::fs::create_dir_all(&snapshots)
            .map_err(|e| anyhow::anyhow!("--plot-dir {}: {e}", snapshots.display()))?;
    }
    let mut observers: Vec<&mut dyn Observer> = vec![&mut series];
    if let Some(w) = writer.as_mut() {
        observers.push(w);
    }
    if let Some(s) = snapshots.as_mut() {
        observers.push(s);
    }
    let mut gaussian_cells = None;
    let (stats, cells_model) = match cells {
        PreparedCells::Ideal => {
            (run_chip(&chip, IdealCell::new(chip.model.beta), &schedule, &options, &mut observers)?, None)
        }
        PreparedCells::Behavioural(b) => {
            let stats = match b.cells {
                BehaviouralCells::Plain(cells) => {
                    run_chip(&b.chip, cells, &schedule, &options, &mut observers)?
                }
                BehaviouralCells::Coupled(cells) => {
                    run_chip(&b.chip, cells, &schedule, &options, &mut observers)?
                }
            };
            (stats, Some(b.report))
        }
        PreparedCells::Gaussian(prepared) => {
            let (calibrated, report) = *prepared;
            gaussian_cells = Some(report);
            let cells = IdealCell::new(calibrated.model.beta);
            (run_chip(&calibrated, cells, &schedule, &options, &mut observers)?, None)
        }
    };
    progress.finish();
    let report = ChipReport {
        energy_per_sample_j: cells_model.as_ref().map(|c| c.energy.per_sample_j(stats.tau_int_energy)),
        energy_per_sweep_j: cells_model.as_ref().map(|c| c.energy.per_sweep_j),
        cells_model,
        gaussian_cells,
        stats,
    };
    if let Some(path) = &stats_path {
        crate::io::write_json_atomic(path, &report)?;
    }
    if let Some(dir) = &args.plot_dir {
        let figure =
            Figure::new(format!("{} ({} cells)", args.chip.display(), report.stats.cells))
                .share_x()
                .panel(Panel::new("magnetisation", Axis::new("sweep"), Axis::new("m")).series(Series::line(
                    "m",
                    series.sweep.clone(),
                    series.m.clone(),
                )))
                .panel(
                    Panel::new("energy per cell", Axis::new("sweep"), Axis::new("E / N"))
                        .series(Series::line("E/N", series.sweep.clone(), series.energy.clone())),
                )
                .size(1000, 700);
        render(&figure, dir.join("chip.svg"))?;
    }
    staging.commit()?;
    if !quiet {
        let s = &report.stats;
        println!(
            "{} cells, {} sweeps: <|m|> = {:.4} +- {:.4}, E/N = {:.5} +- {:.5}, ESS {:.0}",
            s.cells,
            s.sweeps,
            s.mean_abs_magnetization,
            s.mean_abs_magnetization_se,
            s.energy_per_cell_mean,
            s.energy_per_cell_se,
            s.effective_sample_size.energy
        );
        println!(
            "  flips_per_ns = {:.3} (sweeps), {:.3} with statistics and outputs, {} thread(s); kernel: {}, {}",
            s.flips_per_ns, s.overall_flips_per_ns, s.threads, s.kernel.local_field, s.kernel.draw
        );
        if let (Some(g), Some(c)) = (&report.gaussian_cells, &s.covariance) {
            let m = &c.matrix;
            println!(
                "  gaussian pairs from {}: covariance [{:.4e} {:.4e} {:.4e}] V^2 (calibrated mean ({:.4e}, {:.4e}) V)",
                g.calibration, m[0][0], m[0][1], m[1][1], g.law.mean_v[0], g.law.mean_v[1]
            );
        }
        if let Some(c) = &report.cells_model {
            println!(
                "  p-bit cells at {:.1} K: effective beta {:.4} (model beta {:.4}), energy {} per sweep, {} per sample",
                c.temperature_k,
                c.effective_beta,
                s.beta,
                crate::units::format_si(c.energy.per_sweep_j, "J"),
                crate::units::format_si(report.energy_per_sample_j.unwrap_or(f64::NAN), "J")
            );
        }
    }
    Ok(())
}

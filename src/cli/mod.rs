//! The command line: clap parses arguments, each command validates them into the library's
//! config, then the library runs. Every flag has help text; temperatures take a unit
//! (`300K`, `27C`), times and voltages SPICE suffixes (`10u`, `2ns`, `50mV`).

mod calibrate;
mod chip;
mod demo;
mod docs;
mod message;
mod netlist;
mod op;
mod progress;
mod simulate;
mod sweep;
mod train;

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};

pub use message::{error_message, shorten_long_words};
pub use progress::Progress;
pub use simulate::SimulateArgs;

use crate::units::{Quantity, parse_temperature, parse_value};

/// pbitsim: probabilistic circuits from transistor physics up to a whole chip.
#[derive(Debug, Parser)]
#[command(name = "pbitsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print nothing but errors (no progress bars, no summary).
    #[arg(long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a circuit netlist: traces, plot and summary statistics.
    Simulate(SimulateArgs),
    /// DC operating point of a netlist: node voltages, device currents, every equilibrium
    /// found and its stability.
    Op(op::OpArgs),
    /// Linear-noise analysis at the operating point: covariance, effective temperatures,
    /// PSDs, correlation times and gyration rates.
    Noise(op::NoiseArgs),
    /// Calibrate a cell: sweep controls and temperature, fit, write a calibration file.
    Calibrate(calibrate::CalibrateArgs),
    /// Sample a whole chip (lattice or graph of cells) by block Gibbs or free running.
    Chip(chip::ChipArgs),
    /// Write a chip description as a transistor-level netlist (cells and synapses).
    Netlist(netlist::NetlistArgs),
    /// Run a study file (temperatures, parameters, stages) point by point into a directory.
    Sweep(sweep::SweepArgs),
    /// Merge a study directory (and its shards) into results.csv and report.html.
    Report(sweep::ReportArgs),
    /// Learn on the chip: a Boltzmann machine, the ideal-versus-in-the-loop study, or a DTM.
    Train(train::TrainArgs),
    /// The whole pipeline on the shipped defaults: traces, calibration, chip, study, report.
    Demo(demo::DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(docs::CompletionsArgs),
    /// Write the man pages (pbitsim.1 and one per command) into a directory.
    Man(docs::ManArgs),
}

/// Options shared by every command that draws random numbers or uses threads.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Master seed: the same seed gives the same result, bit for bit, on any thread count.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// Read a flag's value as a SPICE quantity, naming the flag in the error.
pub fn flag_value(flag: &str, text: &str, quantity: Quantity) -> Result<f64> {
    parse_value(text, quantity).map_err(|e| anyhow!("--{flag}: {e}"))
}

/// Read a duration flag (a time with optional unit): refused when negative, and when zero
/// unless `zero_allowed` (a warm-up may be zero; a stop time, step or interval may not).
pub fn flag_duration(flag: &str, text: &str, zero_allowed: bool) -> Result<f64> {
    let value = flag_value(flag, text, Quantity::Time)?;
    if value < 0.0 || (value == 0.0 && !zero_allowed) {
        let expected = if zero_allowed { "zero or a positive time" } else { "a positive time" };
        bail!("--{flag} {text}: expected {expected}, such as 10n or 2u");
    }
    Ok(value)
}

/// Read a temperature flag.
pub fn flag_temperature(flag: &str, text: &str) -> Result<f64> {
    parse_temperature(text).map_err(|e| anyhow!("--{flag}: {e}"))
}

/// Check that an output path has one of the accepted extensions, before any work is done.
pub fn check_extension(flag: &str, path: &Path, accepted: &[&str]) -> Result<()> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_lowercase).unwrap_or_default();
    if !accepted.contains(&ext.as_str()) {
        bail!("--{flag} {}: expected a file ending in .{}", path.display(), accepted.join(" or ."));
    }
    Ok(())
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Simulate(args) => simulate::run(&args, cli.quiet),
        Command::Op(args) => op::run_op(&args, cli.quiet),
        Command::Noise(args) => op::run_noise(&args, cli.quiet),
        Command::Chip(args) => chip::run(&args, cli.quiet),
        Command::Calibrate(args) => calibrate::run(&args, cli.quiet),
        Command::Netlist(args) => netlist::run(&args, cli.quiet),
        Command::Sweep(args) => sweep::run_sweep(&args, cli.quiet),
        Command::Report(args) => sweep::run_report(&args, cli.quiet),
        Command::Demo(args) => demo::run(&args, cli.quiet),
        Command::Train(args) => train::run(&args, cli.quiet),
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man_pages(&args, cli.quiet),
    }
}

//! `pbitsim netlist`: a chip description as a transistor-level netlist.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use super::check_extension;
use crate::chip::ChipConfig;

#[derive(Debug, Args)]
pub struct NetlistArgs {
    /// The chip description (.toml), with [cells] circuit and [couplings] circuit and
    /// calibration.
    pub chip: PathBuf,
    /// Write the netlist here (.cir).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Override a key of the description, e.g. --set model.beta=0.4 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Seed of the cells' mismatch offsets (the same as `pbitsim chip --seed` draws).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: &NetlistArgs, quiet: bool) -> Result<()> {
    check_extension("out", &args.out, &["cir", "sp", "spice", "net"])?;
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
        bail!("--out {}: the directory {} does not exist", args.out.display(), parent.display());
    }
    if !args.chip.is_file() {
        bail!("{}: no such chip description", args.chip.display());
    }
    let config = ChipConfig::from_file(&args.chip, &args.set)?;
    let network = crate::netlist_writer::write(&config, &args.out, args.seed)?;
    if !quiet {
        let weights: Vec<f64> = network.pairs.iter().map(|p| p.weight).collect();
        let (lo, hi) =
            weights.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &w| (a.min(w), b.max(w)));
        println!(
            "{}: {} cells, {} synapses (weights {:.4} to {:.4} V), input gain {:.3} mV per unit field",
            args.out.display(),
            network.cells,
            network.synapses,
            lo,
            hi,
            network.gain * 1e3
        );
    }
    Ok(())
}

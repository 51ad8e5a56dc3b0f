//! `pbitsim train`: learning on the chip (a Boltzmann machine, the ideal-versus-in-the-loop
//! study, or the DTM), with a progress bar showing the loss estimate.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use super::Progress;
use crate::train::run::{RunOptions, StepInfo};
use crate::train::{TrainFile, dtm, outputs, study, train_file};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The training file (.toml).
    pub file: PathBuf,
    /// Output directory: train.toml, checkpoint.json, edges.csv, fields.csv, chip.toml,
    /// history.csv, summary.json, timing.json, report.html, plots/.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Continue the run in --out-dir from its last checkpoint (bit-identical to an uninterrupted run).
    #[arg(long)]
    pub resume: bool,
    /// Worker threads (0: all cores). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// The progress bar's message: steps, the latest loss estimate and the gradient's size.
fn message(label: &str, s: &StepInfo) -> String {
    let loss = s.loss.map_or(String::new(), |(step, l)| format!(" | loss {l:.4} @ {step}"));
    format!("{label} step {}/{}{loss} | grad rms {:.3e}", s.step, s.steps, s.gradient_rms)
}

pub fn run(args: &TrainArgs, quiet: bool) -> Result<()> {
    if !args.file.is_file() {
        bail!("{}: no such training file", args.file.display());
    }
    let file = TrainFile::from_file(&args.file)?;
    crate::train::plain::check(&file)?;
    outputs::prepare(&args.out_dir, &file, args.resume)?;
    let progress = Progress::new(quiet, file.train.steps, "training");
    let label = std::sync::Mutex::new(String::from("training"));
    let show = |s: &StepInfo| {
        if s.step < progress.position() || progress.position() == 0 {
            progress.reset(s.steps);
        }
        progress.set(s.step);
        let l = label.lock().map(|l| l.clone()).unwrap_or_default();
        progress.set_message(message(&l, s));
    };
    let options =
        RunOptions { threads: args.threads, resume: args.resume, progress: Some(&show), stop_after: None };
    let started = std::time::Instant::now();
    let what = if file.study.is_some() {
        let outcome = study::run(&file, &args.out_dir, &options, &|name: &str| {
            if let Ok(mut l) = label.lock() {
                *l = name.to_string();
            }
        })?;
        format!(
            "study: {} trainings, report {}",
            outcome.trainings,
            args.out_dir.join("report.html").display()
        )
    } else if file.dtm.is_some() {
        let outcome = dtm::run(&file, &args.out_dir, &options, &|name: &str| {
            if let Ok(mut l) = label.lock() {
                *l = name.to_string();
            }
        })?;
        format!(
            "DTM: nearest-centroid accuracy of generated digits {:.3} (real held-out digits {:.3}), report {}",
            outcome.accuracy,
            outcome.real_accuracy,
            args.out_dir.join("report.html").display()
        )
    } else {
        let outcome = train_file(&file, &args.out_dir, &options)?;
        let e = &outcome.evaluation;
        let score = e
            .exact
            .as_ref()
            .map(|x| format!("exact KL {:.4} nats", x.kl))
            .or_else(|| {
                e.ais.as_ref().map(|a| format!("held-out NLL {:.3} ± {:.3} (AIS)", a.test_nll, a.test_nll_se))
            })
            .unwrap_or_default();
        let speed = outcome.timing.as_ref().map_or(String::new(), |t| {
            format!(
                ", {:.0} chain sweeps/s ({:.3e} cell updates/s)",
                t.chain_sweeps_per_second, t.cell_updates_per_second
            )
        });
        format!("{score}{speed}; wrote {}", args.out_dir.display())
    };
    progress.finish();
    if !quiet {
        println!("{what} in {:.1} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}

//! `pbitsim sweep` and `pbitsim report`: temperature studies run point by point into a
//! directory, then merged into one HTML report.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::Progress;
use crate::study::{self, Shard, Study, StudyDir, SweepOptions};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The study file (.toml).
    pub study: PathBuf,
    /// Output directory: study.toml, study.json, points/, timings/, results.csv.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Run only share I of N of the points (1-based), e.g. as one task of a job array.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Skip the points already in --out-dir (after an interruption).
    #[arg(long)]
    pub resume: bool,
    /// Points run at once (0: one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The study directory written by `pbitsim sweep`.
    pub dir: PathBuf,
    /// Copy the points of another directory of the same study (a shard's --out-dir) into DIR
    /// first; repeatable.
    #[arg(long = "merge", value_name = "SHARD_DIR")]
    pub merge: Vec<PathBuf>,
    /// Report even if some points are missing.
    #[arg(long)]
    pub partial: bool,
}

/// Run a study into a directory with a progress bar.
fn run_study(
    study: &Study,
    out: &std::path::Path,
    shard: Option<Shard>,
    resume: bool,
    threads: usize,
    quiet: bool,
) -> Result<()> {
    let total = study::point::points(study).len();
    let progress = Progress::new(quiet, 1, &format!("study '{}'", study.name));
    let report = |done: usize, todo: usize| {
        progress.set_length(todo as u64);
        progress.set(done as u64);
    };
    let options = SweepOptions { shard, resume, threads, progress: &report };
    let started = std::time::Instant::now();
    let outcome = study::sweep(study, &StudyDir::new(out), &options)?;
    progress.finish();
    if !quiet {
        println!(
            "study '{}': ran {} point(s), {} already done, of {} in the study, in {:.1} s; {}",
            study.name,
            outcome.ran,
            outcome.skipped,
            total,
            started.elapsed().as_secs_f64(),
            if outcome.complete {
                format!("complete: wrote {}", out.join("results.csv").display())
            } else {
                "other shards still to run".into()
            }
        );
    }
    Ok(())
}

pub fn run_sweep(args: &SweepArgs, quiet: bool) -> Result<()> {
    if !args.study.is_file() {
        bail!("{}: no such study file", args.study.display());
    }
    let shard = args.shard.as_deref().map(Shard::parse).transpose().map_err(|e| anyhow!(e))?;
    let study = Study::from_file(&args.study)?;
    // Made only once the study has loaded and passed its checks, so a bad study leaves none.
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| anyhow!("--out-dir {}: cannot create the directory: {e}", args.out_dir.display()))?;
    run_study(&study, &args.out_dir, shard, args.resume, args.threads, quiet)
}

pub fn run_report(args: &ReportArgs, quiet: bool) -> Result<()> {
    let dir = StudyDir::new(&args.dir);
    for other in &args.merge {
        let copied = dir.merge_from(&StudyDir::new(other))?;
        if !quiet {
            println!("merged {copied} point(s) from {}", other.display());
        }
    }
    let outcome = study::report::write(&dir, args.partial)?;
    if !quiet {
        println!(
            "wrote {} ({} points, {} figures{})",
            outcome.html.display(),
            outcome.points,
            outcome.figures.len(),
            if outcome.missing.is_empty() {
                String::new()
            } else {
                format!(", {} missing", outcome.missing.len())
            }
        );
    }
    Ok(())
}

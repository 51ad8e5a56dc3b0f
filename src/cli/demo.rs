//! `pbitsim demo`: the whole pipeline on the shipped defaults, each step an ordinary pbitsim
//! command (printed before it runs, so it can be rerun by hand):
//!
//! 1. `simulate` the shipped p-bit at 300 K: traces, plot and summary;
//! 2. `calibrate` it at 250, 300 and 350 K;
//! 3. `chip` on circuits/chip70.toml (70 x 70, degree 12) with the cells just calibrated;
//! 4. `sweep` the shipped temperature study circuits/demo_study.toml into DIR, and
//! 5. `report` it: DIR/report.html.
//!
//! A rerun into the same directory reuses the study points already finished.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser};

use super::Cli;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "demo")]
    pub out_dir: PathBuf,
    /// Directory of the shipped circuits (default: ./circuits, else the source tree's).
    #[arg(long)]
    pub circuits: Option<PathBuf>,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

fn circuits_dir(args: &DemoArgs) -> Result<PathBuf> {
    let candidates = match &args.circuits {
        Some(dir) => vec![dir.clone()],
        None => vec![PathBuf::from("circuits"), Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits")],
    };
    for dir in &candidates {
        if dir.join("pbit.cir").is_file() && dir.join("demo_study.toml").is_file() {
            return Ok(dir.clone());
        }
    }
    bail!(
        "cannot find the shipped circuits (pbit.cir, demo_study.toml) in {}; pass --circuits DIR",
        candidates.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(" or ")
    )
}

fn step(title: &str, argv: Vec<String>, quiet: bool) -> Result<()> {
    if !quiet {
        println!("\n== {title}\n$ pbitsim {}", argv.join(" "));
    }
    let mut full = vec!["pbitsim".to_string()];
    full.extend(argv);
    if quiet {
        full.push("--quiet".into());
    }
    let cli = Cli::try_parse_from(&full)?;
    super::run(cli)
}

pub fn run(args: &DemoArgs, quiet: bool) -> Result<()> {
    let circuits = circuits_dir(args)?;
    let out = &args.out_dir;
    std::fs::create_dir_all(out)
        .with_context(|| format!("--out-dir {}: cannot create the directory", out.display()))?;
    let c = |name: &str| circuits.join(name).display().to_string();
    let o = |name: &str| out.join(name).display().to_string();
    let threads = args.threads.to_string();
    let started = std::time::Instant::now();
    for sub in ["traces", "calibration", "chip"] {
        let dir = out.join(sub);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("--out-dir: cannot create {}", dir.display()))?;
    }
    step(
        "1/5 p-bit traces at 300 K",
        vec![
            "simulate".into(),
            c("pbit.cir"),
            "--runs".into(),
            "4".into(),
            "--temp".into(),
            "300K".into(),
            "--threads".into(),
            threads.clone(),
            "--plot".into(),
            o("traces/pbit.svg"),
            "--summary".into(),
            o("traces/summary.json"),
        ],
        quiet,
    )?;
    step(
        "2/5 calibration at 250, 300 and 350 K",
        vec![
            "calibrate".into(),
            c("pbit.cir"),
            "--sweep".into(),
            "vin=-100m:100m:11".into(),
            "--temps".into(),
            "250K,300K,350K".into(),
            "--precision".into(),
            "0.02".into(),
            "--threads".into(),
            threads.clone(),
            "--out".into(),
            o("calibration/pbit_calibration.json"),
            "--plot-dir".into(),
            o("calibration"),
        ],
        quiet,
    )?;
    let calibration = out.join("calibration/pbit_calibration.json");
    let calibration = std::fs::canonicalize(&calibration)
        .with_context(|| format!("cannot find {}", calibration.display()))?;
    step(
        "3/5 the 70 x 70 degree-12 chip with the calibrated cells",
        vec![
            "chip".into(),
            c("chip70.toml"),
            "--set".into(),
            format!("cells.calibration={}", toml::Value::String(calibration.display().to_string())),
            "--threads".into(),
            threads.clone(),
            "--stats".into(),
            o("chip/stats.json"),
            "--plot-dir".into(),
            o("chip"),
        ],
        quiet,
    )?;
    step(
        "4/5 temperature study",
        vec![
            "sweep".into(),
            c("demo_study.toml"),
            "--out-dir".into(),
            out.display().to_string(),
            "--resume".into(),
            "--threads".into(),
            threads,
        ],
        quiet,
    )?;
    step("5/5 report", vec!["report".into(), out.display().to_string()], quiet)?;
    if !quiet {
        println!(
            "\ndemo finished in {:.0} s: open {}",
            started.elapsed().as_secs_f64(),
            out.join("report.html").display()
        );
    }
    Ok(())
}

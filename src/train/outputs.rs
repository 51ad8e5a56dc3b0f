//! The files of a trained machine (formats in [`crate::train::plain`]): weights that
//! `pbitsim chip` reads, where the pixels sit, the loss history, and the output directory's
//! checks (an existing run is continued only with `--resume`).

use super::TrainError;
use super::checkpoint::HistoryRow;
use super::config::TrainFile;
use super::machine::Machine;
use crate::chip::ChipConfig;
use crate::io::{CsvWriter, write_atomic};
use std::fmt::Write as _;
use std::path::Path;

/// Checks the output directory before any work: it must not hold another run unless
/// `resume`, and a resumed run must come from the same training file. Then writes
/// DIR/train.toml.
pub fn prepare(dir: &Path, file: &TrainFile, resume: bool) -> Result<(), TrainError> {
    let copy = dir.join("train.toml");
    if copy.is_file() {
        let old = std::fs::read(&copy).map_err(|e| TrainError::Io(format!("{}: {e}", copy.display())))?;
        if !resume {
            return Err(TrainError::Directory(format!(
                "{} already holds a training run; pass --resume to continue it, or choose another --out-dir",
                dir.display()
            )));
        }
        if crate::io::sha256_hex(&old) != file.sha256 {
            return Err(TrainError::Directory(format!(
                "{} holds a run of a different training file; --resume needs the same file ({})",
                dir.display(),
                file.path.display()
            )));
        }
    } else if dir.is_dir()
        && std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(false)
        && !resume
    {
        return Err(TrainError::Directory(format!(
            "{} exists and is not empty; choose another --out-dir (or --resume a run in it)",
            dir.display()
        )));
    }
    if dir.exists() && !dir.is_dir() {
        return Err(TrainError::Directory(format!("{} is not a directory", dir.display())));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| TrainError::Io(format!("cannot create {}: {e}", dir.display())))?;
    write_atomic(&copy, file.text.as_bytes())?;
    Ok(())
}

/// Writes edges.csv, fields.csv, class_fields.csv (class-conditional machines),
/// placement.csv and chip.toml of `theta` into `dir`.
pub fn write_machine(
    dir: &Path,
    machine: &Machine,
    theta: &[f64],
    chip: &ChipConfig,
) -> Result<(), TrainError> {
    let mut edges = String::from("i,j,J\n");
    for (e, &j) in machine.edges.iter().zip(machine.couplings(theta)) {
        let _ = writeln!(edges, "{},{},{j:?}", e.i, e.j);
    }
    write_atomic(dir.join("edges.csv"), edges.as_bytes())?;
    let mut fields = String::from("i,h\n");
    for (i, &h) in machine.fields(theta).iter().enumerate() {
        let _ = writeln!(fields, "{i},{h:?}");
    }
    write_atomic(dir.join("fields.csv"), fields.as_bytes())?;
    if machine.classes > 0 {
        let mut text = String::from("class,i,b\n");
        for y in 0..machine.classes {
            let off = machine.class_offset(y);
            for (i, b) in theta[off..off + machine.cells()].iter().enumerate() {
                let _ = writeln!(text, "{y},{i},{b:?}");
            }
        }
        write_atomic(dir.join("class_fields.csv"), text.as_bytes())?;
    }
    let mut placement = String::from("pixel,cell,role\n");
    for (role, cells) in [("visible", &machine.visible), ("input", &machine.inputs)] {
        for (p, c) in cells.iter().enumerate() {
            let _ = writeln!(placement, "{p},{c},{role}");
        }
    }
    write_atomic(dir.join("placement.csv"), placement.as_bytes())?;
    write_atomic(dir.join("chip.toml"), chip_toml(machine, chip).as_bytes())?;
    Ok(())
}

/// A chip description of the trained machine with the cells it was trained on.
fn chip_toml(machine: &Machine, chip: &ChipConfig) -> String {
    let mut cells = chip.cells.clone();
    if let Some(c) = cells.calibration.as_mut() {
        let full = chip.base_dir.join(&*c);
        *c = std::fs::canonicalize(&full).unwrap_or(full);
    }
    let cells = toml::to_string(&cells).unwrap_or_default();
    format!(
        "# The trained machine ({} cells, {} edges) as a chip: `pbitsim chip chip.toml`.\n\
         # Visible cells are listed in placement.csv. Class-conditional machines add the class\n\
         # fields of class_fields.csv to fields.csv for the class wanted.\n\n\
         [graph]\nedges = \"edges.csv\"\nfields = \"fields.csv\"\n\n\
         [model]\nkind = \"ising\"\nbeta = {:?}\n\n[cells]\n{cells}\n\
         [schedule]\nmethod = \"{}\"\nwarmup = 100\nsweeps = 10000\ntau = {:?}\nread_interval = {:?}\n",
        machine.cells(),
        machine.edges.len(),
        machine.beta(),
        match chip.schedule.method {
            crate::chip::Method::BlockGibbs => "block-gibbs",
            crate::chip::Method::FreeRunning => "free-running",
        },
        chip.schedule.tau,
        chip.schedule.read_interval
    )
}

/// Writes history.csv (loss NaN where not evaluated).
pub fn write_history(path: &Path, history: &[HistoryRow]) -> Result<(), TrainError> {
    let mut w = CsvWriter::create(path, &["step", "gradient_rms", "loss"])?;
    for h in history {
        w.write_row(&[h.step as f64, h.gradient_rms, h.loss.unwrap_or(f64::NAN)])?;
    }
    Ok(w.finish()?)
}

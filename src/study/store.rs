//! The study's output directory and the sweep that fills it: points in parallel, each
//! written atomically when done, so an interrupted sweep loses only the points in flight and
//! `--resume` picks up the rest; `--shard I/N` runs points i with i mod N = I - 1.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::point::{self, PointKey, PointResult};
use super::{Study, StudyError};
use crate::io::{sha256_hex, write_atomic, write_json_atomic};

/// Schema name of every study JSON file.
pub const SCHEMA: &str = "pbitsim-study";
pub const VERSION: u32 = 1;

/// `DIR/study.json`: what the directory holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub version: u32,
    pub pbitsim_version: String,
    pub name: String,
    pub seed: u64,
    /// The study file as given on the command line.
    pub source: String,
    /// SHA-256 of the study file's text: a directory holds one study.
    pub sha256: String,
    pub points: Vec<PointKey>,
}

/// `DIR/points/point_NNNN.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointRecord {
    pub schema: String,
    pub key: PointKey,
    pub result: PointResult,
}

/// `DIR/timings/point_NNNN.json`: kept apart so that results are reproducible files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub index: usize,
    pub wall_s: f64,
    pub threads: usize,
    pub shard: Option<String>,
}

/// A deterministic share of the points: I of N (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parse `I/N` with 1 <= I <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let fail = || format!("--shard {text}: expected I/N with 1 <= I <= N, e.g. 2/8");
        let (i, n) = text.split_once('/').ok_or_else(fail)?;
        let (index, count): (usize, usize) =
            (i.trim().parse().map_err(|_| fail())?, n.trim().parse().map_err(|_| fail())?);
        if index == 0 || index > count {
            return Err(fail());
        }
        Ok(Shard { index, count })
    }

    pub fn contains(&self, point: usize) -> bool {
        point % self.count == self.index - 1
    }

    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

/// How to run a sweep.
pub struct SweepOptions<'a> {
    pub shard: Option<Shard>,
    pub resume: bool,
    /// Points run at once (0: one per core).
    pub threads: usize,
    /// Called with (points done, points to do) as points finish, from any thread.
    pub progress: &'a (dyn Fn(usize, usize) + Sync),
}

/// What a sweep did.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepOutcome {
    pub ran: usize,
    pub skipped: usize,
    /// Every point of the study is in the directory (results.csv was written).
    pub complete: bool,
}

/// A study output directory.
#[derive(Debug, Clone)]
pub struct StudyDir {
    pub root: PathBuf,
}

impl StudyDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StudyDir { root: root.into() }
    }

    pub fn point_path(&self, index: usize) -> PathBuf {
        self.root.join("points").join(format!("point_{index:04}.json"))
    }

    pub fn timing_path(&self, index: usize) -> PathBuf {
        self.root.join("timings").join(format!("point_{index:04}.json"))
    }

    fn io(&self, path: &Path, e: impl std::fmt::Display) -> StudyError {
        StudyError::Io(format!("{}: {e}", path.display()))
    }

    /// The manifest, if the directory has one.
    pub fn manifest(&self) -> Result<Option<Manifest>, StudyError> {
        let path = self.root.join("study.json");
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| self.io(&path, e))?;
        let m: Manifest = serde_json::from_str(&text)
            .map_err(|e| self.io(&path, format!("not a pbitsim study manifest: {e}")))?;
        if m.schema != SCHEMA || m.version != VERSION {
            return Err(
                self.io(&path, format!("schema {} v{}, expected {SCHEMA} v{VERSION}", m.schema, m.version))
            );
        }
        Ok(Some(m))
    }

    /// The study file's text as copied into the directory.
    pub fn study_text(&self) -> Result<String, StudyError> {
        let path = self.root.join("study.toml");
        std::fs::read_to_string(&path).map_err(|e| self.io(&path, e))
    }

    /// Indices of the points whose files are present.
    pub fn finished(&self) -> Result<BTreeSet<usize>, StudyError> {
        let dir = self.root.join("points");
        let mut done = BTreeSet::new();
        if !dir.exists() {
            return Ok(done);
        }
        for entry in std::fs::read_dir(&dir).map_err(|e| self.io(&dir, e))? {
            let name = entry.map_err(|e| self.io(&dir, e))?.file_name();
            let name = name.to_string_lossy();
            if let Some(i) = name.strip_prefix("point_").and_then(|s| s.strip_suffix(".json"))
                && let Ok(i) = i.parse()
            {
                done.insert(i);
            }
        }
        Ok(done)
    }

    /// Read a finished point.
    pub fn read_point(&self, index: usize) -> Result<PointRecord, StudyError> {
        let path = self.point_path(index);
        let text = std::fs::read_to_string(&path).map_err(|e| self.io(&path, e))?;
        let record: PointRecord =
            serde_json::from_str(&text).map_err(|e| self.io(&path, format!("not a study point: {e}")))?;
        if record.key.index != index {
            return Err(self.io(&path, format!("holds point {}", record.key.index)));
        }
        Ok(record)
    }

    /// Read a point's timing, if present.
    pub fn read_timing(&self, index: usize) -> Option<Timing> {
        let text = std::fs::read_to_string(self.timing_path(index)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Prepare the directory for `study`: create it, or check it holds the same study.
    fn prepare(&self, study: &Study, resume: bool, mine: &[usize]) -> Result<(), StudyError> {
        let sha = sha256_hex(study.text.as_bytes());
        match self.manifest()? {
            Some(m) if m.sha256 != sha => {
                return Err(StudyError::Directory(format!(
                    "{} holds the results of another study ('{}', from {}); use a new --out-dir",
                    self.root.display(),
                    m.name,
                    m.source
                )));
            }
            Some(_) => {
                let finished = self.finished()?;
                let overlap = mine.iter().filter(|i| finished.contains(i)).count();
                if overlap > 0 && !resume {
                    return Err(StudyError::Directory(format!(
                        "{} already holds {overlap} finished point(s) of this study; pass --resume to \
                         run only the rest, or use a new --out-dir",
                        self.root.display()
                    )));
                }
            }
            None => {
                if self.root.join("points").exists() {
                    return Err(StudyError::Directory(format!(
                        "{} has a points/ folder but no study.json; use a new --out-dir",
                        self.root.display()
                    )));
                }
            }
        }
        for sub in ["points", "timings"] {
            let d = self.root.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| self.io(&d, e))?;
        }
        if self.manifest()?.is_none() {
            write_atomic(self.root.join("study.toml"), study.text.as_bytes())?;
            let manifest = Manifest {
                schema: SCHEMA.into(),
                version: VERSION,
                pbitsim_version: env!("CARGO_PKG_VERSION").into(),
                name: study.name.clone(),
                seed: study.seed,
                source: study.source.display().to_string(),
                sha256: sha,
                points: point::points(study),
            };
            write_json_atomic(self.root.join("study.json"), &manifest)?;
        }
        Ok(())
    }

    /// Write results.csv from every point (all must be present).
    pub fn write_results(&self, records: &[PointRecord]) -> Result<(), StudyError> {
        write_atomic(self.root.join("results.csv"), results_csv(records).as_bytes())?;
        Ok(())
    }

    /// Read every point the manifest lists; missing ones are returned by index.
    pub fn read_all(&self) -> Result<(Manifest, Vec<PointRecord>, Vec<usize>), StudyError> {
        let manifest = self.manifest()?.ok_or_else(|| {
            StudyError::Directory(format!(
                "{}: no study.json; is this the --out-dir of `pbitsim sweep`?",
                self.root.display()
            ))
        })?;
        let finished = self.finished()?;
        let mut records = Vec::new();
        let mut missing = Vec::new();
        for key in &manifest.points {
            if finished.contains(&key.index) {
                let record = self.read_point(key.index)?;
                if record.key != *key {
                    return Err(StudyError::Directory(format!(
                        "{}: point {} does not match the study's point list",
                        self.point_path(key.index).display(),
                        key.index
                    )));
                }
                records.push(record);
            } else {
                missing.push(key.index);
            }
        }
        Ok((manifest, records, missing))
    }

    /// Copy the points (and timings) of another directory of the same study into this one.
    /// A point present in both must be byte-identical.
    pub fn merge_from(&self, other: &StudyDir) -> Result<usize, StudyError> {
        let theirs = other.manifest()?.ok_or_else(|| {
            StudyError::Directory(format!("{}: no study.json to merge", other.root.display()))
        })?;
        match self.manifest()? {
            Some(ours) if ours.sha256 != theirs.sha256 => {
                return Err(StudyError::Directory(format!(
                    "{} and {} hold different studies; only shards of one study merge",
                    self.root.display(),
                    other.root.display()
                )));
            }
            Some(_) => {}
            None => {
                for sub in ["points", "timings"] {
                    let d = self.root.join(sub);
                    std::fs::create_dir_all(&d).map_err(|e| self.io(&d, e))?;
                }
                write_atomic(self.root.join("study.toml"), other.study_text()?.as_bytes())?;
                write_json_atomic(self.root.join("study.json"), &theirs)?;
            }
        }
        let mut copied = 0;
        for i in other.finished()? {
            let src = other.point_path(i);
            let bytes = std::fs::read(&src).map_err(|e| self.io(&src, e))?;
            let dst = self.point_path(i);
            if dst.exists() {
                let ours = std::fs::read(&dst).map_err(|e| self.io(&dst, e))?;
                if ours != bytes {
                    return Err(StudyError::Directory(format!(
                        "point {i} differs between {} and {}",
                        dst.display(),
                        src.display()
                    )));
                }
                continue;
            }
            write_atomic(&dst, &bytes)?;
            if let Ok(t) = std::fs::read(other.timing_path(i)) {
                write_atomic(self.timing_path(i), &t)?;
            }
            copied += 1;
        }
        Ok(copied)
    }
}

/// Run a study's points into `dir` (those of the shard, skipping finished ones on resume).
pub fn sweep(study: &Study, dir: &StudyDir, options: &SweepOptions) -> Result<SweepOutcome, StudyError> {
    let keys = point::points(study);
    let mine: Vec<usize> =
        keys.iter().map(|k| k.index).filter(|&i| options.shard.is_none_or(|s| s.contains(i))).collect();
    dir.prepare(study, options.resume, &mine)?;
    let finished = dir.finished()?;
    let todo: Vec<&PointKey> = mine.iter().filter(|i| !finished.contains(i)).map(|&i| &keys[i]).collect();
    let skipped = mine.len() - todo.len();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| StudyError::Point(format!("cannot start {} threads: {e}", options.threads)))?;
    let threads = pool.current_num_threads();
    let done = std::sync::atomic::AtomicUsize::new(0);
    (options.progress)(0, todo.len());
    pool.install(|| {
        todo.par_iter().try_for_each(|key| -> Result<(), StudyError> {
            let started = Instant::now();
            let result = point::run(study, key)?;
            let record = PointRecord { schema: SCHEMA.into(), key: (*key).clone(), result };
            write_json_atomic(dir.point_path(key.index), &record)?;
            let timing = Timing {
                index: key.index,
                wall_s: started.elapsed().as_secs_f64(),
                threads,
                shard: options.shard.map(|s| s.label()),
            };
            write_json_atomic(dir.timing_path(key.index), &timing)?;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            (options.progress)(n, todo.len());
            Ok(())
        })
    })?;
    let (_, records, missing) = dir.read_all()?;
    let complete = missing.is_empty();
    if complete {
        dir.write_results(&records)?;
    }
    Ok(SweepOutcome { ran: todo.len(), skipped, complete })
}

fn num(x: Option<f64>) -> String {
    // Shortest round-trip text; scientific for very small or large magnitudes.
    x.filter(|v| v.is_finite()).map_or(String::new(), |v| {
        if v != 0.0 && !(1e-3..1e6).contains(&v.abs()) { format!("{v:e}") } else { format!("{v}") }
    })
}

/// The results table: one row per point, the swept values, then the stage's figures.
pub fn results_csv(records: &[PointRecord]) -> String {
    let names: BTreeSet<&String> = records.iter().flat_map(|r| r.key.parameters.keys()).collect();
    let figures = [
        "p1",
        "correlation_time_s",
        "switching_rate_hz",
        "power_w",
        "energy_per_sample_j",
        "v0_v",
        "v0_se_v",
        "vs_v",
        "vs_se_v",
        "effective_beta_predicted",
        "effective_beta_measured",
        "effective_beta_se",
        "mean_abs_magnetization",
        "mean_abs_magnetization_se",
        "energy_per_cell",
        "energy_per_sweep_j",
        "chip_energy_per_sample_j",
    ];
    let mut out = String::from("index,stage,temperature_k");
    for n in &names {
        out.push(',');
        out.push_str(n);
    }
    for f in figures {
        out.push(',');
        out.push_str(f);
    }
    out.push('\n');
    for r in records {
        let mut row: BTreeMap<&str, Option<f64>> = BTreeMap::new();
        match &r.result {
            PointResult::Traces(t) => {
                row.insert("p1", t.probabilities.get(1).copied());
                row.insert("correlation_time_s", t.correlation_time_s);
                row.insert("switching_rate_hz", t.switching_rate_hz);
                row.insert("power_w", Some(t.power_w));
                row.insert("energy_per_sample_j", t.energy_per_sample_j);
            }
            PointResult::Calibration(c) => {
                row.insert("correlation_time_s", Some(c.fit.correlation_time_s));
                row.insert("energy_per_sample_j", Some(c.fit.energy_per_sample_j));
                row.insert("v0_v", c.fit.v0);
                row.insert("v0_se_v", c.fit.v0_se);
                row.insert("vs_v", c.fit.vs);
                row.insert("vs_se_v", c.fit.vs_se);
            }
            PointResult::Chip(c) => {
                row.insert("chip_energy_per_sample_j", Some(c.chip_energy_per_sample_j));
                row.insert("effective_beta_predicted", Some(c.effective_beta_predicted));
                row.insert("effective_beta_measured", Some(c.effective_beta_measured));
                row.insert("effective_beta_se", Some(c.effective_beta_se));
                row.insert("mean_abs_magnetization", Some(c.mean_abs_magnetization));
                row.insert("mean_abs_magnetization_se", Some(c.mean_abs_magnetization_se));
                row.insert("energy_per_cell", Some(c.energy_per_cell));
                row.insert("energy_per_sweep_j", Some(c.energy_per_sweep_j));
            }
        }
        out.push_str(&format!("{},{},{}", r.key.index, r.key.stage.name(), r.key.temperature_k));
        for n in &names {
            out.push(',');
            out.push_str(r.key.parameters.get(*n).map_or("", |s| s.as_str()));
        }
        for f in figures {
            out.push(',');
            out.push_str(&num(row.get(f).copied().flatten()));
        }
        out.push('\n');
    }
    out
}

//! Temperature sweep studies: a study file ([`config`]) expands into points ([`point`]),
//! each run deterministically from its own seed and written atomically to an output
//! directory ([`store`]); a report ([`report`], [`plots`]) merges them into one
//! self-contained HTML page.
//!
//! The output directory:
//! ```text
//! DIR/study.toml               the study file, verbatim
//! DIR/study.json               name, seed, version, the study's SHA-256, every point's key
//! DIR/points/point_0007.json   one per finished point: key and result (no timings)
//! DIR/timings/point_0007.json  wall time and thread count of that point
//! DIR/results.csv              one row per point (written when every point is present)
//! DIR/report.html              `pbitsim report DIR`
//! ```
//! Results never depend on the machine, the thread count or the shard: `points/` and
//! `results.csv` of a resumed or sharded run are byte-identical to an uninterrupted one.

pub mod check;
pub mod config;
pub mod plots;
pub mod point;
pub mod report;
pub mod store;

pub use config::Study;
pub use point::{PointKey, PointResult, Stage};
pub use store::{Shard, StudyDir, SweepOptions, sweep};

/// An error of a study: the study file, the output directory, or a point that failed.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// `location` is `file:line` (or the file alone when no line applies).
    #[error("{location}: {message}")]
    Config { location: String, message: String },
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Directory(String),
    #[error("{0}")]
    Point(String),
    #[error(transparent)]
    Simulate(#[from] crate::simulate::SimulateError),
    #[error(transparent)]
    Chip(#[from] crate::chip::ChipError),
    #[error(transparent)]
    Plot(#[from] crate::report::plot::PlotError),
}

impl StudyError {
    /// A study-file error at `line` (0: no particular line).
    pub fn config(file: &std::path::Path, line: usize, message: impl Into<String>) -> Self {
        let location =
            if line == 0 { file.display().to_string() } else { format!("{}:{line}", file.display()) };
        StudyError::Config { location, message: message.into() }
    }
}

impl From<crate::io::IoError> for StudyError {
    fn from(e: crate::io::IoError) -> Self {
        StudyError::Io(e.to_string())
    }
}

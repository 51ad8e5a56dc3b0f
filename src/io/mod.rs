//! Writing results to disk: atomic replacement, CSV and NPY traces, JSON.
//!
//! Every writer here goes through [`AtomicFile`]: bytes land in a uniquely named temporary
//! file beside the target and are renamed onto the final name only when the writer is
//! committed (`commit` / `finish`). A run that fails, panics or is interrupted never leaves a
//! truncated file under the final name; the temporary is removed when the writer is dropped.
//!
//! | Format | Writer | Use |
//! |--------|--------|-----|
//! | any bytes | [`write_atomic`], [`AtomicFile`], [`AtomicPath`] | building block |
//! | a command's outputs | [`Staging`] | replaced together when the command succeeds |
//! | JSON | [`write_json_atomic`] | summaries, statistics, calibrations |
//! | CSV | [`CsvWriter`] | small traces, read by anything |
//! | NPY | [`NpyWriter`], [`write_npy`] | large traces and samples, read by `numpy.load` |
//! | CSV or NPY by extension | [`TraceWriter`], [`TraceSink`] | `--out trace.csv\|trace.npy` |
//!
//! ```no_run
//! use pbitsim::io::{TraceSink, TraceWriter};
//! let mut out = TraceWriter::create("trace.npy", &["time", "v_out"])?;
//! out.write_row(&[0.0, 0.41])?;
//! out.finish()?;
//! # Ok::<(), pbitsim::io::IoError>(())
//! ```

mod atomic;
mod csv;
mod json;
mod npy;
mod staging;
mod trace;

pub use atomic::{AtomicFile, AtomicPath, remove_pending_temporaries, write_atomic};
pub use csv::CsvWriter;
pub use json::write_json_atomic;
pub use npy::{NpyElement, NpyWriter, write_npy};
pub use staging::Staging;
pub use trace::{TraceFormat, TraceSink, TraceWriter};

/// SHA-256 of `bytes` as lowercase hex: the content hash recorded for netlists, model cards
/// and study files.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

use std::path::{Path, PathBuf};

/// Why writing an output file failed. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The operating system refused an operation on the file.
    #[error("cannot {action} '{}': {error}", path.display())]
    Os {
        /// What was being done, e.g. "create a temporary file for".
        action: &'static str,
        /// The file concerned (the final name, or the temporary beside it).
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The path does not end in a file name (e.g. it is `/` or ends in `..`).
    #[error("cannot write '{}': the path does not end in a file name", path.display())]
    NotAFile {
        /// The path given.
        path: PathBuf,
    },
    /// The value could not be serialised to JSON.
    #[error("cannot write JSON to '{}': {error}", path.display())]
    Json {
        /// The file being written.
        path: PathBuf,
        /// The serialisation error.
        error: serde_json::Error,
    },
    /// The file extension does not name a supported format.
    #[error(
        "cannot write '{}': unsupported file extension; expected {}",
        path.display(),
        list_extensions(accepted)
    )]
    Extension {
        /// The path given.
        path: PathBuf,
        /// The extensions that would have been accepted (without the dot).
        accepted: &'static [&'static str],
    },
    /// A table was declared with no columns.
    #[error("cannot write '{}': a table needs at least one column", path.display())]
    NoColumns {
        /// The file being written.
        path: PathBuf,
    },
    /// A row did not have one value per column.
    #[error(
        "cannot write row {row} to '{}': it has {found} values but the file has {expected} columns",
        path.display()
    )]
    RowLength {
        /// The file being written.
        path: PathBuf,
        /// Zero-based index of the offending row.
        row: u64,
        /// Number of columns declared when the file was created.
        expected: usize,
        /// Number of values in the row.
        found: usize,
    },
    /// A whole array's data does not fill its declared shape.
    #[error(
        "cannot write '{}': {found} values do not fill shape {shape:?} ({expected} values)",
        path.display()
    )]
    Shape {
        /// The file being written.
        path: PathBuf,
        /// The declared shape.
        shape: Vec<usize>,
        /// Product of the shape (`usize::MAX` if the product overflows).
        expected: usize,
        /// Number of values supplied.
        found: usize,
    },
    /// An output file whose directory does not exist (outputs never create directories).
    #[error(
        "cannot write '{}': the directory '{}' does not exist; create it first or choose another path",
        path.display(),
        dir.display()
    )]
    NoDirectory {
        /// The output file.
        path: PathBuf,
        /// Its missing directory.
        dir: PathBuf,
    },
    /// A whole array has more dimensions than NumPy accepts.
    #[error(
        "cannot write '{}': {dims} dimensions; NumPy arrays have at most {max}",
        path.display()
    )]
    Dimensions {
        /// The file being written.
        path: PathBuf,
        /// Number of dimensions requested.
        dims: usize,
        /// The limit.
        max: usize,
    },
}

impl IoError {
    /// An OS error on `path` while doing `action`.
    pub(crate) fn os(action: &'static str, path: &Path, error: std::io::Error) -> Self {
        IoError::Os { action, path: path.to_path_buf(), error }
    }
}

fn list_extensions(accepted: &[&str]) -> String {
    let dotted: Vec<String> = accepted.iter().map(|e| format!(".{e}")).collect();
    match dotted.len() {
        0 => "nothing".to_string(),
        1 => dotted[0].clone(),
        n => format!("{} or {}", dotted[..n - 1].join(", "), dotted[n - 1]),
    }
}

/// The lower-case extension of `path` (without the dot), if any.
pub(crate) fn extension_of(path: &Path) -> Option<String> {
    path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase())
}

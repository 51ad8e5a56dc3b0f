//! Trace output whose format is chosen by the file extension: `.csv` or `.npy`.

use super::{CsvWriter, IoError, NpyWriter, extension_of};
use std::path::Path;

/// Something that accepts a table of `f64` one row at a time and is committed at the end.
///
/// Implemented by [`CsvWriter`], [`NpyWriter<f64>`](NpyWriter) and [`TraceWriter`], so an
/// observer can be generic over the output format.
pub trait TraceSink {
    /// Number of values each row must have.
    fn columns(&self) -> usize;
    /// Number of rows written so far.
    fn rows(&self) -> u64;
    /// Append one row of `columns()` values.
    fn write_row(&mut self, row: &[f64]) -> Result<(), IoError>;
    /// Complete the file and move it onto its final name. Dropping a sink without calling
    /// this discards everything written.
    fn finish(self) -> Result<(), IoError>
    where
        Self: Sized;
}

/// A trace file format, chosen from a file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFormat {
    /// Comma-separated text with a header row of column names.
    Csv,
    /// NumPy `.npy`, `float64`, shape `[rows, columns]`; column names are not stored.
    Npy,
}

impl TraceFormat {
    /// Accepted extensions, without the dot.
    pub const EXTENSIONS: &'static [&'static str] = &["csv", "npy"];

    /// The format named by `path`'s extension (case-insensitive); anything other than
    /// `.csv` or `.npy` is an error naming the path and the accepted extensions.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, IoError> {
        let path = path.as_ref();
        match extension_of(path).as_deref() {
            Some("csv") => Ok(TraceFormat::Csv),
            Some("npy") => Ok(TraceFormat::Npy),
            _ => Err(IoError::Extension { path: path.to_path_buf(), accepted: Self::EXTENSIONS }),
        }
    }
}

/// A trace writer in the format named by its file extension.
///
/// ```no_run
/// use pbitsim::io::{TraceSink, TraceWriter};
/// let mut out = TraceWriter::create("trace.csv", &["time", "v_out"])?;
/// for step in 0..10 { out.write_row(&[step as f64 * 1e-9, 0.4])?; }
/// out.finish()?;
/// # Ok::<(), pbitsim::io::IoError>(())
/// ```
#[derive(Debug)]
pub enum TraceWriter {
    /// Writing `.csv`.
    Csv(CsvWriter),
    /// Writing `.npy` (a structured array of named `float64` fields).
    Npy(NpyWriter<f64>),
}

impl TraceWriter {
    /// Start a trace at `path` with the given column names: the CSV header row, or the field
    /// names of the NPY file's structured array.
    pub fn create<S: AsRef<str>>(path: impl AsRef<Path>, columns: &[S]) -> Result<Self, IoError> {
        let path = path.as_ref();
        Ok(match TraceFormat::from_path(path)? {
            TraceFormat::Csv => TraceWriter::Csv(CsvWriter::create(path, columns)?),
            TraceFormat::Npy => TraceWriter::Npy(NpyWriter::create_named(path, columns)?),
        })
    }

    /// The format being written.
    pub fn format(&self) -> TraceFormat {
        match self {
            TraceWriter::Csv(_) => TraceFormat::Csv,
            TraceWriter::Npy(_) => TraceFormat::Npy,
        }
    }

    /// The final file name.
    pub fn path(&self) -> &Path {
        match self {
            TraceWriter::Csv(w) => w.path(),
            TraceWriter::Npy(w) => w.path(),
        }
    }
}

impl TraceSink for TraceWriter {
    fn columns(&self) -> usize {
        match self {
            TraceWriter::Csv(w) => w.columns(),
            TraceWriter::Npy(w) => w.columns(),
        }
    }

    fn rows(&self) -> u64 {
        match self {
            TraceWriter::Csv(w) => w.rows(),
            TraceWriter::Npy(w) => w.rows(),
        }
    }

    fn write_row(&mut self, row: &[f64]) -> Result<(), IoError> {
        match self {
            TraceWriter::Csv(w) => w.write_row(row),
            TraceWriter::Npy(w) => w.write_row(row),
        }
    }

    fn finish(self) -> Result<(), IoError> {
        match self {
            TraceWriter::Csv(w) => w.finish(),
            TraceWriter::Npy(w) => w.finish(),
        }
    }
}

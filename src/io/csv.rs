//! Streaming CSV traces: a header row of column names, then one row of numbers per call.
//!
//! Numbers use Rust's shortest round-trip formatting (`{:?}` for `f64`): parsing the text
//! gives back the identical `f64`. Very large or small magnitudes use exponent notation
//! (`1e-12`); non-finite values are written `NaN`, `inf`, `-inf`, which Python's `float`,
//! numpy and pandas read. Names containing a comma, quote or line break are quoted as in
//! RFC 4180. Lines end in `\n`.

use super::{AtomicFile, IoError, TraceSink};
use std::io::Write;
use std::path::Path;

/// A CSV table of `f64` written row by row and committed atomically by
/// [`finish`](CsvWriter::finish). Dropped without `finish`, it leaves no file behind.
#[derive(Debug)]
pub struct CsvWriter {
    file: AtomicFile,
    columns: usize,
    rows: u64,
    line: String,
}

impl CsvWriter {
    /// Start a table at `path` with the given column names (at least one).
    pub fn create<S: AsRef<str>>(path: impl AsRef<Path>, columns: &[S]) -> Result<Self, IoError> {
        let path = path.as_ref();
        if columns.is_empty() {
            return Err(IoError::NoColumns { path: path.to_path_buf() });
        }
        let mut file = AtomicFile::create(path)?;
        let header: Vec<String> = columns.iter().map(|c| quote(c.as_ref())).collect();
        let mut line = header.join(",");
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(|e| file.error("write", e))?;
        Ok(CsvWriter { file, columns: columns.len(), rows: 0, line })
    }

    /// Append one row; it must have one value per column.
    pub fn write_row(&mut self, row: &[f64]) -> Result<(), IoError> {
        if row.len() != self.columns {
            return Err(IoError::RowLength {
                path: self.file.target().to_path_buf(),
                row: self.rows,
                expected: self.columns,
                found: row.len(),
            });
        }
        self.line.clear();
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            // Writing to a String cannot fail.
            let _ = std::fmt::Write::write_fmt(&mut self.line, format_args!("{value:?}"));
        }
        self.line.push('\n');
        let file = &mut self.file;
        file.write_all(self.line.as_bytes()).map_err(|e| file.error("write", e))?;
        self.rows += 1;
        Ok(())
    }

    /// Number of columns.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Number of data rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The final file name.
    pub fn path(&self) -> &Path {
        self.file.target()
    }

    /// Flush and rename onto the final name.
    pub fn finish(self) -> Result<(), IoError> {
        self.file.commit()
    }
}

impl TraceSink for CsvWriter {
    fn columns(&self) -> usize {
        self.columns
    }

    fn rows(&self) -> u64 {
        self.rows
    }

    fn write_row(&mut self, row: &[f64]) -> Result<(), IoError> {
        CsvWriter::write_row(self, row)
    }

    fn finish(self) -> Result<(), IoError> {
        CsvWriter::finish(self)
    }
}

/// Quote a header field if it contains a separator, quote or line break (RFC 4180).
fn quote(name: &str) -> String {
    if name.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("time"), "time");
        assert_eq!(quote("V(out)"), "V(out)");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}

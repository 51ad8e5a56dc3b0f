//! JSON results: pretty-printed, newline-terminated, written atomically.

use super::{AtomicFile, IoError};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Serialise `value` as pretty JSON (two-space indent, trailing newline) and replace `path`
/// with it atomically. Nothing is written if serialisation fails.
///
/// ```no_run
/// # #[derive(serde::Serialize)] struct Summary { mean: f64 }
/// pbitsim::io::write_json_atomic("summary.json", &Summary { mean: 0.5 })?;
/// # Ok::<(), pbitsim::io::IoError>(())
/// ```
pub fn write_json_atomic<T: Serialize + ?Sized>(path: impl AsRef<Path>, value: &T) -> Result<(), IoError> {
    let path = path.as_ref();
    // Serialise first: a value that cannot be written never creates a temporary.
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|error| IoError::Json { path: path.to_path_buf(), error })?;
    bytes.push(b'\n');
    let mut file = AtomicFile::create(path)?;
    file.write_all(&bytes).map_err(|e| file.error("write", e))?;
    file.commit()
}

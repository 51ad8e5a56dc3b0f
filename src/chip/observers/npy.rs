//! Samples streamed to a NumPy `.npy` file (format version 1.0, written here directly:
//! magic `\x93NUMPY`, version 1.0, little-endian u16 header length, a Python dict literal
//! padded with spaces to a multiple of 64 bytes and ended by `\n`, then the data in C order;
//! see numpy's `numpy.lib.format` documentation).
//!
//! Shape `[samples, cells]`; dtype `|u1` with 0/1 for spins (1 = +1), `|u1` state for Potts,
//! `<f4` for Gaussian values. The header is written with room for any row count and fixed when
//! the stream is closed. Data go to `<name>.partial` beside the target, which is renamed to the
//! final name only by [`Observer::finish`]; an interrupted run never leaves a truncated file
//! under the final name (an unfinished writer deletes its partial file when dropped).

use crate::chip::error::ChipError;
use crate::chip::observers::observe::{Observer, Sample};
use crate::chip::samplers::sampler::StateBuf;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// An observer writing every sample as one row of a `.npy` file.
pub struct NpyWriter {
    path: PathBuf,
    partial: PathBuf,
    out: Option<BufWriter<File>>,
    cells: usize,
    rows: u64,
    descr: &'static str,
    header_len: usize,
    row: Vec<u8>,
}

/// The header for `rows` x `cells`, padded to `total` bytes (0: to the next multiple of 64).
fn header(descr: &str, rows: u64, cells: usize, total: usize) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cells}), }}");
    let base = 10 + dict.len() + 1;
    let total = if total == 0 { base.div_ceil(64) * 64 } else { total };
    let mut h = b"\x93NUMPY\x01\x00".to_vec();
    h.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.resize(total - 1, b' ');
    h.push(b'\n');
    h
}

impl NpyWriter {
    /// Starts a stream of rows of `cells` values to `path`.
    pub fn create(path: impl AsRef<Path>, cells: usize) -> Result<Self, ChipError> {
        let path = path.as_ref().to_path_buf();
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let partial = path.with_file_name(name);
        let file = File::create(&partial).map_err(|e| ChipError::io(&partial, e))?;
        Ok(NpyWriter {
            path,
            partial,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            cells,
            rows: 0,
            descr: "|u1",
            header_len: 0,
            row: vec![],
        })
    }

    fn io(&self, e: std::io::Error) -> ChipError {
        ChipError::io(&self.partial, e)
    }

    fn start(&mut self, descr: &'static str) -> Result<(), ChipError> {
        self.descr = descr;
        // room for any u64 row count
        let h = header(descr, u64::MAX, self.cells, 0);
        self.header_len = h.len();
        let r = self.out.as_mut().map(|o| o.write_all(&h));
        r.transpose().map_err(|e| self.io(e))?;
        Ok(())
    }
}

impl Observer for NpyWriter {
    fn observe(&mut self, s: &Sample) -> Result<(), ChipError> {
        if self.header_len == 0 {
            let descr = if matches!(s.state, StateBuf::Real(_)) { "<f4" } else { "|u1" };
            self.start(descr)?;
        }
        self.row.clear();
        match s.state {
            StateBuf::Spins(v) => self.row.extend(v.iter().map(|&x| (x > 0) as u8)),
            StateBuf::Potts(v) => self.row.extend_from_slice(v),
            StateBuf::Real(v) => {
                for &x in v {
                    self.row.extend_from_slice(&(x as f32).to_le_bytes());
                }
            }
        }
        let r = self.out.as_mut().map(|o| o.write_all(&self.row));
        r.transpose().map_err(|e| self.io(e))?;
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ChipError> {
        if self.header_len == 0 {
            self.start("|u1")?;
        }
        let Some(out) = self.out.take() else {
            return Ok(());
        };
        let mut file = out.into_inner().map_err(|e| ChipError::io(&self.partial, e.into_error()))?;
        let h = header(self.descr, self.rows, self.cells, self.header_len);
        file.seek(SeekFrom::Start(0)).map_err(|e| self.io(e))?;
        file.write_all(&h).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))?;
        drop(file);
        std::fs::rename(&self.partial, &self.path).map_err(|e| ChipError::io(&self.path, e))
    }
}

impl Drop for NpyWriter {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_fixed_length() {
        let big = header("|u1", u64::MAX, 4096, 0);
        assert_eq!(big.len() % 64, 0);
        let small = header("|u1", 3, 4096, big.len());
        assert_eq!(small.len(), big.len());
        assert_eq!(*small.last().unwrap(), b'\n');
        let text = String::from_utf8_lossy(&small[10..]);
        assert!(text.starts_with("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 4096), }"));
        assert_eq!(u16::from_le_bytes([small[8], small[9]]) as usize, small.len() - 10);
    }
}

//! Samples streamed to a NumPy `.npy` file through the one NPY writer of [`crate::io::npy`]
//! (and so through its atomic replacement: the data go to a hidden temporary beside the
//! target, registered for removal on Ctrl-C, and renamed onto the final name only by
//! [`Observer::finish`]; a failed or interrupted run leaves no file and replaces nothing).
//!
//! Shape `[samples, cells]`; dtype `|u1` with 0/1 for spins (1 = +1), `|u1` state for Potts,
//! `<f4` for Gaussian values. The dtype follows the first sample.

use crate::chip::error::ChipError;
use crate::chip::observers::observe::{Observer, Sample};
use crate::chip::samplers::sampler::StateBuf;
use crate::io::{AtomicFile, NpyWriter as ArrayWriter};
use std::path::{Path, PathBuf};

/// The open array: bytes (spins, Potts states) or single-precision reals.
enum Array {
    Bytes(ArrayWriter<u8>),
    Real(ArrayWriter<f32>),
}

/// An observer writing every sample as one row of a `.npy` file.
pub struct NpyWriter {
    path: PathBuf,
    cells: usize,
    array: Option<Array>,
    bytes: Vec<u8>,
    reals: Vec<f32>,
}

impl NpyWriter {
    /// Starts a stream of rows of `cells` values to `path`. The target's directory is checked
    /// now (a temporary is reserved there and released), before any sampling.
    pub fn create(path: impl AsRef<Path>, cells: usize) -> Result<Self, ChipError> {
        let path = path.as_ref().to_path_buf();
        drop(AtomicFile::create(&path)?);
        Ok(NpyWriter { path, cells, array: None, bytes: Vec::new(), reals: Vec::new() })
    }

    fn open(&mut self, real: bool) -> Result<&mut Array, ChipError> {
        if self.array.is_none() {
            let array = if real {
                Array::Real(ArrayWriter::create(&self.path, self.cells)?)
            } else {
                Array::Bytes(ArrayWriter::create(&self.path, self.cells)?)
            };
            self.array = Some(array);
        }
        Ok(self.array.as_mut().expect("opened above"))
    }
}

impl Observer for NpyWriter {
    fn observe(&mut self, s: &Sample) -> Result<(), ChipError> {
        let result = match s.state {
            StateBuf::Spins(v) => {
                let mut bytes = std::mem::take(&mut self.bytes);
                bytes.clear();
                bytes.extend(v.iter().map(|&x| (x > 0) as u8));
                let r = match self.open(false)? {
                    Array::Bytes(w) => w.write_row(&bytes),
                    Array::Real(_) => unreachable!("a chip's state kind does not change"),
                };
                self.bytes = bytes;
                r
            }
            StateBuf::Potts(v) => match self.open(false)? {
                Array::Bytes(w) => w.write_row(v),
                Array::Real(_) => unreachable!("a chip's state kind does not change"),
            },
            StateBuf::Real(v) => {
                let mut reals = std::mem::take(&mut self.reals);
                reals.clear();
                reals.extend(v.iter().map(|&x| x as f32));
                let r = match self.open(true)? {
                    Array::Real(w) => w.write_row(&reals),
                    Array::Bytes(_) => unreachable!("a chip's state kind does not change"),
                };
                self.reals = reals;
                r
            }
        };
        Ok(result?)
    }

    fn finish(&mut self) -> Result<(), ChipError> {
        self.open(false)?;
        let result = match self.array.take().expect("opened above") {
            Array::Bytes(w) => w.finish(),
            Array::Real(w) => w.finish(),
        };
        Ok(result?)
    }
}

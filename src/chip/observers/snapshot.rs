//! Lattice snapshots as grey-scale PNG: one pixel per cell (Ising: +1 white, -1 black; Potts:
//! state k as grey level k / (q - 1); Gaussian: values mapped linearly from [min, max]).
//! Written atomically (a hidden temporary renamed onto the name when complete).

use crate::chip::error::ChipError;
use crate::chip::observers::observe::{Observer, Sample};
use crate::chip::samplers::sampler::StateBuf;
use crate::io::AtomicFile;
use std::path::{Path, PathBuf};

/// Writes an L x L grey-scale PNG of a state.
pub fn write_png(path: &Path, side: usize, state: &StateBuf) -> Result<(), ChipError> {
    let pixels: Vec<u8> = match state {
        StateBuf::Spins(v) => v.iter().map(|&s| if s > 0 { 255 } else { 0 }).collect(),
        StateBuf::Potts(v) => {
            let max = v.iter().copied().max().unwrap_or(0).max(1) as f64;
            v.iter().map(|&k| (255.0 * k as f64 / max) as u8).collect()
        }
        StateBuf::Real(v) => {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let span = if hi > lo { hi - lo } else { 1.0 };
            v.iter().map(|&x| (255.0 * (x - lo) / span) as u8).collect()
        }
    };
    if pixels.len() != side * side {
        return Err(ChipError::Unsupported(format!(
            "snapshot of {} cells is not a {side} x {side} lattice",
            pixels.len()
        )));
    }
    let mut file = AtomicFile::create(path)?;
    let png_err = |e: png::EncodingError| ChipError::io(path, std::io::Error::other(e));
    {
        let mut enc = png::Encoder::new(&mut file, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(png_err)?;
        w.write_image_data(&pixels).map_err(png_err)?;
        w.finish().map_err(png_err)?;
    }
    Ok(file.commit()?)
}

/// An observer writing `snapshot_<sample>.png` into a directory every `every` samples.
pub struct Snapshots {
    dir: PathBuf,
    every: u64,
}

impl Snapshots {
    pub fn new(dir: impl Into<PathBuf>, every: u64) -> Self {
        Snapshots { dir: dir.into(), every: every.max(1) }
    }
}

impl Observer for Snapshots {
    fn needs_state(&self, index: u64) -> bool {
        index.is_multiple_of(self.every)
    }

    fn observe(&mut self, s: &Sample) -> Result<(), ChipError> {
        let Some(side) = s.lattice_side else {
            return Err(ChipError::Unsupported("snapshots need a lattice chip".into()));
        };
        if s.index.is_multiple_of(self.every) {
            let path = self.dir.join(format!("snapshot_{:08}.png", s.index));
            write_png(&path, side, s.state)?;
        }
        Ok(())
    }
}

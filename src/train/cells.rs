//! The cells both phases of training run on: the chip's `[cells]` section, built by the chip
//! module (ideal cells, or calibrated p-bits at a temperature with this chip's mismatch
//! offsets), behind one type so that the training code is written once.

use super::TrainError;
use crate::chip::cells::behavioural::{CellsReport, PbitCells, pbit_cells};
use crate::chip::description::config::CellKind;
use crate::chip::{CellModel, Chip, ChipConfig, ChipError, IdealCell};

/// Ideal or calibrated cells.
// A few values per training run, read on every cell update: kept inline, not boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ChipCells {
    Ideal(IdealCell),
    Pbit(PbitCells),
}

impl ChipCells {
    /// The cells `config.cells` describes on `chip`; a chip's mismatch offsets come from
    /// `seed` (as `pbitsim chip --seed`), so one seed is one chip instance.
    pub fn new(
        config: &ChipConfig,
        chip: &Chip,
        seed: u64,
    ) -> Result<(Self, Option<CellsReport>), TrainError> {
        match config.cells.kind {
            CellKind::Ideal => Ok((ChipCells::Ideal(IdealCell::new(chip.model.beta)), None)),
            CellKind::Pbit => {
                let (cells, report) = pbit_cells(config, chip, seed)?;
                Ok((ChipCells::Pbit(cells), Some(report)))
            }
            other => Err(ChipError::CellKind(format!("{other:?}").to_lowercase()).into()),
        }
    }

    /// True for ideal cells (exact conditionals sigma(2 beta u)).
    pub fn is_ideal(&self) -> bool {
        matches!(self, ChipCells::Ideal(_))
    }
}

macro_rules! each {
    ($self:expr, $c:ident => $e:expr) => {
        match $self {
            ChipCells::Ideal($c) => $e,
            ChipCells::Pbit($c) => $e,
        }
    };
}

impl CellModel for ChipCells {
    fn bind(&mut self, sites: &[u32]) -> Result<(), ChipError> {
        each!(self, c => c.bind(sites))
    }

    #[inline]
    fn p_up(&self, first: usize, u: &[f32], p: &mut [f32]) {
        each!(self, c => c.p_up(first, u, p))
    }

    #[inline(always)]
    fn draw_up(&self, first: usize, u: &[f32], r: &[f32], s: &mut [i8], scratch: &mut [f32]) {
        each!(self, c => c.draw_up(first, u, r, s, scratch))
    }

    fn ideal_beta(&self) -> Option<f64> {
        each!(self, c => c.ideal_beta())
    }

    fn categorical(&self, slot: usize, u: &[f64], p: &mut [f64]) {
        each!(self, c => c.categorical(slot, u, p))
    }

    fn gaussian(&self, slot: usize, mean: f64, precision: f64) -> (f64, f64) {
        each!(self, c => c.gaussian(slot, mean, precision))
    }

    fn tau(&self, slot: usize) -> f64 {
        each!(self, c => c.tau(slot))
    }

    fn set_beta(&mut self, beta: f64) -> Result<(), ChipError> {
        each!(self, c => c.set_beta(beta))
    }
}

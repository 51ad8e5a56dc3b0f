//! A chip problem ready to sample (topology + model + a proper colouring) and the schedule
//! the runner follows. Both can be built from a chip description ([`crate::chip::description::config`]) or
//! directly in code.

use crate::chip::description::colouring::{Colouring, check_proper, checkerboard, greedy};
use crate::chip::description::graph::Topology;
use crate::chip::description::model::{Model, ModelKind};
use crate::chip::error::ChipError;
use crate::chip::samplers::sampler::Initial;

/// Topology, energy model and colouring (checked proper at construction).
#[derive(Debug, Clone)]
pub struct Chip {
    pub topology: Topology,
    pub model: Model,
    pub colouring: Colouring,
}

impl Chip {
    /// Validates the model and colours the graph (checkerboard on lattices, greedy otherwise).
    pub fn new(topology: Topology, model: Model) -> Result<Self, ChipError> {
        model.validate(&topology)?;
        let adj = topology.adjacency();
        let colouring = match &topology {
            Topology::Lattice(l) => checkerboard(l),
            Topology::Graph(_) => greedy(&adj)?,
        };
        check_proper(&adj, &colouring)?;
        Ok(Chip { topology, model, colouring })
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.topology.cells()
    }

    /// Potts q (0 for Ising, 1 for Gaussian), as [`crate::chip::observers::observe::magnetisation`] wants.
    pub fn q(&self) -> usize {
        match self.model.kind {
            ModelKind::Ising => 0,
            ModelKind::Potts { q } => q,
            ModelKind::Gaussian => 1,
        }
    }
}

/// Sampling method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Chromatic block Gibbs, one sweep = every colour once.
    #[default]
    BlockGibbs,
    /// Continuous-time telegraph cells read every `read_interval`.
    FreeRunning,
}

/// What the runner does.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub method: Method,
    /// Sweeps discarded before recording.
    pub warmup: u64,
    /// Sweeps after warm-up.
    pub sweeps: u64,
    /// Record every `thin`-th sweep after warm-up.
    pub thin: u64,
    /// Beta as a piecewise-linear function of the sweep number (warm-up included), constant
    /// beyond the end points; `None` keeps the model's beta.
    pub anneal: Option<Vec<(u64, f64)>>,
    /// Clamped cells: (natural index, state) with state +-1 (Ising), 0..q (Potts) or real.
    pub clamp: Vec<(usize, f64)>,
    pub initial: Initial,
    /// Free running: cell correlation time tau_c.
    pub tau: f64,
    /// Free running: time between reads (one "sweep").
    pub read_interval: f64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            method: Method::BlockGibbs,
            warmup: 100,
            sweeps: 1000,
            thin: 1,
            anneal: None,
            clamp: vec![],
            initial: Initial::Random,
            tau: 1.0,
            read_interval: 1.0,
        }
    }
}

impl Schedule {
    /// Beta in force at `sweep`.
    pub fn beta_at(&self, sweep: u64, base: f64) -> f64 {
        let Some(pts) = &self.anneal else { return base };
        match pts.iter().position(|&(s, _)| s > sweep) {
            None => pts.last().map_or(base, |p| p.1),
            Some(0) => pts[0].1,
            Some(k) => {
                let ((s0, b0), (s1, b1)) = (pts[k - 1], pts[k]);
                b0 + (b1 - b0) * (sweep - s0) as f64 / (s1 - s0) as f64
            }
        }
    }

    /// Checks ranges against a chip (each message names the key and the expected range).
    pub fn validate(&self, chip: &Chip) -> Result<(), ChipError> {
        if self.sweeps == 0 {
            return Err(ChipError::value("schedule.sweeps", "got 0, expected at least 1"));
        }
        if self.thin == 0 || self.thin > self.sweeps {
            return Err(ChipError::value(
                "schedule.thin",
                format!("got {}, expected 1..={} (schedule.sweeps)", self.thin, self.sweeps),
            ));
        }
        for (key, v) in [("schedule.tau", self.tau), ("schedule.read_interval", self.read_interval)] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(ChipError::value(key, format!("got {v}, expected a finite number > 0")));
            }
        }
        if let Some(pts) = &self.anneal {
            if pts.is_empty() {
                return Err(ChipError::value("schedule.anneal", "expected at least one [sweep, beta] point"));
            }
            for w in pts.windows(2) {
                if w[1].0 <= w[0].0 {
                    return Err(ChipError::value("schedule.anneal", "sweep numbers must increase"));
                }
            }
            if let Some(p) = pts.iter().find(|p| !(p.1.is_finite() && p.1 >= 0.0)) {
                return Err(ChipError::value(
                    "schedule.anneal",
                    format!("beta {} is not a finite number >= 0", p.1),
                ));
            }
        }
        let n = chip.cells();
        for &(i, v) in &self.clamp {
            if i >= n {
                return Err(ChipError::value("schedule.clamp", format!("cell {i} is outside 0..{n}")));
            }
            let ok = match chip.model.kind {
                ModelKind::Ising => v == 1.0 || v == -1.0,
                ModelKind::Potts { q } => v >= 0.0 && v < q as f64 && v.fract() == 0.0,
                ModelKind::Gaussian => v.is_finite(),
            };
            if !ok {
                return Err(ChipError::value(
                    "schedule.clamp",
                    format!("cell {i}: state {v} is not valid (Ising -1 or 1, Potts 0..q, Gaussian finite)"),
                ));
            }
        }
        Ok(())
    }
}

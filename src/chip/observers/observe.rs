//! Observers: whatever looks at the samples (statistics, files, pictures). The runner calls
//! them between sweeps, never inside a numerical loop, and times them separately.

use crate::chip::error::ChipError;
use crate::chip::observers::autocorr::{AutoCorr, integrated_time};
use crate::chip::samplers::sampler::StateBuf;

/// One recorded sample.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// Number of the sample (0, 1, ...).
    pub index: u64,
    /// Sweeps done since the start, warm-up included.
    pub sweep: u64,
    /// Inverse temperature in force.
    pub beta: f64,
    /// The state in natural order.
    pub state: &'a StateBuf,
    /// Energy E(s) (model convention, without beta).
    pub energy: f64,
    /// Order parameter, see [`magnetisation`].
    pub magnetisation: f64,
    /// Lattice side L, if the chip is a lattice.
    pub lattice_side: Option<usize>,
}

/// Something that looks at samples.
pub trait Observer {
    /// Called once per recorded sample.
    fn observe(&mut self, sample: &Sample) -> Result<(), ChipError>;
    /// Whether sample number `index` must carry the state (default: yes). An observer that
    /// reads only the energy and magnetisation says no, and the runner then skips copying
    /// the state out of the sampler when nothing else needs it.
    fn needs_state(&self, index: u64) -> bool {
        let _ = index;
        true
    }
    /// Called once after the last sample (files are closed and renamed here).
    fn finish(&mut self) -> Result<(), ChipError> {
        Ok(())
    }
}

/// The order parameter of a state: Ising m = (1/N) sum_i s_i; q-state Potts
/// m = (q max_k n_k / N - 1) / (q - 1) in [0, 1] (n_k = cells in state k); Gaussian the mean.
pub fn magnetisation(state: &StateBuf, q: usize) -> f64 {
    let n = state.len() as f64;
    match state {
        StateBuf::Spins(s) => s.iter().map(|&v| v as i64).sum::<i64>() as f64 / n,
        StateBuf::Potts(s) => {
            let mut counts = vec![0usize; q.max(1)];
            for &k in s {
                counts[k as usize] += 1;
            }
            let max = *counts.iter().max().unwrap_or(&0) as f64;
            (q as f64 * max / n - 1.0) / (q as f64 - 1.0)
        }
        StateBuf::Real(x) => x.iter().sum::<f64>() / n,
    }
}

/// The statistics every run collects (the runner reads them into `ChipStats`).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    q: usize,
    cells: usize,
    /// Per sample |m| and E/N.
    pub abs_m: Vec<f64>,
    pub energy_per_cell: Vec<f64>,
    /// Sum of m.
    sum_m: f64,
    /// Ising: count of s = +1 per cell; Potts: count per cell and state (cell-major).
    counts: Vec<u64>,
    /// Ising: counts of the last `recent_samples` (< 255) samples, added into `counts` every
    /// 255 samples: one byte per cell per sample keeps the pass over the state cheap (32
    /// cells per vector instruction).
    recent: Vec<u8>,
    recent_samples: u32,
    /// Gaussian: sum of x per cell.
    sums: Vec<f64>,
    /// Ising: the sampler counts the +1 states itself ([`Summary::counts_from_sampler`]).
    counted_elsewhere: bool,
}

impl Summary {
    /// For `cells` cells; `q` = Potts states (0 for Ising, 1 for Gaussian).
    pub fn new(cells: usize, q: usize) -> Self {
        Summary { q, cells, ..Default::default() }
    }

    /// Ising: the per-cell counts will come from the sampler (see
    /// [`crate::chip::samplers::sampler::Sampler::count_next_sweep`]); `observe` skips the
    /// pass over the state that makes them.
    pub fn counts_from_sampler(&mut self) {
        self.counted_elsewhere = true;
    }

    /// Ising: installs the sampler's counts of +1 per cell over `sweeps` counted sweeps,
    /// which must be the samples seen.
    pub fn set_up_counts(&mut self, counts: Vec<u64>, sweeps: u64) -> Result<(), ChipError> {
        if sweeps != self.samples() as u64 || counts.len() != self.cells {
            return Err(ChipError::Unsupported(format!(
                "the sampler counted {sweeps} sweeps of {} cells for {} samples of {} cells",
                counts.len(),
                self.samples(),
                self.cells
            )));
        }
        self.counts = counts;
        self.recent.clear();
        Ok(())
    }

    /// Number of samples seen.
    pub fn samples(&self) -> usize {
        self.abs_m.len()
    }

    /// Mean of m.
    pub fn mean_m(&self) -> f64 {
        self.sum_m / self.samples() as f64
    }

    /// Autocorrelation analysis of |m| and of E/N.
    pub fn autocorr(&self) -> (AutoCorr, AutoCorr) {
        (integrated_time(&self.abs_m), integrated_time(&self.energy_per_cell))
    }

    /// Ising: P(s_i = +1); Potts: P(s_i = 1); Gaussian: mean of x_i.
    pub fn marginals(&self) -> Vec<f64> {
        let n = self.samples() as f64;
        match self.q {
            0 => (0..self.cells)
                .map(|i| {
                    let c = self.counts.get(i).copied().unwrap_or(0)
                        + self.recent.get(i).copied().unwrap_or(0) as u64;
                    c as f64 / n
                })
                .collect(),
            1 => self.sums.iter().map(|&s| s / n).collect(),
            q => (0..self.cells).map(|i| self.counts[i * q + 1] as f64 / n).collect(),
        }
    }

    /// Potts: P(s_i = k), `[cell][k]`.
    pub fn class_marginals(&self) -> Option<Vec<Vec<f64>>> {
        let n = self.samples() as f64;
        (self.q >= 2)
            .then(|| self.counts.chunks(self.q).map(|c| c.iter().map(|&v| v as f64 / n).collect()).collect())
    }
}

impl Observer for Summary {
    fn observe(&mut self, s: &Sample) -> Result<(), ChipError> {
        self.abs_m.push(s.magnetisation.abs());
        self.energy_per_cell.push(s.energy / self.cells as f64);
        self.sum_m += s.magnetisation;
        match s.state {
            StateBuf::Spins(_) if self.counted_elsewhere => {}
            StateBuf::Spins(v) => {
                self.counts.resize(self.cells, 0);
                self.recent.resize(self.cells, 0);
                for (c, &x) in self.recent.iter_mut().zip(v) {
                    *c += (x > 0) as u8;
                }
                self.recent_samples += 1;
                if self.recent_samples == u8::MAX as u32 {
                    flush_byte_counts(&mut self.counts, &mut self.recent);
                    self.recent_samples = 0;
                }
            }
            StateBuf::Potts(v) => {
                self.counts.resize(self.cells * self.q, 0);
                for (i, &k) in v.iter().enumerate() {
                    self.counts[i * self.q + k as usize] += 1;
                }
            }
            StateBuf::Real(v) => {
                self.sums.resize(self.cells, 0.0);
                for (a, &x) in self.sums.iter_mut().zip(v) {
                    *a += x;
                }
            }
        }
        Ok(())
    }
}

/// Adds per-cell byte counters into their 64-bit totals and zeroes them: counting in bytes
/// keeps a pass over the cells at 32 or 64 per vector instruction, and 255 passes fill a byte
/// (used by [`Summary`] and by the lattice sampler's own counts).
pub(crate) fn flush_byte_counts(total: &mut [u64], recent: &mut [u8]) {
    for (t, r) in total.iter_mut().zip(recent.iter_mut()) {
        *t += *r as u64;
        *r = 0;
    }
}

/// Pair correlations <s_i s_j> (Ising), P(s_i = s_j) (Potts) or <x_i x_j> (Gaussian).
#[derive(Debug, Clone)]
pub struct PairCorrelations {
    pub pairs: Vec<(usize, usize)>,
    sums: Vec<f64>,
    n: u64,
}

/// One pair's result.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PairValue {
    pub i: usize,
    pub j: usize,
    pub value: f64,
}

impl PairCorrelations {
    /// For the given pairs of natural cell indices.
    pub fn new(pairs: Vec<(usize, usize)>) -> Self {
        let sums = vec![0.0; pairs.len()];
        PairCorrelations { pairs, sums, n: 0 }
    }

    /// For every edge of a topology (nearest neighbours).
    pub fn nearest_neighbours(topology: &crate::chip::description::graph::Topology) -> Self {
        let mut pairs = vec![];
        topology.for_each_edge(|_, i, j| pairs.push((i, j)));
        Self::new(pairs)
    }

    /// The averages so far.
    pub fn values(&self) -> Vec<PairValue> {
        self.pairs
            .iter()
            .zip(&self.sums)
            .map(|(&(i, j), &s)| PairValue { i, j, value: s / self.n as f64 })
            .collect()
    }
}

impl Observer for PairCorrelations {
    fn observe(&mut self, s: &Sample) -> Result<(), ChipError> {
        for (acc, &(i, j)) in self.sums.iter_mut().zip(&self.pairs) {
            *acc += match s.state {
                StateBuf::Spins(v) => (v[i] * v[j]) as f64,
                StateBuf::Potts(v) => (v[i] == v[j]) as u8 as f64,
                StateBuf::Real(v) => v[i] * v[j],
            };
        }
        self.n += 1;
        Ok(())
    }
}

//! What every sampler offers the runner: one pure step (a sweep), a view of the state in
//! natural cell order, and its energy. The runner owns warm-up, schedule and termination;
//! observers see copies of the state between sweeps.

use crate::chip::error::ChipError;
use crate::rng::{Domain, Seed};
use rand::Rng;

/// A chip state in natural cell order.
#[derive(Debug, Clone, PartialEq)]
pub enum StateBuf {
    /// Ising spins, -1 or +1.
    Spins(Vec<i8>),
    /// Potts states 0..q.
    Potts(Vec<u8>),
    /// Gaussian values.
    Real(Vec<f64>),
}

impl StateBuf {
    /// Number of cells.
    pub fn len(&self) -> usize {
        match self {
            StateBuf::Spins(v) => v.len(),
            StateBuf::Potts(v) => v.len(),
            StateBuf::Real(v) => v.len(),
        }
    }

    /// True if there are no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How the chain starts.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Initial {
    /// Independent uniform states (spins +-1 with probability 1/2, Potts uniform in 0..q,
    /// Gaussian N(0, 1)), from stream (seed, Initial, 0).
    #[default]
    Random,
    /// All spins +1 / all Potts states 0 / all Gaussian values 0 (an ordered start).
    Up,
    /// All spins -1 / all Potts states q-1 / all Gaussian values 0.
    Down,
}

/// The initial state of `n` cells of a model of kind `kind`.
pub fn initial_state(
    kind: crate::chip::description::model::ModelKind,
    n: usize,
    init: Initial,
    seed: Seed,
) -> StateBuf {
    use crate::chip::description::model::ModelKind as K;
    let mut rng = seed.stream(Domain::Initial, 0);
    match (kind, init) {
        (K::Ising, Initial::Random) => {
            StateBuf::Spins((0..n).map(|_| if rng.next_u64() >> 63 == 1 { 1 } else { -1 }).collect())
        }
        (K::Ising, Initial::Up) => StateBuf::Spins(vec![1; n]),
        (K::Ising, Initial::Down) => StateBuf::Spins(vec![-1; n]),
        (K::Potts { q }, Initial::Random) => {
            StateBuf::Potts((0..n).map(|_| (((rng.next_u64() >> 32) * q as u64) >> 32) as u8).collect())
        }
        (K::Potts { .. }, Initial::Up) => StateBuf::Potts(vec![0; n]),
        (K::Potts { q }, Initial::Down) => StateBuf::Potts(vec![(q - 1) as u8; n]),
        (K::Gaussian, Initial::Random) => {
            use rand_distr::{Distribution, StandardNormal};
            StateBuf::Real((0..n).map(|_| StandardNormal.sample(&mut rng)).collect())
        }
        (K::Gaussian, _) => StateBuf::Real(vec![0.0; n]),
    }
}

/// A zeroed state buffer of the right variant for `kind` (for [`Sampler::read`]).
pub fn empty_state(kind: crate::chip::description::model::ModelKind, n: usize) -> StateBuf {
    use crate::chip::description::model::ModelKind as K;
    match kind {
        K::Ising => StateBuf::Spins(vec![0; n]),
        K::Potts { .. } => StateBuf::Potts(vec![0; n]),
        K::Gaussian => StateBuf::Real(vec![0.0; n]),
    }
}

/// A sampler: a Markov chain on the chip state.
pub trait Sampler: Send {
    /// Number of cells.
    fn cells(&self) -> usize;
    /// One step: a full sweep (block Gibbs: every colour once; free running: one read
    /// interval). Deterministic given the state and the sampler's streams, whatever the pool.
    fn sweep(&mut self, pool: &rayon::ThreadPool);
    /// Changes the inverse temperature (annealing).
    fn set_beta(&mut self, beta: f64) -> Result<(), ChipError>;
    /// Copies the state, in natural order, into `out` (same variant and length as the start).
    fn read(&self, out: &mut StateBuf);
    /// Energy E(s) of the current state in the model's convention (without beta).
    fn energy(&self) -> f64;
    /// Cell updates performed by one call to [`Sampler::sweep`] (the last one, for the
    /// free-running sampler whose count is random).
    fn updates_last_sweep(&self) -> u64;
    /// Starts the chain again as if it were newly built from the couplings and fields of
    /// `model`, the initial state `state`, the clamps `clamp` (natural index, state) and the
    /// streams of `seed`, keeping its cells, topology and memory: what follows is bit-identical
    /// to a new sampler built with these arguments. Learning calls it between parameter
    /// updates. `model` must have the kind and topology the sampler was built for.
    fn restart(
        &mut self,
        model: &crate::chip::description::model::Model,
        state: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<(), ChipError>;
    /// The order parameter of the current state (see
    /// [`crate::chip::observers::observe::magnetisation`]) if the sampler tracks it during its
    /// sweeps; `None` (the default) lets the runner compute it from the state.
    fn magnetisation(&self) -> Option<f64> {
        None
    }
    /// Asks the sampler to count, per cell, whether the cell is +1 after the next sweep
    /// (Ising; counted where the cells are drawn, so that the runner need not copy the state
    /// to get the marginals). Returns false, the default, if the sampler keeps no such counts.
    fn count_next_sweep(&mut self) -> bool {
        false
    }
    /// The counts of [`Sampler::count_next_sweep`] in natural order, and the number of
    /// counted sweeps; `None` if none are kept.
    fn up_counts(&self) -> Option<(Vec<u64>, u64)> {
        None
    }
    /// Which kernel runs (for the stats file).
    fn kernel(&self) -> KernelInfo {
        KernelInfo {
            sampler: "unspecified".into(),
            local_field: "unspecified".into(),
            draw: "unspecified".into(),
            vector: "unspecified".into(),
            threads_used: "unspecified".into(),
        }
    }
}

/// Which kernel a sampler runs, in words (stats file key `kernel`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KernelInfo {
    /// The sampler: lattice checkerboard, graph block Gibbs or free running.
    pub sampler: String,
    /// How local fields are summed.
    pub local_field: String,
    /// How a cell's new state is drawn.
    pub draw: String,
    /// Vector build.
    pub vector: String,
    /// Whether sweeps use the thread pool.
    pub threads_used: String,
}

/// Checks the sizes of what a restart of a sampler of `n` cells is given: the state, the
/// model's fields (and Gaussian diagonal) and the clamped cells.
pub(crate) fn check_restart(
    model: &crate::chip::description::model::Model,
    state: &StateBuf,
    clamp: &[(usize, f64)],
    n: usize,
) -> Result<(), ChipError> {
    use crate::chip::description::model::ModelKind;
    if state.len() != n {
        return Err(ChipError::Unsupported(format!("a state of {} cells for a chip of {n}", state.len())));
    }
    let width = model.kind.field_width();
    if model.fields.len() != n * width || (model.kind == ModelKind::Gaussian && model.diagonal.len() != n) {
        return Err(ChipError::Unsupported(format!(
            "a model with {} fields for a chip of {n} cells x {width}",
            model.fields.len()
        )));
    }
    match clamp.iter().find(|c| c.0 >= n) {
        Some(&(i, _)) => Err(ChipError::value("clamp", format!("cell {i} is outside 0..{n}"))),
        None => Ok(()),
    }
}

//! Whole-chip sampling: a sparse graph of cells, an energy model on it, and block Gibbs or
//! free-running samplers built from cells (ideal or calibrated behavioural cells).
//!
//! Conventions (PHYSICS.md section 6): Ising E(s) = -(sum_i h_i s_i + sum_{edges} J_ij s_i s_j),
//! each undirected edge counted once, s in {-1, +1}, P(s) proportional to exp(-beta E), so
//! P(s_i = +1 | rest) = sigma(2 beta (h_i + sum_j J_ij s_j)). Potts and Gaussian conventions
//! are in [`description::model`].
//!
//! Pipeline: [`description::config::ChipConfig`] (TOML + `KEY=VALUE` overrides) ->
//! [`description::problem::Chip`] (topology, model, proper colouring) +
//! [`description::problem::Schedule`] -> a [`samplers::sampler::Sampler`] (pure steps) driven by
//! [`run::run`] / [`run::run_chip`], with [`observers::observe::Observer`]s for statistics,
//! `.npy` samples and PNG snapshots.
//!
//! The folders follow that pipeline, one role each:
//!
//! | folder | role |
//! |---|---|
//! | [`description`] | what the chip is: graph, energy model, colouring, description file |
//! | [`cells`] | what a cell does: ideal and calibrated cells, conditional laws |
//! | [`samplers`] | how it is sampled: block Gibbs, the lattice kernels, free running |
//! | [`observers`] | what looks at the samples: statistics, autocorrelation, files, pictures |
//!
//! [`run`] ties them together; [`error`] is shared by all.

pub mod cells;
pub mod description;
pub mod error;
pub mod observers;
pub mod run;
pub mod samplers;

pub use cells::cell::{CellModel, IdealCell};
pub use description::config::ChipConfig;
pub use description::graph::{Boundary, Graph, Lattice, Topology};
pub use description::model::{Couplings, Model, ModelKind};
pub use description::problem::{Chip, Method, Schedule};
pub use error::ChipError;
pub use observers::observe::{Observer, Sample};
pub use run::{ChipStats, RunOptions, run, run_chip};
pub use samplers::sampler::{Initial, Sampler, StateBuf};

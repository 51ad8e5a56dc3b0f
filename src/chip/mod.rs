//! Whole-chip sampling: a sparse graph of cells, an energy model on it, and block Gibbs or
//! free-running samplers built from cells (ideal now, behavioural p-bits later).
//!
//! Conventions (PHYSICS.md section 6): Ising E(s) = -(sum_i h_i s_i + sum_{edges} J_ij s_i s_j),
//! each undirected edge counted once, s in {-1, +1}, P(s) proportional to exp(-beta E), so
//! P(s_i = +1 | rest) = sigma(2 beta (h_i + sum_j J_ij s_j)). Potts and Gaussian conventions
//! are in [`model`].
//!
//! Pipeline: [`config::ChipConfig`] (TOML + `KEY=VALUE` overrides) -> [`problem::Chip`]
//! (topology, model, proper colouring) + [`problem::Schedule`] -> a [`sampler::Sampler`]
//! (pure steps) driven by [`run::run`] / [`run::run_chip`], with [`observe::Observer`]s for
//! statistics, `.npy` samples ([`npy`]) and PNG snapshots ([`snapshot`]).
//!
//! Files: [`graph`] lattices and graphs, [`csv`] graph files, [`colouring`], [`model`] energy
//! models, [`cell`] the cell abstraction, [`lanes`] vector random streams, [`layout`]
//! colour-major storage, [`kinds`] conditionals, [`gibbs`] block Gibbs on any graph,
//! [`lattice_gibbs`] the vectorised lattice path (row kernel in [`lattice_kernel`]),
//! [`free_running`] continuous-time cells,
//! [`autocorr`] integrated autocorrelation time.

pub mod autocorr;
pub mod behavioural;
pub mod cell;
pub mod colouring;
pub mod config;
pub mod csv;
pub mod error;
pub mod free_running;
pub mod gibbs;
pub mod graph;
pub mod kinds;
pub mod lanes;
pub mod lattice_gibbs;
#[cfg(target_arch = "x86_64")]
pub mod lattice_ideal;
pub mod lattice_kernel;
pub mod layout;
pub mod model;
pub mod npy;
pub mod observe;
pub mod problem;
pub mod run;
pub mod sampler;
pub mod snapshot;

pub use cell::{CellModel, IdealCell};
pub use config::ChipConfig;
pub use error::ChipError;
pub use graph::{Boundary, Graph, Lattice, Topology};
pub use model::{Couplings, Model, ModelKind};
pub use observe::{Observer, Sample};
pub use problem::{Chip, Method, Schedule};
pub use run::{ChipStats, RunOptions, run, run_chip};
pub use sampler::{Initial, Sampler, StateBuf};

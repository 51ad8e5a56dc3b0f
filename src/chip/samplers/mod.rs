//! How a chip is sampled. Every sampler offers one pure step ([`sampler`]):
//!
//! - block Gibbs on any graph ([`gibbs`]) over a colour-major layout ([`layout`]);
//! - the vectorised checkerboard path for Ising lattices ([`lattice_gibbs`]), whose row
//!   kernel is [`lattice_kernel`] (and [`lattice_avx2`], its AVX2 forms), chosen by
//!   [`lattice_plan`] (f32 or integer local fields; lookup table, logistic or the cell's own
//!   draw), drawing from vector random streams ([`lanes`]);
//! - the threads that share a lattice sweep ([`team`]);
//! - free-running, continuous-time cells ([`free_running`]), and the same with inputs that
//!   settle with the calibrated time constant of their couplings ([`settling`]).

pub mod free_running;
pub mod gibbs;
pub mod lanes;
#[cfg(target_arch = "x86_64")]
pub mod lattice_avx2;
pub mod lattice_gibbs;
pub mod lattice_kernel;
pub mod lattice_plan;
pub mod layout;
pub mod sampler;
pub mod settling;
pub mod team;

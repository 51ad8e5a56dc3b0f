//! pbitsim: probabilistic circuits simulated from subthreshold transistor physics up to a
//! whole chip.
//!
//! The pipeline, one module per stage (see the README): [`units`] and [`rng`] underpin
//! everything.

pub mod chip;
pub mod rng;
pub mod units;

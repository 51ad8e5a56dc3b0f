//! Behavioural cells: p-bits, p-dits and p-MoGs whose every parameter was measured on the
//! transistor-level circuit ([`crate::calibrate`]).
//!
//! A cell knows only its calibration. It samples its state given its input voltage(s) in
//! discrete time (independent draws), or evolves in continuous time as a Markov jump process
//! with calibrated rates: with probability law p(V) and correlation time tau(V), the cell
//! redraws its state from p at rate 1/tau, which gives transition rates r_{->k} = p_k / tau
//! (for a p-bit r01 = P(1)/tau, r10 = P(0)/tau): stationary law p and an autocorrelation
//! e^{-t/tau}, as the circuit's telegraph signal has.
//!
//! Temperatures between calibrated ones are interpolated (V0, Vs and the softmax and mixture
//! parameters linearly in T, ln tau linearly in 1/T as the Arrhenius law suggests); a
//! temperature outside the calibrated range is an error. Per-cell offsets from mismatch
//! ([`mismatch`]) shift each cell's input; a calibration with a mismatch population gives
//! each cell its own V0, Vs and tau instead ([`population`]).

pub mod coupling;
pub mod interpolate;
pub mod mismatch;
pub mod pbit;
pub mod pdit;
pub mod pmog;
pub mod population;
pub mod readout;

pub use coupling::Coupling;
pub use mismatch::offsets;
pub use pbit::PbitCell;
pub use pdit::PditCell;
pub use pmog::PmogCell;
pub use population::{CellParameters, PopulationLaw};

use thiserror::Error;

/// A cell that cannot be built.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CellError {
    #[error(
        "temperature {temperature} K is outside the calibrated range {low}-{high} K of {source_name}; \
         calibrate at more temperatures (pbitsim calibrate --temps)"
    )]
    OutOfRange { temperature: f64, low: f64, high: f64, source_name: String },
    #[error("{0}")]
    Invalid(String),
}

/// The two-state telegraph step over `dt`: from state `s` with stationary probability `p1`
/// of state 1 and correlation time `tau`, P(s(t + dt) = 1) = p1 + (s - p1) e^{-dt/tau}.
pub fn telegraph_step(s: bool, p1: f64, tau: f64, dt: f64, u: f64) -> bool {
    let decay = (-dt / tau).exp();
    let p = p1 + (f64::from(u8::from(s)) - p1) * decay;
    u < p
}

//! What a cell does when a sampler asks it for its next state: the [`cell::CellModel`]
//! abstraction and the ideal cell ([`cell`]), calibrated p-bit cells with the chip's energy
//! model ([`behavioural`]), and the conditional laws of each energy model as heat-bath draws
//! ([`kinds`]), and couplings as calibrated circuits ([`couplings`]) with the cells behind
//! them ([`coupled`]); Gaussian sampler pairs from a Gaussian calibration ([`gaussian`]).

pub mod behavioural;
pub mod cell;
pub mod coupled;
pub mod couplings;
pub mod gaussian;
pub mod kinds;

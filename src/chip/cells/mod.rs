//! What a cell does when a sampler asks it for its next state: the [`cell::CellModel`]
//! abstraction and the ideal cell ([`cell`]), calibrated p-bit cells with the chip's energy
//! model ([`behavioural`]), and the conditional laws of each energy model as heat-bath draws
//! ([`kinds`]).

pub mod behavioural;
pub mod cell;
pub mod kinds;

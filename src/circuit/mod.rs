//! Circuits: from a description to state equations.
//!
//! [`model`] elaborates a description ([`Spec`]) into a [`Circuit`]: free and fixed nodes,
//! the Maxwell capacitance matrix ([`capacitance`]), and devices with the voltage jump of one
//! transferred charge. [`system`] presents the circuit to the SDE engine; the jump engine
//! ([`crate::jump`]) simulates the same [`Circuit`] exactly.

pub mod capacitance;
pub mod model;
pub mod system;

pub use model::{
    Circuit, CircuitError, Device, DeviceKind, NodeRef, Output, OutputKind, Spec, SpecElement,
    SpecKind, SpecOutput,
};
pub use system::CircuitSde;

//! Circuits: from netlist text to the equations the engines integrate.
//!
//! The stages are kept apart, each handing a plain value to the next:
//!
//! - [`netlist`] reads a `.cir` file (an ngspice subset: subcircuits flattened to
//!   hierarchical names, library sections, `.model` cards) into a [`netlist::Netlist`]:
//!   elements, resolved parameters, model cards, readouts. No physics happens there.
//! - [`elaborate`] loads the model cards and turns a netlist into a [`Spec`], a plain list of
//!   elements with resolved values and devices.
//! - [`model`] elaborates a [`Spec`] into a [`Circuit`]: free and fixed nodes, the Maxwell
//!   capacitance matrix ([`capacitance`]), and devices with the voltage jump of one
//!   transferred charge.
//! - [`waveform`] and [`drive`]: PWL, PULSE and SIN sources and how the circuit follows them
//!   in time; [`driven`] presents a circuit with such sources to the SDE engine.
//! - [`system`] presents the circuit to the SDE engine; the jump engine ([`crate::jump`])
//!   simulates the same [`Circuit`] exactly.

pub mod capacitance;
pub mod drive;
pub mod driven;
pub mod elaborate;
pub mod fluxes;
pub mod model;
pub mod netlist;
pub mod operating_point;
pub mod system;
pub mod temperature;
pub mod waveform;

pub use driven::DrivenSde;
pub use model::{
    Circuit, CircuitError, Device, DeviceKind, NodeRef, Output, OutputKind, Spec, SpecElement, SpecKind,
    SpecOutput,
};
pub use system::CircuitSde;

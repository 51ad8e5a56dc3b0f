//! Circuits: from netlist text to the equations the engines integrate.
//!
//! The stages are kept apart, each handing a plain value to the next:
//!
//! - [`netlist`] reads a `.cir` file (a SPICE subset) into a [`netlist::Netlist`]: elements,
//!   resolved parameters, model card paths, readouts. No physics happens there.
//! - Elaboration (model cards, node checks, capacitance matrix, state equations) comes next
//!   and works from that value only.

pub mod netlist;

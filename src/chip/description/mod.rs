//! What a chip is: its connectivity ([`graph`], read from CSV by [`csv`]), the energy model on
//! it ([`model`]), a proper colouring for block updates ([`colouring`]), the chip description
//! file with its overrides ([`config`]), and the problem plus schedule the runner follows
//! ([`problem`]).

pub mod colouring;
pub mod config;
pub mod csv;
pub mod graph;
pub mod model;
pub mod problem;

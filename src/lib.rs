//! pbitsim: probabilistic circuits simulated from subthreshold transistor physics up to a
//! whole chip.
//!
//! The pipeline, one module per stage (see the README): [`units`] and [`rng`] underpin
//! everything; [`device`] evaluates EKV transistors and their shot noise; [`circuit`] turns a
//! description into state equations, integrated by [`sde`] or simulated exactly by [`jump`];
//! [`analysis`] reduces traces to statistics; [`io`] and [`report`] write files and plots.

pub mod analysis;
pub mod calibrate;
pub mod calibration;
pub mod cell;
pub mod chip;
pub mod circuit;
pub mod cli;
pub mod device;
pub mod io;
pub mod jump;
pub mod netlist_writer;
pub mod noise;
pub mod op;
pub mod report;

pub mod rng;
pub mod sde;
pub mod simulate;
pub mod special;
pub mod study;
pub mod train;
pub mod units;

//! Calibration: sweeps of control voltages and temperature on the transistor-level circuit,
//! fitted into the parameters of a behavioural cell ([`crate::cell`]).

pub mod point;
pub mod schema;

//! The calibration file format, on its own below its writer and its readers: `pbitsim
//! calibrate` ([`crate::calibrate`]) writes it; behavioural cells ([`crate::cell`]) and the
//! chip ([`crate::chip`]) read it. Neither side imports the other; both import this module.
//!
//! [`schema`] is the document (schema, version, circuit, controls, fits, mismatch) with its
//! validation on load; [`point`] the measured points it carries; [`population`] the
//! mismatch Monte Carlo samples and their statistics; [`coupling`] the document of a coupling
//! circuit (same header, `cell` = "coupling"); [`gaussian`] that of a Gaussian sampler
//! (`cell` = "gaussian").

pub mod coupling;
pub mod gaussian;
pub mod point;
pub mod population;
pub mod schema;

pub use coupling::{CouplingBench, CouplingCalibration, CouplingFit, CouplingPoint, DriverResponse};
pub use gaussian::{GaussianCalibration, GaussianLaw, GaussianPoint, LinearNoise};
pub use point::{MixtureRecord, PointMeasurement, Precision};
pub use population::{ExcludedSample, ExclusionKind, Population, PopulationSample, SampleFit};
pub use schema::*;

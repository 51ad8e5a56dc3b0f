//! Statistics of traces: moments, Allan deviation, autocorrelation and correlation times, power spectra,
//! readouts of bits and categories with their dwell times.

pub mod allan;
pub mod autocorr;
pub mod correlator;
pub mod covariance;
pub mod fit;
pub mod joint;
pub mod psd;
pub mod readout;
pub mod stats;

pub use allan::allan_deviation;
pub use autocorr::{autocorrelation, integrated_time};
pub use correlator::Correlator;
pub use joint::{Joint, JointCounter, total_variation};
pub use psd::welch;
pub use readout::{BitReadout, CatReadout, Dwell};
pub use stats::Moments;

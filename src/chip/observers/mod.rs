//! What looks at the samples between sweeps: statistics and the [`observe::Observer`] trait
//! ([`observe`]), integrated autocorrelation times ([`autocorr`]), `.npy` sample files
//! ([`npy`]) and PNG snapshots ([`snapshot`]).

pub mod autocorr;
pub mod npy;
pub mod observe;
pub mod snapshot;

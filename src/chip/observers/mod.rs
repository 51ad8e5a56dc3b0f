//! What looks at the samples between sweeps: statistics and the [`observe::Observer`] trait
//! ([`observe`]), integrated autocorrelation times ([`autocorr`]), `.npy` sample files
//! ([`npy`]), PNG snapshots ([`snapshot`]) and the joint law of small chips ([`joint`]).

pub mod autocorr;
pub mod joint;
pub mod npy;
pub mod observe;
pub mod snapshot;

//! Device mismatch (Pelgrom, Duinmaijer and Welbers, IEEE JSSC 24, 1433, 1989): every
//! transistor's threshold and current factor deviate from the card by independent Gaussian
//! amounts with
//!
//!   sigma(dV_T0) = A_VT / sqrt(W L M),   sigma(dbeta / beta) = A_beta / sqrt(W L M).
//!
//! A Monte Carlo sample k draws the deviations of each instance from its own stream,
//! seed.child(Mismatch, k).stream(Mismatch, h(name)), where h is the 64-bit FNV-1a hash of the
//! instance's full (hierarchical, lower-case) name: an instance's draw depends on its name and
//! the sample index only, never on the order or number of the other elements. Sample 0 is the
//! nominal circuit (no deviation).

use rand_distr::{Distribution, StandardNormal};

use super::card::ModelCard;
use super::ekv::Geometry;
use crate::rng::{Domain, Seed};

/// A transistor's deviation from its card.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Deviation {
    /// Threshold shift dV_T0 (V, NMOS frame: positive makes either polarity weaker).
    pub vt: f64,
    /// Relative current-factor deviation dbeta / beta.
    pub beta: f64,
}

impl Deviation {
    /// The sum of two deviations (explicit instance offsets on top of a Monte Carlo draw).
    pub fn plus(self, other: Deviation) -> Deviation {
        Deviation { vt: self.vt + other.vt, beta: self.beta + other.beta }
    }
}

/// Which mismatch sample a circuit is elaborated with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MismatchSample {
    /// The master seed the draws derive from.
    pub seed: u64,
    /// Monte Carlo index; 0 is the nominal circuit.
    pub index: u64,
}

impl ModelCard {
    /// Pelgrom threshold mismatch sigma(dV_T0) = A_VT / sqrt(W L M) (V).
    pub fn sigma_vt(&self, geometry: Geometry) -> f64 {
        self.avt / (geometry.w * geometry.l * geometry.m).sqrt()
    }

    /// Pelgrom current-factor mismatch sigma(dbeta/beta) = A_beta / sqrt(W L M).
    pub fn sigma_beta(&self, geometry: Geometry) -> f64 {
        self.abeta / (geometry.w * geometry.l * geometry.m).sqrt()
    }
}

/// 64-bit FNV-1a of a name: a fixed, documented key (part of the reproducibility contract).
pub fn name_key(name: &str) -> u64 {
    name.to_lowercase()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The deviation of instance `name` (card `card`, geometry `geometry`) in `sample`.
pub fn draw(card: &ModelCard, geometry: Geometry, name: &str, sample: MismatchSample) -> Deviation {
    if sample.index == 0 {
        return Deviation::default();
    }
    let mut rng =
        Seed(sample.seed).child(Domain::Mismatch, sample.index).stream(Domain::Mismatch, name_key(name));
    let z_vt: f64 = StandardNormal.sample(&mut rng);
    let z_beta: f64 = StandardNormal.sample(&mut rng);
    Deviation { vt: card.sigma_vt(geometry) * z_vt, beta: card.sigma_beta(geometry) * z_beta }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a reference values (the published test vectors: "" and "a").
    #[test]
    fn name_key_is_fnv1a() {
        assert_eq!(name_key(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(name_key("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(name_key("X1.M2"), name_key("x1.m2"));
    }
}

//! Energy models on a chip graph. Every model has P(s) proportional to exp(-beta E(s)).
//!
//! - **Ising** (PHYSICS.md section 6), s_i in {-1, +1}:
//!   E(s) = -(sum_i h_i s_i + sum_{edges} J_ij s_i s_j), each undirected edge counted once;
//!   P(s_i = +1 | rest) = sigma(2 beta u_i) with the local field u_i = h_i + sum_j J_ij s_j.
//! - **Potts**, q states s_i in 0..q:
//!   E(s) = -(sum_{edges} J_ij delta(s_i, s_j) + sum_i h_i[s_i]);
//!   P(s_i = k | rest) proportional to exp(beta u_ik), u_ik = h_i[k] + sum_j J_ij delta(k, s_j).
//!   A scalar `field` h in a chip description means h_i[0] = h, h_i[k > 0] = 0.
//! - **Gaussian** (Gaussian Markov random field with precision matrix Q, Q_ii = d_i,
//!   Q_ij = -J_ij on edges, zero elsewhere), x_i real:
//!   E(x) = 1/2 sum_i d_i x_i^2 - sum_{edges} J_ij x_i x_j - sum_i b_i x_i = 1/2 x'Qx - b'x;
//!   x_i | rest ~ N((b_i + sum_j J_ij x_j) / d_i, 1 / (beta d_i)) (Rue and Held, "Gaussian
//!   Markov Random Fields", 2005, Theorem 2.3). The law is proper iff Q is positive definite;
//!   pbitsim requires strict diagonal dominance d_i > sum_j |J_ij|, which is sufficient.
//!
//! Couplings are stored as **f32** per edge: half the memory traffic of f64 in the sampler's
//! inner loop and twice the SIMD width, with a relative rounding of 6e-8, far below what any
//! sampled statistic can resolve (the exact-enumeration tests need 1e-2 in total variation).
//! Energies are accumulated in f64.

use crate::chip::description::graph::Topology;
use crate::chip::error::ChipError;
use crate::rng::{Domain, Seed};
use rand_distr::{Distribution, Normal};

/// Which energy model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Ising,
    Potts { q: usize },
    Gaussian,
}

impl ModelKind {
    /// Number of field values per cell (q for Potts, 1 otherwise).
    pub fn field_width(self) -> usize {
        match self {
            ModelKind::Potts { q } => q,
            _ => 1,
        }
    }
}

/// Couplings J, indexed by edge id (see [`Topology::edge_slots`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Couplings {
    Uniform(f32),
    PerEdge(Vec<f32>),
}

impl Couplings {
    /// J of edge `e`.
    #[inline]
    pub fn get(&self, e: usize) -> f32 {
        match self {
            Couplings::Uniform(j) => *j,
            Couplings::PerEdge(v) => v[e],
        }
    }
}

/// How seeded random couplings are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RandomKind {
    /// J ~ N(0, sigma).
    #[default]
    Normal,
    /// J = +sigma or -sigma with probability 1/2 each.
    Pm,
}

/// Seeded random couplings, one draw per edge id in id order from stream
/// (seed, Parameters, 0), so they do not depend on how the chip is sampled.
pub fn random_couplings(topology: &Topology, seed: u64, sigma: f64, kind: RandomKind) -> Couplings {
    let mut rng = Seed(seed).stream(Domain::Parameters, 0);
    let n = topology.edge_slots();
    let v = match kind {
        RandomKind::Normal => {
            let d = Normal::new(0.0, sigma).expect("sigma validated finite and >= 0");
            (0..n).map(|_| d.sample(&mut rng) as f32).collect()
        }
        RandomKind::Pm => (0..n)
            .map(|_| {
                let b = rand::Rng::next_u64(&mut rng) >> 63;
                if b == 1 { sigma as f32 } else { -sigma as f32 }
            })
            .collect(),
    };
    Couplings::PerEdge(v)
}

/// Seeded random fields h ~ N(0, sigma), `width` per cell, from stream (seed, Parameters, 1).
pub fn random_fields(cells: usize, width: usize, seed: u64, sigma: f64) -> Vec<f32> {
    let mut rng = Seed(seed).stream(Domain::Parameters, 1);
    let d = Normal::new(0.0, sigma).expect("sigma validated finite and >= 0");
    (0..cells * width).map(|_| d.sample(&mut rng) as f32).collect()
}

/// An energy model on a topology.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub kind: ModelKind,
    /// Inverse temperature (in units of 1/J).
    pub beta: f64,
    pub couplings: Couplings,
    /// Fields, `kind.field_width()` per cell, cell-major (h_i, or h_i[k], or b_i).
    pub fields: Vec<f32>,
    /// Gaussian only: the precision diagonal d_i (empty otherwise).
    pub diagonal: Vec<f32>,
}

impl Model {
    /// Checks sizes, finiteness and (Gaussian) diagonal dominance against a topology.
    pub fn validate(&self, topology: &Topology) -> Result<(), ChipError> {
        let n = topology.cells();
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return Err(ChipError::value(
                "model.beta",
                format!("got {}, expected a finite number >= 0", self.beta),
            ));
        }
        if let ModelKind::Potts { q } = self.kind
            && !(2..=255).contains(&q)
        {
            return Err(ChipError::value("model.q", format!("got {q}, expected 2..=255")));
        }
        if self.fields.len() != n * self.kind.field_width() {
            return Err(ChipError::Unsupported(format!(
                "model has {} field values for {n} cells x {}",
                self.fields.len(),
                self.kind.field_width()
            )));
        }
        if let Couplings::PerEdge(v) = &self.couplings
            && v.len() != topology.edge_slots()
        {
            return Err(ChipError::Unsupported(format!(
                "model has {} couplings for {} edge slots",
                v.len(),
                topology.edge_slots()
            )));
        }
        if self.fields.iter().any(|h| !h.is_finite()) {
            return Err(ChipError::value("model.field", "fields must be finite"));
        }
        if self.kind == ModelKind::Gaussian {
            if self.diagonal.len() != n {
                return Err(ChipError::Unsupported("Gaussian model needs one diagonal per cell".into()));
            }
            let mut off = vec![0f64; n];
            topology.for_each_edge(|e, i, j| {
                let a = self.couplings.get(e).abs() as f64;
                off[i] += a;
                off[j] += a;
            });
            for (i, (&d, &off)) in self.diagonal.iter().zip(&off).enumerate() {
                if d as f64 <= off || d.is_nan() {
                    return Err(ChipError::value(
                        "model.diagonal",
                        format!(
                            "cell {i}: precision diagonal {} must exceed the sum of |J| of its edges ({}) \
                             so that the precision matrix is positive definite",
                            d, off
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Ising energy E(s) of spins in natural order.
    pub fn ising_energy(&self, topology: &Topology, s: &[i8]) -> f64 {
        let mut e = 0f64;
        topology.for_each_edge(|k, i, j| {
            e -= self.couplings.get(k) as f64 * (s[i] as f64) * (s[j] as f64);
        });
        e - s.iter().zip(&self.fields).map(|(&s, &h)| s as f64 * h as f64).sum::<f64>()
    }

    /// Potts energy E(s) of states in natural order.
    pub fn potts_energy(&self, topology: &Topology, s: &[u8]) -> f64 {
        let q = self.kind.field_width();
        let mut e = 0f64;
        topology.for_each_edge(|k, i, j| {
            if s[i] == s[j] {
                e -= self.couplings.get(k) as f64;
            }
        });
        e - s.iter().enumerate().map(|(i, &k)| self.fields[i * q + k as usize] as f64).sum::<f64>()
    }

    /// Gaussian energy E(x) = 1/2 x'Qx - b'x of values in natural order.
    pub fn gaussian_energy(&self, topology: &Topology, x: &[f64]) -> f64 {
        let mut e = 0f64;
        topology.for_each_edge(|k, i, j| e -= self.couplings.get(k) as f64 * x[i] * x[j]);
        for (i, &xi) in x.iter().enumerate() {
            e += 0.5 * self.diagonal[i] as f64 * xi * xi - self.fields[i] as f64 * xi;
        }
        e
    }
}

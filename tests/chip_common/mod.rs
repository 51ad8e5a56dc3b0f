//! Helpers shared by the chip tests: small random models and an exact enumeration of their
//! Boltzmann law, written here independently of the library's energy code.
#![allow(dead_code)]

use pbitsim::chip::{ChipError, Couplings, Graph, Model, ModelKind, Observer, Sample, StateBuf, Topology};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A connected random graph: a ring 0-1-...-(n-1)-0 plus `chords` distinct random chords.
pub fn random_graph(n: usize, chords: usize, seed: u64) -> Vec<(u32, u32)> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut edges: Vec<(u32, u32)> = (0..n as u32).map(|i| (i, (i + 1) % n as u32)).collect();
    while edges.len() < n + chords {
        let i = (rand::Rng::next_u64(&mut rng) % n as u64) as u32;
        let j = (rand::Rng::next_u64(&mut rng) % n as u64) as u32;
        let key = (i.min(j), i.max(j));
        if i != j && !edges.iter().any(|&(a, b)| (a.min(b), a.max(b)) == key) {
            edges.push((i, j));
        }
    }
    edges
}

/// Normal draws N(mean, sd), seeded.
pub fn normals(count: usize, mean: f64, sd: f64, seed: u64) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let d = Normal::new(mean, sd).unwrap();
    (0..count).map(|_| d.sample(&mut rng) as f32).collect()
}

/// A model on an explicit graph.
pub fn graph_model(
    n: usize,
    edges: Vec<(u32, u32)>,
    kind: ModelKind,
    beta: f64,
    j: Vec<f32>,
    h: Vec<f32>,
) -> (Topology, Model) {
    let topology = Topology::Graph(Graph::new(n, edges).unwrap());
    let model = Model { kind, beta, couplings: Couplings::PerEdge(j), fields: h, diagonal: vec![] };
    (topology, model)
}

/// Exact Boltzmann probabilities of an Ising model, state index sum_i [s_i = +1] 2^i,
/// from E(s) = -(sum_i h_i s_i + sum_edges J_ij s_i s_j) (PHYSICS.md section 6).
pub fn exact_ising(n: usize, edges: &[(usize, usize, f64)], h: &[f64], beta: f64) -> Vec<f64> {
    let mut w: Vec<f64> = (0..1usize << n)
        .map(|idx| {
            let s = |i: usize| if idx >> i & 1 == 1 { 1.0 } else { -1.0 };
            let e = -(0..n).map(|i| h[i] * s(i)).sum::<f64>()
                - edges.iter().map(|&(i, j, jv)| jv * s(i) * s(j)).sum::<f64>();
            -beta * e
        })
        .collect();
    normalise_log(&mut w);
    w
}

/// Exact Boltzmann probabilities of a q-state Potts model, index sum_i s_i q^i, from
/// E(s) = -(sum_edges J_ij delta(s_i, s_j) + sum_i h_i[s_i]).
pub fn exact_potts(n: usize, q: usize, edges: &[(usize, usize, f64)], h: &[f64], beta: f64) -> Vec<f64> {
    let total = q.pow(n as u32);
    let mut s = vec![0usize; n];
    let mut w = Vec::with_capacity(total);
    for idx in 0..total {
        let mut r = idx;
        for v in s.iter_mut() {
            *v = r % q;
            r /= q;
        }
        let e = -(0..n).map(|i| h[i * q + s[i]]).sum::<f64>()
            - edges.iter().filter(|&&(i, j, _)| s[i] == s[j]).map(|&(_, _, jv)| jv).sum::<f64>();
        w.push(-beta * e);
    }
    normalise_log(&mut w);
    w
}

fn normalise_log(w: &mut [f64]) {
    let max = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut z = 0.0;
    for v in w.iter_mut() {
        *v = (*v - max).exp();
        z += *v;
    }
    for v in w.iter_mut() {
        *v /= z;
    }
}

/// Expected total variation distance between p and the empirical law of n independent
/// samples: (1/2) sum_k E|p_hat_k - p_k| ~ (1/2) sum_k sqrt(2 p_k (1 - p_k) / (pi n))
/// (normal approximation of the binomial mean absolute deviation).
pub fn tv_noise_floor(p: &[f64], n: f64) -> f64 {
    0.5 * p.iter().map(|&pk| (2.0 * pk * (1.0 - pk) / (std::f64::consts::PI * n)).sqrt()).sum::<f64>()
}

/// Total variation distance between exact p and counts.
pub fn tv(p: &[f64], counts: &[u32]) -> f64 {
    let n: f64 = counts.iter().map(|&c| c as f64).sum();
    0.5 * p.iter().zip(counts).map(|(&pk, &c)| (c as f64 / n - pk).abs()).sum::<f64>()
}

/// Histogram of whole states (index as in [`exact_ising`] / [`exact_potts`]).
pub struct Histogram {
    pub counts: Vec<u32>,
    q: usize,
}

impl Histogram {
    pub fn new(states: usize, q: usize) -> Self {
        Histogram { counts: vec![0; states], q }
    }
}

impl Observer for Histogram {
    fn observe(&mut self, s: &Sample) -> Result<(), ChipError> {
        let idx = match s.state {
            StateBuf::Spins(v) => v.iter().rev().fold(0usize, |a, &x| a * 2 + (x > 0) as usize),
            StateBuf::Potts(v) => v.iter().rev().fold(0usize, |a, &x| a * self.q + x as usize),
            StateBuf::Real(_) => unreachable!("no histogram of real states"),
        };
        self.counts[idx] += 1;
        Ok(())
    }
}

/// FNV-1a hash of every sample's bytes, in order.
pub struct HashObserver(pub u64);

impl Observer for HashObserver {
    fn observe(&mut self, s: &Sample) -> Result<(), ChipError> {
        let mut eat = |b: u8| {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        };
        match s.state {
            StateBuf::Spins(v) => v.iter().for_each(|&x| eat(x as u8)),
            StateBuf::Potts(v) => v.iter().for_each(|&x| eat(x)),
            StateBuf::Real(v) => v.iter().for_each(|x| x.to_le_bytes().iter().for_each(|&b| eat(b))),
        }
        Ok(())
    }
}

//! Brownian increments, their time integrals, and a Brownian path that stays consistent when
//! an adaptive step is rejected.
//!
//! Over a step of length h each component carries the increment dW = W(t+h) - W(t) and, for
//! order-1.5 schemes, the time integral dZ = I_(1,0) = int_t^{t+h} (W(s) - W(t)) ds. They are
//! jointly Gaussian with Var dW = h, Cov(dW, dZ) = h^2/2, Var dZ = h^3/3 (Kloeden and Platen
//! 1992, section 10.4), sampled as dZ = h/2 (dW + sqrt(h/3) xi).
//!
//! The pair (W, I) is a Gaussian process, so a piece of path can be split at any interior
//! time exactly by conditioning on its end values (a Brownian bridge for W and its integral).
//! [`BrownianPath`] keeps rejected pieces and splits them, in the spirit of Rackauckas and
//! Nie's rejection sampling with memory (DCDS-B 22(7), 2017): a rejected step never changes
//! the Brownian path, so the accepted solution is a sample of the true SDE.

use std::collections::VecDeque;

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// The Brownian motion over one step, one entry per Wiener process.
#[derive(Debug, Clone, Copy)]
pub struct Increment<'a> {
    /// Start of the step.
    pub t: f64,
    /// Step length h.
    pub dt: f64,
    /// W(t + h) - W(t).
    pub dw: &'a [f64],
    /// int_t^{t+h} (W(s) - W(t)) ds; empty when the method does not need it.
    pub dz: &'a [f64],
}

#[inline]
fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// Fill `dw` with a fresh increment over `dt`, and `dz` with its time integral if `dz` is
/// not empty. Consumes one normal per entry of `dw` and one more per entry of `dz`.
pub fn sample_increment<R: Rng + ?Sized>(rng: &mut R, dt: f64, dw: &mut [f64], dz: &mut [f64]) {
    let sqrt_dt = dt.sqrt();
    for w in dw.iter_mut() {
        *w = sqrt_dt * normal(rng);
    }
    if !dz.is_empty() {
        let c = (dt / 3.0).sqrt();
        for (z, w) in dz.iter_mut().zip(dw.iter()) {
            *z = 0.5 * dt * (*w + c * normal(rng));
        }
    }
}

/// Join two consecutive pieces (first over h1, second over h2) into one over h1 + h2:
/// dW = dW1 + dW2, dZ = dZ1 + dZ2 + dW1 h2. Writes into the first piece.
pub fn combine(dw1: &mut [f64], dz1: &mut [f64], dw2: &[f64], dz2: &[f64], h2: f64) {
    for i in 0..dw1.len() {
        if !dz1.is_empty() {
            dz1[i] += dz2[i] + dw1[i] * h2;
        }
        dw1[i] += dw2[i];
    }
}

/// Split a piece of path over h with increments (dw, dz) at time u h (0 < u < 1), by sampling
/// the exact conditional law of (W(uh), I(uh)) given the end values. On return (dw, dz) hold
/// the first part and (dw2, dz2) the second.
///
/// In units of sqrt(h) and h^{3/2}, the conditional mean is K (w, i) with
/// K = [[3u^2 - 2u, 6u - 6u^2], [u^3 - u^2, 3u^2 - 2u^3]], and the covariance is
/// (1 - u) [[u (1 - 3u + 3u^2), u^2 (1 - u)(1/2 - u)], [., u^3 (1 - u)^2 / 3]]
/// (from Cov(W(s), I(t)) = s t - s^2/2 for s <= t and Cov(I(s), I(t)) = s^2 t/2 - s^3/6).
#[allow(clippy::too_many_arguments)]
pub fn split<R: Rng + ?Sized>(
    rng: &mut R,
    h: f64,
    u: f64,
    dw: &mut [f64],
    dz: &mut [f64],
    dw2: &mut [f64],
    dz2: &mut [f64],
) {
    let sqrt_h = h.sqrt();
    let s = u * h;
    let (k11, k12) = (3.0 * u * u - 2.0 * u, 6.0 * u - 6.0 * u * u);
    let (k21, k22) = (u * u * u - u * u, 3.0 * u * u - 2.0 * u * u * u);
    let v = 1.0 - u;
    let c11 = v * u * (1.0 - 3.0 * u + 3.0 * u * u);
    let c12 = v * u * u * v * (0.5 - u);
    let c22 = v * u * u * u * v * v / 3.0;
    let l11 = c11.max(0.0).sqrt();
    let l21 = if l11 > 0.0 { c12 / l11 } else { 0.0 };
    let l22 = (c22 - l21 * l21).max(0.0).sqrt();
    let with_integral = !dz.is_empty();
    for i in 0..dw.len() {
        let w_end = dw[i] / sqrt_h;
        let xi1 = normal(rng);
        let w_mid = if with_integral {
            let i_end = dz[i] / (h * sqrt_h);
            let xi2 = normal(rng);
            let w_mid = k11 * w_end + k12 * i_end + l11 * xi1;
            let i_mid = k21 * w_end + k22 * i_end + l21 * xi1 + l22 * xi2;
            let (w_abs, i_abs) = (w_mid * sqrt_h, i_mid * h * sqrt_h);
            dz2[i] = dz[i] - i_abs - w_abs * (h - s);
            dz[i] = i_abs;
            w_mid
        } else {
            // Plain Brownian bridge: mean u w, variance u (1 - u).
            u * w_end + (u * v).sqrt() * xi1
        };
        let w_abs = w_mid * sqrt_h;
        dw2[i] = dw[i] - w_abs;
        dw[i] = w_abs;
    }
}

/// A piece of Brownian path not yet used by an accepted step.
#[derive(Debug, Clone)]
struct Piece {
    dt: f64,
    dw: Vec<f64>,
    dz: Vec<f64>,
}

/// A Brownian path generated step by step that remembers the future: pieces of rejected steps
/// are kept and split or joined, so every accepted step sees increments of one fixed path.
#[derive(Debug, Clone)]
pub struct BrownianPath {
    noise_dim: usize,
    with_integral: bool,
    pending: VecDeque<Piece>,
    spare: Vec<Piece>,
}

impl BrownianPath {
    pub fn new(noise_dim: usize, with_integral: bool) -> Self {
        BrownianPath { noise_dim, with_integral, pending: VecDeque::new(), spare: Vec::new() }
    }

    fn blank(&mut self) -> Piece {
        self.spare.pop().unwrap_or_else(|| Piece {
            dt: 0.0,
            dw: vec![0.0; self.noise_dim],
            dz: vec![0.0; if self.with_integral { self.noise_dim } else { 0 }],
        })
    }

    /// The increment over the next `dt`, written into `dw` (and `dz` if the path carries time
    /// integrals). Uses remembered pieces first, splitting the last one it needs.
    pub fn next<R: Rng + ?Sized>(&mut self, rng: &mut R, dt: f64, dw: &mut [f64], dz: &mut [f64]) {
        dw.fill(0.0);
        dz.fill(0.0);
        let mut remaining = dt;
        let slack = 1e-12 * dt;
        while remaining > slack {
            let Some(mut piece) = self.pending.pop_front() else {
                let mut fresh = self.blank();
                sample_increment(rng, remaining, &mut fresh.dw, &mut fresh.dz);
                combine(dw, dz, &fresh.dw, &fresh.dz, remaining);
                self.spare.push(fresh);
                return;
            };
            if piece.dt <= remaining + slack {
                combine(dw, dz, &piece.dw, &piece.dz, piece.dt);
                remaining -= piece.dt;
                self.spare.push(piece);
            } else {
                let mut rest = self.blank();
                split(
                    rng,
                    piece.dt,
                    remaining / piece.dt,
                    &mut piece.dw,
                    &mut piece.dz,
                    &mut rest.dw,
                    &mut rest.dz,
                );
                rest.dt = piece.dt - remaining;
                combine(dw, dz, &piece.dw, &piece.dz, remaining);
                self.spare.push(piece);
                self.pending.push_front(rest);
                return;
            }
        }
    }

    /// Give back the increment of a rejected step: it becomes the first piece of the future.
    pub fn reject(&mut self, dt: f64, dw: &[f64], dz: &[f64]) {
        let mut piece = self.blank();
        piece.dt = dt;
        piece.dw.copy_from_slice(dw);
        piece.dz.copy_from_slice(dz);
        self.pending.push_front(piece);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Domain, Seed};

    /// Moments of the two halves of a split piece match the unconditional law of Brownian
    /// increments over [0, s] and [s, h] (independent, Var dW = length, Var dZ = length^3/3,
    /// Cov = length^2/2), to 5 standard errors of N = 200000 samples.
    #[test]
    fn split_preserves_the_law_of_the_path() {
        let mut rng = Seed(1).stream(Domain::Other, 0);
        let (h, u) = (0.7, 0.3);
        let s = u * h;
        let n = 200_000;
        let mut sums = [0.0f64; 8];
        let (mut dw, mut dz, mut dw2, mut dz2) = ([0.0], [0.0], [0.0], [0.0]);
        for _ in 0..n {
            sample_increment(&mut rng, h, &mut dw, &mut dz);
            let (w0, z0) = (dw[0], dz[0]);
            split(&mut rng, h, u, &mut dw, &mut dz, &mut dw2, &mut dz2);
            // Joining the halves gives back the original piece exactly (up to rounding).
            let (mut jw, mut jz) = ([dw[0]], [dz[0]]);
            combine(&mut jw, &mut jz, &dw2, &dz2, h - s);
            assert!((jw[0] - w0).abs() < 1e-12 && (jz[0] - z0).abs() < 1e-12);
            let m = [
                dw[0] * dw[0],
                dz[0] * dz[0],
                dw[0] * dz[0],
                dw2[0] * dw2[0],
                dz2[0] * dz2[0],
                dw2[0] * dz2[0],
                dw[0] * dw2[0],
                dz[0] * dz2[0],
            ];
            for (acc, v) in sums.iter_mut().zip(m) {
                *acc += v;
            }
        }
        let r = h - s;
        let expected = [s, s.powi(3) / 3.0, s * s / 2.0, r, r.powi(3) / 3.0, r * r / 2.0, 0.0, 0.0];
        // Standard error of a product moment of Gaussians: sqrt(E[a^2 b^2]/n) <= sqrt(3 Va Vb / n).
        let scale = [
            s * s,
            s.powi(6) / 9.0,
            s.powi(4) / 3.0,
            r * r,
            r.powi(6) / 9.0,
            r.powi(4) / 3.0,
            s * r,
            s.powi(3) * r.powi(3) / 9.0,
        ];
        for k in 0..8 {
            let mean = sums[k] / n as f64;
            let se = (3.0 * scale[k] / n as f64).sqrt();
            assert!((mean - expected[k]).abs() < 5.0 * se, "moment {k}: {mean} vs {}", expected[k]);
        }
    }

    /// Asking a path for the same interval in different pieces gives consistent totals: a
    /// rejected step of length h followed by two steps of h/2 sums to the rejected increment.
    #[test]
    fn rejection_keeps_the_path() {
        let mut rng = Seed(2).stream(Domain::Other, 0);
        let mut path = BrownianPath::new(3, true);
        let (mut dw, mut dz) = (vec![0.0; 3], vec![0.0; 3]);
        path.next(&mut rng, 1.0, &mut dw, &mut dz);
        let (w_full, z_full) = (dw.clone(), dz.clone());
        path.reject(1.0, &dw, &dz);
        let (mut a_w, mut a_z) = (vec![0.0; 3], vec![0.0; 3]);
        let (mut b_w, mut b_z) = (vec![0.0; 3], vec![0.0; 3]);
        path.next(&mut rng, 0.25, &mut a_w, &mut a_z);
        path.next(&mut rng, 0.75, &mut b_w, &mut b_z);
        combine(&mut a_w, &mut a_z, &b_w, &b_z, 0.75);
        for i in 0..3 {
            assert!((a_w[i] - w_full[i]).abs() < 1e-12);
            assert!((a_z[i] - z_full[i]).abs() < 1e-12);
        }
    }
}

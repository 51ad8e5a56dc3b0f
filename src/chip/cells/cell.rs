//! The cell abstraction: what a sampler asks of a cell, and the ideal cell.
//!
//! A sampler computes each cell's local field u_i (in units of the couplings: for Ising
//! u_i = h_i + sum_j J_ij s_j) and asks the cell for the probability of its next state. The
//! samplers are generic over [`CellModel`] (monomorphised, no virtual call per flip), and ask
//! for whole blocks at once ([`CellModel::p_up`]) so the ideal path vectorises.
//!
//! **Ideal cell**: P(s = +1) = sigma(2 beta u) (PHYSICS.md section 6), categorical
//! P(k) proportional to exp(beta u_k), Gaussian N(mean, 1/(beta d)).
//!
//! **Behavioural cells** (to be written in `src/cell/` from calibration files) implement the
//! same trait: the input voltage is V_i = gain * u_i, the cell has an offset from mismatch, and
//! P(1) = sigma((V_i - V0 - offset_i) / Vs(T)), so the effective beta = Vs(T)-dependent
//! gain / (2 Vs(T)) falls as the chip warms. Per-cell parameters are indexed by the sampler's
//! internal slot: [`CellModel::bind`] is called once with the natural index of each slot so
//! the cell can reorder its per-cell vectors (offset_i) to match. A physical cell with
//! switching rates r01, r10 (0 -> 1 and 1 -> 0) is a telegraph process with
//! P(1) = r01 / (r01 + r10) and correlation time 1 / (r01 + r10): it reports the first through
//! `p_up` and the second through [`CellModel::tau`], which the free-running sampler uses.

use crate::chip::error::ChipError;

/// What a sampler needs from a cell. `u` is always the local field in units of J.
pub trait CellModel: Send + Sync {
    /// Called once by a sampler with `sites[slot]` = natural cell index of each internal slot.
    fn bind(&mut self, _sites: &[u32]) -> Result<(), ChipError> {
        Ok(())
    }

    /// Binary cells: `p[k]` = P(s = +1) of internal slot `first + k` given local field `u[k]`.
    fn p_up(&self, first: usize, u: &[f32], p: &mut [f32]);

    /// Binary cells, the sampler's entry point: `s[k]` = +1 if `r[k]` < P(s = +1) else -1,
    /// for uniforms `r` in (0, 1); `scratch` has room for `u.len()` values. The default goes
    /// through [`CellModel::p_up`]; a cell may override it with an equivalent cheaper test.
    #[inline(always)]
    fn draw_up(&self, first: usize, u: &[f32], r: &[f32], s: &mut [i8], scratch: &mut [f32]) {
        let p = &mut scratch[..u.len()];
        self.p_up(first, u, p);
        for ((s, &r), &p) in s.iter_mut().zip(r).zip(p.iter()) {
            *s = ((r < p) as i8) * 2 - 1;
        }
    }

    /// `Some(beta)` if [`CellModel::draw_up`] is exactly the ideal cell's ([`ideal_up`] with
    /// [`ideal_k`]`(beta)` for every slot), so that a sampler may run its own fused version of
    /// that test (the lattice path's AVX2 kernel) with bit-identical results. Default `None`.
    fn ideal_beta(&self) -> Option<f64> {
        None
    }

    /// `Some((k, c))`, one value per slot (bound order, see [`CellModel::bind`]), if the cell
    /// is a logistic of an affine function of its local field, P(s = +1 | u) = 1 / (1 +
    /// 2^(k u + c)) = sigma(-(k u + c) ln 2), and [`CellModel::draw_up`] is exactly
    /// [`logistic_up`]`(u, r, k[slot], c[slot])`: samplers may then run their own fused
    /// version of that test (the lattice path's kernels) with bit-identical results, or a
    /// lookup table when every slot has the same (k, c). Default `None`.
    fn logistic_form(&self) -> Option<(&[f32], &[f32])> {
        None
    }

    /// Categorical cells (Potts / p-dit): `p[k]` = P(s = k) given per-state fields `u[k]`.
    fn categorical(&self, slot: usize, u: &[f64], p: &mut [f64]);

    /// Gaussian cells (p-mode): the (mean, standard deviation) to sample, given the ideal
    /// conditional mean and the precision d of the slot (ideal: std = 1 / sqrt(beta d)).
    fn gaussian(&self, slot: usize, mean: f64, precision: f64) -> (f64, f64);

    /// Correlation time of the slot relative to the schedule's `tau` (1 / (r01 + r10) in
    /// those units). Used by the free-running sampler only. Must be > 0.
    fn tau(&self, _slot: usize) -> f64 {
        1.0
    }

    /// Correlation time of the slot at local field `u`, in the units of [`CellModel::tau`]
    /// (a calibrated cell's tau depends on its input). Default: [`CellModel::tau`].
    fn tau_at(&self, slot: usize, _u: f32) -> f64 {
        self.tau(slot)
    }

    /// How the cells' inputs lag their neighbours, in the schedule's time units, if their
    /// couplings are circuits that take time (calibrated couplings): the free-running sampler
    /// then follows each input as it settles ([`crate::chip::samplers::settling`]). Default:
    /// `None` (inputs follow the neighbours at once).
    fn input_lag(&self) -> Option<InputLag> {
        None
    }

    /// Sets the inverse temperature the cells should realise (annealing schedules).
    fn set_beta(&mut self, beta: f64) -> Result<(), ChipError>;
}

/// How a cell and its input follow its neighbours (times in the schedule's units; see
/// [`crate::chip::samplers::settling`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct InputLag {
    /// A latch state reaches the synapses once the latch has held it this long (the
    /// couplings' calibrated delay, timed from the latch's flip).
    pub delay: f64,
    /// Time constant with which an input then relaxes towards its new local field.
    pub settling: f64,
    /// A latch state is read once the latch has held it this long (the cell's readout
    /// latency, [`crate::cell::readout`]).
    pub readout: f64,
    /// The driver response in units of the local field: a neighbour showing v and driven
    /// to the field w adds J (v (1 + driver_gain w^2) + driver_offset w).
    pub driver_offset: f64,
    pub driver_gain: f64,
}

impl InputLag {
    /// A lag of `delay` and `settling` alone: no read latency, no driver response.
    pub const fn new(delay: f64, settling: f64) -> Self {
        InputLag { delay, settling, readout: 0.0, driver_offset: 0.0, driver_gain: 0.0 }
    }
}

/// The ideal cell: exact conditionals at inverse temperature `beta`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdealCell {
    pub beta: f64,
}

impl IdealCell {
    pub fn new(beta: f64) -> Self {
        IdealCell { beta }
    }
}

impl CellModel for IdealCell {
    #[inline]
    fn p_up(&self, _first: usize, u: &[f32], p: &mut [f32]) {
        let two_beta = (2.0 * self.beta) as f32;
        for (p, &u) in p.iter_mut().zip(u) {
            *p = logistic(two_beta * u);
        }
    }

    /// [`ideal_up`] for each cell.
    #[inline(always)]
    fn draw_up(&self, _first: usize, u: &[f32], r: &[f32], s: &mut [i8], _scratch: &mut [f32]) {
        let k = ideal_k(self.beta);
        for ((s, &r), &u) in s.iter_mut().zip(r).zip(u) {
            *s = if ideal_up(u, r, k) { 1 } else { -1 };
        }
    }

    fn ideal_beta(&self) -> Option<f64> {
        Some(self.beta)
    }

    fn categorical(&self, _slot: usize, u: &[f64], p: &mut [f64]) {
        let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for (p, &u) in p.iter_mut().zip(u) {
            *p = (self.beta * (u - max)).exp();
            sum += *p;
        }
        for p in p.iter_mut() {
            *p /= sum;
        }
    }

    fn gaussian(&self, _slot: usize, mean: f64, precision: f64) -> (f64, f64) {
        (mean, 1.0 / (self.beta * precision).sqrt())
    }

    fn set_beta(&mut self, beta: f64) -> Result<(), ChipError> {
        self.beta = beta;
        Ok(())
    }
}

/// The logistic function sigma(x) = 1 / (1 + e^-x) in f32, from [`exp_neg`]. Absolute error
/// below 2e-7; relative error below (4 + |x|) 1e-7, the |x| part from rounding x log2(e) to
/// f32 (both tested against f64 below).
#[inline(always)]
pub fn logistic(x: f32) -> f32 {
    1.0 / (1.0 + exp_neg(x))
}

/// e^-x in f32, branch-free so that loops over it vectorise, for x >= -87 (below, the result
/// saturates at 2^126; above 87 it is 2^-126): [`exp2_clamped`] of -x log2(e).
#[inline(always)]
pub fn exp_neg(x: f32) -> f32 {
    exp2_clamped(-x * std::f32::consts::LOG2_E)
}

/// 1.5 * 2^23: adding it rounds any |t| < 2^22 to the nearest integer n, and leaves n in the
/// low mantissa bits.
pub const EXP2_MAGIC: f32 = 12_582_912.0;

/// Coefficients of 2^f on [-1/2, 1/2], degree 5: a relative-error minimax (Remez) fit with
/// c0 fixed to 1 and the f32 coefficients then nudged by a few ulps to minimise the error of
/// the f32 Horner evaluation: 2.1e-7 relative in the worst case, rounding included (the
/// degree-6 Taylor polynomial used before: 2.4e-7, one multiply-add more).
pub const EXP2_POLY: [f32; 6] = [1.0, 0.693_146_9, 0.240_221_2, 0.055_507_13, 0.009_675_541, 0.001_327_647_2];

/// 2^t in f32 for t clamped to [-126, 126], branch-free: t = n + f with n the nearest integer
/// (the [`EXP2_MAGIC`] trick, whose float bits also hold n) and |f| <= 1/2; 2^f from
/// [`EXP2_POLY`]; 2^n by writing the exponent bits: the low 9 bits of `z.to_bits()` are n mod
/// 512 (the magic's are zero), so `(bits + 127) << 23` is the f32 2^n for n in [-126, 126].
/// The explicit AVX2 kernel of the lattice path repeats these operations one for one.
#[inline(always)]
pub fn exp2_clamped(t: f32) -> f32 {
    let c = EXP2_POLY;
    let t = t.clamp(-126.0, 126.0);
    let z = t + EXP2_MAGIC;
    let n = z - EXP2_MAGIC;
    let f = t - n;
    let scale = f32::from_bits(z.to_bits().wrapping_add(127) << 23);
    let poly = c[0] + f * (c[1] + f * (c[2] + f * (c[3] + f * (c[4] + f * c[5]))));
    poly * scale
}

/// The constant k = -2 beta log2(e) of [`ideal_up`] (rounded once to f32).
#[inline]
pub fn ideal_k(beta: f64) -> f32 {
    (-2.0 * beta * std::f64::consts::LOG2_E) as f32
}

/// The ideal cell's draw: r < sigma(2 beta u) = 1 / (1 + 2^(k u)) with k = [`ideal_k`], tested
/// as r (1 + 2^(k u)) < 1 (no division; the two tests differ only by rounding, a probability
/// change below 1e-7).
#[inline(always)]
pub fn ideal_up(u: f32, r: f32, k: f32) -> bool {
    r * (1.0 + exp2_clamped(u * k)) < 1.0
}

/// A logistic cell's draw: r < 1 / (1 + 2^(k u + c)), tested as r (1 + 2^(k u + c)) < 1 with
/// k u + c rounded to f32 after the product (no fused multiply-add), as [`ideal_up`].
#[inline(always)]
pub fn logistic_up(u: f32, r: f32, k: f32, c: f32) -> bool {
    r * (1.0 + exp2_clamped(u * k + c)) < 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: sigma computed in f64 with the library exp.
    #[test]
    fn logistic_is_accurate() {
        let mut worst_rel = 0f64;
        let mut worst_abs = 0f64;
        for k in -200_000..=200_000 {
            let x = k as f32 * 5e-4;
            let exact = 1.0 / (1.0 + (-(x as f64)).exp());
            let got = logistic(x) as f64;
            worst_abs = worst_abs.max((got - exact).abs());
            if x > -80.0 {
                // below that the clamp at 2^126 keeps sigma at ~1e-38 instead of e^x
                // rounding x log2(e) to f32 costs a relative ~|x| 6e-8 in e^-x
                let rel = ((got - exact) / exact).abs() / (4.0 + x.abs() as f64);
                worst_rel = worst_rel.max(rel);
            }
        }
        assert!(worst_abs < 2e-7, "abs {worst_abs}");
        assert!(worst_rel < 1e-7, "rel {worst_rel}");
        assert_eq!(logistic(1e9), 1.0);
        assert!(logistic(-1e9) < 1e-37);
        assert!((logistic(0.0) - 0.5).abs() < 1e-7);
    }

    /// exp2_clamped against f64 over its whole range: the 2.1e-7 of the documentation
    /// (polynomial and rounding; 2^n is exact), and the clamp at 2^+-126.
    #[test]
    fn exp2_is_accurate() {
        let mut worst = 0f64;
        for k in -1_260_000..=1_260_000 {
            let t = k as f32 * 1e-4;
            let exact = (t as f64).exp2();
            worst = worst.max(((exp2_clamped(t) as f64 - exact) / exact).abs());
        }
        assert!(worst < 2.2e-7, "{worst}");
        assert_eq!(exp2_clamped(1e9), 2f32.powi(126));
        assert_eq!(exp2_clamped(-1e9), 2f32.powi(-126));
        assert_eq!(exp2_clamped(0.0), 1.0);
    }

    #[test]
    fn ideal_categorical_is_softmax() {
        let c = IdealCell::new(0.5);
        let mut p = [0.0; 3];
        c.categorical(0, &[1.0, 0.0, -1.0], &mut p);
        let z: f64 = [0.5f64, 0.0, -0.5].iter().map(|v| v.exp()).sum();
        assert!((p[0] - 0.5f64.exp() / z).abs() < 1e-12);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}

//! Channel noise from weak to strong inversion, as carrier transfers both engines can use.
//!
//! ## The law
//! The long-channel thermal noise of a MOSFET (Klaassen and Prins 1967; Tsividis, "Operation
//! and Modeling of the MOS Transistor", 3rd ed., section 8.2; Enz and Vittoz, "Charge-based
//! MOS transistor modeling", Wiley 2006, chapter 6) is
//!
//!   S_I = 4 k T mu |Q_I| / L^2 = 2 q I_S G,
//!   G = [ (4/3)(q_f^2 + q_f q_r + q_r^2) + q_f + q_r ] / (q_f + q_r + 1),
//!
//! with Q_I the total inversion charge, I_S = 2 n KP (W/L) U_T^2, and q_f, q_r the normalised
//! inversion charges at source and drain (in Enz and Vittoz's charge-based model i = q^2 + q
//! and q = di/dx, x = (V_P - V_S,D)/U_T). G is the EKV 2.6 normalised inversion charge
//! (4/3)(x_f^2 + x_f x_r + x_r^2)/(x_f + x_r) - 1 with x = q + 1/2. pbitsim takes q = dF/dx of
//! its own current interpolation F (q = i in weak inversion, sqrt(i) in strong), so that:
//!
//! - weak inversion (q << 1): G -> i_f + i_r, S_I -> 2q(I_F + I_R), the shot noise of two
//!   independent carrier streams (Sarpeshkar, Delbruck and Mead 1993); 2q I_D in saturation;
//! - V_DS = 0 (q_f = q_r): G = 2q_f, S_I = 4 q I_S q_f = 4 k T g_ds exactly (Johnson-Nyquist);
//! - saturation (q_r -> 0): S_I = 4 k T gamma g_ms with gamma = (1/2 + 2q_f/3)/(1 + q_f)
//!   (Enz and Vittoz's all-region gamma, g_ms = n g_m the source transconductance), from 1/2
//!   in weak inversion to the long-channel 2/3 in strong inversion.
//!
//! ## As carrier transfers
//! Both engines describe a channel by a forward and a reverse flux: the jump engine moves
//! charge at rates Phi/e, the SDE engine uses the drift Phi_F - Phi_R and the noise intensity
//! e (Phi_F + Phi_R). Local detailed balance for transfers of charge e across V_DS fixes
//! Phi_F / Phi_R = e^{e V_DS / kT}; with Phi_F - Phi_R = I_D that fixes Phi_F + Phi_R too, and
//! S_I = 2 e I_D coth(e V_DS / 2kT) >= 2 e I_D. No scaling of the two fluxes can keep both
//! their ratio and their difference and change their sum, and the strong-inversion thermal
//! noise is sub-Poissonian (S_I / 2q I_D = (4/3)/(1 + q_f) -> 0): single-electron Poisson
//! transfers cannot carry it. pbitsim keeps the Poisson form but lets a transfer carry the
//! charge e = F q, F in (0, 1] (a Fano factor):
//!
//!   Phi_F = I_D / (1 - e^{-F V_DS/U_T}),  Phi_R = I_D / (e^{F V_DS/U_T} - 1),
//!   rates Phi / (F q),  S_I = 2 F q (Phi_F + Phi_R) = 2 F q I_D coth(F V_DS / 2U_T),
//!
//! which keeps, for any F, the mean current I_D, local detailed balance for the charge moved
//! (Phi_F / Phi_R = e^{F q V_DS / kT}, the entropy F q V_DS / T per transfer), and
//! S_I(V_DS = 0) = 4 k T g_ds. F is chosen at each bias so that the noise is the thermal law:
//!
//!   2 F q I_D coth(F V_DS / 2U_T) = 2 q I_S G,   i.e.  u coth u = G v / (2 i_d),  F = 2u/v,
//!
//! with v = V_DS/U_T and i_d = I_D/I_S. Its right-hand side is at least 1 (equal at V_DS = 0,
//! where both sides are Johnson's 4kT g_ds), so a root exists; it is found by Newton from
//! a series start (two steps, relative error below 2e-5).
//! In weak inversion F = 1 (pure shot noise; the weak-inversion-only exponential model keeps
//! F = 1 exactly, so every transfer is one electron and the jump engine is exact for it); in
//! strong-inversion saturation F = (4/3)/(1 + q_f) -> 0 (sub-Poissonian). Near V_DS = 0,
//! where the equation degenerates, F is taken at |V_DS| = 1e-3 U_T (the noise there is
//! Johnson's whatever F is).

use crate::units::ELEMENTARY_CHARGE;

/// The normalised thermal-noise charge G(q_f, q_r) (see the module documentation):
/// S_I = 2 q I_S G.
#[inline]
pub fn noise_charge(qf: f64, qr: f64) -> f64 {
    let sum = qf + qr;
    ((4.0 / 3.0) * (qf * qf + qf * qr + qr * qr) + sum) / (sum + 1.0)
}

/// Smallest |V_DS|/U_T at which the transfer charge is solved for (below it, callers take F
/// at this value).
pub const SMALLEST_BIAS: f64 = 1e-3;

/// u with u coth u = w (w >= 1): Newton from the small-u series sqrt(3(w - 1)) below
/// w = 1.5, from sqrt(w^2 - 1) above (two steps, relative error below 2e-5).
fn inverse_u_coth_u(w: f64) -> f64 {
    if !(w > 1.0) {
        return 0.0;
    }
    if w > 20.0 {
        // u coth u - u < 1e-16 for u > 20.
        return w;
    }
    let mut u = if w < 1.5 { (3.0 * (w - 1.0)).sqrt() } else { (w * w - 1.0).sqrt() };
    for _ in 0..2 {
        if u < 1e-4 {
            return (3.0 * (w - 1.0)).sqrt();
        }
        // With e = e^{-2u} - 1 (one expm1): coth u = -(2 + e) / e, 1 / sinh^2 u = 4 (1 + e) / e^2.
        let e = (-2.0 * u).exp_m1();
        let coth = -(2.0 + e) / e;
        let g = u * coth - w;
        let slope = coth - 4.0 * u * (1.0 + e) / (e * e);
        u -= g / slope;
    }
    u
}

/// The charge of one carrier transfer in units of q, from the thermal-noise charge `g`
/// (G of [`noise_charge`]), the normalised net current `diff` (I_D / I_S) and
/// v = V_DS / U_T (|v| >= [`SMALLEST_BIAS`]): the F in (0, 1] with
/// F diff coth(F v / 2) = G.
#[inline]
pub fn transfer_charge(g: f64, diff: f64, v: f64) -> f64 {
    let w = g * v / (2.0 * diff);
    if !(w.is_finite() && v != 0.0) {
        return 1.0;
    }
    let f = 2.0 * inverse_u_coth_u(w) / v.abs();
    if f.is_finite() { f.clamp(1e-6, 1.0) } else { 1.0 }
}

/// Split a normalised net current `diff` (I_D / I_S) into forward and reverse fluxes for
/// transfers of charge `charge` q at v = V_DS / U_T: diff / (1 - e^{-F v}), diff / (e^{F v} - 1).
/// `slope` is d(diff)/dv at v = 0 (used when v is exactly 0).
#[inline]
pub fn split(diff: f64, v: f64, charge: f64, slope: f64) -> (f64, f64) {
    (forward(diff, v, charge, slope), reverse(diff, v, charge, slope))
}

/// The forward part of [`split`] alone: diff / (1 - e^{-F v}).
#[inline]
pub fn forward(diff: f64, v: f64, charge: f64, slope: f64) -> f64 {
    let fv = charge * v;
    if fv == 0.0 { slope / charge } else { diff / -(-fv).exp_m1() }
}

/// The reverse part of [`split`] alone: diff / (e^{F v} - 1).
#[inline]
pub fn reverse(diff: f64, v: f64, charge: f64, slope: f64) -> f64 {
    let fv = charge * v;
    if fv == 0.0 { slope / charge } else { diff / fv.exp_m1() }
}

/// One-sided current noise power spectral density of transfers of charge `charge` q with
/// fluxes `forward` and `reverse` (A): 2 F q (Phi_F + Phi_R) (A^2/Hz).
#[inline]
pub fn psd(forward: f64, reverse: f64, charge: f64) -> f64 {
    2.0 * charge * ELEMENTARY_CHARGE * (forward + reverse)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limits stated in the module documentation, from the formula alone.
    #[test]
    fn noise_charge_limits() {
        // Weak inversion: G -> q_f + q_r.
        let g = noise_charge(1e-6, 3e-7);
        assert!((g / 1.3e-6 - 1.0).abs() < 1e-5);
        // V_DS = 0: G = 2 q.
        for q in [1e-3, 0.3, 5.0, 80.0] {
            assert!((noise_charge(q, q) / (2.0 * q) - 1.0).abs() < 1e-12);
        }
        // Saturation, strong inversion: G / (2 q_f) -> 2/3.
        let q = 1e6;
        assert!((noise_charge(q, 0.0) / (2.0 * q) - 2.0 / 3.0).abs() < 1e-5);
    }

    /// The inverse of u coth u to 3e-5 relative over its range.
    #[test]
    fn inverse_u_coth_u_is_accurate() {
        for k in 0..400 {
            let u = 1e-3 * 1.03f64.powi(k);
            if u > 50.0 {
                break;
            }
            let w = u / u.tanh();
            let back = inverse_u_coth_u(w);
            assert!((back / u - 1.0).abs() < 3e-5, "u = {u}: {back}");
        }
    }

    /// Detailed balance and the Johnson limit hold for any transfer charge.
    #[test]
    fn split_keeps_difference_ratio_and_johnson_limit() {
        for charge in [1.0, 0.5, 0.07] {
            for v in [-3.0, 0.2, 4.0, 30.0] {
                let diff = 2.0 * (v / 2.0f64).sinh();
                let (f, r) = split(diff, v, charge, 1.0);
                assert!((f - r - diff).abs() < 1e-12 * f.abs().max(1.0));
                assert!(((f / r).ln() - charge * v).abs() < 1e-9);
            }
            // Near V_DS = 0: 2 F q (Phi_F + Phi_R) -> 4 q slope (4 k T g_ds in units of U_T).
            let v = 1e-7;
            let (f, r) = split(v, v, charge, 1.0);
            assert!((charge * (f + r) / 2.0 - 1.0).abs() < 1e-6, "{charge}");
        }
    }
}

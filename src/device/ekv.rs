//! EKV evaluation of a MOSFET at one temperature: currents, carrier fluxes, shot noise and
//! analytic derivatives.
//!
//! All voltages are referenced to the bulk (PHYSICS.md section 1). For a PMOS every
//! bulk-referenced voltage is negated ("NMOS-equivalent frame"), evaluated as an NMOS, and the
//! current's sign flipped back.
//!
//! With x_f = (V_P - V_S)/U_T and x_r = (V_P - V_D)/U_T (Enz, Krummenacher and Vittoz 1995):
//!
//!   I_S = 2 n KP (W/L) U_T^2,   I_F = I_S F(x_f),   I_R = I_S F(x_r),   I_D = I_F - I_R,
//!
//! with F(x) = ln^2(1 + e^{x/2}) (EKV interpolation) or F(x) = e^x (weak inversion only).
//!
//! ## Carrier fluxes and channel noise
//! In weak inversion I_F/q and I_R/q are the rates of two independent Poisson streams of
//! carriers (Sarpeshkar, Delbruck and Mead 1993) with I_F/I_R = e^{V_DS/U_T}: local detailed
//! balance, from which S_I(V_DS = 0) = 4kT g_ds (Johnson-Nyquist) follows. Above weak
//! inversion the channel noise is the sub-Poissonian long-channel thermal noise, which
//! pbitsim carries by transfers of a charge F q, F in (0, 1] ([`super::noise`]):
//!
//!   Phi_F = I_D / (1 - e^{-F V_DS/U_T}),   Phi_R = I_D / (e^{F V_DS/U_T} - 1),
//!
//! (Phi_F - Phi_R = I_D, Phi_F/Phi_R = e^{F q V_DS/kT}: the law PHYSICS.md section 2.1 gives
//! for a resistor, for the charge moved). They equal I_F and I_R in weak inversion (F = 1),
//! give S_I = 2 F q (Phi_F + Phi_R) = 4kT g_ds at V_DS = 0 in every region, 2q I_D in weak
//! saturation and the long-channel 4kT (2/3) g_ms in strong saturation. The jump engine moves
//! charges F q at rates Phi/(F q); the SDE engine uses the same fluxes and noise intensity.

use super::card::{Interpolation, ModelCard, PinchOff};
use super::mismatch::Deviation;
use super::noise;
use crate::units::thermal_voltage;

/// Channel geometry of one transistor instance (SI units).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Geometry {
    /// Width (m).
    pub w: f64,
    /// Length (m).
    pub l: f64,
    /// Multiplier: number of identical devices in parallel.
    pub m: f64,
}

/// Voltages at the four terminals (V), against any common reference.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Terminals {
    pub d: f64,
    pub g: f64,
    pub s: f64,
    pub b: f64,
}

/// Everything about a transistor at one bias point.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct OperatingPoint {
    /// Conventional current into the drain terminal (A).
    pub i_d: f64,
    /// EKV forward current I_F (A, NMOS frame, >= 0).
    pub i_f: f64,
    /// EKV reverse current I_R (A, NMOS frame, >= 0).
    pub i_r: f64,
    /// Forward carrier flux Phi_F (A): q times the rate of single-charge transfers that carry
    /// conventional current into the drain (for NMOS; out of it for PMOS).
    pub flux_f: f64,
    /// Reverse carrier flux Phi_R (A).
    pub flux_r: f64,
    /// Charge of one carrier transfer in units of q (1 in weak inversion, below 1 where the
    /// thermal noise is sub-Poissonian; see [`super::noise`]).
    pub transfer_charge: f64,
    /// Normalised inversion charges q = dF/dx at source and drain (Enz and Vittoz).
    pub q_f: f64,
    pub q_r: f64,
    /// Slope factor at this bias.
    pub n: f64,
    /// Specific current I_S (A).
    pub i_s: f64,
    /// Partial derivatives of `i_d` with respect to each terminal voltage (S).
    pub g: Terminals,
}

impl OperatingPoint {
    /// One-sided channel noise power spectral density 2 F q (Phi_F + Phi_R) (A^2/Hz): shot
    /// noise in weak inversion, the long-channel thermal noise above it.
    pub fn channel_noise_psd(&self) -> f64 {
        noise::psd(self.flux_f, self.flux_r, self.transfer_charge)
    }
}

/// ln(1 + e^{y}) and the logistic 1 / (1 + e^{-y}) at y = x/2, from one exponential
/// e^{-|y|}: y + ln(1 + e^{-y}) and 1 / (1 + e^{-y}) for y > 0, ln(1 + e^y) and
/// e^y / (1 + e^y) otherwise (the same operations as [`crate::special::logistic`], so the same
/// bits).
#[inline]
fn softplus_and_logistic_half(x: f64) -> (f64, f64) {
    let y = 0.5 * x;
    if y > 0.0 {
        let e = (-y).exp();
        (y + e.ln_1p(), 1.0 / (1.0 + e))
    } else {
        let e = y.exp();
        (e.ln_1p(), if y == 0.0 { 0.5 } else { e / (1.0 + e) })
    }
}

/// F(x) and F'(x) for the interpolation, plus the auxiliaries the difference needs.
#[derive(Clone, Copy)]
struct Branch {
    f: f64,
    df: f64,
    /// ln(1 + e^{x/2}) for EKV, e^x for exponential.
    root: f64,
    /// logistic(x/2) for EKV, unused for exponential.
    sigma: f64,
    /// The argument x.
    x: f64,
}

fn branch(interp: Interpolation, x: f64) -> Branch {
    match interp {
        Interpolation::Exponential => {
            let e = x.exp();
            Branch { f: e, df: e, root: e, sigma: 1.0, x }
        }
        Interpolation::Ekv => {
            let (root, sigma) = softplus_and_logistic_half(x);
            Branch { f: root * root, df: root * sigma, root, sigma, x }
        }
    }
}

/// F(x_f) - F(x_r) computed without cancellation, given v = x_f - x_r = V_DS/U_T.
fn difference(interp: Interpolation, fwd: &Branch, rev: &Branch, v: f64) -> f64 {
    match interp {
        Interpolation::Exponential => rev.root * v.exp_m1(),
        // ln(1+e^{x_f/2}) - ln(1+e^{x_r/2}) = ln(1 + logistic(x_r/2) (e^{v/2} - 1)).
        Interpolation::Ekv => (fwd.root + rev.root) * (rev.sigma * (0.5 * v).exp_m1()).ln_1p(),
    }
}

/// Pinch-off voltage and its sensitivities.
#[derive(Clone, Copy)]
struct Pinch {
    vp: f64,
    /// dV_P/dV_G.
    dvp_dvg: f64,
    n: f64,
    /// dn/dV_P (zero for a constant slope factor).
    dn_dvp: f64,
}

fn pinch(form: PinchOff, vg: f64, vt0: f64, ut: f64) -> Pinch {
    match form {
        PinchOff::SlopeFactor { n } => Pinch { vp: (vg - vt0) / n, dvp_dvg: 1.0 / n, n, dn_dvp: 0.0 },
        PinchOff::Ekv26 { gamma, phi } => {
            let vgp = vg - vt0 + phi + gamma * phi.sqrt();
            let (vp, dvp_dvg) = if vgp > 0.0 {
                let root = (vgp + 0.25 * gamma * gamma).sqrt();
                (vgp - phi - gamma * (root - 0.5 * gamma), 1.0 - gamma / (2.0 * root))
            } else {
                (-phi, 0.0)
            };
            let arg = phi + vp + 4.0 * ut;
            Pinch {
                vp,
                dvp_dvg,
                n: 1.0 + gamma / (2.0 * arg.sqrt()),
                dn_dvp: -gamma / (4.0 * arg * arg.sqrt()),
            }
        }
    }
}

/// A transistor at one temperature: the bias-independent part of the model, ready for fast
/// repeated evaluation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Transistor {
    sign: f64,
    /// V_T0 at this temperature, mismatch offset included (NMOS frame).
    vt0: f64,
    /// 2 KP(T) (W/L) M: I_S = beta n U_T^2.
    beta: f64,
    ut: f64,
    pinch_off: PinchOff,
    interpolation: Interpolation,
}

impl ModelCard {
    /// The card at temperature `t` (K) for a device of the given geometry, with its threshold
    /// shifted by `vt_offset` (V, NMOS frame; mismatch).
    /// V_T0(T) = V_T0 - TCV (T - TNOM), KP(T) = KP (T/TNOM)^BEX, U_T = kT/q.
    pub fn at(&self, geometry: Geometry, t: f64, vt_offset: f64) -> Transistor {
        self.at_with(geometry, t, Deviation { vt: vt_offset, beta: 0.0 })
    }

    /// The card at temperature `t` (K) with a mismatch deviation: V_T0 shifted by
    /// `deviation.vt` (V, NMOS frame) and the current factor scaled by 1 + `deviation.beta`.
    pub fn at_with(&self, geometry: Geometry, t: f64, deviation: Deviation) -> Transistor {
        Transistor {
            sign: self.polarity.sign(),
            vt0: self.vt0 - self.tcv * (t - self.tnom) + deviation.vt,
            beta: 2.0 * self.kp * (t / self.tnom).powf(self.bex) * geometry.w / geometry.l
                * geometry.m
                * (1.0 + deviation.beta),
            ut: thermal_voltage(t),
            pinch_off: self.pinch_off,
            interpolation: self.interpolation,
        }
    }

    /// Slope factor at zero pinch-off voltage and temperature `t` (K).
    pub fn slope_at(&self, t: f64) -> f64 {
        match self.pinch_off {
            PinchOff::SlopeFactor { n } => n,
            PinchOff::Ekv26 { gamma, phi } => 1.0 + gamma / (2.0 * (phi + 4.0 * thermal_voltage(t)).sqrt()),
        }
    }

    /// Drain current and its temperature derivative dI_D/dT at fixed terminal voltages
    /// (A, A/K), analytic: with dU_T/dT = U_T/T, dV_T0/dT = -TCV, dKP/dT = BEX KP/T,
    /// dI_S/dT = I_S (BEX/T + 2/T + (dn/dT)/n) and dx/dT = (dV_P/dT)/U_T - x/T.
    pub fn current_temperature_slope(&self, geometry: Geometry, t: f64, v: &Terminals) -> (f64, f64) {
        let tr = self.at(geometry, t, 0.0);
        let (vg, vs, vd) = tr.frame(v);
        let ut = tr.ut;
        let p = pinch(tr.pinch_off, vg, tr.vt0, ut);
        let i_s = tr.beta * p.n * ut * ut;
        let xf = (p.vp - vs) / ut;
        let xr = (p.vp - vd) / ut;
        let fwd = branch(tr.interpolation, xf);
        let rev = branch(tr.interpolation, xr);
        let diff = difference(tr.interpolation, &fwd, &rev, (vd - vs) / ut);
        let dvp_dt = p.dvp_dvg * self.tcv;
        let dn_dt = p.dn_dvp * (dvp_dt + 4.0 * ut / t);
        let dis_dt = i_s * (self.bex / t + 2.0 / t + dn_dt / p.n);
        let dxf_dt = dvp_dt / ut - xf / t;
        let dxr_dt = dvp_dt / ut - xr / t;
        let di_dt = dis_dt * diff + i_s * (fwd.df * dxf_dt - rev.df * dxr_dt);
        (tr.sign * i_s * diff, tr.sign * di_dt)
    }
}

/// The bias-independent parameters of a transistor at its temperature, for evaluators that
/// precompute forms of the model (see `circuit::fluxes`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransistorParameters {
    /// +1 for NMOS, -1 for PMOS.
    pub sign: f64,
    /// V_T0 at this temperature, offset included (NMOS frame, V).
    pub vt0: f64,
    /// 2 KP(T) (W/L) M (A/V^2): I_S = beta n U_T^2.
    pub beta: f64,
    /// Thermal voltage (V).
    pub ut: f64,
    pub pinch_off: PinchOff,
    pub interpolation: Interpolation,
}

impl Transistor {
    /// The parameters this transistor evaluates with.
    pub fn parameters(&self) -> TransistorParameters {
        TransistorParameters {
            sign: self.sign,
            vt0: self.vt0,
            beta: self.beta,
            ut: self.ut,
            pinch_off: self.pinch_off,
            interpolation: self.interpolation,
        }
    }

    /// Thermal voltage at this device's temperature (V).
    pub fn thermal_voltage(&self) -> f64 {
        self.ut
    }

    /// Bulk-referenced gate, source and drain voltages in the NMOS frame.
    fn frame(&self, v: &Terminals) -> (f64, f64, f64) {
        (self.sign * (v.g - v.b), self.sign * (v.s - v.b), self.sign * (v.d - v.b))
    }

    /// Specific current, branches and V_DS/U_T at a bias (NMOS frame).
    #[inline]
    fn branches(&self, v: &Terminals) -> (f64, Branch, Branch, f64) {
        let (vg, vs, vd) = self.frame(v);
        let p = pinch(self.pinch_off, vg, self.vt0, self.ut);
        let i_s = self.beta * p.n * self.ut * self.ut;
        let fwd = branch(self.interpolation, (p.vp - vs) / self.ut);
        let rev = branch(self.interpolation, (p.vp - vd) / self.ut);
        (i_s, fwd, rev, (vd - vs) / self.ut)
    }

    /// The charge of one carrier transfer at this bias, in units of q: 1 for the
    /// weak-inversion (exponential) model, the thermal-noise charge for EKV
    /// ([`super::noise`]).
    #[inline]
    pub fn transfer_charge(&self, v: &Terminals) -> f64 {
        if self.interpolation == Interpolation::Exponential {
            return 1.0;
        }
        let (_, fwd, rev, vds) = self.branches(v);
        ekv_transfer_charge(&fwd, &rev, vds)
    }

    /// Forward and reverse carrier fluxes (Phi_F, Phi_R) in amperes for transfers of
    /// `charge` q, without derivatives: the hot path of both engines.
    #[inline]
    pub fn fluxes(&self, v: &Terminals, charge: f64) -> (f64, f64) {
        let (i_s, fwd, rev, vds) = self.branches(v);
        let (pf, pr) = split_fluxes(self.interpolation, &fwd, &rev, vds, charge);
        (i_s * pf, i_s * pr)
    }

    /// The forward flux at one bias and the reverse flux at another (A), and the charge of one
    /// transfer in units of q: the midpoint rates of a jump process, where a forward transfer
    /// is rated at the voltages half-way through the forward jump and a reverse transfer
    /// half-way through the reverse one. The transfer charge is taken at `forward_at` and
    /// serves both directions (it is 1 in weak inversion, where the midpoint rule matters;
    /// above it, it changes over one jump by a fraction of order q/(C U_T)).
    #[inline]
    pub fn flux_pair(&self, forward_at: &Terminals, reverse_at: &Terminals) -> (f64, f64, f64) {
        if self.interpolation == Interpolation::Exponential {
            let forward = {
                let (vg, vs, _) = self.frame(forward_at);
                let p = pinch(self.pinch_off, vg, self.vt0, self.ut);
                self.beta * p.n * self.ut * self.ut * ((p.vp - vs) / self.ut).exp()
            };
            let reverse = {
                let (vg, _, vd) = self.frame(reverse_at);
                let p = pinch(self.pinch_off, vg, self.vt0, self.ut);
                self.beta * p.n * self.ut * self.ut * ((p.vp - vd) / self.ut).exp()
            };
            return (forward, reverse, 1.0);
        }
        let (i_s, fwd, rev, v) = self.branches(forward_at);
        let diff = difference(self.interpolation, &fwd, &rev, v);
        let charge = ekv_transfer_charge_with(&fwd, &rev, v, diff);
        let forward = i_s * noise::forward(diff, v, charge, fwd.df);
        let (i_s, fwd, rev, v) = self.branches(reverse_at);
        let diff = difference(self.interpolation, &fwd, &rev, v);
        let reverse = i_s * noise::reverse(diff, v, charge, fwd.df);
        (forward, reverse, charge)
    }

    /// Full evaluation at a bias point: currents, fluxes and conductances.
    pub fn evaluate(&self, v: &Terminals) -> OperatingPoint {
        let (vg, vs, vd) = self.frame(v);
        let ut = self.ut;
        let p = pinch(self.pinch_off, vg, self.vt0, ut);
        let i_s = self.beta * p.n * ut * ut;
        let xf = (p.vp - vs) / ut;
        let xr = (p.vp - vd) / ut;
        let fwd = branch(self.interpolation, xf);
        let rev = branch(self.interpolation, xr);
        let vds = (vd - vs) / ut;
        let diff = difference(self.interpolation, &fwd, &rev, vds);
        let charge = match self.interpolation {
            Interpolation::Exponential => 1.0,
            Interpolation::Ekv => ekv_transfer_charge_with(&fwd, &rev, vds, diff),
        };
        let (pf, pr) = split_fluxes(self.interpolation, &fwd, &rev, vds, charge);
        // Derivatives in the NMOS frame; i_d = sign * I and v_x = sign * (V_x - V_B), so
        // d i_d / d V_x = dI/dv_x, and the bulk takes minus their sum.
        let dis_dvp = self.beta * ut * ut * p.dn_dvp;
        let d_vs = -i_s * fwd.df / ut;
        let d_vd = i_s * rev.df / ut;
        let d_vg = p.dvp_dvg * (dis_dvp * diff + i_s * (fwd.df - rev.df) / ut);
        OperatingPoint {
            i_d: self.sign * i_s * diff,
            i_f: i_s * fwd.f,
            i_r: i_s * rev.f,
            flux_f: i_s * pf,
            flux_r: i_s * pr,
            transfer_charge: charge,
            q_f: fwd.df,
            q_r: rev.df,
            n: p.n,
            i_s,
            g: Terminals { d: d_vd, g: d_vg, s: d_vs, b: -(d_vd + d_vg + d_vs) },
        }
    }
}

/// The transfer charge of the EKV law at v = V_DS/U_T, the reverse branch moved to
/// |v| = [`noise::SMALLEST_BIAS`] when v is smaller (where the noise is Johnson's for any F).
fn ekv_transfer_charge(fwd: &Branch, rev: &Branch, v: f64) -> f64 {
    ekv_transfer_charge_with(fwd, rev, v, difference(Interpolation::Ekv, fwd, rev, v))
}

/// [`ekv_transfer_charge`] given `diff`, the [`difference`] of `fwd` and `rev` at `v` (the
/// caller has it already; used only where |v| >= [`noise::SMALLEST_BIAS`]).
#[inline]
fn ekv_transfer_charge_with(fwd: &Branch, rev: &Branch, v: f64, diff: f64) -> f64 {
    let small = noise::SMALLEST_BIAS;
    let (rev, v, diff) = if v.abs() >= small {
        (*rev, v, diff)
    } else {
        let v = if v < 0.0 { -small } else { small };
        // x_r = x_f - v.
        let rev = branch(Interpolation::Ekv, fwd.x - v);
        (rev, v, difference(Interpolation::Ekv, fwd, &rev, v))
    };
    let g = noise::noise_charge(fwd.df, rev.df);
    noise::transfer_charge(g, diff, v)
}

/// Detailed-balance split of F(x_f) - F(x_r) into forward and reverse parts for transfers of
/// `charge` q (units of I_S).
fn split_fluxes(interp: Interpolation, fwd: &Branch, rev: &Branch, v: f64, charge: f64) -> (f64, f64) {
    match interp {
        Interpolation::Exponential => (fwd.f, rev.f),
        // At v = 0 the slope of the difference is F'(x) (x_f = x_r).
        Interpolation::Ekv => noise::split(difference(interp, fwd, rev, v), v, charge, fwd.df),
    }
}

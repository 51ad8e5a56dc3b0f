//! Flicker (1/f) noise as a superposition of trapping processes (McWhorter; PHYSICS.md
//! section 10).
//!
//! ## The law a card gives
//! A card with a `[flicker]` section gives the gate-referred (threshold) noise of EKV 2.6
//! (Bucher, Lallement, Enz, Theodoloz and Krummenacher, "The EPFL-EKV MOSFET model equations
//! for simulation", version 2.6, 1999, section "Noise model"; also ngspice's EKV, level 44):
//!
//!   S_VT(f) = KF / (C_ox W L M f^AF),   S_I(f) = g_m^2 S_VT(f),
//!
//! one-sided, f in Hz, KF in V^2 F (times Hz^(AF - 1) when AF != 1), C_ox the card's oxide
//! capacitance per area. In weak inversion g_m = I_D / (n U_T), so S_I = KF I_D^2 /
//! ((n U_T)^2 C_ox W L f^AF): SPICE's current-referred form with current exponent 2, the
//! carrier-number-fluctuation law. KF does not depend on temperature here.
//!
//! ## Its time-domain form
//! Each trap j of a device shifts the device's threshold by a stationary process of variance
//! s_j^2 and autocorrelation s_j^2 e^{-|t|/tau_j}: a symmetric random telegraph signal
//! +-s_j (flip rate 1/(2 tau_j) each way; the jump engine) or an Ornstein-Uhlenbeck process
//! (the SDE engine). Both have the Lorentzian PSD 4 s_j^2 tau_j / (1 + (2 pi f tau_j)^2).
//! The time constants are log-uniform, `per_decade` per decade from tau_min to tau_max
//! (spacing Delta = ln(10) / per_decade in ln tau), and the variances weighted as
//!
//!   s_j^2 = S_0 Delta sin(pi AF / 2) (2 pi)^(AF - 1) tau_j^(AF - 1),   S_0 = KF / (C_ox W L M).
//!
//! Replacing the sum by an integral over ln tau, with u = 2 pi f tau and
//! int_0^inf u^(AF-1) / (1 + u^2) du = pi / (2 sin(pi AF / 2)) (0 < AF < 2):
//!
//!   sum_j 4 s_j^2 tau_j / (1 + (2 pi f tau_j)^2) = S_0 / f^AF
//!
//! for 1/(2 pi tau_max) << f << 1/(2 pi tau_min). With 2 traps per decade the sum's ripple
//! about the integral is below 1 % (1 per decade: +-5 %); one decade inside either end of
//! the band the edges cost about 3 % (AF = 1) to 7 % (AF = 1.2). Outside the band the
//! spectrum is flat (below 1/(2 pi tau_max)) or falls as 1/f^2 (above 1/(2 pi tau_min)):
//! choose the band to cover the simulated one (tau_max about the run length, tau_min well
//! above the integration step).

use super::card::ModelCard;
use super::ekv::Geometry;

/// The flicker-noise part of a card, SI units.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FlickerCard {
    /// KF (V^2 F Hz^(AF - 1)): S_VT(f) = KF / (C_ox W L M f^AF).
    pub kf: f64,
    /// Frequency exponent AF (0.5 to 1.5).
    pub af: f64,
    /// Shortest and longest trap time constant (s).
    pub tau_min: f64,
    pub tau_max: f64,
    /// Traps per decade of time constant.
    pub per_decade: u32,
}

/// One trap of a device: its threshold shift has standard deviation `sigma` (V) and
/// correlation time `tau` (s).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Trap {
    pub tau: f64,
    pub sigma: f64,
}

impl FlickerCard {
    /// S_0 = KF / (C_ox W L M) (V^2 Hz^(AF - 1)), for a card with oxide capacitance `cox`.
    pub fn level(&self, cox: f64, geometry: Geometry) -> f64 {
        self.kf / (cox * geometry.w * geometry.l * geometry.m)
    }

    /// The trap time constants: tau_min 10^(j / per_decade), j = 0, 1, ... up to tau_max
    /// (the last one at or just above tau_max).
    pub fn time_constants(&self) -> Vec<f64> {
        let decades = (self.tau_max / self.tau_min).log10();
        let count = (decades * f64::from(self.per_decade) - 1e-9).ceil().max(0.0) as u32 + 1;
        (0..count).map(|j| self.tau_min * 10f64.powf(f64::from(j) / f64::from(self.per_decade))).collect()
    }

    /// The traps of a device of oxide capacitance `cox` (F/m^2) and `geometry`.
    pub fn traps(&self, cox: f64, geometry: Geometry) -> Vec<Trap> {
        let delta = std::f64::consts::LN_10 / f64::from(self.per_decade);
        let two_pi = 2.0 * std::f64::consts::PI;
        let weight = self.level(cox, geometry)
            * delta
            * (0.5 * std::f64::consts::PI * self.af).sin()
            * two_pi.powf(self.af - 1.0);
        self.time_constants()
            .into_iter()
            .map(|tau| Trap { tau, sigma: (weight * tau.powf(self.af - 1.0)).sqrt() })
            .collect()
    }
}

/// One-sided PSD of the threshold noise the traps give (V^2/Hz) at `f` (Hz): the sum of
/// their Lorentzians, 4 s^2 tau / (1 + (2 pi f tau)^2).
pub fn trap_psd(traps: &[Trap], f: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * f;
    traps.iter().map(|t| 4.0 * t.sigma * t.sigma * t.tau / (1.0 + (w * t.tau).powi(2))).sum()
}

impl ModelCard {
    /// The traps of a device of this card and `geometry`; none without a flicker section.
    pub fn traps(&self, geometry: Geometry) -> Vec<Trap> {
        self.flicker.map_or_else(Vec::new, |f| f.traps(self.cox, geometry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trap sum against the closed form KF / (C_ox W L f^AF), two decades inside the
    /// band (the sum is evaluated, not simulated: the integral identity in the module doc).
    #[test]
    fn trap_sum_is_the_power_law() {
        let g = Geometry { w: 1e-6, l: 0.5e-6, m: 2.0 };
        for af in [0.8, 1.0, 1.2] {
            let card = FlickerCard { kf: 1e-25, af, tau_min: 1e-9, tau_max: 1e-1, per_decade: 2 };
            let traps = card.traps(8.3e-3, g);
            assert_eq!(traps.len(), 17);
            let s0 = card.level(8.3e-3, g);
            for f in [1e2, 1e3, 1e4, 1e5, 1e6] {
                let ratio = trap_psd(&traps, f) * f.powf(af) / s0;
                assert!((ratio - 1.0).abs() < 0.02, "AF {af} f {f}: {ratio}");
            }
        }
    }
}

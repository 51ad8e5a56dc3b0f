//! Device capacitances from the card and the geometry (Enz and Vittoz, "Charge-based MOS
//! transistor modeling", Wiley 2006, chapter 4; the EKV 2.6 intrinsic capacitances).
//!
//! Extrinsic: gate-source and gate-drain overlap C_ov W M each; drain-bulk and source-bulk
//! junctions C_j W M each (the card's junction capacitance per unit width, which folds in the
//! diffusion area of a minimum-length diffusion).
//!
//! Intrinsic, from the normalised charges x = q + 1/2 at source (f) and drain (r) (q = dF/dx
//! of the current interpolation, [`super::noise`]), with C_ch = C_ox W L M:
//!
//!   C_gs = C_ch (2/3) [1 - (x_r^2 + x_r + x_f/2) / (x_f + x_r)^2],   C_gd likewise (f <-> r),
//!   C_gb = C_ch (n - 1)/n (1 - c_gs - c_gd),
//!
//! derived from the gate charge of the linearised charge sheet,
//! dQ_G = C_ch (n-1)/n dV_G - dQ_I / n (Ward-Dutton partition). Weak inversion: the gate couples to the bulk through
//! the depletion layer, C_gb = C_ch (n - 1)/n, C_gs = C_gd = 0 (overlaps only); strong
//! inversion in saturation: C_gs = (2/3) C_ch, C_gd = 0, C_gb = C_ch (n - 1)/(3n); strong
//! inversion at V_DS = 0: C_gs = C_gd = C_ch / 2 (PHYSICS.md section 10).
//!
//! The engines use a constant capacitance matrix, so a circuit evaluates these at its DC
//! operating point ([`crate::circuit`]); a transistor line may fix any of them instead
//! (`cgs=`, `cgd=`, `cgb=`, `cdb=`, `csb=`, in farads, overlaps and junctions included).

use super::card::ModelCard;
use super::ekv::{Geometry, OperatingPoint};

/// Capacitances of one transistor (F), to be stamped between its terminals.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct DeviceCapacitances {
    /// Gate to bulk through the depleted channel.
    pub gate_bulk: f64,
    /// Gate to drain: overlap plus the channel's drain share.
    pub gate_drain: f64,
    /// Gate to source: overlap plus the channel's source share.
    pub gate_source: f64,
    /// Drain-bulk junction.
    pub drain_bulk: f64,
    /// Source-bulk junction.
    pub source_bulk: f64,
}

/// Capacitances fixed on a transistor line (F); `None` keeps the card's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct CapacitanceOverrides {
    pub gate_bulk: Option<f64>,
    pub gate_drain: Option<f64>,
    pub gate_source: Option<f64>,
    pub drain_bulk: Option<f64>,
    pub source_bulk: Option<f64>,
}

impl CapacitanceOverrides {
    /// Whether every capacitance is fixed (no operating point needed).
    pub fn all_fixed(&self) -> bool {
        self.gate_bulk.is_some()
            && self.gate_drain.is_some()
            && self.gate_source.is_some()
            && self.drain_bulk.is_some()
            && self.source_bulk.is_some()
    }

    /// `caps` with the fixed values put in.
    pub fn apply(&self, caps: DeviceCapacitances) -> DeviceCapacitances {
        DeviceCapacitances {
            gate_bulk: self.gate_bulk.unwrap_or(caps.gate_bulk),
            gate_drain: self.gate_drain.unwrap_or(caps.gate_drain),
            gate_source: self.gate_source.unwrap_or(caps.gate_source),
            drain_bulk: self.drain_bulk.unwrap_or(caps.drain_bulk),
            source_bulk: self.source_bulk.unwrap_or(caps.source_bulk),
        }
    }
}

/// Normalised intrinsic gate-source capacitance c_gs(x_f, x_r) (units of C_ox W L).
fn channel_share(xf: f64, xr: f64) -> f64 {
    let s = xf + xr;
    (2.0 / 3.0) * (1.0 - (xr * xr + xr + 0.5 * xf) / (s * s))
}

impl ModelCard {
    /// Capacitances in weak inversion (bias-independent) at temperature `t` (K): overlaps,
    /// junctions and C_gb = C_ox W L (n - 1)/n at the slope factor of zero pinch-off.
    pub fn capacitances(&self, geometry: Geometry, t: f64) -> DeviceCapacitances {
        self.capacitances_with(geometry, 0.0, 0.0, self.slope_at(t))
    }

    /// Capacitances at an operating point (its normalised charges and slope factor).
    pub fn capacitances_at(&self, geometry: Geometry, op: &OperatingPoint) -> DeviceCapacitances {
        self.capacitances_with(geometry, op.q_f, op.q_r, op.n)
    }

    fn capacitances_with(&self, geometry: Geometry, qf: f64, qr: f64, n: f64) -> DeviceCapacitances {
        let w = geometry.w * geometry.m;
        let channel = self.cox * w * geometry.l;
        let (xf, xr) = (qf.max(0.0) + 0.5, qr.max(0.0) + 0.5);
        let (cgs, cgd) = (channel_share(xf, xr), channel_share(xr, xf));
        DeviceCapacitances {
            gate_bulk: channel * (n - 1.0) / n * (1.0 - cgs - cgd).max(0.0),
            gate_drain: self.cov * w + channel * cgd,
            gate_source: self.cov * w + channel * cgs,
            drain_bulk: self.cj * w,
            source_bulk: self.cj * w,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limits of PHYSICS.md section 10, from the formula.
    #[test]
    fn intrinsic_capacitance_limits() {
        // Weak inversion: no channel share.
        assert!(channel_share(0.5, 0.5).abs() < 1e-12);
        // Strong inversion, saturation: 2/3 to the source, 0 to the drain.
        let big = 1e6;
        assert!((channel_share(big, 0.5) - 2.0 / 3.0).abs() < 1e-5);
        assert!(channel_share(0.5, big).abs() < 1e-5);
        // Strong inversion, V_DS = 0: one half each.
        assert!((channel_share(big, big) - 0.5).abs() < 1e-5);
    }
}

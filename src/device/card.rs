//! Device model cards: TOML files that describe one transistor type, as read, then validated.
//!
//! A card names its polarity, the EKV parameters (with their units in the key), temperature
//! coefficients, capacitances, the Pelgrom mismatch coefficient and the source of its values:
//!
//! ```toml
//! name = "nlvt"
//! polarity = "nmos"
//! source = "where the numbers come from"
//!
//! [ekv]
//! vt0_v = 0.42          # threshold at tnom, in the NMOS-equivalent frame (> 0 for PMOS too)
//! kp_ua_per_v2 = 250    # KP = mu0 * C_ox
//! n = 1.3               # constant slope factor: V_P = (V_G - V_T0) / n ...
//! # gamma_sqrt_v = 0.5  # ... or the EKV 2.6 body effect (give gamma and phi, not n)
//! # phi_v = 0.8
//! interpolation = "ekv" # "ekv" (ln^2, weak to strong inversion) or "exponential" (weak only)
//!
//! [temperature]
//! tnom_k = 300.15
//! tcv_mv_per_k = 0.8    # V_T0(T) = V_T0 - TCV (T - TNOM)
//! bex = -1.5            # KP(T) = KP (T / TNOM)^BEX
//!
//! [capacitance]         # all optional, default 0
//! cox_ff_per_um2 = 8.3  # gate oxide
//! cov_ff_per_um = 0.24  # gate-drain and gate-source overlap, per unit width
//! cj_ff_per_um = 0.3    # drain-bulk and source-bulk junction, per unit width
//!
//! [mismatch]
//! avt_mv_um = 3.4       # Pelgrom: sigma(dV_T0) = A_VT / sqrt(W L)
//! abeta_pct_um = 1.0    # Pelgrom: sigma(dbeta / beta) = A_beta / sqrt(W L), in % um
//!
//! [flicker]             # optional; absent (or kf = 0): no flicker noise
//! kf_v2_f = 1e-25       # S_VT(f) = KF / (C_ox W L M f^AF) (V^2 F; f in Hz); needs cox
//! af = 1.0              # frequency exponent, 0.5 to 1.5 (default 1)
//! tau_min_s = 1e-9      # trap time constants, log-uniform from tau_min ...
//! tau_max_s = 1e-3      # ... to tau_max (defaults 1 ns and 1 ms)
//! traps_per_decade = 2  # (default 2)
//! ```
//!
//! The flicker law and its traps: [`super::flicker`].

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use super::flicker::FlickerCard;

/// Channel type. A PMOS is evaluated as an NMOS with every bulk-referenced voltage negated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Polarity {
    Nmos,
    Pmos,
}

impl Polarity {
    /// +1 for NMOS, -1 for PMOS: the factor that maps terminal voltages into the NMOS frame.
    pub fn sign(self) -> f64 {
        match self {
            Polarity::Nmos => 1.0,
            Polarity::Pmos => -1.0,
        }
    }
}

/// How the pinch-off voltage V_P depends on the gate voltage.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum PinchOff {
    /// Weak-inversion form with a constant slope factor: V_P = (V_G - V_T0) / n.
    SlopeFactor { n: f64 },
    /// EKV 2.6 with body effect: V_G' = V_G - V_T0 + PHI + GAMMA sqrt(PHI),
    /// V_P = V_G' - PHI - GAMMA (sqrt(V_G' + GAMMA^2/4) - GAMMA/2),
    /// n = 1 + GAMMA / (2 sqrt(PHI + V_P + 4 U_T)).
    Ekv26 { gamma: f64, phi: f64 },
}

/// How forward and reverse currents depend on (V_P - V_S,D)/U_T.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    /// EKV: I_F = I_S ln^2(1 + exp(x/2)), valid from weak into strong inversion.
    Ekv,
    /// Weak inversion only: I_F = I_S exp(x). Exact local detailed balance, fastest.
    Exponential,
}

/// A validated model card in SI units.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelCard {
    pub name: String,
    pub polarity: Polarity,
    pub source: String,
    /// Threshold voltage at `tnom` in the NMOS-equivalent frame (V).
    pub vt0: f64,
    /// Transconductance parameter KP = mu0 C_ox at `tnom` (A/V^2).
    pub kp: f64,
    pub pinch_off: PinchOff,
    pub interpolation: Interpolation,
    /// Nominal temperature of the parameters (K).
    pub tnom: f64,
    /// Threshold temperature coefficient TCV (V/K): V_T0(T) = V_T0 - TCV (T - TNOM).
    pub tcv: f64,
    /// Mobility temperature exponent BEX: KP(T) = KP (T/TNOM)^BEX.
    pub bex: f64,
    /// Gate oxide capacitance per area (F/m^2).
    pub cox: f64,
    /// Gate overlap capacitance per width, each of drain and source side (F/m).
    pub cov: f64,
    /// Junction capacitance per width, each of drain and source (F/m).
    pub cj: f64,
    /// Pelgrom coefficient A_VT (V m).
    pub avt: f64,
    /// Pelgrom coefficient of the current factor A_beta (relative, times m):
    /// sigma(dbeta/beta) = A_beta / sqrt(W L).
    pub abeta: f64,
    /// Flicker noise ([`super::flicker`]); None: none.
    pub flicker: Option<FlickerCard>,
    /// The file the card was read from, if any.
    pub path: Option<PathBuf>,
}

/// A card that could not be read or is not physical. Names the card, the key and the value.
#[derive(Debug, Error)]
pub enum CardError {
    #[error("model card {card}: cannot read the file: {source}")]
    Io {
        card: String,
        #[source]
        source: std::io::Error,
    },
    #[error("model card {card}: {message}")]
    Syntax { card: String, message: String },
    #[error("model card {card}: key '{key}' = {value}: {reason}")]
    Value { card: String, key: String, value: String, reason: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCard {
    name: String,
    polarity: Polarity,
    source: String,
    ekv: RawEkv,
    temperature: RawTemperature,
    #[serde(default)]
    capacitance: RawCapacitance,
    #[serde(default)]
    mismatch: RawMismatch,
    flicker: Option<RawFlicker>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEkv {
    vt0_v: f64,
    kp_ua_per_v2: f64,
    n: Option<f64>,
    gamma_sqrt_v: Option<f64>,
    phi_v: Option<f64>,
    interpolation: Option<Interpolation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemperature {
    tnom_k: Option<f64>,
    tnom_c: Option<f64>,
    tcv_mv_per_k: f64,
    bex: f64,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCapacitance {
    #[serde(default)]
    cox_ff_per_um2: f64,
    #[serde(default)]
    cov_ff_per_um: f64,
    #[serde(default)]
    cj_ff_per_um: f64,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMismatch {
    #[serde(default)]
    avt_mv_um: f64,
    #[serde(default)]
    abeta_pct_um: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlicker {
    kf_v2_f: f64,
    af: Option<f64>,
    tau_min_s: Option<f64>,
    tau_max_s: Option<f64>,
    traps_per_decade: Option<f64>,
}

/// Read and validate a model card from a TOML file.
pub fn load_card(path: &Path) -> Result<ModelCard, CardError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| CardError::Io { card: path.display().to_string(), source })?;
    let mut card = parse_card(&text, &path.display().to_string())?;
    card.path = Some(path.to_path_buf());
    Ok(card)
}

/// Parse and validate a model card from TOML text; `label` names it in messages.
pub fn parse_card(text: &str, label: &str) -> Result<ModelCard, CardError> {
    let raw: RawCard = toml::from_str(text).map_err(|e| CardError::Syntax {
        card: label.to_string(),
        message: e.to_string().trim_end().replace('\n', "\n  "),
    })?;
    validate(raw, label)
}

struct Checker<'a> {
    card: &'a str,
}

impl Checker<'_> {
    fn fail(&self, key: &str, value: impl ToString, reason: &str) -> CardError {
        CardError::Value {
            card: self.card.to_string(),
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }

    /// Require `lo <= value <= hi` (and finite).
    fn range(&self, key: &str, value: f64, lo: f64, hi: f64, what: &str) -> Result<f64, CardError> {
        if value.is_finite() && value >= lo && value <= hi {
            Ok(value)
        } else {
            Err(self.fail(key, value, &format!("{what}; expected {lo} to {hi}")))
        }
    }
}

fn validate(raw: RawCard, label: &str) -> Result<ModelCard, CardError> {
    let c = Checker { card: label };
    if raw.name.trim().is_empty() {
        return Err(c.fail("name", "\"\"", "a card needs a name"));
    }
    if raw.source.trim().is_empty() {
        return Err(c.fail("source", "\"\"", "say where the values come from"));
    }
    let e = &raw.ekv;
    let vt0 = c.range("ekv.vt0_v", e.vt0_v, -2.0, 2.0, "not a threshold voltage")?;
    let kp = c.range("ekv.kp_ua_per_v2", e.kp_ua_per_v2, 1e-6, 1e5, "KP must be positive")? * 1e-6;
    let pinch_off = match (e.n, e.gamma_sqrt_v, e.phi_v) {
        (Some(n), None, None) => PinchOff::SlopeFactor {
            n: c.range("ekv.n", n, 1.0, 3.0, "a slope factor below 1 is not physical")?,
        },
        (None, Some(gamma), Some(phi)) => PinchOff::Ekv26 {
            gamma: c.range("ekv.gamma_sqrt_v", gamma, 0.0, 5.0, "body factor out of range")?,
            phi: c.range("ekv.phi_v", phi, 0.1, 2.0, "surface potential out of range")?,
        },
        (Some(n), _, _) => {
            return Err(c.fail(
                "ekv.n",
                n,
                "give either n (constant slope factor) or gamma_sqrt_v and phi_v, not both",
            ));
        }
        _ => {
            return Err(c.fail(
                "ekv",
                "(no slope)",
                "missing parameter: give n, or gamma_sqrt_v together with phi_v",
            ));
        }
    };
    let t = &raw.temperature;
    let tnom = match (t.tnom_k, t.tnom_c) {
        (Some(k), None) => c.range("temperature.tnom_k", k, 1.0, 1000.0, "not a temperature")?,
        (None, Some(celsius)) => {
            c.range("temperature.tnom_c", celsius, -272.0, 700.0, "not a temperature")?
                + crate::units::ZERO_CELSIUS
        }
        _ => {
            return Err(c.fail(
                "temperature.tnom_k",
                "(missing)",
                "missing parameter: give exactly one of tnom_k or tnom_c",
            ));
        }
    };
    let tcv =
        c.range("temperature.tcv_mv_per_k", t.tcv_mv_per_k, -10.0, 10.0, "not a threshold drift")? * 1e-3;
    let bex = c.range("temperature.bex", t.bex, -4.0, 1.0, "not a mobility exponent")?;
    let cap = &raw.capacitance;
    let nonneg = |key: &str, v: f64| -> Result<f64, CardError> {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(c.fail(key, v, "a capacitance cannot be negative"))
        }
    };
    // fF/um^2 = 1e-3 F/m^2; fF/um = 1e-9 F/m; mV um = 1e-9 V m.
    let cox = nonneg("capacitance.cox_ff_per_um2", cap.cox_ff_per_um2)? * 1e-3;
    let cov = nonneg("capacitance.cov_ff_per_um", cap.cov_ff_per_um)? * 1e-9;
    let cj = nonneg("capacitance.cj_ff_per_um", cap.cj_ff_per_um)? * 1e-9;
    let avt =
        c.range("mismatch.avt_mv_um", raw.mismatch.avt_mv_um, 0.0, 100.0, "not a Pelgrom coefficient")?
            * 1e-9;
    // % um = 1e-2 * 1e-6 m.
    let abeta = c.range(
        "mismatch.abeta_pct_um",
        raw.mismatch.abeta_pct_um,
        0.0,
        100.0,
        "not a Pelgrom current-factor coefficient",
    )? * 1e-8;
    let flicker = match &raw.flicker {
        Some(f) => validate_flicker(&c, f, cox)?,
        None => None,
    };
    Ok(ModelCard {
        name: raw.name.trim().to_lowercase(),
        polarity: raw.polarity,
        source: raw.source,
        vt0,
        kp,
        pinch_off,
        interpolation: e.interpolation.unwrap_or(Interpolation::Ekv),
        tnom,
        tcv,
        bex,
        cox,
        cov,
        cj,
        avt,
        abeta,
        flicker,
        path: None,
    })
}

/// The flicker section: None when KF is 0.
fn validate_flicker(c: &Checker, f: &RawFlicker, cox: f64) -> Result<Option<FlickerCard>, CardError> {
    let kf = c.range("flicker.kf_v2_f", f.kf_v2_f, 0.0, 1e-18, "not a flicker coefficient (V^2 F)")?;
    if kf == 0.0 {
        return Ok(None);
    }
    if cox <= 0.0 {
        return Err(c.fail(
            "flicker.kf_v2_f",
            f.kf_v2_f,
            "S_VT = KF / (C_ox W L f^AF) needs the oxide capacitance: give capacitance.cox_ff_per_um2",
        ));
    }
    let af = c.range("flicker.af", f.af.unwrap_or(1.0), 0.5, 1.5, "not a flicker exponent")?;
    let tau_min =
        c.range("flicker.tau_min_s", f.tau_min_s.unwrap_or(1e-9), 1e-15, 1e6, "not a time constant")?;
    let tau_max =
        c.range("flicker.tau_max_s", f.tau_max_s.unwrap_or(1e-3), 1e-15, 1e6, "not a time constant")?;
    if tau_max <= tau_min {
        return Err(c.fail("flicker.tau_max_s", tau_max, "must be above flicker.tau_min_s"));
    }
    let per_decade = f.traps_per_decade.unwrap_or(2.0);
    if !(per_decade.fract() == 0.0 && (1.0..=20.0).contains(&per_decade)) {
        return Err(c.fail("flicker.traps_per_decade", per_decade, "expected a whole number, 1 to 20"));
    }
    let per_decade = per_decade as u32;
    if (tau_max / tau_min).log10() * f64::from(per_decade) > 400.0 {
        return Err(c.fail(
            "flicker.tau_max_s",
            tau_max,
            "more than 400 traps per device: narrow the band or use fewer traps per decade",
        ));
    }
    Ok(Some(FlickerCard { kf, af, tau_min, tau_max, per_decade }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "test"
polarity = "nmos"
source = "unit test"
[ekv]
vt0_v = 0.4
kp_ua_per_v2 = 200
n = 1.3
[temperature]
tnom_k = 300
tcv_mv_per_k = 0.8
bex = -1.5
[capacitance]
cox_ff_per_um2 = 8.3
"#;

    #[test]
    fn reads_a_good_card() {
        let card = parse_card(GOOD, "test.toml").unwrap();
        assert_eq!(card.polarity, Polarity::Nmos);
        assert!((card.kp - 200e-6).abs() < 1e-18);
        assert!((card.cox - 8.3e-3).abs() < 1e-15);
        assert!((card.tcv - 0.8e-3).abs() < 1e-15);
        assert_eq!(card.pinch_off, PinchOff::SlopeFactor { n: 1.3 });
    }

    fn error_of(text: &str) -> String {
        parse_card(text, "bad.toml").unwrap_err().to_string()
    }

    #[test]
    fn rejects_unknown_key() {
        let msg = error_of(&GOOD.replace("n = 1.3", "n = 1.3\nvth = 0.4"));
        assert!(msg.contains("bad.toml") && msg.contains("vth"), "{msg}");
    }

    #[test]
    fn rejects_missing_parameter() {
        let msg = error_of(&GOOD.replace("kp_ua_per_v2 = 200\n", ""));
        assert!(msg.contains("bad.toml") && msg.contains("kp_ua_per_v2"), "{msg}");
        let msg = error_of(&GOOD.replace("n = 1.3\n", ""));
        assert!(msg.contains("missing parameter"), "{msg}");
    }

    #[test]
    fn rejects_negative_capacitance() {
        let msg = error_of(&GOOD.replace("cox_ff_per_um2 = 8.3", "cox_ff_per_um2 = -8.3"));
        assert!(
            msg.contains("bad.toml") && msg.contains("capacitance.cox_ff_per_um2") && msg.contains("-8.3"),
            "{msg}"
        );
    }

    #[test]
    fn rejects_non_physical_values() {
        for (from, to, key) in [
            ("n = 1.3", "n = 0.7", "ekv.n"),
            ("kp_ua_per_v2 = 200", "kp_ua_per_v2 = -5", "ekv.kp_ua_per_v2"),
            ("tnom_k = 300", "tnom_k = -3", "temperature.tnom_k"),
            ("bex = -1.5", "bex = 12", "temperature.bex"),
        ] {
            let msg = error_of(&GOOD.replace(from, to));
            let value = to.split(" = ").nth(1).unwrap();
            assert!(msg.contains(key) && msg.contains(value), "{msg}");
        }
    }
}

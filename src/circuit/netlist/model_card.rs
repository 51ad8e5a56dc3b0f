//! `.model NAME nmos|pmos (level=ekv ...)`: a device model card written in the netlist, mapped
//! onto the same card as the TOML files (see [`crate::device::card`]) and validated by the
//! same code, so that a `.model` line and a TOML card with the same values give the same
//! device. Names are SPICE/EKV 2.6 names; [`PARAMETERS`] is the table the README prints.
//!
//! Where EKV 2.6 has a default, an absent parameter takes it (TNOM 27 C, TCV 1 mV/K,
//! BEX -1.5, capacitances and AVTO 0); `vto`, `kp` and the slope (`n`, or `gamma` with `phi`)
//! have no default. As in SPICE, a PMOS `vto` is negative: the card stores its magnitude
//! (pbitsim cards give PMOS thresholds in the NMOS-equivalent frame).

use crate::device::{CardError, ModelCard, parse_card};

use super::error::{ErrorKind, NetlistError};
use super::lexer::{Token, TokenKind};
use super::statement::Statement;

const MODEL_USAGE: &str =
    ".model NAME nmos|pmos (level=ekv vto=VALUE kp=VALUE n=VALUE | gamma=VALUE phi=VALUE ...)";

/// One `.model` parameter and the TOML card key it fills.
#[derive(Debug, Clone, Copy)]
pub struct ModelParameter {
    /// The `.model` name (lower case).
    pub name: &'static str,
    /// Its unit in the `.model` line.
    pub unit: &'static str,
    /// The TOML key, `section.key`.
    pub toml: &'static str,
    /// TOML value = `.model` value times this.
    pub scale: f64,
    /// The value when absent, if it has one.
    pub default: Option<f64>,
    /// What it is.
    pub meaning: &'static str,
}

const fn p(
    name: &'static str,
    unit: &'static str,
    toml: &'static str,
    scale: f64,
    default: Option<f64>,
    meaning: &'static str,
) -> ModelParameter {
    ModelParameter { name, unit, toml, scale, default, meaning }
}

/// Every numeric `.model` parameter pbitsim reads (besides `level=ekv` and
/// `interpolation=ekv|exponential`).
pub const PARAMETERS: &[ModelParameter] = &[
    p("vto", "V", "ekv.vt0_v", 1.0, None, "threshold at tnom (negative for PMOS, as in SPICE)"),
    p("kp", "A/V^2", "ekv.kp_ua_per_v2", 1e6, None, "transconductance parameter mu0 Cox"),
    p("n", "-", "ekv.n", 1.0, None, "constant slope factor (pbitsim; not EKV's junction N)"),
    p("gamma", "V^0.5", "ekv.gamma_sqrt_v", 1.0, None, "body factor (EKV 2.6 pinch-off, with phi)"),
    p("phi", "V", "ekv.phi_v", 1.0, None, "surface potential (with gamma)"),
    p("tnom", "C", "temperature.tnom_c", 1.0, Some(27.0), "temperature of the values"),
    p(
        "tcv",
        "V/K",
        "temperature.tcv_mv_per_k",
        1e3,
        Some(1e-3),
        "threshold drift: VTO(T) = VTO - TCV (T - TNOM)",
    ),
    p("bex", "-", "temperature.bex", 1.0, Some(-1.5), "mobility exponent: KP(T) = KP (T/TNOM)^BEX"),
    p("cox", "F/m^2", "capacitance.cox_ff_per_um2", 1e3, Some(0.0), "gate oxide capacitance per area"),
    p("cgso", "F/m", "capacitance.cov_ff_per_um", 1e9, Some(0.0), "gate-source overlap per width (= cgdo)"),
    p("cgdo", "F/m", "capacitance.cov_ff_per_um", 1e9, Some(0.0), "gate-drain overlap per width (= cgso)"),
    p(
        "cj",
        "F/m",
        "capacitance.cj_ff_per_um",
        1e9,
        Some(0.0),
        "junction capacitance per width (not per area)",
    ),
    p(
        "avto",
        "V m",
        "mismatch.avt_mv_um",
        1e9,
        Some(0.0),
        "Pelgrom coefficient: sigma(dVTO) = AVTO / sqrt(W L)",
    ),
    p(
        "kf",
        "V^2 F",
        "flicker.kf_v2_f",
        1.0,
        None,
        "flicker noise (EKV 2.6): S_VT(f) = KF / (COX W L f^AF); absent or 0: none",
    ),
    p("af", "-", "flicker.af", 1.0, None, "flicker frequency exponent (default 1; with kf)"),
    p("trapmin", "s", "flicker.tau_min_s", 1.0, None, "shortest trap time constant (default 1 ns; with kf)"),
    p("trapmax", "s", "flicker.tau_max_s", 1.0, None, "longest trap time constant (default 1 ms; with kf)"),
    p("trapdec", "-", "flicker.traps_per_decade", 1.0, None, "traps per decade (default 2; with kf)"),
];

/// EKV 2.6 (and SPICE MOSFET) parameters pbitsim does not model, with what to do instead.
fn refused(name: &str) -> Option<&'static str> {
    Some(match name {
        "tox" => "give the oxide capacitance cox = eps_ox / tox (F/m^2)",
        "uo" | "u0" => "give kp = uo cox (A/V^2)",
        "nsub" | "vfb" => "give vto, and gamma with phi (or n), directly",
        "e0" | "theta" | "ucrit" | "vmax" | "lambda" | "weta" | "leta" | "q0" | "lk" | "dl" | "dw" | "xj" => {
            "pbitsim's EKV cards are the long-channel core (no mobility reduction, velocity saturation, channel-length modulation or short-channel effects): remove it"
        }
        "iba" | "ibb" | "ibn" | "ibbt" => "impact ionisation is not modelled: remove it",
        "ucex" | "akp" | "agamma" | "xti" => "not modelled: remove it (avto, the threshold mismatch, is)",
        "nqs" | "satlim" | "xqc" | "update" | "imax" | "version" => "not used by pbitsim: remove it",
        "cgbo" => "there is no gate-bulk overlap in pbitsim's card: fold it into cox or remove it",
        "cjsw" | "mj" | "mjsw" | "pb" | "pbsw" | "fc" | "fcsw" | "js" | "jsw" | "hdif" => {
            "junctions are a fixed capacitance per width, cj (F/m): give that instead"
        }
        "rsh" | "rs" | "rd" => "series resistances are not modelled: add resistors to the netlist",
        _ => return None,
    })
}

/// Read a `.model` line into a validated card.
pub(super) fn model(st: &Statement) -> Result<ModelCard, NetlistError> {
    let fields = st.fields(MODEL_USAGE)?;
    let (name, polarity) = match fields.positional {
        [name, kind] => (name, kind),
        [name, _, extra, ..] if name.kind == TokenKind::Word => return Err(st.unexpected(extra, MODEL_USAGE)),
        [_] => return Err(st.missing("the device type (nmos or pmos)", MODEL_USAGE)),
        [] => return Err(st.missing("the model name", MODEL_USAGE)),
        [bad, ..] => return Err(st.unexpected(bad, MODEL_USAGE)),
    };
    if name.kind != TokenKind::Word || name.text.contains(['(', ')', '.']) {
        return Err(st.unexpected(name, MODEL_USAGE));
    }
    let pmos = match polarity.text.to_lowercase().as_str() {
        "nmos" => false,
        "pmos" => true,
        other => {
            let reason = match other {
                "d" => "diodes are not modelled: use a diode-connected MOSFET",
                "r" | "c" | "l" => "resistors and capacitors take their value on the element line",
                _ => "pbitsim's .model cards describe MOSFETs: write nmos or pmos",
            };
            let kind = ErrorKind::Unsupported {
                token: polarity.text.clone(),
                name: format!(".model {}", name.text),
                reason: reason.to_string(),
            };
            return Err(st.error(polarity, kind));
        }
    };
    let bad = |key: &Token, token: &Token, reason: String| {
        let kind = ErrorKind::BadModelParam {
            name: name.text.clone(),
            key: key.text.clone(),
            token: token.text.clone(),
            reason,
        };
        st.error(token, kind)
    };
    let mut given: Vec<Given> = Vec::new();
    let (mut level, mut interpolation) = (None, None);
    for (key, value) in &fields.pairs {
        let lower = key.text.to_lowercase();
        let word = value.content().to_lowercase();
        let repeated = given.iter().any(|g| g.mapping.name == lower)
            || (lower == "level" && level.is_some())
            || (lower == "interpolation" && interpolation.is_some());
        if repeated {
            let kind = ErrorKind::DuplicateInstanceParam {
                key: key.text.clone(),
                name: format!(".model {}", name.text),
            };
            return Err(st.error(key, kind));
        }
        match lower.as_str() {
            "level" if word == "ekv" || word == "44" => level = Some(()),
            "level" => {
                return Err(bad(key, value, "pbitsim models MOSFETs with EKV cards only: write level=ekv (ngspice's EKV 2.6 is level=44, also accepted)".to_string()));
            }
            "interpolation" if word == "ekv" || word == "exponential" => interpolation = Some(word),
            "interpolation" => {
                return Err(bad(
                    key,
                    value,
                    "expected ekv (weak to strong inversion) or exponential (weak inversion only)"
                        .to_string(),
                ));
            }
            _ => match PARAMETERS.iter().find(|m| m.name == lower) {
                Some(mapping) => {
                    let number = st.number(value, &format!("{} of .model {}", key.text, name.text))?;
                    given.push(Given { mapping, key, value, number });
                }
                None => {
                    let accepted: Vec<&str> = PARAMETERS.iter().map(|m| m.name).collect();
                    let model = format!(".model {}", name.text);
                    let kind = match refused(&lower) {
                        Some(hint) => ErrorKind::Unsupported {
                            token: key.text.clone(),
                            name: model,
                            reason: hint.to_string(),
                        },
                        None => ErrorKind::UnknownInstanceParam {
                            key: key.text.clone(),
                            name: model,
                            expected: format!("one of level, interpolation, {}", accepted.join(", ")),
                        },
                    };
                    return Err(st.error(key, kind));
                }
            },
        }
    }
    if level.is_none() {
        return Err(st.missing("level=ekv (pbitsim's .model cards are EKV cards)", MODEL_USAGE));
    }
    let value_of = |n: &str| given.iter().find(|g| g.mapping.name == n);
    for required in ["vto", "kp"] {
        if value_of(required).is_none() {
            return Err(st.missing(&format!("{required}=VALUE (it has no default)"), MODEL_USAGE));
        }
    }
    if value_of("n").is_none() && (value_of("gamma").is_none() || value_of("phi").is_none()) {
        return Err(st.missing("the slope: n=VALUE, or gamma=VALUE with phi=VALUE", MODEL_USAGE));
    }
    let overlap =
        "pbitsim's card has one overlap capacitance per width for both sides: give cgso and cgdo, equal";
    match (value_of("cgso"), value_of("cgdo")) {
        (Some(s), Some(d)) if s.number != d.number => return Err(bad(d.key, d.value, overlap.to_string())),
        (Some(g), None) | (None, Some(g)) => return Err(bad(g.key, g.value, overlap.to_string())),
        _ => {}
    }
    if let Some(g) = value_of("cj").filter(|g| g.number > 1e-8) {
        let reason = format!(
            "{} F/m is {} fF per um of width: this looks like SPICE's per-area CJ (F/m^2); pbitsim's cj is per unit width (F/m), such as cj=0.3n (0.3 fF/um); for a diffusion of length HDIF it is about CJ HDIF + CJSW",
            g.number,
            g.number * 1e9
        );
        return Err(bad(g.key, g.value, reason));
    }
    if value_of("kf").is_none()
        && let Some(g) = ["af", "trapmin", "trapmax", "trapdec"].into_iter().find_map(value_of)
    {
        return Err(bad(g.key, g.value, "a flicker parameter without kf: give kf too".to_string()));
    }
    let label = format!(".model {} at {}", name.text, st.location(st.head()));
    let text = card_toml(&name.text, pmos, &given, interpolation.as_deref(), &label);
    parse_card(&text, &label).map_err(|error| card_error(st, name, &given, error))
}

/// A parameter given on the `.model` line.
struct Given<'a> {
    mapping: &'static ModelParameter,
    key: &'a Token,
    value: &'a Token,
    number: f64,
}

/// The TOML card for the given values (defaults filled in).
fn card_toml(name: &str, pmos: bool, given: &[Given], interpolation: Option<&str>, label: &str) -> String {
    let mut card = toml::Table::new();
    card.insert("name".into(), name.to_lowercase().into());
    card.insert("polarity".into(), if pmos { "pmos" } else { "nmos" }.into());
    card.insert("source".into(), label.into());
    let mut sections: Vec<(&str, toml::Table)> = ["ekv", "temperature", "capacitance", "mismatch", "flicker"]
        .iter()
        .map(|s| (*s, toml::Table::new()))
        .collect();
    for mapping in PARAMETERS {
        let value =
            given.iter().find(|g| g.mapping.name == mapping.name).map(|g| g.number).or(mapping.default);
        let Some(value) = value else { continue };
        let value = if mapping.name == "vto" && pmos { -value } else { value };
        let (table, key) = mapping.toml.split_once('.').unwrap_or(("ekv", mapping.toml));
        if let Some((_, entries)) = sections.iter_mut().find(|(s, _)| *s == table) {
            entries.insert(key.into(), (value * mapping.scale).into());
        }
    }
    if let Some((_, ekv)) = sections.iter_mut().find(|(s, _)| *s == "ekv") {
        ekv.insert("interpolation".into(), interpolation.unwrap_or("ekv").into());
    }
    for (name, entries) in sections {
        if name == "flicker" && entries.is_empty() {
            continue;
        }
        card.insert(name.into(), entries.into());
    }
    toml::to_string(&card).unwrap_or_default()
}

/// A card validation error, said in `.model` terms at the token at fault.
fn card_error(st: &Statement, name: &Token, given: &[Given], error: CardError) -> NetlistError {
    let (key, value, reason) = match error {
        CardError::Value { key, value, reason, .. } => (key, value, reason),
        other => (String::new(), String::new(), other.to_string()),
    };
    match given.iter().find(|g| g.mapping.toml == key) {
        Some(g) => {
            let kind = ErrorKind::BadModelParam {
                name: name.text.clone(),
                key: g.key.text.clone(),
                token: g.value.text.clone(),
                reason: format!("{reason} (as the card's {key} = {value})"),
            };
            st.error(g.value, kind)
        }
        None => {
            let kind = ErrorKind::Invalid {
                token: format!(".model {}", name.text),
                context: "device card".to_string(),
                problem: format!("is refused: {reason}"),
            };
            st.error(st.head(), kind)
        }
    }
}

//! Element lines: `M`, `C`, `R`, `V` and `I` (subcircuit instances, `X`, are expanded by
//! the flattening pass).

use super::directives::absolute_temperature;
use super::error::{ErrorKind, NetlistError};
use super::lexer::{Token, TokenKind};
use super::sources::{SourceValue, source_value};
use super::statement::Statement;
use super::{Element, ElementKind, InstanceTemperature, MosfetExtras};
use crate::units::Quantity;

const MOSFET_USAGE: &str = "M<name> drain gate source bulk MODEL W=<length> L=<length> [M=<count>] \
     [cgs= cgd= cgb= cdb= csb=<capacitance>] [dvt=<voltage>] [dbeta=<fraction>] [temp=<C> | dtemp=<K>]";
const RESISTOR_USAGE: &str = "R<name> node node VALUE (ohms) [temp=<C> | dtemp=<K>]";

/// Read an element line (its first token starts with the element letter).
pub(super) fn parse_element(st: &Statement) -> Result<Element, NetlistError> {
    let head = st.head();
    let letter = match head.kind {
        TokenKind::Word => head.text.chars().next().map(|c| c.to_ascii_lowercase()),
        TokenKind::Equals | TokenKind::Brace | TokenKind::Quoted => None,
    };
    if head.text.contains('.') {
        let kind = ErrorKind::Invalid {
            token: head.text.clone(),
            context: "element name".to_string(),
            problem: "contains '.', which separates hierarchical names (x3.r1 is r1 inside instance x3): rename the element".to_string(),
        };
        return Err(st.error(head, kind));
    }
    let kind = match letter {
        Some('m') => mosfet(st)?,
        Some('c') => two_terminal(st, Quantity::Capacitance)?,
        Some('r') => two_terminal(st, Quantity::Resistance)?,
        Some('v') => source(st, Quantity::Voltage)?,
        Some('i') => source(st, Quantity::Current)?,
        _ => {
            let hint = unknown_element_hint(letter.unwrap_or(' '));
            let name = head.text.clone();
            return Err(st.error(head, ErrorKind::UnknownElement { name, hint: hint.to_string() }));
        }
    };
    Ok(Element { name: head.text.to_lowercase(), kind, location: st.location(head), instance: None })
}

fn unknown_element_hint(letter: char) -> &'static str {
    match letter {
        'd' => "; diodes (D) are not modelled: use a diode-connected MOSFET",
        'q' => "; bipolar transistors (Q) are not modelled: use MOSFETs (M) with an EKV .model card",
        'j' | 'z' => "; JFETs (J) and MESFETs (Z) are not modelled: use MOSFETs (M)",
        'l' | 'k' => "; inductors (L, K) are not modelled: pbitsim circuits are RC and transistor networks",
        'e' | 'f' | 'g' | 'h' => {
            "; controlled sources (E, F, G, H) are not supported: build the gain from transistors, or drive the node with a V or I source whose value is a .param"
        }
        'b' => {
            "; behavioural sources (B) are not supported: use a V or I source with a .param or {expression} value"
        }
        's' | 'w' => "; switches (S, W) are not modelled: use a MOSFET as the switch",
        't' | 'o' | 'u' | 'y' | 'p' => "; transmission lines are not modelled: use R and C sections",
        'a' | 'n' => {
            "; XSPICE code models (A) and OSDI devices (N) are not supported: use MOSFETs with an EKV .model card"
        }
        'a'..='z' => "",
        _ => "; an element line starts with its letter and name, such as R1 or M2",
    }
}

/// Read `temp=` (absolute, degrees Celsius as in ngspice, or with a unit `300K`) or `dtemp=`
/// (kelvin above the circuit temperature) into `slot`, refusing a second one.
fn instance_temperature(
    st: &Statement,
    slot: &mut Option<InstanceTemperature>,
    key: &Token,
    value: &Token,
) -> Result<(), NetlistError> {
    let name = &st.head().text;
    if slot.is_some() {
        let kind = ErrorKind::Invalid {
            token: key.text.clone(),
            context: format!("temperature of {name}"),
            problem: "is a second temperature on the same instance: give temp= (degrees C) or dtemp= (offset from the circuit temperature, K), once".to_string(),
        };
        return Err(st.error(key, kind));
    }
    *slot = Some(if key.text.eq_ignore_ascii_case("temp") {
        InstanceTemperature::Absolute(absolute_temperature(st, value, &format!("temp of {name}"))?)
    } else {
        InstanceTemperature::Offset(st.value(
            value,
            Quantity::Dimensionless,
            &format!("dtemp of {name}, kelvin"),
        )?)
    });
    Ok(())
}

fn is_temperature_key(key: &Token) -> bool {
    key.text.eq_ignore_ascii_case("temp") || key.text.eq_ignore_ascii_case("dtemp")
}

/// A positive value, or an error naming the element and the token.
/// Smallest capacitor accepted (F): below it one electron swings the node by more than 16 V,
/// far beyond any supply a p-bit runs at, and the step a run needs shrinks without bound.
pub const MIN_CAPACITANCE: f64 = 1e-20;

fn positive(
    st: &Statement,
    token: &Token,
    value: f64,
    what: &'static str,
    unit: &'static str,
) -> Result<f64, NetlistError> {
    if value > 0.0 {
        return Ok(value);
    }
    let kind =
        ErrorKind::NotPositive { what, unit, name: st.head().text.clone(), token: token.text.clone(), value };
    Err(st.error(token, kind))
}

/// The two nodes at the start of `positional`, or a "missing" error naming the first absent
/// one (`names` says what each is).
fn two_nodes(
    st: &Statement,
    positional: &[Token],
    names: [&str; 2],
    usage: &str,
) -> Result<(String, String), NetlistError> {
    let node = |i: usize| match positional.get(i) {
        Some(token) => st.node(token),
        None => Err(st.missing(names[i], usage)),
    };
    Ok((node(0)?, node(1)?))
}

/// Two terminals on one node make no sense for R, C and V.
fn distinct(st: &Statement, a: &str, b: &str) -> Result<(), NetlistError> {
    if a != b {
        return Ok(());
    }
    let token = &st.tokens[2];
    let kind = ErrorKind::Invalid {
        token: token.text.clone(),
        context: format!("second node of {}", st.head().text),
        problem: format!(
            "is the first node too: expected two different nodes, not both terminals on '{}'",
            st.tokens[1].text
        ),
    };
    Err(st.error(token, kind))
}

fn mosfet(st: &Statement) -> Result<ElementKind, NetlistError> {
    let fields = st.fields(MOSFET_USAGE)?;
    let found = fields.positional.len();
    if found < 5 {
        // Which field is missing is a guess (often the bulk node): say what was found.
        let written: Vec<&str> = fields.positional.iter().map(|t| t.text.as_str()).collect();
        let missing = format!(
            "{} of its 5 fields (4 nodes and a model); found {found}: '{}'",
            5 - found,
            written.join(" ")
        );
        return Err(st.missing(&missing, MOSFET_USAGE));
    }
    let terminals =
        fields.positional[..4].iter().map(|token| st.node(token)).collect::<Result<Vec<_>, _>>()?;
    let [drain, gate, source, bulk] = <[String; 4]>::try_from(terminals).unwrap_or_default();
    let model_token = &fields.positional[4];
    if model_token.kind != TokenKind::Word {
        return Err(st.unexpected(model_token, MOSFET_USAGE));
    }
    let model = model_token.text.to_lowercase();
    if let Some(extra) = fields.positional.get(5) {
        return Err(st.unexpected(extra, MOSFET_USAGE));
    }
    let (mut w, mut l, mut m, mut temperature) = (None, None, None, None);
    let mut extras = MosfetExtras::default();
    let (mut cgs, mut cgd, mut cgb, mut cdb, mut csb, mut dvt, mut dbeta) =
        (None, None, None, None, None, None, None);
    let name = &st.head().text;
    for (key, value) in fields.pairs {
        if is_temperature_key(key) {
            instance_temperature(st, &mut temperature, key, value)?;
            continue;
        }
        let (slot, quantity, what) = match key.text.to_lowercase().as_str() {
            "w" => (&mut w, Quantity::Length, "W"),
            "l" => (&mut l, Quantity::Length, "L"),
            "m" => (&mut m, Quantity::Dimensionless, "M"),
            "cgs" => (&mut cgs, Quantity::Capacitance, "cgs"),
            "cgd" => (&mut cgd, Quantity::Capacitance, "cgd"),
            "cgb" => (&mut cgb, Quantity::Capacitance, "cgb"),
            "cdb" => (&mut cdb, Quantity::Capacitance, "cdb"),
            "csb" => (&mut csb, Quantity::Capacitance, "csb"),
            "dvt" => (&mut dvt, Quantity::Voltage, "dvt"),
            "dbeta" => (&mut dbeta, Quantity::Dimensionless, "dbeta"),
            _ => {
                let expected = "W=, L=, M=, the capacitances cgs=, cgd=, cgb=, cdb=, csb=, the offsets dvt=, dbeta=, \
                                temp= or dtemp= (pbitsim takes the rest of the device from its model card)";
                let kind = ErrorKind::UnknownInstanceParam {
                    key: key.text.clone(),
                    name: name.clone(),
                    expected: expected.to_string(),
                };
                return Err(st.error(key, kind));
            }
        };
        if slot.is_some() {
            let kind = ErrorKind::DuplicateInstanceParam { key: key.text.clone(), name: name.clone() };
            return Err(st.error(key, kind));
        }
        let number = st.value(value, quantity, &format!("{what} of {name}"))?;
        *slot = Some(match what {
            "W" | "L" | "M" => {
                let unit = if quantity == Quantity::Length { "m" } else { "" };
                positive(st, value, number, what, unit)?
            }
            "dbeta" if number <= -1.0 => {
                let kind = ErrorKind::Invalid {
                    token: value.text.clone(),
                    context: format!("dbeta of {name}"),
                    problem: "is not a relative current-factor offset: expected a number above -1"
                        .to_string(),
                };
                return Err(st.error(value, kind));
            }
            "dvt" | "dbeta" => number,
            // A capacitance may be zero (removes the card's value) but not negative.
            _ if number >= 0.0 => number,
            _ => positive(st, value, number, what, "F")?,
        });
    }
    extras.cgs = cgs;
    extras.cgd = cgd;
    extras.cgb = cgb;
    extras.cdb = cdb;
    extras.csb = csb;
    extras.dvt = dvt.unwrap_or(0.0);
    extras.dbeta = dbeta.unwrap_or(0.0);
    let require = |value: Option<f64>, key, what| {
        value.ok_or_else(|| {
            st.error(st.head(), ErrorKind::MissingInstanceParam { name: name.clone(), key, what })
        })
    };
    Ok(ElementKind::Mosfet {
        drain,
        gate,
        source,
        bulk,
        model,
        w: require(w, "W", "width")?,
        l: require(l, "L", "length")?,
        m: m.unwrap_or(1.0),
        extras,
        temperature,
    })
}

fn two_terminal(st: &Statement, quantity: Quantity) -> Result<ElementKind, NetlistError> {
    let (usage, what, unit) = match quantity {
        Quantity::Capacitance => ("C<name> node node VALUE (farads)", "capacitance", "F"),
        _ => (RESISTOR_USAGE, "resistance", "Ohm"),
    };
    let fields = st.fields(usage)?;
    let mut temperature = None;
    for (key, value) in &fields.pairs {
        if quantity == Quantity::Resistance && is_temperature_key(key) {
            instance_temperature(st, &mut temperature, key, value)?;
            continue;
        }
        let expected = match quantity {
            Quantity::Capacitance => "none (set initial voltages with .ic V(node)=VALUE)",
            _ => {
                "temp= or dtemp= (pbitsim resistors have no temperature coefficients: write the value at the resistor's temperature)"
            }
        };
        let kind = ErrorKind::UnknownInstanceParam {
            key: key.text.clone(),
            name: st.head().text.clone(),
            expected: expected.to_string(),
        };
        return Err(st.error(key, kind));
    }
    let names = ["its first node", "its second node"];
    let (a, b) = two_nodes(st, fields.positional, names, usage)?;
    let Some(token) = fields.positional.get(2) else {
        return Err(st.missing("its value", usage));
    };
    if let Some(extra) = fields.positional.get(3) {
        return Err(st.unexpected(extra, usage));
    }
    distinct(st, &a, &b)?;
    let value = st.value(token, quantity, &format!("value of {}", st.head().text))?;
    let value = positive(st, token, value, what, unit)?;
    if quantity == Quantity::Capacitance && value < MIN_CAPACITANCE {
        let kind = ErrorKind::Invalid {
            token: token.text.clone(),
            context: format!("capacitance of {}", st.head().text),
            problem: format!(
                "is below {:e} F: one electron would move its node by {:.0} V or more; expected at least 1e-20 F (attofarads are typical)",
                MIN_CAPACITANCE,
                crate::units::ELEMENTARY_CHARGE / MIN_CAPACITANCE
            ),
        };
        return Err(st.error(token, kind));
    }
    Ok(match quantity {
        Quantity::Capacitance => ElementKind::Capacitor { a, b, farads: value },
        _ => ElementKind::Resistor { a, b, ohms: value, temperature },
    })
}

fn source(st: &Statement, quantity: Quantity) -> Result<ElementKind, NetlistError> {
    let usage = match quantity {
        Quantity::Voltage => {
            "V<name> plus minus [DC] VALUE (volts), or a waveform PULSE(...), PWL(...) or SIN(...), or DC VALUE and a waveform"
        }
        _ => {
            "I<name> plus minus [DC] VALUE (amperes, flowing from plus through the source to minus), or a waveform PULSE(...), PWL(...) or SIN(...)"
        }
    };
    let fields = st.fields(usage)?;
    if let Some((key, _)) = fields.pairs.first() {
        let kind = ErrorKind::UnknownInstanceParam {
            key: key.text.clone(),
            name: st.head().text.clone(),
            expected: "none: a source takes a value and a waveform (PWL's r= and td= are not supported: write the points out)"
                .to_string(),
        };
        return Err(st.error(key, kind));
    }
    let names = ["its plus node", "its minus node"];
    let (plus, minus) = two_nodes(st, fields.positional, names, usage)?;
    let rest = &fields.positional[2.min(fields.positional.len())..];
    let SourceValue { dc, waveform } = source_value(st, rest, quantity, usage)?;
    Ok(match quantity {
        Quantity::Voltage => {
            distinct(st, &plus, &minus)?;
            ElementKind::VoltageSource { plus, minus, volts: dc, waveform }
        }
        _ => ElementKind::CurrentSource { plus, minus, amps: dc, waveform },
    })
}

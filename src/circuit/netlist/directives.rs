//! Directives read in the second pass: `.temp`, `.tran`, `.ic`, `.options`, `.output`, and
//! the advice given for directives pbitsim does not know.

use super::error::{ErrorKind, NetlistError};
use super::lexer::{Token, TokenKind};
use super::statement::{Statement, node_name};
use super::{GROUND, InitialCondition, OutputDecl, OutputKind, Tran};
use crate::units::{Quantity, ZERO_CELSIUS, parse_temperature};

const TEMP_USAGE: &str = ".temp VALUE (degrees Celsius, or with a unit: 300K, 27C)";
const TRAN_USAGE: &str = ".tran TSTEP TSTOP [TSTART [TMAX]] [UIC]";
const IC_USAGE: &str = ".ic V(node)=VALUE [V(node)=VALUE ...]";
const OUTPUT_USAGE: &str = ".output bit NAME V(a) V(b) [hyst=VALUE] | .output cat NAME V(a) V(b) ... [hyst=VALUE] | .output analog NAME V(a) [V(b)]";

/// `.temp VALUE`: kelvin. A bare number is degrees Celsius (as in SPICE); `300K` and `27C`
/// carry their unit; a parameter or `{expression}` is degrees Celsius.
pub(super) fn temperature(st: &Statement) -> Result<f64, NetlistError> {
    let Some(token) = st.tokens.get(1) else {
        return Err(st.missing("the temperature", TEMP_USAGE));
    };
    if let Some(extra) = st.tokens.get(2) {
        return Err(
            st.unexpected(extra, "one temperature (sweep temperatures with pbitsim calibrate --temps)")
        );
    }
    absolute_temperature(st, token, ".temp")
}

/// A temperature value in kelvin: a bare number, parameter or `{expression}` is degrees
/// Celsius (SPICE), `300K` and `27C` carry their unit. It must be above absolute zero.
pub(super) fn absolute_temperature(
    st: &Statement,
    token: &Token,
    context: &str,
) -> Result<f64, NetlistError> {
    let has_unit = token.kind == TokenKind::Word
        && token.text.ends_with(|c: char| c.is_alphabetic())
        && token.text.starts_with(|c: char| c.is_ascii_digit() || ".+-".contains(c));
    let kelvin = if has_unit {
        parse_temperature(&token.text).map_err(|e| {
            let kind = ErrorKind::BadValue {
                token: e.token,
                what: "a temperature".to_string(),
                context: context.to_string(),
                reason: e.reason,
                expected: e.expected,
            };
            st.error(token, kind)
        })?
    } else {
        st.value(token, Quantity::Dimensionless, &format!("{context}, degrees Celsius"))? + ZERO_CELSIUS
    };
    if kelvin > 0.0 {
        return Ok(kelvin);
    }
    let kind = ErrorKind::Invalid {
        token: token.text.clone(),
        context: context.to_string(),
        problem: format!("is {kelvin} K, not above absolute zero"),
    };
    Err(st.error(token, kind))
}

/// `.tran TSTEP TSTOP [TSTART [TMAX]] [UIC]`: without UIC the transient starts from the DC
/// operating point (with `.ic` nodes held while it is solved), with it from the `.ic` values
/// and the zero-charge state elsewhere (SPICE).
pub(super) fn tran(st: &Statement) -> Result<Tran, NetlistError> {
    let mut values = &st.tokens[1..];
    let uic = values.last().is_some_and(|t| t.kind == TokenKind::Word && t.text.eq_ignore_ascii_case("uic"));
    if uic {
        values = &values[..values.len() - 1];
    }
    let names = ["TSTEP", "TSTOP", "TSTART", "TMAX"];
    if let Some(extra) = values.get(names.len()).or(values.iter().find(|t| t.is_equals())) {
        return Err(st.unexpected(extra, TRAN_USAGE));
    }
    let mut read = Vec::new();
    for (token, name) in values.iter().zip(names) {
        let value = st.value(token, Quantity::Time, &format!(".tran {name}"))?;
        read.push((token, name, value));
    }
    let [step, stop] = [0, 1].map(|i| read.get(i).map(|r| r.2));
    let (Some(step), Some(stop)) = (step, stop) else {
        return Err(st.missing(["the time step TSTEP", "the stop time TSTOP"][read.len()], TRAN_USAGE));
    };
    let start = read.get(2).map_or(0.0, |r| r.2);
    let max_step = read.get(3).map(|r| r.2);
    let invalid = |(token, name, _): &(&Token, &str, f64), problem: &str| {
        let kind = ErrorKind::Invalid {
            token: token.text.clone(),
            context: format!(".tran {name}"),
            problem: problem.to_string(),
        };
        Err(st.error(token, kind))
    };
    for entry in &read {
        match *entry {
            (_, "TSTART", value) if value < 0.0 => return invalid(entry, "must not be negative"),
            (_, "TSTART", _) => {}
            (_, _, value) if value <= 0.0 => return invalid(entry, "must be greater than zero"),
            _ => {}
        }
    }
    if step > stop {
        return invalid(&read[0], "must not exceed TSTOP");
    }
    if let Some(entry) = read.get(2).filter(|_| start >= stop) {
        return invalid(entry, "must be less than TSTOP");
    }
    Ok(Tran { step, stop, start, max_step, uic, location: st.location(st.head()) })
}

/// `V(a)` or `V(a,b)`: the node names (lower-cased, ground as `0`) and their spellings.
fn voltage(
    st: &Statement,
    token: &Token,
    directive: &'static str,
) -> Result<Vec<(String, String)>, NetlistError> {
    let inner = (token.kind == TokenKind::Word)
        .then(|| token.text.strip_prefix(['v', 'V'])?.trim_start().strip_prefix('(')?.strip_suffix(')'))
        .flatten();
    let nodes: Option<Vec<(String, String)>> = inner.and_then(|inner| {
        let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
        let ok = parts.len() <= 2 && parts.iter().all(|p| !p.is_empty() && !p.contains(char::is_whitespace));
        ok.then(|| parts.iter().map(|p| (node_name(p), p.to_string())).collect())
    });
    nodes.ok_or_else(|| {
        let kind = ErrorKind::ExpectedNodeVoltage { token: token.text.clone(), directive };
        st.error(token, kind)
    })
}

/// `.ic V(node)=VALUE ...`.
pub(super) fn initial_conditions(st: &Statement) -> Result<Vec<InitialCondition>, NetlistError> {
    let fields = st.fields(IC_USAGE)?;
    if let Some(token) = fields.positional.first() {
        return Err(st.unexpected(token, IC_USAGE));
    }
    if fields.pairs.is_empty() {
        return Err(st.missing("a V(node)=VALUE", IC_USAGE));
    }
    let mut conditions = Vec::new();
    for (key, value) in fields.pairs {
        let nodes = voltage(st, key, ".ic")?;
        let [(node, spelled)] = <[(String, String); 1]>::try_from(nodes)
            .map_err(|_| st.unexpected(key, "one node per initial condition, such as V(out)=0.4"))?;
        if node == GROUND {
            let kind = ErrorKind::Invalid {
                token: key.text.clone(),
                context: ".ic".to_string(),
                problem: format!("sets the ground node '{spelled}', which is always 0 V"),
            };
            return Err(st.error(key, kind));
        }
        let volts = st.value(value, Quantity::Voltage, &format!(".ic of node {spelled}"))?;
        conditions.push(InitialCondition { node, volts, location: st.location(key), instance: None });
    }
    Ok(conditions)
}

/// `.options KEY[=VALUE] ...`: lower-cased keys, values as written (empty for a flag).
pub(super) fn options(st: &Statement) -> Result<Vec<(String, String)>, NetlistError> {
    let usage = ".options KEY[=VALUE] ... (recorded, not used by pbitsim)";
    let mut options = Vec::new();
    let mut rest = &st.tokens[1..];
    while let Some(key) = rest.first() {
        if key.kind != TokenKind::Word {
            return Err(st.unexpected(key, usage));
        }
        if !rest.get(1).is_some_and(Token::is_equals) {
            options.push((key.text.to_lowercase(), String::new()));
            rest = &rest[1..];
            continue;
        }
        match rest.get(2) {
            Some(value) if !value.is_equals() => {
                options.push((key.text.to_lowercase(), value.text.clone()));
                rest = &rest[3..];
            }
            Some(other) => return Err(st.unexpected(other, usage)),
            None => return Err(st.missing(&format!("the value after '{}='", key.text), usage)),
        }
    }
    Ok(options)
}

/// `.output KIND NAME V(...)... [key=value]`.
pub(super) fn output(st: &Statement) -> Result<OutputDecl, NetlistError> {
    let fields = st.fields(OUTPUT_USAGE)?;
    let Some(kind_token) = fields.positional.first() else {
        return Err(st.missing("the output kind (bit, cat or analog)", OUTPUT_USAGE));
    };
    let kind: &'static str = match kind_token.text.to_lowercase().as_str() {
        "bit" => "bit",
        "cat" => "cat",
        "analog" => "analog",
        _ => {
            let kind = ErrorKind::UnknownOutputKind { kind: kind_token.text.clone() };
            return Err(st.error(kind_token, kind));
        }
    };
    let Some(name_token) = fields.positional.get(1) else {
        return Err(st.missing("the output name", OUTPUT_USAGE));
    };
    if name_token.kind != TokenKind::Word || name_token.text.contains(['(', ')']) {
        return Err(st.unexpected(name_token, "a name for the output before its node voltages"));
    }
    let name = &name_token.text;
    let bad = |problem: String| {
        let kind = ErrorKind::BadOutput { kind, name: name.clone(), problem };
        st.error(name_token, kind)
    };
    let mut nodes = Vec::new();
    let mut differential = false;
    for token in &fields.positional[2..] {
        let pair = voltage(st, token, ".output")?;
        differential |= pair.len() == 2;
        nodes.extend(pair);
    }
    let written = || match &fields.positional[2..] {
        [] => "none".to_string(),
        tokens => {
            let texts: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
            format!("'{}'", texts.join(" "))
        }
    };
    if !nodes.is_empty() && nodes.iter().all(|(node, _)| node == GROUND) {
        return Err(bad(format!("measures only the ground node ({}): name a node that moves", written())));
    }
    let mut hysteresis = None;
    for (key, value) in &fields.pairs {
        if (kind == "bit" || kind == "cat") && key.text.eq_ignore_ascii_case("hyst") && hysteresis.is_none() {
            let volts = st.value(value, Quantity::Voltage, &format!("hysteresis of {name}"))?;
            if volts < 0.0 {
                return Err(st.error(
                    value,
                    ErrorKind::Invalid {
                        token: value.text.clone(),
                        context: format!("hysteresis of {name}"),
                        problem: "is negative: expected zero or a positive voltage".to_string(),
                    },
                ));
            }
            hysteresis = Some(volts);
            continue;
        }
        let expected =
            if kind == "bit" || kind == "cat" { "hyst=VALUE, once" } else { "no key=value options" };
        let kind = ErrorKind::UnknownInstanceParam {
            key: key.text.clone(),
            name: format!(".output {kind} {name}"),
            expected: expected.to_string(),
        };
        return Err(st.error(key, kind));
    }
    for (i, (node, spelled)) in nodes.iter().enumerate() {
        if nodes[..i].iter().any(|(earlier, _)| earlier == node) {
            return Err(bad(format!("names node '{spelled}' twice")));
        }
    }
    let count = nodes.len();
    let mut names = nodes.into_iter().map(|(node, _)| node);
    let output = match kind {
        "bit" if count == 2 => OutputKind::Bit {
            plus: names.next().unwrap_or_default(),
            minus: names.next().unwrap_or_default(),
            hysteresis: hysteresis.unwrap_or(0.0),
        },
        "bit" => {
            return Err(bad(format!("needs two node voltages, V(a) V(b) or V(a,b); found {}", written())));
        }
        "cat" if count >= 2 && !differential => {
            OutputKind::Category { nodes: names.collect(), hysteresis: hysteresis.unwrap_or(0.0) }
        }
        "cat" => {
            return Err(bad(format!(
                "needs at least two single node voltages such as V(a) V(b); found {}",
                written()
            )));
        }
        _ if (1..=2).contains(&count) => {
            OutputKind::Analog { plus: names.next().unwrap_or_default(), minus: names.next() }
        }
        _ => {
            return Err(bad(format!("needs V(a), V(a) V(b) or V(a,b); found {}", written())));
        }
    };
    Ok(OutputDecl { name: name.to_lowercase(), kind: output, location: st.location(st.head()) })
}

/// The error for a directive pbitsim does not know, with what to do instead.
pub(super) fn unknown(st: &Statement) -> NetlistError {
    let head = st.head();
    let hint = match head.text.to_lowercase().as_str() {
        ".dc" | ".step" | ".data" => {
            "sweeps are commands, not directives: run one bias with --set NAME=VALUE, sweep a .param with pbitsim calibrate --sweep NAME=START:STOP:COUNT, or several with a study file (pbitsim sweep)"
        }
        ".ac" | ".noise" | ".disto" | ".pz" | ".tf" | ".sens" | ".four" | ".pss" | ".sp" => {
            "small-signal analyses are not built: the linear-noise analysis is pbitsim noise NET.cir (covariance, PSD, correlation times at the operating point); pbitsim simulates the noise itself in .tran"
        }
        ".print" | ".plot" | ".probe" | ".save" | ".meas" | ".measure" | ".width" => {
            "declare readouts with .output bit|cat|analog NAME V(node)... (hierarchical nodes such as V(x1.a) inside subcircuits)"
        }
        ".control" | ".endc" => "ngspice control blocks are not supported: use the pbitsim command line",
        ".nodeset" => "use .ic V(node)=VALUE for starting voltages",
        ".func" => "user functions are not supported: write the expression out, or compute it with .param",
        ".csparam" | ".spiceinit" => "use .param",
        ".if" | ".elseif" | ".else" | ".endif" | ".alter" => {
            "conditional decks are not supported: vary values with --set NAME=VALUE instead"
        }
        ".connect" => "give both nodes one name, or join them with a small resistor",
        _ => {
            "pbitsim knows .param, .include, .lib, .subckt/.ends, .model, .global, .temp, .op, .tran, .ic, .options, .output, .title and .end"
        }
    };
    let kind = ErrorKind::UnknownDirective { name: head.text.clone(), hint: hint.to_string() };
    st.error(head, kind)
}

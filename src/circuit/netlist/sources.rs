//! `V` and `I` lines: a DC value, a transient waveform (`PULSE`, `PWL`, `SIN`, with ngspice's
//! argument order, [`crate::circuit::waveform`]), or both (`DC 0.5 PULSE(...)`: the DC value
//! is the operating-point value, the waveform drives the transient, as in ngspice). The
//! arguments may be written in parentheses, `PULSE(0 1 1n)` or `PULSE (0 1 1n)`, or bare,
//! `PULSE 0 1 1n`; each is a number, a parameter or an `{expression}`.

use super::ErrorKind;
use super::error::NetlistError;
use super::lexer::{Token, TokenKind, group_tokens};
use super::statement::Statement;
use crate::circuit::waveform::Waveform;
use crate::units::Quantity;

/// What a source line says: its DC value and its waveform, if any.
pub(super) struct SourceValue {
    pub dc: f64,
    pub waveform: Option<Waveform>,
}

/// Waveforms ngspice knows that pbitsim refuses, with what to write instead.
fn refused(word: &str) -> Option<&'static str> {
    Some(match word {
        "ac" => "pbitsim runs transient noise simulations, not AC analysis: drop the AC part",
        "exp" => {
            "EXP sources are not supported: write the exponential as a PWL(t1 v1 t2 v2 ...), or drive the node through an RC"
        }
        "sffm" | "am" => "modulated sources are not supported: use SIN or PWL",
        "trnoise" | "trrandom" => {
            "noise sources are not needed: pbitsim's noise comes from the devices themselves (set a resistor's noise temperature with temp= or dtemp=)"
        }
        "pat" => "pattern sources are not supported: write the bit pattern as a PWL",
        _ => return None,
    })
}

/// The keyword of a token: `pulse` for `PULSE(0 1)` or `pulse`.
fn keyword(token: &Token) -> Option<String> {
    if token.kind != TokenKind::Word {
        return None;
    }
    let lower = token.text.to_lowercase();
    Some(lower.split('(').next().unwrap_or_default().trim().to_string())
}

/// Read the fields of a source line after its two nodes.
pub(super) fn source_value(
    st: &Statement,
    rest: &[Token],
    quantity: Quantity,
    usage: &str,
) -> Result<SourceValue, NetlistError> {
    let name = st.head().text.clone();
    let mut dc: Option<f64> = None;
    let mut waveform: Option<Waveform> = None;
    let mut i = 0;
    while i < rest.len() {
        let token = &rest[i];
        let word = keyword(token).unwrap_or_default();
        if let Some(reason) = refused(&word) {
            let kind = ErrorKind::Unsupported { token: token.text.clone(), name, reason: reason.to_string() };
            return Err(st.error(token, kind));
        }
        match word.as_str() {
            "dc" if dc.is_none() && waveform.is_none() && !token.text.contains('(') => {
                let Some(value) = rest.get(i + 1) else {
                    return Err(st.missing("its value after DC", usage));
                };
                dc = Some(st.value(value, quantity, &format!("DC value of {name}"))?);
                i += 2;
            }
            "pulse" | "pwl" | "sin" if waveform.is_none() => {
                // Arguments: the token's own group, the next token if it is a group, or the
                // rest of the line.
                let (args, used) = if token.text.contains('(') {
                    (group(st, token)?, 1)
                } else if rest
                    .get(i + 1)
                    .is_some_and(|t| t.kind == TokenKind::Word && t.text.starts_with('('))
                {
                    (group(st, &rest[i + 1])?, 2)
                } else {
                    (rest[i + 1..].to_vec(), rest.len() - i)
                };
                waveform = Some(match word.as_str() {
                    "pulse" => pulse(st, token, &args, quantity)?,
                    "pwl" => pwl(st, token, &args, quantity)?,
                    _ => sin(st, token, &args, quantity)?,
                });
                i += used;
            }
            _ if i == 0 => {
                dc = Some(st.value(token, quantity, &format!("value of {name}"))?);
                i += 1;
            }
            _ => return Err(st.unexpected(token, usage)),
        }
    }
    let dc = match (dc, &waveform) {
        (Some(v), _) => v,
        (None, Some(w)) => w.value(0.0),
        (None, None) => return Err(st.missing("its value", usage)),
    };
    Ok(SourceValue { dc, waveform })
}

/// The tokens inside a group token.
fn group(st: &Statement, token: &Token) -> Result<Vec<Token>, NetlistError> {
    group_tokens(&token.text, token.line).map_err(|(line, kind)| {
        NetlistError::at(super::Location { file: st.file.to_path_buf(), line }, *kind)
    })
}

/// An error about argument `token` of waveform `head`.
fn invalid(st: &Statement, token: &Token, head: &Token, what: &str, problem: &str) -> NetlistError {
    let kind = ErrorKind::Invalid {
        token: token.text.clone(),
        context: format!(
            "{what} of {} on {}",
            keyword(head).unwrap_or_default().to_uppercase(),
            st.head().text
        ),
        problem: problem.to_string(),
    };
    st.error(token, kind)
}

/// Too few or too many arguments.
fn count_error(st: &Statement, head: &Token, found: usize, form: &str) -> NetlistError {
    let kind = ErrorKind::Invalid {
        token: head.text.clone(),
        context: format!("waveform of {}", st.head().text),
        problem: format!("has {found} argument(s): expected {form}"),
    };
    st.error(head, kind)
}

const PULSE_FORM: &str = "PULSE(v1 v2 [td [tr [tf [pw [per [np]]]]]]): 2 to 8 values";
const PWL_FORM: &str = "PWL(t1 v1 t2 v2 ...): time-value pairs, times increasing";
const SIN_FORM: &str = "SIN(vo va freq [td [theta [phase]]]): 3 to 6 values (freq is needed: ngspice's default 1/TSTOP depends on the run)";

fn pulse(st: &Statement, head: &Token, args: &[Token], quantity: Quantity) -> Result<Waveform, NetlistError> {
    if !(2..=8).contains(&args.len()) {
        return Err(count_error(st, head, args.len(), PULSE_FORM));
    }
    let level = |k: usize, what: &str| {
        st.value(&args[k], quantity, &format!("{what} of PULSE on {}", st.head().text))
    };
    let (initial, pulsed) = (level(0, "v1")?, level(1, "v2")?);
    let mut times = [0.0; 5];
    let names = ["td", "tr", "tf", "pw", "per"];
    for (k, token) in args.iter().enumerate().skip(2).take(5) {
        let what = names[k - 2];
        let t = st.value(token, Quantity::Time, &format!("{what} of PULSE on {}", st.head().text))?;
        if t < 0.0 {
            return Err(invalid(st, token, head, what, "is negative: expected a time >= 0"));
        }
        times[k - 2] = t;
    }
    let [delay, rise, fall, width, period] = times;
    // ngspice: a zero edge is the .tran step; a zero pw or per is TSTOP (forever, here).
    let some = |t: f64| (t > 0.0).then_some(t);
    let width = some(width);
    let period = if width.is_some() { some(period) } else { None };
    if let (Some(per), Some(w)) = (period, width)
        && per < rise + w + fall
    {
        let problem = format!(
            "is shorter than tr + pw + tf = {:e} s: expected a period that holds the whole pulse",
            rise + w + fall
        );
        return Err(invalid(st, &args[6], head, "per", &problem));
    }
    let count = match args.get(7) {
        None => None,
        Some(token) => {
            let n =
                st.value(token, Quantity::Dimensionless, &format!("np of PULSE on {}", st.head().text))?;
            if !(n >= 1.0 && n.fract() == 0.0) {
                return Err(invalid(
                    st,
                    token,
                    head,
                    "np",
                    "is not a pulse count: expected a whole number >= 1",
                ));
            }
            Some(n as u64)
        }
    };
    Ok(Waveform::Pulse { initial, pulsed, delay, rise: some(rise), fall: some(fall), width, period, count })
}

fn pwl(st: &Statement, head: &Token, args: &[Token], quantity: Quantity) -> Result<Waveform, NetlistError> {
    if args.len() < 2 || !args.len().is_multiple_of(2) {
        return Err(count_error(st, head, args.len(), PWL_FORM));
    }
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks_exact(2) {
        let context = |what: &str| format!("{what} of PWL on {}", st.head().text);
        let t = st.value(&pair[0], Quantity::Time, &context("time"))?;
        let v = st.value(&pair[1], quantity, &context("value"))?;
        if t < 0.0 {
            return Err(invalid(st, &pair[0], head, "time", "is negative: expected times >= 0"));
        }
        if let Some(&(before, _)) = points.last()
            && t <= before
        {
            let problem = format!(
                "does not come after the previous time {before:e} s: expected strictly increasing times"
            );
            return Err(invalid(st, &pair[0], head, "time", &problem));
        }
        points.push((t, v));
    }
    Ok(Waveform::Pwl { points })
}

fn sin(st: &Statement, head: &Token, args: &[Token], quantity: Quantity) -> Result<Waveform, NetlistError> {
    if !(3..=6).contains(&args.len()) {
        return Err(count_error(st, head, args.len(), SIN_FORM));
    }
    let context = |what: &str| format!("{what} of SIN on {}", st.head().text);
    let offset = st.value(&args[0], quantity, &context("vo"))?;
    let amplitude = st.value(&args[1], quantity, &context("va"))?;
    let frequency = st.value(&args[2], Quantity::Frequency, &context("freq"))?;
    if frequency <= 0.0 {
        return Err(invalid(st, &args[2], head, "freq", "is not positive: expected a frequency > 0 (Hz)"));
    }
    let optional = |k: usize, what: &str, quantity: Quantity| -> Result<f64, NetlistError> {
        let Some(token) = args.get(k) else { return Ok(0.0) };
        let value = st.value(token, quantity, &context(what))?;
        if value < 0.0 {
            return Err(invalid(st, token, head, what, "is negative: expected a value >= 0"));
        }
        Ok(value)
    };
    let delay = optional(3, "td", Quantity::Time)?;
    let damping = optional(4, "theta", Quantity::Frequency)?;
    let phase_deg = match args.get(5) {
        Some(token) => st.value(token, Quantity::Dimensionless, &context("phase (degrees)"))?,
        None => 0.0,
    };
    Ok(Waveform::Sin { offset, amplitude, frequency, delay, damping, phase_deg })
}

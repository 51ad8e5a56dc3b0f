//! Physical constants, the thermal voltage, and SPICE-style value parsing.
//!
//! SI units are used everywhere inside pbitsim. Text from users (netlists, flags, study files)
//! is read with [`parse_value`], which follows SPICE: a number, then an optional scale suffix
//! (`T G MEG K M U N P F A`, case-insensitive, `M` is milli and `MEG` is mega), then an optional
//! unit symbol. Unlike SPICE, pbitsim rejects trailing text that is not the expected unit, so
//! `10 parsecs` or `1.2.3f` is an error instead of a silently truncated number.
//!
//! Temperatures always need a unit ([`parse_temperature`]): `300K` or `27C`.

use std::fmt;

/// Boltzmann constant k (J/K), exact in SI 2019.
pub const BOLTZMANN: f64 = 1.380_649e-23;
/// Elementary charge q (C), exact in SI 2019.
pub const ELEMENTARY_CHARGE: f64 = 1.602_176_634e-19;
/// 0 degrees Celsius in kelvin.
pub const ZERO_CELSIUS: f64 = 273.15;

/// Thermal voltage U_T = kT/q in volts (25.852 mV at 300 K).
pub fn thermal_voltage(temperature_k: f64) -> f64 {
    BOLTZMANN * temperature_k / ELEMENTARY_CHARGE
}

/// Thermal energy kT in joules.
pub fn thermal_energy(temperature_k: f64) -> f64 {
    BOLTZMANN * temperature_k
}

/// The physical quantity a value is expected to carry; decides which unit symbols may follow
/// the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// A pure number: nothing may follow the scale suffix.
    Dimensionless,
    Voltage,
    Current,
    Time,
    Capacitance,
    Resistance,
    Length,
    Frequency,
}

impl Quantity {
    /// Unit symbols accepted after the scale suffix (lower case).
    fn symbols(self) -> &'static [&'static str] {
        match self {
            Quantity::Dimensionless => &[],
            Quantity::Voltage => &["v"],
            Quantity::Current => &["a"],
            Quantity::Time => &["s", "sec"],
            Quantity::Capacitance => &["f"],
            Quantity::Resistance => &["ohm", "ohms", "Ω"],
            Quantity::Length => &["m"],
            Quantity::Frequency => &["hz"],
        }
    }

    /// The SI symbol used when printing values of this quantity.
    pub fn symbol(self) -> &'static str {
        match self {
            Quantity::Dimensionless => "",
            Quantity::Voltage => "V",
            Quantity::Current => "A",
            Quantity::Time => "s",
            Quantity::Capacitance => "F",
            Quantity::Resistance => "Ohm",
            Quantity::Length => "m",
            Quantity::Frequency => "Hz",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Quantity::Dimensionless => "a number",
            Quantity::Voltage => "a voltage",
            Quantity::Current => "a current",
            Quantity::Time => "a time",
            Quantity::Capacitance => "a capacitance",
            Quantity::Resistance => "a resistance",
            Quantity::Length => "a length",
            Quantity::Frequency => "a frequency",
        }
    }
}

/// A value that could not be read. The caller adds file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// The text as the user wrote it.
    pub token: String,
    /// What was expected, in words ("a voltage such as 0.2V or 200m").
    pub expected: String,
    /// What is wrong with the token.
    pub reason: String,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read '{}': {}; expected {}", self.token, self.reason, self.expected)
    }
}

impl std::error::Error for ValueError {}

/// SPICE scale suffixes as powers of ten, longest first so `meg` wins over `m`.
const SUFFIXES: &[(&str, i32)] = &[
    ("meg", 6),
    ("t", 12),
    ("g", 9),
    ("k", 3),
    ("m", -3),
    ("u", -6),
    ("µ", -6),
    ("n", -9),
    ("p", -12),
    ("f", -15),
    ("a", -18),
];

/// The value of the decimal `number` (as written, possibly with an exponent) times
/// 10^`power`, rounded once: the suffix shifts the decimal exponent instead of multiplying
/// two rounded floats, so `20u` is exactly the double nearest 2e-5 (not 1.9999999999999998e-5).
fn scaled_decimal(number: &str, power: i32) -> Option<f64> {
    if power == 0 {
        return number.parse().ok();
    }
    let (mantissa, exponent) = match number.find(['e', 'E']) {
        Some(at) => (&number[..at], number[at + 1..].parse::<i32>().ok()?),
        None => (number, 0),
    };
    format!("{mantissa}e{}", exponent.checked_add(power)?).parse().ok()
}

/// Split `text` into its leading decimal number (as written) and the rest. Returns None if
/// there is no number at the start.
fn split_number_text(text: &str) -> Option<(&str, &str)> {
    let b = text.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    // An exponent only counts if digits follow it: `1e` stays `1` with rest `e`.
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    text[..i].parse::<f64>().ok()?;
    Some((&text[..i], &text[i..]))
}

/// Split `text` into its leading decimal number and the rest.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let (number, rest) = split_number_text(text)?;
    Some((number.parse().ok()?, rest))
}

fn example(quantity: Quantity) -> &'static str {
    match quantity {
        Quantity::Dimensionless => "a number such as 2.5, 1e-3 or 10k",
        Quantity::Voltage => "a voltage such as 0.2V, 200mV or 200m",
        Quantity::Current => "a current such as 1nA, 1n or 1e-9",
        Quantity::Time => "a time such as 10us, 10u or 1e-5",
        Quantity::Capacitance => "a capacitance such as 50aF, 50a or 1.2f",
        Quantity::Resistance => "a resistance such as 10k, 10kOhm or 1meg",
        Quantity::Length => "a length such as 1u, 1um or 180n",
        Quantity::Frequency => "a frequency such as 10MEGHz or 1e7",
    }
}

/// Read a SPICE-style value: `50a`, `1.2f`, `10us`, `0.2V`, `1meg`, `-3.5e-3`.
///
/// The number is followed by at most one scale suffix and then, optionally, the unit symbol
/// of `quantity`. As in SPICE the suffix comes first, so `1F` is one femto (not one farad) and
/// `1fF` is one femtofarad. Anything else after the number is an error.
pub fn parse_value(text: &str, quantity: Quantity) -> Result<f64, ValueError> {
    let fail = |reason: String| ValueError {
        token: text.to_string(),
        expected: example(quantity).to_string(),
        reason,
    };
    let Some((number, rest)) = split_number_text(text) else {
        return Err(fail(format!("it does not start with a number ({})", quantity.describe())));
    };
    let lower = rest.to_lowercase();
    let symbols = quantity.symbols();
    // Try "suffix + optional unit", then "unit alone" (so `2V` and `2mV` both read).
    let mut candidates: Vec<(i32, &str)> = Vec::new();
    for (suffix, power) in SUFFIXES {
        if let Some(after) = lower.strip_prefix(suffix) {
            candidates.push((*power, after));
        }
    }
    candidates.push((0, lower.as_str()));
    for (power, after) in candidates {
        if after.is_empty() || symbols.contains(&after) {
            let value = scaled_decimal(number, power)
                .ok_or_else(|| fail("its exponent is out of range".to_string()))?;
            if !value.is_finite() {
                return Err(fail("the value overflows a 64-bit float".to_string()));
            }
            return Ok(value);
        }
    }
    let unit_hint =
        if symbols.is_empty() { "no unit".to_string() } else { format!("the unit '{}'", quantity.symbol()) };
    Err(fail(format!(
        "'{rest}' after the number {number} is neither a scale suffix (T G MEG K M U N P F A) nor {unit_hint}"
    )))
}

/// Temperatures accepted anywhere (K): the EKV device laws, their temperature coefficients
/// and the noise model are fitted between cryogenic and a little above the automotive
/// range; silicon devices stop being devices long before 1000 K.
pub const TEMPERATURE_RANGE_K: (f64, f64) = (1.0, 1000.0);

/// Read a temperature with its unit: `300K`, `300.15 K` is not accepted (one token), `27C`,
/// `-40C`, `27degC`. A bare number is an error: the unit matters.
pub fn parse_temperature(text: &str) -> Result<f64, ValueError> {
    let fail = |reason: String| ValueError {
        token: text.to_string(),
        expected: "a temperature with its unit, such as 300K or 27C".to_string(),
        reason,
    };
    let Some((number, rest)) = split_number(text) else {
        return Err(fail("it does not start with a number".to_string()));
    };
    let kelvin = match rest.to_lowercase().as_str() {
        "k" => number,
        "c" | "°c" | "degc" => number + ZERO_CELSIUS,
        "" => return Err(fail("it has no unit (K or C)".to_string())),
        other => {
            return Err(fail(format!("'{other}' is not a temperature unit (K or C)")));
        }
    };
    if !kelvin.is_finite() {
        return Err(fail("the value overflows a 64-bit float".to_string()));
    }
    if kelvin <= 0.0 {
        return Err(fail(format!("{kelvin} K is not above absolute zero")));
    }
    if !(TEMPERATURE_RANGE_K.0..=TEMPERATURE_RANGE_K.1).contains(&kelvin) {
        return Err(fail(format!(
            "{kelvin} K is outside {} K to {} K, where the device models mean something",
            TEMPERATURE_RANGE_K.0, TEMPERATURE_RANGE_K.1
        )));
    }
    Ok(kelvin)
}

/// Format a value with an engineering prefix: `format_si(1.25e-8, "s")` is `12.5 ns`.
pub fn format_si(value: f64, unit: &str) -> String {
    let (scale, prefix) = engineering_prefix(value);
    let scaled = value / scale;
    let text = format!("{scaled:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} {prefix}{unit}")
}

/// The engineering prefix (power of 1000) that puts `value` in [1, 1000): returns the scale
/// and its symbol, e.g. (1e-9, "n") for 12 ns. Zero and non-finite values get (1, "").
pub fn engineering_prefix(value: f64) -> (f64, &'static str) {
    const PREFIXES: &[(f64, &str)] = &[
        (1e12, "T"),
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "µ"),
        (1e-9, "n"),
        (1e-12, "p"),
        (1e-15, "f"),
        (1e-18, "a"),
    ];
    let magnitude = value.abs();
    if magnitude == 0.0 || !magnitude.is_finite() {
        return (1.0, "");
    }
    for &(scale, prefix) in PREFIXES {
        if magnitude >= scale * 0.999_999_5 {
            return (scale, prefix);
        }
    }
    (1e-18, "a")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thermal_voltage_reference_values() {
        // PHYSICS.md: 25.852 mV at 300 K, 21.54 mV at 250 K, 30.16 mV at 350 K.
        assert!((thermal_voltage(300.0) - 25.852e-3).abs() < 1e-6);
        assert!((thermal_voltage(250.0) - 21.54e-3).abs() < 1e-5);
        assert!((thermal_voltage(350.0) - 30.16e-3).abs() < 1e-5);
    }

    #[test]
    fn reads_spice_values() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
        assert!(close(parse_value("50a", Quantity::Capacitance).unwrap(), 50e-18));
        assert!(close(parse_value("1.2f", Quantity::Capacitance).unwrap(), 1.2e-15));
        assert!(close(parse_value("1.2fF", Quantity::Capacitance).unwrap(), 1.2e-15));
        assert!(close(parse_value("10us", Quantity::Time).unwrap(), 10e-6));
        assert!(close(parse_value("0.2V", Quantity::Voltage).unwrap(), 0.2));
        assert!(close(parse_value("200mV", Quantity::Voltage).unwrap(), 0.2));
        assert!(close(parse_value("1MEG", Quantity::Resistance).unwrap(), 1e6));
        assert!(close(parse_value("10kOhm", Quantity::Resistance).unwrap(), 1e4));
        assert!(close(parse_value("-3.5e-3", Quantity::Voltage).unwrap(), -3.5e-3));
        assert!(close(parse_value("1e3k", Quantity::Dimensionless).unwrap(), 1e6));
        assert!(close(parse_value(".5u", Quantity::Length).unwrap(), 0.5e-6));
        assert!(close(parse_value("180nm", Quantity::Length).unwrap(), 180e-9));
        assert!(close(parse_value("2M", Quantity::Dimensionless).unwrap(), 2e-3));
    }

    #[test]
    fn suffixes_round_once() {
        // The value is the double nearest the decimal written, as Rust's own parser gives it
        // for the same number in exponent form (an independent, correctly rounded reader).
        for (text, decimal) in [
            ("20u", "20e-6"),
            ("0.1u", "0.1e-6"),
            ("3n", "3e-9"),
            ("50a", "50e-18"),
            ("4.7k", "4.7e3"),
            ("1.1meg", "1.1e6"),
            ("7e-2m", "7e-5"),
            ("-0.3p", "-0.3e-12"),
        ] {
            let expected: f64 = decimal.parse().unwrap();
            assert_eq!(parse_value(text, Quantity::Dimensionless).unwrap(), expected, "{text}");
        }
        assert_eq!(parse_value("20u", Quantity::Time).unwrap().to_string(), "0.00002");
    }

    #[test]
    fn rejects_malformed_values() {
        for (text, quantity) in [
            ("1.2.3f", Quantity::Capacitance),
            ("10 parsecs", Quantity::Length),
            ("10parsecs", Quantity::Length),
            ("abc", Quantity::Voltage),
            ("", Quantity::Voltage),
            ("1.5V", Quantity::Time),
            ("3x", Quantity::Dimensionless),
            ("1e999", Quantity::Dimensionless),
            ("-", Quantity::Dimensionless),
        ] {
            let err = parse_value(text, quantity).unwrap_err();
            assert_eq!(err.token, text);
            assert!(err.to_string().contains(text), "{err}");
        }
    }

    #[test]
    fn temperatures_need_units() {
        assert_eq!(parse_temperature("300K").unwrap(), 300.0);
        assert!((parse_temperature("27C").unwrap() - 300.15).abs() < 1e-12);
        assert!((parse_temperature("-40c").unwrap() - 233.15).abs() < 1e-12);
        let bare = parse_temperature("300").unwrap_err();
        assert!(bare.reason.contains("no unit"), "{bare}");
        assert!(parse_temperature("300F").is_err());
        assert!(parse_temperature("-5K").is_err());
        assert!(parse_temperature("-300C").is_err());
    }

    #[test]
    fn formats_with_engineering_prefixes() {
        assert_eq!(format_si(1.25e-8, "s"), "12.5 ns");
        assert_eq!(format_si(350e-18, "J"), "350 aJ");
        assert_eq!(format_si(0.0, "V"), "0 V");
        assert_eq!(format_si(1e-3, "V"), "1 mV");
    }
}

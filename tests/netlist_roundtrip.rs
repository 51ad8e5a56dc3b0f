//! Property tests (fixed seed): SPICE values written in every form a user might write them
//! read back to the number they denote; expressions evaluate as the same arithmetic done
//! directly; and no input, however mangled, makes the parser panic.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;

use pbitsim::circuit::netlist::{ElementKind, ErrorKind, Netlist};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        rng_seed: RngSeed::Fixed(0x006e_6574_6c69_7374),
        ..ProptestConfig::default()
    }
}

/// SPICE scale suffixes and their powers of ten.
const SUFFIXES: [(&str, i32); 11] = [
    ("", 0),
    ("t", 12),
    ("g", 9),
    ("meg", 6),
    ("k", 3),
    ("m", -3),
    ("u", -6),
    ("n", -9),
    ("p", -12),
    ("f", -15),
    ("a", -18),
];

/// Where a value goes: the netlist line around it, its unit symbol, whether it may be
/// negative, and how to read it back.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Capacitor,
    Resistor,
    Voltage,
    Current,
    Width,
}

impl Slot {
    fn line(self, value: &str) -> String {
        match self {
            Slot::Capacitor => format!("C1 a 0 {value}"),
            Slot::Resistor => format!("R1 a 0 {value}"),
            Slot::Voltage => format!("V1 a 0 DC {value}"),
            Slot::Current => format!("I1 a 0 {value}"),
            Slot::Width => format!("M1 a a 0 0 nfet W={value} L=1u"),
        }
    }

    /// Unit symbols a user may append after the suffix.
    fn units(self) -> &'static [&'static str] {
        match self {
            Slot::Capacitor => &["F", "f"],
            Slot::Resistor => &["Ohm", "ohms", "OHM"],
            Slot::Voltage => &["V", "v"],
            Slot::Current => &["A", "a"],
            Slot::Width => &["m", "M"],
        }
    }

    /// A unit symbol that is also a scale suffix (F, A, M) cannot follow a bare number:
    /// SPICE reads `1F` as one femto.
    fn unit_needs_suffix(self) -> bool {
        matches!(self, Slot::Capacitor | Slot::Current | Slot::Width)
    }

    fn read(self, netlist: &Netlist) -> f64 {
        match netlist.elements[0].kind {
            ElementKind::Capacitor { farads, .. } => farads,
            ElementKind::Resistor { ohms, .. } => ohms,
            ElementKind::VoltageSource { volts, .. } => volts,
            ElementKind::CurrentSource { amps, .. } => amps,
            ElementKind::Mosfet { w, .. } => w,
        }
    }
}

fn slot() -> impl Strategy<Value = Slot> {
    prop_oneof![
        Just(Slot::Capacitor),
        Just(Slot::Resistor),
        Just(Slot::Voltage),
        Just(Slot::Current),
        Just(Slot::Width),
    ]
}

/// Upper-case the letters of `text` whose bit is set in `mask`.
fn mixed_case(text: &str, mask: u32) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| if mask >> (i % 32) & 1 == 1 { c.to_ascii_uppercase() } else { c })
        .collect()
}

fn relative_error(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

proptest! {
    #![proptest_config(config())]

    /// `[-]digits[.digits][e±N]SUFFIX[UNIT]`, in any letter case, reads back to
    /// digits * 10^(N + suffix power).
    #[test]
    fn spice_values_with_suffixes_read_back(
        slot in slot(),
        digits in 1u64..10_000_000,
        decimals in 0u32..5,
        exponent in prop::option::of(-4i32..=4),
        suffix in 0usize..SUFFIXES.len(),
        unit in prop::option::of(0usize..3),
        negative in any::<bool>(),
        case_mask in any::<u32>(),
    ) {
        let (suffix_text, suffix_power) = SUFFIXES[suffix];
        let negative = negative && matches!(slot, Slot::Voltage | Slot::Current);
        let mut text = digits.to_string();
        if decimals > 0 {
            let padded = format!("{:0>width$}", text, width = decimals as usize + 1);
            let (int, frac) = padded.split_at(padded.len() - decimals as usize);
            text = format!("{int}.{frac}");
        }
        if negative {
            text.insert(0, '-');
        }
        if let Some(e) = exponent {
            text.push_str(&format!("e{e}"));
        }
        text.push_str(&mixed_case(suffix_text, case_mask));
        if let Some(u) = unit.filter(|_| !suffix_text.is_empty() || !slot.unit_needs_suffix()) {
            let units = slot.units();
            text.push_str(units[u % units.len()]);
        }
        let power = exponent.unwrap_or(0) + suffix_power - decimals as i32;
        let sign = if negative { -1.0 } else { 1.0 };
        let expected = sign * digits as f64 * 10f64.powi(power);
        let netlist = Netlist::parse_str(&format!("title\n{}\n", slot.line(&text)), "prop.cir", &[])
            .map_err(|e| TestCaseError::fail(format!("'{text}': {e}")))?;
        let got = slot.read(&netlist);
        prop_assert!(relative_error(got, expected) < 1e-12, "'{text}' read as {got}, expected {expected}");
    }

    /// Any positive value, formatted with the engineering suffix a user would choose, parses
    /// back to itself.
    #[test]
    fn formatted_values_round_trip(
        slot in slot(),
        log10 in -17.9f64..11.9,
        case_mask in any::<u32>(),
    ) {
        let value = 10f64.powf(log10);
        let (suffix, power) = SUFFIXES[1..]
            .iter()
            .copied()
            .find(|(_, p)| value >= 10f64.powi(*p))
            .unwrap_or(("a", -18));
        let text = format!("{}{}", value / 10f64.powi(power), mixed_case(suffix, case_mask));
        let netlist = Netlist::parse_str(&format!("title\n{}\n", slot.line(&text)), "prop.cir", &[])
            .map_err(|e| TestCaseError::fail(format!("'{text}': {e}")))?;
        let got = slot.read(&netlist);
        prop_assert!(relative_error(got, value) < 1e-12, "'{text}' read as {got}, expected {value}");
    }
}

/// A random arithmetic expression over literals and the parameters p0..p3.
#[derive(Debug, Clone)]
enum Tree {
    Literal(f64),
    Param(usize),
    Neg(Box<Tree>),
    Op(char, Box<Tree>, Box<Tree>),
}

impl Tree {
    fn text(&self) -> String {
        match self {
            Tree::Literal(x) => format!("{x}"),
            Tree::Param(i) => format!("P{i}"),
            Tree::Neg(inner) => format!("-({})", inner.text()),
            Tree::Op(op, a, b) => format!("({} {op} {})", a.text(), b.text()),
        }
    }

    /// The value by direct arithmetic; None if a divisor is zero or the result not finite.
    fn value(&self, params: &[f64; 4]) -> Option<f64> {
        let value = match self {
            Tree::Literal(x) => *x,
            Tree::Param(i) => params[*i],
            Tree::Neg(inner) => -inner.value(params)?,
            Tree::Op(op, a, b) => {
                let (a, b) = (a.value(params)?, b.value(params)?);
                match op {
                    '+' => a + b,
                    '-' => a - b,
                    '*' => a * b,
                    _ if b == 0.0 => return None,
                    _ => a / b,
                }
            }
        };
        value.is_finite().then_some(value)
    }
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        (0u32..2000, 0i32..4).prop_map(|(n, d)| Tree::Literal(n as f64 / 10f64.powi(d))),
        (0usize..4).prop_map(Tree::Param),
    ];
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Tree::Neg(Box::new(t))),
            (prop::sample::select(vec!['+', '-', '*', '/']), inner.clone(), inner)
                .prop_map(|(op, a, b)| Tree::Op(op, Box::new(a), Box::new(b))),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    /// `.param r={...}` (defined before the parameters it uses) evaluates to the same number
    /// as the arithmetic done directly, or reports the division by zero.
    #[test]
    fn expressions_evaluate_like_direct_arithmetic(
        tree in tree(),
        params in prop::array::uniform4(-50i32..50),
    ) {
        let params = params.map(|p| f64::from(p) / 4.0);
        let text = format!(
            "title\n.param r={{{}}}\n.param p0={} p1={} p2={} p3={}\n",
            tree.text(), params[0], params[1], params[2], params[3]
        );
        let parsed = Netlist::parse_str(&text, "prop.cir", &[]);
        match (tree.value(&params), parsed) {
            (Some(expected), Ok(netlist)) => {
                let got = netlist.params["r"];
                prop_assert!(got == expected, "{} gave {got}, expected {expected}", tree.text());
            }
            (None, Err(e)) => prop_assert!(
                matches!(*e.kind, ErrorKind::DivisionByZero { .. } | ErrorKind::NotFinite { .. }),
                "{e}"
            ),
            (expected, parsed) => prop_assert!(false, "{}: expected {expected:?}, got {parsed:?}", tree.text()),
        }
    }

    /// Mangled netlists give errors, never panics.
    #[test]
    fn arbitrary_text_never_panics(
        words in prop::collection::vec(
            prop::sample::select(vec![
                "R1", "c2", "M3", "V4", "I5", "X6", "a", "b", "0", "gnd", "nfet", "1k", "1f",
                "-2", "1.2.3", "{", "}", "(", ")", "{x*2}", "{1/0}", "=", "W=1u", "L", "m=2",
                "DC", "AC", "PULSE(0", "V(a)", "v(a,b)", "V(0)", "+", "*", ";", "$", "\"", "'",
                ".param", "x=1", "x", ".include", "none.cir", "x.toml", ".temp", "27", "300K",
                ".tran", ".ic", ".output", "bit", "cat", "analog", "hyst=1m", ".options",
                ".end", ".title", ".model", "\n", "\n", "\n+", "\n*", "µ", "Ω", "1e999", ",", "\n,",
            ]),
            0..40,
        ),
    ) {
        let text = words.join(" ");
        let _ = Netlist::parse_str(&text, "fuzz.cir", &[]);
        let _ = Netlist::parse_str(&format!("t\n{text}"), "fuzz.cir", &[]);
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A deterministic sweep of awkward strings the token soup above does not produce.
    for text in [
        "",
        "\n",
        "\u{feff}",
        "t\n{",
        "t\n}",
        "t\n'",
        "t\n\"",
        "t\nR1 a b {((((((1)))))",
        "t\nR1 a b {--------1}",
        "t\n.param a",
        "t\n.param a=",
        "t\n.param =1",
        "t\nV1 a 0 {1e308*10}",
        "t\n.ic",
        "t\n.ic V(a)",
        "t\n.ic V(a)=",
        "t\n.output",
        "t\n.output bit",
        "t\n.output bit b V(a,b,c)",
        "t\n.tran 1n 1u =",
        "t\nM1 a b c d e W",
        "t\nM1 a b c d e W=",
        "t\nR1 a b 1k\n+",
        "t\n.include \"\"",
        "t\n.include {x}",
        "t\nR\u{e9}1 a b 1k",
        "t\nR1 a b 1\u{b5}",
        "t\n,,,",
        ",\n,",
        "t\n, ,\n+ R1 a 0 1k",
    ] {
        let _ = Netlist::parse_str(text, "edge.cir", &[]);
    }
}

//! Subcircuits as an ngspice user writes them: definitions, instances, parameters with
//! defaults and expressions, nesting, hierarchical names, `--set` of instance parameters,
//! includes and library sections around and inside definitions, and the errors for what goes
//! wrong, each naming the definition line and the instance line. And they simulate as the
//! circuit they flatten to: two p-bit instances run bit for bit as the same circuit written
//! out flat by hand (same seed, both engines). (Hierarchical readouts and `--set` through
//! `pbitsim simulate` are in `tests/cli_simulate.rs`.)

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::{Circuit, CircuitSde};
use pbitsim::rng::{Domain, Seed};
use pbitsim::sde::{EulerMaruyama, Schedule, integrate};

use pbitsim::circuit::netlist::{ElementKind, ErrorKind, Netlist, NetlistError, OutputKind};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netlists").join(name)
}

fn parse(text: &str) -> Netlist {
    Netlist::parse_str(text, "test.cir", &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_with(text: &str, sets: &[(&str, &str)]) -> Result<Netlist, NetlistError> {
    let overrides: Vec<(String, String)> = sets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Netlist::parse_str(text, "test.cir", &overrides)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
}

/// W of the MOSFET `name`.
fn width(netlist: &Netlist, name: &str) -> f64 {
    match netlist.element(name).unwrap_or_else(|| panic!("no element {name}")).kind {
        ElementKind::Mosfet { w, .. } => w,
        ref other => panic!("{name} is {other:?}"),
    }
}

fn value(netlist: &Netlist, name: &str) -> f64 {
    match netlist.element(name).unwrap_or_else(|| panic!("no element {name}")).kind {
        ElementKind::Resistor { ohms, .. } => ohms,
        ElementKind::Capacitor { farads, .. } => farads,
        ElementKind::VoltageSource { volts, .. } => volts,
        ElementKind::CurrentSource { amps, .. } => amps,
        ElementKind::Mosfet { w, .. } => w,
    }
}

/// Parse `text` as `bad.cir` with `sets`, expect an error whose message contains each of
/// `needles`, and return it.
fn error(text: &str, sets: &[(&str, &str)], needles: &[&str]) -> NetlistError {
    let error = match parse_with(text, sets) {
        Ok(netlist) => panic!("expected an error, parsed {:?}", netlist.elements),
        Err(error) => error,
    };
    let message = error.to_string();
    eprintln!("{message}");
    for needle in needles {
        assert!(message.contains(needle), "'{message}' should contain '{needle}'");
    }
    error
}

#[test]
fn a_library_a_subcircuit_file_and_an_include_inside_a_definition() {
    let netlist = Netlist::parse_file(fixture("subckt/top.cir"), &[]).unwrap();
    let names: Vec<&str> = netlist.elements.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "vdd",
            "vin",
            "x1.xinv1.mn",
            "x1.xinv1.mp",
            "x1.xinv1.cy",
            "x1.xinv2.mn",
            "x1.xinv2.mp",
            "x1.xinv2.cy",
            "x2.xinv1.mn",
            "x2.xinv1.mp",
            "x2.xinv1.cy",
            "x2.xinv2.mn",
            "x2.xinv2.mp",
            "x2.xinv2.cy"
        ]
    );
    // Ports become the caller's nodes, internal nodes get the instance path, ground stays.
    let ElementKind::Mosfet { drain, gate, source, bulk, model, .. } =
        &netlist.element("x2.xinv1.mp").unwrap().kind
    else {
        panic!("x2.xinv1.mp should be a MOSFET");
    };
    assert_eq!([drain, gate, source, bulk], ["x2.m", "mid", "vdd", "vdd"]);
    assert_eq!(model, "pch");
    assert_eq!(netlist.nodes(), ["in", "mid", "out", "vdd", "x1.m", "x2.m"]);
    // wn: the global win on X1, 2u on X2; wp = 2 wn by default, 3 wn in the second stage.
    assert!(close(width(&netlist, "x1.xinv1.mn"), 1e-6) && close(width(&netlist, "x1.xinv1.mp"), 2e-6));
    assert!(close(width(&netlist, "x1.xinv2.mp"), 3e-6));
    assert!(close(width(&netlist, "x2.xinv1.mp"), 4e-6) && close(width(&netlist, "x2.xinv2.mp"), 6e-6));
    // Elements keep their line in the definition and know their instance.
    let mp = netlist.element("x2.xinv2.mp").unwrap();
    assert!(mp.location.file.ends_with("lib/cells.lib") && mp.location.line == 19, "{:?}", mp.location);
    let origin = netlist.origin(&mp.location, mp.instance);
    assert!(origin.contains("cells.lib:19 (in x2.xinv2 at "), "{origin}");
    assert!(origin.contains("stage2.inc:1, x2 at "), "{origin}");
    assert!(origin.ends_with("top.cir:8)"), "{origin}");
    // Instances in expansion order, with their parameter values.
    let paths: Vec<&str> = netlist.instances.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["x1", "x1.xinv1", "x1.xinv2", "x2", "x2.xinv1", "x2.xinv2"]);
    assert_eq!(netlist.param("x2.xinv2.wp"), Some(6e-6));
    assert_eq!(netlist.param("X2.WN"), Some(2e-6));
    assert_eq!(netlist.param("vdd"), Some(0.3));
    // Hierarchical readouts: x1.m is internal, x2.a and x2.y are ports (the nodes mid, out).
    assert_eq!(
        netlist.outputs[1].kind,
        OutputKind::Bit { plus: "x1.m".into(), minus: "mid".into(), hysteresis: 0.0 }
    );
    let ics: Vec<(&str, f64)> =
        netlist.initial_conditions.iter().map(|c| (c.node.as_str(), c.volts)).collect();
    assert_eq!(ics, [("x1.m", 0.2), ("out", 0.1)]);
    // The tt corner's cards, each validated (the PMOS threshold stored as a magnitude).
    let models: Vec<(&str, f64)> =
        netlist.models.iter().map(|m| (m.card.name.as_str(), m.card.vt0)).collect();
    assert_eq!(models, [("nch", 0.3), ("pch", 0.3)]);
}

#[test]
fn set_overrides_an_instance_parameter_by_its_hierarchical_name() {
    let top = fixture("subckt/top.cir");
    let sets = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let netlist = Netlist::parse_file(&top, &sets(&[("x2.wn", "3u"), ("X1.Xinv2.WP", "{win*5}")])).unwrap();
    assert!(close(width(&netlist, "x2.xinv1.mn"), 3e-6) && close(width(&netlist, "x2.xinv2.mp"), 9e-6));
    assert!(close(width(&netlist, "x1.xinv2.mp"), 5e-6), "a --set value is evaluated where the X line is");
    assert!(close(width(&netlist, "x1.xinv1.mp"), 2e-6), "other instances keep their values");
    // A global override still works, and reaches instance parameters that use it.
    let netlist = Netlist::parse_file(&top, &sets(&[("win", "1.5u")])).unwrap();
    assert!(close(width(&netlist, "x1.xinv1.mp"), 3e-6));
    let message = |pairs: &[(&str, &str)]| Netlist::parse_file(&top, &sets(pairs)).unwrap_err().to_string();
    let m = message(&[("x3.wn", "1u")]);
    assert!(
        m.contains("--set x3.wn=1u")
            && m.contains("no subcircuit instance 'x3'")
            && m.contains("x1, x1.xinv1"),
        "{m}"
    );
    let m = message(&[("x1.vb", "1u")]);
    assert!(
        m.contains("--set x1.vb=1u")
            && m.contains("subcircuit 'buffer' has no parameter 'vb'")
            && m.contains("wn"),
        "{m}"
    );
    let m = message(&[("x1.wn", "{nope}")]);
    assert!(m.contains("--set x1.wn={nope}") && m.contains("'nope'"), "{m}");
    let m = message(&[("x1.", "1")]);
    assert!(m.contains("malformed"), "{m}");
}

#[test]
fn parameter_scope_instance_then_subcircuit_then_global() {
    let text = "t
.param r=1k scale=2
.subckt cell a params: r=10k k={r*scale}
.param local={k+1}
R1 a 0 {r}
R2 a 0 {k}
R3 a 0 {local}
R4 a 0 {scale}
.ends
X1 n1 cell
X2 n2 cell r=3k
X3 n3 cell params: k=5
R0 n3 0 r
";
    let netlist = parse(text);
    // Defaults see the instance's other parameters, then the globals.
    let expect = [
        ("x1.r1", 10e3),
        ("x1.r2", 20e3),
        ("x1.r3", 20e3 + 1.0),
        ("x1.r4", 2.0),
        ("x2.r1", 3e3),
        ("x2.r2", 6e3),
        ("x3.r2", 5.0),
        ("x3.r3", 6.0),
        ("r0", 1e3),
    ];
    for (name, ohms) in expect {
        assert!(close(value(&netlist, name), ohms), "{name}: {} vs {ohms}", value(&netlist, name));
    }
    // An instance-line value is evaluated where the line is, in the caller's scope.
    let nested = parse(
        "t\n.param g=7\n.subckt inner a params: v=1\nR1 a 0 {v}\n.ends\n.subckt outer a params: v=2\nX1 a inner v={v*10}\nXd a inner\n.ends\nX1 n outer\n",
    );
    assert!(close(value(&nested, "x1.x1.r1"), 20.0));
    assert!(close(value(&nested, "x1.xd.r1"), 1.0), "a default does not see the caller's parameters");
}

#[test]
fn nested_definitions_are_local_and_see_the_enclosing_instance() {
    let text = "t
.subckt outer a params: g=2
.subckt leaf b params: h=1
R1 b 0 {h*g}
.ends leaf
X1 a leaf h=3
.ends outer
X1 n1 outer
X2 n2 outer g=5
";
    let netlist = parse(text);
    assert!(close(value(&netlist, "x1.x1.r1"), 6.0));
    assert!(close(value(&netlist, "x2.x1.r1"), 15.0));
    // leaf is visible only inside outer.
    error(
        &format!("{text}X3 n3 leaf\n"),
        &[],
        &["'X3' instantiates subcircuit 'leaf', which is not defined", "outer"],
    );
}

#[test]
fn globals_ports_ground_and_initial_conditions_inside_subcircuits() {
    let netlist = parse(
        "t
.global vdd
Vdd vdd 0 0.5
.subckt half in out
R1 in mid 1k
R2 mid out 1k
R3 mid vdd 1meg
C1 mid GND 1f
.ic V(mid)=0.1 V(out)=0.2
.ends
X1 a b half
Xg b c half
Cb b 0 1f
",
    );
    let kinds: Vec<&ElementKind> = netlist.elements.iter().map(|e| &e.kind).collect();
    assert!(matches!(kinds[3], ElementKind::Resistor { a, b, .. } if a == "x1.mid" && b == "vdd"));
    assert!(matches!(kinds[4], ElementKind::Capacitor { a, b, .. } if a == "x1.mid" && b == "0"));
    let ics: Vec<(&str, f64)> =
        netlist.initial_conditions.iter().map(|c| (c.node.as_str(), c.volts)).collect();
    assert_eq!(ics, [("x1.mid", 0.1), ("b", 0.2), ("xg.mid", 0.1), ("c", 0.2)]);
}

/// Every error from inside an instance names the definition line first, then each instance
/// line on the way there.
#[test]
fn errors_inside_instances_name_the_definition_and_instance_lines() {
    let text = "t\n.subckt leaf a params: r=1k\nR1 a 0 {r}\nC1 a 0 {c}\n.ends\n.subckt mid a\nX5 a leaf\n.ends\nX9 n mid\n";
    let e = error(
        text,
        &[],
        &["test.cir:4 (in x9.x5 at test.cir:7, x9 at test.cir:9): ", "'c'", "defined parameters: r"],
    );
    assert_eq!(e.location.unwrap().line, 4);
    assert_eq!(e.within.iter().map(|t| t.path.as_str()).collect::<Vec<_>>(), ["x9.x5", "x9"]);
    // A default that does not evaluate: the .subckt line, inside the instance.
    error(
        "t\n.subckt s a params: r={1/0}\nR1 a 0 {r}\n.ends\nX1 n s\n",
        &[],
        &["test.cir:2 (in x1 at test.cir:5)", "division by zero"],
    );
    // Elaboration errors too: an unknown model inside an instance.
    let netlist = parse("t\n.subckt s a\nM1 a a 0 0 nomodel W=1u L=1u\n.ends\nX1 n s\nC1 n 0 1f\n");
    let spec = pbitsim::circuit::elaborate::elaborate(&netlist, None, &Default::default()).unwrap_err();
    assert!(
        spec.to_string().starts_with("test.cir:3 (in x1 at test.cir:5): unknown model 'nomodel'"),
        "{spec}"
    );
}

#[test]
fn instance_errors_are_clear() {
    let def = "t\n.subckt inv a y vdd params: wn=1u\nR1 a y 1k\nR2 y vdd 1k\n.ends inv\n";
    let e = error(
        &format!("{def}X1 a b inv\n"),
        &[],
        &[
            "test.cir:6",
            "'X1' connects 2 node(s) but subcircuit 'inv' (defined at test.cir:2) has 3 port(s): a y vdd",
        ],
    );
    assert!(matches!(*e.kind, ErrorKind::PortCount { .. }));
    let e = error(
        &format!("{def}X1 a b c invx\n"),
        &[],
        &["test.cir:6", "'invx', which is not defined", "defined subcircuits: inv"],
    );
    assert!(matches!(*e.kind, ErrorKind::UnknownSubckt { .. }));
    let e = error(
        &format!("{def}X1 a b c inv wp=2u\n"),
        &[],
        &["'wp' on 'X1'", "parameter of subcircuit 'inv' (defined at test.cir:2): wn"],
    );
    assert!(matches!(*e.kind, ErrorKind::UnknownInstanceParam { .. }));
    error(&format!("{def}X1 a b c inv m=2\n"), &[], &["'m' on 'X1'", "no instance multiplier"]);
    error(&format!("{def}X1 a b c inv wn=1u WN=2u\n"), &[], &["'WN' is given twice on 'X1'"]);
    error(
        &format!("{def}X1 a b c inv\nx1 d e f inv\n"),
        &[],
        &["test.cir:7", "duplicate element name 'x1'", "test.cir:6"],
    );
    error(&format!("{def}X1 a b c inv params:\n"), &[], &["'X1' is missing a NAME=VALUE after 'params:'"]);
    error(&format!("{def}X1\n"), &[], &["'X1' is missing the subcircuit name"]);
    error(&format!("{def}X1 a b c inv wn={{1/0}}\n"), &[], &["test.cir:6", "division by zero"]);
}

#[test]
fn definition_errors_are_clear() {
    error(
        "t\n.subckt inv a y\nR1 a y 1k\n",
        &[],
        &["test.cir:2", "'.subckt inv' is never closed", "'.ends'"],
    );
    error("t\nR1 a 0 1k\n.ends\n", &[], &["test.cir:3", "closes no subcircuit"]);
    error(
        "t\n.subckt inv a y\nR1 a y 1k\n.ends buf\n",
        &[],
        &["test.cir:4", "does not match the open subcircuit 'inv' (opened at test.cir:2)"],
    );
    let e = error(
        "t\n.subckt inv a y\n.ends\n.subckt INV a y\n.ends\n",
        &[],
        &["test.cir:4", "duplicate subcircuit 'INV'", "test.cir:2"],
    );
    assert!(matches!(*e.kind, ErrorKind::DuplicateSubckt { .. }));
    error("t\n.subckt inv a 0\n.ends\n", &[], &["port of subcircuit inv", "ground"]);
    error("t\n.subckt inv a b a\n.ends\n", &[], &["'a'", "already"]);
    error("t\n.subckt inv a params: w=1u w=2u\n.ends\n", &[], &["duplicate parameter 'w'"]);
    error(
        "t\n.subckt inv a params: w=1u\n.param w=3\n.ends\n",
        &[],
        &["test.cir:3", "duplicate parameter 'w'", "test.cir:2"],
    );
    let e = error(
        "t\n.subckt s a\n.tran 1n 1u\n.ends\nX1 n s\n",
        &[],
        &["test.cir:3", "'.tran' cannot appear inside subcircuit 's'", "top level"],
    );
    assert!(matches!(*e.kind, ErrorKind::DirectiveInSubckt { .. }));
    error(
        "t\n.subckt s a\nR1 a 0 1k\n.output analog v V(a)\n.ends\nX1 n s\n",
        &[],
        &["'.output' cannot appear", "V(x1.a)"],
    );
    error(
        "t\n.subckt s a\nR1 a 0 1k\n.ic V(a)=1\n.ends\nX1 0 s\n",
        &[],
        &["test.cir:4 (in x1 at test.cir:6)", "ground"],
    );
    // Hierarchical names are reserved: no '.' in the names a user writes.
    error("t\nR1 a.b 0 1k\n", &[], &["'a.b'", "hierarchical"]);
    error("t\nR1.x a 0 1k\n", &[], &["'R1.x'", "hierarchical"]);
    // Readouts must name nodes that exist.
    error(
        "t\n.subckt s a\nR1 a b 1k\nC1 b 0 1f\n.ends\nX1 n s\n.output analog v V(x1.c)\n",
        &[],
        &["test.cir:7", "'x1.c'", "x1.b"],
    );
}

#[test]
fn recursion_is_refused_with_its_chain() {
    let e = error(
        "t\n.subckt a p\nX1 p b\n.ends\n.subckt b p\nX2 p a\n.ends\nX0 n a\n",
        &[],
        &[
            "test.cir:6 (in x0.x1 at test.cir:3, x0 at test.cir:8)",
            "subcircuit recursion: a (x0) contains b (x0.x1) contains a",
        ],
    );
    assert!(matches!(*e.kind, ErrorKind::SubcktRecursion { .. }));
    error("t\n.subckt a p\nX1 p a\n.ends\nX0 n a\n", &[], &["a (x0) contains a"]);
}

#[test]
fn library_sections() {
    let dir = fixture("subckt");
    let ff = Netlist::parse_str(
        "t\n.lib 'lib/cells.lib' FF\nX1 a b c inv\nV1 c 0 0.3\n",
        dir.join("virtual.cir"),
        &[],
    )
    .unwrap();
    let models: Vec<(&str, f64)> = ff.models.iter().map(|m| (m.card.name.as_str(), m.card.vt0)).collect();
    assert_eq!(models, [("nch", 0.25), ("pch", 0.25)]);
    let at = |text: &str| Netlist::parse_str(text, dir.join("virtual.cir"), &[]);
    let m = at("t\n.lib lib/cells.lib ss\n").unwrap_err().to_string();
    assert!(
        m.contains("virtual.cir:2") && m.contains("has no section 'ss'") && m.contains("common, ff, tt"),
        "{m}"
    );
    // Two corners together define the models twice.
    let m = at("t\n.lib lib/cells.lib tt\n.lib lib/cells.lib ff\n").unwrap_err().to_string();
    assert!(
        m.contains("cells.lib:10") && m.contains("duplicate model 'nch'") && m.contains("cells.lib:3"),
        "{m}"
    );
    // Section blocks in the deck itself are definitions, read only when called.
    let netlist = parse("t\n.lib extra\nR9 a 0 1k\n.endl extra\nR1 a 0 1k\n");
    assert_eq!(netlist.elements.len(), 1);
    assert!(at("t\n.lib lib/cells.lib\n").unwrap_err().to_string().contains(".include FILE"));
    error("t\n.lib extra\nR9 a 0 1k\n", &[], &["test.cir:2", "never closed", ".endl"]);
    error("t\n.endl\n", &[], &["closes no library section"]);
    error("t\n.lib one\n.endl two\n", &[], &["does not match the open section 'one'"]);
    error("t\n.lib models.toml tt\n", &[], &["has no sections"]);
}

#[test]
fn library_section_loops_are_refused() {
    let dir = tempdir("loop");
    std::fs::write(dir.join("a.lib"), ".lib one\n.lib a.lib two\n.endl\n.lib two\n.lib a.lib one\n.endl\n")
        .unwrap();
    let m = Netlist::parse_str("t\n.lib a.lib one\n", dir.join("top.cir"), &[]).unwrap_err().to_string();
    assert!(
        m.contains("include loop") && m.contains("a.lib [one] includes") && m.contains("a.lib [two]"),
        "{m}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pbitsim-subckt-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 64, rng_seed: RngSeed::Fixed(0x7375_6263_6b74), ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    /// A chain of nested subcircuits, each passing its parameter times a factor to the next,
    /// flattens to the product, under the right hierarchical name; a `--set` anywhere on the
    /// chain replaces the value from there down.
    #[test]
    fn nested_chains_multiply_out(factors in prop::collection::vec(1u32..9, 1..6), at in 0usize..6, set in 1u32..99) {
        let depth = factors.len();
        let mut text = String::from("chain\n.param base=2\n");
        for (level, factor) in factors.iter().enumerate() {
            text.push_str(&format!(".subckt s{level} a params: v=1\n"));
            if level + 1 < depth {
                text.push_str(&format!("Xn a s{} v={{v*{factor}}}\n", level + 1));
            } else {
                text.push_str(&format!("R1 a 0 {{v*{factor}}}\n"));
            }
            text.push_str(".ends\n");
        }
        text.push_str("Xtop n s0 v=base\n");
        let leaf = format!("xtop.{}r1", "xn.".repeat(depth - 1));
        let product: f64 = factors.iter().map(|f| *f as f64).product();
        let netlist = parse(&text);
        prop_assert!(close(value(&netlist, &leaf), 2.0 * product));
        let level = at % depth;
        let path = format!("xtop{}.v", ".xn".repeat(level));
        let netlist = parse_with(&text, &[(&path, &set.to_string())]).unwrap();
        let below: f64 = factors[level..].iter().map(|f| *f as f64).product();
        prop_assert!(close(value(&netlist, &leaf), set as f64 * below), "{}", path);
    }

    /// An instance parses exactly when it connects as many nodes as its subcircuit has
    /// ports; otherwise the message gives both counts and the ports.
    #[test]
    fn port_counts_must_match(ports in 1usize..6, nodes in 0usize..7) {
        let names: Vec<String> = (0..ports).map(|i| format!("p{i}")).collect();
        let wires: Vec<String> = (0..nodes).map(|i| format!("n{i}")).collect();
        let text = format!(
            "t\n.subckt s {}\nR1 p0 0 1k\n.ends\nX1 {} s\n",
            names.join(" "),
            wires.join(" ")
        );
        match parse_with(&text, &[]) {
            Ok(netlist) => prop_assert_eq!(ports, nodes, "parsed {:?}", netlist.elements),
            Err(e) => {
                prop_assert!(ports != nodes, "{}", e);
                let expected = format!("connects {nodes} node(s) but subcircuit 's' (defined at test.cir:2) has {ports} port(s): {}", names.join(" "));
                prop_assert!(e.to_string().contains(&expected), "{}", e);
            }
        }
    }
}

fn build(path: &Path) -> Circuit {
    let netlist = Netlist::parse_file(path, &[]).unwrap_or_else(|e| panic!("{e}"));
    Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap()
}

/// An observer appending the time and state, as raw bits, to `rows`.
fn record(rows: &mut Vec<u64>) -> impl FnMut(f64, &[f64]) -> ControlFlow<()> + '_ {
    move |t: f64, x: &[f64]| {
        rows.push(t.to_bits());
        rows.extend(x.iter().map(|v| v.to_bits()));
        ControlFlow::Continue(())
    }
}

/// Every recorded state of one run of each engine, as raw bits.
fn trajectories(circuit: &Circuit, seed: u64) -> (Vec<u64>, Vec<u64>) {
    let mut sde_rows = Vec::new();
    let sys = CircuitSde::new(circuit);
    let mut x = sys.initial_state();
    let mut rng = Seed(seed).stream(Domain::Trajectory, 0);
    integrate(
        &sys,
        &EulerMaruyama,
        &Schedule::fixed(200e-9, 40e-12, 1e-9),
        &mut x,
        &mut rng,
        &mut record(&mut sde_rows),
    )
    .unwrap();
    let mut jump_rows = Vec::new();
    let mut rng = Seed(seed).stream(Domain::Trajectory, 1);
    pbitsim::jump::gillespie(circuit, 100e-9, 1e-9, &mut rng, &mut record(&mut jump_rows)).unwrap();
    (sde_rows, jump_rows)
}

#[test]
fn two_instances_simulate_bit_for_bit_as_the_flat_circuit() {
    let (hierarchical, flat) =
        (build(&fixture("subckt/two_pbits.cir")), build(&fixture("subckt/two_pbits_flat.cir")));
    assert_eq!(hierarchical.free_names, ["x1.a", "x1.b", "x2.a", "x2.b"]);
    assert_eq!(flat.free_names, ["a1", "b1", "a2", "b2"]);
    assert_eq!(hierarchical.fixed_voltages, flat.fixed_voltages);
    assert_eq!(hierarchical.capacitance, flat.capacitance);
    let names: Vec<&str> = hierarchical.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(&names[..3], ["x1.mp1", "x1.mn1", "x1.mp2"], "devices carry their hierarchical names");
    for (h, f) in hierarchical.devices.iter().zip(&flat.devices) {
        assert_eq!(
            (&h.kind, &h.terminals, &h.dv),
            (&f.kind, &f.terminals, &f.dv),
            "{} vs {}",
            h.name,
            f.name
        );
    }
    assert_eq!(
        hierarchical.outputs.iter().map(|o| &o.kind).collect::<Vec<_>>(),
        flat.outputs.iter().map(|o| &o.kind).collect::<Vec<_>>()
    );
    let (h, f) = (trajectories(&hierarchical, 7), trajectories(&flat, 7));
    // Rows: time, four node voltages, supply energy.
    assert!(h.0.len() == 201 * 6 && h.1.len() == 101 * 6, "{} {}", h.0.len(), h.1.len());
    assert!(h.0 == f.0, "SDE runs differ");
    assert!(h.1 == f.1, "jump runs differ");
    // And they do move: the p-bits are not stuck at their starting voltages.
    assert!(h.0.chunks(6).map(|row| row[1]).collect::<std::collections::HashSet<_>>().len() > 100);
}

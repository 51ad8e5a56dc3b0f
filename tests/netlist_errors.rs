//! Netlists that do not parse: every message names the file, the line and the offending token
//! and says what was expected.

use std::path::{Path, PathBuf};

use pbitsim::circuit::netlist::{ErrorKind, Netlist, NetlistError, split_override};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netlists").join(name)
}

/// Parse `text` as `bad.cir`, expect an error on `line` whose message contains each of
/// `needles`, and return it.
fn check(text: &str, line: usize, needles: &[&str]) -> NetlistError {
    let error = match Netlist::parse_str(text, "bad.cir", &[]) {
        Ok(netlist) => panic!("expected an error, parsed {netlist:?}"),
        Err(error) => error,
    };
    let message = error.to_string();
    eprintln!("{message}");
    let prefix = format!("bad.cir:{line}: ");
    assert!(message.starts_with(&prefix), "'{message}' should start with '{prefix}'");
    assert_eq!(error.location.as_ref().map(|l| l.line), Some(line));
    for needle in needles {
        assert!(message.contains(needle), "'{message}' should contain '{needle}'");
    }
    error
}

#[test]
fn unknown_element() {
    let e = check("t\nR1 a 0 1k\nQ1 c b e npn\n", 3, &["'Q1'", "M, C, R, V, I and X", "use MOSFETs"]);
    assert!(matches!(*e.kind, ErrorKind::UnknownElement { .. }));
    check("t\nE1 a 0 b 0 2\n", 2, &["'E1'", "controlled sources", "transistors"]);
    check("t\nD1 a 0 dmod\n", 2, &["'D1'", "diode-connected MOSFET"]);
    check("t\nL1 a 0 1n\n", 2, &["'L1'", "inductors"]);
}

#[test]
fn unknown_directive() {
    let e = check("t\n.frobnicate\n", 2, &["'.frobnicate'", ".param", ".subckt"]);
    assert!(matches!(*e.kind, ErrorKind::UnknownDirective { .. }));
    check("t\nR1 a 0 1k\n.dc V1 0 1 0.1\n", 3, &["'.dc'", "--sweep", "--set"]);
    check("t\nR1 a 0 1k\n.ac dec 10 1 1g\n", 3, &["'.ac'", "pbitsim noise", ".tran"]);
    check("t\nR1 a 0 1k\n.op all\n", 3, &["'all'", ".op, alone"]);
    check("t\nR1 a 0 1k\n.meas tran x avg V(a)\n", 3, &["'.meas'", ".output"]);
    check("t\nR1 a 0 1k\n.step param r 1 2 1\n", 3, &["'.step'", "--sweep"]);
}

#[test]
fn missing_fields() {
    let e = check("t\nC1 out\n", 2, &["'C1'", "second node", "C<name> node node VALUE"]);
    assert!(matches!(*e.kind, ErrorKind::MissingField { .. }));
    check("t\nR1 a b\n", 2, &["'R1'", "its value"]);
    check("t\nV1 a 0 DC\n", 2, &["'V1'", "its value"]);
    check("t\nM1 d g s nfet W=1u L=1u\n", 2, &["'M1'", "found 4: 'd g s nfet'", "bulk"]);
    check("t\n.tran 1n\n", 2, &["'.tran'", "TSTOP"]);
    check("t\n.param\n", 2, &["'.param'", "NAME=VALUE"]);
    check("t\n.include\n", 2, &["'.include'", "file to include"]);
}

#[test]
fn unexpected_fields() {
    check("t\nR1 a b 1k 2k\n", 2, &["'2k'", "'R1'"]);
    check("t\n.temp 27 50\n", 2, &["'50'", "one temperature"]);
}

#[test]
fn malformed_values() {
    let e = check("t\nC1 out 0 1.2.3f\n", 2, &["'1.2.3f'", "a capacitance", "C1"]);
    assert!(matches!(*e.kind, ErrorKind::BadValue { .. }));
    check("t\nR1 a 0 10parsecs\n", 2, &["'10parsecs'", "a resistance"]);
    check("t\nV1 a 0 1.5ohm\n", 2, &["'1.5ohm'", "a voltage"]);
    check("t\nM1 d g 0 0 n W=1x L=1u\n", 2, &["'1x'", "a length", "W of M1"]);
    check("t\n.param vdd=0.8.1\n", 2, &["'0.8.1'", "vdd"]);
    check("t\n.temp 300F\n", 2, &["'300F'", "temperature"]);
    let e = check("t\nV1 a 0 vdd/2\n.param vdd=1\n", 2, &["vdd/2", "braces"]);
    assert!(matches!(*e.kind, ErrorKind::BadExpression { .. }));
    check("t\nV1 a 0 {vdd/}\n", 2, &["'{vdd/}'", "after '/'", "found the end"]);
    check("t\nV1 a 0 {sqrt(2)}\n", 2, &["sqrt(", "no functions"]);
    // A capacitor so small that one electron swings its node by volts (a run at it would need
    // steps without bound).
    check("t\nC1 out 0 1e-300\n", 2, &["'1e-300'", "C1", "one electron"]);
    assert!(Netlist::parse_str("t\nC1 out 0 1e-20\n", "ok.cir", &[]).is_ok());
}

#[test]
fn unknown_parameter_in_an_expression() {
    let e = check(
        "t\n.param vdd=0.8\nV1 a 0 {vdx/2}\n",
        3,
        &["'vdx'", "'{vdx/2}'", "V1", "defined parameters: vdd"],
    );
    assert!(matches!(*e.kind, ErrorKind::UnknownParam { .. }));
    check("t\nR1 a 0 rload\n", 2, &["'rload'", "no parameter is defined"]);
    check("t\n.param a={b+1}\n", 2, &["'b'", "parameter a"]);
}

#[test]
fn division_by_zero_names_the_divisor() {
    let e = check("t\n.param a=1\nR1 x 0 {1k/(a-1)}\n", 3, &["division by zero", "'(a-1)'", "R1"]);
    assert!(matches!(*e.kind, ErrorKind::DivisionByZero { .. }));
}

#[test]
fn duplicate_element_names_ignore_case() {
    let e = check("t\nR1 a 0 1k\nC1 a 0 1f\nr1 a 0 2k\n", 4, &["'r1'", "already defined at bad.cir:2"]);
    assert!(matches!(*e.kind, ErrorKind::DuplicateElement { .. }));
}

#[test]
fn duplicate_parameters() {
    let e = check(
        "t\n.param vdd=0.8\nR1 a 0 1k\n.param VDD=0.9\n",
        4,
        &["'VDD'", "already defined at bad.cir:2"],
    );
    assert!(matches!(*e.kind, ErrorKind::DuplicateParam { .. }));
}

#[test]
fn zero_or_negative_capacitance_and_resistance() {
    let e = check("t\nC1 a 0 0\n", 2, &["capacitance", "'C1'", "'0'", "greater than zero"]);
    assert!(matches!(*e.kind, ErrorKind::NotPositive { .. }));
    check("t\nR1 a b -1k\n", 2, &["resistance", "'R1'", "'-1k'"]);
    check("t\n.param c=1f\nC2 a 0 {c - 1f}\n", 3, &["'C2'", "'{c - 1f}'"]);
    check("t\nM1 d g 0 0 n W=0 L=1u\n", 2, &["W of 'M1'", "'0'"]);
}

#[test]
fn parameter_cycles_show_the_chain() {
    let e = check("t\n.param a={b} b={c*2}\n.param c=a\n", 2, &["a -> b -> c -> a"]);
    assert!(matches!(*e.kind, ErrorKind::ParamCycle { .. }));
}

#[test]
fn include_loops_show_the_chain() {
    let top = fixture("loop/top.cir");
    let error = Netlist::parse_file(&top, &[]).unwrap_err();
    let message = error.to_string();
    eprintln!("{message}");
    assert!(matches!(*error.kind, ErrorKind::IncludeLoop { .. }), "{message}");
    let location = error.location.unwrap();
    assert!(location.file.ends_with("loop/b.cir") && location.line == 3, "{message}");
    assert!(message.contains("loop/b.cir:3: include loop: "), "{message}");
    assert!(message.contains("a.cir includes "), "{message}");
    assert!(message.contains("b.cir includes "), "{message}");
    assert!(message.ends_with("a.cir"), "{message}");
    let cycle = "Self include\n.include bad.cir\n";
    let self_include = Netlist::parse_str(cycle, fixture("loop/self.cir"), &[]).unwrap_err();
    assert!(self_include.to_string().contains("self.cir:2: "), "{self_include}");
}

#[test]
fn missing_include_file() {
    let error =
        Netlist::parse_str("t\nR1 a 0 1k\n.include \"nowhere.cir\"\n", fixture("x.cir"), &[]).unwrap_err();
    let message = error.to_string();
    assert!(matches!(*error.kind, ErrorKind::Io { .. }), "{message}");
    assert!(message.contains("x.cir:3: cannot read included file"), "{message}");
    assert!(message.contains("nowhere.cir"), "{message}");
    let error =
        Netlist::parse_str("t\n.include models/none.toml\n", fixture("x.cir"), &[]).unwrap_err().to_string();
    assert!(error.contains("x.cir:2: cannot read model card"), "{error}");
    assert!(error.contains("none.toml"), "{error}");
    check("t\n.include notes.txt\n", 2, &["'notes.txt'", ".cir", ".toml"]);
}

#[test]
fn missing_top_level_file() {
    let error = Netlist::parse_file("no/such/netlist.cir", &[]).unwrap_err();
    assert_eq!(error.location, None);
    assert!(error.to_string().contains("no/such/netlist.cir"), "{error}");
}

#[test]
fn set_of_an_unknown_parameter() {
    let overrides = [("vdx".to_string(), "0.9".to_string())];
    let text = "t\n.param vdd=0.8 vbias=0.3\nR1 a 0 1k\n";
    let error = Netlist::parse_str(text, "bad.cir", &overrides).unwrap_err();
    let message = error.to_string();
    assert!(matches!(*error.kind, ErrorKind::UnknownSetParam { .. }), "{message}");
    for needle in ["--set vdx", "bad.cir", "vbias, vdd"] {
        assert!(message.contains(needle), "'{message}' should contain '{needle}'");
    }
}

#[test]
fn malformed_set() {
    let error = split_override("vdd0.9").unwrap_err();
    assert!(matches!(*error.kind, ErrorKind::MalformedSet { .. }));
    assert!(error.to_string().contains("'vdd0.9'"), "{error}");
    assert!(error.to_string().contains("NAME=VALUE"), "{error}");
    let overrides = [("vdd".to_string(), String::new())];
    let error = Netlist::parse_str("t\n.param vdd=1\n", "bad.cir", &overrides).unwrap_err();
    assert!(matches!(*error.kind, ErrorKind::MalformedSet { .. }), "{error}");
    let overrides = [("vdd".to_string(), "1.2.3".to_string())];
    let error = Netlist::parse_str("t\n.param vdd=1\n", "bad.cir", &overrides).unwrap_err();
    assert!(error.to_string().contains("--set vdd=1.2.3"), "{error}");
}

#[test]
fn outputs_of_ground_only_or_too_few_nodes() {
    let base = "t\nR1 a b 1k\nR2 b 0 1k\n";
    let e = check(&format!("{base}.output analog g V(0)\n"), 4, &["'g'", "ground"]);
    assert!(matches!(*e.kind, ErrorKind::BadOutput { .. }));
    check(&format!("{base}.output bit s V(gnd) V(0)\n"), 4, &["'s'", "ground"]);
    check(&format!("{base}.output cat c V(a)\n"), 4, &["'c'", "at least two", "V(a)"]);
    check(&format!("{base}.output bit s V(a)\n"), 4, &["'s'", "two node voltages"]);
    check(&format!("{base}.output cat c\n"), 4, &["'c'", "at least two"]);
    check(&format!("{base}.output bit s V(a) V(A)\n"), 4, &["'s'", "twice"]);
    check(&format!("{base}.output analog v a\n"), 4, &["'a'", "V(out)"]);
    check(&format!("{base}.output analog v V(zz)\n"), 4, &["'zz'", "no element"]);
}

#[test]
fn unknown_output_kind() {
    let e = check("t\nR1 a 0 1k\n.output voltage v V(a)\n", 3, &["'voltage'", "bit, cat or analog"]);
    assert!(matches!(*e.kind, ErrorKind::UnknownOutputKind { .. }));
    check("t\nR1 a 0 1k\n.output analog v V(a)\n.output analog V V(a)\n", 4, &["'V'", "bad.cir:3"]);
}

#[test]
fn unsupported_source_forms() {
    let e = check("t\nV1 a 0 DC 0 AC 1\n", 2, &["'AC'", "not supported", "drop the AC part"]);
    assert!(matches!(*e.kind, ErrorKind::Unsupported { .. }));
    check("t\nV1 a 0 EXP(0 1 1n 1n 2n 1n)\n", 2, &["'EXP(0 1 1n 1n 2n 1n)'", "PWL"]);
    check("t\nI1 a 0 sffm (0 1n 1k)\n", 2, &["'sffm'", "use SIN or PWL"]);
    check("t\nV1 a 0 trnoise(1m 1n)\n", 2, &["'trnoise(1m 1n)'", "devices themselves"]);
}

/// One error per bad waveform form, each naming the line, the token and what was expected.
#[test]
fn bad_waveforms() {
    let form = |text: &str, needles: &[&str]| {
        let e = check(&format!("t\nR1 a 0 1k\n{text}\n"), 3, needles);
        assert!(
            matches!(
                *e.kind,
                ErrorKind::Invalid { .. }
                    | ErrorKind::BadValue { .. }
                    | ErrorKind::UnexpectedToken { .. }
                    | ErrorKind::MissingField { .. }
                    | ErrorKind::UnknownInstanceParam { .. }
            ),
            "{e}"
        );
    };
    // PULSE: argument count, negative times, a period shorter than the pulse, the count.
    form("V1 a 0 PULSE(1)", &["'PULSE(1)'", "1 argument(s)", "PULSE(v1 v2 [td [tr [tf [pw [per [np]]]]]])"]);
    form("V1 a 0 PULSE(0 1 1n 1n 1n 5n 10n 2 7)", &["9 argument(s)", "2 to 8 values"]);
    form("V1 a 0 PULSE(0 1 -1n)", &["'-1n'", "td of PULSE on V1", "expected a time >= 0"]);
    form("V1 a 0 PULSE(0 1 0 1n 1n 5n 6n)", &["'6n'", "per of PULSE", "tr + pw + tf"]);
    form("V1 a 0 PULSE(0 1 0 1n 1n 5n 10n 2.5)", &["'2.5'", "np", "whole number >= 1"]);
    form("V1 a 0 PULSE(0 1 1x)", &["'1x'", "td of PULSE on V1"]);
    // PWL: pairs, increasing times, no negative time, no r= or td= options.
    form("V1 a 0 PWL(0 0 1n)", &["'PWL(0 0 1n)'", "3 argument(s)", "time-value pairs"]);
    form("V1 a 0 PWL(0 0 2n 1 1n 0)", &["'1n'", "time of PWL on V1", "strictly increasing"]);
    form("V1 a 0 PWL(0 0 2n 1 2n 0)", &["'2n'", "strictly increasing"]);
    form("V1 a 0 PWL(-1n 0 2n 1)", &["'-1n'", "times >= 0"]);
    form("V1 a 0 PWL(0 0 1n 1) r=0", &["'r'", "write the points out"]);
    // SIN: the frequency is required and positive; no negative delay or damping.
    form("V1 a 0 SIN(0 1)", &["'SIN(0 1)'", "2 argument(s)", "freq is needed"]);
    form("V1 a 0 SIN(0 1 0)", &["'0'", "freq of SIN on V1", "frequency > 0"]);
    form("V1 a 0 SIN(0 1 1meg -1n)", &["'-1n'", "td of SIN", ">= 0"]);
    form("V1 a 0 SIN(0 1 1meg 0 -5)", &["'-5'", "theta of SIN", ">= 0"]);
    // Two waveforms, a value after the waveform, DC without a value, a unit that does not fit.
    form("V1 a 0 SIN(0 1 1meg) PULSE(0 1)", &["'PULSE(0 1)'", "a waveform PULSE(...)"]);
    form("V1 a 0 PULSE(0 1) 0.5", &["'0.5'", "or DC VALUE and a waveform"]);
    form("V1 a 0 DC", &["'V1'", "its value after DC"]);
    form("V1 a 0 PULSE(0 1s)", &["'1s'", "v2 of PULSE on V1"]);
    form("I1 a 0 PWL(0 0 1n 1V)", &["'1V'", "value of PWL on I1"]);
}

#[test]
fn mosfet_instance_parameters() {
    let e = check(
        "t\nM1 d g 0 0 nfet W=1u L=1u AD=1p\n",
        2,
        &["'AD'", "'M1'", "W=, L=, M=", "cgs=", "dvt=", "temp= or dtemp="],
    );
    assert!(matches!(*e.kind, ErrorKind::UnknownInstanceParam { .. }));
    check("t\nM1 d g 0 0 nfet W=1u\n", 2, &["'M1'", "L=VALUE"]);
    check("t\nM1 d g 0 0 nfet W=1u L=1u w=2u\n", 2, &["'w'", "twice"]);
    check("t\nC1 a 0 1f IC=0.5\n", 2, &["'IC'", ".ic"]);
    check("t\nM1 d g 0 0 nfet W=1u L=1u cgs=-1f\n", 2, &["'-1f'", "cgs", "M1"]);
    check("t\nM1 d g 0 0 nfet W=1u L=1u dbeta=-1.5\n", 2, &["'-1.5'", "dbeta of M1", "above -1"]);
}

#[test]
fn lexical_errors() {
    check("t\nR1 a 0 {1k\n", 2, &["'{'", "'{1k'"]);
    check("t\n+ R1 a 0 1k\n", 2, &["'+ R1 a 0 1k'", "continue"]);
    check("t\nR1 a 0 1k)\n", 2, &["')'"]);
}

#[test]
fn directive_values_are_checked() {
    check("t\n.temp -300\n", 2, &["'-300'", "absolute zero"]);
    check("t\nR1 a 0 1k\n.tran 0 1u\n", 3, &["'0'", "TSTEP", "greater than zero"]);
    check("t\nR1 a 0 1k\n.tran 1n 1u 2u\n", 3, &["'2u'", "TSTART", "less than TSTOP"]);
    check("t\nR1 a 0 1k\n.tran 1u 1n\n", 3, &["'1u'", "TSTEP", "exceed TSTOP"]);
    check("t\nR1 a 0 1k\n.tran 1n 1u -1n\n", 3, &["'-1n'", "TSTART", "negative"]);
    check("t\n.temp 27\n.temp 30\n", 3, &["'.temp'", "bad.cir:2"]);
    check("t\nR1 a 0 1k\n.ic V(a)=0.1 v(A)=0.2\n", 3, &["v(a)", "given twice"]);
    check("t\nR1 a 0 1k\n.ic V(0)=0.1\n", 3, &["'V(0)'", "ground"]);
    check("t\nR1 a 0 1k\n.ic V(b)=0.1\n", 3, &["'b'", ".ic", "defined nodes: a"]);
    check("t\nR1 a a 1k\n", 2, &["'a'", "second node of R1", "two different nodes"]);
}

//! Netlists that parse: what a SPICE user writes, and what pbitsim makes of it.

use std::path::{Path, PathBuf};

use pbitsim::circuit::netlist::{ElementKind, GROUND, Netlist, OutputKind, split_override};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netlists").join(name)
}

fn parse(text: &str) -> Netlist {
    Netlist::parse_str(text, "test.cir", &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Relative closeness for values that went through decimal parsing.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
}

#[test]
fn plain_rc_netlist_as_a_spice_user_writes_it() {
    let netlist = Netlist::parse_file(fixture("rc.cir"), &[]).unwrap();
    assert_eq!(netlist.title, "RC low-pass filter");
    assert_eq!(netlist.source, fixture("rc.cir"));
    assert_eq!(netlist.elements.len(), 3);
    assert_eq!(
        netlist.elements[0].kind,
        ElementKind::Resistor { a: "in".into(), b: "out".into(), ohms: 10e3, temperature: None }
    );
    assert_eq!(netlist.elements[0].name, "r1");
    assert_eq!(netlist.elements[0].location.line, 2);
    assert_eq!(netlist.elements[0].location.to_string(), format!("{}:2", fixture("rc.cir").display()));
    let ElementKind::Capacitor { a, b, farads } = &netlist.elements[1].kind else {
        panic!("C1 should be a capacitor: {:?}", netlist.elements[1]);
    };
    assert_eq!((a.as_str(), b.as_str()), ("out", GROUND));
    assert!(close(*farads, 1e-15));
    assert_eq!(
        netlist.elements[2].kind,
        ElementKind::VoltageSource { plus: "in".into(), minus: "0".into(), volts: 0.0, waveform: None }
    );
    let tran = netlist.tran.as_ref().unwrap();
    assert!(close(tran.step, 1e-9) && close(tran.stop, 10e-6));
    assert_eq!((tran.start, tran.max_step), (0.0, None));
    assert_eq!(netlist.outputs.len(), 1);
    assert_eq!(netlist.outputs[0].name, "vout");
    assert_eq!(netlist.outputs[0].kind, OutputKind::Analog { plus: "out".into(), minus: None });
    assert_eq!(netlist.nodes(), ["in", "out"]);
    assert_eq!(netlist.temperature_k, None);
    assert!(netlist.params.is_empty() && netlist.model_cards.is_empty());
}

#[test]
fn a_fuller_netlist_with_continuations_params_and_readouts() {
    let netlist = Netlist::parse_file(fixture("pbit_style.cir"), &[]).unwrap();
    assert!(netlist.title.starts_with("* A first line"));
    let names: Vec<&str> = netlist.elements.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["vdd", "vin", "mn1", "mp1", "cout", "ileak"]);
    let mn1 = netlist.element("MN1").unwrap();
    assert_eq!(mn1.location.line, 9, "an element keeps its first line");
    let ElementKind::Mosfet { drain, gate, source, bulk, model, w, l, m, temperature: None, .. } = &mn1.kind
    else {
        panic!("MN1 should be a MOSFET");
    };
    assert_eq!([drain, gate, source, bulk], ["out", "in", "0", "0"]);
    assert_eq!(model, "nfet");
    assert!(close(*w, 200e-9) && close(*l, 100e-9) && *m == 2.0);
    let ElementKind::Mosfet { model, m, .. } = &netlist.element("mp1").unwrap().kind else {
        panic!("MP1 should be a MOSFET");
    };
    assert_eq!((model.as_str(), *m), ("pfet", 1.0));
    // gnd is stored as the ground node "0"; a value may be a bare parameter name.
    let ElementKind::VoltageSource { plus, minus, volts, .. } = &netlist.elements[0].kind else {
        panic!("VDD should be a source");
    };
    assert_eq!((plus.as_str(), minus.as_str(), *volts), ("vdd", GROUND, 0.8));
    let ElementKind::VoltageSource { volts, .. } = netlist.elements[1].kind else {
        panic!("Vin should be a source");
    };
    assert!(close(volts, 0.41), "vin = vdd/2 + 10m, got {volts}");
    // cnode = cl*2 uses a parameter defined after it on the same line.
    let ElementKind::Capacitor { farads, .. } = netlist.element("cout").unwrap().kind else {
        panic!("Cout should be a capacitor");
    };
    assert!(close(farads, 100e-18));
    let ElementKind::CurrentSource { plus, minus, amps, .. } = &netlist.element("ileak").unwrap().kind else {
        panic!("Ileak should be a current source");
    };
    assert_eq!((plus.as_str(), minus.as_str()), ("out", "0"));
    assert!(close(*amps, -1e-12));
    assert!(close(netlist.temperature_k.unwrap(), 300.15));
    assert_eq!(netlist.initial_conditions.len(), 1);
    assert_eq!(netlist.initial_conditions[0].node, "out");
    assert_eq!(netlist.initial_conditions[0].volts, 0.4);
    assert_eq!(
        netlist.options,
        [("reltol".to_string(), "1e-4".to_string()), ("noacct".to_string(), String::new())]
    );
    let kinds: Vec<&OutputKind> = netlist.outputs.iter().map(|o| &o.kind).collect();
    assert!(matches!(kinds[0], OutputKind::Bit { plus, minus, hysteresis }
        if plus == "out" && minus == "in" && close(*hysteresis, 5e-3)));
    assert_eq!(
        kinds[1],
        &OutputKind::Category { nodes: vec!["out".into(), "in".into(), "vdd".into()], hysteresis: 0.0 }
    );
    assert_eq!(kinds[2], &OutputKind::Analog { plus: "out".into(), minus: Some("in".into()) });
    let params: Vec<(&str, f64)> = netlist.params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(params.len(), 4);
    assert_eq!(params[0].0, "cl");
    assert_eq!(netlist.nodes(), ["in", "out", "vdd"]);
}

#[test]
fn keywords_and_names_are_case_insensitive() {
    let upper = parse(
        "TITLE\n.PARAM VDD=0.8\nVDD VDD GND DC {VDD}\nCLOAD VDD 0 1FF\n.TEMP 300K\n.OUTPUT ANALOG V1 V(VDD)\n.END",
    );
    let lower = parse(
        "title\n.param vdd=0.8\nvdd vdd gnd dc {vdd}\ncload vdd 0 1ff\n.temp 300k\n.output analog v1 v(vdd)\n.end",
    );
    assert_eq!(upper.elements, lower.elements);
    assert_eq!(upper.params, lower.params);
    assert_eq!(upper.outputs, lower.outputs);
    assert_eq!(upper.temperature_k, Some(300.0));
    assert_eq!(upper.elements[0].name, "vdd");
}

#[test]
fn continuation_tokens_keep_their_physical_lines() {
    let netlist = parse("t\nR1 a\n+ b\n+ 10k\nC1 b 0 1f");
    assert_eq!(netlist.elements[0].location.line, 2);
    assert_eq!(netlist.elements[1].location.line, 5);
    // The bad value is on line 4, not on the line the element starts on.
    let error = Netlist::parse_str("t\nR1 a\n+ b\n+ 10q\nC1 b 0 1f", "c.cir", &[]).unwrap_err();
    assert!(error.to_string().starts_with("c.cir:4: "), "{error}");
}

#[test]
fn params_resolve_in_any_order_and_overrides_replace_them() {
    let text = "t\n.param half={vdd/2}\nV1 a 0 half\nR1 a 0 {r0*2}\n.param vdd=0.8 r0=1k\n";
    let netlist = parse(text);
    assert_eq!(netlist.params["half"], 0.4);
    let overrides = [split_override("VDD=1.2").unwrap(), ("r0".to_string(), "{2*1k}".to_string())];
    let netlist = Netlist::parse_str(text, "test.cir", &overrides).unwrap();
    assert!(close(netlist.params["vdd"], 1.2));
    assert!(close(netlist.params["half"], 0.6));
    let ElementKind::VoltageSource { volts, .. } = netlist.elements[0].kind else {
        panic!("V1 should be a source");
    };
    assert!(close(volts, 0.6));
    let ElementKind::Resistor { ohms, .. } = netlist.elements[1].kind else {
        panic!("R1 should be a resistor");
    };
    assert!(close(ohms, 4e3));
}

#[test]
fn expressions_use_suffixes_precedence_and_parentheses() {
    let netlist = parse(
        "t\n.param vdd=0.8 a = 2*(1+3)/4-1 b=-vdd c={ -(vdd - 200mV) * 1k / 2 }\nV1 x 0 {vdd/2 + 10m}\nC1 x 0 {1f * (a + 1) / 2}\n",
    );
    assert!(close(netlist.params["a"], 1.0));
    assert!(close(netlist.params["b"], -0.8));
    assert!(close(netlist.params["c"], -300.0));
    let ElementKind::VoltageSource { volts, .. } = netlist.elements[0].kind else {
        panic!("V1 should be a source");
    };
    assert!(close(volts, 0.41));
    let ElementKind::Capacitor { farads, .. } = netlist.elements[1].kind else {
        panic!("C1 should be a capacitor");
    };
    assert!(close(farads, 1e-15));
}

#[test]
fn nested_includes_resolve_relative_to_the_including_file() {
    let top = fixture("include/top.cir");
    let netlist = Netlist::parse_file(&top, &[]).unwrap();
    assert_eq!(netlist.title, "Inverter with its parts included from other files");
    let names: Vec<&str> = netlist.elements.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["cload", "vin", "mn", "mp", "vdd"]);
    let cload = &netlist.elements[0];
    assert!(cload.location.file.ends_with("include/parts/deeper/load.cir"));
    assert_eq!(cload.location.line, 1, "included files have no title line");
    assert!(netlist.element("mn").unwrap().location.file.ends_with("parts/inverter.cir"));
    // cl is defined in the deepest file, vdd in the top one; both are global.
    let ElementKind::VoltageSource { volts, .. } = netlist.element("vin").unwrap().kind else {
        panic!("Vin should be a source");
    };
    assert!(close(volts, 0.4));
    // nfet.toml is included twice (top and parts) but recorded once, in first-seen order.
    let cards: Vec<String> = netlist
        .model_cards
        .iter()
        .map(|c| c.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(cards, ["pfet.toml", "nfet.toml"]);
    for card in &netlist.model_cards {
        assert!(card.path.is_file(), "{} should exist", card.path.display());
    }
    assert!(netlist.model_cards[0].location.file.ends_with("parts/inverter.cir"));
    assert_eq!(netlist.model_cards[0].location.line, 2);
}

#[test]
fn temperatures_are_celsius_when_bare() {
    let temp = |line: &str| parse(&format!("t\nR1 a 0 1k\n{line}\n")).temperature_k.unwrap();
    assert!(close(temp(".temp 27"), 300.15));
    assert!(close(temp(".temp -40"), 233.15));
    assert!(close(temp(".temp 27C"), 300.15));
    assert!(close(temp(".temp 300K"), 300.0));
    assert!(close(temp(".param t=50\n.temp t"), 323.15));
}

#[test]
fn end_stops_reading_and_options_are_recorded() {
    let netlist = parse("t\nR1 a 0 1k\n.option method=gear\n.end\nthis is not read\n");
    assert_eq!(netlist.elements.len(), 1);
    assert_eq!(netlist.options, [("method".to_string(), "gear".to_string())]);
}

#[test]
fn title_directive_tran_options_and_differential_bits() {
    let netlist = parse(
        "first line\n.title  The real title ; with a comment\nR1 a b 1k\nR2 b 0 1k\n.tran 1p 1u 10n 1n UIC\n.output bit s V(a,b)\n",
    );
    assert_eq!(netlist.title, "The real title");
    let tran = netlist.tran.unwrap();
    assert!(close(tran.start, 10e-9) && close(tran.max_step.unwrap(), 1e-9));
    assert!(tran.uic);
    assert_eq!(
        netlist.outputs[0].kind,
        OutputKind::Bit { plus: "a".into(), minus: "b".into(), hysteresis: 0.0 }
    );
}

#[test]
fn netlists_serialize_to_json() {
    let netlist = Netlist::parse_file(fixture("rc.cir"), &[]).unwrap();
    let json = serde_json::to_value(&netlist).unwrap();
    assert_eq!(json["elements"][1]["kind"]["type"], "capacitor");
    assert_eq!(json["elements"][1]["kind"]["b"], "0");
    assert_eq!(json["outputs"][0]["kind"]["type"], "analog");
    assert!(close(json["tran"]["stop"].as_f64().unwrap(), 10e-6));
}

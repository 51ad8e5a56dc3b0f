//! `.model` cards: a `.model NAME nmos|pmos (level=ekv ...)` line gives the same device as a
//! TOML card with the same values; what the card cannot take is refused saying what to write.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::{ErrorKind, MODEL_PARAMETERS, Netlist};
use pbitsim::circuit::{Circuit, DeviceKind, SpecKind};
use pbitsim::device::{Geometry, ModelCard, Terminals, load_card, parse_card};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn model(line: &str) -> ModelCard {
    let netlist = Netlist::parse_str(&format!("t\n{line}\n"), "m.cir", &[]).unwrap_or_else(|e| panic!("{e}"));
    netlist.models[0].card.clone()
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300)
}

/// Every physical field of two cards agrees (to the rounding of the unit conversions).
fn assert_same_card(a: &ModelCard, b: &ModelCard) {
    assert_eq!((a.polarity, a.interpolation), (b.polarity, b.interpolation));
    let fields = |c: &ModelCard| [c.vt0, c.kp, c.tnom, c.tcv, c.bex, c.cox, c.cov, c.cj, c.avt];
    for (x, y) in fields(a).into_iter().zip(fields(b)) {
        assert!(same(x, y), "{x} vs {y}\n{a:?}\n{b:?}");
    }
    match (a.pinch_off, b.pinch_off) {
        (
            pbitsim::device::PinchOff::SlopeFactor { n: x },
            pbitsim::device::PinchOff::SlopeFactor { n: y },
        ) => {
            assert!(same(x, y))
        }
        (
            pbitsim::device::PinchOff::Ekv26 { gamma: g1, phi: p1 },
            pbitsim::device::PinchOff::Ekv26 { gamma: g2, phi: p2 },
        ) => {
            assert!(same(g1, g2) && same(p1, p2))
        }
        (x, y) => panic!("{x:?} vs {y:?}"),
    }
}

#[test]
fn model_lines_equal_the_shipped_toml_cards() {
    let cases = [
        (
            "nlvt.toml",
            ".model nlvt nmos (level=ekv vto=0.42 kp=250u n=1.3 tnom=27 tcv=0.8m bex=-1.1 cox=8.3m cgso=0.24n cgdo=0.24n cj=0.3n avto=3.4n)",
        ),
        (
            "plvt.toml",
            ".MODEL plvt PMOS level=44 vto=-0.42 kp=83u n=1.3 tcv=0.8m bex=-1.1 cox=8.3m cgso=0.24n cgdo=0.24n cj=0.3n avto=3.4n",
        ),
        (
            "ideal_p.toml",
            ".model ideal_p pmos(level=ekv vto=-0.10341 kp=6.546u n=1 interpolation=exponential tnom=26.85 tcv=0 bex=0)",
        ),
    ];
    for (file, line) in cases {
        let toml = load_card(&root().join("models").join(file)).unwrap();
        let inline = model(line);
        assert_eq!(inline.name, toml.name);
        assert_same_card(&inline, &toml);
        // The same device: currents at a few bias points and temperatures.
        let geometry = Geometry { w: 2e-6, l: 1e-6, m: 1.0 };
        for t in [250.0, 300.15, 350.0] {
            for (vg, vd) in [(0.1, 0.05), (0.3, 0.2), (0.6, 0.4), (-0.2, -0.1)] {
                let bias = Terminals { d: vd, g: vg, s: 0.0, b: 0.0 };
                let (a, b) =
                    (inline.at(geometry, t, 0.0).evaluate(&bias), toml.at(geometry, t, 0.0).evaluate(&bias));
                assert!(same(a.i_d, b.i_d), "{file} at {t} K, {vg} V: {} vs {}", a.i_d, b.i_d);
            }
        }
    }
    // The EKV 2.6 pinch-off with gamma and phi, and the EKV defaults (TNOM 27 C, TCV 1 mV/K,
    // BEX -1.5, no capacitance or mismatch).
    let card = model(".model nch nmos (level=ekv vto=0.6 kp=150u gamma=0.71 phi=0.97)");
    let toml = pbitsim::device::parse_card(
        "name = \"nch\"\npolarity = \"nmos\"\nsource = \"test\"\n[ekv]\nvt0_v = 0.6\nkp_ua_per_v2 = 150\ngamma_sqrt_v = 0.71\nphi_v = 0.97\n[temperature]\ntnom_c = 27\ntcv_mv_per_k = 1\nbex = -1.5\n",
        "nch.toml",
    )
    .unwrap();
    assert_same_card(&card, &toml);
    assert!(card.source.contains("m.cir:2"), "{}", card.source);
}

/// The same netlist with a `.model` line and with the TOML card elaborates to the same
/// circuit, and a subcircuit's transistors find a `.model` written anywhere.
#[test]
fn a_model_line_and_a_toml_card_build_the_same_circuit() {
    let body = "Vdd vdd 0 0.3\nVin in 0 0.1\n.subckt inv a y vdd\nMn y a 0 0 nlvt W=1u L=1u\nMp y a vdd vdd plvt W=2u L=1u\n.ends\nX1 in out vdd inv\nC1 out 0 1f\n";
    let with_toml = format!("t\n.include ../../models/nlvt.toml\n.include ../../models/plvt.toml\n{body}");
    let with_model = format!(
        "t\n{body}.model nlvt nmos (level=ekv vto=0.42 kp=250u n=1.3 tcv=0.8m bex=-1.1 cox=8.3m cgso=0.24n cgdo=0.24n cj=0.3n avto=3.4n)\n.model plvt pmos (level=ekv vto=-0.42 kp=83u n=1.3 tcv=0.8m bex=-1.1 cox=8.3m cgso=0.24n cgdo=0.24n cj=0.3n avto=3.4n)\n"
    );
    let build = |text: &str| {
        let netlist = Netlist::parse_str(text, root().join("tests/scratch/x.cir"), &[]).unwrap();
        let spec = elaborate(&netlist, Some(320.0), &Default::default()).unwrap();
        let cards: Vec<Arc<ModelCard>> = spec
            .elements
            .iter()
            .filter_map(|e| match &e.kind {
                SpecKind::Mosfet { card, .. } => Some(Arc::clone(card)),
                _ => None,
            })
            .collect();
        (Circuit::build(&spec).unwrap(), cards)
    };
    let ((a, cards_a), (b, cards_b)) = (build(&with_toml), build(&with_model));
    for (x, y) in cards_a.iter().zip(&cards_b) {
        assert_same_card(x, y);
    }
    assert_eq!(a.free_names, b.free_names);
    let (ca, cb) = (&a.capacitance.c_inv, &b.capacitance.c_inv);
    assert!(ca.iter().zip(cb.iter()).all(|(x, y)| same(*x, *y)));
    let v = vec![0.12; a.free_count()];
    for (da, db) in a.devices.iter().zip(&b.devices) {
        let (fa, fb) = (a.midpoint_fluxes(da, &v), b.midpoint_fluxes(db, &v));
        assert!(same(fa.0, fb.0) && same(fa.1, fb.1), "{}: {fa:?} vs {fb:?}", da.name);
        assert!(matches!(da.kind, DeviceKind::Mosfet(_)));
    }
    // One name, one card: a .model and a TOML card of the same name clash.
    let clash = format!("{with_toml}.model nlvt nmos (level=ekv vto=0.4 kp=250u n=1.3)\n");
    let netlist = Netlist::parse_str(&clash, root().join("tests/scratch/x.cir"), &[]).unwrap();
    let message = elaborate(&netlist, None, &Default::default()).unwrap_err().to_string();
    assert!(message.contains("model 'nlvt'") && message.contains("the .model line at"), "{message}");
}

fn refused(line: &str, needles: &[&str]) -> ErrorKind {
    let error = Netlist::parse_str(&format!("t\nR1 a 0 1k\n{line}\n"), "bad.cir", &[]).unwrap_err();
    let message = error.to_string();
    eprintln!("{message}");
    assert!(message.starts_with("bad.cir:3: "), "{message}");
    for needle in needles {
        assert!(message.contains(needle), "'{message}' should contain '{needle}'");
    }
    *error.kind
}

#[test]
fn model_lines_refuse_what_the_card_cannot_take() {
    let base = "vto=0.4 kp=100u n=1.3";
    refused(&format!(".model n1 nmos ({base})"), &["'.model' is missing level=ekv"]);
    refused(&format!(".model n1 nmos (level=54 {base})"), &["level=54", "level=ekv"]);
    refused(".model n1 nmos (level=ekv kp=100u n=1.3)", &["vto=VALUE", "no default"]);
    refused(
        ".model n1 nmos (level=ekv vto=0.4 kp=100u gamma=0.5)",
        &["the slope", "gamma=VALUE with phi=VALUE"],
    );
    let kind = refused(
        &format!(".model n1 nmos (level=ekv {base} lambda=0.5)"),
        &["'lambda'", "not supported", "long-channel"],
    );
    assert!(matches!(kind, ErrorKind::Unsupported { .. }));
    refused(&format!(".model n1 nmos (level=ekv {base} tox=4n)"), &["'tox'", "cox = eps_ox / tox"]);
    refused(
        &format!(".model n1 nmos (level=ekv {base} frob=1)"),
        &["'frob'", "one of level, interpolation, vto"],
    );
    refused(&format!(".model n1 nmos (level=ekv {base} cgso=0.2n)"), &["cgso=0.2n", "cgso and cgdo, equal"]);
    refused(&format!(".model n1 nmos (level=ekv {base} cj=1m)"), &["cj=1m", "per-area CJ", "per unit width"]);
    let kind = refused(
        ".model n1 nmos (level=ekv vto=0.4 kp=100u n=0.7)",
        &["n=0.7 on .model n1", "slope factor below 1", "ekv.n"],
    );
    assert!(matches!(kind, ErrorKind::BadModelParam { .. }));
    refused(".model n1 nmos (level=ekv vto=0.4 kp=100u n=1.3 gamma=0.5 phi=0.8)", &["n=1.3", "not both"]);
    refused(
        &format!(".model n1 nmos (level=ekv {base} interpolation=bsim)"),
        &["interpolation=bsim", "exponential"],
    );
    refused(&format!(".model n1 nmos (level=ekv {base} vto=0.5)"), &["'vto' is given twice"]);
    refused(".model q1 npn (bf=100)", &["'npn'", "nmos or pmos"]);
    refused(".model d1 d (is=1e-14)", &["'d'", "diode-connected MOSFET"]);
    refused(".model n1", &["device type"]);
    let error = Netlist::parse_str(
        &format!("t\n.model n1 nmos (level=ekv {base})\n.model N1 nmos (level=ekv {base})\n"),
        "bad.cir",
        &[],
    )
    .unwrap_err();
    assert!(
        error.to_string().starts_with("bad.cir:3: duplicate model 'N1': already defined at bad.cir:2"),
        "{error}"
    );
    // Values may use global parameters.
    let netlist = Netlist::parse_str(
        "t\n.param v0=0.35\n.model n1 nmos (level=ekv vto={v0+0.05} kp=100u n=1.3)\n",
        "m.cir",
        &[],
    )
    .unwrap();
    assert!(same(netlist.models[0].card.vt0, 0.4));
}

#[test]
fn every_documented_parameter_maps_to_a_card_key() {
    // The README's table is this list: each TOML key it names is one the card reads.
    let keys = [
        "ekv.vt0_v",
        "ekv.kp_ua_per_v2",
        "ekv.n",
        "ekv.gamma_sqrt_v",
        "ekv.phi_v",
        "temperature.tnom_c",
        "temperature.tcv_mv_per_k",
        "temperature.bex",
        "capacitance.cox_ff_per_um2",
        "capacitance.cov_ff_per_um",
        "capacitance.cj_ff_per_um",
        "mismatch.avt_mv_um",
        "flicker.kf_v2_f",
        "flicker.af",
        "flicker.tau_min_s",
        "flicker.tau_max_s",
        "flicker.traps_per_decade",
    ];
    for p in MODEL_PARAMETERS {
        assert!(keys.contains(&p.toml), "{} maps to {}", p.name, p.toml);
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for p in MODEL_PARAMETERS {
        assert!(readme.contains(&format!("| `{}` |", p.name)), "README lacks a row for {}", p.name);
    }
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 128, rng_seed: RngSeed::Fixed(0x6d6f_6465_6c73), ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    /// Any card within the card's ranges, written as a `.model` line in SPICE units (with
    /// scale suffixes) and as a TOML card in the TOML units, gives the same card.
    #[test]
    fn model_lines_and_toml_cards_agree(
        vto in 0.05f64..1.0, kp_ua in 1.0f64..500.0, n in 1.0f64..2.5, tcv_mv in -3.0f64..3.0,
        bex in -2.5f64..0.5, tnom_c in -40.0f64..125.0, cox in 0.0f64..20.0, cov in 0.0f64..1.0,
        cj in 0.0f64..2.0, avt in 0.0f64..10.0, pmos in any::<bool>(), exponential in any::<bool>(),
    ) {
        let (kind, sign) = if pmos { ("pmos", -1.0) } else { ("nmos", 1.0) };
        let interpolation = if exponential { "exponential" } else { "ekv" };
        let line = format!(
            ".model dev {kind} (level=ekv vto={:e} kp={kp_ua:e}u n={n:e} tcv={tcv_mv:e}m bex={bex:e} tnom={tnom_c:e} cox={cox:e}m cgso={cov:e}n cgdo={cov:e}n cj={cj:e}n avto={avt:e}n interpolation={interpolation})",
            sign * vto
        );
        let toml = format!(
            "name = \"dev\"\npolarity = \"{kind}\"\nsource = \"test\"\n[ekv]\nvt0_v = {vto:e}\nkp_ua_per_v2 = {kp_ua:e}\nn = {n:e}\ninterpolation = \"{interpolation}\"\n[temperature]\ntnom_c = {tnom_c:e}\ntcv_mv_per_k = {tcv_mv:e}\nbex = {bex:e}\n[capacitance]\ncox_ff_per_um2 = {cox:e}\ncov_ff_per_um = {cov:e}\ncj_ff_per_um = {cj:e}\n[mismatch]\navt_mv_um = {avt:e}\n"
        );
        assert_same_card(&model(&line), &parse_card(&toml, "dev.toml").unwrap());
    }
}

/// Flicker parameters on a `.model` line fill the card's `[flicker]` section as the TOML card
/// does (`models/nlvt_flicker.toml`); `kf=0` or no `kf` is no flicker noise; a flicker
/// parameter without `kf`, or a card with `kf` and no `cox`, is refused naming the token.
#[test]
fn model_lines_carry_flicker_noise() {
    let line = ".model nlvt nmos (level=ekv vto=0.42 kp=250u n=1.3 tnom=27 tcv=0.8m bex=-1.1 cox=8.3m \
                cgso=0.24n cgdo=0.24n cj=0.3n avto=3.4n kf=1e-24 af=1 trapmin=10n trapmax=10m trapdec=2)";
    let from_line = model(line);
    let from_toml = load_card(&root().join("models/nlvt_flicker.toml")).unwrap();
    assert_same_card(&from_line, &from_toml);
    let (a, b) = (from_line.flicker.unwrap(), from_toml.flicker.unwrap());
    assert!(same(a.kf, b.kf) && same(a.af, b.af) && same(a.tau_min, b.tau_min) && same(a.tau_max, b.tau_max));
    assert_eq!(a.per_decade, b.per_decade);
    let g = Geometry { w: 0.42e-6, l: 0.15e-6, m: 1.0 };
    assert_eq!(from_toml.traps(g).len(), 13);
    assert!(model(".model n1 nmos (level=ekv vto=0.4 kp=100u n=1.3 cox=8m kf=0)").flicker.is_none());
    assert!(model(".model n1 nmos (level=ekv vto=0.4 kp=100u n=1.3)").traps(g).is_empty());
    refused(".model n1 nmos (level=ekv vto=0.4 kp=100u n=1.3 af=1.2)", &["af=1.2", "give kf too"]);
    refused(".model n1 nmos (level=ekv vto=0.4 kp=100u n=1.3 kf=1e-25)", &["kf=1e-25", "cox"]);
    refused(
        ".model n1 nmos (level=ekv vto=0.4 kp=100u n=1.3 cox=8m kf=1e-25 af=1.9)",
        &["af=1.9", "0.5 to 1.5"],
    );
}

//! Real devices in circuits (PHYSICS.md sections 1 and 10): temperature coefficients reach
//! the elaborated devices on every path (`--temp`, `.temp`, the `temp_k` parameter);
//! device capacitances from the card and the geometry land in the Maxwell matrix, weak and
//! strong inversion, and instance keys override them; mismatch draws follow Pelgrom's law and
//! depend only on the instance's name and the Monte Carlo index.

use std::path::{Path, PathBuf};

use pbitsim::circuit::elaborate::{Variation, elaborate};
use pbitsim::circuit::netlist::Netlist;
use pbitsim::circuit::{Circuit, DeviceKind, SpecKind};
use pbitsim::device::{Terminals, Transistor};
use pbitsim::units::{BOLTZMANN, ELEMENTARY_CHARGE};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn netlist(text: &str, overrides: &[(String, String)]) -> Netlist {
    Netlist::parse_str(text, root().join("real_devices.cir"), overrides).unwrap()
}

fn build(text: &str, temperature: Option<f64>, variation: &Variation) -> Circuit {
    Circuit::build(&elaborate(&netlist(text, &[]), temperature, variation).unwrap()).unwrap()
}

fn transistor<'a>(circuit: &'a Circuit, name: &str) -> &'a Transistor {
    match &circuit.devices.iter().find(|d| d.name == name).unwrap().kind {
        DeviceKind::Mosfet(t) => t,
        DeviceKind::Resistor { .. } => panic!("{name} is a resistor"),
    }
}

/// The sky130-like card's values, restated here from models/nlvt.toml.
const VT0: f64 = 0.42;
const KP: f64 = 250e-6;
const N: f64 = 1.3;
const TCV: f64 = 0.8e-3;
const BEX: f64 = -1.1;
const TNOM: f64 = 300.15;

/// Drain current of the card at temperature t (source and bulk at 0), computed from
/// PHYSICS.md section 1: V_P = (V_G - V_T0(T))/n, I_S = 2 n KP(T) (W/L) U_T^2,
/// I = I_S [ln^2(1 + e^{V_P/2U_T}) - ln^2(1 + e^{(V_P - V_D)/2U_T})], with
/// V_T0(T) = V_T0 - TCV (T - TNOM) and KP(T) = KP (T/TNOM)^BEX.
fn weak_current(t: f64, vg: f64, vd: f64, w_over_l: f64) -> f64 {
    let ut = BOLTZMANN * t / ELEMENTARY_CHARGE;
    let kp = KP * (t / TNOM).powf(BEX);
    let vt = VT0 - TCV * (t - TNOM);
    let vp = (vg - vt) / N;
    let f = |x: f64| (x / 2.0).exp().ln_1p().powi(2);
    2.0 * N * kp * w_over_l * ut * ut * (f(vp / ut) - f((vp - vd) / ut))
}

/// Threshold drift and mobility exponent reach the devices at 250 and 350 K through
/// `--temp` (elaborate's temperature), through the netlist's `.temp`, and through the
/// temperature parameter `temp_k` (here a gate bias that follows the threshold drift, so the
/// current at 250 and 350 K differs only by the KP(T) U_T^2 factors and the slope).
#[test]
fn temperature_coefficients_reach_the_devices() {
    let text = "t\n.include models/nlvt.toml\nVd d 0 0.3\nVg g 0 0\nM1 d g 0 0 nlvt W=2u L=1u\n";
    let current =
        |c: &Circuit| transistor(c, "m1").evaluate(&Terminals { d: 0.3, g: 0.0, s: 0.0, b: 0.0 }).i_d;
    for t in [250.0, 350.0] {
        let expected = weak_current(t, 0.0, 0.3, 2.0);
        let by_flag = current(&build(text, Some(t), &Variation::default()));
        let dot_temp = format!("{text}.temp {}\n", t - 273.15);
        let by_dot_temp = current(&build(&dot_temp, None, &Variation::default()));
        for (how, got) in [("--temp", by_flag), (".temp", by_dot_temp)] {
            assert!((got / expected - 1.0).abs() < 1e-9, "{how} at {t} K: {got:e} vs {expected:e}");
        }
    }
    // The drift is large: the current at 350 K is many times that at 250 K.
    assert!(weak_current(350.0, 0.0, 0.3, 1.0) > 50.0 * weak_current(250.0, 0.0, 0.3, 1.0));
    // temp_k: a gate at 0.1 V - TCV (T - TNOM), simulated at T through simulate's preparation.
    let dir = std::env::temp_dir().join(format!("pbitsim_real_devices_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tracking.cir");
    std::fs::write(
        &file,
        format!(
            "t\n.param temp_k=300 vg={{0.1 - 0.8m*(temp_k - 300.15)}}\n.include {}\nVd d 0 0.3\nVg g 0 {{vg}}\nM1 d g 0 0 nlvt W=2u L=1u\n.tran 1n 10n\n",
            root().join("models/nlvt.toml").display()
        ),
    )
    .unwrap();
    for t in [250.0, 350.0] {
        let config = pbitsim::simulate::SimulateConfig {
            circuit: file.clone(),
            overrides: vec![],
            temperature: Some(t),
            tstop: None,
            dt: None,
            engine: pbitsim::simulate::Engine::Gillespie,
            runs: 1,
            seed: 1,
            threads: 1,
            record_every: None,
            warmup: 0.0,
            variation: Variation::default(),
            ..Default::default()
        };
        let prepared = pbitsim::simulate::prepare(&config).unwrap();
        let vg = 0.1 - TCV * (t - TNOM);
        let got = current(&prepared.circuit);
        let at_gate =
            transistor(&prepared.circuit, "m1").evaluate(&Terminals { d: 0.3, g: vg, s: 0.0, b: 0.0 }).i_d;
        let expected = weak_current(t, vg, 0.3, 2.0);
        assert!((at_gate / expected - 1.0).abs() < 1e-9, "temp_k at {t} K: {at_gate:e} vs {expected:e}");
        assert!(got < at_gate, "the gate source follows temp_k");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Device capacitances in the Maxwell matrix, computed here from the card's values
/// (C_ox 8.3 fF/um^2, overlap 0.24 fF/um, junction 0.3 fF/um, n = 1.3) and PHYSICS.md section
/// 10: a drain node of an off device sees its overlap and junction; a floating gate of an off
/// device sees C_ox W L (n - 1)/n plus two overlaps; a gate held (by its charge) at 1.8 V in
/// saturation sees (2/3) C_ox W L to the source and (n - 1)/(3n) C_ox W L to the bulk (the
/// charge-based split reaches 2/3 within 3 % at this inversion level). Instance keys replace
/// the card's values.
#[test]
fn device_capacitances_stamp_into_the_maxwell_matrix() {
    let (cox, cov, cj) = (8.3e-3, 0.24e-9, 0.3e-9);
    let (w, l) = (2e-6, 1e-6);
    let text = "caps\n.include models/nlvt.toml\nVhi hi 0 1.8\n\
                M1 d 0 0 0 nlvt W=2u L=1u\n\
                M2 hi g 0 0 nlvt W=2u L=1u\n\
                M3 hi s 0 0 nlvt W=2u L=1u\n\
                M4 hi x 0 0 nlvt W=2u L=1u cgs=1f cgd=0 cgb=0.5f\n\
                .ic V(s)=1.8 V(g)=0\n";
    let c = build(text, None, &Variation::default());
    let self_c = |name: &str| {
        let i = c.free_names.iter().position(|n| n == name).unwrap();
        c.capacitance.c_ff[(i, i)]
    };
    let checks = [
        ("d", cov * w + cj * w, 1e-3),
        ("g", cox * w * l * (N - 1.0) / N + 2.0 * cov * w, 1e-3),
        ("s", (2.0 / 3.0 + (N - 1.0) / (3.0 * N)) * cox * w * l + 2.0 * cov * w, 0.03),
        ("x", 1.5e-15, 1e-9),
    ];
    for (node, expected, tolerance) in checks {
        let got = self_c(node);
        assert!((got / expected - 1.0).abs() < tolerance, "node {node}: {got:e} F vs {expected:e} F");
    }
}

/// The threshold of a transistor as a designer extracts it from its I-V curve, by the g_m/I_D
/// method: on the EKV law (PHYSICS.md section 1) in saturation, g_m n U_T / I_D =
/// F'(x)/F(x) with F(x) = ln^2(1 + e^{x/2}) and x = (V_G - V_T0)/(n U_T), which is
/// ln 2 / (2 ln^2 2) = 1/(2 ln 2) exactly at V_G = V_T0, whatever the current factor. g_m is a
/// central difference of the drain current (V_D = 1 V, source and bulk at 0); the gate
/// voltage where the ratio crosses 1/(2 ln 2) is found by bisection.
fn extracted_threshold(t: &Transistor, ut: f64) -> f64 {
    let current = |vg: f64| t.evaluate(&Terminals { d: 1.0, g: vg, s: 0.0, b: 0.0 }).i_d;
    let efficiency = |vg: f64| {
        let h = 1e-5;
        (current(vg + h) - current(vg - h)) / (2.0 * h) * N * ut / current(vg)
    };
    let target = 0.5 / std::f64::consts::LN_2;
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..32 {
        let mid = 0.5 * (lo + hi);
        if efficiency(mid) > target { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// The default reach of `calibrate --monte-carlo` rests on the root-sum-square of the devices'
/// gate-referred Pelgrom sigmas; here it is computed by hand from the card's A_VT (3.4 mV um)
/// and A_beta (1 % um) for two devices of 0.25 and 1 um^2 at 300 K (formula check, not physics).
#[test]
fn gate_referred_mismatch_adds_the_devices_in_quadrature() {
    let text = "mc\n.include models/nlvt.toml\nVd d 0 0.1\nM1 d 0 0 0 nlvt W=0.5u L=0.5u\nM2 d 0 0 0 nlvt W=1u L=1u\nR1 d 0 1meg\n";
    let spec = elaborate(&netlist(text, &[]), Some(300.0), &Variation::default()).unwrap();
    let ut = BOLTZMANN * 300.0 / ELEMENTARY_CHARGE;
    let (avt, abeta) = (3.4e-3, 0.01);
    let by_hand =
        ((avt / 0.5f64).powi(2) + avt.powi(2) + (ut * abeta / 0.5).powi(2) + (ut * abeta).powi(2)).sqrt();
    let got = spec.gate_referred_mismatch();
    assert!((got / by_hand - 1.0).abs() < 1e-9, "{got} against {by_hand}");
    let ideal = "ideal\n.include models/ideal_n.toml\nVd d 0 0.1\nM1 d 0 0 0 ideal_n W=1u L=1u\n";
    let spec = elaborate(&netlist(ideal, &[]), Some(300.0), &Variation::default()).unwrap();
    assert_eq!(spec.gate_referred_mismatch(), 0.0);
}

/// Pelgrom: over 4000 Monte Carlo samples the threshold of one device (W = L = 0.5 um,
/// sky130-like card: A_VT 3.4 mV um), extracted from its I-V curve ([`extracted_threshold`]),
/// and its current-factor deviation (A_beta 1 % um) have standard deviations A / sqrt(W L)
/// within 5 standard errors (SE = sigma / sqrt(2 N)) and means within 5 sigma / sqrt(N),
/// uncorrelated; sample 0 is nominal; an instance's draw depends on its name and the sample,
/// not on the other elements or their order.
#[test]
fn mismatch_draws_follow_pelgrom() {
    let text = "mc\n.include models/nlvt.toml\nVd d 0 0.1\nM1 d 0 0 0 nlvt W=0.5u L=0.5u\nM2 d 0 0 0 nlvt W=1u L=1u\n";
    let reordered = "mc\n.include models/nlvt.toml\nM2 d 0 0 0 nlvt W=1u L=1u\nVd d 0 0.1\nM9 d 0 0 0 nlvt W=3u L=1u\nM1 d 0 0 0 nlvt W=0.5u L=0.5u\n";
    let deviation = |text: &str, k: u64, name: &str| {
        let spec = elaborate(&netlist(text, &[]), None, &Variation::sample(7, k)).unwrap();
        spec.elements
            .iter()
            .find_map(|e| match (&e.kind, e.name == name) {
                (SpecKind::Mosfet { deviation, .. }, true) => Some(*deviation),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(deviation(text, 0, "m1"), Default::default());
    let n = 4000;
    let (mut vt, mut beta) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let ut = BOLTZMANN * TNOM / ELEMENTARY_CHARGE;
    let nominal_vt = extracted_threshold(transistor(&build(text, None, &Variation::default()), "m1"), ut);
    assert!((nominal_vt - VT0).abs() < 1e-6, "the extraction finds the card's V_T0: {nominal_vt}");
    for k in 1..=n as u64 {
        let d = deviation(text, k, "m1");
        let device = build(text, None, &Variation::sample(7, k));
        vt.push(extracted_threshold(transistor(&device, "m1"), ut) - nominal_vt);
        beta.push(d.beta);
        if k <= 20 {
            assert_eq!(d, deviation(reordered, k, "m1"), "sample {k}: order or neighbours changed the draw");
        }
    }
    let moments = |x: &[f64]| {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        (m, (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt())
    };
    let nf = n as f64;
    for (x, sigma, what) in [(&vt, 3.4e-9 / 0.5e-6, "V_T0"), (&beta, 1e-8 / 0.5e-6, "beta")] {
        let (m, sd) = moments(x);
        assert!(m.abs() < 5.0 * sigma / nf.sqrt(), "{what}: mean {m:e}");
        assert!((sd / sigma - 1.0).abs() < 5.0 / (2.0 * nf).sqrt(), "{what}: sd {sd:e} vs {sigma:e}");
    }
    let (mv, sv) = moments(&vt);
    let (mb, sb) = moments(&beta);
    let r = vt.iter().zip(&beta).map(|(a, b)| (a - mv) * (b - mb)).sum::<f64>() / ((nf - 1.0) * sv * sb);
    assert!(r.abs() < 5.0 / nf.sqrt(), "V_T0 and beta deviations correlated: {r}");
    // Deliberate offsets on the line add to the draw.
    let offset = text.replace("W=0.5u L=0.5u", "W=0.5u L=0.5u dvt=5m dbeta=0.1");
    let with = deviation(&offset, 3, "m1");
    let draw = deviation(text, 3, "m1");
    assert!((with.vt - draw.vt - 5e-3).abs() < 1e-15 && (with.beta - draw.beta - 0.1).abs() < 1e-15);
    // The elaborated transistor carries the draw: its threshold moves by exactly dV_T0.
    let nominal = build(text, None, &Variation::default());
    let sample = build(text, None, &Variation::sample(7, 3));
    let shift = transistor(&sample, "m1").parameters().vt0 - transistor(&nominal, "m1").parameters().vt0;
    assert!((shift - deviation(text, 3, "m1").vt).abs() < 1e-15);
}

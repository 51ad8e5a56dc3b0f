//! Per-instance temperatures, `temp=` and `dtemp=` on resistors and transistors (ngspice
//! meaning): parsed as ngspice reads them, and used by the device laws and the noise of that
//! instance on both engines, against closed forms computed here.

mod common;

use common::{Engine, NodeStats, stationary};
use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::{ElementKind, InstanceTemperature, Netlist};
use pbitsim::circuit::{Circuit, DeviceKind};
use pbitsim::device::Terminals;
use pbitsim::units::{BOLTZMANN, ZERO_CELSIUS, thermal_voltage};

fn netlist(text: &str) -> Netlist {
    Netlist::parse_str(text, "temp.cir", &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// The netlist elaborated at `circuit_k`.
fn circuit(text: &str, circuit_k: f64) -> Circuit {
    Circuit::build(&elaborate(&netlist(text), Some(circuit_k), &Default::default()).unwrap()).unwrap()
}

fn temperature_of(netlist: &Netlist, name: &str) -> Option<InstanceTemperature> {
    match &netlist.element(name).unwrap().kind {
        ElementKind::Resistor { temperature, .. } | ElementKind::Mosfet { temperature, .. } => *temperature,
        other => panic!("{other:?}"),
    }
}

#[test]
fn temp_is_celsius_and_dtemp_an_offset() {
    let n = netlist(
        "t\n.param hot=85\nR1 a 0 1k temp=50\nR2 a 0 1k dtemp=10\nR3 a 0 1k TEMP=300K\nR4 a 0 1k temp={hot}\nM1 a a 0 0 n W=1u L=1u dtemp=-5\nR5 a 0 1k\nC1 a 0 1f\n",
    );
    let close = |t: Option<InstanceTemperature>, expected: InstanceTemperature| match (t, expected) {
        (Some(InstanceTemperature::Absolute(a)), InstanceTemperature::Absolute(b))
        | (Some(InstanceTemperature::Offset(a)), InstanceTemperature::Offset(b)) => (a - b).abs() < 1e-9,
        _ => false,
    };
    assert!(close(temperature_of(&n, "r1"), InstanceTemperature::Absolute(50.0 + ZERO_CELSIUS)));
    assert!(close(temperature_of(&n, "r2"), InstanceTemperature::Offset(10.0)));
    assert!(close(temperature_of(&n, "r3"), InstanceTemperature::Absolute(300.0)));
    assert!(close(temperature_of(&n, "r4"), InstanceTemperature::Absolute(85.0 + ZERO_CELSIUS)));
    assert!(close(temperature_of(&n, "m1"), InstanceTemperature::Offset(-5.0)));
    assert_eq!(temperature_of(&n, "r5"), None);
    let error = |text: &str, needles: &[&str]| {
        let message =
            Netlist::parse_str(&format!("t\nC9 a 0 1f\n{text}\n"), "bad.cir", &[]).unwrap_err().to_string();
        assert!(message.starts_with("bad.cir:3: "), "{message}");
        for needle in needles {
            assert!(message.contains(needle), "'{message}' should contain '{needle}'");
        }
    };
    error("R1 a 0 1k temp=27 dtemp=3", &["'dtemp'", "temp= (degrees C) or dtemp=", "once"]);
    error("R1 a 0 1k temp=-300", &["'-300'", "absolute zero"]);
    error("R1 a 0 1k tc1=1m", &["'tc1'", "temp= or dtemp=", "no temperature coefficients"]);
    error("C1 a 0 1f temp=50", &["'temp'", "none"]);
    error("M1 a a 0 0 n W=1u L=1u temp=20 temp=30", &["second temperature"]);
    // A dtemp below absolute zero at the circuit temperature is refused at elaboration.
    let cold = netlist("t\nV1 in 0 0\nR1 in a 1meg dtemp=-400\nC1 a 0 1f\n");
    let message =
        Circuit::build(&elaborate(&cold, Some(300.0), &Default::default()).unwrap()).unwrap_err().to_string();
    assert!(message.contains("temp.cir:3") && message.contains("r1 would be at -100 K"), "{message}");
}

/// A transistor with its own temperature evaluates its card there: the weak-inversion law
/// I = 2 n KP(T) (W/L) U_T^2 e^{(V_G - V_T0(T))/(n U_T)} (e^{-V_S/U_T} - e^{-V_D/U_T}) with
/// V_T0(T) = VTO - TCV (T - TNOM), KP(T) = KP (T/TNOM)^BEX (PHYSICS.md 1), computed here.
#[test]
fn a_transistor_is_evaluated_at_its_own_temperature() {
    let (vto, kp, n, tcv, bex, tnom) = (0.2, 50e-6, 1.25, 1.2e-3, -1.3, 300.15);
    let text = format!(
        "t\n.model nx nmos (level=ekv vto={vto} kp={kp} n={n} tcv={tcv} bex={bex} interpolation=exponential)\nVd d 0 0.1\nVg g 0 0.15\nM1 d g s 0 nx W=2u L=1u temp=80\nM2 d g s 0 nx W=2u L=1u dtemp=-40\nM3 d g s 0 nx W=2u L=1u\nCs s 0 1f\n"
    );
    let circuit_k = 310.0;
    let c = circuit(&text, circuit_k);
    let law = |t: f64| {
        let ut = thermal_voltage(t);
        let vt0 = vto - tcv * (t - tnom);
        let kp_t = kp * (t / tnom).powf(bex);
        let (vg, vs, vd) = (0.15, 0.02, 0.1);
        2.0 * n * kp_t * 2.0 * ut * ut * ((vg - vt0) / (n * ut)).exp() * ((-vs / ut).exp() - (-vd / ut).exp())
    };
    let bias = Terminals { d: 0.1, g: 0.15, s: 0.02, b: 0.0 };
    for (device, t) in c.devices.iter().zip([80.0 + ZERO_CELSIUS, circuit_k - 40.0, circuit_k]) {
        let DeviceKind::Mosfet(transistor) = &device.kind else { panic!("{}", device.name) };
        let current = transistor.evaluate(&bias).i_d;
        assert!((current / law(t) - 1.0).abs() < 1e-10, "{}: {current} vs {}", device.name, law(t));
    }
}

/// Relative error of the variance and its standard error (from the run's SE of the std).
fn variance_error(s: &NodeStats, expected: f64) -> (f64, f64) {
    let variance = s.std * s.std;
    (variance / expected - 1.0, 2.0 * s.se_std / s.std)
}

fn check(label: &str, s: &NodeStats, expected_variance: f64) {
    let (error, se) = variance_error(s, expected_variance);
    eprintln!(
        "{label}: variance {:.4e} V^2, expected {expected_variance:.4e} (k T_eff / C): error {:+.3} % +- {:.3} %",
        s.std * s.std,
        100.0 * error,
        100.0 * se
    );
    assert!(4.5 * se < 0.03, "{label}: the run does not resolve 3 % (SE {se})");
    assert!(error.abs() < 4.5 * se, "{label}: variance off by {error} ({} SE)", error / se);
}

/// A resistor at its own temperature T2 alone on a capacitor: the node is Boltzmann at T2,
/// variance k T2 / C, whatever the circuit temperature (both engines). Tolerance 4.5 SE of
/// the run (about 2.5 %); using the circuit's temperature instead would be 30 % off.
#[test]
fn a_resistor_at_its_own_temperature_charges_its_node_to_k_t2_over_c() {
    let (c, r, t2, circuit_k) = (0.1e-15, 1e6, 420.0, 290.0);
    let text = format!("t\nV1 in 0 0\nR1 in out {r} temp={}\nC1 out 0 {c}\n", t2 - ZERO_CELSIUS);
    let circuit = circuit(&text, circuit_k);
    let expected = BOLTZMANN * t2 / c;
    let tau = r * c;
    for (engine, label) in [(Engine::Jump, "jump"), (Engine::Sde { dt: tau / 200.0 }, "sde")] {
        let s = stationary(&circuit, engine, 16, 20.0 * tau, 4000.0 * tau, tau / 4.0, 11);
        check(&format!("R at {t2} K, circuit at {circuit_k} K, {label}"), &s[0], expected);
        assert!(s[0].mean.abs() < 4.5 * s[0].se_mean, "{label}: mean {}", s[0].mean);
    }
}

/// Two resistors at different temperatures in parallel on one capacitor: the Johnson current
/// sources 4 k T_i / R_i add, the conductances add, so the node variance is
/// k T_eff / C with T_eff = (T1 R2 + T2 R1) / (R1 + R2) (both engines). At 1 fF the
/// discreteness of the charge changes this by about q / (12 C U_T) < 0.1 %, well inside the
/// 4.5 SE tolerance (about 2.5 %).
#[test]
fn parallel_resistors_at_two_temperatures_give_the_weighted_temperature() {
    let (c, r1, r2, t1, circuit_k, dtemp) = (1e-15, 3e6, 1e6, 250.0, 300.0, 200.0);
    let t2 = circuit_k + dtemp;
    let text = format!(
        "t\nV1 in 0 0\nR1 out in {r1} temp={}\nR2 out 0 {r2} dtemp={dtemp}\nC1 out 0 {c}\n",
        t1 - ZERO_CELSIUS
    );
    let circuit = circuit(&text, circuit_k);
    let t_eff = (t1 * r2 + t2 * r1) / (r1 + r2);
    assert!((t_eff - 437.5).abs() < 1e-9);
    let expected = BOLTZMANN * t_eff / c;
    let tau = r1 * r2 / (r1 + r2) * c;
    for (engine, label) in [(Engine::Jump, "jump"), (Engine::Sde { dt: tau / 200.0 }, "sde")] {
        let s = stationary(&circuit, engine, 16, 20.0 * tau, 4000.0 * tau, tau / 4.0, 12);
        check(&format!("R1 at {t1} K, R2 at {t2} K, {label}"), &s[0], expected);
    }
}

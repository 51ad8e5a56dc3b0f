//! Waveform sources (PULSE, PWL, SIN) through parser, circuit and both engines, against
//! closed forms computed here: the time constant of a PULSE-driven RC is R C, and the
//! source node follows the waveform's formula.

use std::path::PathBuf;

use pbitsim::circuit::netlist::{ElementKind, Netlist};
use pbitsim::sde::MethodKind;
use pbitsim::simulate::{Engine, Outcome, SimulateConfig, prepare, run};

fn write_netlist(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pbitsim_sources_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn simulate(path: PathBuf, engine: Engine, accuracy: f64, runs: usize, record_every: f64) -> Outcome {
    let config = SimulateConfig {
        circuit: path,
        engine,
        accuracy,
        runs,
        seed: 7,
        threads: 1,
        record_every: Some(record_every),
        ..SimulateConfig::default()
    };
    let prepared = prepare(&config).unwrap_or_else(|e| panic!("{e}"));
    run(&config, prepared, &|_| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// The run-averaged trace: (time, V(out), V(in)) per recorded row (columns: time, the free
/// node out, then the readouts vout and vin).
fn mean_trace(outcome: &Outcome) -> Vec<(f64, f64, f64)> {
    let records = &outcome.records;
    let rows = records[0].rows.len() / records[0].row_len;
    (0..rows)
        .map(|r| {
            let at = |k: usize| {
                records.iter().map(|rec| rec.rows[r * rec.row_len + k]).sum::<f64>() / records.len() as f64
            };
            (at(0), at(1), at(3))
        })
        .collect()
}

/// Least-squares slope of ln(1 - V/V_high) against time over [from, to]: -1/tau.
fn fitted_tau(trace: &[(f64, f64, f64)], from: f64, to: f64) -> f64 {
    let points: Vec<(f64, f64)> =
        trace.iter().filter(|p| p.0 >= from && p.0 <= to).map(|p| (p.0, (1.0 - p.1).ln())).collect();
    let n = points.len() as f64;
    let (mt, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let sxy: f64 = points.iter().map(|p| (p.0 - mt) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mt).powi(2)).sum();
    -sxx / sxy
}

const RC_DECK: &str = "PULSE-driven RC\n\
    .param r=100k c=10p\n\
    V1 in 0 PULSE(0 1 1u 1n 1n 20u 40u)\n\
    R1 in out {r}\n\
    C1 out 0 {c}\n\
    .tran 10n 11u\n\
    .output analog vout V(out)\n\
    .output analog vin V(in)\n";

/// The SDE engine: the rising edge of V(out) after a 1 V pulse edge is 1 - e^{-t/RC}, with
/// RC = 1 us computed here. With C = 10 pF the thermal noise sqrt(kT/C) = 20 uV; at the end
/// of the fit window (4 RC, 1 - V = 0.018) it is 0.1 % of 1 - V and the fitted slope's error
/// from it is far below 0.1 % (hundreds of points, correlated over RC/2: ~10 independent
/// ones). Heun's method at accuracy 1e-4 takes steps of RC/100, whose deterministic error is
/// O((h/RC)^2) ~ 1e-4. Tolerance 1 %.
#[test]
fn pulse_driven_rc_time_constant_sde() {
    let path = write_netlist("rc_sde.cir", RC_DECK);
    let outcome = simulate(path, Engine::Sde(MethodKind::Heun), 1e-4, 1, 10e-9);
    let trace = mean_trace(&outcome);
    let rc = 100e3 * 10e-12;
    let edge = 1e-6 + 0.5e-9;
    let tau = fitted_tau(&trace, edge + 0.2 * rc, edge + 4.0 * rc);
    eprintln!("SDE: fitted tau {tau:e} s, RC {rc:e} s, ratio {}", tau / rc);
    assert!((tau / rc - 1.0).abs() < 0.01, "fitted tau {tau:e} s, RC = {rc:e} s");
    // The source node reads the PULSE formula: 0 before 1 us, the ramp, 1 after.
    for &(t, _, vin) in &trace {
        let expected = if t <= 1e-6 {
            0.0
        } else if t < 1.001e-6 {
            (t - 1e-6) / 1e-9
        } else {
            1.0
        };
        assert!((vin - expected).abs() < 1e-9, "V(in) at {t:e} is {vin}, PULSE gives {expected}");
    }
    // Before the edge V(out) is at rest (within 6 noise sigma).
    let before = trace.iter().filter(|p| p.0 < 1e-6).map(|p| p.1.abs()).fold(0.0, f64::max);
    assert!(
        before < 6.0 * (1.380649e-23 * 300.15 / 10e-12f64).sqrt(),
        "V(out) moved before the edge: {before}"
    );
}

/// The jump engine (Gillespie, rates frozen over intervals in which no source moves by more
/// than 0.002 U_T, see `pbitsim::jump::driven`): the run-averaged rising edge of a
/// 1 MOhm, 10 fF RC (RC = 10 ns, 62000 electrons per volt) has time constant RC. Each run's
/// noise is sqrt(kT/C) = 0.64 mV; averaged over 16 runs 0.16 mV, which at 3 RC (1 - V =
/// 0.05) is 0.3 % of 1 - V; the fitted slope, from ~6 independent stretches of RC/2, has a
/// standard error near 0.3 % / sqrt(6) x a leverage factor of ~2, about 0.25 %. Tolerance 1 %
/// (4 standard errors).
#[test]
fn pulse_driven_rc_time_constant_jump() {
    let deck = RC_DECK
        .replace("r=100k c=10p", "r=1meg c=10f")
        .replace("PULSE(0 1 1u 1n 1n 20u 40u)\n", "PULSE(0 1 10n 10p 10p 200n 400n)\n");
    let deck = deck.replace(".tran 10n 11u", ".tran 0.1n 60n");
    let path = write_netlist("rc_jump.cir", &deck);
    let outcome = simulate(path, Engine::Gillespie, 0.005, 16, 0.05e-9);
    let trace = mean_trace(&outcome);
    let rc = 1e6 * 10e-15;
    let edge = 10e-9 + 5e-12;
    let tau = fitted_tau(&trace, edge + 0.2 * rc, edge + 3.0 * rc);
    eprintln!("jump: fitted tau {tau:e} s, RC {rc:e} s, ratio {}, {} points", tau / rc, trace.len());
    assert!((tau / rc - 1.0).abs() < 0.01, "fitted tau {tau:e} s, RC = {rc:e} s");
}

/// A SIN source drives its node with the closed form, and the DC value given with a
/// waveform is the operating-point value while the transient starts from the waveform.
#[test]
fn sin_source_node_follows_closed_form() {
    let deck = "sine\nV1 in 0 DC 0.3 SIN(0.1 0.2 1meg 100n 1e5 45)\nR1 in out 1meg\nC1 out 0 1f\n\
                .tran 1n 2u\n.output analog vin V(in)\n.output analog vout V(out)\n";
    let netlist = Netlist::parse_str(deck, "sine.cir", &[]).unwrap();
    let ElementKind::VoltageSource { volts, waveform, .. } = &netlist.elements[0].kind else { panic!() };
    assert_eq!(*volts, 0.3);
    assert!(waveform.is_some());
    let path = write_netlist("sine.cir", deck);
    let outcome = simulate(path, Engine::Sde(MethodKind::Lm), 0.005, 1, 10e-9);
    let record = &outcome.records[0];
    let phase = 45f64.to_radians();
    for row in record.rows.chunks_exact(record.row_len) {
        let (t, vin) = (row[0], row[2]);
        let expected = if t <= 100e-9 {
            0.1 + 0.2 * phase.sin()
        } else {
            let s = t - 100e-9;
            0.1 + 0.2 * (-1e5 * s).exp() * (2.0 * std::f64::consts::PI * 1e6 * s + phase).sin()
        };
        assert!((vin - expected).abs() < 1e-12, "V(in) at {t:e} is {vin}, SIN gives {expected}");
    }
}

/// PWL in the netlist: the parsed points, in SI units, with parameters and braces.
#[test]
fn pwl_parses_points_with_parameters() {
    let deck =
        "pwl\n.param vh=0.8\nV1 in 0 PWL(0 0, 1n {vh}, 2.5ns 0.2)\nI1 in 0 pwl 0 0 1u 1n\nR1 in 0 1k\n";
    let netlist = Netlist::parse_str(deck, "pwl.cir", &[]).unwrap();
    let ElementKind::VoltageSource { waveform: Some(w), volts, .. } = &netlist.elements[0].kind else {
        panic!()
    };
    assert_eq!(*volts, 0.0);
    assert!((w.value(0.5e-9) - 0.4).abs() < 1e-12);
    assert!((w.value(2e-9) - (0.8 - 0.6 * 2.0 / 3.0)).abs() < 1e-12);
    assert_eq!(w.value(1.0), 0.2);
    let ElementKind::CurrentSource { waveform: Some(i), .. } = &netlist.elements[1].kind else { panic!() };
    assert!((i.value(0.5e-6) - 0.5e-9).abs() < 1e-21);
    // --set replaces the parameter inside the waveform.
    let set = Netlist::parse_str(deck, "pwl.cir", &[("vh".into(), "0.6".into())]).unwrap();
    let ElementKind::VoltageSource { waveform: Some(w), .. } = &set.elements[0].kind else { panic!() };
    assert!((w.value(1e-9) - 0.6).abs() < 1e-12);
}

/// Setting a circuit to a time moves its driven fixed nodes to the waveform's values, and the
/// fast (log-linear) fluxes of the transistors gated by them follow: they equal the general
/// midpoint evaluation at every time (the p-bit whose gate controls are PULSEs).
#[test]
fn set_time_moves_fixed_nodes_and_fast_fluxes() {
    use pbitsim::circuit::Circuit;
    use pbitsim::circuit::elaborate::elaborate;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/pbit_step.cir");
    let netlist = Netlist::parse_file(&path, &[]).unwrap();
    let spec = elaborate(&netlist, None, &Default::default()).unwrap();
    let mut circuit = Circuit::build(&spec).unwrap();
    assert!(circuit.is_driven());
    let ina = circuit.fixed_names.iter().position(|n| n == "ina").unwrap();
    let v = [0.004, -0.007];
    for t in [0.0, 100e-9, 200.5e-9, 300e-9, 600.7e-9, 900e-9] {
        circuit.set_time(t);
        // vb + vin/2 with vin = -50 mV before the edge, +50 mV after (1 ns linear edges).
        let expected = if !(200e-9..=602e-9).contains(&t) {
            -0.025 - 0.025
        } else if t < 201e-9 {
            -0.05 + 0.05 * (t - 200e-9) / 1e-9
        } else if t < 601e-9 {
            0.0
        } else {
            0.0 - 0.05 * (t - 601e-9) / 1e-9
        };
        assert!((circuit.fixed_voltages[ina] - expected).abs() < 1e-12, "V(ina) at {t:e}");
        let mut fast = Vec::new();
        circuit.for_each_flux(&v, |_, _, f, r, _| fast.push((f, r)));
        for (device, (f, r)) in circuit.devices.iter().zip(fast) {
            let (gf, gr, _) = circuit.midpoint_fluxes(device, &v);
            assert!((f / gf - 1.0).abs() < 1e-12 && (r / gr - 1.0).abs() < 1e-12, "{} at {t:e}", device.name);
        }
    }
}

/// Capacitive feedthrough: a 1 V edge on one plate of C1, whose other plate `out` has C2 to
/// ground and only a 1 GOhm leak (time constant (C1 + C2) R = 2 us), moves `out` by the divider
/// C1 / (C1 + C2) = 1/2 within the edge, in both engines. Checked 5 ns after the edge: the
/// leak has taken 0.25 % of the step by then (1.2 mV), the noise sqrt(kT/(C1 + C2)) is
/// 1.4 mV per run; averaged over 8 runs 0.5 mV. Tolerance 5 mV (above 3 sigma plus the leak).
#[test]
fn capacitive_feedthrough_of_a_pulse_edge() {
    let deck = "feedthrough\nV1 in 0 PULSE(0 1 1n 1n 1n 100n)\nC1 in out 1f\nC2 out 0 1f\nR1 out 0 1g\n\
                .tran 0.1n 9n\n.output analog vout V(out)\n.output analog vin V(in)\n";
    let path = write_netlist("feed.cir", deck);
    for engine in [Engine::Sde(MethodKind::Heun), Engine::Gillespie] {
        let outcome = simulate(path.clone(), engine, 0.005, 8, 0.1e-9);
        let trace = mean_trace(&outcome);
        let (t, v, _) =
            *trace.iter().min_by(|a, b| (a.0 - 7e-9).abs().total_cmp(&(b.0 - 7e-9).abs())).unwrap();
        let expected = 0.5 * (-(t - 1.5e-9) / 2e-6f64).exp();
        assert!((v - expected).abs() < 5e-3, "{engine:?}: V(out) at {t:e} is {v}, expected {expected}");
        let before = trace.iter().filter(|p| p.0 < 1e-9).map(|p| p.1.abs()).fold(0.0, f64::max);
        assert!(before < 0.01, "{engine:?}: V(out) before the edge {before}");
    }
}

/// Steps end on breakpoints: dx = 1{t >= 0.3} dt with no noise, integrated by Euler-Maruyama
/// (drift taken at each step's start) on fixed steps of 0.25, gives exactly x(1) = 0.7 only
/// if a step ends at 0.3 (straddling it would give 0.5); the shift hook adds its increment
/// exactly (here 2 t: x(1) = 0.7 + 2).
#[test]
fn sde_steps_land_on_breakpoints_and_apply_shifts() {
    use pbitsim::rng::Seed;
    use pbitsim::sde::{EulerMaruyama, NoiseShape, Schedule, System, ensemble, integrate};
    struct Switch;
    impl System for Switch {
        fn dim(&self) -> usize {
            1
        }
        fn noise_dim(&self) -> usize {
            1
        }
        fn noise_shape(&self) -> NoiseShape {
            NoiseShape::Scalar
        }
        fn drift(&self, t: f64, _x: &[f64], f: &mut [f64]) {
            f[0] = if t >= 0.3 { 1.0 } else { 0.0 };
        }
        fn diffusion(&self, _t: f64, _x: &[f64], g: &mut [f64]) {
            g[0] = 0.0;
        }
        fn next_breakpoint(&self, t: f64) -> Option<f64> {
            (t < 0.3).then_some(0.3)
        }
        fn has_shift(&self) -> bool {
            true
        }
        fn shift(&self, t0: f64, t1: f64, x: &mut [f64]) {
            x[0] += 2.0 * (t1 - t0);
        }
    }
    let ends = ensemble(1, Seed(3), 1, |_, rng| {
        let mut x = vec![0.0];
        integrate(
            &Switch,
            &EulerMaruyama,
            &Schedule::fixed(1.0, 0.25, 0.25),
            &mut x,
            rng,
            &mut |_, _: &[f64]| std::ops::ControlFlow::Continue(()),
        )?;
        Ok::<_, pbitsim::sde::SdeError>(x[0])
    })
    .unwrap();
    assert!((ends[0] - 2.7).abs() < 1e-12, "x(1) = {}", ends[0]);
}

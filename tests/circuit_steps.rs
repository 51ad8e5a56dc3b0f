//! Transient runs that cannot be silently wrong: the Ito correction of Heun's method against
//! finite differences, methods suggested by messages exist and apply, blow-ups are refused or
//! stopped before anything is written, tau-leaps bound every rate, implicit methods choose a
//! step their Newton iteration converges at, fast correlation times are resolved, and
//! --check-step records both steps.

mod scratch;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::Netlist;
use pbitsim::circuit::{Circuit, CircuitSde};
use pbitsim::jump::JumpError;
use pbitsim::sde::{Method, MethodKind, Milstein, NoiseShape, SdeError, Sriw1, System};
use pbitsim::simulate::{self, Engine, SimulateConfig};
use pbitsim::units::BOLTZMANN;
use scratch::Scratch;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pbitsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pbitsim")).args(args).output().expect("run pbitsim")
}

fn load(path: &Path, temperature: f64, sets: &[(&str, &str)]) -> Circuit {
    let overrides: Vec<(String, String)> = sets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let netlist = Netlist::parse_file(path, &overrides).unwrap();
    Circuit::build(&elaborate(&netlist, Some(temperature), &Default::default()).unwrap()).unwrap()
}

/// The circuit with every System method but the Ito correction, which falls back to the
/// trait's central differences of the diffusion matrix.
struct Generic<'a>(CircuitSde<'a>);

impl System for Generic<'_> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn noise_dim(&self) -> usize {
        self.0.noise_dim()
    }
    fn noise_shape(&self) -> NoiseShape {
        self.0.noise_shape()
    }
    fn drift(&self, t: f64, x: &[f64], f: &mut [f64]) {
        self.0.drift(t, x, f)
    }
    fn diffusion(&self, t: f64, x: &[f64], g: &mut [f64]) {
        self.0.diffusion(t, x, g)
    }
}

/// (1/2) sum_k (g_k . grad) g_k from the circuit's own derivatives (exact for log-linear
/// transistors, analytic for resistors, a difference along dv_k for EKV devices) equals the
/// central differences of the diffusion matrix, for every component including the energy.
#[test]
fn ito_correction_matches_finite_differences_of_the_noise() {
    let dir = Scratch::new("steps", "ekv");
    let ekv = dir.path("ekv.cir");
    let models = root().join("models");
    std::fs::write(
        &ekv,
        format!(
            "EKV inverter with a resistive load\n.include {}\n.include {}\nVdd vdd 0 0.3\nVin in 0 0.12\n\
             M1 out in 0 0 nlvt W=1u L=0.5u\nM2 out in vdd vdd plvt W=1u L=0.5u\nR1 out mid 2meg\nC2 mid 0 30a\n\
             Cout out 0 40a\n.tran 1p 1n\n.end\n",
            models.join("nlvt.toml").display(),
            models.join("plvt.toml").display()
        ),
    )
    .unwrap();
    let circuits = [
        load(&root().join("circuits/pbit.cir"), 300.0, &[("vin", "20m")]),
        load(&root().join("circuits/rc.cir"), 250.0, &[]),
        load(&root().join("circuits/inverter.cir"), 300.0, &[]),
        load(&ekv, 320.0, &[]),
    ];
    for c in &circuits {
        let sys = CircuitSde::new(c);
        let n = sys.dim();
        let mut largest = 0.0f64;
        for shift in [0.0, 0.013, -0.021, 0.037] {
            let mut x = sys.initial_state();
            for (i, v) in x.iter_mut().take(c.free_count()).enumerate() {
                *v += shift * (1.0 + 0.5 * i as f64);
            }
            let (mut own, mut differences) = (vec![0.0; n], vec![0.0; n]);
            sys.ito_correction(0.0, &x, &mut own);
            Generic(sys).ito_correction(0.0, &x, &mut differences);
            let scale = own.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            largest = largest.max(scale);
            for i in 0..n {
                assert!(
                    (own[i] - differences[i]).abs() <= 1e-5 * scale,
                    "{} at {x:?}, component {i}: {} vs {}",
                    c.title,
                    own[i],
                    differences[i]
                );
            }
        }
        assert!(largest > 0.0, "{}: no correction anywhere", c.title);
    }
}

/// Method names a message suggests: the words after "--method " and the list after " use "
/// (up to the next ';', '.' or ')').
fn suggested(message: &str) -> Vec<String> {
    let mut names = Vec::new();
    for part in message.split("--method ").skip(1) {
        names.push(part.split(|c: char| !c.is_alphanumeric() && c != '-').next().unwrap().to_string());
    }
    for part in message.split(" use ").skip(1) {
        let list = part.split([';', '.', ')']).next().unwrap();
        if list.starts_with("--") {
            continue;
        }
        for word in list.split([',', ' ']).filter(|w| !w.is_empty() && *w != "or" && *w != "and") {
            names.push(word.to_string());
        }
    }
    names
}

/// Every message that suggests a method names one that exists and applies to circuits
/// (general, multiplicative noise); none suggests the non-existent "theta".
#[test]
fn every_suggested_method_exists_and_applies() {
    let mut messages = vec![
        SdeError::NonFinite { t: 1e-9, component: 0, value: f64::NAN }.to_string(),
        SdeError::NewtonFailed { t: 1e-9, iterations: 20, correction: 1.0, halvings: 10 }.to_string(),
        Milstein.check(NoiseShape::General).unwrap_err().to_string(),
        Sriw1.check(NoiseShape::General).unwrap_err().to_string(),
        JumpError::LeapTooLarge { t: 1e-9, device: "M1".into(), expected: 40.0, jump_mv: 20.0 }.to_string(),
    ];
    // The divergence message of a real run.
    let rc = root().join("circuits/rc.cir");
    let forced = pbitsim(&["simulate", rc.to_str().unwrap(), "--dt", "10n", "--tstop", "200n", "--force-dt"]);
    messages.push(String::from_utf8_lossy(&forced.stderr).into_owned());
    let mut checked = 0;
    for message in &messages {
        assert!(!message.contains("theta"), "{message}");
        for name in suggested(message) {
            let applies = match Engine::parse("sde", Some(&name)) {
                Ok(Engine::Sde(kind)) => {
                    let check = match kind {
                        MethodKind::Milstein => Milstein.check(NoiseShape::General),
                        MethodKind::Sri => Sriw1.check(NoiseShape::General),
                        _ => Ok(()),
                    };
                    check.is_ok()
                }
                _ => Engine::parse("jump", Some(&name)).is_ok(),
            };
            assert!(applies, "'{name}' suggested by \"{message}\" is not a method for circuits");
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} suggestions found in {messages:#?}");
}

/// `simulate circuits/rc.cir --dt 10n --tstop 200n` (a step 100 times the RC time constant) is
/// refused naming the accuracy bound; forced, the run stops at the divergence bound naming
/// the node, the time and the cause; neither writes a file. The advice (an implicit method)
/// works.
#[test]
fn blow_up_is_refused_or_stopped_before_output() {
    let dir = Scratch::new("steps", "blowup");
    let rc = root().join("circuits/rc.cir");
    let trace = dir.path("trace.csv");
    let summary = dir.path("summary.json");
    let args = ["simulate", rc.to_str().unwrap(), "--dt", "10n", "--tstop", "200n"];
    let outputs = ["--out", trace.to_str().unwrap(), "--summary", summary.to_str().unwrap()];
    let refused = pbitsim(&[&args[..], &outputs[..]].concat());
    let text = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("--dt 10 ns is beyond the accuracy bound 7.0711 ps"), "{text}");
    assert!(text.contains("--force-dt"), "{text}");
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());

    let forced = pbitsim(&[&args[..], &outputs[..], &["--force-dt"]].concat());
    let text = String::from_utf8_lossy(&forced.stderr);
    assert!(!forced.status.success(), "{text}");
    for needle in ["diverged", "V(out)", "at t = ", "the step 10 ns is 100 times", "--method implicit"] {
        assert!(text.contains(needle), "'{needle}' missing from: {text}");
    }
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());

    let implicit =
        pbitsim(&[&args[..], &outputs[..], &["--force-dt", "--method", "implicit", "--quiet"]].concat());
    assert!(implicit.status.success(), "{}", String::from_utf8_lossy(&implicit.stderr));
    assert_eq!(dir.entries(), ["summary.json", "trace.csv"]);
}

/// Standard deviation of the node of `config` pooled over runs, with the standard error from
/// the spread of the per-run values.
fn node_std(config: &SimulateConfig) -> (f64, f64) {
    let prepared = simulate::prepare(config).unwrap();
    let outcome = simulate::run(config, prepared, &|_| {}).unwrap();
    let stds: Vec<f64> = outcome.records.iter().map(|r| r.nodes[0].std()).collect();
    let n = stds.len() as f64;
    let mean = stds.iter().sum::<f64>() / n;
    let se = (stds.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    (mean, se)
}

/// rc.cir by tau-leaping: a 20 ps leap (a fifth of RC) is refused, naming the
/// Cao-Gillespie-Petzold bound; the chosen leaps give kT/C within sampling error, where the
/// forced 20 ps leap gives a standard deviation about 5 % high (EM-like: 1/sqrt(1 - h/2RC)).
#[test]
fn tau_leaps_bound_every_rate() {
    let rc = root().join("circuits/rc.cir");
    let refused =
        pbitsim(&["simulate", rc.to_str().unwrap(), "--engine", "jump", "--method", "tau", "--dt", "20p"]);
    let text = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && text.contains("Cao-Gillespie-Petzold leap"), "{text}");
    let sigma = (BOLTZMANN * 300.15 / 0.1e-15).sqrt();
    let config = SimulateConfig {
        circuit: rc.clone(),
        engine: Engine::TauLeap,
        tstop: Some(640e-9),
        warmup: 1e-9,
        runs: 32,
        seed: 3,
        ..Default::default()
    };
    let (chosen, se) = node_std(&config);
    eprintln!("chosen leaps: std {:.3} mV +- {:.3} (kT/C: {:.3} mV)", chosen * 1e3, se * 1e3, sigma * 1e3);
    assert!(5.0 * se < 0.02 * sigma, "too few samples: se {se}");
    assert!((chosen - sigma).abs() < 5.0 * se, "std {chosen} vs {sigma} +- {se}");
    let forced = SimulateConfig { dt: Some(20e-12), force_dt: true, ..config };
    let (fixed, se_fixed) = node_std(&forced);
    let expected = sigma / (1.0f64 - 0.2 / 2.0).sqrt();
    eprintln!(
        "forced 20 ps leaps: std {:.3} mV +- {:.3} (EM-like {:.3} mV)",
        fixed * 1e3,
        se_fixed * 1e3,
        expected * 1e3
    );
    assert!((fixed - expected).abs() < 5.0 * se_fixed, "forced leaps: {fixed} vs {expected} +- {se_fixed}");
}

/// The drift-implicit methods at the cold, high-supply, small-C inverter (where the
/// netlist's 0.5 ps step is 10^7 time constants): with the step chosen for them Newton
/// converges and the moments are right; forced to the .tran step, Newton fails even on
/// steps halved ten times, and the error says why and what to do.
#[test]
fn implicit_methods_choose_a_step_newton_converges_at() {
    let corner = |method: &str, dt: Option<f64>| SimulateConfig {
        circuit: root().join("circuits/inverter.cir"),
        overrides: vec![
            ("vdd".into(), "0.4".into()),
            ("vin".into(), "0.04".into()),
            ("cout".into(), "20a".into()),
        ],
        temperature: Some(200.0),
        tstop: Some(if dt.is_some() { 2e-12 } else { 4e-16 }),
        warmup: 2e-17,
        engine: Engine::parse("sde", Some(method)).unwrap(),
        dt,
        force_dt: dt.is_some(),
        runs: 4,
        seed: 8,
        ..Default::default()
    };
    for method in ["implicit", "trapezoidal"] {
        let config = corner(method, None);
        let prepared = simulate::prepare(&config).unwrap();
        let outcome = simulate::run(&config, prepared, &|_| {}).unwrap();
        let summary = simulate::Summary::new(&config, &outcome);
        // Exact law at this point (PHYSICS.md 2.3; tests/inverter_sweep.rs): 400.000 mV, 11.750 mV.
        let node = &summary.nodes["out"];
        eprintln!(
            "{method}: mean {:.3} mV, std {:.3} mV, {} Newton halvings",
            node.mean * 1e3,
            node.std * 1e3,
            summary.step.newton_halvings
        );
        assert!(
            (node.mean - 0.4).abs() < 1e-3 && (node.std / 11.750e-3 - 1.0).abs() < 0.05,
            "{method}: {node:?}"
        );
        let err = simulate::prepare(&corner(method, Some(0.5e-12)))
            .and_then(|p| simulate::run(&corner(method, Some(0.5e-12)), p, &|_| {}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("Newton") && err.contains("10 times halved") && err.contains("--dt"), "{err}");
    }
}

/// rc.cir over 20 us: statistics used to be taken every tstop/160000 = 125 ps, longer than
/// RC = 100 ps, and the correlation time came out near half the interval. Now the state is
/// observed at least every quarter of the fastest node time constant, and the correlation
/// time is RC within sampling error, not flagged as a bound.
#[test]
fn fast_correlation_times_are_resolved() {
    let mut config = SimulateConfig {
        circuit: root().join("circuits/rc.cir"),
        tstop: Some(20e-6),
        runs: 4,
        seed: 12,
        ..Default::default()
    };
    let probe = simulate::prepare(&config).unwrap();
    assert!(probe.stat_every() <= 26e-12, "statistics every {}", probe.stat_every());
    config.dt = Some(probe.step.bound_s);
    let prepared = simulate::prepare(&config).unwrap();
    let outcome = simulate::run(&config, prepared, &|_| {}).unwrap();
    let taus: Vec<f64> = outcome
        .records
        .iter()
        .map(|r| r.readouts[0].correlators[0].correlation_time().unwrap())
        .inspect(|t| assert!(!t.upper_bound))
        .map(|t| t.value)
        .collect();
    let n = taus.len() as f64;
    let mean = taus.iter().sum::<f64>() / n;
    let se = (taus.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    let summary = simulate::Summary::new(&config, &outcome);
    let pooled = &summary.outputs["vout"];
    eprintln!(
        "correlation time {:.2} ps +- {:.2} (pooled {:?})",
        mean * 1e12,
        se * 1e12,
        pooled.correlation_time_s
    );
    assert!(!pooled.correlation_time_upper_bound);
    assert!(5.0 * se < 10e-12, "too few samples: se {se}");
    assert!((mean - 100e-12).abs() < 5.0 * se, "{mean} vs RC = 100 ps +- {se}");
}

/// --check-step records the statistics at the step and at half the step, and their
/// differences, in the summary; at the chosen step they agree within 5 % here (the two runs
/// are independent samples: the standard error of the difference is about 1.1 %).
#[test]
fn check_step_records_both_steps() {
    let dir = Scratch::new("steps", "check");
    let summary = dir.path("s.json");
    let inv = root().join("circuits/inverter.cir");
    let run = pbitsim(&[
        "simulate",
        inv.to_str().unwrap(),
        "--tstop",
        "200n",
        "--runs",
        "4",
        "--check-step",
        "--quiet",
        "--summary",
        summary.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let dt = json["dt_s"].as_f64().unwrap();
    let check = &json["check_step"];
    assert_eq!(check["half_dt_s"].as_f64().unwrap(), 0.5 * dt);
    let (full, half) =
        (json["nodes"]["out"]["std"].as_f64().unwrap(), check["nodes"]["out"]["std"].as_f64().unwrap());
    let difference = check["node_differences"]["out"]["std"].as_f64().unwrap();
    assert!((difference - (full - half)).abs() < 1e-15, "{check}");
    assert!(difference.abs() < 0.05 * full, "{check}");
    assert_eq!(json["step"]["chosen_by"], "accuracy");
    assert!(json["step"]["bound_s"].as_f64().unwrap() > 0.0);
}

//! `pbitsim calibrate --monte-carlo N` end to end, against an exact truth.
//!
//! tests/netlists/pbit_mismatch.cir is the shipped p-bit whose two bias transistors alone
//! carry threshold mismatch (AVTO = 20 mV um at W = L = 1 um: sigma(dVT) = 20 mV). In the EKV
//! law a threshold shift is a gate shift, and the bias gates are vb + vin/2 (Mba) and
//! vb - vin/2 (Mbb); the latch balances where the two bias currents are equal,
//! vin/2 - dVT_a = -vin/2 - dVT_b, so Monte Carlo sample k balances exactly at
//!
//!   V0_k = V0_nominal + dVT_a,k - dVT_b,k,
//!
//! with dVT drawn by the documented seed policy ([`pbitsim::device::mismatch::draw`], whose
//! Pelgrom statistics tests/real_devices.rs checks). The shift's spread, sqrt(2) 20 mV =
//! 28 mV, is about one logistic width, so the samples spread over the whole curve; each
//! sample's fitted V0 must equal the shifted nominal within 4 combined standard errors of the
//! two fits (their v0_se), and the population's mean and covariance must be those of its
//! samples.

mod common;

use std::path::PathBuf;
use std::process::Command;

use pbitsim::device::card::parse_card;
use pbitsim::device::ekv::Geometry;
use pbitsim::device::mismatch::{MismatchSample, draw};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The mismatched card of a test netlist as its `.model` line gives it (the ideal NMOS with a
/// Pelgrom coefficient of `avt_mv_um`).
fn mismatch_card(netlist: &str, avt_mv_um: f64) -> String {
    format!(
        r#"
name = "ideal_n_mm"
polarity = "nmos"
source = "{netlist}"
[ekv]
vt0_v = 0.10341
kp_ua_per_v2 = 6.546
n = 1.0
interpolation = "exponential"
[temperature]
tnom_k = 300.0
tcv_mv_per_k = 0.0
bex = 0.0
[mismatch]
avt_mv_um = {avt_mv_um}
"#
    )
}

#[test]
fn population_balance_points_follow_the_bias_thresholds() {
    let dir = common::cli_scratch("population_calibration");
    let out = dir.join("pbit_mismatch_calibration.json");
    let n = 6u64;
    let status = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
        .args(["calibrate", root().join("tests/netlists/pbit_mismatch.cir").to_str().unwrap()])
        .args(["--sweep", "vin=-60m:60m:5", "--temps", "300K", "--precision", "0.03", "--tstop", "10u"])
        .args(["--monte-carlo", &n.to_string(), "--seed", "3", "--threads", "2", "--quiet"])
        .args(["--out", out.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let cal: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let nominal = &cal["fits"][0];
    let (v0, v0_se) = (nominal["v0_v"].as_f64().unwrap(), nominal["v0_se_v"].as_f64().unwrap());
    let card = parse_card(&mismatch_card("tests/netlists/pbit_mismatch.cir", 20.0), "test card").unwrap();
    let geometry = Geometry { w: 1e-6, l: 1e-6, m: 1.0 };
    let population = &cal["population"];
    let samples = population["samples"].as_array().unwrap();
    assert_eq!(samples.len() as u64, n);
    let mut resolved = 0;
    for sample in samples {
        let k = sample["index"].as_u64().unwrap();
        let dvt = |name: &str| draw(&card, geometry, name, MismatchSample { seed: 3, index: k }).vt;
        let shift = dvt("mba") - dvt("mbb");
        let fit = &sample["fits"][0];
        let (v0_k, se_k) = (fit["v0_v"].as_f64().unwrap(), fit["v0_se_v"].as_f64().unwrap());
        let tolerance = 4.0 * (se_k * se_k + v0_se * v0_se).sqrt();
        // A sample whose shift exceeds its tolerance would fail the hypothesis V0_k = V0_nominal.
        resolved += usize::from(shift.abs() > tolerance);
        eprintln!(
            "sample {k}: V0 {:.2} mV, nominal + dVT_a - dVT_b = {:.2} mV (+- {:.2} mV)",
            1e3 * v0_k,
            1e3 * (v0 + shift),
            1e3 * tolerance
        );
        assert!(
            (v0_k - (v0 + shift)).abs() < tolerance,
            "sample {k}: V0 {v0_k} against {} (tolerance {tolerance})",
            v0 + shift
        );
    }
    // The check has teeth only if most shifts are large against their tolerance.
    assert!(2 * resolved >= n as usize, "only {resolved} of {n} shifts exceed their tolerance");
    // The population's statistics are those of its samples (variable 0 is v0 at 300 K).
    let v0s: Vec<f64> = samples.iter().map(|s| s["fits"][0]["v0_v"].as_f64().unwrap()).collect();
    let mean = v0s.iter().sum::<f64>() / n as f64;
    let var = v0s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    assert!((population["mean"][0].as_f64().unwrap() - mean).abs() < 1e-12);
    assert!((population["covariance"][0][0].as_f64().unwrap() - var).abs() < 1e-12 * var.max(1e-30) + 1e-18);
}

/// A sample whose readout is stuck has no balance point: it is left out of the population
/// with its reason, the others are calibrated, and the law is theirs.
///
/// Truth (tests/netlists/pbit_stuck_readout.cir): only the readout's reference follower
/// carries mismatch, so V(ref) = -dVT_f (exact for n = 1 in saturation) while node a swings
/// between its two levels near -+25 mV (simulate: sd(V(a)) = 24.5 mV) and `out` needs
/// V(a) - V(ref) beyond +-5 mV (hysteresis 10 mV) to change. A sample with |dVT_f| < 10 mV
/// reads the latch: it must be kept (its offset still moves the apparent V0: the readout
/// misses part of the wells' spread, so V0 is not checked here); one with |dVT_f| > 40 mV puts the reference beyond node a's swing plus 10 mV (about 7
/// standard deviations of a well's spread, sqrt(kT / C) = 9 mV at 50 aF), so `out` never
/// changes: it must be excluded as a stuck output. Samples between are not judged.
#[test]
fn samples_with_a_stuck_readout_are_left_out_of_the_population() {
    let dir = common::cli_scratch("population_stuck_readout");
    let out = dir.join("calibration.json");
    let n = 16u64;
    let output = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
        .args(["calibrate", root().join("tests/netlists/pbit_stuck_readout.cir").to_str().unwrap()])
        .args(["--sweep", "vin=-60m:60m:5", "--temps", "300K", "--precision", "0.03", "--tstop", "10u"])
        .args(["--monte-carlo", &n.to_string(), "--mismatch-reach", "60m", "--seed", "3", "--threads", "2"])
        .args(["--quiet", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let cal: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let card =
        parse_card(&mismatch_card("tests/netlists/pbit_stuck_readout.cir", 30.0), "test card").unwrap();
    let geometry = Geometry { w: 1e-6, l: 1e-6, m: 1.0 };
    let population = &cal["population"];
    let samples = population["samples"].as_array().unwrap();
    let excluded = population["excluded"].as_array().unwrap();
    assert_eq!((samples.len() + excluded.len()) as u64, n);
    let (mut kept_clear, mut stuck_clear) = (0, 0);
    for k in 1..=n {
        let dvt = draw(&card, geometry, "mf", MismatchSample { seed: 3, index: k }).vt;
        let kept = samples.iter().find(|s| s["index"].as_u64() == Some(k));
        let left = excluded.iter().find(|e| e["index"].as_u64() == Some(k));
        eprintln!(
            "sample {k}: dVT_f {:.1} mV, kept {}, {:?}",
            1e3 * dvt,
            kept.is_some(),
            left.map(|e| &e["kind"])
        );
        if dvt.abs() < 10e-3 {
            kept_clear += 1;
            assert!(kept.is_some(), "sample {k} (dVT_f {dvt}) was left out: {left:?}");
        }
        if dvt.abs() > 40e-3 {
            stuck_clear += 1;
            let e = left.unwrap_or_else(|| panic!("sample {k} (dVT_f {dvt}) was kept"));
            assert_eq!(e["kind"], "stuck_output", "sample {k}: {e}");
            assert!(stderr.contains(&format!("sample {k}: ")), "the warning names sample {k}: {stderr}");
        }
    }
    // Teeth: both kinds of sample occur in this draw.
    assert!(kept_clear >= 2 && stuck_clear >= 2, "{kept_clear} clear kept, {stuck_clear} clear stuck");
    // The law is that of the kept samples only, and the warning gives the yield.
    let v0s: Vec<f64> = samples.iter().map(|s| s["fits"][0]["v0_v"].as_f64().unwrap()).collect();
    let mean = v0s.iter().sum::<f64>() / v0s.len() as f64;
    assert!((population["mean"][0].as_f64().unwrap() - mean).abs() < 1e-12);
    let percent = 100.0 * samples.len() as f64 / n as f64;
    assert!(stderr.contains(&format!("yield {percent:.0} %")), "{stderr}");
}

/// A Monte Carlo calibration of a circuit whose cards carry no mismatch coefficients (the
/// shipped ideal p-bit) is refused before any simulation, with the reason, and writes nothing.
#[test]
fn a_population_of_ideal_devices_is_refused() {
    let dir = common::cli_scratch("population_ideal");
    let out = dir.join("calibration.json");
    let output = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
        .args(["calibrate", root().join("circuits/pbit.cir").to_str().unwrap()])
        .args(["--sweep", "vin=-60m:60m:5", "--temps", "300K", "--monte-carlo", "4", "--quiet"])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("pbit.cir") && stderr.contains("mismatch coefficients"), "{stderr}");
    assert!(!out.exists());
}

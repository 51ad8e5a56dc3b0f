//! The DC operating point (`.op`, `pbitsim op`) against closed forms, the latch's two stable
//! states, and `.tran` starting from the operating point unless `uic` (SPICE).

use std::path::{Path, PathBuf};

use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::Netlist;
use pbitsim::circuit::{Circuit, DeviceKind};
use pbitsim::device::Terminals;
use pbitsim::op::{Stability, find};
use pbitsim::simulate::{self, SimulateConfig};
use pbitsim::units::{BOLTZMANN, thermal_voltage};

fn path(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(name)
}

fn circuit(file: PathBuf, sets: &[(&str, String)]) -> Circuit {
    let overrides: Vec<(String, String)> = sets.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let netlist = Netlist::parse_file(file, &overrides).unwrap();
    Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap()
}

/// The deterministic transfer curve of the idealised inverter (PHYSICS.md 2.3: n = 1,
/// V_th = 0, equal I_0): the pMOS and nMOS fluxes balance, b + a e^{-v/U_T} =
/// a + b e^{(v - V_dd)/U_T}, a quadratic in y = e^{v/U_T}:
///   b e^{-V_dd/U_T} y^2 + (a - b) y - a = 0,
/// a = e^{V_in/U_T}, b = e^{(V_dd - V_in)/U_T}.
fn inverter_transfer(vdd: f64, vin: f64, ut: f64) -> f64 {
    let (a, b) = ((vin / ut).exp(), ((vdd - vin) / ut).exp());
    let q = b * (-vdd / ut).exp();
    let y = (-(a - b) + ((a - b).powi(2) + 4.0 * q * a).sqrt()) / (2.0 * q);
    ut * y.ln()
}

#[test]
fn inverter_follows_its_analytic_transfer_curve() {
    let ut = thermal_voltage(300.0);
    for vdd in [0.1, 0.3] {
        for k in 0..=10 {
            let vin = vdd * k as f64 / 10.0;
            let c = circuit(
                path("circuits", "inverter.cir"),
                &[("vdd", vdd.to_string()), ("vin", vin.to_string())],
            );
            let op = find(&c, &[]).unwrap();
            let exact = inverter_transfer(vdd, vin, ut);
            let got = op.primary.voltages[0];
            assert!((got - exact).abs() < 1e-8, "vdd {vdd}, vin {vin}: {got} vs {exact}");
            assert_eq!(op.primary.stability, Stability::Stable);
            assert_eq!(op.equilibria.len(), 1, "an inverter has one equilibrium");
            // The two transistors carry the same current (into the nMOS drain, out of the pMOS one).
            let (n, p) = (op.devices[0].current_a, op.devices[1].current_a);
            assert!((n + p).abs() < 1e-6 * n.abs() + 1e-21, "{n} {p}");
        }
    }
}

/// Net current into node `node` at voltages `v`, from the devices' own laws.
fn kcl_residual(c: &Circuit, v: &[f64], node: &str) -> (f64, f64) {
    let target = c.node(node).unwrap();
    let (mut net, mut scale) = (0.0, 0.0);
    for d in &c.devices {
        let DeviceKind::Mosfet(t) = &d.kind else { continue };
        let at = |k: usize| c.voltage(d.terminals[k], v);
        let i_d = t.evaluate(&Terminals { d: at(0), g: at(1), s: at(2), b: at(3) }).i_d;
        if d.terminals[0] == target {
            net -= i_d;
        }
        if d.terminals[2] == target {
            net += i_d;
        }
        scale += i_d.abs();
    }
    (net, scale)
}

#[test]
fn latch_has_two_stable_points_and_a_saddle() {
    for vdd in ["30m", "100m"] {
        let c = circuit(path("circuits", "pbit.cir"), &[("vdd", vdd.to_string())]);
        let op = find(&c, &[]).unwrap();
        let stable: Vec<_> = op.equilibria.iter().filter(|e| e.stability == Stability::Stable).collect();
        assert_eq!(stable.len(), 2, "{vdd}: {:?}", op.equilibria);
        assert!(op.multistable);
        // The latch is symmetric: swapping a and b maps one stable point onto the other.
        let (x, y) = (&stable[0].voltages, &stable[1].voltages);
        assert!((x[0] - y[1]).abs() < 1e-7 && (x[1] - y[0]).abs() < 1e-7, "{x:?} {y:?}");
        assert!((x[0] - x[1]).abs() > 0.5 * thermal_voltage(300.0), "the states are apart");
        for e in &op.equilibria {
            for node in ["a", "b"] {
                let (net, scale) = kcl_residual(&c, &e.voltages, node);
                assert!(net.abs() < 1e-5 * scale, "{vdd} {node}: {net:e} of {scale:e}");
            }
        }
        // The primary point (from the symmetric zero-charge state) is the saddle between them.
        assert_eq!(op.primary.stability, Stability::Unstable);
        assert!((op.primary.voltages[0] - op.primary.voltages[1]).abs() < 1e-9);
        assert_eq!(op.equilibria.len(), 3);
    }
}

#[test]
fn settled_rc_deck_is_flat_at_its_operating_point() {
    // V(out) = V1 = 1 V at the operating point (no DC load on the resistor). Without uic the
    // transient starts there and stays within a few sqrt(kT/C) (2.0 mV at 1 fF); a charging
    // curve from 0 V would average about 1 - tau/T_window = 0.8 V over the first 5 tau.
    let file = path("tests/netlists", "rc_settled.cir");
    let config = SimulateConfig { circuit: file.clone(), seed: 3, ..Default::default() };
    let prepared = simulate::prepare(&config).unwrap();
    assert!((prepared.circuit.initial[0] - 1.0).abs() < 1e-12);
    let outcome = simulate::run(&config, prepared, &|_| {}).unwrap();
    let record = &outcome.records[0];
    let rows: Vec<&[f64]> = record.rows.chunks_exact(record.row_len).collect();
    let sigma = (BOLTZMANN * 300.15 / 1e-15).sqrt();
    let tau = 1e-9;
    let early: Vec<f64> = rows.iter().filter(|r| r[0] <= 5.0 * tau).map(|r| r[1]).collect();
    let mean = early.iter().sum::<f64>() / early.len() as f64;
    // Mean over 5 tau of an OU process: standard error about sigma sqrt(2 tau / 5 tau) = 0.63 sigma.
    assert!((mean - 1.0).abs() < 4.0 * 0.63 * sigma, "mean of the first 5 tau {mean}");
    assert!(rows.iter().all(|r| (r[1] - 1.0).abs() < 6.0 * sigma), "a sample left the operating point");
    // With uic the same deck charges from the zero-charge state.
    let text = std::fs::read_to_string(&file).unwrap().replace(".tran 10p 100n", ".tran 10p 100n uic");
    let dir = std::env::temp_dir().join(format!("pbitsim-op-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let uic = dir.join("rc_uic.cir");
    std::fs::write(&uic, text).unwrap();
    let prepared = simulate::prepare(&SimulateConfig { circuit: uic, ..config }).unwrap();
    assert!(prepared.circuit.initial[0].abs() < 1e-12);
    assert!(prepared.start.is_none());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn initial_conditions_are_held_while_the_point_is_solved() {
    // SPICE's .ic without uic: node a held at 0.2 V, the rest settles around it. The latch
    // with a held high settles with b low (its own stable state given a).
    let c = {
        let netlist = Netlist::parse_str(
            "held\nV1 in 0 1\nR1 in a 1meg\nR2 a b 1meg\nR3 b 0 1meg\nCa a 0 1f\nCb b 0 1f\n.ic V(a)=0.2\n",
            "held.cir",
            &[],
        )
        .unwrap();
        Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap()
    };
    let op = find(&c, &["a".to_string()]).unwrap();
    // b divides a's 0.2 V over R2 and R3.
    assert!((op.primary.voltages[0] - 0.2).abs() < 1e-12 && (op.primary.voltages[1] - 0.1).abs() < 1e-9);
    assert_eq!(op.held, ["a"]);
    // Free, the divider gives a = 2/3 V, b = 1/3 V.
    let free = find(&c, &[]).unwrap();
    assert!(
        (free.primary.voltages[0] - 2.0 / 3.0).abs() < 1e-9
            && (free.primary.voltages[1] - 1.0 / 3.0).abs() < 1e-9
    );
}

/// `pbitsim op` and `pbitsim noise` as a user runs them: the latch's three equilibria with two
/// stable, the RC node's variance kT/C (computed here), and the latch refused by `noise`
/// (no stable primary point) with nothing written.
#[test]
fn op_and_noise_from_the_command_line() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("pbitsim-op-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_pbitsim")).args(args).output().unwrap();
    let circuits = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("circuits");
    let (pbit, rc) = (circuits.join("pbit.cir"), circuits.join("rc.cir"));
    let op_json = dir.join("op.json");
    let out = run(&["op", pbit.to_str().unwrap(), "--summary", op_json.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(2 stable)"));
    let op: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&op_json).unwrap()).unwrap();
    let stabilities: Vec<&str> =
        op["equilibria"].as_array().unwrap().iter().map(|e| e["stability"].as_str().unwrap()).collect();
    assert_eq!(stabilities.iter().filter(|s| **s == "stable").count(), 2, "{stabilities:?}");
    assert_eq!(op["multistable"], true);

    let noise_json = dir.join("noise.json");
    let out = run(&[
        "noise",
        rc.to_str().unwrap(),
        "--temp",
        "300K",
        "--summary",
        noise_json.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let noise: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&noise_json).unwrap()).unwrap();
    assert_eq!(noise["covariance"]["nodes"][0], "out");
    let variance = noise["covariance"]["matrix"][0][0].as_f64().unwrap();
    let kt_over_c = BOLTZMANN * 300.0 / 0.1e-15; // rc.cir: C1 = 0.1 fF
    assert!((variance / kt_over_c - 1.0).abs() < 1e-9, "{variance} vs {kt_over_c}");

    let refused = dir.join("latch_noise.json");
    let out = run(&["noise", pbit.to_str().unwrap(), "--summary", refused.to_str().unwrap(), "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--point"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!refused.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

//! The linear-noise analysis (`pbitsim noise`, PHYSICS.md section 9) against closed forms
//! computed here, and the SDE and jump engines against the same closed forms.

use std::path::{Path, PathBuf};

use nalgebra::{DMatrix, Matrix2};
use pbitsim::circuit::Circuit;
use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::Netlist;
use pbitsim::noise::{NoiseAnalysis, analyse};
use pbitsim::simulate::{self, Engine, SimulateConfig, Summary};
use pbitsim::units::BOLTZMANN;

fn netlist_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("netlists").join(name)
}

fn circuit(name: &str, sets: &[(&str, &str)]) -> Circuit {
    let overrides: Vec<(String, String)> = sets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let netlist = Netlist::parse_file(netlist_path(name), &overrides).unwrap();
    Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap()
}

fn noise(c: &Circuit) -> NoiseAnalysis {
    analyse(c, pbitsim::op::find(c, &[]).unwrap(), None).unwrap()
}

/// The gyrator of tests/netlists/gyrator.cir: resistors R to ground from a and b at T1 and
/// T2, capacitors c from each node to ground and c between them.
const R: f64 = 1e6;
const T1: f64 = 300.0;
const T2: f64 = 600.0;

/// Closed form of the gyrator's stationary covariance and gyration rate (solved symbolically
/// from A S + S A^T + D = 0 with A = -C^{-1} G, D = C^{-1} diag(2kT_i/R_i) C^{-1}; the same
/// as Ciliberto et al., PRL 110, 180601, 2013), for general R1, R2, C1, C2, Cc:
///   s11 = k [C1 C2 R1 T1 + C1 Cc R1 T1 + C2^2 R2 T1 + C2 Cc R1 T1 + 2 C2 Cc R2 T1
///            + Cc^2 R1 T2 + Cc^2 R2 T1] / (det C * den),
///   s12 = Cc k [C1 R1 T2 + C2 R2 T1 + Cc R1 T2 + Cc R2 T1] / (det C * den),
///   s22 = s11 with 1 <-> 2,
///   L   = (1/2) <v_a dv_b - v_b dv_a> / dt = Cc k (T2 - T1) / (det C * den),
/// det C = C1 C2 + C1 Cc + C2 Cc, den = R1 (C1 + Cc) + R2 (C2 + Cc).
fn gyrator_closed_form(c: f64) -> (Matrix2<f64>, f64) {
    let (r1, r2, c1, c2, cc, k) = (R, R, c, c, c, BOLTZMANN);
    let det = c1 * c2 + c1 * cc + c2 * cc;
    let den = r1 * (c1 + cc) + r2 * (c2 + cc);
    let s11 = k
        * (c1 * c2 * r1 * T1
            + c1 * cc * r1 * T1
            + c2 * c2 * r2 * T1
            + c2 * cc * r1 * T1
            + 2.0 * c2 * cc * r2 * T1
            + cc * cc * r1 * T2
            + cc * cc * r2 * T1)
        / (det * den);
    let s22 = k
        * (c2 * c1 * r2 * T2
            + c2 * cc * r2 * T2
            + c1 * c1 * r1 * T2
            + c1 * cc * r2 * T2
            + 2.0 * c1 * cc * r1 * T2
            + cc * cc * r2 * T1
            + cc * cc * r1 * T2)
        / (det * den);
    let s12 = cc * k * (c1 * r1 * T2 + c2 * r2 * T1 + cc * r1 * T2 + cc * r2 * T1) / (det * den);
    let l = cc * k * (T2 - T1) / (det * den);
    (Matrix2::new(s11, s12, s12, s22), l)
}

/// The gyrator's drift matrix A = -C^{-1} G, written out.
fn gyrator_drift(c: f64) -> Matrix2<f64> {
    let cap = Matrix2::new(2.0 * c, -c, -c, 2.0 * c);
    -cap.try_inverse().unwrap() * Matrix2::new(1.0 / R, 0.0, 0.0, 1.0 / R)
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn rc_ladder_at_equilibrium_is_kt_times_inverse_capacitance() {
    let c = circuit("rc_ladder.cir", &[]);
    let a = noise(&c);
    // Maxwell capacitance matrix of a, b, c written from the netlist.
    let (ca, cab, cb, cbc, cc) = (1e-15, 0.3e-15, 2e-15, 0.2e-15, 0.5e-15);
    let cap = DMatrix::from_row_slice(
        3,
        3,
        &[ca + cab, -cab, 0.0, -cab, cab + cb + cbc, -cbc, 0.0, -cbc, cbc + cc],
    );
    let exact = cap.try_inverse().unwrap() * (BOLTZMANN * 300.0);
    assert_eq!(a.covariance.nodes, ["a", "b", "c"]);
    for i in 0..3 {
        for j in 0..3 {
            let got = a.covariance.matrix[i][j];
            assert!(
                (got - exact[(i, j)]).abs() < 1e-9 * exact[(i, i)],
                "S[{i}][{j}] {got:e} vs {:e}",
                exact[(i, j)]
            );
        }
    }
    for node in a.nodes.values() {
        assert!((node.effective_temperature_k - 300.0).abs() < 1e-6, "{node:?}");
        assert!((node.mean_v - 0.3).abs() < 1e-9);
    }
    let scale = exact[(0, 0)] / a.nodes["a"].correlation_time_s;
    for g in &a.gyration {
        assert!(g.rate_v2_per_s.abs() < 1e-9 * scale, "{g:?}");
    }
}

#[test]
fn rc_node_psd_and_correlation_time() {
    // One node: one-sided PSD 4kTR / (1 + (2 pi f R C)^2), correlation time RC (PHYSICS.md 3).
    let c = circuit("rc_settled.cir", &[]);
    let a = noise(&c);
    let (r, cap, kt) = (1e6, 1e-15, BOLTZMANN * c.temperature);
    assert!(relative(a.nodes["out"].correlation_time_s, r * cap) < 1e-9);
    assert!(relative(a.nodes["out"].variance_v2, kt / cap) < 1e-9);
    for (f, p) in a.psd.frequency_hz.iter().zip(&a.psd.nodes["out"]) {
        let w = std::f64::consts::TAU * f * r * cap;
        assert!(relative(*p, 4.0 * kt * r / (1.0 + w * w)) < 1e-9, "f {f:e}: {p:e}");
    }
}

#[test]
fn gyrator_lyapunov_matches_closed_form() {
    for cnode in [0.5e-15, 2e-15] {
        let c = circuit("gyrator.cir", &[("cnode", &cnode.to_string())]);
        let a = noise(&c);
        let (s, l) = gyrator_closed_form(cnode);
        for i in 0..2 {
            for j in 0..2 {
                assert!(
                    relative(a.covariance.matrix[i][j], s[(i, j)]) < 1e-9,
                    "{i}{j}: {:?} vs {s}",
                    a.covariance
                );
            }
        }
        assert_eq!(a.gyration[0].nodes, ["a".to_string(), "b".to_string()]);
        assert!(relative(a.gyration[0].rate_v2_per_s, l) < 1e-9, "{:?} vs {l}", a.gyration);
        // Effective temperatures lie between the two resistors' temperatures.
        assert!(a.nodes.values().all(|n| n.effective_temperature_k > T1 && n.effective_temperature_k < T2));
    }
}

/// Runs of the gyrator on `engine`: the pooled summary and, per run, (s11, s12, s22, L).
fn gyrator_runs(engine: Engine, runs: usize) -> (Summary, Vec<[f64; 4]>, f64) {
    let config = SimulateConfig {
        circuit: netlist_path("gyrator.cir"),
        engine,
        runs,
        tstop: Some(10e-6),
        seed: 7,
        ..Default::default()
    };
    let prepared = simulate::prepare(&config).unwrap();
    let outcome = simulate::run(&config, prepared, &|_| {}).unwrap();
    let per_run = outcome
        .records
        .iter()
        .map(|r| {
            let acc = r.covariance.as_ref().unwrap();
            let m = acc.covariance();
            [m[0][0], m[0][1], m[1][1], acc.gyration(0, 1)]
        })
        .collect();
    let h = outcome.records[0].covariance.as_ref().unwrap().interval;
    (Summary::new(&config, &outcome), per_run, h)
}

/// Both engines against the closed form: covariance within 2 %, gyration rate within 4
/// standard errors. The standard errors come from the spread of 8 independent runs of 10 us
/// (about 14000 correlation times each): measured, they are 0.35-0.7 % of the covariances,
/// so 2 % is about 3-6 of them (checked to be at least 2.5).
/// The gyration rate is measured from samples h apart, so its expectation is
/// [e^{A h} S - S e^{A^T h}]_ba / (2 h) (about 6 % below L at h = 60 ps), computed here from
/// the closed-form A and S. Runs with the jump engine take about 6 s of one core.
fn check_engine(engine: Engine, label: &str) {
    let cnode = 0.5e-15;
    let (s, l) = gyrator_closed_form(cnode);
    let (summary, per_run, h) = gyrator_runs(engine, 8);
    let n = per_run.len() as f64;
    let stats: Vec<(f64, f64)> = (0..4)
        .map(|k| {
            let mean = per_run.iter().map(|r| r[k]).sum::<f64>() / n;
            let var = per_run.iter().map(|r| (r[k] - mean).powi(2)).sum::<f64>() / (n - 1.0);
            (mean, (var / n).sqrt())
        })
        .collect();
    let pooled = &summary.covariance.as_ref().unwrap().matrix;
    let exact = [s[(0, 0)], s[(0, 1)], s[(1, 1)]];
    let measured = [pooled[0][0], pooled[0][1], pooled[1][1]];
    for k in 0..3 {
        eprintln!(
            "{label}: covariance {k}: {:.5e} (exact {:.5e}, {:+.2} %, se {:.2} %)",
            measured[k],
            exact[k],
            100.0 * (measured[k] / exact[k] - 1.0),
            100.0 * stats[k].1 / exact[k]
        );
    }
    for k in 0..3 {
        assert!(relative(measured[k], exact[k]) < 0.02, "{label}: covariance {k}");
        assert!(stats[k].1 < 0.008 * exact[k], "{label}: the run is too short for a 2 % check");
    }
    let a = gyrator_drift(cnode);
    let lagged = (a * h).exp() * s;
    let expected = (lagged[(1, 0)] - lagged[(0, 1)]) / (2.0 * h);
    let gyration = summary.gyration.as_ref().unwrap()[0].rate_v2_per_s;
    eprintln!(
        "{label}: gyration {gyration:.2} V^2/s (at h = {h:e} s expected {expected:.2}, L = {l:.2}), se {:.2}",
        stats[3].1
    );
    assert!((gyration - expected).abs() < 4.0 * stats[3].1);
    assert!(gyration > 0.5 * l, "the gyration must be resolved");
}

#[test]
fn gyrator_sde_matches_closed_form() {
    check_engine(Engine::parse("sde", None).unwrap(), "sde");
}

#[test]
fn gyrator_jump_matches_closed_form() {
    check_engine(Engine::parse("jump", None).unwrap(), "jump");
}

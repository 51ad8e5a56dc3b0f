//! The coupling circuit as `pbitsim calibrate --coupling` measures it, against what the
//! synapse's transistors and the cell's termination must give (circuits/cells/synapse.cir,
//! pbit_cell.cir):
//!
//! - weak inversion: each side's current is I_0 exp((V_gate + w - V_th) / U_T), so the input
//!   shift per neighbour state, J_v = 2 rin (I_on - I_off), grows by exp(dw / U_T) between
//!   two weights (I_off / I_on does not depend on w);
//! - symmetry: nMOS and pMOS are mirror images on rails +-w around the readout's centre, so
//!   the offset (m+ + m-) / 2 is zero;
//! - energy: in either state one device of each side carries I_on from a weight rail through
//!   the termination to the bias source (and the off device I_off the other way), so the
//!   sources deliver 2 w (I_on + I_off) = (w J_v / rin) (1 + 2 e) with e = I_off / I_on =
//!   exp(-2 V_q / U_T), V_q the readout's level (45 to 50 mV: e between 0.021 and 0.031).
//!
//! Each is checked to 5 standard errors of the calibration's own errors (from independent
//! runs), the energy to the 5 % that the readout level leaves open.

mod scratch;

use std::process::Command;

use pbitsim::calibration::CouplingCalibration;
use pbitsim::units::thermal_voltage;
use scratch::Scratch;

/// The termination of the cell's input nodes (pbit_cell.cir, rin).
const RIN: f64 = 25e6;

#[test]
fn the_coupling_follows_the_subthreshold_law_is_symmetric_and_draws_the_power_it_must() {
    let dir = Scratch::new("coupling", "law");
    let out = dir.path("synapse.json");
    let bench = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/cells/synapse_bench.cir");
    let run = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
        .args([
            "calibrate",
            bench.to_str().unwrap(),
            "--coupling",
            "--sweep",
            "w=200m:240m:3",
            "--tstop",
            "10u",
            "--warmup",
            "500n",
            "--precision",
            "0.03",
            "--max-time",
            "80u",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let cal = CouplingCalibration::load(&out).unwrap();
    let [a, _, b] = &cal.points[..] else { panic!("three points expected") };
    let ut = thermal_voltage(cal.temperatures_k[0]);
    let ratio = b.coupling_v / a.coupling_v;
    let ratio_se =
        ratio * ((a.coupling_se_v / a.coupling_v).powi(2) + (b.coupling_se_v / b.coupling_v).powi(2)).sqrt();
    let law = ((b.weight - a.weight) / ut).exp();
    assert!((ratio - law).abs() < 5.0 * ratio_se, "J_v ratio {ratio} +- {ratio_se}, law {law}");
    for p in &cal.points {
        assert!(p.offset_v.abs() < 5.0 * p.offset_se_v, "offset {} +- {}", p.offset_v, p.offset_se_v);
        let e = (-2.0 * 0.0475 / ut).exp();
        let expected = p.weight * p.coupling_v / RIN * (1.0 + 2.0 * e);
        let tolerance = (0.05 * expected).hypot(5.0 * p.power_se_w);
        assert!(
            (p.power_w - expected).abs() < tolerance,
            "power {} +- {} vs {expected}",
            p.power_w,
            p.power_se_w
        );
        assert!(p.settling_time_s > 0.0 && p.delay_s > 0.0);
    }
}

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

mod npy;
mod scratch;

use std::process::Command;

use pbitsim::calibration::CouplingCalibration;
use pbitsim::cell::Coupling;
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

/// The driver response of the shipped calibration (`--driver-bias vin=40m`: measured with the
/// driver at +-40 mV) predicts the bench at a bias it was not measured at: with the driver's
/// input at x = 25 mV, the receiving input's settled means while the driver is up and down
/// are offset + J_v [+-(1 + b x^2) + a x]. A fresh simulation of the bench (4 runs of 150 us,
/// 32 segments) must agree within 4 standard errors (the segments' scatter and the
/// nearest calibrated weight's errors in quadrature), and its shift a J_v x, 0.45 mV, must be resolved:
/// a model without the driver response fails.
#[test]
fn the_driver_response_predicts_the_bench_at_an_uncalibrated_bias() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let cal = CouplingCalibration::load(&root.join("circuits/cells/synapse_calibration.json")).unwrap();
    let coupling = Coupling::from_calibration(&cal, 300.0).unwrap();
    let (w, x) = (0.2266, 0.025);
    let (a, b) = coupling.driver_response(w).unwrap();
    let (j_v, offset) = (coupling.coupling_v(w).unwrap(), coupling.offset_v(w).unwrap());
    // the errors of the nearest calibrated weight's own measurement (larger than the fit's)
    let near =
        cal.points.iter().min_by(|p, q| (p.weight - w).abs().total_cmp(&(q.weight - w).abs())).unwrap();
    let response = near.driver.expect("the shipped calibration has a driver response");
    let (a_se, b_se, j_se) =
        (response.offset_se_per_v, response.gain_se_per_v2, near.coupling_se_v / near.coupling_v * j_v);
    let dir = Scratch::new("coupling", "driver");
    let trace = dir.path("trace.npy");
    let bench = root.join("circuits/cells/synapse_bench.cir");
    let run = Command::new(env!("CARGO_BIN_EXE_pbitsim"))
        .args(["simulate", bench.to_str().unwrap(), "--set", &format!("w={w}"), "--set", &format!("vin={x}")])
        .args(["--tstop", "150u", "--warmup", "1u", "--runs", "4", "--seed", "9", "--record-every", "1n"])
        .args(["--out", trace.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let (names, size, data) = npy::read_npy(&trace);
    assert_eq!(size, 8);
    let col = |name: &str| names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no {name}"));
    let (run_col, time, drv, sum) = (col("run"), col("time_s"), col("drv"), col("sum"));
    let values: Vec<f64> = data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    let rows: Vec<&[f64]> = values.chunks_exact(names.len()).collect();
    // per segment: the settled means (40 ns after the driver's readout flipped) up and down
    let (mut offsets, mut halves) = (Vec::new(), Vec::new());
    for r in 0..4 {
        let run_rows: Vec<&[f64]> = rows.iter().copied().filter(|row| row[run_col] as usize == r).collect();
        for segment in run_rows.chunks(run_rows.len() / 8) {
            let (mut total, mut count, mut flipped) = ([0.0; 2], [0u32; 2], segment[0][time]);
            for pair in segment.windows(2) {
                let state = pair[1][drv] as usize;
                if pair[0][drv] != pair[1][drv] {
                    flipped = pair[1][time];
                }
                if pair[1][time] - flipped > 40e-9 {
                    total[state] += pair[1][sum];
                    count[state] += 1;
                }
            }
            if count.iter().all(|&c| c > 100) {
                let (up, down) = (total[1] / count[1] as f64, total[0] / count[0] as f64);
                offsets.push((up + down) / 2.0);
                halves.push((up - down) / 2.0);
            }
        }
    }
    assert!(offsets.len() >= 30, "{} usable segments", offsets.len());
    let mean_se = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
        (m, (var / v.len() as f64).sqrt())
    };
    let ((off, off_se), (half, half_se)) = (mean_se(&offsets), mean_se(&halves));
    let shift = a * j_v * x;
    let shift_se = (a_se * j_v * x).hypot(off_se);
    assert!(
        (off - offset - shift).abs() < 4.0 * shift_se,
        "settled offset {off} +- {off_se} V, predicted {offset} + {shift} (+- {shift_se})"
    );
    assert!((off - offset).abs() > 4.0 * off_se, "the driver's shift {off} is not resolved (SE {off_se})");
    let gain = j_v * (1.0 + b * x * x);
    let gain_se = (j_v * b_se * x * x).hypot(half_se).hypot(j_se);
    assert!(
        (half - gain).abs() < 4.0 * gain_se,
        "settled half-step {half} +- {half_se} V, predicted {gain} +- {gain_se}"
    );
}

//! The realistic p-bit (circuits/pbit_real.cir): its balance point V0 spreads with device
//! mismatch as Pelgrom says, sigma(V0) proportional to 1/sqrt(W L): doubling `wl_scale`
//! (area times 4) halves it.
//!
//! Each mismatch sample k draws every transistor's deviations from (seed, k, name) as
//! standard normals times A / sqrt(W L), so sample k at wl_scale = 2 has exactly half the
//! deviations of sample k at wl_scale = 1 (common random numbers): the comparison is paired,
//! and its standard error is computed from the pairs (bootstrap). V0 is located by the
//! calibration's own search (probes of P(1), bisection), far finer than the spread.
//!
//! Some samples have no V0: at wl_scale = 1 (sigma_VT = 3.4 mV um / sqrt(0.42 x 0.15 um^2) =
//! 13.5 mV per device) the one-stage readout's own offset can put its trip point outside the
//! swing of node a, and `out` then never changes (sample 12 of seed 1: P(1) = 0 at vin = -150
//! and +150 mV while the latch flips; `pbitsim simulate circuits/pbit_real.cir --mismatch 12
//! --set vin=150m`). Such a cell is defective (a yield loss), not an offset. The readout's
//! devices are not the latch's or the bias devices' that set V0, and every device draws
//! independently, so dropping a defective sample's pair does not bias the V0 spread; the test
//! reports how many it dropped and needs 15 of 20 pairs.
//!
//! Long tier only (`cargo test --release --test pbit_real -- --ignored`; 40 V0 searches, each
//! of 15-25 probes of 25 nominal correlation times): the ratio of the standard deviations of
//! V0 over the paired samples, 2 +- 0.3, with its bootstrap standard error below 0.1. Nothing
//! of it runs in CI. At wl_scale = 2 the correlation time near V0 is about 15 us (`pbitsim
//! simulate circuits/pbit_real.cir --set wl_scale=2 --set vin=-1.9m --tstop 1m --dt 88p`:
//! P(1) 0.42, mean dwells 34 and 23 us), so one search there simulates about 6 ms, about nine
//! CPU-minutes at the netlist's 40 ps step: the whole test takes about three CPU-hours.
//!
//! Last run (seed 1, stop 22, 12 min, with probes of 25 us at wl_scale 2, under two
//! correlation times there): 18 of 20 pairs usable (samples 12 and 16 have a stuck readout at
//! wl_scale 1); sigma(V0) 34.0 mV at wl_scale 1, 13.0 mV at 2, ratio 2.61 +- 0.49: FAILS the
//! standard-error bound. One sample dominates: sample 17 balances at -102 mV (the end of that
//! run's 100 mV reach; `simulate --mismatch 17` puts it near -104 mV) at wl_scale 1 against
//! -24.7 mV at 2; without it the ratio is 1.99 +- 0.11. The short probes at wl_scale 2 are
//! not the cause: samples 2, 7, 10 and 17 redone there with probes of 25 correlation times
//! (stop 26) moved by 0.4 mV at most. Why V0 is not linear in the deviations at minimum
//! size: there the mismatch often removes the latch's bistability.
//! The nominal latch at its balance point has node a spread over both states (sd 15 mV,
//! `simulate --set vin=-1.9m --tstop 10u`); samples 4, 9, 11 and 17 at their V0 have one
//! state only (sd of a 3-7 mV), whose analog level the readout's gain stage amplifies and
//! thresholds: still a random bit, but with a balance point set by the readout's trip point
//! and the latch's DC transfer, far from linear in the offsets for sample 17. Larger devices
//! (wl_scale 2 against 4) would be linear, but at wl_scale 4 the latch does not switch once
//! in 400 us at -2.5, -2.2 or -1.9 mV (barrier times 16), beyond what a search can afford;
//! so the bound needs many more samples at 1 against 2 (the tail decides the standard
//! error) or a design that keeps its bistability margin at minimum size.

use std::path::PathBuf;

use pbitsim::calibrate::CalibrateConfig;
use pbitsim::calibrate::population::{LocateError, locate};
use pbitsim::calibration::{Precision, SweepAxis};
use pbitsim::circuit::elaborate::Variation;
use pbitsim::rng::{Domain, Seed};
use pbitsim::simulate::Engine;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

fn config(wl_scale: f64) -> CalibrateConfig {
    CalibrateConfig {
        circuit: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("circuits/pbit_real.cir"),
        overrides: vec![("wl_scale".into(), format!("{wl_scale}"))],
        // The search stops at a quarter of this spacing (25 uV).
        sweeps: vec![SweepAxis { name: "vin".into(), start: -1e-3, stop: 1e-3, count: 21 }],
        temperatures: vec![300.0],
        output: None,
        engine: Engine::parse("sde", None).unwrap(),
        dt: None,
        force_dt: false,
        accuracy: pbitsim::simulate::DEFAULT_ACCURACY,
        tstop: None,
        warmup: 300e-9,
        seed: 1,
        threads: 1,
        precision: Precision { target_se: 0.05, batch_runs: 1, max_simulated: 1e-3 },
        monte_carlo: 0,
        // Mismatch moves V0 by tens of mV at wl_scale = 1 (sample 17: about -104 mV), far
        // beyond the sweep: calibrate's default reach for this circuit (8 root-sum-square
        // device sigmas).
        mismatch_reach: Some(0.27),
    }
}

/// V0 of mismatch sample k (0: nominal) at `wl_scale`, 300 K; None when P(1) does not cross
/// 1/2 within 270 mV (a defective readout, see the module notes). The nominal width and
/// correlation time set the search's steps and probe length (50 tau per probe: 0.3 mV and
/// 200 ns at wl_scale = 1; 0.15 mV and 15 us at wl_scale = 2, measured as in the module
/// notes); `probe` scales the probe length.
fn v0(wl_scale: f64, k: u64, probe: f64) -> Option<f64> {
    let c = config(wl_scale);
    let (vs, tau) = if wl_scale > 1.5 { (0.15e-3, 15e-6) } else { (0.3e-3, 0.2e-6) };
    let tau = tau * probe;
    let seed = Seed(c.seed).child(Domain::Mismatch, k).child(Domain::Other, 0);
    match locate(&c, "out", "vin", &Variation::sample(c.seed, k), 300.0, -2e-3, (vs, tau), seed) {
        Ok((v0, _)) => Some(v0),
        Err(LocateError::Unlocated(_)) => None,
        Err(e) => panic!("sample {k} at wl_scale {wl_scale}: {e}"),
    }
}

#[test]
#[ignore = "long: about three CPU-hours"]
fn v0_spread_falls_as_one_over_sqrt_area() {
    let n = 20u64;
    let mut runs: Vec<(f64, u64)> = Vec::new();
    for k in 1..=n {
        runs.push((1.0, k));
        runs.push((2.0, k));
    }
    let v: Vec<Option<f64>> = runs
        .par_iter()
        .map(|&(s, k)| {
            let v = v0(s, k, 0.5);
            eprintln!("sample {k}, wl_scale {s}: V0 = {:?} mV", v.map(|v| 1e3 * v));
            v
        })
        .collect();
    let pairs: Vec<(f64, f64)> = v.chunks(2).filter_map(|p| Some((p[0]?, p[1]?))).collect();
    eprintln!("{} of {n} pairs usable (the others have a stuck readout)", pairs.len());
    assert!(
        4 * pairs.len() >= 3 * n as usize,
        "only {} of {n} samples have a balance point at both sizes",
        pairs.len()
    );
    let sd = |x: &[f64]| {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        (x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
    };
    let ratio_of = |p: &[(f64, f64)]| {
        let a: Vec<f64> = p.iter().map(|x| x.0).collect();
        let b: Vec<f64> = p.iter().map(|x| x.1).collect();
        sd(&a) / sd(&b)
    };
    let ratio = ratio_of(&pairs);
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
    let boot: Vec<f64> = (0..2000)
        .map(|_| {
            let resample: Vec<(f64, f64)> =
                (0..pairs.len()).map(|_| pairs[rng.random_range(0..pairs.len())]).collect();
            ratio_of(&resample)
        })
        .collect();
    let se = sd(&boot);
    eprintln!(
        "sigma(V0): {:.3} mV at wl_scale 1, {:.3} mV at 2; ratio {ratio:.3} +- {se:.3} ({n} paired samples)",
        1e3 * sd(&pairs.iter().map(|p| p.0).collect::<Vec<_>>()),
        1e3 * sd(&pairs.iter().map(|p| p.1).collect::<Vec<_>>())
    );
    assert!(se < 0.1, "standard error {se} too large");
    assert!((ratio - 2.0).abs() < 0.3, "ratio {ratio} +- {se}");
}

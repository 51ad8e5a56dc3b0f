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
//! reports how many it dropped and needs three quarters of the pairs.
//!
//! Not every sample's latch flips at minimum size. At wl_scale = 1 the mismatch leaves many
//! latches with one state only at their balance point: the readout then amplifies and
//! thresholds the analog noise of that state, still a random bit, but with a V0 set by the
//! readout's trip point and the latch's DC transfer, not linear in the deviations (sample 17
//! of seed 1: V0 -104 mV at wl_scale 1 against -24.9 mV at 2). The test tells the two kinds
//! apart by a measurement at wl_scale 1 alone, independent of V0 at wl_scale 2: the standard
//! deviation of node a (the latch's output) over 10 us at the sample's own V0, against the
//! nominal latch's at its V0 (15 mV: both states visited). A latch that flips keeps at least
//! half of it. Pelgrom's law is then tested on the latches that flip, and the spread over
//! every usable sample is printed beside it.
//!
//! Long tier only (`cargo test --release --test pbit_real -- --ignored --nocapture`; 100
//! pairs by default, `PBITSIM_PAIRS=N` for fewer). Each V0 search takes 15-25 probes of P(1);
//! a probe lasts 5 us (25 correlation times) at wl_scale 1 and 25 us at wl_scale 2, where the
//! correlation time near V0 is about 15 us (`pbitsim simulate circuits/pbit_real.cir --set
//! wl_scale=2 --set vin=-1.9m --tstop 1m --dt 88p`: P(1) 0.42, mean dwells 34 and 23 us).
//! Probes under two correlation times are noisy, but they place V0 within a fraction of a mV
//! of a search with probes of 50 correlation times (samples 2, 7, 10 and 17 redone that way,
//! stop 26, moved by 0.4 mV at most), against a spread of 13 mV there. Nothing of it runs in
//! CI.
//!
//! Last run (stop 27, seed 1, 100 pairs, 2 threads: 25 min 40 s, 49 CPU-minutes): 96 pairs
//! usable (samples 12, 16, 47 and 65 have a stuck readout at wl_scale 1); the nominal latch's
//! node a sd 15.07 mV; 37 of the 96 latches flip at their V0. Over those 37, sigma(V0) 25.4 mV
//! at wl_scale 1 and 12.7 mV at 2, ratio 1.993 +- 0.004: V0 is linear in the deviations. Over
//! every usable sample, sigma(V0) 30.9 and 13.2 mV, ratio 2.34 +- 0.17, which would miss
//! 2 +- 0.3 at a standard error under 0.1: the 59 latches that do not flip have V0 at
//! wl_scale 1 about 2.1 times V0 at 2 (least squares through 0) with a wide scatter. The
//! split does not hang on the threshold: cuts at 6, 8 and 10 mV (a first run through the
//! command line, without the warm-up) gave ratios 1.998, 1.997 and 1.998, each +- 0.005.
//! Larger devices would keep every latch bistable, but at wl_scale 4 the latch does not
//! switch once in 400 us at -2.5, -2.2 or -1.9 mV (barrier times 16), beyond what a search
//! can afford.

use std::path::PathBuf;

use pbitsim::calibrate::CalibrateConfig;
use pbitsim::calibrate::population::{LocateError, locate};
use pbitsim::calibration::{Precision, SweepAxis};
use pbitsim::circuit::elaborate::Variation;
use pbitsim::rng::{Domain, Seed};
use pbitsim::simulate::{self, Engine};
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
/// 1/2 within 270 mV (a defective readout, see the module notes). The nominal width sets the
/// search's steps (0.3 mV at wl_scale = 1, 0.15 mV at 2); each probe of P(1) simulates
/// `probe` seconds.
fn v0(wl_scale: f64, k: u64, probe: f64) -> Option<f64> {
    let c = config(wl_scale);
    let vs = if wl_scale > 1.5 { 0.15e-3 } else { 0.3e-3 };
    // `locate` probes for 50 of these
    let tau = probe / 50.0;
    let seed = Seed(c.seed).child(Domain::Mismatch, k).child(Domain::Other, 0);
    match locate(&c, "out", "vin", &Variation::sample(c.seed, k), 300.0, -2e-3, (vs, tau), seed) {
        Ok((v0, _)) => Some(v0),
        Err(LocateError::Unlocated(_)) => None,
        Err(e) => panic!("sample {k} at wl_scale {wl_scale}: {e}"),
    }
}

/// The standard deviation of node a (the latch's output) of mismatch sample k at wl_scale 1
/// with vin at `v`, over 10 us after the warm-up: about 15 mV for a latch that flips between
/// its two states (the nominal one at its V0), 2-4 mV for one that rests in a single state.
fn latch_spread(k: u64, v: f64) -> f64 {
    let c = config(1.0);
    let values = std::iter::once(("vin".to_string(), v)).collect();
    let mut sim = pbitsim::calibrate::point_config(&c, &values, 300.0, &Variation::sample(c.seed, k));
    sim.runs = 1;
    sim.tstop = Some(10e-6 + c.warmup);
    let prepared = simulate::prepare(&sim).expect("prepare");
    let seed = Seed(c.seed).child(Domain::Mismatch, k).child(Domain::Other, 1);
    let (records, work) = simulate::run_batch(&sim, &prepared, seed, 1, &|_| {}).expect("simulate");
    simulate::Summary::from_records(&sim, &prepared, &records, work, 0.0).nodes["a"].std
}

#[test]
#[ignore = "long: about 50 CPU-minutes"]
fn v0_spread_falls_as_one_over_sqrt_area() {
    let n: u64 = std::env::var("PBITSIM_PAIRS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let mut runs: Vec<(f64, u64)> = Vec::new();
    for k in 1..=n {
        runs.push((1.0, k));
        runs.push((2.0, k));
    }
    let v: Vec<Option<f64>> = runs
        .par_iter()
        .map(|&(s, k)| {
            // probes of 25 nominal correlation times at wl_scale 1 (5 us), of 25 us (under
            // two) at wl_scale 2: see the module notes for why that is fine enough
            let v = v0(s, k, if s > 1.5 { 25e-6 } else { 5e-6 });
            eprintln!("sample {k}, wl_scale {s}: V0 = {:?} mV", v.map(|v| 1e3 * v));
            v
        })
        .collect();
    let usable: Vec<(u64, f64, f64)> =
        v.chunks(2).zip(1..).filter_map(|(p, k)| Some((k, p[0]?, p[1]?))).collect();
    eprintln!("{} of {n} pairs usable (the others have a stuck readout)", usable.len());
    assert!(
        4 * usable.len() >= 3 * n as usize,
        "only {} of {n} samples have a balance point at both sizes",
        usable.len()
    );
    // which latches flip at their balance point at wl_scale 1 (module notes): a spread of
    // node a at least half the nominal latch's
    let nominal = latch_spread(0, v0(1.0, 0, 5e-6).expect("the nominal p-bit balances"));
    let spreads: Vec<f64> = usable.par_iter().map(|&(k, v1, _)| latch_spread(k, v1)).collect();
    for (&(k, v1, v2), s) in usable.iter().zip(&spreads) {
        eprintln!(
            "sample {k}: V0 {:.3} / {:.3} mV, node a sd at V0 (wl_scale 1) {:.2} mV",
            1e3 * v1,
            1e3 * v2,
            1e3 * s
        );
    }
    let all: Vec<(f64, f64)> = usable.iter().map(|&(_, a, b)| (a, b)).collect();
    let pairs: Vec<(f64, f64)> =
        all.iter().zip(&spreads).filter(|&(_, &s)| s >= 0.5 * nominal).map(|(&p, _)| p).collect();
    eprintln!(
        "nominal latch: node a sd {:.2} mV; {} of {} usable samples flip at their V0 at wl_scale 1",
        1e3 * nominal,
        pairs.len(),
        all.len()
    );
    assert!(3 * pairs.len() >= all.len(), "only {} of {} latches flip", pairs.len(), all.len());
    let sd = |x: &[f64]| {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        (x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
    };
    let ratio_of = |p: &[(f64, f64)]| {
        let a: Vec<f64> = p.iter().map(|x| x.0).collect();
        let b: Vec<f64> = p.iter().map(|x| x.1).collect();
        sd(&a) / sd(&b)
    };
    // the ratio and its bootstrap standard error
    let estimate = |p: &[(f64, f64)]| {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let boot: Vec<f64> = (0..2000)
            .map(|_| {
                let resample: Vec<(f64, f64)> =
                    (0..p.len()).map(|_| p[rng.random_range(0..p.len())]).collect();
                ratio_of(&resample)
            })
            .collect();
        eprintln!(
            "sigma(V0): {:.3} mV at wl_scale 1, {:.3} mV at 2; ratio {:.3} +- {:.3} ({} paired samples)",
            1e3 * sd(&p.iter().map(|p| p.0).collect::<Vec<_>>()),
            1e3 * sd(&p.iter().map(|p| p.1).collect::<Vec<_>>()),
            ratio_of(p),
            sd(&boot),
            p.len()
        );
        (ratio_of(p), sd(&boot))
    };
    eprint!("every usable sample: ");
    estimate(&all);
    eprint!("latches that flip: ");
    let (ratio, se) = estimate(&pairs);
    assert!(se < 0.1, "standard error {se} too large");
    assert!((ratio - 2.0).abs() < 0.3, "ratio {ratio} +- {se}");
}

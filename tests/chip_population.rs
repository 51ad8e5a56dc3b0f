//! A chip whose p-bit cells come from a calibration's mismatch population
//! (`[cells] mismatch = "population"`, the default when the calibration has one) reproduces
//! the population's spread of per-cell P(1) at zero field.
//!
//! The population is made here: 2000 Monte Carlo "samples" of the shipped p-bit calibration
//! with V0 offsets N(0, (0.8 Vs)^2), widths Vs (1 + 0.05 z) and ln tau shifted by 0.2 z, the
//! same devices at every temperature. Its per-sample P(1) at zero field is
//! sigma((V0_nominal - V0_j) / Vs_j), and their standard deviation is the truth. The chip
//! (64 x 64, no couplings, no field: every sweep draws each cell independently) gives each
//! cell's P(1) as its marginal over S sweeps; their spread over cells, less the binomial
//! noise mean(p (1 - p)) / S, must match within 5 standard errors of both estimates
//! (SE(sd) = sd sqrt((kurtosis - 1) / 4n), computed from each set).

use std::path::PathBuf;

use pbitsim::calibration::{Calibration, CellKind, Population, PopulationSample, SampleFit};
use pbitsim::chip::{ChipConfig, RunOptions, run};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

fn shipped() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("circuits/pbit_calibration.json")
}

/// Standard deviation of `x` and its standard error from the sample kurtosis.
fn sd_with_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let m2 = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
    let m4 = x.iter().map(|v| (v - m).powi(4)).sum::<f64>() / n;
    let sd = m2.sqrt();
    (sd, sd * ((m4 / (m2 * m2) - 1.0) / (4.0 * n)).sqrt())
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn chip(calibration: &std::path::Path, mismatch: Option<&str>, sweeps: u64) -> ChipConfig {
    let mismatch = mismatch.map_or(String::new(), |m| format!("mismatch = \"{m}\"\n"));
    let text = format!(
        "[lattice]\nsize = [64, 64]\nboundary = \"torus\"\ndegree = 4\n[model]\nkind = \"ising\"\nbeta = 1.0\ncoupling = 0.0\nfield = 0.0\n\
         [cells]\nkind = \"pbit\"\ncalibration = \"{}\"\ntemperature = \"300K\"\n{mismatch}\
         [schedule]\nmethod = \"block-gibbs\"\nwarmup = 2\nsweeps = {sweeps}\n",
        calibration.display()
    );
    ChipConfig::parse(&text, "population chip", std::path::Path::new("."), &[]).unwrap()
}

#[test]
fn population_cells_reproduce_the_spread_of_p1() {
    let mut cal = Calibration::load(&shipped(), CellKind::Pbit).unwrap();
    let nominal: Vec<(f64, f64, f64)> =
        cal.fits.iter().map(|f| (f.v0.unwrap(), f.vs.unwrap(), f.correlation_time_s)).collect();
    let at_300 = cal.temperatures_k.iter().position(|t| (t - 300.0).abs() < 1.0).unwrap();
    let vs_300 = nominal[at_300].1;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
    let mut truth = Vec::new();
    let samples: Vec<PopulationSample> = (1..=2000)
        .map(|k| {
            let z: [f64; 3] = [0; 3].map(|_| StandardNormal.sample(&mut rng));
            let fits: Vec<SampleFit> = cal
                .temperatures_k
                .iter()
                .zip(&nominal)
                .map(|(&t, &(v0, vs, tau))| SampleFit {
                    temperature_k: t,
                    v0: v0 + 0.8 * vs_300 * z[0],
                    v0_se: 0.0,
                    vs: vs * (1.0 + 0.05 * z[1]),
                    vs_se: 0.0,
                    correlation_time_s: tau * (0.2 * z[2]).exp(),
                    energy_per_sample_j: 0.0,
                })
                .collect();
            let f = &fits[at_300];
            truth.push(sigmoid((nominal[at_300].0 - f.v0) / f.vs));
            PopulationSample { index: k, fits }
        })
        .collect();
    cal.population = Some(Population::new(3, "test population".into(), samples, &cal.temperatures_k));
    cal.version = pbitsim::calibration::VERSION;
    let dir = std::env::temp_dir().join(format!("pbitsim_chip_population_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("population.json");
    std::fs::write(&path, serde_json::to_string(&cal).unwrap()).unwrap();
    let (sd_truth, se_truth) = sd_with_se(&truth);
    let sweeps = 1000u64;
    for mismatch in [Some("population"), None] {
        let stats = run(
            &chip(&path, mismatch, sweeps),
            &RunOptions { seed: 4, threads: 0, ..Default::default() },
            &mut [],
        )
        .unwrap();
        let p = &stats.marginals;
        let (sd_raw, se_chip) = sd_with_se(p);
        let noise = p.iter().map(|q| q * (1.0 - q)).sum::<f64>() / p.len() as f64 / stats.samples as f64;
        let sd_chip = (sd_raw * sd_raw - noise).sqrt();
        let se = (se_truth * se_truth + se_chip * se_chip).sqrt();
        eprintln!(
            "mismatch {mismatch:?}: sd P(1) chip {sd_chip:.4} (raw {sd_raw:.4}), population {sd_truth:.4}, se {se:.4}"
        );
        assert!((sd_chip - sd_truth).abs() < 5.0 * se, "{mismatch:?}: {sd_chip} vs {sd_truth}");
        assert!(sd_truth > 0.1, "the test population must spread P(1)");
    }
    // Without a population, "population" is an error naming the file.
    let err = run(&chip(&shipped(), Some("population"), 10), &RunOptions::default(), &mut [])
        .unwrap_err()
        .to_string();
    assert!(err.contains("population") && err.contains("pbit_calibration.json"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

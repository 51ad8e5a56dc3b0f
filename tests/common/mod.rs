//! Helpers shared by the circuit tests: run a circuit on either engine and collect stationary
//! statistics with standard errors that account for autocorrelation.
#![allow(dead_code)]

use std::ops::ControlFlow;

use pbitsim::analysis::{Moments, integrated_time};
use pbitsim::circuit::{Circuit, CircuitSde};
use pbitsim::rng::Seed;
use pbitsim::sde::{EulerMaruyama, Schedule, SdeError, ensemble, integrate};

/// Which engine, and its step for the SDE.
#[derive(Debug, Clone, Copy)]
pub enum Engine {
    Sde { dt: f64 },
    Jump,
}

/// Stationary statistics of one free node, pooled over runs.
#[derive(Debug, Clone)]
pub struct NodeStats {
    pub mean: f64,
    pub std: f64,
    /// Standard error of the mean and of the standard deviation, from the integrated
    /// autocorrelation time of the recorded series.
    pub se_mean: f64,
    pub se_std: f64,
}

/// Run `runs` trajectories of `duration` after `warmup`, recording every `record` seconds,
/// and return statistics of every free node.
pub fn stationary(
    circuit: &Circuit,
    engine: Engine,
    runs: usize,
    warmup: f64,
    duration: f64,
    record: f64,
    seed: u64,
) -> Vec<NodeStats> {
    let n = circuit.free_count();
    let t_end = warmup + duration;
    let series: Vec<Vec<Vec<f64>>> = ensemble(runs, Seed(seed), 0, |_, rng| {
        let mut per_node: Vec<Vec<f64>> = vec![Vec::with_capacity((duration / record) as usize + 2); n];
        let mut observe = |t: f64, x: &[f64]| {
            if t >= warmup {
                for i in 0..n {
                    per_node[i].push(x[i]);
                }
            }
            ControlFlow::Continue(())
        };
        match engine {
            Engine::Sde { dt } => {
                let sys = CircuitSde::new(circuit);
                let mut x = sys.initial_state();
                integrate(
                    &sys,
                    &EulerMaruyama,
                    &Schedule::fixed(t_end, dt, record),
                    &mut x,
                    rng,
                    &mut observe,
                )
                .map(|_| ())
                .map_err(|e: SdeError| e.to_string())?;
            }
            Engine::Jump => {
                pbitsim::jump::gillespie(circuit, t_end, record, rng, &mut observe)
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok::<_, String>(per_node)
    })
    .unwrap();
    (0..n)
        .map(|i| {
            let mut m = Moments::default();
            let mut tau_sum = 0.0;
            let mut sq_tau_sum = 0.0;
            for run in &series {
                let s = &run[i];
                m.merge(&Moments::from_slice(s));
                tau_sum += integrated_time(s).expect("series too short for its correlation time");
                let mean = s.iter().sum::<f64>() / s.len() as f64;
                let sq: Vec<f64> = s.iter().map(|v| (v - mean) * (v - mean)).collect();
                sq_tau_sum += integrated_time(&sq).unwrap_or(1.0);
            }
            let tau = tau_sum / runs as f64;
            let tau_sq = sq_tau_sum / runs as f64;
            let count = m.count as f64;
            let std = m.std();
            // Var(mean) = 2 tau Var / N. For Gaussian fluctuations Var((v - m)^2) = 2 s^4, so
            // Var(s^2) = 2 tau' 2 s^4 / N and SE(s) = SE(s^2) / (2 s) = s sqrt(tau' / N).
            NodeStats {
                mean: m.mean,
                std,
                se_mean: std * (2.0 * tau / count).sqrt(),
                se_std: std * (tau_sq / count).sqrt(),
            }
        })
        .collect()
}

/// An empty directory under target/cli-tests for one test's output files.
pub fn cli_scratch(name: &str) -> std::path::PathBuf {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("cli-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

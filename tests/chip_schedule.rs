//! Free-running cells, clamps and annealing against exact results.

mod chip_common;

use pbitsim::chip::{
    Chip, ChipError, Couplings, Graph, IdealCell, Initial, Method, Model, ModelKind, Observer, RunOptions,
    Sample, Schedule, StateBuf, Topology, run_chip,
};

/// Records every cell's spin at every read.
struct Trace(Vec<Vec<i8>>);
impl Observer for Trace {
    fn observe(&mut self, s: &Sample) -> Result<(), ChipError> {
        if let StateBuf::Spins(v) = s.state {
            self.0.push(v.clone());
        }
        Ok(())
    }
}

/// Uncoupled cells with fields h_i: each is a telegraph process with rates p/tau and
/// (1-p)/tau, p = sigma(2 beta h_i), whose autocorrelation is exp(-t/tau) (two-state Markov
/// chain, total rate 1/tau). Reads every dt: lag-1 correlation exp(-dt/tau). Slow cells
/// (tau = 10 dt): 0.905; fast cells (tau = dt/20): ~0.
///
/// Tolerance: per cell the lag-1 sample autocorrelation of an AR(1)-like series has variance
/// about (1 - rho^2) / n (Bartlett); averaged over 64 cells with n = 20000 reads the SE is
/// below 0.0011 for rho = 0.905; 5 SE + 2/n for the estimator's bias gives 0.006.
#[test]
fn free_running_read_correlation_follows_tau() {
    let n = 64;
    let h = chip_common::normals(n, 0.0, 0.5, 3);
    let model = Model {
        kind: ModelKind::Ising,
        beta: 1.0,
        couplings: Couplings::Uniform(0.0),
        fields: h.clone(),
        diagonal: vec![],
    };
    let chip = Chip::new(Topology::Graph(Graph::new(n, vec![]).unwrap()), model).unwrap();
    for (tau, expect) in [(10.0, (-0.1f64).exp()), (0.05, (-20.0f64).exp())] {
        let schedule = Schedule {
            method: Method::FreeRunning,
            warmup: 100,
            sweeps: 20_000,
            tau,
            read_interval: 1.0,
            ..Default::default()
        };
        let mut trace = Trace(vec![]);
        let st = run_chip(
            &chip,
            IdealCell::new(1.0),
            &schedule,
            &RunOptions { seed: 8, threads: 1, ..Default::default() },
            &mut [&mut trace],
        )
        .unwrap();
        let mut rho_sum = 0.0;
        for i in 0..n {
            let x: Vec<f64> = trace.0.iter().map(|s| s[i] as f64).collect();
            let m = x.iter().sum::<f64>() / x.len() as f64;
            let c0: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
            let c1: f64 = x.windows(2).map(|w| (w[0] - m) * (w[1] - m)).sum();
            rho_sum += c1 / c0;
        }
        let rho = rho_sum / n as f64;
        eprintln!("tau {tau}: lag-1 correlation {rho:.4}, expected {expect:.4}");
        assert!((rho - expect).abs() < 0.006, "tau {tau}: {rho} vs {expect}");
        // marginals: P(+1) = sigma(2 beta h); SE sqrt(p(1-p) 2 tau_int / n) <= 0.5 sqrt(20/20000) (slow)
        for (i, &hi) in h.iter().enumerate() {
            let p = 1.0 / (1.0 + (-2.0 * hi as f64).exp());
            assert!((st.marginals[i] - p).abs() < 5.0 * 0.5 * (20.0f64 / 20_000.0).sqrt(), "cell {i}");
        }
    }
}

/// Two coupled spins, spin 0 clamped at +1: spin 1 sees u = h_1 + J, so
/// P(s_1 = +1) = sigma(2 beta (h_1 + J)) exactly. 200000 sweeps, SE < 0.5/sqrt(200000) = 0.0011
/// (independent draws: spin 1's conditional is fixed); tolerance 5 SE.
#[test]
fn clamped_cell_stays_and_drives_its_neighbour() {
    let model = Model {
        kind: ModelKind::Ising,
        beta: 0.7,
        couplings: Couplings::PerEdge(vec![0.8]),
        fields: vec![-2.0, 0.3],
        diagonal: vec![],
    };
    let chip = Chip::new(Topology::Graph(Graph::new(2, vec![(0, 1)]).unwrap()), model).unwrap();
    for method in [Method::BlockGibbs, Method::FreeRunning] {
        let schedule = Schedule {
            method,
            warmup: 10,
            sweeps: 200_000,
            clamp: vec![(0, 1.0)],
            tau: 0.1,
            initial: Initial::Down,
            ..Default::default()
        };
        let st = run_chip(
            &chip,
            IdealCell::new(0.7),
            &schedule,
            &RunOptions { seed: 4, threads: 1, ..Default::default() },
            &mut [],
        )
        .unwrap();
        let p1 = 1.0 / (1.0 + (-2.0 * 0.7 * (0.3f64 + 0.8)).exp());
        assert_eq!(st.marginals[0], 1.0, "{method:?}: clamped cell moved");
        assert!((st.marginals[1] - p1).abs() < 5.0 * 0.0011, "{method:?}: {} vs {p1}", st.marginals[1]);
    }
}

/// Annealing: beta follows the piecewise-linear schedule, and a 64 x 64 Ising model annealed
/// from beta 0.1 to 0.6 ends at low energy. At beta 0.6 the ordered phase has E/N about -1.9
/// (and a stripe state, which a quench can freeze into, about -1.9 + 2 * 64 * 2 / 4096 =
/// -1.84), against -0.2 at beta 0.1, so E/N < -1.7 fails if the schedule is not applied.
#[test]
fn annealing_schedule_is_followed() {
    let s = Schedule { anneal: Some(vec![(0, 0.1), (100, 0.6)]), ..Default::default() };
    assert_eq!(s.beta_at(0, 9.0), 0.1);
    assert!((s.beta_at(50, 9.0) - 0.35).abs() < 1e-12);
    assert_eq!(s.beta_at(1000, 9.0), 0.6);
    let lat = pbitsim::chip::Lattice::new(64, pbitsim::chip::Boundary::Torus, 4).unwrap();
    let model = Model {
        kind: ModelKind::Ising,
        beta: 0.1,
        couplings: Couplings::Uniform(1.0),
        fields: vec![0.0; 4096],
        diagonal: vec![],
    };
    let chip = Chip::new(Topology::Lattice(lat), model).unwrap();
    let schedule = Schedule {
        warmup: 3000,
        sweeps: 500,
        anneal: Some(vec![(0, 0.1), (2000, 0.6)]),
        ..Default::default()
    };
    let st = run_chip(
        &chip,
        IdealCell::new(0.1),
        &schedule,
        &RunOptions { seed: 2, threads: 2, ..Default::default() },
        &mut [],
    )
    .unwrap();
    assert_eq!(st.beta, 0.6);
    // E/N at beta 0.6 is about -1.9 in the ordered phase; -0.2 at beta 0.1
    assert!(st.energy_per_cell_mean < -1.7, "{}", st.energy_per_cell_mean);
}

//! The behavioural side of a chip made of transistors: the chip's joint law with its standard
//! errors, and the free-running sampler of cells behind calibrated couplings, each against an
//! exact truth computed here.
//!
//! - `joint` of an ideal chip against exact enumeration (PHYSICS.md section 6): every state
//!   within 5 of its reported standard errors, and the reported errors as large as the
//!   scatter they claim (the chi-square of the 16 states near its 16 degrees of freedom).
//! - Cells with inputs that settle instantly and a correlation time that depends strongly on
//!   the input: Glauber rates r_up / r_down = p / (1 - p) at the present field, so the law is
//!   Boltzmann whatever tau(u) (PHYSICS.md section 8), checked by enumeration.
//! - Cells whose logit is a cubic in their input: the stationary law of the jump process
//!   with those conditionals, computed here by power iteration on the 2^n-state chain,
//!   against the sampled law (the sampler is exact for any response, not only the logistic).
//! - Inputs that settle with tau_b > 0: as tau_b grows against the cells' correlation time a
//!   cell answers its neighbours' old states, and the correlations of a ferromagnet fall
//!   (measured at tau_b = 0, 0.5, 2 tau_c, each step down by more than 5 standard errors).
//! - A driver response (a synapse's contribution depends on its driver's own input): with
//!   instant inputs still a jump process on 2^n states, whose stationary law, computed here
//!   by power iteration, the sampled law must match.
//! - A read latency t_c: one cell's read state against the two-stage cell's mean dwells
//!   ([`pbitsim::cell::readout::mean_read_dwell`], itself checked against a direct
//!   simulation): its P(read up) is D_up / (D_up + D_down), not the latch's P.

mod chip_common;

use chip_common::*;
use pbitsim::cell::PbitCell;
use pbitsim::chip::cells::cell::InputLag;
use pbitsim::chip::cells::coupled::CoupledPbitCells;
use pbitsim::chip::{
    Chip, IdealCell, Initial, Method, ModelKind, Observer, RunOptions, Sample, Schedule, run_chip,
};

const INSTANT: InputLag = InputLag::new(0.0, 0.0);

/// K4 with mixed couplings and fields.
fn k4(beta: f64) -> (Chip, Vec<(usize, usize, f64)>, Vec<f64>) {
    let edges: Vec<(u32, u32)> = vec![(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];
    let j: Vec<f32> = vec![0.6, -0.4, 0.5, 0.3, -0.5, 0.45];
    let h: Vec<f32> = vec![0.2, -0.1, 0.0, 0.15];
    let e64 = edges.iter().zip(&j).map(|(&(a, b), &v)| (a as usize, b as usize, v as f64)).collect();
    let h64 = h.iter().map(|&x| x as f64).collect();
    let (t, m) = graph_model(4, edges, ModelKind::Ising, beta, j, h);
    (Chip::new(t, m).unwrap(), e64, h64)
}

fn free_running(sweeps: u64) -> Schedule {
    Schedule {
        method: Method::FreeRunning,
        warmup: 200,
        sweeps,
        initial: Initial::Random,
        tau: 1.0,
        read_interval: 1.0,
        ..Default::default()
    }
}

/// A cell of logistic width 25 mV (or a cubic logit) with a correlation time that varies by
/// a factor of ~20 over its input range.
fn cell(cubic: Option<f64>) -> PbitCell {
    let mut c = PbitCell::ideal(0.0, 0.025, 1.0, 300.0);
    c.log_tau_shape = vec![0.0, 20.0, -400.0];
    c.logit = cubic.map(|c3| vec![0.0, 1.0 / 0.025, 0.0, c3]);
    c
}

#[test]
fn joint_law_of_a_small_chip_matches_enumeration_within_its_probability_se() {
    let (chip, e, h) = k4(0.8);
    let exact = exact_ising(4, &e, &h, 0.8);
    let schedule = Schedule { sweeps: 200_000, warmup: 100, ..Default::default() };
    let st = run_chip(
        &chip,
        IdealCell::new(0.8),
        &schedule,
        &RunOptions { seed: 4, ..Default::default() },
        &mut [],
    )
    .unwrap();
    let joint = st.joint.expect("a 4-cell Ising chip reports its joint law");
    assert_eq!(joint.outputs, ["s0", "s1", "s2", "s3"]);
    let mut chi2 = 0.0;
    for k in 0..16 {
        let (p, se) = (joint.probabilities[k], joint.probability_se[k]);
        assert!((p - exact[k]).abs() < 5.0 * se, "state {k}: {p} vs {} (se {se})", exact[k]);
        chi2 += ((p - exact[k]) / se).powi(2);
    }
    // 16 terms (one constraint, and batch-means errors with 31 dof): honest errors give a
    // chi-square near 16; errors 2x too small would give about 64.
    assert!(chi2 < 16.0 + 5.0 * (32.0f64).sqrt() && chi2 > 2.0, "chi2 {chi2}");
}

/// Runs `cells` on `chip` free running and returns the sampled law and its noise floor.
fn sampled(chip: &Chip, cells: CoupledPbitCells, sweeps: u64, seed: u64) -> (Vec<u32>, f64) {
    let mut hist = Histogram::new(16, 2);
    let st = run_chip(
        chip,
        cells,
        &free_running(sweeps),
        &RunOptions { seed, ..Default::default() },
        &mut [&mut hist],
    )
    .unwrap();
    (hist.counts, sweeps as f64 / (2.0 * st.tau_int_energy.max(0.5)))
}

#[test]
fn instant_inputs_give_the_boltzmann_law_whatever_the_correlation_time() {
    let beta = 0.8;
    let (chip, e, h) = k4(beta);
    let exact = exact_ising(4, &e, &h, beta);
    let cells = CoupledPbitCells::new(cell(None), 0.025, beta, vec![0.0; 4], INSTANT);
    let (counts, n_eff) = sampled(&chip, cells, 400_000, 7);
    let floor = tv_noise_floor(&exact, n_eff);
    let d = tv(&exact, &counts);
    assert!(floor < 0.006, "noise floor {floor}");
    assert!(d < 3.0 * floor, "TV {d}, noise floor {floor}");
}

/// Stationary law of the 2^n-state jump process in which cell i flips up at rate
/// p_i(u) / tau_i(u) and down at (1 - p_i(u)) / tau_i(u), by power iteration on its
/// uniformised chain.
fn stationary(n: usize, rates: impl Fn(usize, &[f64]) -> (f64, f64)) -> Vec<f64> {
    let states = 1usize << n;
    let mut out: Vec<Vec<(usize, f64)>> = vec![vec![]; states];
    let mut max_out = 0f64;
    for (s, row) in out.iter_mut().enumerate() {
        let spins: Vec<f64> = (0..n).map(|i| if s >> i & 1 == 1 { 1.0 } else { -1.0 }).collect();
        let mut total = 0.0;
        for i in 0..n {
            let (up, down) = rates(i, &spins);
            let r = if spins[i] < 0.0 { up } else { down };
            row.push((s ^ (1 << i), r));
            total += r;
        }
        max_out = max_out.max(total);
    }
    let mut pi = vec![1.0 / states as f64; states];
    for _ in 0..20_000 {
        let mut next = pi.clone();
        for (s, row) in out.iter().enumerate() {
            for &(t, r) in row {
                let flow = pi[s] * r / max_out;
                next[t] += flow;
                next[s] -= flow;
            }
        }
        pi = next;
    }
    pi
}

#[test]
fn a_cubic_response_gives_the_stationary_law_of_its_jump_process() {
    let beta = 0.8;
    let (chip, e, h) = k4(beta);
    let c = cell(Some(4.0e5));
    let gain = 2.0 * beta * 0.025;
    let exact = stationary(4, |i, s| {
        let u = h[i]
            + e.iter()
                .map(|&(a, b, j)| {
                    if a == i {
                        j * s[b]
                    } else if b == i {
                        j * s[a]
                    } else {
                        0.0
                    }
                })
                .sum::<f64>();
        let p = c.probability(gain * u, 0.0);
        let tau = c.correlation_time(gain * u, 0.0);
        (p / tau, (1.0 - p) / tau)
    });
    let boltzmann = exact_ising(4, &e, &h, beta);
    let shift = 0.5 * exact.iter().zip(&boltzmann).map(|(a, b)| (a - b).abs()).sum::<f64>();
    assert!(shift > 0.02, "the cubic should move the law away from Boltzmann ({shift})");
    let cells = CoupledPbitCells::new(c, 0.025, beta, vec![0.0; 4], INSTANT);
    let (counts, n_eff) = sampled(&chip, cells, 400_000, 8);
    let floor = tv_noise_floor(&exact, n_eff);
    let d = tv(&exact, &counts);
    assert!(d < 3.0 * floor, "TV {d}, noise floor {floor}");
}

/// Mean of s_0 s_1 over the samples.
struct Pair(f64, u64);

impl Observer for Pair {
    fn observe(&mut self, s: &Sample) -> Result<(), pbitsim::chip::ChipError> {
        if let pbitsim::chip::StateBuf::Spins(v) = s.state {
            self.0 += (v[0] * v[1]) as f64;
            self.1 += 1;
        }
        Ok(())
    }
}

#[test]
fn slow_inputs_weaken_the_correlations_of_a_ferromagnet() {
    let edges: Vec<(u32, u32)> = vec![(0, 1), (1, 2), (2, 3), (3, 0)];
    let (t, m) = graph_model(4, edges, ModelKind::Ising, 0.5, vec![1.0; 4], vec![0.0; 4]);
    let chip = Chip::new(t, m).unwrap();
    let sweeps = 100_000;
    let mut previous = f64::INFINITY;
    for (k, settling) in [0.0, 0.5, 2.0].into_iter().enumerate() {
        let lag = InputLag::new(0.0, settling);
        let cells = CoupledPbitCells::new(cell(None), 0.025, 0.5, vec![0.0; 4], lag);
        let mut pair = Pair(0.0, 0);
        let st = run_chip(
            &chip,
            cells,
            &free_running(sweeps),
            &RunOptions { seed: 9 + k as u64, ..Default::default() },
            &mut [&mut pair],
        )
        .unwrap();
        let c = pair.0 / pair.1 as f64;
        // Standard error of <s0 s1> from the energy's autocorrelation time (the pair is a
        // term of the energy), at most 1 - c^2 variance.
        let se = ((1.0 - c * c) * 2.0 * st.tau_int_energy.max(0.5) / sweeps as f64).sqrt();
        assert!(c < previous - 5.0 * se, "tau_b = {settling}: <s0 s1> = {c}, before {previous} (se {se})");
        previous = c;
    }
}

/// Field of cell `i`: h_i + sum_j J_ij f(j) over its neighbours j.
fn field(i: usize, e: &[(usize, usize, f64)], h: &[f64], f: &dyn Fn(usize) -> f64) -> f64 {
    h[i] + e
        .iter()
        .map(|&(a, b, j)| {
            if a == i {
                j * f(b)
            } else if b == i {
                j * f(a)
            } else {
                0.0
            }
        })
        .sum::<f64>()
}

#[test]
fn a_driver_response_gives_the_stationary_law_of_its_jump_process() {
    let beta = 0.8;
    let (chip, e, h) = k4(beta);
    let c = cell(None);
    let gain = 2.0 * beta * 0.025;
    // exaggerated against the synapse's (A 0.02, B -0.003) so that it moves the law
    let (a, b) = (0.3, -0.05);
    let exact = stationary(4, |i, s| {
        let driven = |j: usize| field(j, &e, &h, &|k| s[k]);
        let u = field(i, &e, &h, &|j| s[j] * (1.0 + b * driven(j).powi(2)) + a * driven(j));
        let p = c.probability(gain * u, 0.0);
        let tau = c.correlation_time(gain * u, 0.0);
        (p / tau, (1.0 - p) / tau)
    });
    let boltzmann = exact_ising(4, &e, &h, beta);
    let shift = 0.5 * exact.iter().zip(&boltzmann).map(|(x, y)| (x - y).abs()).sum::<f64>();
    assert!(shift > 0.02, "the driver response should move the law away from Boltzmann ({shift})");
    let lag = InputLag { driver_offset: a, driver_gain: b, ..INSTANT };
    let cells = CoupledPbitCells::new(c, 0.025, beta, vec![0.0; 4], lag);
    let (counts, n_eff) = sampled(&chip, cells, 400_000, 12);
    let floor = tv_noise_floor(&exact, n_eff);
    let d = tv(&exact, &counts);
    assert!(d < 3.0 * floor, "TV {d}, noise floor {floor}");
}

/// Fraction of reads with cell 0 up.
struct Up(u64, u64);

impl Observer for Up {
    fn observe(&mut self, s: &Sample) -> Result<(), pbitsim::chip::ChipError> {
        if let pbitsim::chip::StateBuf::Spins(v) = s.state {
            self.0 += u64::from(v[0] > 0);
            self.1 += 1;
        }
        Ok(())
    }
}

#[test]
fn a_read_latency_filters_the_latch_as_the_two_stage_dwells_say() {
    use pbitsim::cell::readout::mean_read_dwell;
    // one cell in a field (two cells, no coupling): latch P = 0.73, tau = 1, t_c = 1
    let (t, m) = graph_model(2, vec![(0, 1)], ModelKind::Ising, 0.5, vec![0.0], vec![1.0, 1.0]);
    let chip = Chip::new(t, m).unwrap();
    let c = PbitCell::ideal(0.0, 0.025, 1.0, 300.0);
    let gain = 2.0 * 0.5 * 0.025;
    let p = c.probability(gain * 1.0, 0.0);
    let hold = 1.0;
    let (up, down) = (p, 1.0 - p);
    let (d_up, d_down) = (mean_read_dwell(down, up, hold), mean_read_dwell(up, down, hold));
    let expected = d_up / (d_up + d_down);
    let lag = InputLag { readout: hold, ..INSTANT };
    let cells = CoupledPbitCells::new(c, 0.025, 0.5, vec![0.0; 2], lag);
    let sweeps = 400_000;
    let mut schedule = free_running(sweeps);
    schedule.read_interval = 0.5;
    let mut reads = Up(0, 0);
    run_chip(&chip, cells, &schedule, &RunOptions { seed: 13, ..Default::default() }, &mut [&mut reads])
        .unwrap();
    let f = reads.0 as f64 / reads.1 as f64;
    // reads 0.5 apart of a two-state signal with correlation time
    // D_up D_down / (D_up + D_down), about 2.2: variance inflation 2 tau / dt + 1 < 15
    let tau_read = d_up * d_down / (d_up + d_down);
    assert!(tau_read < 3.5, "{tau_read}");
    let se = (f * (1.0 - f) * 15.0 / reads.1 as f64).sqrt();
    assert!((f - expected).abs() < 5.0 * se, "read P(up) {f} +- {se}, two-stage {expected}, latch {p}");
    assert!((f - p).abs() > 5.0 * se, "the latency should move P(read up) off the latch's {p} ({f})");
}

//! The readout latency of a p-bit cell: how long its latch must hold a new state before the
//! readout shows it.
//!
//! A p-bit cell with a readout stage is a two-stage system. The latch flips at random; the
//! readout (inverters on wider rails, `circuits/cells/pbit_cell.cir`) follows the latch only
//! once the latch has committed, and filters the latch's excursions that turn back. Its dwells
//! are therefore longer than a Markov cell's with the same correlation time (about 1.4 times
//! for `pbit_cell`), with a dead time of about 15 ns, while its autocorrelation, which short
//! excursions barely touch, stays that of the latch.
//!
//! The behavioural model: a hidden latch with the calibrated rates r_up = P / tau and
//! r_down = (1 - P) / tau, and a read state that takes the latch's state once the latch has
//! held it for t_c. A read dwell in state s is then a sequence of latch excursions out of s,
//! the first N - 1 shorter than t_c (they turn back) and the last one held for t_c. With a
//! the latch's rate of leaving s and b its rate of returning, an excursion survives t_c with
//! probability q = e^{-b t_c}, N is geometric with mean 1/q, and
//!
//!   E[dwell in s] = t_c + (1/q) / a + (1/q - 1) E[X | X < t_c],
//!   E[X | X < t_c] = 1/b - t_c q / (1 - q)   (X ~ Exp(b)),
//!
//! which is the Markov dwell 1/a at t_c = 0 and grows with t_c. [`readout_latency`] solves the
//! sum of the two mean dwells for t_c at each calibration point where both states are well
//! visited (0.2 <= P <= 0.8) and averages the solutions; a cell whose dwells are not longer
//! than a Markov cell's (a latch read directly, `circuits/pbit.cir`) gets t_c = 0.

use crate::calibration::PointMeasurement;

/// The mean dwell of the read state in a state the latch leaves at rate `leave` and returns
/// to at rate `back` (1/s), with read latency `hold` (s): the formula of the module docs.
pub fn mean_read_dwell(leave: f64, back: f64, hold: f64) -> f64 {
    if hold <= 0.0 {
        return 1.0 / leave;
    }
    let q = (-back * hold).exp();
    // E[X | X < hold] for X ~ Exp(back); its small-(back hold) limit is hold / 2
    let short = if back * hold < 1e-6 { 0.5 * hold } else { 1.0 / back - hold * q / (1.0 - q) };
    hold + 1.0 / (q * leave) + (1.0 / q - 1.0) * short
}

/// The read latency t_c (s) that makes the two-stage cell's mean dwells at one point sum to
/// the measured ones: `p` the point's P(1), `tau` its correlation time, `dwells` its measured
/// mean dwells (state 0, state 1). None when no t_c in [0, 10 tau] does.
pub fn latency_at(p: f64, tau: f64, dwells: [f64; 2]) -> Option<f64> {
    let (up, down) = (p / tau, (1.0 - p) / tau);
    let measured = dwells[0] + dwells[1];
    let excess = |t: f64| mean_read_dwell(up, down, t) + mean_read_dwell(down, up, t) - measured;
    if !(measured.is_finite() && up > 0.0 && down > 0.0) || excess(0.0) >= 0.0 || excess(10.0 * tau) <= 0.0 {
        return None;
    }
    let (mut lo, mut hi) = (0.0, 10.0 * tau);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if excess(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The readout latency of a p-bit calibration's cell at the calibrated temperature
/// `temperature` (K): the mean of [`latency_at`] over its bit points at that temperature with
/// 0.2 <= P(1) <= 0.8 (0 where none has a solution: dwells no longer than a Markov cell's).
pub fn readout_latency(points: &[PointMeasurement], temperature: f64) -> f64 {
    let solutions: Vec<f64> = points
        .iter()
        .filter(|m| (m.temperature_k - temperature).abs() < 1e-6 && m.kind == "bit")
        .filter_map(|m| {
            let p = *m.probabilities.as_ref()?.get(1)?;
            let d = m.mean_dwell_s.as_ref()?;
            if !(0.2..=0.8).contains(&p) || d.len() != 2 {
                return None;
            }
            latency_at(p, m.correlation_time_s, [d[0], d[1]])
        })
        .collect();
    if solutions.is_empty() { 0.0 } else { solutions.iter().sum::<f64>() / solutions.len() as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Domain, Seed};
    use rand::RngExt;

    /// The closed-form mean dwell against a direct simulation of the two-stage process (a
    /// telegraph latch with rates a out of the state and b back, read once it has held
    /// t_c): 200,000 read dwells, within 4 standard errors (the dwells' scatter / sqrt(n)).
    #[test]
    fn mean_read_dwell_matches_a_simulated_two_stage_cell() {
        let (a, b, hold) = (1.0 / 80.0, 1.0 / 50.0, 15.0);
        let mut rng = Seed(11).stream(Domain::Other, 0);
        let exp = |rng: &mut crate::rng::StreamRng, rate: f64| -(1.0f64 - rng.random::<f64>()).ln() / rate;
        let n = 200_000;
        let (mut sum, mut sq) = (0.0, 0.0);
        for _ in 0..n {
            // the read state has just become s: the latch is in s
            let mut dwell = 0.0;
            loop {
                dwell += exp(&mut rng, a);
                let excursion = exp(&mut rng, b);
                if excursion >= hold {
                    dwell += hold;
                    break;
                }
                dwell += excursion;
            }
            sum += dwell;
            sq += dwell * dwell;
        }
        let mean = sum / n as f64;
        let se = ((sq / n as f64 - mean * mean) / n as f64).sqrt();
        let formula = mean_read_dwell(a, b, hold);
        assert!((mean - formula).abs() < 4.0 * se, "simulated {mean} +- {se}, formula {formula}");
        assert_eq!(mean_read_dwell(a, b, 0.0), 1.0 / a);
    }

    /// Regression test of the solver, not of the physics (the dwells come from the formula
    /// it inverts): latency_at finds the t_c the dwells were made with, and dwells no longer
    /// than a Markov cell's have no latency.
    #[test]
    fn latency_inverts_the_dwell_sum() {
        let (p, tau, hold) = (0.6, 40e-9, 12e-9);
        let (up, down) = (p / tau, (1.0 - p) / tau);
        let dwells = [mean_read_dwell(up, down, hold), mean_read_dwell(down, up, hold)];
        let found = latency_at(p, tau, dwells).expect("a latency");
        assert!((found - hold).abs() < 1e-12, "{found}");
        assert_eq!(latency_at(p, tau, [tau / p, tau / (1.0 - p)]), None);
    }
}

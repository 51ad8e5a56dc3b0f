//! Tau-leaping (Gillespie, J. Chem. Phys. 115, 1716, 2001): advance by a leap tau, firing each
//! channel a Poisson(lambda tau) number of times with rates frozen at the start of the leap.
//! Approximate; exact as tau -> 0.
//!
//! The leap is chosen before every leap as Cao, Gillespie and Petzold do (J. Chem. Phys. 124,
//! 044109, 2006): no propensity may change by more than a fraction epsilon of itself, in mean
//! or in standard deviation, within a leap. A propensity of a channel is exponential in its
//! terminal voltages with coefficients summing to at most 2/U_T in magnitude (1/(n U_T) at the
//! gate, 1/U_T at source or drain, (1 - 1/n)/U_T at the bulk; a resistor's less), so it is
//! enough that no node moves by more than epsilon U_T / 2:
//!
//!   tau <= (epsilon U_T / 2) / |mu_i|,   tau <= (epsilon U_T / 2)^2 / sigma_i^2   for every node i,
//!
//! with mu_i = sum_k dV_ik (lambda_k+ - lambda_k-) and sigma_i^2 = sum_k dV_ik^2
//! (lambda_k+ + lambda_k-) the mean and variance rates of node i (dV_k the voltage jump of one
//! transfer). When such a leap would hold fewer than ten events the exact method is cheaper
//! and exact: that step is a single Gillespie event instead (their SSA fallback). With the
//! leap forced (`--force-dt`) leaps are fixed, and one that moves a node by more than half a
//! thermal voltage on average is refused.
//!
//! Flicker traps ([`super::Telegraph`]) flip between leaps: an adaptive leap ends at the next
//! flip, as it ends at a recording time (exact flip times); a fixed leap fires the flips that
//! fell within it at its end.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Poisson};

use super::rates::Rates;
use super::{ChargeState, JumpError, JumpStats, Telegraph, check_schedule, fire};
use crate::circuit::Circuit;
use crate::sde::Observer;
use crate::units::ELEMENTARY_CHARGE;

/// Cao-Gillespie-Petzold's default bound on the relative change of a propensity per leap.
pub const EPSILON: f64 = 0.03;

/// Fewer expected events than this in a leap and an exact event is taken instead.
const EXACT_BELOW: f64 = 10.0;

/// How leaps are chosen.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum LeapRule {
    /// Cao-Gillespie-Petzold leaps with this epsilon, times `scale` (1; 0.5 to check a run at
    /// half the leap), never longer than `upper` (s).
    Adaptive { epsilon: f64, scale: f64, upper: f64 },
    /// Fixed leaps of this length (s).
    Fixed(f64),
}

fn poisson<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> i64 {
    if mean <= 0.0 {
        return 0;
    }
    match Poisson::new(mean) {
        Ok(p) => {
            let k: f64 = p.sample(rng);
            k as i64
        }
        Err(_) => 0,
    }
}

/// The Cao-Gillespie-Petzold leap at free-node voltages `v`: the longest tau over which no
/// propensity changes by more than `epsilon` of itself (s; infinite when nothing moves).
pub fn leap_bound(circuit: &Circuit, v: &[f64], epsilon: f64) -> f64 {
    let n = circuit.free_count();
    leap_bound_with(circuit, v, &[], epsilon, &mut vec![0.0; n], &mut vec![0.0; n])
}

/// [`leap_bound`] with caller-supplied buffers for the mean and variance rates of each node.
/// `traps` the flicker traps' states (empty: none).
fn leap_bound_with(
    circuit: &Circuit,
    v: &[f64],
    traps: &[f64],
    epsilon: f64,
    mean: &mut [f64],
    variance: &mut [f64],
) -> f64 {
    let n = circuit.free_count();
    mean.fill(0.0);
    variance.fill(0.0);
    circuit.for_each_flux_shifted(v, traps, |_, device, pf, pr, charge| {
        let unit = charge * ELEMENTARY_CHARGE;
        let (up, down) = (pf / unit, pr / unit);
        for i in 0..n {
            let jump = device.dv[i] * unit;
            mean[i] += jump * (up - down);
            variance[i] += jump * jump * (up + down);
        }
    });
    let reach = 0.5 * epsilon * circuit.thermal_voltage();
    (0..n).map(|i| (reach / mean[i].abs()).min(reach * reach / variance[i])).fold(f64::INFINITY, f64::min)
}

/// Simulate `circuit` by tau-leaping over [0, t_end] with leaps chosen by `rule`, recording
/// every `record_every` (adaptive leaps land on every recording time; fixed leaps are rounded
/// to a whole number per recording interval).
pub fn simulate<R: Rng + ?Sized, O: Observer + ?Sized>(
    circuit: &Circuit,
    t_end: f64,
    rule: &LeapRule,
    record_every: f64,
    rng: &mut R,
    observer: &mut O,
) -> Result<JumpStats, JumpError> {
    check_schedule(t_end, record_every)?;
    if let Some(source) = circuit.drive.voltage.first() {
        return Err(JumpError::DrivenLeap(source.name.clone()));
    }
    match *rule {
        LeapRule::Fixed(tau) => fixed(circuit, t_end, tau, record_every, rng, observer),
        LeapRule::Adaptive { epsilon, scale, upper } => {
            adaptive(circuit, t_end, (epsilon, scale), upper, record_every, rng, observer)
        }
    }
}

fn adaptive<R: Rng + ?Sized, O: Observer + ?Sized>(
    circuit: &Circuit,
    t_end: f64,
    (epsilon, scale): (f64, f64),
    upper: f64,
    record_every: f64,
    rng: &mut R,
    observer: &mut O,
) -> Result<JumpStats, JumpError> {
    let mut state = ChargeState::new(circuit)?;
    let mut traps = Telegraph::new(circuit, rng);
    let n = circuit.free_count();
    let mut cache = Rates::new(circuit);
    let mut stats = JumpStats { leap_min: f64::INFINITY, ..JumpStats::default() };
    if observer.observe(0.0, &state.x).is_break() {
        return Ok(stats);
    }
    let (mut mean, mut variance) = (vec![0.0; n], vec![0.0; n]);
    let mut t = 0.0;
    let mut records = 1u64;
    while t < t_end {
        let t_record = (records as f64 * record_every).min(t_end);
        // The leap ends at the next recording time or the next trap flip, whichever is first.
        let flip_first = traps.next < t_record;
        let t_stop = if flip_first { traps.next } else { t_record };
        let total = cache.refresh_all(circuit, &state.x[..n], &traps.state);
        let (rates, charges) = (&cache.rates, &cache.charges);
        let bound = (scale
            * leap_bound_with(circuit, &state.x[..n], &traps.state, epsilon, &mut mean, &mut variance))
        .min(upper);
        let mut landed = false;
        if bound * total < EXACT_BELOW {
            // One exact event, or none before the recording time (or the next flip).
            let wait = if total > 0.0 { -(1.0 - rng.random::<f64>()).ln() / total } else { f64::INFINITY };
            if t + wait >= t_stop {
                t = t_stop;
                landed = true;
            } else {
                fire(circuit, &mut state, rates, charges, total, rng);
                stats.events += 1;
                stats.exact_events += 1;
                t += wait;
            }
        } else {
            let tau = if bound >= t_stop - t {
                landed = true;
                t_stop - t
            } else {
                bound
            };
            for k in 0..circuit.devices.len() {
                let (kf, kr) = (poisson(rng, rates[2 * k] * tau), poisson(rng, rates[2 * k + 1] * tau));
                stats.events += (kf + kr) as u64;
                if kf != kr {
                    state.apply(circuit, k, kf - kr, charges[k]);
                }
            }
            stats.leaps += 1;
            stats.leap_min = stats.leap_min.min(tau);
            stats.leap_max = stats.leap_max.max(tau);
            t = if landed { t_stop } else { t + tau };
        }
        if landed && flip_first {
            traps.flip(rng);
            continue;
        }
        if landed {
            records += 1;
            stats.t_final = t;
            if observer.observe(t, &state.x).is_break() {
                break;
            }
        }
    }
    if stats.leap_min > stats.leap_max {
        stats.leap_min = 0.0;
    }
    Ok(stats)
}

fn fixed<R: Rng + ?Sized, O: Observer + ?Sized>(
    circuit: &Circuit,
    t_end: f64,
    tau: f64,
    record_every: f64,
    rng: &mut R,
    observer: &mut O,
) -> Result<JumpStats, JumpError> {
    check_schedule(t_end, tau)?;
    let mut state = ChargeState::new(circuit)?;
    let mut traps = Telegraph::new(circuit, rng);
    let n = circuit.free_count();
    let ut = circuit.thermal_voltage();
    let steps = ((t_end / tau) - 1e-9).ceil().max(1.0) as u64;
    let tau = t_end / steps as f64;
    let every = ((record_every / tau).round() as u64).max(1);
    let mut stats = JumpStats { leap_min: tau, leap_max: tau, ..JumpStats::default() };
    let mut counts = vec![0i64; circuit.devices.len()];
    let mut charges = vec![1.0; circuit.devices.len()];
    if observer.observe(0.0, &state.x).is_break() {
        return Ok(stats);
    }
    for step in 0..steps {
        let t = step as f64 * tau;
        for (k, device) in circuit.devices.iter().enumerate() {
            let shift = Circuit::trap_shift(device, &traps.state);
            let (pf, pr, charge) = circuit.midpoint_fluxes_shifted(device, &state.x[..n], shift);
            let unit = charge * ELEMENTARY_CHARGE;
            let (mf, mr) = (pf / unit * tau, pr / unit * tau);
            let jump = device.dv.iter().fold(0.0f64, |a, d| a.max(d.abs())) * unit;
            charges[k] = charge;
            if (mf - mr).abs() * jump > 0.5 * ut {
                return Err(JumpError::LeapTooLarge {
                    t,
                    device: device.name.clone(),
                    expected: mf.max(mr),
                    jump_mv: 1e3 * (mf - mr).abs() * jump,
                });
            }
            let (kf, kr) = (poisson(rng, mf), poisson(rng, mr));
            counts[k] = kf - kr;
            stats.events += (kf + kr) as u64;
        }
        for (k, &c) in counts.iter().enumerate() {
            if c != 0 {
                state.apply(circuit, k, c, charges[k]);
            }
        }
        stats.leaps += 1;
        stats.t_final = (step + 1) as f64 * tau;
        while traps.next <= stats.t_final {
            traps.flip(rng);
        }
        if (step + 1) % every == 0 && observer.observe(stats.t_final, &state.x).is_break() {
            break;
        }
    }
    Ok(stats)
}

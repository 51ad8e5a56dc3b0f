//! Tau-leaping (Gillespie, J. Chem. Phys. 115, 1716, 2001): advance by a fixed leap tau, firing
//! each channel a Poisson(lambda tau) number of times with rates frozen at the start of the
//! leap. Approximate; exact as tau -> 0. A leap in which a channel would move a node by more
//! than half a thermal voltage on average is refused, since rates would change within it.

use rand::Rng;
use rand_distr::{Distribution, Poisson};

use super::{ChargeState, JumpError, JumpStats, check_schedule};
use crate::circuit::Circuit;
use crate::sde::Observer;
use crate::units::ELEMENTARY_CHARGE;

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

/// Simulate `circuit` by tau-leaping with leap `tau` over [0, t_end], recording every
/// `record_every` (rounded to a whole number of leaps).
pub fn simulate<R: Rng + ?Sized, O: Observer + ?Sized>(
    circuit: &Circuit,
    t_end: f64,
    tau: f64,
    record_every: f64,
    rng: &mut R,
    observer: &mut O,
) -> Result<JumpStats, JumpError> {
    check_schedule(t_end, record_every)?;
    check_schedule(t_end, tau)?;
    let mut state = ChargeState::new(circuit)?;
    let n = circuit.free_count();
    let ut = circuit.thermal_voltage();
    let steps = ((t_end / tau) - 1e-9).ceil().max(1.0) as u64;
    let tau = t_end / steps as f64;
    let every = ((record_every / tau).round() as u64).max(1);
    let mut stats = JumpStats::default();
    let mut counts = vec![0i64; circuit.devices.len()];
    let mut charges = vec![1.0; circuit.devices.len()];
    if observer.observe(0.0, &state.x).is_break() {
        return Ok(stats);
    }
    for step in 0..steps {
        let t = step as f64 * tau;
        for (k, device) in circuit.devices.iter().enumerate() {
            let (pf, pr, charge) = circuit.midpoint_fluxes(device, &state.x[..n]);
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
        stats.t_final = (step + 1) as f64 * tau;
        if (step + 1) % every == 0 && observer.observe(stats.t_final, &state.x).is_break() {
            break;
        }
    }
    Ok(stats)
}

//! Gillespie's direct method (J. Phys. Chem. 81, 2340, 1977): with total rate Lambda, wait an
//! exponential time of mean 1/Lambda, then fire channel j with probability lambda_j/Lambda.
//! After an event only the rates of the devices on the nodes it moved are recomputed
//! ([`super::rates`]). A flicker
//! trap's flip that comes first is fired instead, and the transfer's wait drawn anew. A
//! circuit with waveform sources is handed to [`super::driven`].

use rand::{Rng, RngExt};

use super::rates::Rates;
use super::{ChargeState, JumpError, JumpStats, Telegraph, check_schedule, fire, record_through};
use crate::circuit::Circuit;
use crate::sde::Observer;

/// Simulate `circuit` exactly from its initial state over [0, t_end], giving the state to
/// `observer` every `record_every` (the state at a recording time is the one holding then).
pub fn simulate<R: Rng + ?Sized, O: Observer + ?Sized>(
    circuit: &Circuit,
    t_end: f64,
    record_every: f64,
    rng: &mut R,
    observer: &mut O,
) -> Result<JumpStats, JumpError> {
    if circuit.is_driven() {
        if circuit.trap_count > 0 {
            return Err(JumpError::DrivenFlicker { traps: circuit.trap_count });
        }
        return super::driven::simulate(circuit, t_end, record_every, rng, observer);
    }
    check_schedule(t_end, record_every)?;
    let mut state = ChargeState::new(circuit)?;
    let mut traps = Telegraph::new(circuit, rng);
    let n = circuit.free_count();
    let mut rates = Rates::new(circuit);
    let mut total = rates.refresh_all(circuit, &state.x[..n], &traps.state);
    let mut stats = JumpStats::default();
    let mut t = 0.0;
    let mut records = 0u64;
    loop {
        let wait = if total > 0.0 { -(1.0 - rng.random::<f64>()).ln() / total } else { f64::INFINITY };
        let flip = traps.next < t + wait && traps.next <= t_end;
        let t_next = if flip { traps.next } else { t + wait };
        // Record every grid time before the next event: the state holds until then.
        if let Some(t_stop) = record_through(t_next, t_end, record_every, &mut records, &state.x, observer) {
            stats.t_final = t_stop;
            return Ok(stats);
        }
        if t_next > t_end {
            stats.t_final = t_end;
            return Ok(stats);
        }
        if flip {
            traps.flip(rng);
            t = t_next;
            total = rates.refresh_all(circuit, &state.x[..n], &traps.state);
            continue;
        }
        let (k, synced) = fire(circuit, &mut state, &rates.rates, &rates.charges, total, rng);
        stats.events += 1;
        t = t_next;
        total = if synced {
            rates.refresh_all(circuit, &state.x[..n], &traps.state)
        } else {
            rates.refresh_after(circuit, k, &state.x[..n], &traps.state)
        };
    }
}

//! Gillespie's method for a circuit whose sources move (PWL, PULSE, SIN).
//!
//! With moving sources the rates depend on time, and so do the free-node voltages between
//! events (the capacitive feedthrough: at fixed charge, dV_f = -C_ff^{-1} C_fx dV_x). The
//! method used is the direct method with rates frozen over short intervals: from time t the
//! rates are evaluated with the sources and the voltages at t, and held until the first of
//!
//! - the next event (drawn from the frozen total rate, as in the direct method),
//! - the next breakpoint of any waveform (a PWL point, a pulse corner),
//! - t + h_max, h_max = epsilon U_T / s, s the fastest any fixed node is moving,
//! - the next recording time,
//!
//! after which the sources, the feedthrough and the rates are brought up to date. A Poisson
//! process is memoryless, so for rates that really were constant on each interval this is
//! exact; the only error is the change of the rates within an interval. Over one no node
//! moves by more than epsilon U_T (a fixed node by construction; a free node by at most that,
//! its feedthrough being a capacitive divider, |dV_f| <= max |dV_x|), and a channel's rate is
//! exponential in its terminal voltages with coefficients summing to at most 2/U_T (the
//! bound [`super::tau_leap`] uses), so every rate is within a factor e^{2 epsilon} of its
//! frozen value: a relative error below 2 epsilon, about epsilon on average over the
//! interval, and only while a source moves. [`EPSILON`] = 0.002 keeps it under 0.4 %, at
//! the cost of one rate evaluation per 0.05 mV of source travel (U_T = 26 mV), about
//! 20000 per volt of edge. Thinning with a rate bound would be exact but needs a bound on
//! every device law's slope; the frozen-rate method needs only the coefficient bound above.
//! U_T is the lowest thermal voltage of any device (a device may run colder than the circuit).

use rand::{Rng, RngExt};

use super::rates::Rates;
use super::{ChargeState, JumpError, JumpStats, check_schedule, fire, record_through};
use crate::circuit::{Circuit, DeviceKind};
use crate::sde::Observer;

/// Largest source move per frozen-rate interval, in units of the thermal voltage.
pub const EPSILON: f64 = 0.002;

/// The lowest thermal voltage of any device (V).
fn coldest_thermal_voltage(circuit: &Circuit) -> f64 {
    circuit
        .devices
        .iter()
        .map(|d| match &d.kind {
            DeviceKind::Mosfet(t) => t.parameters().ut,
            DeviceKind::Resistor { ut, .. } => *ut,
        })
        .fold(circuit.thermal_voltage(), f64::min)
}

/// Simulate a driven `circuit` over [0, t_end] as described in the module documentation,
/// giving the state to `observer` every `record_every`.
pub fn simulate<R: Rng + ?Sized, O: Observer + ?Sized>(
    circuit: &Circuit,
    t_end: f64,
    record_every: f64,
    rng: &mut R,
    observer: &mut O,
) -> Result<JumpStats, JumpError> {
    check_schedule(t_end, record_every)?;
    let mut c = circuit.clone();
    c.set_time(0.0);
    let mut state = ChargeState::new(&c)?;
    let n = c.free_count();
    let ut = coldest_thermal_voltage(&c);
    let mut rates = Rates::new(&c);
    let mut stats = JumpStats::default();
    let mut t = 0.0;
    let mut records = 0u64;
    loop {
        // Deliver the recording times reached.
        if let Some(t_stop) = record_through(t, t_end, record_every, &mut records, &state.x, observer) {
            stats.t_final = t_stop;
            return Ok(stats);
        }
        if t >= t_end {
            stats.t_final = t_end;
            return Ok(stats);
        }
        let total = rates.refresh_all(&c, &state.x[..n], &[]);
        let slope = c.drive.slope_bound(t);
        let mut horizon = (records as f64 * record_every).min(t_end);
        if let Some(b) = c.drive.next_breakpoint(t) {
            horizon = horizon.min(b);
        }
        if slope > 0.0 {
            horizon = horizon.min(t + EPSILON * ut / slope);
        }
        let wait = if total > 0.0 { -(1.0 - rng.random::<f64>()).ln() / total } else { f64::INFINITY };
        let fires = t + wait < horizon;
        let t_next = if fires { t + wait } else { horizon };
        c.feedthrough(t, t_next, &mut state.x[..n]);
        c.set_time(t_next);
        t = t_next;
        if fires {
            fire(&c, &mut state, &rates.rates, &rates.charges, total, rng);
            stats.events += 1;
        }
    }
}

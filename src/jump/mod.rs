//! The exact reference: the circuit as a Markov jump process of single-charge transfers
//! (PHYSICS.md section 2.1). Each conducting device is a pair of Poisson channels with rates
//! Phi_F/q and Phi_R/q, each evaluated at the midpoint of its own jump, which makes local
//! detailed balance exact: at zero supply the stationary law is exactly Boltzmann.
//!
//! A transistor above weak inversion transfers a charge F q, F < 1, at rates Phi/(F q)
//! ([`crate::device::noise`]: the sub-Poissonian thermal noise of a strongly inverted
//! channel); every other transfer moves one elementary charge.
//!
//! The state is the number of elementary charges on each free node (relative to the
//! zero-charge state; an integer unless some transfer was fractional) and the energy delivered
//! by the sources; voltages follow from the charges
//! through the capacitance matrix. [`gillespie`] simulates the process exactly (Gillespie's
//! direct method); [`tau_leap`] takes leaps with Poisson numbers of events per channel, each
//! as long as Cao, Gillespie and Petzold allow.
//! Both hand [`crate::sde::Observer`]s the free-node voltages, then the supply energy,
//! sampled on a regular time grid (the SDE engine's layout without its trap states). A
//! circuit with waveform sources runs through [`driven`] (rates frozen over short intervals,
//! error bounded there); tau-leaping refuses it, and so does the driven engine a circuit
//! with flicker traps (run it with the SDE engine).
//!
//! Flicker noise ([`crate::device::flicker`]): every trap is a symmetric random telegraph
//! signal +-s_j flipping at rate 1/(2 tau_j), a reaction of its own. Its rate does not depend
//! on the circuit's state, so the flips of all traps together are one Poisson process of
//! constant rate sum_j 1/(2 tau_j), each flip picking trap j with probability proportional to
//! its rate ([`Telegraph`]); the engines fire the next flip when it comes before the next
//! charge transfer (exact by the memorylessness of the transfers' waiting time). Initial
//! states are drawn from the stationary law (+-s_j with probability 1/2 each).

pub mod driven;
pub mod gillespie;
mod rates;
pub mod tau_leap;

use thiserror::Error;

use crate::circuit::{Circuit, NodeRef};
use crate::sde::Observer;
use crate::units::ELEMENTARY_CHARGE;

pub use gillespie::simulate as gillespie;
pub use tau_leap::simulate as tau_leap;
pub use tau_leap::{LeapRule, leap_bound};

/// What the jump engine cannot do.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum JumpError {
    #[error(
        "the jump engine moves single charges and has no model of a noiseless current source ({0}); \
         bias the circuit with a transistor or use --engine sde"
    )]
    CurrentSource(String),
    #[error("invalid schedule: {0}")]
    Schedule(String),
    #[error(
        "tau-leaping does not follow waveform sources (source {0}); use --method gillespie (the jump \
         engine's exact method, which follows them) or --engine sde"
    )]
    DrivenLeap(String),
    #[error(
        "the jump engine does not yet follow waveform sources and flicker traps together ({traps} traps); \
         use --engine sde, or DC sources"
    )]
    DrivenFlicker { traps: usize },
    #[error(
        "tau-leaping step too large at t = {t:.6e}: channel {device} expects {expected:.1} events, moving a node by \
         {jump_mv:.3} mV per leap; omit --force-dt to let the leap be chosen, or use --method gillespie"
    )]
    LeapTooLarge { t: f64, device: String, expected: f64, jump_mv: f64 },
}

/// Counts from one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct JumpStats {
    /// Charge transfers simulated.
    pub events: u64,
    /// Time reached.
    pub t_final: f64,
    /// Tau-leaps taken, and exact single events taken where a leap would hold too few.
    pub leaps: u64,
    pub exact_events: u64,
    /// Shortest and longest leap (s; zero when there were none).
    pub leap_min: f64,
    pub leap_max: f64,
}

/// The integer charge state of a circuit and the quantities derived from it.
#[derive(Debug, Clone)]
pub(crate) struct ChargeState {
    /// Elementary charges on each free node relative to zero charge.
    charges: Vec<f64>,
    /// Free-node voltages followed by the supply energy (the observer layout).
    pub x: Vec<f64>,
    /// Charges moved into each free node by one forward transfer of each device (+1, -1, 0).
    incidence: Vec<Vec<(usize, i64)>>,
    since_sync: u32,
}

impl ChargeState {
    /// Start at the charge state nearest to the circuit's initial voltages.
    pub fn new(circuit: &Circuit) -> Result<Self, JumpError> {
        if let Some(s) = circuit.current_sources.first() {
            return Err(JumpError::CurrentSource(s.name.clone()));
        }
        let n = circuit.free_count();
        let zero = circuit.zero_charge_voltages();
        let mut q = vec![0.0; n];
        let delta: Vec<f64> = circuit.initial.iter().zip(&zero).map(|(a, b)| a - b).collect();
        // Q = C_ff (V - V_zero): the charge that moves the nodes from the zero-charge state.
        for i in 0..n {
            q[i] = (0..n).map(|j| circuit.capacitance.c_ff[(i, j)] * delta[j]).sum();
        }
        let charges = q.iter().map(|c| (c / ELEMENTARY_CHARGE).round()).collect();
        let incidence = circuit
            .devices
            .iter()
            .map(|d| {
                let mut v = Vec::new();
                if let NodeRef::Free(i) = d.to {
                    v.push((i, 1));
                }
                if let NodeRef::Free(i) = d.from {
                    v.push((i, -1));
                }
                v
            })
            .collect();
        let mut state = ChargeState { charges, x: vec![0.0; n + 1], incidence, since_sync: 0 };
        state.sync(circuit);
        Ok(state)
    }

    /// Recompute voltages exactly from the integer charges (removes rounding drift).
    fn sync(&mut self, circuit: &Circuit) {
        let n = circuit.free_count();
        let zero = circuit.zero_charge_voltages();
        let c = &circuit.capacitance.c_inv;
        for i in 0..n {
            self.x[i] =
                zero[i] + (0..n).map(|j| c[(i, j)] * ELEMENTARY_CHARGE * self.charges[j]).sum::<f64>();
        }
        self.since_sync = 0;
    }

    /// Apply `count` transfers of device `k` (negative: reverse transfers), each moving
    /// `charge` elementary charges. Returns true when this resynchronised every voltage
    /// from the charges (every 4096 transfers), false when only device k's nodes moved.
    #[inline]
    pub fn apply(&mut self, circuit: &Circuit, k: usize, count: i64, charge: f64) -> bool {
        let device = &circuit.devices[k];
        let n = circuit.free_count();
        let units = count as f64 * charge;
        let moved = ELEMENTARY_CHARGE * units;
        for &(i, sign) in &self.incidence[k] {
            self.charges[i] += sign as f64 * units;
        }
        for &(i, d) in &device.dv_sparse {
            self.x[i as usize] += d * moved;
        }
        self.x[n] += device.supply_per_coulomb * moved;
        self.since_sync += 1;
        if self.since_sync >= 4096 {
            self.sync(circuit);
            return true;
        }
        false
    }
}

/// The flicker traps of a circuit as random telegraph signals.
#[derive(Debug, Clone)]
pub(crate) struct Telegraph {
    /// Flip rate of each trap, 1/(2 tau_j) (1/s), and its amplitude s_j (V).
    rates: Vec<f64>,
    sigma: Vec<f64>,
    /// Sum of the rates.
    total: f64,
    /// Each trap's threshold shift, +-s_j (V), device by device.
    pub state: Vec<f64>,
    /// Time of the next flip (s; infinite without traps).
    pub next: f64,
}

impl Telegraph {
    /// The traps of `circuit` in a stationary state, the first flip drawn after time 0 (no
    /// draw without traps).
    pub fn new<R: rand::Rng + ?Sized>(circuit: &Circuit, rng: &mut R) -> Self {
        use rand::RngExt;
        let traps: Vec<_> = circuit.devices.iter().flat_map(|d| d.traps.iter().copied()).collect();
        let rates: Vec<f64> = traps.iter().map(|t| 0.5 / t.tau).collect();
        let sigma: Vec<f64> = traps.iter().map(|t| t.sigma).collect();
        let state = sigma.iter().map(|s| if rng.random::<bool>() { *s } else { -*s }).collect();
        let total = rates.iter().sum();
        let mut telegraph = Telegraph { rates, sigma, total, state, next: f64::INFINITY };
        if !telegraph.sigma.is_empty() {
            telegraph.next = telegraph.wait(rng);
        }
        telegraph
    }

    fn wait<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        use rand::RngExt;
        -(1.0 - rng.random::<f64>()).ln() / self.total
    }

    /// Flip the trap the next flip picks, and draw the one after.
    pub fn flip<R: rand::Rng + ?Sized>(&mut self, rng: &mut R) {
        use rand::RngExt;
        let mut target = rng.random::<f64>() * self.total;
        let mut pick = self.rates.len() - 1;
        for (j, r) in self.rates.iter().enumerate() {
            if target < *r {
                pick = j;
                break;
            }
            target -= r;
        }
        self.state[pick] = -self.state[pick];
        self.next += self.wait(rng);
    }
}

/// Fire one channel chosen with probability rate / `total` (channel 2k is device k forward,
/// 2k + 1 reverse; a transfer of device k carries `charges[k]` elementary charges):
/// Gillespie's direct method's choice. Returns the device and whether every voltage was
/// resynchronised ([`ChargeState::apply`]).
pub(crate) fn fire<R: rand::Rng + ?Sized>(
    circuit: &Circuit,
    state: &mut ChargeState,
    rates: &[f64],
    charges: &[f64],
    total: f64,
    rng: &mut R,
) -> (usize, bool) {
    use rand::RngExt;
    let mut target = rng.random::<f64>() * total;
    let mut channel = rates.len() - 1;
    for (j, r) in rates.iter().enumerate() {
        if target < *r {
            channel = j;
            break;
        }
        target -= r;
    }
    let k = channel / 2;
    (k, state.apply(circuit, k, if channel.is_multiple_of(2) { 1 } else { -1 }, charges[k]))
}

/// Hand `observer` the state `x` at every grid time `records * record_every` up to `until`
/// (and not past `t_end`), advancing `records`. Returns the recording time at which the
/// observer asked to stop, if it did.
pub(crate) fn record_through<O: Observer + ?Sized>(
    until: f64,
    t_end: f64,
    record_every: f64,
    records: &mut u64,
    x: &[f64],
    observer: &mut O,
) -> Option<f64> {
    loop {
        let t_record = *records as f64 * record_every;
        if t_record > until || t_record > t_end * (1.0 + 1e-12) {
            return None;
        }
        *records += 1;
        if observer.observe(t_record, x).is_break() {
            return Some(t_record);
        }
    }
}

/// Check a recording schedule.
pub(crate) fn check_schedule(t_end: f64, record_every: f64) -> Result<(), JumpError> {
    if !(t_end > 0.0 && t_end.is_finite()) {
        return Err(JumpError::Schedule("the stop time must be positive".into()));
    }
    if !(record_every > 0.0 && record_every.is_finite()) {
        return Err(JumpError::Schedule("the recording interval must be positive".into()));
    }
    Ok(())
}

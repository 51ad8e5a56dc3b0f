//! The circuit SDE with waveform sources: [`CircuitSde`] evaluated at the time it is asked
//! for, on the trajectory's own copy of the circuit.
//!
//! Every evaluation sets the copy to its time ([`Circuit::set_time`]: fixed-node voltages,
//! the fast fluxes of the devices on moving nodes, current-source values) and evaluates the
//! DC equations there, so drift, noise and Jacobian all see the sources at the step's own
//! times. Steps end on the waveforms' breakpoints ([`System::next_breakpoint`]), and the
//! capacitive feedthrough of moving sources, dV_f = -C_ff^{-1} C_fx dV_x, is applied exactly
//! as a state-independent shift ([`System::shift`]) rather than through the drift, so it is
//! exact whatever the method (a sharp edge moves a coupled node by its full capacitive
//! divider, as in SPICE). The copy sits behind a mutex only because [`System`] evaluates
//! through `&self`; each trajectory has its own, so it is never contended.

use std::sync::Mutex;

use super::model::Circuit;
use super::system::CircuitSde;
use crate::sde::{NoiseShape, SdeError, System};

/// A circuit with waveform sources as an SDE [`System`] (state layout as [`CircuitSde`]).
#[derive(Debug)]
pub struct DrivenSde {
    circuit: Mutex<Circuit>,
    /// A copy kept at t = 0 for the questions that do not depend on time.
    fixed: Circuit,
    limit: f64,
}

impl DrivenSde {
    /// The trajectory's own copy of `circuit`.
    pub fn new(circuit: &Circuit) -> Self {
        DrivenSde {
            circuit: Mutex::new(circuit.clone()),
            fixed: circuit.clone(),
            limit: circuit.divergence_limit(),
        }
    }

    /// Initial state: as [`CircuitSde::initial_state`].
    pub fn initial_state(&self) -> Vec<f64> {
        CircuitSde::new(&self.fixed).initial_state()
    }

    /// Evaluate `f` on the circuit set to time `t`.
    fn at<T>(&self, t: f64, f: impl FnOnce(&CircuitSde<'_>) -> T) -> T {
        let mut guard = self.circuit.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.set_time(t);
        f(&CircuitSde::with_limit(&guard, self.limit))
    }
}

impl System for DrivenSde {
    fn dim(&self) -> usize {
        self.fixed.free_count() + 1
    }

    fn noise_dim(&self) -> usize {
        self.fixed.devices.len().max(1)
    }

    fn noise_shape(&self) -> NoiseShape {
        NoiseShape::General
    }

    fn drift(&self, t: f64, x: &[f64], f: &mut [f64]) {
        self.at(t, |s| s.drift(t, x, f));
    }

    fn diffusion(&self, t: f64, x: &[f64], g: &mut [f64]) {
        self.at(t, |s| s.diffusion(t, x, g));
    }

    fn drift_and_noise(&self, t: f64, x: &[f64], dw: &[f64], f: &mut [f64], gdw: &mut [f64], g: &mut [f64]) {
        self.at(t, |s| s.drift_and_noise(t, x, dw, f, gdw, g));
    }

    fn corrected_drift_and_noise(
        &self,
        t: f64,
        x: &[f64],
        dw: &[f64],
        weight: f64,
        f: &mut [f64],
        gdw: &mut [f64],
        g: &mut [f64],
    ) {
        self.at(t, |s| s.corrected_drift_and_noise(t, x, dw, weight, f, gdw, g));
    }

    fn ito_correction(&self, t: f64, x: &[f64], out: &mut [f64]) {
        self.at(t, |s| s.ito_correction(t, x, out));
    }

    fn check_state(&self, t: f64, x: &[f64]) -> Result<(), SdeError> {
        CircuitSde::with_limit(&self.fixed, self.limit).check_state(t, x)
    }

    fn dynamic_dim(&self) -> usize {
        self.fixed.free_count()
    }

    fn state_scale(&self) -> Option<f64> {
        Some(self.fixed.thermal_voltage())
    }

    fn drift_jacobian(&self, t: f64, x: &[f64], jac: &mut [f64], scratch: &mut [f64]) {
        self.at(t, |s| s.drift_jacobian(t, x, jac, scratch));
    }

    fn next_breakpoint(&self, t: f64) -> Option<f64> {
        self.fixed.drive.next_breakpoint(t)
    }

    fn has_shift(&self) -> bool {
        self.fixed.drive.feed.iter().any(|f| !f.is_empty())
    }

    fn shift(&self, t0: f64, t1: f64, x: &mut [f64]) {
        self.fixed.feedthrough(t0, t1, x);
    }
}

//! The circuit as a stochastic differential equation (the Langevin limit of the jump process,
//! PHYSICS.md section 2.2), in free-node voltages:
//!
//!   dV = sum_k C^{-1} D_k [ (Phi_F,k(V + dV_k/2) - Phi_R,k(V - dV_k/2)) dt
//!                           + sqrt(F_k q (Phi_F,k(V + dV_k/2) + Phi_R,k(V - dV_k/2))) dW_k ]
//!        + sum_s C^{-1} (e_minus - e_plus) I_s dt,
//!
//! one Wiener process per conducting device (general, multiplicative noise), Ito. F_k is the
//! charge of one transfer in units of q: 1, except for a transistor above weak inversion,
//! whose sub-Poissonian thermal noise it carries ([`crate::device::noise`]). The fluxes are
//! taken at the midpoints of the one-electron jumps they stand for (forward at V + dV_k/2,
//! reverse at V - dV_k/2, dV_k = q C^{-1} D_k): the midpoint-corrected drift that removes the
//! spurious O(q/C) shift of the naive drift, so that at zero supply every node is
//! Boltzmann-distributed with mean 0 and variance kT/C (Freitas, Delvenne and Esposito, PRX
//! 11, 031064, 2021).
//!
//! One more state component accumulates the energy the sources deliver (J), driven by the
//! same noise, so energy is accounted pathwise.
//!
//! Flicker noise ([`crate::device::flicker`]): after the energy come the states y_j of every
//! trap (V, device by device), each an Ornstein-Uhlenbeck process
//! dy_j = -y_j / tau_j dt + s_j sqrt(2 / tau_j) dW_j on a Wiener process of its own (after the
//! devices'), and a transistor's threshold is shifted by the sum of its traps' states.
//! OU processes rather than telegraph jumps because the SDE schemes and their step control
//! assume a continuous state (a jump in a rate would break their local error estimate); they
//! have the telegraph signals' Lorentzian spectrum, and the sum of many traps is Gaussian
//! either way. A trap's noise is additive and no device's noise moves it, so it adds no
//! Ito-Stratonovich correction. The step is set by the nodes alone: the band's tau_min must
//! stay well above it (the explicit schemes err by h/(2 tau) in a trap's variance).
//!
//! For schemes that converge to the Stratonovich solution (Heun) the drift is given with the
//! Ito-Stratonovich correction (PHYSICS.md section 7; half of it for Leimkuhler-Matthews):
//! with g_k = dv_k sqrt(q S_k),
//! S_k = Phi_F,k + Phi_R,k at the midpoints, (g_k . grad) g_k = (q/2) (dv_k . grad S_k) dv_k, so
//!
//!   c = (1/2) sum_k (g_k . grad) g_k = (q/4) sum_k (dv_k . grad S_k) dv_k,
//!
//! of order q/C like the midpoint correction itself. The directional derivative is exact for
//! devices in the log-linear form ([`super::fluxes`]) and a forward difference (1e-4 U_T) otherwise.
//!
//! A state with a node beyond 10 times the largest source voltage plus 10 U_T has diverged
//! ([`System::check_state`]): no circuit of sources, transistors, resistors and capacitors
//! drives a node there.

use super::model::{Circuit, Device, DeviceKind, NodeRef};
use crate::device::Terminals;
use crate::sde::{NoiseShape, SdeError, System};
use crate::units::ELEMENTARY_CHARGE;

/// Detailed-balance fluxes of a linear resistor at voltage `v` across it (A):
/// Phi_F = (V/R)/(1 - e^{-V/U_T}), Phi_R = (V/R)/(e^{V/U_T} - 1) (PHYSICS.md 2.1).
#[inline]
pub fn resistor_flux(v: f64, ohms: f64, ut: f64) -> (f64, f64) {
    let x = v / ut;
    // B(x) = x / (1 - e^{-x}), B(0) = 1; Phi_F = (U_T/R) B(x), Phi_R = (U_T/R) B(-x).
    let bernoulli = |x: f64| if x == 0.0 { 1.0 } else { x / -(-x).exp_m1() };
    (ut / ohms * bernoulli(x), ut / ohms * bernoulli(-x))
}

impl Circuit {
    /// Thermal voltage at the circuit's temperature.
    pub fn thermal_voltage(&self) -> f64 {
        crate::units::thermal_voltage(self.temperature)
    }

    /// Forward and reverse fluxes of `device` (A), each at the midpoint of its own
    /// one-electron jump, and the charge of one transfer in units of q (below 1 for a
    /// transistor above weak inversion, [`crate::device::noise`]).
    #[inline]
    pub fn midpoint_fluxes(&self, device: &Device, v: &[f64]) -> (f64, f64, f64) {
        self.midpoint_fluxes_shifted(device, v, 0.0)
    }

    /// [`Circuit::midpoint_fluxes`] with a transistor's threshold shifted by `shift` (V, NMOS
    /// frame; the flicker traps' sum): the same as its gate moved by -p `shift`, p = +1 for
    /// NMOS and -1 for PMOS. Resistors ignore it.
    #[inline]
    pub fn midpoint_fluxes_shifted(&self, device: &Device, v: &[f64], shift: f64) -> (f64, f64, f64) {
        let at = |k: usize, shift: f64| self.voltage(device.terminals[k], v) + shift * device.half_jump[k];
        match &device.kind {
            DeviceKind::Mosfet(t) => {
                let gate = if shift != 0.0 { -t.parameters().sign * shift } else { 0.0 };
                let forward = Terminals { d: at(0, 1.0), g: at(1, 1.0) + gate, s: at(2, 1.0), b: at(3, 1.0) };
                let reverse =
                    Terminals { d: at(0, -1.0), g: at(1, -1.0) + gate, s: at(2, -1.0), b: at(3, -1.0) };
                t.flux_pair(&forward, &reverse)
            }
            DeviceKind::Resistor { ohms, ut } => {
                let forward = resistor_flux(at(0, 1.0) - at(1, 1.0), *ohms, *ut).0;
                let reverse = resistor_flux(at(0, -1.0) - at(1, -1.0), *ohms, *ut).1;
                (forward, reverse, 1.0)
            }
        }
    }

    /// The factor e^{-shift / (n U_T)} by which a threshold shift scales both fluxes of a
    /// device in the log-linear form (exponential law, constant slope factor).
    #[inline]
    fn fast_shift_factor(device: &Device, shift: f64) -> f64 {
        match &device.kind {
            DeviceKind::Mosfet(t) => {
                let p = t.parameters();
                let n = match p.pinch_off {
                    crate::device::PinchOff::SlopeFactor { n } => n,
                    crate::device::PinchOff::Ekv26 { .. } => 1.0,
                };
                (-shift / (n * p.ut)).exp()
            }
            DeviceKind::Resistor { .. } => 1.0,
        }
    }

    /// The threshold shift of `device` (V, NMOS frame): the sum of its traps' states, stored
    /// in `traps` (all the circuit's traps, device by device; empty: none). 0 for a device
    /// without traps.
    #[inline]
    pub fn trap_shift(device: &Device, traps: &[f64]) -> f64 {
        if traps.is_empty() || device.traps.is_empty() {
            return 0.0;
        }
        traps[device.first_trap..device.first_trap + device.traps.len()].iter().sum()
    }

    /// Midpoint fluxes of every device, `visit(k, device, forward, reverse, charge)`, using
    /// the fast log-linear form where it applies (identical values, fewer exponentials;
    /// transfers of one charge).
    #[inline]
    pub fn for_each_flux(&self, v: &[f64], visit: impl FnMut(usize, &Device, f64, f64, f64)) {
        self.for_each_flux_shifted(v, &[], visit);
    }

    /// [`Circuit::for_each_flux`] with the traps' states `traps` (V; empty: all zero) shifting
    /// each transistor's threshold by the sum of its own ([`Circuit::trap_shift`]).
    #[inline]
    pub fn for_each_flux_shifted(
        &self,
        v: &[f64],
        traps: &[f64],
        mut visit: impl FnMut(usize, &Device, f64, f64, f64),
    ) {
        self.log_linear.with_factors(v, |factors| {
            for (k, device) in self.devices.iter().enumerate() {
                let (forward, reverse, charge) = self.device_fluxes(k, v, traps, factors);
                visit(k, device, forward, reverse, charge);
            }
        })
    }

    /// The midpoint fluxes and transfer charge of device `k` at voltages `v`, traps' states
    /// `traps` (empty: none) and the fast form's `factors` evaluated at `v`
    /// ([`super::fluxes::LogLinearFluxes::evaluate_factors`]): one device of
    /// [`Circuit::for_each_flux_shifted`], for callers that refresh only some devices.
    #[inline]
    pub fn device_fluxes(&self, k: usize, v: &[f64], traps: &[f64], factors: &[f64]) -> (f64, f64, f64) {
        let device = &self.devices[k];
        let shift = Self::trap_shift(device, traps);
        match self.log_linear.fluxes(k, factors) {
            Some((f, r)) if shift != 0.0 => {
                let scale = Self::fast_shift_factor(device, shift);
                (f * scale, r * scale, 1.0)
            }
            Some((f, r)) => (f, r, 1.0),
            None => self.midpoint_fluxes_shifted(device, v, shift),
        }
    }

    /// Like [`Circuit::for_each_flux_shifted`], `visit(k, device, forward, reverse, charge,
    /// slope)` with the derivative of the noise intensity in units of q, F (Phi_F + Phi_R),
    /// along the device's own jump direction dv_k (A/C) as `slope` (zero unless
    /// `with_slope`). F is the transfer charge ([`crate::device::noise`]); it is 1 on the fast
    /// form and for resistors. The traps' states are constants here (they are not moved by
    /// the device's own noise).
    #[inline]
    pub fn for_each_flux_slope(
        &self,
        v: &[f64],
        traps: &[f64],
        with_slope: bool,
        mut visit: impl FnMut(usize, &Device, f64, f64, f64, f64),
    ) {
        let form = &self.log_linear;
        form.with_factors(v, |factors| {
            let mut probe: Vec<f64> = Vec::new();
            for (k, device) in self.devices.iter().enumerate() {
                let shift = Self::trap_shift(device, traps);
                let (forward, reverse, charge, slope) = match form.fluxes_and_slope(k, factors) {
                    Some((f, r, slope)) if shift != 0.0 => {
                        let scale = Self::fast_shift_factor(device, shift);
                        (f * scale, r * scale, 1.0, slope * scale)
                    }
                    Some((f, r, slope)) => (f, r, 1.0, slope),
                    None if !with_slope => {
                        let (forward, reverse, charge) = self.midpoint_fluxes_shifted(device, v, shift);
                        (forward, reverse, charge, 0.0)
                    }
                    None if matches!(device.kind, DeviceKind::Resistor { .. }) => {
                        let (forward, reverse, charge) = self.midpoint_fluxes(device, v);
                        (forward, reverse, charge, self.resistor_slope(device, v))
                    }
                    None => {
                        let (forward, reverse, charge) = self.midpoint_fluxes_shifted(device, v, shift);
                        // Forward difference along dv_k from this evaluation, moving no node
                        // by more than 1e-4 U_T: its O(eta) error is a relative 1e-4 of a
                        // correction term (a central difference cost a third evaluation).
                        let reach = device.dv_sparse.iter().fold(0.0f64, |a, d| a.max(d.1.abs()));
                        let slope = if reach > 0.0 {
                            let eta = 1e-4 * self.thermal_voltage() / reach;
                            // a copy of v made once per evaluation, moved and restored at this
                            // device's nodes only: O(nodes it moves), not O(N)
                            if probe.is_empty() {
                                probe.extend_from_slice(v);
                            }
                            for &(i, d) in &device.dv_sparse {
                                probe[i as usize] = v[i as usize] + eta * d;
                            }
                            let (f, r, c) = self.midpoint_fluxes_shifted(device, &probe, shift);
                            for &(i, _) in &device.dv_sparse {
                                probe[i as usize] = v[i as usize];
                            }
                            (c * (f + r) - charge * (forward + reverse)) / eta
                        } else {
                            0.0
                        };
                        (forward, reverse, charge, slope)
                    }
                };
                visit(k, device, forward, reverse, charge, slope);
            }
        })
    }

    /// dv_k . grad(Phi_F + Phi_R) of a resistor (A/C): with Phi_F = (U_T/R) B(x_f),
    /// Phi_R = (U_T/R) B(-x_r), x the midpoint voltages across it over U_T and
    /// B(x) = x / (1 - e^{-x}), the derivative is (B'(x_f) - B'(-x_r)) (dv_a - dv_b) / R.
    fn resistor_slope(&self, device: &Device, v: &[f64]) -> f64 {
        let DeviceKind::Resistor { ohms, ut } = device.kind else { return 0.0 };
        let at = |k: usize, sign: f64| self.voltage(device.terminals[k], v) + sign * device.half_jump[k];
        let along = |k: usize| match device.terminals[k] {
            NodeRef::Free(i) => device.dv[i],
            NodeRef::Fixed(_) => 0.0,
        };
        // B'(x) = (1 - e^{-x} - x e^{-x}) / (1 - e^{-x})^2, 1/2 + x/6 near 0.
        let derivative = |x: f64| {
            if x.abs() < 1e-4 {
                0.5 + x / 6.0
            } else {
                let e = (-x).exp_m1();
                (-e - x - x * e) / (e * e)
            }
        };
        let x_f = (at(0, 1.0) - at(1, 1.0)) / ut;
        let x_r = (at(0, -1.0) - at(1, -1.0)) / ut;
        (derivative(x_f) - derivative(-x_r)) * (along(0) - along(1)) / ohms
    }

    /// The divergence limit: 10 times the largest source voltage (over its waveform) plus
    /// 10 U_T (V).
    pub fn divergence_limit(&self) -> f64 {
        let largest = self.fixed_voltages.iter().fold(self.drive.peak(), |a, v| a.max(v.abs()));
        10.0 * largest + 10.0 * self.thermal_voltage()
    }

    /// Net current of `device` in its forward direction (A) at voltages `v`, without midpoint
    /// shifts, and its derivative with respect to each free-node voltage (added into `grad`).
    pub(crate) fn current_gradient(&self, device: &Device, v: &[f64], grad: &mut [f64]) -> f64 {
        self.current_gradient_shifted(device, v, 0.0, grad).0
    }

    /// [`Circuit::current_gradient`] with the threshold shifted by `shift` (V, NMOS frame),
    /// and the derivative of the net current with respect to the shift (A/V).
    pub(crate) fn current_gradient_shifted(
        &self,
        device: &Device,
        v: &[f64],
        shift: f64,
        grad: &mut [f64],
    ) -> (f64, f64) {
        grad.fill(0.0);
        let mut add = |node: NodeRef, value: f64| {
            if let NodeRef::Free(i) = node {
                grad[i] += value;
            }
        };
        match &device.kind {
            DeviceKind::Mosfet(t) => {
                let term = |k| self.voltage(device.terminals[k], v);
                let p = t.parameters().sign;
                let gate = if shift != 0.0 { -p * shift } else { 0.0 };
                let op = t.evaluate(&Terminals { d: term(0), g: term(1) + gate, s: term(2), b: term(3) });
                // Forward is drain -> source for NMOS: net = i_d; source -> drain for PMOS: -i_d.
                let sign = if device.from == device.terminals[0] { 1.0 } else { -1.0 };
                for (k, g) in [op.g.d, op.g.g, op.g.s, op.g.b].into_iter().enumerate() {
                    add(device.terminals[k], sign * g);
                }
                (sign * op.i_d, -p * sign * op.g.g)
            }
            DeviceKind::Resistor { ohms, .. } => {
                add(device.terminals[0], 1.0 / ohms);
                add(device.terminals[1], -1.0 / ohms);
                ((self.voltage(device.terminals[0], v) - self.voltage(device.terminals[1], v)) / ohms, 0.0)
            }
        }
    }
}

/// The circuit as an [`System`]: state = free-node voltages followed by the supply energy.
#[derive(Debug, Clone, Copy)]
pub struct CircuitSde<'a> {
    pub circuit: &'a Circuit,
    /// [`Circuit::divergence_limit`].
    limit: f64,
}

impl<'a> CircuitSde<'a> {
    pub fn new(circuit: &'a Circuit) -> Self {
        CircuitSde { circuit, limit: circuit.divergence_limit() }
    }

    /// With a divergence limit computed beforehand (a driven circuit's, over its waveforms).
    pub(super) fn with_limit(circuit: &'a Circuit, limit: f64) -> Self {
        CircuitSde { circuit, limit }
    }

    /// Initial state: the circuit's initial voltages, zero energy and every trap at 0 (see
    /// [`CircuitSde::draw_traps`]).
    pub fn initial_state(&self) -> Vec<f64> {
        let mut x = self.circuit.initial.clone();
        x.push(0.0);
        x.resize(self.dim(), 0.0);
        x
    }

    /// Draw the traps' states of `x` from their stationary law, N(0, sigma_j^2) each (no
    /// draw at all for a circuit without traps: its random stream is untouched).
    pub fn draw_traps<R: rand::Rng + ?Sized>(&self, x: &mut [f64], rng: &mut R) {
        use rand_distr::{Distribution, StandardNormal};
        let base = self.circuit.free_count() + 1;
        for device in &self.circuit.devices {
            for (j, trap) in device.traps.iter().enumerate() {
                let z: f64 = StandardNormal.sample(rng);
                x[base + device.first_trap + j] = trap.sigma * z;
            }
        }
    }

    /// The column of the first trap's Wiener process (one per device before it).
    fn trap_noise_base(&self) -> usize {
        self.circuit.devices.len().max(1)
    }

    /// Drift less `weight` times the Ito-Stratonovich correction into `f`, and G dW into
    /// `gdw`.
    #[inline]
    fn accumulate(
        &self,
        x: &[f64],
        dw: Option<&[f64]>,
        f: &mut [f64],
        mut gdw: Option<&mut [f64]>,
        weight: f64,
    ) {
        let c = self.circuit;
        let n = c.free_count();
        let v = &x[..n];
        let traps = &x[n + 1..];
        f.fill(0.0);
        if let Some(g) = gdw.as_deref_mut() {
            g.fill(0.0);
        }
        c.for_each_flux_slope(v, traps, weight != 0.0, |k, device, pf, pr, charge, slope| {
            // c_k = (q/4) (dv_k . grad F S_k) dv_k enters like a current along dv_k.
            // Only the non-zero entries of dv_k: a step costs O(devices + nodes).
            let net = pf - pr - weight * 0.25 * ELEMENTARY_CHARGE * slope;
            for &(i, d) in &device.dv_sparse {
                f[i as usize] += d * net;
            }
            f[n] += device.supply_per_coulomb * net;
            if let (Some(g), Some(dw)) = (gdw.as_deref_mut(), dw) {
                let kick = (charge * ELEMENTARY_CHARGE * (pf + pr)).sqrt() * dw[k];
                for &(i, d) in &device.dv_sparse {
                    g[i as usize] += d * kick;
                }
                g[n] += device.supply_per_coulomb * kick;
            }
        });
        for s in &c.current_sources {
            for &(i, d) in &s.dv_sparse {
                f[i as usize] += d * s.amps;
            }
            f[n] += s.amps * (c.voltage(s.minus, v) - c.voltage(s.plus, v));
        }
        // Flicker traps: Ornstein-Uhlenbeck, dy = -y/tau dt + sigma sqrt(2/tau) dW.
        let base = self.trap_noise_base();
        for device in &c.devices {
            for (j, trap) in device.traps.iter().enumerate() {
                let i = device.first_trap + j;
                f[n + 1 + i] = -traps[i] / trap.tau;
                if let (Some(g), Some(dw)) = (gdw.as_deref_mut(), dw) {
                    g[n + 1 + i] = trap.sigma * (2.0 / trap.tau).sqrt() * dw[base + i];
                }
            }
        }
    }
}

impl System for CircuitSde<'_> {
    fn dim(&self) -> usize {
        self.circuit.free_count() + 1 + self.circuit.trap_count
    }

    fn noise_dim(&self) -> usize {
        self.trap_noise_base() + self.circuit.trap_count
    }

    fn noise_shape(&self) -> NoiseShape {
        NoiseShape::General
    }

    fn drift(&self, _t: f64, x: &[f64], f: &mut [f64]) {
        self.accumulate(x, None, f, None, 0.0);
    }

    fn diffusion(&self, _t: f64, x: &[f64], g: &mut [f64]) {
        let c = self.circuit;
        let n = c.free_count();
        let m = self.noise_dim();
        g.fill(0.0);
        c.for_each_flux_shifted(&x[..n], &x[n + 1..], |k, device, pf, pr, charge| {
            let amplitude = (charge * ELEMENTARY_CHARGE * (pf + pr)).sqrt();
            for i in 0..n {
                g[i * m + k] = device.dv[i] * amplitude;
            }
            g[n * m + k] = device.supply_per_coulomb * amplitude;
        });
        let base = self.trap_noise_base();
        for device in &c.devices {
            for (j, trap) in device.traps.iter().enumerate() {
                let i = device.first_trap + j;
                g[(n + 1 + i) * m + base + i] = trap.sigma * (2.0 / trap.tau).sqrt();
            }
        }
    }

    fn drift_and_noise(
        &self,
        _t: f64,
        x: &[f64],
        dw: &[f64],
        f: &mut [f64],
        gdw: &mut [f64],
        _g: &mut [f64],
    ) {
        self.accumulate(x, Some(dw), f, Some(gdw), 0.0);
    }

    fn corrected_drift_and_noise(
        &self,
        _t: f64,
        x: &[f64],
        dw: &[f64],
        weight: f64,
        f: &mut [f64],
        gdw: &mut [f64],
        _g: &mut [f64],
    ) {
        self.accumulate(x, Some(dw), f, Some(gdw), weight);
    }

    fn ito_correction(&self, _t: f64, x: &[f64], out: &mut [f64]) {
        let c = self.circuit;
        let n = c.free_count();
        out.fill(0.0);
        // The traps' noise is additive and moves no node directly: no correction of its own.
        c.for_each_flux_slope(&x[..n], &x[n + 1..], true, |_, device, _, _, _, slope| {
            let term = 0.25 * ELEMENTARY_CHARGE * slope;
            for &(i, d) in &device.dv_sparse {
                out[i as usize] += d * term;
            }
            out[n] += device.supply_per_coulomb * term;
        });
    }

    fn check_state(&self, t: f64, x: &[f64]) -> Result<(), SdeError> {
        let n = self.circuit.free_count();
        if let Some(i) = x[..n].iter().position(|v| !(v.abs() <= self.limit)) {
            return Err(SdeError::Diverged { t, component: i, value: x[i], limit: self.limit, step: 0.0 });
        }
        crate::sde::check_finite(t, x)
    }

    fn dynamic_dim(&self) -> usize {
        self.circuit.free_count()
    }

    fn state_scale(&self) -> Option<f64> {
        Some(self.circuit.thermal_voltage())
    }

    /// Analytic Jacobian of the drift without the midpoint shifts (which move the result by
    /// O(q/C)); Newton with it converges to the exact implicit step.
    fn drift_jacobian(&self, _t: f64, x: &[f64], jac: &mut [f64], scratch: &mut [f64]) {
        let c = self.circuit;
        let n = c.free_count();
        let dim = self.dim();
        jac.fill(0.0);
        let v = &x[..n];
        let traps = &x[n + 1..];
        let grad = &mut scratch[..n];
        for device in &c.devices {
            let shift = Circuit::trap_shift(device, traps);
            let (_, per_volt) = c.current_gradient_shifted(device, v, shift, grad);
            for j in 0..n {
                if grad[j] != 0.0 {
                    for i in 0..n {
                        jac[i * dim + j] += device.dv[i] * grad[j];
                    }
                    jac[n * dim + j] += device.supply_per_coulomb * grad[j];
                }
            }
            // The traps: their own relaxation, and the current's response to the shift.
            for (k, trap) in device.traps.iter().enumerate() {
                let col = n + 1 + device.first_trap + k;
                jac[col * dim + col] = -1.0 / trap.tau;
                for i in 0..n {
                    jac[i * dim + col] += device.dv[i] * per_volt;
                }
                jac[n * dim + col] += device.supply_per_coulomb * per_volt;
            }
        }
        for s in &c.current_sources {
            for (node, sign) in [(s.minus, 1.0), (s.plus, -1.0)] {
                if let NodeRef::Free(j) = node {
                    jac[n * dim + j] += sign * s.amps;
                }
            }
        }
    }
}

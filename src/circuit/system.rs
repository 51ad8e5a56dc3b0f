//! The circuit as a stochastic differential equation (the Langevin limit of the jump process,
//! PHYSICS.md section 2.2), in free-node voltages:
//!
//!   dV = sum_k C^{-1} D_k [ (Phi_F,k(V + dV_k/2) - Phi_R,k(V - dV_k/2)) dt
//!                           + sqrt(q (Phi_F,k(V + dV_k/2) + Phi_R,k(V - dV_k/2))) dW_k ]
//!        + sum_s C^{-1} (e_minus - e_plus) I_s dt,
//!
//! one Wiener process per conducting device (general, multiplicative noise), Ito. The fluxes
//! are taken at the midpoints of the jumps they stand for (forward at V + dV_k/2, reverse at
//! V - dV_k/2, dV_k = q C^{-1} D_k): the midpoint-corrected drift that removes the spurious
//! O(q/C) shift of the naive drift, so that at zero supply every node is Boltzmann-distributed
//! with mean 0 and variance kT/C (Freitas, Delvenne and Esposito, PRX 11, 031064, 2021).
//!
//! One more state component accumulates the energy the sources deliver (J), driven by the
//! same noise, so energy is accounted pathwise.

use super::model::{Circuit, Device, DeviceKind, NodeRef};
use crate::device::Terminals;
use crate::sde::{NoiseShape, System};
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

    /// Forward and reverse fluxes of `device` (A), each at the midpoint of its own jump.
    #[inline]
    pub fn midpoint_fluxes(&self, device: &Device, v: &[f64]) -> (f64, f64) {
        let at = |k: usize, sign: f64| self.voltage(device.terminals[k], v) + sign * device.half_jump[k];
        match &device.kind {
            DeviceKind::Mosfet(t) => {
                let forward = Terminals { d: at(0, 1.0), g: at(1, 1.0), s: at(2, 1.0), b: at(3, 1.0) };
                let reverse = Terminals { d: at(0, -1.0), g: at(1, -1.0), s: at(2, -1.0), b: at(3, -1.0) };
                t.flux_pair(&forward, &reverse)
            }
            DeviceKind::Resistor { ohms, ut } => {
                let forward = resistor_flux(at(0, 1.0) - at(1, 1.0), *ohms, *ut).0;
                let reverse = resistor_flux(at(0, -1.0) - at(1, -1.0), *ohms, *ut).1;
                (forward, reverse)
            }
        }
    }

    /// Midpoint fluxes of every device, `visit(k, device, forward, reverse)`, using the fast
    /// log-linear form where it applies (identical values, fewer exponentials).
    #[inline]
    pub fn for_each_flux(&self, v: &[f64], mut visit: impl FnMut(usize, &Device, f64, f64)) {
        let form = &self.log_linear;
        let mut buffer = [0.0f64; super::fluxes::MAX_FACTORS];
        let factors = &mut buffer[..form.factor_count()];
        form.evaluate_factors(v, factors);
        for (k, device) in self.devices.iter().enumerate() {
            let (forward, reverse) =
                form.fluxes(k, factors).unwrap_or_else(|| self.midpoint_fluxes(device, v));
            visit(k, device, forward, reverse);
        }
    }

    /// Net current of `device` in its forward direction (A) at voltages `v`, without midpoint
    /// shifts, and its derivative with respect to each free-node voltage (added into `grad`).
    fn current_gradient(&self, device: &Device, v: &[f64], grad: &mut [f64]) -> f64 {
        grad.fill(0.0);
        let mut add = |node: NodeRef, value: f64| {
            if let NodeRef::Free(i) = node {
                grad[i] += value;
            }
        };
        match &device.kind {
            DeviceKind::Mosfet(t) => {
                let term = |k| self.voltage(device.terminals[k], v);
                let op = t.evaluate(&Terminals { d: term(0), g: term(1), s: term(2), b: term(3) });
                // Forward is drain -> source for NMOS: net = i_d; source -> drain for PMOS: -i_d.
                let sign = if device.from == device.terminals[0] { 1.0 } else { -1.0 };
                for (k, g) in [op.g.d, op.g.g, op.g.s, op.g.b].into_iter().enumerate() {
                    add(device.terminals[k], sign * g);
                }
                sign * op.i_d
            }
            DeviceKind::Resistor { ohms, .. } => {
                add(device.terminals[0], 1.0 / ohms);
                add(device.terminals[1], -1.0 / ohms);
                (self.voltage(device.terminals[0], v) - self.voltage(device.terminals[1], v)) / ohms
            }
        }
    }
}

/// The circuit as an [`System`]: state = free-node voltages followed by the supply energy.
#[derive(Debug, Clone, Copy)]
pub struct CircuitSde<'a> {
    pub circuit: &'a Circuit,
}

impl<'a> CircuitSde<'a> {
    pub fn new(circuit: &'a Circuit) -> Self {
        CircuitSde { circuit }
    }

    /// Initial state: the circuit's initial voltages and zero energy.
    pub fn initial_state(&self) -> Vec<f64> {
        let mut x = self.circuit.initial.clone();
        x.push(0.0);
        x
    }

    #[inline]
    fn accumulate(&self, x: &[f64], dw: Option<&[f64]>, f: &mut [f64], mut gdw: Option<&mut [f64]>) {
        let c = self.circuit;
        let n = c.free_count();
        let v = &x[..n];
        f.fill(0.0);
        if let Some(g) = gdw.as_deref_mut() {
            g.fill(0.0);
        }
        c.for_each_flux(v, |k, device, pf, pr| {
            let net = pf - pr;
            for i in 0..n {
                f[i] += device.dv[i] * net;
            }
            f[n] += device.supply_per_coulomb * net;
            if let (Some(g), Some(dw)) = (gdw.as_deref_mut(), dw) {
                let kick = (ELEMENTARY_CHARGE * (pf + pr)).sqrt() * dw[k];
                for i in 0..n {
                    g[i] += device.dv[i] * kick;
                }
                g[n] += device.supply_per_coulomb * kick;
            }
        });
        for s in &c.current_sources {
            for i in 0..n {
                f[i] += s.dv[i] * s.amps;
            }
            f[n] += s.amps * (c.voltage(s.minus, v) - c.voltage(s.plus, v));
        }
    }
}

impl System for CircuitSde<'_> {
    fn dim(&self) -> usize {
        self.circuit.free_count() + 1
    }

    fn noise_dim(&self) -> usize {
        self.circuit.devices.len().max(1)
    }

    fn noise_shape(&self) -> NoiseShape {
        NoiseShape::General
    }

    fn drift(&self, _t: f64, x: &[f64], f: &mut [f64]) {
        self.accumulate(x, None, f, None);
    }

    fn diffusion(&self, _t: f64, x: &[f64], g: &mut [f64]) {
        let c = self.circuit;
        let n = c.free_count();
        let m = self.noise_dim();
        g.fill(0.0);
        c.for_each_flux(&x[..n], |k, device, pf, pr| {
            let amplitude = (ELEMENTARY_CHARGE * (pf + pr)).sqrt();
            for i in 0..n {
                g[i * m + k] = device.dv[i] * amplitude;
            }
            g[n * m + k] = device.supply_per_coulomb * amplitude;
        });
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
        self.accumulate(x, Some(dw), f, Some(gdw));
    }

    /// Analytic Jacobian of the drift without the midpoint shifts (which move the result by
    /// O(q/C)); Newton with it converges to the exact implicit step.
    fn drift_jacobian(&self, _t: f64, x: &[f64], jac: &mut [f64], scratch: &mut [f64]) {
        let c = self.circuit;
        let n = c.free_count();
        let dim = n + 1;
        jac.fill(0.0);
        let v = &x[..n];
        let grad = &mut scratch[..n];
        for device in &c.devices {
            c.current_gradient(device, v, grad);
            for j in 0..n {
                if grad[j] != 0.0 {
                    for i in 0..n {
                        jac[i * dim + j] += device.dv[i] * grad[j];
                    }
                    jac[n * dim + j] += device.supply_per_coulomb * grad[j];
                }
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

//! Fast evaluation of midpoint fluxes for weak-inversion transistors.
//!
//! For the exponential law with a constant slope factor, the forward flux at the forward
//! midpoint is
//!
//!   Phi_F = I_S exp(x_f),  x_f = [p (V_g - V_b)/n - V_T0/n - p (V_s - V_b)] / U_T
//!
//! with every terminal voltage taken at V + dV_k/2 (reverse: drain instead of source, at
//! V - dV_k/2). Since the shifts dV_k/2 and the fixed-node voltages are constants, x_f is a
//! constant plus a linear form in the free-node voltages, so
//!
//!   Phi_F = P_f prod_i e^{a_i V_i},
//!
//! and the factors e^{a V_i} are shared by every device that has a terminal on node i with
//! the same coefficient a (for n = 1 only +-V_i/U_T occur). A step then needs a few
//! exponentials per node instead of two per device, and a factor e^{-a V_i} whose partner
//! e^{a V_i} exists is that partner's reciprocal (a division instead of an exponential).
//! Devices of other kinds (EKV interpolation, body-effect pinch-off, resistors) use the
//! general evaluation.

use super::model::{Circuit, Device, DeviceKind, NodeRef};
use crate::device::{Interpolation, PinchOff};

/// A flux as a prefactor times a product of shared factors.
#[derive(Debug, Clone, PartialEq)]
struct Product {
    prefactor: f64,
    /// ln(prefactor) less the fixed-node terms, and the fixed-node terms (fixed node,
    /// coefficient): the prefactor follows moving sources ([`LogLinearFluxes::refresh`]).
    exponent: f64,
    fixed: Vec<(usize, f64)>,
    /// The shared factors, `count` of them: at most one per terminal.
    factors: [u16; 4],
    count: u8,
    /// d ln(flux) along the device's own jump direction dv_k (per coulomb): the sum of the
    /// exponents' coefficients weighted by dv_k at their nodes (a constant of the form).
    slope: f64,
}

/// The log-linear form of the fluxes of every device that allows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogLinearFluxes {
    /// Distinct factors e^{coefficient V_node}: (free node, coefficient).
    factors: Vec<(usize, f64)>,
    /// Per factor: the earlier factor with the same node and the opposite coefficient, whose
    /// reciprocal it is, if any.
    reciprocal_of: Vec<Option<u16>>,
    /// Per device: forward and reverse products, or None (general evaluation).
    devices: Vec<Option<[Product; 2]>>,
    /// Per free node: the factors on it.
    node_factors: Vec<Vec<u16>>,
}

/// Factors up to this many (2 KiB) are evaluated into a buffer on the stack, so that a step
/// allocates nothing for networks of up to about 128 nodes (two factors per node: the 3 x 3
/// network has 144); more go into one heap buffer per evaluation of all fluxes.
pub const STACK_FACTORS: usize = 256;

/// Circuits of up to this many factors (a cell of a few nodes) use a smaller stack buffer:
/// zeroing 2 KiB every step cost a small circuit's step 4-5 %.
const SMALL_FACTORS: usize = 16;

impl LogLinearFluxes {
    /// Derive the form for the devices of `circuit` that allow it.
    pub fn new(circuit: &Circuit) -> Self {
        let mut form = LogLinearFluxes::default();
        for device in &circuit.devices {
            let entry = form.device_form(circuit, device);
            form.devices.push(entry);
        }
        // factor indices are u16
        if form.factors.len() > usize::from(u16::MAX) {
            return LogLinearFluxes { devices: vec![None; circuit.devices.len()], ..Default::default() };
        }
        form.reciprocal_of = (0..form.factors.len())
            .map(|f| {
                let (node, a) = form.factors[f];
                form.factors[..f]
                    .iter()
                    .position(|&(n, b)| n == node && b.to_bits() == (-a).to_bits())
                    .map(|g| g as u16)
            })
            .collect();
        form.node_factors = vec![Vec::new(); circuit.free_count()];
        for (f, &(node, _)) in form.factors.iter().enumerate() {
            form.node_factors[node].push(f as u16);
        }
        form
    }

    fn device_form(&mut self, circuit: &Circuit, device: &Device) -> Option<[Product; 2]> {
        let DeviceKind::Mosfet(t) = &device.kind else { return None };
        let params = t.parameters();
        let (Interpolation::Exponential, PinchOff::SlopeFactor { n }) =
            (params.interpolation, params.pinch_off)
        else {
            return None;
        };
        let (p, ut) = (params.sign, params.ut);
        let i_s = params.beta * n * ut * ut;
        // Coefficients of (d, g, s, b) in x_f (source) and x_r (drain).
        let gate = p / (n * ut);
        let bulk = p * (1.0 - 1.0 / n) / ut;
        let forward = [0.0, gate, -p / ut, bulk];
        let reverse = [-p / ut, gate, 0.0, bulk];
        let mut products = Vec::with_capacity(2);
        for (coefficients, shift) in [(forward, 1.0), (reverse, -1.0)] {
            let mut constant = -params.vt0 / (n * ut);
            let mut per_node: Vec<(usize, f64)> = Vec::new();
            let mut fixed: Vec<(usize, f64)> = Vec::new();
            for (k, a) in coefficients.iter().enumerate() {
                if *a == 0.0 {
                    continue;
                }
                constant += a * shift * device.half_jump[k];
                match device.terminals[k] {
                    NodeRef::Fixed(j) => fixed.push((j, *a)),
                    NodeRef::Free(i) => match per_node.iter_mut().find(|(node, _)| *node == i) {
                        Some((_, c)) => *c += a,
                        None => per_node.push((i, *a)),
                    },
                }
            }
            let exponent = i_s.ln() + constant;
            let constant = constant + fixed.iter().map(|&(j, a)| a * circuit.fixed_voltages[j]).sum::<f64>();
            if constant.abs() > 600.0 {
                return None;
            }
            let slope = per_node.iter().map(|&(node, a)| a * device.dv[node]).sum();
            let mut factors = [0u16; 4];
            let mut count = 0u8;
            for (node, a) in per_node.into_iter().filter(|(_, a)| *a != 0.0) {
                factors[usize::from(count)] = self.factor(node, a);
                count += 1;
            }
            let prefactor = i_s * constant.exp();
            products.push(Product { prefactor, exponent, fixed, factors, count, slope });
        }
        let reverse = products.pop()?;
        let forward = products.pop()?;
        Some([forward, reverse])
    }

    fn factor(&mut self, node: usize, coefficient: f64) -> u16 {
        let position =
            self.factors.iter().position(|&(n, c)| n == node && c.to_bits() == coefficient.to_bits());
        let index = position.unwrap_or_else(|| {
            self.factors.push((node, coefficient));
            self.factors.len() - 1
        });
        index as u16
    }

    /// Recompute the prefactors of device `k` for new fixed-node voltages (a moving source).
    pub fn refresh(&mut self, k: usize, fixed_voltages: &[f64]) {
        if let Some(Some(products)) = self.devices.get_mut(k) {
            for p in products.iter_mut() {
                let x = p.exponent + p.fixed.iter().map(|&(j, a)| a * fixed_voltages[j]).sum::<f64>();
                p.prefactor = x.exp();
            }
        }
    }

    /// Number of shared factors.
    pub fn factor_count(&self) -> usize {
        self.factors.len()
    }

    /// Evaluates the factors at `v` into a stack buffer (or, beyond [`STACK_FACTORS`], a heap
    /// one) and hands them to `with`.
    #[inline]
    pub fn with_factors<R>(&self, v: &[f64], with: impl FnOnce(&[f64]) -> R) -> R {
        let count = self.factors.len();
        if count <= SMALL_FACTORS {
            let mut buffer = [0.0f64; SMALL_FACTORS];
            self.evaluate_factors(v, &mut buffer[..count]);
            with(&buffer[..count])
        } else if count <= STACK_FACTORS {
            let mut buffer = [0.0f64; STACK_FACTORS];
            self.evaluate_factors(v, &mut buffer[..count]);
            with(&buffer[..count])
        } else {
            let mut buffer = vec![0.0f64; count];
            self.evaluate_factors(v, &mut buffer);
            with(&buffer)
        }
    }

    /// Evaluate every factor e^{a V_node} at free-node voltages `v` into `out` (at least
    /// [`LogLinearFluxes::factor_count`] long).
    #[inline]
    pub fn evaluate_factors(&self, v: &[f64], out: &mut [f64]) {
        for (f, &(node, a)) in self.factors.iter().enumerate() {
            out[f] = match self.reciprocal_of[f] {
                Some(g) => 1.0 / out[g as usize],
                None => (a * v[node]).exp(),
            };
        }
    }

    /// Re-evaluate into `out` only the factors of the free nodes `nodes` (the others keep
    /// their values): after a jump that moved those nodes.
    #[inline]
    pub fn update_factors(&self, v: &[f64], nodes: &[u32], out: &mut [f64]) {
        for &node in nodes {
            // in factor order: a reciprocal comes after its partner on the same node
            for &f in &self.node_factors[node as usize] {
                let (i, a) = self.factors[f as usize];
                out[f as usize] = match self.reciprocal_of[f as usize] {
                    Some(g) => 1.0 / out[g as usize],
                    None => (a * v[i]).exp(),
                };
            }
        }
    }

    /// The fluxes of device `k` from evaluated factors, if it has the fast form.
    #[inline(always)]
    pub fn fluxes(&self, k: usize, factors: &[f64]) -> Option<(f64, f64)> {
        let [forward, reverse] = self.devices[k].as_ref()?;
        let product = |p: &Product| {
            p.factors[..usize::from(p.count)].iter().fold(p.prefactor, |acc, &i| acc * factors[i as usize])
        };
        Some((product(forward), product(reverse)))
    }

    /// The fluxes of device `k` and the derivative of their sum along the device's jump
    /// direction, dv_k . grad(Phi_F + Phi_R) (A/C), if it has the fast form.
    #[inline(always)]
    pub fn fluxes_and_slope(&self, k: usize, factors: &[f64]) -> Option<(f64, f64, f64)> {
        let [forward, reverse] = self.devices[k].as_ref()?;
        let (f, r) = self.fluxes(k, factors)?;
        Some((f, r, f * forward.slope + r * reverse.slope))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::circuit::{Spec, SpecElement, SpecKind};
    use crate::device::{Geometry, parse_card};

    fn card(polarity: &str, n: f64) -> Arc<crate::device::ModelCard> {
        let text = format!(
            "name = \"c\"\npolarity = \"{polarity}\"\nsource = \"test\"\n[ekv]\nvt0_v = 0.1\nkp_ua_per_v2 = 6\nn = {n}\ninterpolation = \"exponential\"\n[temperature]\ntnom_k = 300\ntcv_mv_per_k = 0\nbex = 0\n"
        );
        Arc::new(parse_card(&text, "test").unwrap())
    }

    /// The fast form gives the same fluxes as the general midpoint evaluation, for NMOS and
    /// PMOS, n = 1 and n = 1.3, with terminals on free and fixed nodes and a free bulk.
    #[test]
    fn fast_form_equals_general_evaluation() {
        let s = |x: &str| x.to_string();
        let g = Geometry { w: 1e-6, l: 1e-6, m: 1.0 };
        let m = |name: &str, d: &str, gate: &str, src: &str, b: &str, c: Arc<_>| SpecElement {
            name: name.into(),
            origin: name.into(),
            kind: SpecKind::Mosfet {
                drain: s(d),
                gate: s(gate),
                source: s(src),
                bulk: s(b),
                card: c,
                geometry: g,
                deviation: crate::device::Deviation { vt: 0.01, beta: 0.02 },
                capacitance: Default::default(),
                temperature: None,
            },
        };
        let cap = |name: &str, a: &str, b: &str| SpecElement {
            name: name.into(),
            origin: name.into(),
            kind: SpecKind::Capacitor { a: s(a), b: s(b), farads: 50e-18 },
        };
        let spec = Spec {
            title: "t".into(),
            temperature: 310.0,
            elements: vec![
                SpecElement {
                    name: "v".into(),
                    origin: "v".into(),
                    kind: SpecKind::VoltageSource {
                        plus: s("vdd"),
                        minus: s("0"),
                        volts: 0.05,
                        waveform: None,
                    },
                },
                m("m1", "a", "b", "0", "0", card("nmos", 1.0)),
                m("m2", "a", "b", "vdd", "vdd", card("pmos", 1.3)),
                m("m3", "b", "a", "c", "c", card("nmos", 1.3)),
                m("m4", "c", "c", "vdd", "a", card("pmos", 1.0)),
                cap("ca", "a", "0"),
                cap("cb", "b", "0"),
                cap("cc", "c", "0"),
                cap("cab", "a", "b"),
            ],
            ..Spec::default()
        };
        let circuit = Circuit::build(&spec).unwrap();
        let form = &circuit.log_linear;
        let mut factors = vec![0.0; form.factor_count()];
        for v in [[0.01, -0.02, 0.03], [0.05, 0.0, -0.01], [-0.03, 0.04, 0.02]] {
            form.evaluate_factors(&v, &mut factors);
            for (k, device) in circuit.devices.iter().enumerate() {
                let fast = form.fluxes(k, &factors).expect("all devices have the fast form");
                let general = circuit.midpoint_fluxes(device, &v);
                assert!((fast.0 / general.0 - 1.0).abs() < 1e-12, "{k} forward {fast:?} {general:?}");
                assert!((fast.1 / general.1 - 1.0).abs() < 1e-12, "{k} reverse {fast:?} {general:?}");
            }
        }
    }

    /// A ring of 150 inverters (300 transistors, 150 free nodes, more than [`STACK_FACTORS`]
    /// distinct factors e^{+-V/U_T}) keeps the fast form for every transistor, evaluated from
    /// a heap buffer, and it equals the general evaluation: networks of many cells used to
    /// fall back to the general evaluation for all devices beyond 64 factors.
    #[test]
    fn large_circuits_keep_the_fast_form() {
        let s = |x: &str| x.to_string();
        let g = Geometry { w: 1e-6, l: 1e-6, m: 1.0 };
        let (n_card, p_card) = (card("nmos", 1.0), card("pmos", 1.0));
        let mut elements = vec![SpecElement {
            name: "v".into(),
            origin: "v".into(),
            kind: SpecKind::VoltageSource { plus: s("vdd"), minus: s("0"), volts: 0.05, waveform: None },
        }];
        let nodes = 150;
        for i in 0..nodes {
            let (input, output) = (format!("n{i}"), format!("n{}", (i + 1) % nodes));
            for (name, src, c) in [("mn", "0", n_card.clone()), ("mp", "vdd", p_card.clone())] {
                elements.push(SpecElement {
                    name: format!("{name}{i}"),
                    origin: format!("{name}{i}"),
                    kind: SpecKind::Mosfet {
                        drain: output.clone(),
                        gate: input.clone(),
                        source: s(src),
                        bulk: s(src),
                        card: c,
                        geometry: g,
                        deviation: Default::default(),
                        capacitance: Default::default(),
                        temperature: None,
                    },
                });
            }
            elements.push(SpecElement {
                name: format!("c{i}"),
                origin: format!("c{i}"),
                kind: SpecKind::Capacitor { a: input.clone(), b: s("0"), farads: 50e-18 },
            });
        }
        let spec = Spec { title: "ring".into(), temperature: 300.0, elements, ..Spec::default() };
        let circuit = Circuit::build(&spec).unwrap();
        let form = &circuit.log_linear;
        assert!(form.factor_count() > STACK_FACTORS, "{} factors", form.factor_count());
        let v: Vec<f64> = (0..nodes).map(|i| 0.001 * (i as f64 * 7.3).sin() * 40.0).collect();
        form.with_factors(&v, |factors| {
            for (k, device) in circuit.devices.iter().enumerate() {
                let fast = form.fluxes(k, factors).expect("every transistor has the fast form");
                let general = circuit.midpoint_fluxes(device, &v);
                assert!((fast.0 / general.0 - 1.0).abs() < 1e-12, "{k} forward {fast:?} {general:?}");
                assert!((fast.1 / general.1 - 1.0).abs() < 1e-12, "{k} reverse {fast:?} {general:?}");
            }
        });
    }
}

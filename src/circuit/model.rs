//! The elaborated circuit: free and fixed nodes, the capacitance matrix, and every device with
//! the voltage jump one transferred charge causes.
//!
//! A [`Spec`] is a plain list of elements with their values resolved (what a netlist says);
//! [`Circuit::build`] turns it into state equations. Voltage sources fix nodes; every other
//! node is free and carries a charge. Each conducting device (transistor, resistor) moves
//! charge q between two nodes per event; the jump of the free-node voltages per event is
//! dV = q C_ff^{-1} D, with D the change of node charges in units of q (PHYSICS.md 2.1).

use std::collections::HashMap;
use std::sync::Arc;

use thiserror::Error;

use super::capacitance::{Capacitance, CapacitanceProblem};
use super::drive::{Drive, DrivenSource, MovingNode};
use super::fluxes::LogLinearFluxes;
pub use super::netlist::InstanceTemperature;
use super::waveform::Waveform;
use crate::device::{
    CapacitanceOverrides, Deviation, DeviceCapacitances, Geometry, Interpolation, ModelCard, Polarity,
    Transistor, Trap,
};
use crate::units::ELEMENTARY_CHARGE;

/// A node of the elaborated circuit: free (index into the state) or fixed (index into the
/// fixed voltages; ground is fixed node 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum NodeRef {
    Free(usize),
    Fixed(usize),
}

/// A readout declared on the circuit, generic over how nodes are named.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum OutputKind<N> {
    /// Sign of V(plus) - V(minus), with hysteresis (V).
    Bit { plus: N, minus: N, hysteresis: f64 },
    /// Index of the highest node voltage, with hysteresis (V).
    Category { nodes: Vec<N>, hysteresis: f64 },
    /// V(plus), or V(plus) - V(minus).
    Analog { plus: N, minus: Option<N> },
}

/// One element of a circuit description, values resolved.
#[derive(Debug, Clone)]
pub struct SpecElement {
    pub name: String,
    /// Where it was declared (`file:line`), for messages.
    pub origin: String,
    pub kind: SpecKind,
}

#[derive(Debug, Clone)]
pub enum SpecKind {
    Mosfet {
        drain: String,
        gate: String,
        source: String,
        bulk: String,
        card: Arc<ModelCard>,
        geometry: Geometry,
        /// Deviation from the card (mismatch draw plus deliberate offsets).
        deviation: Deviation,
        /// Capacitances fixed on the transistor line.
        capacitance: CapacitanceOverrides,
        /// Its own temperature (`temp=`, `dtemp=`); None: the circuit's.
        temperature: Option<InstanceTemperature>,
    },
    Capacitor {
        a: String,
        b: String,
        farads: f64,
    },
    Resistor {
        a: String,
        b: String,
        ohms: f64,
        /// The temperature of its Johnson noise (`temp=`, `dtemp=`); None: the circuit's.
        temperature: Option<InstanceTemperature>,
    },
    /// `volts` is the DC (operating-point) value; a transient follows `waveform` if given.
    VoltageSource {
        plus: String,
        minus: String,
        volts: f64,
        waveform: Option<Waveform>,
    },
    /// Positive current flows from `plus` through the source to `minus` (SPICE).
    CurrentSource {
        plus: String,
        minus: String,
        amps: f64,
        waveform: Option<Waveform>,
    },
}

/// A readout declared on a circuit description.
#[derive(Debug, Clone)]
pub struct SpecOutput {
    pub name: String,
    pub origin: String,
    pub kind: OutputKind<String>,
}

/// A circuit description with every value resolved.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub title: String,
    pub temperature: f64,
    pub elements: Vec<SpecElement>,
    pub outputs: Vec<SpecOutput>,
    /// Initial voltages of free nodes (node name, V, origin).
    pub initial: Vec<(String, f64, String)>,
}

impl Spec {
    /// The root-sum-square over every transistor of its Pelgrom mismatch sigma referred to
    /// its gate (V): sigma_VT = A_VT / sqrt(W L M), plus the current-factor term
    /// U_T A_beta / sqrt(W L M), a deviation dbeta/beta read as the gate voltage that gives it
    /// in weak inversion at n = 1 (Pelgrom, Duinmaijer and Welbers, IEEE JSSC 24, 1433
    /// (1989); PHYSICS.md 10). Zero when no card carries A_VT or A_beta.
    pub fn gate_referred_mismatch(&self) -> f64 {
        let u_t = crate::units::thermal_voltage(self.temperature);
        self.elements
            .iter()
            .filter_map(|e| match &e.kind {
                SpecKind::Mosfet { card, geometry, .. } => {
                    Some(card.sigma_vt(*geometry).powi(2) + (u_t * card.sigma_beta(*geometry)).powi(2))
                }
                _ => None,
            })
            .sum::<f64>()
            .sqrt()
    }
}

/// What conducts, evaluated at its own temperature (the circuit's unless the instance sets
/// one).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum DeviceKind {
    Mosfet(Transistor),
    /// A resistor and the thermal voltage kT/q of its carriers (V).
    Resistor {
        ohms: f64,
        ut: f64,
    },
}

/// A conducting device with its precomputed jump.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Device {
    pub name: String,
    pub kind: DeviceKind,
    /// Terminals: (drain, gate, source, bulk) for a transistor, (a, b) for a resistor.
    pub terminals: Vec<NodeRef>,
    /// A forward transfer moves +q from this node ...
    pub from: NodeRef,
    /// ... to this one.
    pub to: NodeRef,
    /// Change of the free-node voltages per coulomb moved forward: C_ff^{-1} D (1/F).
    pub dv: Vec<f64>,
    /// The non-zero entries of `dv` (free node, 1/F): C_ff^{-1} is block-diagonal over the
    /// groups of free nodes that capacitors join, so a device moves only the nodes of the
    /// groups its terminals are in, and a step costs O(devices + nodes), not their product.
    pub dv_sparse: Vec<(u32, f64)>,
    /// Half the voltage jump of one forward transfer at each terminal (V): the midpoint shift.
    pub half_jump: Vec<f64>,
    /// Energy the sources deliver per coulomb moved forward (V): V(from) - V(to) over the
    /// fixed ends.
    pub supply_per_coulomb: f64,
    /// Flicker-noise traps of a transistor whose card has them ([`crate::device::flicker`]):
    /// each shifts its threshold (NMOS frame) by a process of standard deviation `sigma`
    /// and correlation time `tau`. Empty for resistors and cards without flicker noise.
    pub traps: Vec<Trap>,
    /// Index of this device's first trap among all the circuit's traps (they are numbered
    /// device by device).
    pub first_trap: usize,
}

/// A DC current source, a deterministic (noiseless) injection.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CurrentSource {
    pub name: String,
    pub plus: NodeRef,
    pub minus: NodeRef,
    pub amps: f64,
    /// C_ff^{-1} (e_minus - e_plus): voltage rate per ampere (V/s/A = 1/F).
    pub dv: Vec<f64>,
    /// The non-zero entries of `dv`.
    pub dv_sparse: Vec<(u32, f64)>,
}

/// A readout on the elaborated circuit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Output {
    pub name: String,
    pub kind: OutputKind<NodeRef>,
}

/// The elaborated circuit.
#[derive(Debug, Clone, PartialEq)]
pub struct Circuit {
    pub title: String,
    /// Temperature the devices were evaluated at (K).
    pub temperature: f64,
    /// Names of the free nodes, in state order.
    pub free_names: Vec<String>,
    /// Names and voltages of the fixed nodes (ground first).
    pub fixed_names: Vec<String>,
    pub fixed_voltages: Vec<f64>,
    pub capacitance: Capacitance,
    pub devices: Vec<Device>,
    pub current_sources: Vec<CurrentSource>,
    pub outputs: Vec<Output>,
    /// Initial free-node voltages (V).
    pub initial: Vec<f64>,
    /// Precomputed fast form of the weak-inversion transistors' fluxes.
    pub log_linear: LogLinearFluxes,
    /// The waveform sources (empty for a DC circuit); the values above are at
    /// [`Drive::time`] ([`Circuit::set_time`]), t = 0 as built.
    pub drive: Drive,
    /// Number of flicker traps over all devices.
    pub trap_count: usize,
}

/// A circuit that cannot be simulated. `origin` is `file:line` of the offending element.
#[derive(Debug, Clone, Error, PartialEq)]
#[error("{origin}: {message}")]
pub struct CircuitError {
    pub origin: String,
    pub message: String,
}

fn fail<T>(origin: &str, message: String) -> Result<T, CircuitError> {
    Err(CircuitError { origin: origin.to_string(), message })
}

fn is_ground(name: &str) -> bool {
    name == "0" || name.eq_ignore_ascii_case("gnd")
}

impl Circuit {
    /// Number of free nodes (the dimension of the node state).
    pub fn free_count(&self) -> usize {
        self.free_names.len()
    }

    /// Voltage of a node given the free-node voltages.
    #[inline]
    pub fn voltage(&self, node: NodeRef, v: &[f64]) -> f64 {
        match node {
            NodeRef::Free(i) => v[i],
            NodeRef::Fixed(j) => self.fixed_voltages[j],
        }
    }

    /// Look a node up by name.
    pub fn node(&self, name: &str) -> Option<NodeRef> {
        let name = name.to_lowercase();
        if is_ground(&name) {
            return Some(NodeRef::Fixed(0));
        }
        if let Some(i) = self.free_names.iter().position(|n| *n == name) {
            return Some(NodeRef::Free(i));
        }
        self.fixed_names.iter().position(|n| *n == name).map(NodeRef::Fixed)
    }

    /// Free-node voltages at zero free charge: C_ff^{-1} (-C_fx V_x).
    pub fn zero_charge_voltages(&self) -> Vec<f64> {
        let mut v = vec![0.0; self.free_count()];
        self.capacitance.voltages(&vec![0.0; self.free_count()], &self.fixed_voltages, &mut v);
        v
    }

    /// Energy the sources deliver as displacement current when the free voltages move from
    /// `start` to `end`: sum_x V_x sum_f C_xf (V_f(end) - V_f(start)) (J).
    pub fn displacement_energy(&self, start: &[f64], end: &[f64]) -> f64 {
        let c = &self.capacitance.c_fx;
        (0..self.fixed_voltages.len())
            .map(|x| {
                self.fixed_voltages[x]
                    * (0..self.free_count()).map(|f| c[(f, x)] * (end[f] - start[f])).sum::<f64>()
            })
            .sum()
    }

    /// Elaborate a description into state equations. Transistor capacitances come from their
    /// cards at the circuit's DC operating point ([`super::operating_point`]), or from the
    /// transistor line where it fixes them; cards without an oxide capacitance or with the
    /// weak-inversion-only law need no operating point (their capacitances are the
    /// weak-inversion values).
    pub fn build(spec: &Spec) -> Result<Circuit, CircuitError> {
        let weak =
            Circuit::build_with(spec, &|_, card, geometry, kelvin| card.capacitances(geometry, kelvin))?;
        let needs_op = spec.elements.iter().any(|e| match &e.kind {
            SpecKind::Mosfet { card, capacitance, .. } => {
                card.cox > 0.0 && card.interpolation == Interpolation::Ekv && !capacitance.all_fixed()
            }
            _ => false,
        });
        if !needs_op {
            return Ok(weak);
        }
        let v = super::operating_point::dc_operating_point(&weak)
            .map_err(|message| CircuitError { origin: spec.title.clone(), message })?;
        let at_op = |name: &str, card: &ModelCard, geometry: Geometry, kelvin: f64| -> DeviceCapacitances {
            match weak.devices.iter().find(|d| d.name == name) {
                Some(Device { kind: DeviceKind::Mosfet(t), terminals, .. }) => {
                    let at = |k: usize| weak.voltage(terminals[k], &v);
                    let op = t.evaluate(&crate::device::Terminals { d: at(0), g: at(1), s: at(2), b: at(3) });
                    card.capacitances_at(geometry, &op)
                }
                _ => card.capacitances(geometry, kelvin),
            }
        };
        Circuit::build_with(spec, &at_op)
    }

    /// Elaborate with transistor capacitances from `device_caps(name, card, geometry, kelvin)`,
    /// kelvin the device's own temperature (before the line's own fixed values).
    fn build_with(
        spec: &Spec,
        device_caps: &dyn Fn(&str, &ModelCard, Geometry, f64) -> DeviceCapacitances,
    ) -> Result<Circuit, CircuitError> {
        if !(spec.temperature > 0.0 && spec.temperature.is_finite()) {
            return fail(&spec.title, format!("temperature {} K is not physical", spec.temperature));
        }
        let mut first_use: HashMap<String, String> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut note = |name: &String, origin: &String| {
            if !is_ground(name) && !first_use.contains_key(name) {
                first_use.insert(name.clone(), origin.clone());
                order.push(name.clone());
            }
        };
        for e in &spec.elements {
            for n in element_nodes(&e.kind) {
                note(n, &e.origin);
            }
        }
        let Resolved { names: fixed_names, volts: fixed_voltages, paths, driven } = resolve_sources(spec)?;
        let mut node_ref: HashMap<String, NodeRef> = HashMap::new();
        for (j, name) in fixed_names.iter().enumerate() {
            node_ref.insert(name.clone(), NodeRef::Fixed(j));
        }
        let mut free_names = Vec::new();
        for name in &order {
            if !node_ref.contains_key(name) {
                node_ref.insert(name.clone(), NodeRef::Free(free_names.len()));
                free_names.push(name.clone());
            }
        }
        let lookup =
            |name: &str| -> NodeRef { if is_ground(name) { NodeRef::Fixed(0) } else { node_ref[name] } };
        let mut capacitors = Vec::new();
        for e in &spec.elements {
            match &e.kind {
                SpecKind::Capacitor { a, b, farads } => {
                    if !(*farads > 0.0 && farads.is_finite()) {
                        return fail(
                            &e.origin,
                            format!("capacitor {} has value {farads} F; it must be positive", e.name),
                        );
                    }
                    capacitors.push((lookup(a), lookup(b), *farads));
                }
                SpecKind::Mosfet {
                    drain,
                    gate,
                    source,
                    bulk,
                    card,
                    geometry,
                    capacitance,
                    temperature,
                    ..
                } => {
                    let kelvin = temperature.map_or(spec.temperature, |t| t.at(spec.temperature));
                    let c = capacitance.apply(device_caps(&e.name, card, *geometry, kelvin));
                    let (d, g, s, b) = (lookup(drain), lookup(gate), lookup(source), lookup(bulk));
                    for (x, y, value) in [
                        (g, b, c.gate_bulk),
                        (g, d, c.gate_drain),
                        (g, s, c.gate_source),
                        (d, b, c.drain_bulk),
                        (s, b, c.source_bulk),
                    ] {
                        if value > 0.0 && x != y {
                            capacitors.push((x, y, value));
                        }
                    }
                }
                _ => {}
            }
        }
        let capacitance = Capacitance::assemble(free_names.len(), fixed_names.len(), &capacitors).or_else(|problem| {
            let (node, message) = match problem {
                CapacitanceProblem::Unconnected(i) => (
                    free_names[i].clone(),
                    format!(
                        "node '{}' has no capacitance to anything; add a capacitor from it to ground (C{} {} 0 1f) or use model cards with capacitances",
                        free_names[i], free_names[i], free_names[i]
                    ),
                ),
                CapacitanceProblem::Floating(nodes) => {
                    let names: Vec<&str> = nodes.iter().map(|&i| free_names[i].as_str()).collect();
                    (names[0].to_string(), format!("nodes {} float: they have no capacitive path to ground or a source", names.join(", ")))
                }
            };
            fail(&first_use[&node], message)
        })?;
        let mut circuit = Circuit {
            title: spec.title.clone(),
            temperature: spec.temperature,
            free_names,
            fixed_names,
            fixed_voltages,
            capacitance,
            devices: Vec::new(),
            current_sources: Vec::new(),
            outputs: Vec::new(),
            initial: Vec::new(),
            log_linear: LogLinearFluxes::default(),
            drive: Drive::default(),
            trap_count: 0,
        };
        for e in &spec.elements {
            circuit.add_element(e, &lookup)?;
        }
        for o in &spec.outputs {
            let resolve = |name: &String| -> Result<NodeRef, CircuitError> {
                circuit.node(name).map_or_else(
                    || {
                        fail(
                            &o.origin,
                            format!("output {} reads node '{name}', which is not in the circuit", o.name),
                        )
                    },
                    Ok,
                )
            };
            let kind = match &o.kind {
                OutputKind::Bit { plus, minus, hysteresis } => {
                    OutputKind::Bit { plus: resolve(plus)?, minus: resolve(minus)?, hysteresis: *hysteresis }
                }
                OutputKind::Category { nodes, hysteresis } => OutputKind::Category {
                    nodes: nodes.iter().map(resolve).collect::<Result<_, _>>()?,
                    hysteresis: *hysteresis,
                },
                OutputKind::Analog { plus, minus } => OutputKind::Analog {
                    plus: resolve(plus)?,
                    minus: minus.as_ref().map(resolve).transpose()?,
                },
            };
            circuit.outputs.push(Output { name: o.name.clone(), kind });
        }
        circuit.log_linear = LogLinearFluxes::new(&circuit);
        let nodes: Vec<_> = paths
            .into_iter()
            .enumerate()
            .filter(|(_, path)| !path.is_empty())
            .map(|(j, sources)| MovingNode { fixed: j, at_zero: circuit.fixed_voltages[j], sources })
            .collect();
        let current = spec
            .elements
            .iter()
            .filter_map(|e| match &e.kind {
                SpecKind::CurrentSource { waveform: Some(w), .. } => {
                    circuit.current_sources.iter().position(|s| s.name == e.name).map(|i| (i, w.clone()))
                }
                _ => None,
            })
            .collect();
        circuit.attach_drive(driven, nodes, current);
        circuit.initial = circuit.zero_charge_voltages();
        for (name, volts, origin) in &spec.initial {
            match circuit.node(name) {
                Some(NodeRef::Free(i)) => circuit.initial[i] = *volts,
                Some(NodeRef::Fixed(_)) => {
                    return fail(origin, format!("initial condition on node '{name}', which a source fixes"));
                }
                None => {
                    return fail(
                        origin,
                        format!("initial condition on node '{name}', which is not in the circuit"),
                    );
                }
            }
        }
        Ok(circuit)
    }

    fn add_element(&mut self, e: &SpecElement, lookup: &dyn Fn(&str) -> NodeRef) -> Result<(), CircuitError> {
        let mut traps = Vec::new();
        let (kind, terminals, from, to) = match &e.kind {
            SpecKind::Mosfet {
                drain, gate, source, bulk, card, geometry, deviation, temperature, ..
            } => {
                if !(geometry.w > 0.0 && geometry.l > 0.0 && geometry.m > 0.0) {
                    return fail(&e.origin, format!("transistor {} needs positive W, L and M", e.name));
                }
                if !(deviation.beta > -1.0 && deviation.vt.is_finite() && deviation.beta.is_finite()) {
                    return fail(
                        &e.origin,
                        format!(
                            "transistor {} has a current factor scaled by {} (dbeta {}): it must stay positive",
                            e.name,
                            1.0 + deviation.beta,
                            deviation.beta
                        ),
                    );
                }
                let t = card.at_with(*geometry, self.device_temperature(e, *temperature)?, *deviation);
                traps = card.traps(*geometry);
                let (d, g, s, b) = (lookup(drain), lookup(gate), lookup(source), lookup(bulk));
                let (from, to) = if card.polarity == Polarity::Nmos { (d, s) } else { (s, d) };
                (DeviceKind::Mosfet(t), vec![d, g, s, b], from, to)
            }
            SpecKind::Resistor { a, b, ohms, temperature } => {
                if !(*ohms > 0.0 && ohms.is_finite()) {
                    return fail(
                        &e.origin,
                        format!("resistor {} has value {ohms} Ohm; it must be positive", e.name),
                    );
                }
                let ut = crate::units::thermal_voltage(self.device_temperature(e, *temperature)?);
                let (a, b) = (lookup(a), lookup(b));
                (DeviceKind::Resistor { ohms: *ohms, ut }, vec![a, b], a, b)
            }
            SpecKind::CurrentSource { plus, minus, amps, waveform } => {
                let (p, m) = (lookup(plus), lookup(minus));
                let dv = self.transfer_response(m, p);
                self.current_sources.push(CurrentSource {
                    name: e.name.clone(),
                    plus: p,
                    minus: m,
                    // A transient starts from the waveform's value at t = 0.
                    amps: waveform.as_ref().map_or(*amps, |w| w.value(0.0)),
                    dv_sparse: sparse(&dv),
                    dv,
                });
                return Ok(());
            }
            SpecKind::Capacitor { .. } | SpecKind::VoltageSource { .. } => return Ok(()),
        };
        let dv = self.transfer_response(to, from);
        let half_jump = terminals
            .iter()
            .map(|t| match t {
                NodeRef::Free(i) => 0.5 * ELEMENTARY_CHARGE * dv[*i],
                NodeRef::Fixed(_) => 0.0,
            })
            .collect();
        let fixed_v = |n: NodeRef| match n {
            NodeRef::Fixed(j) => self.fixed_voltages[j],
            NodeRef::Free(_) => 0.0,
        };
        let supply_per_coulomb = fixed_v(from) - fixed_v(to);
        self.devices.push(Device {
            name: e.name.clone(),
            kind,
            terminals,
            from,
            to,
            dv_sparse: sparse(&dv),
            dv,
            half_jump,
            supply_per_coulomb,
            first_trap: self.trap_count,
            traps,
        });
        self.trap_count += self.devices.last().map_or(0, |d| d.traps.len());
        Ok(())
    }

    /// The temperature of element `e` (K): its own, else the circuit's.
    fn device_temperature(
        &self,
        e: &SpecElement,
        temperature: Option<InstanceTemperature>,
    ) -> Result<f64, CircuitError> {
        let kelvin = temperature.map_or(self.temperature, |t| t.at(self.temperature));
        if kelvin > 0.0 && kelvin.is_finite() {
            return Ok(kelvin);
        }
        fail(
            &e.origin,
            format!(
                "{} would be at {kelvin} K (dtemp below the circuit's {} K): give a temperature above absolute zero",
                e.name, self.temperature
            ),
        )
    }

    /// C_ff^{-1} (e_to - e_from) restricted to free nodes: the voltage change per coulomb
    /// moved from `from` to `to`.
    fn transfer_response(&self, to: NodeRef, from: NodeRef) -> Vec<f64> {
        let n = self.free_count();
        let c = &self.capacitance.c_inv;
        (0..n)
            .map(|i| {
                let into = if let NodeRef::Free(k) = to { c[(i, k)] } else { 0.0 };
                let out = if let NodeRef::Free(k) = from { c[(i, k)] } else { 0.0 };
                into - out
            })
            .collect()
    }
}

/// The non-zero entries of a dense vector.
fn sparse(dense: &[f64]) -> Vec<(u32, f64)> {
    dense.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(i, &v)| (i as u32, v)).collect()
}

fn element_nodes(kind: &SpecKind) -> Vec<&String> {
    match kind {
        SpecKind::Mosfet { drain, gate, source, bulk, .. } => vec![drain, gate, source, bulk],
        SpecKind::Capacitor { a, b, .. } | SpecKind::Resistor { a, b, .. } => vec![a, b],
        SpecKind::VoltageSource { plus, minus, .. } | SpecKind::CurrentSource { plus, minus, .. } => {
            vec![plus, minus]
        }
    }
}

/// The fixed nodes: names (ground first), voltages at t = 0, and for each the waveform
/// sources on its path to ground with their signs (indices into `driven`).
struct Resolved {
    names: Vec<String>,
    volts: Vec<f64>,
    paths: Vec<Vec<(usize, f64)>>,
    driven: Vec<DrivenSource>,
}

/// Fix nodes from voltage sources: a source whose one end is fixed fixes the other. A source
/// with a waveform counts with its value at t = 0, and every node it fixes (directly or
/// through other sources) moves with it.
fn resolve_sources(spec: &Spec) -> Result<Resolved, CircuitError> {
    let mut names = vec!["0".to_string()];
    let mut volts = vec![0.0];
    let mut paths: Vec<Vec<(usize, f64)>> = vec![Vec::new()];
    let mut driven: Vec<DrivenSource> = Vec::new();
    let index = |names: &Vec<String>, n: &str| {
        if is_ground(n) { Some(0) } else { names.iter().position(|x| x == n) }
    };
    let mut pending: Vec<&SpecElement> =
        spec.elements.iter().filter(|e| matches!(e.kind, SpecKind::VoltageSource { .. })).collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for e in pending {
            let SpecKind::VoltageSource { plus, minus, volts: dc, waveform } = &e.kind else {
                unreachable!()
            };
            let v = waveform.as_ref().map_or(*dc, |w| w.value(0.0));
            if !v.is_finite() {
                return fail(&e.origin, format!("source {} has a non-finite value", e.name));
            }
            let path_through = |from: usize, sign: f64, driven: &mut Vec<DrivenSource>| {
                let mut path = paths[from].clone();
                if let Some(w) = waveform {
                    driven.push(DrivenSource { name: e.name.clone(), waveform: w.clone(), at_zero: v });
                    path.push((driven.len() - 1, sign));
                }
                path
            };
            match (index(&names, plus), index(&names, minus)) {
                (Some(p), Some(m)) => {
                    if waveform.is_some() || !paths[p].is_empty() || !paths[m].is_empty() {
                        return fail(
                            &e.origin,
                            format!(
                                "source {} closes a loop of voltage sources that a waveform source is in: V({plus}) - V({minus}) is already fixed; remove one source of the loop",
                                e.name
                            ),
                        );
                    }
                    if (volts[p] - volts[m] - v).abs() > 1e-12 {
                        return fail(
                            &e.origin,
                            format!(
                                "source {} contradicts other sources: V({plus}) - V({minus}) is already {} V",
                                e.name,
                                volts[p] - volts[m]
                            ),
                        );
                    }
                }
                (None, Some(m)) => {
                    let path = path_through(m, 1.0, &mut driven);
                    names.push(plus.clone());
                    volts.push(volts[m] + v);
                    paths.push(path);
                }
                (Some(p), None) => {
                    let path = path_through(p, -1.0, &mut driven);
                    names.push(minus.clone());
                    volts.push(volts[p] - v);
                    paths.push(path);
                }
                (None, None) => rest.push(e),
            }
        }
        if rest.len() == before {
            let e = rest[0];
            return fail(
                &e.origin,
                format!("voltage source {} floats: neither end connects to ground through sources", e.name),
            );
        }
        pending = rest;
    }
    Ok(Resolved { names, volts, paths, driven })
}

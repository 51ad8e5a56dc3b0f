//! From a parsed netlist to a circuit description: load the model cards, resolve each
//! transistor's model by name, fix the temperature, and carry readouts and initial conditions
//! over. Every error names the file and line of the element or directive at fault.
//!
//! Model cards come from `.model` lines and `.include "card.toml"` lines (one name, one card);
//! a model not given either way is looked up by name as `NAME.toml` in the netlist's
//! directory, then in `models/` beside it and `../models/` (so the shipped circuits find the
//! shipped cards). Without `.temp` or `--temp` the temperature is 27 C (300.15 K), SPICE's
//! default. An element inside a subcircuit instance names, in messages, its line in the
//! definition and the instance lines that lead to it.
//!
//! Each transistor gets its deviation from the card here: the Monte Carlo mismatch draw of
//! its full (hierarchical) name ([`crate::device::mismatch`]; sample 0 is nominal), plus any
//! `dvt=`/`dbeta=` on its line, plus any deviation the caller passes by name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::model::{CircuitError, OutputKind, Spec, SpecElement, SpecKind, SpecOutput};
use super::netlist::{self, ElementKind, Netlist};
use crate::device::mismatch::draw;
use crate::device::{CapacitanceOverrides, Deviation, Geometry, MismatchSample, ModelCard, load_card};

/// SPICE's default temperature, 27 C.
pub const DEFAULT_TEMPERATURE: f64 = 300.15;

/// How the transistors of a circuit deviate from their cards: a Monte Carlo mismatch sample
/// (index 0, the default, is nominal) and deliberate deviations by element name, added to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Variation {
    pub mismatch: MismatchSample,
    pub offsets: HashMap<String, Deviation>,
}

impl Variation {
    /// Mismatch sample `index` drawn from master seed `seed`.
    pub fn sample(seed: u64, index: u64) -> Self {
        Variation { mismatch: MismatchSample { seed, index }, offsets: HashMap::new() }
    }
}

fn model_search_dirs(netlist: &Netlist) -> Vec<PathBuf> {
    let dir = netlist.source.parent().map(Path::to_path_buf).unwrap_or_default();
    vec![dir.clone(), dir.join("models"), dir.join("..").join("models")]
}

/// Load every card the netlist names, keyed by card name: its `.model` cards, then its
/// `.include`d TOML cards.
fn load_cards(netlist: &Netlist) -> Result<HashMap<String, Arc<ModelCard>>, CircuitError> {
    let mut cards: HashMap<String, Arc<ModelCard>> = HashMap::new();
    for inline in &netlist.models {
        cards.insert(inline.card.name.clone(), Arc::new(inline.card.clone()));
    }
    for included in &netlist.model_cards {
        let card = load_card(&included.path)
            .map_err(|e| CircuitError { origin: included.location.to_string(), message: e.to_string() })?;
        if let Some(previous) = cards.get(&card.name) {
            return Err(CircuitError {
                origin: included.location.to_string(),
                message: format!(
                    "model card {} defines model '{}', already defined by {}",
                    included.path.display(),
                    card.name,
                    previous.path.as_ref().map_or_else(
                        || netlist
                            .models
                            .iter()
                            .find(|m| m.card.name == card.name)
                            .map_or("another card".into(), |m| format!("the .model line at {}", m.location)),
                        |p| p.display().to_string()
                    )
                ),
            });
        }
        cards.insert(card.name.clone(), Arc::new(card));
    }
    Ok(cards)
}

/// Elaborate `netlist` at `temperature` (K; the netlist's `.temp` or 27 C when None), with
/// the transistors' deviations from their cards given by `variation`.
pub fn elaborate(
    netlist: &Netlist,
    temperature: Option<f64>,
    variation: &Variation,
) -> Result<Spec, CircuitError> {
    if netlist.elements.is_empty() {
        return Err(CircuitError {
            origin: netlist.source.display().to_string(),
            message: "the netlist has no elements: expected at least one transistor, resistor, capacitor or source line (is it the right file?)".to_string(),
        });
    }
    let mut cards = load_cards(netlist)?;
    let temperature = temperature.or(netlist.temperature_k).unwrap_or(DEFAULT_TEMPERATURE);
    let mut elements = Vec::with_capacity(netlist.elements.len());
    for e in &netlist.elements {
        let origin = netlist.origin(&e.location, e.instance);
        let kind = match &e.kind {
            ElementKind::Mosfet { drain, gate, source, bulk, model, w, l, m, extras, temperature } => {
                let card = match cards.get(model) {
                    Some(card) => Arc::clone(card),
                    None => {
                        let found = model_search_dirs(netlist)
                            .into_iter()
                            .map(|d| d.join(format!("{model}.toml")))
                            .find(|p| p.is_file());
                        let Some(path) = found else {
                            let mut known: Vec<&String> = cards.keys().collect();
                            known.sort();
                            let known: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
                            return Err(CircuitError {
                                origin,
                                message: format!(
                                    "unknown model '{model}' for transistor {}; loaded cards: {}; write a .model {model} nmos|pmos (level=ekv ...) line, include a card with .include \"{model}.toml\", or put {model}.toml in models/",
                                    e.name,
                                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                                ),
                            });
                        };
                        let card = Arc::new(load_card(&path).map_err(|err| CircuitError {
                            origin: origin.clone(),
                            message: err.to_string(),
                        })?);
                        if card.name != *model {
                            return Err(CircuitError {
                                origin,
                                message: format!(
                                    "{} defines model '{}', not '{model}'",
                                    path.display(),
                                    card.name
                                ),
                            });
                        }
                        cards.insert(model.clone(), Arc::clone(&card));
                        card
                    }
                };
                let geometry = Geometry { w: *w, l: *l, m: *m };
                let deviation = draw(&card, geometry, &e.name, variation.mismatch)
                    .plus(Deviation { vt: extras.dvt, beta: extras.dbeta })
                    .plus(variation.offsets.get(&e.name).copied().unwrap_or_default());
                SpecKind::Mosfet {
                    drain: drain.clone(),
                    gate: gate.clone(),
                    source: source.clone(),
                    bulk: bulk.clone(),
                    card,
                    geometry,
                    deviation,
                    capacitance: CapacitanceOverrides {
                        gate_bulk: extras.cgb,
                        gate_drain: extras.cgd,
                        gate_source: extras.cgs,
                        drain_bulk: extras.cdb,
                        source_bulk: extras.csb,
                    },
                    temperature: *temperature,
                }
            }
            ElementKind::Capacitor { a, b, farads } => {
                SpecKind::Capacitor { a: a.clone(), b: b.clone(), farads: *farads }
            }
            ElementKind::Resistor { a, b, ohms, temperature } => {
                SpecKind::Resistor { a: a.clone(), b: b.clone(), ohms: *ohms, temperature: *temperature }
            }
            ElementKind::VoltageSource { plus, minus, volts, waveform } => SpecKind::VoltageSource {
                plus: plus.clone(),
                minus: minus.clone(),
                volts: *volts,
                waveform: resolve_waveform(waveform, netlist, &origin)?,
            },
            ElementKind::CurrentSource { plus, minus, amps, waveform } => SpecKind::CurrentSource {
                plus: plus.clone(),
                minus: minus.clone(),
                amps: *amps,
                waveform: resolve_waveform(waveform, netlist, &origin)?,
            },
        };
        elements.push(SpecElement { name: e.name.clone(), origin, kind });
    }
    let outputs = netlist
        .outputs
        .iter()
        .map(|o| SpecOutput {
            name: o.name.clone(),
            origin: o.location.to_string(),
            kind: match &o.kind {
                netlist::OutputKind::Bit { plus, minus, hysteresis } => {
                    OutputKind::Bit { plus: plus.clone(), minus: minus.clone(), hysteresis: *hysteresis }
                }
                netlist::OutputKind::Category { nodes, hysteresis } => {
                    OutputKind::Category { nodes: nodes.clone(), hysteresis: *hysteresis }
                }
                netlist::OutputKind::Analog { plus, minus } => {
                    OutputKind::Analog { plus: plus.clone(), minus: minus.clone() }
                }
            },
        })
        .collect();
    let initial = netlist
        .initial_conditions
        .iter()
        .map(|ic| (ic.node.clone(), ic.volts, netlist.origin(&ic.location, ic.instance)))
        .collect();
    Ok(Spec { title: netlist.title.clone(), temperature, elements, outputs, initial })
}

/// A source's waveform with omitted PULSE edges set to the `.tran` step (ngspice's TSTEP).
fn resolve_waveform(
    waveform: &Option<crate::circuit::waveform::Waveform>,
    netlist: &Netlist,
    origin: &str,
) -> Result<Option<crate::circuit::waveform::Waveform>, CircuitError> {
    let Some(w) = waveform else { return Ok(None) };
    w.resolve(netlist.tran.as_ref().map(|t| t.step))
        .map(Some)
        .map_err(|message| CircuitError { origin: origin.to_string(), message })
}

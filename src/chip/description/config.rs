//! The chip description (TOML) and its overrides.
//!
//! ```toml
//! [lattice]                 # or [graph] edges = "edges.csv", fields = "fields.csv"
//! size = [64, 64]
//! boundary = "torus"        # or "open"
//! degree = 4                # 4, 8, 12, 16, 20
//! [model]
//! kind = "ising"            # "potts" (needs q), "gaussian" (needs diagonal)
//! beta = 0.44
//! coupling = 1.0            # or random = { seed = 1, sigma = 1.0, kind = "normal"|"pm", field_sigma = 0.0 }
//! field = 0.0               #    or weights = "weights.csv" (lattices: rows i,j,J)
//! [cells]
//! kind = "ideal"            # "pbit", "pdit", "pmog" with calibration, temperature, mismatch;
//!                           #   "gaussian" with calibration and controls = { vdda = 0.07, ... }
//! circuit = "cells/pbit_cell.cir"       # the cell as transistors (pbitsim netlist), with
//! subcircuit = "pbit_cell"              #   its subcircuit (default: the file's stem)
//! [couplings]               # optional: couplings as calibrated circuits
//! circuit = "cells/synapse.cir"         # the coupling as transistors (pbitsim netlist)
//! subcircuit = "synapse"                #   (default: the file's stem)
//! calibration = "cells/synapse_calibration.json"   # pbitsim calibrate --coupling
//! [schedule]
//! method = "block-gibbs"    # or "free-running" (tau, read_interval)
//! warmup = 100
//! sweeps = 1000
//! thin = 1
//! initial = "random"        # "up", "down"
//! anneal = [[0, 0.1], [500, 0.44]]      # or { from = 0.1, to = 0.44, sweeps = 500 }
//! clamp = [{ cell = 0, state = 1 }]
//! ```
//! Paths are relative to the TOML file. Unknown keys are errors naming the file and key.
//! Overrides `KEY=VALUE` (dotted keys, e.g. `model.beta=0.4`) are applied before validation;
//! VALUE is read as a TOML value, or as a string if it is not one.

use crate::chip::description::csv;
use crate::chip::description::graph::{Boundary, Graph, Lattice, Topology};
use crate::chip::description::model::{
    Couplings, Model, ModelKind, RandomKind, random_couplings, random_fields,
};
use crate::chip::description::problem::{Chip, Method, Schedule};
use crate::chip::error::ChipError;
use crate::chip::samplers::sampler::Initial;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole chip description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipConfig {
    pub lattice: Option<LatticeSection>,
    pub graph: Option<GraphSection>,
    pub model: ModelSection,
    #[serde(default)]
    pub cells: CellsSection,
    /// Couplings as calibrated circuits (behavioural chip) and their subcircuit (netlist).
    pub couplings: Option<CouplingsSection>,
    #[serde(default)]
    pub schedule: ScheduleSection,
    /// Directory that relative paths are taken from.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// Where the description came from (for messages).
    #[serde(skip)]
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatticeSection {
    pub size: [usize; 2],
    #[serde(default = "torus")]
    pub boundary: Boundary,
    #[serde(default = "four")]
    pub degree: usize,
}

fn torus() -> Boundary {
    Boundary::Torus
}
fn four() -> usize {
    4
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphSection {
    pub edges: PathBuf,
    pub fields: Option<PathBuf>,
}

/// Model kind names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelName {
    Ising,
    Potts,
    Gaussian,
}

/// A field: one number, or (Potts) one per state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    Scalar(f64),
    PerState(Vec<f64>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomSpec {
    pub seed: u64,
    pub sigma: f64,
    #[serde(default)]
    pub kind: RandomKind,
    /// Random fields h ~ N(0, field_sigma) added to `field` (0: none).
    #[serde(default)]
    pub field_sigma: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    pub kind: ModelName,
    pub beta: f64,
    pub coupling: Option<f64>,
    pub field: Option<FieldValue>,
    pub random: Option<RandomSpec>,
    pub weights: Option<PathBuf>,
    /// Potts: number of states.
    pub q: Option<usize>,
    /// Gaussian: precision diagonal d (the same for every cell).
    pub diagonal: Option<f64>,
}

/// Cell kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CellKind {
    #[default]
    Ideal,
    Pbit,
    Pdit,
    Pmog,
    /// Gaussian sampler pairs from a Gaussian calibration ([`crate::chip::cells::gaussian`]).
    Gaussian,
}

/// `[cells]`. `calibration`, `temperature` and `mismatch` are kept for the behavioural cells
/// (the cell module interprets them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CellsSection {
    #[serde(default)]
    pub kind: CellKind,
    pub calibration: Option<PathBuf>,
    pub temperature: Option<toml::Value>,
    pub mismatch: Option<toml::Value>,
    /// Temperature at which the cells realise the model's beta (default: `temperature`).
    pub design_temperature: Option<toml::Value>,
    /// Energy model of neighbour links: wire capacitance (F, default 0.2 fF) and swing (V,
    /// default 0.8 V).
    pub link_capacitance: Option<toml::Value>,
    pub link_swing: Option<toml::Value>,
    /// Scale every cell's input gain by T / T_design so that beta_eff stays at beta.
    pub compensation: Option<bool>,
    /// The cell as a transistor circuit: a netlist file defining a subcircuit with ports
    /// (in, q, qb) and a parameter `bias` (for `pbitsim netlist`).
    pub circuit: Option<PathBuf>,
    /// The subcircuit's name (default: the circuit file's stem).
    pub subcircuit: Option<String>,
    /// Hysteresis of the bit readout on V(q) - V(qb) in the netlist (V, default 40 mV).
    pub hysteresis: Option<toml::Value>,
    /// Gaussian cells: the control values (V) at which the calibration is read, by name.
    pub controls: Option<std::collections::BTreeMap<String, f64>>,
}

/// `[couplings]`: the coupling circuit and its calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CouplingsSection {
    /// A netlist file defining a subcircuit with ports (in, drive) and a parameter `w`, the
    /// weight setting (for `pbitsim netlist`).
    pub circuit: Option<PathBuf>,
    /// The subcircuit's name (default: the circuit file's stem).
    pub subcircuit: Option<String>,
    /// A coupling calibration (`pbitsim calibrate --coupling`): weight setting -> input
    /// shift, offset, settling time, power.
    pub calibration: Option<PathBuf>,
}

/// `anneal`: points or a linear ramp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnnealSpec {
    Points(Vec<(u64, f64)>),
    Ramp { from: f64, to: f64, sweeps: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClampSpec {
    pub cell: usize,
    pub state: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSection {
    #[serde(default)]
    pub method: Method,
    #[serde(default = "d_warmup")]
    pub warmup: u64,
    #[serde(default = "d_sweeps")]
    pub sweeps: u64,
    #[serde(default = "d_one")]
    pub thin: u64,
    #[serde(default)]
    pub initial: Initial,
    pub anneal: Option<AnnealSpec>,
    #[serde(default)]
    pub clamp: Vec<ClampSpec>,
    #[serde(default = "d_onef")]
    pub tau: f64,
    #[serde(default = "d_onef")]
    pub read_interval: f64,
}

fn d_warmup() -> u64 {
    100
}
fn d_sweeps() -> u64 {
    1000
}
fn d_one() -> u64 {
    1
}
fn d_onef() -> f64 {
    1.0
}

impl Default for ScheduleSection {
    fn default() -> Self {
        toml::from_str("").expect("all schedule keys have defaults")
    }
}

/// Per-cell fields read from a CSV file: (cell, values).
type CellFields = Vec<(u32, Vec<f32>)>;

/// A topology with the couplings and fields its graph files carry, if any.
type TopologyParts = (Topology, Option<Vec<f32>>, Option<CellFields>);

/// Sets `key` (dotted) to `value` in a TOML table.
fn apply_override(table: &mut toml::Table, assignment: &str) -> Result<(), ChipError> {
    let (key, value) = assignment.split_once('=').ok_or_else(|| {
        ChipError::value(assignment, "an override must look like KEY=VALUE, e.g. model.beta=0.4")
    })?;
    let key = key.trim();
    let value = value.trim();
    let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    let parts: Vec<&str> = key.split('.').collect();
    let mut t = table;
    for (k, part) in parts.iter().enumerate() {
        if part.is_empty() {
            return Err(ChipError::value(key, "empty component in a dotted key"));
        }
        if k + 1 == parts.len() {
            t.insert(part.to_string(), parsed);
            return Ok(());
        }
        let entry = t.entry(part.to_string()).or_insert_with(|| toml::Value::Table(Default::default()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| ChipError::value(key, format!("`{}` is not a table", parts[..=k].join("."))))?;
    }
    Ok(())
}

impl ChipConfig {
    /// Reads a chip description and applies `overrides` (`KEY=VALUE`).
    pub fn from_file(path: &Path, overrides: &[String]) -> Result<Self, ChipError> {
        let text = std::fs::read_to_string(path).map_err(|e| ChipError::io(path, e))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(&text, &path.display().to_string(), &base, overrides)
    }

    /// Parses a chip description; `source` names it in messages, `base_dir` anchors paths.
    pub fn parse(text: &str, source: &str, base_dir: &Path, overrides: &[String]) -> Result<Self, ChipError> {
        let err = |e: toml::de::Error| ChipError::Config {
            file: source.to_string(),
            message: e.to_string().trim_end().to_string(),
        };
        let mut cfg: ChipConfig = if overrides.is_empty() {
            toml::from_str(text).map_err(err)?
        } else {
            let mut table: toml::Table = toml::from_str(text).map_err(err)?;
            for o in overrides {
                apply_override(&mut table, o)?;
            }
            let text = toml::to_string(&table)
                .map_err(|e| ChipError::Config { file: source.to_string(), message: e.to_string() })?;
            toml::from_str(&text).map_err(|e| ChipError::Config {
                file: format!("{source} (after --set overrides)"),
                message: e.to_string().trim_end().to_string(),
            })?
        };
        cfg.base_dir = base_dir.to_path_buf();
        cfg.source = source.to_string();
        Ok(cfg)
    }

    /// A path of the description, relative to its directory.
    pub fn path(&self, p: &Path) -> PathBuf {
        self.base_dir.join(p)
    }

    /// The topology described by `[lattice]` or `[graph]`, with the graph's own couplings
    /// and fields if it has them.
    fn topology(&self) -> Result<TopologyParts, ChipError> {
        let width = match (self.model.kind, self.model.q) {
            (ModelName::Potts, Some(q)) => q,
            _ => 1,
        };
        match (&self.lattice, &self.graph) {
            (Some(l), None) => {
                if l.size[0] != l.size[1] {
                    return Err(ChipError::value(
                        "lattice.size",
                        format!("got {:?}, expected a square lattice [L, L]", l.size),
                    ));
                }
                Ok((Topology::Lattice(Lattice::new(l.size[0], l.boundary, l.degree)?), None, None))
            }
            (None, Some(g)) => {
                let edges = csv::read_edges(&self.path(&g.edges))?;
                let fields = g.fields.as_ref().map(|f| csv::read_fields(&self.path(f), width)).transpose()?;
                let n = fields.iter().flatten().map(|(i, _)| *i as usize + 1).fold(edges.cells, usize::max);
                if n == 0 {
                    return Err(ChipError::Config {
                        file: self.source.clone(),
                        message: format!(
                            "[graph] has no cells: {} lists no edges{}; expected rows i,j,J",
                            g.edges.display(),
                            if g.fields.is_some() { " and the fields file no cells" } else { "" }
                        ),
                    });
                }
                Ok((Topology::Graph(Graph::new(n, edges.edges)?), Some(edges.couplings), fields))
            }
            (Some(_), Some(_)) => Err(ChipError::Config {
                file: self.source.clone(),
                message: "give either [lattice] or [graph], not both".into(),
            }),
            (None, None) => Err(ChipError::Config {
                file: self.source.clone(),
                message: "missing [lattice] or [graph] section".into(),
            }),
        }
    }

    /// Lattice couplings from a weights file (rows i,j,J; pairs must be lattice neighbours;
    /// edges not listed get J = 0).
    fn lattice_weights(&self, lat: &Lattice, file: &Path) -> Result<Couplings, ChipError> {
        let path = self.path(file);
        let text = std::fs::read_to_string(&path).map_err(|e| ChipError::io(&path, e))?;
        let list = csv::parse_edges(&path, &text)?;
        let mut v = vec![0f32; lat.cells() * lat.degree() / 2];
        for ((&(i, j), &jv), &line) in list.edges.iter().zip(&list.couplings).zip(&list.lines) {
            let d = if (i as usize) < lat.cells() {
                (0..lat.degree()).find(|&d| lat.neighbour(i as usize, d) == Some(j as usize))
            } else {
                None
            };
            let Some(d) = d else {
                return Err(ChipError::Csv {
                    file: path.display().to_string(),
                    line,
                    token: format!("{i},{j}"),
                    message: "cells are not neighbours on this lattice".into(),
                });
            };
            v[lat.edge_id(i as usize, d)] = jv;
        }
        Ok(Couplings::PerEdge(v))
    }

    /// Validates everything and builds the chip (topology, model, proper colouring).
    pub fn build(&self) -> Result<Chip, ChipError> {
        let m = &self.model;
        let kind = match m.kind {
            ModelName::Ising => ModelKind::Ising,
            ModelName::Potts => ModelKind::Potts {
                q: m.q
                    .ok_or_else(|| ChipError::value("model.q", "required for kind = \"potts\" (2..=255)"))?,
            },
            ModelName::Gaussian => ModelKind::Gaussian,
        };
        if let ModelKind::Potts { q } = kind
            && !(2..=255).contains(&q)
        {
            return Err(ChipError::value("model.q", format!("got {q}, expected 2..=255")));
        }
        if m.q.is_some() && m.kind != ModelName::Potts {
            return Err(ChipError::value("model.q", "only meaningful for kind = \"potts\""));
        }
        if !(m.beta.is_finite() && m.beta >= 0.0) {
            return Err(ChipError::value(
                "model.beta",
                format!("got {}, expected a finite number >= 0", m.beta),
            ));
        }
        let (topology, graph_j, graph_h) = self.topology()?;
        let n = topology.cells();
        let sources = [m.coupling.is_some(), m.random.is_some(), m.weights.is_some()];
        if sources.iter().filter(|&&b| b).count() > 1 {
            return Err(ChipError::value(
                "model.coupling",
                "give only one of model.coupling, model.random, model.weights",
            ));
        }
        if let Some(r) = &m.random
            && !(r.sigma.is_finite() && r.sigma >= 0.0 && r.field_sigma.is_finite() && r.field_sigma >= 0.0)
        {
            return Err(ChipError::value("model.random.sigma", "expected finite numbers >= 0"));
        }
        let couplings = if let Some(c) = m.coupling {
            if !c.is_finite() {
                return Err(ChipError::value("model.coupling", "expected a finite number"));
            }
            Couplings::Uniform(c as f32)
        } else if let Some(r) = &m.random {
            random_couplings(&topology, r.seed, r.sigma, r.kind)
        } else if let Some(w) = &m.weights {
            match &topology {
                Topology::Lattice(l) => self.lattice_weights(l, w)?,
                Topology::Graph(_) => {
                    return Err(ChipError::value(
                        "model.weights",
                        "only for [lattice]; a [graph] takes its couplings from edges.csv",
                    ));
                }
            }
        } else if let Some(j) = graph_j {
            Couplings::PerEdge(j)
        } else {
            Couplings::Uniform(1.0)
        };
        let width = kind.field_width();
        let mut fields = vec![0f32; n * width];
        match (&m.field, kind) {
            (None, _) => {}
            (Some(FieldValue::Scalar(h)), ModelKind::Potts { q }) => {
                for i in 0..n {
                    fields[i * q] = *h as f32;
                }
            }
            (Some(FieldValue::Scalar(h)), _) => fields.fill(*h as f32),
            (Some(FieldValue::PerState(v)), ModelKind::Potts { q }) if v.len() == q => {
                for i in 0..n {
                    for k in 0..q {
                        fields[i * q + k] = v[k] as f32;
                    }
                }
            }
            (Some(FieldValue::PerState(v)), _) => {
                return Err(ChipError::value(
                    "model.field",
                    format!(
                        "got a list of {}, expected one number (or q numbers for a Potts model)",
                        v.len()
                    ),
                ));
            }
        }
        for (i, vals) in graph_h.into_iter().flatten() {
            fields[i as usize * width..(i as usize + 1) * width].copy_from_slice(&vals);
        }
        if let Some(r) = m.random.as_ref().filter(|r| r.field_sigma > 0.0) {
            for (f, x) in fields.iter_mut().zip(random_fields(n, width, r.seed, r.field_sigma)) {
                *f += x;
            }
        }
        let diagonal = match (kind, m.diagonal) {
            (ModelKind::Gaussian, Some(d)) => vec![d as f32; n],
            // Calibrated cells set the diagonal (chip::cells::gaussian); a placeholder here,
            // large enough that their own checks of the description speak first.
            (ModelKind::Gaussian, None) if self.cells.kind == CellKind::Gaussian => vec![1e30; n],
            (ModelKind::Gaussian, None) => {
                return Err(ChipError::value(
                    "model.diagonal",
                    "required for kind = \"gaussian\" (precision diagonal, > sum of |J| per cell)",
                ));
            }
            (_, Some(_)) => {
                return Err(ChipError::value("model.diagonal", "only meaningful for kind = \"gaussian\""));
            }
            (_, None) => vec![],
        };
        let model = Model { kind, beta: m.beta, couplings, fields, diagonal };
        Chip::new(topology, model)
    }

    /// The runner's schedule, validated against `chip`.
    pub fn schedule(&self, chip: &Chip) -> Result<Schedule, ChipError> {
        let s = &self.schedule;
        let anneal = match &s.anneal {
            None => None,
            Some(AnnealSpec::Points(p)) => Some(p.clone()),
            Some(AnnealSpec::Ramp { from, to, sweeps }) => Some(vec![(0, *from), ((*sweeps).max(1), *to)]),
        };
        let schedule = Schedule {
            method: s.method,
            warmup: s.warmup,
            sweeps: s.sweeps,
            thin: s.thin,
            anneal,
            clamp: s.clamp.iter().map(|c| (c.cell, c.state)).collect(),
            initial: s.initial,
            tau: s.tau,
            read_interval: s.read_interval,
        };
        schedule.validate(chip)?;
        Ok(schedule)
    }
}

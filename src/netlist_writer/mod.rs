//! `pbitsim netlist`: a chip description written out as a transistor-level netlist, the same
//! chip that `pbitsim chip` samples with behavioural cells. The chip module never reads a
//! netlist; this writer reads the chip description and the calibrations and writes one.
//!
//! The description names the circuits (`[cells] circuit`, `[couplings] circuit`, each a file
//! defining a subcircuit) and the calibrations that map the model onto them:
//!
//! - one cell instance per node, `Xc<i> in<i> inb<i> q<i> qb<i> CELL params: bias=B_i`, with
//!   the cell's ports (differential input, readout q, readout qb) in that order and its input
//!   bias
//!   B_i = V0(T) + g h_i - delta_i: the cell calibration's V0 at the operating temperature,
//!   the field through the cells' input gain g = 2 beta Vs(T_design), and the cell's
//!   mismatch offset delta_i drawn from the seed as the behavioural chip draws it;
//! - one synapse per directed edge, `Xs<i>_<j> in<i> inb<i> D<j> E<j> SYNAPSE params: w=W_ij`,
//!   the neighbour j driving cell i, (D, E) = (qb, q) for J_ij > 0 and (q, qb) for J_ij < 0
//!   (the synapse's ports: the receiving input pair, then the driving pair), with the weight
//!   setting W_ij whose calibrated input shift is g |J_ij| at the design temperature
//!   ([`crate::chip::cells::couplings`]); edges with J = 0 have no synapse;
//! - `.output bit s<i> V(q<i>) V(qb<i>)` for every cell, in cell order, so that the joint
//!   law of a simulation indexes states as sum s_i << i like the chip's statistics;
//! - `.temp` the operating temperature, `.tran` the cell calibration's step and 20 us.
//!
//! The text is parsed and elaborated before it is written (a subcircuit with the wrong
//! ports or a missing model is an error naming the line), and written atomically.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

use crate::chip::cells::couplings::{CouplingMap, SynapsePair};
use crate::chip::description::config::{CellKind, ChipConfig};
use crate::chip::{Chip, ChipError, ModelKind};

/// What can stop the writer.
#[derive(Debug, Error)]
pub enum NetlistWriteError {
    #[error(transparent)]
    Chip(#[from] ChipError),
    #[error("{0}")]
    Config(String),
    #[error("the written netlist does not elaborate: {0}")]
    Invalid(String),
    #[error("{0}")]
    Output(String),
}

/// A network ready to write: its text and what it holds.
#[derive(Debug, Clone)]
pub struct Network {
    pub text: String,
    pub cells: usize,
    pub synapses: usize,
    /// Input gain g (V per unit field).
    pub gain: f64,
    pub pairs: Vec<SynapsePair>,
    /// Each cell's input bias (V).
    pub biases: Vec<f64>,
}

fn config_error(message: impl Into<String>) -> NetlistWriteError {
    NetlistWriteError::Config(message.into())
}

/// `target` relative to the directory `base` (both made absolute first), `/`-separated, as
/// an `.include` line wants it.
pub fn relative_path(base: &Path, target: &Path) -> PathBuf {
    let absolute = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(p))
    };
    let (base, target) = (absolute(base), absolute(target));
    let b: Vec<Component> = base.components().collect();
    let t: Vec<Component> = target.components().collect();
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// The subcircuit of a `circuit` key: the `subcircuit` key, else the file's stem.
fn subcircuit(circuit: &Path, name: &Option<String>) -> String {
    name.clone().unwrap_or_else(|| {
        circuit.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default()
    })
}

/// The netlist of the chip `config` describes, for writing to `out` (whose directory anchors
/// the `.include` paths), with mismatch offsets from `seed`.
pub fn network(config: &ChipConfig, out: &Path, seed: u64) -> Result<Network, NetlistWriteError> {
    let chip: Chip = config.build()?;
    if chip.model.kind != ModelKind::Ising || config.cells.kind != CellKind::Pbit {
        return Err(config_error(format!(
            "{}: a transistor netlist needs an Ising model of p-bit cells ([model] kind = \"ising\", [cells] kind = \"pbit\")",
            config.source
        )));
    }
    if config.cells.compensation.unwrap_or(false) {
        return Err(config_error(format!(
            "{}: cells.compensation (a PTAT input gain) has no transistor circuit; remove it to write a netlist",
            config.source
        )));
    }
    let cell_circuit = config.cells.circuit.as_ref().map(|p| config.path(p)).ok_or_else(|| {
        config_error(format!(
            "{}: [cells] needs circuit = \"...cir\", the cell as a subcircuit",
            config.source
        ))
    })?;
    let couplings = config.couplings.clone().unwrap_or_default();
    let synapse_circuit = couplings.circuit.as_ref().map(|p| config.path(p)).ok_or_else(|| {
        config_error(format!(
            "{}: [couplings] needs circuit = \"...cir\", the coupling as a subcircuit",
            config.source
        ))
    })?;
    for path in [&cell_circuit, &synapse_circuit] {
        if !path.is_file() {
            return Err(config_error(format!("{}: no such circuit file {}", config.source, path.display())));
        }
    }
    let cell_name = subcircuit(&cell_circuit, &config.cells.subcircuit);
    let synapse_name = subcircuit(&synapse_circuit, &couplings.subcircuit);
    let (cells, report) = crate::chip::cells::behavioural::pbit_cells(config, &chip, seed)?;
    let gain = cells.gain();
    let map = CouplingMap::new(config, &chip, gain, report.design_temperature_k, report.temperature_k)?;
    let hysteresis = match &config.cells.hysteresis {
        None => 0.04,
        Some(toml::Value::Float(x)) => *x,
        Some(toml::Value::String(s)) => crate::units::parse_value(s, crate::units::Quantity::Voltage)
            .map_err(|e| ChipError::value("cells.hysteresis", e.to_string()))?,
        Some(other) => {
            return Err(ChipError::value(
                "cells.hysteresis",
                format!("expected a voltage such as \"40m\", found {other}"),
            )
            .into());
        }
    };
    let v0 = cells.cell().v0;
    let offsets = crate::chip::cells::coupled::cell_offsets(chip.cells(), report.mismatch_sigma_v, seed);
    let biases: Vec<f64> =
        (0..chip.cells()).map(|i| v0 + gain * chip.model.fields[i] as f64 - offsets[i]).collect();
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let include = |p: &Path| relative_path(dir, p).to_string_lossy().replace('\\', "/");
    let mut t = String::new();
    let n = chip.cells();
    let _ = writeln!(
        t,
        "pbitsim network: {n} p-bit cells and {} synapses from {}",
        2 * map.pairs.len(),
        config.source
    );
    let _ = writeln!(
        t,
        "* Written by pbitsim netlist (pbitsim {}). The same chip runs behaviourally",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        t,
        "* with pbitsim chip. Model: Ising, beta = {}; cells at {:.2} K designed for {:.2} K;",
        chip.model.beta, report.temperature_k, report.design_temperature_k
    );
    let _ = writeln!(
        t,
        "* input gain g = 2 beta Vs(T_design) = {:.4} mV per unit field; V0 = {:.4} mV.",
        gain * 1e3,
        v0 * 1e3
    );
    let _ = writeln!(t, "* Cell calibration {}", report.calibration);
    let _ = writeln!(t, "* Coupling calibration {}", map.calibration);
    let _ = writeln!(
        t,
        "* Bias of cell i: V0 + g h_i - (its mismatch offset); synapse weight w: J_v(w) = g |J|."
    );
    let _ = writeln!(t, ".include {}", include(&cell_circuit));
    let _ = writeln!(t, ".include {}", include(&synapse_circuit));
    let _ = writeln!(t, "* cells: Xc<i> input-pair readout-q readout-qb");
    for (i, b) in biases.iter().enumerate() {
        let _ = writeln!(
            t,
            "Xc{i} in{i} inb{i} q{i} qb{i} {cell_name} params: bias={b:.9e} ; h = {}",
            chip.model.fields[i]
        );
    }
    let _ = writeln!(t, "* synapses: Xs<i>_<j> carries cell j's readout into cell i's input");
    for p in &map.pairs {
        let (d, e) = if p.coupling > 0.0 { ("qb", "q") } else { ("q", "qb") };
        let jv = map.design.coupling_v(p.weight).map_err(|e| config_error(e.to_string()))?;
        for (to, from) in [(p.i, p.j), (p.j, p.i)] {
            let _ = writeln!(
                t,
                "Xs{to}_{from} in{to} inb{to} {d}{from} {e}{from} {synapse_name} params: w={:.9e} ; J = {}, J_v = {:.4} mV",
                p.weight,
                p.coupling as f32,
                jv * 1e3
            );
        }
    }
    let _ = writeln!(t, ".temp {:.4}", report.temperature_k - 273.15);
    let dt = crate::calibration::Calibration::load(
        Path::new(&report.calibration),
        crate::calibration::CellKind::Pbit,
    )
    .map(|c| c.dt_s)
    .unwrap_or(40e-12);
    let _ = writeln!(t, ".tran {dt:e} 20u");
    for i in 0..n {
        let _ = writeln!(t, ".output bit s{i} V(q{i}) V(qb{i}) hyst={hysteresis}");
    }
    let _ = writeln!(t, ".end");
    check(&t, out, report.temperature_k)?;
    Ok(Network { text: t, cells: n, synapses: 2 * map.pairs.len(), gain, pairs: map.pairs, biases })
}

/// Parse and elaborate the text as the file `out` would be read.
fn check(text: &str, out: &Path, temperature: f64) -> Result<(), NetlistWriteError> {
    use crate::circuit::elaborate::elaborate;
    use crate::circuit::netlist::Netlist;
    let invalid = |e: String| NetlistWriteError::Invalid(e);
    let netlist = Netlist::parse_str(text, out, &[]).map_err(|e| invalid(e.to_string()))?;
    let spec =
        elaborate(&netlist, Some(temperature), &Default::default()).map_err(|e| invalid(e.to_string()))?;
    crate::circuit::Circuit::build(&spec).map_err(|e| invalid(e.to_string()))?;
    Ok(())
}

/// Write the network of `config` to `out` atomically (its directory must exist).
pub fn write(config: &ChipConfig, out: &Path, seed: u64) -> Result<Network, NetlistWriteError> {
    let network = network(config, out, seed)?;
    crate::io::write_atomic(out, network.text.as_bytes())
        .map_err(|e| NetlistWriteError::Output(e.to_string()))?;
    Ok(network)
}

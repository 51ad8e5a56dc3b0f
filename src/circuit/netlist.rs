//! The netlist parser: a `.cir` file (a SPICE subset) to a plain [`Netlist`] value.
//!
//! No physics happens here and no model card is loaded: the elaboration stage does that from
//! the [`Netlist`]. The language, as a SPICE user expects it:
//!
//! - The first line of the top-level file is the title, whatever it contains (included files
//!   have none). `*` starts a comment line, `;` and ` $ ` an inline comment; a line starting
//!   with `+` continues the previous one. Keywords and names are case-insensitive: names are
//!   stored lower-cased, messages quote them as written.
//! - Elements: `M<name> d g s b MODEL W=.. L=.. [M=..] [temp=..|dtemp=..]`, `C<name> a b VALUE`,
//!   `R<name> a b VALUE [temp=..|dtemp=..]`, `V<name> p n [DC] VALUE`, `I<name> p n [DC] VALUE`
//!   (positive current flows from `p` through the source to `n`), either with a transient
//!   waveform `PULSE(...)`, `PWL(...)` or `SIN(...)` instead of or after the value
//!   ([`super::waveform`], ngspice's argument order), and subcircuit instances
//!   `X<name> nodes... SUBCKT [params:] k=v ...`. Node `0` or `gnd` is ground, stored as `"0"`
//!   ([`GROUND`]).
//! - Values: SPICE numbers (`10k`, `1.2fF`, `200mV`, read by [`crate::units::parse_value`]
//!   with the element's quantity), a parameter name, or an expression `{vdd/2 + 10m}` (also
//!   `'vdd/2'`) with `+ - * /`, unary minus and parentheses. In `.param` an expression needs no
//!   braces if it has no spaces, and numbers may carry any unit symbol.
//! - Directives: `.param`, `.include`, `.lib`, `.subckt`/`.ends`, `.model`, `.global`,
//!   `.temp`, `.op`, `.tran`, `.ic`, `.options`, `.title`, `.end`, and the readout
//!   `.output bit|cat|analog NAME V(node)...`.
//! - Subcircuits are flattened while parsing (see `flatten`): an instance `x3` of a
//!   subcircuit names its internal nodes and elements `x3.a`, `x3.mn1` (nested: `x3.x1.a`);
//!   `.output`, `.ic` and `--set x3.vb=10m` use these hierarchical names, and `x3.PORT` is the
//!   node the port connects to.
//!
//! Choices a SPICE user might not expect, all reported as errors rather than guessed:
//! MOSFET `W` and `L` are required (SPICE's silent 100 um default hides mistakes in a
//! subthreshold circuit whose currents scale with W/L); `V` and `I` need a value (no silent
//! 0); instance parameters other than `W`, `L`, `M`, `temp`, `dtemp` are refused; node and
//! element names may not contain `.` (it separates hierarchical names); `.temp` and `.tran` may
//! appear once; a parameter may be defined once (a `--set` replaces it, the last one winning).
//! `.end` stops reading the file it is in. Numbers inside an element's expression may carry
//! that element's unit symbol only; in `.param` any unit symbol is accepted and not checked.
//!
//! Defaults: `M` is 1 and may be any positive number; a bit readout's hysteresis is 0 V (a
//! plain sign: the parser knows no supply voltage to take a fraction of); `.tran` TSTART is 0.
//! A `.toml` model card included twice is recorded once.
//!
//! The parser checks what it can see in the text (names, values, duplicates, that `.ic` and
//! `.output` nodes are connected to some element); checks that need devices (unknown model,
//! a node with no capacitance) belong to elaboration, which can list nodes with
//! [`Netlist::nodes`].

mod directives;
mod elements;
mod error;
mod expr;
mod flatten;
mod instance;
mod lexer;
mod library;
mod model_card;
mod params;
mod reader;
mod sources;
mod statement;
mod subckt;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use error::{ErrorKind, InstanceTrace, Location, NetlistError, describe_trace};
pub use model_card::{ModelParameter, PARAMETERS as MODEL_PARAMETERS};
pub use params::split_override;

use reader::Reader;

use super::waveform::Waveform;

/// The name under which the ground node is stored (`0` and `gnd` in the text).
pub const GROUND: &str = "0";

/// A parsed netlist: what the file says, with parameters resolved and values in SI units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Netlist {
    /// The title line of the top-level file (or of its `.title` directive).
    pub title: String,
    /// The top-level file, as given.
    pub source: PathBuf,
    /// Elements in the order they appear (includes expanded in place).
    pub elements: Vec<Element>,
    /// Every `.param`, after `--set` overrides, evaluated (lower-cased names).
    pub params: BTreeMap<String, f64>,
    /// Model card files named by `.include "*.toml"`, each once, in order.
    pub model_cards: Vec<ModelCard>,
    /// `.model` cards written in the netlist, in order.
    pub models: Vec<InlineModel>,
    /// Every subcircuit instance, outer before inner, in the order they expand.
    pub instances: Vec<Instance>,
    /// `.temp`, in kelvin.
    pub temperature_k: Option<f64>,
    /// `.tran`: suggested time step and stop time.
    pub tran: Option<Tran>,
    /// `.op`: `pbitsim simulate` reports the DC operating point before the transient.
    pub op: bool,
    /// `.ic` starting voltages.
    pub initial_conditions: Vec<InitialCondition>,
    /// `.output` readouts.
    pub outputs: Vec<OutputDecl>,
    /// `.options` as written (lower-cased keys; empty value for a flag). Not used by pbitsim.
    pub options: Vec<(String, String)>,
}

/// A device model card to load: a `.toml` file named by `.include`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelCard {
    /// The file, relative to the including file's directory as reached.
    pub path: PathBuf,
    /// The `.include` line.
    pub location: Location,
}

/// A `.model` card written in the netlist, validated into a device card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InlineModel {
    /// The card, as a TOML card with the same values would give it.
    pub card: crate::device::ModelCard,
    /// The `.model` line.
    pub location: Location,
}

/// One subcircuit instance, as flattened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    /// Hierarchical name: `x3`, or `x3.x1` for `X1` inside instance `x3` (lower-cased).
    pub path: String,
    /// The subcircuit it instantiates (lower-cased).
    pub subckt: String,
    /// Its `X` line.
    pub location: Location,
    /// The `.subckt` line of its definition.
    pub definition: Location,
    /// The instance it sits in, as an index into [`Netlist::instances`].
    pub parent: Option<usize>,
    /// The subcircuit's declared parameters with this instance's values.
    pub params: BTreeMap<String, f64>,
}

/// `temp=` or `dtemp=` on a resistor or transistor (ngspice meaning).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", content = "kelvin", rename_all = "snake_case")]
pub enum InstanceTemperature {
    /// `temp=`: this instance's own temperature (K; written in degrees Celsius).
    Absolute(f64),
    /// `dtemp=`: kelvin above the circuit temperature.
    Offset(f64),
}

impl InstanceTemperature {
    /// The instance's temperature (K) in a circuit at `circuit_k`.
    pub fn at(self, circuit_k: f64) -> f64 {
        match self {
            InstanceTemperature::Absolute(kelvin) => kelvin,
            InstanceTemperature::Offset(delta) => circuit_k + delta,
        }
    }
}

/// `.tran TSTEP TSTOP [TSTART [TMAX]]`, in seconds: suggested defaults for `--dt` and
/// `--tstop`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tran {
    /// TSTEP, the suggested output or integration step.
    pub step: f64,
    /// TSTOP, the end time.
    pub stop: f64,
    /// TSTART, the time before which nothing is recorded (0 if not given).
    pub start: f64,
    /// TMAX, the largest internal step, if given.
    pub max_step: Option<f64>,
    /// `UIC`: start from the `.ic` values, not from the operating point.
    pub uic: bool,
    /// The `.tran` line.
    pub location: Location,
}

/// One `.ic V(node)=VALUE`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InitialCondition {
    /// The node (lower-cased, never ground).
    pub node: String,
    /// The starting voltage.
    pub volts: f64,
    /// Where it is set.
    pub location: Location,
    /// The subcircuit instance it is written in (index into [`Netlist::instances`]).
    pub instance: Option<usize>,
}

/// One element line (of the top level, or of a subcircuit instance).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Element {
    /// The name, lower-cased, letter included (`m1`), with its instance path inside a
    /// subcircuit (`x3.mn1`).
    pub name: String,
    /// What it is and how it is connected (hierarchical node names inside subcircuits).
    pub kind: ElementKind,
    /// The line it starts on (in the subcircuit's definition, for an instance's element).
    pub location: Location,
    /// The subcircuit instance it belongs to (index into [`Netlist::instances`]).
    pub instance: Option<usize>,
}

/// Optional keys of a transistor line beyond W, L and M. Capacitances (F, overlap and
/// junction included) replace what the model card and the operating point give:
/// `cgs=` gate-source, `cgd=` gate-drain, `cgb=` gate-bulk, `cdb=` drain-bulk, `csb=`
/// source-bulk. `dvt=` (V, NMOS frame: positive weakens either polarity) and `dbeta=`
/// (relative) are deliberate threshold and current-factor offsets, added to any Monte Carlo
/// mismatch draw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MosfetExtras {
    pub cgs: Option<f64>,
    pub cgd: Option<f64>,
    pub cgb: Option<f64>,
    pub cdb: Option<f64>,
    pub csb: Option<f64>,
    pub dvt: f64,
    pub dbeta: f64,
}

/// The elements pbitsim simulates. Node names are lower-cased, ground is [`GROUND`]; values
/// are in SI units.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ElementKind {
    /// `M<name> drain gate source bulk MODEL W= L= [M=]`.
    Mosfet {
        /// Drain node.
        drain: String,
        /// Gate node.
        gate: String,
        /// Source node.
        source: String,
        /// Bulk (body) node.
        bulk: String,
        /// Model name (lower-cased), matched case-insensitively against model card names.
        model: String,
        /// Channel width in metres (required, positive).
        w: f64,
        /// Channel length in metres (required, positive).
        l: f64,
        /// Multiplier: devices in parallel (default 1, positive).
        m: f64,
        /// Optional values beyond W, L and M (capacitances, deliberate offsets).
        extras: MosfetExtras,
        /// `temp=` or `dtemp=`, if given.
        temperature: Option<InstanceTemperature>,
    },
    /// `C<name> a b VALUE`, a positive capacitance.
    Capacitor {
        /// First node.
        a: String,
        /// Second node.
        b: String,
        /// Capacitance in farads.
        farads: f64,
    },
    /// `R<name> a b VALUE`, a positive resistance.
    Resistor {
        /// First node.
        a: String,
        /// Second node.
        b: String,
        /// Resistance in ohms.
        ohms: f64,
        /// `temp=` or `dtemp=`, if given: the temperature of its Johnson noise.
        temperature: Option<InstanceTemperature>,
    },
    /// `V<name> plus minus [DC] VALUE [waveform]`: V(plus) - V(minus) = volts, or the
    /// waveform in a transient.
    VoltageSource {
        /// Positive node.
        plus: String,
        /// Negative node.
        minus: String,
        /// The DC voltage (the operating-point value): `DC x`, else the waveform at t = 0.
        volts: f64,
        /// `PULSE(...)`, `PWL(...)` or `SIN(...)`, if given: the value during a transient.
        waveform: Option<Waveform>,
    },
    /// `I<name> plus minus [DC] VALUE`: `amps` flow from plus through the source to minus
    /// (so a positive value pulls current out of `plus` and pushes it into `minus`).
    CurrentSource {
        /// Node the current leaves.
        plus: String,
        /// Node the current enters.
        minus: String,
        /// The DC current: `DC x`, else the waveform at t = 0.
        amps: f64,
        /// `PULSE(...)`, `PWL(...)` or `SIN(...)`, if given: the value during a transient.
        waveform: Option<Waveform>,
    },
}

impl ElementKind {
    /// The nodes this element connects, in the order written.
    pub fn terminals(&self) -> Vec<&str> {
        match self {
            ElementKind::Mosfet { drain, gate, source, bulk, .. } => vec![drain, gate, source, bulk],
            ElementKind::Capacitor { a, b, .. } | ElementKind::Resistor { a, b, .. } => {
                vec![a, b]
            }
            ElementKind::VoltageSource { plus, minus, .. }
            | ElementKind::CurrentSource { plus, minus, .. } => vec![plus, minus],
        }
    }

    /// Rename every node with `rename`.
    fn map_nodes(&mut self, rename: impl Fn(&str) -> String) {
        let nodes: Vec<&mut String> = match self {
            ElementKind::Mosfet { drain, gate, source, bulk, .. } => vec![drain, gate, source, bulk],
            ElementKind::Capacitor { a, b, .. } | ElementKind::Resistor { a, b, .. } => vec![a, b],
            ElementKind::VoltageSource { plus, minus, .. }
            | ElementKind::CurrentSource { plus, minus, .. } => vec![plus, minus],
        };
        for node in nodes {
            *node = rename(node);
        }
    }
}

/// One `.output` readout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputDecl {
    /// The readout name, lower-cased.
    pub name: String,
    /// What it reads.
    pub kind: OutputKind,
    /// The `.output` line.
    pub location: Location,
}

/// What a readout reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputKind {
    /// `.output bit NAME V(plus) V(minus) [hyst=VALUE]` (or `V(plus,minus)`): the sign of
    /// V(plus) - V(minus), which must cross `hysteresis` volts past zero to flip.
    Bit {
        /// Positive node.
        plus: String,
        /// Negative node.
        minus: String,
        /// Hysteresis in volts (default 0).
        hysteresis: f64,
    },
    /// `.output cat NAME V(a) V(b) ...`: the index of the highest node (at least two).
    Category {
        /// The nodes, in the order written.
        nodes: Vec<String>,
        /// The state moves to another node only when it exceeds the current one by this
        /// much (V, default 0).
        hysteresis: f64,
    },
    /// `.output analog NAME V(plus) [V(minus)]` (or `V(plus,minus)`): a voltage.
    Analog {
        /// Positive node.
        plus: String,
        /// Reference node, if not ground.
        minus: Option<String>,
    },
}

impl OutputKind {
    /// Rewrite each node name in place.
    fn rename_nodes(&mut self, mut rename: impl FnMut(&mut String)) {
        match self {
            OutputKind::Bit { plus, minus, .. } => {
                rename(plus);
                rename(minus);
            }
            OutputKind::Category { nodes, .. } => nodes.iter_mut().for_each(rename),
            OutputKind::Analog { plus, minus } => {
                rename(plus);
                minus.iter_mut().for_each(rename);
            }
        }
    }

    /// The nodes this readout reads.
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            OutputKind::Bit { plus, minus, .. } => vec![plus, minus],
            OutputKind::Category { nodes, .. } => nodes.iter().map(String::as_str).collect(),
            OutputKind::Analog { plus, minus } => {
                std::iter::once(plus.as_str()).chain(minus.as_deref()).collect()
            }
        }
    }
}

impl Netlist {
    /// Read and parse a top-level netlist file. `overrides` are `--set NAME=VALUE` pairs (see
    /// [`split_override`]); each must name a global `.param`, whose definition it replaces, or
    /// a subcircuit instance's parameter by its hierarchical name (`x3.vb`), whose value on
    /// the instance line (or default) it replaces.
    ///
    /// # Errors
    /// A [`NetlistError`] naming the file, line and token, for an unreadable file or any
    /// problem in it or in the files it includes.
    pub fn parse_file(
        path: impl AsRef<Path>,
        overrides: &[(String, String)],
    ) -> Result<Netlist, NetlistError> {
        let path = path.as_ref();
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
            return Err(NetlistError::nowhere(ErrorKind::TomlNotNetlist {
                path: path.display().to_string(),
            }));
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            NetlistError::nowhere(ErrorKind::Io {
                what: "netlist",
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        })?;
        Netlist::parse_str(&text, path, overrides)
    }

    /// Parse netlist text as if it were the top-level file `virtual_path` (which names it in
    /// messages and anchors relative `.include` paths; it need not exist).
    ///
    /// # Errors
    /// As [`Netlist::parse_file`].
    pub fn parse_str(
        text: &str,
        virtual_path: impl AsRef<Path>,
        overrides: &[(String, String)],
    ) -> Result<Netlist, NetlistError> {
        let path = virtual_path.as_ref();
        let mut reader = Reader::default();
        reader.read_top(path, text)?;
        let (local, global): (Vec<_>, Vec<_>) =
            overrides.iter().cloned().partition(|(name, _)| name.contains('.'));
        params::apply_overrides(&mut reader.params, &global, path)?;
        let params = params::resolve(&reader.params, &BTreeMap::new())?;
        let mut netlist = Netlist {
            title: std::mem::take(&mut reader.title),
            source: path.to_path_buf(),
            elements: Vec::new(),
            params: BTreeMap::new(),
            model_cards: std::mem::take(&mut reader.model_cards),
            models: Vec::new(),
            instances: Vec::new(),
            temperature_k: None,
            tran: None,
            initial_conditions: Vec::new(),
            outputs: Vec::new(),
            options: Vec::new(),
            op: false,
        };
        flatten::flatten(&reader, &mut netlist, &params, &local)?;
        netlist.params = params;
        Ok(netlist)
    }

    /// Every node an element connects, sorted, without ground.
    pub fn nodes(&self) -> Vec<&str> {
        let nodes: BTreeSet<&str> =
            self.elements.iter().flat_map(|e| e.kind.terminals()).filter(|n| *n != GROUND).collect();
        nodes.into_iter().collect()
    }

    /// The element called `name` (case-insensitive).
    pub fn element(&self, name: &str) -> Option<&Element> {
        let name = name.to_lowercase();
        self.elements.iter().find(|e| e.name == name)
    }

    /// A parameter's value: a global `.param` (`vdd`), or an instance's parameter by its
    /// hierarchical name (`x3.vb`).
    pub fn param(&self, name: &str) -> Option<f64> {
        let name = name.to_lowercase();
        match name.rsplit_once('.') {
            Some((path, key)) => self.instances.iter().find(|i| i.path == path)?.params.get(key).copied(),
            None => self.params.get(&name).copied(),
        }
    }

    /// The instances `instance` sits in, innermost first, as traces for messages.
    pub fn trace(&self, instance: Option<usize>) -> Vec<InstanceTrace> {
        let mut trace = Vec::new();
        let mut next = instance;
        while let Some(i) = next {
            let instance = &self.instances[i];
            trace.push(InstanceTrace { path: instance.path.clone(), location: instance.location.clone() });
            next = instance.parent;
        }
        trace
    }

    /// `file:line`, followed inside a subcircuit by the instance lines that lead there:
    /// `cell.cir:7 (in x3.x1 at cell.cir:9, x3 at top.cir:12)`.
    pub fn origin(&self, location: &Location, instance: Option<usize>) -> String {
        format!("{location}{}", describe_trace(&self.trace(instance)))
    }
}

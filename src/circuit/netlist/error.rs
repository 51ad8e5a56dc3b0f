//! Netlist errors: every message names the file and line (when there is one), the offending
//! token, and what was expected.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;
use thiserror::Error;

use crate::units::format_si;

/// A place in a netlist file: the file as it was reached (the top-level path as given, an
/// included file joined to the directory of the file that includes it) and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The file, as reached from the top-level path.
    pub file: PathBuf,
    /// The 1-based physical line.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One subcircuit instance an error (or an element) sits in: its hierarchical path and the
/// `X` line that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstanceTrace {
    /// The instance's hierarchical name, such as `x3.x1`.
    pub path: String,
    /// Its `X` line.
    pub location: Location,
}

/// ` (in x3.x1 at cell.cir:9, x3 at top.cir:12)`, innermost first; empty at the top level.
pub fn describe_trace(trace: &[InstanceTrace]) -> String {
    if trace.is_empty() {
        return String::new();
    }
    let steps: Vec<String> = trace.iter().map(|t| format!("{} at {}", t.path, t.location)).collect();
    format!(" (in {})", steps.join(", "))
}

/// A netlist that could not be read: where (if the problem is in a file) and what.
///
/// Displays as `file:line: message`, or just the message for problems with no line (a file
/// that cannot be opened, a `--set` from the command line). A problem inside a subcircuit
/// names the line in its definition and then the instance lines that lead to it:
/// `cell.cir:7 (in x3.x1 at cell.cir:9, x3 at top.cir:12): message`.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{}{kind}", prefix(.location, .within))]
pub struct NetlistError {
    /// The file and line of the offending token, if it came from a file.
    pub location: Option<Location>,
    /// What is wrong (boxed to keep `Result`s small).
    pub kind: Box<ErrorKind>,
    /// The subcircuit instances the location sits in, innermost first (empty at top level).
    pub within: Vec<InstanceTrace>,
}

fn prefix(location: &Option<Location>, within: &[InstanceTrace]) -> String {
    location.as_ref().map(|l| format!("{l}{}: ", describe_trace(within))).unwrap_or_default()
}

impl NetlistError {
    /// An error at a location.
    pub(super) fn at(location: Location, kind: ErrorKind) -> Self {
        NetlistError { location: Some(location), kind: Box::new(kind), within: Vec::new() }
    }

    /// An error at a location, if there is one.
    pub(super) fn maybe_at(location: Option<Location>, kind: ErrorKind) -> Self {
        NetlistError { location, kind: Box::new(kind), within: Vec::new() }
    }

    /// An error with no file and line (command line, unreadable top-level file).
    pub(super) fn nowhere(kind: ErrorKind) -> Self {
        NetlistError { location: None, kind: Box::new(kind), within: Vec::new() }
    }

    /// The same error, seen from outside the instance `path` made by the `X` line at
    /// `location`.
    pub(super) fn inside(mut self, path: &str, location: &Location) -> Self {
        self.within.push(InstanceTrace { path: path.to_string(), location: location.clone() });
        self
    }
}

/// What is wrong with a netlist. Each message quotes the token as the user wrote it.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read.
    #[error("cannot read {what} '{path}': {reason}")]
    Io {
        /// "netlist", "included file" or "model card".
        what: &'static str,
        /// The path as reached.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A TOML file (a chip description or a model card) given where a netlist belongs.
    #[error(
        "'{path}' is a TOML file, not a netlist: a chip description runs behaviourally with `pbitsim chip {path}`, \
         or as transistors by `pbitsim netlist {path} --out NET.cir` and then this command on NET.cir; a model \
         card is read by a netlist's .include"
    )]
    TomlNotNetlist {
        /// The path as given.
        path: String,
    },
    /// A file includes itself, directly or through others.
    #[error("include loop: {}", .chain.join(" includes "))]
    IncludeLoop {
        /// The files from the first one on the loop back to it.
        chain: Vec<String>,
    },
    /// An `.include` of a file that is neither a netlist nor a model card.
    #[error("cannot include '{token}': {reason}")]
    BadInclude {
        /// The path as written.
        token: String,
        /// Why.
        reason: String,
    },
    /// A `+` line with nothing before it to continue.
    #[error(
        "continuation line '{token}' has nothing to continue: a '+' line must follow an element or directive line"
    )]
    OrphanContinuation {
        /// The start of the line.
        token: String,
    },
    /// A `{`, `(` or quote that is never closed on its logical line.
    #[error("unclosed '{open}' in '{token}': expected a matching '{close}' on the same line")]
    Unclosed {
        /// The opening character.
        open: char,
        /// The expected closing character.
        close: char,
        /// The text from the opening character on.
        token: String,
    },
    /// A `}` or `)` that closes nothing.
    #[error("unexpected '{token}': it closes nothing")]
    UnexpectedClose {
        /// The character.
        token: char,
    },
    /// An element whose letter pbitsim does not simulate.
    #[error("unknown element '{name}': pbitsim supports M, C, R, V, I and X (subcircuit) elements{hint}")]
    UnknownElement {
        /// The element name as written.
        name: String,
        /// Extra advice for the letter, starting with "; " or empty.
        hint: String,
    },
    /// A directive pbitsim does not know.
    #[error("unknown directive '{name}': {hint}")]
    UnknownDirective {
        /// The directive as written.
        name: String,
        /// What to do instead.
        hint: String,
    },
    /// An element or directive with too few fields.
    #[error("'{name}' is missing {missing}: expected {usage}")]
    MissingField {
        /// The element or directive as written.
        name: String,
        /// What is missing ("its value", "the bulk node").
        missing: String,
        /// The expected form.
        usage: String,
    },
    /// A field that does not belong where it is.
    #[error("unexpected '{token}' in '{name}': expected {usage}")]
    UnexpectedToken {
        /// The offending token.
        token: String,
        /// The element or directive as written.
        name: String,
        /// The expected form.
        usage: String,
    },
    /// A number that cannot be read.
    #[error("cannot read '{token}' as {what} ({context}): {reason}; expected {expected}")]
    BadValue {
        /// The number as written.
        token: String,
        /// "a capacitance", "a voltage", ...
        what: String,
        /// Where the value is used ("value of C1").
        context: String,
        /// What is wrong with it.
        reason: String,
        /// An example of what is accepted.
        expected: String,
    },
    /// An expression that does not parse.
    #[error("bad expression '{expr}' ({context}): {problem}")]
    BadExpression {
        /// The whole expression as written.
        expr: String,
        /// Where it is used.
        context: String,
        /// What is wrong, quoting the token.
        problem: String,
    },
    /// A parameter name that no `.param` defines.
    #[error("unknown parameter '{name}' in '{expr}' ({context}); {defined}")]
    UnknownParam {
        /// The name as written.
        name: String,
        /// The value or expression it appears in.
        expr: String,
        /// Where it is used.
        context: String,
        /// The defined parameters, in words.
        defined: String,
    },
    /// A division whose divisor evaluates to zero.
    #[error("division by zero in '{expr}' ({context}): '{divisor}' is 0")]
    DivisionByZero {
        /// The whole expression.
        expr: String,
        /// Where it is used.
        context: String,
        /// The divisor as written.
        divisor: String,
    },
    /// An expression whose value overflows.
    #[error("'{expr}' ({context}) evaluates to {value}, which is not a finite number")]
    NotFinite {
        /// The expression.
        expr: String,
        /// Where it is used.
        context: String,
        /// The value.
        value: f64,
    },
    /// Parameters that depend on each other in a circle.
    #[error("parameter cycle: {}", .chain.join(" -> "))]
    ParamCycle {
        /// The parameters around the cycle, the first repeated at the end.
        chain: Vec<String>,
    },
    /// Two elements with the same (case-insensitive) name.
    #[error("duplicate element name '{name}': already defined at {first}")]
    DuplicateElement {
        /// The second name as written.
        name: String,
        /// Where the first one is.
        first: Location,
    },
    /// Two `.param` definitions of the same (case-insensitive) name.
    #[error("duplicate parameter '{name}': already defined at {first}")]
    DuplicateParam {
        /// The second name as written.
        name: String,
        /// Where the first one is.
        first: Location,
    },
    /// A capacitance, resistance, size or multiplier that is zero or negative.
    #[error(
        "{what} of '{name}' is '{token}' = {}: it must be greater than zero",
        format_si(*.value, .unit)
    )]
    NotPositive {
        /// "capacitance", "resistance", "W", ...
        what: &'static str,
        /// The SI unit symbol of the value ("F", "Ohm", "m", or "" for a count).
        unit: &'static str,
        /// The element as written.
        name: String,
        /// The value as written.
        token: String,
        /// Its value in SI units.
        value: f64,
    },
    /// A SPICE feature pbitsim does not simulate.
    #[error("'{token}' in '{name}' is not supported: {reason}")]
    Unsupported {
        /// The feature as written.
        token: String,
        /// The element or directive.
        name: String,
        /// Why, and what to write instead.
        reason: String,
    },
    /// A `key=value` that the element or directive does not take.
    #[error("unknown parameter '{key}' on '{name}': expected {expected}")]
    UnknownInstanceParam {
        /// The key as written.
        key: String,
        /// The element or directive.
        name: String,
        /// The accepted keys.
        expected: String,
    },
    /// The same `key=value` given twice.
    #[error("'{key}' is given twice on '{name}'")]
    DuplicateInstanceParam {
        /// The key as written.
        key: String,
        /// The element or directive.
        name: String,
    },
    /// A MOSFET without W or L.
    #[error("MOSFET '{name}' needs {key}=VALUE (channel {what}): pbitsim has no default device size")]
    MissingInstanceParam {
        /// The element as written.
        name: String,
        /// "W" or "L".
        key: &'static str,
        /// "width" or "length".
        what: &'static str,
    },
    /// A token where a node name should be.
    #[error("'{token}' in '{name}' is not a node name: {reason}")]
    BadNode {
        /// The token.
        token: String,
        /// The element or directive.
        name: String,
        /// Why.
        reason: String,
    },
    /// A `--set` without `=`.
    #[error("--set '{text}' is malformed: expected NAME=VALUE, such as --set vdd=0.8")]
    MalformedSet {
        /// The argument as given.
        text: String,
    },
    /// A `--set` of a parameter the netlist does not define.
    #[error("--set {name}: no .param '{name}' in {file}; {defined}")]
    UnknownSetParam {
        /// The name as given.
        name: String,
        /// The top-level netlist.
        file: String,
        /// The defined parameters, in words.
        defined: String,
    },
    /// An `.output` kind other than bit, cat or analog.
    #[error("unknown output kind '{kind}': expected bit, cat or analog (.output KIND NAME V(node)...)")]
    UnknownOutputKind {
        /// The kind as written.
        kind: String,
    },
    /// An `.output` whose nodes do not make a readout.
    #[error(".output {kind} '{name}' {problem}")]
    BadOutput {
        /// bit, cat or analog.
        kind: &'static str,
        /// The output name as written.
        name: String,
        /// What is wrong, quoting the tokens.
        problem: String,
    },
    /// Two `.output` lines with the same name.
    #[error("duplicate output name '{name}': already declared at {first}")]
    DuplicateOutput {
        /// The second name as written.
        name: String,
        /// Where the first one is.
        first: Location,
    },
    /// A token where `V(node)` should be.
    #[error("expected a node voltage such as V(out) in {directive}, found '{token}'")]
    ExpectedNodeVoltage {
        /// The token.
        token: String,
        /// The directive.
        directive: &'static str,
    },
    /// A node named in `.ic` or `.output` that no element connects.
    #[error("{directive} refers to node '{node}', which no element connects; {known}")]
    UnknownNode {
        /// The node as written.
        node: String,
        /// The directive.
        directive: &'static str,
        /// The known nodes, in words.
        known: String,
    },
    /// A directive that may appear once, given twice (or a node set twice by `.ic`).
    #[error("'{token}' is given twice: already given at {first}")]
    Repeated {
        /// The directive or node as written.
        token: String,
        /// Where the first one is.
        first: Location,
    },
    /// A value that reads but does not make sense where it is.
    #[error("'{token}' ({context}) {problem}")]
    Invalid {
        /// The value as written.
        token: String,
        /// Where it is used.
        context: String,
        /// What is wrong and what was expected.
        problem: String,
    },
    /// An `X` line naming a subcircuit that is not defined where the line is.
    #[error("'{name}' instantiates subcircuit '{subckt}', which is not defined; {known}")]
    UnknownSubckt {
        /// The instance as written.
        name: String,
        /// The subcircuit name as written.
        subckt: String,
        /// The subcircuits visible there, in words.
        known: String,
    },
    /// An `X` line with a different number of nodes than its subcircuit has ports.
    #[error(
        "'{name}' connects {found} node(s) but subcircuit '{subckt}' (defined at {definition}) has {expected} port(s): {ports}"
    )]
    PortCount {
        /// The instance as written.
        name: String,
        /// The subcircuit.
        subckt: String,
        /// Its `.subckt` line.
        definition: Location,
        /// How many ports it has.
        expected: usize,
        /// The ports, in order.
        ports: String,
        /// How many nodes the `X` line gives.
        found: usize,
    },
    /// A subcircuit that contains an instance of itself, directly or through others.
    #[error(
        "subcircuit recursion: {}; a subcircuit cannot contain an instance of itself",
        .chain.join(" contains ")
    )]
    SubcktRecursion {
        /// The subcircuits from the first one on the loop back to it.
        chain: Vec<String>,
    },
    /// Two subcircuits of the same name in one scope.
    #[error("duplicate subcircuit '{name}': already defined at {first}")]
    DuplicateSubckt {
        /// The second name as written.
        name: String,
        /// Where the first one is.
        first: Location,
    },
    /// A block (`.subckt`, `.lib SECTION`) whose closing line never comes.
    #[error("'{opener}' is never closed: expected '{closer}' before the end of {file}")]
    UnclosedBlock {
        /// The opening line's directive and name, as written.
        opener: String,
        /// The directive that closes it.
        closer: &'static str,
        /// The file it must close in.
        file: String,
    },
    /// A closing line (`.ends`, `.endl`) with nothing open, or closing the wrong block.
    #[error("'{token}' {problem}")]
    UnmatchedEnd {
        /// The closing directive as written (with its name, if any).
        token: String,
        /// What is wrong and what was expected.
        problem: String,
    },
    /// A directive that only makes sense at the top level, inside a subcircuit.
    #[error("'{name}' cannot appear inside subcircuit '{subckt}': {hint}")]
    DirectiveInSubckt {
        /// The directive as written.
        name: String,
        /// The subcircuit.
        subckt: String,
        /// What to do instead.
        hint: String,
    },
    /// A `.lib FILE SECTION` whose section the file does not define.
    #[error("library '{file}' has no section '{section}'; {known}")]
    SectionNotFound {
        /// The library file as reached.
        file: String,
        /// The section as written.
        section: String,
        /// The sections it defines, in words.
        known: String,
    },
    /// A `--set` of a hierarchical name that names no instance parameter.
    #[error("--set {name}: {reason}")]
    UnknownSetTarget {
        /// The name as given.
        name: String,
        /// Why, with the names that exist.
        reason: String,
    },
    /// Subcircuits that expand to more elements than pbitsim simulates.
    #[error("the netlist expands to more than {limit} elements: check for runaway subcircuit nesting")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// Two `.model` cards (or a `.model` and a TOML card) of the same name.
    #[error("duplicate model '{name}': already defined at {first}")]
    DuplicateModel {
        /// The second name as written.
        name: String,
        /// Where the first one is.
        first: String,
    },
    /// A `.model` parameter value the device card refuses.
    #[error("{key}={token} on .model {name}: {reason}")]
    BadModelParam {
        /// The model as written.
        name: String,
        /// The parameter as written.
        key: String,
        /// The value as written.
        token: String,
        /// Why, and what is accepted.
        reason: String,
    },
}

/// Longest list of names a message spells out.
const LISTED: usize = 24;

/// "defined parameters: a, b" or "no .param is defined", for messages (a long list is cut
/// after a few dozen names, saying how many more there are).
pub(super) fn list_names<'a>(what: &str, names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<&str> = names.map(String::as_str).collect();
    if names.is_empty() {
        return format!("no {what} is defined");
    }
    let shown = names[..names.len().min(LISTED)].join(", ");
    match names.len().checked_sub(LISTED) {
        Some(more) if more > 0 => format!("defined {what}s: {shown} and {more} more"),
        _ => format!("defined {what}s: {shown}"),
    }
}

//! Second pass: the top level's lines with every global parameter known, each subcircuit
//! instance expanded in place into plain elements.
//!
//! Naming (one convention everywhere): an instance `X3` at the top level is `x3`; its
//! internal node `a` is `x3.a` and its element `Mn1` is `x3.mn1`; an instance `X1` inside it
//! is `x3.x1`, whose node `a` is `x3.x1.a`. (ngspice writes devices as `m.x3.mn1`; pbitsim
//! keeps the element letter in front of the local name only.) A port is the node the
//! instance line connects, and `x3.PORT` names that node too. Ground and `.global` nodes are
//! the same node everywhere.
//!
//! Parameter scope, innermost first: a subcircuit's own `.param` lines, then its declared
//! parameters (the value on the instance line, a `--set x3.NAME=VALUE`, or the default), then
//! the scope the definition is written in (an enclosing definition's instance, or the global
//! `.param`s). Instance-line values and `--set` values are evaluated where the instance line
//! is; defaults and local `.param`s inside the new instance, so they may use each other.

use std::collections::{BTreeMap, HashMap};

use super::directives;
use super::elements;
use super::error::{ErrorKind, Location, NetlistError, list_names};
use super::expr::is_identifier;
use super::lexer::TokenKind;
use super::model_card;
use super::reader::{Line, Reader};
use super::statement::Statement;
use super::subckt::Definition;
use super::{GROUND, InlineModel, Netlist};

/// Most elements a netlist may expand to.
const MAX_ELEMENTS: usize = 2_000_000;

/// A `--set PATH.NAME=VALUE` for an instance parameter.
pub(super) struct Override {
    /// The parameter (lower-cased).
    pub param: String,
    /// The value as given.
    pub value: String,
    /// The whole `--set` argument, for messages.
    pub text: String,
    pub used: bool,
}

/// The scope a body is read in.
pub(super) struct Frame<'f> {
    /// The definition whose body this is (None at the top level).
    pub definition: Option<usize>,
    /// Every parameter visible here.
    pub values: BTreeMap<String, f64>,
    /// `x3.` inside instance x3, empty at the top level.
    pub prefix: String,
    /// Port name to the node it connects.
    pub ports: HashMap<String, String>,
    /// The instance (index into the netlist's), None at the top level.
    pub instance: Option<usize>,
    /// The frame whose body holds this instance's line.
    pub parent: Option<&'f Frame<'f>>,
}

pub(super) struct Flattener<'r> {
    pub reader: &'r Reader,
    pub netlist: &'r mut Netlist,
    /// Element and instance names already used, with their lines.
    names: HashMap<String, Location>,
    /// Instance-parameter overrides by instance path.
    pub set: BTreeMap<String, Vec<Override>>,
    /// `x3.PORT` to the node the port connects.
    pub aliases: HashMap<String, String>,
    /// Directives that may appear once, where they first appear.
    once: HashMap<String, Location>,
}

/// Expand the reader's lines into `netlist` (elements, instances, directives, models).
pub(super) fn flatten(
    reader: &Reader,
    netlist: &mut Netlist,
    globals: &BTreeMap<String, f64>,
    overrides: &[(String, String)],
) -> Result<(), NetlistError> {
    let mut flattener = Flattener {
        reader,
        netlist,
        names: HashMap::new(),
        set: BTreeMap::new(),
        aliases: HashMap::new(),
        once: HashMap::new(),
    };
    for (name, value) in overrides {
        let (name, value) = (name.trim(), value.trim());
        let text = format!("{name}={value}");
        let lower = name.to_lowercase();
        let (path, param) = lower.rsplit_once('.').unwrap_or(("", &lower));
        if path.is_empty() || path.split('.').any(str::is_empty) || !is_identifier(param) || value.is_empty()
        {
            return Err(NetlistError::nowhere(ErrorKind::MalformedSet { text }));
        }
        let entry = Override { param: param.to_string(), value: value.to_string(), text, used: false };
        flattener.set.entry(path.to_string()).or_default().push(entry);
    }
    let root = Frame {
        definition: None,
        values: globals.clone(),
        prefix: String::new(),
        ports: HashMap::new(),
        instance: None,
        parent: None,
    };
    flattener.body(&reader.lines, &root)?;
    flattener.unused_overrides()?;
    flattener.resolve_readouts()?;
    flattener.models(globals)
}

impl Flattener<'_> {
    pub(super) fn body(&mut self, lines: &[Line], frame: &Frame) -> Result<(), NetlistError> {
        let reader = self.reader;
        for (file, line) in lines {
            let st = Statement { file: &reader.files[*file], tokens: &line.tokens, params: &frame.values };
            let head = st.head();
            let lower = head.text.to_lowercase();
            if head.kind == TokenKind::Word && lower.starts_with('x') {
                self.instance(&st, frame)?;
            } else if head.kind != TokenKind::Word || !lower.starts_with('.') {
                let mut element = elements::parse_element(&st)?;
                element.name = format!("{}{}", frame.prefix, element.name);
                element.kind.map_nodes(|node| self.node(frame, node));
                element.instance = frame.instance;
                self.claim(&element.name, &st)?;
                self.netlist.elements.push(element);
            } else if let Some(definition) = frame.definition {
                self.local_directive(&st, frame, &reader.definitions[definition])?;
            } else {
                self.top_directive(&st, &line.text)?;
            }
        }
        Ok(())
    }

    /// The flattened name of node `local` in `frame`.
    pub(super) fn node(&self, frame: &Frame, local: &str) -> String {
        if local == GROUND || self.reader.globals.contains(local) {
            return local.to_string();
        }
        match frame.ports.get(local) {
            Some(node) => node.clone(),
            None => format!("{}{local}", frame.prefix),
        }
    }

    /// Take an element or instance name, refusing a second use.
    pub(super) fn claim(&mut self, name: &str, st: &Statement) -> Result<(), NetlistError> {
        let head = st.head();
        if let Some(first) = self.names.get(name) {
            let kind = ErrorKind::DuplicateElement { name: head.text.clone(), first: first.clone() };
            return Err(st.error(head, kind));
        }
        if self.names.len() >= MAX_ELEMENTS {
            return Err(st.error(head, ErrorKind::TooLarge { limit: MAX_ELEMENTS }));
        }
        self.names.insert(name.to_string(), st.location(head));
        Ok(())
    }

    /// A directive inside a subcircuit: `.ic` (on the instance's nodes) or an error.
    fn local_directive(
        &mut self,
        st: &Statement,
        frame: &Frame,
        definition: &Definition,
    ) -> Result<(), NetlistError> {
        let head = st.head();
        let hint = match head.text.to_lowercase().as_str() {
            ".ic" => {
                for mut condition in directives::initial_conditions(st)? {
                    condition.node = self.node(frame, &condition.node);
                    condition.instance = frame.instance;
                    if condition.node == GROUND {
                        let kind = ErrorKind::Invalid {
                            token: head.text.clone(),
                            context: format!(".ic in subcircuit {}", definition.spelled),
                            problem: "sets a port this instance connects to ground, which is always 0 V"
                                .to_string(),
                        };
                        return Err(st.error(head, kind));
                    }
                    self.netlist.initial_conditions.push(condition);
                }
                return Ok(());
            }
            ".output" => {
                "declare readouts at the top level with hierarchical node names, such as .output bit s V(x1.a) V(x1.b)"
            }
            ".temp" => {
                "the circuit has one temperature, set at the top level; give devices their own with temp= or dtemp= on R and M lines"
            }
            ".tran" | ".op" | ".options" | ".option" | ".opt" | ".title" => {
                "it applies to the whole circuit: put it at the top level"
            }
            _ => return Err(directives::unknown(st)),
        };
        let kind = ErrorKind::DirectiveInSubckt {
            name: head.text.clone(),
            subckt: definition.spelled.clone(),
            hint: hint.to_string(),
        };
        Err(st.error(head, kind))
    }

    /// A top-level directive.
    fn top_directive(&mut self, st: &Statement, text: &str) -> Result<(), NetlistError> {
        let head = st.head();
        let directive = head.text.to_lowercase();
        let once =
            |once: &mut HashMap<String, Location>| match once.insert(directive.clone(), st.location(head)) {
                Some(first) => Err(st.error(head, ErrorKind::Repeated { token: head.text.clone(), first })),
                None => Ok(()),
            };
        match directive.as_str() {
            ".title" => {
                let rest = text.get(head.text.len()..).unwrap_or_default().trim();
                if rest.is_empty() {
                    return Err(st.missing("the title text", ".title TEXT"));
                }
                self.netlist.title = rest.to_string();
            }
            ".temp" => {
                once(&mut self.once)?;
                self.netlist.temperature_k = Some(directives::temperature(st)?);
            }
            ".tran" => {
                once(&mut self.once)?;
                self.netlist.tran = Some(directives::tran(st)?);
            }
            ".op" => {
                if let Some(extra) = st.tokens.get(1) {
                    return Err(st.unexpected(extra, ".op, alone on its line"));
                }
                self.netlist.op = true;
            }
            ".ic" => self.netlist.initial_conditions.extend(directives::initial_conditions(st)?),
            ".options" | ".option" | ".opt" => self.netlist.options.extend(directives::options(st)?),
            ".output" => {
                let output = directives::output(st)?;
                if let Some(first) = self.netlist.outputs.iter().find(|o| o.name == output.name) {
                    let kind = ErrorKind::DuplicateOutput {
                        name: st.tokens.get(2).map_or(output.name.clone(), |t| t.text.clone()),
                        first: first.location.clone(),
                    };
                    return Err(st.error(head, kind));
                }
                self.netlist.outputs.push(output);
            }
            _ => return Err(directives::unknown(st)),
        }
        Ok(())
    }

    /// Every `--set` of an instance parameter must have found its instance.
    fn unused_overrides(&self) -> Result<(), NetlistError> {
        let Some((path, o)) =
            self.set.iter().find_map(|(path, list)| list.iter().find(|o| !o.used).map(|o| (path, o)))
        else {
            return Ok(());
        };
        let paths: Vec<String> = self.netlist.instances.iter().map(|i| i.path.clone()).collect();
        let reason = format!(
            "no subcircuit instance '{path}' in {}, and a global .param name has no '.'; {}",
            self.netlist.source.display(),
            list_names("instance", paths.iter())
        );
        Err(NetlistError::nowhere(ErrorKind::UnknownSetTarget { name: o.text.clone(), reason }))
    }

    /// `.ic` and `.output` nodes: ports named hierarchically become the nodes they connect;
    /// each must be a node some element connects, and each node is set by `.ic` once.
    fn resolve_readouts(&mut self) -> Result<(), NetlistError> {
        let aliases = &self.aliases;
        let resolve = |node: &mut String| {
            if let Some(target) = aliases.get(node.as_str()) {
                *node = target.clone();
            }
        };
        for condition in &mut self.netlist.initial_conditions {
            resolve(&mut condition.node);
        }
        for output in &mut self.netlist.outputs {
            output.kind.rename_nodes(resolve);
        }
        let netlist = &*self.netlist;
        let known = netlist.nodes();
        let fail = |node: &str, directive: &'static str, location: &Location, instance| {
            let names: Vec<String> = known.iter().map(|n| n.to_string()).collect();
            let kind = ErrorKind::UnknownNode {
                node: node.to_string(),
                directive,
                known: list_names("node", names.iter()),
            };
            let mut error = NetlistError::at(location.clone(), kind);
            error.within = netlist.trace(instance);
            error
        };
        let mut set: HashMap<&str, &Location> = HashMap::new();
        for condition in &netlist.initial_conditions {
            let (node, location) = (condition.node.as_str(), &condition.location);
            if known.binary_search(&node).is_err() {
                return Err(fail(node, ".ic", location, condition.instance));
            }
            if let Some(first) = set.insert(node, location) {
                let token = format!("v({node})");
                let mut error =
                    NetlistError::at(location.clone(), ErrorKind::Repeated { token, first: first.clone() });
                error.within = netlist.trace(condition.instance);
                return Err(error);
            }
        }
        for output in &netlist.outputs {
            for node in output.kind.nodes() {
                if node != GROUND && known.binary_search(&node).is_err() {
                    return Err(fail(node, ".output", &output.location, None));
                }
            }
        }
        Ok(())
    }

    /// `.model` lines, read with the global parameters; each name once.
    fn models(&mut self, globals: &BTreeMap<String, f64>) -> Result<(), NetlistError> {
        for (file, line) in &self.reader.models {
            let st = Statement { file: &self.reader.files[*file], tokens: &line.tokens, params: globals };
            let card = model_card::model(&st)?;
            if let Some(first) = self.netlist.models.iter().find(|m| m.card.name == card.name) {
                let kind = ErrorKind::DuplicateModel {
                    name: line.tokens[1].text.clone(),
                    first: first.location.to_string(),
                };
                return Err(st.error(&line.tokens[1], kind));
            }
            self.netlist.models.push(InlineModel { card, location: st.location(st.head()) });
        }
        Ok(())
    }
}

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
use super::expr::{Expr, Units, is_identifier};
use super::lexer::TokenKind;
use super::model_card;
use super::params::{self, ParamDef};
use super::reader::{Line, Reader};
use super::statement::Statement;
use super::subckt::{self, Definition};
use super::{GROUND, InlineModel, Instance, Netlist};

/// Most elements a netlist may expand to.
const MAX_ELEMENTS: usize = 2_000_000;

/// A `--set PATH.NAME=VALUE` for an instance parameter.
struct Override {
    /// The parameter (lower-cased).
    param: String,
    /// The value as given.
    value: String,
    /// The whole `--set` argument, for messages.
    text: String,
    used: bool,
}

/// The scope a body is read in.
struct Frame<'f> {
    /// The definition whose body this is (None at the top level).
    definition: Option<usize>,
    /// Every parameter visible here.
    values: BTreeMap<String, f64>,
    /// `x3.` inside instance x3, empty at the top level.
    prefix: String,
    /// Port name to the node it connects.
    ports: HashMap<String, String>,
    /// The instance (index into the netlist's), None at the top level.
    instance: Option<usize>,
    /// The frame whose body holds this instance's line.
    parent: Option<&'f Frame<'f>>,
}

struct Flattener<'r> {
    reader: &'r Reader,
    netlist: &'r mut Netlist,
    /// Element and instance names already used, with their lines.
    names: HashMap<String, Location>,
    /// Instance-parameter overrides by instance path.
    set: BTreeMap<String, Vec<Override>>,
    /// `x3.PORT` to the node the port connects.
    aliases: HashMap<String, String>,
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
    fn body(&mut self, lines: &[Line], frame: &Frame) -> Result<(), NetlistError> {
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
    fn node(&self, frame: &Frame, local: &str) -> String {
        if local == GROUND || self.reader.globals.contains(local) {
            return local.to_string();
        }
        match frame.ports.get(local) {
            Some(node) => node.clone(),
            None => format!("{}{local}", frame.prefix),
        }
    }

    /// Take an element or instance name, refusing a second use.
    fn claim(&mut self, name: &str, st: &Statement) -> Result<(), NetlistError> {
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

    /// The definition `name` as seen from inside `scope` (a definition's children, then its
    /// parent's, ..., then the top level's), and the names visible there.
    fn lookup(&self, mut scope: Option<usize>, name: &str) -> Result<usize, Vec<String>> {
        let definitions = &self.reader.definitions;
        let mut visible = Vec::new();
        while let Some(d) = scope {
            if let Some(&found) = definitions[d].children.get(name) {
                return Ok(found);
            }
            visible.extend(definitions[d].children.values().map(|&c| definitions[c].spelled.clone()));
            scope = definitions[d].parent;
        }
        match self.reader.subckts.get(name) {
            Some(&found) => Ok(found),
            None => {
                visible.extend(self.reader.subckts.values().map(|&c| definitions[c].spelled.clone()));
                Err(visible)
            }
        }
    }

    fn instance(&mut self, st: &Statement, frame: &Frame) -> Result<(), NetlistError> {
        let reader = self.reader;
        let head = st.head();
        let line = subckt::instance_line(st)?;
        let index = self.lookup(frame.definition, &line.subckt.text.to_lowercase()).map_err(|visible| {
            let kind = ErrorKind::UnknownSubckt {
                name: head.text.clone(),
                subckt: line.subckt.text.clone(),
                known: list_names("subcircuit", visible.iter()),
            };
            st.error(line.subckt, kind)
        })?;
        let definition = &reader.definitions[index];
        recursion(reader, frame, index)
            .map_err(|chain| st.error(line.subckt, ErrorKind::SubcktRecursion { chain }))?;
        if line.nodes.len() != definition.ports.len() {
            let kind = ErrorKind::PortCount {
                name: head.text.clone(),
                subckt: definition.spelled.clone(),
                definition: definition.location.clone(),
                expected: definition.ports.len(),
                ports: definition.ports.join(" "),
                found: line.nodes.len(),
            };
            return Err(st.error(head, kind));
        }
        let nodes =
            line.nodes.iter().map(|t| Ok(self.node(frame, &st.node(t)?))).collect::<Result<Vec<_>, _>>()?;
        let path = format!("{}{}", frame.prefix, head.text.to_lowercase());
        self.claim(&path, st)?;
        let location = st.location(head);
        let given = self.given_values(st, &line.pairs, definition, &path)?;
        let mut scope: BTreeMap<String, ParamDef> = definition.locals.clone();
        for (key, default) in &definition.params {
            let definition = match given.get(key) {
                Some(&value) => ParamDef { expr: Expr::Number(value), ..default.clone() },
                None => default.clone(),
            };
            scope.insert(key.clone(), definition);
        }
        let values = params::resolve(&scope, lexical_base(frame, definition.parent))
            .map_err(|e| e.inside(&path, &location))?;
        let instance = self.netlist.instances.len();
        self.netlist.instances.push(Instance {
            path: path.clone(),
            subckt: definition.name.clone(),
            location: location.clone(),
            definition: definition.location.clone(),
            parent: frame.instance,
            params: definition.params.keys().map(|k| (k.clone(), values[k])).collect(),
        });
        let ports: HashMap<String, String> = definition.ports.iter().cloned().zip(nodes).collect();
        for (port, node) in &ports {
            self.aliases.insert(format!("{path}.{port}"), node.clone());
        }
        let inner = Frame {
            definition: Some(index),
            values,
            prefix: format!("{path}."),
            ports,
            instance: Some(instance),
            parent: Some(frame),
        };
        self.body(&definition.lines, &inner).map_err(|e| e.inside(&path, &location))
    }

    /// The parameter values an instance line and `--set` give, evaluated where the line is.
    fn given_values(
        &mut self,
        st: &Statement,
        pairs: &[(&super::lexer::Token, &super::lexer::Token)],
        definition: &Definition,
        path: &str,
    ) -> Result<BTreeMap<String, f64>, NetlistError> {
        let head = st.head();
        let declared = || {
            let names: Vec<&str> = definition.params.keys().map(String::as_str).collect();
            if names.is_empty() { "none".to_string() } else { names.join(", ") }
        };
        let mut given = BTreeMap::new();
        for (key, value) in pairs {
            let lower = key.text.to_lowercase();
            if !definition.params.contains_key(&lower) {
                let hint = if lower == "m" {
                    " (pbitsim has no instance multiplier for subcircuits: declare a parameter and use it on the devices inside)"
                } else {
                    ""
                };
                let kind = ErrorKind::UnknownInstanceParam {
                    key: key.text.clone(),
                    name: head.text.clone(),
                    expected: format!(
                        "a parameter of subcircuit '{}' (defined at {}): {}{hint}",
                        definition.spelled,
                        definition.location,
                        declared()
                    ),
                };
                return Err(st.error(key, kind));
            }
            if given.contains_key(&lower) {
                let kind =
                    ErrorKind::DuplicateInstanceParam { key: key.text.clone(), name: head.text.clone() };
                return Err(st.error(key, kind));
            }
            let number = st.number(value, &format!("parameter {} of {}", key.text, head.text))?;
            given.insert(lower, number);
        }
        for o in self.set.get_mut(path).into_iter().flatten() {
            if !definition.params.contains_key(&o.param) {
                let reason = format!(
                    "instance {path} (at {}) of subcircuit '{}' has no parameter '{}'; its parameters: {}",
                    st.location(head),
                    definition.spelled,
                    o.param,
                    declared()
                );
                return Err(NetlistError::nowhere(ErrorKind::UnknownSetTarget {
                    name: o.text.clone(),
                    reason,
                }));
            }
            let context = format!("--set {}", o.text);
            let inner = o.value.strip_prefix('{').and_then(|v| v.strip_suffix('}')).unwrap_or(&o.value);
            let value =
                Expr::parse(inner, Units::Any).and_then(|e| e.eval(st.params)).map_err(|problem| {
                    NetlistError::nowhere(problem.into_kind(&o.value, &context, Units::Any, st.params.keys()))
                })?;
            given.insert(o.param.clone(), value);
            o.used = true;
        }
        Ok(given)
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
            ".tran" | ".options" | ".option" | ".opt" | ".title" => {
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

/// The values visible where definition `parent`'s body is (the global ones for None): the
/// nearest enclosing frame of that definition.
fn lexical_base<'f>(frame: &'f Frame<'f>, parent: Option<usize>) -> &'f BTreeMap<String, f64> {
    let mut current = frame;
    loop {
        if current.definition == parent {
            return &current.values;
        }
        match current.parent {
            Some(next) => current = next,
            None => return &current.values,
        }
    }
}

/// Refuse to expand `index` inside itself: the chain of subcircuits from its first instance.
fn recursion(reader: &Reader, frame: &Frame, index: usize) -> Result<(), Vec<String>> {
    let mut open = Vec::new();
    let mut current = Some(frame);
    while let Some(f) = current {
        if let Some(d) = f.definition {
            open.push((d, f.prefix.trim_end_matches('.').to_string()));
        }
        current = f.parent;
    }
    open.reverse();
    let Some(start) = open.iter().position(|(d, _)| *d == index) else {
        return Ok(());
    };
    let name = |d: usize| reader.definitions[d].spelled.clone();
    let mut chain: Vec<String> =
        open[start..].iter().map(|(d, path)| format!("{} ({path})", name(*d))).collect();
    chain.push(name(index));
    Err(chain)
}

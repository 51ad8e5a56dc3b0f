//! Expanding one `X` line: find its subcircuit where the line is (nested definitions are
//! visible only inside their parent), refuse recursion, check the ports, evaluate the
//! instance's parameters (instance line, `--set`, defaults, local `.param`s, in that scope
//! order) and read the definition's body with them.

use std::collections::{BTreeMap, HashMap};

use super::Instance;
use super::error::{ErrorKind, NetlistError, list_names};
use super::expr::{Expr, Units};
use super::flatten::{Flattener, Frame};
use super::lexer::Token;
use super::params::{self, ParamDef};
use super::reader::Reader;
use super::statement::Statement;
use super::subckt::{self, Definition};

impl Flattener<'_> {
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

    pub(super) fn instance(&mut self, st: &Statement, frame: &Frame) -> Result<(), NetlistError> {
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
        pairs: &[(&Token, &Token)],
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

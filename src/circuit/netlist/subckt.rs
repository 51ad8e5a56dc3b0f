//! Subcircuit definitions as read (`.subckt NAME ports... [params:] k=v ... .ends [NAME]`)
//! and instance lines (`Xname nodes... NAME [params:] k=v ...`), ngspice syntax.
//!
//! A definition's body is kept as logical lines; the flattening pass reads it once per
//! instance, with that instance's parameter values.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::GROUND;
use super::error::{ErrorKind, Location, NetlistError};
use super::lexer::{LogicalLine, Token, TokenKind};
use super::params::{ParamDef, definitions};
use super::reader::Line;
use super::statement::Statement;

pub(super) const SUBCKT_USAGE: &str = ".subckt NAME PORT [PORT ...] [params: NAME=VALUE ...]";
pub(super) const INSTANCE_USAGE: &str = "X<name> NODE [NODE ...] SUBCKT [params: NAME=VALUE ...]";

/// A `.subckt` ... `.ends` block.
#[derive(Debug, Clone)]
pub(super) struct Definition {
    /// Lower-cased name.
    pub name: String,
    /// The name as written.
    pub spelled: String,
    /// The `.subckt` line.
    pub location: Location,
    /// Port names (lower-cased), in order.
    pub ports: Vec<String>,
    /// Declared parameters with their default values (an instance may set them).
    pub params: BTreeMap<String, ParamDef>,
    /// `.param` lines inside the body: local values an instance cannot set.
    pub locals: BTreeMap<String, ParamDef>,
    /// The body, other than what the first pass consumes.
    pub lines: Vec<Line>,
    /// The definition this one is written inside, if any.
    pub parent: Option<usize>,
    /// Definitions written inside this one, by lower-cased name (visible only here).
    pub children: BTreeMap<String, usize>,
}

/// Whether `token` is ngspice's `params:` keyword.
fn is_params_keyword(token: &Token) -> bool {
    token.kind == TokenKind::Word && token.text.eq_ignore_ascii_case("params:")
}

/// Read a `.subckt` line into an empty definition.
pub(super) fn header(
    file: &Path,
    line: &LogicalLine,
    parent: Option<usize>,
) -> Result<Definition, NetlistError> {
    let params = BTreeMap::new();
    let st = Statement { file, tokens: &line.tokens, params: &params };
    let Some(name) = line.tokens.get(1) else {
        return Err(st.missing("the subcircuit name", SUBCKT_USAGE));
    };
    if name.kind != TokenKind::Word || name.text.contains(['(', ')', '.']) || name.text.ends_with(':') {
        return Err(st.unexpected(name, SUBCKT_USAGE));
    }
    let rest = &line.tokens[2..];
    let first_param = rest
        .iter()
        .position(|t| is_params_keyword(t) || t.is_equals())
        .map(|i| if rest[i].is_equals() { i.saturating_sub(1) } else { i })
        .unwrap_or(rest.len());
    let mut ports: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for token in &rest[..first_param] {
        let node = st.node(token)?;
        let problem = if node == GROUND {
            Some("is ground, which is global: a port must be a node the instance connects")
        } else if !seen.insert(node.clone()) {
            Some("is a port already: each port is named once")
        } else {
            None
        };
        if let Some(problem) = problem {
            let kind = ErrorKind::Invalid {
                token: token.text.clone(),
                context: format!("port of subcircuit {}", name.text),
                problem: problem.to_string(),
            };
            return Err(st.error(token, kind));
        }
        ports.push(node);
    }
    let mut pairs = &rest[first_param..];
    if pairs.first().is_some_and(is_params_keyword) {
        pairs = &pairs[1..];
        if pairs.is_empty() {
            return Err(st.missing("a NAME=VALUE after 'params:'", SUBCKT_USAGE));
        }
    }
    let mut declared = BTreeMap::new();
    for (key, definition) in definitions(file, &line.tokens[0].text, pairs, SUBCKT_USAGE, "parameter")? {
        if let Some(first) = declared.get(&key).and_then(|p: &ParamDef| p.location.clone()) {
            let kind = ErrorKind::DuplicateParam { name: definition.spelled.clone(), first };
            return Err(NetlistError::maybe_at(definition.location, kind));
        }
        declared.insert(key, definition);
    }
    Ok(Definition {
        name: name.text.to_lowercase(),
        spelled: name.text.clone(),
        location: st.location(&line.tokens[0]),
        ports,
        params: declared,
        locals: BTreeMap::new(),
        lines: Vec::new(),
        parent,
        children: BTreeMap::new(),
    })
}

/// A `.param` inside a definition may not redefine one of its declared parameters.
pub(super) fn check_local_param(
    definition: &Definition,
    key: &str,
    local: &ParamDef,
) -> Result<(), NetlistError> {
    let Some(declared) = definition.params.get(key) else {
        return Ok(());
    };
    let first = declared.location.clone().unwrap_or_else(|| definition.location.clone());
    Err(NetlistError::maybe_at(
        local.location.clone(),
        ErrorKind::DuplicateParam { name: local.spelled.clone(), first },
    ))
}

/// The fields of an `X` line.
pub(super) struct InstanceLine<'a> {
    /// The nodes it connects, in port order.
    pub nodes: &'a [Token],
    /// The subcircuit name.
    pub subckt: &'a Token,
    /// `NAME=VALUE` parameter values.
    pub pairs: Vec<(&'a Token, &'a Token)>,
}

/// Split an `X` line into nodes, subcircuit name and parameter values.
pub(super) fn instance_line<'a>(st: &Statement<'a>) -> Result<InstanceLine<'a>, NetlistError> {
    let fields = st.fields(INSTANCE_USAGE)?;
    let mut positional = fields.positional;
    if positional.last().is_some_and(is_params_keyword) {
        if fields.pairs.is_empty() {
            return Err(st.missing("a NAME=VALUE after 'params:'", INSTANCE_USAGE));
        }
        positional = &positional[..positional.len() - 1];
    }
    if let Some(keyword) = positional.iter().find(|t| is_params_keyword(t)) {
        return Err(st.unexpected(keyword, INSTANCE_USAGE));
    }
    let Some((subckt, nodes)) = positional.split_last() else {
        return Err(st.missing("the subcircuit name", INSTANCE_USAGE));
    };
    if subckt.kind != TokenKind::Word || subckt.text.contains(['(', ')', '.']) {
        return Err(st.unexpected(subckt, INSTANCE_USAGE));
    }
    Ok(InstanceLine { nodes, subckt, pairs: fields.pairs })
}

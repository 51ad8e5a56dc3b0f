//! `.param` definitions: command-line overrides, then evaluation in dependency order (so a
//! parameter may use one defined later), with cycle detection.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::{ErrorKind, Location, NetlistError, list_names};
use super::expr::{Expr, Units, is_identifier};
use super::lexer::{Token, TokenKind};

/// A parameter as defined, not yet evaluated.
#[derive(Debug, Clone)]
pub(super) struct ParamDef {
    /// The name as written.
    pub spelled: String,
    /// The parsed value.
    pub expr: Expr,
    /// The value as written.
    pub text: String,
    /// Where it comes from, for messages ("parameter vdd", "--set vdd=0.9").
    pub context: String,
    /// Where it is defined; `None` for a `--set` override.
    pub location: Option<Location>,
}

/// Read `NAME=VALUE ...` pairs (the fields of a `.param` line, or the parameters of a
/// `.subckt` line) written in `file` after `directive`: each name with its parsed, not yet
/// evaluated, value. `what` names them in messages ("parameter").
pub(super) fn definitions(
    file: &Path,
    directive: &str,
    tokens: &[Token],
    usage: &str,
    what: &str,
) -> Result<Vec<(String, ParamDef)>, NetlistError> {
    let at = |line: usize| Location { file: file.to_path_buf(), line };
    let unexpected = |token: &Token| {
        let kind = ErrorKind::UnexpectedToken {
            token: token.text.clone(),
            name: directive.to_string(),
            usage: usage.to_string(),
        };
        Err(NetlistError::at(at(token.line), kind))
    };
    let missing = |missing: String, line: usize| {
        let kind = ErrorKind::MissingField { name: directive.to_string(), missing, usage: usage.to_string() };
        Err(NetlistError::at(at(line), kind))
    };
    let mut parsed: Vec<(String, ParamDef)> = Vec::new();
    let mut rest = tokens;
    while let Some(name) = rest.first() {
        if name.kind != TokenKind::Word || !is_identifier(&name.text) {
            return unexpected(name);
        }
        match rest.get(1) {
            Some(equals) if equals.is_equals() => {}
            Some(other) => return unexpected(other),
            None => return missing(format!("'=VALUE' after '{}'", name.text), name.line),
        }
        let value = match rest.get(2) {
            Some(value) if !value.is_equals() => value,
            Some(other) => return unexpected(other),
            None => return missing(format!("the value of '{}'", name.text), name.line),
        };
        let context = format!("{what} {}", name.text);
        let expr = Expr::from_token(value, Units::Any, true).map_err(|problem| {
            let known = parsed.iter().map(|(k, _)| k);
            let kind = problem.into_kind(&value.text, &context, Units::Any, known);
            NetlistError::at(at(value.line), kind)
        })?;
        let definition = ParamDef {
            spelled: name.text.clone(),
            expr,
            text: value.text.clone(),
            context,
            location: Some(at(name.line)),
        };
        parsed.push((name.text.to_lowercase(), definition));
        rest = &rest[3..];
    }
    Ok(parsed)
}

/// Split a command-line `NAME=VALUE` (from `--set`) into its name and value.
///
/// # Errors
/// [`ErrorKind::MalformedSet`] if there is no `=`, or the name or value is empty.
pub fn split_override(arg: &str) -> Result<(String, String), NetlistError> {
    match arg.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() && !value.trim().is_empty() => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(NetlistError::nowhere(ErrorKind::MalformedSet { text: arg.to_string() })),
    }
}

/// Replace the definitions named by `overrides` (later ones win over earlier ones).
pub(super) fn apply_overrides(
    params: &mut BTreeMap<String, ParamDef>,
    overrides: &[(String, String)],
    source: &Path,
) -> Result<(), NetlistError> {
    for (name, value) in overrides {
        let (name, value) = (name.trim(), value.trim());
        let text = format!("{name}={value}");
        if !is_identifier(name) || value.is_empty() {
            return Err(NetlistError::nowhere(ErrorKind::MalformedSet { text }));
        }
        let defined = list_names("parameter", params.keys());
        let Some(definition) = params.get_mut(&name.to_lowercase()) else {
            return Err(NetlistError::nowhere(ErrorKind::UnknownSetParam {
                name: name.to_string(),
                file: source.display().to_string(),
                defined,
            }));
        };
        let context = format!("--set {text}");
        let inner = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')).unwrap_or(value);
        let expr = Expr::parse(inner, Units::Any).map_err(|problem| {
            let kind = problem.into_kind(value, &context, Units::Any, std::iter::empty());
            NetlistError::nowhere(kind)
        })?;
        *definition = ParamDef {
            spelled: definition.spelled.clone(),
            expr,
            text: value.to_string(),
            context,
            location: None,
        };
    }
    Ok(())
}

fn dependencies(definition: &ParamDef) -> Vec<String> {
    let mut names = Vec::new();
    definition.expr.params(&mut names);
    names
}

/// Evaluate every parameter, each after the ones it uses, whatever the order of definition.
/// Names not defined here are looked up in `base` (the enclosing scope), which the
/// definitions shadow; the result is `base` with the definitions' values laid over it.
pub(super) fn resolve(
    definitions: &BTreeMap<String, ParamDef>,
    base: &BTreeMap<String, f64>,
) -> Result<BTreeMap<String, f64>, NetlistError> {
    // A name defined here is resolved once it is back in `values`.
    let mut values: BTreeMap<String, f64> =
        base.iter().filter(|(k, _)| !definitions.contains_key(*k)).map(|(k, v)| (k.clone(), *v)).collect();
    let known = || definitions.keys().chain(base.keys().filter(|k| !definitions.contains_key(*k)));
    for (root, root_definition) in definitions {
        if values.contains_key(root) {
            continue;
        }
        // Depth-first, with an explicit stack: (name, its dependencies, next one to visit).
        let mut stack = vec![(root, dependencies(root_definition), 0usize)];
        while let Some(top) = stack.last_mut() {
            if let Some(dependency) = top.1.get(top.2).cloned() {
                top.2 += 1;
                let Some((name, definition)) = definitions.get_key_value(&dependency) else {
                    continue; // Unknown: evaluation reports it with its context.
                };
                if values.contains_key(name) {
                    continue;
                }
                if let Some(start) = stack.iter().position(|(n, _, _)| *n == name) {
                    return Err(cycle(definitions, &stack[start..], name));
                }
                stack.push((name, dependencies(definition), 0));
            } else {
                let name = top.0;
                let definition = &definitions[name];
                let value = definition.expr.eval(&values).map_err(|problem| {
                    let kind = problem.into_kind(&definition.text, &definition.context, Units::Any, known());
                    NetlistError::maybe_at(definition.location.clone(), kind)
                })?;
                values.insert(name.clone(), value);
                stack.pop();
            }
        }
    }
    Ok(values)
}

fn cycle(
    definitions: &BTreeMap<String, ParamDef>,
    path: &[(&String, Vec<String>, usize)],
    back_to: &String,
) -> NetlistError {
    let mut chain: Vec<String> = path.iter().map(|(name, _, _)| definitions[*name].spelled.clone()).collect();
    chain.push(definitions[back_to].spelled.clone());
    let location = path.iter().find_map(|(name, _, _)| definitions[*name].location.clone());
    NetlistError::maybe_at(location, ErrorKind::ParamCycle { chain })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definitions(pairs: &[(&str, &str)]) -> BTreeMap<String, ParamDef> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (name, text))| {
                let definition = ParamDef {
                    spelled: name.to_string(),
                    expr: Expr::parse(text, Units::Any).unwrap(),
                    text: text.to_string(),
                    context: format!("parameter {name}"),
                    location: Some(Location { file: "p.cir".into(), line: i + 2 }),
                };
                (name.to_lowercase(), definition)
            })
            .collect()
    }

    #[test]
    fn forward_references_resolve_in_any_order() {
        let defs = definitions(&[("a", "b*2"), ("b", "c+1"), ("c", "10m"), ("z", "a")]);
        let values = resolve(&defs, &BTreeMap::new()).unwrap();
        assert!((values["a"] - 2.02).abs() < 1e-12);
        assert!((values["z"] - 2.02).abs() < 1e-12);
    }

    #[test]
    fn cycles_are_reported_with_the_chain() {
        let defs = definitions(&[("a", "b"), ("b", "c"), ("c", "a + 1"), ("d", "1")]);
        let error = resolve(&defs, &BTreeMap::new()).unwrap_err();
        assert_eq!(
            *error.kind,
            ErrorKind::ParamCycle { chain: vec!["a".into(), "b".into(), "c".into(), "a".into()] }
        );
        assert_eq!(error.location.unwrap().line, 2);
        let selfish = resolve(&definitions(&[("x", "x")]), &BTreeMap::new()).unwrap_err();
        assert!(selfish.to_string().contains("x -> x"), "{selfish}");
    }

    #[test]
    fn overrides_replace_before_dependents_evaluate() {
        let mut defs = definitions(&[("vdd", "0.8"), ("half", "vdd/2")]);
        let set = [("VDD".to_string(), "{2*0.6}".to_string())];
        apply_overrides(&mut defs, &set, Path::new("p.cir")).unwrap();
        assert!((resolve(&defs, &BTreeMap::new()).unwrap()["half"] - 0.6).abs() < 1e-12);
    }

    #[test]
    fn local_definitions_shadow_and_see_the_enclosing_scope() {
        let base: BTreeMap<String, f64> = [("vdd".to_string(), 0.8), ("w".to_string(), 1.0)].into();
        let defs = definitions(&[("w", "vdd*2"), ("l", "w/4")]);
        let values = resolve(&defs, &base).unwrap();
        assert!((values["w"] - 1.6).abs() < 1e-12 && (values["l"] - 0.4).abs() < 1e-12);
        assert_eq!(values["vdd"], 0.8);
        let error = resolve(&definitions(&[("a", "zz")]), &base).unwrap_err();
        assert!(error.to_string().contains("a, vdd, w"), "{error}");
    }

    #[test]
    fn split_override_needs_an_equals_sign() {
        assert_eq!(split_override(" vdd = 0.9 ").unwrap(), ("vdd".to_string(), "0.9".to_string()));
        for bad in ["vdd", "=1", "vdd="] {
            let error = split_override(bad).unwrap_err();
            assert!(error.to_string().contains(bad), "{error}");
        }
    }
}

//! One logical line being turned into an element or directive: locations, values, nodes and
//! `key=value` fields.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::{ErrorKind, Location, NetlistError};
use super::expr::{Expr, Units};
use super::lexer::{Token, TokenKind};
use crate::units::Quantity;

/// A logical line with what is needed to read it: its file and the resolved parameters.
pub(super) struct Statement<'a> {
    /// The file it is in, as reached.
    pub file: &'a Path,
    /// Its tokens; the first names the element or directive.
    pub tokens: &'a [Token],
    /// Every `.param`, resolved.
    pub params: &'a BTreeMap<String, f64>,
}

/// The positional fields of a line and its `key=value` fields.
pub(super) struct Fields<'a> {
    /// Fields before the first `key=value`.
    pub positional: &'a [Token],
    /// `key=value` fields, in order.
    pub pairs: Vec<(&'a Token, &'a Token)>,
}

impl<'a> Statement<'a> {
    /// The element name or directive, as written.
    pub fn head(&self) -> &'a Token {
        &self.tokens[0]
    }

    /// Where `token` is.
    pub fn location(&self, token: &Token) -> Location {
        Location { file: self.file.to_path_buf(), line: token.line }
    }

    /// An error at `token`.
    pub fn error(&self, token: &Token, kind: ErrorKind) -> NetlistError {
        NetlistError::at(self.location(token), kind)
    }

    /// An error for a missing field, reported at the head of the line.
    pub fn missing(&self, missing: &str, usage: &str) -> NetlistError {
        self.error(
            self.head(),
            ErrorKind::MissingField {
                name: self.head().text.clone(),
                missing: missing.to_string(),
                usage: usage.to_string(),
            },
        )
    }

    /// An error for a field that does not belong.
    pub fn unexpected(&self, token: &Token, usage: &str) -> NetlistError {
        self.error(
            token,
            ErrorKind::UnexpectedToken {
                token: token.text.clone(),
                name: self.head().text.clone(),
                usage: usage.to_string(),
            },
        )
    }

    /// Split the fields after the head into positional fields and `key=value` pairs.
    pub fn fields(&self, usage: &str) -> Result<Fields<'a>, NetlistError> {
        let rest = &self.tokens[1..];
        let first_pair = (0..rest.len())
            .find(|&i| rest.get(i + 1).is_some_and(Token::is_equals) || rest[i].is_equals())
            .unwrap_or(rest.len());
        let mut pairs = Vec::new();
        let mut i = first_pair;
        while i < rest.len() {
            let key = &rest[i];
            if key.kind != TokenKind::Word {
                return Err(self.unexpected(key, usage));
            }
            if !rest.get(i + 1).is_some_and(Token::is_equals) {
                return Err(self.unexpected(key, &format!("key=value after the first key=value; {usage}")));
            }
            let Some(value) = rest.get(i + 2).filter(|t| !t.is_equals()) else {
                return Err(self.missing(&format!("the value after '{}='", key.text), usage));
            };
            pairs.push((key, value));
            i += 3;
        }
        Ok(Fields { positional: &rest[..first_pair], pairs })
    }

    /// Read a value token (number, parameter name or `{expression}`) of `quantity`;
    /// `context` says where it is used ("value of C1").
    pub fn value(&self, token: &Token, quantity: Quantity, context: &str) -> Result<f64, NetlistError> {
        let units = Units::Of(quantity);
        Expr::from_token(token, units, false).and_then(|expr| expr.eval(self.params)).map_err(|problem| {
            let kind = problem.into_kind(&token.text, context, units, self.params.keys());
            self.error(token, kind)
        })
    }

    /// Read a value token with any unit symbol (a `.param`-like value: subcircuit
    /// parameters, `.model` parameters); `context` says where it is used.
    pub fn number(&self, token: &Token, context: &str) -> Result<f64, NetlistError> {
        Expr::from_token(token, Units::Any, false).and_then(|expr| expr.eval(self.params)).map_err(
            |problem| {
                let kind = problem.into_kind(&token.text, context, Units::Any, self.params.keys());
                self.error(token, kind)
            },
        )
    }

    /// Read a node name: lower-cased, with `gnd` written as `0`. A `.` is refused: it
    /// separates the levels of hierarchical names (`x3.a`).
    pub fn node(&self, token: &Token) -> Result<String, NetlistError> {
        let reason = match token.kind {
            TokenKind::Word if token.text.contains(['(', ')']) => "node names cannot contain parentheses",
            TokenKind::Word if token.text.contains('.') => {
                "'.' separates hierarchical names (x3.a is node a inside instance x3): rename the node"
            }
            TokenKind::Word => return Ok(node_name(&token.text)),
            TokenKind::Equals => "expected a node name, found '='",
            TokenKind::Brace | TokenKind::Quoted => "expected a node name, not an expression",
        };
        Err(self.error(
            token,
            ErrorKind::BadNode {
                token: token.text.clone(),
                name: self.head().text.clone(),
                reason: reason.to_string(),
            },
        ))
    }
}

/// The stored form of a node name: lower-cased, ground (`0` or `gnd`) as `0`.
pub(super) fn node_name(text: &str) -> String {
    let lower = text.to_lowercase();
    if lower == "gnd" { "0".to_string() } else { lower }
}

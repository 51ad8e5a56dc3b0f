//! First pass: read the top-level file and its includes into one list of logical lines,
//! record model card paths, collect `.param` definitions, stop at `.end`.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::ModelCard;
use super::error::{ErrorKind, Location, NetlistError};
use super::expr::{Expr, Units, is_identifier};
use super::lexer::{LogicalLine, Token, TokenKind, logical_lines};
use super::params::ParamDef;

/// Extensions read as netlist text by `.include`.
const NETLIST_EXTENSIONS: &[&str] = &["cir", "sp", "spice", "inc"];
const INCLUDE_USAGE: &str = ".include \"path\" (a .cir, .sp, .spice or .inc netlist, or a .toml model card)";
const PARAM_USAGE: &str = ".param NAME=VALUE [NAME=VALUE ...] (write expressions with spaces in braces)";

/// Everything the first pass collects.
#[derive(Default)]
pub(super) struct Reader {
    /// Every file read, as reached; lines refer to them by index.
    pub files: Vec<PathBuf>,
    /// Logical lines other than `.include`, `.param` and `.end`, in reading order.
    pub lines: Vec<(usize, LogicalLine)>,
    /// The title line of the top-level file.
    pub title: String,
    /// `.param` definitions by lower-cased name.
    pub params: BTreeMap<String, ParamDef>,
    /// `.include`d model cards, each once.
    pub model_cards: Vec<ModelCard>,
    /// Canonical paths of the model cards recorded.
    seen_cards: HashSet<PathBuf>,
    /// The files being read, outermost first: (canonical path, path as reached).
    stack: Vec<(PathBuf, PathBuf)>,
}

impl Reader {
    /// Read a top-level netlist given as text (its path names it and anchors its includes).
    pub fn read_top(&mut self, path: &Path, text: &str) -> Result<(), NetlistError> {
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.stack.push((canonical, path.to_path_buf()));
        let result = self.read(path, text, true);
        self.stack.pop();
        result
    }

    fn read(&mut self, path: &Path, text: &str, top: bool) -> Result<(), NetlistError> {
        let file = self.files.len();
        self.files.push(path.to_path_buf());
        let at = |line: usize| Location { file: path.to_path_buf(), line };
        let (title, lines) =
            logical_lines(text, top).map_err(|(line, kind)| NetlistError::at(at(line), *kind))?;
        if let Some(title) = title {
            self.title = title;
        }
        for line in lines {
            match line.tokens[0].text.to_lowercase().as_str() {
                ".end" => break,
                ".include" | ".inc" => self.include(path, &line)?,
                ".param" => self.param(path, &line)?,
                _ => self.lines.push((file, line)),
            }
        }
        Ok(())
    }

    fn include(&mut self, from: &Path, line: &LogicalLine) -> Result<(), NetlistError> {
        let directive = &line.tokens[0];
        let at = |line: usize| Location { file: from.to_path_buf(), line };
        let Some(token) = line.tokens.get(1) else {
            let kind = ErrorKind::MissingField {
                name: directive.text.clone(),
                missing: "the file to include".to_string(),
                usage: INCLUDE_USAGE.to_string(),
            };
            return Err(NetlistError::at(at(directive.line), kind));
        };
        let extra = match token.kind {
            TokenKind::Brace | TokenKind::Equals => Some(token),
            TokenKind::Word | TokenKind::Quoted => line.tokens.get(2),
        };
        if let Some(extra) = extra {
            let kind = ErrorKind::UnexpectedToken {
                token: extra.text.clone(),
                name: directive.text.clone(),
                usage: INCLUDE_USAGE.to_string(),
            };
            return Err(NetlistError::at(at(extra.line), kind));
        }
        let location = at(token.line);
        let bad = |reason: &str| {
            let kind = ErrorKind::BadInclude { token: token.text.clone(), reason: reason.to_string() };
            NetlistError::at(location.clone(), kind)
        };
        let written = token.content();
        if written.trim().is_empty() {
            return Err(bad("the path is empty"));
        }
        let path = from.parent().unwrap_or(Path::new("")).join(written);
        let extension = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
        let is_card = extension == "toml";
        if !is_card && !NETLIST_EXTENSIONS.contains(&extension.as_str()) {
            return Err(bad("expected a netlist (.cir, .sp, .spice, .inc) or a model card (.toml)"));
        }
        let what = if is_card { "model card" } else { "included file" };
        let io_error = |e: std::io::Error| {
            let kind = ErrorKind::Io { what, path: path.display().to_string(), reason: e.to_string() };
            NetlistError::at(location.clone(), kind)
        };
        let canonical = fs::canonicalize(&path).map_err(io_error)?;
        if is_card {
            if !canonical.is_file() {
                return Err(bad("it is not a file"));
            }
            if self.seen_cards.insert(canonical) {
                self.model_cards.push(ModelCard { path, location: location.clone() });
            }
            return Ok(());
        }
        if let Some(start) = self.stack.iter().position(|(c, _)| *c == canonical) {
            let mut chain: Vec<String> =
                self.stack[start..].iter().map(|(_, shown)| shown.display().to_string()).collect();
            chain.push(path.display().to_string());
            return Err(NetlistError::at(location, ErrorKind::IncludeLoop { chain }));
        }
        let text = fs::read_to_string(&path).map_err(io_error)?;
        self.stack.push((canonical, path.clone()));
        let result = self.read(&path, &text, false);
        self.stack.pop();
        result
    }

    fn param(&mut self, file: &Path, line: &LogicalLine) -> Result<(), NetlistError> {
        let directive = &line.tokens[0];
        let at = |line: usize| Location { file: file.to_path_buf(), line };
        let fail = |token: &Token, kind| Err(NetlistError::at(at(token.line), kind));
        let missing = |missing: String| {
            let kind = ErrorKind::MissingField {
                name: directive.text.clone(),
                missing,
                usage: PARAM_USAGE.to_string(),
            };
            Err(NetlistError::at(at(directive.line), kind))
        };
        let unexpected = |token: &Token| {
            let kind = ErrorKind::UnexpectedToken {
                token: token.text.clone(),
                name: directive.text.clone(),
                usage: PARAM_USAGE.to_string(),
            };
            fail(token, kind)
        };
        let mut rest = &line.tokens[1..];
        if rest.is_empty() {
            return missing("a NAME=VALUE".to_string());
        }
        while let Some(name) = rest.first() {
            if name.kind != TokenKind::Word || !is_identifier(&name.text) {
                return unexpected(name);
            }
            match rest.get(1) {
                Some(equals) if equals.is_equals() => {}
                Some(other) => return unexpected(other),
                None => return missing(format!("'=VALUE' after '{}'", name.text)),
            }
            let value = match rest.get(2) {
                Some(value) if !value.is_equals() => value,
                Some(other) => return unexpected(other),
                None => return missing(format!("the value of '{}'", name.text)),
            };
            let key = name.text.to_lowercase();
            if let Some(first) = self.params.get(&key).and_then(|p| p.location.clone()) {
                let kind = ErrorKind::DuplicateParam { name: name.text.clone(), first };
                return fail(name, kind);
            }
            let context = format!("parameter {}", name.text);
            let expr = Expr::from_token(value, Units::Any, true).map_err(|problem| {
                let kind = problem.into_kind(&value.text, &context, Units::Any, self.params.keys());
                NetlistError::at(at(value.line), kind)
            })?;
            let definition = ParamDef {
                spelled: name.text.clone(),
                expr,
                text: value.text.clone(),
                context,
                location: Some(at(name.line)),
            };
            self.params.insert(key, definition);
            rest = &rest[3..];
        }
        Ok(())
    }
}

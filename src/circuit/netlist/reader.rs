//! First pass: read the top-level file, its includes and library sections into lists of
//! logical lines: the top level's, and each subcircuit definition's. Records model card
//! paths, `.model` and `.global` lines, collects `.param` definitions (global, or local to the
//! subcircuit they sit in), and stops a file at `.end`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::ModelCard;
use super::error::{ErrorKind, Location, NetlistError};
use super::lexer::{LogicalLine, TokenKind, logical_lines};
use super::params::{ParamDef, definitions};
use super::statement::Statement;
use super::subckt::{self, Definition};

/// Extensions read as netlist text by `.include`.
const NETLIST_EXTENSIONS: &[&str] = &["cir", "sp", "spice", "inc", "lib", "mod", "net", "ckt"];
const INCLUDE_USAGE: &str =
    ".include \"path\" (a .cir, .sp, .spice, .inc, .lib, .mod, .net or .ckt netlist, or a .toml model card)";
const PARAM_USAGE: &str = ".param NAME=VALUE [NAME=VALUE ...] (write expressions with spaces in braces)";
const GLOBAL_USAGE: &str = ".global NODE [NODE ...]";

/// A logical line and the index of the file it is in.
pub(super) type Line = (usize, LogicalLine);

/// Everything the first pass collects.
#[derive(Default)]
pub(super) struct Reader {
    /// Every file read, as reached; lines refer to them by index.
    pub files: Vec<PathBuf>,
    /// Top-level logical lines other than those the first pass consumes, in reading order.
    pub lines: Vec<Line>,
    /// The title line of the top-level file.
    pub title: String,
    /// Global `.param` definitions by lower-cased name.
    pub params: BTreeMap<String, ParamDef>,
    /// `.include`d model cards, each once.
    pub model_cards: Vec<ModelCard>,
    /// `.model` lines, wherever they are (models are global).
    pub models: Vec<Line>,
    /// `.global` nodes (lower-cased): the same node in every subcircuit.
    pub globals: BTreeSet<String>,
    /// Every subcircuit definition, in the order their `.subckt` lines are read.
    pub definitions: Vec<Definition>,
    /// Top-level definitions by lower-cased name (nested ones are their parent's children).
    pub subckts: BTreeMap<String, usize>,
    /// Definitions open at this point of the reading, outermost first.
    pub(super) open: Vec<usize>,
    /// How many of `open` were open when the file (or library section) being read began:
    /// those it cannot close.
    pub(super) file_depth: usize,
    /// Canonical paths of the model cards recorded.
    seen_cards: HashSet<PathBuf>,
    /// The files being read, outermost first: (canonical path, path as reached).
    pub(super) stack: Vec<(PathBuf, PathBuf)>,
    /// Library sections already read (canonical file, lower-cased section).
    pub(super) sections_read: HashSet<(PathBuf, String)>,
}

/// Whether a file's reading goes on after a line.
pub(super) enum Flow {
    Next,
    End,
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

    /// Register a file and split it into logical lines.
    pub(super) fn lex(
        &mut self,
        path: &Path,
        text: &str,
        top: bool,
    ) -> Result<(usize, Vec<LogicalLine>), NetlistError> {
        let file = self.files.len();
        self.files.push(path.to_path_buf());
        let at = |line: usize| Location { file: path.to_path_buf(), line };
        let (title, lines) =
            logical_lines(text, top).map_err(|(line, kind)| NetlistError::at(at(line), *kind))?;
        if let Some(title) = title {
            self.title = title;
        }
        Ok((file, lines))
    }

    fn read(&mut self, path: &Path, text: &str, top: bool) -> Result<(), NetlistError> {
        let (file, lines) = self.lex(path, text, top)?;
        let depth = self.open.len();
        let outer_depth = std::mem::replace(&mut self.file_depth, depth);
        let result = self.read_lines(path, file, &lines);
        self.file_depth = outer_depth;
        result
    }

    fn read_lines(&mut self, path: &Path, file: usize, lines: &[LogicalLine]) -> Result<(), NetlistError> {
        let depth = self.file_depth;
        // A `.lib SECTION` ... `.endl` block met while reading a file is a definition for
        // `.lib FILE SECTION` calls, not content: skip it.
        let mut skipping: Option<(String, &LogicalLine)> = None;
        for line in lines {
            let head = line.tokens[0].text.to_lowercase();
            if let Some((section, opener)) = &skipping {
                match head.as_str() {
                    ".endl" => {
                        self.check_endl(path, line, section)?;
                        skipping = None;
                    }
                    ".lib" if line.tokens.len() == 2 => {
                        let kind = ErrorKind::UnmatchedEnd {
                            token: line.text.clone(),
                            problem: format!(
                                "opens a library section inside section '{section}' (opened at line {}): close that one with .endl first",
                                opener.line
                            ),
                        };
                        return Err(NetlistError::at(
                            Location { file: path.to_path_buf(), line: line.line },
                            kind,
                        ));
                    }
                    _ => {}
                }
                continue;
            }
            if head == ".lib" && line.tokens.len() == 2 {
                let name = &line.tokens[1];
                if name.kind != TokenKind::Word || name.text.contains(['.', '/', '\\']) {
                    let kind = ErrorKind::BadInclude {
                        token: name.text.clone(),
                        reason: "'.lib NAME' opens a library section (closed by .endl); to read a whole file write .include FILE, to read one section of a library .lib FILE SECTION".to_string(),
                    };
                    return Err(NetlistError::at(
                        Location { file: path.to_path_buf(), line: name.line },
                        kind,
                    ));
                }
                skipping = Some((name.text.to_lowercase(), line));
                continue;
            }
            if let Flow::End = self.statement(file, line)? {
                break;
            }
        }
        if let Some((_, opener)) = skipping {
            let kind = ErrorKind::UnclosedBlock {
                opener: format!("{} (line {})", opener.text, opener.line),
                closer: ".endl",
                file: path.display().to_string(),
            };
            return Err(NetlistError::at(Location { file: path.to_path_buf(), line: opener.line }, kind));
        }
        self.check_closed(depth, path)
    }

    /// Every subcircuit opened since `depth` must have been closed in `path`.
    pub(super) fn check_closed(&self, depth: usize, path: &Path) -> Result<(), NetlistError> {
        let Some(&index) = self.open.get(depth) else {
            return Ok(());
        };
        let definition = &self.definitions[index];
        let kind = ErrorKind::UnclosedBlock {
            opener: format!(".subckt {}", definition.spelled),
            closer: ".ends",
            file: path.display().to_string(),
        };
        Err(NetlistError::at(definition.location.clone(), kind))
    }

    /// One logical line of file `file` (not a `.lib SECTION` opener).
    pub(super) fn statement(&mut self, file: usize, line: &LogicalLine) -> Result<Flow, NetlistError> {
        let path = self.files[file].clone();
        let at = |line: usize| Location { file: path.clone(), line };
        match line.tokens[0].text.to_lowercase().as_str() {
            ".end" => return Ok(Flow::End),
            ".include" | ".inc" => self.include(&path, line)?,
            ".lib" => self.call_section(&path, line)?,
            ".endl" => {
                let kind = ErrorKind::UnmatchedEnd {
                    token: line.text.clone(),
                    problem: "closes no library section: expected '.lib SECTION' before it".to_string(),
                };
                return Err(NetlistError::at(at(line.line), kind));
            }
            ".param" => {
                let tokens = &line.tokens;
                if tokens.len() == 1 {
                    let kind = ErrorKind::MissingField {
                        name: tokens[0].text.clone(),
                        missing: "a NAME=VALUE".to_string(),
                        usage: PARAM_USAGE.to_string(),
                    };
                    return Err(NetlistError::at(at(line.line), kind));
                }
                let parsed = definitions(&path, &tokens[0].text, &tokens[1..], PARAM_USAGE, "parameter")?;
                let open = self.open.last().copied();
                for (key, definition) in parsed {
                    let target = match open {
                        Some(d) => {
                            subckt::check_local_param(&self.definitions[d], &key, &definition)?;
                            &mut self.definitions[d].locals
                        }
                        None => &mut self.params,
                    };
                    if let Some(first) = target.get(&key).and_then(|p| p.location.clone()) {
                        let kind = ErrorKind::DuplicateParam { name: definition.spelled.clone(), first };
                        return Err(NetlistError::maybe_at(definition.location, kind));
                    }
                    target.insert(key, definition);
                }
            }
            ".subckt" => {
                let parent = self.open.last().copied();
                let definition = subckt::header(&path, line, parent)?;
                let index = self.definitions.len();
                let existing = match parent {
                    Some(p) => self.definitions[p].children.get(&definition.name),
                    None => self.subckts.get(&definition.name),
                };
                if let Some(&first) = existing {
                    let kind = ErrorKind::DuplicateSubckt {
                        name: definition.spelled.clone(),
                        first: self.definitions[first].location.clone(),
                    };
                    return Err(NetlistError::at(definition.location, kind));
                }
                match parent {
                    Some(p) => self.definitions[p].children.insert(definition.name.clone(), index),
                    None => self.subckts.insert(definition.name.clone(), index),
                };
                self.definitions.push(definition);
                self.open.push(index);
            }
            ".ends" => {
                let Some(&open) = self.open.last() else {
                    let kind = ErrorKind::UnmatchedEnd {
                        token: line.text.clone(),
                        problem: "closes no subcircuit: expected '.subckt NAME ...' before it".to_string(),
                    };
                    return Err(NetlistError::at(at(line.line), kind));
                };
                let definition = &self.definitions[open];
                if self.open.len() <= self.file_depth {
                    let kind = ErrorKind::UnmatchedEnd {
                        token: line.text.clone(),
                        problem: format!(
                            "would close subcircuit '{}' opened in another file or library section ({}): close a subcircuit where it opens",
                            definition.spelled, definition.location
                        ),
                    };
                    return Err(NetlistError::at(at(line.line), kind));
                }
                if let Some(name) = line.tokens.get(1)
                    && !name.content().eq_ignore_ascii_case(&definition.name)
                {
                    let kind = ErrorKind::UnmatchedEnd {
                        token: line.text.clone(),
                        problem: format!(
                            "does not match the open subcircuit '{}' (opened at {}): expected '.ends' or '.ends {}'",
                            definition.spelled, definition.location, definition.spelled
                        ),
                    };
                    return Err(NetlistError::at(at(line.line), kind));
                }
                if let Some(extra) = line.tokens.get(2) {
                    let kind = ErrorKind::UnexpectedToken {
                        token: extra.text.clone(),
                        name: line.tokens[0].text.clone(),
                        usage: ".ends [NAME]".to_string(),
                    };
                    return Err(NetlistError::at(at(extra.line), kind));
                }
                self.open.pop();
            }
            ".model" => self.models.push((file, line.clone())),
            ".global" => self.global(&path, line)?,
            _ => match self.open.last() {
                Some(&d) => self.definitions[d].lines.push((file, line.clone())),
                None => self.lines.push((file, line.clone())),
            },
        }
        Ok(Flow::Next)
    }

    fn global(&mut self, path: &Path, line: &LogicalLine) -> Result<(), NetlistError> {
        let params = BTreeMap::new();
        let st = Statement { file: path, tokens: &line.tokens, params: &params };
        if line.tokens.len() == 1 {
            return Err(st.missing("a node name", GLOBAL_USAGE));
        }
        for token in &line.tokens[1..] {
            let node = st.node(token)?;
            if node == super::GROUND {
                return Err(st.unexpected(token, "node names other than ground (which is always global)"));
            }
            self.globals.insert(node);
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
            return Err(bad(
                "expected a netlist (.cir, .sp, .spice, .inc, .lib, .mod, .net, .ckt) or a model card (.toml)",
            ));
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
        self.check_loop(&canonical, &path, &location)?;
        let text = fs::read_to_string(&path).map_err(io_error)?;
        self.stack.push((canonical, path.clone()));
        let result = self.read(&path, &text, false);
        self.stack.pop();
        result
    }

    /// Refuse to read a file that is already being read.
    pub(super) fn check_loop(
        &self,
        canonical: &Path,
        path: &Path,
        location: &Location,
    ) -> Result<(), NetlistError> {
        if let Some(start) = self.stack.iter().position(|(c, _)| c == canonical) {
            let mut chain: Vec<String> =
                self.stack[start..].iter().map(|(_, shown)| shown.display().to_string()).collect();
            chain.push(path.display().to_string());
            return Err(NetlistError::at(location.clone(), ErrorKind::IncludeLoop { chain }));
        }
        Ok(())
    }
}

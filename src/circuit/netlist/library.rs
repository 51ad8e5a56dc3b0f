//! Library sections, ngspice and HSPICE style: a library file holds blocks
//! `.lib SECTION` ... `.endl [SECTION]`, and `.lib FILE SECTION` reads the lines of one block
//! in place (a block may call other sections, of its own file or others). A block met while
//! reading a file normally is skipped: it is a definition, read only when called. Calling a
//! section that was read already does nothing, so libraries whose corners share a section
//! read it once.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::{ErrorKind, Location, NetlistError, list_names};
use super::lexer::{LogicalLine, TokenKind};
use super::reader::{Flow, Reader};

const LIB_USAGE: &str =
    ".lib FILE SECTION (read a section of a library), or .lib SECTION ... .endl (define one)";

impl Reader {
    /// `.lib FILE SECTION`: read that section's lines as if they were written here.
    pub(super) fn call_section(&mut self, from: &Path, line: &LogicalLine) -> Result<(), NetlistError> {
        let directive = &line.tokens[0];
        let at = |line: usize| Location { file: from.to_path_buf(), line };
        let (file_token, section_token) = match &line.tokens[1..] {
            [file, section] if section.kind == TokenKind::Word => (file, section),
            [] => {
                let kind = ErrorKind::MissingField {
                    name: directive.text.clone(),
                    missing: "the library file and section".to_string(),
                    usage: LIB_USAGE.to_string(),
                };
                return Err(NetlistError::at(at(directive.line), kind));
            }
            [_, other, ..] => {
                let bad = line.tokens.get(3).filter(|_| other.kind == TokenKind::Word).unwrap_or(other);
                let kind = ErrorKind::UnexpectedToken {
                    token: bad.text.clone(),
                    name: directive.text.clone(),
                    usage: LIB_USAGE.to_string(),
                };
                return Err(NetlistError::at(at(bad.line), kind));
            }
            // One field opens a section definition; the reader handles that before here.
            [_] => unreachable!("a one-field .lib line opens a section"),
        };
        let location = at(file_token.line);
        let path = from.parent().unwrap_or(Path::new("")).join(file_token.content());
        let section = section_token.text.to_lowercase();
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
            let kind = ErrorKind::BadInclude {
                token: file_token.text.clone(),
                reason: "a .toml model card has no sections: read it with .include".to_string(),
            };
            return Err(NetlistError::at(location, kind));
        }
        let io_error = |e: std::io::Error| {
            let kind =
                ErrorKind::Io { what: "library", path: path.display().to_string(), reason: e.to_string() };
            NetlistError::at(location.clone(), kind)
        };
        let canonical = fs::canonicalize(&path).map_err(io_error)?;
        let shown = PathBuf::from(format!("{} [{section}]", path.display()));
        let key = PathBuf::from(format!("{} [{section}]", canonical.display()));
        self.check_loop(&key, &shown, &location)?;
        if self.sections_read.contains(&(canonical.clone(), section.clone())) {
            return Ok(());
        }
        let text = fs::read_to_string(&path).map_err(io_error)?;
        let (file, lines) = self.lex(&path, &text, false)?;
        let opens = |l: &LogicalLine| {
            l.tokens.len() == 2
                && l.tokens[0].text.eq_ignore_ascii_case(".lib")
                && l.tokens[1].kind != TokenKind::Equals
        };
        let Some(start) =
            lines.iter().position(|l| opens(l) && l.tokens[1].content().eq_ignore_ascii_case(&section))
        else {
            let names: BTreeSet<String> =
                lines.iter().filter(|l| opens(l)).map(|l| l.tokens[1].content().to_lowercase()).collect();
            let kind = ErrorKind::SectionNotFound {
                file: path.display().to_string(),
                section: section_token.text.clone(),
                known: list_names("section", names.iter()),
            };
            return Err(NetlistError::at(at(section_token.line), kind));
        };
        self.sections_read.insert((canonical, section.clone()));
        self.stack.push((key, shown));
        let depth = self.open.len();
        let outer_depth = std::mem::replace(&mut self.file_depth, depth);
        let result = self.read_section(&path, file, &lines[start..], &section);
        self.file_depth = outer_depth;
        self.stack.pop();
        result
    }

    /// The lines after a section's `.lib SECTION` line, up to its `.endl`.
    fn read_section(
        &mut self,
        path: &Path,
        file: usize,
        lines: &[LogicalLine],
        section: &str,
    ) -> Result<(), NetlistError> {
        let at = |line: usize| Location { file: path.to_path_buf(), line };
        for line in &lines[1..] {
            let head = line.tokens[0].text.to_lowercase();
            if head == ".endl" {
                self.check_endl(path, line, section)?;
                return self.check_closed(self.file_depth, path);
            }
            if (head == ".lib" && line.tokens.len() == 2) || head == ".end" {
                let kind = ErrorKind::UnmatchedEnd {
                    token: line.text.clone(),
                    problem: format!(
                        "inside library section '{section}' (opened at line {}): close the section with .endl first",
                        lines[0].line
                    ),
                };
                return Err(NetlistError::at(at(line.line), kind));
            }
            if let Flow::End = self.statement(file, line)? {
                break;
            }
        }
        let kind = ErrorKind::UnclosedBlock {
            opener: lines[0].text.clone(),
            closer: ".endl",
            file: path.display().to_string(),
        };
        Err(NetlistError::at(at(lines[0].line), kind))
    }

    /// An `.endl [SECTION]` must name the section it closes, if it names one.
    pub(super) fn check_endl(
        &self,
        path: &Path,
        line: &LogicalLine,
        section: &str,
    ) -> Result<(), NetlistError> {
        let at = Location { file: path.to_path_buf(), line: line.line };
        match &line.tokens[1..] {
            [] => Ok(()),
            [name] if name.content().eq_ignore_ascii_case(section) => Ok(()),
            [name] => {
                let kind = ErrorKind::UnmatchedEnd {
                    token: line.text.clone(),
                    problem: format!(
                        "does not match the open section '{section}': expected '.endl' or '.endl {section}'"
                    ),
                };
                Err(NetlistError::at(Location { line: name.line, ..at }, kind))
            }
            [_, extra, ..] => {
                let kind = ErrorKind::UnexpectedToken {
                    token: extra.text.clone(),
                    name: line.tokens[0].text.clone(),
                    usage: ".endl [SECTION]".to_string(),
                };
                Err(NetlistError::at(at, kind))
            }
        }
    }
}

//! Physical lines to logical lines, and logical lines to tokens.
//!
//! SPICE rules: the first line of a top-level deck is its title; `*` starts a comment line;
//! `;` (and ngspice's ` $ `) start an inline comment; a line starting with `+` continues the
//! previous logical line (comment and blank lines may sit between them). Tokens are separated
//! by white space and commas; `=` is a token of its own; `{...}` and quoted text are single
//! tokens; a word keeps a parenthesised group with it (`V(out)`, `PULSE(0 1 2n)`), except on
//! a `.model` line, where parentheses only group the parameters and separate like spaces
//! (`.model n1 nmos (level=ekv vto=0.4)`). Each token remembers its own physical line.

use super::error::ErrorKind;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// A run of ordinary characters, possibly with a parenthesised group: `r1`, `10k`, `V(a)`.
    Word,
    /// `=`.
    Equals,
    /// A braced expression `{...}`; the text keeps the braces.
    Brace,
    /// A quoted string `"..."` or `'...'`; the text keeps the quotes.
    Quoted,
}

/// One token as written, with the physical line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    /// The text as written (groups keep their delimiters).
    pub text: String,
    /// What it is.
    pub kind: TokenKind,
    /// The 1-based physical line.
    pub line: usize,
}

impl Token {
    /// The text inside the delimiters of a brace or quoted token; the whole text otherwise.
    pub fn content(&self) -> &str {
        match self.kind {
            TokenKind::Brace | TokenKind::Quoted => &self.text[1..self.text.len() - 1],
            TokenKind::Word | TokenKind::Equals => &self.text,
        }
    }

    /// Whether this is the `=` token.
    pub fn is_equals(&self) -> bool {
        self.kind == TokenKind::Equals
    }
}

/// A logical line: one physical line and its `+` continuations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LogicalLine {
    /// The physical line it starts on.
    pub line: usize,
    /// The joined text, comments removed.
    pub text: String,
    /// Its tokens.
    pub tokens: Vec<Token>,
}

/// A lexing problem and the physical line it is on.
pub(super) type LexError = (usize, Box<ErrorKind>);

/// The title (if `has_title`) and the logical lines of a file's text.
pub(super) fn logical_lines(
    source: &str,
    has_title: bool,
) -> Result<(Option<String>, Vec<LogicalLine>), LexError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut title = None;
    // Pending logical line: its text and (byte offset, physical line) for each segment.
    let mut pending: Option<(String, Vec<(usize, usize)>)> = None;
    let mut lines = Vec::new();
    for (index, physical) in source.lines().enumerate() {
        let number = index + 1;
        if has_title && index == 0 {
            title = Some(physical.trim().to_string());
            continue;
        }
        let trimmed = physical.trim_start();
        if trimmed.starts_with('*') {
            continue;
        }
        let text = strip_comment(trimmed).trim();
        if text.is_empty() {
            continue;
        }
        if let Some(rest) = text.strip_prefix('+') {
            let Some((joined, segments)) = pending.as_mut() else {
                let token = text.chars().take(20).collect();
                return Err((number, Box::new(ErrorKind::OrphanContinuation { token })));
            };
            joined.push(' ');
            segments.push((joined.len(), number));
            joined.push_str(rest.trim());
            continue;
        }
        if let Some((joined, segments)) = pending.take() {
            lines.extend(tokenize(joined, &segments)?);
        }
        pending = Some((text.to_string(), vec![(0, number)]));
    }
    if let Some((joined, segments)) = pending.take() {
        lines.extend(tokenize(joined, &segments)?);
    }
    Ok((title, lines))
}

/// Cut an inline comment: `;` anywhere, `$` at the start or after white space (outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut previous_blank = true;
    for (at, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == ';' || (c == '$' && previous_blank) => return &line[..at],
            None => {}
        }
        previous_blank = c.is_whitespace();
    }
    line
}

fn is_separator(c: char, model_line: bool) -> bool {
    c.is_whitespace() || c == ',' || (model_line && (c == '(' || c == ')'))
}

/// The tokens inside a parenthesised group such as `PULSE(0 1 {td})` (the text between the
/// first `(` and the last `)`), each on the group's physical `line`.
pub(super) fn group_tokens(group: &str, line: usize) -> Result<Vec<Token>, LexError> {
    let inner = match (group.find('('), group.rfind(')')) {
        (Some(open), Some(close)) if close > open => &group[open + 1..close],
        _ => group,
    };
    Ok(tokenize(inner.to_string(), &[(0, line)])?.map(|l| l.tokens).unwrap_or_default())
}

/// Split a logical line into tokens; `segments` maps byte offsets to physical lines. A line
/// of separators only (`,,,`) is no line at all.
fn tokenize(text: String, segments: &[(usize, usize)]) -> Result<Option<LogicalLine>, LexError> {
    let line_of = |offset: usize| {
        segments.iter().rev().find(|(start, _)| *start <= offset).map_or(segments[0].1, |(_, line)| *line)
    };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map_or(text.len(), |(at, _)| *at);
    let model_line = text.get(..6).is_some_and(|head| head.eq_ignore_ascii_case(".model"))
        && text[6..].starts_with(|c: char| c.is_whitespace() || c == '(');
    let is_separator = |c: char| is_separator(c, model_line);
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let line = line_of(start);
        let unclosed = |open: char, close: char| {
            let token = text[start..].to_string();
            (line, Box::new(ErrorKind::Unclosed { open, close, token }))
        };
        let (kind, next) = match c {
            c if is_separator(c) => {
                i += 1;
                continue;
            }
            '=' => (TokenKind::Equals, i + 1),
            '{' => {
                let close = find_close(&chars, i, '{', '}').ok_or_else(|| unclosed('{', '}'))?;
                (TokenKind::Brace, close + 1)
            }
            '"' | '\'' => {
                let close = (i + 1..chars.len()).find(|&j| chars[j].1 == c).ok_or_else(|| unclosed(c, c))?;
                (TokenKind::Quoted, close + 1)
            }
            '}' | ')' => return Err((line, Box::new(ErrorKind::UnexpectedClose { token: c }))),
            _ => {
                let mut j = i;
                while j < chars.len() {
                    let d = chars[j].1;
                    if is_separator(d) || matches!(d, '=' | '{' | '}' | '"' | '\'' | ')') {
                        break;
                    }
                    if d == '(' {
                        j = find_close(&chars, j, '(', ')').ok_or_else(|| unclosed('(', ')'))?;
                    }
                    j += 1;
                }
                (TokenKind::Word, j)
            }
        };
        tokens.push(Token { text: text[start..end_of(next)].to_string(), kind, line });
        i = next;
    }
    if tokens.is_empty() {
        return Ok(None);
    }
    Ok(Some(LogicalLine { line: segments[0].1, text, tokens }))
}

/// Index of the character closing the group opened at `open_at` (nesting counted).
fn find_close(chars: &[(usize, char)], open_at: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (j, &(_, c)) in chars.iter().enumerate().skip(open_at) {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &LogicalLine) -> Vec<&str> {
        line.tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn title_comments_and_continuations() {
        let source = "My title; not a comment\n* comment\nR1 a b 10k ; inline\n\n+ extra $ gone\n  * indented comment\n+ more\nC1 a 0 1f";
        let (title, lines) = logical_lines(source, true).unwrap();
        assert_eq!(title.as_deref(), Some("My title; not a comment"));
        assert_eq!(lines.len(), 2);
        assert_eq!(texts(&lines[0]), ["R1", "a", "b", "10k", "extra", "more"]);
        let token_lines: Vec<usize> = lines[0].tokens.iter().map(|t| t.line).collect();
        assert_eq!(token_lines, [3, 3, 3, 3, 5, 7]);
        assert_eq!(lines[1].line, 8);
    }

    #[test]
    fn groups_equals_and_commas() {
        let (_, lines) = logical_lines(".ic V(a)=1, v( b ) = {x + 1}\n.include \"a b.cir\"", false).unwrap();
        assert_eq!(texts(&lines[0]), [".ic", "V(a)", "=", "1", "v( b )", "=", "{x + 1}"]);
        assert_eq!(lines[0].tokens[6].kind, TokenKind::Brace);
        assert_eq!(lines[0].tokens[6].content(), "x + 1");
        assert_eq!(lines[1].tokens[1].content(), "a b.cir");
        assert_eq!(lines[1].tokens[1].kind, TokenKind::Quoted);
    }

    #[test]
    fn braces_may_span_continuation_lines() {
        let (_, lines) = logical_lines("V1 a 0 {1 +\n+ 2}", false).unwrap();
        assert_eq!(texts(&lines[0]), ["V1", "a", "0", "{1 + 2}"]);
    }

    #[test]
    fn model_lines_read_parentheses_as_separators() {
        let (_, lines) =
            logical_lines(".MODEL n1 nmos(level=ekv\n+ vto=0.4 )\nM1 a V(b) c d", false).unwrap();
        assert_eq!(texts(&lines[0]), [".MODEL", "n1", "nmos", "level", "=", "ekv", "vto", "=", "0.4"]);
        assert_eq!(lines[0].tokens[6].line, 2);
        assert_eq!(texts(&lines[1]), ["M1", "a", "V(b)", "c", "d"]);
    }

    #[test]
    fn dollar_inside_a_word_is_kept() {
        let (_, lines) = logical_lines("R1 a$b 0 1k $ comment", false).unwrap();
        assert_eq!(texts(&lines[0]), ["R1", "a$b", "0", "1k"]);
    }

    #[test]
    fn lexing_errors_name_the_line() {
        let (line, kind) = logical_lines("t\nR1 a b 1k\nV1 a 0 {1 + 2", true).unwrap_err();
        assert_eq!(line, 3);
        assert!(matches!(*kind, ErrorKind::Unclosed { open: '{', .. }), "{kind}");
        let (line, kind) = logical_lines("+ a b", false).unwrap_err();
        assert_eq!(line, 1);
        assert!(matches!(*kind, ErrorKind::OrphanContinuation { .. }));
        let (line, kind) = logical_lines("t\nR1 a b 1k)", true).unwrap_err();
        assert_eq!(line, 2);
        assert_eq!(*kind, ErrorKind::UnexpectedClose { token: ')' });
        assert!(logical_lines("V1 a 0 PULSE(0 1", false).is_err());
    }

    #[test]
    fn every_logical_line_has_a_token() {
        let (_, lines) = logical_lines(",,,\n, ,\n+ ,\nR1 a 0 1k", false).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(texts(&lines[0]), ["R1", "a", "0", "1k"]);
    }

    #[test]
    fn title_only_and_empty_files() {
        let (title, lines) = logical_lines("", true).unwrap();
        assert_eq!(title, None);
        assert!(lines.is_empty());
        let (title, lines) = logical_lines("\u{feff}R1 a b 1k\r\n", true).unwrap();
        assert_eq!(title.as_deref(), Some("R1 a b 1k"));
        assert!(lines.is_empty());
    }
}

//! Values: SPICE numbers, parameter names and `{...}` expressions.
//!
//! An expression has numbers with SPICE suffixes, parameter names, `+ - * /`, unary minus and
//! parentheses. It is parsed when the line is read (so syntax errors are reported at once) and
//! evaluated once every `.param` is known.

use std::collections::BTreeMap;

use super::error::{ErrorKind, list_names};
use super::lexer::{Token, TokenKind};
use crate::units::{Quantity, ValueError, parse_value};

/// Longest expression, in tokens (keeps evaluation recursion shallow).
const MAX_TOKENS: usize = 1000;
/// Deepest nesting of parentheses and unary signs (keeps parsing recursion shallow).
const MAX_DEPTH: usize = 64;

/// Which unit symbols a number may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Units {
    /// The symbol of this quantity (or none).
    Of(Quantity),
    /// Any symbol pbitsim knows (in `.param`, which has no quantity).
    Any,
}

impl Units {
    fn describe(self) -> &'static str {
        match self {
            Units::Any | Units::Of(Quantity::Dimensionless) => "a number",
            Units::Of(Quantity::Voltage) => "a voltage",
            Units::Of(Quantity::Current) => "a current",
            Units::Of(Quantity::Time) => "a time",
            Units::Of(Quantity::Capacitance) => "a capacitance",
            Units::Of(Quantity::Resistance) => "a resistance",
            Units::Of(Quantity::Length) => "a length",
            Units::Of(Quantity::Frequency) => "a frequency",
        }
    }
}

/// Read a number with `units`.
fn read_number(text: &str, units: Units) -> Result<f64, ValueError> {
    match units {
        Units::Of(quantity) => parse_value(text, quantity),
        Units::Any => parse_value(text, Quantity::Dimensionless).or_else(|mut error| {
            const WITH_UNITS: [Quantity; 7] = [
                Quantity::Voltage,
                Quantity::Current,
                Quantity::Time,
                Quantity::Capacitance,
                Quantity::Resistance,
                Quantity::Length,
                Quantity::Frequency,
            ];
            let any = WITH_UNITS.iter().find_map(|&q| parse_value(text, q).ok());
            any.ok_or_else(|| {
                error.expected = "a number such as 0.8, 10k or 200mV".to_string();
                error.reason = error.reason.replace("nor no unit", "nor a unit symbol (V A s F Ohm m Hz)");
                error
            })
        }),
    }
}

/// Why a value could not be parsed or evaluated; the caller adds the context.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Problem {
    Number(ValueError),
    Syntax(String),
    UnknownParam(String),
    DivisionByZero(String),
    NotFinite(f64),
}

impl Problem {
    /// The error for a value written as `text`, used as `context`.
    pub fn into_kind<'a>(
        self,
        text: &str,
        context: &str,
        units: Units,
        defined: impl Iterator<Item = &'a String>,
    ) -> ErrorKind {
        let (expr, context) = (text.to_string(), context.to_string());
        match self {
            Problem::Number(e) => ErrorKind::BadValue {
                token: e.token,
                what: units.describe().to_string(),
                context,
                reason: e.reason,
                expected: e.expected,
            },
            Problem::Syntax(problem) => ErrorKind::BadExpression { expr, context, problem },
            Problem::UnknownParam(name) => {
                ErrorKind::UnknownParam { name, expr, context, defined: list_names("parameter", defined) }
            }
            Problem::DivisionByZero(divisor) => ErrorKind::DivisionByZero { expr, context, divisor },
            Problem::NotFinite(value) => ErrorKind::NotFinite { expr, context, value },
        }
    }
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// A parsed value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Number(f64),
    /// A parameter: its lower-cased name and its spelling.
    Param(String, String),
    Neg(Box<Expr>),
    /// An operation; the string is the right operand as written (for division by zero).
    Binary(Op, Box<Expr>, Box<Expr>, String),
}

impl Expr {
    /// Parse a value token: `{expr}` or `'expr'`, a bare parameter name or a number; with
    /// `bare_expressions`, a word is read as an expression too (as `.param a=b*2` allows).
    pub fn from_token(token: &Token, units: Units, bare_expressions: bool) -> Result<Expr, Problem> {
        match token.kind {
            TokenKind::Brace | TokenKind::Quoted => Expr::parse(token.content(), units),
            TokenKind::Equals => Err(Problem::Syntax("expected a value, found '='".to_string())),
            TokenKind::Word if bare_expressions => Expr::parse(&token.text, units),
            TokenKind::Word if is_identifier(&token.text) => {
                Ok(Expr::Param(token.text.to_lowercase(), token.text.clone()))
            }
            TokenKind::Word => read_number(&token.text, units).map(Expr::Number).map_err(|e| {
                let operator = token.text.char_indices().skip(1).any(|(_, c)| "*/+-(".contains(c));
                if operator && Expr::parse(&token.text, units).is_ok() {
                    Problem::Syntax(format!("write expressions in braces, such as {{{}}}", token.text))
                } else {
                    Problem::Number(e)
                }
            }),
        }
    }

    /// Parse an expression.
    pub fn parse(text: &str, units: Units) -> Result<Expr, Problem> {
        let tokens = lex(text)?;
        if tokens.len() > MAX_TOKENS {
            return Err(Problem::Syntax(format!("longer than {MAX_TOKENS} tokens")));
        }
        let mut parser = Parser { text, tokens, at: 0, depth: 0, units };
        let (expr, _) = parser.sum()?;
        match parser.tokens.get(parser.at) {
            None => Ok(expr),
            Some(t) => Err(Problem::Syntax(format!(
                "unexpected '{}' after a complete expression: expected an operator + - * /",
                &text[t.start..t.end]
            ))),
        }
    }

    /// Append the lower-cased names of the parameters this value uses.
    pub fn params(&self, out: &mut Vec<String>) {
        match self {
            Expr::Number(_) => {}
            Expr::Param(name, _) => out.push(name.clone()),
            Expr::Neg(inner) => inner.params(out),
            Expr::Binary(_, a, b, _) => {
                a.params(out);
                b.params(out);
            }
        }
    }

    /// Evaluate with the resolved parameters.
    pub fn eval(&self, params: &BTreeMap<String, f64>) -> Result<f64, Problem> {
        let value = self.eval_inner(params)?;
        if value.is_finite() { Ok(value) } else { Err(Problem::NotFinite(value)) }
    }

    fn eval_inner(&self, params: &BTreeMap<String, f64>) -> Result<f64, Problem> {
        Ok(match self {
            Expr::Number(x) => *x,
            Expr::Param(name, spelled) => {
                *params.get(name).ok_or_else(|| Problem::UnknownParam(spelled.clone()))?
            }
            Expr::Neg(inner) => -inner.eval_inner(params)?,
            Expr::Binary(op, a, b, b_text) => {
                let (a, b) = (a.eval_inner(params)?, b.eval_inner(params)?);
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div if b == 0.0 => return Err(Problem::DivisionByZero(b_text.clone())),
                    Op::Div => a / b,
                }
            }
        })
    }
}

/// A name a parameter may have: a letter or `_`, then letters, digits and `_`.
pub(super) fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lexeme {
    Number,
    Name,
    Op(char),
    Open,
    Close,
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    lexeme: Lexeme,
    start: usize,
    end: usize,
}

fn lex(text: &str) -> Result<Vec<Piece>, Problem> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map_or(text.len(), |(b, _)| *b);
    let char_at = |i: usize| chars.get(i).map(|(_, c)| *c);
    let digit_at = |i: usize| char_at(i).is_some_and(|c| c.is_ascii_digit());
    let mut pieces = Vec::new();
    let mut i = 0;
    while let Some(c) = char_at(i) {
        let start = i;
        let lexeme = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_digit() || (c == '.' && digit_at(i + 1)) {
            while char_at(i).is_some_and(|c| c.is_ascii_digit() || c == '.') {
                i += 1;
            }
            if matches!(char_at(i), Some('e' | 'E')) {
                let sign = usize::from(matches!(char_at(i + 1), Some('+' | '-')));
                if digit_at(i + 1 + sign) {
                    i += 1 + sign;
                }
            }
            while char_at(i).is_some_and(char::is_alphanumeric) || char_at(i) == Some('.') {
                i += 1;
            }
            Lexeme::Number
        } else if c.is_ascii_alphabetic() || c == '_' {
            while char_at(i).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                i += 1;
            }
            Lexeme::Name
        } else {
            i += 1;
            match c {
                '+' | '-' | '*' | '/' => Lexeme::Op(c),
                '(' => Lexeme::Open,
                ')' => Lexeme::Close,
                _ => {
                    return Err(Problem::Syntax(format!(
                        "unexpected character '{c}': expected numbers, parameter names, + - * / and parentheses"
                    )));
                }
            }
        };
        pieces.push(Piece { lexeme, start: at(start), end: at(i) });
    }
    Ok(pieces)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Piece>,
    /// Current nesting of parentheses and unary signs.
    depth: usize,
    at: usize,
    units: Units,
}

/// A parsed sub-expression and the byte range it covers.
type Parsed = (Expr, (usize, usize));

impl Parser<'_> {
    fn peek_op(&self, ops: &str) -> Option<char> {
        match self.tokens.get(self.at)?.lexeme {
            Lexeme::Op(c) if ops.contains(c) => Some(c),
            _ => None,
        }
    }

    fn binary(
        &mut self,
        ops: &str,
        operand: fn(&mut Self) -> Result<Parsed, Problem>,
    ) -> Result<Parsed, Problem> {
        let (mut expr, (start, mut end)) = operand(self)?;
        while let Some(op) = self.peek_op(ops) {
            self.at += 1;
            let (rhs, (rhs_start, rhs_end)) = operand(self)?;
            let op = match op {
                '+' => Op::Add,
                '-' => Op::Sub,
                '*' => Op::Mul,
                _ => Op::Div,
            };
            let rhs_text = self.text[rhs_start..rhs_end].to_string();
            expr = Expr::Binary(op, Box::new(expr), Box::new(rhs), rhs_text);
            end = rhs_end;
        }
        Ok((expr, (start, end)))
    }

    fn sum(&mut self) -> Result<Parsed, Problem> {
        self.binary("+-", Self::product)
    }

    fn product(&mut self) -> Result<Parsed, Problem> {
        self.binary("*/", Self::unary)
    }

    /// Count one more level of nesting, refusing absurd depths.
    fn nest(&mut self) -> Result<(), Problem> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Problem::Syntax(format!("nested deeper than {MAX_DEPTH} parentheses or signs")));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Parsed, Problem> {
        if let Some(op) = self.peek_op("+-") {
            let start = self.tokens[self.at].start;
            self.at += 1;
            self.nest()?;
            let (inner, (_, end)) = self.unary()?;
            self.depth -= 1;
            let expr = if op == '-' { Expr::Neg(Box::new(inner)) } else { inner };
            return Ok((expr, (start, end)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Parsed, Problem> {
        let after = match self.at.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(t) => format!("after '{}'", &self.text[t.start..t.end]),
            None => "at the start".to_string(),
        };
        let Some(&piece) = self.tokens.get(self.at) else {
            return Err(Problem::Syntax(format!(
                "expected a number, a parameter name or '(' {after}, found the end"
            )));
        };
        self.at += 1;
        let span = (piece.start, piece.end);
        let word = &self.text[piece.start..piece.end];
        match piece.lexeme {
            Lexeme::Number => {
                read_number(word, self.units).map(|x| (Expr::Number(x), span)).map_err(Problem::Number)
            }
            Lexeme::Name if self.tokens.get(self.at).is_some_and(|t| t.lexeme == Lexeme::Open) => {
                Err(Problem::Syntax(format!(
                    "'{word}(' looks like a function call: pbitsim expressions have no functions"
                )))
            }
            Lexeme::Name => Ok((Expr::Param(word.to_lowercase(), word.to_string()), span)),
            Lexeme::Open => {
                self.nest()?;
                let (inner, _) = self.sum()?;
                self.depth -= 1;
                match self.tokens.get(self.at) {
                    Some(t) if t.lexeme == Lexeme::Close => {
                        self.at += 1;
                        Ok((inner, (piece.start, t.end)))
                    }
                    _ => Err(Problem::Syntax(format!(
                        "'(' at '{}' is never closed: expected ')'",
                        &self.text[piece.start..]
                    ))),
                }
            }
            Lexeme::Op(_) | Lexeme::Close => Err(Problem::Syntax(format!(
                "expected a number, a parameter name or '(' {after}, found '{word}'"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, params: &[(&str, f64)]) -> Result<f64, Problem> {
        let params = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        Expr::parse(text, Units::Any)?.eval(&params)
    }

    #[test]
    fn precedence_associativity_and_suffixes() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-30);
        assert!(close(eval("vdd/2 + 10m", &[("vdd", 0.8)]).unwrap(), 0.41));
        assert!(close(eval("1 - 2 - 3", &[]).unwrap(), -4.0));
        assert!(close(eval("8 / 4 / 2", &[]).unwrap(), 1.0));
        assert!(close(eval("2 * (3 + 4)", &[]).unwrap(), 14.0));
        assert!(close(eval("-x * -2", &[("x", 3.0)]).unwrap(), 6.0));
        assert!(close(eval("1e-3 + 1E+3", &[]).unwrap(), 1000.001));
        assert!(close(eval("1meg/1k", &[]).unwrap(), 1000.0));
        assert!(close(eval("200mV*2", &[]).unwrap(), 0.4));
        assert!(close(eval(".5u", &[]).unwrap(), 0.5e-6));
        assert!(close(eval("--1", &[]).unwrap(), 1.0));
    }

    #[test]
    fn errors_name_the_token() {
        let Err(Problem::UnknownParam(name)) = eval("VDX/2", &[("vdd", 0.8)]) else {
            panic!("expected an unknown parameter")
        };
        assert_eq!(name, "VDX");
        let Err(Problem::DivisionByZero(divisor)) = eval("1/(a - a)", &[("a", 1.0)]) else {
            panic!("expected division by zero")
        };
        assert_eq!(divisor, "(a - a)");
        for (text, token) in [
            ("1 +", "'+'"),
            ("(1 + 2", "'('"),
            ("1 2", "'2'"),
            ("1 # 2", "'#'"),
            ("sqrt(2)", "sqrt("),
            ("* 2", "'*'"),
        ] {
            let Err(Problem::Syntax(message)) = eval(text, &[]) else {
                panic!("'{text}' should be a syntax error")
            };
            assert!(message.contains(token), "{text}: {message}");
        }
        let Err(Problem::Number(e)) = eval("1.2.3f + 1", &[]) else { panic!("expected a bad number") };
        assert_eq!(e.token, "1.2.3f");
        assert!(matches!(eval("1e300 * 1e300", &[]), Err(Problem::NotFinite(_))));
    }

    #[test]
    fn quantities_restrict_unit_symbols() {
        let params = BTreeMap::new();
        let farads = Expr::parse("2 * 1fF", Units::Of(Quantity::Capacitance)).unwrap();
        assert!((farads.eval(&params).unwrap() - 2e-15).abs() < 1e-27);
        assert!(Expr::parse("1V", Units::Of(Quantity::Capacitance)).is_err());
        assert!(Expr::parse("1V + 1ohm", Units::Any).is_ok());
    }

    #[test]
    fn long_expressions_are_refused_not_overflowed() {
        let text = vec!["1"; 5000].join("+");
        assert!(matches!(Expr::parse(&text, Units::Any), Err(Problem::Syntax(_))));
        let nested = |depth: usize| format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
        assert_eq!(eval(&nested(MAX_DEPTH), &[]).unwrap(), 1.0);
        assert!(matches!(eval(&nested(400), &[]), Err(Problem::Syntax(_))));
        assert!(matches!(eval(&"-".repeat(400), &[]), Err(Problem::Syntax(_))));
    }
}

//! Reading graphs, couplings and fields from CSV.
//!
//! - `edges.csv`: rows `i,j,J` (cell indices from 0, coupling J).
//! - `fields.csv`: rows `i,h` (Ising, Gaussian) or `i,h_0,...,h_{q-1}` (q-state Potts).
//!
//! A first line whose first token is not a number is a header and is skipped; blank lines and
//! lines starting with `#` are ignored. Self loops (`i,i`) and duplicate edges (`i,j` twice,
//! in either order) are errors naming both lines: a self coupling is a constant for spins and
//! a duplicate is almost always a mistake, so neither is silently summed. A field given twice
//! for the same cell is an error too. Cells never named get field 0.

use crate::chip::error::ChipError;
use std::collections::HashMap;
use std::path::Path;

/// A graph read from `edges.csv`: number of cells (largest index + 1), edges, couplings.
#[derive(Debug, Clone)]
pub struct EdgeList {
    pub cells: usize,
    pub edges: Vec<(u32, u32)>,
    pub couplings: Vec<f32>,
    /// Line number of each edge, for later messages.
    pub lines: Vec<usize>,
}

fn read(path: &Path) -> Result<String, ChipError> {
    std::fs::read_to_string(path).map_err(|e| ChipError::io(path, e))
}

/// The data lines of a CSV text: (1-based line number, tokens).
fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(k, line)| {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            return None;
        }
        let tokens: Vec<&str> = t.split(',').map(str::trim).collect();
        if k == 0 && tokens[0].parse::<f64>().is_err() {
            return None; // header
        }
        Some((k + 1, tokens))
    })
}

fn csv_err(file: &Path, line: usize, token: impl AsRef<str>, message: impl Into<String>) -> ChipError {
    ChipError::Csv {
        file: file.display().to_string(),
        line,
        token: token.as_ref().to_string(),
        message: message.into(),
    }
}

/// Largest number of cells a graph file may name (2^24, a 4096 x 4096 chip): checked on
/// every index before anything is allocated by it, so that a typo such as 4000000000 is an
/// error, not an allocation of tens of gigabytes.
pub const MAX_GRAPH_CELLS: u32 = 1 << 24;

fn index(file: &Path, line: usize, tok: &str) -> Result<u32, ChipError> {
    let i = tok
        .parse::<u32>()
        .ok()
        .filter(|&i| i < u32::MAX)
        .ok_or_else(|| csv_err(file, line, tok, "expected a cell index (integer >= 0)"))?;
    if i >= MAX_GRAPH_CELLS {
        return Err(csv_err(
            file,
            line,
            tok,
            format!(
                "cell index beyond the largest graph pbitsim builds ({MAX_GRAPH_CELLS} cells, indices from 0)"
            ),
        ));
    }
    Ok(i)
}

fn number(file: &Path, line: usize, tok: &str, what: &str) -> Result<f32, ChipError> {
    tok.parse::<f32>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| csv_err(file, line, tok, format!("expected a finite number ({what})")))
}

/// Reads `edges.csv` (rows `i,j,J`).
pub fn read_edges(path: &Path) -> Result<EdgeList, ChipError> {
    parse_edges(path, &read(path)?)
}

/// Parses the text of an edges file; `path` is used in messages only.
pub fn parse_edges(path: &Path, text: &str) -> Result<EdgeList, ChipError> {
    let mut seen: HashMap<(u32, u32), usize> = HashMap::new();
    let mut out = EdgeList { cells: 0, edges: vec![], couplings: vec![], lines: vec![] };
    for (line, tok) in rows(text) {
        if tok.len() != 3 {
            return Err(csv_err(
                path,
                line,
                tok.join(","),
                format!("expected 3 columns i,j,J, found {}", tok.len()),
            ));
        }
        let i = index(path, line, tok[0])?;
        let j = index(path, line, tok[1])?;
        let jv = number(path, line, tok[2], "coupling J")?;
        if i == j {
            return Err(csv_err(path, line, tok[1], "self loop: a cell cannot couple to itself"));
        }
        let key = (i.min(j), i.max(j));
        if let Some(first) = seen.insert(key, line) {
            return Err(csv_err(
                path,
                line,
                format!("{i},{j}"),
                format!("duplicate edge (first given at line {first})"),
            ));
        }
        out.cells = out.cells.max(i.max(j) as usize + 1);
        out.edges.push((i, j));
        out.couplings.push(jv);
        out.lines.push(line);
    }
    Ok(out)
}

/// Per-cell fields read from `fields.csv`: `(cell, values)` with `width` values per row.
pub fn read_fields(path: &Path, width: usize) -> Result<Vec<(u32, Vec<f32>)>, ChipError> {
    parse_fields(path, &read(path)?, width)
}

/// Parses the text of a fields file with `width` values after the index.
pub fn parse_fields(path: &Path, text: &str, width: usize) -> Result<Vec<(u32, Vec<f32>)>, ChipError> {
    let mut seen: HashMap<u32, usize> = HashMap::new();
    let mut out = vec![];
    for (line, tok) in rows(text) {
        if tok.len() != width + 1 {
            let expected = if width == 1 {
                "i,h".to_string()
            } else {
                format!("i,h_0,...,h_{} (one field per Potts state)", width - 1)
            };
            return Err(csv_err(
                path,
                line,
                tok.join(","),
                format!("expected {} columns {expected}, found {}", width + 1, tok.len()),
            ));
        }
        let i = index(path, line, tok[0])?;
        if let Some(first) = seen.insert(i, line) {
            return Err(csv_err(
                path,
                line,
                tok[0],
                format!("field of cell {i} given twice (first at line {first})"),
            ));
        }
        let vals =
            tok[1..].iter().map(|t| number(path, line, t, "field h")).collect::<Result<Vec<_>, _>>()?;
        out.push((i, vals));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_comments_and_errors() {
        let p = Path::new("e.csv");
        let g = parse_edges(p, "i,j,J\n0,1,0.5\n# c\n\n1,2,-1\n").unwrap();
        assert_eq!(g.cells, 3);
        assert_eq!(g.edges, vec![(0, 1), (1, 2)]);
        let e = parse_edges(p, "0,1,0.5\n1,0,2\n").unwrap_err().to_string();
        assert!(e.contains("e.csv:2") && e.contains("duplicate") && e.contains("line 1"), "{e}");
        let e = parse_edges(p, "0,0,1\n").unwrap_err().to_string();
        assert!(e.contains("self loop"), "{e}");
        let e = parse_edges(p, "0,1,x\n").unwrap_err().to_string();
        assert!(e.contains("e.csv:1") && e.contains("`x`"), "{e}");
        let e = parse_edges(p, "0,4000000000,1\n").unwrap_err().to_string();
        assert!(e.contains("e.csv:1") && e.contains("4000000000") && e.contains("largest graph"), "{e}");
        let e = parse_fields(p, "1000000000,0.5\n", 1).unwrap_err().to_string();
        assert!(e.contains("e.csv:1") && e.contains("largest graph"), "{e}");
        let f = parse_fields(p, "3,0.25\n", 1).unwrap();
        assert_eq!(f, vec![(3, vec![0.25])]);
        assert!(parse_fields(p, "3,0.25\n", 3).is_err());
    }
}

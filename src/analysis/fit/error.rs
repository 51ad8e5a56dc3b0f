//! Errors of the fits. Each message names the fit, says what failed, and lists the data that
//! defeated it (at most [`SHOWN`] items, then a count of the rest).

use std::fmt::Display;

/// How many points or samples an error message lists before eliding the rest.
pub const SHOWN: usize = 40;

/// A fit that could not produce a meaningful result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// Fewer points than the parameters plus one degree of freedom.
    #[error("{fit} fit: too few points: needs at least {needed}, got {got}; data: {data}")]
    TooFewPoints { fit: &'static str, needed: usize, got: usize, data: String },
    /// A point with a non-finite value, a probability out of range, or a bad standard error.
    #[error("{fit} fit: point {index} is invalid: {problem}; data: {data}")]
    InvalidPoint { fit: &'static str, index: usize, problem: String, data: String },
    /// The data cannot determine the parameters (singular normal matrix, all probabilities 0
    /// or 1, all abscissae equal, ...).
    #[error("{fit} fit: the data cannot determine the parameters: {reason}; data: {data}")]
    Undetermined { fit: &'static str, reason: String, data: String },
    /// The iteration did not converge.
    #[error("{fit} fit: did not converge after {iterations} iterations: {reason}; data: {data}")]
    NoConvergence { fit: &'static str, iterations: usize, reason: String, data: String },
    /// A mixture component collapsed (too few samples, or its variance reached the floor) in
    /// every start.
    #[error("{fit} fit: a component collapsed in every start: {reason}; data: {data}")]
    Collapsed { fit: &'static str, reason: String, data: String },
    /// The likelihood is not finite.
    #[error("{fit} fit: the log-likelihood is not finite: {reason}; data: {data}")]
    NonFinite { fit: &'static str, reason: String, data: String },
}

/// A number in a short, exact form: plain decimals for ordinary magnitudes, otherwise
/// scientific notation (both round-trip).
pub(crate) fn num(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || (1e-4..1e7).contains(&a) || !v.is_finite() { format!("{v}") } else { format!("{v:e}") }
}

/// A list of items, eliding all but the first [`SHOWN`].
pub(crate) fn list<T: Display>(items: impl ExactSizeIterator<Item = T>) -> String {
    let n = items.len();
    let mut text = String::from("[");
    for (i, item) in items.enumerate().take(SHOWN) {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&item.to_string());
    }
    if n > SHOWN {
        text.push_str(&format!(", ... ({} more, {n} in all)", n - SHOWN));
    }
    text.push(']');
    text
}

/// A list of samples with their count and range.
pub(crate) fn samples(values: &[f64]) -> String {
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
    format!(
        "{} samples in [{}, {}]: {}",
        values.len(),
        num(lo),
        num(hi),
        list(values.iter().map(|&v| num(v)))
    )
}

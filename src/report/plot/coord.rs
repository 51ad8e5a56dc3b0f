//! One coordinate type for linear and log axes, with readable ticks and tick labels.
//!
//! A single concrete type keeps the drawing code free of the four linear/log combinations
//! that plotters' own coordinate types would need.

use plotters::coord::ranged1d::{KeyPointHint, KeyPointWeight, NoDefaultFormatting, Ranged, ValueFormatter};
use std::ops::Range;

/// A validated axis range (finite, `low < high`, positive when `log`) in display units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AxisCoord {
    pub low: f64,
    pub high: f64,
    pub log: bool,
}

impl AxisCoord {
    /// Position of `value` as a fraction of the axis (0 at `low`, 1 at `high`), linear in
    /// pixels.
    pub fn fraction(&self, value: f64) -> f64 {
        if self.log {
            let (l, h) = (self.low.log10(), self.high.log10());
            (value.log10() - l) / (h - l)
        } else {
            (value - self.low) / (self.high - self.low)
        }
    }

    /// The value at a fraction of the axis; the inverse of [`fraction`](Self::fraction).
    pub fn value_at(&self, fraction: f64) -> f64 {
        if self.log {
            let (l, h) = (self.low.log10(), self.high.log10());
            10f64.powf(l + fraction * (h - l))
        } else {
            self.low + fraction * (self.high - self.low)
        }
    }
}

impl Ranged for AxisCoord {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1) - f64::from(limit.0);
        // Saturating cast: far-off values (and NaN, which never reaches here) stay finite.
        (f64::from(limit.0) + self.fraction(*value) * span).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let max = hint.max_num_points();
        if self.log {
            let minor = matches!(hint.weight(), KeyPointWeight::Any);
            log_ticks(self.low, self.high, max, minor)
        } else {
            linear_ticks(self.low, self.high, max)
        }
    }

    fn range(&self) -> Range<f64> {
        self.low..self.high
    }
}

impl ValueFormatter<f64> for AxisCoord {
    fn format_ext(&self, value: &f64) -> String {
        format_tick(*value, self.high - self.low, self.log)
    }
}

/// Ticks at multiples of 1, 2 or 5 times a power of ten: at most `max` of them in
/// `[low, high]`.
pub(crate) fn linear_ticks(low: f64, high: f64, max: usize) -> Vec<f64> {
    if max == 0 || high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) {
        return Vec::new();
    }
    let span = high - low;
    let mut magnitude = 10f64.powf((span / max as f64).log10().floor());
    // Each pass multiplies the step by ten; 40 passes cover any finite span.
    for _ in 0..40 {
        if !(magnitude > 0.0 && magnitude.is_finite()) {
            break;
        }
        for m in [1.0, 2.0, 5.0] {
            let step = m * magnitude;
            // The slack keeps ticks on the ends despite rounding (0.6 / 0.05 = 11.99...).
            let first = (low / step - 1e-9).ceil();
            let last = (high / step + 1e-9).floor();
            if last - first + 1.0 <= max as f64 {
                return (first as i64..=last as i64).map(|k| k as f64 * step).collect();
            }
        }
        magnitude *= 10.0;
    }
    Vec::new()
}

/// Decade ticks for a log axis; with `minor`, or when fewer than two decades are visible,
/// also 2..9 times each decade. Falls back to linear ticks inside a single decade.
pub(crate) fn log_ticks(low: f64, high: f64, max: usize, minor: bool) -> Vec<f64> {
    if max == 0 || low <= 0.0 || high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) {
        return Vec::new();
    }
    let first = low.log10().floor() as i32;
    let last = high.log10().ceil() as i32;
    let decades = (last - first) as usize;
    let within = |v: &f64| *v >= low * (1.0 - 1e-12) && *v <= high * (1.0 + 1e-12);
    let multiples: &[f64] =
        if minor || decades <= 2 { &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0] } else { &[1.0] };
    for set in [multiples, &[1.0, 2.0, 5.0][..], &[1.0][..]] {
        let ticks: Vec<f64> =
            (first..=last).flat_map(|e| set.iter().map(move |m| m * 10f64.powi(e))).filter(within).collect();
        if ticks.len() <= max && ticks.len() >= 2 {
            return ticks;
        }
    }
    let decade_ticks = (first..=last).map(|e| 10f64.powi(e)).filter(within);
    let count = decade_ticks.clone().count();
    if count < 2 {
        return linear_ticks(low, high, max);
    }
    let stride = count.div_ceil(max).max(1);
    decade_ticks.step_by(stride).collect()
}

/// A tick label: plain decimals sized to the axis span for linear axes, exponent notation
/// for magnitudes outside 1e-3..1e5, and no float noise (`0.30000000000000004` is `0.3`).
pub(crate) fn format_tick(value: f64, span: f64, log: bool) -> String {
    if value == 0.0 {
        return "0".to_string();
    }
    let magnitude = value.abs();
    // Round to 12 significant digits, then print the shortest text for that.
    let clean: f64 = format!("{value:.11e}").parse().unwrap_or(value);
    // Log axes switch to exponents sooner: their ticks are mostly powers of ten.
    let plain = if log { 1e-2..1e4 } else { 1e-3..1e5 };
    if !plain.contains(&magnitude) {
        return format!("{clean:e}");
    }
    if log {
        return format!("{clean}");
    }
    // Enough decimals to tell ticks a hundredth of the span apart, trailing zeros removed.
    let decimals = (-(span / 100.0).log10().floor()).clamp(0.0, 12.0) as usize;
    let text = format!("{clean:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round_and_bounded() {
        assert_eq!(linear_ticks(0.0, 2.0, 10), vec![0.0, 0.5, 1.0, 1.5, 2.0]);
        let ticks = linear_ticks(0.0, 2.0, 11);
        assert_eq!(ticks.len(), 11);
        assert!((ticks[3] - 0.6).abs() < 1e-12);
        assert_eq!(linear_ticks(0.4, 0.6, 5).len(), 5, "both ends kept");
        for (low, high, max) in [(-3.7, 12.1, 5), (0.0, 1e-9, 4), (99.0, 101.0, 3), (0.0, 1.0, 1)] {
            let ticks = linear_ticks(low, high, max);
            assert!(!ticks.is_empty() && ticks.len() <= max, "{low}..{high}: {ticks:?}");
            let slack = 1e-9 * (high - low);
            assert!(ticks.iter().all(|t| *t >= low - slack && *t <= high + slack));
        }
    }

    #[test]
    fn log_ticks_fall_on_decades() {
        assert_eq!(log_ticks(1.0, 1000.0, 10, false), vec![1.0, 10.0, 100.0, 1000.0]);
        let wide = log_ticks(1e-12, 1e12, 6, false);
        assert!(wide.len() <= 6 && wide.len() >= 2, "{wide:?}");
        let narrow = log_ticks(2.0, 8.0, 10, false);
        assert!(narrow.len() >= 2 && narrow.iter().all(|t| (2.0..=8.0).contains(t)));
    }

    #[test]
    fn tick_labels_are_clean() {
        assert_eq!(format_tick(0.1 + 0.2, 1.0, false), "0.3");
        assert_eq!(format_tick(1.5, 2.0, false), "1.5");
        assert_eq!(format_tick(2.0, 2.0, false), "2");
        assert_eq!(format_tick(250.0, 1000.0, false), "250");
        assert_eq!(format_tick(1e-6, 1.0, true), "1e-6");
        assert_eq!(format_tick(100.0, 1000.0, true), "100");
        assert_eq!(format_tick(1e4, 1e5, true), "1e4");
        assert_eq!(format_tick(1e4, 1e5, false), "10000");
        assert_eq!(format_tick(2e6, 1e7, false), "2e6");
        assert_eq!(format_tick(-1e-17, 1.0, false), "-1e-17");
    }
}

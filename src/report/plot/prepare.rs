//! Validation of a figure and the layout decisions made before drawing: axis ranges,
//! engineering prefixes and the scale applied to the data.

use super::coord::AxisCoord;
use super::{Axis, Figure, Panel, PlotError, Scale, Series, SeriesId, Style};

/// Smallest and largest accepted image side, in pixels.
pub(crate) const MIN_SIDE: u32 = 16;
/// Largest accepted image side, in pixels.
pub(crate) const MAX_SIDE: u32 = 16384;

/// One axis ready to draw: its range in display units, the divisor that takes data there,
/// and its title with the unit.
#[derive(Debug, Clone)]
pub(crate) struct PreparedAxis {
    pub coord: AxisCoord,
    pub divisor: f64,
    pub title: String,
}

/// A validated panel and its two prepared axes.
#[derive(Debug, Clone)]
pub(crate) struct PreparedPanel<'a> {
    pub panel: &'a Panel,
    pub x: PreparedAxis,
    pub y: PreparedAxis,
}

/// Check the size of an image.
pub(crate) fn check_size(width: u32, height: u32) -> Result<(), PlotError> {
    let ok = |side: u32| (MIN_SIDE..=MAX_SIDE).contains(&side);
    if ok(width) && ok(height) { Ok(()) } else { Err(PlotError::Size { width, height }) }
}

/// Validate every series and decide every axis.
pub(crate) fn prepare(figure: &Figure) -> Result<Vec<PreparedPanel<'_>>, PlotError> {
    check_size(figure.width, figure.height)?;
    if figure.panels.is_empty() {
        return Err(PlotError::NoPanels);
    }
    let (min_width, min_height) = super::draw::min_size(figure);
    if figure.width < min_width || figure.height < min_height {
        return Err(PlotError::TooSmall {
            width: figure.width,
            height: figure.height,
            min_width,
            min_height,
        });
    }
    for (p, panel) in figure.panels.iter().enumerate() {
        for (s, series) in panel.series.iter().enumerate() {
            validate_series(panel, series, &SeriesId::new(p, panel, s, series))?;
        }
    }
    let shared_x = if figure.share_x {
        let extent = figure.panels.iter().filter_map(x_extent).reduce(union);
        let range = figure.panels.iter().find_map(|panel| panel.x.range);
        Some((extent, range))
    } else {
        None
    };
    figure
        .panels
        .iter()
        .enumerate()
        .map(|(p, panel)| {
            let (x_data, x_range) = shared_x.unwrap_or((x_extent(panel), panel.x.range));
            Ok(PreparedPanel {
                panel,
                x: prepare_axis(p, panel, "x", &panel.x, x_data, x_range)?,
                y: prepare_axis(p, panel, "y", &panel.y, y_extent(panel), panel.y.range)?,
            })
        })
        .collect()
}

fn validate_series(panel: &Panel, series: &Series, id: &SeriesId) -> Result<(), PlotError> {
    let n = series.x.len();
    let length =
        |what: &'static str, found: usize| PlotError::Length { series: id.clone(), what, expected: n, found };
    if series.y.len() != n {
        return Err(length("y", series.y.len()));
    }
    let needs_err = matches!(series.style, Style::PointsWithErrorBars | Style::Band);
    match &series.y_err {
        Some(err) if err.len() != n => return Err(length("y_err", err.len())),
        None if needs_err => {
            return Err(PlotError::MissingErrors { series: id.clone(), style: series.style });
        }
        _ => {}
    }
    let finite = |field: &'static str, values: &[f64]| match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(PlotError::NonFinite { series: id.clone(), field, index, value: values[index] }),
        None => Ok(()),
    };
    finite("x", &series.x)?;
    finite("y", &series.y)?;
    if let Some(err) = &series.y_err {
        finite("y_err", err)?;
        if let Some(index) = err.iter().position(|e| *e < 0.0) {
            return Err(PlotError::NegativeError { series: id.clone(), index, value: err[index] });
        }
    }
    let positive =
        |field: &'static str, axis: &'static str, values: &mut dyn Iterator<Item = f64>| match values
            .enumerate()
            .find(|(_, v)| *v <= 0.0)
        {
            Some((index, value)) => {
                Err(PlotError::NotPositive { series: id.clone(), field, axis, index, value })
            }
            None => Ok(()),
        };
    if panel.x.scale == Scale::Log {
        positive("x", "x", &mut series.x.iter().copied())?;
    }
    if panel.y.scale == Scale::Log {
        positive("y", "y", &mut series.y.iter().copied())?;
        if let (true, Some(err)) = (needs_err, &series.y_err) {
            let lower = series.y.iter().zip(err).map(|(y, e)| y - e);
            positive("y - y_err", "y", &mut lower.into_iter())?;
        }
    }
    Ok(())
}

fn union(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0.min(b.0), a.1.max(b.1))
}

fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.map(|v| (v, v)).reduce(union)
}

fn x_extent(panel: &Panel) -> Option<(f64, f64)> {
    extent(panel.series.iter().flat_map(|s| s.x.iter().copied()))
}

/// The vertical extent, including error bars and bands.
fn y_extent(panel: &Panel) -> Option<(f64, f64)> {
    let spans = panel.series.iter().flat_map(|s| {
        let err = match s.style {
            Style::PointsWithErrorBars | Style::Band => s.y_err.as_deref(),
            _ => None,
        };
        s.y.iter().enumerate().map(move |(i, &y)| err.map_or((y, y), |e| (y - e[i], y + e[i])))
    });
    spans.reduce(union)
}

/// Fraction of the data span left empty at each end of a fitted axis.
const MARGIN: f64 = 0.04;

fn prepare_axis(
    p: usize,
    panel: &Panel,
    name: &'static str,
    axis: &Axis,
    data: Option<(f64, f64)>,
    fixed: Option<(f64, f64)>,
) -> Result<PreparedAxis, PlotError> {
    let log = axis.scale == Scale::Log;
    let (low, high) = match fixed {
        Some(range) => range,
        None => fit(data, log),
    };
    let valid = low < high && (high - low).is_finite() && (!log || low > 0.0);
    if !valid {
        return Err(PlotError::Range { panel: p, panel_title: panel.title.clone(), axis: name, low, high });
    }
    // The prefix follows the values shown, not the margin around them.
    let (a, b) = fixed.or(data).unwrap_or((low, high));
    let (divisor, title) = axis.display_range(a.abs().min(b.abs()), a.abs().max(b.abs()));
    let coord = AxisCoord { low: low / divisor, high: high / divisor, log };
    Ok(PreparedAxis { coord, divisor, title })
}

/// A range around the data with a small margin; a sensible default without data, and a
/// non-empty one when all values are equal.
fn fit(data: Option<(f64, f64)>, log: bool) -> (f64, f64) {
    if log {
        let Some((low, high)) = data else {
            return (1.0, 10.0);
        };
        let (l, h) = (low.log10(), high.log10());
        let pad = if h - l > 1e-9 { (h - l) * MARGIN } else { 0.5 };
        (10f64.powf(l - pad), 10f64.powf(h + pad))
    } else {
        let Some((low, high)) = data else {
            return (0.0, 1.0);
        };
        let scale = low.abs().max(high.abs());
        if high - low <= 1e-9 * scale || high == low {
            let half = if scale > 0.0 { 0.5 * scale } else { 1.0 };
            (low - half, high + half)
        } else {
            let pad = (high - low) * MARGIN;
            (low - pad, high + pad)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn fitted_ranges_contain_the_data() {
        assert_eq!(fit(None, false), (0.0, 1.0));
        let (l, h) = fit(Some((0.0, 2e-6)), false);
        assert!(l < 0.0 && l > -1e-7 && h > 2e-6 && h < 2.1e-6);
        let (l, h) = fit(Some((3.0, 3.0)), false);
        assert!(l < 3.0 && h > 3.0);
        let (l, h) = fit(Some((0.0, 0.0)), false);
        assert!(l < 0.0 && h > 0.0);
        let (l, h) = fit(Some((1e-3, 1e3)), true);
        assert!(l < 1e-3 && l > 0.0 && h > 1e3);
        let (l, h) = fit(Some((5.0, 5.0)), true);
        assert!(l < 5.0 && l > 0.0 && h > 5.0);
    }
}

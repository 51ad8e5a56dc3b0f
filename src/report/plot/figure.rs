//! The declarative description of a plot: figure, panels, axes, series.

use super::Rgb;
use crate::units::engineering_prefix;

/// A whole image: an optional title over panels stacked vertically.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Title drawn across the top; empty for none.
    pub title: String,
    /// Panels, top to bottom, each taking an equal share of the height.
    pub panels: Vec<Panel>,
    /// Width in pixels (SVG user units).
    pub width: u32,
    /// Height in pixels (SVG user units).
    pub height: u32,
    /// Give every panel the same x range (the union of their data or the first override),
    /// e.g. for traces of several signals over the same time.
    pub share_x: bool,
}

impl Figure {
    /// A figure with a title, no panels, 900 x 600 pixels, independent x axes.
    pub fn new(title: impl Into<String>) -> Self {
        Figure { title: title.into(), panels: Vec::new(), width: 900, height: 600, share_x: false }
    }

    /// Add a panel below the existing ones.
    pub fn panel(mut self, panel: Panel) -> Self {
        self.panels.push(panel);
        self
    }

    /// Set the size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.width = width;
        self.height = height;
        self
    }

    /// Share the x range between panels.
    pub fn share_x(mut self) -> Self {
        self.share_x = true;
        self
    }
}

/// One chart: two axes and the series drawn on them.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Caption above the chart; empty for none.
    pub title: String,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
    /// Series in drawing order (later ones on top).
    pub series: Vec<Series>,
    /// Where the legend goes (drawn only when more than one series has a label).
    pub legend: LegendPosition,
}

impl Panel {
    /// A panel with no series and the legend in the upper right.
    pub fn new(title: impl Into<String>, x: Axis, y: Axis) -> Self {
        Panel { title: title.into(), x, y, series: Vec::new(), legend: LegendPosition::UpperRight }
    }

    /// Add a series on top of the existing ones.
    pub fn series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Move the legend.
    pub fn legend(mut self, position: LegendPosition) -> Self {
        self.legend = position;
        self
    }
}

/// Corner of the plotting area that holds the legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendPosition {
    /// Top right.
    UpperRight,
    /// Top left.
    UpperLeft,
    /// Bottom right.
    LowerRight,
    /// Bottom left.
    LowerLeft,
}

/// Linear or logarithmic (base 10) axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Evenly spaced values.
    Linear,
    /// Evenly spaced decades; every value on the axis must be positive.
    Log,
}

/// An axis: its quantity, unit, scale and optional fixed range.
///
/// With [`Axis::si`] the unit gets an engineering prefix chosen from the largest magnitude
/// shown, and the data are scaled to match: seconds spanning 0..2e-6 are drawn as 0..2 on an
/// axis labelled `time (µs)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The quantity, e.g. `time`.
    pub label: String,
    /// The unit symbol, e.g. `s`; `None` for a dimensionless axis (no parentheses).
    pub unit: Option<String>,
    /// Prefix the unit (and scale the data) by the magnitude of the values shown.
    pub si_prefix: bool,
    /// Linear or logarithmic.
    pub scale: Scale,
    /// Fixed range in data units (before any prefix scaling); `None` to fit the data.
    pub range: Option<(f64, f64)>,
}

impl Axis {
    /// A linear axis with a label and no unit, e.g. `Axis::new("probability")`.
    pub fn new(label: impl Into<String>) -> Self {
        Axis { label: label.into(), unit: None, si_prefix: false, scale: Scale::Linear, range: None }
    }

    /// An axis whose data are in the SI unit `unit` and are shown with an engineering
    /// prefix: `Axis::si("time", "s")` becomes `time (ns)`, `time (µs)`, ... as needed.
    pub fn si(label: impl Into<String>, unit: impl Into<String>) -> Self {
        Axis { unit: Some(unit.into()), si_prefix: true, ..Axis::new(label) }
    }

    /// An axis with a unit shown as given, never prefixed: `Axis::unit("temperature", "K")`.
    pub fn unit(label: impl Into<String>, unit: impl Into<String>) -> Self {
        Axis { unit: Some(unit.into()), ..Axis::new(label) }
    }

    /// Make the axis logarithmic.
    pub fn log(mut self) -> Self {
        self.scale = Scale::Log;
        self
    }

    /// Fix the range (in data units, before prefix scaling).
    pub fn range(mut self, low: f64, high: f64) -> Self {
        self.range = Some((low, high));
        self
    }

    /// The divisor applied to the data and the axis title, for an axis whose largest shown
    /// magnitude is `max_abs`: `Axis::si("time", "s").display(2e-6)` is
    /// `(1e-6, "time (µs)")`. Axes without an SI prefix return a divisor of 1.
    pub fn display(&self, max_abs: f64) -> (f64, String) {
        self.display_range(max_abs, max_abs)
    }

    /// Like [`display`](Self::display) for values spanning `min_abs..=max_abs`. A log axis
    /// spanning more than three decades keeps the bare unit (its ticks are powers of ten,
    /// and no single prefix suits them all).
    pub fn display_range(&self, min_abs: f64, max_abs: f64) -> (f64, String) {
        let wide_log = self.scale == Scale::Log && max_abs > 1e3 * min_abs;
        match (&self.unit, self.si_prefix && !wide_log) {
            (Some(unit), true) => {
                let (scale, prefix) = engineering_prefix(max_abs);
                (scale, format!("{} ({prefix}{unit})", self.label))
            }
            (Some(unit), _) if !unit.is_empty() => (1.0, format!("{} ({unit})", self.label)),
            _ => (1.0, self.label.clone()),
        }
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Straight segments between consecutive points.
    Line,
    /// A staircase: each value holds until the next x (for sampled or switching signals).
    Step,
    /// A marker at each point.
    Points,
    /// A marker at each point with a vertical bar `y ± y_err` (needs `y_err`).
    PointsWithErrorBars,
    /// A translucent filled band between `y - y_err` and `y + y_err` (needs `y_err`).
    Band,
}

/// One set of points and how to draw it. Values are in SI units (or whatever the axis says);
/// all must be finite. An empty series is allowed and draws nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text; empty for no legend entry.
    pub label: String,
    /// How to draw it.
    pub style: Style,
    /// Horizontal coordinates.
    pub x: Vec<f64>,
    /// Vertical coordinates, one per `x`.
    pub y: Vec<f64>,
    /// Half-widths of error bars or bands, one per `x`, non-negative.
    pub y_err: Option<Vec<f64>>,
    /// Colour; `None` takes [`categorical`](super::categorical) of the series' index in
    /// its panel.
    pub color: Option<Rgb>,
}

impl Series {
    fn build(label: impl Into<String>, style: Style, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series { label: label.into(), style, x, y, y_err: None, color: None }
    }

    /// A line through `(x[i], y[i])`.
    pub fn line(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self::build(label, Style::Line, x, y)
    }

    /// A staircase holding `y[i]` from `x[i]` to `x[i + 1]`.
    pub fn step(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self::build(label, Style::Step, x, y)
    }

    /// Markers at `(x[i], y[i])`.
    pub fn points(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self::build(label, Style::Points, x, y)
    }

    /// Markers with error bars `y[i] ± y_err[i]`.
    pub fn error_bars(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>, y_err: Vec<f64>) -> Self {
        Series { y_err: Some(y_err), ..Self::build(label, Style::PointsWithErrorBars, x, y) }
    }

    /// A shaded band `y[i] ± half_width[i]` (draw the centre as a separate line if wanted).
    pub fn band(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>, half_width: Vec<f64>) -> Self {
        Series { y_err: Some(half_width), ..Self::build(label, Style::Band, x, y) }
    }

    /// Set the colour.
    pub fn color(mut self, color: Rgb) -> Self {
        self.color = Some(color);
        self
    }
}

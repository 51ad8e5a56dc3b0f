//! Declarative plots rendered to SVG or PNG with an embedded font.
//!
//! Describe a [`Figure`] (panels stacked vertically, each with two [`Axis`] and some
//! [`Series`]), then [`render`] it to a file (format from the extension, written atomically)
//! or [`render_svg_string`] it for an HTML report. Data stay in SI units: an axis declared
//! with [`Axis::si`] picks its own engineering prefix and scales the data to match.
//!
//! ```no_run
//! use pbitsim::report::plot::{render, Axis, Figure, Panel, Series};
//! let t: Vec<f64> = (0..200).map(|i| i as f64 * 1e-8).collect();
//! let v: Vec<f64> = t.iter().map(|t| 0.4 + 0.3 * (t * 3e6).sin()).collect();
//! let figure = Figure::new("p-bit output").panel(
//!     Panel::new("", Axis::si("time", "s"), Axis::si("V(out)", "V"))
//!         .series(Series::line("out", t, v)),
//! );
//! render(&figure, "trace.svg")?; // time (µs), V(out) (mV)
//! # Ok::<(), pbitsim::report::plot::PlotError>(())
//! ```
//!
//! Non-finite values, mismatched lengths and non-positive values on log axes are refused
//! with an error naming the panel, the series and the index; empty series draw nothing.

mod clip;
mod color;
mod coord;
mod draw;
mod figure;
mod font;
mod heatmap;
mod prepare;

pub use color::{Rgb, categorical, sequential, spread};
pub use figure::{Axis, Figure, LegendPosition, Panel, Scale, Series, Style};
pub use heatmap::{Heatmap, HeatmapColors, heatmap_svg_string, render_heatmap};

use crate::io::{AtomicPath, IoError, write_atomic};
use plotters::prelude::{BitMapBackend, DrawingBackend, IntoDrawingArea, SVGBackend};
use std::fmt;
use std::path::{Path, PathBuf};

/// Identifies a series in error messages: indices are zero-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesId {
    /// Index of the panel in the figure.
    pub panel: usize,
    /// The panel's title.
    pub panel_title: String,
    /// Index of the series in the panel.
    pub series: usize,
    /// The series' label.
    pub label: String,
}

impl SeriesId {
    pub(crate) fn new(panel: usize, p: &Panel, series: usize, s: &Series) -> Self {
        SeriesId { panel, panel_title: p.title.clone(), series, label: s.label.clone() }
    }
}

impl fmt::Display for SeriesId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panel {}", self.panel)?;
        if !self.panel_title.is_empty() {
            write!(f, " ('{}')", self.panel_title)?;
        }
        write!(f, ", series {}", self.series)?;
        if !self.label.is_empty() {
            write!(f, " ('{}')", self.label)?;
        }
        Ok(())
    }
}

/// Why a plot could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A value is NaN or infinite.
    #[error("{series}: {field}[{index}] is {value}; only finite values can be plotted")]
    NonFinite {
        /// The series.
        series: SeriesId,
        /// `x`, `y` or `y_err`.
        field: &'static str,
        /// Index of the value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// `y` or `y_err` does not have one value per `x`.
    #[error("{series}: {what} has {found} values but x has {expected}")]
    Length {
        /// The series.
        series: SeriesId,
        /// `y` or `y_err`.
        what: &'static str,
        /// Length of `x`.
        expected: usize,
        /// Length of the other field.
        found: usize,
    },
    /// A style that draws errors has no `y_err`.
    #[error("{series}: style {style:?} needs y_err (one half-width per point)")]
    MissingErrors {
        /// The series.
        series: SeriesId,
        /// Its style.
        style: Style,
    },
    /// An error bar half-width is negative.
    #[error("{series}: y_err[{index}] is {value}; error half-widths must be >= 0")]
    NegativeError {
        /// The series.
        series: SeriesId,
        /// Index of the value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A value on a log axis is zero or negative.
    #[error("{series}: {field}[{index}] is {value}, which a log {axis} axis cannot show")]
    NotPositive {
        /// The series.
        series: SeriesId,
        /// `x`, `y` or `y - y_err`.
        field: &'static str,
        /// `x` or `y`.
        axis: &'static str,
        /// Index of the value.
        index: usize,
        /// The value.
        value: f64,
    },
    /// An axis range is empty, reversed, not finite, or not positive on a log axis.
    #[error(
        "panel {panel} ('{panel_title}'): {axis} range {low}..{high} is invalid; \
         expected finite low < high (and low > 0 on a log axis)"
    )]
    Range {
        /// Index of the panel.
        panel: usize,
        /// The panel's title.
        panel_title: String,
        /// `x` or `y`.
        axis: &'static str,
        /// Lower end.
        low: f64,
        /// Upper end.
        high: f64,
    },
    /// The figure has no panels.
    #[error("the figure has no panels")]
    NoPanels,
    /// The image size is outside the accepted range.
    #[error("image size {width}x{height} is outside 16..=16384 pixels per side")]
    Size {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The figure is too small for its titles, labels and panels.
    #[error(
        "image size {width}x{height} is too small for this figure; \
         it needs at least {min_width}x{min_height} pixels"
    )]
    TooSmall {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
        /// Smallest width that fits.
        min_width: u32,
        /// Smallest height that fits (grows with the number of panels).
        min_height: u32,
    },
    /// A heatmap's values do not fill its grid, or are not finite.
    #[error("heatmap: {0}")]
    Heatmap(String),
    /// The output extension is not a supported image format.
    #[error("cannot plot to '{}': expected a file name ending in .svg or .png", path.display())]
    Extension {
        /// The path given.
        path: PathBuf,
    },
    /// plotters failed while drawing (e.g. the image is too small for its labels).
    #[error("cannot draw {target}: {message}")]
    Draw {
        /// The file being drawn (or "an SVG string").
        target: String,
        /// plotters' message.
        message: String,
    },
    /// The embedded font could not be registered.
    #[error("the embedded font could not be loaded")]
    Font,
    /// Writing the file failed.
    #[error(transparent)]
    Io(#[from] IoError),
}

/// Image formats [`render`] can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageFormat {
    Svg,
    Png,
}

impl ImageFormat {
    pub(crate) fn from_path(path: &Path) -> Result<Self, PlotError> {
        match crate::io::extension_of(path).as_deref() {
            Some("svg") => Ok(ImageFormat::Svg),
            Some("png") => Ok(ImageFormat::Png),
            _ => Err(PlotError::Extension { path: path.to_path_buf() }),
        }
    }
}

/// Render `figure` to `path`, as SVG or PNG according to the extension, replacing the file
/// atomically.
pub fn render(figure: &Figure, path: impl AsRef<Path>) -> Result<(), PlotError> {
    let path = path.as_ref();
    let format = ImageFormat::from_path(path)?;
    let panels = prepare::prepare(figure)?;
    font::ensure_font()?;
    let size = (figure.width, figure.height);
    let target = format!("'{}'", path.display());
    match format {
        ImageFormat::Svg => {
            let svg = svg_string(size, &target, |root| draw::figure(root, figure, &panels))?;
            write_atomic(path, svg.as_bytes())?;
        }
        ImageFormat::Png => {
            png_file(path, size, &target, |root| draw::figure(root, figure, &panels))?;
        }
    }
    Ok(())
}

/// Render `figure` as an SVG document, e.g. to inline in an HTML report.
pub fn render_svg_string(figure: &Figure) -> Result<String, PlotError> {
    let panels = prepare::prepare(figure)?;
    font::ensure_font()?;
    let size = (figure.width, figure.height);
    svg_string(size, "an SVG string", |root| draw::figure(root, figure, &panels))
}

type Root<DB> = plotters::drawing::DrawingArea<DB, plotters::coord::Shift>;

/// Draw into an SVG held in memory.
pub(crate) fn svg_string(
    size: (u32, u32),
    target: &str,
    paint: impl FnOnce(&Root<SVGBackend<'_>>) -> Result<(), String>,
) -> Result<String, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        finish(&root, guarded(|| paint(&root)), target)?;
    }
    Ok(svg)
}

/// Draw into a PNG written atomically to `path`. The encoder writes to a reserved
/// temporary (same extension) which is renamed onto `path` only on success.
pub(crate) fn png_file(
    path: &Path,
    size: (u32, u32),
    target: &str,
    paint: impl FnOnce(&Root<BitMapBackend<'_>>) -> Result<(), String>,
) -> Result<(), PlotError> {
    let reserved = AtomicPath::new(path)?;
    {
        let root = BitMapBackend::new(reserved.temp_path(), size).into_drawing_area();
        finish(&root, guarded(|| paint(&root)), target)?;
    }
    reserved.commit()?;
    Ok(())
}

/// Run plotters drawing code, turning a panic inside plotters (it has a few on layouts that
/// do not fit, which [`prepare`] tries to rule out first) into an error.
fn guarded(paint: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(paint))
        .unwrap_or_else(|_| Err("plotters panicked while laying out the figure".to_string()))
}

/// Turn a drawing result into a `PlotError`, and present (flush) the image on success.
fn finish<DB: DrawingBackend>(
    root: &Root<DB>,
    drawn: Result<(), String>,
    target: &str,
) -> Result<(), PlotError> {
    let draw_error = |message: String| PlotError::Draw { target: target.to_string(), message };
    drawn.map_err(draw_error)?;
    root.present().map_err(|e| draw_error(e.to_string()))
}

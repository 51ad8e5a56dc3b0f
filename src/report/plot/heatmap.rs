//! Images of grids, e.g. snapshots of a spin lattice: one square block of pixels per cell.

use super::{ImageFormat, PlotError, Rgb, png_file, svg_string};
use crate::io::write_atomic;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// How cell values become colours: the value range maps linearly from `low` to `high`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatmapColors {
    /// Black at the low end, white at the high end.
    Grey,
    /// A blend from one colour to another (two flat colours for two-valued data).
    TwoColor {
        /// Colour of the lowest value.
        low: Rgb,
        /// Colour of the highest value.
        high: Rgb,
    },
}

/// A `rows x cols` grid of values in row-major order (row 0 at the top).
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// `rows * cols` finite values, row after row.
    pub values: Vec<f64>,
    /// Side of each cell's block, in pixels.
    pub cell: u32,
    /// Colour scheme.
    pub colors: HeatmapColors,
    /// Values mapped to the two ends of the colour scheme (others are clamped); `None` uses
    /// the data's minimum and maximum. Give it for spins (`(-1.0, 1.0)`) so that colours
    /// mean the same in every snapshot; constant data with no range is drawn mid-scale.
    pub range: Option<(f64, f64)>,
}

impl Heatmap {
    /// A grey heatmap with cells sized so the image is about 512 pixels across.
    pub fn new(rows: usize, cols: usize, values: Vec<f64>) -> Self {
        let side = rows.max(cols).max(1);
        Heatmap {
            rows,
            cols,
            values,
            cell: (512 / side).clamp(1, 64) as u32,
            colors: HeatmapColors::Grey,
            range: None,
        }
    }

    /// Use two colours instead of grey.
    pub fn two_colors(mut self, low: Rgb, high: Rgb) -> Self {
        self.colors = HeatmapColors::TwoColor { low, high };
        self
    }

    /// Fix the value range.
    pub fn range(mut self, low: f64, high: f64) -> Self {
        self.range = Some((low, high));
        self
    }

    /// Set the cell size in pixels.
    pub fn cell(mut self, pixels: u32) -> Self {
        self.cell = pixels;
        self
    }

    /// Image width and height in pixels, checked against the accepted sizes.
    fn image_size(&self) -> Result<(u32, u32), PlotError> {
        let side = |n: usize| {
            u32::try_from(n)
                .ok()
                .and_then(|n| n.checked_mul(self.cell))
                .filter(|px| (1..=super::prepare::MAX_SIDE).contains(px))
        };
        match (side(self.cols), side(self.rows)) {
            (Some(w), Some(h)) => Ok((w, h)),
            _ => Err(PlotError::Heatmap(format!(
                "{} x {} cells of {} pixels make an image outside 1..=16384 pixels per side",
                self.rows, self.cols, self.cell
            ))),
        }
    }

    /// The colour of every cell, row-major, after validating the data.
    fn cell_colors(&self) -> Result<Vec<Rgb>, PlotError> {
        if self.values.len() != self.rows * self.cols {
            return Err(PlotError::Heatmap(format!(
                "{} values do not fill {} rows x {} columns",
                self.values.len(),
                self.rows,
                self.cols
            )));
        }
        if let Some(i) = self.values.iter().position(|v| !v.is_finite()) {
            return Err(PlotError::Heatmap(format!(
                "the value at row {}, column {} is {}; only finite values can be drawn",
                i / self.cols,
                i % self.cols,
                self.values[i]
            )));
        }
        let (low, high) = match self.range {
            Some((low, high)) if low < high && (high - low).is_finite() => (low, high),
            Some((low, high)) => {
                return Err(PlotError::Heatmap(format!(
                    "range {low}..{high} is invalid; expected finite low < high"
                )));
            }
            None => {
                self.values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)))
            }
        };
        let (from, to) = match self.colors {
            HeatmapColors::Grey => (Rgb::BLACK, Rgb::WHITE),
            HeatmapColors::TwoColor { low, high } => (low, high),
        };
        let span = high - low;
        Ok(self
            .values
            .iter()
            .map(|&v| {
                let t = if span > 0.0 && span.is_finite() { (v - low) / span } else { 0.5 };
                from.mix(to, t)
            })
            .collect())
    }
}

/// Render a heatmap to `path` (PNG or SVG by the extension), replacing it atomically.
pub fn render_heatmap(heatmap: &Heatmap, path: impl AsRef<Path>) -> Result<(), PlotError> {
    let path = path.as_ref();
    let format = ImageFormat::from_path(path)?;
    let size = heatmap.image_size()?;
    let colors = heatmap.cell_colors()?;
    let target = format!("'{}'", path.display());
    let cell = heatmap.cell as i32;
    let cols = heatmap.cols;
    match format {
        ImageFormat::Png => png_file(path, size, &target, |root| paint(root, &colors, cols, cell)),
        ImageFormat::Svg => {
            let svg = svg_string(size, &target, |root| paint(root, &colors, cols, cell))?;
            write_atomic(path, svg.as_bytes()).map_err(PlotError::from)
        }
    }
}

/// Render a heatmap as an SVG document, e.g. to inline in an HTML report.
pub fn heatmap_svg_string(heatmap: &Heatmap) -> Result<String, PlotError> {
    let size = heatmap.image_size()?;
    let colors = heatmap.cell_colors()?;
    let (cell, cols) = (heatmap.cell as i32, heatmap.cols);
    svg_string(size, "an SVG string", |root| paint(root, &colors, cols, cell))
}

/// Fill one `cell`-pixel square per value, `cols` to a row.
fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    colors: &[Rgb],
    cols: usize,
    cell: i32,
) -> Result<(), String> {
    for (i, c) in colors.iter().enumerate() {
        let (x, y) = ((i % cols) as i32 * cell, (i / cols) as i32 * cell);
        let style = RGBColor(c.0, c.1, c.2).filled();
        root.draw(&Rectangle::new([(x, y), (x + cell, y + cell)], style)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

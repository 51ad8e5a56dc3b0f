//! Drawing a prepared figure with plotters, on any backend.

use super::clip::Viewport;
use super::coord::AxisCoord;
use super::font::FAMILY;
use super::prepare::{PreparedAxis, PreparedPanel};
use super::{Figure, LegendPosition, Rgb, Series, Style, categorical};
use plotters::chart::SeriesAnno;
use plotters::coord::Shift;
use plotters::prelude::*;

type Area<DB> = DrawingArea<DB, Shift>;
type Point = (f64, f64);

/// Text sizes, in pixels, for a figure of a given width.
struct Sizes {
    title: f64,
    caption: f64,
    axis: f64,
    ticks: f64,
    legend: f64,
    scale: f64,
}

impl Sizes {
    fn for_width(width: u32) -> Self {
        let scale = (f64::from(width) / 900.0).clamp(0.5, 2.0);
        Sizes {
            title: 24.0 * scale,
            caption: 19.0 * scale,
            axis: 17.0 * scale,
            ticks: 14.0 * scale,
            legend: 14.0 * scale,
            scale,
        }
    }

    fn px(&self, base: f64) -> u32 {
        (base * self.scale).round().max(1.0) as u32
    }
}

/// The smallest (width, height) in which `figure`'s titles, labels and panels fit: plotters
/// cannot lay out (and may panic on) anything smaller.
pub(crate) fn min_size(figure: &Figure) -> (u32, u32) {
    let sizes = Sizes::for_width(figure.width);
    let text = |size: f64| size.ceil() as u32 + 12;
    let title = if figure.title.is_empty() { 0 } else { text(sizes.title) };
    let panels: u32 = figure
        .panels
        .iter()
        .map(|panel| {
            let caption = if panel.title.is_empty() { 0 } else { text(sizes.caption) };
            2 * sizes.px(12.0) + sizes.px(50.0) + caption + MIN_PLOT
        })
        .sum();
    let width = 2 * sizes.px(12.0) + sizes.px(75.0) + MIN_PLOT;
    (width, title + panels)
}

/// Smallest plotting area, in pixels, accepted on each side.
const MIN_PLOT: u32 = 40;

fn color(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Draw the whole figure; errors are plotters' messages.
pub(crate) fn figure<DB: DrawingBackend>(
    root: &Area<DB>,
    figure: &Figure,
    panels: &[PreparedPanel<'_>],
) -> Result<(), String> {
    let sizes = Sizes::for_width(figure.width);
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let body = if figure.title.is_empty() {
        root.clone()
    } else {
        root.titled(&figure.title, (FAMILY, sizes.title)).map_err(|e| e.to_string())?
    };
    for (area, panel) in body.split_evenly((panels.len(), 1)).iter().zip(panels) {
        draw_panel(area, panel, &sizes).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &Area<DB>,
    prepared: &PreparedPanel<'_>,
    sizes: &Sizes,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let panel = prepared.panel;
    let mut builder = ChartBuilder::on(area);
    builder.margin(sizes.px(12.0)).x_label_area_size(sizes.px(50.0)).y_label_area_size(sizes.px(75.0));
    if !panel.title.is_empty() {
        builder.caption(&panel.title, (FAMILY, sizes.caption));
    }
    let mut chart = builder.build_cartesian_2d(prepared.x.coord, prepared.y.coord)?;
    chart
        .configure_mesh()
        .x_desc(prepared.x.title.as_str())
        .y_desc(prepared.y.title.as_str())
        .x_labels(10)
        .y_labels(8)
        .label_style((FAMILY, sizes.ticks))
        .axis_desc_style((FAMILY, sizes.axis))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()?;

    let view = Viewport { x: prepared.x.coord, y: prepared.y.coord };
    let mut labelled = 0;
    for (index, series) in panel.series.iter().enumerate() {
        if series.x.is_empty() {
            continue;
        }
        let rgb = color(series.color.unwrap_or_else(|| categorical(index)));
        let scaled = Scaled::new(series, &prepared.x, &prepared.y);
        let anno = draw_series(&mut chart, &view, series.style, &scaled, rgb, sizes)?;
        if !series.label.is_empty() {
            labelled += 1;
            let length = sizes.px(22.0) as i32;
            let radius = sizes.px(3.5);
            match series.style {
                Style::Line | Style::Step => anno.label(series.label.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + length, y)], rgb.stroke_width(2))
                }),
                Style::Points | Style::PointsWithErrorBars => anno
                    .label(series.label.as_str())
                    .legend(move |(x, y)| Circle::new((x + length / 2, y), radius, rgb.filled())),
                Style::Band => anno.label(series.label.as_str()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + length, y + 5)], rgb.mix(0.3).filled())
                }),
            };
        }
    }
    if labelled > 1 {
        chart
            .configure_series_labels()
            .position(match panel.legend {
                LegendPosition::UpperRight => SeriesLabelPosition::UpperRight,
                LegendPosition::UpperLeft => SeriesLabelPosition::UpperLeft,
                LegendPosition::LowerRight => SeriesLabelPosition::LowerRight,
                LegendPosition::LowerLeft => SeriesLabelPosition::LowerLeft,
            })
            .label_font((FAMILY, sizes.legend))
            .legend_area_size(sizes.px(32.0))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
    }
    Ok(())
}

/// A series in display units (data divided by each axis' prefix scale).
struct Scaled {
    points: Vec<Point>,
    err: Option<Vec<f64>>,
}

impl Scaled {
    fn new(series: &Series, x: &PreparedAxis, y: &PreparedAxis) -> Self {
        let points = series.x.iter().zip(&series.y).map(|(&a, &b)| (a / x.divisor, b / y.divisor)).collect();
        let err = series.y_err.as_ref().map(|e| e.iter().map(|v| v / y.divisor).collect());
        Scaled { points, err }
    }

    /// Error half-widths; zero when absent (validation guarantees them where needed).
    fn err(&self, i: usize) -> f64 {
        self.err.as_ref().map_or(0.0, |e| e[i])
    }
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<AxisCoord, AxisCoord>>;

fn draw_series<'a, 'b, DB: DrawingBackend + 'a>(
    chart: &'b mut Chart<'a, DB>,
    view: &Viewport,
    style: Style,
    data: &Scaled,
    rgb: RGBColor,
    sizes: &Sizes,
) -> Result<&'b mut SeriesAnno<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    // Plotters draws wide polylines as polygons, which leave gaps along dense, jagged data
    // (a noise trace); such series are drawn one pixel wide, which rasterises without gaps.
    let dense = data.points.len() > 400;
    let line = rgb.stroke_width(if dense { 1 } else { sizes.px(2.0) });
    let radius = sizes.px(3.5);
    let inside = |p: &Point| view.contains(*p);
    let markers =
        || data.points.iter().filter(|p| inside(p)).map(move |&p| Circle::new(p, radius, rgb.filled()));
    match style {
        Style::Line => chart
            .draw_series(view.polylines(&data.points).into_iter().map(|piece| PathElement::new(piece, line))),
        Style::Step => {
            let mut stairs = Vec::with_capacity(2 * data.points.len());
            for pair in data.points.windows(2) {
                stairs.push(pair[0]);
                stairs.push((pair[1].0, pair[0].1));
            }
            stairs.extend(data.points.last());
            chart.draw_series(view.polylines(&stairs).into_iter().map(|piece| PathElement::new(piece, line)))
        }
        Style::Points => chart.draw_series(markers()),
        Style::PointsWithErrorBars => {
            let thin = rgb.stroke_width(sizes.px(1.5));
            let half_cap = sizes.px(4.0) as i32;
            let cap = move |at: Point| {
                EmptyElement::at(at) + PathElement::new(vec![(-half_cap, 0), (half_cap, 0)], thin)
            };
            // Each bar is clipped to the y range; a clipped end gets no cap.
            let mut bars = Vec::new();
            let mut caps = Vec::new();
            for (i, &(x, y)) in data.points.iter().enumerate() {
                let e = data.err(i);
                let (low, high) = ((y - e).max(view.y.low), (y + e).min(view.y.high));
                if x < view.x.low || x > view.x.high || low > high {
                    continue;
                }
                bars.push(PathElement::new(vec![(x, low), (x, high)], thin));
                caps.extend((low == y - e).then(|| cap((x, low))));
                caps.extend((high == y + e).then(|| cap((x, high))));
            }
            chart.draw_series(bars)?;
            chart.draw_series(caps)?;
            chart.draw_series(markers())
        }
        Style::Band => {
            let upper = data.points.iter().enumerate().map(|(i, &(x, y))| (x, y + data.err(i)));
            let lower = data.points.iter().enumerate().map(|(i, &(x, y))| (x, y - data.err(i)));
            let outline: Vec<Point> = upper.chain(lower.rev()).collect();
            let shape = view.polygon(&outline);
            let fill = rgb.mix(0.25).filled();
            chart.draw_series((shape.len() >= 3).then(|| Polygon::new(shape, fill)))
        }
    }
}

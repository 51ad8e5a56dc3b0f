//! Plots: every series style to SVG and PNG, SI axis prefixes, legends, validation,
//! heatmaps, and output by extension.

use pbitsim::report::plot::{
    Axis, Figure, Heatmap, LegendPosition, Panel, PlotError, Rgb, Series, render, render_heatmap,
    render_svg_string, spread,
};
use std::fs;

mod scratch;
use scratch::Scratch;

/// Width and height from a PNG's signature and IHDR chunk (PNG spec, section 5 and 11.2.2).
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk must be IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Checks that the SVG is one balanced `<svg>` element with balanced tags inside.
fn assert_well_formed_svg(svg: &str) {
    let body = svg.trim();
    let body = match body.strip_prefix("<?xml") {
        Some(rest) => &rest[rest.find("?>").unwrap() + 2..],
        None => body,
    }
    .trim();
    assert!(body.starts_with("<svg"), "root is not <svg>: {}", &body[..80.min(body.len())]);
    assert!(body.ends_with("</svg>"), "unterminated: {}", &body[body.len().saturating_sub(80)..]);
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>').expect("unclosed tag") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.trim()), "mismatched </{name}>");
        } else if !tag.ends_with('/') && !tag.starts_with('!') && !tag.starts_with('?') {
            stack.push(tag.split_whitespace().next().unwrap().to_string());
        }
        if stack.is_empty() {
            assert!(rest.trim().is_empty(), "content after the root element");
        }
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
}

fn ramp(n: usize, step: f64) -> Vec<f64> {
    (0..n).map(|i| i as f64 * step).collect()
}

/// Builds a series from label, x, y and error half-widths.
type MakeSeries = fn(String, Vec<f64>, Vec<f64>, Vec<f64>) -> Series;

/// One panel per style, two labelled series each (so each panel has a legend).
fn every_style() -> Figure {
    let x = ramp(30, 0.1);
    let y1: Vec<f64> = x.iter().map(|v| (3.0 * v).sin()).collect();
    let y2: Vec<f64> = x.iter().map(|v| 0.5 * (2.0 * v).cos()).collect();
    let err = vec![0.1; x.len()];
    let styles: [(&str, MakeSeries); 5] = [
        ("Line", |l, x, y, _| Series::line(l, x, y)),
        ("Step", |l, x, y, _| Series::step(l, x, y)),
        ("Points", |l, x, y, _| Series::points(l, x, y)),
        ("Errors", Series::error_bars),
        ("Band", Series::band),
    ];
    let mut figure = Figure::new("Every style & <escapes>").size(800, 1500);
    for (name, make) in styles {
        figure = figure.panel(
            Panel::new(format!("{name} panel"), Axis::new("phase"), Axis::new("amplitude"))
                .series(make(format!("{name} A"), x.clone(), y1.clone(), err.clone()))
                .series(make(format!("{name} B"), x.clone(), y2.clone(), err.clone())),
        );
    }
    figure
}

#[test]
fn every_style_renders_to_svg_with_titles_labels_and_legends() {
    let figure = every_style();
    let svg = render_svg_string(&figure).unwrap();
    assert_well_formed_svg(&svg);
    assert!(svg.contains("Every style &amp; &lt;escapes&gt;"), "figure title");
    for name in ["Line", "Step", "Points", "Errors", "Band"] {
        assert!(svg.contains(&format!("{name} panel")), "panel title {name}");
        assert!(svg.contains(&format!("{name} A")) && svg.contains(&format!("{name} B")), "legend {name}");
    }
    assert!(svg.contains(">\nphase\n<") || svg.contains(">phase<"), "x label");
    assert!(svg.contains("amplitude"), "y label");
    assert!(svg.contains("<polygon"), "the band is a filled polygon");
    assert!(svg.contains("<circle"), "points are circles");
    let (w, h) = (r#"width="800""#, r#"height="1500""#);
    assert!(svg.contains(w) && svg.contains(h), "size");

    let dir = Scratch::new("plot", "styles");
    render(&figure, dir.path("styles.svg")).unwrap();
    assert_eq!(fs::read_to_string(dir.path("styles.svg")).unwrap(), svg);
    render(&figure, dir.path("styles.png")).unwrap();
    let png = fs::read(dir.path("styles.png")).unwrap();
    assert_eq!(png_size(&png), (800, 1500));
    assert_eq!(dir.entries(), vec!["styles.png", "styles.svg"], "no temporaries left");
}

#[test]
fn single_series_styles_render_alone_to_png() {
    let dir = Scratch::new("plot", "single");
    let x = ramp(10, 1.0);
    let y: Vec<f64> = x.iter().map(|v| v * v).collect();
    let e = vec![2.0; 10];
    let all = [
        Series::line("l", x.clone(), y.clone()),
        Series::step("s", x.clone(), y.clone()),
        Series::points("p", x.clone(), y.clone()),
        Series::error_bars("e", x.clone(), y.clone(), e.clone()),
        Series::band("b", x.clone(), y.clone(), e.clone()),
    ];
    for (i, series) in all.into_iter().enumerate() {
        let figure = Figure::new("")
            .size(320, 240)
            .panel(Panel::new("", Axis::new("x"), Axis::new("y")).series(series));
        let path = dir.path(&format!("s{i}.png"));
        render(&figure, &path).unwrap();
        assert_eq!(png_size(&fs::read(&path).unwrap()), (320, 240));
        // A single labelled series draws no legend box, so its label is absent.
        let svg = render_svg_string(&figure).unwrap();
        assert_well_formed_svg(&svg);
    }
}

#[test]
fn si_axes_choose_engineering_prefixes() {
    assert_eq!(Axis::si("time", "s").display(2e-6), (1e-6, "time (µs)".to_string()));
    assert_eq!(Axis::si("time", "s").display(350e-9).1, "time (ns)");
    assert_eq!(Axis::si("V(out)", "V").display(0.3).1, "V(out) (mV)");
    assert_eq!(Axis::si("V(out)", "V").display(1.2).1, "V(out) (V)");
    assert_eq!(Axis::si("rate", "Hz").display(4.5e6), (1e6, "rate (MHz)".to_string()));
    assert_eq!(Axis::unit("temperature", "K").display(300.0), (1.0, "temperature (K)".to_string()));
    assert_eq!(Axis::new("probability").display(1e-6), (1.0, "probability".to_string()));

    // Applied automatically: a 2 µs trace in seconds and a 300 mV signal in volts.
    let t = ramp(201, 1e-8);
    let v: Vec<f64> = t.iter().map(|t| 0.15 + 0.15 * (t * 5e6).sin()).collect();
    let figure = Figure::new("trace").panel(
        Panel::new("", Axis::si("time", "s"), Axis::si("V(out)", "V")).series(Series::line(
            "out",
            t.clone(),
            v.clone(),
        )),
    );
    let svg = render_svg_string(&figure).unwrap();
    assert!(svg.contains("time (µs)"), "x axis title");
    assert!(svg.contains("V(out) (mV)"), "y axis title");
    // Tick labels are in the prefixed unit: 2 (µs) appears, 2e-6 does not.
    assert!(svg.contains(">\n2\n<") || svg.contains(">2<"), "tick 2 µs");
    assert!(!svg.contains("e-6") && !svg.contains("0.000"), "unscaled ticks leaked");

    // A fixed range decides the prefix too: 0..500 ns is in ns.
    let zoomed = Figure::new("zoom").panel(
        Panel::new("", Axis::si("time", "s").range(0.0, 500e-9), Axis::si("V(out)", "V"))
            .series(Series::line("out", t, v)),
    );
    assert!(render_svg_string(&zoomed).unwrap().contains("time (ns)"));
}

#[test]
fn two_panel_trace_shares_its_time_axis() {
    let t = ramp(500, 4e-9);
    let bit: Vec<f64> = t.iter().map(|t| if (t * 1e7).sin() > 0.0 { 1.0 } else { 0.0 }).collect();
    let v: Vec<f64> = t.iter().map(|t| 0.2 + 0.1 * (t * 1e7).sin()).collect();
    // The lower panel's data stop at half the time: a shared axis still spans 0..2 µs.
    let half = t.len() / 2;
    let figure =
        Figure::new("p-bit trace")
            .share_x()
            .panel(
                Panel::new("output voltage", Axis::si("time", "s"), Axis::si("V(out)", "V"))
                    .series(Series::line("V(out)", t.clone(), v)),
            )
            .panel(
                Panel::new("bit", Axis::si("time", "s"), Axis::new("bit").range(-0.2, 1.2))
                    .series(Series::step("bit", t[..half].to_vec(), bit[..half].to_vec())),
            );
    let svg = render_svg_string(&figure).unwrap();
    assert_well_formed_svg(&svg);
    for text in ["p-bit trace", "output voltage", "bit", "time (µs)", "V(out) (mV)"] {
        assert!(svg.contains(text), "missing {text}");
    }
    // Both panels get the tick at 1.5 µs, which the lower panel's own data never reach.
    let ticks = svg.matches(">\n1.5\n<").count() + svg.matches(">1.5<").count();
    assert_eq!(ticks, 2, "shared x ticks");
}

#[test]
fn error_bars_and_fits_for_three_temperatures_with_a_legend() {
    let dir = Scratch::new("plot", "temps");
    let temps = [250.0, 300.0, 350.0];
    let colors = spread(temps.len());
    let vin = ramp(11, 0.01);
    let mut panel = Panel::new("P(out = 1)", Axis::si("V(in)", "V"), Axis::new("P(1)").range(0.0, 1.0))
        .legend(LegendPosition::LowerRight);
    for (temp, color) in temps.iter().zip(&colors) {
        let fit = |v: f64| 1.0 / (1.0 + (-(v - 0.05) / (temp / 300.0 * 0.02)).exp());
        let p: Vec<f64> = vin.iter().map(|&v| fit(v)).collect();
        let err: Vec<f64> = p.iter().map(|p| (p * (1.0 - p) / 100.0).sqrt()).collect();
        let fine = ramp(101, 0.001);
        let curve: Vec<f64> = fine.iter().map(|&v| fit(v)).collect();
        panel = panel
            .series(Series::error_bars(format!("{temp} K"), vin.clone(), p, err).color(*color))
            .series(Series::line("", fine, curve).color(*color));
    }
    let figure = Figure::new("sigmoid vs temperature").panel(panel);
    let svg = render_svg_string(&figure).unwrap();
    assert_well_formed_svg(&svg);
    for t in ["250 K", "300 K", "350 K", "V(in) (mV)"] {
        assert!(svg.contains(t), "missing {t}");
    }
    // Each temperature's colour is used (markers and curve share it).
    for c in &colors {
        let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        assert!(svg.to_uppercase().contains(&hex), "colour {hex} unused");
    }
    render(&figure, dir.path("sigmoid.png")).unwrap();
    assert_eq!(png_size(&fs::read(dir.path("sigmoid.png")).unwrap()), (900, 600));
}

#[test]
fn log_axes_and_clipping_to_fixed_ranges() {
    let x: Vec<f64> = (0..40).map(|i| 10f64.powf(-9.0 + i as f64 * 0.2)).collect();
    let y: Vec<f64> = x.iter().map(|x| 1e-3 / (1.0 + x * 1e6)).collect();
    let figure = Figure::new("").panel(
        Panel::new("psd", Axis::si("frequency", "Hz").log(), Axis::new("S").log()).series(Series::line(
            "",
            x.clone(),
            y.clone(),
        )),
    );
    let svg = render_svg_string(&figure).unwrap();
    assert_well_formed_svg(&svg);
    // Nine decades of frequency keep the bare unit; ticks are powers of ten.
    assert!(svg.contains("frequency (Hz)") && svg.contains("1e-6"), "log axis labels");
    // Data outside a fixed range is cut at the plotting area: no point lies left of it.
    let clipped = Figure::new("").size(400, 300).panel(
        Panel::new("", Axis::new("x").range(0.4, 0.6), Axis::new("y").range(0.0, 0.5))
            .series(Series::line("", vec![0.0, 1.0], vec![0.0, 1.0]))
            .series(Series::points("", vec![0.0, 0.5, 1.0], vec![0.0, 0.25, 1.0])),
    );
    let svg = render_svg_string(&clipped).unwrap();
    assert_eq!(svg.matches("<circle").count(), 1, "only the point inside is drawn");
}

#[test]
fn non_finite_and_inconsistent_data_are_refused() {
    let panel =
        |s: Series| Figure::new("").panel(Panel::new("voltages", Axis::new("x"), Axis::new("y")).series(s));
    let nan = panel(Series::line("V(a)", vec![0.0, 1.0, 2.0], vec![0.0, f64::NAN, 1.0]));
    let err = render_svg_string(&nan).unwrap_err();
    assert!(matches!(err, PlotError::NonFinite { index: 1, field: "y", .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("V(a)") && message.contains("y[1]") && message.contains("NaN"), "{message}");
    assert!(message.contains("voltages"), "{message}");

    let inf = panel(Series::points("p", vec![0.0, f64::INFINITY], vec![0.0, 1.0]));
    assert!(render_svg_string(&inf).unwrap_err().to_string().contains("x[1] is inf"));
    let bad_err = panel(Series::error_bars("e", vec![0.0], vec![1.0], vec![f64::NAN]));
    assert!(render_svg_string(&bad_err).unwrap_err().to_string().contains("y_err[0]"));
    let negative_err = panel(Series::band("b", vec![0.0], vec![1.0], vec![-1.0]));
    assert!(matches!(render_svg_string(&negative_err), Err(PlotError::NegativeError { .. })));
    let short = panel(Series::line("s", vec![0.0, 1.0], vec![0.0]));
    assert!(matches!(render_svg_string(&short), Err(PlotError::Length { .. })));
    let mut missing = Series::points("m", vec![0.0], vec![1.0]);
    missing.style = pbitsim::report::plot::Style::PointsWithErrorBars;
    assert!(matches!(render_svg_string(&panel(missing)), Err(PlotError::MissingErrors { .. })));
    let on_log =
        Figure::new("").panel(Panel::new("", Axis::new("x"), Axis::new("y").log()).series(Series::line(
            "z",
            vec![0.0, 1.0],
            vec![1.0, 0.0],
        )));
    assert!(matches!(render_svg_string(&on_log), Err(PlotError::NotPositive { index: 1, .. })));
    let reversed = Figure::new("").panel(Panel::new("", Axis::new("x").range(1.0, 0.0), Axis::new("y")));
    assert!(matches!(render_svg_string(&reversed), Err(PlotError::Range { axis: "x", .. })));
    assert!(matches!(render_svg_string(&Figure::new("nothing")), Err(PlotError::NoPanels)));
    let tiny = every_style().size(0, 100);
    assert!(matches!(render_svg_string(&tiny), Err(PlotError::Size { .. })));
    // Five panels do not fit in 300 pixels: refused before plotters tries the layout.
    let cramped = every_style().size(400, 300);
    let err = render_svg_string(&cramped).unwrap_err();
    assert!(matches!(err, PlotError::TooSmall { min_height, .. } if min_height > 300), "{err}");

    // Nothing is written for refused data.
    let dir = Scratch::new("plot", "refused");
    assert!(render(&nan, dir.path("nan.png")).is_err());
    assert!(dir.entries().is_empty());
}

#[test]
fn empty_series_and_panels_are_drawn_empty() {
    let figure = Figure::new("empty").panel(
        Panel::new("nothing yet", Axis::si("time", "s"), Axis::new("y"))
            .series(Series::line("none", vec![], vec![]))
            .series(Series::points("one", vec![1e-6], vec![0.5])),
    );
    let svg = render_svg_string(&figure).unwrap();
    assert_well_formed_svg(&svg);
    assert!(svg.contains("nothing yet") && svg.contains("time (µs)"));
}

#[test]
fn output_format_follows_the_extension() {
    let dir = Scratch::new("plot", "ext");
    let figure = every_style();
    for name in ["plot.pdf", "plot", "plot.jpg"] {
        let err = render(&figure, dir.path(name)).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(name) && message.contains(".svg or .png"), "{message}");
    }
    render(&figure.clone().size(300, 900), dir.path("UPPER.PNG")).unwrap();
    assert_eq!(png_size(&fs::read(dir.path("UPPER.PNG")).unwrap()), (300, 900));
    assert_eq!(dir.entries(), vec!["UPPER.PNG"]);
}

#[test]
fn heatmaps_render_one_block_per_cell() {
    let dir = Scratch::new("plot", "heat");
    let l = 16;
    let spins: Vec<f64> = (0..l * l).map(|i| if (i / l + i % l) % 2 == 0 { 1.0 } else { -1.0 }).collect();
    let map = Heatmap::new(l, l, spins.clone()).cell(4).range(-1.0, 1.0);
    render_heatmap(&map, dir.path("lattice.png")).unwrap();
    assert_eq!(png_size(&fs::read(dir.path("lattice.png")).unwrap()), (64, 64));

    let colored = Heatmap::new(l, l, spins).cell(3).two_colors(Rgb(0, 0, 255), Rgb(255, 0, 0));
    render_heatmap(&colored, dir.path("lattice.svg")).unwrap();
    let svg = fs::read_to_string(dir.path("lattice.svg")).unwrap();
    assert_well_formed_svg(&svg);
    assert_eq!(svg.matches("<rect").count(), l * l, "one block per cell");
    assert!(svg.contains("#0000FF") && svg.contains("#FF0000"), "two colours");

    let wide = Heatmap::new(2, 3, vec![0.0, 0.5, 1.0, 1.0, 0.5, 0.0]).cell(10);
    render_heatmap(&wide, dir.path("wide.png")).unwrap();
    assert_eq!(png_size(&fs::read(dir.path("wide.png")).unwrap()), (30, 20));

    let short = Heatmap::new(4, 4, vec![0.0; 15]);
    assert!(render_heatmap(&short, dir.path("short.png")).unwrap_err().to_string().contains("15 values"));
    let mut nan = Heatmap::new(2, 2, vec![0.0; 4]);
    nan.values[3] = f64::NAN;
    let message = render_heatmap(&nan, dir.path("nan.png")).unwrap_err().to_string();
    assert!(message.contains("row 1, column 1") && message.contains("NaN"), "{message}");
    assert!(render_heatmap(&wide, dir.path("wide.bmp")).is_err());
    assert_eq!(dir.entries(), vec!["lattice.png", "lattice.svg", "wide.png"]);
}

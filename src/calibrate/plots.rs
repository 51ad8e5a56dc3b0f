//! Calibration plots: each calibration curve with its data points, error bars and fit, one
//! colour per temperature. The figures are built as values ([`figures`]) so the HTML report
//! can inline them; [`write`] renders them to a directory.

use std::path::Path;

use super::fitting::by_temperature;
use crate::calibration::{Calibration, CellKind};
use crate::report::plot::{Axis, Figure, Panel, PlotError, Rgb, Series, render, spread};
use crate::special::logistic;

fn control_range(cal: &Calibration) -> (f64, f64) {
    let axis = &cal.controls[0];
    (axis.start.min(axis.stop), axis.start.max(axis.stop))
}

fn fine(lo: f64, hi: f64) -> Vec<f64> {
    (0..=200).map(|i| lo + (hi - lo) * i as f64 / 200.0).collect()
}

/// Short name of the calibrated circuit for titles.
fn short(cal: &Calibration) -> String {
    std::path::Path::new(&cal.circuit.path)
        .file_stem()
        .map_or("cell".into(), |s| s.to_string_lossy().into_owned())
}

fn label(t: f64) -> String {
    format!("{t:.0} K")
}

/// P(1), correlation time, Vs(T) and Arrhenius figures of a p-bit calibration.
fn pbit(cal: &Calibration) -> Vec<(String, Figure)> {
    let colours: Vec<Rgb> = spread(cal.temperatures_k.len());
    let groups = by_temperature(&cal.points, &cal.temperatures_k);
    let (lo, hi) = control_range(cal);
    let xs = fine(lo, hi);
    let name = &cal.controls[0].name;
    let mut p1 = Panel::new("P(1) against the control", Axis::si(name.as_str(), "V"), Axis::new("P(1)"));
    let mut tau = Panel::new("correlation time", Axis::si(name.as_str(), "V"), Axis::si("tau", "s").log());
    for (i, fit) in cal.fits.iter().enumerate() {
        let pts = &groups[&i];
        let x: Vec<f64> = pts.iter().map(|p| p.controls[name]).collect();
        let p: Vec<f64> = pts.iter().map(|p| p.probabilities.as_ref().map_or(f64::NAN, |v| v[1])).collect();
        // A point that never switched has P(1) of 0 or 1 and no standard error: no bar.
        let e: Vec<f64> = pts
            .iter()
            .map(|p| p.probability_se.as_ref().map_or(0.0, |v| v[1]))
            .map(|e| if e.is_finite() { e } else { 0.0 })
            .collect();
        let (v0, vs) = (fit.v0.unwrap_or(0.0), fit.vs.unwrap_or(1.0));
        p1 = p1
            .series(Series::error_bars(label(fit.temperature_k), x.clone(), p, e).color(colours[i]))
            .series(
                Series::line("", xs.clone(), xs.iter().map(|v| logistic((v - v0) / vs)).collect())
                    .color(colours[i]),
            );
        // Only points that switched have a correlation time.
        let timed: Vec<usize> = (0..pts.len()).filter(|&j| pts[j].correlation_time_s.is_finite()).collect();
        let t: Vec<f64> = timed.iter().map(|&j| pts[j].correlation_time_s).collect();
        let te: Vec<f64> = timed
            .iter()
            .map(|&j| pts[j].correlation_time_se_s)
            .map(|e| if e.is_finite() { e } else { 0.0 })
            .collect();
        let x: Vec<f64> = timed.iter().map(|&j| x[j]).collect();
        tau = tau.series(Series::error_bars(label(fit.temperature_k), x, t, te).color(colours[i])).series(
            Series::line("", xs.clone(), xs.iter().map(|v| fit.log_tau.eval(v - v0).exp()).collect())
                .color(colours[i]),
        );
    }
    let mut out = vec![
        ("p1".to_string(), Figure::new(format!("{}: P(1)", short(cal))).panel(p1)),
        ("tau".to_string(), Figure::new(format!("{}: correlation time", short(cal))).panel(tau)),
    ];
    let temps: Vec<f64> = cal.fits.iter().map(|f| f.temperature_k).collect();
    if let Some(prop) = &cal.temperature_fits.vs_proportional {
        let vs: Vec<f64> = cal.fits.iter().map(|f| f.vs.unwrap_or(f64::NAN)).collect();
        let se: Vec<f64> = cal.fits.iter().map(|f| f.vs_se.unwrap_or(0.0)).collect();
        let line_t = fine(0.95 * temps[0], 1.05 * temps[temps.len() - 1]);
        let panel = Panel::new(
            "logistic width against temperature",
            Axis::unit("temperature", "K"),
            Axis::si("Vs", "V"),
        )
        .series(Series::error_bars("fitted Vs", temps.clone(), vs, se))
        .series(Series::line(
            format!(
                "Vs = {:.1} uV/K x T (max deviation {:.1} %)",
                prop.slope * 1e6,
                100.0 * prop.max_relative_deviation
            ),
            line_t.clone(),
            line_t.iter().map(|t| prop.slope * t).collect(),
        ));
        out.push(("vs_t".into(), Figure::new(format!("{}: Vs(T)", short(cal))).panel(panel)));
    }
    if let Some(a) = &cal.temperature_fits.arrhenius {
        out.push(("arrhenius".into(), arrhenius_figure(cal, a.tau0_s, a.barrier_j, a.barrier_ev)));
    }
    out.push(("anchors".into(), super::anchors::anchors(cal, &short(cal))));
    if let Some(figure) = super::anchors::population(cal, &short(cal)) {
        out.push(("population".into(), figure));
    }
    out
}

/// ln tau against 1000/T with the fitted barrier.
fn arrhenius_figure(cal: &Calibration, tau0: f64, barrier_j: f64, barrier_ev: f64) -> Figure {
    let inv: Vec<f64> = cal.fits.iter().map(|f| 1000.0 / f.temperature_k).collect();
    let tau: Vec<f64> = cal.fits.iter().map(|f| f.correlation_time_s).collect();
    let se: Vec<f64> = cal
        .fits
        .iter()
        .map(|f| f.log_tau.coefficients_se.first().copied().unwrap_or(0.0) * f.correlation_time_s)
        .collect();
    let line = fine(0.97 * inv[inv.len() - 1], 1.03 * inv[0]);
    let k = crate::units::BOLTZMANN;
    let panel = Panel::new("Arrhenius plot", Axis::unit("1000 / T", "1/K"), Axis::si("tau", "s").log())
        .series(Series::error_bars("measured", inv, tau, se))
        .series(Series::line(
            format!("barrier {barrier_ev:.3} eV"),
            line.clone(),
            line.iter().map(|x| tau0 * (barrier_j * x / 1000.0 / k).exp()).collect(),
        ));
    Figure::new(format!("{}: correlation time against temperature", short(cal))).panel(panel)
}

/// Measured against fitted probabilities (p-dit), one colour per temperature.
fn pdit(cal: &Calibration) -> Vec<(String, Figure)> {
    let colours = spread(cal.temperatures_k.len());
    let groups = by_temperature(&cal.points, &cal.temperatures_k);
    let mut panel = Panel::new(
        "class probabilities: measured against the softmax fit",
        Axis::new("fitted"),
        Axis::new("measured"),
    );
    for (i, fit) in cal.fits.iter().enumerate() {
        let Some(s) = &fit.softmax else { continue };
        let (mut x, mut y, mut e) = (Vec::new(), Vec::new(), Vec::new());
        for p in &groups[&i] {
            let v: Vec<f64> = s.controls.iter().map(|c| p.controls[c]).collect();
            let logits: Vec<f64> = s
                .bias
                .iter()
                .zip(&s.weights)
                .map(|(b, w)| b + w.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>())
                .collect();
            let top = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = logits.iter().map(|l| (l - top).exp()).sum();
            for (k, l) in logits.iter().enumerate() {
                x.push((l - top).exp() / z);
                y.push(p.probabilities.as_ref().map_or(f64::NAN, |q| q[k]));
                e.push(p.probability_se.as_ref().map_or(0.0, |q| q[k]));
            }
        }
        panel = panel.series(Series::error_bars(label(fit.temperature_k), x, y, e).color(colours[i]));
    }
    panel = panel.series(Series::line("measured = fitted", vec![0.0, 1.0], vec![0.0, 1.0]));
    vec![("softmax".into(), Figure::new(format!("{}: softmax fit", short(cal))).panel(panel))]
}

/// Mixture weight and means against the first control (p-MoG).
fn pmog(cal: &Calibration) -> Vec<(String, Figure)> {
    let colours = spread(cal.temperatures_k.len());
    let groups = by_temperature(&cal.points, &cal.temperatures_k);
    let name = &cal.controls[0].name;
    let mut weight =
        Panel::new("weight of the upper mode", Axis::si(name.as_str(), "V"), Axis::new("weight"));
    let mut means = Panel::new("mode positions", Axis::si(name.as_str(), "V"), Axis::si("mean", "V"));
    for (i, fit) in cal.fits.iter().enumerate() {
        let pts: Vec<_> = groups[&i].iter().filter(|p| p.mixture.is_some()).collect();
        let x: Vec<f64> = pts.iter().map(|p| p.controls[name]).collect();
        let m = |f: &dyn Fn(&crate::calibration::MixtureRecord) -> f64| -> Vec<f64> {
            pts.iter().map(|p| f(p.mixture.as_ref().unwrap_or_else(|| unreachable!()))).collect()
        };
        weight = weight.series(
            Series::error_bars(
                label(fit.temperature_k),
                x.clone(),
                m(&|r| r.weights[1]),
                m(&|r| r.weight_se),
            )
            .color(colours[i]),
        );
        means = means
            .series(
                Series::error_bars(
                    label(fit.temperature_k),
                    x.clone(),
                    m(&|r| r.means[0]),
                    m(&|r| r.mean_se[0]),
                )
                .color(colours[i]),
            )
            .series(Series::error_bars("", x, m(&|r| r.means[1]), m(&|r| r.mean_se[1])).color(colours[i]));
    }
    vec![(
        "mixture".into(),
        Figure::new(format!("{}: mixture parameters", short(cal))).panel(weight).panel(means),
    )]
}

/// Every figure of a calibration, named.
pub fn figures(cal: &Calibration) -> Vec<(String, Figure)> {
    match cal.cell {
        CellKind::Pbit => pbit(cal),
        CellKind::Pdit => pdit(cal),
        CellKind::Pmog => pmog(cal),
        // A coupling calibration is its own document, with its own figures.
        CellKind::Coupling | CellKind::Gaussian => Vec::new(),
    }
}

/// Render every figure into `dir` with extension `ext` (svg or png).
pub fn write(cal: &Calibration, dir: &Path, ext: &str) -> Result<Vec<std::path::PathBuf>, PlotError> {
    let mut written = Vec::new();
    for (name, figure) in figures(cal) {
        let path = dir.join(format!("{name}.{ext}"));
        render(&figure.size(900, 600), &path)?;
        written.push(path);
    }
    Ok(written)
}

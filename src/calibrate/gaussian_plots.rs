//! Figures of a Gaussian calibration ([`crate::calibration::gaussian`]):
//!
//! - `ellipses`: the 1-sigma covariance ellipse {x : x' S^-1 x = 1} around the mean in the
//!   (V(a), V(b)) plane, measured (lines) and linear-noise (dots), at every value of the first
//!   control with the other controls at their first grid value;
//! - `circulation`: against the first control, one colour per value of the second: the
//!   gyration rate L = (1/2) <v_a dv_b - v_b dv_a> / dt with its standard error (linear noise
//!   as dots),
//!   the normalised rate L / sqrt(det S) (the mean angular velocity of the whitened pair,
//!   1/s), the aspect ratio sqrt(lambda_max / lambda_min) of the ellipse and the angle of its
//!   principal axis from the V(a) axis (degrees).

use std::path::{Path, PathBuf};

use crate::calibration::{GaussianCalibration, GaussianPoint};
use crate::report::plot::{Axis, Figure, Panel, PlotError, Series, render, spread};

/// Principal axes of a symmetric 2x2 matrix: (lambda_max, lambda_min, angle of the major
/// axis in radians).
pub fn principal(s: &[Vec<f64>]) -> (f64, f64, f64) {
    let (a, b, c) = (s[0][0], s[0][1], s[1][1]);
    let mean = 0.5 * (a + c);
    let half = (0.25 * (a - c).powi(2) + b * b).sqrt();
    (mean + half, mean - half, 0.5 * (2.0 * b).atan2(a - c))
}

/// The 1-sigma ellipse of covariance `s` around `mean`, as 121 points.
fn ellipse(mean: &[f64], s: &[Vec<f64>], step: usize) -> (Vec<f64>, Vec<f64>) {
    let (l1, l2, angle) = principal(s);
    let (r1, r2) = (l1.max(0.0).sqrt(), l2.max(0.0).sqrt());
    let (sin, cos) = angle.sin_cos();
    (0..=120)
        .step_by(step)
        .map(|k| {
            let t = std::f64::consts::TAU * k as f64 / 120.0;
            let (u, v) = (r1 * t.cos(), r2 * t.sin());
            (mean[0] + cos * u - sin * v, mean[1] + sin * u + cos * v)
        })
        .unzip()
}

fn label(p: &GaussianPoint, names: &[&str]) -> String {
    names.iter().map(|n| format!("{n} {:.0} mV", 1e3 * p.controls[*n])).collect::<Vec<_>>().join(", ")
}

/// The figures, named.
pub fn figures(cal: &GaussianCalibration) -> Vec<(String, Figure)> {
    let Some(first) = cal.controls.first() else { return Vec::new() };
    let x_name = first.name.as_str();
    let other = cal.controls.get(1).map(|c| c.name.as_str());
    let fixed_others = |p: &GaussianPoint| {
        cal.controls[1..]
            .iter()
            .all(|c| (p.controls[&c.name] - c.start).abs() < 1e-12 * c.start.abs().max(1e-3))
    };
    let row: Vec<&GaussianPoint> = cal.points.iter().filter(|p| fixed_others(p)).collect();
    let colours = spread(row.len());
    let (na, nb) = (&cal.nodes[0], &cal.nodes[1]);
    let mut plane = Panel::new(
        "1-sigma covariance ellipses: measured (lines), linear noise (dots)",
        Axis::si(format!("V({na})"), "V"),
        Axis::si(format!("V({nb})"), "V"),
    );
    let names: Vec<&str> = cal.controls.iter().map(|c| c.name.as_str()).collect();
    for (p, &c) in row.iter().zip(&colours) {
        let (x, y) = ellipse(&p.mean_v, &p.covariance_v2, 1);
        plane = plane.series(Series::line(label(p, &names), x, y).color(c));
        if let Some(l) = &p.lna {
            let (x, y) = ellipse(&l.mean_v, &l.covariance_v2, 6);
            plane = plane.series(Series::points("", x, y).color(c));
        }
    }
    let mut circulation = vec![];
    let groups: Vec<f64> = match other {
        Some(_) => cal.controls[1].values(),
        None => vec![f64::NAN],
    };
    let colours = spread(groups.len());
    let mut gyration = Panel::new(
        "gyration rate (1/2)<va dvb - vb dva>/dt: measured +- se (lines), linear noise (dots)",
        Axis::si(x_name, "V"),
        Axis::si("L", "V^2/s"),
    );
    let mut normalised = Panel::new(
        "normalised circulation L / sqrt(det S)",
        Axis::si(x_name, "V"),
        Axis::si("L/sqrt(det S)", "1/s"),
    );
    let mut aspect = Panel::new("ellipse aspect ratio", Axis::si(x_name, "V"), Axis::new("sqrt(lmax/lmin)"));
    let mut angle = Panel::new("principal axis angle from V(a)", Axis::si(x_name, "V"), Axis::new("degrees"));
    for (g, &c) in groups.iter().zip(&colours) {
        let pts: Vec<&GaussianPoint> = cal
            .points
            .iter()
            .filter(|p| match other {
                Some(name) => (p.controls[name] - g).abs() < 1e-12_f64.max(1e-9 * g.abs()),
                None => true,
            })
            .filter(|p| {
                cal.controls
                    .iter()
                    .skip(2)
                    .all(|a| (p.controls[&a.name] - a.start).abs() < 1e-12 * a.start.abs().max(1e-3))
            })
            .collect();
        let name = other.map_or(String::new(), |n| format!("{n} {:.0} mV", 1e3 * g));
        let x: Vec<f64> = pts.iter().map(|p| p.controls[x_name]).collect();
        let l: Vec<f64> = pts.iter().map(|p| p.gyration_v2_per_s).collect();
        let e: Vec<f64> = pts.iter().map(|p| p.gyration_se_v2_per_s).collect();
        gyration = gyration
            .series(Series::line(name.clone(), x.clone(), l.clone()).color(c))
            .series(Series::error_bars("", x.clone(), l.clone(), e).color(c));
        let lna: Vec<(f64, f64)> = pts
            .iter()
            .filter_map(|p| p.lna.as_ref().map(|l| (p.controls[x_name], l.gyration_v2_per_s)))
            .collect();
        gyration = gyration.series(
            Series::points("", lna.iter().map(|p| p.0).collect(), lna.iter().map(|p| p.1).collect()).color(c),
        );
        let det: Vec<f64> = pts
            .iter()
            .map(|p| {
                let s = &p.covariance_v2;
                (s[0][0] * s[1][1] - s[0][1] * s[1][0]).sqrt()
            })
            .collect();
        normalised = normalised.series(
            Series::line(name.clone(), x.clone(), l.iter().zip(&det).map(|(l, d)| l / d).collect()).color(c),
        );
        let axes: Vec<(f64, f64, f64)> = pts.iter().map(|p| principal(&p.covariance_v2)).collect();
        aspect = aspect.series(
            Series::line(name.clone(), x.clone(), axes.iter().map(|a| (a.0 / a.1).sqrt()).collect()).color(c),
        );
        angle = angle.series(Series::line(name, x, axes.iter().map(|a| a.2.to_degrees()).collect()).color(c));
    }
    circulation.push(gyration);
    circulation.push(normalised);
    circulation.push(aspect);
    circulation.push(angle);
    let stem =
        Path::new(&cal.circuit.path).file_stem().map_or("pair".into(), |s| s.to_string_lossy().into_owned());
    let mut c = Figure::new(format!("{stem}: circulation and shape against {x_name}"));
    for p in circulation {
        c = c.panel(p);
    }
    vec![
        (
            "ellipses".to_string(),
            Figure::new(format!("{stem}: covariance ellipses")).panel(plane).size(800, 800),
        ),
        ("circulation".to_string(), c.share_x().size(900, 1200)),
    ]
}

/// Render every figure into `dir` with extension `ext` (svg or png).
pub fn write(cal: &GaussianCalibration, dir: &Path, ext: &str) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    for (name, figure) in figures(cal) {
        let path = dir.join(format!("{name}.{ext}"));
        render(&figure, &path)?;
        written.push(path);
    }
    Ok(written)
}

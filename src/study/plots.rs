//! The figures of a temperature study, built from its point records.
//!
//! - traces: the readout against time at each temperature;
//! - P(1) against the control at each temperature, with the fitted logistic
//!   sigma((V - V0) / Vs);
//! - Vs against T with the fitted proportional law Vs = a T (the width a cell would have if
//!   only kT/q set it);
//! - the correlation time tau(V0) against 1 / kT with the Arrhenius fit tau0 exp(E_b / kT);
//! - energy per sample against T (cell and chip);
//! - the chip's effective beta (measured by the uncoupled probe, and predicted by
//!   beta Vs(T_design) c / Vs(T)) and mean |m| against T, with and without compensation.

use std::collections::BTreeMap;

use super::point::{PointResult, Stage};
use super::store::PointRecord;
use crate::calibrate::fitting::temperature_fits;
use crate::calibration::{TemperatureFit, TemperatureFits};
use crate::report::plot::{Axis, Figure, LegendPosition, Panel, Series, categorical, spread};
use crate::units::{BOLTZMANN, ELEMENTARY_CHARGE, format_si};

/// A figure with its file stem and caption.
pub struct StudyFigure {
    pub name: &'static str,
    pub caption: String,
    pub figure: Figure,
}

/// Label of a point's swept values.
fn group_label(record: &PointRecord) -> String {
    let parts: Vec<String> = record.key.parameters.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    parts.join(", ")
}

/// Records of one stage grouped by their non-temperature parameters (in index order).
fn groups(records: &[PointRecord], stage: Stage) -> Vec<(String, Vec<&PointRecord>)> {
    let mut map: BTreeMap<usize, (String, Vec<&PointRecord>)> = BTreeMap::new();
    let mut first: BTreeMap<String, usize> = BTreeMap::new();
    for r in records.iter().filter(|r| r.key.stage == stage) {
        let label = group_label(r);
        let at = *first.entry(label.clone()).or_insert(r.key.index);
        map.entry(at).or_insert_with(|| (label, Vec::new())).1.push(r);
    }
    map.into_values().collect()
}

fn temperature_label(t: f64) -> String {
    format!("{t:.1} K")
}

fn traces(records: &[PointRecord]) -> Option<StudyFigure> {
    let group = groups(records, Stage::Traces).into_iter().next()?;
    let mut figure = Figure::new(format!("p-bit readout against time ({})", nonempty(&group.0))).share_x();
    let colors = spread(group.1.len());
    for (r, &c) in group.1.iter().zip(&colors) {
        let PointResult::Traces(t) = &r.result else { continue };
        let p1 = t.probabilities.get(1).copied().unwrap_or(f64::NAN);
        let rate = t.switching_rate_hz.map_or("n/a".into(), |x| format_si(x, "Hz"));
        figure = figure.panel(
            Panel::new(
                format!("{}: P(1) = {p1:.3}, switching rate {rate}", temperature_label(r.key.temperature_k)),
                Axis::si("time", "s"),
                Axis::new(t.output.clone()).range(-0.1, 1.1),
            )
            .series(Series::step("", t.trace.time_s.clone(), t.trace.readout.clone()).color(c)),
        );
    }
    let n = figure.panels.len() as u32;
    Some(StudyFigure {
        name: "traces",
        caption: "The readout of the first run at each temperature: a random telegraph signal whose \
                  dwell times shorten as the chip warms."
            .into(),
        figure: figure.size(1000, 120 + 170 * n),
    })
}

fn nonempty(label: &str) -> &str {
    if label.is_empty() { "shipped parameters" } else { label }
}

fn calibration_fits(group: &[&PointRecord]) -> Vec<TemperatureFit> {
    let mut fits: Vec<TemperatureFit> = group
        .iter()
        .filter_map(|r| match &r.result {
            PointResult::Calibration(c) => Some(c.fit.clone()),
            _ => None,
        })
        .collect();
    fits.sort_by(|a, b| a.temperature_k.total_cmp(&b.temperature_k));
    fits
}

/// Fits across temperature of one group, when there are enough temperatures.
pub fn group_temperature_fits(group: &[&PointRecord]) -> Option<TemperatureFits> {
    let fits = calibration_fits(group);
    if fits.len() < 2 { None } else { temperature_fits(&fits, true).ok() }
}

fn bias_curves(records: &[PointRecord]) -> Option<StudyFigure> {
    let groups = groups(records, Stage::Calibration);
    if groups.is_empty() {
        return None;
    }
    let mut figure = Figure::new("P(1) against the control voltage");
    for (label, group) in groups.iter().take(4) {
        let colors = spread(group.len());
        let mut panel =
            Panel::new(nonempty(label), Axis::si("control", "V"), Axis::new("P(1)").range(0.0, 1.0))
                .legend(LegendPosition::UpperLeft);
        for (r, &c) in group.iter().zip(&colors) {
            let PointResult::Calibration(cal) = &r.result else { continue };
            let v: Vec<f64> = cal.points.iter().map(|p| p.control_v).collect();
            let (lo, hi) =
                (v.iter().copied().fold(f64::MAX, f64::min), v.iter().copied().fold(f64::MIN, f64::max));
            panel = panel.series(
                Series::error_bars(
                    temperature_label(r.key.temperature_k),
                    v.clone(),
                    cal.points.iter().map(|p| p.p1).collect(),
                    cal.points.iter().map(|p| p.p1_se).collect(),
                )
                .color(c),
            );
            if let (Some(v0), Some(vs)) = (cal.fit.v0, cal.fit.vs) {
                let x: Vec<f64> = (0..=100).map(|i| lo + (hi - lo) * i as f64 / 100.0).collect();
                let y = x.iter().map(|&x| crate::special::logistic((x - v0) / vs)).collect();
                panel = panel.series(Series::line("", x, y).color(c));
            }
        }
        figure = figure.panel(panel);
    }
    let n = figure.panels.len() as u32;
    Some(StudyFigure {
        name: "bias_curves",
        caption: "Measured P(1) (points, one standard error) and the fitted logistic sigma((V - V0) / Vs) \
                  at each temperature."
            .into(),
        figure: figure.size(900, 140 + 380 * n),
    })
}

fn width_and_arrhenius(records: &[PointRecord]) -> Vec<StudyFigure> {
    let groups = groups(records, Stage::Calibration);
    let mut width =
        Panel::new("logistic width against temperature", Axis::unit("T", "K"), Axis::si("Vs", "V"))
            .legend(LegendPosition::UpperLeft);
    let mut arrhenius = Panel::new(
        "correlation time at V0 (Arrhenius)",
        Axis::unit("1 / kT", "1/eV"),
        Axis::si("tau", "s").log(),
    );
    let mut any_width = false;
    let mut any_tau = false;
    for (k, (label, group)) in groups.iter().enumerate().take(6) {
        let fits = calibration_fits(group);
        let c = categorical(k);
        let name = nonempty(label).to_string();
        let t: Vec<f64> = fits.iter().map(|f| f.temperature_k).collect();
        let vs: Vec<(f64, f64, f64)> =
            fits.iter().filter_map(|f| Some((f.temperature_k, f.vs?, f.vs_se.unwrap_or(0.0)))).collect();
        if !vs.is_empty() {
            any_width = true;
            width = width.series(
                Series::error_bars(
                    format!("{name}: fitted Vs"),
                    vs.iter().map(|p| p.0).collect(),
                    vs.iter().map(|p| p.1).collect(),
                    vs.iter().map(|p| p.2).collect(),
                )
                .color(c),
            );
        }
        let tf = group_temperature_fits(group);
        if let Some(p) = tf.as_ref().and_then(|f| f.vs_proportional.as_ref()) {
            let hi = t.iter().copied().fold(0.0, f64::max) * 1.05;
            let x: Vec<f64> = vec![0.0_f64.max(t[0] * 0.9), hi];
            width = width.series(
                Series::line(
                    format!(
                        "Vs = {:.1} uV/K x T (max dev. {:.1} %)",
                        p.slope * 1e6,
                        100.0 * p.max_relative_deviation
                    ),
                    x.clone(),
                    x.iter().map(|t| p.slope * t).collect(),
                )
                .color(c),
            );
        }
        let inv_kt = |t: f64| ELEMENTARY_CHARGE / (BOLTZMANN * t);
        if !fits.is_empty() {
            any_tau = true;
            arrhenius = arrhenius.series(
                Series::error_bars(
                    format!("{name}: measured"),
                    t.iter().map(|&t| inv_kt(t)).collect(),
                    fits.iter().map(|f| f.correlation_time_s).collect(),
                    fits.iter()
                        .map(|f| {
                            f.log_tau.coefficients_se.first().copied().unwrap_or(0.0) * f.correlation_time_s
                        })
                        .collect(),
                )
                .color(c),
            );
        }
        if let Some(a) = tf.as_ref().and_then(|f| f.arrhenius.as_ref()) {
            let x: Vec<f64> = t.iter().map(|&t| inv_kt(t)).collect();
            arrhenius = arrhenius.series(
                Series::line(
                    format!("E_b = {:.3} eV, tau0 = {}", a.barrier_ev, format_si(a.tau0_s, "s")),
                    x.clone(),
                    x.iter().map(|x| a.tau0_s * (a.barrier_ev * x).exp()).collect(),
                )
                .color(c),
            );
        }
    }
    let mut out = Vec::new();
    if any_width {
        out.push(StudyFigure {
            name: "width_vs_temperature",
            caption: "The fitted logistic width Vs against T, with the least-squares line through the \
                      origin: a width proportional to T means the cell's effective beta follows 1/T."
                .into(),
            figure: Figure::new("Vs against temperature").panel(width).size(900, 520),
        });
    }
    if any_tau {
        out.push(StudyFigure {
            name: "arrhenius",
            caption: "Correlation time at the balance point V0 against 1/kT (log scale), with the \
                      Arrhenius fit tau0 exp(E_b / kT) when three or more temperatures were run."
                .into(),
            figure: Figure::new("Arrhenius plot").panel(arrhenius).size(900, 520),
        });
    }
    out
}

fn energy(records: &[PointRecord]) -> Option<StudyFigure> {
    let mut cell =
        Panel::new("cell: energy per independent sample", Axis::unit("T", "K"), Axis::si("energy", "J"))
            .legend(LegendPosition::UpperLeft);
    let mut any = false;
    for (k, (label, group)) in groups(records, Stage::Calibration).iter().enumerate().take(6) {
        let fits = calibration_fits(group);
        if fits.is_empty() {
            continue;
        }
        any = true;
        cell = cell.series(
            Series::points(
                format!("{} (at V0)", nonempty(label)),
                fits.iter().map(|f| f.temperature_k).collect(),
                fits.iter().map(|f| f.energy_per_sample_j).collect(),
            )
            .color(categorical(k)),
        );
    }
    let mut figure = Figure::new("Energy per sample against temperature");
    if any {
        figure = figure.panel(cell);
    }
    let chip = chip_series(records, |c| Some(c.chip_energy_per_sample_j), |_| None);
    if !chip.is_empty() {
        let mut panel = Panel::new(
            "chip: energy per independent sample (cells and links)",
            Axis::unit("T", "K"),
            Axis::si("energy", "J"),
        )
        .legend(LegendPosition::UpperLeft);
        for s in chip {
            panel = panel.series(s);
        }
        figure = figure.panel(panel);
    }
    if figure.panels.is_empty() {
        return None;
    }
    let n = figure.panels.len() as u32;
    Some(StudyFigure {
        name: "energy",
        caption: "Energy per independent sample: the cell's supply power times its correlation time at \
                  V0, and the chip's energy per sweep times twice the integrated autocorrelation time \
                  of its energy."
            .into(),
        figure: figure.size(900, 120 + 380 * n),
    })
}

/// One series per (mismatch, compensation) group of chip points.
fn chip_series(
    records: &[PointRecord],
    value: impl Fn(&super::point::ChipResult) -> Option<f64>,
    error: impl Fn(&super::point::ChipResult) -> Option<f64>,
) -> Vec<Series> {
    let mut out = Vec::new();
    for (k, (label, group)) in groups(records, Stage::Chip).iter().enumerate() {
        let mut pts: Vec<(f64, f64, f64)> = group
            .iter()
            .filter_map(|r| match &r.result {
                PointResult::Chip(c) => Some((r.key.temperature_k, value(c)?, error(c).unwrap_or(0.0))),
                _ => None,
            })
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let label = format!("compensation {}", label.replace("compensation = ", ""));
        let (x, y, e): (Vec<f64>, Vec<f64>, Vec<f64>) = (
            pts.iter().map(|p| p.0).collect(),
            pts.iter().map(|p| p.1).collect(),
            pts.iter().map(|p| p.2).collect(),
        );
        out.push(Series::line("", x.clone(), y.clone()).color(categorical(k)));
        out.push(Series::error_bars(label, x, y, e).color(categorical(k)));
    }
    out
}

fn chip(records: &[PointRecord]) -> Option<StudyFigure> {
    let measured = chip_series(records, |c| Some(c.effective_beta_measured), |c| Some(c.effective_beta_se));
    if measured.is_empty() {
        return None;
    }
    let mut beta =
        Panel::new("effective beta (uncoupled probe)", Axis::unit("T", "K"), Axis::new("beta_eff"));
    for s in measured {
        beta = beta.series(s);
    }
    let mut predicted: Vec<(f64, f64)> = records
        .iter()
        .filter_map(|r| match &r.result {
            PointResult::Chip(c) if !c.compensation => {
                Some((r.key.temperature_k, c.effective_beta_predicted))
            }
            _ => None,
        })
        .collect();
    predicted.sort_by(|a, b| a.0.total_cmp(&b.0));
    predicted.dedup_by(|a, b| a.0 == b.0);
    if !predicted.is_empty() {
        beta = beta.series(Series::points(
            "predicted beta Vs(T_design) / Vs(T)",
            predicted.iter().map(|p| p.0).collect(),
            predicted.iter().map(|p| p.1).collect(),
        ));
    }
    let mut m = Panel::new("mean |m| of the chip", Axis::unit("T", "K"), Axis::new("<|m|>"));
    for s in chip_series(records, |c| Some(c.mean_abs_magnetization), |c| Some(c.mean_abs_magnetization_se)) {
        m = m.series(s);
    }
    Some(StudyFigure {
        name: "chip",
        caption: "The chip with calibrated p-bit cells: its effective beta (measured on an uncoupled probe \
                  lattice in a field h, beta_eff = atanh(m) / h) and its mean |m|, without compensation \
                  (beta_eff falls as Vs grows with T) and with the input gain scaled by T / T_design."
            .into(),
        figure: Figure::new("Chip against temperature").panel(beta).panel(m).size(900, 820),
    })
}

/// Every figure the records support, in report order.
pub fn figures(records: &[PointRecord]) -> Vec<StudyFigure> {
    let mut out = Vec::new();
    out.extend(traces(records));
    out.extend(bias_curves(records));
    out.extend(width_and_arrhenius(records));
    out.extend(energy(records));
    out.extend(chip(records));
    out
}

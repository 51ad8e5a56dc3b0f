//! `report.html`: one self-contained page (inline SVG, no scripts, no external files) with
//! the study's figures, tables of every point, the study file, the version, the seeds and
//! the run times. The figures are also written to DIR/plots/ as SVG and PNG.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::StudyError;
use super::plots::{self, group_temperature_fits};
use super::point::{PointResult, Stage};
use super::store::{Manifest, PointRecord, StudyDir};
use crate::report::plot::{render, render_svg_string};
use crate::units::format_si;

/// What `write` produced.
#[derive(Debug, Clone)]
pub struct ReportOutcome {
    pub html: PathBuf,
    pub figures: Vec<String>,
    pub points: usize,
    pub missing: Vec<usize>,
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn si(x: Option<f64>, unit: &str) -> String {
    x.filter(|v| v.is_finite()).map_or("–".into(), |v| format_si(v, unit))
}

fn params(r: &PointRecord) -> String {
    let p: Vec<String> = r.key.parameters.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    escape(&p.join(", "))
}

pub(crate) fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

pub(crate) const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:90%}td,th{border:1px solid #bbb;padding:3px 8px;\
text-align:right}th{background:#eee}figure{margin:2em 0}figcaption{color:#444;max-width:900px}\
pre{background:#f6f6f6;padding:1em;overflow:auto}svg{max-width:100%;height:auto}.warn{color:#a00}";

fn stage_tables(out: &mut String, records: &[PointRecord]) {
    let rows_of = |stage: Stage| records.iter().filter(move |r| r.key.stage == stage);
    let traces: Vec<Vec<String>> = rows_of(Stage::Traces)
        .filter_map(|r| match &r.result {
            PointResult::Traces(t) => Some(vec![
                r.key.index.to_string(),
                format!("{:.2}", r.key.temperature_k),
                params(r),
                t.probabilities.get(1).map_or("–".into(), |p| format!("{p:.4}")),
                si(t.correlation_time_s, "s"),
                si(t.switching_rate_hz, "Hz"),
                si(Some(t.power_w), "W"),
                si(t.energy_per_sample_j, "J"),
            ]),
            _ => None,
        })
        .collect();
    if !traces.is_empty() {
        out.push_str("<h2>Traces</h2>\n");
        let h = [
            "point",
            "T (K)",
            "parameters",
            "P(1)",
            "correlation time",
            "switching rate",
            "power",
            "energy/sample",
        ];
        table(out, &h, &traces);
    }
    let cal: Vec<Vec<String>> = rows_of(Stage::Calibration)
        .filter_map(|r| match &r.result {
            PointResult::Calibration(c) => {
                let unmet = c.points.iter().filter(|p| !p.precision_reached).count();
                Some(vec![
                    r.key.index.to_string(),
                    format!("{:.2}", r.key.temperature_k),
                    params(r),
                    format!("{} ± {}", si(c.fit.v0, "V"), si(c.fit.v0_se, "V")),
                    format!("{} ± {}", si(c.fit.vs, "V"), si(c.fit.vs_se, "V")),
                    c.fit.logistic.as_ref().map_or("–".into(), |g| format!("{:.2}", g.chi2_per_dof)),
                    si(Some(c.fit.correlation_time_s), "s"),
                    si(Some(c.fit.energy_per_sample_j), "J"),
                    if unmet == 0 { "yes".into() } else { format!("<span class=warn>{unmet} short</span>") },
                ])
            }
            _ => None,
        })
        .collect();
    if !cal.is_empty() {
        out.push_str("<h2>Calibration</h2>\n");
        let h = [
            "point",
            "T (K)",
            "parameters",
            "V0",
            "Vs",
            "chi2/dof",
            "tau(V0)",
            "energy/sample",
            "precision met",
        ];
        table(out, &h, &cal);
        let groups: Vec<Vec<String>> = {
            let mut labels: Vec<String> = Vec::new();
            let mut rows = Vec::new();
            for r in rows_of(Stage::Calibration) {
                let label = params(r);
                if labels.contains(&label) {
                    continue;
                }
                labels.push(label.clone());
                let group: Vec<&PointRecord> =
                    rows_of(Stage::Calibration).filter(|q| params(q) == label).collect();
                let Some(f) = group_temperature_fits(&group) else { continue };
                let (slope, dev) = f.vs_proportional.as_ref().map_or(("–".into(), "–".into()), |p| {
                    (
                        format!("{:.2} ± {:.2}", p.slope * 1e6, p.slope_se * 1e6),
                        format!("{:.2} %", 100.0 * p.max_relative_deviation),
                    )
                });
                let (barrier, tau0) = f.arrhenius.as_ref().map_or(("–".into(), "–".into()), |a| {
                    (format!("{:.3}", a.barrier_ev), format_si(a.tau0_s, "s"))
                });
                rows.push(vec![if label.is_empty() { "–".into() } else { label }, slope, dev, barrier, tau0]);
            }
            rows
        };
        if !groups.is_empty() {
            out.push_str("<h3>Fits across temperature</h3>\n");
            let h = ["parameters", "Vs / T (µV/K)", "largest deviation from ∝ T", "barrier (eV)", "tau0"];
            table(out, &h, &groups);
        }
    }
    let chip: Vec<Vec<String>> = rows_of(Stage::Chip)
        .filter_map(|r| match &r.result {
            PointResult::Chip(c) => Some(vec![
                r.key.index.to_string(),
                format!("{:.2}", r.key.temperature_k),
                params(r),
                c.cells.to_string(),
                format!("{:.4}", c.effective_beta_predicted),
                format!("{:.4} ± {:.4}", c.effective_beta_measured, c.effective_beta_se),
                format!("{:.4} ± {:.4}", c.mean_abs_magnetization, c.mean_abs_magnetization_se),
                format!("{:.4} ± {:.4}", c.energy_per_cell, c.energy_per_cell_se),
                si(Some(c.chip_energy_per_sample_j), "J"),
            ]),
            _ => None,
        })
        .collect();
    if !chip.is_empty() {
        out.push_str("<h2>Chip</h2>\n");
        let h = [
            "point",
            "T (K)",
            "parameters",
            "cells",
            "beta_eff predicted",
            "beta_eff measured",
            "<|m|>",
            "E / N",
            "energy/sample",
        ];
        table(out, &h, &chip);
    }
}

/// Merge nothing, read `dir`, and write `dir/report.html` and `dir/plots/`. With missing
/// points it fails unless `partial`.
pub fn write(dir: &StudyDir, partial: bool) -> Result<ReportOutcome, StudyError> {
    let (manifest, records, missing) = dir.read_all()?;
    if !missing.is_empty() && !partial {
        let list: Vec<String> = missing.iter().take(20).map(|i| i.to_string()).collect();
        return Err(StudyError::Directory(format!(
            "{}: {} of {} points are missing ({}{}); run the missing shards or `pbitsim sweep --resume`, \
             or pass --partial to report what is there",
            dir.root.display(),
            missing.len(),
            manifest.points.len(),
            list.join(", "),
            if missing.len() > 20 { ", ..." } else { "" }
        )));
    }
    if missing.is_empty() {
        dir.write_results(&records)?;
    }
    let figures = plots::figures(&records);
    let plot_dir = dir.root.join("plots");
    std::fs::create_dir_all(&plot_dir).map_err(|e| StudyError::Io(format!("{}: {e}", plot_dir.display())))?;
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>");
    let _ = writeln!(html, "<title>{}</title><style>{STYLE}</style></head><body>", escape(&manifest.name));
    header(&mut html, dir, &manifest, &records, &missing);
    let mut names = Vec::new();
    for f in &figures {
        render(&f.figure, plot_dir.join(format!("{}.svg", f.name)))?;
        render(&f.figure, plot_dir.join(format!("{}.png", f.name)))?;
        // Inline: the <svg> element without the XML prologue.
        let svg = render_svg_string(&f.figure)?;
        let svg = svg.find("<svg").map_or(svg.as_str(), |at| &svg[at..]);
        let _ = writeln!(
            html,
            "<figure id=\"{}\">{svg}<figcaption>{}</figcaption></figure>",
            f.name,
            escape(&f.caption)
        );
        names.push(f.name.to_string());
    }
    stage_tables(&mut html, &records);
    runs_table(&mut html, dir, &records);
    let text = dir.study_text().unwrap_or_default();
    let _ = write!(html, "<h2>Study file</h2>\n<pre>{}</pre>\n", escape(&text));
    html.push_str("</body></html>\n");
    let path = dir.root.join("report.html");
    crate::io::write_atomic(&path, html.as_bytes())?;
    Ok(ReportOutcome { html: path, figures: names, points: records.len(), missing })
}

fn header(html: &mut String, dir: &StudyDir, m: &Manifest, records: &[PointRecord], missing: &[usize]) {
    let wall: f64 = records.iter().filter_map(|r| dir.read_timing(r.key.index)).map(|t| t.wall_s).sum();
    let _ = write!(
        html,
        "<h1>{}</h1>\n<p>pbitsim {} (report by pbitsim {}). Study file <code>{}</code> (SHA-256 <code>{}</code>), \
         master seed {}, {} points; point i draws from seed.child(SweepPoint, i). Summed point run time {:.1} s.</p>\n",
        escape(&m.name),
        escape(&m.pbitsim_version),
        env!("CARGO_PKG_VERSION"),
        escape(&m.source),
        &m.sha256[..16.min(m.sha256.len())],
        m.seed,
        m.points.len(),
        wall
    );
    if !missing.is_empty() {
        let _ = writeln!(
            html,
            "<p class=warn>Partial report: {} of {} points are missing.</p>",
            missing.len(),
            m.points.len()
        );
    }
}

fn runs_table(html: &mut String, dir: &StudyDir, records: &[PointRecord]) {
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let t = dir.read_timing(r.key.index);
            vec![
                r.key.index.to_string(),
                r.key.stage.name().into(),
                format!("{:.2}", r.key.temperature_k),
                params(r),
                r.key.seed.to_string(),
                t.as_ref().map_or("–".into(), |t| format!("{:.2}", t.wall_s)),
                t.as_ref().map_or("–".into(), |t| t.threads.to_string()),
                t.and_then(|t| t.shard).unwrap_or_else(|| "–".into()),
            ]
        })
        .collect();
    html.push_str("<h2>Points: seeds and run times</h2>\n");
    table(html, &["point", "stage", "T (K)", "parameters", "seed", "wall (s)", "threads", "shard"], &rows);
}

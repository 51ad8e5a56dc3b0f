//! The HTML report of a training run, study or DTM: one self-contained page (inline SVG, no
//! scripts, nothing fetched), with every figure also written to DIR/plots/ as SVG and PNG.

use super::TrainError;
use super::checkpoint::HistoryRow;
use crate::report::plot::{
    Axis, Figure, Heatmap, Panel, Rgb, Series, heatmap_svg_string, render, render_heatmap,
};
use crate::study::report::{STYLE, escape, table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod dtm;
mod study;
pub use dtm::dtm;
pub use study::study;

/// A page being written.
pub struct Page {
    html: String,
    plots: PathBuf,
}

impl Page {
    /// A page titled `title` whose figures go to `dir/plots/`.
    pub fn new(dir: &Path, title: &str) -> Result<Self, TrainError> {
        let plots = dir.join("plots");
        std::fs::create_dir_all(&plots).map_err(|e| TrainError::Io(format!("{}: {e}", plots.display())))?;
        let mut html = String::from("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>");
        let _ = writeln!(html, "<title>{}</title><style>{STYLE}</style></head><body>", escape(title));
        let _ = writeln!(html, "<h1>{}</h1>", escape(title));
        Ok(Page { html, plots })
    }

    /// A heading.
    pub fn heading(&mut self, text: &str) {
        let _ = writeln!(self.html, "<h2>{}</h2>", escape(text));
    }

    /// A paragraph of plain text.
    pub fn text(&mut self, text: &str) {
        let _ = writeln!(self.html, "<p>{}</p>", escape(text));
    }

    /// A table (cells are escaped).
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| escape(c)).collect()).collect();
        table(&mut self.html, header, &rows);
    }

    /// A figure, inline and in plots/NAME.svg and .png.
    pub fn figure(&mut self, name: &str, caption: &str, figure: &Figure) -> Result<(), TrainError> {
        render(figure, self.plots.join(format!("{name}.svg")))?;
        render(figure, self.plots.join(format!("{name}.png")))?;
        let svg = crate::report::plot::render_svg_string(figure)?;
        self.inline(name, caption, &svg);
        Ok(())
    }

    /// An image grid, inline and in plots/NAME.svg and .png.
    pub fn grid(&mut self, name: &str, caption: &str, grid: &Heatmap) -> Result<(), TrainError> {
        render_heatmap(grid, self.plots.join(format!("{name}.svg")))?;
        render_heatmap(grid, self.plots.join(format!("{name}.png")))?;
        let svg = heatmap_svg_string(grid)?;
        self.inline(name, caption, &svg);
        Ok(())
    }

    fn inline(&mut self, name: &str, caption: &str, svg: &str) {
        let svg = svg.find("<svg").map_or(svg, |at| &svg[at..]);
        let _ = writeln!(
            self.html,
            "<figure id=\"{name}\">{svg}<figcaption>{}</figcaption></figure>",
            escape(caption)
        );
    }

    /// A block of preformatted text (e.g. the training file).
    pub fn pre(&mut self, text: &str) {
        let _ = writeln!(self.html, "<pre>{}</pre>", escape(text));
    }

    /// Writes the page to `path` atomically.
    pub fn write(mut self, path: &Path) -> Result<(), TrainError> {
        self.html.push_str("</body></html>\n");
        Ok(crate::io::write_atomic(path, self.html.as_bytes())?)
    }
}

/// Images (spins, `rows x cols` each) tiled `per_row` to a row with a one-pixel grey border.
pub fn image_grid(images: &[Vec<i8>], rows: usize, cols: usize, per_row: usize) -> Heatmap {
    let per_row = per_row.max(1);
    let lines = images.len().div_ceil(per_row).max(1);
    let (w, h) = (per_row * (cols + 1) + 1, lines * (rows + 1) + 1);
    let mut values = vec![0.0; w * h];
    for (k, img) in images.iter().enumerate() {
        let (x0, y0) = (1 + (k % per_row) * (cols + 1), 1 + (k / per_row) * (rows + 1));
        for (p, &s) in img.iter().enumerate() {
            values[(y0 + p / cols) * w + x0 + p % cols] = if s > 0 { 1.0 } else { -1.0 };
        }
    }
    let cell = (640 / w.max(h)).clamp(2, 24) as u32;
    Heatmap::new(h, w, values).range(-1.0, 1.0).cell(cell).two_colors(Rgb(255, 255, 255), Rgb(20, 20, 20))
}

/// The loss history as a figure: the loss evaluations and the gradient's RMS against step.
pub fn history_figure(title: &str, history: &[HistoryRow], loss_label: &str) -> Figure {
    let steps: Vec<f64> = history.iter().map(|h| h.step as f64).collect();
    let rms: Vec<f64> = history.iter().map(|h| h.gradient_rms).collect();
    let (ls, lv): (Vec<f64>, Vec<f64>) =
        history.iter().filter_map(|h| h.loss.map(|l| (h.step as f64, l))).filter(|p| p.1.is_finite()).unzip();
    let mut figure = Figure::new(title).share_x();
    if !ls.is_empty() {
        figure = figure.panel(
            Panel::new(loss_label, Axis::new("step"), Axis::new(loss_label)).series(Series::line("", ls, lv)),
        );
    }
    let positive: Vec<(f64, f64)> = steps.into_iter().zip(rms).filter(|p| p.1 > 0.0).collect();
    let (x, y): (Vec<f64>, Vec<f64>) = positive.into_iter().unzip();
    figure
        .panel(
            Panel::new(
                "gradient estimate (RMS of beta (data - model) moments)",
                Axis::new("step"),
                Axis::new("RMS").log(),
            )
            .series(Series::line("", x, y)),
        )
        .size(900, 650)
}

fn num(x: f64) -> String {
    if x.is_finite() { format!("{x:.4}") } else { "–".into() }
}

/// The evaluation as table rows (quantity, value, note).
pub fn evaluation_rows(e: &super::evaluate::Evaluation) -> Vec<Vec<String>> {
    let mut rows = vec![];
    if let Some(x) = &e.exact {
        rows.push(vec!["KL(data ‖ model), exact".into(), num(x.kl), "nats, by enumeration".into()]);
        rows.push(vec![
            "training NLL, exact".into(),
            num(x.train_nll),
            format!("nats; data entropy {}", num(x.data_entropy)),
        ]);
        rows.push(vec!["held-out NLL, exact".into(), num(x.test_nll), "nats".into()]);
        rows.push(vec!["ln Z, exact".into(), num(x.log_z), String::new()]);
    }
    if let Some(x) = &e.deployed {
        rows.push(vec![
            "KL(data ‖ chip), exact".into(),
            num(x.kl),
            "nats: the law the run's cells realise (effective model)".into(),
        ]);
        rows.push(vec!["held-out NLL on the chip, exact".into(), num(x.test_nll), "nats".into()]);
    }
    if let Some(a) = &e.ais {
        rows.push(vec![
            "ln Z, AIS".into(),
            format!("{} ± {}", num(a.log_z.log_z), num(a.log_z.log_z_se)),
            format!(
                "{} runs x {} temperatures, {:.1} effective runs",
                a.log_z.runs, a.log_z.betas, a.log_z.effective_runs
            ),
        ]);
        rows.push(vec![
            "held-out NLL, AIS".into(),
            format!("{} ± {}", num(a.test_nll), num(a.test_nll_se)),
            format!("nats, {} held-out images (error: AIS only)", a.examples),
        ]);
    }
    if let Some(s) = &e.sampled {
        rows.push(vec![
            "KL(data ‖ chip samples)".into(),
            format!("{} ± {}", num(s.kl), num(s.kl_se)),
            format!(
                "{} samples from {} chains of the run's cells; {:.3} of them data patterns",
                s.samples, s.chains, s.mass_on_data
            ),
        ]);
    }
    if let Some(c) = &e.conditional {
        let opt = |x: Option<f64>| x.map_or("–".into(), num);
        rows.push(vec![
            format!("conditional generation ({} rows clamped)", c.clamped_rows),
            format!("{} ± {}", num(c.accuracy), num(c.accuracy_se)),
            format!(
                "fraction of generated free pixels equal to the held-out image's, {} images; exact machine {}, \
                 images from the data's own conditional law {}",
                c.examples,
                opt(c.exact_accuracy),
                opt(c.data_accuracy)
            ),
        ]);
    }
    rows
}

/// The report of a plain training run.
pub fn plain(
    dir: &Path,
    file: &super::config::TrainFile,
    data: &super::data::DataSet,
    summary: &super::plain::Summary,
    history: &[HistoryRow],
    images: &[Vec<i8>],
) -> Result<(), TrainError> {
    let mut page = Page::new(dir, &format!("Training: {}", data.name))?;
    let m = &summary.machine;
    page.text(&format!(
        "pbitsim {}. Training file {} (SHA-256 {}…), seed {}. Machine: {} cells ({} visible, {} hidden), {} edges, \
         beta = {}; {} steps, {} chain sweeps. Cells: {}. Data: {} ({}).",
        summary.pbitsim_version,
        file.path.display(),
        &file.sha256[..16],
        file.train.seed,
        m.cells,
        m.visible,
        m.hidden,
        m.edges,
        m.beta,
        summary.steps,
        summary.chain_sweeps,
        summary.cells.map_or("ideal".to_string(), |c| format!(
            "calibrated p-bits at {:.1} K (design {:.1} K), mismatch sigma {}",
            c.temperature_k,
            c.design_temperature_k,
            crate::units::format_si(c.mismatch_sigma_v, "V")
        )),
        data.name,
        data.provenance
    ));
    page.heading("Evaluation");
    page.table(&["quantity", "value", "note"], &evaluation_rows(summary.evaluation));
    let label = if data.exact { "KL (nats)" } else { "KL to the training set (nats)" };
    page.figure("history", "Loss (exact, where the machine can be enumerated) and the size of the gradient estimate against training step.", &history_figure("training", history, label))?;
    if !images.is_empty() {
        page.grid(
            "samples",
            "Images sampled from the trained machine on its own cells (8 chains, 8 reads each).",
            &image_grid(images, data.rows, data.cols, 8),
        )?;
        let shown: Vec<Vec<i8>> = data.train.iter().take(images.len()).map(|e| e.pixels.clone()).collect();
        page.grid("data", "Training images, for comparison.", &image_grid(&shown, data.rows, data.cols, 8))?;
    }
    page.heading("Training file");
    page.pre(&file.text);
    page.write(&dir.join("report.html"))
}

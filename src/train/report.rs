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

/// The report of a DTM.
pub fn dtm(
    dir: &Path,
    file: &super::config::TrainFile,
    data: &super::data::DataSet,
    o: &super::dtm::DtmOutcome,
    trail: &[Vec<Vec<i8>>],
    histories: &[Vec<HistoryRow>],
    independent: &[super::data::Example],
) -> Result<(), TrainError> {
    use crate::units::format_si;
    let mut page = Page::new(dir, &format!("Denoising thermodynamic model, T = {}", o.steps))?;
    page.text(&format!(
        "pbitsim {}. Training file {} (SHA-256 {}…), seed {}. {} conditional Boltzmann machines of {} cells each, \
         flip noise per forward step {:?}; generation runs {} sweeps per step on the chip's own cells. Data: {} ({}).",
        env!("CARGO_PKG_VERSION"),
        file.path.display(),
        &file.sha256[..16],
        file.train.seed,
        o.steps,
        o.cells,
        o.noise,
        o.sweeps_per_step,
        data.name,
        data.provenance
    ));
    let e = |x: Option<f64>| {
        x.map_or("– (ideal cells have no energy model)".to_string(), |v| format_si(v, "J"))
    };
    let rows = vec![
        vec![
            "nearest-centroid accuracy of generated digits".into(),
            format!("{:.3} ± {:.3}", o.accuracy, o.accuracy_se),
            format!("{} images, class k mod 10 asked for image k; chance 0.1", o.generated),
        ],
        vec![
            "same classifier on real held-out digits".into(),
            format!("{:.3}", o.real_accuracy),
            String::new(),
        ],
        vec![
            "same classifier on independent pixels with class means".into(),
            format!("{:.3}", o.independent_pixel_accuracy),
            "what class fields alone give (no couplings)".into(),
        ],
        vec![
            "distance to the nearest training digit (pixels)".into(),
            format!("{:.2}", o.nearest_training_distance),
            format!(
                "real held-out digits {:.2}; independent pixels with class means {:.2}",
                o.real_nearest_training_distance, o.independent_nearest_training_distance
            ),
        ],
        vec![
            "denoising held-out digits with machine 1 (pixel accuracy)".into(),
            format!("{:.4}", o.denoise_accuracy),
            format!("the noisy input x_1 itself: {:.4}", o.noisy_accuracy),
        ],
        vec![
            "energy per generated sample, this chip".into(),
            e(o.energy_per_sample_j),
            format!("T x {} sweeps x cells x (cell + links)", o.sweeps_per_step),
        ],
        vec![
            "the same program on a 70 x 70 degree-12 chip".into(),
            e(o.energy_per_sample_70x70_j),
            format!("Extropic's estimate: about 1.6 T nJ = {}", format_si(o.extropic_estimate_j, "J")),
        ],
    ];
    page.heading("Quality and energy");
    page.table(&["quantity", "value", "note"], &rows);
    let last = trail.last().cloned().unwrap_or_default();
    page.grid(
        "generated",
        "Generated digits (x_0): image k was asked for class k mod 10, so each column is one class.",
        &image_grid(&last, data.rows, data.cols, 10),
    )?;
    let shown = 10.min(last.len());
    let mut steps: Vec<Vec<i8>> = vec![];
    for x in trail {
        steps.extend(x[..shown].iter().cloned());
    }
    page.grid(
        "chain",
        "The reverse chain of the first ten images: top row x_T (uniform noise), then x_{T-1}, ..., x_0.",
        &image_grid(&steps, data.rows, data.cols, shown.max(1)),
    )?;
    let indep: Vec<Vec<i8>> = independent.iter().take(last.len()).map(|e| e.pixels.clone()).collect();
    page.grid(
        "independent",
        "For comparison: independent pixels drawn from each class's pixel means (class fields alone).",
        &image_grid(&indep, data.rows, data.cols, 10),
    )?;
    for (t, h) in histories.iter().enumerate() {
        page.figure(
            &format!("history_t{}", t + 1),
            &format!(
                "Machine {} (x_{} given x_{}): size of the gradient estimate during training.",
                t + 1,
                t,
                t + 1
            ),
            &history_figure(&format!("machine {}", t + 1), h, "loss"),
        )?;
    }
    page.heading("Training file");
    page.pre(&file.text);
    page.write(&dir.join("report.html"))
}

/// KL against one study axis for both trainings: one panel each, one series per value of the
/// other axis (points with error bars over replicates, joined by lines).
fn study_figure(
    title: &str,
    points: &[super::study::StudyPoint],
    x_label: Axis,
    x_of: &dyn Fn(&super::study::StudyPoint) -> f64,
    group_of: &dyn Fn(&super::study::StudyPoint) -> String,
) -> Figure {
    use crate::report::plot::{LegendPosition, categorical};
    let mut groups: Vec<String> = vec![];
    for p in points {
        let g = group_of(p);
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let top = points
        .iter()
        .map(|p| (p.kl_ideal_deployed + p.kl_ideal_deployed_se).max(p.kl_in_the_loop + p.kl_in_the_loop_se))
        .fold(0.0, f64::max)
        .max(1e-3)
        * 1.1;
    let mut figure = Figure::new(title);
    for (panel, deployed) in [
        ("ideal-trained machine deployed on the cells", true),
        ("machine trained in the loop on the cells", false),
    ] {
        let mut p = Panel::new(panel, x_label.clone(), Axis::new("KL(data ‖ chip) (nats)").range(0.0, top))
            .legend(LegendPosition::UpperLeft);
        for (k, g) in groups.iter().enumerate() {
            let mut sel: Vec<&super::study::StudyPoint> =
                points.iter().filter(|p| &group_of(p) == g).collect();
            sel.sort_by(|a, b| x_of(a).total_cmp(&x_of(b)));
            let x: Vec<f64> = sel.iter().map(|p| x_of(p)).collect();
            let (y, e): (Vec<f64>, Vec<f64>) = sel
                .iter()
                .map(|p| {
                    if deployed {
                        (p.kl_ideal_deployed, p.kl_ideal_deployed_se)
                    } else {
                        (p.kl_in_the_loop, p.kl_in_the_loop_se)
                    }
                })
                .unzip();
            p = p
                .series(Series::line("", x.clone(), y.clone()).color(categorical(k)))
                .series(Series::error_bars(g.clone(), x, y, e).color(categorical(k)));
        }
        figure = figure.panel(p);
    }
    figure.size(900, 800)
}

/// The report of the ideal-versus-in-the-loop study.
pub fn study(
    dir: &Path,
    file: &super::config::TrainFile,
    data: &super::data::DataSet,
    o: &super::study::StudyOutcome,
) -> Result<(), TrainError> {
    let mut page = Page::new(dir, &format!("Training in the loop: {}", data.name))?;
    page.text(&format!(
        "pbitsim {}. Training file {} (SHA-256 {}…). Each replicate trains the machine with ideal cells, then at every \
         operating temperature and mismatch sigma of calibrated p-bit cells (designed for 300 K unless the file says \
         otherwise) deploys it and trains a machine in the loop on the same chip instance (same seed and data order: \
         only the cells differ). Scores are KL(data ‖ the law the chip samples) in nats; points are means over {} \
         replicates with their standard errors. {} trainings. With ideal cells the ideal-trained machines score {:.4} ± {:.4}.",
        env!("CARGO_PKG_VERSION"),
        file.path.display(),
        &file.sha256[..16],
        o.rows.iter().map(|r| r.replicate).max().map_or(0, |r| r + 1),
        o.trainings,
        o.kl_ideal.0,
        o.kl_ideal.1
    ));
    if let Some((exact, sampled, se)) = o.sampled_check {
        page.text(&format!(
            "Check of the scoring: at the first point the exact KL of the law the cells realise is {exact:.4}; the chip's \
             own samples give {sampled:.4} ± {se:.4}."
        ));
    }
    let by_t = study_figure(
        "KL against temperature (one line per mismatch sigma)",
        &o.points,
        Axis::unit("temperature", "K"),
        &|p| p.temperature_k,
        &|p| format!("sigma = {}", crate::units::format_si(p.mismatch_v, "V")),
    );
    page.figure("study_temperature", "KL of the ideal-trained machine deployed on calibrated cells (top) and of the machine trained in the loop on them (bottom), against the cells' temperature.", &by_t)?;
    let by_sigma = study_figure(
        "KL against mismatch sigma (one line per temperature)",
        &o.points,
        Axis::si("mismatch sigma", "V"),
        &|p| p.mismatch_v,
        &|p| format!("{:.0} K", p.temperature_k),
    );
    page.figure("study_mismatch", "The same results against the offset sigma of the cells.", &by_sigma)?;
    let rows: Vec<Vec<String>> = o
        .points
        .iter()
        .map(|p| {
            vec![
                format!("{:.1}", p.temperature_k),
                crate::units::format_si(p.mismatch_v, "V"),
                format!("{:.4} ± {:.4}", p.kl_ideal_deployed, p.kl_ideal_deployed_se),
                format!("{:.4} ± {:.4}", p.kl_in_the_loop, p.kl_in_the_loop_se),
            ]
        })
        .collect();
    page.heading("Results");
    page.table(&["T (K)", "mismatch sigma", "ideal-trained, deployed", "trained in the loop"], &rows);
    page.heading("Training file");
    page.pre(&file.text);
    page.write(&dir.join("report.html"))
}

//! The report page and figures of the ideal-versus-in-the-loop study.

use super::Page;
use crate::report::plot::{Axis, Figure, Panel, Series};
use crate::train::TrainError;
use std::path::Path;

/// KL against one study axis for both trainings: one panel each, one series per value of the
/// other axis (points with error bars over replicates, joined by lines).
fn study_figure(
    title: &str,
    points: &[crate::train::study::StudyPoint],
    x_label: Axis,
    x_of: &dyn Fn(&crate::train::study::StudyPoint) -> f64,
    group_of: &dyn Fn(&crate::train::study::StudyPoint) -> String,
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
            let mut sel: Vec<&crate::train::study::StudyPoint> =
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
    file: &crate::train::config::TrainFile,
    data: &crate::train::data::DataSet,
    o: &crate::train::study::StudyOutcome,
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
                format!("{:.4} ± {:.4}", p.gain, p.gain_se),
                format!("{:.4} ± {:.4}", p.excess, p.excess_se),
            ]
        })
        .collect();
    page.heading("Results");
    page.text(
        "Gain: ideal-trained deployed minus trained in the loop; left: trained in the loop minus the same replicate's \
         ideal machine on ideal cells. Both are paired by replicate (same chip instance, seed and data order), so their \
         errors are those of the differences; a gain above zero says training in the loop helps, a left value within \
         about two errors of zero says it recovers the whole loss.",
    );
    page.table(
        &[
            "T (K)",
            "mismatch sigma",
            "ideal-trained, deployed",
            "trained in the loop",
            "gain (paired)",
            "left (paired)",
        ],
        &rows,
    );
    page.heading("Training file");
    page.pre(&file.text);
    page.write(&dir.join("report.html"))
}

//! The report page of a denoising thermodynamic model.

use super::{HistoryRow, Page, history_figure, image_grid};
use crate::train::TrainError;
use std::path::Path;

/// The report of a DTM.
pub fn dtm(
    dir: &Path,
    file: &crate::train::config::TrainFile,
    data: &crate::train::data::DataSet,
    o: &crate::train::dtm::DtmOutcome,
    trail: &[Vec<Vec<i8>>],
    histories: &[Vec<HistoryRow>],
    independent: &[crate::train::data::Example],
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

//! The p-bit against the hardware anchors (PHYSICS.md section 5: Extropic's all-transistor
//! random bit, about 100 ns correlation time and 350 aJ per bit), and the spread of a
//! mismatch population: figures a `calibrate --plot-dir` of a p-bit adds to its others.

use crate::calibration::Calibration;
use crate::report::plot::{Axis, Figure, Panel, Series};

/// Correlation time of the hardware anchor (s).
pub const ANCHOR_TAU: f64 = 100e-9;
/// Energy per bit of the hardware anchor (J).
pub const ANCHOR_ENERGY: f64 = 350e-18;

fn horizontal(label: &str, t: &[f64], y: f64) -> Series {
    let (lo, hi) = (t[0] - 5.0, t[t.len() - 1] + 5.0);
    Series::line(label, vec![lo, hi], vec![y, y])
}

/// Correlation time at V0, logistic width and energy per sample against temperature, with
/// the hardware anchors.
pub fn anchors(cal: &Calibration, name: &str) -> Figure {
    let t: Vec<f64> = cal.fits.iter().map(|f| f.temperature_k).collect();
    let tau: Vec<f64> = cal.fits.iter().map(|f| f.correlation_time_s).collect();
    let tau_se: Vec<f64> = cal
        .fits
        .iter()
        .map(|f| f.log_tau.coefficients_se.first().copied().unwrap_or(0.0) * f.correlation_time_s)
        .collect();
    let vs: Vec<f64> = cal.fits.iter().map(|f| f.vs.unwrap_or(f64::NAN)).collect();
    let vs_se: Vec<f64> = cal.fits.iter().map(|f| f.vs_se.unwrap_or(0.0)).collect();
    let energy: Vec<f64> = cal.fits.iter().map(|f| f.energy_per_sample_j).collect();
    let kelvin = || Axis::unit("temperature", "K");
    Figure::new(format!("{name} against the hardware anchors"))
        .panel(
            Panel::new("correlation time at V0", kelvin(), Axis::si("tau", "s").log())
                .series(Series::error_bars("this p-bit", t.clone(), tau, tau_se))
                .series(horizontal("hardware anchor, about 100 ns", &t, ANCHOR_TAU)),
        )
        .panel(Panel::new("logistic width", kelvin(), Axis::si("Vs", "V")).series(Series::error_bars(
            "this p-bit",
            t.clone(),
            vs,
            vs_se,
        )))
        .panel(
            Panel::new("energy per independent sample, readout included", kelvin(), Axis::si("E", "J").log())
                .series(Series::points("this p-bit", t.clone(), energy))
                .series(horizontal("hardware anchor, about 350 aJ", &t, ANCHOR_ENERGY)),
        )
}

/// The population's balance points, widths and correlation times against temperature (one
/// point per Monte Carlo sample, the nominal fit as a line).
pub fn population(cal: &Calibration, name: &str) -> Option<Figure> {
    let p = cal.population.as_ref()?;
    let t: Vec<f64> = cal.fits.iter().map(|f| f.temperature_k).collect();
    let collect = |get: &dyn Fn(&crate::calibration::SampleFit) -> f64| -> (Vec<f64>, Vec<f64>) {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for s in &p.samples {
            for (i, f) in s.fits.iter().enumerate() {
                // Spread the samples a little in T so they do not hide each other.
                let jitter = 4.0 * ((s.index as f64 * 0.618_034).fract() - 0.5);
                xs.push(t[i] + jitter);
                ys.push(get(f));
            }
        }
        (xs, ys)
    };
    let (x0, v0) = collect(&|f| f.v0);
    let (x1, vs) = collect(&|f| f.vs);
    let (x2, tau) = collect(&|f| f.correlation_time_s);
    let nominal =
        |get: &dyn Fn(&crate::calibration::TemperatureFit) -> f64| cal.fits.iter().map(get).collect();
    let kelvin = || Axis::unit("temperature", "K");
    let n = p.samples.len();
    Some(
        Figure::new(format!("{name}: {n} mismatch Monte Carlo samples"))
            .panel(
                Panel::new("balance point V0", kelvin(), Axis::si("V0", "V"))
                    .series(Series::points("samples", x0, v0))
                    .series(Series::line("nominal", t.clone(), nominal(&|f| f.v0.unwrap_or(f64::NAN)))),
            )
            .panel(
                Panel::new("logistic width", kelvin(), Axis::si("Vs", "V"))
                    .series(Series::points("samples", x1, vs))
                    .series(Series::line("nominal", t.clone(), nominal(&|f| f.vs.unwrap_or(f64::NAN)))),
            )
            .panel(
                Panel::new("correlation time at V0", kelvin(), Axis::si("tau", "s").log())
                    .series(Series::points("samples", x2, tau))
                    .series(Series::line("nominal", t.clone(), nominal(&|f| f.correlation_time_s))),
            ),
    )
}

//! From measured points to fitted cell parameters, per temperature and across temperatures.
//!
//! - p-bit: P(1) = sigma((V - V0)/Vs) by weighted least squares; ln tau(V) as a quadratic in
//!   V - V0; Vs(T) against Vs = a T; tau(V0, T) against an Arrhenius law.
//! - p-dit: softmax with logits linear in the controls.
//! - p-MoG: a two-component Gaussian mixture (EM) at every point, then the logit of the upper
//!   weight, the means and the spreads each linear in the controls.
//!
//! Standard errors of the points come from their correlation times; fits inflate their
//! parameter errors by chi2/dof when it exceeds 1 (never shrink them). A fit that fails is an
//! error naming the temperature, with the fit's own message showing the data.

use std::collections::BTreeMap;

use crate::analysis::fit::{
    self, CatPoint, ErrorScale, FitError, FitOptions, MixtureOptions, Point, ProbPoint, RegPoint,
    fit_arrhenius, fit_linear, fit_logistic, fit_mixture, fit_polynomial, fit_proportional, fit_softmax,
};
use crate::calibration::{
    ArrheniusRecord, Goodness, LinearRecord, MixtureModelRecord, MixtureRecord, PointMeasurement,
    PolynomialRecord, ProportionalRecord, SoftmaxRecord, TemperatureFit, TemperatureFits,
};
use crate::rng::Seed;

fn options() -> FitOptions {
    FitOptions::with_scale(ErrorScale::InflateOnly)
}

fn goodness(g: &fit::Goodness) -> Goodness {
    Goodness { chi2: g.chi2, dof: g.dof, chi2_per_dof: g.chi2_per_dof, max_residual_se: g.max_residual }
}

fn fail(temperature: f64, what: &str, e: FitError) -> String {
    format!("{what} fit at {temperature} K failed: {e}")
}

/// The value of the first control at a point.
fn first(p: &PointMeasurement, controls: &[String]) -> f64 {
    p.controls[&controls[0]]
}

/// ln tau against x - centre: a quadratic (or lower with few points).
fn log_tau_fit(
    points: &[&PointMeasurement],
    controls: &[String],
    centre: f64,
    t: f64,
) -> Result<PolynomialRecord, String> {
    let data: Vec<Point> = points
        .iter()
        .filter(|p| p.correlation_time_s.is_finite() && p.correlation_time_s > 0.0)
        .map(|p| {
            Point::new(
                first(p, controls) - centre,
                p.correlation_time_s.ln(),
                (p.correlation_time_se_s / p.correlation_time_s).max(1e-3),
            )
        })
        .collect();
    let degree = if data.len() >= 5 { 2 } else { data.len().saturating_sub(2).min(1) };
    let f = fit_polynomial(&data, degree, &options()).map_err(|e| fail(t, "correlation-time", e))?;
    Ok(PolynomialRecord {
        variable: format!("{} - {centre:.6e}", controls[0]),
        coefficients: f.coefficients.clone(),
        coefficients_se: f.standard_errors.clone(),
        goodness: goodness(&f.goodness),
    })
}

/// Supply power interpolated at x along the first control (linear between neighbours).
fn power_at(points: &[&PointMeasurement], controls: &[String], x: f64) -> f64 {
    let mut sorted: Vec<(f64, f64)> = points.iter().map(|p| (first(p, controls), p.power_w)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    match sorted.iter().position(|(v, _)| *v >= x) {
        Some(0) => sorted[0].1,
        None => sorted.last().map_or(f64::NAN, |s| s.1),
        Some(i) => {
            let ((x0, p0), (x1, p1)) = (sorted[i - 1], sorted[i]);
            p0 + (p1 - p0) * (x - x0) / (x1 - x0)
        }
    }
}

/// logit P(1) against V - V0 as a cubic (with six points or more): the measured response's
/// shape beyond the logistic. Each point's logit has the error se / (p (1 - p)) (delta
/// method).
fn logit_fit(data: &[ProbPoint], v0: f64, control: &str, t: f64) -> Result<Option<PolynomialRecord>, String> {
    let points: Vec<Point> = data
        .iter()
        .map(|p| Point::new(p.x - v0, (p.p / (1.0 - p.p)).ln(), p.se / (p.p * (1.0 - p.p))))
        .collect();
    if points.len() < 6 {
        return Ok(None);
    }
    let f = fit_polynomial(&points, 3, &options()).map_err(|e| fail(t, "logit", e))?;
    Ok(Some(PolynomialRecord {
        variable: format!("{control} - {v0:.6e}"),
        coefficients: f.coefficients.clone(),
        coefficients_se: f.standard_errors.clone(),
        goodness: goodness(&f.goodness),
    }))
}

/// The p-bit fit at one temperature.
pub fn fit_pbit(points: &[&PointMeasurement], controls: &[String], t: f64) -> Result<TemperatureFit, String> {
    let data: Vec<ProbPoint> = points
        .iter()
        .filter_map(|p| {
            let (prob, se) = (p.probabilities.as_ref()?[1], p.probability_se.as_ref()?[1]);
            (prob > 0.0 && prob < 1.0 && se > 0.0).then(|| ProbPoint::new(first(p, controls), prob, se))
        })
        .collect();
    let logistic = fit_logistic(&data, &options()).map_err(|e| fail(t, "logistic", e))?;
    let log_tau = log_tau_fit(points, controls, logistic.x0, t)?;
    let logit = logit_fit(&data, logistic.x0, &controls[0], t)?;
    let tau = log_tau.coefficients[0].exp();
    Ok(TemperatureFit {
        temperature_k: t,
        v0: Some(logistic.x0),
        v0_se: Some(logistic.x0_se),
        vs: Some(logistic.w),
        vs_se: Some(logistic.w_se),
        logistic: Some(goodness(&logistic.goodness)),
        logit,
        correlation_time_s: tau,
        energy_per_sample_j: power_at(points, controls, logistic.x0) * tau,
        log_tau,
        softmax: None,
        mixture: None,
    })
}

/// Centre of the grid of the first control.
fn centre(points: &[&PointMeasurement], controls: &[String]) -> f64 {
    let xs: Vec<f64> = points.iter().map(|p| first(p, controls)).collect();
    0.5 * (xs.iter().cloned().fold(f64::INFINITY, f64::min)
        + xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max))
}

/// The p-dit fit at one temperature.
pub fn fit_pdit(points: &[&PointMeasurement], controls: &[String], t: f64) -> Result<TemperatureFit, String> {
    let data: Vec<CatPoint> = points
        .iter()
        .filter_map(|p| {
            Some(CatPoint {
                v: controls.iter().map(|c| p.controls[c]).collect(),
                p: p.probabilities.clone()?,
                se: p.probability_se.clone()?,
            })
        })
        .collect();
    let f = fit_softmax(&data, &options()).map_err(|e| fail(t, "softmax", e))?;
    Ok(TemperatureFit {
        softmax: Some(SoftmaxRecord {
            controls: controls.to_vec(),
            bias: f.bias,
            bias_se: f.bias_se,
            weights: f.weights,
            weights_se: f.weights_se,
            goodness: goodness(&f.goodness),
        }),
        ..centred_fit(points, controls, t)?
    })
}

/// The part of a p-dit or p-MoG fit that both share: ln tau against the first control about
/// the grid centre, and tau and the energy per sample at the centre.
fn centred_fit(points: &[&PointMeasurement], controls: &[String], t: f64) -> Result<TemperatureFit, String> {
    let c = centre(points, controls);
    let log_tau = log_tau_fit(points, controls, c, t)?;
    let tau = log_tau.coefficients[0].exp();
    Ok(TemperatureFit {
        temperature_k: t,
        v0: None,
        v0_se: None,
        vs: None,
        vs_se: None,
        logistic: None,
        logit: None,
        correlation_time_s: tau,
        energy_per_sample_j: power_at(points, controls, c) * tau,
        log_tau,
        softmax: None,
        mixture: None,
    })
}

/// EM fit of a two-component mixture to a point's analog samples.
pub fn point_mixture(p: &PointMeasurement, seed: Seed) -> Result<MixtureRecord, String> {
    let mut o = MixtureOptions::new(2);
    o.seed = seed;
    let f = fit_mixture(&p.samples, &o).map_err(|e| {
        format!("mixture fit at {} K, controls {:?} failed: {e}", p.temperature_k, p.controls)
    })?;
    let m = &f.mixture;
    Ok(MixtureRecord {
        weights: [m.weights[0], m.weights[1]],
        means: [m.means[0], m.means[1]],
        stds: [m.sds[0], m.sds[1]],
        weight_se: f.weight_se[0],
        mean_se: [f.mean_se[0], f.mean_se[1]],
        std_se: [f.sd_se[0], f.sd_se[1]],
        samples: f.samples,
        log_likelihood: f.log_likelihood,
    })
}

fn linear_record(points: Vec<RegPoint>, t: f64, what: &str) -> Result<LinearRecord, String> {
    let f = fit_linear(&points, true, &options()).map_err(|e| fail(t, what, e))?;
    Ok(LinearRecord {
        intercept: f.coefficients[0],
        slopes: f.coefficients[1..].to_vec(),
        coefficients_se: f.standard_errors.clone(),
        goodness: goodness(&f.goodness),
    })
}

/// The p-MoG fit at one temperature, from the points' mixtures.
pub fn fit_pmog(
    points: &[&PointMeasurement],
    mixtures: &[&MixtureRecord],
    controls: &[String],
    t: f64,
) -> Result<TemperatureFit, String> {
    let v = |p: &PointMeasurement| controls.iter().map(|c| p.controls[c]).collect::<Vec<f64>>();
    let reg = |f: &dyn Fn(&MixtureRecord) -> (f64, f64)| -> Vec<RegPoint> {
        points
            .iter()
            .zip(mixtures)
            .map(|(p, m)| {
                let (y, se) = f(m);
                RegPoint { x: v(p), y, se: se.max(1e-9) }
            })
            .collect()
    };
    let weight_logit = linear_record(
        reg(&|m| {
            let w = m.weights[1].clamp(1e-6, 1.0 - 1e-6);
            ((w / (1.0 - w)).ln(), m.weight_se / (w * (1.0 - w)))
        }),
        t,
        "mixture weight",
    )?;
    let means = [
        linear_record(reg(&|m| (m.means[0], m.mean_se[0])), t, "lower mean")?,
        linear_record(reg(&|m| (m.means[1], m.mean_se[1])), t, "upper mean")?,
    ];
    let stds = [
        linear_record(reg(&|m| (m.stds[0], m.std_se[0])), t, "lower spread")?,
        linear_record(reg(&|m| (m.stds[1], m.std_se[1])), t, "upper spread")?,
    ];
    Ok(TemperatureFit {
        mixture: Some(MixtureModelRecord { controls: controls.to_vec(), weight_logit, means, stds }),
        ..centred_fit(points, controls, t)?
    })
}

/// Fits across temperatures (p-bit): Vs = a T, and tau(V0) Arrhenius.
pub fn temperature_fits(fits: &[TemperatureFit], pbit: bool) -> Result<TemperatureFits, String> {
    let taus: Vec<Point> = fits
        .iter()
        .map(|f| {
            let se = f.log_tau.coefficients_se.first().copied().unwrap_or(0.05) * f.correlation_time_s;
            Point::new(f.temperature_k, f.correlation_time_s, se.max(1e-3 * f.correlation_time_s))
        })
        .collect();
    let arrhenius = if fits.len() >= 3 {
        let a = fit_arrhenius(&taus, &options()).map_err(|e| format!("Arrhenius fit failed: {e}"))?;
        Some(ArrheniusRecord {
            barrier_j: a.energy_j,
            barrier_ev: a.energy_ev,
            barrier_se_j: a.energy_j_se,
            tau0_s: a.tau0,
            tau0_se_s: a.tau0_se,
            goodness: goodness(&a.goodness),
        })
    } else {
        None
    };
    let vs_proportional = if pbit && fits.len() >= 2 {
        let data: Vec<Point> = fits
            .iter()
            .map(|f| Point::new(f.temperature_k, f.vs.unwrap_or(f64::NAN), f.vs_se.unwrap_or(f64::NAN)))
            .collect();
        let p = fit_proportional(&data, &options())
            .map_err(|e| format!("Vs proportional-to-T fit failed: {e}"))?;
        Some(ProportionalRecord {
            slope: p.slope,
            slope_se: p.slope_se,
            goodness: goodness(&p.goodness),
            max_relative_deviation: p.max_relative_deviation,
        })
    } else {
        None
    };
    Ok(TemperatureFits { vs_proportional, arrhenius })
}

/// Group points by temperature, in the order of `temperatures`.
pub fn by_temperature<'a>(
    points: &'a [PointMeasurement],
    temperatures: &[f64],
) -> BTreeMap<usize, Vec<&'a PointMeasurement>> {
    let mut groups: BTreeMap<usize, Vec<&PointMeasurement>> = BTreeMap::new();
    for p in points {
        if let Some(i) = temperatures.iter().position(|t| (t - p.temperature_k).abs() < 1e-6) {
            groups.entry(i).or_default().push(p);
        }
    }
    groups
}

//! Mismatch Monte Carlo calibration (`calibrate --monte-carlo N`): samples k = 1..N of the
//! circuit, each transistor deviating from its card as Pelgrom says
//! ([`crate::device::mismatch`]; sample k's deviations come from seed.child(Mismatch, k)),
//! calibrated in parallel across samples; deterministic whatever the thread count.
//!
//! A sample's balance point may lie far outside the nominal grid (a p-bit's offset from
//! mismatch is often many logistic widths), so each sample is first located at each
//! temperature: short probes of P(1) (one run of 50 nominal correlation times) step away from
//! the nominal V0 in doubling steps of two nominal widths until P(1) crosses 1/2, then bisect
//! to a quarter of the grid spacing; two more probes at V0 +- Vs (nominal) estimate its own
//! width. The sample is then calibrated over the nominal grid moved to its located V0 and
//! scaled by its width over the nominal one (a mismatch can make a latch much steeper), its
//! points drawing their noise from seed.child(Mismatch, k).child(SweepPoint, p); if its fit
//! fails there, once more over the nominal grid moved to its V0 (unscaled).

use rayon::prelude::*;

use super::{CalibrateConfig, calibrate_sample};
use crate::calibration::{
    CellKind, ExcludedSample, ExclusionKind, MismatchRecord, Population, PopulationSample, SampleFit,
};
use crate::circuit::elaborate::Variation;
use crate::rng::{Domain, Seed};
use crate::simulate::{self, SimulateError};

/// P(1) of the circuit with `variation` at control value `v`, temperature `t`, from one run
/// of `length` (s).
#[allow(clippy::too_many_arguments)]
fn probe(
    config: &CalibrateConfig,
    output: &str,
    control: &str,
    variation: &Variation,
    t: f64,
    v: f64,
    length: f64,
    seed: Seed,
) -> Result<f64, SimulateError> {
    let values = std::iter::once((control.to_string(), v)).collect();
    let mut sim = super::point_config(config, &values, t, variation);
    sim.runs = 1;
    sim.tstop = Some(length + config.warmup);
    let mut prepared = simulate::prepare(&sim)?;
    prepared.record_every = prepared.tstop / 10.0;
    let (records, work) = simulate::run_batch(&sim, &prepared, seed, 1, &|_| {})?;
    let summary = simulate::Summary::from_records(&sim, &prepared, &records, work, 0.0);
    Ok(summary.outputs.get(output).and_then(|o| o.probabilities.as_ref()).map_or(f64::NAN, |p| p[1]))
}

/// Why [`locate`] found no balance point.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    /// P(1) stays on one side of 1/2 over the whole search (see [`Unlocated`]).
    #[error("{0}")]
    Unlocated(Unlocated),
    /// A probe's simulation failed.
    #[error(transparent)]
    Simulate(#[from] SimulateError),
}

/// The evidence of a sample without a balance point: P(1) at the two ends of the search.
#[derive(Debug, Clone, PartialEq)]
pub struct Unlocated {
    pub temperature_k: f64,
    pub output: String,
    pub control: String,
    /// The ends of the search, start -+ reach, with the P(1) probed there.
    pub low: (f64, f64),
    pub high: (f64, f64),
}

impl Unlocated {
    /// A change of P(1) smaller than this across the whole search means the output does not
    /// respond to the control: three probe standard errors (a probe of 50 correlation times
    /// has SE(P) <= 0.5 sqrt(2 / 50) = 0.1 at P = 1/2, far less near 0 or 1).
    pub const RESPONSE: f64 = 0.3;

    /// Stuck output or balance point beyond the search.
    pub fn kind(&self) -> ExclusionKind {
        if (self.high.1 - self.low.1).abs() < Self::RESPONSE {
            ExclusionKind::StuckOutput
        } else {
            ExclusionKind::BeyondReach
        }
    }
}

impl std::fmt::Display for Unlocated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Unlocated { temperature_k: t, output, control, low, high } = self;
        write!(
            f,
            "at {t} K, P(1) of '{output}' does not cross 1/2 for {control} from {:.4} V (P(1) = {:.3}) to {:.4} V (P(1) = {:.3}); ",
            low.0, low.1, high.0, high.1
        )?;
        if self.kind() == ExclusionKind::StuckOutput {
            write!(
                f,
                "the output hardly responds to the control (a stuck readout, or a response far wider than the nominal: check the sample with simulate --mismatch)"
            )
        } else {
            write!(f, "the balance point lies beyond the search (widen it with --mismatch-reach)")
        }
    }
}

/// The control value where P(1) = 1/2 for the circuit with `variation` at `t`, and an
/// estimate of its logistic width, starting from `start`, with the nominal width `vs` and
/// correlation time `tau` (see the module notes). The bisection stops at a quarter of the
/// spacing of `config`'s first sweep; `control` is the swept parameter.
///
/// The search walks away from `start` in the direction in which P(1) should approach 1/2,
/// then, if it reaches the reach without a crossing, in the other direction too (a noisy
/// first probe near the balance point may point the wrong way); a sample whose P(1) stays on
/// one side of 1/2 over the whole reach is [`LocateError::Unlocated`], not guessed.
#[allow(clippy::too_many_arguments)]
pub fn locate(
    config: &CalibrateConfig,
    output: &str,
    control: &str,
    variation: &Variation,
    t: f64,
    start: f64,
    (vs, tau): (f64, f64),
    seed: Seed,
) -> Result<(f64, f64), LocateError> {
    let axis = &config.sweeps[0];
    let spacing = ((axis.stop - axis.start) / (axis.count.max(2) - 1) as f64).abs();
    let length = 50.0 * tau;
    let mut count = 0u64;
    let mut p_at = |v: f64| {
        count += 1;
        probe(config, output, control, variation, t, v, length, seed.child(Domain::Other, count))
    };
    let p0 = p_at(start)?;
    // The balance point is searched for within the reach (without one: the sweep's span) of
    // the start; `calibrate` sets it from the devices' mismatch.
    let reach = config.mismatch_reach.unwrap_or((axis.stop - axis.start).abs());
    // Walk from `start` towards `direction` in doubling steps of two nominal widths; the
    // bracket (inside: P(1) on the start's side of 1/2, outside: on the other), or the far
    // end's P(1).
    let mut walk = |direction: f64| -> Result<Result<(f64, f64), f64>, SimulateError> {
        let (mut inside, mut outside) = (start, start);
        let mut step = 2.0 * vs.abs().max(1e-6);
        let mut last = p0;
        while (outside - start).abs() < reach {
            outside = (inside + direction * step).clamp(start - reach, start + reach);
            last = p_at(outside)?;
            if (last >= 0.5) != (p0 >= 0.5) {
                return Ok(Ok((inside, outside)));
            }
            inside = outside;
            step *= 2.0;
        }
        Ok(Err(last))
    };
    let first = if p0 < 0.5 { 1.0 } else { -1.0 };
    let (mut inside, mut outside) = match walk(first)? {
        Ok(bracket) => bracket,
        Err(p_first) => match walk(-first)? {
            Ok(bracket) => bracket,
            Err(p_second) => {
                let (p_low, p_high) = if first > 0.0 { (p_second, p_first) } else { (p_first, p_second) };
                return Err(LocateError::Unlocated(Unlocated {
                    temperature_k: t,
                    output: output.into(),
                    control: control.into(),
                    low: (start - reach, p_low),
                    high: (start + reach, p_high),
                }));
            }
        },
    };
    for _ in 0..40 {
        if (outside - inside).abs() <= 0.25 * spacing {
            break;
        }
        let mid = 0.5 * (inside + outside);
        let p = p_at(mid)?;
        if (p >= 0.5) != (p0 >= 0.5) { outside = mid } else { inside = mid }
    }
    let v0 = 0.5 * (inside + outside);
    let logit = |p: f64| {
        let p = p.clamp(0.02, 0.98);
        (p / (1.0 - p)).ln()
    };
    let rise = logit(p_at(v0 + vs)?) - logit(p_at(v0 - vs)?);
    let width = if rise > 0.0 { (2.0 * vs / rise).clamp(0.2 * vs, 5.0 * vs) } else { 5.0 * vs };
    Ok((v0, width))
}

/// A Monte Carlo sample's outcome: calibrated, or left out for want of a balance point.
enum Outcome {
    Calibrated(PopulationSample),
    Excluded(ExcludedSample),
}

/// Calibrate the Monte Carlo samples 1..=`config.monte_carlo` (p-bit), given the nominal
/// (V0, Vs, tau) at each temperature; `tick` after each point. A sample without a balance
/// point at some temperature ([`Unlocated`]), or whose own calibration fails or gives a
/// parameter the law cannot use, is recorded in the population's `excluded` list with its
/// reason and left out of the law (one sample does not discard an hour of the others); a
/// failed probe simulation stops the calibration. At least two samples must remain.
pub fn calibrate(
    config: &CalibrateConfig,
    output: &str,
    controls: &[String],
    nominal: &[(f64, f64, f64)],
    tick: &(dyn Fn() + Sync),
) -> Result<Population, SimulateError> {
    let control = &controls[0];
    let outcomes = (1..=config.monte_carlo as u64)
        .into_par_iter()
        .map(|k| {
            let variation = Variation::sample(config.seed, k);
            let seed = Seed(config.seed).child(Domain::Mismatch, k);
            let mut grids = Vec::with_capacity(nominal.len());
            let mut shift = 0.0;
            for (ti, (&t, &(v0, vs, tau))) in config.temperatures.iter().zip(nominal).enumerate() {
                let probes = seed.child(Domain::Other, ti as u64);
                let (located, width) =
                    match locate(config, output, control, &variation, t, v0 + shift, (vs, tau), probes) {
                        Ok(found) => found,
                        Err(LocateError::Unlocated(u)) => {
                            return Ok(Outcome::Excluded(ExcludedSample {
                                index: k,
                                temperature_k: Some(t),
                                kind: u.kind(),
                                reason: u.to_string(),
                            }));
                        }
                        Err(LocateError::Simulate(e)) => {
                            return Err(SimulateError::Config(format!("mismatch sample {k}: {e}")));
                        }
                    };
                shift = located - v0;
                grids.push((v0, located, width / vs));
            }
            // A fit that fails on the adaptive grid (a poor width estimate) is retried once on
            // the nominal grid moved to the located balance points.
            let run = |grids: &[(f64, f64, f64)], tick: &(dyn Fn() + Sync)| {
                calibrate_sample(
                    config,
                    output,
                    CellKind::Pbit,
                    controls,
                    &variation,
                    seed,
                    Some(grids),
                    tick,
                )
            };
            let failed = |temperature_k: Option<f64>, reason: String| {
                Ok(Outcome::Excluded(ExcludedSample {
                    index: k,
                    temperature_k,
                    kind: ExclusionKind::CalibrationFailed,
                    reason,
                }))
            };
            let c = match run(&grids, tick).or_else(|_| {
                let moved: Vec<(f64, f64, f64)> = grids.iter().map(|&(v0, own, _)| (v0, own, 1.0)).collect();
                run(&moved, &|| {})
            }) {
                Ok(c) => c,
                Err(e) => return failed(None, format!("its calibration failed: {e}")),
            };
            let fits: Vec<SampleFit> = c
                .fits
                .iter()
                .map(|f| SampleFit {
                    temperature_k: f.temperature_k,
                    v0: f.v0.unwrap_or(f64::NAN),
                    v0_se: f.v0_se.unwrap_or(f64::NAN),
                    vs: f.vs.unwrap_or(f64::NAN),
                    vs_se: f.vs_se.unwrap_or(f64::NAN),
                    correlation_time_s: f.correlation_time_s,
                    energy_per_sample_j: f.energy_per_sample_j,
                })
                .collect();
            if let Some((t, why)) = unusable(&fits) {
                return failed(Some(t), why);
            }
            Ok(Outcome::Calibrated(PopulationSample { index: k, fits }))
        })
        .collect::<Result<Vec<_>, SimulateError>>()?;
    let (mut samples, mut excluded) = (Vec::new(), Vec::new());
    for outcome in outcomes {
        match outcome {
            Outcome::Calibrated(s) => samples.push(s),
            Outcome::Excluded(e) => excluded.push(e),
        }
    }
    if samples.len() < 2 {
        let first = excluded.first().map_or(String::new(), |e| format!("; sample {}: {}", e.index, e.reason));
        return Err(SimulateError::Config(format!(
            "the mismatch population needs at least 2 calibrated samples; {} of {} are left out{first}",
            excluded.len(),
            config.monte_carlo
        )));
    }
    let mut population = Population::new(
        config.seed,
        "device mismatch: each transistor's threshold and current factor drawn from its card's Pelgrom \
         coefficients, sigma = A_VT / sqrt(W L M) and A_beta / sqrt(W L M)"
            .into(),
        samples,
        &config.temperatures,
    );
    population.excluded = excluded;
    population.validate(&config.temperatures).map_err(|e| {
        SimulateError::Config(format!(
            "the mismatch population is not usable: {e}; widen the sweep or raise --precision"
        ))
    })?;
    Ok(population)
}

/// The first temperature at which a sample's fit has a parameter the population cannot use
/// (V0 not finite, Vs or tau not positive and finite), with the reason in words.
fn unusable(fits: &[SampleFit]) -> Option<(f64, String)> {
    let f = fits.iter().find(|f| !f.is_usable())?;
    Some((
        f.temperature_k,
        format!(
            "at {} K its fit gave V0 = {:e} V, Vs = {:e} V, tau = {:e} s, not all usable (a correlation \
             time beyond --max-time, or too few points across its transition): raise --max-time or --precision",
            f.temperature_k, f.v0, f.vs, f.correlation_time_s
        ),
    ))
}

/// The single-offset summary of a population: the RMS over temperatures of the standard
/// deviation of V0, or zero without a population.
pub fn mismatch_record(population: Option<&Population>) -> MismatchRecord {
    match population {
        Some(p) if p.samples.len() > 1 => {
            let temperatures = p.samples[0].fits.len();
            let variance: f64 =
                (0..temperatures).map(|t| p.covariance[3 * t][3 * t]).sum::<f64>() / temperatures as f64;
            MismatchRecord {
                sigma_v0_v: variance.sqrt(),
                source: format!(
                    "standard deviation of V0 over the {} mismatch Monte Carlo samples of the population \
                     with a balance point ({} left out; RMS over the calibrated temperatures)",
                    p.samples.len(),
                    p.excluded.len()
                ),
            }
        }
        _ => MismatchRecord {
            sigma_v0_v: 0.0,
            source: "no mismatch Monte Carlo population (calibrate --monte-carlo N gives one)".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(t: f64, tau: f64) -> SampleFit {
        SampleFit {
            temperature_k: t,
            v0: -1e-3,
            v0_se: 1e-5,
            vs: 2e-4,
            vs_se: 1e-5,
            correlation_time_s: tau,
            energy_per_sample_j: 1e-15,
        }
    }

    /// A sample whose correlation time was not measured (NaN, or zero) is named at its
    /// temperature; a complete one passes (logic check, not physics).
    #[test]
    fn unusable_names_the_first_bad_temperature() {
        assert!(unusable(&[fit(250.0, 1e-7), fit(300.0, 2e-7)]).is_none());
        let (t, why) = unusable(&[fit(250.0, 1e-7), fit(300.0, f64::NAN), fit(350.0, 0.0)]).unwrap();
        assert_eq!(t, 300.0);
        assert!(why.contains("--max-time"), "{why}");
    }

    /// The yield counts samples without a balance point as lost, failed calibrations not.
    #[test]
    fn yield_counts_defects_only() {
        let temps = [300.0];
        let samples = (1..=6).map(|k| PopulationSample { index: k, fits: vec![fit(300.0, 1e-7)] }).collect();
        let mut p = Population::new(1, "test".into(), samples, &temps);
        let left =
            |index, kind| ExcludedSample { index, temperature_k: Some(300.0), kind, reason: String::new() };
        p.excluded = vec![
            left(7, ExclusionKind::StuckOutput),
            left(8, ExclusionKind::BeyondReach),
            left(9, ExclusionKind::CalibrationFailed),
            left(10, ExclusionKind::CalibrationFailed),
        ];
        assert_eq!(p.yield_fraction(), 0.8);
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.contains("\"calibration_failed\"") && text.contains("\"stuck_output\""));
        let back: Population = serde_json::from_str(&text).unwrap();
        assert_eq!(back, p);
    }
}

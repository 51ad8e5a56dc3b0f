//! Calibration of a coupling circuit (`pbitsim calibrate BENCH --coupling --sweep w=...`):
//! weight setting -> the input shift it gives the receiving cell, its offset, the settling
//! time of the receiving input and the power it draws, written as a coupling calibration
//! ([`crate::calibration::coupling`]).
//!
//! The bench is a transistor circuit with a driving cell that flips at random, the coupling
//! from its readout, and the receiving cell's input; its first bit output is the driver's
//! readout (`--driver` names another), an output `<driver>_latch`, if there is one, the
//! driver's latch, and its first analog output the receiving input relative to its rest
//! (`--output` names another). Each run's decimated trace is read:
//!
//! - the summing node's mean while the driver has been up (down) for longer than the
//!   settling window (40 ns): m+ (m-); the coupling J_v = (m+ - m-) / 2, the offset
//!   (m+ + m-) / 2, the noise the standard deviation about m+-;
//! - the step response to each flip of the driver's readout, timed from the latch's flip that
//!   caused it when the bench has the latch output (else from the readout's), normalised to
//!   run from 1 (the old settled mean) to 0 (the new one) and averaged over flips: the lag
//!   with which a cell sees its neighbour's flip, which is what breaks the cells' detailed
//!   balance (PHYSICS.md section 8). It is summarised as a delay d followed by an exponential
//!   settling of time constant tau, from its first two moments over the window:
//!   int r = d + tau, int t r = d^2/2 + d tau + tau^2;
//! - the supply power, minus the bench's power with the weight at 0 (the coupling switched
//!   off, measured once per temperature): the power the coupling adds;
//! - with `--driver-bias NAME=X` (the driver's bias parameter), the bench again with the
//!   driver biased at +X and -X: the settled means m+-(x) then give the driver response
//!   ([`DriverResponse`]) J_v [s (1 + b x^2) + a x]: a = (c(+X) - c(-X)) / (2 X J_v) from the
//!   offsets c = (m+ + m-) / 2, and b = ((J(+X) + J(-X)) / (2 J_v) - 1) / X^2 from the
//!   half-differences J = (m+ - m-) / 2, J_v the unbiased one.
//!
//! Runs are independent and each is cut into [`SEGMENTS`] segments, many settling and dwell
//! times long, so each quantity's standard error is the scatter of its per-segment values
//! over sqrt(segments). Batches of runs are added until the coupling's error is below
//! `precision` times max(J_v, 1 mV) (or the time cap is reached); the weights then get ln J_v,
//! the offset and ln power as polynomials, and a weighted mean settling time.

use crate::analysis::fit::{ErrorScale, FitOptions, Point, fit_polynomial};
use crate::calibration::{
    self as schema, CellKind, CouplingBench, CouplingCalibration, CouplingFit, CouplingPoint, DriverResponse,
    Goodness, PolynomialRecord,
};
use crate::circuit::netlist::Netlist;
use crate::circuit::{Circuit, OutputKind};
use crate::rng::{Domain, Seed};
use crate::simulate::{self, Prepared, RunRecord, SimulateConfig, SimulateError, Summary, run_batch};

use super::CalibrateConfig;

/// A flip older than this has settled (s).
pub const SETTLE_WINDOW: f64 = 40e-9;

/// The bench outputs a coupling calibration reads.
#[derive(Debug, Clone)]
struct Bench {
    driver: usize,
    /// The driver's latch, if the bench reads it.
    latch: Option<usize>,
    summing: usize,
    names: CouplingBench,
}

fn bench_outputs(
    circuit: &Circuit,
    driver: Option<&str>,
    summing: Option<&str>,
) -> Result<Bench, SimulateError> {
    let find = |name: Option<&str>, bit: bool| {
        circuit.outputs.iter().position(|o| match name {
            Some(n) => o.name == n.to_lowercase(),
            None => {
                matches!(o.kind, OutputKind::Bit { .. }) == bit
                    && !matches!(o.kind, OutputKind::Category { .. })
            }
        })
    };
    let names: Vec<&str> = circuit.outputs.iter().map(|o| o.name.as_str()).collect();
    let driver = find(driver, true).filter(|&k| matches!(circuit.outputs[k].kind, OutputKind::Bit { .. }));
    let summing =
        find(summing, false).filter(|&k| matches!(circuit.outputs[k].kind, OutputKind::Analog { .. }));
    match (driver, summing) {
        (Some(d), Some(s)) => Ok(Bench {
            driver: d,
            latch: circuit.outputs.iter().position(|o| {
                o.name == format!("{}_latch", circuit.outputs[d].name)
                    && matches!(o.kind, OutputKind::Bit { .. })
            }),
            summing: s,
            names: CouplingBench {
                driver: circuit.outputs[d].name.clone(),
                summing: circuit.outputs[s].name.clone(),
            },
        }),
        _ => Err(SimulateError::Config(format!(
            "a coupling bench needs a bit output of the driving readout (--driver) and an analog output of the \
             receiving input (--output); this one has {}",
            names.join(", ")
        ))),
    }
}

/// What one run measured.
#[derive(Debug, Clone, Copy, Default)]
struct RunEstimate {
    coupling: f64,
    offset: f64,
    noise_var: f64,
    /// The summing node's response to a flip as a delay and an exponential settling (s).
    response: f64,
    delay: f64,
    power: f64,
    flips: u64,
}

/// Each run's trace is cut into this many segments, each measured on its own: the scatter of
/// the segments' values gives the standard errors (segments are many settling and dwell
/// times long, so nearly independent).
pub const SEGMENTS: usize = 4;

/// Analyse one run's trace (rows of time, free-node voltages, outputs, energy), segment by
/// segment.
fn analyse_run(prepared: &Prepared, record: &RunRecord, bench: &Bench) -> Vec<RunEstimate> {
    let rows: Vec<&[f64]> =
        record.rows.chunks_exact(record.row_len).filter(|r| r[0] >= prepared.warmup).collect();
    let len = rows.len() / SEGMENTS;
    if len < 2 {
        return Vec::new();
    }
    rows.chunks_exact(len).filter_map(|segment| analyse(prepared, segment, bench)).collect()
}

/// Analyse one segment of a trace.
fn analyse(prepared: &Prepared, rows: &[&[f64]], bench: &Bench) -> Option<RunEstimate> {
    let n = prepared.circuit.free_count();
    let (cd, cs) = (1 + n + bench.driver, 1 + n + bench.summing);
    let dt = prepared.record_every;
    let bins = (SETTLE_WINDOW / dt).ceil() as usize;
    // Pass 1: settled means and variances per driver state.
    let (mut sum, mut sq, mut count) = ([0.0; 2], [0.0; 2], [0u64; 2]);
    let mut last_flip = rows.first()?[0];
    let mut flips = 0;
    for w in 0..rows.len() {
        let (row, state) = (rows[w], rows[w][cd] as usize);
        if w > 0 && rows[w - 1][cd] as usize != state {
            last_flip = row[0];
            flips += 1;
        }
        if row[0] - last_flip >= SETTLE_WINDOW {
            sum[state] += row[cs];
            sq[state] += row[cs] * row[cs];
            count[state] += 1;
        }
    }
    if count[0] < 2 || count[1] < 2 || flips < 2 {
        return None;
    }
    let mean = [sum[0] / count[0] as f64, sum[1] / count[1] as f64];
    let var = |k: usize| (sq[k] / count[k] as f64 - mean[k] * mean[k]).max(0.0);
    let noise_var = (var(0) * count[0] as f64 + var(1) * count[1] as f64) / (count[0] + count[1]) as f64;
    let step = mean[1] - mean[0];
    // Pass 2: normalised step responses to each flip of the readout, from the latch's flip
    // that caused it (or from the readout's flip itself without a latch output), until the
    // readout's next flip.
    let latch = bench.latch.map(|l| 1 + n + l);
    let (mut response, mut seen) = (vec![0.0; bins], vec![0u64; bins]);
    let mut latch_row = 0;
    let mut w = 1;
    while w < rows.len() {
        if let Some(l) = latch
            && rows[w][l] != rows[w - 1][l]
        {
            latch_row = w;
        }
        let state = rows[w][cd] as usize;
        if rows[w - 1][cd] as usize == state {
            w += 1;
            continue;
        }
        let anchor = match latch {
            Some(l) if rows[w][l] as usize == state => latch_row,
            _ => w,
        };
        let next = (w + 1..rows.len()).find(|&k| rows[k][cd] as usize != state).unwrap_or(rows.len());
        let (new, old) = (mean[state], mean[1 - state]);
        for k in 0..bins.min(next - anchor) {
            response[k] += (rows[anchor + k][cs] - new) / (old - new);
            seen[k] += 1;
        }
        w += 1;
    }
    // Moments of the response r(t): a delay d followed by an exponential of time constant
    // tau has m0 = int r = d + tau and m1 = int t r = d^2/2 + d tau + tau^2, so
    // tau = sqrt(2 m1 - m0^2) and d = m0 - tau.
    let (mut m0, mut m1) = (0.0, 0.0);
    for (k, (r, s)) in response.iter().zip(&seen).enumerate() {
        if *s > 0 {
            let r = r / *s as f64;
            m0 += r * dt;
            m1 += r * (k as f64 + 0.5) * dt * dt;
        }
    }
    let settling = (2.0 * m1 - m0 * m0).max(0.0).sqrt().min(m0.max(0.0));
    let delay = (m0 - settling).max(0.0);
    Some(RunEstimate {
        coupling: step / 2.0,
        offset: (mean[0] + mean[1]) / 2.0,
        noise_var,
        response: settling,
        delay,
        power: (rows.last()?[n + 1 + prepared.circuit.outputs.len()]
            - rows.first()?[n + 1 + prepared.circuit.outputs.len()])
            / (rows.last()?[0] - rows.first()?[0]),
        flips,
    })
}

/// Mean and standard error of a per-run quantity.
fn mean_se(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, (var / n).sqrt())
}

/// Runs of one bench setting until `done` says the estimates suffice or the time cap.
struct Measured {
    estimates: Vec<RunEstimate>,
    driver_tau: f64,
    runs: usize,
    simulated: f64,
    work: u64,
    reached: bool,
}

fn measure(
    config: &CalibrateConfig,
    sim: &SimulateConfig,
    bench: &Bench,
    seed: Seed,
    done: &dyn Fn(&[RunEstimate]) -> bool,
) -> Result<Measured, SimulateError> {
    let mut prepared = simulate::prepare(sim)?;
    prepared.record_every = (10.0 * prepared.dt).min(SETTLE_WINDOW / 50.0).max(prepared.dt);
    let per_run = prepared.tstop - prepared.warmup;
    let batch_runs = config.precision.batch_runs.max(2);
    let (mut estimates, mut taus, mut runs, mut work, mut batch) = (Vec::new(), Vec::new(), 0, 0, 0u64);
    loop {
        let (records, w) = run_batch(sim, &prepared, seed.child(Domain::Other, batch), batch_runs, &|_| {})?;
        batch += 1;
        work += w;
        runs += records.len();
        let summary = Summary::from_records(sim, &prepared, &records, w, 0.0);
        if let Some(t) = summary.outputs.get(&bench.names.driver).and_then(|o| o.correlation_time_s) {
            taus.push(t);
        }
        estimates.extend(records.iter().flat_map(|r| analyse_run(&prepared, r, bench)));
        let simulated = runs as f64 * per_run;
        let enough = estimates.len() >= 2 && done(&estimates);
        if enough || simulated >= config.precision.max_simulated {
            if estimates.len() < 2 {
                return Err(SimulateError::Config(format!(
                    "{}: the driver of the coupling bench flipped too rarely to measure a step within {} of simulated \
                     time; run longer (--tstop) or bias the driver near P = 1/2",
                    config.circuit.display(),
                    crate::units::format_si(simulated, "s")
                )));
            }
            let driver_tau = taus.iter().sum::<f64>() / taus.len().max(1) as f64;
            return Ok(Measured { estimates, driver_tau, runs, simulated, work, reached: enough });
        }
    }
}

fn goodness(g: &crate::analysis::fit::Goodness) -> Goodness {
    Goodness { chi2: g.chi2, dof: g.dof, chi2_per_dof: g.chi2_per_dof, max_residual_se: g.max_residual }
}

fn polynomial(
    points: &[Point],
    degree: usize,
    variable: &str,
    what: &str,
    t: f64,
) -> Result<PolynomialRecord, SimulateError> {
    let degree = degree.min(points.len().saturating_sub(2));
    let f = fit_polynomial(points, degree, &FitOptions::with_scale(ErrorScale::InflateOnly))
        .map_err(|e| SimulateError::Config(format!("{what} fit at {t} K failed: {e}")))?;
    Ok(PolynomialRecord {
        variable: variable.to_string(),
        coefficients: f.coefficients.clone(),
        coefficients_se: f.standard_errors.clone(),
        goodness: goodness(&f.goodness),
    })
}

/// The fits at one temperature.
fn fit(
    points: &[&CouplingPoint],
    reference_power: f64,
    weight: &str,
    t: f64,
) -> Result<CouplingFit, SimulateError> {
    let degree = if points.len() >= 5 { 2 } else { 1 };
    let log_coupling: Vec<Point> = points
        .iter()
        .filter(|p| p.coupling_v > 0.0)
        .map(|p| Point::new(p.weight, p.coupling_v.ln(), (p.coupling_se_v / p.coupling_v).max(1e-4)))
        .collect();
    if log_coupling.len() < 2 {
        return Err(SimulateError::Config(format!(
            "at {t} K fewer than two weights give a positive coupling; is the synapse wired from the driver's qb?"
        )));
    }
    let offset: Vec<Point> =
        points.iter().map(|p| Point::new(p.weight, p.offset_v, p.offset_se_v.max(1e-7))).collect();
    let log_power: Vec<Point> = points
        .iter()
        .filter(|p| p.power_w > 0.0)
        .map(|p| Point::new(p.weight, p.power_w.ln(), (p.power_se_w / p.power_w).max(1e-3)))
        .collect();
    let weights: f64 = points.iter().map(|p| p.settling_time_se_s.max(1e-13).powi(-2)).sum();
    let settling =
        points.iter().map(|p| p.settling_time_s * p.settling_time_se_s.max(1e-13).powi(-2)).sum::<f64>()
            / weights;
    let update = points.iter().map(|p| p.update_time_s).sum::<f64>() / points.len() as f64;
    let delay_weights: f64 = points.iter().map(|p| p.delay_se_s.max(1e-13).powi(-2)).sum();
    let delay =
        points.iter().map(|p| p.delay_s * p.delay_se_s.max(1e-13).powi(-2)).sum::<f64>() / delay_weights;
    Ok(CouplingFit {
        temperature_k: t,
        log_coupling: polynomial(&log_coupling, degree, weight, "ln coupling", t)?,
        offset: polynomial(&offset, 1, weight, "offset", t)?,
        log_power: polynomial(&log_power, degree, weight, "ln power", t)?,
        settling_time_s: settling,
        settling_time_se_s: weights.powf(-0.5),
        delay_s: delay,
        reference_power_w: reference_power,
        update_time_s: update,
        driver_offset: driver_polynomial(
            points,
            |d| (d.offset_per_v, d.offset_se_per_v),
            weight,
            "driver offset",
            t,
        )?,
        driver_gain: driver_polynomial(
            points,
            |d| (d.gain_per_v2, d.gain_se_per_v2),
            weight,
            "driver gain",
            t,
        )?,
    })
}

/// A line in the weight through one coefficient of the points' driver responses (None
/// without them).
fn driver_polynomial(
    points: &[&CouplingPoint],
    value: impl Fn(&DriverResponse) -> (f64, f64),
    weight: &str,
    what: &str,
    t: f64,
) -> Result<Option<PolynomialRecord>, SimulateError> {
    let data: Vec<Point> = points
        .iter()
        .filter_map(|p| p.driver.as_ref().map(|d| (p.weight, value(d))))
        .map(|(w, (x, se))| Point::new(w, x, se.max(1e-9)))
        .collect();
    if data.is_empty() {
        return Ok(None);
    }
    polynomial(&data, 1, weight, what, t).map(Some)
}

/// Run a coupling calibration: `config.sweeps` holds the one weight parameter.
/// `progress(done, total)` counts points (each temperature's reference included).
pub fn run(
    config: &CalibrateConfig,
    driver: Option<&str>,
    driver_bias: Option<(&str, f64)>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<CouplingCalibration, SimulateError> {
    let [axis] = &config.sweeps[..] else {
        return Err(SimulateError::Config(
            "--coupling sweeps exactly one weight parameter (--sweep w=...)".into(),
        ));
    };
    let text = std::fs::read(&config.circuit)
        .map_err(|e| SimulateError::Config(format!("{}: cannot read: {e}", config.circuit.display())))?;
    let netlist = Netlist::parse_file(&config.circuit, &config.overrides)?;
    if netlist.param(&axis.name).is_none() {
        return Err(SimulateError::Config(format!(
            "--sweep {}: the bench {} has no parameter '{}'",
            axis.name,
            config.circuit.display(),
            axis.name
        )));
    }
    if let Some((name, x)) = driver_bias {
        if netlist.param(name).is_none() {
            return Err(SimulateError::Config(format!(
                "--driver-bias {name}=...: the bench {} has no parameter '{name}'",
                config.circuit.display()
            )));
        }
        if !(x > 0.0 && x.is_finite()) {
            return Err(SimulateError::Config(format!("--driver-bias {name}={x}: expected a bias > 0")));
        }
    }
    let spec =
        crate::circuit::elaborate::elaborate(&netlist, Some(config.temperatures[0]), &Default::default())?;
    let bench = bench_outputs(&Circuit::build(&spec)?, driver, config.output.as_deref())?;
    let weights = axis.values();
    let per_weight = if driver_bias.is_some() { 3 } else { 1 };
    let total = (per_weight * weights.len() + 1) * config.temperatures.len();
    let (mut points, mut fits) = (Vec::new(), Vec::new());
    let mut dt = 0.0;
    let mut done = 0;
    for (ti, &t) in config.temperatures.iter().enumerate() {
        let sim_biased = |w: f64, bias: Option<(&str, f64)>| {
            let mut s = super::simulate_config(config, t);
            // the bench's delay and settling are read from its trace: the `.tran` print step
            // bounds the step here, as in `simulate`
            s.tran_step_bounds = true;
            s.overrides.push((axis.name.clone(), format!("{w:e}")));
            if let Some((name, x)) = bias {
                s.overrides.push((name.to_string(), format!("{x:e}")));
            }
            s
        };
        let sim = |w: f64| sim_biased(w, None);
        let index = |k: usize| (ti * (per_weight * weights.len() + 1) + k) as u64;
        let target = config.precision.target_se;
        // The bench with the coupling off: its power is the reference.
        let reference = measure(
            config,
            &sim(0.0),
            &bench,
            Seed(config.seed).child(Domain::SweepPoint, index(0)),
            &|e| {
                let (p, se) = mean_se(e.iter().map(|x| x.power));
                se <= target * p
            },
        )?;
        let reference_power = mean_se(reference.estimates.iter().map(|e| e.power)).0;
        done += 1;
        progress(done, total);
        let mut group = Vec::new();
        for (k, &w) in weights.iter().enumerate() {
            let started = std::time::Instant::now();
            let s = sim(w);
            let m = measure(
                config,
                &s,
                &bench,
                Seed(config.seed).child(Domain::SweepPoint, index(k + 1)),
                &|e| {
                    let (j, se) = mean_se(e.iter().map(|x| x.coupling));
                    se <= target * j.abs().max(1e-3)
                },
            )?;
            dt = simulate::prepare(&s)?.dt;
            let e = &m.estimates;
            let (coupling, coupling_se) = mean_se(e.iter().map(|x| x.coupling));
            let (offset, offset_se) = mean_se(e.iter().map(|x| x.offset));
            let (settling, settling_se) = mean_se(e.iter().map(|x| x.response));
            let (delay, delay_se) = mean_se(e.iter().map(|x| x.delay));
            let (power, power_se) = mean_se(e.iter().map(|x| x.power - reference_power));
            if settling > SETTLE_WINDOW / 5.0 {
                return Err(SimulateError::Config(format!(
                    "at w = {w} the receiving input settles in {}, too slowly for the {} window that separates settled \
                     samples; the coupling bench's input is too slow to be a coupling",
                    crate::units::format_si(settling, "s"),
                    crate::units::format_si(SETTLE_WINDOW, "s")
                )));
            }
            // The driver response: the bench again with the driver biased at +-x.
            let mut driver = None;
            if let Some((name, x)) = driver_bias {
                let mut sides = Vec::new();
                for (side, sign) in [1.0, -1.0].into_iter().enumerate() {
                    let biased = measure(
                        config,
                        &sim_biased(w, Some((name, sign * x))),
                        &bench,
                        Seed(config.seed).child(Domain::SweepPoint, index(weights.len() + 1 + 2 * k + side)),
                        // the offset and the half-step both to the coupling's precision
                        &|e| {
                            let (_, se) = mean_se(e.iter().map(|x| x.offset));
                            let (j, jse) = mean_se(e.iter().map(|x| x.coupling));
                            se.max(jse) <= target * j.abs().max(1e-3)
                        },
                    )?;
                    sides.push((
                        mean_se(biased.estimates.iter().map(|e| e.offset)),
                        mean_se(biased.estimates.iter().map(|e| e.coupling)),
                    ));
                    done += 1;
                    progress(done, total);
                }
                let [((cp, cp_se), (jp, jp_se)), ((cm, cm_se), (jm, jm_se))] = [sides[0], sides[1]];
                let a = (cp - cm) / (2.0 * x * coupling);
                let a_se = (cp_se.hypot(cm_se) / (2.0 * x * coupling)).hypot(a * coupling_se / coupling);
                let ratio = (jp + jm) / (2.0 * coupling);
                let b = (ratio - 1.0) / (x * x);
                let ratio_se = (jp_se.hypot(jm_se) / (2.0 * coupling)).hypot(ratio * coupling_se / coupling);
                driver = Some(DriverResponse {
                    bias_v: x,
                    offset_per_v: a,
                    offset_se_per_v: a_se,
                    gain_per_v2: b,
                    gain_se_per_v2: ratio_se / (x * x),
                });
            }
            group.push(CouplingPoint {
                temperature_k: t,
                weight: w,
                coupling_v: coupling,
                coupling_se_v: coupling_se,
                offset_v: offset,
                offset_se_v: offset_se,
                noise_v: (e.iter().map(|x| x.noise_var).sum::<f64>() / e.len() as f64).sqrt(),
                settling_time_s: settling,
                settling_time_se_s: settling_se,
                delay_s: delay,
                delay_se_s: delay_se,
                power_w: power,
                power_se_w: power_se,
                energy_per_update_j: power * m.driver_tau,
                driver_flips: e.iter().map(|x| x.flips).sum(),
                update_time_s: m.driver_tau,
                runs: m.runs,
                simulated_s: m.simulated,
                work: m.work,
                wall_s: started.elapsed().as_secs_f64(),
                precision_reached: m.reached,
                driver,
            });
            done += 1;
            progress(done, total);
        }
        let refs: Vec<&CouplingPoint> = group.iter().collect();
        fits.push(fit(&refs, reference_power, &axis.name, t)?);
        points.extend(group);
    }
    Ok(CouplingCalibration {
        schema: schema::SCHEMA.to_string(),
        version: schema::VERSION,
        created_by: format!("pbitsim {}", env!("CARGO_PKG_VERSION")),
        cell: CellKind::Coupling,
        circuit: super::circuit_info(&config.circuit, &netlist, &text, std::slice::from_ref(&axis.name)),
        weight: axis.clone(),
        bench: bench.names,
        temperatures_k: config.temperatures.clone(),
        seed: config.seed,
        engine: config.engine.engine_name().to_string(),
        method: config.engine.method_name().to_string(),
        dt_s: dt,
        tstop_s: config.tstop.unwrap_or(netlist.tran.as_ref().map_or(0.0, |t| t.stop)),
        warmup_s: config.warmup,
        precision: config.precision,
        points,
        fits,
    })
}

//! The runner: builds a sampler for a chip, follows the schedule (warm-up, annealing,
//! sweeps, thinning), hands samples to observers and returns [`ChipStats`].
//!
//! For the CLI: `ChipConfig::from_file(path, &overrides)` -> [`run`] (which validates,
//! builds and samples) -> serialise the [`ChipStats`]. Behavioural cells call
//! [`run_chip`] with their own [`CellModel`].

use crate::chip::cells::cell::{CellModel, IdealCell};
use crate::chip::cells::kinds::{GaussKind, IsingKind, PottsKind};
use crate::chip::description::config::{CellKind, ChipConfig};
use crate::chip::description::graph::Topology;
use crate::chip::description::model::ModelKind;
use crate::chip::description::problem::{Chip, Method, Schedule};
use crate::chip::error::ChipError;
use crate::chip::observers::autocorr::AutoCorr;
use crate::chip::observers::joint::JointObserver;
use crate::chip::observers::observe::{
    Observer, PairCorrelations, PairValue, Sample, Summary, magnetisation,
};
use crate::chip::samplers::free_running::FreeRunning;
use crate::chip::samplers::gibbs::GraphGibbs;
use crate::chip::samplers::lattice_gibbs::LatticeIsing;
use crate::chip::samplers::sampler::{KernelInfo, Sampler, StateBuf, empty_state, initial_state};
use crate::chip::samplers::settling::SettlingFreeRunning;
use crate::rng::{GENERATOR, Seed};
use std::time::{Duration, Instant};

/// Progress callback: (sweeps done, total sweeps), warm-up included.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// How to run (not what to sample).
#[derive(Clone, Default)]
pub struct RunOptions<'a> {
    /// Master seed of the run.
    pub seed: u64,
    /// Worker threads (0: one per core). Results do not depend on it.
    pub threads: usize,
    /// Called about every 1 % of the sweeps; the library never prints.
    pub progress: Option<Progress<'a>>,
    /// Pairs (natural indices) whose correlations go into the stats.
    pub pairs: Option<Vec<(usize, usize)>>,
}

/// Effective sample sizes, n / (2 tau_int).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ess {
    pub abs_magnetization: f64,
    pub energy: f64,
}

/// Results of a run (JSON keys are stable).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChipStats {
    pub cells: usize,
    pub method: Method,
    pub warmup: u64,
    /// Sweeps after warm-up.
    pub sweeps: u64,
    pub samples: u64,
    pub seed: u64,
    pub threads: usize,
    pub generator: &'static str,
    /// Beta at the last sweep.
    pub beta: f64,
    /// Cell updates (warm-up included) per nanosecond of time spent inside sweeps.
    pub flips_per_ns: f64,
    /// Cell updates per nanosecond of sweeps and observers together (statistics, files):
    /// what a run asking for them gets.
    pub overall_flips_per_ns: f64,
    /// Which kernel ran (sampler, local fields, draw, vector build).
    pub kernel: KernelInfo,
    pub updates: u64,
    pub sweep_seconds: f64,
    /// Time spent in observers (statistics, files).
    pub observer_seconds: f64,
    /// Mean of the order parameter m (Ising (1/N) sum s; Potts in [0, 1]; Gaussian mean x).
    pub mean_magnetization: f64,
    pub mean_abs_magnetization: f64,
    /// Standard error of mean |m|, sqrt(2 tau_int Var / n).
    pub mean_abs_magnetization_se: f64,
    pub energy_per_cell_mean: f64,
    pub energy_per_cell_se: f64,
    pub tau_int_abs_magnetization: f64,
    pub tau_int_energy: f64,
    /// False if the series was too short for Sokal's window (tau_int then a lower bound).
    pub autocorrelation_reliable: bool,
    pub effective_sample_size: Ess,
    /// Ising: P(s_i = +1); Potts: P(s_i = 1); Gaussian: mean of x_i (natural order).
    pub marginals: Vec<f64>,
    /// Potts: P(s_i = k) per cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_marginals: Option<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair_correlations: Option<Vec<PairValue>>,
    /// Ising chips of up to 16 cells: the joint law of the cells, cell i as bit i.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joint: Option<crate::analysis::Joint>,
    /// Gaussian chips of up to [`COVARIANCE_CELLS`] cells: the sample covariance of the
    /// cells (population form, as `simulate` writes it), nodes named by cell index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covariance: Option<crate::noise::Covariance>,
}

/// The largest Gaussian chip whose full covariance goes into the stats.
pub const COVARIANCE_CELLS: usize = 64;

/// Builds the sampler a chip and schedule call for, with cells `cells`.
pub fn build_sampler<C: CellModel + 'static>(
    chip: &Chip,
    cells: C,
    schedule: &Schedule,
    seed: Seed,
) -> Result<Box<dyn Sampler>, ChipError> {
    let init = initial_state(chip.model.kind, chip.cells(), schedule.initial, seed);
    let (t, m, col, cl) = (&chip.topology, &chip.model, &chip.colouring, &schedule.clamp[..]);
    Ok(match schedule.method {
        Method::BlockGibbs => match (m.kind, t) {
            (ModelKind::Ising, Topology::Lattice(l)) if l.l % 2 == 0 => {
                Box::new(LatticeIsing::new(l, m, cells, &init, cl, seed)?)
            }
            (ModelKind::Ising, _) => {
                Box::new(GraphGibbs::<IsingKind, C>::new(t, m, col, cells, &init, cl, seed)?)
            }
            (ModelKind::Potts { .. }, _) => {
                Box::new(GraphGibbs::<PottsKind, C>::new(t, m, col, cells, &init, cl, seed)?)
            }
            (ModelKind::Gaussian, _) => {
                Box::new(GraphGibbs::<GaussKind, C>::new(t, m, col, cells, &init, cl, seed)?)
            }
        },
        Method::FreeRunning => {
            let (tau, dt) = (schedule.tau, schedule.read_interval);
            if let (ModelKind::Ising, Some(lag)) = (m.kind, cells.input_lag()) {
                return Ok(Box::new(SettlingFreeRunning::new(t, m, cells, &init, cl, seed, tau, dt, lag)?));
            }
            match m.kind {
                ModelKind::Ising => {
                    Box::new(FreeRunning::<IsingKind, C>::new(t, m, col, cells, &init, cl, seed, tau, dt)?)
                }
                ModelKind::Potts { .. } => {
                    Box::new(FreeRunning::<PottsKind, C>::new(t, m, col, cells, &init, cl, seed, tau, dt)?)
                }
                ModelKind::Gaussian => {
                    Box::new(FreeRunning::<GaussKind, C>::new(t, m, col, cells, &init, cl, seed, tau, dt)?)
                }
            }
        }
    })
}

/// Reads the sampler's state into `buf` (unless `read_state` is false: then `buf` is left
/// as it was, for a runner none of whose observers looks at the state) and makes the sample
/// the observers see: energy and magnetisation from the sampler when it tracks them (no pass
/// over the state), else computed.
#[allow(clippy::too_many_arguments)]
pub fn take_sample<'a>(
    sampler: &dyn Sampler,
    buf: &'a mut StateBuf,
    read_state: bool,
    q: usize,
    index: u64,
    sweep: u64,
    beta: f64,
    chip: &Chip,
) -> Sample<'a> {
    if read_state {
        sampler.read(buf);
    }
    let magnetisation = sampler.magnetisation().unwrap_or_else(|| {
        if !read_state {
            sampler.read(buf);
        }
        magnetisation(buf, q)
    });
    Sample {
        index,
        sweep,
        beta,
        state: buf,
        energy: sampler.energy(),
        magnetisation,
        lattice_side: chip.topology.lattice_side(),
    }
}

/// Loads nothing: validates `config`, builds the chip and runs it with the configured cells.
pub fn run(
    config: &ChipConfig,
    options: &RunOptions,
    observers: &mut [&mut dyn Observer],
) -> Result<ChipStats, ChipError> {
    let chip = config.build()?;
    let schedule = config.schedule(&chip)?;
    match config.cells.kind {
        CellKind::Ideal => run_chip(&chip, IdealCell::new(chip.model.beta), &schedule, options, observers),
        CellKind::Pbit => {
            use crate::chip::cells::couplings::{BehaviouralCells, behavioural_chip};
            let b = behavioural_chip(config, &chip, options.seed)?;
            match b.cells {
                BehaviouralCells::Plain(cells) => run_chip(&b.chip, cells, &schedule, options, observers),
                BehaviouralCells::Coupled(cells) => run_chip(&b.chip, cells, &schedule, options, observers),
            }
        }
        CellKind::Gaussian => {
            let (chip, _) = crate::chip::cells::gaussian::calibrated_gaussian_chip(config, &chip)?;
            run_chip(&chip, IdealCell::new(chip.model.beta), &schedule, options, observers)
        }
        other => Err(ChipError::CellKind(format!("{other:?}").to_lowercase())),
    }
}

/// Runs a built chip with the given cells.
pub fn run_chip<C: CellModel + 'static>(
    chip: &Chip,
    cells: C,
    schedule: &Schedule,
    options: &RunOptions,
    observers: &mut [&mut dyn Observer],
) -> Result<ChipStats, ChipError> {
    schedule.validate(chip)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| ChipError::Unsupported(format!("cannot start {} threads: {e}", options.threads)))?;
    let seed = Seed(options.seed);
    let mut sampler = build_sampler(chip, cells, schedule, seed)?;
    let n = chip.cells();
    let q = chip.q();
    let mut summary = Summary::new(n, q);
    let mut pairs = options.pairs.clone().map(PairCorrelations::new);
    let mut joint = match chip.model.kind {
        ModelKind::Ising => JointObserver::new(n),
        _ => None,
    };
    let mut covariance = (chip.model.kind == ModelKind::Gaussian && n <= COVARIANCE_CELLS)
        .then(|| crate::analysis::covariance::CovarianceAccumulator::new(n, 1.0));
    let mut buf = empty_state(chip.model.kind, n);
    let total = schedule.warmup + schedule.sweeps;
    let step = (total / 100).max(1);
    let mut beta = chip.model.beta;
    if schedule.anneal.is_some() {
        beta = schedule.beta_at(0, beta);
        sampler.set_beta(beta)?;
    }
    let (mut t_sweep, mut t_obs) = (Duration::ZERO, Duration::ZERO);
    let mut updates = 0u64;
    let mut index = 0u64;
    for sweep in 0..total {
        let b = schedule.beta_at(sweep, chip.model.beta);
        if b != beta {
            sampler.set_beta(b)?;
            beta = b;
        }
        let sampled = sweep >= schedule.warmup && (sweep - schedule.warmup + 1).is_multiple_of(schedule.thin);
        // the marginals from the sampler's own counts where it keeps them; then the state is
        // copied out only for observers that look at it
        let counted = sampled && chip.model.kind == ModelKind::Ising && sampler.count_next_sweep();
        if counted && index == 0 {
            summary.counts_from_sampler();
        }
        let read_state = !counted
            || pairs.is_some()
            || joint.is_some()
            || covariance.is_some()
            || observers.iter().any(|o| o.needs_state(index));
        let t0 = Instant::now();
        sampler.sweep(&pool);
        t_sweep += t0.elapsed();
        updates += sampler.updates_last_sweep();
        if sampled {
            let t1 = Instant::now();
            let sample = take_sample(sampler.as_ref(), &mut buf, read_state, q, index, sweep + 1, beta, chip);
            summary.observe(&sample)?;
            if let Some(p) = pairs.as_mut() {
                p.observe(&sample)?;
            }
            if let Some(j) = joint.as_mut() {
                j.observe(&sample)?;
            }
            if let (Some(c), StateBuf::Real(x)) = (covariance.as_mut(), sample.state) {
                c.push(x);
            }
            for o in observers.iter_mut() {
                o.observe(&sample)?;
            }
            index += 1;
            t_obs += t1.elapsed();
        }
        if let Some(p) = options.progress
            && ((sweep + 1) % step == 0 || sweep + 1 == total)
        {
            p(sweep + 1, total);
        }
    }
    let t1 = Instant::now();
    for o in observers.iter_mut() {
        o.finish()?;
    }
    t_obs += t1.elapsed();
    if let Some((counts, sweeps)) = sampler.up_counts() {
        summary.set_up_counts(counts, sweeps)?;
    }
    let (am, ae): (AutoCorr, AutoCorr) = summary.autocorr();
    Ok(ChipStats {
        cells: n,
        method: schedule.method,
        warmup: schedule.warmup,
        sweeps: schedule.sweeps,
        samples: index,
        seed: options.seed,
        threads: pool.current_num_threads(),
        generator: GENERATOR,
        beta,
        flips_per_ns: updates as f64 / (t_sweep.as_nanos().max(1) as f64),
        overall_flips_per_ns: updates as f64 / ((t_sweep + t_obs).as_nanos().max(1) as f64),
        kernel: sampler.kernel(),
        updates,
        sweep_seconds: t_sweep.as_secs_f64(),
        observer_seconds: t_obs.as_secs_f64(),
        mean_magnetization: summary.mean_m(),
        mean_abs_magnetization: am.mean,
        mean_abs_magnetization_se: am.stderr,
        energy_per_cell_mean: ae.mean,
        energy_per_cell_se: ae.stderr,
        tau_int_abs_magnetization: am.tau_int,
        tau_int_energy: ae.tau_int,
        autocorrelation_reliable: am.reliable && ae.reliable,
        effective_sample_size: Ess { abs_magnetization: am.ess, energy: ae.ess },
        marginals: summary.marginals(),
        class_marginals: summary.class_marginals(),
        pair_correlations: pairs.map(|p| p.values()),
        joint: joint.map(|j| j.joint()),
        covariance: covariance.map(|c| crate::noise::Covariance {
            nodes: (0..n).map(|i| i.to_string()).collect(),
            matrix: c.covariance(),
        }),
    })
}

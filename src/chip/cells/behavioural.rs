//! Calibrated p-bit cells on the chip, and the chip's energy per sample.
//!
//! Each cell is a behavioural p-bit ([`crate::cell::PbitCell`]) at the chip's operating
//! temperature. Its input voltage is the calibrated image of its local field u (in units of
//! J): V = V0 + g u with gain g = 2 beta Vs(T_design), so that at the design temperature a cell
//! without offset realises the ideal conditional sigma(2 beta u). Each cell has its own offset
//! delta_i (mismatch), and at the operating temperature T
//!
//!   P(s_i = +1 | u) = sigma((g u - delta_i) / Vs(T)),
//!
//! an effective inverse temperature beta_eff = beta Vs(T_design) / Vs(T): the chip's beta
//! falls as it warms, as the calibrated Vs(T) says. In the free-running mode each cell's
//! correlation time is its calibrated tau at its offset. A [`Population`] generalises this to
//! per-cell widths Vs_i and relative gains g_i, P(s_i = +1 | u) = sigma((g g_i u - delta_i) /
//! Vs_i): still a logistic of an affine function of u, which the lattice kernels draw from two
//! per-slot f32 arrays as fast as ideal cells.
//!
//! Mismatch (`[cells] mismatch`): `"population"` (the default when the calibration has a
//! mismatch Monte Carlo population) gives every cell its own V0_i, Vs_i and tau_i drawn from
//! the population's joint law ([`crate::cell::population`]), so delta_i = V0_i - V0 and the
//! cell's width is Vs_i; a voltage (or `"card"`, the population's spread of V0) gives
//! Gaussian offsets delta_i with the nominal width and speed; `0` none.
//!
//! Energy (a documented model, PHYSICS.md section 5): one cell update costs the calibrated
//! energy of an independent p-bit sample, plus broadcasting the new state to its neighbours:
//! each of the `degree` links is a wire of capacitance C_link driven through a swing V_link,
//! which toggles with probability 1/2, costing C_link V_link^2 / 2 per toggle. The defaults
//! (C_link = 0.2 fF for a short local wire, V_link = 0.8 V, a digital level) give about
//! 0.4 fJ per update at degree 12; Extropic's estimate is about 2 fJ per cell update
//! (arXiv:2510.23972). A sweep updates every cell once; an independent sample of the chip
//! costs a sweep times twice the integrated autocorrelation time of its energy.

use crate::cell::PbitCell;
use crate::chip::cells::cell::{CellModel, exp2_clamped, logistic_up};
use crate::chip::error::ChipError;
use std::f64::consts::LOG2_E;

/// Per-cell parameters of a population of p-bits, in natural cell order: each cell's input
/// offset delta_i (V), logistic width Vs_i (V), relative input gain g_i (1 by design) and
/// correlation-time factor (its own tau0 over the nominal one). A per-cell sample of the
/// calibrated parameters (mismatch Monte Carlo) is one of these.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub offset_v: Vec<f64>,
    pub vs_v: Vec<f64>,
    pub gain: Vec<f64>,
    pub speed: Vec<f64>,
}

impl Population {
    /// Cells that differ only by their offsets: width `vs`, gain 1.
    pub fn offsets_only(offsets: Vec<f64>, vs: f64) -> Self {
        let n = offsets.len();
        Population { offset_v: offsets, vs_v: vec![vs; n], gain: vec![1.0; n], speed: vec![1.0; n] }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.offset_v.len()
    }

    /// True if there are no cells.
    pub fn is_empty(&self) -> bool {
        self.offset_v.is_empty()
    }
}

/// Calibrated p-bits as chip cells. Cell i draws s_i = +1 with probability
/// sigma((G g_i u - delta_i) / Vs_i), G = 2 beta Vs(T_design), i.e. 1 / (1 + 2^(k_i u + c_i))
/// with k_i = -G g_i log2(e) / Vs_i and c_i = delta_i log2(e) / Vs_i, kept per slot in two f32
/// arrays ([`CellModel::logistic_form`]) so that the lattice kernels draw them fused.
#[derive(Debug, Clone)]
pub struct PbitCells {
    cell: PbitCell,
    /// Vs at the design temperature (V).
    design_vs: f64,
    beta: f64,
    /// Per-cell parameters, natural order.
    population: Population,
    /// Natural index of each slot (identity until bound).
    sites: Vec<u32>,
    slope: Vec<f32>,
    intercept: Vec<f32>,
    tau_relative: Vec<f64>,
}

impl PbitCells {
    /// Cells at the operating temperature of `cell`, realising `beta` at the design
    /// temperature whose logistic width is `design_vs`, with per-cell `offsets` (V) and the
    /// nominal width and speed. A compensated chip passes `design_vs` scaled by T / T_design
    /// (see [`compensation`]).
    pub fn new(cell: PbitCell, design_vs: f64, beta: f64, offsets: Vec<f64>) -> Self {
        let population = Population::offsets_only(offsets, cell.vs);
        Self::with_population(cell, design_vs, beta, population)
    }

    /// Cells with per-cell offsets, widths and gains (`population`, natural order); `cell`
    /// gives the nominal cell (effective beta, correlation time, energy).
    pub fn with_population(cell: PbitCell, design_vs: f64, beta: f64, population: Population) -> Self {
        let sites = (0..population.len() as u32).collect();
        let mut cells = PbitCells {
            cell,
            design_vs,
            beta,
            population,
            sites,
            slope: vec![],
            intercept: vec![],
            tau_relative: vec![],
        };
        cells.refresh();
        cells
    }

    /// Recomputes the per-slot (k, c) and correlation times for the current slot order.
    fn refresh(&mut self) {
        self.refresh_slope();
        let (p, c) = (&self.population, &self.cell);
        self.intercept = self
            .sites
            .iter()
            .map(|&i| (p.offset_v[i as usize] * LOG2_E / p.vs_v[i as usize]) as f32)
            .collect();
        self.tau_relative = self
            .sites
            .iter()
            .map(|&i| {
                let o = p.offset_v[i as usize];
                p.speed[i as usize] * c.correlation_time(c.v0 + o, o) / c.tau0
            })
            .collect();
    }

    /// Recomputes the per-slot k (the only parameter that depends on beta).
    fn refresh_slope(&mut self) {
        let (gain, p) = (self.gain(), &self.population);
        self.slope = self
            .sites
            .iter()
            .map(|&i| (-gain * p.gain[i as usize] * LOG2_E / p.vs_v[i as usize]) as f32)
            .collect();
    }

    /// Input gain (V per unit local field): 2 beta Vs(T_design).
    pub fn gain(&self) -> f64 {
        2.0 * self.beta * self.design_vs
    }

    /// The effective inverse temperature of a cell without offset.
    pub fn effective_beta(&self) -> f64 {
        self.beta * self.design_vs / self.cell.vs
    }

    /// The behavioural cell.
    pub fn cell(&self) -> &PbitCell {
        &self.cell
    }

    /// The per-cell parameters (natural order).
    pub fn population(&self) -> &Population {
        &self.population
    }

    /// Cells with their own parameters (a mismatch population): cell i has V0 + `offsets[i]`,
    /// width `widths[i]`, gain 1 and correlation time `speeds[i]` times the nominal one.
    pub fn with_parameters(
        cell: PbitCell,
        design_vs: f64,
        beta: f64,
        offsets: Vec<f64>,
        widths: Vec<f64>,
        speeds: Vec<f64>,
    ) -> Self {
        let gain = vec![1.0; offsets.len()];
        Self::with_population(
            cell,
            design_vs,
            beta,
            Population { offset_v: offsets, vs_v: widths, gain, speed: speeds },
        )
    }

    /// The cells' spread: (offsets, widths) by natural index.
    pub fn parameters(&self) -> (&[f64], &[f64]) {
        (&self.population.offset_v, &self.population.vs_v)
    }
}

impl CellModel for PbitCells {
    fn bind(&mut self, sites: &[u32]) -> Result<(), ChipError> {
        if let Some(&site) = sites.iter().find(|&&i| i as usize >= self.population.len()) {
            return Err(ChipError::Unsupported(format!("no offset for cell {site}")));
        }
        self.sites = sites.to_vec();
        self.refresh();
        Ok(())
    }

    #[inline]
    fn p_up(&self, first: usize, u: &[f32], p: &mut [f32]) {
        let (k, c) = (&self.slope[first..first + u.len()], &self.intercept[first..first + u.len()]);
        for (((p, &u), &k), &c) in p.iter_mut().zip(u).zip(k).zip(c) {
            *p = 1.0 / (1.0 + exp2_clamped(u * k + c));
        }
    }

    /// [`logistic_up`] with the slot's (k, c).
    #[inline(always)]
    fn draw_up(&self, first: usize, u: &[f32], r: &[f32], s: &mut [i8], _scratch: &mut [f32]) {
        let (k, c) = (&self.slope[first..first + u.len()], &self.intercept[first..first + u.len()]);
        for ((((s, &r), &u), &k), &c) in s.iter_mut().zip(r).zip(u).zip(k).zip(c) {
            *s = if logistic_up(u, r, k, c) { 1 } else { -1 };
        }
    }

    fn logistic_form(&self) -> Option<(&[f32], &[f32])> {
        Some((&self.slope, &self.intercept))
    }

    /// p-bits are binary: a categorical model is refused when the cells are built, so this
    /// gives the ideal softmax at the effective beta only for completeness.
    fn categorical(&self, _slot: usize, u: &[f64], p: &mut [f64]) {
        let b = self.effective_beta();
        let top = u.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut z = 0.0;
        for (pk, uk) in p.iter_mut().zip(u) {
            *pk = (b * (uk - top)).exp();
            z += *pk;
        }
        p.iter_mut().for_each(|x| *x /= z);
    }

    fn gaussian(&self, _slot: usize, mean: f64, precision: f64) -> (f64, f64) {
        (mean, 1.0 / (self.effective_beta() * precision).sqrt())
    }

    fn tau(&self, slot: usize) -> f64 {
        self.tau_relative.get(slot).copied().unwrap_or(1.0)
    }

    fn set_beta(&mut self, beta: f64) -> Result<(), ChipError> {
        if !(beta >= 0.0 && beta.is_finite()) {
            return Err(ChipError::Unsupported(format!("beta {beta} is not a finite non-negative number")));
        }
        self.beta = beta;
        self.refresh_slope();
        Ok(())
    }
}

/// The chip energy model: calibrated cell energy plus neighbour links (or, with calibrated
/// couplings, the synapses' calibrated power).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ChipEnergy {
    /// Energy of one independent p-bit sample (J), from the calibration.
    pub cell_j: f64,
    /// Broadcasting one update to the neighbours (J): degree * C_link V_link^2 / 4 (0 with
    /// calibrated couplings, whose readout is part of the cell and whose wires are part of
    /// the synapses).
    pub links_j: f64,
    /// Calibrated couplings: the synapses' energy per cell update (J), their summed power
    /// times the cell's correlation time, shared out over the cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub couplings_j: Option<f64>,
    /// Cell updates per sweep and cell: 1 for block Gibbs; for free running the read
    /// interval in units of the cells' correlation time (read_interval / tau).
    pub updates_per_sweep: f64,
    /// One sweep: cells * (cell_j + links_j + couplings_j) * updates_per_sweep (J).
    pub per_sweep_j: f64,
}

impl ChipEnergy {
    pub fn new(cells: usize, degree: f64, cell_j: f64, link_capacitance: f64, link_swing: f64) -> Self {
        let links_j = degree * 0.5 * link_capacitance * link_swing * link_swing * 0.5;
        ChipEnergy {
            cell_j,
            links_j,
            couplings_j: None,
            updates_per_sweep: 1.0,
            per_sweep_j: cells as f64 * (cell_j + links_j),
        }
    }

    /// The same chip with calibrated couplings of summed power `power_w` (W) instead of the
    /// link model, a cell update lasting `update_time` (s).
    pub fn with_couplings(self, cells: usize, power_w: f64, update_time: f64) -> Self {
        let couplings_j = power_w * update_time / cells as f64;
        ChipEnergy {
            links_j: 0.0,
            couplings_j: Some(couplings_j),
            per_sweep_j: cells as f64 * (self.cell_j + couplings_j) * self.updates_per_sweep,
            ..self
        }
    }

    /// The same chip with `updates` cell updates per sweep and cell.
    pub fn per_sweep_updates(self, cells: usize, updates: f64) -> Self {
        let per_update = self.cell_j + self.links_j + self.couplings_j.unwrap_or(0.0);
        ChipEnergy { updates_per_sweep: updates, per_sweep_j: cells as f64 * per_update * updates, ..self }
    }

    /// Energy of one independent sample: a sweep times 2 tau_int (in sweeps, at least 1/2)
    /// of the chip's energy series.
    pub fn per_sample_j(&self, tau_int_sweeps: f64) -> f64 {
        self.per_sweep_j * (2.0 * tau_int_sweeps).max(1.0)
    }
}

/// What the behavioural cells of a run were, for the stats file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CellsReport {
    pub kind: &'static str,
    pub calibration: String,
    pub temperature_k: f64,
    pub design_temperature_k: f64,
    /// The input gain's factor: T / T_design when compensated, else 1.
    pub compensation: f64,
    /// beta Vs(T_design) compensation / Vs(T) for a cell without offset.
    pub effective_beta: f64,
    pub v0_v: f64,
    pub vs_v: f64,
    pub tau0_s: f64,
    /// How long the latch holds a state before the readout shows it (s; 0: read at the
    /// latch). The free-running sampler uses it behind calibrated couplings.
    pub readout_latency_s: f64,
    pub mismatch_sigma_v: f64,
    /// How the cells deviate: "none", "offset" (Gaussian, sigma above), "card" (the
    /// calibration's sigma) or "population of N" (each cell drawn from the population).
    pub mismatch: String,
    pub energy: ChipEnergy,
    /// Calibrated couplings, if the description has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub couplings: Option<super::couplings::CouplingsReport>,
}

fn temperature_value(key: &str, value: &toml::Value) -> Result<f64, ChipError> {
    let text = match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::units::parse_temperature(&text).map_err(|e| ChipError::value(key, e.to_string()))
}

fn quantity_value(key: &str, value: &toml::Value, q: crate::units::Quantity) -> Result<f64, ChipError> {
    match value {
        toml::Value::Float(x) => Ok(*x),
        toml::Value::Integer(i) => Ok(*i as f64),
        toml::Value::String(s) => {
            crate::units::parse_value(s, q).map_err(|e| ChipError::value(key, e.to_string()))
        }
        other => {
            Err(ChipError::value(key, format!("expected a number or a value such as \"3m\", found {other}")))
        }
    }
}

/// Build the calibrated p-bit cells a `[cells] kind = "pbit"` section describes.
pub fn pbit_cells(
    config: &crate::chip::ChipConfig,
    chip: &crate::chip::Chip,
    seed: u64,
) -> Result<(PbitCells, CellsReport), ChipError> {
    use crate::calibration::{Calibration, CellKind};
    use crate::units::Quantity;
    let c = &config.cells;
    if chip.model.kind != crate::chip::ModelKind::Ising {
        return Err(ChipError::value(
            "cells.kind",
            "p-bit cells are binary: they need [model] kind = \"ising\"",
        ));
    }
    let path = c.calibration.as_ref().map(|p| config.base_dir.join(p)).ok_or_else(|| {
        ChipError::value("cells.calibration", "p-bit cells need a calibration file (pbitsim calibrate)")
    })?;
    let calibration = Calibration::load(&path, CellKind::Pbit)
        .map_err(|e| ChipError::value("cells.calibration", e.to_string()))?;
    let temperature = match &c.temperature {
        Some(v) => temperature_value("cells.temperature", v)?,
        None => {
            return Err(ChipError::value(
                "cells.temperature",
                "give the operating temperature, e.g. \"300K\"",
            ));
        }
    };
    let design = match &c.design_temperature {
        Some(v) => temperature_value("cells.design_temperature", v)?,
        None => temperature,
    };
    let build = |t: f64, key: &str| {
        PbitCell::from_calibration(&calibration, t).map_err(|e| ChipError::value(key, e.to_string()))
    };
    let cell = build(temperature, "cells.temperature")?;
    // Compensation scales every cell's input in proportion to T (a PTAT input gain), which
    // keeps beta_eff = beta Vs(T_design) T / (Vs(T) T_design) at beta when Vs is
    // proportional to T.
    let compensation = if c.compensation.unwrap_or(false) { temperature / design } else { 1.0 };
    let design_vs = build(design, "cells.design_temperature")?.vs * compensation;
    let seed = crate::rng::Seed(seed).child(crate::rng::Domain::Parameters, 0);
    let population = match (&c.mismatch, &calibration.population) {
        (Some(toml::Value::String(s)), None) if s == "population" => {
            return Err(ChipError::value(
                "cells.mismatch",
                format!(
                    "\"population\" needs a calibration with a mismatch population; {} has none (pbitsim calibrate --monte-carlo N)",
                    path.display()
                ),
            ));
        }
        (Some(toml::Value::String(s)), Some(p)) if s == "population" => Some(p),
        (None, Some(p)) => Some(p),
        _ => None,
    };
    let (sigma, mismatch_mode) = match (&c.mismatch, population) {
        (_, Some(p)) => (calibration.mismatch.sigma_v0_v, format!("population of {}", p.samples.len())),
        (None, None) => (0.0, "none".to_string()),
        (Some(toml::Value::String(s)), None) if s == "card" => {
            (calibration.mismatch.sigma_v0_v, "card".to_string())
        }
        (Some(v), None) => {
            let sigma = quantity_value("cells.mismatch", v, Quantity::Voltage)?;
            if !(sigma >= 0.0) {
                return Err(ChipError::value(
                    "cells.mismatch",
                    format!(
                        "{sigma} V: expected a standard deviation of V0 (>= 0, e.g. \"2m\"), \"card\" or \"population\""
                    ),
                ));
            }
            (sigma, "offset".to_string())
        }
    };
    let link_c = c
        .link_capacitance
        .as_ref()
        .map_or(Ok(0.2e-15), |v| quantity_value("cells.link_capacitance", v, Quantity::Capacitance))?;
    let link_v = c
        .link_swing
        .as_ref()
        .map_or(Ok(0.8), |v| quantity_value("cells.link_swing", v, Quantity::Voltage))?;
    let degree = 2.0 * chip.topology.edge_slots() as f64 / chip.cells() as f64;
    // A free-running sweep lasts read_interval, in units where a cell's correlation time is
    // tau: read_interval / tau updates per cell.
    let schedule = &config.schedule;
    let updates = match schedule.method {
        crate::chip::Method::BlockGibbs => 1.0,
        crate::chip::Method::FreeRunning => schedule.read_interval / schedule.tau,
    };
    let energy = ChipEnergy::new(chip.cells(), degree, cell.energy_per_sample, link_c, link_v)
        .per_sweep_updates(chip.cells(), updates);
    let cells = match population {
        Some(p) => {
            let law = crate::cell::PopulationLaw::new(p, &calibration.temperatures_k);
            let drawn = law
                .draw(chip.cells(), temperature, seed, &path.display().to_string())
                .map_err(|e| ChipError::value("cells.temperature", e.to_string()))?;
            PbitCells::with_parameters(
                cell.clone(),
                design_vs,
                chip.model.beta,
                drawn.iter().map(|d| d.v0 - cell.v0).collect(),
                drawn.iter().map(|d| d.vs).collect(),
                drawn.iter().map(|d| d.tau0 / cell.tau0).collect(),
            )
        }
        None => PbitCells::new(
            cell.clone(),
            design_vs,
            chip.model.beta,
            crate::cell::offsets(chip.cells(), sigma, seed),
        ),
    };
    let report = CellsReport {
        kind: "pbit",
        calibration: path.display().to_string(),
        temperature_k: temperature,
        design_temperature_k: design,
        compensation,
        effective_beta: cells.effective_beta(),
        v0_v: cell.v0,
        vs_v: cell.vs,
        tau0_s: cell.tau0,
        readout_latency_s: cell.readout_latency,
        mismatch_sigma_v: sigma,
        mismatch: mismatch_mode,
        energy,
        couplings: None,
    };
    Ok((cells, report))
}

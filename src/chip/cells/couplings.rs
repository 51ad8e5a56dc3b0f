//! Couplings as calibrated circuits (`[couplings] calibration = ...`): each undirected edge
//! (i, j) with J_ij != 0 is a pair of synapses, j -> i and i -> j, with the weight setting w_ij
//! that makes the input shift J_v(w_ij) equal to g |J_ij| at the design temperature (g the
//! cells' input gain, 2 beta Vs(T_design)); the sign is the wiring (the neighbour's qb for
//! J > 0, q for J < 0). The same map gives the netlist writer its weights.
//!
//! On the behavioural chip the calibrated synapses change the model the cells see: at the
//! operating temperature T an edge couples with J'_ij = sign(J_ij) J_v(w_ij, T) / g, and each
//! cell's field gains the summed offsets of the synapses into it, h'_i = h_i + sum_j
//! offset(w_ij, T) / g. At T = T_design J' = J; what remains are the offsets (and, in free
//! running, the lag of the input, [`crate::chip::samplers::settling`]).
//!
//! Energy: every synapse draws its calibrated power P(w) whatever the states; over one cell
//! update (the cell's calibrated correlation time tau0) the chip's synapses draw
//! sum P(w_ij) tau0, which replaces the generic link model.

use crate::calibration::CouplingCalibration;
use crate::cell::Coupling;
use crate::chip::description::config::ChipConfig;
use crate::chip::description::model::{Couplings, Model, ModelKind};
use crate::chip::description::problem::Chip;
use crate::chip::error::ChipError;

/// One synapse pair: the undirected edge `edge` between `i` and `j`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SynapsePair {
    pub edge: usize,
    pub i: usize,
    pub j: usize,
    /// The model coupling J_ij.
    pub coupling: f64,
    /// The weight setting of both synapses (V).
    pub weight: f64,
}

/// The calibrated couplings of a chip.
#[derive(Debug, Clone)]
pub struct CouplingMap {
    /// The coupling at the operating temperature and at the design temperature.
    pub operating: Coupling,
    pub design: Coupling,
    /// The input gain g (V per unit field) the weights were chosen for.
    pub gain: f64,
    pub pairs: Vec<SynapsePair>,
    pub calibration: String,
}

/// What the calibrated couplings were, for the stats file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CouplingsReport {
    pub calibration: String,
    pub synapses: usize,
    pub weight_min_v: f64,
    pub weight_max_v: f64,
    /// Delay of a neighbour's flip through its readout and settling time constant of the
    /// inputs at the operating temperature (s).
    pub delay_s: f64,
    pub settling_time_s: f64,
    /// Summed power of every synapse (W).
    pub power_w: f64,
    /// Largest |J'_ij / J_ij - 1| over the edges at the operating temperature.
    pub max_gain_error: f64,
    /// Largest |summed offset| of a cell's input (V).
    pub max_offset_v: f64,
    /// The driver response at the synapses' mean weight: a (1/V) and b (1/V^2), 0 when the
    /// calibration has none.
    pub driver_offset_per_v: f64,
    pub driver_gain_per_v2: f64,
}

fn cell_error(key: &str) -> impl Fn(crate::cell::CellError) -> ChipError + '_ {
    move |e| ChipError::value(key, e.to_string())
}

impl CouplingMap {
    /// The driver response (a, b) at the operating temperature and the mean weight of the
    /// chip's synapses: the behavioural chip uses one response for every edge (exact for
    /// chips with one weight, like the validation models; the shipped a grows by about
    /// 0.5 /V over the calibrated weights, so per-edge values would matter on mixed chips).
    pub fn driver_response(&self) -> Result<(f64, f64), ChipError> {
        if self.pairs.is_empty() {
            return Ok((0.0, 0.0));
        }
        let mean = self.pairs.iter().map(|p| p.weight).sum::<f64>() / self.pairs.len() as f64;
        self.operating.driver_response(mean).map_err(cell_error("couplings.calibration"))
    }

    /// The weights of every edge of `chip` for input gain `gain`, from the description's
    /// coupling calibration at the design and operating temperatures (K).
    pub fn new(
        config: &ChipConfig,
        chip: &Chip,
        gain: f64,
        design_temperature: f64,
        temperature: f64,
    ) -> Result<CouplingMap, ChipError> {
        let section = config.couplings.as_ref().ok_or_else(|| {
            ChipError::value("couplings", "no [couplings] section: calibrated couplings need one")
        })?;
        let path = section.calibration.as_ref().map(|p| config.path(p)).ok_or_else(|| {
            ChipError::value(
                "couplings.calibration",
                "give a coupling calibration (pbitsim calibrate --coupling)",
            )
        })?;
        if chip.model.kind != ModelKind::Ising {
            return Err(ChipError::value("couplings", "calibrated couplings need an Ising model"));
        }
        let calibration = CouplingCalibration::load(&path)
            .map_err(|e| ChipError::value("couplings.calibration", e.to_string()))?;
        let key = "couplings.calibration";
        let design = Coupling::from_calibration(&calibration, design_temperature).map_err(cell_error(key))?;
        let operating = Coupling::from_calibration(&calibration, temperature).map_err(cell_error(key))?;
        let mut pairs = Vec::new();
        let mut failure = None;
        chip.topology.for_each_edge(|e, i, j| {
            let coupling = chip.model.couplings.get(e) as f64;
            if coupling == 0.0 || failure.is_some() {
                return;
            }
            match design.weight_for(gain * coupling.abs()) {
                Ok(weight) => pairs.push(SynapsePair { edge: e, i, j, coupling, weight }),
                Err(err) => {
                    failure = Some(ChipError::value(
                        key,
                        format!("edge {i}-{j} (J = {coupling}, input gain {:.3} mV): {err}", gain * 1e3),
                    ))
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(CouplingMap { operating, design, gain, pairs, calibration: path.display().to_string() })
    }

    /// The model the cells see at the operating temperature: J'_ij = sign J_v(w, T) / g per
    /// edge, fields with the summed offsets of each cell's synapses.
    pub fn effective_model(&self, chip: &Chip) -> Result<Model, ChipError> {
        let m = &chip.model;
        let mut couplings = vec![0f32; chip.topology.edge_slots()];
        let mut fields = m.fields.clone();
        let key = "couplings.calibration";
        for p in &self.pairs {
            let jv = self.operating.coupling_v(p.weight).map_err(cell_error(key))?;
            couplings[p.edge] = (p.coupling.signum() * jv / self.gain) as f32;
            let offset = self.operating.offset_v(p.weight).map_err(cell_error(key))? / self.gain;
            fields[p.i] += offset as f32;
            fields[p.j] += offset as f32;
        }
        Ok(Model {
            kind: m.kind,
            beta: m.beta,
            couplings: Couplings::PerEdge(couplings),
            fields,
            diagonal: m.diagonal.clone(),
        })
    }

    /// Summed power of every synapse at the operating temperature (W).
    pub fn power_w(&self) -> Result<f64, ChipError> {
        let mut total = 0.0;
        for p in &self.pairs {
            total += 2.0 * self.operating.power_w(p.weight).map_err(cell_error("couplings.calibration"))?;
        }
        Ok(total)
    }

    /// The summary for the stats file.
    pub fn report(&self, chip: &Chip) -> Result<CouplingsReport, ChipError> {
        let effective = self.effective_model(chip)?;
        let mut max_gain_error = 0f64;
        for p in &self.pairs {
            let ratio = effective.couplings.get(p.edge) as f64 / p.coupling;
            max_gain_error = max_gain_error.max((ratio - 1.0).abs());
        }
        let max_offset_v = effective
            .fields
            .iter()
            .zip(&chip.model.fields)
            .map(|(a, b)| ((a - b) as f64 * self.gain).abs())
            .fold(0.0, f64::max);
        let weights = self.pairs.iter().map(|p| p.weight);
        let driver = self.driver_response()?;
        Ok(CouplingsReport {
            calibration: self.calibration.clone(),
            synapses: 2 * self.pairs.len(),
            weight_min_v: weights.clone().fold(f64::INFINITY, f64::min),
            weight_max_v: weights.fold(f64::NEG_INFINITY, f64::max),
            delay_s: self.operating.delay,
            settling_time_s: self.operating.settling_time,
            power_w: self.power_w()?,
            max_gain_error,
            max_offset_v,
            driver_offset_per_v: driver.0,
            driver_gain_per_v2: driver.1,
        })
    }
}

/// The cells of a behavioural chip: calibrated p-bits, behind calibrated synapses or not.
pub enum BehaviouralCells {
    Plain(crate::chip::cells::behavioural::PbitCells),
    Coupled(super::coupled::CoupledPbitCells),
}

/// A behavioural chip: calibrated p-bit cells and, when the description has a coupling
/// calibration, the model its calibrated synapses realise.
pub struct BehaviouralChip {
    /// The chip the cells see (the description's, or its effective model with couplings).
    pub chip: Chip,
    pub cells: BehaviouralCells,
    pub report: crate::chip::cells::behavioural::CellsReport,
}

/// The behavioural chip a `[cells] kind = "pbit"` description (with optional `[couplings]
/// calibration`) describes, with mismatch offsets drawn from `seed`.
pub fn behavioural_chip(config: &ChipConfig, chip: &Chip, seed: u64) -> Result<BehaviouralChip, ChipError> {
    let (cells, mut report) = crate::chip::cells::behavioural::pbit_cells(config, chip, seed)?;
    if config.couplings.as_ref().and_then(|c| c.calibration.as_ref()).is_none() {
        return Ok(BehaviouralChip { chip: chip.clone(), cells: BehaviouralCells::Plain(cells), report });
    }
    let gain = cells.gain();
    let map = CouplingMap::new(config, chip, gain, report.design_temperature_k, report.temperature_k)?;
    let effective = Chip::new(chip.topology.clone(), map.effective_model(chip)?)?;
    let cell = cells.cell().clone();
    report.energy = report.energy.with_couplings(chip.cells(), map.power_w()?, cell.tau0);
    report.couplings = Some(map.report(chip)?);
    // Free-running time is counted in units where a cell's correlation time is schedule.tau.
    let unit = config.schedule.tau / cell.tau0;
    let driver = map.driver_response()?;
    let lag = super::cell::InputLag {
        delay: map.operating.delay * unit,
        settling: map.operating.settling_time * unit,
        readout: cell.readout_latency * unit,
        driver_offset: driver.0 * gain,
        driver_gain: driver.1 * gain * gain,
    };
    let offsets = super::coupled::cell_offsets(chip.cells(), report.mismatch_sigma_v, seed);
    let design_vs = gain / (2.0 * chip.model.beta);
    let coupled = super::coupled::CoupledPbitCells::new(cell, design_vs, chip.model.beta, offsets, lag);
    Ok(BehaviouralChip { chip: effective, cells: BehaviouralCells::Coupled(coupled), report })
}

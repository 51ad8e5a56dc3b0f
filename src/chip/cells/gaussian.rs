//! Calibrated Gaussian cells: a chip of Gaussian sampler pairs whose precision and mean come
//! from a Gaussian calibration ([`crate::calibration::gaussian`], `pbitsim calibrate
//! --gaussian`) at the control values of the description:
//!
//! ```toml
//! [graph]
//! edges = "gauss_pair_edges.csv"   # disjoint pairs i,j,0: cell i is the pair's first node
//! [model]
//! kind = "gaussian"
//! beta = 1.0                       # the calibrated law is N(mean, Q^-1), Q in V^-2
//! [cells]
//! kind = "gaussian"
//! calibration = "gauss_pair_calibration.json"
//! controls = { vdda = 0.07, vddb = 0.03 }
//! ```
//!
//! At the controls the calibration gives, interpolated between its grid points, the pair's
//! mean m (V) and precision Q = S^-1 (V^-2); every pair (i, j) of the chip gets the chip's
//! Gaussian model (Rue and Held 2005, section 2.2) x ~ N(Q^-1 b, (beta Q)^-1) with beta = 1,
//! diagonal d_i = Q_aa, d_j = Q_bb, coupling J_ij = -Q_ab and fields b = Q m, so that the
//! chip samples the pair's measured mean and covariance (in volts).

use std::collections::BTreeMap;

use crate::calibration::{GaussianCalibration, GaussianLaw};
use crate::chip::description::config::ChipConfig;
use crate::chip::description::graph::Topology;
use crate::chip::description::model::{Couplings, Model, ModelKind};
use crate::chip::description::problem::Chip;
use crate::chip::error::ChipError;

/// What the calibrated Gaussian cells were, for the stats file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GaussianCellsReport {
    pub kind: &'static str,
    pub calibration: String,
    pub temperature_k: f64,
    pub nodes: Vec<String>,
    pub pairs: usize,
    /// The interpolated law at the controls (means in V, precision in V^-2, the gyration
    /// rate of the circuit at these controls in V^2/s, which Gibbs sampling does not show).
    pub law: GaussianLaw,
}

/// The chip `chip` (built from `config`) with its model replaced by the calibrated pairs'.
pub fn calibrated_gaussian_chip(
    config: &ChipConfig,
    chip: &Chip,
) -> Result<(Chip, GaussianCellsReport), ChipError> {
    let m = &config.model;
    if chip.model.kind != ModelKind::Gaussian {
        return Err(ChipError::value("cells.kind", "\"gaussian\" cells need model.kind = \"gaussian\""));
    }
    if m.beta != 1.0 {
        return Err(ChipError::value(
            "model.beta",
            format!(
                "got {}; calibrated Gaussian cells sample the circuit's law N(mean, Q^-1) with Q in V^-2: set beta = 1",
                m.beta
            ),
        ));
    }
    for (given, key) in [
        (m.diagonal.is_some(), "model.diagonal"),
        (m.coupling.is_some(), "model.coupling"),
        (m.random.is_some(), "model.random"),
        (m.weights.is_some(), "model.weights"),
        (m.field.is_some(), "model.field"),
        (config.graph.as_ref().is_some_and(|g| g.fields.is_some()), "graph.fields"),
    ] {
        if given {
            return Err(ChipError::value(
                key,
                "calibrated Gaussian cells take their diagonal, couplings and fields from the calibration; remove it",
            ));
        }
    }
    let path = config.cells.calibration.as_ref().ok_or_else(|| {
        ChipError::value(
            "cells.calibration",
            "required for kind = \"gaussian\" (pbitsim calibrate --gaussian)",
        )
    })?;
    let controls: BTreeMap<String, f64> = config.cells.controls.clone().ok_or_else(|| {
        ChipError::value(
            "cells.controls",
            "required for kind = \"gaussian\", e.g. { vdda = 0.07, vddb = 0.03 }",
        )
    })?;
    let full = config.path(path);
    let calibration =
        GaussianCalibration::load(&full).map_err(|e| ChipError::value("cells.calibration", e.to_string()))?;
    let law = calibration
        .at(&controls)
        .map_err(|e| ChipError::value("cells.controls", format!("{e} (calibration {})", full.display())))?;
    let Topology::Graph(graph) = &chip.topology else {
        return Err(ChipError::value(
            "cells.kind",
            "calibrated Gaussian cells need a [graph] of disjoint pairs",
        ));
    };
    let n = chip.cells();
    let mut seen = vec![0usize; n];
    for &(i, j) in graph.edges() {
        seen[i as usize] += 1;
        seen[j as usize] += 1;
    }
    if let Some(cell) = seen.iter().position(|&k| k != 1) {
        return Err(ChipError::value(
            "graph.edges",
            format!(
                "cell {cell} is in {} edges; calibrated Gaussian cells come in disjoint pairs (every cell in exactly one edge)",
                seen[cell]
            ),
        ));
    }
    if (0..graph.edges().len()).any(|e| chip.model.couplings.get(e) != 0.0) {
        return Err(ChipError::value(
            "graph.edges",
            "the J column must be 0: calibrated Gaussian pairs take their coupling from the calibration",
        ));
    }
    let q = &law.precision_per_v2;
    let b = [
        q[0][0] * law.mean_v[0] + q[0][1] * law.mean_v[1],
        q[1][0] * law.mean_v[0] + q[1][1] * law.mean_v[1],
    ];
    let (mut diagonal, mut fields) = (vec![0f32; n], vec![0f32; n]);
    for &(i, j) in graph.edges() {
        let (i, j) = (i.min(j) as usize, i.max(j) as usize);
        (diagonal[i], diagonal[j]) = (q[0][0] as f32, q[1][1] as f32);
        (fields[i], fields[j]) = (b[0] as f32, b[1] as f32);
    }
    let coupling = 0.5 * (q[0][1] + q[1][0]);
    let model = Model {
        kind: ModelKind::Gaussian,
        beta: 1.0,
        couplings: Couplings::PerEdge(vec![-coupling as f32; graph.edges().len()]),
        fields,
        diagonal,
    };
    let built = Chip::new(chip.topology.clone(), model).map_err(|e| {
        ChipError::value(
            "cells.controls",
            format!("the calibrated precision at these controls is not usable: {e}"),
        )
    })?;
    let report = GaussianCellsReport {
        kind: "gaussian",
        calibration: full.display().to_string(),
        temperature_k: calibration.temperature_k,
        nodes: calibration.nodes.clone(),
        pairs: graph.edges().len(),
        law,
    };
    Ok((built, report))
}

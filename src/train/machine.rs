//! The learning problem: a Boltzmann machine on a chip graph, kept apart from how it is
//! trained ([`crate::train::pcd`], [`crate::train::exact`]) or evaluated.
//!
//! The machine is the chip's Ising model (PHYSICS.md 6 and 11),
//!   E(s) = -(sum_i h_i s_i + sum_{edges} J_ij s_i s_j),   P(s) proportional to exp(-beta E(s)),
//! each undirected edge counted once, with the chip's beta held fixed and the parameters
//! theta = (J per present edge, h per cell, and, for a class-conditional machine, one extra
//! field vector b_y per class y, so that a machine conditioned on class y has fields h + b_y).
//! Its cells have three roles: *visible* cells hold the pixels of an image, *input* cells (a
//! conditional machine only, e.g. one DTM step) hold the image it is conditioned on and are
//! clamped whenever it runs, and all other cells are *hidden*.
//!
//! The chip stores couplings and fields as f32 (see [`crate::chip::description::model`]); the
//! parameters live in f64 for the optimiser and are rounded once per step by [`Machine::model`].
//! Exact evaluation uses those rounded values, so it scores the model the chip samples.

use super::placement::Placement;
use crate::chip::{Chip, Couplings, Model, ModelKind};

/// A present edge: its id in the chip's edge slots and its two cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub id: usize,
    pub i: usize,
    pub j: usize,
}

/// A Boltzmann machine on a chip.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Topology, colouring and beta (its couplings and fields are replaced by the parameters).
    pub chip: Chip,
    pub visible: Vec<usize>,
    pub inputs: Vec<usize>,
    pub hidden: Vec<usize>,
    /// Number of class field vectors (0: not class-conditional).
    pub classes: usize,
    /// Present edges in the chip's edge order; parameter k < edges.len() is J of edge k.
    pub edges: Vec<Edge>,
}

impl Machine {
    /// A machine on `chip` with the given placement and classes.
    pub fn new(chip: Chip, placement: &Placement, classes: usize) -> Self {
        let n = chip.cells();
        let mut role = vec![false; n];
        for &c in placement.visible.iter().chain(&placement.inputs) {
            role[c] = true;
        }
        let hidden = (0..n).filter(|&c| !role[c]).collect();
        let mut edges = vec![];
        chip.topology.for_each_edge(|id, i, j| edges.push(Edge { id, i, j }));
        Machine {
            chip,
            visible: placement.visible.clone(),
            inputs: placement.inputs.clone(),
            hidden,
            classes,
            edges,
        }
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.chip.cells()
    }

    /// Inverse temperature of the machine.
    pub fn beta(&self) -> f64 {
        self.chip.model.beta
    }

    /// True for a machine conditioned on inputs or classes (each chain then belongs to one
    /// example).
    pub fn conditional(&self) -> bool {
        !self.inputs.is_empty() || self.classes > 0
    }

    /// Number of parameters: couplings, fields, class fields.
    pub fn parameters(&self) -> usize {
        self.edges.len() + self.cells() * (1 + self.classes)
    }

    /// The couplings J (one per edge) within `theta`.
    pub fn couplings<'a>(&self, theta: &'a [f64]) -> &'a [f64] {
        &theta[..self.edges.len()]
    }

    /// The fields h (one per cell) within `theta`.
    pub fn fields<'a>(&self, theta: &'a [f64]) -> &'a [f64] {
        &theta[self.edges.len()..self.edges.len() + self.cells()]
    }

    /// Offset of class `y`'s field vector b_y within `theta`.
    pub fn class_offset(&self, y: usize) -> usize {
        self.edges.len() + self.cells() * (1 + y)
    }

    /// The f32 chip model of `theta` for class `y` (ignored without classes).
    pub fn model(&self, theta: &[f64], y: usize) -> Model {
        let mut j = vec![0f32; self.chip.topology.edge_slots()];
        for (e, &v) in self.edges.iter().zip(self.couplings(theta)) {
            j[e.id] = v as f32;
        }
        let mut h: Vec<f64> = self.fields(theta).to_vec();
        if self.classes > 0 {
            let b = &theta[self.class_offset(y)..self.class_offset(y) + self.cells()];
            h.iter_mut().zip(b).for_each(|(h, b)| *h += b);
        }
        Model {
            kind: ModelKind::Ising,
            beta: self.beta(),
            couplings: Couplings::PerEdge(j),
            fields: h.into_iter().map(|x| x as f32).collect(),
            diagonal: vec![],
        }
    }

    /// The initial parameters read from the chip description's own model (couplings and
    /// fields; class fields zero).
    pub fn parameters_of_chip(&self) -> Vec<f64> {
        let m = &self.chip.model;
        let mut theta: Vec<f64> = self.edges.iter().map(|e| m.couplings.get(e.id) as f64).collect();
        theta.extend(m.fields.iter().map(|&h| h as f64));
        theta.resize(self.parameters(), 0.0);
        theta
    }

    /// The clamps that fix the input cells to `inputs` (spins) and, if `visible` is given,
    /// the visible cells to it.
    pub fn clamps(&self, inputs: Option<&[i8]>, visible: Option<&[i8]>) -> Vec<(usize, f64)> {
        let mut out = vec![];
        if let Some(x) = inputs {
            out.extend(self.inputs.iter().zip(x).map(|(&c, &s)| (c, s as f64)));
        }
        if let Some(v) = visible {
            out.extend(self.visible.iter().zip(v).map(|(&c, &s)| (c, s as f64)));
        }
        out
    }

    /// The visible pixels of a state.
    pub fn read_visible(&self, state: &[i8]) -> Vec<i8> {
        self.visible.iter().map(|&c| state[c]).collect()
    }
}

/// Sufficient statistics of a set of chip states: sums of s_i per cell and of s_i s_j per
/// edge (and of s_i per class), as exact integers.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    pub count: u64,
    pub s: Vec<i64>,
    pub ss: Vec<i64>,
    /// Per class: (count, sum of s_i per cell).
    pub class: Vec<(u64, Vec<i64>)>,
}

impl Moments {
    pub fn new(machine: &Machine) -> Self {
        let n = machine.cells();
        Moments {
            count: 0,
            s: vec![0; n],
            ss: vec![0; machine.edges.len()],
            class: (0..machine.classes).map(|_| (0, vec![0; n])).collect(),
        }
    }

    /// Adds one state (natural order) of class `y`.
    pub fn add(&mut self, machine: &Machine, state: &[i8], y: usize) {
        self.count += 1;
        for (a, &s) in self.s.iter_mut().zip(state) {
            *a += s as i64;
        }
        for (a, e) in self.ss.iter_mut().zip(&machine.edges) {
            *a += (state[e.i] * state[e.j]) as i64;
        }
        if let Some((c, v)) = self.class.get_mut(y) {
            *c += 1;
            for (a, &s) in v.iter_mut().zip(state) {
                *a += s as i64;
            }
        }
    }

    /// Adds the sums of `other`.
    pub fn merge(&mut self, other: &Moments) {
        self.count += other.count;
        self.s.iter_mut().zip(&other.s).for_each(|(a, b)| *a += b);
        self.ss.iter_mut().zip(&other.ss).for_each(|(a, b)| *a += b);
        for ((c, v), (oc, ov)) in self.class.iter_mut().zip(&other.class) {
            *c += oc;
            v.iter_mut().zip(ov).for_each(|(a, b)| *a += b);
        }
    }

    /// The expectations as one vector laid out like theta: <s_i s_j>, <s_i>, and for each
    /// class the share of the class's states times their mean s_i (the derivative of the
    /// average log-likelihood with respect to b_y, up to beta).
    pub fn expectations(&self) -> Vec<f64> {
        let n = self.count.max(1) as f64;
        let mut out: Vec<f64> = self.ss.iter().chain(&self.s).map(|&a| a as f64 / n).collect();
        for (_, v) in &self.class {
            out.extend(v.iter().map(|&a| a as f64 / n));
        }
        out
    }
}

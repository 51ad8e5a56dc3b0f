//! Recorded trajectories: states at the recording times, in buffers allocated once.

use std::ops::ControlFlow;

use super::Observer;

/// States of a trajectory at its recording times, stored row by row.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Trace {
    dim: usize,
    times: Vec<f64>,
    states: Vec<f64>,
}

impl Trace {
    /// An empty trace with room for `capacity` records of `dim` components, so recording
    /// never reallocates within that many records.
    pub fn with_capacity(dim: usize, capacity: usize) -> Self {
        Trace { dim, times: Vec::with_capacity(capacity), states: Vec::with_capacity(capacity * dim) }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The state recorded at index `i`.
    pub fn state(&self, i: usize) -> &[f64] {
        &self.states[i * self.dim..(i + 1) * self.dim]
    }

    /// Component `j` over the whole trace.
    pub fn component(&self, j: usize) -> impl Iterator<Item = f64> + '_ {
        self.states.iter().skip(j).step_by(self.dim).copied()
    }

    /// Append one record.
    pub fn push(&mut self, t: f64, x: &[f64]) {
        debug_assert_eq!(x.len(), self.dim);
        self.times.push(t);
        self.states.extend_from_slice(x);
    }
}

impl Observer for Trace {
    fn observe(&mut self, t: f64, x: &[f64]) -> ControlFlow<()> {
        self.push(t, x);
        ControlFlow::Continue(())
    }
}

//! The joint law of the chip's cells, for chips of up to 16 binary cells: cell i is bit i of
//! the state index (see [`crate::analysis::joint`]), so a chip's `joint` and a simulated
//! netlist's `joint` (outputs s0, s1, ... in cell order) index the same states.

use crate::analysis::joint::{Joint, JointCounter, MAX_JOINT_BITS};
use crate::chip::error::ChipError;
use crate::chip::observers::observe::{Observer, Sample};
use crate::chip::samplers::sampler::StateBuf;

/// Counts joint states of Ising cells.
#[derive(Debug, Clone)]
pub struct JointObserver {
    counter: JointCounter,
}

impl JointObserver {
    /// For `cells` Ising cells; None above 16 cells.
    pub fn new(cells: usize) -> Option<Self> {
        (1..=MAX_JOINT_BITS).contains(&cells).then(|| JointObserver { counter: JointCounter::new(cells) })
    }

    /// The law, outputs named s0, s1, ... in cell order.
    pub fn joint(&self) -> Joint {
        self.counter.joint((0..self.counter.bits()).map(|i| format!("s{i}")).collect())
    }
}

impl Observer for JointObserver {
    fn observe(&mut self, sample: &Sample) -> Result<(), ChipError> {
        if let StateBuf::Spins(s) = sample.state {
            let index = s.iter().enumerate().fold(0usize, |acc, (i, &v)| acc | (usize::from(v > 0) << i));
            self.counter.push(index);
        }
        Ok(())
    }
}

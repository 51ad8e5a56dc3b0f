//! What one run measures while it runs: node moments, readouts with their dwell times and
//! autocorrelation, supply energy over the measured window, and a decimated trace.

use std::ops::ControlFlow;

use crate::analysis::covariance::CovarianceAccumulator;
use crate::analysis::joint::MAX_JOINT_BITS;
use crate::analysis::{BitReadout, CatReadout, Correlator, Dwell, JointCounter, Moments};
use crate::circuit::{Circuit, NodeRef, OutputKind};
use crate::jump::JumpStats;
use crate::sde::Observer;
use crate::sde::control::StepReport;

/// The live state of one readout.
#[derive(Debug, Clone)]
enum Reader {
    Bit { plus: NodeRef, minus: NodeRef, readout: BitReadout },
    Category { nodes: Vec<NodeRef>, readout: CatReadout, scratch: Vec<f64> },
    Analog { plus: NodeRef, minus: Option<NodeRef> },
}

/// Statistics of one readout over the measured window.
#[derive(Debug, Clone)]
pub struct ReadoutStats {
    /// Occupancy and dwell times (bit and category).
    pub dwell: Option<Dwell>,
    /// Autocorrelation of the readout signal: the state for a bit, the value for an analog
    /// output, and one indicator per state for a category.
    pub correlators: Vec<Correlator>,
    /// Moments of an analog output.
    pub moments: Moments,
}

/// The steps one run took.
#[derive(Debug, Clone, Copy, Default)]
pub enum StepRecord {
    /// Gillespie's method: no steps.
    #[default]
    Exact,
    /// SDE steps, what the controller did (None for a forced step) and the implicit steps
    /// retaken as half steps.
    Sde { steps: u64, control: Option<StepReport>, halvings: u64 },
    /// Tau-leaps.
    Leaps(JumpStats),
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub nodes: Vec<Moments>,
    pub readouts: Vec<ReadoutStats>,
    /// Energy delivered by the sources over the measured window (J), displacement included
    /// (with waveform sources: conduction only).
    pub supply_energy: f64,
    /// Length of the measured window (s).
    pub measured: f64,
    /// Decimated trace rows: time, free-node voltages, readout values, supply energy.
    pub rows: Vec<f64>,
    pub row_len: usize,
    /// The steps taken.
    pub steps: StepRecord,
    /// Joint law of the bit outputs (bit k = the k-th bit output), sampled at the statistics
    /// interval; None without bit outputs or with more than 16.
    pub joint: Option<JointCounter>,
    /// Covariance and gyration of the free nodes that analog outputs read
    /// ([`analog_nodes`]), sampled at the statistics interval; None without such nodes.
    pub covariance: Option<CovarianceAccumulator>,
}

/// The free nodes read by analog outputs, in order of first appearance.
pub fn analog_nodes(circuit: &Circuit) -> Vec<usize> {
    let mut nodes = Vec::new();
    for o in &circuit.outputs {
        if let OutputKind::Analog { plus, minus } = &o.kind {
            for node in std::iter::once(plus).chain(minus.iter()) {
                if let NodeRef::Free(i) = node
                    && !nodes.contains(i)
                {
                    nodes.push(*i);
                }
            }
        }
    }
    nodes
}

/// The observer of one run.
pub struct RunObserver<'a> {
    circuit: &'a Circuit,
    readers: Vec<Reader>,
    pub record: RunRecord,
    warmup: f64,
    /// Keep a trace row every this many observations.
    every: u64,
    calls: u64,
    /// Feed moments and correlators every this many observations: statistics of a signal
    /// sampled much faster than it changes gain nothing from every step, and this keeps the
    /// observer's cost well below the integrator's.
    stat_every: u64,
    until_stat: u64,
    /// State at the start of the measured window (voltages, energy).
    start: Option<(Vec<f64>, f64)>,
    last: Vec<f64>,
    t_last: f64,
    values: Vec<f64>,
    /// [`analog_nodes`] and a buffer for their voltages.
    analog: Vec<usize>,
    analog_values: Vec<f64>,
    progress: &'a (dyn Fn(f64) + Sync),
}

impl<'a> RunObserver<'a> {
    /// An observer that measures after `warmup` seconds, is called every `sample` seconds,
    /// keeps a trace row every `record` seconds and feeds its statistics every `stat`
    /// seconds (each at least one per call). `progress` receives the simulated time.
    pub fn new(
        circuit: &'a Circuit,
        warmup: f64,
        sample: f64,
        record: f64,
        stat: f64,
        progress: &'a (dyn Fn(f64) + Sync),
    ) -> Self {
        let every = ((record / sample).round() as u64).max(1);
        let stat_every = ((stat / sample).round() as u64).max(1);
        let stat_sample = sample * stat_every as f64;
        let readers: Vec<Reader> = circuit
            .outputs
            .iter()
            .map(|o| match &o.kind {
                OutputKind::Bit { plus, minus, hysteresis } => {
                    Reader::Bit { plus: *plus, minus: *minus, readout: BitReadout::new(*hysteresis) }
                }
                OutputKind::Category { nodes, hysteresis } => Reader::Category {
                    nodes: nodes.clone(),
                    readout: CatReadout::new(*hysteresis),
                    scratch: vec![0.0; nodes.len()],
                },
                OutputKind::Analog { plus, minus } => Reader::Analog { plus: *plus, minus: *minus },
            })
            .collect();
        let readouts = readers
            .iter()
            .map(|r| match r {
                Reader::Bit { .. } => ReadoutStats {
                    dwell: Some(Dwell::new(2)),
                    correlators: vec![Correlator::new(stat_sample)],
                    moments: Moments::default(),
                },
                Reader::Category { nodes, .. } => ReadoutStats {
                    dwell: Some(Dwell::new(nodes.len())),
                    correlators: vec![Correlator::new(stat_sample); nodes.len()],
                    moments: Moments::default(),
                },
                Reader::Analog { .. } => ReadoutStats {
                    dwell: None,
                    correlators: vec![Correlator::new(stat_sample)],
                    moments: Moments::default(),
                },
            })
            .collect();
        let n = circuit.free_count();
        let row_len = 1 + n + readers.len() + 1;
        let bits = readers.iter().filter(|r| matches!(r, Reader::Bit { .. })).count();
        let joint = (1..=MAX_JOINT_BITS).contains(&bits).then(|| JointCounter::new(bits));
        let analog = analog_nodes(circuit);
        let covariance = (!analog.is_empty()).then(|| CovarianceAccumulator::new(analog.len(), stat_sample));
        RunObserver {
            circuit,
            readers,
            record: RunRecord {
                nodes: vec![Moments::default(); n],
                readouts,
                supply_energy: 0.0,
                measured: 0.0,
                rows: Vec::new(),
                row_len,
                steps: StepRecord::Exact,
                joint,
                covariance,
            },
            warmup,
            every,
            calls: 0,
            stat_every,
            until_stat: 0,
            start: None,
            last: Vec::new(),
            t_last: 0.0,
            values: vec![0.0; circuit.outputs.len()],
            analog_values: vec![0.0; analog.len()],
            analog,
            progress,
        }
    }

    /// Close the measured window and return the record.
    pub fn finish(mut self) -> RunRecord {
        let n = self.circuit.free_count();
        if let Some((v0, e0)) = &self.start
            && !self.last.is_empty()
        {
            // With waveform sources the displacement work of the moving sources is left out.
            let displacement = if self.circuit.is_driven() {
                0.0
            } else {
                self.circuit.displacement_energy(v0, &self.last[..n])
            };
            self.record.supply_energy = self.last[n] - e0 + displacement;
            self.record.measured = self.t_last - self.warmup;
        }
        self.record
    }
}

impl Observer for RunObserver<'_> {
    fn observe(&mut self, t: f64, x: &[f64]) -> ControlFlow<()> {
        let c = self.circuit;
        let n = c.free_count();
        let v = &x[..n];
        let measuring = t >= self.warmup;
        if measuring && self.start.is_none() {
            self.start = Some((v.to_vec(), x[n]));
        }
        let stat = measuring && self.until_stat == 0;
        self.until_stat = if self.until_stat == 0 { self.stat_every - 1 } else { self.until_stat - 1 };
        let (mut state, mut bit) = (0usize, 0usize);
        for (k, reader) in self.readers.iter_mut().enumerate() {
            let stats = &mut self.record.readouts[k];
            let value = match reader {
                Reader::Bit { plus, minus, readout } => {
                    let s = readout.update(c.voltage_at(*plus, v, t) - c.voltage_at(*minus, v, t));
                    if measuring && let Some(d) = stats.dwell.as_mut() {
                        d.observe(t, s as usize);
                    }
                    if stat {
                        stats.correlators[0].push(s as f64);
                    }
                    state |= (s as usize) << bit;
                    bit += 1;
                    s as f64
                }
                Reader::Category { nodes, readout, scratch } => {
                    for (slot, node) in scratch.iter_mut().zip(nodes.iter()) {
                        *slot = c.voltage_at(*node, v, t);
                    }
                    let s = readout.update(scratch);
                    if measuring && let Some(d) = stats.dwell.as_mut() {
                        d.observe(t, s);
                    }
                    if stat {
                        for (j, corr) in stats.correlators.iter_mut().enumerate() {
                            corr.push(if j == s { 1.0 } else { 0.0 });
                        }
                    }
                    s as f64
                }
                Reader::Analog { plus, minus } => {
                    let value = c.voltage_at(*plus, v, t) - minus.map_or(0.0, |m| c.voltage_at(m, v, t));
                    if stat {
                        stats.moments.push(value);
                        stats.correlators[0].push(value);
                    }
                    value
                }
            };
            self.values[k] = value;
        }
        if stat {
            if let Some(joint) = self.record.joint.as_mut() {
                joint.push(state);
            }
            for (m, value) in self.record.nodes.iter_mut().zip(v) {
                m.push(*value);
            }
            if let Some(cov) = self.record.covariance.as_mut() {
                for (slot, &i) in self.analog_values.iter_mut().zip(&self.analog) {
                    *slot = v[i];
                }
                cov.push(&self.analog_values);
            }
        }
        if measuring {
            self.last.clear();
            self.last.extend_from_slice(x);
            self.t_last = t;
        }
        if self.calls.is_multiple_of(self.every) {
            let rows = &mut self.record.rows;
            rows.push(t);
            rows.extend_from_slice(v);
            rows.extend_from_slice(&self.values);
            rows.push(x[n]);
            if self.calls.is_multiple_of(self.every * 64) {
                (self.progress)(t);
            }
        }
        self.calls += 1;
        ControlFlow::Continue(())
    }
}

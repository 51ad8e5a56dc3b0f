//! Readouts that turn node voltages into states, and the dwell-time statistics of a state
//! sequence.

/// A bit read as the sign of a differential voltage with hysteresis h (a Schmitt trigger): the
/// state becomes 1 when V(a) - V(b) rises above +h and 0 when it falls below -h. The first
/// reading takes the sign of the difference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BitReadout {
    threshold: f64,
    state: Option<u8>,
}

impl BitReadout {
    /// A readout that flips when the difference passes `hysteresis` volts beyond zero.
    pub fn new(hysteresis: f64) -> Self {
        BitReadout { threshold: hysteresis.max(0.0), state: None }
    }

    /// Read the next difference V(a) - V(b).
    #[inline]
    pub fn update(&mut self, diff: f64) -> u8 {
        let next = match self.state {
            None => u8::from(diff > 0.0),
            Some(0) if diff > self.threshold => 1,
            Some(1) if diff < -self.threshold => 0,
            Some(s) => s,
        };
        self.state = Some(next);
        next
    }
}

/// A category read as the index of the highest node voltage, with hysteresis: the state moves
/// from k to j only when V_j exceeds V_k by more than h. The first reading is the plain argmax.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CatReadout {
    hysteresis: f64,
    state: Option<usize>,
}

impl CatReadout {
    pub fn new(hysteresis: f64) -> Self {
        CatReadout { hysteresis: hysteresis.max(0.0), state: None }
    }

    /// Read the next set of node voltages.
    #[inline]
    pub fn update(&mut self, voltages: &[f64]) -> usize {
        let mut best = 0;
        for (i, v) in voltages.iter().enumerate() {
            if *v > voltages[best] {
                best = i;
            }
        }
        let next = match self.state {
            Some(k) if voltages[best] <= voltages[k] + self.hysteresis => k,
            _ => best,
        };
        self.state = Some(next);
        next
    }
}

/// Occupancy and dwell times of a piecewise-constant state sequence observed at increasing
/// times. Dwells cut by the start or the end of the observation are counted in the occupancy
/// but not in the dwell-time means (they are censored).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dwell {
    /// Time spent in each state.
    pub occupancy: Vec<f64>,
    /// Sum and number of complete dwells in each state.
    pub dwell_sum: Vec<f64>,
    pub dwell_count: Vec<u64>,
    /// Number of state changes.
    pub switches: u64,
    /// (state, time entered, whether that entry was observed as a switch).
    current: Option<(usize, f64, bool)>,
    last_t: f64,
}

impl Dwell {
    pub fn new(states: usize) -> Self {
        Dwell {
            occupancy: vec![0.0; states],
            dwell_sum: vec![0.0; states],
            dwell_count: vec![0; states],
            switches: 0,
            current: None,
            last_t: 0.0,
        }
    }

    /// The sequence is in `state` at time `t` (times must increase). The time since the
    /// previous observation is credited to the previous state.
    #[inline]
    pub fn observe(&mut self, t: f64, state: usize) {
        match self.current {
            None => self.current = Some((state, t, false)),
            Some((s, entered, complete)) => {
                self.occupancy[s] += t - self.last_t;
                if s != state {
                    if complete {
                        self.dwell_sum[s] += t - entered;
                        self.dwell_count[s] += 1;
                    }
                    self.switches += 1;
                    self.current = Some((state, t, true));
                }
            }
        }
        self.last_t = t;
    }

    /// Total observed time.
    pub fn duration(&self) -> f64 {
        self.occupancy.iter().sum()
    }

    /// Fraction of time in each state.
    pub fn probabilities(&self) -> Vec<f64> {
        let total = self.duration();
        self.occupancy.iter().map(|o| if total > 0.0 { o / total } else { f64::NAN }).collect()
    }

    /// Mean complete dwell time in each state (NaN where none was seen).
    pub fn mean_dwell(&self) -> Vec<f64> {
        self.dwell_sum
            .iter()
            .zip(&self.dwell_count)
            .map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN })
            .collect()
    }

    /// Combine with the statistics of another, independent run.
    pub fn merge(&mut self, other: &Dwell) {
        for k in 0..self.occupancy.len() {
            self.occupancy[k] += other.occupancy[k];
            self.dwell_sum[k] += other.dwell_sum[k];
            self.dwell_count[k] += other.dwell_count[k];
        }
        self.switches += other.switches;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schmitt_trigger_holds_inside_the_band() {
        let mut r = BitReadout::new(0.01);
        let states: Vec<u8> =
            [0.005, -0.005, -0.02, 0.009, 0.011, -0.009, -0.011].iter().map(|&d| r.update(d)).collect();
        assert_eq!(states, vec![1, 1, 0, 0, 1, 1, 0]);
    }

    #[test]
    fn category_switches_only_past_hysteresis() {
        let mut r = CatReadout::new(0.01);
        assert_eq!(r.update(&[0.1, 0.0, 0.05, 0.0]), 0);
        assert_eq!(r.update(&[0.1, 0.105, 0.0, 0.0]), 0);
        assert_eq!(r.update(&[0.1, 0.12, 0.0, 0.0]), 1);
    }

    #[test]
    fn dwell_statistics_exclude_censored_dwells() {
        let mut d = Dwell::new(2);
        for (t, s) in [(0.0, 0), (1.0, 0), (2.0, 1), (5.0, 0), (6.0, 1), (7.0, 1)] {
            d.observe(t, s);
        }
        assert_eq!(d.occupancy, vec![3.0, 4.0]);
        assert_eq!(d.switches, 3);
        // Complete dwells: state 1 from 2 to 5, state 0 from 5 to 6.
        assert_eq!(d.mean_dwell(), vec![1.0, 3.0]);
        assert_eq!(d.probabilities(), vec![3.0 / 7.0, 4.0 / 7.0]);
    }
}

//! Transient source waveforms, with ngspice's meaning (ngspice manual, section 4.1;
//! `src/spicelib/devices/vsrc/vsrcload.c`):
//!
//! - `PWL(t1 v1 t2 v2 ...)`: v1 before t1, straight lines between the points, the last value
//!   after the last point. Times strictly increase from t1 >= 0.
//! - `PULSE(v1 v2 td tr tf pw per [np])`: v1 until td, a linear rise over tr to v2, v2 for pw,
//!   a linear fall over tf back to v1, repeated every per (np times, if given); the formula is
//!   below. pw and per omitted: ngspice takes TSTOP, so that within the run the pulse rises
//!   once and stays; here they are "forever", which is the same within any run. tr or tf
//!   omitted or 0: ngspice takes TSTEP; so does pbitsim, from `.tran` (resolved by
//!   [`Waveform::resolve`]).
//! - `SIN(vo va freq [td [theta [phase]]])`: vo + va sin(phase) until td, then
//!   vo + va exp(-theta (t - td)) sin(2 pi freq (t - td) + phase), phase in degrees.
//!
//! The pulse, with u the time since td modulo per:
//!
//! ```text
//! v(u) = v1 + (v2 - v1) u / tr               for 0 <= u < tr
//!        v2                                  for tr <= u <= tr + pw
//!        v2 + (v1 - v2) (u - tr - pw) / tf   for tr + pw < u < tr + pw + tf
//!        v1                                  after
//! ```
//!
//! A waveform is piecewise smooth: its breakpoints ([`Waveform::next_breakpoint`]) are the PWL
//! points, the pulse corners and the start of a delayed sine. Between breakpoints a PWL or
//! PULSE is linear, so its slope there is the chord to the next breakpoint; a sine's slope is
//! bounded by va (2 pi freq + theta) ([`Waveform::slope_bound`]).

use std::f64::consts::PI;

use serde::Serialize;

/// A time-dependent source value (V for a voltage source, A for a current source).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Waveform {
    /// Piecewise linear through (time, value) points, times strictly increasing.
    Pwl { points: Vec<(f64, f64)> },
    /// A trapezoidal pulse train. `rise` or `fall` None: TSTEP (not yet resolved).
    Pulse {
        initial: f64,
        pulsed: f64,
        delay: f64,
        rise: Option<f64>,
        fall: Option<f64>,
        /// Time at the pulsed value; None: forever.
        width: Option<f64>,
        /// Repetition period; None: one pulse.
        period: Option<f64>,
        /// Number of pulses; None: unlimited.
        count: Option<u64>,
    },
    /// A damped sine, phase in degrees.
    Sin { offset: f64, amplitude: f64, frequency: f64, delay: f64, damping: f64, phase_deg: f64 },
}

/// Relative time tolerance when comparing a time with a breakpoint.
const TIME_EPS: f64 = 1e-12;

impl Waveform {
    /// The waveform with omitted PULSE edges set to `tstep` (ngspice: TSTEP); an error saying
    /// what to write when there is no `.tran` step.
    pub fn resolve(&self, tstep: Option<f64>) -> Result<Waveform, String> {
        let Waveform::Pulse { rise, fall, .. } = self else { return Ok(self.clone()) };
        let edge = |edge: Option<f64>, what: &str| match (edge, tstep) {
            (Some(t), _) => Ok(Some(t)),
            (None, Some(step)) => Ok(Some(step)),
            (None, None) => Err(format!(
                "PULSE {what} time is omitted or 0, which ngspice replaces by the .tran step; there is no .tran line: write the {what} time"
            )),
        };
        let mut out = self.clone();
        if let Waveform::Pulse { rise: r, fall: f, width, .. } = &mut out {
            *r = edge(*rise, "rise")?;
            // A pulse that never ends never falls.
            if width.is_some() {
                *f = edge(*fall, "fall")?;
            }
        }
        Ok(out)
    }

    /// Rise and fall of a resolved pulse (an unresolved edge counts as instantaneous).
    fn edges(rise: Option<f64>, fall: Option<f64>) -> (f64, f64) {
        (rise.unwrap_or(0.0), fall.unwrap_or(0.0))
    }

    /// The value at time `t` (s).
    pub fn value(&self, t: f64) -> f64 {
        match self {
            Waveform::Pwl { points } => {
                let (t0, v0) = points[0];
                if t <= t0 {
                    return v0;
                }
                for pair in points.windows(2) {
                    let ((ta, va), (tb, vb)) = (pair[0], pair[1]);
                    if t <= tb {
                        return va + (vb - va) * (t - ta) / (tb - ta);
                    }
                }
                points[points.len() - 1].1
            }
            Waveform::Pulse { initial, pulsed, delay, rise, fall, width, period, count } => {
                let (rise, fall) = Waveform::edges(*rise, *fall);
                let mut u = t - delay;
                if u <= 0.0 {
                    return *initial;
                }
                if let Some(per) = period {
                    let k = (u / per).floor();
                    if count.is_some_and(|n| k >= n as f64) {
                        return *initial;
                    }
                    u -= k * per;
                }
                if u < rise {
                    initial + (pulsed - initial) * u / rise
                } else if width.is_none_or(|w| u <= rise + w) {
                    *pulsed
                } else {
                    let w = width.unwrap_or(0.0);
                    if u < rise + w + fall {
                        pulsed + (initial - pulsed) * (u - rise - w) / fall
                    } else {
                        *initial
                    }
                }
            }
            Waveform::Sin { offset, amplitude, frequency, delay, damping, phase_deg } => {
                let phase = phase_deg * PI / 180.0;
                if t <= *delay {
                    return offset + amplitude * phase.sin();
                }
                let s = t - delay;
                offset + amplitude * (-damping * s).exp() * (2.0 * PI * frequency * s + phase).sin()
            }
        }
    }

    /// The first breakpoint after `t` (a corner of the waveform, where a step must end), or
    /// None when the waveform is smooth from `t` on.
    pub fn next_breakpoint(&self, t: f64) -> Option<f64> {
        let after = |b: f64| b > t + TIME_EPS * t.abs().max(b.abs());
        match self {
            Waveform::Pwl { points } => points.iter().map(|p| p.0).find(|&b| after(b)),
            Waveform::Pulse { delay, rise, fall, width, period, count, .. } => {
                let (rise, fall) = Waveform::edges(*rise, *fall);
                if after(*delay) {
                    return Some(*delay);
                }
                let corners = |start: f64| {
                    let mut c = vec![start, start + rise];
                    if let Some(w) = width {
                        c.extend([start + rise + w, start + rise + w + fall]);
                    }
                    c
                };
                let Some(per) = period else { return corners(*delay).into_iter().find(|&b| after(b)) };
                let k = ((t - delay) / per).floor().max(0.0);
                for j in [k, k + 1.0] {
                    if count.is_some_and(|n| j >= n as f64) {
                        return None;
                    }
                    if let Some(b) = corners(delay + j * per).into_iter().find(|&b| after(b)) {
                        return Some(b);
                    }
                }
                None
            }
            Waveform::Sin { delay, .. } => after(*delay).then_some(*delay),
        }
    }

    /// An upper bound on |dv/dt| from `t` to the next breakpoint (units per second).
    pub fn slope_bound(&self, t: f64) -> f64 {
        match self {
            Waveform::Sin { amplitude, frequency, damping, delay, .. } => {
                if self.next_breakpoint(t).is_some_and(|b| b <= *delay) {
                    return 0.0;
                }
                amplitude.abs() * (2.0 * PI * frequency.abs() + damping.abs())
            }
            _ => match self.next_breakpoint(t) {
                // Linear up to the breakpoint: the chord is the slope.
                Some(b) => (self.value(b) - self.value(t)).abs() / (b - t),
                None => 0.0,
            },
        }
    }

    /// The largest |value| the waveform takes.
    pub fn peak(&self) -> f64 {
        match self {
            Waveform::Pwl { points } => points.iter().fold(0.0, |a, p| a.max(p.1.abs())),
            Waveform::Pulse { initial, pulsed, .. } => initial.abs().max(pulsed.abs()),
            Waveform::Sin { offset, amplitude, .. } => offset.abs() + amplitude.abs(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + b.abs())
    }

    /// PWL values against hand-computed interpolation, before, between and after the points.
    #[test]
    fn pwl_interpolates_and_holds() {
        let w = Waveform::Pwl { points: vec![(1e-9, 0.0), (3e-9, 1.0), (4e-9, -0.5)] };
        for (t, v) in
            [(0.0, 0.0), (1e-9, 0.0), (2e-9, 0.5), (2.5e-9, 0.75), (3.5e-9, 0.25), (4e-9, -0.5), (1.0, -0.5)]
        {
            assert!(close(w.value(t), v), "PWL at {t}: {} expected {v}", w.value(t));
        }
        assert_eq!(w.next_breakpoint(0.0), Some(1e-9));
        assert_eq!(w.next_breakpoint(1e-9), Some(3e-9));
        assert_eq!(w.next_breakpoint(4e-9), None);
        assert!(close(w.slope_bound(2e-9), 0.5e9));
        assert_eq!(w.peak(), 1.0);
    }

    /// SIN against its closed form (ngspice): vo + va e^{-theta s} sin(2 pi f s + phase).
    #[test]
    fn sin_matches_closed_form() {
        let (vo, va, f, td, theta, phase) = (0.2, 0.5, 1e6, 1e-7, 2e5, 30.0);
        let w = Waveform::Sin {
            offset: vo,
            amplitude: va,
            frequency: f,
            delay: td,
            damping: theta,
            phase_deg: phase,
        };
        let p = phase * PI / 180.0;
        assert!(close(w.value(0.0), vo + va * p.sin()));
        assert!(close(w.value(td), vo + va * p.sin()));
        for t in [1.25e-7, 3.3e-7, 1.1e-6, 7.77e-6] {
            let s = t - td;
            let expected = vo + va * (-theta * s).exp() * (2.0 * PI * f * s + p).sin();
            assert!(close(w.value(t), expected), "SIN at {t}");
        }
        // A quarter period after td with no phase and no damping: the crest.
        let plain = Waveform::Sin {
            offset: 0.0,
            amplitude: 1.0,
            frequency: 1e3,
            delay: 0.0,
            damping: 0.0,
            phase_deg: 0.0,
        };
        assert!(close(plain.value(0.25e-3), 1.0));
        assert!(close(plain.value(0.75e-3), -1.0));
        assert_eq!(w.next_breakpoint(0.0), Some(td));
        assert_eq!(w.next_breakpoint(td), None);
    }

    /// PULSE corners and values within a period and in later periods, and the pulse count.
    #[test]
    fn pulse_train() {
        let w = Waveform::Pulse {
            initial: 0.0,
            pulsed: 1.0,
            delay: 1.0,
            rise: Some(1.0),
            fall: Some(2.0),
            width: Some(3.0),
            period: Some(10.0),
            count: Some(2),
        };
        let expected = [
            (0.5, 0.0),
            (1.5, 0.5),
            (2.0, 1.0),
            (4.0, 1.0),
            (5.0, 1.0),
            (6.0, 0.5),
            (8.0, 0.0),
            (11.5, 0.5),
            (12.0, 1.0),
            (16.0, 0.5),
            (21.5, 0.0),
        ];
        for (t, v) in expected {
            assert!(close(w.value(t), v), "PULSE at {t}: {} expected {v}", w.value(t));
        }
        assert_eq!(w.next_breakpoint(0.0), Some(1.0));
        assert_eq!(w.next_breakpoint(1.0), Some(2.0));
        assert_eq!(w.next_breakpoint(2.0), Some(5.0));
        assert_eq!(w.next_breakpoint(5.0), Some(7.0));
        assert_eq!(w.next_breakpoint(7.0), Some(11.0));
        assert_eq!(w.next_breakpoint(17.0), None);
        assert!(close(w.slope_bound(5.5), 0.5));
        let once = Waveform::Pulse {
            initial: 0.2,
            pulsed: -0.3,
            delay: 0.0,
            rise: Some(1.0),
            fall: None,
            width: None,
            period: None,
            count: None,
        };
        assert!(close(once.value(0.5), -0.05));
        assert!(close(once.value(1e9), -0.3));
        assert_eq!(once.next_breakpoint(0.5), Some(1.0));
        assert_eq!(once.next_breakpoint(1.0), None);
        assert!(once.resolve(None).is_ok());
        let unresolved = Waveform::Pulse {
            initial: 0.2,
            pulsed: -0.3,
            delay: 0.0,
            rise: None,
            fall: None,
            width: None,
            period: None,
            count: None,
        };
        assert_eq!(unresolved.resolve(None).map_err(|e| e.contains("rise")), Err(true));
        assert!(close(unresolved.resolve(Some(1e-9)).unwrap().value(0.5e-9), -0.05));
    }
}

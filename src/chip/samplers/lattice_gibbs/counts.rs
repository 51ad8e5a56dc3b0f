//! Per-cell counts of the sampled sweeps that leave a cell at +1 (the marginals
//! P(s_i = +1) of the stats), kept by the threads that draw the cells.
//!
//! Counting where the cells are drawn saves the runner a copy of the whole state per sample:
//! with two threads, that copy pulled half the lattice out of the other core's cache on every
//! sampled sweep, and the next sweep paid to take it back. Each chunk's worker adds
//! (s_i > 0) into a byte per cell right after drawing the chunk (rows still in its cache); the
//! bytes are added into 64-bit totals every 255 counted sweeps, on the calling thread.
//! Clamped cells are not counted: their count is the number of counted sweeps or zero.

use super::LatticeIsing;
use crate::chip::cells::cell::CellModel;
use crate::chip::samplers::lattice_kernel::Geom;

/// counts_i += (s_i > 0), auto-vectorised.
#[inline(always)]
fn add_portable(counts: &mut [u8], rows: &[i8]) {
    for (c, &s) in counts.iter_mut().zip(rows) {
        *c = c.wrapping_add((s > 0) as u8);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn add_avx2(counts: &mut [u8], rows: &[i8]) {
    add_portable(counts, rows)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
fn add_avx512(counts: &mut [u8], rows: &[i8]) {
    add_portable(counts, rows)
}

/// The counts, in the layout of the colour arrays (pads included and ignored).
#[derive(Debug, Clone)]
pub(super) struct UpCounts {
    /// Counts of the last `recent_sweeps` (< 255) counted sweeps.
    pub(super) recent: [Vec<u8>; 2],
    total: [Vec<u64>; 2],
    recent_sweeps: u32,
    /// Counted sweeps in all.
    sweeps: u64,
    /// Whether the sweep under way is counted.
    pub(super) armed: bool,
}

impl UpCounts {
    /// Zero counts for colour arrays of `len` bytes.
    pub(super) fn new(len: usize) -> Self {
        UpCounts {
            recent: [vec![0; len], vec![0; len]],
            total: [vec![0; len], vec![0; len]],
            recent_sweeps: 0,
            sweeps: 0,
            armed: false,
        }
    }

    /// Adds one chunk's new spins (`rows`, with their pads) into its counts, in the widest
    /// vectors the CPU has (the same integer result in every build).
    pub(super) fn add(counts: &mut [u8], rows: &[i8], g: &Geom) {
        #[cfg(target_arch = "x86_64")]
        {
            // the kernels' own feature checks (AVX-512 F/BW/VL/DQ; AVX2 and FMA)
            if g.allow_avx512 && super::avx512() {
                // SAFETY: the CPU has AVX-512 F and BW (checked just above)
                return unsafe { add_avx512(counts, rows) };
            }
            if g.allow_avx2 && super::avx2_fma() {
                // SAFETY: the CPU has AVX2 (checked just above)
                return unsafe { add_avx2(counts, rows) };
            }
        }
        let _ = g;
        add_portable(counts, rows)
    }

    /// Closes a counted sweep: every 255 of them, the bytes go into the totals.
    pub(super) fn end_sweep(&mut self) {
        self.armed = false;
        self.sweeps += 1;
        self.recent_sweeps += 1;
        if self.recent_sweeps == u8::MAX as u32 {
            for (t, r) in self.total.iter_mut().zip(self.recent.iter_mut()) {
                crate::chip::observers::observe::flush_byte_counts(t, r);
            }
            self.recent_sweeps = 0;
        }
    }
}

impl<C: CellModel> LatticeIsing<C> {
    /// Counts of +1 per cell in natural order, and the number of counted sweeps.
    pub(super) fn natural_up_counts(&self) -> Option<(Vec<u64>, u64)> {
        let counts = self.counts.as_ref()?;
        let (l, st, p) = (self.g.l, self.g.stride, self.g.lead);
        let mut out: Vec<u64> = (0..l * l)
            .map(|site| {
                let (x, y) = (site % l, site / l);
                let (c, idx) = ((x + y) % 2, y * st + p + x / 2);
                counts.total[c][idx] + counts.recent[c][idx] as u64
            })
            .collect();
        for (c, clamped) in self.clamp.iter().enumerate() {
            for &(idx, v) in clamped {
                let (y, k) = (idx / st, idx % st - p);
                let x = (c + y) % 2 + 2 * k;
                out[y * l + x] = if v > 0 { counts.sweeps } else { 0 };
            }
        }
        Some((out, counts.sweeps))
    }
}

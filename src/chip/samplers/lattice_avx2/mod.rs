//! The lattice row kernels written out with AVX2 and FMA intrinsics (x86_64 only), one per
//! local-field form (f32, integer) and draw (lookup table, ideal, per-cell logistic).
//!
//! Each computes exactly what the portable kernel
//! ([`crate::chip::samplers::lattice_kernel::update_chunk`]) computes, one IEEE or integer
//! operation for one, in the same order: the same groups of eight cells and half-steps of the
//! lanes, the same fields, draws and statistics. The multiply-add of an f32 neighbour term is
//! fused, J s + u in one rounding, which equals the portable u + J s because J s is exact
//! (s = +-1). The result is bit-identical (tested by `tests/chip_determinism.rs`). What the
//! intrinsics buy over auto-vectorised code:
//! - fields, the random generator's state (eight 256-bit registers, loaded once per chunk)
//!   and the uniforms stay in registers;
//! - the 64-bit rotations of Xoshiro256++ stay vector shifts (LLVM scalarises them);
//! - integer fields are summed 32 cells per instruction (`vpsignb` applies the neighbour's
//!   sign to w), table lookups are `vpermd` permutes;
//! - no bounds checks in the direction loop (all offsets are checked once per row);
//! - spins are packed from the comparison masks in four instructions, statistics come from
//!   the same masks.
//!
//! Where the CPU has AVX-512 (F, BW, VL, DQ), a second build of each chunk function draws
//! the pairs of full groups of a row 16 cells per vector ([`wide`]): one Xoshiro step of all
//! eight lanes with a native 64-bit rotate, 32-entry tables in one permute, integer fields 64
//! cells per instruction. The odd last group and the tails of a row stay with the AVX2 groups.
//! Same result, bit for bit.

mod groups;
mod ops;
mod wide;

use crate::chip::samplers::lanes::Lanes;
use crate::chip::samplers::lattice_kernel::{ChunkStats, DrawView, FieldView, G, Geom, Groups};
use core::arch::x86_64::*;
use groups::*;
use ops::*;

/// Defines one chunk function (see [`update_chunk`]) for a set of CPU features: `$wide`
/// draws the pairs of full groups of each row with the AVX-512 blocks of [`wide`] (16 cells
/// per vector), the rest with the AVX2 groups. One body, compiled twice, so that the AVX-512
/// blocks inline into a function built for AVX-512 and the AVX2 build stays as it was.
macro_rules! chunk_fn {
    ($name:ident, $features:literal, $wide:literal) => {
        /// One chunk with the kernel the const parameters name (see [`update_chunk`]).
        #[allow(clippy::too_many_arguments)]
        #[target_feature(enable = $features)]
        unsafe fn $name<
            const COL: usize,
            const FIELD: u8,
            const DRAW: u8,
            const HAS_H: bool,
            const NT: usize,
        >(
            g: &Geom,
            y0: usize,
            rows: &mut [i8],
            field: FieldView,
            draw: &DrawView<()>,
            lanes: &mut Lanes,
            st: &mut ChunkStats,
        ) {
            let (m, p, stride) = (g.m, g.lead, g.stride);
            let mut cs = Consts {
                k: _mm256_setzero_ps(),
                unit: _mm256_setzero_ps(),
                offset: _mm256_setzero_ps(),
                bias8: _mm256_setzero_si256(),
                halve: false,
                tab: [_mm256_setzero_si256(); 4],
            };
            // SAFETY: 32 bytes at offsets 0, 32, 64, 96 of a table of 32 four-byte values; unaligned
            let load_table = |t: *const u8| {
                core::array::from_fn(|q| unsafe { _mm256_loadu_si256(t.add(32 * q) as *const __m256i) })
            };
            // per-slot arrays: (k, c) of a logistic draw, (-, 2^c) of a scaled one
            let mut kc: (&[f32], &[f32]) = (&[], &[]);
            match *draw {
                DrawView::Table(t) => cs.tab = load_table(t.as_ptr() as *const u8),
                DrawView::Scaled { e, scale } => {
                    cs.tab = load_table(e.as_ptr() as *const u8);
                    kc = (scale, scale);
                }
                DrawView::Ideal(k) => cs.k = _mm256_set1_ps(k),
                DrawView::Logistic { k, c } => kc = (k, c),
                DrawView::Cell(_) => unreachable!("cell models run the portable kernel"),
            }
            let (other, j, h): (&[u8], &[u8], Option<&[u8]>) = match field {
                FieldView::Real { j, h, other } => {
                    let bytes = |x: &[f32]| {
                        // SAFETY: viewing f32 storage as bytes (any bit pattern is a valid u8)
                        unsafe { core::slice::from_raw_parts(x.as_ptr() as *const u8, 4 * x.len()) }
                    };
                    // SAFETY: viewing i8 storage as u8
                    let spins =
                        unsafe { core::slice::from_raw_parts(other.as_ptr() as *const u8, other.len()) };
                    (spins, bytes(j), h.map(bytes))
                }
                FieldView::Int { w, v, other, unit, offset, reach, halve, .. } => {
                    (cs.unit, cs.offset, cs.bias8, cs.halve) =
                        (_mm256_set1_ps(unit), _mm256_set1_ps(offset), _mm256_set1_epi8(reach as i8), halve);
                    let bytes = |x: &[i8]| {
                        // SAFETY: viewing i8 storage as u8
                        unsafe { core::slice::from_raw_parts(x.as_ptr() as *const u8, x.len()) }
                    };
                    (bytes(other), bytes(w), v.map(bytes))
                }
            };
            // bytes per coupling and field (spins are one byte)
            let size = if FIELD == REAL { 4 } else { 1 };
            let words = lanes.words_mut();
            let ld = |w: &[u64; 8], half: usize| {
                // SAFETY: 32 bytes inside an array of eight u64 (half is 0 or 1); unaligned load
                unsafe { _mm256_loadu_si256(w.as_ptr().add(4 * half) as *const __m256i) }
            };
            let mut state: State = core::array::from_fn(|i| ld(&words[i % 4], i / 4));
            let mut acc = Acc {
                pair: [_mm256_setzero_ps(); 2],
                field: [_mm256_setzero_ps(); 2],
                pair_int: _mm256_setzero_si256(),
                field_int: _mm256_setzero_si256(),
                downs: _mm256_setzero_si256(),
                wide: [0; 3],
            };
            let mut cells = 0i64;
            // every base index + span is within L stride (spins, fields) or L D stride (couplings)
            // (checked when the geometry was built); check the arrays are that long
            let (l, d) = (g.l, g.d);
            assert!(other.len() >= l * stride && j.len() >= size * l * d * stride);
            assert!(h.is_none_or(|h| h.len() >= size * l * stride));
            assert!(rows.len() % stride == 0);
            assert!(y0 + rows.len() / stride <= l);
            *st = ChunkStats::default();
            // every access to the rows below goes through these two pointers
            let rows_ptr = rows.as_mut_ptr();
            // the pointers of chunk row r (bounds: see the checks above)
            let row_at = |r: usize| -> Row {
                let y = y0 + r;
                let (first, base) = ((COL * g.l + y) * m, y * stride + p);
                let mut row = Row {
                    s: other.as_ptr(),
                    j: j.as_ptr(),
                    bases: g.row_bases::<COL>(y).as_ptr(),
                    d,
                    h: other.as_ptr(),
                    k: kc.0.as_ptr(),
                    c: kc.1.as_ptr(),
                    out: rows_ptr,
                };
                // SAFETY: base + span <= L stride; first + m <= the slot arrays' length (checked
                // below); cell 0 of the row, writes stop at p + span <= stride
                unsafe {
                    if let Some(h) = h {
                        row.h = h.as_ptr().add(size * base);
                    }
                    if DRAW == LOGISTIC || DRAW == SCALED {
                        assert!(first + m <= kc.0.len() && first + m <= kc.1.len());
                        (row.k, row.c) = (kc.0.as_ptr().add(first), kc.1.as_ptr().add(first));
                    }
                    row.out = row.out.add(r * stride + p);
                }
                row
            };
            let gr = Groups::of(m);
            let nrows = rows.len() / stride;
            let mut r = 0;
            while r < nrows {
                let pair = gr.paired && r + 1 < nrows;
                let span = 1 + pair as usize;
                let first = row_at(r);
                let second = if pair { Some(row_at(r + 1)) } else { None };
                for row in core::iter::once(&first).chain(second.as_ref()) {
                    let mut g0 = 0;
                    if $wide {
                        wide::wide_row!(row, m, &mut g0, &mut state, &cs, &mut acc);
                    }
                    while G * g0 + 4 * G <= m {
                        // SAFETY: cells 8 g0..8 g0 + 32 <= m <= span
                        unsafe {
                            groups::<4, 0, FIELD, DRAW, HAS_H, NT, false>(
                                row, row, g0, G, &mut state, &cs, &mut acc,
                            )
                        };
                        g0 += 4;
                    }
                    let tail = if pair { 0 } else { gr.tail };
                    while G * g0 + G <= m || (g0 == gr.full && tail != 0) {
                        // SAFETY: 8 g0 + 8 <= span (span is a multiple of 16 and 8 g0 < m <= span)
                        unsafe {
                            let n = G.min(m - G * g0);
                            if g0 % 2 == 0 {
                                groups::<1, 0, FIELD, DRAW, HAS_H, NT, false>(
                                    row, row, g0, n, &mut state, &cs, &mut acc,
                                )
                            } else {
                                groups::<1, 1, FIELD, DRAW, HAS_H, NT, false>(
                                    row, row, g0, n, &mut state, &cs, &mut acc,
                                )
                            }
                        };
                        g0 += 1;
                    }
                }
                if let Some(b) = &second {
                    let a = &first;
                    // SAFETY: 8 full + 4 <= span in both rows
                    unsafe {
                        if gr.full % 2 == 0 {
                            groups::<1, 0, FIELD, DRAW, HAS_H, NT, true>(
                                a, b, gr.full, gr.tail, &mut state, &cs, &mut acc,
                            )
                        } else {
                            groups::<1, 1, FIELD, DRAW, HAS_H, NT, true>(
                                a, b, gr.full, gr.tail, &mut state, &cs, &mut acc,
                            )
                        }
                    };
                }
                cells += (span * m) as i64;
                if FIELD == REAL {
                    add_lanes(&mut st.pair[..8], acc.pair[0]);
                    add_lanes(&mut st.pair[8..], acc.pair[1]);
                    add_lanes(&mut st.field[..8], acc.field[0]);
                    add_lanes(&mut st.field[8..], acc.field[1]);
                    acc.pair = [_mm256_setzero_ps(); 2];
                    acc.field = [_mm256_setzero_ps(); 2];
                }
                for rr in r..r + span {
                    // SAFETY: row rr of the chunk (rr < nrows), through the pointers above
                    unsafe {
                        g.refresh_pads(core::slice::from_raw_parts_mut(rows_ptr.add(rr * stride), stride));
                    }
                }
                r += span;
            }
            st.ups = cells - hsum(acc.downs) - acc.wide[0];
            st.pair_int = hsum(acc.pair_int) + acc.wide[1];
            st.field_int = hsum(acc.field_int) + acc.wide[2];
            for (i, v) in state.iter().enumerate() {
                // SAFETY: 32 bytes inside an array of eight u64; unaligned store
                unsafe {
                    _mm256_storeu_si256(words[i % 4].as_mut_ptr().add(4 * (i / 4)) as *mut __m256i, *v)
                };
            }
        }
    };
}

chunk_fn!(chunk, "avx2,fma", false);
chunk_fn!(chunk_wide, "avx2,fma,avx512f,avx512bw,avx512vl,avx512dq", true);

/// Redraws the rows of one chunk of colour `COL` (first row `y0`) with the fused kernel for
/// `field` and `draw`, arguments as [`crate::chip::samplers::lattice_kernel::update_chunk`].
/// Returns false (doing nothing) for [`DrawView::Cell`], which only the portable kernel runs.
/// `wide`: draw pairs of full groups with the AVX-512 blocks (same result).
///
/// # Safety
/// The CPU must support AVX2 and FMA, and AVX-512 F, BW, VL and DQ if `wide`.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx2,fma")]
pub unsafe fn update_chunk<C, const COL: usize>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    field: FieldView,
    draw: DrawView<C>,
    lanes: &mut Lanes,
    st: &mut ChunkStats,
    wide: bool,
) -> bool {
    let d: DrawView<()> = match draw {
        DrawView::Table(t) => DrawView::Table(t),
        DrawView::Ideal(k) => DrawView::Ideal(k),
        DrawView::Logistic { k, c } => DrawView::Logistic { k, c },
        DrawView::Scaled { e, scale } => DrawView::Scaled { e, scale },
        DrawView::Cell(_) => return false,
    };
    let args = (g, y0, rows, field, &d, lanes, st);
    macro_rules! run {
        ($f:expr, $d:expr, $h:expr, $nt:expr) => {{
            let (g, y0, rows, field, d, lanes, st) = args;
            // SAFETY: the caller guarantees AVX2 and FMA, and AVX-512 if `wide`
            unsafe {
                if wide {
                    chunk_wide::<COL, $f, $d, $h, $nt>(g, y0, rows, field, d, lanes, st)
                } else {
                    chunk::<COL, $f, $d, $h, $nt>(g, y0, rows, field, d, lanes, st)
                }
            }
        }};
    }
    let has_h = match field {
        FieldView::Real { h, .. } => h.is_some(),
        FieldView::Int { v, .. } => v.is_some(),
    };
    let int = matches!(field, FieldView::Int { .. });
    let unit = matches!(field, FieldView::Int { unit_weights: true, .. });
    let nt = match field {
        FieldView::Int { reach, halve, .. } => match if halve { reach + 1 } else { 2 * reach + 1 } as usize {
            e if e <= G => 1,
            e if e <= 2 * G => 2,
            _ => 4,
        },
        FieldView::Real { .. } => 4,
    };
    match (int, &d, has_h, nt) {
        (true, DrawView::Table(_), false, 1) if unit => run!(INT_UNIT, TAB, false, 1),
        (true, DrawView::Table(_), false, 2) if unit => run!(INT_UNIT, TAB, false, 2),
        (true, DrawView::Table(_), false, _) if unit => run!(INT_UNIT, TAB, false, 4),
        (true, DrawView::Scaled { .. }, false, 1) if unit => run!(INT_UNIT, SCALED, false, 1),
        (true, DrawView::Scaled { .. }, false, 2) if unit => run!(INT_UNIT, SCALED, false, 2),
        (true, DrawView::Scaled { .. }, false, _) if unit => run!(INT_UNIT, SCALED, false, 4),
        (false, DrawView::Ideal(_), false, _) => run!(REAL, IDEAL, false, 1),
        (false, DrawView::Ideal(_), true, _) => run!(REAL, IDEAL, true, 1),
        (false, DrawView::Logistic { .. }, false, _) => run!(REAL, LOGISTIC, false, 1),
        (false, DrawView::Logistic { .. }, true, _) => run!(REAL, LOGISTIC, true, 1),
        (true, DrawView::Ideal(_), false, _) => run!(INT, IDEAL, false, 1),
        (true, DrawView::Ideal(_), true, _) => run!(INT, IDEAL, true, 1),
        (true, DrawView::Logistic { .. }, false, _) => run!(INT, LOGISTIC, false, 1),
        (true, DrawView::Logistic { .. }, true, _) => run!(INT, LOGISTIC, true, 1),
        (true, DrawView::Table(_), false, 1) => run!(INT, TAB, false, 1),
        (true, DrawView::Table(_), false, 2) => run!(INT, TAB, false, 2),
        (true, DrawView::Table(_), false, _) => run!(INT, TAB, false, 4),
        (true, DrawView::Table(_), true, 1) => run!(INT, TAB, true, 1),
        (true, DrawView::Table(_), true, 2) => run!(INT, TAB, true, 2),
        (true, DrawView::Table(_), true, _) => run!(INT, TAB, true, 4),
        (true, DrawView::Scaled { .. }, false, 1) => run!(INT, SCALED, false, 1),
        (true, DrawView::Scaled { .. }, false, 2) => run!(INT, SCALED, false, 2),
        (true, DrawView::Scaled { .. }, false, _) => run!(INT, SCALED, false, 4),
        (true, DrawView::Scaled { .. }, true, 1) => run!(INT, SCALED, true, 1),
        (true, DrawView::Scaled { .. }, true, 2) => run!(INT, SCALED, true, 2),
        (true, DrawView::Scaled { .. }, true, _) => run!(INT, SCALED, true, 4),
        (false, DrawView::Table(_) | DrawView::Scaled { .. }, ..) => {
            unreachable!("tables need integer fields")
        }
        (_, DrawView::Cell(_), ..) => unreachable!("handled above"),
    }
    true
}

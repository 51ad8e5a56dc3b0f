//! The fast path: checkerboard block Gibbs for the Ising model on an L x L jump-vector
//! lattice (L even, torus or open), generic over the cell model.
//!
//! Layout: colour c = (x + y) mod 2; in row y the cells of colour c are x = x0 + 2k,
//! x0 = (c + y) mod 2, k in 0..M, M = L/2. A jump (a, b) from colour c, row y reaches colour
//! 1 - c, row y + b, column k + delta with delta = (x0 + a - x0') / 2 depending only on c,
//! the parity of y and the direction: every neighbour of a row is the same row of the other
//! colour rotated by a fixed offset, so neighbour indices are implicit and the local-field
//! loop runs over contiguous slices (vectorised). Storage and the row kernel are in
//! [`crate::chip::samplers::lattice_kernel`]; which kernel runs (f32 or integer local fields;
//! lookup table, logistic or the cell's own draw) is chosen by
//! [`crate::chip::samplers::lattice_plan`] from the model and the cells.
//!
//! Rows are grouped into fixed chunks of about [`cells_per_chunk`] cells (fixed by L and the
//! degree), each with its own lanes carried across sweeps ((seed, CellBlock, 2 chunks c + k)),
//! so results do not depend on the thread count. A chip with one chunk per colour (up to
//! about 180 x 180 at degree 4, 90 x 90 at degree 12) runs on the calling thread: a
//! hand-off to another thread would cost more than the sweep. Bigger ones share each colour's
//! chunks among a [`Team`] of threads that stay awake between the colours (a pool's sleeping
//! workers cost about as much to wake as a 256 x 256 colour takes).
//!
//! **Energy and magnetisation are tracked, not recomputed.** Every edge joins the two
//! colours, so after colour c is redrawn (the other colour fixed),
//! E = -(sum_{i in c} s_i u_i + sum_{j not in c} h_j s_j) with u_i = h_i + sum_j J_ij s_j the
//! local field the kernel has just computed. Each pass adds up, over its new spins, the number
//! of +1 cells, P_c = sum s_i u_i and H_c = sum h_i s_i (see the kernel's docs for the fixed
//! summation order); after a sweep E = -(P_1 + H_0) and m = sum_c (2 ups_c - N/2) / N. Clamped
//! cells are corrected after each pass. With integer fields every sum is exact; with f32
//! fields E differs from the f64 sum over edges by the f32 rounding of u (about 1e-7
//! relative); [`LatticeIsing::recompute_energy`] gives that sum.

use crate::chip::cells::cell::CellModel;
use crate::chip::description::graph::Lattice;
use crate::chip::description::model::{Couplings, Model, ModelKind};
use crate::chip::error::ChipError;
use crate::chip::samplers::lanes::Lanes;
use crate::chip::samplers::lattice_kernel::{ChunkStats, DrawView, FieldView, Geom, LineF32, update_chunk};
use crate::chip::samplers::lattice_plan::{DrawPlan, IntCouplings, clamped_exp2, int_couplings};
use crate::chip::samplers::sampler::{KernelInfo, Sampler, StateBuf, check_restart};
use crate::chip::samplers::team::Team;
use crate::rng::{Domain, Seed};
use counts::UpCounts;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use tracking::Tracked;

mod counts;
mod tracking;

/// Target number of cells per chunk at degree `d`: 65536 / d (the same number of neighbour
/// reads per chunk) rounded down to a power of two, so that a power-of-two lattice splits
/// into equal chunks and an even number of them. Fewer, longer chunks cost fewer claims and
/// hand-offs, which is what a cheap degree-4 update needs; the wide degrees keep a chunk's
/// couplings (24 bytes per cell at degree 12) small enough for the core's cache. Measured on
/// two threads, 256 x 256, flips per ns with statistics, best of 5: degree 4 at 16384 cells
/// 4.85 (uniform J) and 2.13 (Gaussian J) against 4.20 and 1.95 at 4096; degree 12 at 4096
/// cells 1.11, at 8192 1.09, at 16384 1.03, and 1.04 with 7 chunks of 37 rows (5461 cells).
pub fn cells_per_chunk(degree: usize) -> usize {
    let reads = 65536 / degree.max(1);
    1 << reads.max(1).ilog2()
}

/// Couplings and fields in the layout of the kernels, per colour where they differ.
enum Fields {
    Real {
        j: LineF32,
        h: Option<[LineF32; 2]>,
    },
    Int {
        w: Vec<i8>,
        v: Option<[Vec<i8>; 2]>,
        unit: f32,
        offset: f32,
        reach: i32,
        halve: bool,
        unit_weights: bool,
    },
}

/// Everything a model, a state, clamps and a seed set in the sampler: what construction and
/// [`Sampler::restart`] both load.
struct Loaded {
    s: [Vec<i8>; 2],
    fields: Fields,
    draw: DrawPlan,
    int: Option<IntCouplings>,
    rng: [Vec<Lanes>; 2],
    stats: [Vec<ChunkStats>; 2],
    rows_per_chunk: usize,
    clamp: [Vec<(usize, i8)>; 2],
}

impl Loaded {
    #[allow(clippy::too_many_arguments)]
    fn new<C: CellModel>(
        lattice: &Lattice,
        g: &Geom,
        model: &Model,
        cell: &C,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
        allow_table: bool,
    ) -> Result<Self, ChipError> {
        let l = lattice.l;
        let StateBuf::Spins(init) = init else {
            return Err(ChipError::Unsupported("initial state does not match the model kind".into()));
        };
        let (m, st, lead, d) = (g.m, g.stride, g.lead, g.d);
        let int = int_couplings(lattice, model);
        let has_h = model.fields.iter().any(|&f| f != 0.0);
        let mut s: [Vec<i8>; 2] = [vec![0; l * st], vec![0; l * st]];
        let per_colour = |v: &dyn Fn(usize) -> Option<f32>| -> [LineF32; 2] {
            core::array::from_fn(|c| {
                let mut a = LineF32::zeros(l * st);
                for y in 0..l {
                    for k in 0..m {
                        a[y * st + lead + k] = v(y * l + (c + y) % 2 + 2 * k).unwrap_or(0.0);
                    }
                }
                a
            })
        };
        // couplings of colour-0 cells, every direction (absent edges: 0)
        let mut j = LineF32::zeros(if int.is_some() { 0 } else { l * d * st });
        let mut w = vec![0i8; if int.is_some() { l * d * st } else { 0 }];
        for c in 0..2 {
            for y in 0..l {
                for k in 0..m {
                    let x = (c + y) % 2 + 2 * k;
                    let site = y * l + x;
                    s[c][y * st + lead + k] = if init[site] > 0 { 1 } else { -1 };
                    for dd in (0..d).filter(|&dd| c == 0 && lattice.neighbour_xy(x, y, dd).is_some()) {
                        let (idx, e) = ((y * d + dd) * st + lead + k, lattice.edge_id(site, dd));
                        match &int {
                            Some(ic) => w[idx] = ic.w[e],
                            None => j[idx] = model.couplings.get(e),
                        }
                    }
                }
            }
        }
        let mut cl: [Vec<(usize, i8)>; 2] = Default::default();
        for &(site, v) in clamp {
            let (x, y) = (site % l, site / l);
            let idx = y * st + lead + x / 2;
            let v = if v > 0.0 { 1 } else { -1 };
            s[(x + y) % 2][idx] = v;
            cl[(x + y) % 2].push((idx, v));
        }
        for v in s.iter_mut() {
            v.chunks_mut(st).for_each(|row| g.refresh_pads(row));
        }
        let fields = match &int {
            Some(ic) => {
                let v = ic.v.as_ref().map(|v| {
                    per_colour(&|i| Some(v[i] as f32)).map(|a| a.iter().map(|&x| x as i8).collect())
                });
                w.chunks_mut(st).for_each(|row| g.refresh_pads(row));
                Fields::Int {
                    w,
                    v,
                    unit: ic.unit,
                    offset: ic.offset,
                    reach: ic.reach,
                    halve: ic.halve,
                    unit_weights: ic.unit_weights,
                }
            }
            None => {
                j.chunks_mut(st).for_each(|row| g.refresh_pads(row));
                Fields::Real { j, h: has_h.then(|| per_colour(&|i| model.fields.get(i).copied())) }
            }
        };
        // as many chunks as the target size asks for, with their rows shared out evenly
        let chunks = l.div_ceil((cells_per_chunk(d) / m).clamp(1, l));
        let rows_per_chunk = l.div_ceil(chunks);
        let nchunks = l.div_ceil(rows_per_chunk);
        let rng = [0, 1].map(|c| {
            (0..nchunks)
                .map(|k| Lanes::from_stream(seed.stream(Domain::CellBlock, (c * nchunks + k) as u64)))
                .collect()
        });
        let draw = DrawPlan::choose(cell, int.as_ref(), allow_table);
        let stats = [vec![ChunkStats::default(); nchunks], vec![ChunkStats::default(); nchunks]];
        Ok(Loaded { s, fields, draw, int, rng, stats, rows_per_chunk, clamp: cl })
    }
}

/// Checkerboard Ising sampler on an even lattice.
pub struct LatticeIsing<C: CellModel> {
    g: Geom,
    /// The lattice (kept so that a restart can reload couplings by edge id).
    lattice: Lattice,
    /// Spins per colour, padded rows.
    s: [Vec<i8>; 2],
    fields: Fields,
    draw: DrawPlan,
    /// [`DrawPlan::Scaled`]: 2^(c_i) per slot, and the c it was computed from.
    scale: Vec<f32>,
    scale_of: Vec<f32>,
    allow_table: bool,
    int: Option<IntCouplings>,
    rng: [Vec<Lanes>; 2],
    stats: [Vec<ChunkStats>; 2],
    rows_per_chunk: usize,
    /// (index in the padded colour array, value) of clamped cells.
    clamp: [Vec<(usize, i8)>; 2],
    tracked: Tracked,
    cell: C,
    /// The threads that share a sweep's chunks, made at the first sweep on more than one
    /// thread ([`Team`]: they stay awake between the colours' half-sweeps).
    team: Option<Team>,
    /// Per-cell counts of +1 over the counted sweeps, once the runner asks for them.
    counts: Option<UpCounts>,
}

impl<C: CellModel> LatticeIsing<C> {
    /// Builds the sampler for an Ising `model` on `lattice` (L even).
    pub fn new(
        lattice: &Lattice,
        model: &Model,
        mut cell: C,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<Self, ChipError> {
        let l = lattice.l;
        if !l.is_multiple_of(2) || model.kind != ModelKind::Ising {
            return Err(ChipError::Unsupported(
                "the lattice fast path needs an Ising model on an even L".into(),
            ));
        }
        let g = Geom::new(lattice);
        let m = g.m;
        let sites: Vec<u32> = (0..2)
            .flat_map(|c| (0..l).flat_map(move |y| (0..m).map(move |k| (y * l + (c + y) % 2 + 2 * k) as u32)))
            .collect();
        cell.bind(&sites)?;
        let parts = Loaded::new(lattice, &g, model, &cell, init, clamp, seed, true)?;
        let mut sampler = LatticeIsing {
            g,
            lattice: lattice.clone(),
            s: parts.s,
            fields: parts.fields,
            draw: parts.draw,
            scale: vec![],
            scale_of: vec![],
            allow_table: true,
            int: parts.int,
            rng: parts.rng,
            stats: parts.stats,
            rows_per_chunk: parts.rows_per_chunk,
            clamp: parts.clamp,
            tracked: Tracked::default(),
            cell,
            team: None,
            counts: None,
        };
        sampler.start_tracking();
        Ok(sampler)
    }

    /// Tracked sums of a freshly loaded state, and the scaled draw's factors.
    fn start_tracking(&mut self) {
        self.tracked = Tracked::default();
        let ups = [0, 1].map(|c| self.colour_cells(&self.s[c]).filter(|&x| x > 0).count() as i64);
        self.tracked.ups = ups;
        self.tracked.initial_energy = self.recompute_energy();
        self.scale.clear();
        self.scale_of.clear();
        self.update_scale();
    }

    /// Chooses the draw again (after a change of beta or of what is allowed) and, for a
    /// scaled draw, recomputes C_i = 2^(c_i) if the cells' c changed.
    fn choose_draw(&mut self) {
        self.draw = DrawPlan::choose(&self.cell, self.int.as_ref(), self.allow_table);
        self.update_scale();
    }

    fn update_scale(&mut self) {
        if let (DrawPlan::Scaled { .. }, Some((_, c))) = (&self.draw, self.cell.logistic_form())
            && c != &self.scale_of[..]
        {
            self.scale = c.iter().map(|&c| clamped_exp2(c as f64) as f32).collect();
            self.scale_of = c.to_vec();
        }
    }

    /// Allows or forbids the AVX2 kernels (default: allowed where the CPU has AVX2 and FMA).
    /// Both builds give bit-identical results; this exists so that tests can check it.
    pub fn set_allow_avx2(&mut self, allow: bool) {
        self.g.allow_avx2 = allow;
    }

    /// Allows or forbids the AVX-512 blocks inside the AVX2 kernels (default: allowed where
    /// the CPU has AVX-512 F, BW, VL and DQ). Bit-identical results; for tests and benches.
    pub fn set_allow_avx512(&mut self, allow: bool) {
        self.g.allow_avx512 = allow;
    }

    /// Allows or forbids the lookup-table draw (default: allowed where the model permits).
    /// Forbidding it runs the logistic draw instead (same law, other bits); for tests and
    /// benchmarks comparing kernels.
    pub fn set_allow_table(&mut self, allow: bool) {
        self.allow_table = allow;
        self.choose_draw();
    }

    /// Bytes of sampler state per cell (spins, fields, couplings, streams; row pads included).
    pub fn bytes_per_cell(&self) -> f64 {
        let n = (self.g.l * self.g.l) as f64;
        let field = match &self.fields {
            Fields::Real { j, h } => 4 * (j.len() + h.iter().flatten().map(|v| v.len()).sum::<usize>()),
            Fields::Int { w, v, .. } => w.len() + v.iter().flatten().map(|v| v.len()).sum::<usize>(),
        };
        let bytes = self.s.iter().map(|v| v.len()).sum::<usize>()
            + field
            + 8 * self.scale.len()
            + (self.rng[0].len() + self.rng[1].len()) * std::mem::size_of::<Lanes>();
        bytes as f64 / n
    }
}

impl<C: CellModel> LatticeIsing<C> {
    /// Both colours in turn; chunks shared by the team's threads if there is a team.
    fn sweep_colours(&mut self) {
        self.sweep_colour::<0>();
        self.sweep_colour::<1>();
        self.tracked.swept = true;
        if let Some(c) = self.counts.as_mut().filter(|c| c.armed) {
            c.end_sweep();
        }
    }

    fn sweep_colour<const COL: usize>(&mut self) {
        let (st, rpc, nchunks) = (self.g.stride, self.rows_per_chunk, self.rng[COL].len());
        let (a, b) = self.s.split_at_mut(1);
        let (mine, other) = if COL == 0 { (&mut a[0], &b[0]) } else { (&mut b[0], &a[0]) };
        let field = match &self.fields {
            Fields::Real { j, h } => FieldView::Real { j, h: h.as_ref().map(|h| &h[COL][..]), other },
            Fields::Int { w, v, unit, offset, reach, halve, unit_weights } => FieldView::Int {
                w,
                v: v.as_ref().map(|v| &v[COL][..]),
                other,
                unit: *unit,
                offset: *offset,
                reach: *reach,
                halve: *halve,
                unit_weights: *unit_weights,
            },
        };
        let draw = match &self.draw {
            DrawPlan::Table { t, .. } => DrawView::Table(t),
            DrawPlan::Scaled { e, .. } => DrawView::Scaled { e, scale: &self.scale },
            DrawPlan::Ideal(k) => DrawView::Ideal(*k),
            DrawPlan::Logistic => {
                let (k, c) = self.cell.logistic_form().expect("a logistic plan comes from a logistic form");
                DrawView::Logistic { k, c }
            }
            DrawPlan::Cell => DrawView::Cell(&self.cell),
        };
        let g = &self.g;
        let work = |ch: usize, rows: &mut [i8], (lanes, stats, counts): ChunkParts| {
            dispatch::<C, COL>(g, ch * rpc, rows, field, draw, lanes, stats);
            if let Some(counts) = counts {
                UpCounts::add(counts, rows, g);
            }
        };
        let chunks = mine.chunks_mut(rpc * st);
        let mut counted =
            self.counts.as_mut().filter(|c| c.armed).map(|c| c.recent[COL].chunks_mut(rpc * st));
        let streams = self.rng[COL]
            .iter_mut()
            .zip(&mut self.stats[COL])
            .map(|(lanes, stats)| (lanes, stats, counted.as_mut().and_then(|c| c.next())));
        match &self.team {
            Some(team) => {
                // thread t draws the chunks of block t (contiguous rows, so each core keeps
                // its rows in its cache from colour to colour), then helps with the other
                // blocks; chunks are claimed one at a time, so a thread the system has not
                // scheduled leaves its block to the others. Each chunk keeps its own stream,
                // so who draws it does not matter, nor in which order. Colour 1 claims each
                // block's chunks last to first (and one thread draws them so): a sweep that
                // streams more couplings than a core's cache holds (degree 12, 256 x 256:
                // 2 MB, a 1 MB L2 per core) then starts each colour on the rows the other
                // one ended with, still in the cache, not on those evicted longest ago.
                let items: Vec<_> =
                    chunks.zip(streams).enumerate().map(|item| Mutex::new(Some(item))).collect();
                let size = team.size();
                let per = items.len().div_ceil(size);
                let next: Vec<AtomicUsize> = (0..size).map(|b| AtomicUsize::new(b * per)).collect();
                let (items, next, work) = (&items, &next, &work);
                let mut jobs: Vec<_> = (0..size)
                    .map(|t| {
                        move || {
                            for b in (t..size).chain(0..t) {
                                let end = ((b + 1) * per).min(items.len());
                                loop {
                                    let k = next[b].fetch_add(1, Ordering::Relaxed);
                                    if k >= end {
                                        break;
                                    }
                                    let k = if COL == 0 { k } else { b * per + end - 1 - k };
                                    let taken =
                                        items[k].lock().unwrap_or_else(PoisonError::into_inner).take();
                                    if let Some((ch, (rows, parts))) = taken {
                                        work(ch, rows, parts);
                                    }
                                }
                            }
                        }
                    })
                    .collect();
                team.run(&mut jobs);
            }
            None => {
                let items = chunks.zip(streams).enumerate();
                if COL == 0 || nchunks == 1 {
                    items.for_each(|(ch, (rows, parts))| work(ch, rows, parts));
                } else {
                    // the streams hand out the counts in chunk order, so they are taken in
                    // that order and drawn in reverse (see the team's claims above)
                    let mut items: Vec<_> = items.collect();
                    while let Some((ch, (rows, parts))) = items.pop() {
                        work(ch, rows, parts);
                    }
                }
            }
        }
        self.finish_pass::<COL>();
    }
}

/// What a chunk's worker needs besides its rows: its streams, its statistics and, in a
/// counted sweep, its counts.
type ChunkParts<'a> = (&'a mut Lanes, &'a mut ChunkStats, Option<&'a mut [u8]>);

/// Runtime dispatch: the AVX2 kernels for fused draws where the CPU has AVX2 and FMA, the
/// AVX2 build of the portable kernel for other cell models, else the baseline build. All
/// give bit-identical results.
#[allow(clippy::too_many_arguments)]
fn dispatch<C: CellModel, const COL: usize>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    field: FieldView,
    draw: DrawView<C>,
    lanes: &mut Lanes,
    st: &mut ChunkStats,
) {
    #[cfg(target_arch = "x86_64")]
    if g.allow_avx2 && avx2_fma() {
        let wide = g.allow_avx512 && avx512();
        // SAFETY: the CPU supports AVX2 and FMA, and AVX-512 if `wide` (checked just above)
        unsafe {
            if !crate::chip::samplers::lattice_avx2::update_chunk::<C, COL>(
                g, y0, rows, field, draw, lanes, st, wide,
            ) {
                update_chunk_avx2::<C, COL>(g, y0, rows, field, draw, lanes, st);
            }
        }
        return;
    }
    update_chunk::<C, COL, false>(g, y0, rows, field, draw, lanes, st)
}

/// Cores this process may use, asked once (the answer reads the cgroup's files).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// True if the CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
fn avx2_fma() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// True if the CPU has the AVX-512 subsets the wide blocks use (F, BW, VL, DQ).
#[cfg(target_arch = "x86_64")]
fn avx512() -> bool {
    use std::arch::is_x86_feature_detected as has;
    has!("avx512f") && has!("avx512bw") && has!("avx512vl") && has!("avx512dq")
}

/// The portable kernel compiled for AVX2 (auto-vectorised; plain IEEE operations, which Rust
/// never fuses, so bit-identical to the baseline build).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
fn update_chunk_avx2<C: CellModel, const COL: usize>(
    g: &Geom,
    y0: usize,
    rows: &mut [i8],
    field: FieldView,
    draw: DrawView<C>,
    lanes: &mut Lanes,
    st: &mut ChunkStats,
) {
    update_chunk::<C, COL, true>(g, y0, rows, field, draw, lanes, st)
}

impl<C: CellModel> Sampler for LatticeIsing<C> {
    fn cells(&self) -> usize {
        self.g.l * self.g.l
    }

    fn sweep(&mut self, pool: &rayon::ThreadPool) {
        // as many threads as the pool has, but no more than chunks (with one chunk per
        // colour the calling thread runs alone: same result, no hand-off) or cores (the
        // team's helpers spin between colours, so more of them than cores would only queue)
        let threads = pool.current_num_threads().min(self.rng[0].len()).min(cores());
        if threads <= 1 {
            self.team = None;
        } else if self.team.as_ref().is_none_or(|t| t.size() != threads) {
            self.team = Some(Team::new(threads - 1));
        }
        self.sweep_colours();
    }

    fn set_beta(&mut self, beta: f64) -> Result<(), ChipError> {
        self.cell.set_beta(beta)?;
        self.choose_draw();
        Ok(())
    }

    /// Interleaves the two colours of each row (x0 = (c + y) mod 2).
    fn read(&self, out: &mut StateBuf) {
        let StateBuf::Spins(out) = out else { return };
        let (l, m, st, p) = (self.g.l, self.g.m, self.g.stride, self.g.lead);
        for (y, dst) in out.chunks_exact_mut(l).enumerate() {
            let (even, odd) = (&self.s[y % 2][y * st + p..][..m], &self.s[1 - y % 2][y * st + p..][..m]);
            for (pair, (&a, &b)) in dst.chunks_exact_mut(2).zip(even.iter().zip(odd)) {
                pair[0] = a;
                pair[1] = b;
            }
        }
    }

    /// The tracked energy (module documentation): O(1).
    fn energy(&self) -> f64 {
        let t = &self.tracked;
        if t.swept { -(t.pair[1] + t.field[0]) } else { t.initial_energy }
    }

    fn magnetisation(&self) -> Option<f64> {
        let n = (self.g.l * self.g.l) as i64;
        Some((2 * (self.tracked.ups[0] + self.tracked.ups[1]) - n) as f64 / n as f64)
    }

    fn kernel(&self) -> KernelInfo {
        let local_field = match &self.fields {
            Fields::Real { .. } => "f32 sums of J s".to_string(),
            Fields::Int { unit, reach, .. } => {
                format!(
                    "exact integer sums n (|n| <= {reach}), u = {unit} n + h0 (8-bit, 32 cells per instruction)"
                )
            }
        };
        #[cfg(target_arch = "x86_64")]
        let (avx2, wide) = (self.g.allow_avx2 && avx2_fma(), self.g.allow_avx512 && avx512());
        #[cfg(not(target_arch = "x86_64"))]
        let (avx2, wide) = (false, false);
        let vector = match (avx2, wide, &self.draw) {
            (true, _, DrawPlan::Cell) => "AVX2 build of the portable kernel",
            (true, true, _) => "AVX-512 intrinsics (16 cells per vector; AVX2 + FMA for row tails)",
            (true, false, _) => "AVX2 + FMA intrinsics",
            (false, ..) => "portable (SSE2 on x86_64)",
        };
        KernelInfo {
            sampler: "lattice checkerboard".into(),
            local_field,
            draw: self.draw.describe(),
            vector: vector.into(),
            threads_used: if self.rng[0].len() == 1 {
                "one chunk per colour: calling thread"
            } else {
                "a team of the pool's threads (at most one per chunk and per core), awake between colours"
            }
            .into(),
        }
    }

    fn restart(
        &mut self,
        model: &Model,
        init: &StateBuf,
        clamp: &[(usize, f64)],
        seed: Seed,
    ) -> Result<(), ChipError> {
        if model.kind != ModelKind::Ising {
            return Err(ChipError::Unsupported("the lattice fast path needs an Ising model".into()));
        }
        check_restart(model, init, clamp, self.g.l * self.g.l)?;
        if let Couplings::PerEdge(v) = &model.couplings
            && v.len() < self.lattice.cells() * self.lattice.degree() / 2
        {
            return Err(ChipError::Unsupported(format!(
                "{} couplings for a lattice of {} edge slots",
                v.len(),
                self.lattice.cells() * self.lattice.degree() / 2
            )));
        }
        let parts =
            Loaded::new(&self.lattice, &self.g, model, &self.cell, init, clamp, seed, self.allow_table)?;
        self.s = parts.s;
        self.fields = parts.fields;
        self.draw = parts.draw;
        self.int = parts.int;
        self.rng = parts.rng;
        self.stats = parts.stats;
        self.rows_per_chunk = parts.rows_per_chunk;
        self.clamp = parts.clamp;
        self.counts = None;
        self.start_tracking();
        Ok(())
    }

    fn count_next_sweep(&mut self) -> bool {
        let len = self.s[0].len();
        self.counts.get_or_insert_with(|| UpCounts::new(len)).armed = true;
        true
    }

    fn up_counts(&self) -> Option<(Vec<u64>, u64)> {
        self.natural_up_counts()
    }

    fn updates_last_sweep(&self) -> u64 {
        (self.g.l * self.g.l - self.clamp[0].len() - self.clamp[1].len()) as u64
    }
}

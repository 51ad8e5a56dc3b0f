//! Which kernel the lattice path runs, chosen automatically from the model and the cells.
//!
//! **Local fields.** When every coupling is an integer multiple of one unit, J_e = w_e J0 with
//! |w_e| <= 127 (exactly, in f32), and the fields are either all equal (h_i = h0) or integer
//! multiples of J0 as well (h_i = v_i J0), the local field is u_i = J0 n_i + h0 with the
//! integer n_i = v_i + sum_d w_d s_d, |n_i| <= R <= 127. The kernels then sum n_i in 8-bit
//! integers, 32 cells per 256-bit operation, exactly ([`IntCouplings`]). J0 is the smallest
//! non-zero |J|. Uniform couplings, +-J spin glasses and open lattices (absent edges have
//! w = 0) qualify; couplings such as {0.3, 0.9} whose ratio is not exact in f32 do not, and run
//! the f32 path (u = h + sum_d J_d s_d in f32).
//!
//! **Draw.** When the conditional is the same function of u for every cell (ideal cells, or
//! logistic cells whose per-slot (k, c) are all equal) and the fields are integers with
//! 2 R + 1 <= [`TABLE`] values, P(s = +1 | n) is looked up: a table of 24-bit thresholds
//! T(n) = round(2^24 P(u_n)), P computed in f64, and s = +1 iff the cell's 24-bit uniform
//! integer is below T(n): the exact conditional to within 2^-25. Otherwise the draw is the
//! logistic test r (1 + 2^(k u + c)) < 1 with the cell's (k, c) per slot
//! ([`crate::chip::cells::cell::logistic_up`], ideal cells: c = 0), or, for any other cell
//! model, the cell's own `draw_up`.

use crate::chip::cells::cell::{CellModel, ideal_k};
use crate::chip::description::graph::Lattice;
use crate::chip::description::model::Model;

/// Entries of the largest lookup table (four AVX2 permutes).
pub const TABLE: usize = 32;

/// Integer couplings and fields (module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct IntCouplings {
    /// J0: the unit of the couplings.
    pub unit: f32,
    /// w_e per edge id.
    pub w: Vec<i8>,
    /// v_i per cell (natural order), or None when every field equals `offset`.
    pub v: Option<Vec<i8>>,
    /// h0 (0 when `v` is given).
    pub offset: f32,
    /// R = max_i |v_i| + sum_d |w_d|: |n_i| <= R.
    pub reach: i32,
    /// True if v_i + sum_d w_d has the same parity for every cell (so has R): then n + R is
    /// always even and tables are indexed by (n + R) / 2, half as many entries.
    pub halve: bool,
    /// True if every edge is present with w = 1 (a uniform ferromagnet on a torus): the
    /// kernels then add the neighbours' spins without weights.
    pub unit_weights: bool,
}

impl IntCouplings {
    /// Entries of a table over every possible n.
    pub fn entries(&self) -> usize {
        if self.halve { self.reach as usize + 1 } else { 2 * self.reach as usize + 1 }
    }

    /// The n of table entry `idx`.
    pub fn n_of(&self, idx: usize) -> i32 {
        if self.halve { 2 * idx as i32 - self.reach } else { idx as i32 - self.reach }
    }
}

/// The table index of the integer field n (see [`IntCouplings::halve`]).
#[inline(always)]
pub fn table_index(n: i32, reach: i32, halve: bool) -> usize {
    (if halve { (n + reach) >> 1 } else { n + reach }) as usize
}

/// The integer form of `model`'s couplings and fields on `lattice`, if it has one.
pub fn int_couplings(lattice: &Lattice, model: &Model) -> Option<IntCouplings> {
    let (n, d) = (lattice.cells(), lattice.degree());
    // edge ids i D/2 + d (d < D/2) of present edges; absent edges of an open lattice stay 0
    let mut edges = vec![0f32; n * d / 2];
    for i in 0..n {
        for dd in 0..d / 2 {
            if lattice.neighbour(i, dd).is_some() {
                edges[i * d / 2 + dd] = model.couplings.get(i * d / 2 + dd);
            }
        }
    }
    let unit = edges.iter().map(|j| j.abs()).filter(|&a| a > 0.0).fold(f32::INFINITY, f32::min);
    let unit = if unit.is_finite() { unit } else { 1.0 };
    let as_int = |x: f32| -> Option<i8> {
        let w = (x / unit).round();
        (w.abs() <= 127.0 && w * unit == x).then_some(w as i8)
    };
    let w: Vec<i8> = edges.iter().map(|&j| as_int(j)).collect::<Option<_>>()?;
    let h0 = model.fields.first().copied().unwrap_or(0.0);
    let (v, offset) = if model.fields.iter().all(|&h| h == h0) {
        (None, h0)
    } else {
        (Some(model.fields.iter().map(|&h| as_int(h)).collect::<Option<Vec<i8>>>()?), 0.0)
    };
    let (mut reach, mut parities) = (0i32, [false; 2]);
    for i in 0..n {
        let mut r = v.as_ref().map_or(0, |v| (v[i] as i32).abs());
        for dd in 0..d {
            if lattice.neighbour(i, dd).is_some() {
                r += (w[lattice.edge_id(i, dd)] as i32).abs();
            }
        }
        reach = reach.max(r);
        parities[(r % 2) as usize] = true;
    }
    let halve = !(parities[0] && parities[1]);
    let unit_weights = w.iter().all(|&w| w == 1);
    (reach <= 127).then_some(IntCouplings { unit, w, v, offset, reach, halve, unit_weights })
}

/// How the kernels draw a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum DrawPlan {
    /// Threshold lookup: down iff bits > t[index(n)] (t holds T(n) - 1, see the module docs).
    Table { t: Box<[i32; TABLE]>, entries: usize },
    /// Logistic cells with one slope k and per-slot c, integer fields: 2^(k u + c_i) =
    /// e[index(n)] C_i with e = 2^(k u_n) looked up and C_i = 2^(c_i) per slot (both rounded to
    /// f32 and clamped to [2^-126, 2^126] as [`crate::chip::cells::cell::exp2_clamped`]);
    /// s = +1 iff r (1 + e C_i) < 1 (the sampler keeps C).
    Scaled { e: Box<[f32; TABLE]>, entries: usize },
    /// Ideal cells: [`crate::chip::cells::cell::ideal_up`] with this k.
    Ideal(f32),
    /// The cell's per-slot logistic form.
    Logistic,
    /// The cell's own `draw_up`.
    Cell,
}

impl DrawPlan {
    /// Chooses the draw for `cell` with fields `int` (None: f32 fields); `allow_table` false
    /// forbids the lookup (for tests comparing kernels).
    pub fn choose<C: CellModel>(cell: &C, int: Option<&IntCouplings>, allow_table: bool) -> Self {
        // f(u) at every table entry, if the fields allow a table
        let tabulate = |f: &dyn Fn(f64) -> f64| -> Option<(Vec<f64>, usize)> {
            let ic = int.filter(|_| allow_table)?;
            let entries = ic.entries();
            (entries <= TABLE).then(|| {
                let u = |idx: usize| ic.unit as f64 * ic.n_of(idx.min(entries - 1)) as f64 + ic.offset as f64;
                ((0..TABLE).map(|idx| f(u(idx))).collect(), entries)
            })
        };
        let table = |p: &dyn Fn(f64) -> f64| {
            tabulate(p).map(|(v, entries)| DrawPlan::Table {
                t: Box::new(core::array::from_fn(|i| threshold(v[i]))),
                entries,
            })
        };
        if let Some(beta) = cell.ideal_beta() {
            return table(&|u| 1.0 / (1.0 + (-2.0 * beta * u).exp()))
                .unwrap_or(DrawPlan::Ideal(ideal_k(beta)));
        }
        if let Some((k, c)) = cell.logistic_form() {
            let same = |v: &[f32]| v.first().is_some_and(|&v0| v.iter().all(|&x| x == v0));
            if same(k) {
                let (k0, c0) = (k[0] as f64, c.first().copied().unwrap_or(0.0) as f64);
                if same(c)
                    && let Some(t) = table(&|u| 1.0 / (1.0 + (k0 * u + c0).exp2()))
                {
                    return t;
                }
                if let Some((e, entries)) = tabulate(&|u| clamped_exp2(k0 * u)) {
                    return DrawPlan::Scaled { e: Box::new(core::array::from_fn(|i| e[i] as f32)), entries };
                }
            }
            return DrawPlan::Logistic;
        }
        DrawPlan::Cell
    }

    /// A short description for the stats file.
    pub fn describe(&self) -> String {
        match self {
            DrawPlan::Table { entries, .. } => {
                format!("lookup table of P(+1 | local field), {entries} entries")
            }
            DrawPlan::Scaled { entries, .. } => {
                format!(
                    "logistic with per-cell offsets: table of 2^(k u) ({entries} entries) times 2^(c_i) per cell"
                )
            }
            DrawPlan::Ideal(_) => "ideal logistic sigma(2 beta u)".into(),
            DrawPlan::Logistic => "logistic of an affine function of u, per-cell gain and offset".into(),
            DrawPlan::Cell => "the cell model's own draw".into(),
        }
    }
}

/// 2^t in f64 with t clamped to [-126, 126] (the range of [`crate::chip::cells::cell::exp2_clamped`]).
pub fn clamped_exp2(t: f64) -> f64 {
    t.clamp(-126.0, 126.0).exp2()
}

/// The stored threshold T - 1 for probability p, T = round(2^24 p): a 24-bit uniform integer
/// b gives s = +1 iff b < T iff !(b > T - 1), with probability T / 2^24.
fn threshold(p: f64) -> i32 {
    (p.clamp(0.0, 1.0) * 16_777_216.0).round() as i32 - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::cells::cell::IdealCell;
    use crate::chip::description::graph::{Boundary, Topology};
    use crate::chip::description::model::{Couplings, ModelKind};

    fn model(couplings: Couplings, fields: Vec<f32>) -> Model {
        Model { kind: ModelKind::Ising, beta: 0.5, couplings, fields, diagonal: vec![] }
    }

    #[test]
    fn integer_couplings_are_recognised() {
        let lat = Lattice::new(8, Boundary::Torus, 12).unwrap();
        let slots = Topology::Lattice(lat.clone()).edge_slots();
        // +-0.3: unit 0.3, w = +-1, R = 12
        let pm: Vec<f32> = (0..slots).map(|e| if e % 3 == 0 { -0.3 } else { 0.3 }).collect();
        let ic = int_couplings(&lat, &model(Couplings::PerEdge(pm), vec![0.0; 64])).unwrap();
        assert_eq!((ic.unit, ic.reach, ic.offset), (0.3, 12, 0.0));
        assert!(ic.v.is_none());
        // 0.3 and 0.9: 3 x 0.3f32 is not 0.9f32, so no integer form
        let mixed: Vec<f32> = (0..slots).map(|e| if e % 2 == 0 { 0.9 } else { 0.3 }).collect();
        assert!(int_couplings(&lat, &model(Couplings::PerEdge(mixed), vec![0.0; 64])).is_none());
        // 0.5 and 1.5 with fields +-1: R = 12 * 3 + 2
        let halves: Vec<f32> = (0..slots).map(|e| if e % 2 == 0 { 1.5 } else { -0.5 }).collect();
        let fields: Vec<f32> = (0..64).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let ic = int_couplings(&lat, &model(Couplings::PerEdge(halves), fields)).unwrap();
        assert_eq!(ic.v.as_ref().unwrap()[..2], [2, -2]);
        assert!(ic.reach <= 38 && ic.reach >= 2);
        // Gaussian couplings: none
        let g: Vec<f32> = (0..slots).map(|e| (e as f32 * 0.37).sin()).collect();
        assert!(int_couplings(&lat, &model(Couplings::PerEdge(g), vec![0.0; 64])).is_none());
    }

    /// The table holds round(2^24 sigma(2 beta u)) - 1 at u = J0 n + h0, n = -R..R.
    #[test]
    fn table_thresholds_are_the_conditional() {
        let lat = Lattice::new(8, Boundary::Torus, 4).unwrap();
        let ic = int_couplings(&lat, &model(Couplings::Uniform(1.0), vec![0.25; 64])).unwrap();
        assert_eq!((ic.reach, ic.offset, ic.halve), (4, 0.25, true));
        let DrawPlan::Table { t, entries } = DrawPlan::choose(&IdealCell::new(0.5), Some(&ic), true) else {
            panic!("expected a table")
        };
        // n = -4, -2, 0, 2, 4
        assert_eq!(entries, 5);
        for idx in 0..5 {
            assert_eq!(table_index(2 * idx as i32 - 4, 4, true), idx);
            let u = 2.0 * idx as f64 - 4.0 + 0.25;
            let p = 1.0 / (1.0 + (-u).exp());
            assert!(((t[idx] + 1) as f64 / 16_777_216.0 - p).abs() <= 0.5 / 16_777_216.0, "{idx}");
        }
        assert_eq!(DrawPlan::choose(&IdealCell::new(0.5), Some(&ic), false), DrawPlan::Ideal(ideal_k(0.5)));
        assert_eq!(DrawPlan::choose(&IdealCell::new(0.5), None, true), DrawPlan::Ideal(ideal_k(0.5)));
    }
}

//! The energy and magnetisation the lattice kernels track during their sweeps (no pass over
//! the state per sample) against the same quantities computed from the sampled state by an
//! independent formula: E(s) = -(sum_i h_i s_i + sum_edges J_ij s_i s_j) summed over the edges
//! in f64 ([`pbitsim::chip::Model::ising_energy`]), m = (1/N) sum_i s_i. Every kernel (f32 and
//! integer fields, table, ideal, logistic and scaled draws, the generic draw), with fields,
//! clamps and a change of beta between sweeps.
//!
//! Tolerance: integer fields are summed exactly, so E agrees to f64 rounding (1e-12 relative
//! of sum |J| + sum |h|); f32 fields round each local field u_i to f32 (relative 6e-8 per
//! term, at most 21 terms), so E agrees to 1e-5 of sum |J| + sum |h|. m agrees exactly.

use pbitsim::cell::PbitCell;
use pbitsim::chip::cells::behavioural::{PbitCells, Population};
use pbitsim::chip::description::model::{RandomKind, random_couplings, random_fields};
use pbitsim::chip::samplers::lattice_gibbs::LatticeIsing;
use pbitsim::chip::samplers::sampler::initial_state;
use pbitsim::chip::{
    Boundary, CellModel, Couplings, IdealCell, Lattice, Model, ModelKind, Sampler, StateBuf, Topology,
};

fn check<C: CellModel>(lat: &Lattice, model: &Model, cell: C, exact: bool, what: &str) {
    let t = Topology::Lattice(lat.clone());
    let n = lat.cells();
    let init = initial_state(ModelKind::Ising, n, Default::default(), pbitsim::rng::Seed(4));
    let clamp = [(3, 1.0), (n / 3, -1.0)];
    let mut s = LatticeIsing::new(lat, model, cell, &init, &clamp, pbitsim::rng::Seed(8)).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let mut scale = 0.0;
    t.for_each_edge(|e, _, _| scale += model.couplings.get(e).abs() as f64);
    scale += model.fields.iter().map(|h| h.abs() as f64).sum::<f64>();
    let tol = if exact { 1e-12 * scale } else { 1e-5 * scale };
    let mut state = StateBuf::Spins(vec![0; n]);
    for sweep in 0..12 {
        if sweep == 6 {
            s.set_beta(0.9 * model.beta).unwrap();
        }
        s.sweep(&pool);
        s.read(&mut state);
        let StateBuf::Spins(v) = &state else { unreachable!() };
        let e = model.ising_energy(&t, v);
        assert!(
            (s.energy() - e).abs() <= tol,
            "{what}: sweep {sweep}: tracked {} vs {e} (tol {tol})",
            s.energy()
        );
        let m = v.iter().map(|&x| x as i64).sum::<i64>() as f64 / n as f64;
        assert_eq!(s.magnetisation().unwrap(), m, "{what}: sweep {sweep}");
    }
}

/// A cell that hides its fused forms: the generic kernel runs its draw_up.
struct Opaque(IdealCell);

impl CellModel for Opaque {
    fn p_up(&self, first: usize, u: &[f32], p: &mut [f32]) {
        self.0.p_up(first, u, p)
    }
    fn categorical(&self, slot: usize, u: &[f64], p: &mut [f64]) {
        self.0.categorical(slot, u, p)
    }
    fn gaussian(&self, slot: usize, mean: f64, precision: f64) -> (f64, f64) {
        self.0.gaussian(slot, mean, precision)
    }
    fn set_beta(&mut self, beta: f64) -> Result<(), pbitsim::chip::ChipError> {
        self.0.set_beta(beta)
    }
}

fn pbits(n: usize, beta: f64, gains: bool) -> PbitCells {
    let offsets = pbitsim::cell::offsets(n, 3e-3, pbitsim::rng::Seed(2));
    let gain = (0..n).map(|i| if gains { 0.9 + 0.2 * ((i % 5) as f64 / 4.0) } else { 1.0 }).collect();
    let population = Population { offset_v: offsets, vs_v: vec![0.02; n], gain, speed: vec![1.0; n] };
    PbitCells::with_population(PbitCell::ideal(0.0, 0.02, 1e-9, 300.0), 0.02, beta, population)
}

#[test]
fn tracked_energy_and_magnetisation_match_the_state() {
    for (l, degree, boundary) in
        [(48, 4, Boundary::Torus), (70, 12, Boundary::Torus), (60, 8, Boundary::Open)]
    {
        let lat = Lattice::new(l, boundary, degree).unwrap();
        let t = Topology::Lattice(lat.clone());
        let n = l * l;
        let ising = |couplings: Couplings, fields: Vec<f32>| Model {
            kind: ModelKind::Ising,
            beta: 0.45,
            couplings,
            fields,
            diagonal: vec![],
        };
        let models = [
            (
                "gaussian J, fields",
                ising(random_couplings(&t, 1, 0.7, RandomKind::Normal), random_fields(n, 1, 2, 0.3)),
                false,
            ),
            ("uniform J, uniform field", ising(Couplings::Uniform(1.0), vec![0.25; n]), true),
            (
                "+-J, integer fields",
                ising(
                    random_couplings(&t, 1, 0.5, RandomKind::Pm),
                    random_fields(n, 1, 3, 1.0).iter().map(|&h| if h > 0.0 { 1.0 } else { -0.5 }).collect(),
                ),
                true,
            ),
        ];
        for (name, model, exact) in &models {
            let what = format!("L {l} degree {degree} {name}");
            check(&lat, model, IdealCell::new(model.beta), *exact, &format!("{what}, ideal"));
            check(&lat, model, Opaque(IdealCell::new(model.beta)), *exact, &format!("{what}, generic"));
            check(&lat, model, pbits(n, model.beta, false), *exact, &format!("{what}, p-bits"));
            check(&lat, model, pbits(n, model.beta, true), *exact, &format!("{what}, p-bits with gains"));
        }
    }
}

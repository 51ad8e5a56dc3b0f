//! `Sampler::restart` (the hook learning uses between parameter updates): a sampler restarted
//! with new couplings, fields, state, clamps and seed continues bit for bit as a sampler newly
//! built with those arguments, for every sampler (lattice torus and open, graph Ising and
//! Potts, free running, free running with settling inputs) and with cells that carry per-cell
//! offsets (bound to slots once).

mod chip_common;

use chip_common::{graph_model, normals, random_graph};
use pbitsim::cell::PbitCell;
use pbitsim::chip::cells::behavioural::PbitCells;
use pbitsim::chip::cells::cell::InputLag;
use pbitsim::chip::cells::coupled::CoupledPbitCells;
use pbitsim::chip::run::build_sampler;
use pbitsim::chip::samplers::sampler::{empty_state, initial_state};
use pbitsim::chip::{
    Boundary, CellModel, Chip, Couplings, IdealCell, Initial, Lattice, Method, Model, ModelKind, Schedule,
    Topology,
};
use pbitsim::rng::Seed;

/// A model on `topology` with random couplings and fields from `seed` (fields zero if
/// `zero_fields`, to exercise the lattice path's field-free storage).
fn model(topology: &Topology, kind: ModelKind, seed: u64, zero_fields: bool) -> Model {
    let n = topology.cells();
    let width = kind.field_width();
    let fields = if zero_fields { vec![0.0; n * width] } else { normals(n * width, 0.0, 0.4, seed + 1) };
    Model {
        kind,
        beta: 0.6,
        couplings: Couplings::PerEdge(normals(topology.edge_slots(), 0.1, 0.5, seed)),
        fields,
        diagonal: vec![],
    }
}

/// Sweeps a restarted sampler and a fresh one side by side and compares every state.
fn check<C: CellModel + Clone + 'static>(topology: Topology, kind: ModelKind, method: Method, cells: C) {
    let n = topology.cells();
    let first = Chip::new(topology.clone(), model(&topology, kind, 1, false)).unwrap();
    let schedule = |clamp: Vec<(usize, f64)>| Schedule {
        method,
        clamp,
        initial: Initial::Random,
        tau: 1.0,
        read_interval: 0.7,
        ..Schedule::default()
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let mut a = build_sampler(&first, cells.clone(), &schedule(vec![(0, 1.0)]), Seed(3)).unwrap();
    for _ in 0..5 {
        a.sweep(&pool);
    }
    for (zero_fields, seed) in [(false, 11u64), (true, 12), (false, 13)] {
        let second = Chip::new(topology.clone(), model(&topology, kind, seed, zero_fields)).unwrap();
        let clamp = if kind == ModelKind::Ising { 1.0 } else { 2.0 };
        let clamps = vec![(1, clamp), (n - 1, if kind == ModelKind::Ising { -1.0 } else { 0.0 })];
        let init = initial_state(kind, n, Initial::Random, Seed(seed));
        a.restart(&second.model, &init, &clamps, Seed(seed)).unwrap();
        let mut b = build_sampler(&second, cells.clone(), &schedule(clamps), Seed(seed)).unwrap();
        let (mut sa, mut sb) = (empty_state(kind, n), empty_state(kind, n));
        for sweep in 0..30 {
            a.sweep(&pool);
            b.sweep(&pool);
            a.read(&mut sa);
            b.read(&mut sb);
            assert_eq!(sa, sb, "{method:?} {kind:?}: states differ at sweep {sweep} after restart {seed}");
            assert_eq!(a.energy().to_bits(), b.energy().to_bits());
        }
    }
}

/// Calibration-like cells with per-cell offsets, so that a wrong slot binding would show.
fn offset_cells(n: usize) -> PbitCells {
    let offsets = normals(n, 0.0, 0.01, 99).into_iter().map(f64::from).collect();
    PbitCells::new(PbitCell::ideal(0.0, 0.03, 1e-7, 300.0), 0.03, 0.6, offsets)
}

#[test]
fn lattice_restart_equals_a_fresh_sampler() {
    for (l, boundary, degree) in [(8, Boundary::Torus, 4), (12, Boundary::Open, 8), (24, Boundary::Torus, 12)]
    {
        let t = Topology::Lattice(Lattice::new(l, boundary, degree).unwrap());
        check(t.clone(), ModelKind::Ising, Method::BlockGibbs, IdealCell::new(0.6));
        check(t, ModelKind::Ising, Method::BlockGibbs, offset_cells(l * l));
    }
}

#[test]
fn graph_and_free_running_restart_equals_a_fresh_sampler() {
    let n = 40;
    let (t, _) = graph_model(n, random_graph(n, 30, 5), ModelKind::Ising, 0.6, vec![], vec![]);
    check(t.clone(), ModelKind::Ising, Method::BlockGibbs, offset_cells(n));
    check(t.clone(), ModelKind::Ising, Method::FreeRunning, offset_cells(n));
    check(t.clone(), ModelKind::Potts { q: 3 }, Method::BlockGibbs, IdealCell::new(0.6));
    check(t.clone(), ModelKind::Potts { q: 3 }, Method::FreeRunning, IdealCell::new(0.6));
    // Calibrated couplings: inputs that arrive late and settle (the settling sampler).
    let offsets = normals(n, 0.0, 0.01, 98).into_iter().map(f64::from).collect();
    let lag = InputLag::new(0.2, 0.15);
    let coupled = CoupledPbitCells::new(PbitCell::ideal(0.0, 0.03, 1e-7, 300.0), 0.03, 0.6, offsets, lag);
    check(t, ModelKind::Ising, Method::FreeRunning, coupled);
}

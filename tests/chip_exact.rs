//! Exact-enumeration checks: the sampled law of small random models against their Boltzmann
//! law exp(-beta E) / Z computed by enumerating every state (tests/chip_common).
//!
//! Criterion (brief): total variation distance < 0.01 with 10^6 samples. Each test also checks
//! that the bound is meaningful: the TV expected from sampling noise alone,
//! (1/2) sum_k sqrt(2 p_k (1 - p_k) / (pi n_eff)) with n_eff = n / (2 tau_int) (tau_int of the
//! energy, Sokal windowing), must be at most 0.005, so a sampler bias of ~0.005 or more in TV
//! fails the test. The models are dominated by strong random fields: concentrated enough for
//! that floor, and free of the nearly degenerate minima that make single-site samplers of
//! low-temperature spin glasses mix slowly.

mod chip_common;

use chip_common::*;
use pbitsim::cell::PbitCell;
use pbitsim::chip::cells::behavioural::PbitCells;
use pbitsim::chip::{
    Boundary, Chip, Couplings, IdealCell, Initial, Lattice, Method, Model, ModelKind, RunOptions, Schedule,
    Topology, run_chip,
};

const SAMPLES: u64 = 1_000_000;

fn schedule(method: Method) -> Schedule {
    Schedule {
        method,
        warmup: 1000,
        sweeps: SAMPLES,
        thin: 1,
        anneal: None,
        clamp: vec![],
        initial: Initial::Random,
        // free running: cells ring ~5 times per read
        tau: 0.2,
        read_interval: 1.0,
    }
}

/// Runs and returns (TV, noise floor).
fn sampled_tv(chip: &Chip, p: &[f64], q: usize, method: Method, seed: u64) -> (f64, f64) {
    let mut hist = Histogram::new(p.len(), q);
    let opts = RunOptions { seed, threads: 2, ..Default::default() };
    let st =
        run_chip(chip, IdealCell::new(chip.model.beta), &schedule(method), &opts, &mut [&mut hist]).unwrap();
    let n_eff = SAMPLES as f64 / (2.0 * st.tau_int_energy.max(0.5));
    let floor = tv_noise_floor(p, n_eff);
    (tv(p, &hist.counts), floor)
}

/// 14-cell Ising spin glass on a random graph: J ~ N(0, 0.7), h ~ N(0, 2.5), beta = 1.
fn ising_case() -> (Chip, Vec<f64>) {
    let n = 14;
    let edges = random_graph(n, 10, 7);
    let j = normals(edges.len(), 0.0, 0.7, 11);
    let h = normals(n, 0.0, 2.5, 12);
    let beta = 1.0;
    let e64: Vec<(usize, usize, f64)> =
        edges.iter().zip(&j).map(|(&(a, b), &jv)| (a as usize, b as usize, jv as f64)).collect();
    let h64: Vec<f64> = h.iter().map(|&x| x as f64).collect();
    let p = exact_ising(n, &e64, &h64, beta);
    let (t, m) = graph_model(n, edges, ModelKind::Ising, beta, j, h);
    (Chip::new(t, m).unwrap(), p)
}

/// 12-cell 3-state Potts model on a random graph: J ~ N(0.5, 0.5) (mostly ferromagnetic),
/// h_i[k] ~ N(0, 5), beta = 1.
fn potts_case() -> (Chip, Vec<f64>) {
    let (n, q) = (12, 3);
    let edges = random_graph(n, 8, 21);
    let j = normals(edges.len(), 0.5, 0.5, 22);
    let h = normals(n * q, 0.0, 5.0, 23);
    let beta = 1.0;
    let e64: Vec<(usize, usize, f64)> =
        edges.iter().zip(&j).map(|(&(a, b), &jv)| (a as usize, b as usize, jv as f64)).collect();
    let h64: Vec<f64> = h.iter().map(|&x| x as f64).collect();
    let p = exact_potts(n, q, &e64, &h64, beta);
    let (t, m) = graph_model(n, edges, ModelKind::Potts { q }, beta, j, h);
    (Chip::new(t, m).unwrap(), p)
}

/// 4 x 4 torus, degree 4, through the vectorised lattice path: J ~ N(0.2, 0.7) per edge,
/// h ~ N(0, 2.5), beta = 1.
fn lattice_case() -> (Chip, Vec<f64>) {
    let lat = Lattice::new(4, Boundary::Torus, 4).unwrap();
    let topology = Topology::Lattice(lat);
    let j = normals(topology.edge_slots(), 0.2, 0.7, 31);
    let h = normals(16, 0.0, 2.5, 32);
    let mut e64 = vec![];
    topology.for_each_edge(|e, a, b| e64.push((a, b, j[e] as f64)));
    assert_eq!(e64.len(), 32, "4x4 torus has 2 N edges");
    let beta = 1.0;
    let p = exact_ising(16, &e64, &h.iter().map(|&x| x as f64).collect::<Vec<_>>(), beta);
    let model =
        Model { kind: ModelKind::Ising, beta, couplings: Couplings::PerEdge(j), fields: h, diagonal: vec![] };
    (Chip::new(topology, model).unwrap(), p)
}

/// 4 x 4 torus through the lattice path's integer kernel: couplings +-0.6, fields integer
/// multiples of 0.6 (3 to 6 units, random signs: strong enough for the noise floor), beta = 1.
/// The draw is the lookup table.
fn integer_lattice_case() -> (Chip, Vec<f64>) {
    let lat = Lattice::new(4, Boundary::Torus, 4).unwrap();
    let topology = Topology::Lattice(lat);
    let j: Vec<f32> = normals(topology.edge_slots(), 0.0, 1.0, 41)
        .iter()
        .map(|&x| if x > 0.0 { 0.6 } else { -0.6 })
        .collect();
    let units = normals(16, 0.0, 2.0, 43).into_iter().map(|x| (3.0 + x.round().abs()).min(6.0));
    let h: Vec<f32> =
        normals(16, 0.0, 1.0, 42).iter().zip(units).map(|(&s, k)| 0.6 * k * s.signum()).collect();
    let mut e64 = vec![];
    topology.for_each_edge(|e, a, b| e64.push((a, b, j[e] as f64)));
    let p = exact_ising(16, &e64, &h.iter().map(|&x| x as f64).collect::<Vec<_>>(), 1.0);
    let model = Model {
        kind: ModelKind::Ising,
        beta: 1.0,
        couplings: Couplings::PerEdge(j),
        fields: h,
        diagonal: vec![],
    };
    (Chip::new(topology, model).unwrap(), p)
}

/// 4 x 4 torus with calibrated-like p-bit cells: width Vs, input gain 2 beta Vs, offsets
/// delta_i, so P(s_i = +1 | u) = sigma(2 beta u - delta_i / Vs) = sigma(2 beta (u - delta_i /
/// (2 beta Vs))): the Boltzmann law with fields h_i - delta_i / (2 beta Vs). Couplings
/// N(0.2, 0.7) (the f32 kernel, per-cell logistic draw) or +-0.6 (the integer kernel, table
/// of 2^(k u) times 2^(c_i)).
fn pbit_lattice_case(integer: bool) -> (Chip, PbitCells, Vec<f64>) {
    let (chip, _) = if integer { integer_lattice_case() } else { lattice_case() };
    let (beta, vs) = (1.0, 0.025);
    let offsets: Vec<f64> = normals(16, 0.0, 0.03, 51).iter().map(|&x| x as f64).collect();
    let mut e64 = vec![];
    chip.topology.for_each_edge(|e, a, b| e64.push((a, b, chip.model.couplings.get(e) as f64)));
    let h: Vec<f64> =
        chip.model.fields.iter().zip(&offsets).map(|(&h, &d)| h as f64 - d / (2.0 * beta * vs)).collect();
    let p = exact_ising(16, &e64, &h, beta);
    let cells = PbitCells::new(PbitCell::ideal(0.0, vs, 1e-9, 300.0), vs, beta, offsets);
    (chip, cells, p)
}

#[test]
fn ising_block_gibbs_matches_enumeration() {
    let (chip, p) = ising_case();
    let (d, floor) = sampled_tv(&chip, &p, 2, Method::BlockGibbs, 1);
    eprintln!("ising block gibbs: TV {d:.5}, noise floor {floor:.5}");
    assert!(floor <= 0.005, "model too diffuse for the test: floor {floor}");
    assert!(d < 0.01, "TV {d}");
}

#[test]
fn ising_free_running_fast_cells_matches_enumeration() {
    let (chip, p) = ising_case();
    let (d, floor) = sampled_tv(&chip, &p, 2, Method::FreeRunning, 2);
    eprintln!("ising free running: TV {d:.5}, noise floor {floor:.5}");
    assert!(floor <= 0.005);
    assert!(d < 0.01, "TV {d}");
}

#[test]
fn potts_block_gibbs_matches_enumeration() {
    let (chip, p) = potts_case();
    let (d, floor) = sampled_tv(&chip, &p, 3, Method::BlockGibbs, 3);
    eprintln!("potts block gibbs: TV {d:.5}, noise floor {floor:.5}");
    assert!(floor <= 0.005, "model too diffuse for the test: floor {floor}");
    assert!(d < 0.01, "TV {d}");
}

#[test]
fn potts_free_running_fast_cells_matches_enumeration() {
    let (chip, p) = potts_case();
    let (d, floor) = sampled_tv(&chip, &p, 3, Method::FreeRunning, 4);
    eprintln!("potts free running: TV {d:.5}, noise floor {floor:.5}");
    assert!(floor <= 0.005);
    assert!(d < 0.01, "TV {d}");
}

#[test]
fn lattice_fast_path_matches_enumeration() {
    let (chip, p) = lattice_case();
    let (d, floor) = sampled_tv(&chip, &p, 2, Method::BlockGibbs, 5);
    eprintln!("4x4 torus lattice path: TV {d:.5}, noise floor {floor:.5}");
    assert!(floor <= 0.005, "model too diffuse for the test: floor {floor}");
    assert!(d < 0.01, "TV {d}");
}

#[test]
fn lattice_integer_table_matches_enumeration() {
    let (chip, p) = integer_lattice_case();
    let (d, floor) = sampled_tv(&chip, &p, 2, Method::BlockGibbs, 6);
    eprintln!("4x4 torus, +-J, lookup table: TV {d:.5}, noise floor {floor:.5}");
    assert!(floor <= 0.005, "model too diffuse for the test: floor {floor}");
    assert!(d < 0.01, "TV {d}");
}

/// Calibrated cells with per-cell offsets, on the f32 kernel (per-cell logistic draw) and
/// the integer kernel (scaled table), against the Boltzmann law with shifted fields.
#[test]
fn lattice_calibrated_cells_match_enumeration() {
    for (integer, seed, draw) in [(false, 7, "per-cell gain"), (true, 8, "2^(k u)")] {
        let (chip, cells, p) = pbit_lattice_case(integer);
        let mut hist = Histogram::new(p.len(), 2);
        let opts = RunOptions { seed, threads: 2, ..Default::default() };
        let st = run_chip(&chip, cells, &schedule(Method::BlockGibbs), &opts, &mut [&mut hist]).unwrap();
        assert!(st.kernel.draw.contains(draw), "{}", st.kernel.draw);
        let floor = tv_noise_floor(&p, SAMPLES as f64 / (2.0 * st.tau_int_energy.max(0.5)));
        let d = tv(&p, &hist.counts);
        eprintln!("4x4 torus, p-bit cells, {draw}: TV {d:.5}, noise floor {floor:.5}");
        assert!(floor <= 0.005, "model too diffuse for the test: floor {floor}");
        assert!(d < 0.01, "TV {d}");
    }
}

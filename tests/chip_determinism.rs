//! Same seed, same samples, whatever the number of threads: full sample streams are hashed
//! (FNV-1a over every byte of every sample) on 1 and 2 threads, for the lattice fast path
//! (256 x 256: 8 chunks per colour) with each of its kernels (f32 fields; integer fields with
//! a lookup table; calibrated p-bit cells), the generic graph path (101 x 101 open lattice,
//! odd L: 5 chunks per colour) with Ising and Potts models; the `.npy` files of the two runs
//! must be byte-identical and hold exactly the samples. Then every kernel of the lattice
//! path against its portable build, and the fused draws against the cells' own `draw_up`.

mod chip_common;

use chip_common::HashObserver;
use pbitsim::cell::PbitCell;
use pbitsim::chip::cells::behavioural::{PbitCells, Population};
use pbitsim::chip::description::model::RandomKind;
use pbitsim::chip::observers::npy::NpyWriter;
use pbitsim::chip::{
    Boundary, Chip, Couplings, IdealCell, Lattice, Model, ModelKind, Observer, RunOptions, Sample, Schedule,
    StateBuf, Topology, run_chip,
};

fn chip(l: usize, boundary: Boundary, kind: ModelKind) -> Chip {
    let lat = Lattice::new(l, boundary, 4).unwrap();
    let t = Topology::Lattice(lat);
    let couplings = pbitsim::chip::description::model::random_couplings(&t, 5, 0.8, Default::default());
    let model =
        Model { kind, beta: 0.6, couplings, fields: vec![0.1; l * l * kind.field_width()], diagonal: vec![] };
    Chip::new(t, model).unwrap()
}

fn hash(chip: &Chip, threads: usize, npy: Option<&std::path::Path>) -> u64 {
    let mut h = HashObserver(0xcbf2_9ce4_8422_2325);
    let schedule = Schedule { warmup: 5, sweeps: 20, ..Default::default() };
    let opts = RunOptions { seed: 99, threads, ..Default::default() };
    match npy {
        Some(p) => {
            let mut w = NpyWriter::create(p, chip.cells()).unwrap();
            run_chip(chip, IdealCell::new(chip.model.beta), &schedule, &opts, &mut [&mut h, &mut w]).unwrap();
        }
        None => {
            run_chip(chip, IdealCell::new(chip.model.beta), &schedule, &opts, &mut [&mut h]).unwrap();
        }
    }
    h.0
}

#[test]
fn lattice_path_is_thread_count_independent() {
    let c = chip(256, Boundary::Torus, ModelKind::Ising);
    assert_eq!(hash(&c, 1, None), hash(&c, 2, None));
    // and the seed matters
    let mut h = HashObserver(0xcbf2_9ce4_8422_2325);
    let s = Schedule { warmup: 5, sweeps: 20, ..Default::default() };
    run_chip(
        &c,
        IdealCell::new(0.6),
        &s,
        &RunOptions { seed: 100, threads: 2, ..Default::default() },
        &mut [&mut h],
    )
    .unwrap();
    assert_ne!(h.0, hash(&c, 2, None));
}

/// The lattice kernels for integer fields (uniform couplings: lookup table) and for
/// calibrated p-bit cells (+-J couplings: scaled table; Gaussian couplings: per-cell
/// logistic), 256 x 256, 1 and 2 threads.
#[test]
fn lattice_kernels_are_thread_count_independent() {
    let lat = Lattice::new(256, Boundary::Torus, 12).unwrap();
    let t = Topology::Lattice(lat);
    let run = |model: Model, cells: Option<PbitCells>, threads: usize| {
        let chip = Chip::new(t.clone(), model).unwrap();
        let mut h = HashObserver(0xcbf2_9ce4_8422_2325);
        let schedule = Schedule { warmup: 2, sweeps: 6, ..Default::default() };
        let opts = RunOptions { seed: 7, threads, ..Default::default() };
        let stats = match cells {
            Some(c) => run_chip(&chip, c, &schedule, &opts, &mut [&mut h]).unwrap(),
            None => {
                run_chip(&chip, IdealCell::new(chip.model.beta), &schedule, &opts, &mut [&mut h]).unwrap()
            }
        };
        (h.0, stats.energy_per_cell_mean.to_bits(), stats.kernel.draw)
    };
    let ising = |couplings: Couplings| Model {
        kind: ModelKind::Ising,
        beta: 0.4,
        couplings,
        fields: vec![0.0; 256 * 256],
        diagonal: vec![],
    };
    let pm = pbitsim::chip::description::model::random_couplings(&t, 3, 0.5, RandomKind::Pm);
    let gauss = pbitsim::chip::description::model::random_couplings(&t, 3, 0.5, RandomKind::Normal);
    for (model, cells, draw) in [
        (ising(Couplings::Uniform(1.0)), false, "lookup table"),
        (ising(pm.clone()), true, "table of 2^(k u)"),
        (ising(gauss), true, "per-cell gain and offset"),
    ] {
        let cells = |_| cells.then(|| pbit_cells(256 * 256, 0.4, 4e-3, false));
        let one = run(model.clone(), cells(()), 1);
        assert!(one.2.contains(draw), "{} does not run {draw}", one.2);
        assert_eq!(one, run(model, cells(()), 2), "{draw}");
    }
}

/// Calibrated-like p-bit cells: width 25 mV, per-cell offsets N(0, sigma) (seeded), and with
/// `gains` per-cell relative gains 1 +- 10 %.
fn pbit_cells(n: usize, beta: f64, sigma: f64, gains: bool) -> PbitCells {
    let cell = PbitCell::ideal(0.0, 0.025, 1e-9, 300.0);
    let offsets = pbitsim::cell::offsets(n, sigma, pbitsim::rng::Seed(11));
    let gain: Vec<f64> =
        (0..n).map(|i| if gains { 1.0 + 0.1 * ((i * 7919 % 13) as f64 / 6.0 - 1.0) } else { 1.0 }).collect();
    let population = Population { offset_v: offsets, vs_v: vec![0.025; n], gain, speed: vec![1.0; n] };
    PbitCells::with_population(cell, 0.025, beta, population)
}

#[test]
fn graph_path_is_thread_count_independent() {
    let c = chip(101, Boundary::Open, ModelKind::Ising);
    assert_eq!(hash(&c, 1, None), hash(&c, 2, None));
    let c = chip(101, Boundary::Open, ModelKind::Potts { q: 3 });
    assert_eq!(hash(&c, 1, None), hash(&c, 2, None));
}

/// Collects samples as 0/1 bytes (the NPY encoding of spins).
struct Collect(Vec<u8>);
impl Observer for Collect {
    fn observe(&mut self, s: &Sample) -> Result<(), pbitsim::chip::ChipError> {
        if let StateBuf::Spins(v) = s.state {
            self.0.extend(v.iter().map(|&x| (x > 0) as u8));
        }
        Ok(())
    }
}

#[test]
fn npy_files_are_identical_and_well_formed() {
    let dir = std::env::temp_dir().join(format!("pbitsim_chip_npy_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = chip(64, Boundary::Torus, ModelKind::Ising);
    let (a, b) = (dir.join("a.npy"), dir.join("b.npy"));
    hash(&c, 1, Some(&a));
    hash(&c, 2, Some(&b));
    let (ba, bb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(ba, bb);
    assert!(!dir.join("a.npy.partial").exists());
    // NPY v1.0 (numpy.lib.format): magic, version, header length, dict, data
    assert_eq!(&ba[..8], b"\x93NUMPY\x01\x00");
    let hl = u16::from_le_bytes([ba[8], ba[9]]) as usize;
    assert_eq!((10 + hl) % 64, 0);
    let header = std::str::from_utf8(&ba[10..10 + hl]).unwrap();
    assert!(header.contains("'descr': '|u1'") && header.contains("'shape': (20, 4096)"), "{header}");
    let mut col = Collect(vec![]);
    let schedule = Schedule { warmup: 5, sweeps: 20, ..Default::default() };
    run_chip(
        &c,
        IdealCell::new(0.6),
        &schedule,
        &RunOptions { seed: 99, threads: 2, ..Default::default() },
        &mut [&mut col],
    )
    .unwrap();
    assert_eq!(&ba[10 + hl..], &col.0[..]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A cell that hides its fused forms (`ideal_beta`, `logistic_form`), so that samplers take
/// their generic path (cell.draw_up per group) instead of a fused kernel.
#[derive(Clone)]
struct Opaque<C>(C);

impl<C: pbitsim::chip::CellModel> pbitsim::chip::CellModel for Opaque<C> {
    fn bind(&mut self, sites: &[u32]) -> Result<(), pbitsim::chip::ChipError> {
        self.0.bind(sites)
    }
    fn p_up(&self, first: usize, u: &[f32], p: &mut [f32]) {
        self.0.p_up(first, u, p)
    }
    fn draw_up(&self, first: usize, u: &[f32], r: &[f32], s: &mut [i8], scratch: &mut [f32]) {
        self.0.draw_up(first, u, r, s, scratch)
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

/// The final state, tracked energy and magnetisation after 20 sweeps (2 threads).
type Outcome = (StateBuf, u64, u64, String);

/// Which build of the lattice kernels runs.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Build {
    Portable,
    Avx2,
    /// The AVX2 kernels with their AVX-512 blocks (AVX2 alone where the CPU lacks AVX-512).
    Avx512,
}

/// True if this CPU runs the AVX-512 blocks.
fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        has!("avx2")
            && has!("fma")
            && has!("avx512f")
            && has!("avx512bw")
            && has!("avx512vl")
            && has!("avx512dq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

fn outcome<C: pbitsim::chip::CellModel>(
    lat: &Lattice,
    model: &Model,
    cell: C,
    clamp: &[(usize, f64)],
    build: Build,
    table: bool,
) -> Outcome {
    use pbitsim::chip::Sampler;
    use pbitsim::chip::samplers::lattice_gibbs::LatticeIsing;
    use pbitsim::chip::samplers::sampler::initial_state;
    let n = lat.cells();
    let init = initial_state(ModelKind::Ising, n, Default::default(), pbitsim::rng::Seed(1));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let mut s = LatticeIsing::new(lat, model, cell, &init, clamp, pbitsim::rng::Seed(3)).unwrap();
    s.set_allow_avx2(build != Build::Portable);
    s.set_allow_avx512(build == Build::Avx512);
    s.set_allow_table(table);
    let vector = s.kernel().vector;
    if build == Build::Avx512 && has_avx512() && !vector.contains("portable kernel") {
        assert!(vector.contains("AVX-512"), "{vector}");
    }
    for _ in 0..20 {
        s.sweep(&pool);
    }
    let mut out = StateBuf::Spins(vec![0; n]);
    s.read(&mut out);
    (out, s.energy().to_bits(), s.magnetisation().unwrap().to_bits(), s.kernel().draw)
}

/// Every kernel of the lattice path gives the same spins, energy and magnetisation in its
/// AVX-512 build, its AVX2 build and its portable build (only plain IEEE and integer
/// operations in the same order, so vector width cannot change a result; the AVX-512 blocks
/// draw pairs of groups, 64 and 16 cells at a time, and leave odd groups and tails to AVX2:
/// M = 93 has 64 + 16 cells, an odd group and an unpaired tail of 5; M = 91 the same with a
/// paired tail of 3; on a CPU without AVX-512 the third build is the AVX2 one), and the fused
/// ideal and logistic draws
/// give exactly what the cells' own `draw_up` gives through the generic kernel. Covers row
/// tails (M = 35, 50, 2: paired tails of 3 and 2 cells; M = 23: unpaired tails of 7; M = 49
/// with 83 rows per chunk: a last row without a partner), degrees 4 to 20, open and torus
/// lattices, f32 and integer fields with and without per-cell fields, lookup tables of 1 to 4
/// permutes, halved and full table indices, and clamps.
#[test]
fn vector_builds_are_bit_identical() {
    use pbitsim::chip::description::model::{random_couplings, random_fields};
    let cases = [
        (128, 4, Boundary::Torus),
        (70, 12, Boundary::Torus),
        (4, 4, Boundary::Torus),
        (100, 8, Boundary::Open),
        (64, 20, Boundary::Torus),
        (46, 8, Boundary::Torus),
        (98, 4, Boundary::Torus),
        (186, 4, Boundary::Torus),
        (182, 12, Boundary::Torus),
    ];
    for (l, degree, boundary) in cases {
        let lat = Lattice::new(l, boundary, degree).unwrap();
        let t = Topology::Lattice(lat.clone());
        let n = l * l;
        let ising = |couplings: Couplings, fields: Vec<f32>| Model {
            kind: ModelKind::Ising,
            beta: 0.6,
            couplings,
            fields,
            diagonal: vec![],
        };
        let signs: Vec<f32> =
            random_fields(n, 1, 9, 1.0).iter().map(|&x| if x > 0.0 { 1.0 } else { -1.0 }).collect();
        let models = [
            (
                "f32 fields",
                ising(random_couplings(&t, 5, 0.8, RandomKind::Normal), random_fields(n, 1, 6, 0.2)),
            ),
            ("f32, no fields", ising(random_couplings(&t, 5, 0.8, RandomKind::Normal), vec![0.0; n])),
            ("uniform", ising(Couplings::Uniform(0.7), vec![0.0; n])),
            (
                "+-J, integer fields",
                ising(random_couplings(&t, 5, 0.5, RandomKind::Pm), signs.iter().map(|s| 0.5 * s).collect()),
            ),
            ("+-J, uniform field", ising(random_couplings(&t, 5, 0.5, RandomKind::Pm), vec![0.3; n])),
        ];
        let clamp = [(0, 1.0), (n / 2 + 1, -1.0), (n - 1, -1.0)];
        for (name, model) in &models {
            let what = format!("L {l} degree {degree} {boundary:?} {name}");
            // ideal cells: fused (table where allowed, else ideal) in both builds, and the
            // generic kernel through draw_up
            for table in [true, false] {
                let reference = outcome(&lat, model, IdealCell::new(0.6), &clamp, Build::Portable, table);
                for build in [Build::Avx2, Build::Avx512] {
                    assert_eq!(
                        outcome(&lat, model, IdealCell::new(0.6), &clamp, build, table),
                        reference,
                        "{what} ideal {build:?}"
                    );
                }
                if !reference.3.contains("table") {
                    for build in [Build::Avx2, Build::Portable] {
                        let generic = outcome(&lat, model, Opaque(IdealCell::new(0.6)), &clamp, build, table);
                        assert_eq!(generic.0, reference.0, "{what} generic ideal");
                        assert_eq!(generic.1, reference.1, "{what} generic ideal energy");
                    }
                }
            }
            // calibrated p-bits: offsets only (scaled table with integer fields), and with
            // per-cell gains (logistic)
            for gains in [false, true] {
                let cells = || pbit_cells(n, 0.6, 4e-3, gains);
                let reference = outcome(&lat, model, cells(), &clamp, Build::Portable, true);
                for build in [Build::Avx2, Build::Avx512] {
                    assert_eq!(
                        outcome(&lat, model, cells(), &clamp, build, true),
                        reference,
                        "{what} pbit {gains} {build:?}"
                    );
                }
                if reference.3.contains("per-cell gain") {
                    let generic = outcome(&lat, model, Opaque(cells()), &clamp, Build::Avx2, true);
                    assert_eq!(generic.0, reference.0, "{what} generic pbit");
                }
            }
        }
    }
}

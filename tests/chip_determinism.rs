//! Same seed, same samples, whatever the number of threads: full sample streams are hashed
//! (FNV-1a over every byte of every sample) on 1 and 2 threads, for the lattice fast path
//! (256 x 256: 8 chunks per colour), the generic graph path (101 x 101 open lattice, odd L:
//! 5 chunks per colour) with Ising and Potts models; the `.npy` files of the two runs must be
//! byte-identical and hold exactly the samples.

mod chip_common;

use chip_common::HashObserver;
use pbitsim::chip::observers::npy::NpyWriter;
use pbitsim::chip::{
    Boundary, Chip, IdealCell, Lattice, Model, ModelKind, Observer, RunOptions, Sample, Schedule, StateBuf,
    Topology, run_chip,
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

/// An ideal cell that hides its `ideal_beta`, so that samplers take their generic path
/// (cell.draw_up per block) instead of a fused ideal kernel.
#[derive(Clone, Copy)]
struct Opaque(IdealCell);

impl pbitsim::chip::CellModel for Opaque {
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

/// The lattice path's kernels give the same spins: the AVX2 kernel for ideal cells, and the
/// generic kernel (AVX2 and baseline builds) driving the ideal cell's draw_up. Only plain
/// IEEE operations in the same order, so vector width cannot change a result. Covers tails
/// (M = 35 and M = 2 are not multiples of 16 or 32), degree 12, an open lattice, rows with
/// and without fields, and clamps.
#[test]
fn vector_builds_are_bit_identical() {
    use pbitsim::chip::samplers::lattice_gibbs::LatticeIsing;
    use pbitsim::chip::samplers::sampler::initial_state;
    use pbitsim::chip::{CellModel, Sampler};
    let cases =
        [(128, 4, Boundary::Torus, 0.1), (70, 12, Boundary::Torus, 0.0), (4, 4, Boundary::Torus, 0.3)];
    let cases = cases.into_iter().chain([(100, 8, Boundary::Open, 0.2), (64, 20, Boundary::Torus, 0.0)]);
    for (l, degree, boundary, field) in cases {
        let lat = Lattice::new(l, boundary, degree).unwrap();
        let t = Topology::Lattice(lat.clone());
        let couplings = pbitsim::chip::description::model::random_couplings(&t, 5, 0.8, Default::default());
        let fields = pbitsim::chip::description::model::random_fields(l * l, 1, 6, field);
        let model = Model { kind: ModelKind::Ising, beta: 0.6, couplings, fields, diagonal: vec![] };
        let init = initial_state(ModelKind::Ising, l * l, Default::default(), pbitsim::rng::Seed(1));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let clamp = [(0, 1.0), (l * l / 2 + 1, -1.0), (l * l - 1, -1.0)];
        let run = |mut s: Box<dyn Sampler>| {
            for _ in 0..20 {
                s.sweep(&pool);
            }
            let mut out = StateBuf::Spins(vec![0; l * l]);
            s.read(&mut out);
            (out, s.energy())
        };
        let mk = |allow: bool, opaque: bool| -> Box<dyn Sampler> {
            let seed = pbitsim::rng::Seed(3);
            if opaque {
                let c = Opaque(IdealCell::new(0.6));
                let mut s = LatticeIsing::new(&lat, &model, c, &init, &clamp, seed).unwrap();
                s.set_allow_avx2(allow);
                Box::new(s)
            } else {
                let mut s =
                    LatticeIsing::new(&lat, &model, IdealCell::new(0.6), &init, &clamp, seed).unwrap();
                s.set_allow_avx2(allow);
                Box::new(s)
            }
        };
        let reference = run(mk(false, true));
        for (allow, opaque) in [(true, false), (true, true), (false, false)] {
            let got = run(mk(allow, opaque));
            assert_eq!(got.0, reference.0, "L {l} degree {degree} avx2 {allow} generic {opaque}");
            assert_eq!(got.1.to_bits(), reference.1.to_bits());
        }
        assert_eq!(Opaque(IdealCell::new(1.0)).ideal_beta(), None);
    }
}

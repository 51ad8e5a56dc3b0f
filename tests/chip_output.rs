//! Output observers: a lattice snapshot PNG decodes (with the png crate's decoder) to the
//! L x L grey image of the spins (+1 white, -1 black); the progress hook sees every sweep
//! count up to the total.

use pbitsim::chip::observers::snapshot::Snapshots;
use pbitsim::chip::{
    Boundary, Chip, Couplings, IdealCell, Initial, Lattice, Model, ModelKind, Observer, RunOptions, Sample,
    Schedule, StateBuf, Topology, run_chip,
};
use std::sync::Mutex;

struct Last(Vec<i8>);
impl Observer for Last {
    fn observe(&mut self, s: &Sample) -> Result<(), pbitsim::chip::ChipError> {
        if let StateBuf::Spins(v) = s.state {
            self.0 = v.clone();
        }
        Ok(())
    }
}

#[test]
fn snapshot_png_matches_state_and_progress_is_reported() {
    let dir = std::env::temp_dir().join(format!("pbitsim_chip_png_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let l = 32;
    let model = Model {
        kind: ModelKind::Ising,
        beta: 0.3,
        couplings: Couplings::Uniform(1.0),
        fields: vec![0.0; l * l],
        diagonal: vec![],
    };
    let chip = Chip::new(Topology::Lattice(Lattice::new(l, Boundary::Torus, 4).unwrap()), model).unwrap();
    let schedule = Schedule { warmup: 0, sweeps: 3, initial: Initial::Random, ..Default::default() };
    let seen = Mutex::new(vec![]);
    let progress = |done: u64, total: u64| seen.lock().unwrap().push((done, total));
    let opts = RunOptions { seed: 1, threads: 1, progress: Some(&progress), ..Default::default() };
    let (mut snaps, mut last) = (Snapshots::new(&dir, 1), Last(vec![]));
    run_chip(&chip, IdealCell::new(0.3), &schedule, &opts, &mut [&mut snaps, &mut last]).unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![(1, 3), (2, 3), (3, 3)]);
    let file = std::fs::File::open(dir.join("snapshot_00000002.png")).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (l as u32, l as u32));
    let expect: Vec<u8> = last.0.iter().map(|&s| if s > 0 { 255 } else { 0 }).collect();
    assert_eq!(&buf[..l * l], &expect[..]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every sample as one row of the .npy file (read back by parsing the NumPy header and the
/// bytes here, independently of the writer); a writer that is never finished leaves no file
/// and no temporary; a missing output directory is refused before any sampling.
#[test]
fn samples_npy_holds_every_state_and_an_unfinished_run_leaves_nothing() {
    use pbitsim::chip::observers::npy::NpyWriter;
    let dir = std::env::temp_dir().join(format!("pbitsim_chip_npy_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let l = 8;
    let model = Model {
        kind: ModelKind::Ising,
        beta: 0.3,
        couplings: Couplings::Uniform(1.0),
        fields: vec![0.0; l * l],
        diagonal: vec![],
    };
    let chip = Chip::new(Topology::Lattice(Lattice::new(l, Boundary::Torus, 4).unwrap()), model).unwrap();
    let schedule = Schedule { warmup: 0, sweeps: 5, initial: Initial::Random, ..Default::default() };
    let opts = RunOptions { seed: 4, threads: 1, ..Default::default() };
    struct All(Vec<Vec<i8>>);
    impl Observer for All {
        fn observe(&mut self, s: &Sample) -> Result<(), pbitsim::chip::ChipError> {
            if let StateBuf::Spins(v) = s.state {
                self.0.push(v.clone());
            }
            Ok(())
        }
    }
    let path = dir.join("samples.npy");
    let (mut writer, mut all) = (NpyWriter::create(&path, l * l).unwrap(), All(vec![]));
    run_chip(&chip, IdealCell::new(0.3), &schedule, &opts, &mut [&mut writer, &mut all]).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = String::from_utf8_lossy(&bytes[10..10 + header_len]);
    assert!(
        header.contains("'descr': '|u1'") && header.contains(&format!("'shape': (5, {}),", l * l)),
        "{header}"
    );
    let data = &bytes[10 + header_len..];
    let expect: Vec<u8> = all.0.iter().flatten().map(|&s| (s > 0) as u8).collect();
    assert_eq!(data, &expect[..]);

    // Dropped unfinished (an error mid-run): nothing under the name, no temporary left.
    std::fs::remove_file(&path).unwrap();
    let mut writer = NpyWriter::create(&path, l * l).unwrap();
    let short = Schedule { sweeps: 2, ..schedule };
    run_chip(&chip, IdealCell::new(0.3), &short, &opts, &mut [&mut FeedOnly(&mut writer)]).unwrap();
    drop(writer);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "files left behind");
    assert!(NpyWriter::create(dir.join("missing/samples.npy"), 4).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Passes samples to the writer but never finishes it (as a run that fails before the end).
struct FeedOnly<'a>(&'a mut pbitsim::chip::observers::npy::NpyWriter);
impl Observer for FeedOnly<'_> {
    fn observe(&mut self, s: &Sample) -> Result<(), pbitsim::chip::ChipError> {
        self.0.observe(s)
    }
}

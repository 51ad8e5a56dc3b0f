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

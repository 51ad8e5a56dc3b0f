//! Speed of the chip samplers on the workloads of the README's performance table, each built
//! from its chip description exactly as `pbitsim chip` builds it:
//!
//! | bench | description | kernel |
//! |---|---|---|
//! | `gauss256_deg4` | `circuits/perf/gauss256_deg4.toml` | f32 fields, ideal logistic |
//! | `uniform256_deg4` | `circuits/perf/uniform256_deg4.toml` | integer fields, lookup table |
//! | `gauss256_deg12` | `circuits/perf/gauss256_deg12.toml` | f32 fields, ideal logistic |
//! | `chip70` | `circuits/chip70.toml` (calibrated p-bits, +-J, degree 12) | integer fields, scaled table |
//!
//! One iteration is one sweep (every cell once), so criterion's element throughput is cell
//! updates per second (flips/ns = Gelem/s); `_stats` adds what a run with statistics on
//! every sweep does per sample (the state read in natural order, tracked energy and
//! magnetisation, the per-cell marginal counts). On 1 and 2 threads:
//!
//!     cargo bench --bench chip
//!
//! Also prints the kernel each workload runs. The sweep-time table
//! against cell count (1e4 .. 1e7 cells) is `tests/chip_scaling.rs` (ignored test).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pbitsim::chip::cells::behavioural::pbit_cells;
use pbitsim::chip::description::config::CellKind;
use pbitsim::chip::observers::observe::Summary;
use pbitsim::chip::run::{build_sampler, take_sample};
use pbitsim::chip::samplers::sampler::empty_state;
use pbitsim::chip::{Chip, ChipConfig, IdealCell, Observer, Sampler};
use pbitsim::rng::Seed;
use std::path::PathBuf;
use std::time::Duration;

/// The chip and its sampler for a description under the crate root.
fn workload(path: &str) -> (Chip, Box<dyn Sampler>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    let config = ChipConfig::from_file(&path, &[]).expect("chip description");
    let chip = config.build().expect("chip");
    let schedule = config.schedule(&chip).expect("schedule");
    let sampler = match config.cells.kind {
        CellKind::Pbit => {
            let (cells, _) = pbit_cells(&config, &chip, 1).expect("p-bit cells");
            build_sampler(&chip, cells, &schedule, Seed(1))
        }
        _ => build_sampler(&chip, IdealCell::new(chip.model.beta), &schedule, Seed(1)),
    };
    (chip, sampler.expect("sampler"))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("chip_sweep");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    // each with and without the per-sample statistics (the workloads' own thin = 1)
    let workloads = [
        ("gauss256_deg4", "circuits/perf/gauss256_deg4.toml"),
        ("uniform256_deg4", "circuits/perf/uniform256_deg4.toml"),
        ("gauss256_deg12", "circuits/perf/gauss256_deg12.toml"),
        ("chip70", "circuits/chip70.toml"),
    ];
    for (name, path) in workloads {
        let (chip, mut s) = workload(path);
        let k = s.kernel();
        eprintln!("{name}: {} | {} | {}", k.local_field, k.draw, k.vector);
        let n = chip.cells();
        g.throughput(Throughput::Elements(n as u64));
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            g.bench_function(format!("{name}_threads{threads}"), |b| b.iter(|| s.sweep(&pool)));
            let (q, beta) = (chip.q(), chip.model.beta);
            let mut summary = Summary::new(n, q);
            let mut buf = empty_state(chip.model.kind, n);
            let mut i = 0;
            // as the runner does: the marginals counted by the sampler where it can
            g.bench_function(format!("{name}_stats_threads{threads}"), |b| {
                b.iter(|| {
                    let counted = s.count_next_sweep();
                    if counted {
                        summary.counts_from_sampler();
                    }
                    s.sweep(&pool);
                    let sample = take_sample(s.as_ref(), &mut buf, !counted, q, i, i + 1, beta, &chip);
                    summary.observe(&sample).unwrap();
                    i += 1;
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Chip descriptions: the shipped examples load and build; errors name the file, line, key
//! or token; overrides apply before validation; unwired cell kinds give a clear error.

use pbitsim::chip::{ChipConfig, ChipError, RunOptions, run};
use std::path::{Path, PathBuf};

fn circuits() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits")
}

fn parse(text: &str, overrides: &[&str]) -> Result<ChipConfig, ChipError> {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    ChipConfig::parse(text, "test.toml", Path::new("."), &o)
}

const BASE: &str = "[lattice]\nsize = [8, 8]\n[model]\nkind = \"ising\"\nbeta = 0.4\n";

#[test]
fn shipped_chips_build() {
    let c = ChipConfig::from_file(&circuits().join("ising64.toml"), &[]).unwrap();
    let chip = c.build().unwrap();
    assert_eq!(chip.cells(), 4096);
    assert_eq!(c.model.beta, 0.44);
    let c = ChipConfig::from_file(&circuits().join("chip70.toml"), &[]).unwrap();
    let chip = c.build().unwrap();
    assert_eq!(chip.cells(), 4900);
    assert_eq!(chip.topology.adjacency().nbr.len(), 4900 * 12);
    c.schedule(&chip).unwrap();
}

#[test]
fn unknown_key_names_file_and_key() {
    let e = parse(&format!("{BASE}bogus = 1\n"), &[]).unwrap_err().to_string();
    assert!(e.contains("test.toml") && e.contains("bogus"), "{e}");
    let e = parse(&format!("{BASE}[cells]\nkind = \"ideal\"\ncolour = 2\n"), &[]).unwrap_err().to_string();
    assert!(e.contains("test.toml") && e.contains("colour"), "{e}");
    // through an override too
    let e = parse(BASE, &["model.temprature=3"]).unwrap_err().to_string();
    assert!(e.contains("temprature"), "{e}");
}

#[test]
fn wrong_degree_and_bad_values_name_the_key() {
    let c = parse(&BASE.replace("size = [8, 8]", "size = [8, 8]\ndegree = 6"), &[]).unwrap();
    let e = c.build().unwrap_err().to_string();
    assert!(e.contains("lattice.degree") && e.contains('6') && e.contains("4, 8, 12, 16, 20"), "{e}");
    let c = parse(&BASE.replace("[8, 8]", "[9, 9]"), &[]).unwrap();
    let e = c.build().unwrap_err().to_string();
    assert!(e.contains("lattice.size") && e.contains("even"), "{e}");
    let c = parse(BASE, &["schedule.thin=0"]).unwrap();
    let chip = c.build().unwrap();
    let e = c.schedule(&chip).unwrap_err().to_string();
    assert!(e.contains("schedule.thin"), "{e}");
    let c = parse(BASE, &["model.beta=-1"]).unwrap();
    assert!(c.build().unwrap_err().to_string().contains("model.beta"));
}

#[test]
fn overrides_apply_before_validation() {
    let c = parse(BASE, &["model.beta=0.25", "schedule.sweeps=10", "lattice.boundary=open"]).unwrap();
    assert_eq!(c.model.beta, 0.25);
    assert_eq!(c.schedule.sweeps, 10);
    assert_eq!(c.lattice.as_ref().unwrap().boundary, pbitsim::chip::Boundary::Open);
    assert!(parse(BASE, &["nonsense"]).is_err());
}

#[test]
fn bad_csv_line_names_file_line_and_token() {
    let dir = std::env::temp_dir().join(format!("pbitsim_chip_cfg_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("edges.csv"), "i,j,J\n0,1,1.0\n1,2,abc\n").unwrap();
    let toml = "[graph]\nedges = \"edges.csv\"\n[model]\nkind = \"ising\"\nbeta = 0.4\n";
    std::fs::write(dir.join("g.toml"), toml).unwrap();
    let c = ChipConfig::from_file(&dir.join("g.toml"), &[]).unwrap();
    let e = c.build().unwrap_err().to_string();
    assert!(e.contains("edges.csv:3") && e.contains("`abc`"), "{e}");
    std::fs::write(dir.join("edges.csv"), "0,1,1.0\n1,2,0.5\n").unwrap();
    std::fs::write(dir.join("fields.csv"), "0,0.1\n2,0.2,0.3\n").unwrap();
    std::fs::write(dir.join("g.toml"), toml.replace("edges.csv\"", "edges.csv\"\nfields = \"fields.csv\""))
        .unwrap();
    let e = ChipConfig::from_file(&dir.join("g.toml"), &[]).unwrap().build().unwrap_err().to_string();
    assert!(e.contains("fields.csv:2") && e.contains("expected 2 columns"), "{e}");
    std::fs::write(dir.join("fields.csv"), "0,0.1\n2,0.2\n").unwrap();
    let chip = ChipConfig::from_file(&dir.join("g.toml"), &[]).unwrap().build().unwrap();
    assert_eq!(chip.cells(), 3);
    assert_eq!(chip.model.fields, vec![0.1, 0.0, 0.2]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn behavioural_cell_errors_name_the_key() {
    // A missing calibration file is named with its key; an unavailable kind says what is.
    let text = format!(
        "{BASE}[cells]\nkind = \"pbit\"\ncalibration = \"calib.json\"\ntemperature = \"300K\"\nmismatch = \"card\"\n"
    );
    let c = parse(&text, &[]).unwrap();
    assert_eq!(c.cells.calibration.as_deref(), Some(Path::new("calib.json")));
    let e = run(&c, &RunOptions::default(), &mut []).unwrap_err().to_string();
    assert!(e.contains("cells.calibration") && e.contains("calib.json"), "{e}");
    let text = format!("{BASE}[cells]\nkind = \"pmog\"\n");
    let e = run(&parse(&text, &[]).unwrap(), &RunOptions::default(), &mut []).unwrap_err().to_string();
    assert!(e.contains("pmog") && e.contains("not available"), "{e}");
}

#[test]
fn config_runs_end_to_end() {
    let c = parse(BASE, &["schedule.sweeps=200", "schedule.warmup=10"]).unwrap();
    let st = run(&c, &RunOptions { seed: 3, threads: 1, ..Default::default() }, &mut []).unwrap();
    assert_eq!((st.cells, st.samples, st.marginals.len()), (64, 200, 64));
    let json = serde_json::to_string(&st).unwrap();
    for key in [
        "flips_per_ns",
        "mean_abs_magnetization",
        "energy_per_cell_mean",
        "effective_sample_size",
        "marginals",
    ] {
        assert!(json.contains(key), "{key}");
    }
}

#[test]
fn lattice_weights_file_sets_couplings_and_rejects_non_neighbours() {
    let dir = std::env::temp_dir().join(format!("pbitsim_chip_w_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 4 x 4 torus: cells 0 and 1 are neighbours (direction (1, 0)), 0 and 5 are not
    std::fs::write(dir.join("w.csv"), "i,j,J\n1,0,-0.5\n").unwrap();
    let text = "[lattice]\nsize = [4, 4]\n[model]\nkind = \"ising\"\nbeta = 0.4\nweights = \"w.csv\"\n";
    std::fs::write(dir.join("c.toml"), text).unwrap();
    let chip = ChipConfig::from_file(&dir.join("c.toml"), &[]).unwrap().build().unwrap();
    let mut found = vec![];
    chip.topology.for_each_edge(|e, i, j| {
        let jv = match &chip.model.couplings {
            pbitsim::chip::Couplings::PerEdge(v) => v[e],
            pbitsim::chip::Couplings::Uniform(u) => *u,
        };
        if jv != 0.0 {
            found.push((i.min(j), i.max(j), jv));
        }
    });
    assert_eq!(found, vec![(0, 1, -0.5)]);
    std::fs::write(dir.join("w.csv"), "0,1,1\n0,5,1\n").unwrap();
    let e = ChipConfig::from_file(&dir.join("c.toml"), &[]).unwrap().build().unwrap_err().to_string();
    assert!(e.contains("w.csv:2") && e.contains("not neighbours"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Nonsense the chip used to accept: a negative mismatch sigma, a graph with no cells.
#[test]
fn negative_mismatch_and_empty_graph_are_refused() {
    let calibration = Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/pbit_calibration.json");
    let text = format!(
        "{BASE}[cells]\nkind = \"pbit\"\ncalibration = {:?}\ntemperature = \"300K\"\nmismatch = \"-2m\"\n",
        calibration.display().to_string()
    );
    let e = run(&parse(&text, &[]).unwrap(), &RunOptions::default(), &mut []).unwrap_err().to_string();
    assert!(e.contains("cells.mismatch") && e.contains(">= 0"), "{e}");

    let dir = std::env::temp_dir().join(format!("pbitsim_chip_empty_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("edges.csv"), "i,j,J\n").unwrap();
    let toml = "[graph]\nedges = \"edges.csv\"\n[model]\nkind = \"ising\"\nbeta = 0.4\n";
    std::fs::write(dir.join("g.toml"), toml).unwrap();
    let e = ChipConfig::from_file(&dir.join("g.toml"), &[]).unwrap().build().unwrap_err().to_string();
    assert!(e.contains("no cells") && e.contains("edges.csv"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Temperature studies (`pbitsim sweep` / `pbitsim report`): an interrupted and resumed
//! sweep, and two merged shards, give files byte-identical to one uninterrupted run; bad
//! study files are refused with the file, line and key; the report is self-contained and
//! has every figure; headless Chromium renders it (skipped when Chromium is absent).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pbitsim")
}

fn circuits() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("circuits")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pbitsim-study-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small study: every stage at three temperatures, in a scratch directory.
fn small_study(dir: &Path) -> PathBuf {
    let c = circuits();
    std::fs::write(
        dir.join("chip.toml"),
        format!(
            r#"
[lattice]
size = [16, 16]
degree = 4
[model]
kind = "ising"
beta = 0.5
coupling = 1.0
[cells]
kind = "pbit"
calibration = "{cal}"
temperature = "300K"
design_temperature = "300K"
mismatch = "2m"
[schedule]
initial = "up"
warmup = 20
sweeps = 100
"#,
            cal = c.join("pbit_calibration.json").display()
        ),
    )
    .unwrap();
    let path = dir.join("study.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[study]
name = "small"
seed = 7
temperatures = ["260K", "300K", "340K"]

[circuit]
netlist = "{net}"

[traces]
set = {{ vin = "0" }}
tstop = "20u"
runs = 2

[calibration]
sweep = "vin=-60m:60m:3"
precision = 0.1
max_time = "40u"
tstop = "4u"

[chip]
description = "chip.toml"
calibration = "{cal}"
compensation = "both"
probe_sweeps = 20
"#,
            net = c.join("pbit.cir").display(),
            cal = c.join("pbit_calibration.json").display()
        ),
    )
    .unwrap();
    path
}

fn sweep(study: &Path, out: &Path, extra: &[&str]) {
    let status = Command::new(bin())
        .args(["sweep", study.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--quiet"])
        .args(extra)
        .status()
        .unwrap();
    assert!(status.success(), "sweep {extra:?} failed");
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("points"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out.push(("results.csv".into(), std::fs::read(dir.join("results.csv")).unwrap()));
    out
}

fn point_count(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("points")).map_or(0, |d| {
        d.filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().starts_with("point_"))).count()
    })
}

#[test]
fn interrupted_resumed_and_sharded_studies_equal_one_run() {
    let root = scratch("resume");
    let study = small_study(&root);
    let whole = root.join("whole");
    sweep(&study, &whole, &[]);
    let reference = files(&whole);
    // 3 trace + 3 calibration + 6 chip points, and the results table.
    assert_eq!(reference.len(), 13);

    // Interrupt with SIGINT (Ctrl-C) once the first point is on disk, then resume.
    let cut = root.join("cut");
    let mut child = Command::new(bin())
        .args([
            "sweep",
            study.to_str().unwrap(),
            "--out-dir",
            cut.to_str().unwrap(),
            "--quiet",
            "--threads",
            "1",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while point_count(&cut) == 0 && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    let kept = point_count(&cut);
    eprintln!("interrupted after {kept} point(s), exit {status:?}");
    assert!((1..12).contains(&kept), "the interruption should leave a partial study ({kept} points)");
    assert!(!cut.join("results.csv").exists());
    let leftovers: Vec<_> = std::fs::read_dir(cut.join("points"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".json"))
        .collect();
    assert!(leftovers.is_empty(), "temporaries left behind: {leftovers:?}");
    // Without --resume the directory is refused; with it the rest runs.
    let refused = Command::new(bin())
        .args(["sweep", study.to_str().unwrap(), "--out-dir", cut.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));
    sweep(&study, &cut, &["--resume", "--threads", "2"]);
    assert_eq!(files(&cut), reference, "resumed study differs from the uninterrupted one");

    // Two shards in their own directories, merged by `report --merge`.
    let (a, b, merged) = (root.join("shard1"), root.join("shard2"), root.join("merged"));
    sweep(&study, &a, &["--shard", "1/2"]);
    sweep(&study, &b, &["--shard", "2/2", "--threads", "1"]);
    assert!(!a.join("results.csv").exists(), "a single shard is not the whole study");
    let status = Command::new(bin())
        .args(["report", merged.to_str().unwrap(), "--quiet", "--merge"])
        .arg(&a)
        .arg("--merge")
        .arg(&b)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(files(&merged), reference, "merged shards differ from the unsharded study");

    // The report: every figure, inline, with nothing fetched from elsewhere.
    let html = std::fs::read_to_string(merged.join("report.html")).unwrap();
    for id in ["traces", "bias_curves", "width_vs_temperature", "arrhenius", "energy", "chip"] {
        assert!(html.contains(&format!("<figure id=\"{id}\"><svg")), "report lacks the {id} figure");
    }
    for external in ["<script", "src=\"http", "href=\"http", "<link", "<img"] {
        assert!(!html.contains(external), "report is not self-contained: {external}");
    }
    assert!(html.contains("name = \"small\""), "report lacks the study file");
    render_in_chromium(&merged.join("report.html"), html.matches("<svg").count());
    let _ = std::fs::remove_dir_all(&root);
}

/// Render the report in headless Chromium and check the figures made it into the DOM.
fn render_in_chromium(report: &Path, figures: usize) {
    let Some(browser) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        eprintln!("SKIPPED: no chromium on PATH (apt install chromium) to render report.html");
        return;
    };
    let url = format!("file://{}", std::fs::canonicalize(report).unwrap().display());
    let out = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{browser} failed: {}", String::from_utf8_lossy(&out.stderr));
    let dom = String::from_utf8_lossy(&out.stdout);
    assert_eq!(dom.matches("<svg").count(), figures, "{browser} did not parse every figure");
    assert!(dom.contains("Points: seeds and run times"));
}

#[test]
fn bad_study_files_name_file_line_and_key() {
    let root = scratch("bad");
    let c = circuits();
    let cases = [
        ("[study]\nname = \"x\"\ntemperatures = [\"300\"]\n[traces]\n", "study.temperatures", 3),
        ("[study]\nname = \"x\"\ntemperatures = [\"300K\"]\ncolour = 1\n", "colour", 4),
        (
            "[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n[circuit]\nnetlist = \"nowhere.cir\"\n[traces]\n",
            "circuit.netlist",
            5,
        ),
        ("[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n", "no stage", 0),
    ];
    // Keys that only the netlist can judge are checked at load time too (before any point
    // runs or the output directory is made), named with their line and without `--set`.
    let netlist = c.join("pbit.cir");
    let head = format!(
        "[study]\nname = \"x\"\ntemperatures = [\"300K\"]\n[circuit]\nnetlist = \"{}\"\n",
        netlist.display()
    );
    let netlist_cases = [
        (format!("{head}[parameters]\nfrob = [\"1\"]\n[traces]\n"), "parameters.frob", 7),
        (format!("{head}[parameters]\nvb = [\"-25m\", \"zz\"]\n[traces]\n"), "parameters.vb: 'zz'", 7),
        (format!("{head}[traces]\nset = {{ nosuch = \"0\" }}\n"), "traces.set.nosuch", 7),
        (format!("{head}[traces]\ntstop = \"-1u\"\n"), "traces.tstop", 7),
        (format!("{head}[calibration]\nsweep = \"nosuch=-1m:1m:3\"\n"), "calibration.sweep", 7),
        (
            format!("{head}[calibration]\nsweep = \"vin=-1m:1m:3\"\nwarmup = \"-2u\"\n"),
            "calibration.warmup",
            8,
        ),
    ];
    let cases: Vec<(String, &str, usize)> = cases
        .iter()
        .map(|(t, e, l)| (t.to_string(), *e, *l))
        .chain(netlist_cases.iter().map(|(t, e, l)| (t.clone(), *e, *l)))
        .collect();
    for (i, (text, expected, line)) in cases.iter().enumerate() {
        let path = root.join(format!("bad{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let out = root.join(format!("out{i}"));
        let run = Command::new(bin())
            .args(["sweep", path.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--quiet"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "case {i} accepted");
        assert!(stderr.contains(expected), "case {i}: {stderr}");
        assert!(!stderr.contains("--set"), "case {i} names a flag nobody typed: {stderr}");
        if *line > 0 {
            assert!(stderr.contains(&format!("bad{i}.toml:{line}")), "case {i} lacks the line: {stderr}");
        }
        assert!(!out.exists(), "case {i} wrote output");
    }
    let run = Command::new(bin())
        .args(["sweep", c.join("demo_study.toml").to_str().unwrap(), "--out-dir", "x", "--shard", "3/2"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("--shard 3/2"));
    let _ = std::fs::remove_dir_all(&root);
}

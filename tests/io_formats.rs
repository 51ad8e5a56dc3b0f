//! Output files: atomic replacement, JSON, CSV and NPY traces, format choice by extension.
//!
//! The NPY files are checked by a small reader written here from the format specification
//! (numpy/doc/neps/nep-0001-npy-format.rst): magic, version 1.0, u16 header length, a Python
//! dict literal with descr / fortran_order / shape, data aligned to 64 bytes. If python3 with
//! numpy is available (or `PBITSIM_PYTHON` names such an interpreter) the files are also
//! loaded with numpy itself.

use pbitsim::io::{
    AtomicFile, CsvWriter, IoError, NpyWriter, TraceFormat, TraceSink, TraceWriter,
    remove_pending_temporaries, write_atomic, write_json_atomic, write_npy,
};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::RwLock;

/// `remove_pending_temporaries` is process-wide: the test that calls it runs alone.
static EXCLUSIVE: RwLock<()> = RwLock::new(());

mod scratch;
use scratch::Scratch;

// ---------------------------------------------------------------- atomic replacement

#[test]
fn commit_replaces_the_target_only_at_commit() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "commit");
    let target = dir.path("result.txt");
    fs::write(&target, "old contents\n").unwrap();
    let mut file = AtomicFile::create(&target).unwrap();
    file.write_all(b"new contents\n").unwrap();
    file.flush().unwrap();
    assert_eq!(fs::read_to_string(&target).unwrap(), "old contents\n");
    assert_eq!(dir.entries().len(), 2, "a temporary sits beside the target");
    file.commit().unwrap();
    assert_eq!(fs::read_to_string(&target).unwrap(), "new contents\n");
    assert_eq!(dir.entries(), vec!["result.txt"]);
}

#[test]
fn dropping_without_commit_leaves_nothing_behind() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "drop");
    let fresh = dir.path("fresh.bin");
    let existing = dir.path("existing.bin");
    fs::write(&existing, "keep me").unwrap();
    for target in [&fresh, &existing] {
        let mut file = AtomicFile::create(target).unwrap();
        file.write_all(&[7u8; 100_000]).unwrap();
        drop(file);
    }
    assert_eq!(dir.entries(), vec!["existing.bin"]);
    assert_eq!(fs::read_to_string(&existing).unwrap(), "keep me");
}

#[test]
fn a_panic_while_writing_leaves_no_file() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "panic");
    let target = dir.path("trace.csv");
    let result = std::panic::catch_unwind(|| {
        let mut out = CsvWriter::create(&target, &["time", "v"]).unwrap();
        for i in 0..1000 {
            out.write_row(&[i as f64, 0.5]).unwrap();
        }
        panic!("simulated failure in the middle of a run");
    });
    assert!(result.is_err());
    assert!(dir.entries().is_empty(), "left behind: {:?}", dir.entries());
}

#[test]
fn pending_temporaries_can_be_removed_on_interrupt() {
    let _alone = EXCLUSIVE.write().unwrap();
    let dir = Scratch::new("io", "interrupt");
    let mut file = AtomicFile::create(dir.path("big.npy")).unwrap();
    file.write_all(b"partial").unwrap();
    assert_eq!(dir.entries().len(), 1);
    assert!(remove_pending_temporaries() >= 1);
    assert!(dir.entries().is_empty());
    // The interrupted writer cannot then put anything under the final name.
    assert!(file.commit().is_err());
    assert!(dir.entries().is_empty());
}

#[test]
fn os_errors_name_the_file_and_the_cause() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "oserror");
    // A missing directory is named as such (outputs never create directories).
    let target = dir.path("no-such-dir").join("out.json");
    let err = write_atomic(&target, b"{}").unwrap_err();
    match &err {
        IoError::NoDirectory { path, dir: missing } => {
            assert_eq!(path, &target);
            assert_eq!(missing, &dir.path("no-such-dir"));
        }
        other => panic!("unexpected error {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&target.display().to_string()) && message.contains("does not exist"),
        "{message}"
    );
    // Any other OS error keeps the OS's own words: here a "directory" that is a file.
    std::fs::write(dir.path("plain"), b"x").unwrap();
    let target = dir.path("plain").join("out.json");
    let err = write_atomic(&target, b"{}").unwrap_err();
    match &err {
        IoError::Os { path, .. } => assert_eq!(path, &target),
        other => panic!("unexpected error {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&target.display().to_string()), "{message}");
    assert!(message.to_lowercase().contains("not a directory"), "{message}");
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_is_pretty_newline_terminated_and_round_trips() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "json");
    let target = dir.path("summary.json");
    let mut value = BTreeMap::new();
    value.insert("mean".to_string(), vec![0.1, 1.0 / 3.0]);
    value.insert("temperatures_k".to_string(), vec![250.0, 300.0]);
    write_json_atomic(&target, &value).unwrap();
    let text = fs::read_to_string(&target).unwrap();
    assert!(text.ends_with("}\n"), "{text:?}");
    assert!(text.contains("\n  \"mean\": ["), "not pretty-printed: {text}");
    let back: BTreeMap<String, Vec<f64>> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, value);
    assert_eq!(dir.entries(), vec!["summary.json"]);
}

#[test]
fn unserialisable_json_writes_nothing() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "badjson");
    let target = dir.path("bad.json");
    // JSON object keys must be strings.
    let value: HashMap<(u8, u8), f64> = [((1, 2), 3.0)].into_iter().collect();
    let err = write_json_atomic(&target, &value).unwrap_err();
    assert!(matches!(err, IoError::Json { .. }));
    assert!(err.to_string().contains("bad.json"), "{err}");
    assert!(dir.entries().is_empty());
}

// ---------------------------------------------------------------- CSV

/// Parse a CSV written by `CsvWriter` (no quoted fields in data rows).
fn read_csv(path: &Path) -> (String, Vec<Vec<f64>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows = lines.map(|l| l.split(',').map(|v| v.parse::<f64>().unwrap()).collect()).collect();
    (header, rows)
}

#[test]
fn csv_has_a_header_and_round_trips_awkward_values() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "csv");
    let target = dir.path("trace.csv");
    let awkward = [
        0.1,
        1.0 / 3.0,
        -0.0,
        1e-300,
        5e-324,
        f64::MAX,
        -2.5e-9,
        123456789.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut out = CsvWriter::create(&target, &["time", "V(out),diff", "say \"x\""]).unwrap();
    for chunk in awkward.chunks(2) {
        out.write_row(&[chunk[0], chunk[1], f64::NAN]).unwrap();
    }
    assert_eq!(out.rows(), 5);
    out.finish().unwrap();
    let (header, rows) = read_csv(&target);
    assert_eq!(header, "time,\"V(out),diff\",\"say \"\"x\"\"\"");
    let mut read = Vec::new();
    for row in &rows {
        assert_eq!(row.len(), 3);
        assert!(row[2].is_nan());
        read.extend_from_slice(&row[..2]);
    }
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&read), bits(&awkward));
    let text = fs::read_to_string(&target).unwrap();
    assert!(text.contains("1e-300"), "small values use exponents: {text}");
}

#[test]
fn csv_rejects_rows_of_the_wrong_length_and_empty_headers() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "csvlen");
    let target = dir.path("t.csv");
    let mut out = CsvWriter::create(&target, &["a", "b"]).unwrap();
    out.write_row(&[1.0, 2.0]).unwrap();
    let err = out.write_row(&[1.0]).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("t.csv") && message.contains("row 1"), "{message}");
    assert!(message.contains("1 values") && message.contains("2 columns"), "{message}");
    let none: [&str; 0] = [];
    assert!(matches!(CsvWriter::create(dir.path("e.csv"), &none), Err(IoError::NoColumns { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x05ee_dc5f),
        ..ProptestConfig::default()
    })]

    /// Any finite or infinite f64 survives CSV text exactly.
    #[test]
    fn csv_round_trips_any_f64(bits in proptest::collection::vec(any::<u64>(), 1..40)) {
        let _shared = EXCLUSIVE.read().unwrap();
        let values: Vec<f64> = bits.iter().map(|b| f64::from_bits(*b)).filter(|v| !v.is_nan()).collect();
        prop_assume!(!values.is_empty());
        let dir = Scratch::new("io", "csvprop");
        let target = dir.path("p.csv");
        let mut out = CsvWriter::create(&target, &["x"]).unwrap();
        for v in &values {
            out.write_row(&[*v]).unwrap();
        }
        out.finish().unwrap();
        let (_, rows) = read_csv(&target);
        let back: Vec<u64> = rows.iter().map(|r| r[0].to_bits()).collect();
        let sent: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
        prop_assert_eq!(back, sent);
    }
}

// ---------------------------------------------------------------- NPY

/// An array read back by the independent reader below.
#[derive(Debug, PartialEq)]
struct Npy {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
    data: Vec<u8>,
}

/// Read an .npy v1.0 file from the specification (see the module comment).
fn read_npy(path: &Path) -> Npy {
    let bytes = fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "magic");
    assert_eq!((bytes[6], bytes[7]), (1, 0), "version 1.0");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let data_start = 10 + header_len;
    assert_eq!(data_start % 64, 0, "data must start 64-byte aligned");
    let header = std::str::from_utf8(&bytes[10..data_start]).unwrap();
    assert!(header.ends_with('\n') && header.is_ascii());
    let dict = header.trim_end();
    assert!(dict.starts_with('{') && dict.ends_with('}'), "{dict}");
    let field = |key: &str| -> &str {
        let at = dict.find(&format!("'{key}': ")).unwrap_or_else(|| panic!("no {key} in {dict}"));
        &dict[at + key.len() + 4..]
    };
    let descr = field("descr");
    let descr = descr[1..descr[1..].find('\'').unwrap() + 1].to_string();
    let fortran = field("fortran_order");
    let fortran_order = if fortran.starts_with("False") {
        false
    } else {
        assert!(fortran.starts_with("True"), "{fortran}");
        true
    };
    let shape = field("shape");
    let shape = &shape[1..shape.find(')').unwrap()];
    let shape: Vec<usize> =
        shape.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    Npy { descr, fortran_order, shape, data: bytes[data_start..].to_vec() }
}

fn f64s(bytes: &[u8]) -> Vec<f64> {
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn streamed_npy_f64_patches_the_row_count() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "npy64");
    let target = dir.path("trace.npy");
    let mut out = NpyWriter::<f64>::create(&target, 3).unwrap();
    let mut expected = Vec::new();
    for i in 0..1234 {
        let row = [i as f64 * 1e-9, (i as f64).sin(), -1.0 / (i as f64 + 1.0)];
        out.write_row(&row).unwrap();
        expected.extend_from_slice(&row);
    }
    out.finish().unwrap();
    let npy = read_npy(&target);
    assert_eq!(npy.descr, "<f8");
    assert!(!npy.fortran_order);
    assert_eq!(npy.shape, vec![1234, 3]);
    assert_eq!(f64s(&npy.data), expected);
    assert_eq!(dir.entries(), vec!["trace.npy"]);
}

#[test]
fn streamed_npy_f32_and_u8() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "npy32");
    let floats = dir.path("f.npy");
    let mut out = NpyWriter::<f32>::create(&floats, 2).unwrap();
    out.write_row(&[1.5, -0.1]).unwrap();
    out.write_row(&[f32::MAX, f32::MIN_POSITIVE]).unwrap();
    out.finish().unwrap();
    let npy = read_npy(&floats);
    assert_eq!((npy.descr.as_str(), npy.shape.as_slice()), ("<f4", &[2, 2][..]));
    assert_eq!(f32s(&npy.data), vec![1.5, -0.1, f32::MAX, f32::MIN_POSITIVE]);

    let spins = dir.path("spins.npy");
    let mut out = NpyWriter::<u8>::create(&spins, 5).unwrap();
    out.write_row(&[0, 1, 1, 0, 255]).unwrap();
    out.finish().unwrap();
    let npy = read_npy(&spins);
    assert_eq!((npy.descr.as_str(), npy.shape.as_slice()), ("|u1", &[1, 5][..]));
    assert_eq!(npy.data, vec![0, 1, 1, 0, 255]);
}

#[test]
fn empty_npy_has_zero_rows_and_bad_rows_are_refused() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "npy0");
    let target = dir.path("empty.npy");
    let mut out = NpyWriter::<f64>::create(&target, 4).unwrap();
    let err = out.write_row(&[1.0, 2.0]).unwrap_err();
    assert!(err.to_string().contains("empty.npy"), "{err}");
    out.finish().unwrap();
    let npy = read_npy(&target);
    assert_eq!(npy.shape, vec![0, 4]);
    assert!(npy.data.is_empty());
    assert!(matches!(NpyWriter::<u8>::create(dir.path("z.npy"), 0), Err(IoError::NoColumns { .. })));
}

#[test]
fn whole_array_npy_of_any_shape() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "npyall");
    let data: Vec<f64> = (0..24).map(|i| i as f64 / 7.0).collect();
    for shape in [vec![24], vec![4, 6], vec![2, 3, 4]] {
        let target = dir.path(&format!("a{}.npy", shape.len()));
        write_npy(&target, &shape, &data).unwrap();
        let npy = read_npy(&target);
        assert_eq!(npy.shape, shape);
        assert_eq!(f64s(&npy.data), data);
    }
    let header = fs::read(dir.path("a1.npy")).unwrap();
    assert!(String::from_utf8_lossy(&header).contains("'shape': (24,)"), "1-D shape needs a trailing comma");
    write_npy(dir.path("scalar.npy"), &[], &[2.5f64]).unwrap();
    assert_eq!(read_npy(&dir.path("scalar.npy")).shape, Vec::<usize>::new());
    let err = write_npy(dir.path("bad.npy"), &[5, 5], &data).unwrap_err();
    assert!(err.to_string().contains("bad.npy") && err.to_string().contains("25"), "{err}");
    assert!(!dir.path("bad.npy").exists());
    let err = write_npy(dir.path("deep.npy"), &[1; 33], &[0u8]).unwrap_err();
    assert!(matches!(err, IoError::Dimensions { dims: 33, .. }), "{err}");
}

/// The interpreter to try numpy with: `PBITSIM_PYTHON`, else `python3`.
fn python_with_numpy() -> Option<String> {
    let python = std::env::var("PBITSIM_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    ok.then_some(python)
}

#[test]
fn numpy_loads_what_we_write() {
    let _shared = EXCLUSIVE.read().unwrap();
    let Some(python) = python_with_numpy() else {
        println!("SKIPPED numpy_loads_what_we_write: python3 with numpy is not available");
        return;
    };
    let dir = Scratch::new("io", "numpy");
    let mut out = NpyWriter::<f64>::create(dir.path("s.npy"), 2).unwrap();
    for i in 0..100 {
        out.write_row(&[i as f64 * 0.1, 1.0 / (i as f64 + 3.0)]).unwrap();
    }
    out.finish().unwrap();
    let mut out = NpyWriter::<u8>::create(dir.path("u.npy"), 3).unwrap();
    out.write_row(&[1, 0, 1]).unwrap();
    out.finish().unwrap();
    write_npy(dir.path("f.npy"), &[2, 2], &[1.0f32, 2.0, 3.0, 4.5]).unwrap();
    write_npy(dir.path("v.npy"), &[3], &[1u8, 2, 3]).unwrap();
    let mut out = TraceWriter::create(dir.path("named.npy"), &["time_s", "v(x1.a)"]).unwrap();
    for i in 0..4 {
        out.write_row(&[i as f64, -(i as f64)]).unwrap();
    }
    out.finish().unwrap();
    // The script recomputes the expected values independently and compares exactly.
    let script = r#"
import numpy as np, sys
d = sys.argv[1]
s = np.load(d + "/s.npy")
assert s.dtype == np.float64 and s.shape == (100, 2), (s.dtype, s.shape)
i = np.arange(100, dtype=np.float64)
assert (s[:, 0] == i * 0.1).all() and (s[:, 1] == 1.0 / (i + 3.0)).all()
u = np.load(d + "/u.npy")
assert u.dtype == np.uint8 and u.tolist() == [[1, 0, 1]]
f = np.load(d + "/f.npy")
assert f.dtype == np.float32 and f.tolist() == [[1.0, 2.0], [3.0, 4.5]]
v = np.load(d + "/v.npy")
assert v.shape == (3,) and v.tolist() == [1, 2, 3]
n = np.load(d + "/named.npy")
assert n.dtype.names == ("time_s", "v(x1.a)") and n.shape == (4,), (n.dtype, n.shape)
assert n["time_s"].tolist() == [0.0, 1.0, 2.0, 3.0] and n["v(x1.a)"].tolist() == [0.0, -1.0, -2.0, -3.0]
print("numpy ok")
"#;
    let output = std::process::Command::new(&python).arg("-c").arg(script).arg(&dir.0).output().unwrap();
    assert!(
        output.status.success(),
        "numpy rejected our files:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "numpy ok");
}

// ---------------------------------------------------------------- format by extension

/// Generic over the sink, as an observer would be.
fn stream_ramp(sink: &mut impl TraceSink, rows: usize) {
    for i in 0..rows {
        sink.write_row(&[i as f64, 2.0 * i as f64]).unwrap();
    }
}

#[test]
fn trace_format_follows_the_extension() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "trace");
    for name in ["t.csv", "t.npy", "UPPER.CSV"] {
        let target = dir.path(name);
        let mut out = TraceWriter::create(&target, &["time", "x"]).unwrap();
        stream_ramp(&mut out, 10);
        assert_eq!(out.rows(), 10);
        out.finish().unwrap();
    }
    let (header, rows) = read_csv(&dir.path("t.csv"));
    assert_eq!(header, "time,x");
    assert_eq!(rows[9], vec![9.0, 18.0]);
    // The NPY trace names its columns: a structured array of records (NEP 1: a descr that is
    // a list of (name, type) pairs, shape (rows,)), with the same bytes as the plain table.
    let npy = read_npy(&dir.path("t.npy"));
    assert_eq!(npy.shape, vec![10]);
    assert_eq!(f64s(&npy.data)[19], 18.0);
    let text = fs::read(dir.path("t.npy")).unwrap();
    let header = String::from_utf8_lossy(&text[..128]);
    assert!(header.contains("'descr': [('time', '<f8'), ('x', '<f8')]"), "{header}");
    assert_eq!(TraceFormat::from_path("UPPER.CSV").unwrap(), TraceFormat::Csv);
    assert_eq!(dir.entries(), vec!["UPPER.CSV", "t.csv", "t.npy"]);
}

#[test]
fn unknown_trace_extensions_are_refused_by_name() {
    let _shared = EXCLUSIVE.read().unwrap();
    let dir = Scratch::new("io", "traceext");
    for name in ["trace.txt", "trace", "trace.npz"] {
        let target = dir.path(name);
        let err = TraceWriter::create(&target, &["a"]).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(&target.display().to_string()), "{message}");
        assert!(message.contains(".csv or .npy"), "{message}");
    }
    assert!(dir.entries().is_empty());
}

//! What a user sees from the binary beyond the simulations: error messages that stay
//! readable whatever the input, shell completions and man pages.

mod scratch;

use std::process::{Command, Output};

use scratch::Scratch;

fn pbitsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pbitsim")).args(args).output().expect("run pbitsim")
}

/// A 10 MB token in a netlist is named by file and line but not echoed whole.
#[test]
fn an_overlong_token_is_shortened_in_the_message() {
    let dir = Scratch::new("messages", "overlong");
    let netlist = dir.path("huge.cir");
    let garbage = "7".repeat(10 * 1024 * 1024);
    std::fs::write(&netlist, format!("* title\nC1 a 0 {garbage}x\n")).unwrap();
    let trace = dir.path("trace.csv");
    let out = pbitsim(&["simulate", netlist.to_str().unwrap(), "--out", trace.to_str().unwrap(), "--quiet"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.len() < 2000, "message of {} bytes", stderr.len());
    assert!(stderr.contains("huge.cir:2"), "{stderr}");
    assert!(stderr.contains("characters]"), "{stderr}");
    assert!(!trace.exists());
    // A huge command-line value gets the same treatment from the argument parser.
    let value = "9".repeat(100_000); // one argument is at most 128 KiB on Linux
    let out = pbitsim(&["simulate", netlist.to_str().unwrap(), "--temp", &value]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.len() < 2000, "message of {} bytes", stderr.len());
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = pbitsim(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("simulate") && script.contains("calibrate"), "{shell}");
    }
    let out = pbitsim(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tcsh"));
}

#[test]
fn man_pages_are_written_together_or_not_at_all() {
    let dir = Scratch::new("messages", "man");
    let out = pbitsim(&["man", "--out-dir", dir.0.to_str().unwrap(), "--quiet"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(dir.path("pbitsim-simulate.1")).unwrap();
    assert!(page.contains(".TH") && page.contains("tstop"), "{page}");
    assert!(dir.path("pbitsim.1").exists());
    let missing = dir.path("no/such/dir");
    let out = pbitsim(&["man", "--out-dir", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/dir"));
}

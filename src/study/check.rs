//! A study checked before it runs: every key that reaches the netlist or the chip
//! description is tried there when the study file is loaded, so that a study that cannot
//! run stops before its output directory is made, with the study file, the line and the
//! key at fault (not at point 0, after minutes, naming a `--set` flag nobody typed). Traces
//! points are also prepared (operating point and step plan) as they will run.

use std::collections::BTreeSet;

use super::point::{PointKey, as_study_keys, chip_settings, overrides, points, traces_config};
use super::{Stage, Study, StudyError};
use crate::chip::ChipConfig;
use crate::circuit::elaborate::{Variation, elaborate};
use crate::circuit::temperature::parse_at;

/// Check every key alone (so that the message can name it), then every point's netlist and
/// chip settings together, at each of the study's temperatures.
pub fn check(study: &Study) -> Result<(), StudyError> {
    let fail = |key: &str, message: String| {
        let line = study.key_lines.get(key).copied().unwrap_or(0);
        StudyError::config(&study.source, line, format!("{key}: {message}"))
    };
    let first_t = study.temperatures[0];
    if let Some(circuit) = &study.circuit {
        let single =
            |name: &str, value: &str| netlist_accepts(study, &[(name.into(), value.into())], first_t);
        for (name, value) in &circuit.set {
            single(name, value).map_err(|e| fail(&format!("circuit.set.{name}"), e))?;
        }
        for (name, values) in &study.parameters {
            for value in values {
                single(name, value)
                    .map_err(|e| fail(&format!("parameters.{name}"), format!("'{value}': {e}")))?;
            }
        }
        if let Some(traces) = &study.traces {
            for (name, value) in &traces.set {
                single(name, value).map_err(|e| fail(&format!("traces.set.{name}"), e))?;
            }
        }
        if let Some(calibration) = &study.calibration {
            for axis in &calibration.sweeps {
                for v in [axis.start, axis.stop] {
                    single(&axis.name, &format!("{v:e}"))
                        .map_err(|e| fail("calibration.sweep", format!("'{}': {e}", axis.name)))?;
                }
            }
        }
    }
    // Every point as it will run (distinct settings only: points differ mostly by seed).
    let mut seen = BTreeSet::new();
    for key in points(study) {
        let what = format!("point {} ({} at {} K)", key.index, key.stage.name(), key.temperature_k);
        match key.stage {
            Stage::Traces | Stage::Calibration => {
                let mut set = overrides(study, &key, traces_set(study, &key));
                if let Some(axis) = calibration_axis(study, &key) {
                    set.push((axis.0, axis.1));
                }
                if seen.insert(format!("{:?}{set:?}", key.temperature_k)) {
                    netlist_accepts(study, &set, key.temperature_k).map_err(|e| fail(&what, e))?;
                    // A traces point is prepared as it will run (operating point, step, step
                    // count): a supply with no operating point or a tstop of years stops here.
                    if key.stage == Stage::Traces {
                        let config = traces_config(study, &key).map_err(|e| fail(&what, e.to_string()))?;
                        crate::simulate::prepare(&config)
                            .map_err(|e| fail(&what, as_study_keys(&e.to_string(), "traces")))?;
                    }
                }
            }
            Stage::Chip => {
                let stage = study.chip.as_ref().expect("a chip point has a chip stage");
                let settings = chip_settings(study, &key);
                if seen.insert(format!("{settings:?}")) {
                    ChipConfig::from_file(&stage.description, &settings)
                        .map_err(|e| fail("chip", without_flag(&e.to_string())))?;
                }
            }
        }
    }
    Ok(())
}

/// The traces stage's own overrides at a traces point.
fn traces_set<'a>(study: &'a Study, key: &PointKey) -> &'a [(String, String)] {
    match (&study.traces, key.stage) {
        (Some(t), Stage::Traces) => &t.set,
        _ => &[],
    }
}

/// The control of a calibration point at the start of its sweep.
fn calibration_axis(study: &Study, key: &PointKey) -> Option<(String, String)> {
    let stage = study.calibration.as_ref().filter(|_| key.stage == Stage::Calibration)?;
    let label = key.parameters.get("control_range");
    let axis = stage.sweeps.iter().find(|a| label.is_none_or(|l| &super::point::sweep_label(a) == l))?;
    Some((axis.name.clone(), format!("{:e}", axis.start)))
}

/// Parse and elaborate the study's netlist with `set` at `temperature`; the error as text.
fn netlist_accepts(study: &Study, set: &[(String, String)], temperature: f64) -> Result<(), String> {
    let circuit = study.circuit.as_ref().expect("netlist checks need a circuit");
    let netlist =
        parse_at(&circuit.netlist, set, Some(temperature)).map_err(|e| without_flag(&e.to_string()))?;
    elaborate(&netlist, Some(temperature), &Variation::default())
        .map_err(|e| without_flag(&e.to_string()))?;
    Ok(())
}

/// The library's override messages name the `--set` flag; in a study the key is named instead.
fn without_flag(message: &str) -> String {
    message.replace("--set ", "")
}

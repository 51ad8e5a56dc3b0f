//! Files a simulation writes: the trace (CSV or NPY by extension), a plot of the first run
//! (SVG or PNG by extension), and the summary JSON. Each is written atomically.

use std::path::Path;

use super::{Outcome, SimulateError, Summary};
use crate::circuit::OutputKind;
use crate::io::{TraceSink, TraceWriter, write_json_atomic};
use crate::report::plot::{Axis, Figure, Panel, Series, render};

/// Column names of the trace: run, time, free-node voltages, readouts, supply energy.
pub fn trace_columns(outcome: &Outcome) -> Vec<String> {
    let c = &outcome.prepared.circuit;
    let mut columns = vec!["run".to_string(), "time_s".to_string()];
    columns.extend(c.free_names.iter().map(|n| format!("v({n})")));
    columns.extend(c.outputs.iter().map(|o| o.name.clone()));
    columns.push("supply_energy_j".to_string());
    columns
}

/// Write every run's decimated trace, run after run.
pub fn write_trace(outcome: &Outcome, path: &Path) -> Result<(), SimulateError> {
    let fail = |e: crate::io::IoError| SimulateError::Output(e.to_string());
    let mut writer = TraceWriter::create(path, &trace_columns(outcome)).map_err(fail)?;
    let mut row = Vec::new();
    for (run, record) in outcome.records.iter().enumerate() {
        for chunk in record.rows.chunks_exact(record.row_len) {
            row.clear();
            row.push(run as f64);
            row.extend_from_slice(chunk);
            writer.write_row(&row).map_err(fail)?;
        }
    }
    writer.finish().map_err(fail)?;
    Ok(())
}

/// Plot the first run: node voltages above, readouts below, against time.
pub fn write_plot(outcome: &Outcome, path: &Path) -> Result<(), SimulateError> {
    let c = &outcome.prepared.circuit;
    let record = &outcome.records[0];
    let rows: Vec<&[f64]> = record.rows.chunks_exact(record.row_len).collect();
    // At most about 4000 points per series keeps files small and lines readable.
    let stride = rows.len().div_ceil(4000).max(1);
    let picked: Vec<&[f64]> = rows.iter().step_by(stride).copied().collect();
    let time: Vec<f64> = picked.iter().map(|r| r[0]).collect();
    let n = c.free_count();
    let mut voltages = Panel::new("node voltages", Axis::si("time", "s"), Axis::si("voltage", "V"));
    for (i, name) in c.free_names.iter().enumerate().take(8) {
        voltages = voltages.series(Series::line(
            format!("V({name})"),
            time.clone(),
            picked.iter().map(|r| r[1 + i]).collect(),
        ));
    }
    let mut figure = Figure::new(format!("{} at {:.2} K", c.title, c.temperature)).share_x().panel(voltages);
    for (k, o) in c.outputs.iter().enumerate() {
        let values: Vec<f64> = picked.iter().map(|r| r[1 + n + k]).collect();
        let panel = match &o.kind {
            OutputKind::Bit { .. } => {
                Panel::new(format!("readout {}", o.name), Axis::si("time", "s"), Axis::new("bit"))
                    .series(Series::step(o.name.clone(), time.clone(), values))
            }
            OutputKind::Category { .. } => {
                Panel::new(format!("readout {}", o.name), Axis::si("time", "s"), Axis::new("category"))
                    .series(Series::step(o.name.clone(), time.clone(), values))
            }
            OutputKind::Analog { .. } => Panel::new(
                format!("readout {}", o.name),
                Axis::si("time", "s"),
                Axis::si(o.name.clone(), "V"),
            )
            .series(Series::line(o.name.clone(), time.clone(), values)),
        };
        figure = figure.panel(panel);
    }
    let height = 300 + 220 * (1 + c.outputs.len().min(3)) as u32;
    render(&figure.size(1100, height), path).map_err(|e| SimulateError::Output(e.to_string()))
}

/// Write the summary JSON.
pub fn write_summary(summary: &Summary, path: &Path) -> Result<(), SimulateError> {
    write_json_atomic(path, summary).map_err(|e| SimulateError::Output(e.to_string()))
}

//! The temperature parameter: a netlist that defines `.param temp_k=...` has it set to the
//! temperature it is simulated at (`--temp`, a calibration temperature, else its `.temp`,
//! else 27 C), in kelvin, before its other parameters are evaluated. Sources can then track
//! temperature as an on-chip reference would: a PTAT rail is `{k * temp_k}`, a bias that
//! follows a threshold drift `{vt0 - tcv * (temp_k - 300.15)}`. An explicit `--set temp_k=...`
//! wins (the parameter is then an ordinary one).

use std::path::Path;

use super::elaborate::DEFAULT_TEMPERATURE;
use super::netlist::{Netlist, NetlistError};

/// The name of the temperature parameter.
pub const TEMPERATURE_PARAM: &str = "temp_k";

/// Parse `path` with `overrides`, then, if it defines [`TEMPERATURE_PARAM`] and no override
/// sets it, parse it again with that parameter at `temperature` (K; else the netlist's
/// `.temp`, else 27 C).
pub fn parse_at(
    path: &Path,
    overrides: &[(String, String)],
    temperature: Option<f64>,
) -> Result<Netlist, NetlistError> {
    let netlist = Netlist::parse_file(path, overrides)?;
    let overridden = overrides.iter().any(|(k, _)| k.trim().eq_ignore_ascii_case(TEMPERATURE_PARAM));
    if overridden || !netlist.params.contains_key(TEMPERATURE_PARAM) {
        return Ok(netlist);
    }
    let t = temperature.or(netlist.temperature_k).unwrap_or(DEFAULT_TEMPERATURE);
    let mut with_t = overrides.to_vec();
    with_t.push((TEMPERATURE_PARAM.to_string(), format!("{t:e}")));
    Netlist::parse_file(path, &with_t)
}

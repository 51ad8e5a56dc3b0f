//! The circuits of a calibration grid without elaborating the netlist once per point.
//!
//! The netlist file is read once. Each temperature is elaborated once (model cards loaded,
//! devices resolved); each grid point then only evaluates its parameters against the text held
//! in memory. When a point's controls change nothing but voltage-source values (the usual case:
//! the controls are bias voltages), the temperature's elaborated description is reused with
//! those values replaced and only the node-level circuit is rebuilt; otherwise (a control that
//! sets a width, a capacitance, an `.ic`) the point is elaborated in full.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::circuit::elaborate::elaborate;
use crate::circuit::netlist::{ElementKind, Netlist};
use crate::circuit::{Circuit, Spec, SpecKind};
use crate::simulate::SimulateError;

/// One netlist, read once, and its elaboration at each temperature.
pub struct Variants {
    path: PathBuf,
    text: String,
    overrides: Vec<(String, String)>,
    /// The netlist at the base overrides (no control set).
    pub base: Netlist,
    /// `(temperature, elaborated base netlist)`.
    specs: Vec<(f64, Spec)>,
}

/// The netlist with every voltage-source value zeroed: two netlists equal under this differ at
/// most in their source values and parameters.
fn without_source_values(netlist: &Netlist) -> Netlist {
    let mut n = netlist.clone();
    for e in &mut n.elements {
        if let ElementKind::VoltageSource { volts, .. } = &mut e.kind {
            *volts = 0.0;
        }
    }
    n.params = BTreeMap::new();
    n
}

impl Variants {
    /// Read `path` and elaborate it at each of `temperatures`.
    pub fn new(
        path: &Path,
        overrides: &[(String, String)],
        temperatures: &[f64],
    ) -> Result<Self, SimulateError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimulateError::Config(format!("{}: cannot read: {e}", path.display())))?;
        let base = Netlist::parse_str(&text, path, overrides)?;
        let specs = temperatures
            .iter()
            .map(|&t| Ok((t, elaborate(&base, Some(t), &Default::default())?)))
            .collect::<Result<_, SimulateError>>()?;
        Ok(Variants { path: path.to_path_buf(), text, overrides: overrides.to_vec(), base, specs })
    }

    /// The elaborated base netlist at the first temperature.
    pub fn first_spec(&self) -> &Spec {
        &self.specs[0].1
    }

    /// The circuit at `controls` (parameter values) and temperature index `ti`, and the netlist
    /// those parameters give.
    pub fn circuit(
        &self,
        ti: usize,
        controls: &BTreeMap<String, f64>,
    ) -> Result<(Circuit, Netlist), SimulateError> {
        let mut overrides = self.overrides.clone();
        overrides.extend(controls.iter().map(|(k, v)| (k.clone(), format!("{v:e}"))));
        let netlist = Netlist::parse_str(&self.text, &self.path, &overrides)?;
        let (t, spec) = &self.specs[ti];
        let spec = if without_source_values(&netlist) == without_source_values(&self.base) {
            let volts: BTreeMap<&str, f64> = netlist
                .elements
                .iter()
                .filter_map(|e| match e.kind {
                    ElementKind::VoltageSource { volts, .. } => Some((e.name.as_str(), volts)),
                    _ => None,
                })
                .collect();
            let mut spec = spec.clone();
            for e in &mut spec.elements {
                if let (SpecKind::VoltageSource { volts: v, .. }, Some(&new)) =
                    (&mut e.kind, volts.get(e.name.as_str()))
                {
                    *v = new;
                }
            }
            spec
        } else {
            elaborate(&netlist, Some(*t), &Default::default())?
        };
        Ok((Circuit::build(&spec)?, netlist))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A point's circuit built from the temperature's elaboration with re-valued sources is the
    /// circuit a full parse and elaboration of that point gives.
    #[test]
    fn revalued_sources_give_the_fully_elaborated_circuit() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/pbit.cir");
        let variants = Variants::new(&path, &[], &[250.0, 350.0]).unwrap();
        for (ti, t) in [(0, 250.0), (1, 350.0)] {
            for vin in [-0.1, 0.037] {
                let controls = BTreeMap::from([("vin".to_string(), vin)]);
                let (circuit, _) = variants.circuit(ti, &controls).unwrap();
                let netlist = Netlist::parse_file(&path, &[("vin".to_string(), format!("{vin:e}"))]).unwrap();
                let full =
                    Circuit::build(&elaborate(&netlist, Some(t), &Default::default()).unwrap()).unwrap();
                assert_eq!(format!("{circuit:?}"), format!("{full:?}"));
                assert!(circuit.fixed_voltages.iter().any(|v| (v - (-0.025 + vin / 2.0)).abs() < 1e-15));
            }
        }
    }
}

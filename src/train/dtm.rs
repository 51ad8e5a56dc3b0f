//! placeholder
use super::TrainError;
use super::config::TrainFile;
use super::run::RunOptions;
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct DtmSection {}
impl DtmSection {
    pub fn validate(&self, _f: &TrainFile) -> Result<(), TrainError> {
        Ok(())
    }
}
pub struct DtmOutcome {
    pub accuracy: f64,
    pub real_accuracy: f64,
}
pub fn run(
    _f: &TrainFile,
    _d: &std::path::Path,
    _o: &RunOptions,
    _l: &(dyn Fn(&str) + Sync),
) -> Result<DtmOutcome, TrainError> {
    Err(TrainError::Unsupported("todo".into()))
}

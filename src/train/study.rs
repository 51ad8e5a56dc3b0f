//! placeholder
use super::TrainError;
use super::config::TrainFile;
use super::run::RunOptions;
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct StudySection {}
impl StudySection {
    pub fn validate(&self, _f: &TrainFile) -> Result<(), TrainError> {
        Ok(())
    }
}
pub struct StudyOutcome {
    pub trainings: usize,
}
pub fn run(
    _f: &TrainFile,
    _d: &std::path::Path,
    _o: &RunOptions,
    _l: &(dyn Fn(&str) + Sync),
) -> Result<StudyOutcome, TrainError> {
    Err(TrainError::Unsupported("todo".into()))
}

//! A command's outputs replaced together, or not at all.
//!
//! A command that writes several files (a trace, a plot, a summary) must not replace the
//! first and then fail on the second: the user would lose the old trace and get no new
//! result. [`Staging`] reserves, before any work starts, a hidden temporary beside every
//! target (which also proves each target's directory exists and is writable). The writers
//! then write to the staged paths, each atomically as usual, and [`Staging::commit`] renames
//! every staged file onto its target only when the whole command has succeeded. Dropped
//! uncommitted (an error, a panic) it removes what it staged; the temporaries are also
//! registered for removal by the Ctrl-C handler.

use super::{AtomicPath, IoError};
use std::path::{Path, PathBuf};

/// Staged outputs of one command.
#[derive(Debug, Default)]
pub struct Staging {
    staged: Vec<AtomicPath>,
}

impl Staging {
    /// Reserve a staged file for `target` and return the path to write it to. The staged
    /// name keeps the target's extension, so writers that choose a format by extension
    /// (plots, traces) still do.
    pub fn stage(&mut self, target: impl AsRef<Path>) -> Result<PathBuf, IoError> {
        let path = AtomicPath::new(target)?;
        let temp = path.temp_path().to_path_buf();
        self.staged.push(path);
        Ok(temp)
    }

    /// Stage `target` if there is one (an optional output flag).
    pub fn stage_optional(&mut self, target: Option<&PathBuf>) -> Result<Option<PathBuf>, IoError> {
        target.map(|t| self.stage(t)).transpose()
    }

    /// Rename every staged file onto its target.
    pub fn commit(self) -> Result<(), IoError> {
        for path in self.staged {
            path.commit()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_replaced_unless_everything_succeeds() {
        let dir = std::env::temp_dir().join(format!("pbitsim_staging_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.txt"), dir.join("b.svg"));
        std::fs::write(&a, "old").unwrap();
        {
            let mut staging = Staging::default();
            let sa = staging.stage(&a).unwrap();
            assert!(sa.to_string_lossy().ends_with(".txt"));
            std::fs::write(&sa, "new").unwrap();
            assert!(staging.stage(dir.join("missing/b.svg")).is_err());
        } // dropped: the command failed
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "staged files left behind");
        let mut staging = Staging::default();
        let (sa, sb) = (staging.stage(&a).unwrap(), staging.stage(&b).unwrap());
        std::fs::write(&sa, "new").unwrap();
        std::fs::write(&sb, "<svg/>").unwrap();
        staging.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "<svg/>");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

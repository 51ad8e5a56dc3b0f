//! Atomic file replacement: write beside the target, rename on commit, clean up otherwise.
//!
//! [`AtomicPath`] reserves a uniquely named temporary file in the target's directory (so the
//! final rename never crosses a file system). [`AtomicFile`] is a buffered, seekable writer on
//! such a reservation. Either one renames onto the target only in `commit`; dropped without
//! a commit (an error, a panic unwinding) it deletes its temporary.
//!
//! A process killed by a signal runs no destructors. Temporaries are hidden files named
//! `.NAME.tmp-PID-N[.EXT]`, so they never appear under the final name; a Ctrl-C handler can
//! also call [`remove_pending_temporaries`] before exiting to delete them.

use super::IoError;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporaries created by this process and not yet committed or removed.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Distinguishes temporaries created by one process.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn forget_pending(temp: &Path) {
    let mut list = pending();
    if let Some(i) = list.iter().position(|p| p == temp) {
        list.swap_remove(i);
    }
}

/// Delete every temporary this process has created and not yet committed, returning how
/// many were removed. Meant for a Ctrl-C handler that is about to exit the process (a killed
/// process runs no destructors); writers whose temporary was removed fail on commit.
pub fn remove_pending_temporaries() -> usize {
    let paths = std::mem::take(&mut *pending());
    paths.iter().filter(|path| fs::remove_file(path).is_ok()).count()
}

/// A reserved temporary path beside a target file; renamed onto the target by
/// [`commit`](AtomicPath::commit), deleted if dropped uncommitted.
///
/// Use it directly when a third-party encoder insists on writing to a path itself: the
/// temporary keeps the target's extension (`.plot.png.tmp-42-0.png`), so encoders that pick
/// a format from the extension still work. Otherwise prefer [`AtomicFile`].
#[derive(Debug)]
pub struct AtomicPath {
    target: PathBuf,
    temp: PathBuf,
    committed: bool,
}

impl AtomicPath {
    /// Reserve a temporary for `target` by creating it, empty, in the target's directory.
    /// Returns the open temporary as well, so [`AtomicFile`] need not reopen it.
    fn reserve(target: &Path) -> Result<(Self, File), IoError> {
        let name = target
            .file_name()
            .ok_or_else(|| IoError::NotAFile { path: target.to_path_buf() })?
            .to_string_lossy()
            .into_owned();
        let dir = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let suffix = target.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
        let pid = std::process::id();
        loop {
            let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
            let temp = dir.join(format!(".{name}.tmp-{pid}-{n}{suffix}"));
            // Registered before creation so a concurrent Ctrl-C cannot miss it.
            pending().push(temp.clone());
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(file) => {
                    let path = AtomicPath { target: target.to_path_buf(), temp, committed: false };
                    return Ok((path, file));
                }
                // Left by an earlier process with the same id: try the next number.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => forget_pending(&temp),
                Err(e) if e.kind() == io::ErrorKind::NotFound && !dir.is_dir() => {
                    forget_pending(&temp);
                    return Err(IoError::NoDirectory { path: target.to_path_buf(), dir });
                }
                Err(e) => {
                    forget_pending(&temp);
                    return Err(IoError::os("create a temporary file beside", target, e));
                }
            }
        }
    }

    /// Reserve an empty temporary file beside `target`.
    pub fn new(target: impl AsRef<Path>) -> Result<Self, IoError> {
        Self::reserve(target.as_ref()).map(|(path, _file)| path)
    }

    /// The temporary file to write to.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// The final file name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flush the temporary to stable storage and rename it onto the target, replacing any
    /// existing file there.
    pub fn commit(mut self) -> Result<(), IoError> {
        // Opened for writing: some platforms cannot sync a read-only handle.
        let file = OpenOptions::new()
            .write(true)
            .open(&self.temp)
            .map_err(|e| IoError::os("reopen the temporary file for", &self.target, e))?;
        file.sync_all().map_err(|e| IoError::os("flush to disk", &self.target, e))?;
        drop(file);
        self.rename()
    }

    fn rename(&mut self) -> Result<(), IoError> {
        fs::rename(&self.temp, &self.target)
            .map_err(|e| IoError::os("rename the temporary file onto", &self.target, e))?;
        self.committed = true;
        forget_pending(&self.temp);
        sync_parent_dir(&self.target);
        Ok(())
    }
}

impl Drop for AtomicPath {
    fn drop(&mut self) {
        if !self.committed {
            // Nothing useful can be done with a failure here (the file may already be gone).
            let _ = fs::remove_file(&self.temp);
            forget_pending(&self.temp);
        }
    }
}

/// Make the rename durable. Best effort: some file systems refuse to sync a directory.
fn sync_parent_dir(target: &Path) {
    #[cfg(unix)]
    {
        let dir = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if let Ok(handle) = File::open(dir) {
            let _ = handle.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = target;
}

/// A buffered writer that replaces `target` atomically on [`commit`](AtomicFile::commit).
///
/// Dropped without a commit, it deletes its temporary and leaves any existing file at the
/// target untouched. Implements [`Write`] and [`Seek`] (seeking flushes the buffer).
///
/// ```no_run
/// use std::io::Write;
/// let mut file = pbitsim::io::AtomicFile::create("out.txt")?;
/// writeln!(file, "hello").map_err(|e| file.error("write", e))?;
/// file.commit()?;
/// # Ok::<(), pbitsim::io::IoError>(())
/// ```
#[derive(Debug)]
pub struct AtomicFile {
    // Field order matters: the writer (and its handle) drops before the temporary is removed.
    writer: BufWriter<File>,
    path: AtomicPath,
}

impl AtomicFile {
    /// Start writing a replacement for `target`.
    pub fn create(target: impl AsRef<Path>) -> Result<Self, IoError> {
        let (path, file) = AtomicPath::reserve(target.as_ref())?;
        Ok(AtomicFile { writer: BufWriter::with_capacity(1 << 16, file), path })
    }

    /// The final file name.
    pub fn target(&self) -> &Path {
        self.path.target()
    }

    /// Wrap an OS error from writing this file as an [`IoError`] naming the target.
    pub fn error(&self, action: &'static str, error: io::Error) -> IoError {
        IoError::os(action, self.path.target(), error)
    }

    /// Flush, sync to stable storage and rename onto the target.
    pub fn commit(self) -> Result<(), IoError> {
        let AtomicFile { writer, mut path } = self;
        let file = writer.into_inner().map_err(|e| IoError::os("write", path.target(), e.into_error()))?;
        file.sync_all().map_err(|e| IoError::os("flush to disk", path.target(), e))?;
        drop(file);
        path.rename()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.writer.seek(pos)
    }
}

/// Replace `path` with `bytes` atomically.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), IoError> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| file.error("write", e))?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_keeps_extension_and_is_hidden() {
        let dir = std::env::temp_dir().join(format!("pbitsim-atomic-unit-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let reserved = AtomicPath::new(dir.join("plot.png")).unwrap();
        let name = reserved.temp_path().file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(".plot.png.tmp-"), "{name}");
        assert!(name.ends_with(".png"), "{name}");
        assert_eq!(reserved.temp_path().parent(), Some(dir.as_path()));
        let temp = reserved.temp_path().to_path_buf();
        assert!(temp.exists());
        drop(reserved);
        assert!(!temp.exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bare_file_name_goes_in_current_directory() {
        let reserved = AtomicPath::new("pbitsim-unit-bare-name.txt").unwrap();
        assert_eq!(reserved.temp_path().parent(), Some(Path::new(".")));
    }

    #[test]
    fn path_without_file_name_is_refused() {
        let err = AtomicFile::create("/").unwrap_err();
        assert!(matches!(err, IoError::NotAFile { .. }), "{err}");
    }
}

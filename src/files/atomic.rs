//! Writing a file atomically: the bytes go to a temporary file beside the target, which is
//! synced and then renamed over it, so a reader never sees half a file and a failed write
//! leaves the old one in place.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::scratch::Scratch;

/// Writes a file atomically: to a temporary file beside the target, synced, then renamed over
/// it, so a reader never sees half a file and a failed write leaves the old one in place.
///
/// # Errors
/// When the folder cannot be written, or `write` fails.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    write(file.writer())?;
    file.commit()
}

/// A file being written atomically (see [`write_atomic`]), for writers that hand the final
/// sync and rename to another thread. Dropped without [`AtomicFile::commit`], it removes its
/// temporary file and leaves the target as it was; an interrupted run removes it too (see
/// [`Scratch`]).
pub struct AtomicFile {
    path: PathBuf,
    /// `None` once committed.
    tmp: Option<Scratch>,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates the temporary file beside `path`: `.NAME.PID.tmp`, hidden and plainly not the
    /// file itself.
    ///
    /// # Errors
    /// When the folder cannot be written.
    pub fn create(path: &Path) -> std::io::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = Scratch::register(dir.join(format!(".{name}.{}.tmp", std::process::id())));
        let out = BufWriter::new(File::create(tmp.path())?);
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp: Some(tmp),
            out: Some(out),
        })
    }

    /// The file it becomes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the bytes go.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.out.as_mut().expect("the writer lives until commit")
    }

    /// Flushes and syncs the temporary file, then renames it over the target.
    ///
    /// # Errors
    /// When the flush, sync or rename fails; the temporary file is then removed.
    pub fn commit(mut self) -> std::io::Result<()> {
        let out = self.out.take().expect("the writer lives until commit");
        let tmp = self.tmp.take().expect("the temporary lives until commit");
        let tmp_path = tmp.path().to_path_buf();
        let result = out
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| file.sync_all())
            .and_then(|()| tmp.persist(|tmp| fs::rename(tmp, &self.path)));
        if result.is_err() {
            let _ = fs::remove_file(&tmp_path);
        }
        result
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        self.out.take();
        if let Some(tmp) = self.tmp.take() {
            let _ = fs::remove_file(tmp.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_committed_file_replaces_the_target_and_a_dropped_one_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        write_atomic(&target, |w| w.write_all(b"first")).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "first");

        let mut abandoned = AtomicFile::create(&target).unwrap();
        abandoned.writer().write_all(b"second").unwrap();
        drop(abandoned);
        assert_eq!(fs::read_to_string(&target).unwrap(), "first");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.txt"], "no temporary is left behind");
    }
}

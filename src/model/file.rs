//! Reading and writing snapshot files: atomic writes, and a version check before anything else.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::{SCHEMA_VERSION, Snapshot};

/// Why a snapshot file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file could not be opened, read or written.
    #[error("cannot read or write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a snapshot.
    #[error("{}: not an atlas-audit snapshot ({detail}); give a file written by `atlas-audit collect`", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// serde's message with line and column.
        detail: String,
    },
    /// Written by a newer atlas-audit.
    #[error("{}: snapshot schema version {found} is newer than this atlas-audit understands ({SCHEMA_VERSION}); upgrade atlas-audit to read it", path.display())]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
}

/// The snapshot's top level, each part left as raw JSON so that the big parts can be parsed
/// on separate threads.
#[derive(Deserialize)]
struct Parts<'a> {
    schema_version: Option<u32>,
    #[serde(borrow)]
    meta: Option<&'a RawValue>,
    #[serde(borrow)]
    orgs: Option<&'a RawValue>,
    #[serde(borrow)]
    projects: Option<&'a RawValue>,
    #[serde(borrow)]
    principals: Option<&'a RawValue>,
    #[serde(borrow)]
    grants: Option<&'a RawValue>,
    #[serde(borrow)]
    custom_roles: Option<&'a RawValue>,
    #[serde(borrow)]
    access_logs: Option<&'a RawValue>,
    #[serde(borrow)]
    access_log_windows: Option<&'a RawValue>,
    #[serde(borrow)]
    events: Option<&'a RawValue>,
    #[serde(borrow)]
    coverage: Option<&'a RawValue>,
}

/// Reads a snapshot, refusing one from a newer schema before trying to parse the rest. The
/// large parts (principals, grants, events) are parsed in parallel.
///
/// # Errors
/// When the file cannot be read, is not a snapshot, or is from a newer version.
pub fn load(path: &Path) -> Result<Snapshot, SnapshotError> {
    let bytes = fs::read(path).map_err(|source| SnapshotError::Io {
        path: path.into(),
        source,
    })?;
    from_slice(&bytes, path)
}

/// Reads a snapshot from the bytes of a file, as [`load`] does once it has read them; `path`
/// names the file in errors.
///
/// # Errors
/// When the bytes are not a snapshot, or are from a newer version.
pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Snapshot, SnapshotError> {
    let format = |detail: String| SnapshotError::Format {
        path: path.into(),
        detail,
    };
    let parts: Parts<'_> = serde_json::from_slice(bytes).map_err(|e| format(e.to_string()))?;
    match parts.schema_version {
        None => return Err(format("no `schema_version` field".into())),
        Some(found) if found > SCHEMA_VERSION => {
            return Err(SnapshotError::TooNew {
                path: path.into(),
                found,
            });
        }
        Some(_) => {}
    }
    match from_parts(&parts) {
        Some(snapshot) => Ok(snapshot),
        // A part is missing or malformed: parse the whole file once more for serde's message
        // with the line and column in the file.
        None => match serde_json::from_slice::<Snapshot>(bytes) {
            Err(e) => Err(format(e.to_string())),
            Ok(snapshot) => Ok(snapshot),
        },
    }
}

fn part<T: DeserializeOwned>(raw: Option<&RawValue>) -> Option<T> {
    serde_json::from_str(raw?.get()).ok()
}

fn from_parts(p: &Parts<'_>) -> Option<Snapshot> {
    let ((principals, grants), (events, rest)) = rayon::join(
        || rayon::join(|| part(p.principals), || part(p.grants)),
        || {
            rayon::join(
                || part(p.events),
                || {
                    Some((
                        part(p.meta)?,
                        part(p.orgs)?,
                        part(p.projects)?,
                        part(p.custom_roles)?,
                        part(p.access_logs)?,
                        part(p.access_log_windows)?,
                        part(p.coverage)?,
                    ))
                },
            )
        },
    );
    let (meta, orgs, projects, custom_roles, access_logs, access_log_windows, coverage) = rest?;
    Some(Snapshot {
        schema_version: p.schema_version?,
        meta,
        orgs,
        projects,
        principals: principals?,
        grants: grants?,
        custom_roles,
        access_logs,
        access_log_windows,
        events: events?,
        coverage,
    })
}

/// Writes a snapshot atomically (see [`write_atomic`]).
///
/// # Errors
/// When the folder cannot be written.
pub fn save(snapshot: &Snapshot, path: &Path) -> Result<(), SnapshotError> {
    write_atomic(path, |out| {
        serde_json::to_writer(&mut *out, snapshot).map_err(std::io::Error::other)?;
        out.write_all(b"\n")
    })
    .map_err(|source| SnapshotError::Io {
        path: path.into(),
        source,
    })
}

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
/// temporary file and leaves the target as it was.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates the temporary file beside `path`.
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
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let out = BufWriter::new(File::create(&tmp)?);
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            out: Some(out),
        })
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
        let result = (|| {
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            fs::rename(&self.tmp, &self.path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&self.tmp);
        }
        result
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

//! Reading and writing snapshot files: a version check before anything else, and saving
//! through [`AtomicFile`].

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::{SCHEMA_VERSION, Snapshot};
use crate::files::AtomicFile;

/// Why a snapshot file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {}", path.display(), read_advice(path, cause))]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause, told in the message.
        cause: std::io::Error,
    },
    /// The file could not be written.
    #[error("cannot write {}: {cause}; check that its folder exists and can be written, or choose another path", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause, told in the message.
        cause: std::io::Error,
    },
    /// The file is not a snapshot.
    #[error("{}: not an atlas-audit snapshot ({detail}); give a file written by `atlas-audit collect`", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong: the field, serde's message with line and column, and a hint.
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

/// Why a file could not be read, and what to do.
fn read_advice(path: &Path, err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => {
            "no such file; check the path, or write one with `atlas-audit collect`".into()
        }
        std::io::ErrorKind::IsADirectory => format!(
            "it is a folder; give the snapshot file itself, e.g. {}",
            path.join("snapshot.json").display()
        ),
        std::io::ErrorKind::PermissionDenied => {
            format!("permission denied ({err}); make the file readable, or give another one")
        }
        _ => format!("{err}; check the path and that the file is readable"),
    }
}

/// serde's message with what it means for a snapshot file: cut short, not JSON, or a field
/// with the wrong type or missing.
fn describe(err: &serde_json::Error, at: Option<&str>) -> String {
    use serde_json::error::Category;
    let field = at
        .filter(|p| !p.is_empty() && *p != ".")
        .map(|p| format!("field `{p}`: "))
        .unwrap_or_default();
    let hint = match err.classify() {
        Category::Eof => {
            "; the file ends too early: it was cut short (truncated), collect again or restore a whole copy"
        }
        Category::Syntax => "; the file is not valid JSON",
        Category::Data => "; the file was changed, or written by another program",
        Category::Io => "",
    };
    format!("{field}{err}{hint}")
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
    from_slice(&read(path)?, path)
}

/// A snapshot with the file it was read from.
pub struct LoadedFile {
    /// The snapshot.
    pub snapshot: Snapshot,
    /// The SHA-256 (lowercase hex) of the bytes it was parsed from.
    pub sha256: String,
    /// Those bytes.
    pub bytes: Vec<u8>,
}

/// [`load`], keeping the bytes it parsed and their SHA-256: what a report records as the
/// snapshot it was made from, and what an evidence store keeps, read once so that they are
/// the very bytes parsed. The hash is taken beside the parsing, on the core that reading the
/// top level leaves free.
///
/// # Errors
/// As [`load`].
pub fn load_hashed(path: &Path) -> Result<LoadedFile, SnapshotError> {
    let bytes = read(path)?;
    let (sha256, snapshot) = rayon::join(
        || crate::files::sha256_hex(&bytes),
        || from_slice(&bytes, path),
    );
    Ok(LoadedFile {
        snapshot: snapshot?,
        sha256,
        bytes,
    })
}

fn read(path: &Path) -> Result<Vec<u8>, SnapshotError> {
    fs::read(path).map_err(|cause| SnapshotError::Io {
        path: path.into(),
        cause,
    })
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
    let parts: Parts<'_> = match serde_json::from_slice(bytes) {
        Ok(parts) => parts,
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            let kind = match serde_json::from_slice::<serde_json::Value>(bytes) {
                Ok(serde_json::Value::Object(_)) | Err(_) => None,
                Ok(serde_json::Value::Array(_)) => Some("an array"),
                Ok(serde_json::Value::String(_)) => Some("a string"),
                Ok(serde_json::Value::Number(_)) => Some("a number"),
                Ok(serde_json::Value::Bool(_)) => Some("true or false"),
                Ok(serde_json::Value::Null) => Some("null"),
            };
            return Err(format(match kind {
                Some(kind) => format!(
                    "the file holds {kind}; a snapshot is a JSON object with `schema_version`, `meta`, `orgs`, ..."
                ),
                None => full_parse_error(bytes),
            }));
        }
        Err(e) => return Err(format(describe(&e, None))),
    };
    match parts.schema_version {
        None => return Err(format("no `schema_version` field".into())),
        Some(found) if found > SCHEMA_VERSION => {
            return Err(SnapshotError::TooNew {
                path: path.into(),
                found,
            });
        }
        Some(0) => {
            return Err(format(
                "`schema_version` is 0, which no atlas-audit writes".into(),
            ));
        }
        Some(_) => {}
    }
    match from_parts(&parts) {
        Some(snapshot) => Ok(snapshot),
        // A part is missing or malformed: parse the whole file once more for the field, and
        // serde's line and column in the file.
        None => match serde_json::from_slice::<Snapshot>(bytes) {
            Err(_) => Err(format(full_parse_error(bytes))),
            Ok(snapshot) => Ok(snapshot),
        },
    }
}

/// The first problem in a file that is not a snapshot, with the path of the field.
fn full_parse_error(bytes: &[u8]) -> String {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, Snapshot>(&mut de) {
        Err(e) => describe(e.inner(), Some(&e.path().to_string())),
        Ok(_) => "the file could not be read as a whole".into(),
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

/// Writes a snapshot atomically (see [`crate::files::write_atomic`]).
///
/// # Errors
/// When the folder cannot be written.
pub fn save(snapshot: &Snapshot, path: &Path) -> Result<(), SnapshotError> {
    let file = AtomicFile::create(path).map_err(|cause| SnapshotError::Write {
        path: path.into(),
        cause,
    })?;
    save_into(snapshot, file)
}

/// Writes a snapshot into an [`AtomicFile`] opened earlier (to learn before a long collection
/// that the folder can be written), and puts it in place.
///
/// # Errors
/// When the file cannot be written.
pub fn save_into(snapshot: &Snapshot, mut file: AtomicFile) -> Result<(), SnapshotError> {
    let path = file.path().to_path_buf();
    let written = (|| {
        let out = file.writer();
        serde_json::to_writer(&mut *out, snapshot).map_err(std::io::Error::other)?;
        out.write_all(b"\n")
    })();
    written
        .and_then(|()| file.commit())
        .map_err(|cause| SnapshotError::Write { path, cause })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_load_gives_the_snapshot_and_the_digest_of_the_bytes_it_parsed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.json");
        let snapshot = crate::report::sample::hostile().estate.snapshot;
        save(&snapshot, &path).unwrap();
        let loaded = load_hashed(&path).unwrap();
        assert_eq!(loaded.snapshot, snapshot);
        assert_eq!(loaded.bytes, fs::read(&path).unwrap());
        assert_eq!(loaded.sha256, crate::files::sha256_file(&path).unwrap());
        assert_eq!(loaded.sha256.len(), 64);
        // A file that is not a snapshot fails as `load` does.
        fs::write(&path, b"[1, 2]").unwrap();
        let (hashed, plain) = (load_hashed(&path).err(), load(&path).err());
        assert!(
            matches!(&hashed, Some(SnapshotError::Format { detail, .. }) if detail.contains("an array")),
            "{hashed:?}"
        );
        assert_eq!(hashed.map(|e| e.to_string()), plain.map(|e| e.to_string()));
    }
}

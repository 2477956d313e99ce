//! Reading and writing snapshot files: a version check before anything else, and saving
//! through [`AtomicFile`].

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::read::read;
use super::scan::{self, Member};
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

/// The snapshot's top level, each part as its JSON (`T`: the raw value `serde_json` found, or
/// its text), so that the big parts can be parsed on separate threads.
#[derive(Deserialize, Default)]
struct Parts<T> {
    schema_version: Option<u32>,
    meta: Option<T>,
    orgs: Option<T>,
    projects: Option<T>,
    principals: Option<T>,
    grants: Option<T>,
    custom_roles: Option<T>,
    access_logs: Option<T>,
    access_log_windows: Option<T>,
    events: Option<T>,
    coverage: Option<T>,
}

/// The parts as text, each parsed on its own.
type Texts<'a> = Parts<&'a str>;

impl<'a> Parts<&'a RawValue> {
    fn texts(&self) -> Texts<'a> {
        let text = |part: Option<&'a RawValue>| part.map(RawValue::get);
        Parts {
            schema_version: self.schema_version,
            meta: text(self.meta),
            orgs: text(self.orgs),
            projects: text(self.projects),
            principals: text(self.principals),
            grants: text(self.grants),
            custom_roles: text(self.custom_roles),
            access_logs: text(self.access_logs),
            access_log_windows: text(self.access_log_windows),
            events: text(self.events),
            coverage: text(self.coverage),
        }
    }
}

impl<'a> Texts<'a> {
    /// The parts where the scan found them, when `serde_json` reads the top level the same way:
    /// every key plain UTF-8 and each part's key once, the version a number, and any member of
    /// another name valid JSON. None otherwise: the file is then read by `serde_json` alone.
    fn scanned(bytes: &'a [u8], members: &[Member]) -> Option<Texts<'a>> {
        let mut texts = Texts::default();
        let mut version_seen = false;
        for m in members {
            let key = std::str::from_utf8(&bytes[m.key.clone()]).ok()?;
            if key.bytes().any(|b| b < 0x20) {
                return None;
            }
            let value = &bytes[m.value.clone()];
            let slot = match key {
                "schema_version" => {
                    if std::mem::replace(&mut version_seen, true) {
                        return None;
                    }
                    texts.schema_version = serde_json::from_slice(value).ok()?;
                    continue;
                }
                "meta" => &mut texts.meta,
                "orgs" => &mut texts.orgs,
                "projects" => &mut texts.projects,
                "principals" => &mut texts.principals,
                "grants" => &mut texts.grants,
                "custom_roles" => &mut texts.custom_roles,
                "access_logs" => &mut texts.access_logs,
                "access_log_windows" => &mut texts.access_log_windows,
                "events" => &mut texts.events,
                "coverage" => &mut texts.coverage,
                _ => {
                    serde_json::from_slice::<serde::de::IgnoredAny>(value).ok()?;
                    continue;
                }
            };
            if slot.replace(std::str::from_utf8(value).ok()?).is_some() {
                return None;
            }
        }
        Some(texts)
    }
}

/// Reads a snapshot, refusing one from a newer schema before trying to parse the rest. The
/// large parts (principals, grants, events) are parsed in parallel.
///
/// # Errors
/// When the file cannot be read, is not a snapshot, or is from a newer version.
pub fn load(path: &Path) -> Result<Snapshot, SnapshotError> {
    let read = read(path, false)?;
    parse(&read.bytes, read.members, path)
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
/// the very bytes parsed. Each piece of the file is hashed while the next is read.
///
/// # Errors
/// As [`load`].
pub fn load_hashed(path: &Path) -> Result<LoadedFile, SnapshotError> {
    let read = read(path, true)?;
    Ok(LoadedFile {
        snapshot: parse(&read.bytes, read.members, path)?,
        sha256: read.sha256.unwrap_or_default(),
        bytes: read.bytes,
    })
}

/// Reads a snapshot from the bytes of a file, as [`load`] does once it has read them; `path`
/// names the file in errors.
///
/// # Errors
/// When the bytes are not a snapshot, or are from a newer version.
pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Snapshot, SnapshotError> {
    parse(bytes, scan::members(bytes), path)
}

/// The snapshot in `bytes`: its parts where the scan found them (`members`) when each of them
/// parses and the version is one this build reads; otherwise as `serde_json` reads the whole
/// file, which also says exactly what is wrong with it.
fn parse(
    bytes: &[u8],
    members: Option<Vec<Member>>,
    path: &Path,
) -> Result<Snapshot, SnapshotError> {
    let quick = members
        .and_then(|m| Texts::scanned(bytes, &m))
        .filter(|t| matches!(t.schema_version, Some(v) if (1..=SCHEMA_VERSION).contains(&v)))
        .and_then(|t| from_parts(&t));
    match quick {
        Some(snapshot) => Ok(snapshot),
        None => by_serde(bytes, path),
    }
}

/// [`from_slice`] with the top level found by `serde_json`.
fn by_serde(bytes: &[u8], path: &Path) -> Result<Snapshot, SnapshotError> {
    let format = |detail: String| SnapshotError::Format {
        path: path.into(),
        detail,
    };
    let parts: Parts<&RawValue> = match serde_json::from_slice(bytes) {
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
    match from_parts(&parts.texts()) {
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

fn part<T: DeserializeOwned>(text: Option<&str>) -> Option<T> {
    serde_json::from_str(text?).ok()
}

/// Parses the parts on the pool's threads, the longest begun at once and the others taken by
/// whichever thread is free, so that no thread is left alone with two long parts.
fn from_parts(p: &Texts<'_>) -> Option<Snapshot> {
    let (mut principals, mut grants, mut events, mut rest) = (None, None, None, None);
    let small = [
        p.meta,
        p.orgs,
        p.projects,
        p.custom_roles,
        p.access_logs,
        p.access_log_windows,
        p.coverage,
    ];
    let length = |texts: &[Option<&str>]| texts.iter().flatten().map(|t| t.len()).sum::<usize>();
    type Job<'s> = Box<dyn FnOnce() + Send + 's>;
    let mut jobs: Vec<(usize, Job<'_>)> = vec![
        (
            length(&[p.principals]),
            Box::new(|| principals = part(p.principals)),
        ),
        (length(&[p.grants]), Box::new(|| grants = part(p.grants))),
        (length(&[p.events]), Box::new(|| events = part(p.events))),
        (
            length(&small),
            Box::new(|| {
                rest = (|| {
                    Some((
                        part(p.meta)?,
                        part(p.orgs)?,
                        part(p.projects)?,
                        part(p.custom_roles)?,
                        part(p.access_logs)?,
                        part(p.access_log_windows)?,
                        part(p.coverage)?,
                    ))
                })();
            }),
        ),
    ];
    // The spawning thread takes its newest job first and the other threads its oldest: spawned
    // shortest first, the longest is begun at once by the one, the rest worked through by the
    // others (and by the one, once it is done).
    jobs.sort_by_key(|(length, _)| *length);
    rayon::scope(|s| {
        for (_, job) in jobs {
            s.spawn(move |_| job());
        }
    });
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
    use std::fs;

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

    /// Equal results: the same snapshot, or the same error message.
    fn agree(bytes: &[u8]) {
        let path = Path::new("snapshot.json");
        match (from_slice(bytes, path), by_serde(bytes, path)) {
            (Ok(quick), Ok(slow)) => assert!(quick == slow, "{}", String::from_utf8_lossy(bytes)),
            (Err(quick), Err(slow)) => assert_eq!(quick.to_string(), slow.to_string()),
            (quick, slow) => panic!(
                "the scanned read gave {:?}, serde {:?}, for {}",
                quick.map(|_| "a snapshot"),
                slow.map(|_| "a snapshot"),
                String::from_utf8_lossy(bytes)
            ),
        }
    }

    #[test]
    fn the_scanned_read_gives_what_serde_gives_for_any_bytes() {
        let snapshot = crate::report::sample::hostile().estate.snapshot;
        let compact = serde_json::to_vec(&snapshot).unwrap();
        let pretty = serde_json::to_vec_pretty(&snapshot).unwrap();
        agree(&compact);
        agree(&pretty);
        assert!(scan::members(&compact).is_some());
        // Changed bytes, most of them near the top level's keys, colons and commas.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below as u64) as usize
        };
        let marks: Vec<usize> = scan::members(&pretty)
            .unwrap()
            .iter()
            .flat_map(|m| [m.key.start, m.key.end, m.value.start, m.value.end])
            .collect();
        let bytes = b"{}[]\\\":, \n0-a\x01\xff";
        for round in 0..600 {
            let mut doc = if round % 2 == 0 {
                pretty.clone()
            } else {
                compact.clone()
            };
            let at = if round % 3 == 0 {
                next(doc.len())
            } else {
                (marks[next(marks.len())] + next(5))
                    .saturating_sub(2)
                    .min(doc.len() - 1)
            };
            let byte = bytes[next(bytes.len())];
            match next(4) {
                0 => doc.truncate(at),
                1 => doc[at] = byte,
                2 => doc.insert(at, byte),
                _ => drop(doc.remove(at)),
            }
            agree(&doc);
        }
        // A duplicated part, an escaped key, a member of another name, no version.
        let text = String::from_utf8(compact).unwrap();
        for changed in [
            text.replacen(
                "{\"schema_version\"",
                "{\"grants\":[],\"schema_version\"",
                1,
            ),
            text.replacen("\"grants\"", "\"gr\\u0061nts\"", 1),
            text.replacen(
                "{\"schema_version\"",
                "{\"extra\":{\"a\":[1,\"]\"]},\"schema_version\"",
                1,
            ),
            text.replacen(
                "{\"schema_version\"",
                "{\"extra\":[1,}],\"schema_version\"",
                1,
            ),
            text.replacen("\"schema_version\"", "\"schema_versions\"", 1),
        ] {
            agree(changed.as_bytes());
        }
    }
}

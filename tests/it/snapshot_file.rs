//! Snapshot files: atomic writes, a version check, and errors that say what to do.

use crate::common::*;
use atlas_audit::model::{self, SCHEMA_VERSION, SnapshotError};

#[test]
fn round_trips_through_a_file() {
    let snapshot = snapshot_from_world(&demo_world());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    model::save(&snapshot, &path).unwrap();
    assert_eq!(model::load(&path).unwrap(), snapshot);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

#[test]
fn a_newer_schema_is_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.json");
    std::fs::write(
        &path,
        format!("{{\"schema_version\": {}}}", SCHEMA_VERSION + 1),
    )
    .unwrap();
    let err = model::load(&path).unwrap_err();
    assert!(matches!(err, SnapshotError::TooNew { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("upgrade atlas-audit") && msg.contains("new.json"),
        "{msg}"
    );
}

#[test]
fn a_missing_or_malformed_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let err = model::load(&missing).unwrap_err().to_string();
    assert!(err.contains("missing.json"), "{err}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"schema_version\": 1, \"orgs\": [").unwrap();
    let err = model::load(&bad).unwrap_err().to_string();
    assert!(
        err.contains("bad.json") && err.contains("not an atlas-audit snapshot"),
        "{err}"
    );
    let other = dir.path().join("other.json");
    std::fs::write(&other, "{\"hello\": 1}").unwrap();
    let err = model::load(&other).unwrap_err().to_string();
    assert!(err.contains("schema_version"), "{err}");
}

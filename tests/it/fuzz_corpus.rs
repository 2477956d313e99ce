//! Replays the fuzz targets' inputs on the stable toolchain, through the same checks the
//! targets in `fuzz/` run (`atlas_audit::fuzzing::check_*`): the policy examples, every API
//! response of the demo world, the demo snapshot, damaged copies of each, and the checked-in
//! seeds and crash regressions in `fuzz/seeds/<target>/`.
//!
//! With `ATLAS_AUDIT_FUZZ_SEEDS=DIR` set, `write_seed_corpora` also writes the generated inputs
//! to `DIR/<target>/`, the starting corpora for `cargo fuzz run` (see README "Fuzzing").

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;
use atlas_audit::fuzzing::{self, ApiResponse};
use atlas_audit::model::{SCHEMA_VERSION, SnapshotError};
use atlas_audit::rules::policy::{PolicyError, starter};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The checked-in inputs of one target: hand-made edge cases and crash regressions.
fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let files = files_below(&root().join("fuzz/seeds").join(target));
    assert!(!files.is_empty(), "fuzz/seeds/{target} has inputs");
    files
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Runs `check` over every seed of `target`. A seed named `valid_*` must be accepted, one named
/// `invalid_*` refused; any other (a crash regression, say) only must not panic.
fn replay(target: &str, check: impl Fn(&[u8]) -> bool) {
    for (path, bytes) in seeds(target) {
        let name = path.file_name().unwrap().to_string_lossy();
        let accepted = check(&bytes);
        if name.starts_with("valid_") {
            assert!(accepted, "{} is accepted", path.display());
        } else if name.starts_with("invalid_") {
            assert!(!accepted, "{} is refused", path.display());
        }
    }
}

/// Every API response in the demo world, as the fuzz input that reads it: the kind's byte, then
/// the body as Atlas sends it (listings in the page envelope).
fn api_inputs() -> Vec<(PathBuf, Vec<u8>)> {
    let world = root().join("fixtures/demo");
    let mut out = Vec::new();
    for path in files_below(&world) {
        let Some(kind) = ApiResponse::for_world_file(path.strip_prefix(&world).unwrap()) else {
            continue;
        };
        let file = fs::read_to_string(&path).unwrap();
        let body = if kind.is_paged() {
            format!(r#"{{"results":{file},"totalCount":1}}"#)
        } else {
            file
        };
        let mut input = vec![kind.byte()];
        input.extend_from_slice(body.as_bytes());
        out.push((path, input));
    }
    out
}

fn demo_snapshot_bytes() -> Vec<u8> {
    serde_json::to_vec(&snapshot_from_world(&demo_world())).unwrap()
}

#[test]
fn policy_examples_parse_or_name_their_problems() {
    assert!(
        fuzzing::check_policy(&starter()),
        "the starter policy is valid"
    );
    assert!(fuzzing::check_policy(""), "an empty policy is the default");
    let examples = files_below(&root().join("tests/policies"));
    assert!(examples.len() >= 20);
    for path in examples {
        let text = fs::read_to_string(&path).unwrap();
        // Every example in tests/policies is broken on purpose.
        assert!(
            !fuzzing::check_policy(&text),
            "{} is invalid",
            path.display()
        );
        // So is any prefix that cuts a line in half, or it parses: either way, no panic.
        for cut in [
            1,
            text.len() / 3,
            text.len() / 2,
            text.len().saturating_sub(1),
        ] {
            if let Some(prefix) = text.get(..cut) {
                fuzzing::check_policy(prefix);
            }
        }
    }
}

#[test]
fn policy_errors_name_the_input_and_a_position() {
    let err = fuzzing::policy("[thresholds]\ninactive_days = \"ninety\"\n").unwrap_err();
    let PolicyError::Invalid { problems, .. } = &err else {
        panic!("not a validation error: {err}");
    };
    assert_eq!(problems[0].line, 2);
    assert!(err.to_string().contains(fuzzing::ORIGIN), "{err}");
}

#[test]
fn policy_seeds() {
    // The fuzz target skips input that is not UTF-8; so does the replay.
    replay("policy", |bytes| {
        std::str::from_utf8(bytes).is_ok_and(fuzzing::check_policy)
    });
}

#[test]
fn every_api_response_of_the_demo_world_decodes() {
    let inputs = api_inputs();
    assert!(
        inputs.len() >= 80,
        "the demo world has {} responses",
        inputs.len()
    );
    let mut kinds: Vec<ApiResponse> = Vec::new();
    for (path, input) in &inputs {
        assert!(fuzzing::check_api(input), "{} decodes", path.display());
        let kind = ApiResponse::from_byte(input[0]);
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    // The world has a file for every kind but the single org and project (served from the
    // listings) and the error body.
    for kind in ApiResponse::ALL {
        let without_file = [
            ApiResponse::Org,
            ApiResponse::Project,
            ApiResponse::ApiError,
        ];
        assert!(
            kinds.contains(kind) || without_file.contains(kind),
            "no demo file for {kind:?}"
        );
    }
}

#[test]
fn damaged_api_responses_are_decode_errors() {
    for (path, input) in api_inputs() {
        // Half a body is never valid JSON.
        let half = &input[..input.len() / 2];
        assert!(!fuzzing::check_api(half), "{} cut in half", path.display());
        // Every other kind reads the same body without panicking, whatever it makes of it.
        for kind in ApiResponse::ALL {
            let mut other = vec![kind.byte()];
            other.extend_from_slice(&input[1..]);
            fuzzing::check_api(&other);
        }
    }
    for kind in ApiResponse::ALL {
        for body in ["", "null", "[]", "{}", r#"{"results":null}"#, "\u{feff}{}"] {
            let mut input = vec![kind.byte()];
            input.extend_from_slice(body.as_bytes());
            fuzzing::check_api(&input);
        }
        // serde's message, with the position.
        let err = fuzzing::api(*kind, b"{").unwrap_err();
        assert!(err.to_string().contains("line 1 column"), "{kind:?}: {err}");
    }
}

#[test]
fn api_kinds_round_trip_through_their_byte() {
    for kind in ApiResponse::ALL {
        assert_eq!(ApiResponse::from_byte(kind.byte()), *kind);
    }
    // Every byte picks some kind.
    let n = u8::try_from(ApiResponse::ALL.len()).unwrap();
    assert_eq!(ApiResponse::from_byte(n), ApiResponse::ALL[0]);
    assert_eq!(
        ApiResponse::from_byte(255),
        ApiResponse::ALL[255 % ApiResponse::ALL.len()]
    );
}

#[test]
fn api_seeds() {
    replay("api", fuzzing::check_api);
}

#[test]
fn demo_snapshot_loads_and_damaged_copies_are_errors() {
    let bytes = demo_snapshot_bytes();
    assert!(fuzzing::check_snapshot(&bytes));

    for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        let err = fuzzing::snapshot(&bytes[..cut]).unwrap_err();
        assert!(matches!(err, SnapshotError::Format { .. }), "{err}");
        assert!(
            err.to_string().contains("not an atlas-audit snapshot"),
            "{err}"
        );
    }

    let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    value["schema_version"] = (SCHEMA_VERSION + 1).into();
    let newer = serde_json::to_vec(&value).unwrap();
    assert!(matches!(
        fuzzing::snapshot(&newer),
        Err(SnapshotError::TooNew { found, .. }) if found == SCHEMA_VERSION + 1
    ));

    value["schema_version"] = SCHEMA_VERSION.into();
    value["principals"] = serde_json::json!("not a list");
    let err = fuzzing::snapshot(&serde_json::to_vec(&value).unwrap()).unwrap_err();
    // The message has serde's position in the file.
    assert!(err.to_string().contains("line 1 column"), "{err}");

    value.as_object_mut().unwrap().remove("schema_version");
    let err = fuzzing::snapshot(&serde_json::to_vec(&value).unwrap()).unwrap_err();
    assert!(err.to_string().contains("schema_version"), "{err}");
}

#[test]
fn snapshots_assembled_from_each_api_response_load() {
    // check_api saves and loads each assembled snapshot; here they go through the snapshot
    // target's check too.
    for (path, input) in api_inputs() {
        let snapshot = fuzzing::api(ApiResponse::from_byte(input[0]), &input[1..]).unwrap();
        let bytes = serde_json::to_vec(&snapshot).unwrap();
        assert!(fuzzing::check_snapshot(&bytes), "{}", path.display());
    }
}

#[test]
fn snapshot_seeds() {
    replay("snapshot", fuzzing::check_snapshot);
}

#[test]
fn write_seed_corpora() {
    let Some(dir) = std::env::var_os("ATLAS_AUDIT_FUZZ_SEEDS") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let write = |target: &str, name: String, bytes: &[u8]| {
        let d = dir.join(target);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join(name), bytes).unwrap();
    };
    for path in files_below(&root().join("tests/policies")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        write("policy", name, &fs::read(&path).unwrap());
    }
    write("policy", "starter.toml".into(), starter().as_bytes());
    let world = root().join("fixtures/demo");
    for (path, input) in api_inputs() {
        let name = path
            .strip_prefix(&world)
            .unwrap()
            .to_string_lossy()
            .replace('/', "_");
        let snapshot = fuzzing::api(ApiResponse::from_byte(input[0]), &input[1..]).unwrap();
        write(
            "snapshot",
            name.clone(),
            &serde_json::to_vec(&snapshot).unwrap(),
        );
        write("api", name, &input);
    }
    write("snapshot", "demo.json".into(), &demo_snapshot_bytes());
    for target in ["policy", "snapshot", "api"] {
        for (path, bytes) in seeds(target) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            write(target, format!("seed_{name}"), &bytes);
        }
    }
}

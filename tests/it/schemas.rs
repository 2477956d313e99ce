//! The published JSON Schemas in `schemas/`: each is what this build generates and what
//! `atlas-audit schema NAME` prints; the demo's files validate against them with an independent
//! validator (the `jsonschema` crate, draft 2020-12, formats checked); and a file broken in one
//! place is rejected at that place, so the validation is real.

use std::path::{Path, PathBuf};

use atlas_audit::app::schema::SchemaName;
use serde_json::{Value, json};

use crate::common::*;

/// How the repository's schemas are regenerated, run from its root.
const REGENERATE: &str = "cargo run -- schema --out schemas";

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

fn validator(name: SchemaName) -> jsonschema::Validator {
    let path = schemas_dir().join(name.file_name());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", name.file_name()))
}

/// Every error, as `<instance path>: <message>`.
fn errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

#[test]
fn the_schemas_in_the_repository_are_what_this_build_generates_and_prints() {
    let mut stale = Vec::new();
    for name in SchemaName::ALL {
        let path = schemas_dir().join(name.file_name());
        let generated = name.to_json();
        if std::fs::read_to_string(&path).ok().as_deref() != Some(generated.as_str()) {
            stale.push(format!("schemas/{}", name.file_name()));
        }
        let printed = atlas_audit_command()
            .args(["schema", name.as_str()])
            .output()
            .unwrap();
        assert_eq!(printed.status.code(), Some(0), "{}", text(&printed.stderr));
        assert_eq!(text(&printed.stdout), generated, "schema {}", name.as_str());
    }
    assert!(
        stale.is_empty(),
        "{} differ from what this build generates (a type they describe changed): run `{REGENERATE}` \
         in the repository's root and review the diff",
        stale.join(", ")
    );
    let expected: Vec<String> = SchemaName::ALL.map(SchemaName::file_name).into();
    assert_eq!(
        names(&schemas_dir()),
        expected.into_iter().collect(),
        "schemas/ holds one file per schema and nothing else"
    );
}

#[test]
fn schema_out_writes_every_schema_and_a_name_not_listed_is_refused_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/schemas");
    let run = atlas_audit_command()
        .args(["schema", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    for name in SchemaName::ALL {
        let written = std::fs::read_to_string(out.join(name.file_name())).unwrap();
        assert_eq!(written, name.to_json(), "{}", name.file_name());
    }
    assert_eq!(names(&out).len(), SchemaName::ALL.len());

    let bad = atlas_audit_command()
        .args(["schema", "snapshots"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let stderr = text(&bad.stderr);
    assert!(
        stderr.contains("snapshots") && SchemaName::ALL.iter().all(|n| stderr.contains(n.as_str())),
        "{stderr}"
    );
    let neither = atlas_audit_command().arg("schema").output().unwrap();
    assert_eq!(neither.status.code(), Some(2), "{}", text(&neither.stderr));
}

/// A copy broken in one place: the instance path an error must name, and the damage.
type Broken = (&'static str, fn(&mut Value));

/// Asserts that `doc` is valid, then that each broken copy is rejected with an error at the
/// place that was broken.
fn check(name: SchemaName, file: &Path, broken: &[Broken]) {
    let v = validator(name);
    let doc = read_json(file);
    let found = errors(&v, &doc);
    assert!(
        found.is_empty(),
        "{}:\n{}",
        file.display(),
        found.join("\n")
    );
    for (at, damage) in broken {
        let mut copy = doc.clone();
        damage(&mut copy);
        assert_ne!(copy, doc, "{at}: the damage changed nothing");
        let found = errors(&v, &copy);
        assert!(
            found.iter().any(|e| e.starts_with(at)),
            "{} broken at {at} was not rejected there: {found:?}",
            file.display()
        );
    }
}

fn object(v: &mut Value) -> &mut serde_json::Map<String, Value> {
    v.as_object_mut().expect("an object")
}

#[test]
fn the_demo_files_validate_against_their_schemas_and_copies_broken_in_one_place_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let run = atlas_audit_command()
        .args(["demo", "-q", "--out"])
        .arg(&demo)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "stderr: {}", text(&run.stderr));
    // An offboarding plan too: its steps remove whole memberships and database users.
    let offboard = dir.path().join("offboard.json");
    let plan = atlas_audit_command()
        .arg("plan")
        .arg("--snapshot")
        .arg(demo.join("snapshot.json"))
        .arg("--out")
        .arg(&offboard)
        .args([
            "--offboard",
            "rachel.kim@northwind.example",
            "mei.tanaka@northwind.example",
        ])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));

    for snapshot in ["snapshot.json", "snapshot-after.json"] {
        check(
            SchemaName::Snapshot,
            &demo.join(snapshot),
            &[
                ("/schema_version", |d| d["schema_version"] = json!(2)),
                ("/principals/0/kind", |d| {
                    d["principals"][0]["kind"] = json!("robot")
                }),
                ("/grants/0", |d| {
                    object(&mut d["grants"][0]).remove("via");
                }),
                ("/meta/collected_at", |d| {
                    d["meta"]["collected_at"] = json!("yesterday")
                }),
            ],
        );
    }
    // The report, and the one after the plan was applied, which has a baseline.
    for report in ["", "report-after"] {
        let folder = demo.join(report);
        check(
            SchemaName::Findings,
            &folder.join("findings.json"),
            &[
                ("", |d| {
                    object(d).remove("schema_version");
                }),
                ("/findings/0/severity", |d| {
                    d["findings"][0]["severity"] = json!("severe")
                }),
                ("/findings/0/rule", |d| {
                    d["findings"][0]["rule"] = json!("USER_INACTIV")
                }),
            ],
        );
        check(
            SchemaName::Manifest,
            &folder.join("manifest.json"),
            &[
                ("", |d| {
                    object(d).remove("files");
                }),
                ("/schema_version", |d| d["schema_version"] = json!(0)),
                ("/counts/open", |d| d["counts"]["open"] = json!(-1)),
            ],
        );
        check(
            SchemaName::Directory,
            &folder.join("directory.json"),
            &[
                ("/users/0/active", |d| {
                    d["users"][0]["active"] = json!("yes")
                }),
                ("/schema_version", |d| d["schema_version"] = json!("1")),
                ("/users/0/memberships/0/type", |d| {
                    d["users"][0]["memberships"][0]["type"] = json!("team")
                }),
                ("/users/0/findings/highest_severity", |d| {
                    d["users"][0]["findings"]["highest_severity"] = json!("severe")
                }),
            ],
        );
    }
    let after = read_json(&demo.join("report-after/manifest.json"));
    assert!(
        after["baseline"].is_object(),
        "the manifest's optional part is checked too: {after}"
    );
    for plan in [demo.join("plan.json"), offboard] {
        check(
            SchemaName::Plan,
            &plan,
            &[
                ("", |d| {
                    object(d).remove("digest");
                }),
                ("/steps/0/action", |d| {
                    d["steps"][0]["action"] = json!("drop_everything")
                }),
                ("/steps/0/precondition", |d| {
                    d["steps"][0]["precondition"] = json!({"kind": "role_held"})
                }),
            ],
        );
    }
}

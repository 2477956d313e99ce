//! Bad input end to end, through the binary: snapshots that are malformed, truncated,
//! wrong-typed or from a newer version; policy files that cannot be read or have problems;
//! bad flags and bad environment values; and outputs that cannot be written. Each exits 2 with
//! a message that names the file, field, line, flag or variable and says what to do, and
//! leaves the folder it ran in exactly as it was: no report folder, no snapshot, no temporary.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use crate::common::*;
use serde_json::{Value, json};

/// Every name under `dir`, hidden ones too, as paths relative to it.
fn tree(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            out.insert(rel);
            if path.is_dir() && !path.is_symlink() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// A folder holding the demo snapshot (`snapshot.json`), a regular file (`a-file`) and an
/// empty folder (`a-folder`).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    atlas_audit::model::save(&demo_snapshot(), &dir.path().join("snapshot.json")).unwrap();
    std::fs::write(dir.path().join("a-file"), "not a folder").unwrap();
    std::fs::create_dir(dir.path().join("a-folder")).unwrap();
    dir
}

/// Runs the binary in `dir` with `args` and `env`, and checks the refusal: exit 2, stderr
/// holds every needle, and `dir` is as it was.
fn refused(dir: &Path, args: &[&str], env: &[(&str, &str)], needles: &[&str]) -> String {
    let before = tree(dir);
    let out: Output = atlas_audit_command()
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: {needle:?} not in: {err}");
    }
    assert_eq!(tree(dir), before, "{args:?} left something behind: {err}");
    err
}

/// Like [`refused`], and the message is one line.
fn refused_in_one_line(dir: &Path, args: &[&str], env: &[(&str, &str)], needles: &[&str]) {
    let err = refused(dir, args, env, needles);
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line: {err}");
}

/// A command line, its environment, and what the refusal must say.
type Case = (
    Vec<&'static str>,
    Vec<(&'static str, &'static str)>,
    Vec<&'static str>,
);

/// The demo snapshot as JSON, changed by `edit`.
fn edited(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value = serde_json::to_value(demo_snapshot()).unwrap();
    edit(&mut value);
    serde_json::to_vec_pretty(&value).unwrap()
}

#[test]
fn every_kind_of_bad_snapshot_is_named_with_what_is_wrong_and_nothing_is_written() {
    let dir = workspace();
    let whole = std::fs::read(dir.path().join("snapshot.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("empty.json", Vec::new(), &["cut short"]),
        (
            "garbage.json",
            b"\x00\x01PK\x03\x04 not json".to_vec(),
            &["not valid JSON", "line 1"],
        ),
        ("array.json", b"[1, 2]".to_vec(), &["holds an array"]),
        (
            "truncated.json",
            whole[..whole.len() / 2].to_vec(),
            &["truncated", "line 1 column"],
        ),
        (
            "version-text.json",
            edited(|v| v["schema_version"] = json!("1")),
            &["field `schema_version`", "expected u32"],
        ),
        (
            "role-null.json",
            edited(|v| v["grants"][3]["role"] = Value::Null),
            &["field `grants[3].role`", "invalid type: null", "line "],
        ),
        (
            "created-number.json",
            edited(|v| v["principals"][2]["created"] = json!(12345)),
            &["field `principals[2].created`", "line "],
        ),
        (
            "bad-time.json",
            edited(|v| v["meta"]["collected_at"] = json!("yesterday")),
            &["field `meta.collected_at`"],
        ),
        (
            "no-orgs.json",
            edited(|v| {
                v.as_object_mut().unwrap().remove("orgs");
            }),
            &["missing field `orgs`"],
        ),
        (
            "no-version.json",
            edited(|v| {
                v.as_object_mut().unwrap().remove("schema_version");
            }),
            &["no `schema_version` field"],
        ),
        (
            "version-zero.json",
            edited(|v| v["schema_version"] = json!(0)),
            &["`schema_version` is 0"],
        ),
        (
            "newer.json",
            edited(|v| {
                v["schema_version"] = json!(999);
                v["a_part_from_the_future"] = json!({"x": 1});
            }),
            &["schema version 999", "upgrade atlas-audit"],
        ),
    ];
    for (name, bytes, _) in &cases {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    for (name, _, needles) in &cases {
        let mut all = vec![*name];
        all.extend_from_slice(needles);
        if !name.starts_with("newer") {
            all.push("give a file written by `atlas-audit collect`");
        }
        refused_in_one_line(
            dir.path(),
            &["report", "--snapshot", name, "--out", "out"],
            &[],
            &all,
        );
        refused_in_one_line(dir.path(), &["summary", "--snapshot", name], &[], &all);
        let mut baseline = vec!["--baseline"];
        baseline.extend(&all);
        refused_in_one_line(
            dir.path(),
            &[
                "report",
                "--snapshot",
                "snapshot.json",
                "--baseline",
                name,
                "--out",
                "out",
            ],
            &[],
            &baseline,
        );
        refused_in_one_line(dir.path(), &["diff", name, "snapshot.json"], &[], &all);
    }
}

#[test]
fn a_snapshot_that_is_missing_or_a_folder_says_what_to_give() {
    let dir = workspace();
    refused_in_one_line(
        dir.path(),
        &["report", "--snapshot", "missing.json", "--out", "out"],
        &[],
        &[
            "cannot read missing.json",
            "no such file",
            "atlas-audit collect",
        ],
    );
    refused_in_one_line(
        dir.path(),
        &["summary", "--snapshot", "a-folder"],
        &[],
        &[
            "cannot read a-folder",
            "it is a folder",
            "a-folder/snapshot.json",
        ],
    );
}

#[test]
fn policy_files_that_cannot_be_used_are_named_and_stop_the_run_before_it_writes() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("typo.toml"),
        "[thresholds]\ninactive_days = \"ninety\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("latin1.toml"), b"# caf\xe9\n[thresholds]\n").unwrap();
    let report = |policy: &'static str| {
        vec![
            "report",
            "--snapshot",
            "snapshot.json",
            "--out",
            "out",
            "--policy",
            policy,
        ]
    };
    let err = refused(
        dir.path(),
        &report("typo.toml"),
        &[],
        &["typo.toml", "1 problem", "atlas-audit init"],
    );
    assert!(
        err.contains("line 2") && err.contains("thresholds.inactive_days"),
        "{err}"
    );
    refused_in_one_line(
        dir.path(),
        &report("missing.toml"),
        &[],
        &["missing.toml", "check --policy", "atlas-audit init"],
    );
    refused_in_one_line(
        dir.path(),
        &report("a-folder"),
        &[],
        &["a-folder", "check --policy"],
    );
    refused_in_one_line(
        dir.path(),
        &report("latin1.toml"),
        &[],
        &["latin1.toml", "UTF-8", "check --policy"],
    );
    // The policy read without --policy is named too.
    let implicit = workspace();
    std::fs::write(
        implicit.path().join("atlas-audit.toml"),
        "[severity]\nNO_SUCH_RULE = \"high\"\n",
    )
    .unwrap();
    let err = refused(
        implicit.path(),
        &["report", "--snapshot", "snapshot.json", "--out", "out"],
        &[],
        &["atlas-audit.toml"],
    );
    assert!(
        err.contains("NO_SUCH_RULE") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn bad_report_flags_name_the_flag_and_the_accepted_forms() {
    let dir = workspace();
    let base = ["report", "--snapshot", "snapshot.json", "--out", "out"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    let dry_run = [
        "--email-to",
        "alice@example.test",
        "--email-from",
        "review@example.test",
        "--email-dry-run",
    ];
    let cases: Vec<Case> = vec![
        (
            with(&["--format", "csv,pdf"]),
            vec![],
            vec!["--format", "\"pdf\"", "choose from csv, xlsx, html, json"],
        ),
        (
            with(&["--fail-on", "severe"]),
            vec![],
            vec!["--fail-on", "critical, high, medium, low or info"],
        ),
        (
            with(&[&dry_run[..], &["--attach-limit", "10XB"]].concat()),
            vec![],
            vec!["--attach-limit", "e.g. 10MB"],
        ),
        (
            with(&["--attach-limit", "5MB"]),
            vec![],
            vec!["--attach-limit <SIZE>", "--email-to <ADDR>"],
        ),
        (
            with(&["--email-to", "not-an-address", "--email-dry-run"]),
            vec![],
            vec!["--email-to", "name@example.com"],
        ),
        (
            with(&[
                "--email-to",
                "alice@example.test",
                "--email-from",
                "review@example.test",
                "--smtp-url",
                "ftp://mail.example.test",
            ]),
            vec![],
            vec!["--smtp-url", "smtps://HOST:465"],
        ),
        (
            with(&["--email-to", "alice@example.test", "--email-dry-run"]),
            vec![("ATLAS_AUDIT_EMAIL_FROM", "not-an-address")],
            vec!["ATLAS_AUDIT_EMAIL_FROM", "name@example.com", "--email-from"],
        ),
        (
            with(&dry_run),
            vec![("ATLAS_AUDIT_SMTP_PASSWORD", "secret")],
            vec!["ATLAS_AUDIT_SMTP_USER is not", "set both"],
        ),
        (
            with(&[
                "--email-to",
                "alice@example.test",
                "--format",
                "csv",
                "--email-dry-run",
                "--email-from",
                "r@example.test",
            ]),
            vec![],
            vec!["add html to --format"],
        ),
        (
            with(&["--templates", "no-such-templates"]),
            vec![],
            vec![
                "--templates no-such-templates",
                "no such folder",
                "report.html",
            ],
        ),
        (
            with(&["--baseline", "no-such.json"]),
            vec![],
            vec!["--baseline no-such.json", "no such file"],
        ),
    ];
    for (args, env, needles) in &cases {
        refused(dir.path(), args, env, needles);
    }
}

#[test]
fn bad_connection_flags_and_variables_name_where_the_value_came_from() {
    let dir = workspace();
    let key = [
        ("MONGODB_ATLAS_PUBLIC_API_KEY", "abcdefgh"),
        ("MONGODB_ATLAS_PRIVATE_API_KEY", "not-a-real-secret"),
    ];
    let with_key = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
        key.iter().chain(extra).copied().collect()
    };
    let collect = ["collect", "--out", "s.json"];
    let cases: Vec<Case> = vec![
        (
            collect.to_vec(),
            with_key(&[("MONGODB_ATLAS_BASE_URL", "not a url")]),
            vec![
                "MONGODB_ATLAS_BASE_URL",
                "is not a URL",
                "e.g. https://cloud.mongodb.com",
            ],
        ),
        (
            collect.to_vec(),
            with_key(&[("MONGODB_ATLAS_BASE_URL", "ftp://cloud.example")]),
            vec!["MONGODB_ATLAS_BASE_URL", "not http or https"],
        ),
        (
            [&collect[..], &["--base-url", "http://cloud.example"]].concat(),
            with_key(&[]),
            vec!["--base-url", "loopback", "Use https://"],
        ),
        (
            collect.to_vec(),
            with_key(&[("MONGODB_ATLAS_ORG_ID", "5f1d/../x")]),
            vec!["MONGODB_ATLAS_ORG_ID", "24 hexadecimal digits"],
        ),
        (
            collect.to_vec(),
            with_key(&[("MONGODB_ATLAS_PROJECT_ID", "6650b1000000000000000002,,")]),
            vec!["MONGODB_ATLAS_PROJECT_ID", "24 hexadecimal digits"],
        ),
        (
            [&collect[..], &["--org", ""]].concat(),
            with_key(&[]),
            vec!["--org", "24 hexadecimal digits"],
        ),
        (
            [&collect[..], &["--since", "3 months"]].concat(),
            with_key(&[]),
            vec!["--since", "unknown unit", "e.g. 90d"],
        ),
        (
            [&collect[..], &["--since", "0d"]].concat(),
            with_key(&[]),
            vec!["--since", "between 1h and 5 years"],
        ),
        (
            [&collect[..], &["--since", "99999999999999999999d"]].concat(),
            with_key(&[]),
            vec!["--since", "e.g. 90d"],
        ),
        (
            [&collect[..], &["--concurrency", "0"]].concat(),
            with_key(&[]),
            vec!["--concurrency", "1..=64"],
        ),
        (
            [&collect[..], &["--timeout", "0"]].concat(),
            with_key(&[]),
            vec!["--timeout", "1..=3600"],
        ),
        (
            collect.to_vec(),
            vec![("MONGODB_ATLAS_PUBLIC_API_KEY", "abcdefgh")],
            vec!["without its private key", "MONGODB_ATLAS_PRIVATE_API_KEY"],
        ),
        (
            collect.to_vec(),
            vec![("MONGODB_ATLAS_PROFILE", "no-such-profile")],
            vec!["no-such-profile", "atlas config init"],
        ),
        (
            vec!["diff", "run:abc", "snapshot.json"],
            vec![],
            vec!["run:abc", "run:N"],
        ),
        (
            vec!["diff", "run:1", "snapshot.json"],
            vec![],
            vec!["run:1", "--store"],
        ),
        (
            vec!["serve-mock", "--synthetic", "huge"],
            vec![],
            vec!["--synthetic", "small, medium, large, xl"],
        ),
        (
            vec!["serve-mock", "--synthetic", "small", "--faults", "501=0.5"],
            vec![],
            vec!["--faults", "slow-ms"],
        ),
        (
            vec!["serve-mock", "--synthetic", "small", "--rate-limit", "fast"],
            vec![],
            vec!["--rate-limit", "e.g. 50/s"],
        ),
        (
            vec!["serve-mock", "--world", "no-such-world"],
            vec![],
            vec!["--world no-such-world", "fixtures/demo"],
        ),
    ];
    for (args, env, needles) in &cases {
        refused(dir.path(), args, env, needles);
    }
    // A broken Atlas CLI config file is named with its line.
    std::fs::write(dir.path().join("atlascli.toml"), "[default\n").unwrap();
    let config = dir.path().join("atlascli.toml");
    refused_in_one_line(
        dir.path(),
        &collect,
        &[
            ("ATLAS_AUDIT_ATLASCLI_CONFIG", config.to_str().unwrap()),
            ("MONGODB_ATLAS_PROFILE", "default"),
        ],
        &["atlascli.toml", "line 1", "atlas config init"],
    );
}

#[test]
fn outputs_that_cannot_be_written_are_refused_before_any_work_for_root_too() {
    // A path under a regular file cannot be created by anyone, root included.
    let dir = workspace();
    let snapshot = ["--snapshot", "snapshot.json"];
    let report = |out: &'static str| -> Vec<&'static str> {
        [&["report"][..], &snapshot, &["--out", out]].concat()
    };
    refused_in_one_line(
        dir.path(),
        &report("a-file/q4"),
        &[],
        &[
            "--out a-file/q4",
            "a-file is a file, not a folder",
            "choose another --out",
        ],
    );
    refused_in_one_line(
        dir.path(),
        &report("a-file/deeper/q4"),
        &[],
        &["a-file is a file, not a folder"],
    );
    refused_in_one_line(
        dir.path(),
        &report("a-file"),
        &[],
        &["--out a-file is a file, not a folder", "name a folder"],
    );
    refused_in_one_line(
        dir.path(),
        &[&report("out")[..], &["--store", "a-file/evidence.db"]].concat(),
        &[],
        &["a-file/evidence.db", "--store must name"],
    );
    refused_in_one_line(
        dir.path(),
        &[
            &report("out")[..],
            &["--store", "no-such-folder/evidence.db"],
        ]
        .concat(),
        &[],
        &[
            "the folder no-such-folder does not exist",
            "choose another --store",
        ],
    );
    refused_in_one_line(
        dir.path(),
        &[&report("out")[..], &["--store", "a-folder"]].concat(),
        &[],
        &["--store a-folder is a folder", "a-folder/atlas-audit.db"],
    );
    std::fs::write(dir.path().join("not-a-store.db"), "plain text").unwrap();
    refused_in_one_line(
        dir.path(),
        &[&report("out")[..], &["--store", "not-a-store.db"]].concat(),
        &[],
        &["not-a-store.db", "not a database", "--store must name"],
    );
    refused_in_one_line(
        dir.path(),
        &["demo", "--out", "a-file/demo"],
        &[],
        &["a-file is a file, not a folder"],
    );
    refused_in_one_line(
        dir.path(),
        &["init", "--out", "a-file/atlas-audit.toml"],
        &[],
        &["a-file is a file, not a folder", "choose another --out"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_checks_its_output_before_it_asks_atlas_anything() {
    let server = start(demo_world(), mock_config()).await;
    let dir = workspace();
    let path = dir.path().to_path_buf();
    let url = server.base_url();
    tokio::task::spawn_blocking(move || {
        let env = [
            ("MONGODB_ATLAS_BASE_URL", url.as_str()),
            ("MONGODB_ATLAS_PUBLIC_API_KEY", PUBLIC_KEY),
            ("MONGODB_ATLAS_PRIVATE_API_KEY", PRIVATE_KEY),
        ];
        refused_in_one_line(
            &path,
            &["collect", "--out", "a-file/q4.json"],
            &env,
            &["--out a-file/q4.json", "a-file is a file, not a folder"],
        );
        refused_in_one_line(
            &path,
            &["collect", "--out", "no-such-folder/q4.json"],
            &env,
            &["the folder no-such-folder does not exist", "create it"],
        );
        refused_in_one_line(
            &path,
            &["collect", "--out", "a-folder"],
            &env,
            &["--out a-folder is a folder", "a-folder/snapshot.json"],
        );
        refused_in_one_line(
            &path,
            &[
                "collect",
                "--out",
                "q4.json",
                "--store",
                "a-file/evidence.db",
            ],
            &env,
            &["a-file/evidence.db"],
        );
    })
    .await
    .unwrap();
    assert_eq!(
        server.stats().requests,
        0,
        "every refusal came before the first request"
    );
    server.shutdown().await;
}

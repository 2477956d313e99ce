//! Where outputs go: a report folder that already holds a report is refused without `--force`
//! and replaced whole with it (no file of the earlier run survives); a folder holding other
//! files is never replaced; `demo` replaces its own folder; a snapshot file is replaced only
//! with `--force`; and nothing is left beside the folder once a run ends.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use crate::common::*;

/// Runs the binary in `dir` with `args`.
fn run(dir: &Path, args: &[&str]) -> Output {
    atlas_audit_command()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// A folder with the demo snapshot as `snapshot.json` and the previous quarter's as `old.json`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    atlas_audit::model::save(&demo_snapshot(), &dir.path().join("snapshot.json")).unwrap();
    let mut old = demo_snapshot();
    old.grants.truncate(old.grants.len() / 2);
    atlas_audit::model::save(&old, &dir.path().join("old.json")).unwrap();
    dir
}

/// The files the manifest lists, and the manifest itself.
fn manifest_files(dir: &Path) -> BTreeSet<String> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let mut files: BTreeSet<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    files.insert("manifest.json".into());
    files
}

fn ok(out: &Output) {
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "status {:?}: {}",
        out.status.code(),
        text(&out.stderr)
    );
}

/// Exit 2 with one line on stderr that holds every `needle`.
fn refused(out: &Output, needles: &[&str]) -> String {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in: {err}");
    }
    err
}

const FULL: &[&str] = &[
    "access-review.xlsx",
    "changes.csv",
    "directory.csv",
    "directory.json",
    "email.eml",
    "email.html",
    "email.txt",
    "findings.csv",
    "findings.json",
    "grants.csv",
    "manifest.json",
    "principals.csv",
    "report.html",
];

const DRY_RUN: &[&str] = &[
    "--email-to",
    "alice@example.test",
    "--email-from",
    "review@example.test",
    "--email-dry-run",
];

#[test]
fn a_folder_holding_a_report_is_refused_without_force_and_left_as_it_was() {
    let dir = workspace();
    ok(&run(
        dir.path(),
        &["report", "--snapshot", "snapshot.json", "--out", "q4"],
    ));
    let out = dir.path().join("q4");
    let before = std::fs::read(out.join("manifest.json")).unwrap();
    let again = run(
        dir.path(),
        &["report", "--snapshot", "old.json", "--out", "q4"],
    );
    refused(&again, &["q4", "already holds a report", "--force"]);
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), before);
    assert_eq!(names(&out), manifest_files(&out));
    assert_eq!(
        names(dir.path()),
        set(&["old.json", "q4", "snapshot.json"]),
        "nothing left beside the folder"
    );
}

#[test]
fn any_one_report_file_makes_the_folder_a_report() {
    for file in ["email.eml", "changes.csv", ".findings.csv.4242.tmp"] {
        let dir = workspace();
        let out = dir.path().join("q4");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join(file), "earlier run").unwrap();
        let again = run(
            dir.path(),
            &["report", "--snapshot", "snapshot.json", "--out", "q4"],
        );
        refused(&again, &["--out q4", "--force"]);
        assert_eq!(names(&out), set(&[file]), "{file}: untouched");
    }
}

#[test]
fn force_replaces_the_whole_folder_so_no_file_of_the_earlier_run_survives() {
    let dir = workspace();
    // Every file a report can write: all formats, changes.csv (a baseline), email.eml (a dry
    // run), and a temporary left by a run that was killed outright.
    let mut first = vec![
        "report",
        "--snapshot",
        "snapshot.json",
        "--baseline",
        "old.json",
        "--out",
        "q4",
    ];
    first.extend_from_slice(DRY_RUN);
    ok(&run(dir.path(), &first));
    let out = dir.path().join("q4");
    assert_eq!(names(&out), set(FULL));
    std::fs::write(out.join(".grants.csv.4242.tmp"), "half").unwrap();
    std::fs::write(out.join(".DS_Store"), "litter").unwrap();

    let second = run(
        dir.path(),
        &[
            "report",
            "--snapshot",
            "snapshot.json",
            "--format",
            "csv",
            "--out",
            "q4",
            "--force",
        ],
    );
    ok(&second);
    let expected = set(&[
        "directory.csv",
        "findings.csv",
        "grants.csv",
        "manifest.json",
        "principals.csv",
    ]);
    assert_eq!(names(&out), expected, "only this run's files");
    assert_eq!(
        manifest_files(&out),
        expected,
        "the manifest lists them all"
    );
    assert_eq!(
        names(dir.path()),
        set(&["old.json", "q4", "snapshot.json"]),
        "the earlier report, moved aside, is gone too"
    );
}

#[test]
fn a_folder_holding_other_files_is_never_replaced_even_with_force() {
    let dir = workspace();
    let out = dir.path().join("q4");
    std::fs::create_dir_all(out.join("notes")).unwrap();
    std::fs::write(out.join("findings.csv"), "earlier").unwrap();
    std::fs::write(out.join("reviewed-by-alice.xlsx"), "hand work").unwrap();
    for force in [false, true] {
        let mut args = vec!["report", "--snapshot", "snapshot.json", "--out", "q4"];
        if force {
            args.push("--force");
        }
        let err = refused(
            &run(dir.path(), &args),
            &[
                "q4",
                "notes/",
                "reviewed-by-alice.xlsx",
                "choose another --out",
            ],
        );
        assert!(
            !err.contains("findings.csv"),
            "a report file is not named: {err}"
        );
        assert_eq!(
            names(&out),
            set(&["findings.csv", "notes", "reviewed-by-alice.xlsx"])
        );
    }
    // The input snapshot inside the folder would be lost with the folder: refused too.
    let inside = dir.path().join("with-input");
    std::fs::create_dir(&inside).unwrap();
    std::fs::copy(
        dir.path().join("snapshot.json"),
        inside.join("snapshot.json"),
    )
    .unwrap();
    refused(
        &run(
            dir.path(),
            &[
                "report",
                "--snapshot",
                "with-input/snapshot.json",
                "--out",
                "with-input",
                "--force",
            ],
        ),
        &["with-input", "snapshot.json"],
    );
    assert!(inside.join("snapshot.json").is_file());
}

#[test]
fn an_empty_folder_or_one_with_only_litter_is_written_without_force() {
    let dir = workspace();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    ok(&run(
        dir.path(),
        &["report", "--snapshot", "snapshot.json", "--out", "empty"],
    ));
    assert!(dir.path().join("empty/manifest.json").is_file());
    std::fs::create_dir(dir.path().join("littered")).unwrap();
    std::fs::write(dir.path().join("littered/.DS_Store"), "x").unwrap();
    ok(&run(
        dir.path(),
        &["report", "--snapshot", "snapshot.json", "--out", "littered"],
    ));
    let out = dir.path().join("littered");
    assert_eq!(names(&out), manifest_files(&out));
    // Missing parents are created.
    ok(&run(
        dir.path(),
        &["report", "--snapshot", "snapshot.json", "--out", "a/b/c"],
    ));
    assert!(dir.path().join("a/b/c/manifest.json").is_file());
}

#[test]
fn the_current_folder_is_never_the_report_folder() {
    let dir = workspace();
    let empty = dir.path().join("here");
    std::fs::create_dir(&empty).unwrap();
    let snapshot = dir.path().join("snapshot.json");
    let out = run(
        &empty,
        &[
            "report",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--out",
            ".",
        ],
    );
    refused(&out, &["--out .", "current folder", "e.g. --out"]);
    assert!(empty.is_dir(), "the folder is still there");
    assert!(names(&empty).is_empty());
}

#[test]
fn demo_replaces_its_own_folder_every_time() {
    let dir = tempfile::tempdir().unwrap();
    ok(&run(dir.path(), &["demo", "-q"]));
    let out = dir.path().join("atlas-audit-demo");
    let mut first = names(&out);
    // The snapshot and the review loop's files stand beside the report.
    for loop_file in [
        "snapshot.json",
        "reviewed.xlsx",
        "decisions.csv",
        "plan.json",
        "plan.txt",
        "apply-log.jsonl",
        "snapshot-after.json",
        "report-after",
    ] {
        assert!(first.remove(loop_file), "{loop_file}");
    }
    assert_eq!(first, manifest_files(&out));
    std::fs::write(out.join("changes.csv"), "stale").unwrap();
    ok(&run(dir.path(), &["demo", "-q"]));
    assert!(
        !out.join("changes.csv").exists(),
        "a file of the earlier demo survived"
    );
    assert_eq!(names(dir.path()), set(&["atlas-audit-demo"]));
    // A folder that is not a demo's is left alone.
    std::fs::write(out.join("mine.txt"), "keep").unwrap();
    refused(
        &run(dir.path(), &["demo", "-q"]),
        &["atlas-audit-demo", "mine.txt", "the demo does not write"],
    );
    assert_eq!(
        std::fs::read_to_string(out.join("mine.txt")).unwrap(),
        "keep"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_replaces_a_snapshot_only_with_force() {
    let server = start(demo_world(), mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("q4.json"), "the earlier snapshot").unwrap();
    let collect = |force: bool| {
        let mut cmd = atlas_audit_command();
        cmd.args(["collect", "-q", "--out", "q4.json"])
            .current_dir(dir.path())
            .env("MONGODB_ATLAS_BASE_URL", server.base_url())
            .env("MONGODB_ATLAS_PUBLIC_API_KEY", PUBLIC_KEY)
            .env("MONGODB_ATLAS_PRIVATE_API_KEY", PRIVATE_KEY);
        if force {
            cmd.arg("--force");
        }
        cmd
    };
    let mut refused_run = collect(false);
    let out = tokio::task::spawn_blocking(move || refused_run.output().unwrap())
        .await
        .unwrap();
    refused(&out, &["q4.json", "already exists", "--force"]);
    assert_eq!(
        server.stats().requests,
        0,
        "refused before anything was collected"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("q4.json")).unwrap(),
        "the earlier snapshot"
    );
    let mut forced = collect(true);
    let out = tokio::task::spawn_blocking(move || forced.output().unwrap())
        .await
        .unwrap();
    ok(&out);
    let snapshot = atlas_audit::model::load(&dir.path().join("q4.json")).unwrap();
    assert!(snapshot.orgs.len() >= 2);
    assert_eq!(names(dir.path()), set(&["q4.json"]), "no temporary left");
    server.shutdown().await;
}

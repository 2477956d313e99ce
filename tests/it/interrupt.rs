//! SIGINT and SIGTERM in the middle of a run: during a collection (against a simulated Atlas
//! whose every answer is slow) and during rendering (held by a test hook once every file but
//! the manifest is written, or a large estate caught mid-render). The run exits 130 or 143 with
//! one line on stderr, and leaves no partly written file: no snapshot, no report folder, no
//! temporary beside them, and an earlier snapshot or report exactly as it was.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use atlas_audit::mock::{MockServer, SyntheticSize};

fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Sends `signal` (INT or TERM) with kill(1).
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} failed");
}

/// Waits until `ready` holds, for at most a minute (the machine may be busy).
fn wait_for(what: &str, child: &mut Child, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before {what}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never saw {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The run ended with `code` and said, in one line, which signal stopped it.
fn assert_interrupted(out: &Output, code: i32, name: &str) -> String {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err:?}");
    assert!(
        err.contains(&format!("interrupted by {name}")) && err.contains("run the command again"),
        "{err}"
    );
    err
}

/// `collect` (or a live `report`) against `server`, in `dir`.
fn live(server: &MockServer, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = atlas_audit_command();
    cmd.args(args)
        .current_dir(dir)
        .env("MONGODB_ATLAS_BASE_URL", server.base_url())
        .env("MONGODB_ATLAS_PUBLIC_API_KEY", PUBLIC_KEY)
        .env("MONGODB_ATLAS_PRIVATE_API_KEY", PRIVATE_KEY);
    cmd
}

/// A simulated Atlas whose every answer takes two seconds.
async fn slow_server() -> MockServer {
    start(demo_world(), mock_config_with_faults("slow=1,slow-ms=2000")).await
}

/// Starts `cmd`, waits until the server has been asked something (the run is collecting,
/// and listening for signals), sends `sig` and returns the output.
async fn interrupt_collection(server: &MockServer, cmd: Command, sig: &'static str) -> Output {
    let mut child = spawn(cmd);
    let waited = Instant::now();
    while server.stats().requests == 0 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before its first request");
        }
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "never saw the first request"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    signal(&child, sig);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the run stopped at once, not after its slow requests"
    );
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_during_collection_writes_no_snapshot() {
    let server = slow_server().await;
    let dir = tempfile::tempdir().unwrap();
    let cmd = live(&server, dir.path(), &["collect", "--out", "q4.json"]);
    let out = interrupt_collection(&server, cmd, "INT").await;
    let err = assert_interrupted(&out, 130, "SIGINT");
    assert!(err.contains("q4.json was not written"), "{err}");
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_collection_leaves_the_earlier_snapshot_as_it_was() {
    let server = slow_server().await;
    let dir = tempfile::tempdir().unwrap();
    let earlier = serde_json::to_vec(&demo_snapshot()).unwrap();
    std::fs::write(dir.path().join("q4.json"), &earlier).unwrap();
    let cmd = live(
        &server,
        dir.path(),
        &["collect", "--out", "q4.json", "--force"],
    );
    let out = interrupt_collection(&server, cmd, "TERM").await;
    let err = assert_interrupted(&out, 143, "SIGTERM");
    assert!(err.contains("q4.json is as it was"), "{err}");
    assert_eq!(names(dir.path()), set(&["q4.json"]));
    assert_eq!(std::fs::read(dir.path().join("q4.json")).unwrap(), earlier);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_during_a_live_report_leaves_no_folder() {
    let server = slow_server().await;
    let dir = tempfile::tempdir().unwrap();
    let cmd = live(&server, dir.path(), &["report", "--out", "q4"]);
    let out = interrupt_collection(&server, cmd, "INT").await;
    let err = assert_interrupted(&out, 130, "SIGINT");
    assert!(err.contains("q4/ was not written"), "{err}");
    assert!(
        names(dir.path()).is_empty(),
        "no report folder, and no hidden one: {:?}",
        names(dir.path())
    );
    server.shutdown().await;
}

/// A folder with the demo snapshot; returns it and the snapshot's path.
fn with_snapshot() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    atlas_audit::model::save(&demo_snapshot(), &path).unwrap();
    (dir, path)
}

/// The hidden folders beside the report folder (where it is written before it takes its
/// place), and what is in them.
fn staged(dir: &Path) -> Vec<(String, BTreeSet<String>)> {
    names(dir)
        .into_iter()
        .filter(|n| n.starts_with('.') && dir.join(n).is_dir())
        .map(|n| {
            let inside = names(&dir.join(&n));
            (n, inside)
        })
        .collect()
}

/// `report` over `snapshot.json` in `dir`, held once every file but the manifest is written.
fn held_report(dir: &Path, extra: &[&str]) -> Child {
    let mut cmd = atlas_audit_command();
    cmd.args(["report", "--snapshot", "snapshot.json", "--out", "q4"])
        .args(extra)
        .current_dir(dir)
        .env("ATLAS_AUDIT_TEST_RENDER_PAUSE_MS", "30000");
    spawn(cmd)
}

/// Waits until the hidden folder holds every file but the manifest.
fn wait_until_rendered(dir: &Path, child: &mut Child) {
    wait_for("the rendered files", child, || {
        staged(dir)
            .iter()
            .any(|(_, inside)| inside.contains("findings.json") && inside.contains("grants.csv"))
    });
    // The last renames run on their own threads.
    std::thread::sleep(Duration::from_millis(200));
}

#[test]
fn sigint_during_rendering_leaves_no_report_folder() {
    let (dir, _) = with_snapshot();
    let mut child = held_report(dir.path(), &[]);
    wait_until_rendered(dir.path(), &mut child);
    let (hidden, inside) = staged(dir.path()).remove(0);
    assert!(
        hidden.starts_with(".q4.") && hidden.ends_with(".tmp"),
        "plainly a temporary: {hidden}"
    );
    assert!(!inside.contains("manifest.json"), "{inside:?}");
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    let err = assert_interrupted(&out, 130, "SIGINT");
    assert!(err.contains("q4/ was not written"), "{err}");
    assert_eq!(names(dir.path()), set(&["snapshot.json"]));
}

#[test]
fn sigterm_during_rendering_with_force_leaves_the_earlier_report_as_it_was() {
    let (dir, _) = with_snapshot();
    let first = atlas_audit_command()
        .args([
            "report",
            "--snapshot",
            "snapshot.json",
            "--out",
            "q4",
            "--format",
            "csv",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let q4 = dir.path().join("q4");
    let before: Vec<(String, Vec<u8>)> = names(&q4)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(q4.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    let mut child = held_report(dir.path(), &["--force"]);
    wait_until_rendered(dir.path(), &mut child);
    signal(&child, "TERM");
    let out = child.wait_with_output().unwrap();
    let err = assert_interrupted(&out, 143, "SIGTERM");
    assert!(err.contains("q4/ is as it was"), "{err}");
    assert_eq!(names(dir.path()), set(&["q4", "snapshot.json"]));
    let after: Vec<(String, Vec<u8>)> = names(&q4)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(q4.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    assert!(after == before, "the earlier report changed");
}

#[test]
fn sigint_during_the_demo_leaves_the_earlier_demo_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let first = atlas_audit_command()
        .args(["demo", "-q"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let demo = dir.path().join("atlas-audit-demo");
    let manifest = std::fs::read(demo.join("manifest.json")).unwrap();
    let files = names(&demo);
    let mut cmd = atlas_audit_command();
    cmd.args(["demo", "-q"])
        .current_dir(dir.path())
        .env("ATLAS_AUDIT_TEST_RENDER_PAUSE_MS", "30000");
    let mut child = spawn(cmd);
    wait_until_rendered(dir.path(), &mut child);
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    assert_interrupted(&out, 130, "SIGINT");
    assert_eq!(names(dir.path()), set(&["atlas-audit-demo"]));
    assert_eq!(names(&demo), files);
    assert_eq!(std::fs::read(demo.join("manifest.json")).unwrap(), manifest);
}

/// Without the hook: a large estate, signalled as soon as its first file is rendering. Whether
/// the signal lands mid-render or (on a fast machine) after the last rename, the folder is
/// either absent or whole.
#[test]
fn sigint_while_a_large_estate_renders_leaves_nothing_or_a_whole_report() {
    let dir = tempfile::tempdir().unwrap();
    atlas_audit::model::save(
        &synthetic_snapshot(SyntheticSize::Medium),
        &dir.path().join("snapshot.json"),
    )
    .unwrap();
    let mut cmd = atlas_audit_command();
    cmd.args(["report", "--snapshot", "snapshot.json", "--out", "q4"])
        .current_dir(dir.path());
    let mut child = spawn(cmd);
    wait_for("a file being written", &mut child, || {
        staged(dir.path())
            .iter()
            .any(|(_, inside)| !inside.is_empty())
    });
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    match out.status.code() {
        Some(130) => {
            assert_interrupted(&out, 130, "SIGINT");
            assert_eq!(names(dir.path()), set(&["snapshot.json"]));
        }
        Some(0) => {
            let q4 = dir.path().join("q4");
            assert_eq!(names(dir.path()), set(&["q4", "snapshot.json"]));
            assert!(q4.join("manifest.json").is_file(), "{:?}", names(&q4));
        }
        other => panic!("status {other:?}: {}", text(&out.stderr)),
    }
}

//! The binary end to end: exit codes, messages a user can act on, and secrets that never leak.

mod common;

use std::process::{Command, Output};

use atlas_audit::mock::FaultSpec;
use common::*;

fn atlas_audit(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atlas-audit"));
    cmd.args(args);
    for var in [
        "MONGODB_ATLAS_PUBLIC_API_KEY",
        "MONGODB_ATLAS_PRIVATE_API_KEY",
        "MONGODB_ATLAS_PUBLIC_KEY",
        "MONGODB_ATLAS_PRIVATE_KEY",
        "MONGODB_ATLAS_CLIENT_ID",
        "MONGODB_ATLAS_CLIENT_SECRET",
        "MONGODB_ATLAS_BASE_URL",
        "MONGODB_ATLAS_ORG_ID",
        "MONGODB_ATLAS_PROJECT_ID",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn run_async(args: Vec<String>, env: Vec<(String, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let e: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        atlas_audit(&a, &e)
    })
    .await
    .unwrap()
}

#[test]
fn unknown_flag_exits_2_with_usage() {
    let out = atlas_audit(&["collect", "--no-such-flag"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--no-such-flag"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn missing_credentials_say_which_variables_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("s.json");
    let out = atlas_audit(&["collect", "--out", out_file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("MONGODB_ATLAS_PUBLIC_API_KEY"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!out_file.exists());
}

#[test]
fn half_given_credentials_are_named() {
    let out = atlas_audit(
        &["collect"],
        &[("MONGODB_ATLAS_PUBLIC_API_KEY", "abcdefgh")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("without its private key"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let out = atlas_audit(
        &["collect", "--base-url", "http://cloud.mongodb.example"],
        &[
            ("MONGODB_ATLAS_PUBLIC_API_KEY", "abcdefgh"),
            ("MONGODB_ATLAS_PRIVATE_API_KEY", "x"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("loopback"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_since_names_the_forms() {
    let out = atlas_audit(&["collect", "--since", "3 months"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("90d"), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_scope_exits_3_and_is_named() {
    let denied = snapshot_from_world(&demo_world()).projects[1].id.clone();
    let mut config = mock_config();
    config.faults = format!("deny=/groups/{denied}")
        .parse::<FaultSpec>()
        .unwrap();
    let server = start(demo_world(), config).await;
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snapshot.json");
    let out = run_async(
        vec!["collect".into(), "--out".into(), snap.display().to_string()],
        vec![
            ("MONGODB_ATLAS_BASE_URL".into(), server.base_url()),
            ("MONGODB_ATLAS_PUBLIC_API_KEY".into(), PUBLIC_KEY.into()),
            ("MONGODB_ATLAS_PRIVATE_API_KEY".into(), PRIVATE_KEY.into()),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("INCOMPLETE"), "{stdout}");
    assert!(stdout.contains(&format!("project:{denied}")), "{stdout}");
    let snapshot = atlas_audit::model::load(&snap).unwrap();
    assert!(snapshot.coverage.iter().all(|g| g.scope.contains(&denied)));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_logs_or_the_snapshot() {
    let server = start(demo_world(), mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snapshot.json");
    let out = run_async(
        vec![
            "-vvv".into(),
            "collect".into(),
            "--out".into(),
            snap.display().to_string(),
        ],
        vec![
            ("MONGODB_ATLAS_BASE_URL".into(), server.base_url()),
            ("MONGODB_ATLAS_PUBLIC_API_KEY".into(), PUBLIC_KEY.into()),
            ("MONGODB_ATLAS_PRIVATE_API_KEY".into(), PRIVATE_KEY.into()),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.lines().count() > 20, "-vvv logs something: {stderr}");
    let written = std::fs::read_to_string(&snap).unwrap();
    for (name, haystack) in [
        ("stdout", text(&out.stdout)),
        ("stderr", stderr),
        ("snapshot", written.clone()),
    ] {
        assert!(
            !haystack.contains(PRIVATE_KEY),
            "private key found in {name}"
        );
        assert!(
            !haystack.contains("SENTINEL"),
            "part of the private key found in {name}"
        );
    }
    assert!(
        written.contains(&format!("api_key:{PUBLIC_KEY}")),
        "the public identity is recorded"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn service_account_secret_never_leaks() {
    let mut config = mock_config();
    let secret = "mdb_sa_sk_CLIENT-SECRET-SENTINEL";
    config.client_id = Some("mdb_sa_id_aaaaaaaaaaaaaaaaaaaaaaaa".into());
    config.client_secret = Some(secrecy::SecretString::from(secret.to_string()));
    let server = start(demo_world(), config).await;
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snapshot.json");
    let out = run_async(
        vec![
            "-vvv".into(),
            "collect".into(),
            "--out".into(),
            snap.display().to_string(),
        ],
        vec![
            ("MONGODB_ATLAS_BASE_URL".into(), server.base_url()),
            (
                "MONGODB_ATLAS_CLIENT_ID".into(),
                "mdb_sa_id_aaaaaaaaaaaaaaaaaaaaaaaa".into(),
            ),
            ("MONGODB_ATLAS_CLIENT_SECRET".into(), secret.into()),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let written = std::fs::read_to_string(&snap).unwrap();
    for haystack in [text(&out.stdout), text(&out.stderr), written] {
        assert!(!haystack.contains("SENTINEL"));
    }
    server.shutdown().await;
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = atlas_audit(&["demo", "--out", dir.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("coverage: complete"), "{stdout}");
    let snapshot = atlas_audit::model::load(&dir.path().join("snapshot.json")).unwrap();
    assert!(snapshot.orgs.len() >= 2);
}

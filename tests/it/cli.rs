//! The binary end to end: exit codes, messages a user can act on, and secrets that never leak.

use std::process::Output;

use crate::common::*;

fn atlas_audit(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = atlas_audit_command();
    cmd.args(args).envs(env.iter().copied());
    cmd.output().expect("the binary runs")
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

/// Runs `atlas-audit [-vvv] collect` against `server` with the given credential variables;
/// returns the output, the snapshot's path and the folder that holds it.
async fn collect_cli(
    server: &atlas_audit::mock::MockServer,
    verbose: bool,
    credentials: &[(&str, &str)],
) -> (Output, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snapshot.json");
    let mut args: Vec<String> = Vec::new();
    if verbose {
        args.push("-vvv".into());
    }
    args.extend(["collect".into(), "--out".into(), snap.display().to_string()]);
    let mut env = vec![("MONGODB_ATLAS_BASE_URL".to_string(), server.base_url())];
    env.extend(
        credentials
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    (run_async(args, env).await, snap, dir)
}

const KEY_ENV: &[(&str, &str)] = &[
    ("MONGODB_ATLAS_PUBLIC_API_KEY", PUBLIC_KEY),
    ("MONGODB_ATLAS_PRIVATE_API_KEY", PRIVATE_KEY),
];

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
    let config = mock_config_with_faults(&format!("deny=/groups/{denied}"));
    let server = start(demo_world(), config).await;
    let (out, snap, _dir) = collect_cli(&server, false, KEY_ENV).await;
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("INCOMPLETE"), "{stdout}");
    assert!(stdout.contains(&format!("project:{denied}")), "{stdout}");
    let snapshot = atlas_audit::model::load(&snap).unwrap();
    assert!(snapshot.coverage.iter().all(|g| g.scope.contains(&denied)));
    // The saved evidence says the same when summarised later.
    let again = atlas_audit(&["summary", "--snapshot", snap.to_str().unwrap()], &[]);
    assert_eq!(again.status.code(), Some(3));
    assert!(text(&again.stdout).contains(&format!("project:{denied}")));
    server.shutdown().await;
}

/// Every output of a `-vvv` run, for searching.
fn everything(out: &Output, snap: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("stdout", text(&out.stdout)),
        ("stderr", text(&out.stderr)),
        ("snapshot", std::fs::read_to_string(snap).unwrap()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_reach_logs_or_the_snapshot() {
    let server = start(demo_world(), mock_config()).await;
    let (out, snap, _dir) = collect_cli(&server, true, KEY_ENV).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(
        text(&out.stderr).lines().count() > 100,
        "-vvv logs every request"
    );
    for (name, haystack) in everything(&out, &snap) {
        assert!(
            !haystack.contains(PRIVATE_KEY),
            "private key found in {name}"
        );
        assert!(
            !haystack.contains("SENTINEL"),
            "part of the private key found in {name}"
        );
    }
    let written = std::fs::read_to_string(&snap).unwrap();
    assert!(
        written.contains(&format!("api_key:{PUBLIC_KEY}")),
        "the public identity is recorded"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn service_account_secret_never_leaks() {
    let client_id = "mdb_sa_id_aaaaaaaaaaaaaaaaaaaaaaaa";
    let secret = "mdb_sa_sk_CLIENT-SECRET-SENTINEL";
    let mut config = mock_config();
    config.client_id = Some(client_id.into());
    config.client_secret = Some(secrecy::SecretString::from(secret.to_string()));
    let server = start(demo_world(), config).await;
    let env = [
        ("MONGODB_ATLAS_CLIENT_ID", client_id),
        ("MONGODB_ATLAS_CLIENT_SECRET", secret),
    ];
    let (out, snap, _dir) = collect_cli(&server, true, &env).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    for (name, haystack) in everything(&out, &snap) {
        assert!(
            !haystack.contains("SENTINEL"),
            "client secret found in {name}"
        );
    }
    server.shutdown().await;
}

#[test]
fn unreadable_and_newer_snapshots_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let out = atlas_audit(&["summary", "--snapshot", missing.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("missing.json") && err.contains("cannot read"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let newer = dir.path().join("newer.json");
    std::fs::write(&newer, r#"{"schema_version": 999}"#).unwrap();
    let out = atlas_audit(&["summary", "--snapshot", newer.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("upgrade atlas-audit"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let truncated = dir.path().join("truncated.json");
    std::fs::write(&truncated, r#"{"schema_version": 1, "orgs": ["#).unwrap();
    let out = atlas_audit(&["summary", "--snapshot", truncated.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not an atlas-audit snapshot"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = atlas_audit(&["demo", "--out", dir.path().to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        row(&stdout, "coverage"),
        Some("complete: every requested scope was read"),
        "{stdout}"
    );
    assert!(row(&stdout, "findings").is_some(), "{stdout}");
    // Atlas's agents sign in on two clusters: kept and counted, nobody's activity.
    assert!(
        row(&stdout, "read")
            .is_some_and(|r| r.ends_with("access-log entries (3 by Atlas's own agents)")),
        "{stdout}"
    );
    assert!(
        row(&stdout, "next").is_some_and(|r| r.contains("report.html")),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("coverage")).count(),
        1,
        "one table, one coverage row: {stdout}"
    );
    let snap = dir.path().join("snapshot.json");
    let snapshot = atlas_audit::model::load(&snap).unwrap();
    assert!(snapshot.orgs.len() >= 2);
    let again = atlas_audit(&["summary", "--snapshot", snap.to_str().unwrap()], &[]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout).contains("Northwind Outfitters"),
        "{}",
        text(&again.stdout)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_draws_nothing_when_stderr_is_not_a_terminal() {
    let server = start(demo_world(), mock_config()).await;
    let (out, snap, _dir) = collect_cli(&server, false, KEY_ENV).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    // No bar and no progress line: only the warning, once, that the invitations listing
    // (deprecated, as Atlas's `Deprecation` and `Sunset` headers say) goes away at its sunset.
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        matches!(lines.as_slice(), [only] if only.contains(" WARN ")
            && only.contains("read endpoint deprecated")
            && only.contains("operation=\"listGroupInvites\"")
            && only.contains("sunset=\"Thu, 1 Jul 2027 00:00:00 GMT\"")),
        "no bar, no line on a piped stderr but the deprecation: {stderr}"
    );
    assert!(!stderr.contains('\r'), "{stderr}");
    let stdout = text(&out.stdout);
    assert_eq!(
        row(&stdout, "snapshot"),
        Some(snap.to_str().unwrap()),
        "{stdout}"
    );
    assert_eq!(
        row(&stdout, "scope"),
        Some("every organization the credential can read")
    );
    server.shutdown().await;
}

//! Atlas CLI profiles end to end: which credentials, base URL and scope a run takes from the
//! Atlas CLI's config file, in what order against flags and variables, and what it says when a
//! profile is missing. The config file is a temporary one, named with ATLAS_AUDIT_ATLASCLI_CONFIG
//! (or the hidden --atlascli-config flag), so nothing depends on the home folder.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;
use atlas_audit::mock::MockServer;
use atlas_audit::model::Snapshot;

const SA_ID: &str = "mdb_sa_id_profiletest";
const SA_SECRET: &str = "mdb_sa_sk_PROFILE-SECRET-SENTINEL";

/// The simulated demo Atlas, accepting the test API key and a service account.
async fn server() -> MockServer {
    let config = mock_config()
        .with_service_account(SA_ID, secrecy::SecretString::from(SA_SECRET.to_string()));
    start(demo_world(), config).await
}

/// A config file with three profiles: `default` (the test API key and the server's URL),
/// `work` (the service account, no URL) and `scoped` (the API key, the server's URL, one org
/// and one project), beside the Atlas CLI's global settings.
fn config(dir: &Path, server: &MockServer, org: &str, project: &str) -> PathBuf {
    let url = server.base_url();
    let text = format!(
        r#"telemetry_enabled = false

[default]
  public_api_key = "{PUBLIC_KEY}"
  private_api_key = "{PRIVATE_KEY}"
  ops_manager_url = "{url}/"
  service = "cloud"
  output = "json"

[work]
  client_id = "{SA_ID}"
  client_secret = "{SA_SECRET}"
  service = "cloud"

[scoped]
  public_api_key = "{PUBLIC_KEY}"
  private_api_key = "{PRIVATE_KEY}"
  ops_manager_url = "{url}"
  org_id = "{org}"
  project_id = "{project}"
"#
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A run of `collect` into a temporary folder, with its output and snapshot (when written).
struct Run {
    out: Output,
    snapshot: Option<Snapshot>,
    _dir: tempfile::TempDir,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.out.status.code()
    }

    fn stderr(&self) -> String {
        text(&self.out.stderr)
    }

    /// `kind:identity` of the credential the snapshot was collected with.
    fn credential(&self) -> String {
        let snapshot = self
            .snapshot
            .as_ref()
            .unwrap_or_else(|| panic!("no snapshot; stderr: {}", self.stderr()));
        snapshot.meta.credential.clone()
    }
}

/// Runs `atlas-audit collect ARGS` with the config file at `config` and `env` on top.
async fn collect(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snapshot.json");
    let mut cmd = atlas_audit_command();
    cmd.arg("collect")
        .arg("--out")
        .arg(&snap)
        .args(args)
        .env("ATLAS_AUDIT_ATLASCLI_CONFIG", config)
        .envs(env.iter().copied());
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .unwrap();
    let snapshot = snap
        .exists()
        .then(|| atlas_audit::model::load(&snap).unwrap());
    Run {
        out,
        snapshot,
        _dir: dir,
    }
}

/// The demo estate's first org and that org's first project.
fn demo_scope() -> (String, String) {
    let direct = snapshot_from_world(&demo_world());
    let org = direct.orgs[0].id.clone();
    let project = direct
        .projects
        .iter()
        .find(|p| p.org_id == org)
        .unwrap()
        .id
        .clone();
    (org, project)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_profile_gives_credentials_and_base_url_when_nothing_else_does() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (org, project) = demo_scope();
    let path = config(dir.path(), &server, &org, &project);
    let run = collect(&path, &[], &[]).await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.credential(), format!("api_key:{PUBLIC_KEY}"));
    let snapshot = run.snapshot.as_ref().unwrap();
    assert_eq!(
        snapshot.meta.base_url,
        server.base_url(),
        "the profile's URL"
    );
    assert!(snapshot.meta.scope.orgs.is_empty() && snapshot.meta.scope.projects.is_empty());
    assert!(snapshot.orgs.len() >= 2, "every org the key can read");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_profile_is_used_from_the_flag_or_the_variable() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (org, project) = demo_scope();
    let path = config(dir.path(), &server, &org, &project);
    let url = server.base_url();
    let base = [("MONGODB_ATLAS_BASE_URL", url.as_str())];
    let by_flag = collect(&path, &["--profile", "work"], &base).await;
    assert_eq!(by_flag.code(), Some(0), "{}", by_flag.stderr());
    assert_eq!(by_flag.credential(), format!("service_account:{SA_ID}"));
    let env = [base[0], ("MONGODB_ATLAS_PROFILE", "work")];
    let by_env = collect(&path, &[], &env).await;
    assert_eq!(by_env.code(), Some(0), "{}", by_env.stderr());
    assert_eq!(by_env.credential(), format!("service_account:{SA_ID}"));
    let short = collect(&path, &["-P", "work"], &base).await;
    assert_eq!(short.credential(), format!("service_account:{SA_ID}"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn variables_beat_the_profile_and_flags_beat_variables() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (org, project) = demo_scope();
    let path = config(dir.path(), &server, &org, &project);
    let url = server.base_url();
    // The work profile is named, but the variables give an API key: the key is used.
    let env = [
        ("MONGODB_ATLAS_BASE_URL", url.as_str()),
        ("MONGODB_ATLAS_PUBLIC_API_KEY", PUBLIC_KEY),
        ("MONGODB_ATLAS_PRIVATE_API_KEY", PRIVATE_KEY),
    ];
    let run = collect(&path, &["--profile", "work"], &env).await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.credential(), format!("api_key:{PUBLIC_KEY}"));

    // Wrong keys in the variables, the right ones in flags: the flags are used. (With
    // credentials given and no profile named, no profile is read, so the URL is set here.)
    let wrong = [
        ("MONGODB_ATLAS_BASE_URL", url.as_str()),
        ("MONGODB_ATLAS_PUBLIC_API_KEY", "wrongpub"),
        ("MONGODB_ATLAS_PRIVATE_API_KEY", "wrong-private"),
    ];
    let run = collect(
        &path,
        &["--public-key", PUBLIC_KEY, "--private-key", PRIVATE_KEY],
        &wrong,
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.credential(), format!("api_key:{PUBLIC_KEY}"));

    // The same wrong variables and no flags: they are used (and refused), not the profile.
    let run = collect(&path, &[], &wrong).await;
    assert_eq!(run.code(), Some(2), "{}", run.stderr());
    assert!(
        run.stderr().contains("Atlas refused API key"),
        "{}",
        run.stderr()
    );
    assert!(run.snapshot.is_none());

    // A base URL variable beats the profile's URL (and this one is refused before any request).
    let run = collect(
        &path,
        &[],
        &[("MONGODB_ATLAS_BASE_URL", "http://cloud.mongodb.example")],
    )
    .await;
    assert_eq!(run.code(), Some(2), "{}", run.stderr());
    assert!(
        run.stderr().contains("cloud.mongodb.example"),
        "{}",
        run.stderr()
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_profile_scope_applies_unless_the_command_line_names_one() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (org, project) = demo_scope();
    let path = config(dir.path(), &server, &org, &project);
    let run = collect(&path, &["--profile", "scoped"], &[]).await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let snapshot = run.snapshot.as_ref().unwrap();
    assert_eq!(snapshot.meta.scope.orgs, vec![org.clone()]);
    assert_eq!(snapshot.meta.scope.projects, vec![project.clone()]);
    let ids: Vec<&str> = snapshot.projects.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec![project.as_str()], "only the profile's project");
    assert!(
        text(&run.out.stdout).contains(&format!("org {org}, project {project}")),
        "the summary names the scope: {}",
        text(&run.out.stdout)
    );

    let other = snapshot_from_world(&demo_world()).orgs[1].id.clone();
    let run = collect(&path, &["--profile", "scoped", "--org", &other], &[]).await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let snapshot = run.snapshot.as_ref().unwrap();
    assert_eq!(snapshot.meta.scope.orgs, vec![other.clone()]);
    assert!(
        snapshot.meta.scope.projects.is_empty(),
        "--org replaces the profile's scope"
    );
    assert!(snapshot.projects.iter().all(|p| p.org_id == other));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_profile_lists_the_ones_the_file_has() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (org, project) = demo_scope();
    let path = config(dir.path(), &server, &org, &project);
    let run = collect(&path, &["--profile", "prod"], &[]).await;
    assert_eq!(run.code(), Some(2));
    let err = run.stderr();
    assert!(err.contains("--profile prod"), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(
        err.contains("it has profiles default, scoped, work"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_file_the_message_names_profile_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("atlascli").join("config.toml");
    let run = collect(&absent, &[], &[]).await;
    assert_eq!(run.code(), Some(2));
    let err = run.stderr();
    assert!(err.contains("no Atlas credentials"), "{err}");
    assert!(err.contains("--profile"), "{err}");
    assert!(
        err.contains(&format!("{} does not exist", absent.display())),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    // Named, a missing file is an error that says how to create the profile.
    let run = collect(&absent, &["--profile", "work"], &[]).await;
    assert_eq!(run.code(), Some(2));
    assert!(
        run.stderr().contains("atlas config init --profile work"),
        "{}",
        run.stderr()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hidden_flag_names_the_file_and_no_secret_leaks() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (org, project) = demo_scope();
    let path = config(dir.path(), &server, &org, &project);
    let elsewhere = dir.path().join("not-this-one.toml");
    let url = server.base_url();
    let run = collect(
        &elsewhere,
        &[
            "-vvv",
            "--atlascli-config",
            path.to_str().unwrap(),
            "--profile",
            "work",
        ],
        &[("MONGODB_ATLAS_BASE_URL", url.as_str())],
    )
    .await;
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.credential(), format!("service_account:{SA_ID}"));
    let written = serde_json::to_string(run.snapshot.as_ref().unwrap()).unwrap();
    for (name, haystack) in [
        ("stdout", text(&run.out.stdout)),
        ("stderr", run.stderr()),
        ("snapshot", written),
    ] {
        assert!(!haystack.contains("SENTINEL"), "a secret in {name}");
        assert!(!haystack.contains(PRIVATE_KEY), "the private key in {name}");
    }
    assert!(
        run.stderr().contains("Atlas CLI profile read"),
        "-vvv says so"
    );
    server.shutdown().await;
}

//! Shared test helpers: a fixed clock, the demo world, a simulated Atlas with a client pointed
//! at it, and an estate built straight from a world's files (no HTTP) to compare collections to.

#![allow(dead_code)]

pub mod faults;
mod federation;
pub mod hostile;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use atlas_audit::atlas::types;
use atlas_audit::atlas::{Client, ClientOptions, Credentials};
use atlas_audit::collect::raw::{
    RawAccessLog, RawApiKey, RawCertificates, RawEstate, RawOrg, RawPaths, RawProject,
    RawServiceAccount, Window,
};
use atlas_audit::collect::{self, CollectOptions};
use atlas_audit::mock::{MockConfig, MockServer, World};
use atlas_audit::model::{Meta, Snapshot};
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use serde::de::DeserializeOwned;

/// The tests' "now": fixed, so nothing depends on the calendar.
pub fn now() -> Timestamp {
    "2027-01-15T12:00:00Z".parse().unwrap()
}

pub const PUBLIC_KEY: &str = "testpubk";
/// Recognisable, so a test can search every output for it.
pub const PRIVATE_KEY: &str = "PRIVATE-e9c1f0a7-4b2d-SENTINEL";

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn demo_world() -> World {
    World::load(&fixtures().join("demo"), now()).expect("demo world loads")
}

pub fn mock_config() -> MockConfig {
    MockConfig::new(PUBLIC_KEY, SecretString::from(PRIVATE_KEY.to_string()))
}

/// The test configuration with these faults injected (`FaultSpec` grammar).
pub fn mock_config_with_faults(spec: &str) -> MockConfig {
    let mut config = mock_config();
    config.faults = spec
        .parse()
        .unwrap_or_else(|e| panic!("fault spec {spec:?}: {e}"));
    config
}

pub fn credentials() -> Credentials {
    Credentials::ApiKey {
        public_key: PUBLIC_KEY.into(),
        private_key: SecretString::from(PRIVATE_KEY.to_string()),
    }
}

/// Client options for tests: short waits so retries do not slow the suite.
pub fn fast_options(base_url: String) -> ClientOptions {
    ClientOptions {
        base_url,
        concurrency: 4,
        timeout: Duration::from_secs(5),
        max_retries: 6,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_secs(2),
        page_size: 500,
    }
}

pub fn collect_options() -> CollectOptions {
    CollectOptions {
        orgs: Vec::new(),
        projects: Vec::new(),
        now: now(),
        events_since: SignedDuration::from_hours(90 * 24),
        access_logs_since: SignedDuration::from_hours(7 * 24),
        progress: false,
    }
}

pub async fn start(world: World, config: MockConfig) -> MockServer {
    MockServer::start(Arc::new(world), config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("mock starts")
}

/// Serves `world` with `config` and collects it with `credentials`.
pub async fn collect_from(
    world: World,
    config: MockConfig,
    credentials: Credentials,
    options: impl FnOnce(String) -> ClientOptions,
) -> (Snapshot, MockServer) {
    let (snapshot, _, server) = collect_keeping_client(world, config, credentials, options).await;
    (snapshot, server)
}

/// [`collect_from`], also returning the client (for what it learned on the way).
pub async fn collect_keeping_client(
    world: World,
    config: MockConfig,
    credentials: Credentials,
    options: impl FnOnce(String) -> ClientOptions,
) -> (Snapshot, Client, MockServer) {
    let server = start(world, config).await;
    let client = Client::new(credentials, options(server.base_url())).unwrap();
    let snapshot = collect::collect(&client, &collect_options())
        .await
        .expect("collects");
    (snapshot, client, server)
}

/// Serves the demo world under `rate_limit` (the `--rate-limit` grammar) and collects it with
/// the API key, `page_size` items a page; asserts the snapshot complete and the world's own.
/// Returns it with the client (for what it learned) and the server (for its counters).
pub async fn collect_demo_rate_limited(
    rate_limit: &str,
    page_size: usize,
) -> (Snapshot, Client, MockServer) {
    let mut config = mock_config();
    config.rate_limit = Some(
        rate_limit
            .parse()
            .unwrap_or_else(|e| panic!("{rate_limit}: {e}")),
    );
    let (snapshot, client, server) =
        collect_keeping_client(demo_world(), config, credentials(), |url| ClientOptions {
            page_size,
            ..fast_options(url)
        })
        .await;
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    assert_eq!(
        estate_json(&snapshot),
        estate_json(&snapshot_from_world(&demo_world()))
    );
    (snapshot, client, server)
}

fn parse_list<T: DeserializeOwned>(world: &World, path: &str) -> Option<Vec<T>> {
    world.list(path).map(|items| {
        items
            .iter()
            .map(|i| serde_json::from_str(i.get()).unwrap_or_else(|e| panic!("{path}: {e}")))
            .collect()
    })
}

fn parse_object<T: DeserializeOwned>(world: &World, path: &str) -> Option<T> {
    world
        .object(path)
        .map(|v| serde_json::from_str(v.get()).unwrap_or_else(|e| panic!("{path}: {e}")))
}

/// The further paths of a project as the simulated Atlas serves them: invitations, user
/// security and cloud-provider roles (Atlas's empty answers where the world has no file), and
/// the certificates of each Atlas-managed X.509 database user.
fn world_paths(world: &World, project_path: &str) -> RawPaths {
    fn object<T: DeserializeOwned>(world: &World, path: &str, empty: &str) -> T {
        world.object(path).map_or_else(
            || serde_json::from_str(empty).unwrap(),
            |v| serde_json::from_str(v.get()).unwrap_or_else(|e| panic!("{path}: {e}")),
        )
    }
    let users: Vec<types::DatabaseUser> =
        parse_list(world, &format!("{project_path}/databaseUsers")).unwrap_or_default();
    RawPaths {
        invitations: Some(
            parse_list(world, &format!("{project_path}/invites")).unwrap_or_default(),
        ),
        user_security: Some(object(
            world,
            &format!("{project_path}/userSecurity"),
            atlas_audit::mock::EMPTY_USER_SECURITY,
        )),
        cloud_provider_access: Some(object(
            world,
            &format!("{project_path}/cloudProviderAccess"),
            atlas_audit::mock::EMPTY_CLOUD_PROVIDER_ACCESS,
        )),
        certificates: users
            .iter()
            .filter(|u| u.x509_type.as_deref() == Some("MANAGED"))
            .map(|u| RawCertificates {
                username: u.username.clone(),
                certs: Some(
                    parse_list(
                        world,
                        &format!("{project_path}/databaseUsers/{}/certs", u.username),
                    )
                    .unwrap_or_default(),
                ),
            })
            .collect(),
    }
}

fn in_window(t: Timestamp, since: Timestamp, until: Timestamp) -> bool {
    since <= t && t <= until
}

/// A project's clusters as the collector merges them: the clusters listing, then the Flex
/// clusters it does not already name.
fn world_clusters(world: &World, project_path: &str) -> Vec<types::Cluster> {
    let mut clusters: Vec<types::Cluster> =
        parse_list(world, &format!("{project_path}/clusters")).unwrap_or_default();
    let flex: Vec<types::Cluster> =
        parse_list(world, &format!("{project_path}/flexClusters")).unwrap_or_default();
    for c in flex {
        if !clusters.iter().any(|d| d.name == c.name) {
            clusters.push(c);
        }
    }
    clusters
}

/// The estate read straight from a world's files, with the collector's windows applied
/// (events over 90 days, access logs whole as served: Atlas keeps seven days), and assembled
/// into a snapshot with blank meta.
pub fn snapshot_from_world(world: &World) -> Snapshot {
    let opts = collect_options();
    let now = opts.now;
    let events_since = now - opts.events_since;
    let logs_since = now - opts.access_logs_since;
    let events = |path: &str| -> Option<Vec<types::Event>> {
        Some(
            parse_list::<types::Event>(world, path)
                .unwrap_or_default()
                .into_iter()
                .filter(|e| in_window(e.created, events_since, now))
                .collect(),
        )
    };
    let mut orgs = Vec::new();
    for org in parse_list::<types::Organization>(world, "/orgs").unwrap_or_default() {
        let base = format!("/orgs/{}", org.id);
        let api_keys = parse_list::<types::ApiKey>(world, &format!("{base}/apiKeys"))
            .unwrap_or_default()
            .into_iter()
            .map(|key| RawApiKey {
                access_list: Some(
                    parse_list(world, &format!("{base}/apiKeys/{}/accessList", key.id))
                        .unwrap_or_default(),
                ),
                key,
            })
            .collect();
        let sa_path = format!("{base}/serviceAccounts");
        let managed = world.system_managed(&sa_path).unwrap_or_default();
        let service_accounts = parse_list::<types::ServiceAccount>(world, &sa_path)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, account)| {
                let sa = format!("{base}/serviceAccounts/{}", account.client_id);
                RawServiceAccount {
                    system_managed: Some(managed.get(i).copied().unwrap_or(false)),
                    projects: Some(parse_list(world, &format!("{sa}/groups")).unwrap_or_default()),
                    access_list: Some(
                        parse_list(world, &format!("{sa}/accessList")).unwrap_or_default(),
                    ),
                    account,
                }
            })
            .collect();
        let mut projects = Vec::new();
        let mut listed =
            parse_list::<types::Project>(world, &format!("{base}/groups")).unwrap_or_default();
        listed.sort_by(|a, b| a.id.cmp(&b.id));
        for project in listed {
            let g = format!("/groups/{}", project.id);
            let clusters = world_clusters(world, &g);
            let access_logs = clusters
                .iter()
                .filter(|c| !c.is_tenant())
                .map(|c| {
                    // What the simulated Atlas serves: the last seven days (World::access_history).
                    let path = format!("{g}/dbAccessHistory/clusters/{}", c.name);
                    let served: Vec<types::AccessLog> = world
                        .access_history(&path)
                        .unwrap_or_default()
                        .iter()
                        .map(|i| {
                            serde_json::from_str(i.get()).unwrap_or_else(|e| panic!("{path}: {e}"))
                        })
                        .collect();
                    // A log that fits one answer is read whole; a longer one is read back to
                    // the access-log window (or to the oldest entry of the first answer, if older).
                    let mut times: Vec<Timestamp> = served
                        .iter()
                        .filter_map(types::AccessLog::time)
                        .filter(|t| *t <= now)
                        .collect();
                    times.sort_by(|a, b| b.cmp(a));
                    let cap = atlas_audit::collect::MAX_ACCESS_LOGS;
                    let lower = (times.len() >= cap).then(|| times[cap - 1].min(logs_since));
                    // Entries without a readable time come in the first answer only, which holds
                    // them all while the log fits one.
                    let logs = served
                        .into_iter()
                        .filter(|l| match l.time() {
                            Some(t) => t <= now && lower.is_none_or(|s| s <= t),
                            None => lower.is_none(),
                        })
                        .collect();
                    RawAccessLog {
                        cluster: c.name.clone(),
                        logs: Some(logs),
                    }
                })
                .collect();
            projects.push(RawProject {
                settings: parse_object(world, &format!("{g}/settings")),
                access_list: Some(
                    parse_list(world, &format!("{g}/accessList")).unwrap_or_default(),
                ),
                audit_log: parse_object(world, &format!("{g}/auditLog")),
                clusters: Some(clusters),
                teams: Some(parse_list(world, &format!("{g}/teams")).unwrap_or_default()),
                database_users: Some(
                    parse_list(world, &format!("{g}/databaseUsers")).unwrap_or_default(),
                ),
                custom_roles: Some(
                    parse_list(world, &format!("{g}/customDBRoles/roles")).unwrap_or_default(),
                ),
                access_logs,
                events: events(&format!("{g}/events")),
                paths: world_paths(world, &g),
                project,
            });
        }
        orgs.push(RawOrg {
            settings: parse_object(world, &format!("{base}/settings")),
            users: Some(parse_list(world, &format!("{base}/users")).unwrap_or_default()),
            teams: Some(parse_list(world, &format!("{base}/teams")).unwrap_or_default()),
            api_keys: Some(api_keys),
            service_accounts: Some(service_accounts),
            events: events(&format!("{base}/events")),
            projects,
            federation: federation::from_world(world, &org.id),
            org,
        });
    }
    let window = Window {
        now: Some(now),
        events_since: Some(events_since),
        access_logs_since: Some(logs_since),
    };
    collect::assemble(
        RawEstate {
            orgs,
            only_projects: Default::default(),
            window,
        },
        Meta::default(),
        Vec::new(),
    )
}

/// The atlas-audit binary with none of the Atlas or email variables of the caller's
/// environment, so a test sets exactly the ones it means.
pub fn atlas_audit_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_atlas-audit"));
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
        "ATLAS_AUDIT_EMAIL_FROM",
        "ATLAS_AUDIT_SMTP_USER",
        "ATLAS_AUDIT_SMTP_PASSWORD",
    ] {
        cmd.env_remove(var);
    }
    // No test reads the Atlas CLI profiles of whoever runs it: the config file is one that
    // does not exist, unless a test points ATLAS_AUDIT_ATLASCLI_CONFIG at its own.
    cmd.env_remove("MONGODB_ATLAS_PROFILE");
    cmd.env(
        "ATLAS_AUDIT_ATLASCLI_CONFIG",
        std::env::temp_dir()
            .join("atlas-audit-tests-no-such-folder")
            .join("config.toml"),
    );
    cmd
}

/// Copies a folder and everything below it into `to`.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A process's output as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The names in a folder, sorted; hidden ones too.
pub fn names(dir: &std::path::Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// A set of names, to compare with [`names`].
pub fn set(names: &[&str]) -> std::collections::BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Runs the binary with `args` and `env` (in `dir` when given) off the async runtime, so a
/// simulated Atlas on the same runtime keeps answering.
pub async fn run_binary(
    args: Vec<String>,
    env: Vec<(String, String)>,
    dir: Option<PathBuf>,
) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let mut cmd = atlas_audit_command();
        cmd.args(&args).envs(env);
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        cmd.output().expect("the binary runs")
    })
    .await
    .expect("the run finished")
}

/// The text of the first row labelled `label` in the table a command prints at the end (the
/// label column is 16 wide), e.g. `row(stdout, "coverage") == Some("complete")`.
pub fn row<'a>(stdout: &'a str, label: &str) -> Option<&'a str> {
    stdout.lines().find_map(|line| {
        let (head, rest) = line.split_at_checked(16)?;
        (head.trim_end() == label).then_some(rest)
    })
}

/// Saves `snapshot` in a new folder and runs `report --snapshot snapshot.json --out out` there
/// with `extra` arguments; the run must end with 0 or 3 (incomplete coverage). Returns the
/// folder and the run's output.
pub fn report_in_temp(
    snapshot: &Snapshot,
    extra: &[&str],
) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().expect("a folder");
    atlas_audit::model::save(snapshot, &dir.path().join("snapshot.json")).expect("saved");
    let output = atlas_audit_command()
        .args(["report", "--snapshot", "snapshot.json", "--out", "out"])
        .args(extra)
        .current_dir(dir.path())
        .output()
        .expect("the binary runs");
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "report failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (dir, output)
}

/// The demo estate as the collector sees it (events over 90 days, access logs of the last
/// seven), with its as-of time: the input of the rule tests.
pub fn demo_snapshot() -> Snapshot {
    let mut s = snapshot_from_world(&demo_world());
    s.meta.collected_at = Some(now());
    s.meta.scope.events_since = Some(now() - SignedDuration::from_hours(90 * 24));
    s
}

/// A synthetic estate of the given size as the rules see it (access logs of the last seven
/// days, events over 90 days), with its as-of time: the input of the rule and report benchmarks.
pub fn synthetic_snapshot(size: atlas_audit::mock::SyntheticSize) -> Snapshot {
    let world = World::synthetic(size, now());
    let mut s = snapshot_from_world(&world);
    s.meta.collected_at = Some(now());
    s.meta.scope.events_since = Some(now() - SignedDuration::from_hours(90 * 24));
    s
}

/// Pretty JSON of a snapshot outside `meta`, for byte comparisons with readable diffs.
pub fn estate_json(s: &Snapshot) -> String {
    serde_json::to_string_pretty(&s.without_meta()).unwrap()
}

/// Pages a listing of `n` items takes at 500 a page: a short page ends it, so an exact
/// multiple of 500 takes one more (empty) page.
pub fn pages(n: usize) -> u64 {
    (n / atlas_audit::atlas::MAX_PAGE_SIZE + 1) as u64
}

/// The fewest requests the API allows for collecting `world` (whose direct snapshot is
/// `direct`): one per object, ⌊n/500⌋+1 per listing, digest challenges not counted.
pub fn minimum_requests(world: &World, direct: &Snapshot) -> u64 {
    use atlas_audit::model::PrincipalDetail;
    let list_len = |path: &str| world.list(path).map_or(0, <[_]>::len);
    let opts = collect_options();
    let since = opts.now - opts.events_since;
    let events_in_window = |path: &str| -> usize {
        parse_list::<types::Event>(world, path)
            .unwrap_or_default()
            .iter()
            .filter(|e| in_window(e.created, since, opts.now))
            .count()
    };
    let mut expected = pages(list_len("/orgs"));
    // Identity providers: one listing per federation, however many orgs share it.
    let mut federations = std::collections::BTreeSet::new();
    for org in &direct.orgs {
        let base = format!("/orgs/{}", org.id);
        expected += 1; // settings
        for l in ["groups", "users", "teams", "apiKeys", "serviceAccounts"] {
            expected += pages(list_len(&format!("{base}/{l}")));
        }
        // Service accounts again without the system-managed ones, to tell them apart.
        let sa_path = format!("{base}/serviceAccounts");
        let managed = world.system_managed(&sa_path).unwrap_or_default();
        let user_managed = list_len(&sa_path) - managed.iter().filter(|m| **m).count();
        expected += pages(user_managed);
        expected += pages(events_in_window(&format!("{base}/events")));
        // Federation: the settings (a 404 without); with an id, the connected configuration
        // (a 404 when not connected) and, connected, the role mappings.
        expected += 1;
        let settings = format!("{base}/federationSettings");
        if let Some(f) = world.object(&settings).and_then(|v| {
            serde_json::from_str::<types::OrgFederationSettings>(v.get())
                .ok()?
                .id
        }) {
            expected += 1;
            let connected = format!("/federationSettings/{f}/connectedOrgConfigs/{}", org.id);
            if world.object(&connected).is_some() {
                expected += pages(list_len(&format!("{connected}/roleMappings")));
            }
            federations.insert(f);
        }
        for p in direct
            .principals
            .iter()
            .filter(|p| p.org_ids.contains(&org.id))
        {
            match &p.detail {
                PrincipalDetail::ApiKey(k) => {
                    expected += pages(list_len(&format!("{base}/apiKeys/{}/accessList", k.id)));
                }
                PrincipalDetail::ServiceAccount(s) => {
                    let sa = format!("{base}/serviceAccounts/{}", s.client_id);
                    expected += pages(list_len(&format!("{sa}/groups")));
                    expected += pages(list_len(&format!("{sa}/accessList")));
                }
                _ => {}
            }
        }
    }
    for p in &direct.projects {
        let g = format!("/groups/{}", p.id);
        expected += 3; // settings, auditLog, custom roles (a bare array)
        for l in [
            "accessList",
            "clusters",
            "flexClusters",
            "teams",
            "databaseUsers",
        ] {
            expected += pages(list_len(&format!("{g}/{l}")));
        }
        expected += pages(events_in_window(&format!("{g}/events")));
        // Invitations (a bare array), user security and cloud-provider access (objects), and
        // one certificate listing per Atlas-managed X.509 database user.
        expected += 3;
        for u in parse_list::<types::DatabaseUser>(world, &format!("{g}/databaseUsers"))
            .unwrap_or_default()
            .iter()
            .filter(|u| u.x509_type.as_deref() == Some("MANAGED"))
        {
            expected += pages(list_len(&format!("{g}/databaseUsers/{}/certs", u.username)));
        }
        // One access-log call per cluster that keeps a history (not tenant tiers).
        expected += world_clusters(world, &g)
            .iter()
            .filter(|c| !c.is_tenant())
            .count() as u64;
    }
    for f in federations {
        expected += pages(list_len(&format!(
            "/federationSettings/{f}/identityProviders"
        )));
    }
    expected
}

/// The plan a `plan` run wrote to `path`.
pub fn read_plan(path: &std::path::Path) -> atlas_audit::remediate::plan::Plan {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Asserts that the simulated Atlas accepted exactly the plan's calls, each once, and in an
/// order the plan allows: each step after the steps it must follow, and the steps of one
/// project (or org) in plan order.
pub fn assert_applied_as_planned(applied: &[String], plan: &atlas_audit::remediate::plan::Plan) {
    let call =
        |s: &atlas_audit::remediate::plan::Step| format!("{} {}", s.request.method, s.request.path);
    let mut got = applied.to_vec();
    let mut want: Vec<String> = plan.steps.iter().map(call).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "the calls sent are the plan's, each once");
    let at = |s: &atlas_audit::remediate::plan::Step| {
        applied
            .iter()
            .position(|a| *a == call(s))
            .expect("every step was sent")
    };
    for s in &plan.steps {
        for a in &s.after {
            let first = plan
                .steps
                .iter()
                .find(|x| &x.id == a)
                .expect("after names a step");
            assert!(
                at(first) < at(s),
                "{} was sent before {a}, which it must follow",
                s.id
            );
        }
    }
    let lane = |s: &atlas_audit::remediate::plan::Step| {
        s.target
            .scope
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    for (i, s) in plan.steps.iter().enumerate() {
        for later in &plan.steps[i + 1..] {
            if lane(later) == lane(s) {
                assert!(
                    at(s) < at(later),
                    "{} and {} of one lane out of plan order",
                    s.id,
                    later.id
                );
            }
        }
    }
}

/// Runs the binary in `dir` against the simulated Atlas `server`, with the test API key.
pub async fn run_against(
    server: &atlas_audit::mock::MockServer,
    dir: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    run_binary(
        args.iter().map(|a| a.to_string()).collect(),
        vec![
            ("MONGODB_ATLAS_BASE_URL".into(), server.base_url()),
            ("MONGODB_ATLAS_PUBLIC_API_KEY".into(), PUBLIC_KEY.into()),
            ("MONGODB_ATLAS_PRIVATE_API_KEY".into(), PRIVATE_KEY.into()),
        ],
        Some(dir.to_path_buf()),
    )
    .await
}

//! The evidence store: runs recorded by `collect` and `report`, the snapshot kept once and read
//! back whole, the last-seen ledger, and a run killed mid-write that leaves the store as it was.

use std::path::Path;
use std::process::Output;

use crate::common::*;
use atlas_audit::store::Store;

fn key_env(server: &atlas_audit::mock::MockServer) -> Vec<(String, String)> {
    vec![
        ("MONGODB_ATLAS_BASE_URL".into(), server.base_url()),
        ("MONGODB_ATLAS_PUBLIC_API_KEY".into(), PUBLIC_KEY.into()),
        ("MONGODB_ATLAS_PRIVATE_API_KEY".into(), PRIVATE_KEY.into()),
    ]
}

async fn run(args: Vec<String>, env: Vec<(String, String)>) -> Output {
    run_binary(args, env, None).await
}

fn args(list: &[&str], paths: &[&Path]) -> Vec<String> {
    let mut out: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    out.extend(paths.iter().map(|p| p.display().to_string()));
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_then_report_are_two_runs_sharing_one_snapshot() {
    let server = start(demo_world(), mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let (snap, db, out) = (
        dir.path().join("snapshot.json"),
        dir.path().join("evidence.db"),
        dir.path().join("report"),
    );
    let mut collect = args(&["collect", "--out"], &[&snap]);
    collect.extend(args(&["--store"], &[&db]));
    let collected = run(collect, key_env(&server)).await;
    assert!(
        matches!(collected.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&collected.stderr)
    );
    assert!(String::from_utf8_lossy(&collected.stdout).contains("run 1 in"));
    let mut report = args(&["report", "-q", "--snapshot"], &[&snap]);
    report.extend(args(&["--out"], &[&out]));
    report.extend(args(&["--store"], &[&db]));
    let reported = run(report, Vec::new()).await;
    assert!(
        matches!(reported.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&reported.stderr)
    );
    server.shutdown().await;

    let store = Store::open(&db).unwrap();
    let runs = store.runs().unwrap();
    assert_eq!(
        runs.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
        ["collect", "report"]
    );
    let bytes = std::fs::read(&snap).unwrap();
    let sha = atlas_audit::files::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    assert!(runs.iter().all(|r| r.snapshot_sha256 == sha));
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    let total = written["findings"].as_array().unwrap().len() as i64;
    assert!(total > 0);
    assert_eq!(runs[1].findings, Some(total), "the report's findings");
    // The snapshot is stored once and reads back as the file.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM snapshots", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 1);
    let findings: i64 = conn
        .query_row("SELECT COUNT(*) FROM findings WHERE run_id = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(findings, total);
    let manifest: String = conn
        .query_row("SELECT manifest FROM runs WHERE id = 2", [], |r| r.get(0))
        .unwrap();
    assert!(manifest.contains("\"files\""));
    assert_eq!(
        store.snapshot(1).unwrap(),
        atlas_audit::model::load(&snap).unwrap()
    );
    // The ledger holds every principal that showed a sign of activity, and the days each
    // cluster's access logs covered.
    let snapshot = atlas_audit::model::load(&snap).unwrap();
    for p in snapshot
        .principals
        .iter()
        .filter(|p| !p.activity.is_empty())
    {
        let seen = store.last_seen(&p.key).unwrap().expect("in the ledger");
        assert_eq!(
            seen.at.as_second(),
            p.activity.iter().map(|a| a.at).max().unwrap().as_second()
        );
    }
    let w = &snapshot.access_log_windows[0];
    let days = store.log_days(&w.project_id, &w.cluster).unwrap();
    assert!(!days.is_empty());
}

#[test]
fn an_older_sign_of_activity_never_replaces_a_newer_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("evidence.db");
    let newer = demo_snapshot();
    let who = newer
        .principals
        .iter()
        .position(|p| !p.activity.is_empty())
        .unwrap();
    let key = newer.principals[who].key.clone();
    let mut older = newer.clone();
    for a in &mut older.principals[who].activity {
        a.at -= jiff::SignedDuration::from_hours(24 * 30);
    }
    let mut store = Store::open(&db).unwrap();
    let first = record(&mut store, &newer);
    let second = record(&mut store, &older);
    assert_ne!(first, second);
    let seen = store.last_seen(&key).unwrap().unwrap();
    assert_eq!(seen.run_id, first, "the older collection did not win");
    let newest = newer.principals[who]
        .activity
        .iter()
        .map(|a| a.at)
        .max()
        .unwrap();
    assert_eq!(seen.at.as_second(), newest.as_second());
}

/// Records `s` as a collection.
fn record(store: &mut Store, s: &atlas_audit::model::Snapshot) -> i64 {
    let json = serde_json::to_vec(s).unwrap();
    store
        .record(&atlas_audit::store::Record {
            kind: "collect",
            snapshot: s,
            snapshot_json: &json,
            snapshot_sha256: None,
            findings: None,
            manifest: None,
        })
        .unwrap()
}

#[test]
fn the_ledger_hands_the_rules_every_read_and_login_up_to_the_as_of_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("evidence.db");
    let s = demo_snapshot();
    let as_of = s.meta.collected_at.unwrap();
    let mut store = Store::open(&db).unwrap();
    let run = record(&mut store, &s);
    let history = store.history(as_of).unwrap();
    for w in &s.access_log_windows {
        let reads = history.reads(&w.project_id, &w.cluster);
        assert_eq!(reads.len(), 1, "{}/{}", w.project_id, w.cluster);
        assert_eq!(reads[0].end.as_second(), w.end.as_second());
        assert_eq!(reads[0].start.as_second(), w.start.as_second());
        assert_eq!(reads[0].run_id, Some(run));
    }
    let (ok, at) = s
        .access_logs
        .iter()
        .filter_map(|e| Some((e, e.login()?)))
        .max_by_key(|(_, at)| *at)
        .unwrap();
    let login = history
        .last_login(&ok.project_id, &ok.cluster, &ok.username, |_| true)
        .expect("the newest login is kept");
    assert_eq!((login.at.as_second(), login.run_id), (at.as_second(), run));
    // Atlas's own agents log in too, and are nobody's login.
    let agents: Vec<_> = s
        .access_logs
        .iter()
        .filter(|e| e.success && e.is_atlas_agent())
        .collect();
    assert!(!agents.is_empty(), "the demo shows Atlas's agents");
    for e in agents {
        assert_eq!(
            history.last_login(&e.project_id, &e.cluster, &e.username, |_| true),
            None
        );
    }
    // As of a moment before the run: no read, and no login after that moment.
    let cutoff = as_of - jiff::SignedDuration::from_hours(24 * 3);
    let before = store.history(cutoff).unwrap();
    let mut older = 0;
    for e in s.access_logs.iter().filter(|e| e.success) {
        assert!(before.reads(&e.project_id, &e.cluster).is_empty());
        let l = before.last_login(&e.project_id, &e.cluster, &e.username, |_| true);
        assert!(l.is_none_or(|l| l.at <= cutoff));
        older += usize::from(l.is_some());
    }
    assert!(older > 0, "logins older than the cutoff are still known");
}

#[test]
fn a_read_holding_a_login_without_a_time_does_not_count_toward_observation() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = demo_snapshot();
    let as_of = s.meta.collected_at.unwrap();
    // On storefront-main a database user's success loses its time; on inventory-main only
    // Atlas's agent's does.
    for e in &mut s.access_logs {
        let user_login = e.cluster == "storefront-main" && e.username == "backup-agent";
        let agent_login = e.cluster == "inventory-main" && e.is_atlas_agent();
        if user_login || agent_login {
            e.at = None;
        }
    }
    let mut store = Store::open(&dir.path().join("evidence.db")).unwrap();
    record(&mut store, &s);
    let history = store.history(as_of).unwrap();
    let reads = |cluster: &str| {
        let w = s
            .access_log_windows
            .iter()
            .find(|w| w.cluster == cluster)
            .unwrap();
        history.reads(&w.project_id, cluster).len()
    };
    assert_eq!(
        reads("storefront-main"),
        0,
        "an undated login breaks the read"
    );
    assert_eq!(reads("inventory-main"), 1, "an agent's entry does not");
    assert_eq!(reads("storefront-search"), 1);
    // The dated logins of the cluster still count.
    let api = s
        .access_logs
        .iter()
        .find(|e| e.cluster == "storefront-main" && e.login().is_some())
        .unwrap();
    assert!(
        history
            .last_login(&api.project_id, &api.cluster, &api.username, |_| true)
            .is_some()
    );
}

#[test]
fn a_schema_1_store_gets_its_reads_and_logins_from_the_snapshots_it_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("evidence.db");
    let s = demo_snapshot();
    let as_of = s.meta.collected_at.unwrap();
    let run = record(&mut Store::open(&db).unwrap(), &s);
    let whole = Store::open(&db).unwrap().history(as_of).unwrap();
    // As schema 1 left it: no reads, no logins.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TABLE log_reads; DROP TABLE db_logins; PRAGMA user_version = 1;")
        .unwrap();
    drop(conn);
    let store = Store::open(&db).unwrap();
    let filled = store.history(as_of).unwrap();
    for w in &s.access_log_windows {
        assert_eq!(
            filled.reads(&w.project_id, &w.cluster),
            whole.reads(&w.project_id, &w.cluster)
        );
        assert_eq!(filled.reads(&w.project_id, &w.cluster)[0].run_id, Some(run));
    }
    for e in &s.access_logs {
        assert_eq!(
            filled.last_login(&e.project_id, &e.cluster, &e.username, |_| true),
            whole.last_login(&e.project_id, &e.cluster, &e.username, |_| true)
        );
    }
    let version: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, atlas_audit::store::SCHEMA_VERSION);
}

#[test]
fn a_store_from_a_newer_version_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("evidence.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&db).err().expect("refused").to_string();
    assert!(err.contains("schema version 99"), "{err}");
    assert!(err.contains("evidence.db"), "{err}");
}

#[test]
fn a_run_killed_while_writing_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, db) = (
        dir.path().join("snapshot.json"),
        dir.path().join("evidence.db"),
    );
    atlas_audit::model::save(&demo_snapshot(), &snap).unwrap();
    let report = |pause: Option<&str>| {
        let mut cmd = atlas_audit_command();
        cmd.args(["report", "-q", "--snapshot"])
            .arg(&snap)
            .arg("--out")
            .arg(dir.path().join("report"))
            .arg("--force")
            .arg("--store")
            .arg(&db);
        if let Some(ms) = pause {
            cmd.env("ATLAS_AUDIT_TEST_STORE_PAUSE_MS", ms);
        }
        cmd
    };
    // One run lands.
    let first = report(None).output().unwrap();
    assert!(matches!(first.status.code(), Some(0 | 3)));
    // The next is killed while its transaction is open: the journal exists until then.
    let mut child = report(Some("20000"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal = dir.path().join("evidence.db-journal");
    let waited = std::time::Instant::now();
    while !journal.exists() {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(60),
            "the run never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    let store = Store::open(&db).unwrap();
    assert_eq!(
        store.runs().unwrap().len(),
        1,
        "the killed run left nothing"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let findings: i64 = conn
        .query_row("SELECT COUNT(*) FROM findings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(findings, 73, "only the first run's findings");
}

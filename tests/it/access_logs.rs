//! Database access logs as Atlas really sends them: every form of time survives collection
//! with its true instant, an entry whose time cannot be read is kept and reported, Atlas's own
//! agents are nobody's activity, and the simulated Atlas serves a week of history.

use std::path::{Path, PathBuf};

use crate::common::*;
use atlas_audit::fuzzing::{self, ApiResponse};
use atlas_audit::mock::World;
use atlas_audit::model::{AccessLogEntry, LastActivity};
use jiff::{SignedDuration, Timestamp};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// The recorded Atlas answers, kept beside the project and never copied into it.
fn recordings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/atlas-recordings")
}

/// `t.$date` of a recorded JSON log line, read without the project's parser.
fn recorded_instant(entry: &Value) -> Timestamp {
    let line: Value = serde_json::from_str(entry["logLine"].as_str().unwrap()).unwrap();
    line["t"]["$date"].as_str().unwrap().parse().unwrap()
}

/// The same moment as the recorded Java `timestamp` (always GMT in the recordings), read
/// without the project's parser.
fn recorded_second(entry: &Value) -> Timestamp {
    let text = entry["timestamp"].as_str().unwrap();
    jiff::fmt::strtime::parse("%a %b %d %H:%M:%S GMT %Y", text)
        .and_then(|t| t.to_datetime())
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp()
}

#[test]
fn recorded_answers_keep_every_entry_with_its_logline_instant() {
    let dir = recordings();
    if !dir.is_dir() {
        eprintln!(
            "skipped: no recorded Atlas answers at {} (they live beside the project, not in it)",
            dir.display()
        );
        return;
    }
    let mut files = Vec::new();
    for folder in std::fs::read_dir(&dir).unwrap() {
        let folder = folder.unwrap().path();
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("getGroupDbAccessHistory") {
            for f in std::fs::read_dir(&folder).unwrap() {
                files.push(f.unwrap().path());
            }
        }
    }
    files.sort();
    assert!(
        !files.is_empty(),
        "no access-history recordings in {}",
        dir.display()
    );
    let (mut read, mut matched) = (0, 0);
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        let recorded = body["accessLogs"].as_array().unwrap();
        // Decoded and assembled exactly as the collector does.
        let snapshot = fuzzing::api(ApiResponse::AccessLogs, &bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            snapshot.coverage.is_empty(),
            "{}: {:?}",
            file.display(),
            snapshot.coverage
        );
        assert_eq!(
            snapshot.access_logs.len(),
            recorded.len(),
            "{}",
            file.display()
        );
        let mut want: Vec<(String, bool, Option<Timestamp>)> = recorded
            .iter()
            .map(|e| {
                let at = recorded_instant(e);
                // Java's timestamp names the same moment to within a second (mostly cut to the
                // second, now and then a few milliseconds later): the log line is exact.
                let apart = recorded_second(e).duration_since(at).abs();
                assert!(apart < SignedDuration::from_secs(1), "{apart:?}: {e}");
                (
                    e["username"].as_str().unwrap().to_string(),
                    e["authResult"].as_bool().unwrap(),
                    Some(at),
                )
            })
            .collect();
        let mut got: Vec<(String, bool, Option<Timestamp>)> = snapshot
            .access_logs
            .iter()
            .map(|e| (e.username.clone(), e.success, e.at))
            .collect();
        want.sort();
        got.sort();
        matched += got.iter().zip(&want).filter(|(g, w)| g == w).count();
        assert_eq!(got, want, "{}", file.display());
        read += recorded.len();
        // Every recorded user is Atlas's own machinery: none of it is anyone's login.
        assert!(
            snapshot
                .access_logs
                .iter()
                .all(AccessLogEntry::is_atlas_agent)
        );
        assert!(snapshot.access_logs.iter().all(|e| e.login().is_none()));
    }
    eprintln!(
        "recorded access history: {} files, {read} entries read, {matched} times equal to their logLine's t.$date, 0 dropped",
        files.len()
    );
    assert_eq!(read, matched);
    assert!(read > 0);
}

const PROJECT: &str = "6650b1000000000000000005";
const CLUSTER: &str = "analytics-sbx";

/// `as_of` of the demo world: the files are written as of it.
fn as_of() -> Timestamp {
    "2026-11-20T09:00:00Z".parse().unwrap()
}

/// The demo world with analytics-sbx's access history replaced by `logs`.
fn demo_with_history(logs: Vec<Value>) -> (tempfile::TempDir, World) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("demo"), dir.path());
    let file = dir.path().join(format!(
        "groups/{PROJECT}/dbAccessHistory/clusters/{CLUSTER}.json"
    ));
    std::fs::write(&file, json!({ "accessLogs": logs }).to_string()).unwrap();
    let world = World::load(dir.path(), now()).unwrap();
    (dir, world)
}

/// One entry by `username`, its time given by `timestamp` and `logLine` (either may be absent).
fn entry(username: &str, ok: bool, timestamp: Option<&str>, log_line: Option<String>) -> Value {
    let mut e = json!({
        "authResult": ok,
        "authSource": "admin",
        "failureReason": if ok { Value::Null } else { json!("AuthenticationFailed: SCRAM authentication failed, storedKey mismatch") },
        "groupId": PROJECT,
        "hostname": "analytics-sbx-shard-00-00.q8t3x.mongodb.net",
        "ipAddress": "10.50.1.12",
        "username": username,
    });
    if let Some(t) = timestamp {
        e["timestamp"] = json!(t);
    }
    if let Some(l) = log_line {
        e["logLine"] = json!(l);
    }
    e
}

fn json_line(date: Value) -> String {
    json!({"t": {"$date": date}, "s": "I", "c": "ACCESS", "id": 5286306, "msg": "Successfully authenticated"})
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_form_of_time_survives_collection_with_its_true_instant() {
    let day = |d: i64| as_of() - SignedDuration::from_hours(24 * d);
    // (entry as written as of the world's as_of, the instant it stands for then)
    let cases: Vec<(Value, Option<Timestamp>)> = vec![
        // Atlas's form: Java timestamp, JSON logLine with milliseconds.
        (
            entry(
                "notebook-user",
                true,
                Some("Thu Nov 19 08:59:59 GMT 2026"),
                Some(json_line(json!("2026-11-19T08:59:59.284+00:00"))),
            ),
            Some("2026-11-19T08:59:59.284Z".parse().unwrap()),
        ),
        // The old documentation's form: unpadded hour, US Eastern daylight time.
        (
            entry("notebook-user", true, Some("Wed Nov 18 9:14:42 EDT 2026"), None),
            Some("2026-11-18T13:14:42Z".parse().unwrap()),
        ),
        (
            entry("notebook-user", true, Some("Tue Nov 17 10:00:00 UTC 2026"), None),
            Some("2026-11-17T10:00:00Z".parse().unwrap()),
        ),
        (
            entry("notebook-user", false, Some("Tue Nov 17 15:30:00 +0530 2026"), None),
            Some("2026-11-17T10:00:00Z".parse().unwrap()),
        ),
        // What the spec promises, with and without an offset.
        (
            entry("mei.tanaka", true, Some("2026-11-16T12:00:00.5+02:00"), None),
            Some("2026-11-16T10:00:00.5Z".parse().unwrap()),
        ),
        (
            entry("mei.tanaka", false, Some("2026-11-16T10:00:01"), None),
            Some("2026-11-16T10:00:01Z".parse().unwrap()),
        ),
        // Extended JSON's epoch milliseconds.
        (
            entry(
                "notebook-user",
                false,
                None,
                Some(json_line(json!({"$numberLong": day(5).as_millisecond().to_string()}))),
            ),
            Some(day(5)),
        ),
        // A text log line from before MongoDB 4.4.
        (
            entry(
                "notebook-user",
                true,
                None,
                Some("2026-11-14T19:13:39.316+0000 I  ACCESS   [conn1893] Successfully authenticated as principal notebook-user on admin".into()),
            ),
            Some("2026-11-14T19:13:39.316Z".parse().unwrap()),
        ),
        // Atlas's agent: kept, nobody's activity.
        (
            entry(
                "mms-automation",
                true,
                Some("Fri Nov 20 08:00:00 GMT 2026"),
                Some(json_line(json!("2026-11-20T08:00:00.001+00:00"))),
            ),
            Some("2026-11-20T08:00:00.001Z".parse().unwrap()),
        ),
        // No form that can be read: kept, counted, shown in coverage.
        (
            entry("notebook-user", true, Some("Thu Nov 19 09:00:00 CET 2026"), None),
            None,
        ),
        (entry("notebook-reader", true, Some("someday"), None), None),
    ];
    // Older than the week Atlas keeps: never served.
    let mut logs: Vec<Value> = cases.iter().map(|(e, _)| e.clone()).collect();
    logs.push(entry(
        "mei.tanaka",
        true,
        Some("Wed Nov 11 09:00:00 GMT 2026"),
        None,
    ));
    let (_dir, world) = demo_with_history(logs);
    let direct = snapshot_from_world(&world);
    let (snapshot, server) = collect_from(world, mock_config(), credentials(), fast_options).await;
    server.shutdown().await;
    assert_eq!(estate_json(&snapshot), estate_json(&direct));

    let shift = SignedDuration::from_secs(now().as_second() - as_of().as_second());
    let mut want: Vec<(String, bool, Option<Timestamp>)> = cases
        .iter()
        .map(|(e, at)| {
            (
                e["username"].as_str().unwrap().to_string(),
                e["authResult"].as_bool().unwrap(),
                at.map(|t| t + shift),
            )
        })
        .collect();
    let mut got: Vec<(String, bool, Option<Timestamp>)> = snapshot
        .access_logs
        .iter()
        .filter(|e| e.cluster == CLUSTER)
        .map(|e| (e.username.clone(), e.success, e.at))
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // One coverage entry for the cluster: Atlas answered, one entry's time was unreadable.
    let gaps: Vec<_> = snapshot
        .coverage
        .iter()
        .filter(|g| g.scope == format!("project:{PROJECT}/cluster:{CLUSTER}"))
        .collect();
    assert_eq!(gaps.len(), 1, "{:?}", snapshot.coverage);
    assert_eq!(snapshot.coverage.len(), 1, "{:?}", snapshot.coverage);
    let gap = gaps[0];
    assert_eq!(gap.status, Some(200));
    assert!(gap.in_answer());
    for needle in [
        "2 access-log entries had a time that could not be read",
        "(for example \"Thu Nov 19 09:00:00 CET 2026\")",
        "report",
    ] {
        assert!(gap.reason.contains(needle), "{needle}: {}", gap.reason);
    }
    // The window starts at the oldest entry with a time, and counts every entry read.
    let w = snapshot
        .access_log_windows
        .iter()
        .find(|w| w.cluster == CLUSTER)
        .unwrap();
    assert_eq!(w.entries, cases.len() as u64);
    assert_eq!(
        w.start,
        "2026-11-14T19:13:39.316Z".parse::<Timestamp>().unwrap() + shift
    );

    // notebook-user's latest dated login is its activity; the agent's is nobody's.
    let principal = |name: &str| {
        snapshot
            .principals
            .iter()
            .find(|p| p.key == format!("dbuser:{PROJECT}/admin/{name}"))
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(
        principal("notebook-user").last_activity,
        LastActivity::Seen {
            at: "2026-11-19T08:59:59.284Z".parse::<Timestamp>().unwrap() + shift,
            source: atlas_audit::model::ActivitySource::AccessLog,
        }
    );
    assert!(
        snapshot
            .principals
            .iter()
            .all(|p| !p.name.starts_with("mms-"))
    );
    // A success without a time says the user was active at some moment: not "never seen".
    match &principal("notebook-reader").last_activity {
        LastActivity::NoInformation { reason } => {
            assert!(reason.contains("no readable time"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_demo_world_serves_a_week_of_history_and_reads_every_time() {
    let world = demo_world();
    let week = now() - SignedDuration::from_hours(24 * atlas_audit::model::ACCESS_HISTORY_DAYS);
    let s = demo_snapshot();
    assert!(s.coverage.is_empty(), "{:?}", s.coverage);
    assert!(
        s.access_logs
            .iter()
            .all(|e| e.at.is_some_and(|t| week <= t && t <= now()))
    );
    for w in &s.access_log_windows {
        assert!(w.start >= week, "{} {}", w.cluster, w.start);
        let path = format!(
            "/groups/{}/dbAccessHistory/clusters/{}",
            w.project_id, w.cluster
        );
        assert_eq!(
            world.access_history(&path).map_or(0, <[_]>::len) as u64,
            w.entries
        );
    }
    let agents = s.access_logs.iter().filter(|e| e.is_atlas_agent()).count();
    assert_eq!(
        agents, 3,
        "mms-automation on storefront-main and inventory-main"
    );
}

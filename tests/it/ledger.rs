//! The last-seen ledger over simulated weekly collections: each week's snapshot of the demo
//! estate carries that week's access logs only (Atlas keeps about seven days), and is reported
//! on with `--store`. A database user that never authenticates is flagged once continuous
//! observation reaches 90 days, one that stopped is flagged 90 days after its last login (which
//! only the store remembers by then), and two weeks without a collection reset the claim, with
//! the report saying why.

use std::path::Path;

use crate::common::*;
use atlas_audit::model::{AccessLogEntry, AccessLogWindow, Snapshot};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

const PROJECT: &str = "6650b1000000000000000003";
const CLUSTER: &str = "inventory-main";
/// Authenticates every day.
const STEADY: &str = "inventory-analytics";
/// Authenticates every day of the first two weeks, then never again.
const STOPS: &str = "inventory-batch";
/// Never authenticates while observed.
const SILENT: &str = "legacy-reporting";

fn key(username: &str) -> String {
    format!("dbuser:{PROJECT}/admin/{username}")
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// Week `week`'s collection: the demo estate as of `now() + 7 × week` days, whose only access
/// log entries are the last seven days' daily logins at 06:00 before each collection hour.
fn week_snapshot(base: &Snapshot, week: i64) -> Snapshot {
    let start = now();
    let as_of = start + hours(24 * 7 * week);
    let mut s = base.clone();
    s.meta.collected_at = Some(as_of);
    s.access_logs.clear();
    for day in 0..7 {
        let at = as_of - hours(6 + 24 * day);
        let mut who = vec![STEADY];
        if at <= start + hours(24 * 14) {
            who.push(STOPS);
        }
        for username in who {
            s.access_logs.push(AccessLogEntry {
                project_id: PROJECT.into(),
                cluster: CLUSTER.into(),
                username: username.into(),
                auth_source: Some("admin".into()),
                success: true,
                failure_reason: None,
                ip_address: Some("198.51.100.23".into()),
                at: Some(at),
            });
        }
    }
    // Every other cluster's log is read and empty.
    for w in &mut s.access_log_windows {
        w.end = as_of;
        w.start = as_of;
        w.entries = 0;
    }
    let ours: &mut AccessLogWindow = s
        .access_log_windows
        .iter_mut()
        .find(|w| w.project_id == PROJECT && w.cluster == CLUSTER)
        .expect("the demo reads inventory-main's log");
    ours.start = s.access_logs.iter().filter_map(|e| e.at).min().unwrap();
    ours.entries = s.access_logs.len() as u64;
    s
}

struct Week {
    findings: Vec<Value>,
    not_evaluated: Vec<Value>,
    html: String,
}

impl Week {
    /// The DBUSER_INACTIVE finding about `username`, if any.
    fn flag(&self, username: &str) -> Option<&Value> {
        self.findings
            .iter()
            .find(|f| f["rule"] == "DBUSER_INACTIVE" && f["principal"]["key"] == key(username))
    }

    /// Why DBUSER_INACTIVE could not judge inventory-prod, if it could not.
    fn unjudged(&self) -> Option<&str> {
        self.not_evaluated
            .iter()
            .find(|n| {
                n["rule"] == "DBUSER_INACTIVE"
                    && n["scope"]["project_id"] == PROJECT
                    // Its LDAP group user is named apart, whatever the observation.
                    && !n["reason"]
                        .as_str()
                        .is_some_and(|r| r.contains("group database user"))
            })
            .and_then(|n| n["reason"].as_str())
    }
}

fn report_week(dir: &Path, db: &Path, snapshot: &Snapshot, week: i64) -> Week {
    let file = dir.join(format!("week-{week}.json"));
    atlas_audit::model::save(snapshot, &file).unwrap();
    let out = dir.join(format!("report-{week}"));
    let run = atlas_audit_command()
        .args(["report", "-q", "--format", "json,html", "--snapshot"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--store")
        .arg(db)
        .output()
        .unwrap();
    assert!(
        matches!(run.status.code(), Some(0 | 1 | 3)),
        "week {week}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json: Value =
        serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    Week {
        findings: json["findings"].as_array().unwrap().clone(),
        not_evaluated: json["not_evaluated"].as_array().unwrap().clone(),
        html: std::fs::read_to_string(out.join("report.html")).unwrap(),
    }
}

fn ymd(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d").to_string()
}

#[test]
fn weekly_collections_flag_only_after_90_days_of_continuous_observation() {
    let base = demo_snapshot();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("evidence.db");
    // The first read reaches back to week 0's oldest login, 6 days 6 hours before it.
    let observed_since = now() - hours(6 + 24 * 6);
    let mut weeks = Vec::new();
    for week in 0..=16 {
        let w = report_week(dir.path(), &db, &week_snapshot(&base, week), week);
        assert!(w.flag(STEADY).is_none(), "week {week}: the steady user");
        weeks.push(w);
    }
    // SILENT: continuous observation is 7 × week + 6.25 days, 90 days from week 12 on.
    for (week, w) in weeks.iter().enumerate() {
        let flagged = w.flag(SILENT).is_some();
        assert_eq!(flagged, week >= 12, "week {week}: {SILENT}");
        if week < 12 {
            let why = w.unjudged().expect("not evaluated, with the reason");
            let observed = (7 * week as i64 * 24 + 150) / 24;
            assert!(
                why.contains(&format!(
                    "for {observed} days (since {}, over {} reads), fewer than inactive_days 90",
                    ymd(observed_since),
                    week + 1
                )) || (week == 0 && why.contains("cover 6 days")),
                "week {week}: {why}"
            );
        }
    }
    let first = weeks[12].flag(SILENT).unwrap();
    assert_eq!(
        first["evidence"]["summary"],
        format!(
            "No successful authentication in 90 days of continuous observation since {} ({CLUSTER} since {} over 13 reads).",
            ymd(observed_since),
            ymd(observed_since)
        )
    );
    // STOPS: its last login (day 14, 06:00 before the hour) leaves the week's log after week 2;
    // the store keeps it, so it is flagged only once that login is more than 90 days old.
    let last_login = now() + hours(24 * 14 - 6);
    for (week, w) in weeks.iter().enumerate() {
        let flagged = w.flag(STOPS).is_some();
        let age_days = (7 * week as i64 * 24 - (24 * 14 - 6)) as f64 / 24.0;
        assert_eq!(flagged, age_days > 90.0, "week {week}: {STOPS}");
    }
    let stops = weeks[15].flag(STOPS).unwrap();
    let summary = stops["evidence"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(&format!(
            "Last successful authentication {} on {CLUSTER} (91 days before the as-of date; the limit is 90), recorded by run 3 of the evidence store, and none after it in 111 days of continuous observation since {}",
            ymd(last_login),
            ymd(observed_since)
        )),
        "{summary}"
    );
    assert!(
        weeks[12]
            .html
            .contains("90 days of continuous observation since")
    );

    // Two weeks without a collection: week 17 is skipped. Week 18's read is 14 days after
    // week 16's, so observation restarts and nobody is flagged as inactive.
    let w = report_week(dir.path(), &db, &week_snapshot(&base, 18), 18);
    assert!(w.flag(SILENT).is_none() && w.flag(STOPS).is_none());
    let why = w.unjudged().expect("the claim is reset, with the reason");
    let (week16, week18) = (now() + hours(24 * 7 * 16), now() + hours(24 * 7 * 18));
    let gap = format!(
        "because the reads of {} and {} were 14 days apart, more than the 7 days of history Atlas keeps",
        ymd(week16),
        ymd(week18)
    );
    assert!(why.contains(&gap), "{why}");
    assert!(why.contains("cover 6 days"), "{why}");
    assert!(w.html.contains(&gap), "the report says why");
}

//! The ledger: what a run saw that outlives Atlas's short logs. Per principal the newest sign
//! of activity, per cluster the days and whole reads of its access log, and per read each
//! database user's newest successful login.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::params;

use crate::model::{Snapshot, key, utc_day};

/// Writes what a run saw into the ledger: last seen per principal, the days and reads of every
/// cluster's access log (not those read only in part), and each read's newest successful login
/// per database user.
pub(super) fn ledger(
    tx: &rusqlite::Transaction<'_>,
    snapshot: &Snapshot,
    id: i64,
) -> rusqlite::Result<()> {
    // The newest sign of activity wins; an older one never replaces it.
    let mut seen = tx.prepare(
        "INSERT INTO last_seen (principal, kind, at, source, run_id) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (principal) DO UPDATE SET kind = excluded.kind, at = excluded.at,
            source = excluded.source, run_id = excluded.run_id
         WHERE excluded.at > last_seen.at",
    )?;
    for p in &snapshot.principals {
        if let Some(newest) = p.activity.iter().max_by_key(|a| a.at) {
            seen.execute(params![
                p.key,
                p.kind.as_str(),
                stamp(newest.at),
                newest.source.as_str(),
                id
            ])?;
        }
    }
    // A read counts toward continuous observation only when it was whole, and when no database
    // user's success in it lacks a time: a login the store cannot date must not let a later run
    // call that user inactive.
    let mut partial: HashSet<String> = snapshot
        .coverage
        .iter()
        .filter(|g| g.endpoint == "getGroupDbAccessHistoryCluster" && !g.in_answer())
        .map(|g| g.scope.clone())
        .collect();
    partial.extend(
        snapshot
            .access_logs
            .iter()
            .filter(|e| e.is_undated_login())
            .map(|e| key::cluster(&e.project_id, &e.cluster)),
    );
    let mut day = tx.prepare(
        "INSERT OR IGNORE INTO log_days (project_id, cluster, day, run_id) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut read = tx.prepare(
        "INSERT OR IGNORE INTO log_reads (project_id, cluster, read_at, start, entries, run_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for w in &snapshot.access_log_windows {
        if partial.contains(&key::cluster(&w.project_id, &w.cluster)) {
            continue;
        }
        for d in days(w.start, w.end) {
            day.execute(params![w.project_id, w.cluster, d.to_string(), id])?;
        }
        read.execute(params![
            w.project_id,
            w.cluster,
            stamp(w.end),
            stamp(w.start),
            w.entries as i64,
            id
        ])?;
    }
    let mut newest: HashMap<(&str, &str, &str, &str), Timestamp> = HashMap::new();
    // A login is a login even where the rest of its log could not be read; Atlas's agents and
    // attempts without a time are no one's login (AccessLogEntry::login).
    for (e, when) in snapshot
        .access_logs
        .iter()
        .filter_map(|e| Some((e, e.login()?)))
    {
        let key = (
            e.project_id.as_str(),
            e.cluster.as_str(),
            e.username.as_str(),
            e.auth_source.as_deref().unwrap_or(""),
        );
        let at = newest.entry(key).or_insert(when);
        *at = (*at).max(when);
    }
    let mut login = tx.prepare(
        "INSERT OR IGNORE INTO db_logins (project_id, cluster, username, auth_source, at, run_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for ((project, cluster, username, source), at) in newest {
        login.execute(params![project, cluster, username, source, stamp(at), id])?;
    }
    Ok(())
}

/// A moment as stored: RFC 3339 in UTC with whole seconds, so text order is time order.
pub(super) fn stamp(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The UTC days from `start` to `end`, both included.
fn days(start: Timestamp, end: Timestamp) -> Vec<Date> {
    let (mut day, last) = (utc_day(start), utc_day(end));
    let mut out = Vec::new();
    while day <= last {
        out.push(day);
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

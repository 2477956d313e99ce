//! Remediation evidence: what `apply` and `verify` record. Each plan once (`plans`: its
//! digest, when and from what it was made, its bytes), the grants each of its steps takes
//! away (`plan_grants`), and every journal entry as it is written (`step_events`), so the next
//! report can say what was removed, when, by which credential, on whose decision, and whether
//! it was verified.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::ledger::stamp;
use super::{Store, StoreError};
use crate::model::Grant;
use crate::remediate::journal::{Entry, Phase};
use crate::remediate::plan::{Plan, Step};
use crate::report::Remediated;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS plans (
    digest          TEXT PRIMARY KEY,
    recorded_at     TEXT NOT NULL,
    made_at         TEXT NOT NULL,
    base_url        TEXT NOT NULL,
    credential      TEXT NOT NULL,
    snapshot_sha256 TEXT NOT NULL,
    snapshot_as_of  TEXT,
    steps           INTEGER NOT NULL,
    manual          INTEGER NOT NULL,
    plan_sha256     TEXT NOT NULL,
    plan_json       BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS plan_grants (
    plan_digest TEXT NOT NULL REFERENCES plans(digest),
    step        TEXT NOT NULL,
    grant_id    TEXT NOT NULL,
    principal   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    role        TEXT NOT NULL,
    via         TEXT NOT NULL,
    also        INTEGER NOT NULL,
    PRIMARY KEY (plan_digest, step, grant_id)
);
CREATE TABLE IF NOT EXISTS step_events (
    id          INTEGER PRIMARY KEY,
    plan_digest TEXT NOT NULL REFERENCES plans(digest),
    step        TEXT NOT NULL,
    action      TEXT NOT NULL,
    principal   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    role        TEXT NOT NULL,
    phase       TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    status      INTEGER,
    error_code  TEXT,
    java_method TEXT,
    request     TEXT,
    sent_at     TEXT,
    at          TEXT NOT NULL,
    by          TEXT NOT NULL,
    decision    TEXT,
    reviewer    TEXT NOT NULL,
    date        TEXT NOT NULL,
    comment     TEXT NOT NULL,
    message     TEXT NOT NULL,
    UNIQUE (plan_digest, step, phase, at, outcome)
);
";

impl Store {
    /// Records a plan once (again is a no-op): its digest, when and from what it was made, the
    /// plan file's bytes and SHA-256, and for each step the grants it takes away: those its
    /// reason names and those it also removes. A grant's principal, scope, role and path come
    /// from the plan's snapshot when the store kept it, else from the newest decision on it,
    /// else from the step's target (path then unknown, left empty).
    ///
    /// # Errors
    /// SQLite refuses; nothing is then kept.
    pub fn record_plan(&mut self, plan: &Plan, plan_json: &[u8]) -> Result<(), StoreError> {
        let known = self.plan_snapshot_grants(&plan.snapshot.sha256);
        let decided = self.decided_grants()?;
        let path = self.path.clone();
        let sql = move |source| StoreError::Sql {
            path: path.clone(),
            source: super::SqlError(source),
        };
        let tx = self.conn.transaction().map_err(&sql)?;
        let fresh = tx
            .execute(
                "INSERT OR IGNORE INTO plans (digest, recorded_at, made_at, base_url, credential, snapshot_sha256, snapshot_as_of, steps, manual, plan_sha256, plan_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    plan.digest,
                    stamp(Timestamp::now()),
                    stamp(plan.made_at),
                    plan.base_url,
                    plan.credential,
                    plan.snapshot.sha256,
                    plan.snapshot.as_of.map(stamp),
                    plan.steps.len() as i64,
                    plan.manual.len() as i64,
                    crate::files::sha256_hex(plan_json),
                    plan_json,
                ],
            )
            .map_err(&sql)?;
        if fresh > 0 {
            let mut insert = tx
                .prepare(
                    "INSERT OR IGNORE INTO plan_grants (plan_digest, step, grant_id, principal, scope, role, via, also)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(&sql)?;
            for step in &plan.steps {
                for id in &step.reason.grant_ids {
                    let (principal, scope, role, via) = match (known.get(id), decided.get(id)) {
                        (Some(g), _) => (
                            g.principal.clone(),
                            g.scope.key(),
                            g.role.clone(),
                            g.via.key(),
                        ),
                        (None, Some(d)) => d.clone(),
                        (None, None) => (
                            step.principal.clone(),
                            step.target.scope.clone(),
                            step.target.role.clone().unwrap_or_default(),
                            String::new(),
                        ),
                    };
                    insert
                        .execute(params![
                            plan.digest,
                            step.id,
                            id,
                            principal,
                            scope,
                            role,
                            via,
                            false
                        ])
                        .map_err(&sql)?;
                }
                for also in &step.also_removes {
                    insert
                        .execute(params![
                            plan.digest,
                            step.id,
                            also.grant_id,
                            also.principal,
                            also.scope,
                            also.role,
                            also.via,
                            true
                        ])
                        .map_err(&sql)?;
                }
            }
        }
        tx.commit().map_err(&sql)?;
        Ok(())
    }

    /// Records one journal entry of `step` (of a plan already recorded with
    /// [`Store::record_plan`]). The same entry again is a no-op, so a journal can be replayed
    /// into the store after a run that could not reach it.
    ///
    /// # Errors
    /// SQLite refuses.
    pub fn record_step(&mut self, step: &Step, entry: &Entry) -> Result<(), StoreError> {
        let r = &step.reason;
        let comment = match (&r.comment, &r.email) {
            (Some(c), _) => c.clone(),
            (None, Some(email)) => format!("offboarding {email}"),
            (None, None) => String::new(),
        };
        self.conn
            .execute(
                "INSERT OR IGNORE INTO step_events (plan_digest, step, action, principal, scope, role, phase, outcome, status, error_code, java_method, request, sent_at, at, by, decision, reviewer, date, comment, message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                params![
                    entry.plan,
                    entry.step,
                    step.action.as_str(),
                    step.principal,
                    step.target.scope,
                    step.target.role.as_deref().unwrap_or(""),
                    phase(entry.phase),
                    entry.outcome.as_str(),
                    entry.status,
                    entry.error_code,
                    entry.java_method,
                    entry.request,
                    entry.sent_at.map(stamp),
                    stamp(entry.at),
                    entry.by,
                    r.decision,
                    r.reviewer.as_deref().unwrap_or(""),
                    r.date.as_deref().unwrap_or(""),
                    comment,
                    entry.message,
                ],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Every grant a completed `apply` step took away at or before `until` (and after
    /// `since`, when given), sorted by grant id then time. A step whose newest `verify`
    /// reading found it no longer in effect is left out (the access came back); one verified
    /// carries the time of that reading.
    ///
    /// # Errors
    /// SQLite refuses.
    pub fn remediated(
        &self,
        since: Option<Timestamp>,
        until: Timestamp,
    ) -> Result<Vec<Remediated>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT g.grant_id, g.principal, g.scope, g.role, g.via, e.at, e.by,
                        e.reviewer, e.date, e.comment, e.plan_digest, e.step,
                        (SELECT v.outcome || ' ' || v.at FROM step_events v
                          WHERE v.plan_digest = e.plan_digest AND v.step = e.step
                            AND v.phase = 'verify' AND v.at >= e.at
                          ORDER BY v.at DESC, v.id DESC LIMIT 1)
                 FROM step_events e
                 JOIN plan_grants g ON g.plan_digest = e.plan_digest AND g.step = e.step
                 WHERE e.phase = 'apply' AND e.outcome IN ('done', 'already_done')
                   AND e.at <= ?1 AND e.at > ?2
                 ORDER BY g.grant_id, e.at, e.id",
            )
            .map_err(self.sql())?;
        let since = since.map_or_else(String::new, stamp);
        let rows = stmt
            .query_map(params![stamp(until), since], |r| {
                let verify: Option<String> = r.get(12)?;
                Ok((
                    Remediated {
                        grant_id: r.get(0)?,
                        principal: r.get(1)?,
                        scope: r.get(2)?,
                        role: r.get(3)?,
                        via: r.get(4)?,
                        removed_at: r.get(5)?,
                        removed_by: r.get(6)?,
                        verified_at: None,
                        decided_by: r.get(7)?,
                        decided_on: r.get(8)?,
                        comment: r.get(9)?,
                        plan: r.get(10)?,
                        step: r.get(11)?,
                    },
                    verify,
                ))
            })
            .map_err(self.sql())?;
        let mut out: Vec<Remediated> = Vec::new();
        for row in rows {
            let (mut r, verify) = row.map_err(self.sql())?;
            match verify.as_deref().and_then(|v| v.split_once(' ')) {
                Some(("verified", at)) => r.verified_at = Some(at.to_string()),
                Some(_) => continue,
                None => {}
            }
            // A grant removed twice (a plan run again after the access came back) is listed
            // at its newest removal.
            if out.last().is_some_and(|l| l.grant_id == r.grant_id) {
                out.pop();
            }
            out.push(r);
        }
        Ok(out)
    }

    /// The as-of of the newest attestation (the last review), if any: the report lists what
    /// was removed after it.
    ///
    /// # Errors
    /// SQLite refuses.
    pub fn review_as_of(&self) -> Result<Option<Timestamp>, StoreError> {
        let as_of: Option<String> = self
            .conn
            .query_row(
                "SELECT as_of FROM attestations ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql())?;
        Ok(as_of.and_then(|t| t.parse().ok()))
    }

    /// The grants of a stored snapshot by id; empty when the store did not keep it.
    fn plan_snapshot_grants(&self, sha256: &str) -> HashMap<String, Grant> {
        let run: Option<i64> = self
            .conn
            .query_row(
                "SELECT MIN(id) FROM runs WHERE snapshot_sha256 = ?1",
                [sha256],
                |r| r.get(0),
            )
            .optional()
            .ok()
            .flatten()
            .flatten();
        let Some(snapshot) = run.and_then(|id| self.snapshot(id).ok()) else {
            return HashMap::new();
        };
        snapshot.grants.into_iter().map(|g| (g.id(), g)).collect()
    }

    /// Each decided grant's principal, scope, role and path, from the newest decision on it.
    fn decided_grants(&self) -> Result<HashMap<String, Decided>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT grant_id, principal, scope, role, via FROM decisions ORDER BY attestation_id")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| -> rusqlite::Result<(String, Decided)> {
                Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            })
            .map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }
}

/// A decided grant's principal, scope, role and path.
type Decided = (String, String, String, String);

fn phase(p: Phase) -> &'static str {
    match p {
        Phase::Apply => "apply",
        Phase::Verify => "verify",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remediate::journal::Outcome;
    use crate::remediate::plan::{
        Action, AlsoRemoves, Check, Condition, Reason, Request, SnapshotRef, Source, Target,
    };

    fn step(id: &str, grants: &[&str], also: &[&str]) -> Step {
        Step {
            id: id.into(),
            principal: "user:a@example.com".into(),
            action: Action::RemoveGroupUserRole,
            target: Target {
                scope: "project:p1".into(),
                role: Some("GROUP_OWNER".into()),
                object: "u1".into(),
            },
            request: Request {
                method: "DELETE".into(),
                path: "/groups/p1/users/u1/roles".into(),
                version: "2025-02-19".into(),
                body: None,
            },
            check: Check {
                path: "/groups/p1/users/u1".into(),
                version: "2025-02-19".into(),
            },
            precondition: Condition::Present,
            effect: Condition::Absent,
            after: Vec::new(),
            reason: Reason {
                kind: "decision".into(),
                grant_ids: grants.iter().map(|g| g.to_string()).collect(),
                decision: Some("Revoke".into()),
                reviewer: Some("dana@example.com".into()),
                date: Some("2027-01-10".into()),
                comment: Some("left the team".into()),
                ..Reason::default()
            },
            also_removes: also
                .iter()
                .map(|g| AlsoRemoves {
                    grant_id: g.to_string(),
                    principal: "user:a@example.com".into(),
                    scope: "project:p2".into(),
                    role: "GROUP_READ_ONLY".into(),
                    via: "team:devs".into(),
                })
                .collect(),
            note: None,
        }
    }

    fn plan() -> Plan {
        let steps = vec![
            step("S-001", &["G-0000000001"], &["G-0000000002"]),
            step("S-002", &["G-0000000003"], &[]),
            step("S-003", &["G-0000000004"], &[]),
        ];
        Plan {
            schema_version: 1,
            made_at: "2027-01-12T09:00:00Z".parse().unwrap(),
            base_url: "http://127.0.0.1:1".into(),
            credential: "api_key:abcd".into(),
            orgs: vec!["o1".into()],
            snapshot: SnapshotRef {
                sha256: "ef".repeat(32),
                as_of: Some("2027-01-09T00:00:00Z".parse().unwrap()),
            },
            source: Source::default(),
            digest: Plan::digest_of(&steps, &[]),
            steps,
            manual: Vec::new(),
        }
    }

    fn entry(plan: &Plan, step: &str, phase: Phase, outcome: Outcome, at: &str) -> Entry {
        Entry {
            plan: plan.digest.clone(),
            step: step.into(),
            phase,
            outcome,
            at: at.parse().unwrap(),
            by: "api_key:abcd".into(),
            operation: Some("removeGroupUserRole".into()),
            request: Some("DELETE /groups/p1/users/u1/roles".into()),
            status: Some(204),
            error_code: None,
            java_method: Some("ApiGroupUsersResource::removeRole".into()),
            sent_at: None,
            message: String::new(),
        }
    }

    #[test]
    fn a_schema_3_store_gains_the_remediation_tables() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v3.db");
        drop(Store::open(&path).unwrap());
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "DROP TABLE plans; DROP TABLE plan_grants; DROP TABLE step_events; PRAGMA user_version = 3;",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 4);
        let tables: i64 = store
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('plans', 'plan_grants', 'step_events')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 3);
        assert!(store.remediated(None, Timestamp::now()).unwrap().is_empty());
    }

    #[test]
    fn completed_steps_read_back_as_remediated_grants_and_a_failed_verify_leaves_one_out() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let plan = plan();
        let json = serde_json::to_vec(&plan).unwrap();
        store.record_plan(&plan, &json).unwrap();
        store.record_plan(&plan, &json).unwrap();
        let stored: (i64, String) = store
            .conn
            .query_row("SELECT COUNT(*), MAX(plan_sha256) FROM plans", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(stored, (1, crate::files::sha256_hex(&json)));
        let s = |id: &str| plan.steps.iter().find(|s| s.id == id).unwrap().clone();
        let events = [
            (
                s("S-001"),
                entry(
                    &plan,
                    "S-001",
                    Phase::Apply,
                    Outcome::Done,
                    "2027-01-14T10:00:00Z",
                ),
            ),
            (
                s("S-002"),
                entry(
                    &plan,
                    "S-002",
                    Phase::Apply,
                    Outcome::Refused,
                    "2027-01-14T10:00:01Z",
                ),
            ),
            (
                s("S-003"),
                entry(
                    &plan,
                    "S-003",
                    Phase::Apply,
                    Outcome::AlreadyDone,
                    "2027-01-14T10:00:02Z",
                ),
            ),
            (
                s("S-001"),
                entry(
                    &plan,
                    "S-001",
                    Phase::Verify,
                    Outcome::Verified,
                    "2027-01-14T11:00:00Z",
                ),
            ),
            (
                s("S-003"),
                entry(
                    &plan,
                    "S-003",
                    Phase::Verify,
                    Outcome::NotInEffect,
                    "2027-01-14T11:00:01Z",
                ),
            ),
        ];
        for (step, e) in &events {
            store.record_step(step, e).unwrap();
            // A journal replayed into the store keeps each entry once.
            store.record_step(step, e).unwrap();
        }
        let count: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM step_events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 5);
        let until: Timestamp = "2027-02-01T00:00:00Z".parse().unwrap();
        let got = store.remediated(None, until).unwrap();
        let ids: Vec<(&str, &str)> = got
            .iter()
            .map(|r| (r.grant_id.as_str(), r.step.as_str()))
            .collect();
        // S-002 was refused; S-003's removal no longer holds by verify.
        assert_eq!(ids, [("G-0000000001", "S-001"), ("G-0000000002", "S-001")]);
        let first = &got[0];
        assert_eq!(first.removed_at, "2027-01-14T10:00:00Z");
        assert_eq!(first.removed_by, "api_key:abcd");
        assert_eq!(first.verified_at.as_deref(), Some("2027-01-14T11:00:00Z"));
        assert_eq!(first.decided_by, "dana@example.com");
        assert_eq!(first.comment, "left the team");
        assert_eq!(
            (first.scope.as_str(), first.role.as_str()),
            ("project:p1", "GROUP_OWNER")
        );
        assert_eq!(got[1].via, "team:devs");
        assert_eq!(
            first.line(),
            "Removed on 2027-01-14 by api_key:abcd, decided by dana@example.com on 2027-01-10: left the team (verified 2027-01-14T11:00:00Z)"
        );
        let since = "2027-01-14T10:00:00Z".parse().unwrap();
        assert!(store.remediated(Some(since), until).unwrap().is_empty());
        let before = "2027-01-13T00:00:00Z".parse().unwrap();
        assert!(store.remediated(None, before).unwrap().is_empty());
    }
}

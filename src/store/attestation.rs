//! Attestations: what `decisions` records. Who decided what about which grant, when, from
//! which workbook (its name and SHA-256), for which report.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::remediate::decisions::{Decision, DecisionKind};

/// A workbook an attestation read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWorkbook {
    /// Its name, as given.
    pub name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// One `decisions` run to record.
#[derive(Debug, Clone)]
pub struct Attestation<'a> {
    /// The report digest the workbooks belong to.
    pub report_digest: &'a str,
    /// Its as-of.
    pub as_of: &'a str,
    /// Its snapshot's SHA-256.
    pub snapshot_sha256: &'a str,
    /// The workbooks read.
    pub workbooks: &'a [StoredWorkbook],
    /// The decisions.
    pub decisions: &'a [Decision],
    /// Grants no workbook decided.
    pub undecided: usize,
}

impl Store {
    /// Records an attestation in one transaction. Returns its id.
    ///
    /// # Errors
    /// SQLite refuses; nothing is then kept.
    pub fn record_attestation(&mut self, a: &Attestation<'_>) -> Result<i64, StoreError> {
        let path = self.path.clone();
        let sql = move |source| StoreError::Sql {
            path: path.clone(),
            source: super::SqlError(source),
        };
        let tx = self.conn.transaction().map_err(&sql)?;
        tx.execute(
            "INSERT INTO attestations (recorded_at, report_digest, as_of, snapshot_sha256, decided, undecided)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                Timestamp::now().to_string(),
                a.report_digest,
                a.as_of,
                a.snapshot_sha256,
                a.decisions.len() as i64,
                a.undecided as i64
            ],
        )
        .map_err(&sql)?;
        let id = tx.last_insert_rowid();
        for w in a.workbooks {
            tx.execute(
                "INSERT OR REPLACE INTO attestation_workbooks (attestation_id, name, sha256) VALUES (?1, ?2, ?3)",
                params![id, w.name, w.sha256],
            )
            .map_err(&sql)?;
        }
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO decisions (attestation_id, grant_id, principal, scope, role, via, decision, modify_to, reviewer, date, comment, workbook, sheet, row)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )
                .map_err(&sql)?;
            for d in a.decisions {
                insert
                    .execute(params![
                        id,
                        d.grant_id,
                        d.principal,
                        d.scope,
                        d.role,
                        d.via,
                        d.decision.as_str(),
                        d.modify_to,
                        d.reviewer,
                        d.date,
                        d.comment,
                        d.workbook,
                        d.sheet,
                        d.row
                    ])
                    .map_err(&sql)?;
            }
        }
        tx.commit().map_err(&sql)?;
        Ok(id)
    }

    /// The newest attestation's decisions, sorted by grant id; empty when there is none.
    ///
    /// # Errors
    /// SQLite refuses.
    pub fn latest_decisions(&self) -> Result<Vec<Decision>, StoreError> {
        let latest: Option<i64> = self
            .conn
            .query_row("SELECT MAX(id) FROM attestations", [], |r| r.get(0))
            .optional()
            .map_err(self.sql())?
            .flatten();
        let Some(id) = latest else {
            return Ok(Vec::new());
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT grant_id, principal, scope, role, via, decision, modify_to, reviewer, date, comment, workbook, sheet, row
                 FROM decisions WHERE attestation_id = ?1 ORDER BY grant_id",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([id], |r| {
                let decision: String = r.get(5)?;
                Ok(Decision {
                    grant_id: r.get(0)?,
                    principal: r.get(1)?,
                    scope: r.get(2)?,
                    role: r.get(3)?,
                    via: r.get(4)?,
                    decision: DecisionKind::parse(&decision).ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(
                            5,
                            rusqlite::types::Type::Text,
                            format!("decision {decision:?} is not Keep, Revoke or Modify").into(),
                        )
                    })?,
                    modify_to: r.get(6)?,
                    reviewer: r.get(7)?,
                    date: r.get(8)?,
                    comment: r.get(9)?,
                    workbook: r.get(10)?,
                    sheet: r.get(11)?,
                    row: r.get(12)?,
                })
            })
            .map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }

    /// The manifest recorded with the newest report run of a snapshot, if any.
    ///
    /// # Errors
    /// SQLite refuses.
    pub fn report_manifest(&self, snapshot_sha256: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT manifest FROM runs WHERE kind = 'report' AND snapshot_sha256 = ?1 AND manifest IS NOT NULL ORDER BY id DESC LIMIT 1",
                [snapshot_sha256],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql())
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn decision(grant: &str, kind: DecisionKind) -> Decision {
        Decision {
            grant_id: grant.into(),
            principal: "user:a@example.com".into(),
            scope: "org:o1".into(),
            role: "ORG_OWNER".into(),
            via: "direct".into(),
            decision: kind,
            modify_to: String::new(),
            reviewer: "dana".into(),
            date: "2027-01-10".into(),
            comment: "why".into(),
            workbook: "a.xlsx".into(),
            sheet: "Access Review".into(),
            row: 2,
        }
    }

    #[test]
    fn a_schema_2_store_gains_the_attestation_tables_and_the_newest_attestation_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE runs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, recorded_at TEXT NOT NULL, as_of TEXT NOT NULL, scope TEXT NOT NULL, tool_version TEXT NOT NULL, complete INTEGER NOT NULL, snapshot_sha256 TEXT NOT NULL, findings INTEGER, open_findings INTEGER, manifest TEXT);
                 PRAGMA user_version = 2;",
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, super::super::SCHEMA_VERSION);
        assert!(store.latest_decisions().unwrap().is_empty());
        let books = [StoredWorkbook {
            name: "a.xlsx".into(),
            sha256: "ab".repeat(32),
        }];
        let record = |store: &mut Store, decisions: &[Decision]| {
            store
                .record_attestation(&Attestation {
                    report_digest: "sha256:1",
                    as_of: "2027-01-15T12:00:00Z",
                    snapshot_sha256: "cd",
                    workbooks: &books,
                    decisions,
                    undecided: 4,
                })
                .unwrap()
        };
        let first = record(
            &mut store,
            &[
                decision("G-2", DecisionKind::Revoke),
                decision("G-1", DecisionKind::Keep),
            ],
        );
        let second = record(&mut store, &[decision("G-3", DecisionKind::Modify)]);
        assert!(second > first);
        let latest = store.latest_decisions().unwrap();
        assert_eq!(latest, [decision("G-3", DecisionKind::Modify)]);
        let kept: i64 = store
            .conn
            .query_row(
                "SELECT COUNT(*) FROM decisions WHERE attestation_id = ?1",
                [first],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept, 2, "earlier attestations stay");
    }
}

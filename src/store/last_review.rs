//! The last review, for the next workbook: each grant's newest decision over every
//! attestation, and the snapshot and open findings of the report the newest attestation was
//! made from (`report::last_review` says how they are judged).

use std::collections::{HashMap, HashSet};

use rusqlite::OptionalExtension;

use super::{Store, StoreError};
use crate::model::Grant;
use crate::report::last_review::{LastDecision, LastReview};

impl Store {
    /// The last review; `None` when no attestation was ever recorded.
    ///
    /// # Errors
    /// SQLite refuses, or the reviewed snapshot is stored but cannot be read back.
    pub fn last_review(&self) -> Result<Option<LastReview>, StoreError> {
        let newest: Option<String> = self
            .conn
            .query_row(
                "SELECT snapshot_sha256 FROM attestations ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql())?;
        let Some(sha256) = newest else {
            return Ok(None);
        };
        let mut decisions = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT grant_id, decision, reviewer, date, comment FROM decisions
                     ORDER BY attestation_id",
                )
                .map_err(self.sql())?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        LastDecision {
                            decision: r.get(1)?,
                            reviewer: r.get(2)?,
                            date: r.get(3)?,
                            comment: r.get(4)?,
                        },
                    ))
                })
                .map_err(self.sql())?;
            // Oldest first: a newer decision on a grant replaces an older one.
            for row in rows {
                let (id, d) = row.map_err(self.sql())?;
                decisions.insert(id, d);
            }
        }
        let run: Option<i64> = self
            .conn
            .query_row(
                "SELECT MIN(r.id) FROM runs r JOIN snapshots s ON s.sha256 = r.snapshot_sha256
                 WHERE r.snapshot_sha256 = ?1",
                [&sha256],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        let reviewed_grants = match run {
            Some(run) => Some(
                self.snapshot(run)?
                    .grants
                    .iter()
                    .map(Grant::id)
                    .collect::<HashSet<_>>(),
            ),
            None => None,
        };
        // The findings of the newest run of that snapshot that recorded any (a report).
        let findings_run: Option<i64> = self
            .conn
            .query_row(
                "SELECT MAX(id) FROM runs WHERE snapshot_sha256 = ?1 AND findings IS NOT NULL",
                [&sha256],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        let reviewed_open_findings = match findings_run {
            Some(run) => {
                let mut stmt = self
                    .conn
                    .prepare("SELECT id FROM findings WHERE run_id = ?1 AND status = 'open'")
                    .map_err(self.sql())?;
                let ids = stmt
                    .query_map([run], |r| r.get::<_, String>(0))
                    .map_err(self.sql())?;
                Some(ids.collect::<Result<HashSet<_>, _>>().map_err(self.sql())?)
            }
            None => None,
        };
        Ok(Some(LastReview {
            attested: true,
            decisions,
            reviewed_grants,
            reviewed_open_findings,
        }))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remediate::decisions::{Decision, DecisionKind};
    use crate::rules::Status;
    use crate::store::{Attestation, Record};

    fn decision(grant: &str, kind: DecisionKind, reviewer: &str) -> Decision {
        Decision {
            grant_id: grant.into(),
            principal: "user:a@example.com".into(),
            scope: "org:o1".into(),
            role: "ORG_OWNER".into(),
            via: "direct".into(),
            decision: kind,
            modify_to: String::new(),
            reviewer: reviewer.into(),
            date: "2027-01-10".into(),
            comment: format!("{reviewer} says"),
            workbook: "a.xlsx".into(),
            sheet: "Access Review".into(),
            row: 2,
        }
    }

    fn attest(store: &mut Store, snapshot_sha256: &str, decisions: &[Decision]) {
        store
            .record_attestation(&Attestation {
                report_digest: "sha256:1",
                as_of: "2027-01-15T12:00:00Z",
                snapshot_sha256,
                workbooks: &[],
                decisions,
                undecided: 0,
            })
            .unwrap();
    }

    #[test]
    fn the_newest_decision_per_grant_and_the_reviewed_report_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        assert_eq!(store.last_review().unwrap(), None, "no attestation yet");

        let mut sample = crate::report::sample::ordinary();
        // One finding exempted: only open ones count as seen by the review.
        sample.findings.findings[0].status = Status::Exempted;
        let snapshot = &sample.estate.snapshot;
        let json = serde_json::to_vec(snapshot).unwrap();
        let sha256 = crate::files::sha256_hex(&json);
        store
            .record(&Record {
                kind: "report",
                snapshot,
                snapshot_json: &json,
                snapshot_sha256: Some(&sha256),
                findings: Some(&sample.findings),
                manifest: None,
            })
            .unwrap();
        attest(
            &mut store,
            &sha256,
            &[
                decision("G-a", DecisionKind::Keep, "dana"),
                decision("G-b", DecisionKind::Keep, "dana"),
            ],
        );
        attest(
            &mut store,
            &sha256,
            &[decision("G-a", DecisionKind::Revoke, "eli")],
        );
        let last = store.last_review().unwrap().unwrap();
        assert!(last.attested);
        let a = last.decision("G-a").unwrap();
        assert_eq!(
            (a.decision.as_str(), a.reviewer.as_str(), a.comment.as_str()),
            ("Revoke", "eli", "eli says")
        );
        assert_eq!(last.decision("G-b").unwrap().reviewer, "dana");
        let grants: HashSet<String> = snapshot.grants.iter().map(Grant::id).collect();
        assert!(!grants.is_empty());
        assert_eq!(last.reviewed_grants, Some(grants));
        let open: HashSet<String> = sample
            .findings
            .findings
            .iter()
            .filter(|f| f.status == Status::Open)
            .map(|f| f.id.clone())
            .collect();
        assert!(!open.is_empty());
        assert!(
            open.len() < sample.findings.findings.len(),
            "one finding is exempted"
        );
        assert_eq!(last.reviewed_open_findings, Some(open));

        // A review of a report the store never kept: neither its snapshot nor its findings.
        attest(
            &mut store,
            "ab",
            &[decision("G-c", DecisionKind::Keep, "fay")],
        );
        let last = store.last_review().unwrap().unwrap();
        assert_eq!(last.reviewed_grants, None);
        assert_eq!(last.reviewed_open_findings, None);
        assert_eq!(last.decision("G-a").unwrap().reviewer, "eli");
        assert_eq!(last.decisions.len(), 3);
    }
}

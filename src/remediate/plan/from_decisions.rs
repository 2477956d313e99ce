//! Decisions in: the rows of `decisions.csv` (the header the `decisions` command writes),
//! checked against the snapshot, with each Modify's target taken from the row or from the
//! recommendation of the grant's findings. [`intents`] takes parsed rows, so decisions read
//! from the store can come in the same way as those read from a file.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::builder::{Intent, Want};
use super::types::Reason;
use crate::model::{Grant, Scope, Snapshot};
use crate::remediate::decisions::{DECISIONS_CSV_HEADER, Decision, DecisionKind};
use crate::rules::{self, Findings};

/// Why decisions could not be turned into a plan.
#[derive(Debug, thiserror::Error)]
pub enum DecisionsError {
    /// The file could not be read.
    #[error("cannot read {}: {cause}; check the path to decisions.csv", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause, told in the message.
        cause: std::io::Error,
    },
    /// The header is not the one `atlas-audit decisions` writes.
    #[error("{}: the header is not that of decisions.csv (expected {}); give the file `atlas-audit decisions` wrote", path.display(), DECISIONS_CSV_HEADER.join(","))]
    Header {
        /// The file.
        path: PathBuf,
    },
    /// A row could not be read.
    #[error("{}: line {line}: {cause}; fix the row or write the file again with `atlas-audit decisions`", path.display())]
    Row {
        /// The file.
        path: PathBuf,
        /// Its line (1-based, header included).
        line: u64,
        /// The cause, told in the message.
        cause: csv::Error,
    },
    /// A decision names a grant the snapshot does not have.
    #[error(
        "decision on {grant_id} ({workbook} row {row}): no such grant in the snapshot; give the snapshot the review was made from"
    )]
    UnknownGrant {
        /// The grant id.
        grant_id: String,
        /// The workbook.
        workbook: String,
        /// The row.
        row: u32,
    },
    /// A decision's columns disagree with the grant its id names.
    #[error(
        "decision on {grant_id} ({workbook} row {row}): its {column} is {found:?} but the snapshot's grant has {expected:?}; the decisions file was edited or belongs to another snapshot"
    )]
    Mismatch {
        /// The grant id.
        grant_id: String,
        /// The workbook.
        workbook: String,
        /// The row.
        row: u32,
        /// `principal`, `scope`, `role` or `via`.
        column: &'static str,
        /// In the row.
        found: String,
        /// In the snapshot.
        expected: String,
    },
}

/// Reads `decisions.csv`, refusing any other header.
///
/// # Errors
/// When the file cannot be read, has another header, or a row is malformed.
pub fn read(path: &Path) -> Result<Vec<Decision>, DecisionsError> {
    let bytes = std::fs::read(path).map_err(|cause| DecisionsError::Read {
        path: path.into(),
        cause,
    })?;
    let mut reader =
        csv::Reader::from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes));
    let header = reader.headers().map_err(|cause| DecisionsError::Row {
        path: path.into(),
        line: 1,
        cause,
    })?;
    if header.iter().ne(DECISIONS_CSV_HEADER.iter().copied()) {
        return Err(DecisionsError::Header { path: path.into() });
    }
    let mut rows = Vec::new();
    for (n, row) in reader.deserialize::<Decision>().enumerate() {
        rows.push(row.map_err(|cause| DecisionsError::Row {
            path: path.into(),
            line: n as u64 + 2,
            cause,
        })?);
    }
    Ok(rows)
}

/// The lesser role the findings on a grant's principal and scope recommend, when they agree
/// on exactly one valid for the scope.
pub fn recommended_role(grant: &Grant, findings: &Findings) -> Option<String> {
    let project = grant.scope.project_id();
    let found: BTreeSet<&str> = findings
        .findings
        .iter()
        .filter(|f| {
            f.principal.key == grant.principal
                && f.recommendation.action == rules::Action::Modify
                && f.scope.org_id == grant.scope.org_id()
                && (f.scope.project_id.is_none() || f.scope.project_id.as_deref() == project)
        })
        .filter_map(|f| f.recommendation.to.as_deref())
        .filter(|to| {
            *to != grant.role
                && match grant.scope {
                    Scope::Org { .. } => to.starts_with("ORG_"),
                    Scope::Project { .. } => to.starts_with("GROUP_"),
                    Scope::Database { .. } => !to.contains(char::is_whitespace),
                }
        })
        .collect();
    (found.len() == 1).then(|| found.into_iter().next().map(str::to_string))?
}

/// The intents of the Revoke and Modify rows (Keep rows are skipped), each checked against the
/// snapshot's grant of that id.
///
/// # Errors
/// The first row naming a grant the snapshot lacks, disagreeing with it, or with an unknown
/// decision.
pub fn intents<'a>(
    snapshot: &'a Snapshot,
    rows: &[Decision],
    findings: &Findings,
) -> Result<Vec<Intent<'a>>, DecisionsError> {
    let by_id: HashMap<String, &Grant> = snapshot.grants.iter().map(|g| (g.id(), g)).collect();
    let mut out = Vec::new();
    for r in rows {
        let Some(&grant) = by_id.get(&r.grant_id) else {
            return Err(DecisionsError::UnknownGrant {
                grant_id: r.grant_id.clone(),
                workbook: r.workbook.clone(),
                row: r.row,
            });
        };
        for (column, found, expected) in [
            ("principal", &r.principal, grant.principal.clone()),
            ("scope", &r.scope, grant.scope.key()),
            ("role", &r.role, grant.role.clone()),
            ("via", &r.via, grant.via.key()),
        ] {
            if *found != expected {
                return Err(DecisionsError::Mismatch {
                    grant_id: r.grant_id.clone(),
                    workbook: r.workbook.clone(),
                    row: r.row,
                    column,
                    found: found.clone(),
                    expected,
                });
            }
        }
        let want = match r.decision {
            DecisionKind::Keep => continue,
            DecisionKind::Revoke => Want::Revoke,
            DecisionKind::Modify => Want::Modify(
                Some(r.modify_to.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .or_else(|| recommended_role(grant, findings)),
            ),
        };
        let text = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        out.push(Intent {
            grant,
            want,
            reason: Reason {
                kind: "decision".into(),
                grant_ids: vec![r.grant_id.clone()],
                decision: Some(r.decision.as_str().to_string()),
                reviewer: text(&r.reviewer),
                date: text(&r.date),
                comment: text(&r.comment),
                workbook: text(&r.workbook),
                row: Some(r.row),
                email: None,
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Via;
    use crate::rules::testkit::Estate;

    fn estate() -> Estate {
        let mut e = Estate::new();
        e.project("o1", "p1", &[]);
        e.user("o1", "ann@example.com");
        e.project_role("user:ann@example.com", "p1", "GROUP_OWNER", Via::Direct);
        e
    }

    fn row(g: &Grant, decision: DecisionKind) -> Decision {
        Decision {
            grant_id: g.id(),
            principal: g.principal.clone(),
            scope: g.scope.key(),
            role: g.role.clone(),
            via: g.via.key(),
            decision,
            modify_to: String::new(),
            reviewer: "dana@example.com".into(),
            date: "2026-11-21".into(),
            comment: "left the team".into(),
            workbook: "review.xlsx".into(),
            sheet: "Access Review".into(),
            row: 7,
        }
    }

    fn no_findings() -> Findings {
        Findings {
            schema_version: crate::rules::FINDINGS_SCHEMA_VERSION,
            as_of: crate::rules::testkit::as_of(),
            findings: Vec::new(),
            not_evaluated: Vec::new(),
            exemption_warnings: Vec::new(),
        }
    }

    #[test]
    fn a_missing_file_is_named_with_its_cause_told_once() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(&dir.path().join("decisions.csv")).unwrap_err();
        let text = crate::model::with_causes(&err);
        assert!(text.starts_with("cannot read "), "{text}");
        assert!(
            text.ends_with("; check the path to decisions.csv"),
            "{text}"
        );
        let told = std::fs::read(dir.path().join("decisions.csv"))
            .unwrap_err()
            .to_string();
        assert_eq!(text.matches(&told).count(), 1, "{text}");
    }

    #[test]
    fn rows_become_intents_and_keeps_are_skipped() {
        let e = estate();
        let g = &e.snapshot.grants[0];
        let rows = [row(g, DecisionKind::Revoke), row(g, DecisionKind::Keep)];
        let got = intents(&e.snapshot, &rows, &no_findings()).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].want, Want::Revoke);
        assert_eq!(got[0].reason.row, Some(7));
        assert_eq!(got[0].reason.comment.as_deref(), Some("left the team"));
    }

    #[test]
    fn a_row_for_another_grant_or_disagreeing_with_it_is_refused_by_row() {
        let e = estate();
        let g = &e.snapshot.grants[0];
        let mut unknown = row(g, DecisionKind::Revoke);
        unknown.grant_id = "G-0000000000".into();
        let err = intents(&e.snapshot, &[unknown], &no_findings()).unwrap_err();
        assert!(err.to_string().contains("review.xlsx row 7"), "{err}");
        assert!(matches!(err, DecisionsError::UnknownGrant { .. }));
        let mut edited = row(g, DecisionKind::Revoke);
        edited.role = "GROUP_READ_ONLY".into();
        let err = intents(&e.snapshot, &[edited], &no_findings()).unwrap_err();
        assert!(err.to_string().contains("its role is"), "{err}");
    }

    #[test]
    fn a_modify_without_a_target_takes_the_recommended_lesser_role() {
        let mut e = estate();
        e.api_key("o1", "k1");
        e.org_role("apikey:k1", "o1", "ORG_OWNER");
        let findings = crate::rules::evaluate(&e.snapshot, &e.policy).unwrap();
        let g = e
            .snapshot
            .grants
            .iter()
            .find(|g| g.principal == "apikey:k1")
            .unwrap();
        assert_eq!(
            recommended_role(g, &findings).as_deref(),
            Some("ORG_READ_ONLY")
        );
        let got = intents(&e.snapshot, &[row(g, DecisionKind::Modify)], &findings).unwrap();
        assert_eq!(got[0].want, Want::Modify(Some("ORG_READ_ONLY".into())));
        let mut given = row(g, DecisionKind::Modify);
        given.modify_to = "ORG_MEMBER".into();
        let got = intents(&e.snapshot, &[given], &findings).unwrap();
        assert_eq!(got[0].want, Want::Modify(Some("ORG_MEMBER".into())));
    }

    #[test]
    fn only_the_decisions_header_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("decisions.csv");
        let e = estate();
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.serialize(row(&e.snapshot.grants[0], DecisionKind::Revoke))
            .unwrap();
        w.flush().unwrap();
        let rows = read(&path).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 7);
        assert_eq!(rows[0].decision, DecisionKind::Revoke);
        std::fs::write(&path, "grant_id,decision\r\nG-1,Revoke\r\n").unwrap();
        assert!(matches!(read(&path), Err(DecisionsError::Header { .. })));
    }

    #[test]
    fn a_decision_is_read_as_the_workbook_reads_it_and_anything_else_is_named_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("decisions.csv");
        let e = estate();
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.serialize(row(&e.snapshot.grants[0], DecisionKind::Keep))
            .unwrap();
        w.serialize(row(&e.snapshot.grants[0], DecisionKind::Revoke))
            .unwrap();
        w.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // Case and spaces around it as a spreadsheet may leave them.
        let lenient = text.replacen(",Keep,", ", keep ,", 1);
        std::fs::write(&path, &lenient).unwrap();
        assert_eq!(read(&path).unwrap()[0].decision, DecisionKind::Keep);
        std::fs::write(&path, lenient.replacen(",Revoke,", ",Delete,", 1)).unwrap();
        let err = read(&path).unwrap_err();
        assert!(
            matches!(err, DecisionsError::Row { line: 3, .. }),
            "{err:?}"
        );
        let text = crate::model::with_causes(&err);
        assert!(text.contains("line 3"), "{text}");
        assert_eq!(
            text.matches("is not Keep, Revoke or Modify").count(),
            1,
            "{text}"
        );
        assert!(
            text.contains("\"Delete\" is not Keep, Revoke or Modify"),
            "{text}"
        );
    }
}

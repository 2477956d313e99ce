//! The last review, for the next workbook (`report --store`): each grant's newest decision in
//! the evidence store, and whether the grant is new or changed since, so reviewers can filter
//! to the rows that need a fresh look.
//!
//! "Since last review" is judged against the newest attestation (the last review) alone:
//! - `new`: no attestation ever decided this grant id, and it was not in the snapshot the last
//!   review was made from (or the store does not hold that snapshot, so it cannot be shown to
//!   have been there);
//! - `changed`: not new, and the grant now carries an open finding whose id was not open in the
//!   report the last review was made from (finding ids are stable across snapshots). When the
//!   store holds no findings of that report (it was written without `--store`), every open
//!   finding counts as not reviewed. A finding that closed is no reason for a fresh look;
//! - `not removed`: the newest decision on it was Revoke or Modify, and the grant is still held
//!   as it was (a Modify that was carried out leaves another role, another grant);
//! - `unchanged`: otherwise.
//!
//! Without any attestation there is no last review and the column stays empty.

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;

/// A grant's newest decision, from any attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastDecision {
    /// `Keep`, `Revoke` or `Modify`.
    pub decision: String,
    /// Who decided.
    pub reviewer: String,
    /// The day decided, as recorded (`yyyy-mm-dd`).
    pub date: String,
    /// The reviewer's comment.
    pub comment: String,
}

impl LastDecision {
    /// The day decided, when the recorded text is one.
    pub fn day(&self) -> Option<Date> {
        self.date.get(..10).and_then(|d| d.parse().ok())
    }
}

/// What the store says about the last review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastReview {
    /// Whether any attestation was recorded; without one every cell of the columns is empty.
    pub attested: bool,
    /// The newest decision on each grant id, over every attestation.
    pub decisions: HashMap<String, LastDecision>,
    /// Grant ids of the snapshot the newest attestation was made from; `None` when the store
    /// does not hold that snapshot.
    pub reviewed_grants: Option<HashSet<String>>,
    /// Ids of the findings open in the report the newest attestation was made from; `None`
    /// when the store holds no findings of that report.
    pub reviewed_open_findings: Option<HashSet<String>>,
}

/// The "Since last review" of a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// Neither decided before nor in the reviewed snapshot.
    New,
    /// Carries an open finding the last review did not see open.
    Changed,
    /// Decided Revoke or Modify, and still held.
    NotRemoved,
    /// Neither.
    Unchanged,
}

impl Since {
    /// The cell text: `new`, `changed`, `not removed` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Since::New => "new",
            Since::Changed => "changed",
            Since::NotRemoved => "not removed",
            Since::Unchanged => "unchanged",
        }
    }
}

impl LastReview {
    /// The newest decision on a grant, if any.
    pub fn decision(&self, grant_id: &str) -> Option<&LastDecision> {
        self.decisions.get(grant_id)
    }

    /// Whether a grant is new, changed or unchanged since the last review, given the ids of
    /// its open findings now; `None` when there was no review.
    pub fn since<'f>(
        &self,
        grant_id: &str,
        open_findings: impl IntoIterator<Item = &'f str>,
    ) -> Option<Since> {
        self.attested.then(|| self.judge(grant_id, open_findings))
    }

    fn judge<'f>(&self, grant_id: &str, open_findings: impl IntoIterator<Item = &'f str>) -> Since {
        let decision = self.decisions.get(grant_id);
        if decision.is_some_and(|d| matches!(d.decision.as_str(), "Revoke" | "Modify")) {
            return Since::NotRemoved;
        }
        let decided = decision.is_some();
        let reviewed = self
            .reviewed_grants
            .as_ref()
            .is_some_and(|g| g.contains(grant_id));
        if !decided && !reviewed {
            return Since::New;
        }
        let seen = |id: &str| {
            self.reviewed_open_findings
                .as_ref()
                .is_some_and(|open| open.contains(id))
        };
        if open_findings.into_iter().any(|id| !seen(id)) {
            Since::Changed
        } else {
            Since::Unchanged
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keep() -> LastDecision {
        LastDecision {
            decision: "Keep".into(),
            reviewer: "dana@example.com".into(),
            date: "2027-01-10".into(),
            comment: "on call".into(),
        }
    }

    fn review() -> LastReview {
        LastReview {
            attested: true,
            decisions: HashMap::from([("G-decided".to_string(), keep())]),
            reviewed_grants: Some(HashSet::from([
                "G-decided".to_string(),
                "G-undecided".to_string(),
            ])),
            reviewed_open_findings: Some(HashSet::from(["F-old".to_string()])),
        }
    }

    #[test]
    fn a_grant_neither_decided_nor_in_the_reviewed_snapshot_is_new() {
        let r = review();
        assert_eq!(r.since("G-other", []), Some(Since::New));
        // Even with findings: new wins.
        assert_eq!(r.since("G-other", ["F-new"]), Some(Since::New));
        assert_eq!(r.decision("G-other"), None);
    }

    #[test]
    fn a_decided_or_reviewed_grant_without_unseen_open_findings_is_unchanged() {
        let r = review();
        assert_eq!(r.since("G-decided", []), Some(Since::Unchanged));
        assert_eq!(r.since("G-decided", ["F-old"]), Some(Since::Unchanged));
        // Left undecided in the last review, but it was in front of the reviewer.
        assert_eq!(r.since("G-undecided", ["F-old"]), Some(Since::Unchanged));
        assert_eq!(r.decision("G-decided"), Some(&keep()));
    }

    #[test]
    fn an_open_finding_the_last_review_did_not_see_open_makes_it_changed() {
        let r = review();
        assert_eq!(
            r.since("G-decided", ["F-old", "F-new"]),
            Some(Since::Changed)
        );
        assert_eq!(r.since("G-undecided", ["F-new"]), Some(Since::Changed));
    }

    #[test]
    fn a_grant_decided_revoke_or_modify_and_still_held_is_not_removed() {
        let mut r = review();
        for decision in ["Revoke", "Modify"] {
            r.decisions.insert(
                "G-decided".into(),
                LastDecision {
                    decision: decision.into(),
                    ..keep()
                },
            );
            // Whatever else is true of it: the decision was not carried out.
            assert_eq!(r.since("G-decided", []), Some(Since::NotRemoved));
            assert_eq!(r.since("G-decided", ["F-new"]), Some(Since::NotRemoved));
        }
        assert_eq!(Since::NotRemoved.as_str(), "not removed");
    }

    #[test]
    fn without_the_reviewed_snapshot_only_a_decision_keeps_a_grant_from_being_new() {
        let r = LastReview {
            reviewed_grants: None,
            ..review()
        };
        assert_eq!(r.since("G-undecided", []), Some(Since::New));
        assert_eq!(r.since("G-decided", []), Some(Since::Unchanged));
    }

    #[test]
    fn without_the_reviewed_findings_every_open_finding_counts_as_unseen() {
        let r = LastReview {
            reviewed_open_findings: None,
            ..review()
        };
        assert_eq!(r.since("G-decided", ["F-old"]), Some(Since::Changed));
        assert_eq!(r.since("G-decided", []), Some(Since::Unchanged));
    }

    #[test]
    fn without_an_attestation_nothing_is_judged() {
        let r = LastReview::default();
        assert_eq!(r.since("G-other", ["F-new"]), None);
        assert_eq!(r.decision("G-other"), None);
    }

    #[test]
    fn the_decided_day_reads_a_date_or_a_timestamp_and_nothing_else() {
        let mut d = keep();
        assert_eq!(d.day(), Some(jiff::civil::date(2027, 1, 10)));
        d.date = "2027-01-10T09:00:00Z".into();
        assert_eq!(d.day(), Some(jiff::civil::date(2027, 1, 10)));
        d.date = "soon".into();
        assert_eq!(d.day(), None);
        assert_eq!(Since::Changed.as_str(), "changed");
    }
}

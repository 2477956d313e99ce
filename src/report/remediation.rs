//! What the evidence store says was removed since the review, as the report shows it:
//! `remediation.csv`, the "Remediated" list of report.html and the workbook's Summary.
//!
//! A finding about a remediated grant the snapshot no longer shows is already gone (the rules
//! found nothing). One the snapshot still shows (it was collected before the removal) is left
//! as the rules found it, in findings.csv and findings.json alike, and named here instead:
//! remediation.csv's last column and the report's list say which findings that removal
//! resolves and when. That keeps the findings contract as it is.

use std::io::{self, Write};

use super::Review;
use super::cell::CsvWriter;

/// A grant taken away by a completed `apply` step (and confirmed by `verify` where it ran).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Remediated {
    /// The grant's id (`G-…`).
    pub grant_id: String,
    /// Principal key.
    pub principal: String,
    /// `Scope::key()`.
    pub scope: String,
    /// The role removed (empty when the step removed the whole object).
    pub role: String,
    /// `Via::key()`, when the plan named it (a grant a team membership or org role carried).
    pub via: String,
    /// When the step completed (RFC 3339).
    pub removed_at: String,
    /// The credential that removed it (`api_key:<publicKey>` or `service_account:<clientId>`).
    pub removed_by: String,
    /// When `verify` last confirmed it, if it did.
    pub verified_at: Option<String>,
    /// The reviewer whose decision it carried out (empty for offboarding).
    pub decided_by: String,
    /// The decision's date (`YYYY-MM-DD`).
    pub decided_on: String,
    /// The reviewer's comment, or `offboarding <email>`.
    pub comment: String,
    /// The plan's digest.
    pub plan: String,
    /// The step id (`S-001`).
    pub step: String,
}

impl Remediated {
    /// The one line the report and the workbook's Summary show: "Removed on 2027-01-14 by
    /// apikey:abcd, decided by dana@… on 2027-01-10: left the team".
    pub fn line(&self) -> String {
        let day = self.removed_at.get(..10).unwrap_or(&self.removed_at);
        let mut line = format!("Removed on {day} by {}", self.removed_by);
        if !self.decided_by.is_empty() {
            line.push_str(&format!(", decided by {}", self.decided_by));
            if !self.decided_on.is_empty() {
                line.push_str(&format!(" on {}", self.decided_on));
            }
        }
        if !self.comment.is_empty() {
            line.push_str(&format!(": {}", self.comment));
        }
        if let Some(at) = &self.verified_at {
            line.push_str(&format!(" (verified {at})"));
        }
        line
    }
}

/// `remediation.csv`'s header.
pub const REMEDIATION_CSV_HEADER: [&str; 15] = [
    "grant_id",
    "principal",
    "scope",
    "role",
    "via",
    "removed_at",
    "removed_by",
    "verified_at",
    "decided_by",
    "decided_on",
    "comment",
    "plan_digest",
    "step",
    "still_in_snapshot",
    "findings_resolved",
];

/// One remediated grant as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemediatedView<'a> {
    /// What the store recorded.
    pub remediated: &'a Remediated,
    /// Whether this report's snapshot still shows the grant (collected before the removal).
    pub still_shown: bool,
    /// Ids of the findings about the grant's holder and scope this snapshot still shows, which
    /// the removal resolves.
    pub findings: Vec<&'a str>,
}

impl RemediatedView<'_> {
    /// The line shown in report.html and on the Summary sheet.
    pub fn line(&self) -> String {
        let r = self.remediated;
        let mut line = format!(
            "{} {} {} on {}. {}",
            r.grant_id,
            r.principal,
            if r.role.is_empty() {
                "(all roles)"
            } else {
                r.role.as_str()
            },
            r.scope,
            r.line()
        );
        if self.still_shown {
            line.push_str(&format!(
                ". This snapshot predates the removal and still shows the grant; remediated at {}",
                r.removed_at
            ));
            if !self.findings.is_empty() {
                line.push_str(&format!(", resolving {}", self.findings.join(" ")));
            }
        }
        line
    }
}

/// Each remediated grant of `review`, with what this snapshot still shows of it.
pub fn views<'a>(review: &'a Review<'a>) -> Vec<RemediatedView<'a>> {
    review
        .remediated
        .iter()
        .map(|r| {
            let grant = review.snapshot.grants.iter().find(|g| g.id() == r.grant_id);
            let findings = grant
                .map(|g| {
                    review
                        .findings
                        .findings
                        .iter()
                        .filter(|f| {
                            f.principal.key == g.principal
                                && f.scope.org_id == g.scope.org_id()
                                && f.scope.project_id.as_deref() == g.scope.project_id()
                        })
                        .map(|f| f.id.as_str())
                        .collect()
                })
                .unwrap_or_default();
            RemediatedView {
                remediated: r,
                still_shown: grant.is_some(),
                findings,
            }
        })
        .collect()
}

/// Writes `remediation.csv`: one row per grant removed since the review.
///
/// # Errors
/// When `out` cannot be written.
pub fn remediation_csv(review: &Review<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut csv = CsvWriter::new(out);
    csv.record(REMEDIATION_CSV_HEADER)?;
    for v in views(review) {
        let r = v.remediated;
        let findings = v.findings.join(" ");
        let fields: [&str; 15] = [
            &r.grant_id,
            &r.principal,
            &r.scope,
            &r.role,
            &r.via,
            &r.removed_at,
            &r.removed_by,
            r.verified_at.as_deref().unwrap_or(""),
            &r.decided_by,
            &r.decided_on,
            &r.comment,
            &r.plan,
            &r.step,
            if v.still_shown { "yes" } else { "no" },
            &findings,
        ];
        csv.record(fields)?;
    }
    csv.finish()?;
    Ok(())
}

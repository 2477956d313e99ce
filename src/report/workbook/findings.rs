//! The Findings sheet: one row per finding, in `findings.json` order.

use super::{Sheet, Table, Written, owned, project_name};
use crate::report::Review;
use crate::report::cell::yes_no;
use crate::rules::Finding;

/// The Findings sheet's columns.
pub(super) const HEADERS: &[&str] = &[
    "Finding",
    "Severity",
    "Status",
    "Rule",
    "Principal key",
    "Principal kind",
    "Principal name",
    "Org",
    "Project",
    "Title",
    "Evidence",
    "Recommendation",
    "Recommended to",
    "Recommendation detail",
    "Exemption reason",
    "Exemption owner",
    "Exemption ticket",
    "Exemption expires",
    "Exemption expired",
];

pub(super) fn table<'a>(review: &'a Review<'a>) -> Table<'a> {
    let findings = &review.findings.findings;
    Table {
        name: "Findings",
        headers: owned(HEADERS),
        editable: 0,
        len: findings.len(),
        row: Box::new(move |s, i| row(s, review, &findings[i])),
    }
}

fn row(s: &mut Sheet<'_>, review: &Review<'_>, f: &Finding) -> Written {
    let ex = f.exemption.as_ref();
    s.text(&f.id)?;
    s.severity(Some(f.severity))?;
    s.text(f.status.as_str())?;
    s.text(f.rule.as_str())?;
    s.text(&f.principal.key)?;
    s.text(f.principal.kind.as_str())?;
    s.text(&f.principal.name)?;
    s.text(review.org_name(&f.scope.org_id))?;
    s.text(project_name(review, f.scope.project_id.as_deref()))?;
    s.text(&f.title)?;
    s.text(&f.evidence.summary)?;
    s.text(f.recommendation.action.as_str())?;
    s.text(f.recommendation.to.as_deref().unwrap_or_default())?;
    s.text(&f.recommendation.text)?;
    s.text(ex.map_or("", |e| e.reason.as_str()))?;
    s.text(ex.and_then(|e| e.owner.as_deref()).unwrap_or_default())?;
    s.text(ex.and_then(|e| e.ticket.as_deref()).unwrap_or_default())?;
    s.day(ex.map(|e| e.expires))?;
    s.text(ex.map_or("", |e| yes_no(e.expired)))
}

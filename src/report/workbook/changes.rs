//! The Changes sheet, with `--baseline`: what changed since the baseline, one row per change,
//! the columns of `changes.csv` with headings.

use super::{Table, owned};
use crate::report::{Names, Review};

/// The Changes sheet's columns.
const HEADERS: &[&str] = &[
    "Change",
    "Principal key",
    "Kind",
    "Name",
    "Org",
    "Project",
    "Resource",
    "Role",
    "Detail",
    "Finding",
    "Rule",
    "Severity",
];

pub(super) fn table<'a>(review: &'a Review<'a>) -> Option<Table<'a>> {
    let baseline = review.baseline?;
    let names = Names::of(&[review.snapshot, baseline.snapshot]);
    let changes = &baseline.changes.changes;
    Some(Table {
        name: "Changes",
        headers: owned(HEADERS),
        editable: 0,
        len: changes.len(),
        row: Box::new(move |s, i| {
            let c = &changes[i];
            s.text(c.kind.as_str())?;
            s.text(&c.principal)?;
            s.text(c.principal_kind.map_or("", |k| k.as_str()))?;
            s.text(&c.name)?;
            s.text(names.name(c.org_id.as_deref()))?;
            s.text(names.name(c.project_id.as_deref()))?;
            s.text(&c.resource)?;
            s.text(&c.role)?;
            s.text(&c.detail)?;
            s.text(c.finding_id.as_deref().unwrap_or_default())?;
            s.text(c.rule.as_deref().unwrap_or_default())?;
            s.severity(c.severity)
        }),
    })
}

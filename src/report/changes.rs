//! `changes.csv` and the text of `diff`: what changed since the last review, one row per
//! change, with org and project names from either snapshot.

use std::fmt::Write as _;

use rustc_hash::FxHashMap;

use super::cell::{CsvWriter, one_line};
use crate::changes::{Change, ChangeKind, Changes};
use crate::model::Snapshot;

/// The header of `changes.csv`.
pub const CHANGES_CSV_HEADER: &[&str] = &[
    "change",
    "principal_key",
    "principal_kind",
    "name",
    "org",
    "project",
    "resource",
    "role",
    "detail",
    "finding_id",
    "rule",
    "severity",
];

/// Org and project names, from the newer snapshot first.
pub struct Names<'a> {
    names: FxHashMap<&'a str, &'a str>,
}

impl<'a> Names<'a> {
    /// Names from these snapshots; a name in an earlier one wins.
    pub fn of(snapshots: &[&'a Snapshot]) -> Self {
        let mut names = FxHashMap::default();
        for s in snapshots {
            for o in &s.orgs {
                names.entry(o.id.as_str()).or_insert(o.name.as_str());
            }
            for p in &s.projects {
                names.entry(p.id.as_str()).or_insert(p.name.as_str());
            }
        }
        Names { names }
    }

    /// The name of an org or project id, or the id itself.
    pub fn name<'s>(&'s self, id: Option<&'s str>) -> &'s str {
        id.map_or("", |id| self.names.get(id).copied().unwrap_or(id))
    }
}

/// One row's cells.
fn cells<'c>(c: &'c Change, names: &'c Names<'_>) -> [&'c str; 12] {
    [
        c.kind.as_str(),
        &c.principal,
        c.principal_kind.map_or("", |k| k.as_str()),
        &c.name,
        names.name(c.org_id.as_deref()),
        names.name(c.project_id.as_deref()),
        &c.resource,
        &c.role,
        &c.detail,
        c.finding_id.as_deref().unwrap_or_default(),
        c.rule.as_deref().unwrap_or_default(),
        c.severity.map_or("", |s| s.as_str()),
    ]
}

/// `changes.csv`: a header, then one row per change in [`ChangeKind::ALL`] order.
pub fn changes_csv(changes: &Changes, names: &Names<'_>) -> Vec<u8> {
    let mut csv = CsvWriter::new(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = changes_records(changes, names, &mut csv);
    csv.finish().unwrap_or_default()
}

fn changes_records(
    changes: &Changes,
    names: &Names<'_>,
    csv: &mut CsvWriter<Vec<u8>>,
) -> std::io::Result<()> {
    csv.record(CHANGES_CSV_HEADER)?;
    for c in &changes.changes {
        csv.record(cells(c, names))?;
    }
    Ok(())
}

/// One line about a change, for text.
pub fn change_line(c: &Change, names: &Names<'_>) -> String {
    let mut line = c.principal.clone();
    if !c.name.is_empty() && c.name != c.principal {
        let _ = write!(line, " ({})", c.name);
    }
    let place = [
        names.name(c.org_id.as_deref()),
        names.name(c.project_id.as_deref()),
    ]
    .into_iter()
    .filter(|n| !n.is_empty())
    .collect::<Vec<_>>()
    .join(" / ");
    if !place.is_empty()
        && c.kind != ChangeKind::PrincipalAdded
        && c.kind != ChangeKind::PrincipalRemoved
    {
        let _ = write!(line, " on {place}");
    }
    if !c.role.is_empty() && !c.detail.starts_with("role ") {
        let _ = write!(line, ": {}", c.role);
    }
    if let Some(rule) = &c.rule {
        let _ = write!(line, ": {rule}");
        if let Some(s) = c.severity {
            let _ = write!(line, " ({})", s.as_str());
        }
    }
    if !c.detail.is_empty() {
        let _ = write!(line, " — {}", c.detail);
    }
    line
}

/// The text `diff` prints: the two moments, counts by kind, then every change.
pub fn changes_text(changes: &Changes, names: &Names<'_>) -> String {
    let mut out = format!(
        "changes from {} (as of {}) to as of {}, {} days\n",
        changes.baseline,
        changes.baseline_as_of,
        changes.as_of,
        changes.days()
    );
    if changes.changes.is_empty() {
        out.push_str("no change in principals, grants or findings; no exemption ends before the next review\n");
        return out;
    }
    for kind in ChangeKind::ALL {
        let n = changes.count(kind);
        if n == 0 {
            continue;
        }
        let _ = writeln!(out, "\n{} ({n})", kind.heading());
        for c in changes.of(kind) {
            // As on the pages, every hidden character of Atlas text is written as its code; line
            // feeds and tabs too, so that no name reorders, hides or starts a line.
            let _ = writeln!(out, "  {}", one_line(&change_line(c, names)));
        }
    }
    out
}

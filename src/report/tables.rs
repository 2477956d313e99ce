//! `grants.csv` (the entitlement list: every grant, with how it is held, whether it is
//! privileged, the holder's last activity and the findings it answers to) and `principals.csv`
//! (one row per principal, in the manner of a credential report). RFC 4180, UTF-8, CRLF, a
//! header row; cells a spreadsheet would evaluate are neutralised.

use std::borrow::Cow;
use std::io::{self, Write};

use jiff::Timestamp;
use rayon::prelude::*;

use super::cell::{CsvWriter, yes_no};
use super::view::{ActivityCells, Review, auth_method};
use crate::model::{Grant, Principal, PrincipalDetail, Scope, Via};
use crate::rules::{Severity, Status};

/// The header of `grants.csv`.
pub const GRANTS_CSV_HEADER: &[&str] = &[
    "principal_key",
    "principal_kind",
    "principal_name",
    "org_id",
    "org_name",
    "project_id",
    "project_name",
    "level",
    "resource",
    "clusters",
    "role",
    "via",
    "implied_by",
    "implies_projects",
    "privileged",
    "last_activity",
    "last_activity_source",
    "days_inactive",
    "finding_ids",
];

/// The header of `principals.csv`.
pub const PRINCIPALS_CSV_HEADER: &[&str] = &[
    "principal_key",
    "principal_kind",
    "name",
    "org_ids",
    "org_names",
    "project_id",
    "project_name",
    "status",
    "created",
    "last_activity",
    "last_activity_source",
    "days_inactive",
    "no_information_reason",
    "auth_method",
    "access_list_entries",
    "delete_after",
    "grants",
    "privileged",
    "open_findings",
    "highest_severity",
    "finding_ids",
];

/// One cell of a table row, typed so the workbook can write numbers and dates as such.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// Text held elsewhere.
    Text(&'a str),
    /// Text made for the row.
    Owned(String),
    /// A whole number.
    Int(i64),
    /// A moment.
    Time(Timestamp),
    /// Nothing.
    Empty,
}

impl Cell<'_> {
    /// The cell as CSV writes it: RFC 3339 for moments.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(t) => (*t).into(),
            Cell::Owned(t) => t.as_str().into(),
            Cell::Int(n) => n.to_string().into(),
            Cell::Time(t) => t.to_string().into(),
            Cell::Empty => "".into(),
        }
    }
}

fn text_or_empty(s: String) -> Cell<'static> {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Owned(s)
    }
}

fn activity_cells<'r>(a: Option<&ActivityCells<'_>>) -> [Cell<'r>; 3] {
    match a {
        None => [Cell::Empty, Cell::Empty, Cell::Empty],
        Some(a) => [
            a.at.map_or(Cell::Text(a.sentinel), Cell::Time),
            Cell::Text(a.source),
            a.days_inactive
                .map_or(Cell::Text("no_information"), Cell::Int),
        ],
    }
}

/// One grant as typed cells, in [`GRANTS_CSV_HEADER`] order.
pub fn grant_row<'r>(review: &'r Review<'_>, g: &'r Grant) -> Vec<Cell<'r>> {
    let principal = review.principal(&g.principal);
    let (level, resource, clusters) = match &g.scope {
        Scope::Org { .. } => ("org", Cell::Empty, Cell::Empty),
        Scope::Project { .. } => ("project", Cell::Empty, Cell::Empty),
        Scope::Database {
            resource, clusters, ..
        } => (
            "database",
            Cell::Text(resource),
            text_or_empty(clusters.join(" ")),
        ),
    };
    let activity = principal.map(|p| review.activity(p));
    let implies = review.implied_by(g);
    let project = g.scope.project_id();
    let mut row = vec![
        Cell::Text(&g.principal),
        principal.map_or(Cell::Empty, |p| Cell::Text(p.kind.as_str())),
        principal.map_or(Cell::Empty, |p| Cell::Text(&p.name)),
        Cell::Text(g.scope.org_id()),
        Cell::Text(review.org_name(g.scope.org_id())),
        project.map_or(Cell::Empty, Cell::Text),
        project.map_or(Cell::Empty, |p| Cell::Text(review.project_name(p))),
        Cell::Text(level),
        resource,
        clusters,
        Cell::Text(&g.role),
        match &g.via {
            Via::Direct => Cell::Text("direct"),
            other => Cell::Owned(other.label()),
        },
        match &g.via {
            Via::OrgRole(role) => Cell::Text(role),
            _ => Cell::Empty,
        },
        if implies > 0 {
            Cell::Int(implies.into())
        } else {
            Cell::Empty
        },
        Cell::Text(yes_no(review.is_privileged(g))),
    ];
    row.extend(activity_cells(activity.as_ref()));
    row.push(text_or_empty(review.grant_finding_ids(g)));
    row
}

/// Rows rendered in parallel, a chunk at a time, and written in order: memory stays bounded
/// by one batch of chunks however long the table.
pub(super) fn write_rows<T: Sync>(
    out: &mut dyn Write,
    header: &[&str],
    items: &[T],
    rows: impl Fn(&[T], &mut CsvWriter<&mut Vec<u8>>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let mut head = CsvWriter::new(Vec::new());
    head.record(header)?;
    out.write_all(&head.finish()?)?;
    write_chunks(out, items, 4096, 256, |_, chunk, buf| {
        let mut csv = CsvWriter::new(buf);
        rows(chunk, &mut csv)?;
        csv.finish().map(drop)
    })
}

/// Renders `items` in parallel chunks of `chunk` items and writes them in order, a batch of
/// chunks at a time. `render` gets the index of the chunk's first item. Each buffer starts with
/// room for `bytes_per_item` per item, so that it rarely has to grow.
pub(super) fn write_chunks<T: Sync>(
    out: &mut dyn Write,
    items: &[T],
    chunk: usize,
    bytes_per_item: usize,
    render: impl Fn(usize, &[T], &mut Vec<u8>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let batch = chunk * rayon::current_num_threads().max(1) * 2;
    for (b, group) in items.chunks(batch).enumerate() {
        let parts: Vec<Vec<u8>> = group
            .par_chunks(chunk)
            .enumerate()
            .map(|(i, items)| {
                let mut buf = Vec::with_capacity(items.len() * bytes_per_item);
                render(b * batch + i * chunk, items, &mut buf)?;
                Ok(buf)
            })
            .collect::<io::Result<_>>()?;
        for part in parts {
            out.write_all(&part)?;
        }
    }
    Ok(())
}

/// `grants.csv`: every grant in the snapshot, implied ones included, in snapshot order.
///
/// # Errors
/// When `out` cannot be written.
pub fn grants_csv(review: &Review<'_>, out: &mut dyn Write) -> io::Result<()> {
    write_rows(
        out,
        GRANTS_CSV_HEADER,
        &review.snapshot.grants,
        |chunk, csv| grant_rows(review, chunk, csv),
    )
}

/// Writes grant rows as [`grant_row`] would, faster: the grants are sorted by principal, and an
/// org role implies one grant per project, so the cells that depend only on the principal and
/// org are made once per run of rows.
fn grant_rows<W: Write>(
    review: &Review<'_>,
    grants: &[Grant],
    csv: &mut CsvWriter<W>,
) -> io::Result<()> {
    let mut holder: Option<(&str, &str)> = None;
    let mut prefix: Vec<String> = Vec::new();
    let mut activity: Vec<String> = Vec::new();
    let mut ids = String::new();
    for g in grants {
        let org = g.scope.org_id();
        if holder != Some((g.principal.as_str(), org)) {
            holder = Some((g.principal.as_str(), org));
            let row = grant_row(review, g);
            prefix = row[..5].iter().map(|c| c.text().into_owned()).collect();
            activity = row[15..18].iter().map(|c| c.text().into_owned()).collect();
        }
        for cell in &prefix {
            csv.field(cell);
        }
        let project = g.scope.project_id();
        csv.field(project.unwrap_or_default());
        csv.field(project.map(|p| review.project_name(p)).unwrap_or_default());
        let (level, resource, clusters) = match &g.scope {
            Scope::Org { .. } => ("org", "", Cow::Borrowed("")),
            Scope::Project { .. } => ("project", "", Cow::Borrowed("")),
            Scope::Database {
                resource, clusters, ..
            } => ("database", resource.as_str(), clusters.join(" ").into()),
        };
        for cell in [level, resource, &clusters] {
            csv.field(cell);
        }
        csv.field(&g.role);
        let (via, implied_by) = match &g.via {
            Via::Direct => (Cow::Borrowed("direct"), ""),
            Via::Team(_) => (Cow::Owned(g.via.label()), ""),
            Via::OrgRole(role) => (Cow::Borrowed("org-role"), role.as_str()),
        };
        csv.field(&via);
        csv.field(implied_by);
        let implies = review.implied_by(g);
        csv.field(&if implies > 0 {
            implies.to_string()
        } else {
            String::new()
        });
        csv.field(yes_no(review.is_privileged(g)));
        for cell in &activity {
            csv.field(cell);
        }
        ids.clear();
        for f in review.grant_findings(g) {
            if !ids.is_empty() {
                ids.push_str("; ");
            }
            ids.push_str(&f.id);
        }
        csv.field(&ids);
        csv.end_record()?;
    }
    Ok(())
}

/// One principal as typed cells, in [`PRINCIPALS_CSV_HEADER`] order: the CSV writes their
/// text, the workbook writes moments and counts as such.
pub fn principal_row<'r>(review: &'r Review<'_>, p: &'r Principal) -> Vec<Cell<'r>> {
    let activity = review.activity(p);
    let (status, access_list, delete_after) = match &p.detail {
        PrincipalDetail::AtlasUser(u) => {
            let mut statuses: Vec<&str> = u.memberships.iter().map(|m| m.status.as_str()).collect();
            statuses.sort_unstable();
            statuses.dedup();
            let status = match statuses.as_slice() {
                [] => Cell::Empty,
                [one] => Cell::Text(one),
                many => Cell::Owned(many.join(" ")),
            };
            (status, Cell::Text("not_supported"), Cell::Empty)
        }
        PrincipalDetail::ApiKey(k) => {
            (Cell::Empty, list_len(k.access_list.as_deref()), Cell::Empty)
        }
        PrincipalDetail::ServiceAccount(s) => (
            match s.system_managed {
                Some(true) => Cell::Text("system_managed"),
                Some(false) => Cell::Text("user_managed"),
                None => Cell::Empty,
            },
            list_len(s.access_list.as_deref()),
            Cell::Empty,
        ),
        PrincipalDetail::Team(t) => (
            Cell::Owned(format!("{} member(s)", t.members.len())),
            Cell::Text("not_supported"),
            Cell::Empty,
        ),
        PrincipalDetail::DatabaseUser(d) => (
            Cell::Empty,
            Cell::Text("not_supported"),
            d.delete_after.map_or(Cell::Empty, Cell::Time),
        ),
    };
    let mut open = 0;
    let mut highest = None;
    let mut ids = String::new();
    for f in review.findings_about(&p.key) {
        if f.status == Status::Open {
            open += 1;
            highest = Some(highest.map_or(f.severity, |h: Severity| h.min(f.severity)));
        }
        if !ids.is_empty() {
            ids.push_str("; ");
        }
        ids.push_str(&f.id);
    }
    let joined = |items: &'r [String], sep: &str| match items {
        [] => Cell::Empty,
        [one] => Cell::Text(one),
        many => Cell::Owned(many.join(sep)),
    };
    let org_names = match p.org_ids.as_slice() {
        [] => Cell::Empty,
        [one] => Cell::Text(review.org_name(one)),
        many => Cell::Owned(
            many.iter()
                .map(|o| review.org_name(o))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    };
    let [last_activity, source, days_inactive] = activity_cells(Some(&activity));
    vec![
        Cell::Text(&p.key),
        Cell::Text(p.kind.as_str()),
        Cell::Text(&p.name),
        joined(&p.org_ids, " "),
        org_names,
        p.project_id.as_deref().map_or(Cell::Empty, Cell::Text),
        p.project_id
            .as_deref()
            .map_or(Cell::Empty, |id| Cell::Text(review.project_name(id))),
        status,
        p.created.map_or(Cell::Text("no_information"), Cell::Time),
        last_activity,
        source,
        days_inactive,
        activity.reason.map_or(Cell::Empty, Cell::Text),
        Cell::Text(auth_method(p)),
        access_list,
        delete_after,
        Cell::Int(review.grant_count(&p.key).into()),
        Cell::Text(yes_no(review.principal_privileged(&p.key))),
        Cell::Int(open),
        highest.map_or(Cell::Empty, |s: Severity| Cell::Text(s.as_str())),
        text_or_empty(ids),
    ]
}

fn list_len<T>(list: Option<&[T]>) -> Cell<'static> {
    match list {
        Some(l) => Cell::Int(l.len() as i64),
        None => Cell::Text("no_information"),
    }
}

/// `principals.csv`: one row per principal, in snapshot order (by key).
///
/// # Errors
/// When `out` cannot be written.
pub fn principals_csv(review: &Review<'_>, out: &mut dyn Write) -> io::Result<()> {
    write_rows(
        out,
        PRINCIPALS_CSV_HEADER,
        &review.snapshot.principals,
        |chunk, csv| {
            for p in chunk {
                csv.record(principal_row(review, p).iter().map(Cell::text))?;
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    /// The fast writer and the typed row agree, cell for cell, on every grant.
    #[test]
    fn grant_rows_match_the_typed_rows() {
        for sample in [sample::ordinary(), sample::hostile()] {
            let input = sample.input();
            let review = Review::new(&input);
            let grants = &review.snapshot.grants;
            let mut fast = CsvWriter::new(Vec::new());
            grant_rows(&review, grants, &mut fast).unwrap();
            let mut slow = CsvWriter::new(Vec::new());
            for g in grants {
                slow.record(grant_row(&review, g).iter().map(Cell::text))
                    .unwrap();
            }
            assert_eq!(
                String::from_utf8(fast.finish().unwrap()).unwrap(),
                String::from_utf8(slow.finish().unwrap()).unwrap()
            );
        }
    }
}

//! The Principals sheet: the columns of `principals.csv` with headings, where dates, counts
//! and the severity are written as such instead of text.

use super::{Sheet, Table, Written};
use crate::model::{Principal, PrincipalDetail};
use crate::report::Review;
use crate::report::tables::{PRINCIPALS_CSV_HEADER, principal_cells};

/// Where the Principals sheet writes dates, numbers and a severity instead of text.
struct Columns {
    created: usize,
    last_activity: usize,
    delete_after: usize,
    severity: usize,
    counts: [usize; 4],
}

impl Columns {
    fn new() -> Self {
        let at = |name: &str| {
            PRINCIPALS_CSV_HEADER
                .iter()
                .position(|h| *h == name)
                .unwrap_or(usize::MAX)
        };
        Columns {
            created: at("created"),
            last_activity: at("last_activity"),
            delete_after: at("delete_after"),
            severity: at("highest_severity"),
            counts: [
                at("days_inactive"),
                at("access_list_entries"),
                at("grants"),
                at("open_findings"),
            ],
        }
    }
}

/// A column name of `principals.csv` as a heading: `principal_key` → `Principal key`.
pub(super) fn heading(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map_or(String::new(), |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

pub(super) fn table<'a>(review: &'a Review<'a>) -> Table<'a> {
    let principals = &review.snapshot.principals;
    let columns = Columns::new();
    Table {
        name: "Principals",
        headers: PRINCIPALS_CSV_HEADER.iter().map(|h| heading(h)).collect(),
        editable: 0,
        len: principals.len(),
        row: Box::new(move |s, i| row(s, review, &principals[i], &columns)),
    }
}

fn row(s: &mut Sheet<'_>, review: &Review<'_>, p: &Principal, columns: &Columns) -> Written {
    let last_activity = review.activity(p).at;
    let delete_after = match &p.detail {
        PrincipalDetail::DatabaseUser(d) => d.delete_after,
        _ => None,
    };
    for (i, cell) in principal_cells(review, p).iter().enumerate() {
        match i {
            i if i == columns.created => s.time_or(p.created, cell)?,
            i if i == columns.last_activity => s.time_or(last_activity, cell)?,
            i if i == columns.delete_after => s.time_or(delete_after, cell)?,
            i if i == columns.severity => s.severity(cell.parse().ok())?,
            i if columns.counts.contains(&i) => s.count_or_text(cell)?,
            _ => s.text(cell)?,
        }
    }
    Ok(())
}

//! The Principals sheet: the columns of `principals.csv` with headings, where dates, counts
//! and the severity are written as such instead of text.

use super::{Sheet, Table, Written};
use crate::model::Principal;
use crate::report::Review;
use crate::report::tables::{Cell, PRINCIPALS_CSV_HEADER, principal_row};

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
    let severity = PRINCIPALS_CSV_HEADER
        .iter()
        .position(|h| *h == "highest_severity");
    Table {
        name: "Principals",
        headers: PRINCIPALS_CSV_HEADER.iter().map(|h| heading(h)).collect(),
        editable: 0,
        len: principals.len(),
        row: Box::new(move |s, i| row(s, review, &principals[i], severity)),
    }
}

/// The cells of `principals.csv`, as [`typed_cells`] writes them.
fn row(s: &mut Sheet<'_>, review: &Review<'_>, p: &Principal, severity: Option<usize>) -> Written {
    typed_cells(s, principal_row(review, p), severity)
}

/// A CSV file's typed cells in a sheet: moments as dates, counts as numbers, and the cell at
/// `severity` (a severity's name) in its colour. The People sheet writes its rows the same way.
pub(super) fn typed_cells(
    s: &mut Sheet<'_>,
    cells: Vec<Cell<'_>>,
    severity: Option<usize>,
) -> Written {
    for (i, cell) in cells.into_iter().enumerate() {
        match cell {
            Cell::Text(t) if Some(i) == severity => s.severity(t.parse().ok())?,
            Cell::Time(t) => s.time_or(Some(t), "")?,
            Cell::Int(n) => s.number(n as f64)?,
            Cell::Text(t) => s.text(t)?,
            Cell::Owned(t) => s.owned(t)?,
            Cell::Empty => s.skip(1),
        }
    }
    Ok(())
}

//! The People sheet: the columns of `directory.csv` with headings, one row per person, moments
//! as dates, counts as numbers and the highest severity in its colour.

use super::principals::{heading, typed_cells};
use super::{Sheet, Table, Written};
use crate::report::Review;
use crate::report::directory::{DIRECTORY_CSV_HEADER, Person, person_row};

pub(super) fn table<'a>(review: &'a Review<'a>) -> Table<'a> {
    // Borrowed when the report built the directory before rendering; built here otherwise.
    let directory = review.directory();
    let severity = DIRECTORY_CSV_HEADER
        .iter()
        .position(|h| *h == "highest_severity");
    Table {
        name: "People",
        headers: DIRECTORY_CSV_HEADER.iter().map(|h| heading(h)).collect(),
        editable: 0,
        len: directory.people.len(),
        row: Box::new(move |s, i| row(s, review, &directory.people[i], severity)),
    }
}

fn row(s: &mut Sheet<'_>, review: &Review<'_>, p: &Person<'_>, severity: Option<usize>) -> Written {
    typed_cells(s, person_row(review, p), severity)
}

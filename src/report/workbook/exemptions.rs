//! The Exemptions sheet: the exempted findings, then the warnings the policy's exemptions
//! raised; one row saying so when there are neither.

use super::{Sheet, Table, Written, owned};
use crate::report::Review;
use crate::report::cell::yes_no;
use crate::rules::{ExemptionNote, ExemptionWarning, Finding};

/// The Exemptions sheet's columns.
pub(super) const HEADERS: &[&str] = &[
    "Item",
    "Finding",
    "Rule",
    "Principal",
    "Scope",
    "Reason or warning",
    "Owner",
    "Ticket",
    "Expires",
    "Expired",
    "Policy line",
];

/// A row of the Exemptions sheet.
enum Row<'a> {
    None,
    Exempted(&'a Finding, &'a ExemptionNote),
    Warning(&'a ExemptionWarning),
}

pub(super) fn table<'a>(review: &'a Review<'a>) -> Table<'a> {
    let mut rows: Vec<Row<'a>> = review
        .findings
        .findings
        .iter()
        .filter_map(|f| f.exemption.as_ref().map(|e| Row::Exempted(f, e)))
        .collect();
    rows.extend(review.findings.exemption_warnings.iter().map(Row::Warning));
    if rows.is_empty() {
        rows.push(Row::None);
    }
    Table {
        name: "Exemptions",
        headers: owned(HEADERS),
        editable: 0,
        len: rows.len(),
        row: Box::new(move |s, i| row(s, &rows[i])),
    }
}

fn policy_line(s: &mut Sheet<'_>, line: Option<usize>) -> Written {
    match line {
        Some(n) => s.count(n as u64),
        None => {
            s.skip(1);
            Ok(())
        }
    }
}

fn row(s: &mut Sheet<'_>, row: &Row<'_>) -> Written {
    match row {
        Row::None => {
            s.text("none")?;
            s.skip(4);
            s.text("No finding carries an exemption and the policy's exemptions raised no warning.")
        }
        Row::Exempted(f, e) => {
            s.text("exemption")?;
            s.text(&f.id)?;
            s.text(f.rule.as_str())?;
            s.text(&f.principal.key)?;
            s.text(&f.scope.key())?;
            s.text(&e.reason)?;
            s.text(e.owner.as_deref().unwrap_or_default())?;
            s.text(e.ticket.as_deref().unwrap_or_default())?;
            s.day(Some(e.expires))?;
            s.text(yes_no(e.expired))?;
            policy_line(s, e.policy_line)
        }
        Row::Warning(w) => {
            s.text("warning")?;
            s.skip(1);
            s.text(w.rule.as_str())?;
            s.text(&w.principal)?;
            s.skip(1);
            s.text(&w.message)?;
            s.skip(4);
            policy_line(s, w.policy_line)
        }
    }
}

//! The Coverage sheet: a status row, then the coverage gaps, the rules not evaluated and the
//! tally of every endpoint read.

use super::{Sheet, Table, Written, owned};
use crate::model::{CoverageGap, EndpointTally};
use crate::report::Review;
use crate::rules::NotEvaluated;

/// The Coverage sheet's columns.
pub(super) const HEADERS: &[&str] = &[
    "Item",
    "Scope",
    "Endpoint or rule",
    "Principal",
    "HTTP status",
    "Error code",
    "Reason",
    "Requests",
    "Pages",
    "Items",
    "Total count",
    "Failures",
];

/// A row of the Coverage sheet.
enum Row<'a> {
    Status(String),
    Gap(&'a CoverageGap),
    NotEvaluated(&'a NotEvaluated),
    Endpoint(&'a str, &'a EndpointTally),
}

pub(super) fn table<'a>(review: &'a Review<'a>) -> Table<'a> {
    let not_evaluated = &review.findings.not_evaluated;
    let status = if review.coverage().is_empty() && not_evaluated.is_empty() {
        "complete: every requested scope was read and every rule was evaluated".to_string()
    } else {
        format!(
            "{}; {} rule and scope pair(s) not evaluated",
            review.coverage_status(),
            not_evaluated.len()
        )
    };
    let mut rows = vec![Row::Status(status)];
    rows.extend(review.coverage().iter().map(Row::Gap));
    rows.extend(not_evaluated.iter().map(Row::NotEvaluated));
    rows.extend(
        review
            .snapshot
            .meta
            .endpoints
            .iter()
            .map(|(name, tally)| Row::Endpoint(name, tally)),
    );
    Table {
        name: "Coverage",
        headers: owned(HEADERS),
        editable: 0,
        len: rows.len(),
        row: Box::new(move |s, i| row(s, &rows[i])),
    }
}

fn row(s: &mut Sheet<'_>, row: &Row<'_>) -> Written {
    match row {
        Row::Status(status) => {
            s.text("status")?;
            s.skip(5);
            s.text(status)
        }
        Row::Gap(gap) => {
            s.text("coverage gap")?;
            s.text(&gap.scope)?;
            s.text(&gap.endpoint)?;
            s.skip(1);
            match gap.status {
                Some(code) => s.count(code)?,
                None => s.skip(1),
            }
            s.text(gap.error_code.as_deref().unwrap_or_default())?;
            s.text(&gap.reason)
        }
        Row::NotEvaluated(n) => {
            s.text("not evaluated")?;
            s.text(&n.scope.key())?;
            s.text(n.rule.as_str())?;
            s.text(n.principal.as_deref().unwrap_or_default())?;
            s.skip(2);
            s.text(&n.reason)
        }
        Row::Endpoint(name, t) => {
            s.text("endpoint")?;
            s.skip(1);
            s.text(name)?;
            s.skip(4);
            for n in [t.requests, t.pages, t.items, t.total_count, t.failures] {
                s.count(n)?;
            }
            Ok(())
        }
    }
}

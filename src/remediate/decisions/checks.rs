//! The checks over the rows read back: the report each workbook belongs to, untouched
//! evidence, a reviewer, a date and a comment on every decided row, valid Modify to roles, and
//! no grant decided two ways. Every problem is collected.

use std::collections::BTreeMap;

use super::workbook::{ReadRow, ReadWorkbook, ReportIdentity};
use super::{Decision, DecisionKind, Problem};
use crate::model::grant_id;
use crate::report::workbook_layout::LEVEL_ROLES;
use crate::rules::ReviewRules;

/// The report the workbooks must belong to, and where that was learnt.
#[derive(Debug, Clone)]
pub struct Expected {
    /// The report.
    pub report: ReportIdentity,
    /// Where it comes from (`--report DIR`, `--store PATH`, or the first workbook).
    pub source: String,
}

/// Decided and undecided grants of one org, project or reviewer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Grants decided.
    pub decided: usize,
    /// Grants not decided.
    pub undecided: usize,
}

/// What the workbooks decided.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The report they belong to.
    pub report: ReportIdentity,
    /// One per decided grant, sorted by grant id.
    pub decisions: Vec<Decision>,
    /// By (`org`, name), (`project`, name) and (`reviewer`, name).
    pub tallies: BTreeMap<(&'static str, String), Tally>,
    /// Grants in the workbooks, and how many are undecided.
    pub grants: usize,
    /// Grants no workbook decided.
    pub undecided: usize,
}

/// Checks the workbooks read (in command-line order) against `expected` (or the first
/// workbook's report) and the review rules. Returns the decisions, or every problem found.
///
/// # Errors
/// Every problem, with workbook, sheet, row and cell where they apply.
pub fn check(
    books: &[ReadWorkbook],
    expected: Option<&Expected>,
    rules: &ReviewRules,
) -> Result<Outcome, Vec<Problem>> {
    let mut problems = Vec::new();
    let first = books.first().map(|b| Expected {
        report: b.report.clone(),
        source: format!("the first workbook, {}", b.name),
    });
    let Some(expected) = expected.or(first.as_ref()) else {
        return Err(problems);
    };
    let mut decided: BTreeMap<&str, Vec<(&ReadWorkbook, &ReadRow, DecisionKind)>> = BTreeMap::new();
    let mut grants: BTreeMap<&str, (&ReadRow, bool)> = BTreeMap::new();
    for book in books {
        let differences = book.report.differences(&expected.report);
        if !differences.is_empty() {
            problems.push(Problem {
                workbook: book.name.clone(),
                sheet: Some("Summary".into()),
                row: None,
                cell: None,
                what: format!(
                    "belongs to another report than {}: {}; give only workbooks of one report",
                    expected.source,
                    differences.join(", ")
                ),
            });
            continue;
        }
        for row in &book.rows {
            let kind = check_row(book, row, rules, &mut problems);
            let entry = grants.entry(&row.grant_id).or_insert((row, false));
            if let Some(kind) = kind {
                entry.1 = true;
                decided
                    .entry(&row.grant_id)
                    .or_default()
                    .push((book, row, kind));
            }
        }
    }
    let mut decisions = Vec::new();
    for (grant, rows) in &decided {
        let (book, row, kind) = rows[0];
        for (other_book, other, other_kind) in &rows[1..] {
            if (*other_kind, other.modify_to.as_str()) != (kind, row.modify_to.as_str()) {
                problems.push(Problem {
                    workbook: other_book.name.clone(),
                    sheet: Some(other.sheet.clone()),
                    row: Some(other.row),
                    cell: Some(other.reviewer_cells[0].clone()),
                    what: format!(
                        "grant {grant} is decided {} by {} here and {} by {} in {}, sheet {}, row {}; agree on one decision and clear the other",
                        described(*other_kind, &other.modify_to),
                        other.reviewer,
                        described(kind, &row.modify_to),
                        row.reviewer,
                        book.name,
                        row.sheet,
                        row.row
                    ),
                });
            }
        }
        decisions.push(Decision {
            grant_id: grant.to_string(),
            principal: row.principal.clone(),
            scope: row.scope.clone(),
            role: row.role.clone(),
            via: row.via.clone(),
            decision: kind,
            modify_to: row.modify_to.clone(),
            reviewer: row.reviewer.clone(),
            date: match &row.date {
                Ok(Some(d)) => d.to_string(),
                _ => String::new(),
            },
            comment: row.comment.clone(),
            workbook: book.name.clone(),
            sheet: row.sheet.clone(),
            row: row.row,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut tallies: BTreeMap<(&'static str, String), Tally> = BTreeMap::new();
    let mut undecided = 0;
    for (row, is_decided) in grants.values() {
        let mut keys = vec![("org", row.org.clone())];
        if !row.project.is_empty() {
            keys.push(("project", row.project.clone()));
        }
        for key in keys {
            let t = tallies.entry(key).or_default();
            if *is_decided {
                t.decided += 1;
            } else {
                t.undecided += 1;
            }
        }
        undecided += usize::from(!is_decided);
    }
    for d in &decisions {
        tallies
            .entry(("reviewer", d.reviewer.clone()))
            .or_default()
            .decided += 1;
    }
    Ok(Outcome {
        report: expected.report.clone(),
        decisions,
        tallies,
        grants: grants.len(),
        undecided,
    })
}

fn described(kind: DecisionKind, modify_to: &str) -> String {
    match (kind, modify_to) {
        (DecisionKind::Modify, to) if !to.is_empty() => format!("Modify to {to}"),
        (kind, _) => kind.to_string(),
    }
}

/// The checks of one row; its decision when it has a valid one.
fn check_row(
    book: &ReadWorkbook,
    row: &ReadRow,
    rules: &ReviewRules,
    problems: &mut Vec<Problem>,
) -> Option<DecisionKind> {
    let [
        decision_cell,
        modify_cell,
        reviewer_cell,
        date_cell,
        comment_cell,
    ] = &row.reviewer_cells;
    let mut problem = |cell: &str, what: String| {
        problems.push(Problem {
            workbook: book.name.clone(),
            sheet: Some(row.sheet.clone()),
            row: Some(row.row),
            cell: Some(cell.to_string()),
            what,
        })
    };
    let (from, to) = &row.evidence_cells;
    if row.check_held != row.check_now {
        let keys = grant_id(&row.principal, &row.scope, &row.role, &row.via);
        let which = if keys != row.grant_id {
            format!(
                "the grant's keys (Grant id, Principal key, Role, Scope key, Via key) no longer agree: they name {keys}, the Grant id cell says {}",
                row.grant_id
            )
        } else {
            "an evidence cell was edited (the row check no longer matches)".to_string()
        };
        problem(
            &format!("{from}:{to}"),
            format!(
                "{which}; only Decision, Modify to, Reviewer, Date and Comment may change: restore the row from the workbook the report wrote"
            ),
        );
        return None;
    }
    if row.decision.is_empty() {
        return None;
    }
    let Some(kind) = row.decision_kind() else {
        problem(
            decision_cell,
            format!(
                "Decision {:?} is not Keep, Revoke or Modify; choose one from the list",
                row.decision
            ),
        );
        return None;
    };
    if row.reviewer.is_empty() {
        problem(
            reviewer_cell,
            format!("a {kind} decision without a Reviewer; write who decided"),
        );
    }
    match &row.date {
        Ok(Some(_)) => {}
        Ok(None) => problem(
            date_cell,
            format!("a {kind} decision without a Date; write the day it was decided (YYYY-MM-DD)"),
        ),
        Err(text) => problem(
            date_cell,
            format!("Date {text:?} is not a date; write it as YYYY-MM-DD"),
        ),
    }
    if row.comment.is_empty() && rules.require_comment.iter().any(|d| d == kind.as_str()) {
        problem(
            comment_cell,
            format!(
                "a {kind} decision without a Comment; say why (the policy's [review] require_comment asks for one)"
            ),
        );
    }
    if !row.modify_to.is_empty() {
        if kind != DecisionKind::Modify {
            problem(
                modify_cell,
                format!(
                    "Modify to {:?} on a {kind} decision; clear it, or choose Modify",
                    row.modify_to
                ),
            );
        } else if let Some((_, roles)) = LEVEL_ROLES.iter().find(|(l, _)| *l == row.level) {
            if !roles.contains(&row.modify_to.as_str()) {
                problem(
                    modify_cell,
                    format!(
                        "Modify to {:?} is not a {} role; choose one from the list",
                        row.modify_to, row.level
                    ),
                );
            } else if row.modify_to == row.role {
                problem(
                    modify_cell,
                    format!(
                        "Modify to {:?} is the role already held; choose a lesser one, or Keep",
                        row.modify_to
                    ),
                );
            }
        }
    }
    Some(kind)
}

//! The Access Review sheet: one row per grant a reviewer decides on, named by its grant id, the
//! evidence (with a store, ending in the last review's columns: `report::last_review`), three
//! hidden columns that `decisions` reads back (the scope and path keys, and the
//! row's check value over its evidence: see `report::identity`), then the five reviewer
//! columns. Those are the only cells that can be edited: they carry a Decision list, a Modify
//! to list of the roles of the row's level (from the hidden Lists sheet), a Date check and a
//! highlight for a decision without a comment, and the rest of the sheet is protected.

use std::borrow::Cow;

use rust_xlsxwriter::{
    ConditionalFormatFormula, DataValidation, DataValidationRule, ExcelDateTime, Formula,
    ProtectionOptions, Workbook, Worksheet, XlsxError, column_number_to_name,
};

use super::{Sheet, Style, Styles, Table, Written, owned, project_name};
use crate::model::{Grant, Principal, Scope, Via, grant_id};
use crate::report::Review;
use crate::report::cell::yes_no;
use crate::report::identity::RowCheck;
use crate::report::last_review::{LastReview, Since};
use crate::report::view::join_ids;
use crate::rules::roles::{BUILT_IN_DATABASE_ROLES, ORG_ROLES, PROJECT_ROLES};
use crate::rules::{Action, Finding, Status};

/// The Access Review sheet's columns: the grant id, the evidence, the hidden columns, then the
/// five reviewer columns.
pub const HEADERS: &[&str] = &[
    "Grant id",
    "Principal key",
    "Kind",
    "Name",
    "Org",
    "Project",
    "Level",
    "Resource",
    "Role",
    "Via",
    "Implies projects",
    "Privileged",
    "Last activity",
    "Activity source",
    "Days inactive",
    "Finding ids",
    "Highest open severity",
    "Recommendation",
    SCOPE_KEY,
    VIA_KEY,
    ROW_CHECK,
    "Decision",
    "Modify to",
    "Reviewer",
    "Date",
    "Comment",
];

/// With `report --store` only, the last review's columns, read-only evidence standing after
/// "Recommendation" and before the hidden columns (see `report::last_review`). Without a store
/// the sheet has exactly [`HEADERS`]; `decisions` reads both layouts.
pub const LAST_REVIEW_HEADERS: [&str; 5] = [
    "Last decision",
    "Last reviewer",
    "Last decided",
    "Last comment",
    SINCE_LAST_REVIEW,
];

/// The last review column saying whether the grant is `new`, `changed` or `unchanged`.
pub const SINCE_LAST_REVIEW: &str = "Since last review";

/// The Access Review sheet's columns: [`HEADERS`], with [`LAST_REVIEW_HEADERS`] before the
/// hidden columns when `last_review` is set.
pub fn headers(last_review: bool) -> Vec<&'static str> {
    let mut out = HEADERS.to_vec();
    if last_review {
        let at = HEADERS.iter().position(|h| *h == SCOPE_KEY).unwrap_or(0);
        out.splice(at..at, LAST_REVIEW_HEADERS);
    }
    out
}

/// The hidden column of the grant's `Scope::key()`.
pub const SCOPE_KEY: &str = "Scope key";
/// The hidden column of the grant's `Via::key()`.
pub const VIA_KEY: &str = "Via key";
/// The hidden column of the row's check value over every cell before it.
pub const ROW_CHECK: &str = "Row check";
/// How many hidden columns stand before the reviewer columns.
const HIDDEN: u16 = 3;

/// Widths of the reviewer columns, the last five: Decision, Modify to, Reviewer, Date, Comment.
pub(super) const REVIEWER_WIDTHS: [f64; 5] = [12.0, 34.0, 24.0, 12.0, 50.0];

/// The hidden sheet holding the roles of each level, one named range (`roles_<level>`) each.
pub const LISTS_SHEET: &str = "Lists";

/// The levels of the Level column and the roles a Modify may name at each.
pub const LEVEL_ROLES: [(&str, &[&str]); 3] = [
    ("org", ORG_ROLES),
    ("project", PROJECT_ROLES),
    ("database", BUILT_IN_DATABASE_ROLES),
];

/// The Level column (`org`, `project` or `database`), which picks a row's Modify to list.
const LEVEL_COLUMN: u16 = 6;

pub(super) fn table<'a>(review: &'a Review<'a>) -> Table<'a> {
    // Each grant with its principal. A principal's grants stand together in the snapshot, so
    // the last one found is looked up again only when the key changes.
    let mut last: Option<(&str, Option<&'a Principal>)> = None;
    let grants: Vec<(&'a Grant, Option<&'a Principal>)> = review
        .snapshot
        .grants
        .iter()
        .filter(|g| Review::reviewable(g))
        .map(|g| {
            let principal = match last {
                Some((key, p)) if key == g.principal => p,
                _ => review.principal(&g.principal),
            };
            last = Some((&g.principal, principal));
            (g, principal)
        })
        .collect();
    let seed = RowCheck::new(&review.report_digest);
    Table {
        name: "Access Review",
        headers: owned(&headers(review.last_review.is_some())),
        editable: REVIEWER_WIDTHS.len(),
        len: grants.len(),
        row: Box::new(move |s, i| {
            let (grant, principal) = grants[i];
            row(s, review, &seed, grant, principal)
        }),
    }
}

/// A grant's level, and its resource with the clusters it is limited to.
fn level_and_resource(scope: &Scope) -> (&'static str, Cow<'_, str>) {
    match scope {
        Scope::Org { .. } => ("org", Cow::Borrowed("")),
        Scope::Project { .. } => ("project", Cow::Borrowed("")),
        Scope::Database {
            resource, clusters, ..
        } if clusters.is_empty() => ("database", Cow::Borrowed(resource.as_str())),
        Scope::Database {
            resource, clusters, ..
        } => (
            "database",
            Cow::Owned(format!("{resource} (clusters {})", clusters.join(", "))),
        ),
    }
}

fn row<'a>(
    s: &mut Sheet<'_>,
    review: &Review<'a>,
    seed: &RowCheck,
    g: &'a Grant,
    principal: Option<&Principal>,
) -> Written {
    let (scope_key, via_key) = (g.scope.key(), g.via.key());
    s.begin_check(seed);
    let id = grant_id(&g.principal, &scope_key, &g.role, &via_key);
    s.text(&id)?;
    let (level, resource) = level_and_resource(&g.scope);
    // The grant's findings, found once for the ids, the worst open one and the last review.
    let findings: Vec<&Finding> = review.grant_findings(g).collect();
    let open = || findings.iter().filter(|f| f.status == Status::Open);
    let worst = open().min_by_key(|f| f.severity);
    s.text(&g.principal)?;
    s.text(principal.map_or("", |p| p.kind.as_str()))?;
    s.text(principal.map_or("", |p| p.name.as_str()))?;
    s.text(review.org_name(g.scope.org_id()))?;
    s.text(project_name(review, g.scope.project_id()))?;
    s.text(level)?;
    s.text(&resource)?;
    s.text(&g.role)?;
    // Every path but an org role's (never reviewed here) is written as its key.
    match g.via {
        Via::OrgRole(_) => s.text(&g.via.label())?,
        _ => s.text(&via_key)?,
    }
    match review.implied_by(g) {
        0 => s.skip(1),
        n => s.count(n)?,
    }
    s.text(yes_no(review.is_privileged(g)))?;
    match principal.map(|p| review.activity(p)) {
        Some(a) => {
            s.time_or(a.at, a.sentinel)?;
            s.text(a.source)?;
            match a.days_inactive {
                Some(d) => s.number(d as f64)?,
                None => s.text(&a.days_text())?,
            }
        }
        None => s.skip(3),
    }
    s.owned(join_ids(findings.iter().copied()))?;
    s.severity(worst.map(|f| f.severity))?;
    let suggestion = worst.map_or(Action::Keep, |f| f.recommendation.action);
    s.text(suggestion.as_str())?;
    if let Some(last) = &review.last_review {
        last_review(s, last, &id, open().map(|f| f.id.as_str()))?;
    }
    s.owned(scope_key)?;
    s.owned(via_key)?;
    let check = s.end_check();
    s.owned(check)
}

/// The last review's cells of a grant: its newest decision (decision, reviewer, day, comment)
/// and whether it is new, changed or unchanged since.
fn last_review<'f>(
    s: &mut Sheet<'_>,
    last: &LastReview,
    id: &str,
    open: impl Iterator<Item = &'f str>,
) -> Written {
    match last.decision(id) {
        Some(d) => {
            s.text(&d.decision)?;
            s.text(&d.reviewer)?;
            match d.day() {
                Some(day) => s.day(Some(day))?,
                None => s.text(&d.date)?,
            }
            s.text(&d.comment)?;
        }
        None => s.skip(4),
    }
    s.text(last.since(id, open).map_or("", Since::as_str))
}

/// The hidden Lists sheet: the roles of each level in a column, each a named range
/// `roles_<level>` the Modify to list reads through `INDIRECT`.
pub(super) fn role_lists(book: &mut Workbook) -> Result<(), XlsxError> {
    // Constant memory, like every other sheet: inline strings, written row by row.
    let mut sheet = book.new_worksheet_with_constant_memory()?;
    sheet.set_name(LISTS_SHEET)?;
    let longest = LEVEL_ROLES.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
    for row in 0..=longest {
        for (col, (level, roles)) in LEVEL_ROLES.into_iter().enumerate() {
            let cell = match row {
                0 => Some(level),
                n => roles.get(n - 1).copied(),
            };
            if let Some(text) = cell {
                sheet.write_string(row as u32, col as u16, text)?;
            }
        }
    }
    sheet.set_hidden(true);
    book.push_worksheet(sheet);
    for (col, (level, roles)) in LEVEL_ROLES.into_iter().enumerate() {
        let letter = column_number_to_name(col as u16);
        book.define_name(
            format!("roles_{level}"),
            &format!("={LISTS_SHEET}!${letter}$2:${letter}${}", roles.len() + 1),
        )?;
    }
    Ok(())
}

/// The reviewer columns from `first` on, over data rows 1 to `last`: editable, a Decision
/// list, a Date check, a highlight for decisions without a comment, and the rest of the sheet
/// protected (without a password; sorting, filtering and resizing stay allowed).
pub(super) fn reviewer_controls(
    sheet: &mut Worksheet,
    styles: &Styles,
    first: u16,
    last: u32,
) -> Result<(), XlsxError> {
    let last = last.max(1);
    for col in first - HIDDEN..first {
        sheet.set_column_hidden(col)?;
    }
    let [decision, modify_to, _, date, comment] = [0, 1, 2, 3, 4].map(|i| first + i);
    let column_styles = [
        Style::Choice,
        Style::Choice,
        Style::Choice,
        Style::ChoiceDay,
        Style::Comment,
    ];
    for (i, (style, width)) in column_styles.into_iter().zip(REVIEWER_WIDTHS).enumerate() {
        let col = first + i as u16;
        sheet.set_column_width(col, width)?;
        if let Some(format) = styles.get(style) {
            sheet.set_column_format(col, format)?;
        }
    }
    let choices = [Action::Keep, Action::Revoke, Action::Modify].map(Action::as_str);
    let decisions = DataValidation::new()
        .allow_list_strings(&choices)?
        .set_input_title("Decision")?
        .set_input_message("Keep, Revoke or Modify. A comment is expected unless Keep.")?
        .set_error_title("Not a decision")?
        .set_error_message("Choose Keep, Revoke or Modify from the list.")?;
    sheet.add_data_validation(1, decision, last, decision, &decisions)?;
    // Built from the Level column's letter alone, never from data: each row lists the roles
    // of its own level.
    let level = column_number_to_name(LEVEL_COLUMN);
    let roles = DataValidation::new()
        .allow_list_formula(Formula::new(format!("=INDIRECT(\"roles_\"&${level}2)")))
        .set_input_title("Modify to")?
        .set_input_message("For a Modify: the role to leave instead (roles of this level).")?
        .set_error_title("Not a role of this level")?
        .set_error_message("Choose a role from the list; it holds the roles of the row's level.")?;
    sheet.add_data_validation(1, modify_to, last, modify_to, &roles)?;
    let days = DataValidation::new()
        .allow_date(DataValidationRule::Between(
            ExcelDateTime::from_ymd(2000, 1, 1)?,
            ExcelDateTime::from_ymd(2099, 12, 31)?,
        ))
        .set_input_title("Date")?
        .set_input_message("The day you decided, as yyyy-mm-dd.")?
        .set_error_title("Not a date")?
        .set_error_message("Enter the date as yyyy-mm-dd.")?;
    sheet.add_data_validation(1, date, last, date, &days)?;
    // Built from column letters alone, never from data.
    let (d, c) = (
        column_number_to_name(decision),
        column_number_to_name(comment),
    );
    let undecided = ConditionalFormatFormula::new()
        .set_rule(
            format!("=AND(OR(${d}2=\"Revoke\",${d}2=\"Modify\"),LEN(TRIM(${c}2))=0)").as_str(),
        )
        .set_format(&styles.undecided);
    sheet.add_conditional_format(1, 0, last, comment, &undecided)?;
    sheet.protect_with_options(&ProtectionOptions {
        format_columns: true,
        format_rows: true,
        sort: true,
        use_autofilter: true,
        ..ProtectionOptions::default()
    });
    Ok(())
}

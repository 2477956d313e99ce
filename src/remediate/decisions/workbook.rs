//! Reading one filled-in workbook: the report it names (Summary sheet) and every Access Review
//! row, with its row check recomputed from the cells as they now are.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx};
use jiff::civil::Date;
use rust_xlsxwriter::column_number_to_name;

use super::{DecisionKind, Problem};
use crate::report::identity::{
    CheckedCell, LABEL_AS_OF_TEXT, LABEL_REPORT_DIGEST, LABEL_SNAPSHOT_SHA256, RowCheck,
};
use crate::report::workbook_layout::{LAST_REVIEW_HEADERS, ROW_CHECK, SCOPE_KEY, VIA_KEY, headers};

/// The report a workbook (or a report folder, or a stored run) belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportIdentity {
    /// The as-of moment, RFC 3339.
    pub as_of: String,
    /// The snapshot's SHA-256 (or what the report wrote when it had none).
    pub snapshot_sha256: String,
    /// `sha256:<hex>` (`report::identity::report_digest`).
    pub report_digest: String,
}

impl ReportIdentity {
    /// What differs from `other`, in words; empty when nothing does.
    pub fn differences(&self, other: &ReportIdentity) -> Vec<String> {
        let mut out = Vec::new();
        for (what, a, b) in [
            ("as-of", &self.as_of, &other.as_of),
            (
                "snapshot SHA-256",
                &self.snapshot_sha256,
                &other.snapshot_sha256,
            ),
            ("report digest", &self.report_digest, &other.report_digest),
        ] {
            if a != b {
                out.push(format!("{what} {a} (expected {b})"));
            }
        }
        out
    }
}

/// One Access Review row as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRow {
    /// The sheet.
    pub sheet: String,
    /// 1-based spreadsheet row.
    pub row: u32,
    /// Grant id cell.
    pub grant_id: String,
    /// Principal key cell.
    pub principal: String,
    /// Scope key (hidden) cell.
    pub scope: String,
    /// Role cell.
    pub role: String,
    /// Via key (hidden) cell.
    pub via: String,
    /// Org name cell.
    pub org: String,
    /// Project name cell.
    pub project: String,
    /// Level cell: `org`, `project` or `database`.
    pub level: String,
    /// Decision cell, as written (trimmed).
    pub decision: String,
    /// Modify to cell.
    pub modify_to: String,
    /// Reviewer cell.
    pub reviewer: String,
    /// Date cell: a day, or what was written when it is not one.
    pub date: Result<Option<Date>, String>,
    /// Comment cell.
    pub comment: String,
    /// The row check the workbook holds.
    pub check_held: String,
    /// The row check of the cells as they now are.
    pub check_now: String,
    /// The cell names of the evidence, first and last (`A5`, `U5`).
    pub evidence_cells: (String, String),
    /// Cell names of the Decision, Modify to, Reviewer, Date and Comment cells.
    pub reviewer_cells: [String; 5],
}

impl ReadRow {
    /// The decision, when the cell names one.
    pub fn decision_kind(&self) -> Option<DecisionKind> {
        DecisionKind::parse(&self.decision)
    }
}

/// One workbook as read back.
#[derive(Debug, Clone)]
pub struct ReadWorkbook {
    /// Its name, as given on the command line.
    pub name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// The report its Summary names.
    pub report: ReportIdentity,
    /// Every Access Review row with a grant id.
    pub rows: Vec<ReadRow>,
}

/// Reads a workbook. Problems that stop it from being read (not a workbook, no Summary, no
/// Access Review, missing columns) go into `problems` and give `None`.
pub fn read_workbook(path: &Path, problems: &mut Vec<Problem>) -> Option<ReadWorkbook> {
    let name = path.display().to_string();
    let problem = |sheet: Option<&str>, what: String| Problem {
        workbook: name.clone(),
        sheet: sheet.map(str::to_string),
        row: None,
        cell: None,
        what,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            problems.push(problem(
                None,
                format!("cannot read the file ({e}); check the path"),
            ));
            return None;
        }
    };
    let sha256 = crate::files::sha256_hex(&bytes);
    let mut book: Xlsx<_> = match Xlsx::new(Cursor::new(bytes)) {
        Ok(b) => b,
        Err(e) => {
            problems.push(problem(
                None,
                format!("not an .xlsx workbook ({e}); give the access-review.xlsx a report wrote, saved as .xlsx"),
            ));
            return None;
        }
    };
    let report = match book.worksheet_range("Summary") {
        Ok(summary) => identity(&summary),
        Err(_) => Err("it has no Summary sheet".to_string()),
    };
    let report = match report {
        Ok(r) => r,
        Err(why) => {
            problems.push(problem(
                Some("Summary"),
                format!("{why}, so the report it belongs to is unknown; use the workbook the report wrote, with its Summary sheet as it was"),
            ));
            return None;
        }
    };
    let sheets: Vec<String> = book
        .sheet_names()
        .into_iter()
        .filter(|s| s == "Access Review" || s.starts_with("Access Review ("))
        .collect();
    if sheets.is_empty() {
        problems.push(problem(
            None,
            "it has no Access Review sheet; use the workbook the report wrote".into(),
        ));
        return None;
    }
    let mut rows = Vec::new();
    let mut readable = true;
    for sheet in sheets {
        match book.worksheet_range(&sheet) {
            Ok(range) => match access_review(&sheet, &range, &report.report_digest) {
                Ok(mut r) => rows.append(&mut r),
                Err(why) => {
                    problems.push(problem(Some(&sheet), why));
                    readable = false;
                }
            },
            Err(e) => {
                problems.push(problem(Some(&sheet), format!("cannot be read ({e})")));
                readable = false;
            }
        }
    }
    readable.then_some(ReadWorkbook {
        name,
        sha256,
        report,
        rows,
    })
}

/// The report the Summary sheet names: the value beside each label.
fn identity(summary: &Range<Data>) -> Result<ReportIdentity, String> {
    let mut found = [None, None, None];
    let labels = [LABEL_AS_OF_TEXT, LABEL_SNAPSHOT_SHA256, LABEL_REPORT_DIGEST];
    for row in summary.rows() {
        let label = row.first().map(text).unwrap_or_default();
        if let Some(i) = labels.iter().position(|l| *l == label) {
            found[i] = row.get(1).map(text).filter(|v| !v.is_empty());
        }
    }
    match found {
        [Some(as_of), Some(snapshot_sha256), Some(report_digest)] => Ok(ReportIdentity {
            as_of,
            snapshot_sha256,
            report_digest,
        }),
        _ => {
            let missing: Vec<&str> = labels
                .iter()
                .zip(&found)
                .filter(|(_, v)| v.is_none())
                .map(|(l, _)| *l)
                .collect();
            Err(format!("its Summary sheet lacks {}", missing.join(", ")))
        }
    }
}

/// A cell as text: strings as written, numbers as Rust prints them.
fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(e) => e.to_string(),
        Data::Empty => String::new(),
    }
}

/// A cell as the row check sees it.
fn checked(cell: &Data) -> Option<f64> {
    match cell {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::DateTime(d) => Some(d.as_f64()),
        _ => None,
    }
}

/// A Date cell: a date cell, a serial, or `YYYY-MM-DD` text; empty is `None`.
fn day(cell: &Data) -> Result<Option<Date>, String> {
    let from_serial = |serial: f64| {
        jiff::civil::date(1899, 12, 30)
            .checked_add(jiff::Span::new().days(serial.floor() as i64))
            .map_err(|_| serial.to_string())
    };
    match cell {
        Data::Empty => Ok(None),
        Data::DateTime(d) => from_serial(d.as_f64()).map(Some),
        Data::String(s) | Data::DateTimeIso(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            let day = s.get(..10).unwrap_or(s);
            match day.parse::<Date>() {
                Ok(d) if s.len() == 10 || s[10..].starts_with('T') || s[10..].starts_with(' ') => {
                    Ok(Some(d))
                }
                _ => Err(s.to_string()),
            }
        }
        other => Err(text(other)),
    }
}

/// The rows of one Access Review sheet.
fn access_review(sheet: &str, range: &Range<Data>, digest: &str) -> Result<Vec<ReadRow>, String> {
    let header: Vec<String> = (0..range.width() as u32)
        .map(|c| range.get_value((0, c)).map(text).unwrap_or_default())
        .collect();
    // Both layouts read: with the last review's columns (a report made with a store) and
    // without. Any one of them present means the report wrote them all.
    let layout = headers(
        LAST_REVIEW_HEADERS
            .iter()
            .any(|h| header.iter().any(|x| x == h)),
    );
    let mut columns = Vec::with_capacity(layout.len());
    let mut missing = Vec::new();
    for h in &layout {
        match header.iter().position(|x| x == h) {
            Some(c) => columns.push(c as u32),
            None => missing.push(*h),
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "the header lacks {}; use the workbook the report wrote, without moving or renaming columns",
            missing.join(", ")
        ));
    }
    let col = |name: &str| {
        layout
            .iter()
            .position(|h| *h == name)
            .map_or(0, |i| columns[i])
    };
    let check_at = layout.iter().position(|h| *h == ROW_CHECK).unwrap_or(0);
    let height = range.end().map_or(0, |(r, _)| r + 1);
    let mut rows = Vec::new();
    for r in 1..height {
        let get = |c: u32| range.get_value((r, c)).unwrap_or(&Data::Empty);
        let cell = |name: &str| text(get(col(name))).trim().to_string();
        let grant_id = cell("Grant id");
        if grant_id.is_empty() {
            continue;
        }
        let mut check = RowCheck::new(digest);
        for c in &columns[..check_at] {
            let value = get(*c);
            match checked(value) {
                Some(n) => check.cell(CheckedCell::Number(n)),
                None => check.cell(CheckedCell::Text(&text(value))),
            }
        }
        let name = |c: u32| format!("{}{}", column_number_to_name(c as u16), r + 1);
        rows.push(ReadRow {
            sheet: sheet.to_string(),
            row: r + 1,
            principal: text(get(col("Principal key"))),
            scope: text(get(col(SCOPE_KEY))),
            role: text(get(col("Role"))),
            via: text(get(col(VIA_KEY))),
            org: text(get(col("Org"))),
            project: text(get(col("Project"))),
            level: text(get(col("Level"))),
            decision: cell("Decision"),
            modify_to: cell("Modify to"),
            reviewer: cell("Reviewer"),
            date: day(get(col("Date"))),
            comment: cell("Comment"),
            check_held: cell(ROW_CHECK),
            check_now: check.finish(),
            evidence_cells: (name(columns[0]), name(columns[check_at.saturating_sub(1)])),
            reviewer_cells: ["Decision", "Modify to", "Reviewer", "Date", "Comment"]
                .map(|h| name(col(h))),
            grant_id,
        });
    }
    Ok(rows)
}

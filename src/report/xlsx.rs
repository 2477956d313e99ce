//! `access-review.xlsx`: the workbook reviewers fill in. A Summary, then one data sheet per
//! table: Findings, Access Review (the grants a reviewer decides on, with the four reviewer
//! columns, the only cells that can be edited), Principals, Coverage and Exemptions.
//!
//! Every data sheet has a frozen, filterable header and column widths measured from its data.
//! Atlas text is neutralised and written as strings, never formulas; a cell longer than Excel
//! allows is cut and says so. A table longer than a sheet continues in numbered sheets, each
//! with its own header, validation and protection. Rows are written and deflated in chunks of
//! fixed size on every core, and chunks are laid out in order, so the same input gives the
//! same bytes whatever the threads.

use std::borrow::Cow;
use std::ops::Range;

use jiff::Timestamp;
use jiff::civil::Date;
use rayon::prelude::*;

use super::cell::{neutralise, yes_no};
use super::spreadsheet::{
    self, Accept, Area, Column, Highlight, Layout, OutOfSheet, Piece, Properties, Rows, Validation,
    column_name, date_serial, time_serial,
};
use super::tables::{PRINCIPALS_CSV_HEADER, principal_cells};
use super::{ReportError, Review};
use crate::model::{CoverageGap, EndpointTally, Grant, Principal, PrincipalDetail, Scope};
use crate::rules::{
    Action, ExemptionNote, ExemptionWarning, Finding, NotEvaluated, RuleId, Severity, Status,
};

/// Rows in an Excel sheet, the header included.
const EXCEL_ROWS: u32 = spreadsheet::MAX_ROWS;
/// Characters (UTF-16 code units) in an Excel cell.
const EXCEL_CELL: usize = 32_767;
/// The widest a column is made, in characters; longer text wraps.
const MAX_WIDTH: usize = 60;
/// Rows written and deflated as one piece: enough to keep pieces compressing well, few
/// enough that every core gets several.
const CHUNK_ROWS: usize = 4096;
/// The Findings sheet's columns: one row per finding, in `findings.json` order.
const FINDING_HEADERS: &[&str] = &[
    "Finding",
    "Severity",
    "Status",
    "Rule",
    "Principal key",
    "Principal kind",
    "Principal name",
    "Org",
    "Project",
    "Title",
    "Evidence",
    "Recommendation",
    "Recommended to",
    "Recommendation detail",
    "Exemption reason",
    "Exemption owner",
    "Exemption ticket",
    "Exemption expires",
    "Exemption expired",
];

/// The Access Review sheet's columns: the evidence, then the four reviewer columns.
const REVIEW_HEADERS: &[&str] = &[
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
    "Decision",
    "Reviewer",
    "Date",
    "Comment",
];

/// Widths of the reviewer columns, the last four of the Access Review sheet: Decision,
/// Reviewer, Date, Comment.
const REVIEWER_WIDTHS: [f64; 4] = [12.0, 24.0, 12.0, 50.0];

/// The Coverage sheet's columns: a status row, gaps, rules not evaluated, endpoint tallies.
const COVERAGE_HEADERS: &[&str] = &[
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

/// The Exemptions sheet's columns: exempted findings, then the policy's exemption warnings.
const EXEMPTION_HEADERS: &[&str] = &[
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

/// How to review, on the Summary sheet.
const INSTRUCTIONS: &[&str] = &[
    "Each row of the Access Review sheet is one grant a reviewer decides on. Project roles implied by an org role are decided with that org role: see its Implies projects column.",
    "For every row choose a Decision (Keep, Revoke or Modify) from the list, and fill in Reviewer (your name) and Date (the day you decided).",
    "A Comment is expected for every decision other than Keep: say why, and for Modify, to what. Rows marked Revoke or Modify without a comment are highlighted.",
    "Recommendation is the tool's suggestion, from the most severe open finding on the grant; the Findings sheet explains every finding id.",
    "Only the Decision, Reviewer, Date and Comment columns can be edited; the filters work as usual. The sheet has no password: Excel sorts a protected sheet's locked cells only once it is unprotected (Review > Unprotect Sheet).",
];

/// The workbook's bytes.
///
/// # Errors
/// When a cell would fall outside a sheet (more columns than Excel has).
pub fn workbook(review: &Review<'_>) -> Result<Vec<u8>, ReportError> {
    render(review, EXCEL_ROWS)
}

/// The workbook, with tables split into sheets of at most `row_limit` rows (header included).
fn render(review: &Review<'_>, row_limit: u32) -> Result<Vec<u8>, ReportError> {
    let started = std::time::Instant::now();
    let tables = tables(review);
    let parts = plan(&tables, row_limit);
    let mut sheets = vec![summary(review)?];
    sheets.extend(run(&parts)?);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "workbook sheets written"
    );
    let comment = concat!("atlas-audit ", env!("CARGO_PKG_VERSION"));
    let properties = Properties {
        title: "Atlas access review",
        author: "atlas-audit",
        comment,
        created: review.as_of,
    };
    Ok(spreadsheet::package(
        &properties,
        &STYLES,
        &[UNDECIDED_FILL],
        sheets,
    ))
}

/// The workbook's cell styles; `Style::X as u16` is its cell format index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
enum Style {
    Plain = 0,
    Title,
    Label,
    Header,
    ReviewerHeader,
    Wrap,
    Time,
    Day,
    Critical,
    High,
    Medium,
    Low,
    Info,
    Choice,
    ChoiceDay,
    Comment,
}

impl Style {
    fn severity(s: Severity) -> Style {
        match s {
            Severity::Critical => Style::Critical,
            Severity::High => Style::High,
            Severity::Medium => Style::Medium,
            Severity::Low => Style::Low,
            Severity::Info => Style::Info,
        }
    }
}

const fn fill(rgb: u32) -> spreadsheet::Style {
    spreadsheet::Style {
        bold: false,
        size: None,
        font_rgb: None,
        fill_rgb: Some(rgb),
        border_bottom: false,
        wrap: false,
        num_format: None,
        unlocked: false,
    }
}

const fn header(rgb: u32) -> spreadsheet::Style {
    spreadsheet::Style {
        bold: true,
        border_bottom: true,
        wrap: true,
        ..fill(rgb)
    }
}

const fn severity(bg: u32, font: u32) -> spreadsheet::Style {
    spreadsheet::Style {
        font_rgb: Some(font),
        ..fill(bg)
    }
}

const PLAIN: spreadsheet::Style = spreadsheet::Style {
    fill_rgb: None,
    ..fill(0)
};

const EDITABLE: spreadsheet::Style = spreadsheet::Style {
    unlocked: true,
    ..fill(0xFFF8DC)
};

/// The styles of [`Style`] from `Title` on, in order.
const STYLES: [spreadsheet::Style; 15] = [
    spreadsheet::Style {
        bold: true,
        size: Some(16),
        ..PLAIN
    },
    spreadsheet::Style {
        bold: true,
        ..PLAIN
    },
    header(0xD9E1F2),
    header(0xFFE699),
    spreadsheet::Style {
        wrap: true,
        ..PLAIN
    },
    spreadsheet::Style {
        num_format: Some("yyyy-mm-dd hh:mm"),
        ..PLAIN
    },
    spreadsheet::Style {
        num_format: Some("yyyy-mm-dd"),
        ..PLAIN
    },
    spreadsheet::Style {
        bold: true,
        ..severity(0x7B0000, 0xFFFFFF)
    },
    severity(0xD93025, 0xFFFFFF),
    severity(0xF6B26B, 0x000000),
    severity(0xD9D9D9, 0x000000),
    severity(0xCFE2F3, 0x000000),
    EDITABLE,
    spreadsheet::Style {
        num_format: Some("yyyy-mm-dd"),
        ..EDITABLE
    },
    spreadsheet::Style {
        wrap: true,
        ..EDITABLE
    },
];

/// The highlight of a Revoke or Modify without a comment (differential format 0).
const UNDECIDED_FILL: u32 = 0xF4CCCC;

/// A cursor over a sheet's rows: writes cells left to right, rows top to bottom, and measures
/// every column as it goes.
struct Sheet {
    rows: Rows,
    row: u32,
    col: u16,
    widths: Vec<usize>,
    /// Whether text wider than a column wraps (data sheets) or runs on (the Summary).
    wrap_long: bool,
}

type Written = Result<(), OutOfSheet>;

impl Sheet {
    /// A cursor whose first row is sheet row `row` (from 0), with room for `bytes` of XML.
    fn at(row: u32, bytes: usize) -> Self {
        Sheet {
            rows: Rows::with_capacity(bytes),
            row,
            col: 0,
            widths: Vec::new(),
            wrap_long: true,
        }
    }

    /// The header row, in the header style (the reviewer style from `reviewer_from` on).
    fn header(&mut self, headers: &[String], reviewer_from: usize) -> Written {
        for (i, h) in headers.iter().enumerate() {
            let style = if i >= reviewer_from {
                Style::ReviewerHeader
            } else {
                Style::Header
            };
            self.styled(h, style)?;
        }
        self.next_row();
        Ok(())
    }

    fn next_row(&mut self) {
        self.row += 1;
        self.col = 0;
    }

    fn skip(&mut self, cells: u16) {
        self.col += cells;
    }

    fn measure(&mut self, chars: usize) {
        let col = usize::from(self.col);
        if self.widths.len() <= col {
            self.widths.resize(col + 1, 0);
        }
        self.widths[col] = self.widths[col].max(chars.min(MAX_WIDTH));
    }

    /// A text cell: neutralised, cut to Excel's limit with a note, wrapped when long.
    fn text(&mut self, text: &str) -> Written {
        self.styled(text, Style::Plain)
    }

    fn styled(&mut self, text: &str, style: Style) -> Written {
        if !text.is_empty() {
            let neutral = neutralise(text);
            let cell = fit(&neutral);
            let chars = cell.chars().take(MAX_WIDTH + 1).count();
            self.measure(chars);
            let long = self.wrap_long && chars > MAX_WIDTH;
            let style = match style {
                Style::Plain if long => Style::Wrap,
                other => other,
            };
            self.rows.string(self.row, self.col, &cell, style as u16)?;
        }
        self.col += 1;
        Ok(())
    }

    /// A bold label.
    fn label(&mut self, text: &str) -> Written {
        self.styled(text, Style::Label)
    }

    fn number(&mut self, n: f64) -> Written {
        self.measure(n.to_string().len());
        self.rows.number(self.row, self.col, n, 0)?;
        self.col += 1;
        Ok(())
    }

    /// A count, as a number.
    fn count(&mut self, n: impl Into<u64>) -> Written {
        self.number(n.into() as f64)
    }

    /// A number when the text is one, else the text.
    fn count_or_text(&mut self, text: &str) -> Written {
        match text.parse::<i64>() {
            Ok(n) => self.number(n as f64),
            Err(_) => self.text(text),
        }
    }

    /// An Excel serial in a date style, measured as `width` characters.
    fn dated(&mut self, serial: f64, style: Style, width: usize) -> Written {
        self.measure(width);
        self.rows.number(self.row, self.col, serial, style as u16)?;
        self.col += 1;
        Ok(())
    }

    /// A date-time cell, or `otherwise` as text when there is no moment (or Excel cannot
    /// hold it).
    fn time_or(&mut self, at: Option<Timestamp>, otherwise: &str) -> Written {
        match (at, at.and_then(time_serial)) {
            (_, Some(serial)) => self.dated(serial, Style::Time, 16),
            (Some(t), None) => self.text(&t.to_string()),
            (None, None) => self.text(otherwise),
        }
    }

    /// A date cell, or nothing.
    fn day(&mut self, day: Option<Date>) -> Written {
        match (day, day.and_then(date_serial)) {
            (_, Some(serial)) => self.dated(serial, Style::Day, 10),
            (Some(d), None) => self.text(&d.to_string()),
            (None, None) => {
                self.col += 1;
                Ok(())
            }
        }
    }

    /// A severity, in its colour, or nothing.
    fn severity(&mut self, severity: Option<Severity>) -> Written {
        match severity {
            Some(s) => self.styled(s.as_str(), Style::severity(s)),
            None => {
                self.col += 1;
                Ok(())
            }
        }
    }
}

/// The text cut to fit a cell, with a note saying so; the text itself when it fits.
fn fit(text: &str) -> Cow<'_, str> {
    // A UTF-16 unit takes at least one byte, so short text needs no counting.
    if text.len() <= EXCEL_CELL || text.encode_utf16().count() <= EXCEL_CELL {
        return Cow::Borrowed(text);
    }
    let note = format!(
        "… [truncated: {} characters in total; see findings.json and the CSV files]",
        text.chars().count()
    );
    let room = EXCEL_CELL - note.encode_utf16().count();
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        used += c.len_utf16();
        if used > room {
            break;
        }
        end = i + c.len_utf8();
    }
    Cow::Owned(format!("{}{note}", &text[..end]))
}

/// Writes one data row.
type RowWriter<'a> = Box<dyn Fn(&mut Sheet, usize) -> Written + Send + Sync + 'a>;

/// A data sheet before it is split: its name, header, length and how to write row `i`.
struct Table<'a> {
    name: &'static str,
    headers: Vec<String>,
    /// How many of the last columns a reviewer fills in (the rest is evidence).
    editable: usize,
    len: usize,
    row: RowWriter<'a>,
}

impl Table<'_> {
    /// The first column a reviewer fills in.
    fn evidence(&self) -> usize {
        self.headers.len() - self.editable
    }
}

/// One sheet: a stretch of one table.
struct Part<'t, 'a> {
    name: String,
    table: &'t Table<'a>,
    rows: Range<usize>,
}

/// Rows of one sheet written and deflated together; the first chunk of a sheet carries its
/// header row.
struct Chunk {
    part: usize,
    rows: Range<usize>,
    header: bool,
}

/// A chunk written: its piece and the widths it measured.
struct Filled {
    piece: Piece,
    widths: Vec<usize>,
}

/// The data sheets, in workbook order.
fn tables<'a>(review: &'a Review<'a>) -> Vec<Table<'a>> {
    let mut tables = vec![
        findings_table(review),
        access_review_table(review),
        principals_table(review),
    ];
    tables.extend(changes_table(review));
    tables.push(coverage_table(review));
    tables.push(exemptions_table(review));
    tables
}

/// The Changes sheet's columns: `changes.csv`, with headings.
const CHANGE_HEADERS: &[&str] = &[
    "Change",
    "Principal key",
    "Kind",
    "Name",
    "Org",
    "Project",
    "Resource",
    "Role",
    "Detail",
    "Finding",
    "Rule",
    "Severity",
];

/// What changed since the baseline, with `--baseline`: one row per change.
fn changes_table<'a>(review: &'a Review<'a>) -> Option<Table<'a>> {
    let baseline = review.baseline?;
    let names = super::Names::of(&[review.snapshot, baseline.snapshot]);
    let changes = &baseline.changes.changes;
    Some(Table {
        name: "Changes",
        headers: owned(CHANGE_HEADERS),
        editable: 0,
        len: changes.len(),
        row: Box::new(move |s, i| {
            let c = &changes[i];
            s.text(c.kind.as_str())?;
            s.text(&c.principal)?;
            s.text(c.principal_kind.map_or("", |k| k.as_str()))?;
            s.text(&c.name)?;
            s.text(names.name(c.org_id.as_deref()))?;
            s.text(names.name(c.project_id.as_deref()))?;
            s.text(&c.resource)?;
            s.text(&c.role)?;
            s.text(&c.detail)?;
            s.text(c.finding_id.as_deref().unwrap_or_default())?;
            s.text(c.rule.as_deref().unwrap_or_default())?;
            s.severity(c.severity)
        }),
    })
}

/// Splits every table into sheets of at most `row_limit` rows and names them.
fn plan<'t, 'a>(tables: &'t [Table<'a>], row_limit: u32) -> Vec<Part<'t, 'a>> {
    let per_sheet = row_limit.saturating_sub(1).max(1) as usize;
    let mut parts = Vec::new();
    for table in tables {
        for part in 0..table.len.div_ceil(per_sheet).max(1) {
            let name = match part {
                0 => table.name.to_string(),
                n => format!("{} ({})", table.name, n + 1),
            };
            let start = part * per_sheet;
            parts.push(Part {
                name,
                table,
                rows: start..(start + per_sheet).min(table.len),
            });
        }
    }
    parts
}

/// Writes every sheet's rows in chunks on every core, then lays each sheet out from what its
/// chunks measured. Chunks have fixed bounds and come back in order, so the bytes never depend
/// on which thread wrote what.
fn run(parts: &[Part<'_, '_>]) -> Result<Vec<spreadsheet::Sheet>, ReportError> {
    let mut chunks = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let mut start = part.rows.start;
        loop {
            let end = (start + CHUNK_ROWS).min(part.rows.end);
            chunks.push(Chunk {
                part: i,
                rows: start..end,
                header: start == part.rows.start,
            });
            if end >= part.rows.end {
                break;
            }
            start = end;
        }
    }
    let filled = chunks
        .par_iter()
        .with_max_len(1)
        .map(|c| write_chunk(&parts[c.part], c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut sheets: Vec<spreadsheet::Sheet> = parts
        .iter()
        .map(|_| spreadsheet::Sheet {
            layout: Layout::default(),
            body: Vec::new(),
        })
        .collect();
    let mut widths: Vec<Vec<usize>> = vec![Vec::new(); parts.len()];
    for (chunk, done) in chunks.iter().zip(filled) {
        sheets[chunk.part].body.push(done.piece);
        let w = &mut widths[chunk.part];
        if w.len() < done.widths.len() {
            w.resize(done.widths.len(), 0);
        }
        for (a, b) in w.iter_mut().zip(done.widths) {
            *a = (*a).max(b);
        }
    }
    for ((sheet, part), widths) in sheets.iter_mut().zip(parts).zip(widths) {
        sheet.layout = data_layout(part, &widths);
    }
    Ok(sheets)
}

/// Writes a chunk's rows (and the header, for a sheet's first chunk) and deflates them.
fn write_chunk(part: &Part<'_, '_>, chunk: &Chunk) -> Result<Filled, ReportError> {
    let table = part.table;
    let first_row = 1 + (chunk.rows.start - part.rows.start);
    let fail = |e: OutOfSheet| ReportError::Workbook(format!("sheet {}: {e}", part.name));
    // About 80 bytes of XML a cell; room that is never written costs nothing.
    let room = (chunk.rows.len() + 1) * table.headers.len() * 128;
    let mut sheet = Sheet::at(if chunk.header { 0 } else { first_row as u32 }, room);
    if chunk.header {
        sheet
            .header(&table.headers, table.evidence())
            .map_err(fail)?;
    }
    for i in chunk.rows.clone() {
        (table.row)(&mut sheet, i).map_err(fail)?;
        sheet.next_row();
    }
    Ok(Filled {
        piece: spreadsheet::deflate_rows(sheet.rows),
        widths: sheet.widths,
    })
}

/// A data sheet's layout: measured widths, frozen header, autofilter over the data, and for
/// the Access Review the reviewer controls.
fn data_layout(part: &Part<'_, '_>, widths: &[usize]) -> Layout {
    let table = part.table;
    let columns = table.headers.len().max(1) as u16;
    let last = part.rows.len() as u32;
    let mut layout = Layout {
        name: part.name.clone(),
        columns: widths
            .iter()
            .map(|w| Column {
                width: (*w + 2).clamp(8, MAX_WIDTH + 2) as f64,
                style: 0,
            })
            .collect(),
        last_cell: Some((last, columns - 1)),
        freeze_first_row: true,
        autofilter: Some(Area {
            first_row: 0,
            first_col: 0,
            last_row: last,
            last_col: columns - 1,
        }),
        ..Layout::default()
    };
    if table.editable > 0 {
        reviewer_controls(&mut layout, table.evidence() as u16, last);
    }
    layout
}

/// The Access Review's reviewer columns, after the evidence: editable, a Decision list, a Date
/// check, a highlight for decisions without a comment, and the rest of the sheet protected.
fn reviewer_controls(layout: &mut Layout, first: u16, last: u32) {
    let last = last.max(1);
    let [decision, _, date, comment] = [0, 1, 2, 3].map(|i| first + i);
    let styles = [
        Style::Choice,
        Style::Choice,
        Style::ChoiceDay,
        Style::Comment,
    ];
    for (i, (style, width)) in styles.into_iter().zip(REVIEWER_WIDTHS).enumerate() {
        let col = usize::from(first) + i;
        if layout.columns.len() <= col {
            layout.columns.resize(
                col + 1,
                Column {
                    width: 8.0,
                    style: 0,
                },
            );
        }
        layout.columns[col] = Column {
            width,
            style: style as u16,
        };
    }
    let column = |col: u16| Area {
        first_row: 1,
        first_col: col,
        last_row: last,
        last_col: col,
    };
    layout.validations = vec![
        Validation {
            area: column(decision),
            accept: Accept::List(
                [Action::Keep, Action::Revoke, Action::Modify]
                    .map(Action::as_str)
                    .to_vec(),
            ),
            input_title: "Decision",
            input_message: "Keep, Revoke or Modify. A comment is expected unless Keep.",
            error_title: "Not a decision",
            error_message: "Choose Keep, Revoke or Modify from the list.",
        },
        Validation {
            area: column(date),
            accept: Accept::DateBetween(
                jiff::civil::date(2000, 1, 1),
                jiff::civil::date(2099, 12, 31),
            ),
            input_title: "Date",
            input_message: "The day you decided, as yyyy-mm-dd.",
            error_title: "Not a date",
            error_message: "Enter the date as yyyy-mm-dd.",
        },
    ];
    let (d, c) = (column_name(decision), column_name(comment));
    layout.highlights = vec![Highlight {
        area: Area {
            first_row: 1,
            first_col: 0,
            last_row: last,
            last_col: comment,
        },
        formula: format!("AND(OR(${d}2=\"Revoke\",${d}2=\"Modify\"),LEN(TRIM(${c}2))=0)"),
        dxf: 0,
    }];
    layout.protected = true;
}

fn owned(headers: &[&str]) -> Vec<String> {
    headers.iter().map(|h| h.to_string()).collect()
}

/// The project's name, or nothing.
fn project_name<'s>(review: &'s Review<'_>, id: Option<&'s str>) -> &'s str {
    id.map_or("", |p| review.project_name(p))
}

fn findings_table<'a>(review: &'a Review<'a>) -> Table<'a> {
    let findings = &review.findings.findings;
    Table {
        name: "Findings",
        headers: owned(FINDING_HEADERS),
        editable: 0,
        len: findings.len(),
        row: Box::new(move |s, i| finding_row(s, review, &findings[i])),
    }
}

fn finding_row(s: &mut Sheet, review: &Review<'_>, f: &Finding) -> Written {
    let ex = f.exemption.as_ref();
    s.text(&f.id)?;
    s.severity(Some(f.severity))?;
    s.text(f.status.as_str())?;
    s.text(f.rule.as_str())?;
    s.text(&f.principal.key)?;
    s.text(f.principal.kind.as_str())?;
    s.text(&f.principal.name)?;
    s.text(review.org_name(&f.scope.org_id))?;
    s.text(project_name(review, f.scope.project_id.as_deref()))?;
    s.text(&f.title)?;
    s.text(&f.evidence.summary)?;
    s.text(f.recommendation.action.as_str())?;
    s.text(f.recommendation.to.as_deref().unwrap_or_default())?;
    s.text(&f.recommendation.text)?;
    s.text(ex.map_or("", |e| e.reason.as_str()))?;
    s.text(ex.and_then(|e| e.owner.as_deref()).unwrap_or_default())?;
    s.text(ex.and_then(|e| e.ticket.as_deref()).unwrap_or_default())?;
    s.day(ex.map(|e| e.expires))?;
    s.text(ex.map_or("", |e| yes_no(e.expired)))
}

fn access_review_table<'a>(review: &'a Review<'a>) -> Table<'a> {
    let grants: Vec<&'a Grant> = review
        .snapshot
        .grants
        .iter()
        .filter(|g| Review::reviewable(g))
        .collect();
    Table {
        name: "Access Review",
        headers: owned(REVIEW_HEADERS),
        editable: REVIEWER_WIDTHS.len(),
        len: grants.len(),
        row: Box::new(move |s, i| grant_row(s, review, grants[i])),
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

fn grant_row<'a>(s: &mut Sheet, review: &Review<'a>, g: &'a Grant) -> Written {
    let principal = review.principal(&g.principal);
    let (level, resource) = level_and_resource(&g.scope);
    let worst = review
        .grant_findings(g)
        .filter(|f| f.status == Status::Open)
        .min_by_key(|f| f.severity);
    s.text(&g.principal)?;
    s.text(principal.map_or("", |p| p.kind.as_str()))?;
    s.text(principal.map_or("", |p| p.name.as_str()))?;
    s.text(review.org_name(g.scope.org_id()))?;
    s.text(project_name(review, g.scope.project_id()))?;
    s.text(level)?;
    s.text(&resource)?;
    s.text(&g.role)?;
    s.text(&g.via.label())?;
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
    s.text(&review.grant_finding_ids(g))?;
    s.severity(worst.map(|f| f.severity))?;
    let suggestion = worst.map_or(Action::Keep, |f| f.recommendation.action);
    s.text(suggestion.as_str())
}

/// Where the Principals sheet writes dates, numbers and a severity instead of text.
struct PrincipalColumns {
    created: usize,
    last_activity: usize,
    delete_after: usize,
    severity: usize,
    counts: [usize; 4],
}

impl PrincipalColumns {
    fn new() -> Self {
        let at = |name: &str| {
            PRINCIPALS_CSV_HEADER
                .iter()
                .position(|h| *h == name)
                .unwrap_or(usize::MAX)
        };
        PrincipalColumns {
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
fn heading(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map_or(String::new(), |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn principals_table<'a>(review: &'a Review<'a>) -> Table<'a> {
    let principals = &review.snapshot.principals;
    let columns = PrincipalColumns::new();
    Table {
        name: "Principals",
        headers: PRINCIPALS_CSV_HEADER.iter().map(|h| heading(h)).collect(),
        editable: 0,
        len: principals.len(),
        row: Box::new(move |s, i| principal_row(s, review, &principals[i], &columns)),
    }
}

fn principal_row(
    s: &mut Sheet,
    review: &Review<'_>,
    p: &Principal,
    columns: &PrincipalColumns,
) -> Written {
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

/// A row of the Coverage sheet.
enum CoverageRow<'a> {
    Status(String),
    Gap(&'a CoverageGap),
    NotEvaluated(&'a NotEvaluated),
    Endpoint(&'a str, &'a EndpointTally),
}

fn coverage_table<'a>(review: &'a Review<'a>) -> Table<'a> {
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
    let mut rows = vec![CoverageRow::Status(status)];
    rows.extend(review.coverage().iter().map(CoverageRow::Gap));
    rows.extend(not_evaluated.iter().map(CoverageRow::NotEvaluated));
    rows.extend(
        review
            .snapshot
            .meta
            .endpoints
            .iter()
            .map(|(name, tally)| CoverageRow::Endpoint(name, tally)),
    );
    Table {
        name: "Coverage",
        headers: owned(COVERAGE_HEADERS),
        editable: 0,
        len: rows.len(),
        row: Box::new(move |s, i| coverage_row(s, &rows[i])),
    }
}

fn coverage_row(s: &mut Sheet, row: &CoverageRow<'_>) -> Written {
    match row {
        CoverageRow::Status(status) => {
            s.text("status")?;
            s.skip(5);
            s.text(status)
        }
        CoverageRow::Gap(gap) => {
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
        CoverageRow::NotEvaluated(n) => {
            s.text("not evaluated")?;
            s.text(&n.scope.key())?;
            s.text(n.rule.as_str())?;
            s.text(n.principal.as_deref().unwrap_or_default())?;
            s.skip(2);
            s.text(&n.reason)
        }
        CoverageRow::Endpoint(name, t) => {
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

/// A row of the Exemptions sheet.
enum ExemptionRow<'a> {
    None,
    Exempted(&'a Finding, &'a ExemptionNote),
    Warning(&'a ExemptionWarning),
}

fn exemptions_table<'a>(review: &'a Review<'a>) -> Table<'a> {
    let mut rows: Vec<ExemptionRow<'a>> = review
        .findings
        .findings
        .iter()
        .filter_map(|f| f.exemption.as_ref().map(|e| ExemptionRow::Exempted(f, e)))
        .collect();
    rows.extend(
        review
            .findings
            .exemption_warnings
            .iter()
            .map(ExemptionRow::Warning),
    );
    if rows.is_empty() {
        rows.push(ExemptionRow::None);
    }
    Table {
        name: "Exemptions",
        headers: owned(EXEMPTION_HEADERS),
        editable: 0,
        len: rows.len(),
        row: Box::new(move |s, i| exemption_row(s, &rows[i])),
    }
}

fn policy_line(s: &mut Sheet, line: Option<usize>) -> Written {
    match line {
        Some(n) => s.count(n as u64),
        None => {
            s.skip(1);
            Ok(())
        }
    }
}

fn exemption_row(s: &mut Sheet, row: &ExemptionRow<'_>) -> Written {
    match row {
        ExemptionRow::None => {
            s.text("none")?;
            s.skip(4);
            s.text("No finding carries an exemption and the policy's exemptions raised no warning.")
        }
        ExemptionRow::Exempted(f, e) => {
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
        ExemptionRow::Warning(w) => {
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

/// The Summary sheet: what was reviewed, from what, the counts, and how to review.
/// The Summary sheet: what was reviewed, from what, the counts, and how to review.
fn summary(review: &Review<'_>) -> Result<spreadsheet::Sheet, ReportError> {
    let widths = [34.0, 14.0, 12.0, 12.0, 100.0];
    let mut s = Sheet::at(0, 1 << 16);
    s.wrap_long = false;
    write_summary(&mut s, review)
        .map_err(|e| ReportError::Workbook(format!("sheet Summary: {e}")))?;
    let layout = Layout {
        name: "Summary".into(),
        columns: widths
            .into_iter()
            .map(|width| Column { width, style: 0 })
            .collect(),
        last_cell: Some((s.row.saturating_sub(1), widths.len() as u16 - 1)),
        ..Layout::default()
    };
    Ok(spreadsheet::Sheet {
        layout,
        body: vec![spreadsheet::deflate_rows(s.rows)],
    })
}

fn write_summary(s: &mut Sheet, review: &Review<'_>) -> Written {
    s.styled("Atlas access review", Style::Title)?;
    s.next_row();
    summary_facts(s, review)?;
    s.next_row();
    summary_population(s, review)?;
    s.next_row();
    summary_findings(s, review)?;
    s.next_row();
    s.label("How to review")?;
    s.next_row();
    for (i, line) in INSTRUCTIONS.iter().enumerate() {
        s.text(&format!("{}.", i + 1))?;
        s.text(line)?;
        s.next_row();
    }
    Ok(())
}

fn summary_facts(s: &mut Sheet, review: &Review<'_>) -> Written {
    let meta = &review.snapshot.meta;
    let mut coverage = review.coverage_status();
    if !review.snapshot.is_complete() || !review.findings.not_evaluated.is_empty() {
        coverage.push_str(" (see the Coverage sheet)");
    }
    let recorded = |v: &str| {
        if v.is_empty() {
            "not recorded".to_string()
        } else {
            v.to_string()
        }
    };
    let facts = [
        ("Scope", review.scope_text()),
        (
            "Tool version",
            concat!("atlas-audit ", env!("CARGO_PKG_VERSION")).into(),
        ),
        ("Snapshot tool version", recorded(&meta.tool_version)),
        ("Credential", recorded(&meta.credential)),
        ("Atlas", recorded(&meta.base_url)),
        ("Policy", review.policy_origin.to_string()),
        ("Policy digest", review.policy_digest.to_string()),
        ("Coverage", coverage),
    ];
    s.label("As of (UTC)")?;
    s.time_or(Some(review.as_of), "")?;
    s.next_row();
    for (label, value) in facts {
        s.label(label)?;
        s.text(&value)?;
        s.next_row();
    }
    // The first gaps by name, so the first screen says what could not be read.
    let gaps = review.coverage();
    for g in gaps.iter().take(SUMMARY_GAPS) {
        s.label("Could not read")?;
        s.text(&format!("{}, {}: {}", g.scope, g.endpoint, g.reason))?;
        s.next_row();
    }
    if gaps.len() > SUMMARY_GAPS {
        s.label("Could not read")?;
        s.text(&format!(
            "and {} more on the Coverage sheet",
            gaps.len() - SUMMARY_GAPS
        ))?;
        s.next_row();
    }
    Ok(())
}

/// Coverage gaps named on the Summary sheet; the Coverage sheet lists them all.
const SUMMARY_GAPS: usize = 10;

fn summary_population(s: &mut Sheet, review: &Review<'_>) -> Written {
    s.label("Principals")?;
    s.label("Count")?;
    s.next_row();
    for (kind, n) in review.population() {
        s.text(kind.as_str())?;
        s.count(n as u64)?;
        s.next_row();
    }
    let (reviewable, implied) = review.grant_counts();
    let grants = [
        ("Grants to decide (Access Review sheet)", reviewable),
        ("Project grants implied by org roles", implied),
    ];
    for (label, n) in grants {
        s.label(label)?;
        s.count(n as u64)?;
        s.next_row();
    }
    Ok(())
}

fn summary_findings(s: &mut Sheet, review: &Review<'_>) -> Written {
    for h in ["Findings by severity", "Open", "Exempted"] {
        s.label(h)?;
    }
    s.next_row();
    for (severity, open, exempted) in review.severity_counts() {
        s.severity(Some(severity))?;
        s.count(open as u64)?;
        s.count(exempted as u64)?;
        s.next_row();
    }
    s.next_row();
    for h in [
        "Findings by rule",
        "Severity",
        "Open",
        "Exempted",
        "What it checks",
    ] {
        s.label(h)?;
    }
    s.next_row();
    for c in review.rule_counts() {
        s.text(c.rule.as_str())?;
        s.severity(Some(c.severity))?;
        s.count(c.open as u64)?;
        s.count(c.exempted as u64)?;
        s.text(RuleId::checks(c.rule))?;
        s.next_row();
    }
    Ok(())
}

#[cfg(test)]
#[path = "xlsx_tests.rs"]
mod tests;

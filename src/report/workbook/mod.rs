//! `access-review.xlsx`: the workbook reviewers fill in, written with `rust_xlsxwriter`. A
//! Summary, then one data sheet per table: Findings, Access Review (the grants a reviewer
//! decides on, with the four reviewer columns, the only cells that can be edited), Principals,
//! Changes (with a baseline), Coverage and Exemptions. Each sheet has its own file.
//!
//! Every data sheet has a frozen, filterable header and column widths measured from its data.
//! Atlas text is neutralised and written as strings, never formulas; a cell longer than Excel
//! allows is cut and says so. A table longer than a sheet continues in numbered sheets, each
//! with its own header, validation and protection. Sheets are written in constant-memory mode,
//! each by one thread, their rows made in stretches on whichever thread is free and written in
//! order; the cell formats are registered in a fixed order first, and the document's dates are
//! the review's as-of time, so the same input gives the same bytes. The row cursor, which
//! writes a sheet's cells or records them, is in `cursor`.

pub(super) mod access_review;
mod changes;
mod coverage;
mod cursor;
mod exemptions;
mod findings;
mod people;
mod principals;
mod summary;

use std::ops::Range;

use rayon::prelude::*;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use super::{ReportError, Review};
use crate::rules::Severity;
use cursor::{Recorded, Sheet, Written};

/// Rows in an Excel sheet, the header included.
const EXCEL_ROWS: u32 = 1_048_576;
/// Characters (UTF-16 code units) in an Excel cell.
const EXCEL_CELL: usize = 32_767;
/// The widest a column is made, in characters; longer text wraps.
const MAX_WIDTH: usize = 60;
/// Deflate level of the package. The sheets are large and repetitive: the fastest level packs
/// a large estate's workbook in about a third of the time of the default (6), for a file about
/// a fifth larger.
const ZIP_LEVEL: u8 = 1;

/// The workbook's bytes.
///
/// # Errors
/// When a cell would fall outside a sheet (more columns than Excel has), or a sheet's
/// temporary file cannot be written.
pub fn workbook(review: &Review<'_>) -> Result<Vec<u8>, ReportError> {
    render(review, EXCEL_ROWS)
}

/// The workbook, with tables split into sheets of at most `row_limit` rows (header included).
fn render(review: &Review<'_>, row_limit: u32) -> Result<Vec<u8>, ReportError> {
    let started = std::time::Instant::now();
    let tables = tables(review);
    let parts = plan(&tables, row_limit);
    let styles = Styles::new();
    let mut book = Workbook::new();
    book.set_zip_compression_level(ZIP_LEVEL);
    book.set_properties(&properties(review)?);
    // Format indices are handed out on first use; registering every format here, in order,
    // keeps them the same whichever thread writes first.
    for format in styles.all() {
        book.register_format(format);
    }
    let blank = |book: &mut Workbook| book.new_worksheet_with_constant_memory().map_err(failed);
    let summary_sheet = blank(&mut book)?;
    let data_sheets = (0..parts.len())
        .map(|_| blank(&mut book))
        .collect::<Result<Vec<_>, _>>()?;
    let (summary_sheet, data_sheets) = rayon::join(
        || summary::write(summary_sheet, &styles, review),
        || write_parts(data_sheets, &parts, &styles),
    );
    book.push_worksheet(summary_sheet?);
    for sheet in data_sheets? {
        book.push_worksheet(sheet);
    }
    access_review::role_lists(&mut book).map_err(|source| ReportError::Workbook {
        sheet: Some(access_review::LISTS_SHEET.into()),
        source,
    })?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "workbook sheets written"
    );
    book.save_to_buffer().map_err(failed)
}

fn failed(e: XlsxError) -> ReportError {
    ReportError::Workbook {
        sheet: None,
        source: e,
    }
}

/// The document's title, author, comment and dates, and the report it belongs to in custom
/// properties; the dates are the review's as-of time, so no clock reaches the file.
fn properties(review: &Review<'_>) -> Result<DocProperties, ReportError> {
    use super::identity::{
        NO_SNAPSHOT, PROPERTY_AS_OF, PROPERTY_REPORT_DIGEST, PROPERTY_SNAPSHOT_SHA256,
    };
    let created = ExcelDateTime::from_timestamp(review.as_of.as_second()).map_err(failed)?;
    Ok(DocProperties::new()
        .set_title("Atlas access review")
        .set_author("atlas-audit")
        .set_comment(concat!("atlas-audit ", env!("CARGO_PKG_VERSION")))
        .set_creation_datetime(&created)
        .set_custom_property(PROPERTY_AS_OF, review.as_of.to_string().as_str())
        .set_custom_property(
            PROPERTY_SNAPSHOT_SHA256,
            review.snapshot_sha256.as_deref().unwrap_or(NO_SNAPSHOT),
        )
        .set_custom_property(PROPERTY_REPORT_DIGEST, review.report_digest.as_str()))
}

/// The workbook's cell styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Plain,
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

/// The styles after `Plain`, in [`Style`] order.
const STYLED: [Style; 15] = [
    Style::Title,
    Style::Label,
    Style::Header,
    Style::ReviewerHeader,
    Style::Wrap,
    Style::Time,
    Style::Day,
    Style::Critical,
    Style::High,
    Style::Medium,
    Style::Low,
    Style::Info,
    Style::Choice,
    Style::ChoiceDay,
    Style::Comment,
];

/// The format of each [`Style`] but `Plain`, and the highlight of a decision without a
/// comment.
struct Styles {
    formats: Vec<Format>,
    undecided: Format,
}

const DATE_TIME: &str = "yyyy-mm-dd hh:mm";
const DATE: &str = "yyyy-mm-dd";

fn filled(rgb: u32) -> Format {
    Format::new().set_background_color(Color::RGB(rgb))
}

fn wrapped(format: Format) -> Format {
    format.set_text_wrap().set_align(FormatAlign::Top)
}

fn header(rgb: u32) -> Format {
    wrapped(filled(rgb).set_bold().set_border_bottom(FormatBorder::Thin))
}

fn severity(bg: u32, font: u32) -> Format {
    filled(bg).set_font_color(Color::RGB(font))
}

fn editable() -> Format {
    filled(0xFFF8DC).set_unlocked()
}

impl Styles {
    fn new() -> Styles {
        let format = |style: Style| match style {
            Style::Plain => Format::new(),
            Style::Title => Format::new().set_bold().set_font_size(16),
            Style::Label => Format::new().set_bold(),
            Style::Header => header(0xD9E1F2),
            Style::ReviewerHeader => header(0xFFE699),
            Style::Wrap => wrapped(Format::new()),
            Style::Time => Format::new().set_num_format(DATE_TIME),
            Style::Day => Format::new().set_num_format(DATE),
            Style::Critical => severity(0x7B0000, 0xFFFFFF).set_bold(),
            Style::High => severity(0xD93025, 0xFFFFFF),
            Style::Medium => severity(0xF6B26B, 0x000000),
            Style::Low => severity(0xD9D9D9, 0x000000),
            Style::Info => severity(0xCFE2F3, 0x000000),
            Style::Choice => editable(),
            Style::ChoiceDay => editable().set_num_format(DATE),
            Style::Comment => wrapped(editable()),
        };
        Styles {
            formats: STYLED.into_iter().map(format).collect(),
            undecided: filled(0xF4CCCC),
        }
    }

    /// The format of a style; none for `Plain`. `STYLED` holds the styles in declaration
    /// order after `Plain`, so a style's format is at its discriminant less one.
    fn get(&self, style: Style) -> Option<&Format> {
        (style as usize)
            .checked_sub(1)
            .and_then(|at| self.formats.get(at))
    }

    /// Every cell format, in the order the workbook numbers them.
    fn all(&self) -> &[Format] {
        &self.formats
    }
}

/// Writes one data row.
type RowWriter<'a> = Box<dyn Fn(&mut Sheet<'_>, usize) -> Written + Send + Sync + 'a>;

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

impl Part<'_, '_> {
    /// A measure of the time the sheet takes to write: its cells.
    fn cost(&self) -> usize {
        self.rows.len() * self.table.headers.len()
    }
}

/// The data sheets, in workbook order.
fn tables<'a>(review: &'a Review<'a>) -> Vec<Table<'a>> {
    let mut tables = vec![
        findings::table(review),
        access_review::table(review),
        principals::table(review),
        people::table(review),
    ];
    tables.extend(changes::table(review));
    tables.push(coverage::table(review));
    tables.push(exemptions::table(review));
    tables
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

/// Writes the data sheets on the pool's threads and gives them back in workbook order. Each
/// thread takes the costliest sheet not yet started, so the largest sheet starts first rather
/// than queueing behind smaller ones, and the others share the remaining threads.
fn write_parts(
    sheets: Vec<Worksheet>,
    parts: &[Part<'_, '_>],
    styles: &Styles,
) -> Result<Vec<Worksheet>, ReportError> {
    let mut queue: Vec<(usize, Worksheet)> = sheets.into_iter().enumerate().collect();
    queue.sort_by_key(|(i, _)| std::cmp::Reverse(parts[*i].cost()));
    // `par_bridge` hands the queue's next item to whichever thread is free.
    let mut written = queue
        .into_iter()
        .par_bridge()
        .map(|(i, sheet)| write_part(sheet, styles, &parts[i]).map(|sheet| (i, sheet)))
        .collect::<Result<Vec<_>, _>>()?;
    written.sort_by_key(|(i, _)| *i);
    Ok(written.into_iter().map(|(_, sheet)| sheet).collect())
}

/// Rows made together by one thread.
const STRETCH: usize = 512;
/// Stretches made while the batch before is written.
const BATCH: usize = 16;

/// Writes one data sheet: its header and rows in order, then its layout from what the rows
/// measured: widths, a frozen header, an autofilter over the data, and for the Access Review
/// the reviewer controls.
fn write_part(
    mut sheet: Worksheet,
    styles: &Styles,
    part: &Part<'_, '_>,
) -> Result<Worksheet, ReportError> {
    let fail = |source: XlsxError| ReportError::Workbook {
        sheet: Some(part.name.to_string()),
        source,
    };
    let started = std::time::Instant::now();
    let table = part.table;
    let columns = table.headers.len().max(1) as u16;
    let last = part.rows.len() as u32;
    sheet.set_name(&part.name).map_err(fail)?;
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    sheet.autofilter(0, 0, last, columns - 1).map_err(fail)?;
    let mut widths = {
        let mut cursor = Sheet::new(&mut sheet, styles);
        cursor
            .header(&table.headers, table.evidence())
            .map_err(fail)?;
        cursor.widths
    };
    // Rows are made in stretches on whichever thread is free, and written in order: while one
    // batch is written, the next is made.
    let make = |rows: &Range<usize>| {
        let sheet_row = 1 + (rows.start - part.rows.start) as u32;
        let mut cursor = Sheet::recording(styles, sheet_row);
        for i in rows.clone() {
            (table.row)(&mut cursor, i)?;
            cursor.next_row();
        }
        Ok(cursor.recorded())
    };
    let make_batch = |batch: &[Range<usize>]| -> Result<Vec<Recorded>, XlsxError> {
        batch.par_iter().map(make).collect()
    };
    let stretches: Vec<Range<usize>> = part
        .rows
        .clone()
        .step_by(STRETCH)
        .map(|start| start..(start + STRETCH).min(part.rows.end))
        .collect();
    let mut batches = stretches.chunks(BATCH);
    let mut made = batches.next().map(make_batch).transpose().map_err(fail)?;
    while let Some(batch) = made.take() {
        let next = batches.next();
        let (written, next) = rayon::join(
            || -> Written {
                for stretch in batch {
                    for (col, w) in stretch.widths.iter().enumerate() {
                        if widths.len() <= col {
                            widths.resize(col + 1, 0);
                        }
                        widths[col] = widths[col].max(*w);
                    }
                    stretch.write(&mut sheet, styles)?;
                }
                Ok(())
            },
            || next.map(make_batch).transpose(),
        );
        written.map_err(fail)?;
        made = next.map_err(fail)?;
    }
    for (col, w) in widths.iter().enumerate() {
        let width = (*w + 2).clamp(8, MAX_WIDTH + 2) as f64;
        sheet.set_column_width(col as u16, width).map_err(fail)?;
    }
    if table.editable > 0 {
        access_review::reviewer_controls(&mut sheet, styles, table.evidence() as u16, last)
            .map_err(fail)?;
    }
    tracing::debug!(
        sheet = part.name.as_str(),
        rows = part.rows.len(),
        cells = part.cost(),
        ms = started.elapsed().as_millis() as u64,
        "workbook sheet written"
    );
    Ok(sheet)
}

fn owned(headers: &[&str]) -> Vec<String> {
    headers.iter().map(|h| h.to_string()).collect()
}

/// The project's name, or nothing.
fn project_name<'s>(review: &'s Review<'_>, id: Option<&'s str>) -> &'s str {
    id.map_or("", |p| review.project_name(p))
}

#[cfg(test)]
mod tests;

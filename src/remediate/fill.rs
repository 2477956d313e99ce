//! Filling in a report's workbook as a reviewer would: the Decision, Modify to, Reviewer, Date
//! and Comment cells of chosen Access Review rows, each row found by its Grant id.
//!
//! The xlsx package is opened with `zip`; only the Access Review sheet's XML is rewritten, and
//! in it only the rows that get answers: the new cells go in column order (inline strings; the
//! Date a day serial), each with the style its column carries, so they stay unlocked and the
//! Date shows as a date. Every other byte of the sheet, and every other part of the package,
//! is copied unchanged. The workbook is the one `report` writes (inline strings, one `<row>`
//! element a row); `decisions` reads the result back like any reviewer's file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read as _, Write as _};

use jiff::civil::Date;
use zip::write::SimpleFileOptions;
use zip::{ZipArchive, ZipWriter};

use crate::report::workbook_layout::HEADERS;

/// The sheet the answers go into.
pub const ACCESS_REVIEW_SHEET: &str = "Access Review";

/// The reviewer columns, in the order of [`Answer::cells`].
const REVIEWER_COLUMNS: [&str; 5] = ["Decision", "Modify to", "Reviewer", "Date", "Comment"];

/// One row's answers. Empty text leaves its cell empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The row's Grant id (`G-` and 10 hex digits).
    pub grant_id: String,
    /// `Keep`, `Revoke` or `Modify`.
    pub decision: String,
    /// For a Modify, the role to leave.
    pub modify_to: String,
    /// Who decided.
    pub reviewer: String,
    /// The day it was decided.
    pub date: Option<Date>,
    /// Why.
    pub comment: String,
}

/// One reviewer cell's new content.
enum Value<'a> {
    Text(&'a str),
    Day(i64),
}

impl Answer {
    /// The five reviewer cells, in column order; `None` leaves a cell as it is.
    fn cells(&self) -> [Option<Value<'_>>; 5] {
        fn text(s: &str) -> Option<Value<'_>> {
            (!s.is_empty()).then_some(Value::Text(s))
        }
        // Excel's day serial: days since 1899-12-30 (right for every day after 1900-02-28).
        let serial = self
            .date
            .and_then(|d| jiff::civil::date(1899, 12, 30).until(d).ok())
            .map(|span| Value::Day(i64::from(span.get_days())));
        [
            text(&self.decision),
            text(&self.modify_to),
            text(&self.reviewer),
            serial,
            text(&self.comment),
        ]
    }
}

/// Why a workbook could not be filled in.
#[derive(Debug, thiserror::Error)]
pub enum FillError {
    /// Not a zip package, or one that cannot be read or written.
    #[error(
        "the workbook is not a readable xlsx package; give the access-review.xlsx a report wrote"
    )]
    Package(#[source] zip::result::ZipError),
    /// A part of the package could not be read.
    #[error(
        "the workbook's part {part} cannot be read; give the access-review.xlsx a report wrote"
    )]
    Part {
        /// The part's name.
        part: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The package is not shaped like the workbook `report` writes.
    #[error("the workbook {0}; give the access-review.xlsx a report wrote")]
    Shape(String),
    /// An answer names a grant no row has.
    #[error("no Access Review row has the Grant id {0}; answer only grants of this report")]
    UnknownGrant(String),
    /// Two answers for one grant.
    #[error("the Grant id {0} is answered twice; give one answer a grant")]
    Twice(String),
    /// Text a cell cannot hold.
    #[error("the {column} answer for {grant_id} holds a control character; remove it")]
    Text {
        /// The grant.
        grant_id: String,
        /// The column.
        column: &'static str,
    },
}

/// The workbook `xlsx` with `answers` filled into its Access Review sheet.
///
/// # Errors
/// [`FillError`]: not a workbook `report` wrote, an answer for a grant it lacks or twice, or
/// text a cell cannot hold.
pub fn fill(xlsx: &[u8], answers: &[Answer]) -> Result<Vec<u8>, FillError> {
    let mut by_grant: BTreeMap<&str, &Answer> = BTreeMap::new();
    for a in answers {
        if by_grant.insert(a.grant_id.as_str(), a).is_some() {
            return Err(FillError::Twice(a.grant_id.clone()));
        }
        let texts = [
            ("Decision", &a.decision),
            ("Modify to", &a.modify_to),
            ("Reviewer", &a.reviewer),
            ("Comment", &a.comment),
        ];
        for (column, text) in texts {
            if text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            {
                return Err(FillError::Text {
                    grant_id: a.grant_id.clone(),
                    column,
                });
            }
        }
    }
    let mut archive = ZipArchive::new(Cursor::new(xlsx)).map_err(FillError::Package)?;
    let part = sheet_part(&mut archive)?;
    let xml = read_part(&mut archive, &part)?;
    let (filled, done) = fill_sheet(&xml, &by_grant)?;
    if let Some(missing) = by_grant.keys().find(|g| !done.contains(**g)) {
        return Err(FillError::UnknownGrant((*missing).to_string()));
    }
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).map_err(FillError::Package)?;
        let name = file.name().map_err(FillError::Package)?.into_owned();
        if name == part {
            let mut options = SimpleFileOptions::default().compression_method(file.compression());
            if let Some(t) = file.last_modified() {
                options = options.last_modified_time(t);
            }
            drop(file);
            out.start_file(name.as_str(), options)
                .map_err(FillError::Package)?;
            out.write_all(filled.as_bytes())
                .map_err(|source| FillError::Part { part: name, source })?;
        } else {
            out.raw_copy_file(file).map_err(FillError::Package)?;
        }
    }
    Ok(out.finish().map_err(FillError::Package)?.into_inner())
}

fn read_part(archive: &mut ZipArchive<Cursor<&[u8]>>, part: &str) -> Result<String, FillError> {
    let mut file = archive
        .by_name(part)
        .map_err(|_| FillError::Shape(format!("has no part {part}")))?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|source| FillError::Part {
            part: part.to_string(),
            source,
        })?;
    Ok(text)
}

/// The package part of the Access Review sheet, through `xl/workbook.xml` and its relations.
fn sheet_part(archive: &mut ZipArchive<Cursor<&[u8]>>) -> Result<String, FillError> {
    let book = read_part(archive, "xl/workbook.xml")?;
    let rel = tags(&book, "sheet")
        .into_iter()
        .find(|t| attr(t, "name").map(unescape).as_deref() == Some(ACCESS_REVIEW_SHEET))
        .and_then(|t| attr(t, "r:id"))
        .ok_or_else(|| FillError::Shape(format!("has no {ACCESS_REVIEW_SHEET} sheet")))?
        .to_string();
    let rels = read_part(archive, "xl/_rels/workbook.xml.rels")?;
    let target = tags(&rels, "Relationship")
        .into_iter()
        .find(|t| attr(t, "Id") == Some(rel.as_str()))
        .and_then(|t| attr(t, "Target"))
        .ok_or_else(|| FillError::Shape(format!("names no part for the relation {rel}")))?;
    Ok(match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("xl/{target}"),
    })
}

/// The opening tags `<name ...>` in `xml`, each without its `<` and `>`.
fn tags<'x>(xml: &'x str, name: &str) -> Vec<&'x str> {
    let open = format!("<{name}");
    xml.match_indices(open.as_str())
        .filter_map(|(at, _)| {
            let rest = &xml[at + open.len()..];
            if !rest.starts_with([' ', '>', '/', '\n', '\t', '\r']) {
                return None;
            }
            rest.find('>')
                .map(|end| &xml[at + 1..at + open.len() + end])
        })
        .collect()
}

/// An attribute's raw value in a tag.
fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A cell reference's 0-based column (`AB12` → 27).
fn column_of(reference: &str) -> Option<u32> {
    let letters: String = reference
        .chars()
        .take_while(char::is_ascii_uppercase)
        .collect();
    if letters.is_empty() {
        return None;
    }
    letters
        .bytes()
        .try_fold(0u32, |n, b| {
            n.checked_mul(26)?.checked_add(u32::from(b - b'A') + 1)
        })
        .map(|n| n - 1)
}

/// The 0-based column's letters (27 → `AB`).
fn letters(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// One `<c>` element in a row: its column and its bytes.
struct Cell<'x> {
    col: u32,
    xml: &'x str,
}

/// The cells of a row's inner XML, in order.
fn cells(inner: &str) -> Result<Vec<Cell<'_>>, FillError> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = inner[at..].find("<c") {
        let start = at + found;
        let rest = &inner[start..];
        if !rest[2..].starts_with([' ', '>', '/']) {
            at = start + 2;
            continue;
        }
        let tag_end = rest
            .find('>')
            .ok_or_else(|| FillError::Shape("has a cell that does not end".into()))?;
        let len = if rest[..tag_end].ends_with('/') {
            tag_end + 1
        } else {
            rest.find("</c>")
                .ok_or_else(|| FillError::Shape("has a cell that does not end".into()))?
                + "</c>".len()
        };
        let col = attr(&rest[..tag_end], "r")
            .and_then(column_of)
            .ok_or_else(|| FillError::Shape("has a cell without a reference".into()))?;
        out.push(Cell {
            col,
            xml: &rest[..len],
        });
        at = start + len;
    }
    Ok(out)
}

/// The text an inline-string cell holds.
fn inline_text(cell: &str) -> String {
    let mut out = String::new();
    let mut rest = cell;
    while let Some(at) = rest.find("<t") {
        rest = &rest[at + 2..];
        if !rest.starts_with(['>', ' ']) {
            continue;
        }
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let Some(close) = rest.find("</t>") else {
            break;
        };
        out.push_str(&unescape(&rest[open_end + 1..close]));
        rest = &rest[close..];
    }
    out
}

/// The style each 0-based column carries in `<cols>`.
fn column_styles(xml: &str) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    for tag in tags(xml, "col") {
        let num = |k: &str| attr(tag, k).and_then(|v| v.parse::<u32>().ok());
        if let (Some(min), Some(max), Some(style)) = (num("min"), num("max"), attr(tag, "style")) {
            for c in min.max(1)..=max.min(16_384) {
                out.insert(c - 1, style.to_string());
            }
        }
    }
    out
}

/// A row element: where it starts, its opening tag, its inner XML, and where it ends.
struct Row<'x> {
    start: usize,
    open: &'x str,
    inner: &'x str,
    end: usize,
}

fn rows(xml: &str) -> Result<Vec<Row<'_>>, FillError> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = xml[at..].find("<row") {
        let start = at + found;
        let rest = &xml[start..];
        if !rest[4..].starts_with([' ', '>']) {
            at = start + 4;
            continue;
        }
        let tag_end = rest
            .find('>')
            .ok_or_else(|| FillError::Shape("has a row that does not end".into()))?;
        let open = &rest[..=tag_end];
        let (inner, len) = if open.ends_with("/>") {
            ("", tag_end + 1)
        } else {
            let close = rest
                .find("</row>")
                .ok_or_else(|| FillError::Shape("has a row that does not end".into()))?;
            (&rest[tag_end + 1..close], close + "</row>".len())
        };
        out.push(Row {
            start,
            open,
            inner,
            end: start + len,
        });
        at = start + len;
    }
    Ok(out)
}

/// The sheet with the answers filled in, and the grants that were found.
fn fill_sheet(
    xml: &str,
    answers: &BTreeMap<&str, &Answer>,
) -> Result<(String, BTreeSet<String>), FillError> {
    let rows = rows(xml)?;
    let header = rows
        .first()
        .ok_or_else(|| FillError::Shape(format!("has an empty {ACCESS_REVIEW_SHEET} sheet")))?;
    let named: BTreeMap<String, u32> = cells(header.inner)?
        .iter()
        .map(|c| (inline_text(c.xml), c.col))
        .collect();
    let column = |name: &str| {
        named.get(name).copied().ok_or_else(|| {
            FillError::Shape(format!(
                "has no {name} column in its {ACCESS_REVIEW_SHEET} sheet"
            ))
        })
    };
    let grant_col = column(HEADERS[0])?;
    let reviewer_cols = REVIEWER_COLUMNS.map(column);
    let reviewer_cols: Vec<u32> = reviewer_cols.into_iter().collect::<Result<_, _>>()?;
    let styles = column_styles(xml);
    let mut out = String::with_capacity(xml.len() + answers.len() * 300);
    let mut copied = 0;
    let mut done = BTreeSet::new();
    for row in &rows[1..] {
        let cells = cells(row.inner)?;
        let Some(grant) = cells
            .iter()
            .find(|c| c.col == grant_col)
            .map(|c| inline_text(c.xml))
        else {
            continue;
        };
        let Some(answer) = answers.get(grant.as_str()) else {
            continue;
        };
        let number = attr(row.open, "r")
            .ok_or_else(|| FillError::Shape("has a row without a number".into()))?;
        let mut merged: Vec<(u32, String)> = cells
            .iter()
            .filter(|c| !reviewer_cols.contains(&c.col))
            .map(|c| (c.col, c.xml.to_string()))
            .collect();
        for (col, value) in reviewer_cols.iter().zip(answer.cells()) {
            let kept = cells.iter().find(|c| c.col == *col);
            let xml = match (value, kept) {
                (Some(v), _) => new_cell(*col, number, styles.get(col), &v),
                (None, Some(c)) => c.xml.to_string(),
                (None, None) => continue,
            };
            merged.push((*col, xml));
        }
        merged.sort_by_key(|(col, _)| *col);
        out.push_str(&xml[copied..row.start]);
        out.push_str(&widen_spans(row.open, merged.last().map_or(0, |(c, _)| *c)));
        if row.open.ends_with("/>") {
            // An empty row element `<row .../>` becomes `<row ...>cells</row>`.
            out.truncate(out.len() - 2);
            out.push('>');
        }
        merged.iter().for_each(|(_, c)| out.push_str(c));
        out.push_str("</row>");
        copied = row.end;
        done.insert(grant);
    }
    out.push_str(&xml[copied..]);
    Ok((out, done))
}

/// A row's opening tag with its `spans` hint reaching the 0-based column `last`.
fn widen_spans(open: &str, last: u32) -> String {
    let Some(spans) = attr(open, "spans") else {
        return open.to_string();
    };
    match spans.split_once(':').map(|(a, b)| (a, b.parse::<u32>())) {
        Some((first, Ok(end))) if end < last + 1 => open.replacen(
            &format!(" spans=\"{spans}\""),
            &format!(" spans=\"{first}:{}\"", last + 1),
            1,
        ),
        _ => open.to_string(),
    }
}

fn new_cell(col: u32, row: &str, style: Option<&String>, value: &Value<'_>) -> String {
    let reference = format!("{}{row}", letters(col));
    let style = style.map(|s| format!(" s=\"{s}\"")).unwrap_or_default();
    match value {
        Value::Day(serial) => format!("<c r=\"{reference}\"{style}><v>{serial}</v></c>"),
        Value::Text(text) => {
            let space = if text.trim() != *text || text.contains('\n') {
                " xml:space=\"preserve\""
            } else {
                ""
            };
            format!(
                "<c r=\"{reference}\"{style} t=\"inlineStr\"><is><t{space}>{}</t></is></c>",
                escape(text)
            )
        }
    }
}

#[cfg(test)]
mod tests;

//! The row cursor: writes a sheet's cells left to right and rows top to bottom, measuring every
//! column as it goes, either straight into the worksheet or recorded, to be written into it
//! later in order (so that rows can be made on other threads while a sheet is written).

use std::borrow::Cow;

use jiff::Timestamp;
use jiff::civil::Date;
use rust_xlsxwriter::{Worksheet, XlsxError};

use super::{EXCEL_CELL, MAX_WIDTH, Style, Styles};
use crate::report::cell::neutralise;
use crate::report::identity::{CheckedCell, RowCheck};
use crate::rules::Severity;

/// Where a cursor's cells go: straight into the worksheet, or into a list of cells written
/// into it later, in order ([`Recorded::write`]), so that rows can be made on other threads.
enum Out<'w> {
    Sheet(&'w mut Worksheet),
    Record(Vec<RecordedCell>),
}

/// A cell made but not yet written: where, what and in which style.
struct RecordedCell {
    row: u32,
    col: u16,
    value: Value,
    style: Style,
}

enum Value {
    Text(String),
    Number(f64),
}

/// A stretch of rows made by a recording cursor: its cells, and the widths they measured.
pub(super) struct Recorded {
    cells: Vec<RecordedCell>,
    /// The widest cell of each column, in characters.
    pub(super) widths: Vec<usize>,
}

impl Recorded {
    /// Writes the cells into the sheet, in the order they were made.
    pub(super) fn write(self, sheet: &mut Worksheet, styles: &Styles) -> Written {
        for c in self.cells {
            put(sheet, styles, c.row, c.col, c.value, c.style)?;
        }
        Ok(())
    }
}

/// One cell into the worksheet, in its style's format (none for `Plain`).
fn put(
    sheet: &mut Worksheet,
    styles: &Styles,
    row: u32,
    col: u16,
    value: Value,
    style: Style,
) -> Written {
    match (value, styles.get(style)) {
        // Always a string: text that looks like a formula stays text.
        (Value::Text(t), Some(format)) => sheet.write_string_with_format(row, col, t, format),
        (Value::Text(t), None) => sheet.write_string(row, col, t),
        (Value::Number(n), Some(format)) => sheet.write_number_with_format(row, col, n, format),
        (Value::Number(n), None) => sheet.write_number(row, col, n),
    }?;
    Ok(())
}

/// A cursor over a sheet's rows: writes cells left to right, rows top to bottom, and measures
/// every column as it goes.
pub(super) struct Sheet<'w> {
    out: Out<'w>,
    styles: &'w Styles,
    row: u32,
    col: u16,
    pub(super) widths: Vec<usize>,
    /// Whether text wider than a column wraps (data sheets) or runs on (the Summary).
    pub(super) wrap_long: bool,
    /// The row check of the sheet's rows, once one is begun.
    check: Option<RowCheck>,
    /// Whether the cells being written are fed into `check`.
    checking: bool,
}

pub(super) type Written = Result<(), XlsxError>;

impl<'w> Sheet<'w> {
    pub(super) fn new(sheet: &'w mut Worksheet, styles: &'w Styles) -> Self {
        Sheet::over(Out::Sheet(sheet), styles, 0)
    }

    /// A cursor that keeps its cells ([`Sheet::recorded`]) for rows from `row` on.
    pub(super) fn recording(styles: &'w Styles, row: u32) -> Self {
        Sheet::over(Out::Record(Vec::new()), styles, row)
    }

    /// The cells a recording cursor made, and their widths.
    pub(super) fn recorded(self) -> Recorded {
        let cells = match self.out {
            Out::Record(cells) => cells,
            Out::Sheet(_) => Vec::new(),
        };
        Recorded {
            cells,
            widths: self.widths,
        }
    }

    fn over(out: Out<'w>, styles: &'w Styles, row: u32) -> Self {
        Sheet {
            out,
            styles,
            row,
            col: 0,
            widths: Vec::new(),
            wrap_long: true,
            check: None,
            checking: false,
        }
    }

    /// Starts a row check with `check` (a [`RowCheck::new`] of the report, kept for the
    /// sheet's later rows): the cells written until [`Sheet::end_check`] are fed into it.
    pub(super) fn begin_check(&mut self, check: &RowCheck) {
        self.check.get_or_insert_with(|| check.clone());
        self.checking = true;
    }

    /// The check value of the cells written since [`Sheet::begin_check`].
    pub(super) fn end_check(&mut self) -> String {
        self.checking = false;
        self.check
            .as_mut()
            .map(RowCheck::finish)
            .unwrap_or_default()
    }

    pub(super) fn checked(&mut self, cell: CheckedCell<'_>) {
        if let Some(check) = self.check.as_mut().filter(|_| self.checking) {
            check.cell(cell);
        }
    }

    /// The header row, in the header style (the reviewer style from `reviewer_from` on).
    pub(super) fn header(&mut self, headers: &[String], reviewer_from: usize) -> Written {
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

    pub(super) fn next_row(&mut self) {
        self.row += 1;
        self.col = 0;
    }

    pub(super) fn skip(&mut self, cells: u16) {
        for _ in 0..cells {
            self.checked(CheckedCell::Text(""));
        }
        self.col += cells;
    }

    pub(super) fn measure(&mut self, chars: usize) {
        let col = usize::from(self.col);
        if self.widths.len() <= col {
            self.widths.resize(col + 1, 0);
        }
        self.widths[col] = self.widths[col].max(chars.min(MAX_WIDTH));
    }

    /// A text cell: neutralised, cut to Excel's limit with a note, wrapped when long.
    pub(super) fn text(&mut self, text: &str) -> Written {
        self.styled(text, Style::Plain)
    }

    pub(super) fn styled(&mut self, text: &str, style: Style) -> Written {
        self.styled_cow(Cow::Borrowed(text), style)
    }

    /// A text cell made for the row: moved into the sheet, not copied.
    pub(super) fn owned(&mut self, text: String) -> Written {
        self.styled_cow(Cow::Owned(text), Style::Plain)
    }

    pub(super) fn styled_cow(&mut self, text: Cow<'_, str>, style: Style) -> Written {
        if !text.is_empty() {
            let neutral = match neutralise(&text) {
                Cow::Borrowed(_) => text,
                Cow::Owned(n) => Cow::Owned(n),
            };
            let cell = match fit(&neutral) {
                Cow::Borrowed(_) => neutral.into_owned(),
                Cow::Owned(cut) => cut,
            };
            let chars = width(&cell);
            self.measure(chars);
            self.checked(CheckedCell::Text(&cell));
            let long = self.wrap_long && chars > MAX_WIDTH;
            let style = match style {
                Style::Plain if long => Style::Wrap,
                other => other,
            };
            self.emit(Value::Text(cell), style)?;
        } else {
            self.checked(CheckedCell::Text(""));
        }
        self.col += 1;
        Ok(())
    }

    /// The cell at the cursor, into the sheet or the record.
    fn emit(&mut self, value: Value, style: Style) -> Written {
        let (row, col) = (self.row, self.col);
        match &mut self.out {
            Out::Sheet(sheet) => put(sheet, self.styles, row, col, value, style),
            Out::Record(cells) => {
                cells.push(RecordedCell {
                    row,
                    col,
                    value,
                    style,
                });
                Ok(())
            }
        }
    }

    /// A bold label.
    pub(super) fn label(&mut self, text: &str) -> Written {
        self.styled(text, Style::Label)
    }

    pub(super) fn number(&mut self, n: f64) -> Written {
        self.measure(n.to_string().len());
        self.checked(CheckedCell::Number(n));
        self.emit(Value::Number(n), Style::Plain)?;
        self.col += 1;
        Ok(())
    }

    /// A count, as a number.
    pub(super) fn count(&mut self, n: impl Into<u64>) -> Written {
        self.number(n.into() as f64)
    }

    /// An Excel serial in a date style, measured as `width` characters.
    pub(super) fn dated(&mut self, serial: f64, style: Style, width: usize) -> Written {
        self.measure(width);
        self.checked(CheckedCell::Number(serial));
        self.emit(Value::Number(serial), style)?;
        self.col += 1;
        Ok(())
    }

    /// A date-time cell, or `otherwise` as text when there is no moment (or Excel cannot
    /// hold it).
    pub(super) fn time_or(&mut self, at: Option<Timestamp>, otherwise: &str) -> Written {
        match (at, at.and_then(time_serial)) {
            (_, Some(serial)) => self.dated(serial, Style::Time, 16),
            (Some(t), None) => self.text(&t.to_string()),
            (None, None) => self.text(otherwise),
        }
    }

    /// A date cell, or nothing.
    pub(super) fn day(&mut self, day: Option<Date>) -> Written {
        match (day, day.and_then(date_serial)) {
            (_, Some(serial)) => self.dated(serial, Style::Day, 10),
            (Some(d), None) => self.text(&d.to_string()),
            (None, None) => {
                self.skip(1);
                Ok(())
            }
        }
    }

    /// A severity, in its colour, or nothing.
    pub(super) fn severity(&mut self, severity: Option<Severity>) -> Written {
        match severity {
            Some(s) => self.styled(s.as_str(), Style::severity(s)),
            None => {
                self.skip(1);
                Ok(())
            }
        }
    }
}

/// Excel's serial day number of a date (1900 date system), if Excel can show it.
pub(super) fn date_serial(d: Date) -> Option<f64> {
    let days = d.since(jiff::civil::date(1899, 12, 30)).ok()?.get_days();
    // Serials before 1900-03-01 are off by Excel's phantom 1900-02-29.
    (61..=2_958_465).contains(&days).then_some(f64::from(days))
}

/// Excel's serial of a moment (UTC), if Excel can show it.
pub(super) fn time_serial(t: Timestamp) -> Option<f64> {
    let serial = t.as_second() as f64 / 86_400.0 + 25_569.0;
    (61.0..2_958_466.0).contains(&serial).then_some(serial)
}

/// The characters in the text, counted up to `MAX_WIDTH + 1`.
pub(super) fn width(text: &str) -> usize {
    let limit = MAX_WIDTH + 1;
    let head = &text.as_bytes()[..text.len().min(limit)];
    // Most text is ASCII, where the bytes are the characters.
    if head.is_ascii() {
        head.len()
    } else {
        text.chars().take(limit).count()
    }
}

/// The text cut to fit a cell, with a note saying so; the text itself when it fits.
pub(super) fn fit(text: &str) -> Cow<'_, str> {
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

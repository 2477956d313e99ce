//! A SpreadsheetML (`.xlsx`) writer made for big, plain, styled tables: rows are written as
//! XML into buffers that can be filled and deflated on any thread, and a package is assembled
//! from each sheet's head, its row pieces in order, and its tail.
//!
//! What it writes is the subset a review workbook needs: inline strings and numbers, a fixed
//! list of cell styles, column widths and column styles, a frozen header row, an autofilter,
//! expression conditional formats, list and date validations, and sheet protection. Text is
//! escaped for XML, and control characters (which XML cannot hold) as `_xHHHH_`, as Excel does.

mod zip;

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::civil::Date;

pub use zip::Piece;

/// Rows in a sheet, the header included.
pub const MAX_ROWS: u32 = 1_048_576;
/// Columns in a sheet.
pub const MAX_COLS: u16 = 16_384;

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// A cell style. Style `i` of the list given to [`package`] is cell format `i + 1` (0 is the
/// default).
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    pub bold: bool,
    /// Font size in points; 11 when not given.
    pub size: Option<u8>,
    pub font_rgb: Option<u32>,
    pub fill_rgb: Option<u32>,
    pub border_bottom: bool,
    pub wrap: bool,
    pub num_format: Option<&'static str>,
    /// An editable cell on a protected sheet.
    pub unlocked: bool,
}

/// Writes `styles.xml`: fonts, fills and number formats shared by `styles`, then one cell
/// format per style, and one differential format (a fill) per `dxf_fills` colour.
fn styles_xml(styles: &[Style], dxf_fills: &[u32]) -> String {
    let font = |s: &Style| (s.bold, s.size.unwrap_or(11), s.font_rgb);
    let mut fonts = vec![(false, 11, None)];
    let mut fills: Vec<u32> = Vec::new();
    let mut formats: Vec<&str> = Vec::new();
    for s in styles {
        if !fonts.contains(&font(s)) {
            fonts.push(font(s));
        }
        if let Some(rgb) = s.fill_rgb.filter(|rgb| !fills.contains(rgb)) {
            fills.push(rgb);
        }
        if let Some(f) = s.num_format.filter(|f| !formats.contains(f)) {
            formats.push(f);
        }
    }
    let mut x = String::from(XML_DECL);
    let _ = write!(x, "<styleSheet xmlns=\"{MAIN_NS}\">");
    if !formats.is_empty() {
        let _ = write!(x, "<numFmts count=\"{}\">", formats.len());
        for (i, f) in formats.iter().enumerate() {
            let _ = write!(
                x,
                "<numFmt numFmtId=\"{}\" formatCode=\"{}\"/>",
                164 + i,
                attr(f)
            );
        }
        x.push_str("</numFmts>");
    }
    let _ = write!(x, "<fonts count=\"{}\">", fonts.len());
    for (bold, size, rgb) in &fonts {
        x.push_str("<font>");
        if *bold {
            x.push_str("<b/>");
        }
        let _ = write!(x, "<sz val=\"{size}\"/>");
        if let Some(rgb) = rgb {
            let _ = write!(x, "<color rgb=\"FF{rgb:06X}\"/>");
        }
        x.push_str("<name val=\"Calibri\"/><family val=\"2\"/></font>");
    }
    let _ = write!(
        x,
        "</fonts><fills count=\"{}\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill>",
        fills.len() + 2
    );
    for rgb in &fills {
        let _ = write!(
            x,
            "<fill><patternFill patternType=\"solid\"><fgColor rgb=\"FF{rgb:06X}\"/><bgColor indexed=\"64\"/></patternFill></fill>"
        );
    }
    x.push_str("</fills><borders count=\"2\"><border><left/><right/><top/><bottom/><diagonal/></border><border><left/><right/><top/><bottom style=\"thin\"><color auto=\"1\"/></bottom><diagonal/></border></borders>");
    x.push_str("<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>");
    let _ = write!(
        x,
        "<cellXfs count=\"{}\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>",
        styles.len() + 1
    );
    for s in styles {
        let num = s
            .num_format
            .and_then(|f| formats.iter().position(|g| *g == f))
            .map_or(0, |i| 164 + i);
        let font_id = fonts.iter().position(|f| *f == font(s)).unwrap_or(0);
        let fill_id = s
            .fill_rgb
            .and_then(|rgb| fills.iter().position(|f| *f == rgb))
            .map_or(0, |i| i + 2);
        let border_id = usize::from(s.border_bottom);
        let _ = write!(
            x,
            "<xf numFmtId=\"{num}\" fontId=\"{font_id}\" fillId=\"{fill_id}\" borderId=\"{border_id}\" xfId=\"0\""
        );
        for (on, name) in [
            (num != 0, "applyNumberFormat"),
            (font_id != 0, "applyFont"),
            (fill_id != 0, "applyFill"),
            (border_id != 0, "applyBorder"),
            (s.wrap, "applyAlignment"),
            (s.unlocked, "applyProtection"),
        ] {
            if on {
                let _ = write!(x, " {name}=\"1\"");
            }
        }
        if !s.wrap && !s.unlocked {
            x.push_str("/>");
            continue;
        }
        x.push('>');
        if s.wrap {
            x.push_str("<alignment vertical=\"top\" wrapText=\"1\"/>");
        }
        if s.unlocked {
            x.push_str("<protection locked=\"0\"/>");
        }
        x.push_str("</xf>");
    }
    x.push_str("</cellXfs><cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>");
    let _ = write!(x, "<dxfs count=\"{}\">", dxf_fills.len());
    for rgb in dxf_fills {
        let _ = write!(
            x,
            "<dxf><fill><patternFill><bgColor rgb=\"FF{rgb:06X}\"/></patternFill></fill></dxf>"
        );
    }
    x.push_str("</dxfs></styleSheet>");
    x
}

/// A cell beyond the last row or column a sheet can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfSheet {
    pub row: u32,
    pub col: u16,
}

impl std::fmt::Display for OutOfSheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cell at row {} column {} is beyond a sheet's {MAX_ROWS} rows and {MAX_COLS} columns",
            u64::from(self.row) + 1,
            u32::from(self.col) + 1
        )
    }
}

impl std::error::Error for OutOfSheet {}

/// `<sheetData>` rows being written: cells in row order, left to right. A cell right after the
/// one before it in its row leaves out its reference, as the format allows: readers place it
/// next. That is a tenth of a big sheet's XML.
#[derive(Default)]
pub struct Rows {
    xml: Vec<u8>,
    open: Option<u32>,
    /// The column a cell without a reference would take.
    next_col: u16,
}

impl Rows {
    /// Rows with room for `bytes` of XML before they have to grow.
    pub fn with_capacity(bytes: usize) -> Self {
        Rows {
            xml: Vec::with_capacity(bytes),
            ..Rows::default()
        }
    }

    /// Opens the cell's row (closing the one before) and writes `<c r="A1"`.
    fn cell(&mut self, row: u32, col: u16, xf: u16) -> Result<(), OutOfSheet> {
        if row >= MAX_ROWS || col >= MAX_COLS {
            return Err(OutOfSheet { row, col });
        }
        if self.open != Some(row) {
            if self.open.is_some() {
                self.xml.extend_from_slice(b"</row>");
            }
            self.xml.extend_from_slice(b"<row r=\"");
            push_u64(&mut self.xml, u64::from(row) + 1);
            self.xml.extend_from_slice(b"\">");
            self.open = Some(row);
            self.next_col = 0;
        }
        if col == self.next_col {
            self.xml.extend_from_slice(b"<c");
        } else {
            self.xml.extend_from_slice(b"<c r=\"");
            push_column(&mut self.xml, col);
            push_u64(&mut self.xml, u64::from(row) + 1);
            self.xml.push(b'"');
        }
        self.next_col = col + 1;
        if xf != 0 {
            self.xml.extend_from_slice(b" s=\"");
            push_u64(&mut self.xml, u64::from(xf));
            self.xml.push(b'"');
        }
        Ok(())
    }

    /// A text cell, as an inline string.
    pub fn string(&mut self, row: u32, col: u16, text: &str, xf: u16) -> Result<(), OutOfSheet> {
        self.cell(row, col, xf)?;
        let edge = |c: Option<char>| c.is_some_and(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        if edge(text.chars().next()) || edge(text.chars().next_back()) {
            self.xml
                .extend_from_slice(b" t=\"inlineStr\"><is><t xml:space=\"preserve\">");
        } else {
            self.xml.extend_from_slice(b" t=\"inlineStr\"><is><t>");
        }
        escape_text(&mut self.xml, text);
        self.xml.extend_from_slice(b"</t></is></c>");
        Ok(())
    }

    /// A number cell; a value that is not finite is written as text.
    pub fn number(&mut self, row: u32, col: u16, n: f64, xf: u16) -> Result<(), OutOfSheet> {
        if !n.is_finite() {
            return self.string(row, col, &n.to_string(), xf);
        }
        self.cell(row, col, xf)?;
        self.xml.extend_from_slice(b"><v>");
        if n.fract() == 0.0 && n.abs() < 1e15 {
            if n < 0.0 {
                self.xml.push(b'-');
            }
            push_u64(&mut self.xml, n.abs() as u64);
        } else {
            self.xml.extend_from_slice(n.to_string().as_bytes());
        }
        self.xml.extend_from_slice(b"</v></c>");
        Ok(())
    }

    /// The rows' XML.
    pub fn finish(mut self) -> Vec<u8> {
        if self.open.is_some() {
            self.xml.extend_from_slice(b"</row>");
        }
        self.xml
    }
}

/// The rows' XML deflated as one piece of a sheet (see [`Sheet::body`]).
pub fn deflate_rows(rows: Rows) -> Piece {
    zip::deflate(&rows.finish(), false)
}

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Appends a column's letters: 0 → `A`, 25 → `Z`, 26 → `AA`.
fn push_column(out: &mut Vec<u8>, col: u16) {
    let mut letters = [0u8; 3];
    let mut at = letters.len();
    let mut n = u32::from(col) + 1;
    while n > 0 {
        at -= 1;
        letters[at] = b'A' + ((n - 1) % 26) as u8;
        n = (n - 1) / 26;
    }
    out.extend_from_slice(&letters[at..]);
}

/// A column's letters.
pub fn column_name(col: u16) -> String {
    let mut out = Vec::with_capacity(3);
    push_column(&mut out, col);
    String::from_utf8(out).unwrap_or_default()
}

/// A cell reference such as `B7` (row and column from 0).
fn cell_ref(row: u32, col: u16) -> String {
    format!("{}{}", column_name(col), u64::from(row) + 1)
}

/// Escapes text for an element's content: the three markup characters, control characters
/// as `_xHHHH_`, and a literal `_xHHHH_` by escaping its underscore, so Excel reads back what
/// was written.
fn escape_text(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: Option<&[u8]> = match b {
            b'&' => Some(b"&amp;"),
            b'<' => Some(b"&lt;"),
            b'>' => Some(b"&gt;"),
            b'\t' | b'\n' => None,
            0..=0x1F => {
                out.extend_from_slice(&bytes[from..i]);
                let _ = write!(Hex(out), "_x{b:04X}_");
                from = i + 1;
                continue;
            }
            b'_' if is_escape_like(&bytes[i..]) => Some(b"_x005F_"),
            // U+FFFE and U+FFFF are not XML characters: EF BF BE / EF BF BF.
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBF, 0xBE])
                || bytes[i..].starts_with(&[0xEF, 0xBF, 0xBF]) =>
            {
                out.extend_from_slice(&bytes[from..i]);
                let unit = if bytes[i + 2] == 0xBE { 0xFFFE } else { 0xFFFF };
                let _ = write!(Hex(out), "_x{unit:04X}_");
                from = i + 3;
                continue;
            }
            _ => None,
        };
        if let Some(escaped) = escaped {
            out.extend_from_slice(&bytes[from..i]);
            out.extend_from_slice(escaped);
            from = i + 1;
        }
    }
    out.extend_from_slice(&bytes[from..]);
}

/// Whether the bytes start with `_xHHHH_`.
fn is_escape_like(bytes: &[u8]) -> bool {
    bytes.len() >= 7
        && bytes[1] == b'x'
        && bytes[2..6].iter().all(u8::is_ascii_hexdigit)
        && bytes[6] == b'_'
}

/// `fmt::Write` into a byte buffer.
struct Hex<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Hex<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Escapes text for an attribute value.
fn attr(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    escape_text(&mut out, text);
    String::from_utf8(out)
        .unwrap_or_default()
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
}

/// A rectangle of cells, rows and columns from 0.
#[derive(Clone, Copy, Debug)]
pub struct Area {
    pub first_row: u32,
    pub first_col: u16,
    pub last_row: u32,
    pub last_col: u16,
}

impl Area {
    fn a1(&self) -> String {
        format!(
            "{}:{}",
            cell_ref(self.first_row, self.first_col),
            cell_ref(self.last_row, self.last_col)
        )
    }

    /// `$A$1:$B$2`, for a defined name.
    fn absolute(&self) -> String {
        format!(
            "${}${}:${}${}",
            column_name(self.first_col),
            u64::from(self.first_row) + 1,
            column_name(self.last_col),
            u64::from(self.last_row) + 1
        )
    }
}

/// A column's width in characters, and the style its empty cells take.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub width: f64,
    /// A style index as given to [`Rows`] (0 for none).
    pub style: u16,
}

/// What a validated range accepts.
#[derive(Clone, Debug)]
pub enum Accept {
    /// One of these words.
    List(Vec<&'static str>),
    /// A date from the first to the second, inclusive.
    DateBetween(Date, Date),
}

/// A data validation with its input prompt and error alert.
#[derive(Clone, Debug)]
pub struct Validation {
    pub area: Area,
    pub accept: Accept,
    pub input_title: &'static str,
    pub input_message: &'static str,
    pub error_title: &'static str,
    pub error_message: &'static str,
}

/// A conditional format: cells where `formula` (relative to the area's top-left cell, no
/// leading `=`) is true take differential format `dxf`.
#[derive(Clone, Debug)]
pub struct Highlight {
    pub area: Area,
    pub formula: String,
    pub dxf: u32,
}

/// A sheet's layout and controls; its rows are written apart.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub name: String,
    pub columns: Vec<Column>,
    /// The last cell written, for the sheet's dimension.
    pub last_cell: Option<(u32, u16)>,
    pub freeze_first_row: bool,
    pub autofilter: Option<Area>,
    pub highlights: Vec<Highlight>,
    pub validations: Vec<Validation>,
    /// Protected without a password; sorting, filtering and resizing stay allowed.
    pub protected: bool,
}

/// Excel's serial day number of a date (1900 date system), if Excel can show it.
pub fn date_serial(d: Date) -> Option<f64> {
    let days = d.since(jiff::civil::date(1899, 12, 30)).ok()?.get_days();
    // Serials before 1900-03-01 are off by Excel's phantom 1900-02-29.
    (61..=2_958_465).contains(&days).then_some(f64::from(days))
}

/// Excel's serial of a moment (UTC), if Excel can show it.
pub fn time_serial(t: Timestamp) -> Option<f64> {
    let serial = t.as_second() as f64 / 86_400.0 + 25_569.0;
    (61.0..2_958_466.0).contains(&serial).then_some(serial)
}

impl Layout {
    /// Everything up to and including `<sheetData>`.
    fn head(&self, selected: bool) -> Vec<u8> {
        let mut x = String::from(XML_DECL);
        let _ = write!(x, "<worksheet xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\">");
        let dimension = match self.last_cell {
            Some((row, col)) if (row, col) != (0, 0) => Area {
                first_row: 0,
                first_col: 0,
                last_row: row,
                last_col: col,
            }
            .a1(),
            _ => "A1".to_string(),
        };
        let _ = write!(x, "<dimension ref=\"{dimension}\"/><sheetViews><sheetView");
        if selected {
            x.push_str(" tabSelected=\"1\"");
        }
        x.push_str(" workbookViewId=\"0\"");
        if self.freeze_first_row {
            x.push_str("><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\" activeCell=\"A2\" sqref=\"A2\"/></sheetView>");
        } else {
            x.push_str("/>");
        }
        x.push_str("</sheetViews><sheetFormatPr defaultRowHeight=\"15\"/>");
        if !self.columns.is_empty() {
            x.push_str("<cols>");
            for (i, c) in self.columns.iter().enumerate() {
                // Stored widths carry the cell padding: 5 pixels, a character being 7.
                let width = ((c.width * 7.0 + 5.0) / 7.0 * 256.0).floor() / 256.0;
                let _ = write!(
                    x,
                    "<col min=\"{n}\" max=\"{n}\" width=\"{width}\"",
                    n = i + 1
                );
                if c.style != 0 {
                    let _ = write!(x, " style=\"{}\"", c.style);
                }
                x.push_str(" customWidth=\"1\"/>");
            }
            x.push_str("</cols>");
        }
        x.push_str("<sheetData>");
        x.into_bytes()
    }

    /// Everything after the rows.
    fn tail(&self) -> Vec<u8> {
        let mut x = String::from("</sheetData>");
        if self.protected {
            x.push_str("<sheetProtection sheet=\"1\" objects=\"1\" scenarios=\"1\" formatColumns=\"0\" formatRows=\"0\" sort=\"0\" autoFilter=\"0\"/>");
        }
        if let Some(area) = &self.autofilter {
            let _ = write!(x, "<autoFilter ref=\"{}\"/>", area.a1());
        }
        for (i, h) in self.highlights.iter().enumerate() {
            let _ = write!(
                x,
                "<conditionalFormatting sqref=\"{}\"><cfRule type=\"expression\" dxfId=\"{}\" priority=\"{}\"><formula>{}</formula></cfRule></conditionalFormatting>",
                h.area.a1(),
                h.dxf,
                i + 1,
                attr(&h.formula)
            );
        }
        if !self.validations.is_empty() {
            let _ = write!(x, "<dataValidations count=\"{}\">", self.validations.len());
            for v in &self.validations {
                let kind = match v.accept {
                    Accept::List(_) => "list",
                    Accept::DateBetween(..) => "date",
                };
                let _ = write!(
                    x,
                    "<dataValidation type=\"{kind}\" allowBlank=\"1\" showInputMessage=\"1\" showErrorMessage=\"1\" errorTitle=\"{}\" error=\"{}\" promptTitle=\"{}\" prompt=\"{}\" sqref=\"{}\">",
                    attr(v.error_title),
                    attr(v.error_message),
                    attr(v.input_title),
                    attr(v.input_message),
                    v.area.a1()
                );
                match &v.accept {
                    Accept::List(words) => {
                        let _ = write!(x, "<formula1>\"{}\"</formula1>", attr(&words.join(",")));
                    }
                    Accept::DateBetween(from, to) => {
                        let serial = |d| date_serial(d).unwrap_or(0.0);
                        let _ = write!(
                            x,
                            "<formula1>{}</formula1><formula2>{}</formula2>",
                            serial(*from),
                            serial(*to)
                        );
                    }
                }
                x.push_str("</dataValidation>");
            }
            x.push_str("</dataValidations>");
        }
        x.push_str("<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/></worksheet>");
        x.into_bytes()
    }
}

/// A sheet ready to package: its layout and its rows, deflated in order.
pub struct Sheet {
    pub layout: Layout,
    pub body: Vec<Piece>,
}

/// The document's title, author and moment, pinned so no clock reaches the file.
pub struct Properties<'a> {
    pub title: &'a str,
    pub author: &'a str,
    pub comment: &'a str,
    pub created: Timestamp,
}

/// The `.xlsx` package: `styles` become cell formats 1.., `dxf_fills` differential formats
/// 0.., and the sheets come in order, the first one selected.
pub fn package(
    properties: &Properties<'_>,
    styles: &[Style],
    dxf_fills: &[u32],
    sheets: Vec<Sheet>,
) -> Vec<u8> {
    let mut entries = vec![
        zip::Entry::whole(
            "[Content_Types].xml",
            content_types(sheets.len()).as_bytes(),
        ),
        zip::Entry::whole("_rels/.rels", root_rels().as_bytes()),
        zip::Entry::whole("docProps/app.xml", app_xml().as_bytes()),
        zip::Entry::whole("docProps/core.xml", core_xml(properties).as_bytes()),
        zip::Entry::whole("xl/workbook.xml", workbook_xml(&sheets).as_bytes()),
        zip::Entry::whole(
            "xl/_rels/workbook.xml.rels",
            workbook_rels(sheets.len()).as_bytes(),
        ),
        zip::Entry::whole("xl/styles.xml", styles_xml(styles, dxf_fills).as_bytes()),
    ];
    for (i, sheet) in sheets.into_iter().enumerate() {
        let mut pieces = Vec::with_capacity(sheet.body.len() + 2);
        pieces.push(zip::deflate(&sheet.layout.head(i == 0), false));
        pieces.extend(sheet.body);
        pieces.push(zip::deflate(&sheet.layout.tail(), true));
        entries.push(zip::Entry {
            name: format!("xl/worksheets/sheet{}.xml", i + 1),
            pieces,
        });
    }
    zip::archive(&entries, false)
}

fn content_types(sheets: usize) -> String {
    let mut x = String::from(XML_DECL);
    x.push_str("<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>");
    let part = |x: &mut String, name: &str, kind: &str| {
        let _ = write!(
            x,
            "<Override PartName=\"{name}\" ContentType=\"application/vnd.openxmlformats-{kind}+xml\"/>"
        );
    };
    part(
        &mut x,
        "/docProps/app.xml",
        "officedocument.extended-properties",
    );
    part(&mut x, "/docProps/core.xml", "package.core-properties");
    part(
        &mut x,
        "/xl/workbook.xml",
        "officedocument.spreadsheetml.sheet.main",
    );
    part(
        &mut x,
        "/xl/styles.xml",
        "officedocument.spreadsheetml.styles",
    );
    for i in 1..=sheets {
        part(
            &mut x,
            &format!("/xl/worksheets/sheet{i}.xml"),
            "officedocument.spreadsheetml.worksheet",
        );
    }
    x.push_str("</Types>");
    x
}

fn root_rels() -> String {
    format!(
        "{XML_DECL}<Relationships xmlns=\"{PKG_REL_NS}\"><Relationship Id=\"rId1\" Type=\"{REL_NS}/officeDocument\" Target=\"xl/workbook.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/><Relationship Id=\"rId3\" Type=\"{REL_NS}/extended-properties\" Target=\"docProps/app.xml\"/></Relationships>"
    )
}

fn app_xml() -> String {
    format!(
        "{XML_DECL}<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"><Application>atlas-audit</Application><DocSecurity>0</DocSecurity></Properties>"
    )
}

fn core_xml(p: &Properties<'_>) -> String {
    let when = p.created.strftime("%Y-%m-%dT%H:%M:%SZ");
    format!(
        "{XML_DECL}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title><dc:creator>{}</dc:creator><cp:keywords></cp:keywords><dc:description>{}</dc:description><dcterms:created xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:created><dcterms:modified xsi:type=\"dcterms:W3CDTF\">{when}</dcterms:modified></cp:coreProperties>",
        attr(p.title),
        attr(p.author),
        attr(p.comment)
    )
}

fn workbook_xml(sheets: &[Sheet]) -> String {
    let mut x = String::from(XML_DECL);
    let _ = write!(
        x,
        "<workbook xmlns=\"{MAIN_NS}\" xmlns:r=\"{REL_NS}\"><workbookPr/><bookViews><workbookView xWindow=\"240\" yWindow=\"15\" windowWidth=\"16095\" windowHeight=\"9660\"/></bookViews><sheets>"
    );
    for (i, s) in sheets.iter().enumerate() {
        let _ = write!(
            x,
            "<sheet name=\"{}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>",
            attr(&s.layout.name),
            n = i + 1
        );
    }
    x.push_str("</sheets>");
    let filters: Vec<(usize, &Sheet, &Area)> = sheets
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.layout.autofilter.as_ref().map(|a| (i, s, a)))
        .collect();
    if !filters.is_empty() {
        x.push_str("<definedNames>");
        for (i, s, area) in filters {
            let quoted = s.layout.name.replace('\'', "''");
            let _ = write!(
                x,
                "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"{i}\" hidden=\"1\">{}</definedName>",
                attr(&format!("'{quoted}'!{}", area.absolute()))
            );
        }
        x.push_str("</definedNames>");
    }
    x.push_str("<calcPr calcId=\"124519\" fullCalcOnLoad=\"1\"/></workbook>");
    x
}

fn workbook_rels(sheets: usize) -> String {
    let mut x = format!("{XML_DECL}<Relationships xmlns=\"{PKG_REL_NS}\">");
    for i in 1..=sheets {
        let _ = write!(
            x,
            "<Relationship Id=\"rId{i}\" Type=\"{REL_NS}/worksheet\" Target=\"worksheets/sheet{i}.xml\"/>"
        );
    }
    let _ = write!(
        x,
        "<Relationship Id=\"rId{}\" Type=\"{REL_NS}/styles\" Target=\"styles.xml\"/></Relationships>",
        sheets + 1
    );
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut out = Vec::new();
        escape_text(&mut out, text);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_is_escaped_for_xml_and_excel() {
        assert_eq!(escaped("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(escaped("nul\0byte\r"), "nul_x0000_byte_x000D_");
        assert_eq!(escaped("tab\tnew\nline"), "tab\tnew\nline");
        assert_eq!(escaped("_x0041_ and _xZZ"), "_x005F_x0041_ and _xZZ");
        assert_eq!(escaped("a\u{FFFE}b\u{FFFF}"), "a_xFFFE_b_xFFFF_");
        assert_eq!(escaped("emoji 🔥 \u{202e}"), "emoji 🔥 \u{202e}");
    }

    #[test]
    fn columns_are_named_like_excel() {
        let names: Vec<String> = [0, 25, 26, 51, 52, 701, 702, 16_383]
            .into_iter()
            .map(column_name)
            .collect();
        assert_eq!(names, ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]);
    }

    #[test]
    fn rows_open_and_close_around_their_cells() {
        let mut rows = Rows::default();
        rows.string(0, 0, "Name", 3).unwrap();
        rows.number(0, 2, 42.0, 0).unwrap();
        rows.number(1, 1, -1.5, 0).unwrap();
        rows.string(1, 2, " padded", 0).unwrap();
        assert_eq!(
            String::from_utf8(rows.finish()).unwrap(),
            "<row r=\"1\"><c s=\"3\" t=\"inlineStr\"><is><t>Name</t></is></c><c r=\"C1\"><v>42</v></c></row>\
             <row r=\"2\"><c r=\"B2\"><v>-1.5</v></c><c t=\"inlineStr\"><is><t xml:space=\"preserve\"> padded</t></is></c></row>"
        );
        let mut rows = Rows::default();
        assert_eq!(
            rows.string(MAX_ROWS, 0, "x", 0),
            Err(OutOfSheet {
                row: MAX_ROWS,
                col: 0
            })
        );
        assert!(rows.number(0, MAX_COLS, 1.0, 0).is_err());
    }

    #[test]
    fn serials_follow_excel_and_refuse_what_it_cannot_show() {
        assert_eq!(date_serial(jiff::civil::date(2000, 1, 1)), Some(36_526.0));
        assert_eq!(date_serial(jiff::civil::date(1900, 3, 1)), Some(61.0));
        assert_eq!(date_serial(jiff::civil::date(1900, 2, 28)), None);
        let t: Timestamp = "2026-06-30T12:00:00Z".parse().unwrap();
        assert_eq!(time_serial(t), Some(46_203.5));
        assert_eq!(time_serial(Timestamp::MIN), None);
    }
}

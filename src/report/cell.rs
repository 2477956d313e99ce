//! Text from Atlas is data. A spreadsheet evaluates a cell that begins with `=`, `+`, `-` or `@`
//! (and some evaluate one that begins with a tab, a carriage return or a NUL, which they drop
//! first) as a formula, so such cells are neutralised with a leading apostrophe before they reach
//! CSV or XLSX: the characters of OWASP's CSV-injection advice and of ASVS 5.0 requirement 1.2.10,
//! plus the carriage return.
//!
//! Pages and terminals show text to a person, who must see what is there: characters that hide
//! or reorder text are written as their code, `[U+202E]` ([`visible`], [`one_line`]). The
//! machine formats (CSV, XLSX, JSON) keep such characters, exactly as Atlas gave them.

use std::borrow::Cow;
use std::io::{self, Write};

/// The cell text, with a leading `'` when a spreadsheet would read it as a formula.
#[inline]
pub fn neutralise(text: &str) -> Cow<'_, str> {
    // Every character that starts a formula is ASCII, so the first byte decides.
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\0') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_kept() {
        for bad in [
            "=HYPERLINK(\"x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "\0=cmd|' /C calc'!A0",
        ] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for ok in [
            "alice@example.test",
            "GROUP_OWNER",
            "",
            "1-2",
            "'quoted",
            "nul\0",
        ] {
            assert_eq!(neutralise(ok), ok);
        }
    }
}

/// Whether a character is invisible or reorders text, and so is shown as `[U+XXXX]`: controls
/// other than tab and line feed (C0, DEL, C1), the format characters that hide or reorder text
/// (bidirectional marks, embeddings, overrides and isolates; zero-width space, word joiner and
/// byte-order mark; soft hyphen; invisible operators; interlinear annotation; tags, which can
/// carry a whole hidden string), the line and paragraph separators, and the blank fillers that
/// render as nothing. The zero-width joiners and variation selectors that emoji are built with
/// are kept.
pub(crate) fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180e}'
                | '\u{200b}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e007f}'
        )
}

/// The text as the pages show it: every character that is invisible or reorders text (see
/// [`is_hidden`]) written as `[U+XXXX]`, nothing cut.
pub fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_visible(&mut out, c);
    }
    out
}

/// The text on one line of a terminal: as [`visible`], and line feeds and tabs shown too, so
/// that no name can start a line of its own.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' => push_code(&mut out, c),
            c => push_visible(&mut out, c),
        }
    }
    out
}

/// Appends `c`, or `[U+XXXX]` when it is hidden.
pub(crate) fn push_visible(out: &mut String, c: char) {
    if is_hidden(c) {
        push_code(out, c);
    } else {
        out.push(c);
    }
}

fn push_code(out: &mut String, c: char) {
    use std::fmt::Write as _;
    let _ = write!(out, "[U+{:04X}]", c as u32);
}

#[cfg(test)]
mod visible_tests {
    use super::*;

    #[test]
    fn hidden_characters_are_shown_and_emoji_kept() {
        assert_eq!(visible("\u{202e}gnp.exe"), "[U+202E]gnp.exe");
        assert_eq!(visible("a\u{0}b\u{1b}[31m"), "a[U+0000]b[U+001B][31m");
        assert_eq!(visible("soft\u{ad}hyphen"), "soft[U+00AD]hyphen");
        assert_eq!(visible("tag\u{e0041}"), "tag[U+E0041]");
        assert_eq!(visible("ls\u{2028}ps\u{2029}"), "ls[U+2028]ps[U+2029]");
        assert_eq!(visible("c1\u{85}\u{9b}"), "c1[U+0085][U+009B]");
        for kept in [
            "👩\u{200d}💻",
            "🏳\u{fe0f}\u{200d}🌈",
            "line\nfeed\ttab",
            "é 😀",
        ] {
            assert_eq!(visible(kept), kept);
        }
        assert_eq!(one_line("a\nb\tc\u{202e}"), "a[U+000A]b[U+0009]c[U+202E]");
    }
}

/// `yes` or `no`, as every table writes a flag.
pub fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// Atlas text that every renderer must carry inert and whole: markup, spreadsheet formulas, a
/// bidirectional override, NUL, quotes, emoji and a 10 KB string. The renderers' tests feed
/// it through every output.
#[doc(hidden)]
pub fn hostile_strings() -> Vec<String> {
    vec![
        "<script>alert(1)</script>".into(),
        "=HYPERLINK(\"http://evil.example/\",\"click\")".into(),
        "@SUM(A1:A9)".into(),
        "+1-2".into(),
        "-cmd".into(),
        "\u{202e}gnp.exe".into(),
        "nul\u{0}byte".into(),
        "\"quoted\", 'single' & <b>bold</b>".into(),
        "emoji 🔥👩‍💻".into(),
        format!("long-{}", "x".repeat(10 * 1024)),
    ]
}

/// A CSV file as every one is written: RFC 4180 through `csv` (fields quoted only when they hold a
/// quote, a comma, CR or LF; quotes doubled), records ended with CRLF, UTF-8. Every field is
/// neutralised on its way in. A record is gathered whole and handed over at its end, which lets
/// `csv` take its fast path for a record that fits its buffer.
pub(crate) struct CsvWriter<W: Write> {
    out: csv::Writer<W>,
    record: csv::ByteRecord,
}

impl<W: Write> CsvWriter<W> {
    /// A writer into `out`.
    pub(crate) fn new(out: W) -> Self {
        CsvWriter {
            out: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
            record: csv::ByteRecord::new(),
        }
    }

    /// Adds a field to the record under way.
    pub(crate) fn field(&mut self, text: &str) {
        self.record.push_field(neutralise(text).as_bytes());
    }

    /// Writes the record under way.
    pub(crate) fn end_record(&mut self) -> io::Result<()> {
        self.out.write_byte_record(&self.record)?;
        self.record.clear();
        Ok(())
    }

    /// Writes a whole record.
    pub(crate) fn record<S: AsRef<str>>(
        &mut self,
        fields: impl IntoIterator<Item = S>,
    ) -> io::Result<()> {
        for f in fields {
            self.field(f.as_ref());
        }
        self.end_record()
    }

    /// Flushes every record into `out`.
    pub(crate) fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    fn written(records: &[&[&str]]) -> Vec<u8> {
        let mut csv = CsvWriter::new(Vec::new());
        for r in records {
            csv.record(r.iter()).unwrap();
        }
        csv.finish().unwrap()
    }

    #[test]
    fn fields_are_quoted_only_when_they_must_be_and_end_with_crlf() {
        let out = written(&[&[
            "plain",
            "comma, inside",
            "\"quoted\"",
            "line\r\nbreak",
            "",
            "=1+1",
        ]]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain,\"comma, inside\",\"\"\"quoted\"\"\",\"line\r\nbreak\",,'=1+1\r\n"
        );
    }

    #[test]
    fn fields_read_back_whole_through_a_csv_reader() {
        let fields: &[&str] = &[
            "plain",
            "comma, inside",
            "\"quoted\"",
            "line\r\nbreak",
            "=1+1",
            "",
            "nul\u{0}",
            "emoji 🔥",
        ];
        let out = written(&[fields, fields]);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(out.as_slice());
        let mut records = 0;
        for record in reader.records() {
            let record = record.unwrap();
            let read: Vec<&str> = record.iter().collect();
            let expected: Vec<String> = fields.iter().map(|f| neutralise(f).into_owned()).collect();
            assert_eq!(read, expected);
            records += 1;
        }
        assert_eq!(records, 2);
        assert!(out.ends_with(b"\r\n"));
    }
}

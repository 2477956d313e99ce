//! Text from Atlas is data. A spreadsheet evaluates a cell that begins with `=`, `+`, `-` or `@`
//! (and some evaluate one that begins with a tab, a carriage return or a NUL, which they drop
//! first) as a formula, so such cells are neutralised with a leading apostrophe before they reach
//! CSV or XLSX: the characters of OWASP's CSV-injection advice and of ASVS 5.0 requirement 1.2.10,
//! plus the carriage return.

use std::borrow::Cow;

/// The cell text, with a leading `'` when a spreadsheet would read it as a formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0') => Cow::Owned(format!("'{text}")),
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

/// Appends one CSV field (RFC 4180) to `out`: neutralised, and quoted when it holds a quote,
/// a comma, CR or LF, with quotes doubled.
pub fn csv_field(out: &mut Vec<u8>, text: &str) {
    let text = neutralise(text);
    let bytes = text.as_bytes();
    if bytes
        .iter()
        .any(|b| matches!(b, b'"' | b',' | b'\r' | b'\n'))
    {
        out.push(b'"');
        for &b in bytes {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(bytes);
    }
}

/// Appends a CSV record: the fields joined by commas, ended with CRLF.
pub fn csv_record<'t>(out: &mut Vec<u8>, fields: impl IntoIterator<Item = &'t str>) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(out, f);
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    #[test]
    fn fields_read_back_whole_through_a_csv_reader() {
        let fields = [
            "plain",
            "comma, inside",
            "\"quoted\"",
            "line\r\nbreak",
            "=1+1",
            "",
            "nul\u{0}",
            "emoji 🔥",
        ];
        let mut out = Vec::new();
        csv_record(&mut out, fields);
        csv_record(&mut out, fields);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(out.as_slice());
        for record in reader.records() {
            let record = record.unwrap();
            let read: Vec<&str> = record.iter().collect();
            let expected: Vec<String> = fields.iter().map(|f| neutralise(f).into_owned()).collect();
            assert_eq!(read, expected);
        }
        assert!(out.ends_with(b"\r\n"));
    }
}

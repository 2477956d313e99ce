//! The message itself: the subject from the findings, `email.txt` and `email.html` as the two
//! alternatives of one body, and the workbook attached when it was written and is small
//! enough; when it is not attached, both bodies say where it is.

use std::path::Path;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart};

use super::DeliverError;
use crate::rules::{Findings, Severity};

/// The workbook's file name in the report folder.
pub const WORKBOOK: &str = "access-review.xlsx";
/// The workbook's media type.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Whether the workbook goes with the message, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workbook {
    /// Attached; the file's size.
    Attached {
        /// Bytes.
        bytes: u64,
    },
    /// This run did not write it (`--format` without xlsx).
    NotWritten,
    /// `--attach-limit 0`.
    AttachmentsOff,
    /// Larger than `--attach-limit`.
    TooLarge {
        /// The file's size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
}

impl Workbook {
    /// Decides from the workbook's size, when this run wrote it, and the limit (0: never).
    pub fn decide(written: Option<u64>, limit: u64) -> Workbook {
        match written {
            None => Workbook::NotWritten,
            Some(_) if limit == 0 => Workbook::AttachmentsOff,
            Some(bytes) if bytes > limit => Workbook::TooLarge { bytes, limit },
            Some(bytes) => Workbook::Attached { bytes },
        }
    }

    /// For the line printed after sending: `attachment: access-review.xlsx, N bytes` or
    /// `no attachment: why`.
    pub fn summary(&self) -> String {
        match *self {
            Workbook::Attached { bytes } => format!("attachment: {WORKBOOK}, {bytes} bytes"),
            Workbook::NotWritten => {
                format!("no attachment: {WORKBOOK} was not written; --format has no xlsx")
            }
            Workbook::AttachmentsOff => "no attachment: --attach-limit is 0".into(),
            Workbook::TooLarge { bytes, limit } => format!(
                "no attachment: {WORKBOOK} is {bytes} bytes, over --attach-limit of {limit} bytes"
            ),
        }
    }

    /// The sentence added to both bodies when the workbook is not attached: where it is.
    pub fn note(&self, dir: &Path) -> Option<String> {
        let dir = dir.display();
        match *self {
            Workbook::Attached { .. } => None,
            Workbook::NotWritten => Some(format!(
                "The workbook was not made in this run. The report files are in {dir}"
            )),
            Workbook::AttachmentsOff => Some(format!(
                "The workbook {WORKBOOK} is not attached to this email. It is in {dir}"
            )),
            Workbook::TooLarge { bytes, .. } => Some(format!(
                "The workbook {WORKBOOK} ({}) is too large to attach. It is in {dir}",
                size_text(bytes)
            )),
        }
    }
}

/// `12.3 MB`, `41 KB` or `900 bytes` (1 KB = 1024 bytes, as `--attach-limit` counts).
fn size_text(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    match bytes {
        b if b >= MB => format!("{:.1} MB", b as f64 / MB as f64),
        b if b >= KB => format!("{} KB", b.div_ceil(KB)),
        b => format!("{b} bytes"),
    }
}

/// `Atlas access review: N open findings (X critical, Y high) as of YYYY-MM-DD`, from the open
/// (not exempted) findings and the snapshot's as-of date in UTC.
pub fn subject(findings: &Findings) -> String {
    let open = findings.open_at_least(Severity::Info);
    let critical = findings.open_at_least(Severity::Critical);
    let high = findings.open_at_least(Severity::High) - critical;
    format!(
        "Atlas access review: {open} open finding{} ({critical} critical, {high} high) as of {}",
        if open == 1 { "" } else { "s" },
        findings.as_of.strftime("%Y-%m-%d")
    )
}

/// The plain-text body with the note, if any, as a last paragraph.
pub fn text_body(text: &str, note: Option<&str>) -> String {
    match note {
        None => text.to_string(),
        Some(note) => format!("{}\n\n{note}.\n", text.trim_end()),
    }
}

/// The HTML body with the note, if any, as a paragraph before `</body>` (or at the end, for a
/// template without one).
pub fn html_body(html: &str, note: Option<&str>) -> String {
    let Some(note) = note else {
        return html.to_string();
    };
    let paragraph = format!(
        "<p style=\"margin:16px 0;font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:20px;\">{}.</p>\n",
        crate::report::escape_html(note)
    );
    // ASCII lowercasing keeps every byte where it was, so the index holds in `html`.
    let at = html
        .to_ascii_lowercase()
        .rfind("</body>")
        .unwrap_or(html.len());
    let mut out = String::with_capacity(html.len() + paragraph.len());
    out.push_str(&html[..at]);
    out.push_str(&paragraph);
    out.push_str(&html[at..]);
    out
}

/// What goes into one message.
pub struct Parts<'a> {
    /// The sender.
    pub from: &'a Mailbox,
    /// The recipients.
    pub to: &'a [Mailbox],
    /// The subject line.
    pub subject: String,
    /// The plain-text alternative.
    pub text: String,
    /// The HTML alternative.
    pub html: String,
    /// The workbook's bytes, when it is attached.
    pub workbook: Option<Vec<u8>>,
}

/// Builds the message: multipart/alternative (text, then HTML), inside multipart/mixed with
/// the workbook when it is attached.
///
/// # Errors
/// [`DeliverError::Message`] when lettre refuses the headers.
pub fn build(parts: Parts<'_>) -> Result<Message, DeliverError> {
    let mut builder = Message::builder()
        .from(parts.from.clone())
        .subject(parts.subject)
        .message_id(Some(message_id(parts.from)));
    for to in parts.to {
        builder = builder.to(to.clone());
    }
    let body = MultiPart::alternative_plain_html(parts.text, parts.html);
    let message = match parts.workbook {
        None => builder.multipart(body),
        Some(bytes) => {
            let content_type = ContentType::parse(XLSX_CONTENT_TYPE)
                .map_err(|e| DeliverError::Message(e.to_string()))?;
            builder.multipart(
                MultiPart::mixed()
                    .multipart(body)
                    .singlepart(Attachment::new(WORKBOOK.to_string()).body(bytes, content_type)),
            )
        }
    };
    message.map_err(|e| DeliverError::Message(e.to_string()))
}

/// `<random.atlas-audit@sender's domain>`: unique, and from a domain the sender owns rather
/// than this machine's host name.
fn message_id(from: &Mailbox) -> String {
    let random: String = std::iter::repeat_with(fastrand::alphanumeric)
        .take(24)
        .collect();
    format!("<{random}.atlas-audit@{}>", from.email.domain())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Status;

    fn findings(severities: &[(Severity, Status)]) -> Findings {
        let template = crate::report::sample::ordinary().findings.findings[0].clone();
        Findings {
            schema_version: crate::rules::FINDINGS_SCHEMA_VERSION,
            as_of: "2027-01-15T23:30:00Z".parse().unwrap(),
            findings: severities
                .iter()
                .map(|(severity, status)| {
                    let mut f = template.clone();
                    f.severity = *severity;
                    f.status = *status;
                    f
                })
                .collect(),
            not_evaluated: Vec::new(),
            exemption_warnings: Vec::new(),
        }
    }

    #[test]
    fn the_subject_counts_open_findings_by_severity_and_dates_them_in_utc() {
        use Severity::*;
        use Status::*;
        let f = findings(&[
            (Critical, Open),
            (Critical, Exempted),
            (High, Open),
            (High, Open),
            (Medium, Open),
            (Info, Open),
            (Low, Exempted),
        ]);
        assert_eq!(
            subject(&f),
            "Atlas access review: 5 open findings (1 critical, 2 high) as of 2027-01-15"
        );
        assert_eq!(
            subject(&findings(&[(Low, Open)])),
            "Atlas access review: 1 open finding (0 critical, 0 high) as of 2027-01-15"
        );
        assert_eq!(
            subject(&findings(&[])),
            "Atlas access review: 0 open findings (0 critical, 0 high) as of 2027-01-15"
        );
    }

    #[test]
    fn the_workbook_is_attached_up_to_the_limit_and_never_with_zero() {
        assert_eq!(
            Workbook::decide(Some(100), 100),
            Workbook::Attached { bytes: 100 }
        );
        assert_eq!(
            Workbook::decide(Some(101), 100),
            Workbook::TooLarge {
                bytes: 101,
                limit: 100
            }
        );
        assert_eq!(Workbook::decide(Some(1), 0), Workbook::AttachmentsOff);
        assert_eq!(Workbook::decide(None, 100), Workbook::NotWritten);
        assert_eq!(
            Workbook::decide(Some(5), 10).summary(),
            "attachment: access-review.xlsx, 5 bytes"
        );
        assert!(
            Workbook::decide(Some(11), 10)
                .summary()
                .starts_with("no attachment: access-review.xlsx is 11 bytes")
        );
        assert_eq!(Workbook::Attached { bytes: 1 }.note(Path::new("/r")), None);
    }

    #[test]
    fn the_note_goes_before_the_end_of_the_body_with_the_path_escaped() {
        let note = Workbook::TooLarge {
            bytes: 15 * 1024 * 1024,
            limit: 10,
        }
        .note(Path::new("/reports/<q1>&'x'"))
        .unwrap();
        assert!(note.contains("(15.0 MB)"), "{note}");
        assert_eq!(size_text(41_969), "41 KB");
        assert_eq!(size_text(900), "900 bytes");
        let html = html_body("<html><body><p>hi</p></BODY></html>", Some(&note));
        assert!(
            html.ends_with("/reports/&lt;q1&gt;&amp;&#39;x&#39;.</p>\n</BODY></html>"),
            "{html}"
        );
        assert!(html.starts_with("<html><body><p>hi</p><p style="), "{html}");
        assert_eq!(html_body("<p>no body tag</p>", None), "<p>no body tag</p>");
        assert!(html_body("<p>x</p>", Some("n")).ends_with("n.</p>\n"));
        let text = text_body("REPORT\n\nend\n\n", Some(&note));
        assert!(
            text.ends_with("end\n\nThe workbook access-review.xlsx (15.0 MB) is too large to attach. It is in /reports/<q1>&'x'.\n"),
            "{text}"
        );
        assert_eq!(text_body("same\n", None), "same\n");
    }

    #[test]
    fn the_message_is_alternative_text_and_html_with_the_workbook_beside_it() {
        let from: Mailbox = "Audit <audit@example.com>".parse().unwrap();
        let to: Vec<Mailbox> = vec!["a@example.com".parse().unwrap()];
        let parts = |workbook| Parts {
            from: &from,
            to: &to,
            subject: "S".into(),
            text: "plain".into(),
            html: "<p>rich</p>".into(),
            workbook,
        };
        let with = String::from_utf8(
            build(parts(Some(b"PK\x03\x04".to_vec())))
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(with.contains("Content-Type: multipart/mixed"), "{with}");
        assert!(
            with.contains("Content-Type: multipart/alternative"),
            "{with}"
        );
        assert!(with.contains(XLSX_CONTENT_TYPE), "{with}");
        assert!(with.contains("filename=\"access-review.xlsx\""), "{with}");
        assert!(with.contains("Message-ID: <"), "{with}");
        assert!(with.contains(".atlas-audit@example.com>"), "{with}");
        let without = String::from_utf8(build(parts(None)).unwrap().formatted()).unwrap();
        assert!(!without.contains("multipart/mixed"), "{without}");
        assert!(!without.contains(XLSX_CONTENT_TYPE), "{without}");
        let plain = without.find("text/plain").unwrap();
        let html = without.find("text/html").unwrap();
        assert!(plain < html, "the preferred alternative comes last");
    }
}

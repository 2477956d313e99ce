//! `findings.json` (the machine contract other tools read) and `findings.csv` (one row per
//! finding, RFC 4180, UTF-8, header row).

use std::io::{self, Write};

use super::cell::yes_no;
use super::tables::{write_chunks, write_rows};
use crate::rules::{Finding, Findings};

/// `findings.json`: pretty-printed, newline-terminated.
pub fn findings_json(findings: &Findings) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_findings_json(findings, &mut out);
    out
}

/// Writes `findings.json`, byte for byte what `serde_json::to_vec_pretty` gives plus a
/// newline, with the findings serialised in parallel chunks.
///
/// # Errors
/// When `out` cannot be written.
pub fn write_findings_json(findings: &Findings, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"{\n  \"schema_version\": ")?;
    write_nested(out, &findings.schema_version, 1)?;
    out.write_all(b",\n  \"as_of\": ")?;
    write_nested(out, &findings.as_of, 1)?;
    out.write_all(b",\n  \"findings\": ")?;
    if findings.findings.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[")?;
        write_chunks(out, &findings.findings, CHUNK, 4096, |first, chunk, buf| {
            for (j, f) in chunk.iter().enumerate() {
                if first + j > 0 {
                    buf.push(b',');
                }
                buf.extend_from_slice(b"\n    ");
                write_nested(buf, f, 2)?;
            }
            Ok(())
        })?;
        out.write_all(b"\n  ]")?;
    }
    out.write_all(b",\n  \"not_evaluated\": ")?;
    write_nested(out, &findings.not_evaluated, 1)?;
    out.write_all(b",\n  \"exemption_warnings\": ")?;
    write_nested(out, &findings.exemption_warnings, 1)?;
    out.write_all(b"\n}\n")
}

const CHUNK: usize = 1024;

/// Writes `value` as pretty JSON (two spaces an indent) that sits `level` indents deep.
fn write_nested<W: Write + ?Sized, T: serde::Serialize + ?Sized>(
    out: &mut W,
    value: &T,
    level: usize,
) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        out,
        Nested {
            level,
            has_value: false,
        },
    );
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// The pretty layout of `serde_json::to_vec_pretty`, starting some levels deep, so that a part
/// of a document is written in place with no re-indenting pass.
struct Nested {
    level: usize,
    has_value: bool,
}

impl Nested {
    fn open<W: Write + ?Sized>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: Write + ?Sized>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(bracket)
    }

    fn item<W: Write + ?Sized>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn newline<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        w.write_all(b"\n")?;
        let mut left = self.level * 2;
        while left > 0 {
            let n = left.min(SPACES.len());
            w.write_all(&SPACES[..n])?;
            left -= n;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: Write + ?Sized>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: Write + ?Sized>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: Write + ?Sized>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: Write + ?Sized>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: Write + ?Sized>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: Write + ?Sized>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: Write + ?Sized>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: Write + ?Sized>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: Write + ?Sized>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// The header of `findings.csv`.
pub const FINDINGS_CSV_HEADER: &[&str] = &[
    "id",
    "rule",
    "severity",
    "status",
    "principal_key",
    "principal_kind",
    "principal_name",
    "org_id",
    "project_id",
    "title",
    "evidence",
    "recommendation",
    "recommended_to",
    "recommendation_detail",
    "exemption_reason",
    "exemption_owner",
    "exemption_ticket",
    "exemption_expires",
    "exemption_expired",
];

fn row(f: &Finding) -> Vec<String> {
    let ex = f.exemption.as_ref();
    vec![
        f.id.clone(),
        f.rule.as_str().into(),
        f.severity.as_str().into(),
        f.status.as_str().into(),
        f.principal.key.clone(),
        f.principal.kind.as_str().into(),
        f.principal.name.clone(),
        f.scope.org_id.clone(),
        f.scope.project_id.clone().unwrap_or_default(),
        f.title.clone(),
        f.evidence.summary.clone(),
        f.recommendation.action.as_str().into(),
        f.recommendation.to.clone().unwrap_or_default(),
        f.recommendation.text.clone(),
        ex.map(|e| e.reason.clone()).unwrap_or_default(),
        ex.and_then(|e| e.owner.clone()).unwrap_or_default(),
        ex.and_then(|e| e.ticket.clone()).unwrap_or_default(),
        ex.map(|e| e.expires.to_string()).unwrap_or_default(),
        ex.map(|e| yes_no(e.expired).to_string())
            .unwrap_or_default(),
    ]
}

/// `findings.csv`: a header row, then one row per finding in `findings.json` order.
pub fn findings_csv(findings: &Findings) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_findings_csv(findings, &mut out);
    out
}

/// Writes `findings.csv`, rows rendered in parallel chunks.
///
/// # Errors
/// When `out` cannot be written.
pub fn write_findings_csv(findings: &Findings, out: &mut dyn Write) -> io::Result<()> {
    write_rows(
        out,
        FINDINGS_CSV_HEADER,
        &findings.findings,
        |chunk, csv| {
            for f in chunk {
                csv.record(row(f))?;
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_json_is_exactly_serde_pretty() {
        for sample in [
            crate::report::sample::ordinary(),
            crate::report::sample::hostile(),
        ] {
            let mut expected = serde_json::to_vec_pretty(&sample.findings).unwrap();
            expected.push(b'\n');
            assert_eq!(
                String::from_utf8(findings_json(&sample.findings)).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }

    #[test]
    fn every_row_has_the_header_width() {
        let findings = Findings {
            schema_version: crate::rules::FINDINGS_SCHEMA_VERSION,
            as_of: "2026-11-20T09:00:00Z".parse().unwrap(),
            findings: Vec::new(),
            not_evaluated: Vec::new(),
            exemption_warnings: Vec::new(),
        };
        let text = String::from_utf8(findings_csv(&findings)).unwrap();
        assert_eq!(text, format!("{}\r\n", FINDINGS_CSV_HEADER.join(",")));
        let mut expected = serde_json::to_vec_pretty(&findings).unwrap();
        expected.push(b'\n');
        assert_eq!(findings_json(&findings), expected);
    }
}

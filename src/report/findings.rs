//! `findings.json` (the machine contract other tools read) and `findings.csv` (one row per
//! finding, RFC 4180, UTF-8, header row).

use std::io::{self, Write};

use rayon::prelude::*;

use super::cell::{csv_record, yes_no};
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
    let pretty = |v: &dyn erased::Pretty| -> Vec<u8> { v.pretty() };
    out.write_all(b"{\n  \"as_of\": ")?;
    out.write_all(&pretty(&findings.as_of))?;
    out.write_all(b",\n  \"findings\": ")?;
    if findings.findings.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[")?;
        let batch = CHUNK * rayon::current_num_threads().max(1) * 2;
        for (n, group) in findings.findings.chunks(batch).enumerate() {
            let parts: Vec<Vec<u8>> = group
                .par_chunks(CHUNK)
                .enumerate()
                .map(|(i, chunk)| {
                    let mut buf = Vec::new();
                    for (j, f) in chunk.iter().enumerate() {
                        if n > 0 || i > 0 || j > 0 {
                            buf.push(b',');
                        }
                        buf.extend_from_slice(b"\n    ");
                        indent_into(&mut buf, &f.pretty(), 4);
                    }
                    buf
                })
                .collect();
            for part in parts {
                out.write_all(&part)?;
            }
        }
        out.write_all(b"\n  ]")?;
    }
    out.write_all(b",\n  \"not_evaluated\": ")?;
    indent_into_writer(out, &pretty(&findings.not_evaluated), 2)?;
    out.write_all(b",\n  \"exemption_warnings\": ")?;
    indent_into_writer(out, &pretty(&findings.exemption_warnings), 2)?;
    out.write_all(b"\n}\n")
}

const CHUNK: usize = 1024;

/// Serialisation to pretty JSON behind one object-safe method.
mod erased {
    pub trait Pretty {
        fn pretty(&self) -> Vec<u8>;
    }

    impl<T: serde::Serialize> Pretty for T {
        fn pretty(&self) -> Vec<u8> {
            serde_json::to_vec_pretty(self).unwrap_or_default()
        }
    }
}

use erased::Pretty as _;

/// Copies pretty JSON, indenting every line after the first by `indent` spaces. JSON strings
/// hold no raw newline, so every newline is a line break of the layout.
fn indent_into(out: &mut Vec<u8>, json: &[u8], indent: usize) {
    for (i, line) in json.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
            out.extend(std::iter::repeat_n(b' ', indent));
        }
        out.extend_from_slice(line);
    }
}

fn indent_into_writer(out: &mut dyn Write, json: &[u8], indent: usize) -> io::Result<()> {
    let mut buf = Vec::with_capacity(json.len() + json.len() / 8);
    indent_into(&mut buf, json, indent);
    out.write_all(&buf)
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
    csv_record(&mut out, FINDINGS_CSV_HEADER.iter().copied());
    let parts: Vec<Vec<u8>> = findings
        .findings
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut buf = Vec::new();
            for f in chunk {
                csv_record(&mut buf, row(f).iter().map(String::as_str));
            }
            buf
        })
        .collect();
    for part in parts {
        out.extend_from_slice(&part);
    }
    out
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

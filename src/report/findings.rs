//! `findings.json` (the machine contract other tools read) and `findings.csv` (one row per
//! finding, RFC 4180, UTF-8, header row).

use super::cell::neutralise;
use crate::rules::{Finding, Findings};

/// `findings.json`: pretty-printed, newline-terminated.
pub fn findings_json(findings: &Findings) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(findings).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The header of `findings.csv`.
pub const FINDINGS_CSV_HEADER: &[&str] = &[
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
        f.rule.as_str().into(),
        f.severity.as_str().into(),
        match f.status {
            crate::rules::Status::Open => "open".into(),
            crate::rules::Status::Exempted => "exempted".into(),
        },
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
        ex.map(|e| if e.expired { "yes" } else { "no" }.to_string())
            .unwrap_or_default(),
    ]
}

/// `findings.csv`: a header row, then one row per finding in `findings.json` order.
pub fn findings_csv(findings: &Findings) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(FINDINGS_CSV_HEADER);
    for f in &findings.findings {
        let _ = w.write_record(row(f).iter().map(|c| neutralise(c).into_owned()));
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}

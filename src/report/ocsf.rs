//! `findings.ocsf.json` (`--format ocsf`): every finding as an OCSF Detection Finding (class
//! 2004, category Findings), the class security data lakes and SIEMs ingest natively. A JSON
//! array, one record per line, in `findings.json` order.
//!
//! The records follow OCSF [`OCSF_VERSION`] (`metadata.version`). What maps where:
//! - `finding_info.uid` is the finding id (`F-…`, stable between reviews), `finding_info.title`
//!   its title, `finding_info.desc` the evidence summary; `finding_info.analytic` is the rule
//!   (`uid` and `name` the rule id, type Rule, `desc` what it checks);
//! - `severity_id` from the severity (info 1, low 2, medium 3, high 4, critical 5);
//! - `status_id` New for an open finding, Suppressed for an exempted one, with the exemption
//!   in `status_detail` and `unmapped.exemption`;
//! - `resources`: the principal (`uid` its key, `type` its kind) and the org or project it is
//!   judged in; `cloud` names MongoDB Atlas and the org as the account;
//! - `evidences[0].data`: the evidence facts by name; `remediation.desc`: the recommendation,
//!   with its action (`Keep`, `Revoke`, `Modify`) and target in `unmapped`;
//! - `metadata.product`: atlas-audit and its version; `time`: the review's as-of moment.

use std::io::{self, Write};

use serde::Serialize;

use super::Review;
use super::tables::write_chunks;
use crate::rules::{Finding, Severity, Status};

/// The OCSF schema version the records follow.
pub const OCSF_VERSION: &str = "1.5.0";
/// OCSF category Findings.
const CATEGORY_FINDINGS: u8 = 2;
/// OCSF class Detection Finding.
pub const CLASS_DETECTION_FINDING: u16 = 2004;
/// Activity Create: each report states its findings anew.
const ACTIVITY_CREATE: u8 = 1;
/// Analytic type Rule.
const ANALYTIC_RULE: u8 = 1;
/// Account type Other: an Atlas organization is none of OCSF's named account types.
const ACCOUNT_OTHER: u8 = 99;

/// One Detection Finding.
#[derive(Serialize)]
struct Record<'a> {
    activity_id: u8,
    activity_name: &'static str,
    category_uid: u8,
    category_name: &'static str,
    class_uid: u16,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    time: i64,
    time_dt: String,
    severity_id: u8,
    severity: &'static str,
    status_id: u8,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_detail: Option<String>,
    message: &'a str,
    metadata: Metadata,
    finding_info: FindingInfo<'a>,
    resources: Vec<Resource<'a>>,
    cloud: Cloud<'a>,
    evidences: [Evidence<'a>; 1],
    remediation: Remediation<'a>,
    unmapped: Unmapped<'a>,
}

#[derive(Serialize)]
struct Metadata {
    version: &'static str,
    product: Product,
    event_code: &'static str,
    profiles: [&'static str; 1],
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
    version: &'static str,
    uid: &'static str,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    uid: &'a str,
    title: &'a str,
    desc: &'a str,
    created_time: i64,
    analytic: Analytic,
    types: [&'static str; 1],
    data_sources: [&'static str; 1],
}

#[derive(Serialize)]
struct Analytic {
    uid: &'static str,
    name: &'static str,
    type_id: u8,
    #[serde(rename = "type")]
    kind: &'static str,
    desc: &'static str,
}

#[derive(Serialize)]
struct Resource<'a> {
    uid: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<Group<'a>>,
}

#[derive(Serialize)]
struct Group<'a> {
    uid: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct Cloud<'a> {
    provider: &'static str,
    account: Account<'a>,
    org: Group<'a>,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: &'a str,
    name: &'a str,
    type_id: u8,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Evidence<'a> {
    name: &'static str,
    data: Facts<'a>,
}

/// The evidence facts in their order; a name may repeat (one `grant` fact per grant).
#[derive(Serialize)]
struct Facts<'a> {
    facts: &'a [crate::rules::Fact],
}

#[derive(Serialize)]
struct Remediation<'a> {
    desc: &'a str,
}

#[derive(Serialize)]
struct Unmapped<'a> {
    recommended_action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommended_to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    project_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exemption: Option<&'a crate::rules::ExemptionNote>,
}

/// OCSF's severity id and caption.
fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

fn record<'a>(review: &'a Review<'_>, f: &'a Finding) -> Record<'a> {
    let as_of = review.as_of;
    let time = as_of.as_millisecond();
    let (severity_id, severity_name) = severity(f.severity);
    let (status_id, status, status_detail) = match f.status {
        Status::Open => (1, "New", None),
        Status::Exempted => (
            3,
            "Suppressed",
            f.exemption.as_ref().map(|e| {
                format!(
                    "exempted until {}: {}{}",
                    e.expires,
                    e.reason,
                    e.owner
                        .as_deref()
                        .map_or(String::new(), |o| format!(" (owner {o})"))
                )
            }),
        ),
    };
    let org_id = f.scope.org_id.as_str();
    let org_name = review.org_name(org_id);
    let org = || Group {
        uid: org_id,
        name: org_name,
    };
    let mut resources = vec![Resource {
        uid: &f.principal.key,
        name: &f.principal.name,
        kind: f.principal.kind.as_str(),
        group: Some(org()),
    }];
    match f.scope.project_id.as_deref() {
        Some(project) if project_key(project) != f.principal.key => resources.push(Resource {
            uid: project,
            name: review.project_name(project),
            kind: "project",
            group: Some(org()),
        }),
        Some(_) => {}
        None if f.principal.key != ["org:", org_id].concat() => resources.push(Resource {
            uid: org_id,
            name: org_name,
            kind: "org",
            group: None,
        }),
        None => {}
    }
    Record {
        activity_id: ACTIVITY_CREATE,
        activity_name: "Create",
        category_uid: CATEGORY_FINDINGS,
        category_name: "Findings",
        class_uid: CLASS_DETECTION_FINDING,
        class_name: "Detection Finding",
        type_uid: u32::from(CLASS_DETECTION_FINDING) * 100 + u32::from(ACTIVITY_CREATE),
        type_name: "Detection Finding: Create",
        time,
        time_dt: as_of.to_string(),
        severity_id,
        severity: severity_name,
        status_id,
        status,
        status_detail,
        message: &f.title,
        metadata: Metadata {
            version: OCSF_VERSION,
            product: Product {
                name: "atlas-audit",
                vendor_name: "atlas-audit",
                version: env!("CARGO_PKG_VERSION"),
                uid: "atlas-audit",
            },
            event_code: f.rule.as_str(),
            profiles: ["cloud"],
        },
        finding_info: FindingInfo {
            uid: &f.id,
            title: &f.title,
            desc: &f.evidence.summary,
            created_time: time,
            analytic: Analytic {
                uid: f.rule.as_str(),
                name: f.rule.as_str(),
                type_id: ANALYTIC_RULE,
                kind: "Rule",
                desc: f.rule.checks(),
            },
            types: ["Access Review"],
            data_sources: ["MongoDB Atlas Administration API v2"],
        },
        resources,
        cloud: Cloud {
            provider: "MongoDB Atlas",
            account: Account {
                uid: org_id,
                name: org_name,
                type_id: ACCOUNT_OTHER,
                kind: "Atlas organization",
            },
            org: org(),
        },
        evidences: [Evidence {
            name: "facts",
            data: Facts {
                facts: &f.evidence.facts,
            },
        }],
        remediation: Remediation {
            desc: &f.recommendation.text,
        },
        unmapped: Unmapped {
            recommended_action: f.recommendation.action.as_str(),
            recommended_to: f.recommendation.to.as_deref(),
            project_id: f.scope.project_id.as_deref(),
            exemption: f.exemption.as_ref(),
        },
    }
}

fn project_key(project_id: &str) -> String {
    crate::model::key::project(project_id)
}

/// Writes `findings.ocsf.json`: a JSON array of Detection Findings, one per line.
///
/// # Errors
/// When `out` cannot be written.
pub fn write_ocsf(review: &Review<'_>, out: &mut dyn Write) -> io::Result<()> {
    let findings = &review.findings.findings;
    out.write_all(b"[")?;
    write_chunks(out, findings, 1024, 2048, |first, chunk, buf| {
        for (j, f) in chunk.iter().enumerate() {
            if first + j > 0 {
                buf.push(b',');
            }
            buf.push(b'\n');
            serde_json::to_writer(&mut *buf, &record(review, f)).map_err(io::Error::other)?;
        }
        Ok(())
    })?;
    out.write_all(if findings.is_empty() {
        b"]\n"
    } else {
        b"\n]\n"
    })
}

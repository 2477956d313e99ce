//! `manifest.json`: what the report is, what it was made from, and the SHA-256 of every file
//! written beside it, so the evidence can be checked later (`sha256sum` of each file against
//! the manifest). Nothing in it depends on the wall clock: the same input gives the same
//! manifest. Fields are only ever added (readers ignore what they do not know): `credential`
//! came after the first reports, `schema_version` ([`MANIFEST_SCHEMA_VERSION`]) after that.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Review, Written};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// The `manifest.json` format version. Fields are only ever added within a version.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;

/// The manifest's contents.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Manifest {
    /// Format version ([`MANIFEST_SCHEMA_VERSION`]).
    #[schemars(extend("const" = MANIFEST_SCHEMA_VERSION))]
    pub schema_version: u32,
    /// `atlas-audit` version that wrote the report.
    pub tool_version: String,
    /// The as-of moment of every age in the report.
    #[schemars(with = "jiff::Timestamp")]
    pub as_of: String,
    /// What the snapshot was collected from.
    pub source: Source,
    /// The credential that collected it and the roles the snapshot shows it holding: a
    /// coverage gap is a read this credential was refused.
    pub credential: super::credential::CredentialAccess,
    /// Orgs and projects covered.
    pub scope: ScopeSummary,
    /// The policy the rules ran under.
    pub policy: PolicyRef,
    /// What the report counts.
    pub counts: Counts,
    /// Whether every requested scope was read, and what was not.
    pub coverage: Coverage,
    /// The last review this one is compared with, with `--baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineRef>,
    /// The report digest the workbook records (`identity::report_digest`): the issue's
    /// "manifest digest", computed before the files are written.
    pub report_digest: String,
    /// Every file written beside the manifest, by name.
    pub files: Vec<FileEntry>,
}

/// The baseline of a report and how much changed since.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BaselineRef {
    /// The baseline snapshot file.
    pub snapshot: String,
    /// Its as-of moment.
    #[schemars(with = "jiff::Timestamp")]
    pub as_of: String,
    /// Changes by kind (kinds with none left out).
    pub changes: std::collections::BTreeMap<String, usize>,
}

/// Where the estate came from.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Source {
    /// `atlas-audit` version that collected it.
    pub collected_by: String,
    /// Atlas base URL.
    pub base_url: String,
    /// The credential's public identity (never a secret).
    pub credential: String,
    /// SHA-256 of the snapshot file, when the report was made from one.
    pub snapshot_sha256: Option<String>,
}

/// The scope of the review.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ScopeSummary {
    /// `--org` values; empty means every org the credential can read.
    pub requested_orgs: Vec<String>,
    /// `--project` values; empty means every project.
    pub requested_projects: Vec<String>,
    /// Events read from this moment.
    #[schemars(with = "Option<jiff::Timestamp>")]
    pub events_since: Option<String>,
    /// Orgs read, `id` and `name`.
    pub orgs: Vec<Named>,
    /// Projects read.
    pub projects: usize,
}

/// An id with its name.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Named {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// The policy reference.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PolicyRef {
    /// A path, or "defaults (no policy file)".
    pub origin: String,
    /// `sha256:<hex>` of the file, or `defaults`.
    pub digest: String,
}

/// Population and finding counts.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Counts {
    /// Principals by kind.
    pub principals: std::collections::BTreeMap<String, usize>,
    /// Grants a reviewer decides on (direct and through a team).
    pub grants_reviewable: usize,
    /// Project grants implied by org roles.
    pub grants_implied: usize,
    /// Findings in all.
    pub findings: usize,
    /// Open findings.
    pub open: usize,
    /// Findings by severity (open and exempted together).
    pub by_severity: std::collections::BTreeMap<String, usize>,
    /// Findings by rule.
    pub by_rule: std::collections::BTreeMap<String, usize>,
    /// Rule and scope pairs that could not be judged.
    pub not_evaluated: usize,
    /// Exemption warnings.
    pub exemption_warnings: usize,
}

/// Coverage.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Coverage {
    /// Every requested scope was read.
    pub complete: bool,
    /// What was not, by scope and endpoint.
    pub gaps: Vec<Gap>,
}

/// One gap.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Gap {
    /// `org:<id>`, `project:<id>`, or narrower.
    pub scope: String,
    /// Atlas operation id.
    pub endpoint: String,
    /// HTTP status.
    pub status: Option<u16>,
    /// Why.
    pub reason: String,
}

/// One file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileEntry {
    /// File name in the report folder.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

impl Manifest {
    /// The manifest of a report.
    pub fn new(review: &Review<'_>, written: &[Written]) -> Self {
        let snapshot = review.snapshot;
        let meta = &snapshot.meta;
        let (grants_reviewable, grants_implied) = review.grant_counts();
        let mut by_severity = std::collections::BTreeMap::new();
        for (sev, open, exempted) in review.severity_counts() {
            if open + exempted > 0 {
                by_severity.insert(sev.as_str().to_string(), open + exempted);
            }
        }
        Manifest {
            schema_version: MANIFEST_SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            as_of: review.as_of.to_string(),
            source: Source {
                collected_by: meta.tool_version.clone(),
                base_url: meta.base_url.clone(),
                credential: meta.credential.clone(),
                snapshot_sha256: review.snapshot_sha256.clone(),
            },
            credential: super::credential::CredentialAccess::of(review),
            scope: ScopeSummary {
                requested_orgs: meta.scope.orgs.clone(),
                requested_projects: meta.scope.projects.clone(),
                events_since: meta.scope.events_since.map(|t| t.to_string()),
                orgs: snapshot
                    .orgs
                    .iter()
                    .map(|o| Named {
                        id: o.id.clone(),
                        name: o.name.clone(),
                    })
                    .collect(),
                projects: snapshot.projects.len(),
            },
            policy: PolicyRef {
                origin: review.policy_origin.to_string(),
                digest: review.policy_digest.to_string(),
            },
            baseline: review.baseline.map(|b| BaselineRef {
                snapshot: b.changes.baseline.clone(),
                as_of: b.changes.baseline_as_of.to_string(),
                changes: crate::changes::ChangeKind::ALL
                    .into_iter()
                    .map(|k| (k.as_str().to_string(), b.changes.count(k)))
                    .filter(|(_, n)| *n > 0)
                    .collect(),
            }),
            counts: Counts {
                principals: review
                    .population()
                    .into_iter()
                    .map(|(k, n)| (k.as_str().to_string(), n))
                    .collect(),
                grants_reviewable,
                grants_implied,
                findings: review.findings.findings.len(),
                open: review.open_count(),
                by_severity,
                by_rule: review.rule_counts().into_iter().fold(
                    std::collections::BTreeMap::new(),
                    |mut by_rule, c| {
                        *by_rule.entry(c.rule.as_str().to_string()).or_default() +=
                            c.open + c.exempted;
                        by_rule
                    },
                ),
                not_evaluated: review.findings.not_evaluated.len(),
                exemption_warnings: review.findings.exemption_warnings.len(),
            },
            coverage: Coverage {
                complete: snapshot.is_complete(),
                gaps: snapshot
                    .coverage
                    .iter()
                    .map(|g| Gap {
                        scope: g.scope.clone(),
                        endpoint: g.endpoint.clone(),
                        status: g.status,
                        reason: g.reason.clone(),
                    })
                    .collect(),
            },
            report_digest: review.report_digest.clone(),
            files: written
                .iter()
                .map(|w| FileEntry {
                    name: w.name.clone(),
                    bytes: w.bytes,
                    sha256: w.sha256.clone(),
                })
                .collect(),
        }
    }

    /// Pretty JSON, newline-terminated.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

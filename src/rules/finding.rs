//! What the rules produce: findings, the scopes they could not judge, and warnings about the
//! policy's exemptions. These types are the `findings.json` contract (DESIGN §5, §6).

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::RuleId;
use crate::model::{Principal, PrincipalKind};

/// How bad a finding is. Ordered from the worst: `Critical < High < ... < Info`, so an
/// ascending sort puts the worst first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Act now.
    Critical,
    /// Act this review.
    High,
    /// Plan a fix.
    Medium,
    /// Tidy up.
    Low,
    /// For the record.
    Info,
}

impl Severity {
    /// Every severity, worst first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// Whether `self` is at least as severe as `floor`.
    pub fn at_least(self, floor: Severity) -> bool {
        self <= floor
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("{s:?} is not a severity; use critical, high, medium, low or info")
            })
    }
}

/// What a finding is about: a principal, or the org or project itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Subject {
    /// Principal key (`user:…`, `apikey:…`, `org:…`, `project:…`, …).
    pub key: String,
    /// Kind: a principal kind, or `org` / `project`.
    pub kind: SubjectKind,
    /// Display name.
    pub name: String,
}

/// The kinds of thing a finding can be about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// An organization.
    Org,
    /// A project.
    Project,
    /// A person with an Atlas login.
    AtlasUser,
    /// A programmatic API key.
    ApiKey,
    /// A service account.
    ServiceAccount,
    /// A team.
    Team,
    /// A database user.
    DatabaseUser,
    /// An identity-provider group with a federation role mapping.
    IdpGroup,
    /// A cloud-provider role Atlas may assume.
    CloudProviderRole,
}

impl SubjectKind {
    /// The snake_case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Org => "org",
            SubjectKind::Project => "project",
            SubjectKind::AtlasUser => "atlas_user",
            SubjectKind::ApiKey => "api_key",
            SubjectKind::ServiceAccount => "service_account",
            SubjectKind::Team => "team",
            SubjectKind::DatabaseUser => "database_user",
            SubjectKind::IdpGroup => "idp_group",
            SubjectKind::CloudProviderRole => "cloud_provider_role",
        }
    }
}

impl From<PrincipalKind> for SubjectKind {
    fn from(k: PrincipalKind) -> Self {
        match k {
            PrincipalKind::AtlasUser => SubjectKind::AtlasUser,
            PrincipalKind::ApiKey => SubjectKind::ApiKey,
            PrincipalKind::ServiceAccount => SubjectKind::ServiceAccount,
            PrincipalKind::Team => SubjectKind::Team,
            PrincipalKind::DatabaseUser => SubjectKind::DatabaseUser,
            PrincipalKind::IdpGroup => SubjectKind::IdpGroup,
            PrincipalKind::CloudProviderRole => SubjectKind::CloudProviderRole,
        }
    }
}

impl From<&Principal> for Subject {
    fn from(p: &Principal) -> Self {
        Subject {
            key: p.key.clone(),
            kind: p.kind.into(),
            name: p.name.clone(),
        }
    }
}

/// Where a finding applies.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct FindingScope {
    /// The org.
    pub org_id: String,
    /// The project, when narrower than the org.
    pub project_id: Option<String>,
}

impl FindingScope {
    /// A whole org.
    pub fn org(org_id: &str) -> Self {
        FindingScope {
            org_id: org_id.into(),
            project_id: None,
        }
    }

    /// One project.
    pub fn project(org_id: &str, project_id: &str) -> Self {
        FindingScope {
            org_id: org_id.into(),
            project_id: Some(project_id.into()),
        }
    }

    /// `project:<id>` or `org:<id>`: the narrowest key, as exemptions name scopes.
    pub fn key(&self) -> String {
        match &self.project_id {
            Some(p) => crate::model::key::project(p),
            None => crate::model::key::org(&self.org_id),
        }
    }
}

/// The facts that triggered a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// One or two sentences a reviewer can read aloud.
    pub summary: String,
    /// The facts, named as Atlas names them where they come from Atlas.
    pub facts: Vec<Fact>,
}

/// One named fact: a field and its value, a date, a count, or a grant and how it was reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Fact {
    /// What the fact is, e.g. `lastAuth`, `days_since`, `grant`.
    pub name: String,
    /// Its value.
    pub value: Value,
}

impl Fact {
    /// A fact from anything that serialises.
    pub fn new(name: &str, value: impl Serialize) -> Fact {
        Fact {
            name: name.into(),
            value: serde_json::to_value(value).unwrap_or(Value::Null),
        }
    }
}

/// What the reviewer should do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Remove the access.
    Revoke,
    /// Lower it to a named lesser role or scope, or change the setting.
    Modify,
    /// Keep it, recorded with an exemption.
    Keep,
}

impl Action {
    /// The word used in reports and the workbook's Decision column.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Revoke => "Revoke",
            Action::Modify => "Modify",
            Action::Keep => "Keep",
        }
    }
}

/// A recommendation: an action, what to change it to, and how, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Recommendation {
    /// Revoke, Modify or Keep.
    pub action: Action,
    /// For Modify: the lesser role, scope or setting value to move to.
    pub to: Option<String>,
    /// What to do, in a sentence.
    pub text: String,
}

impl Recommendation {
    /// Remove the access.
    pub fn revoke(text: impl Into<String>) -> Self {
        Recommendation {
            action: Action::Revoke,
            to: None,
            text: text.into(),
        }
    }

    /// Change to `to`.
    pub fn modify(to: impl Into<String>, text: impl Into<String>) -> Self {
        Recommendation {
            action: Action::Modify,
            to: Some(to.into()),
            text: text.into(),
        }
    }

    /// Keep, with an exemption that records why.
    pub fn keep(text: impl Into<String>) -> Self {
        Recommendation {
            action: Action::Keep,
            to: None,
            text: text.into(),
        }
    }
}

/// Whether a finding awaits action.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Needs a decision.
    Open,
    /// Accepted by a current exemption of the policy.
    Exempted,
}

impl Status {
    /// `open` or `exempted`, as every output writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Exempted => "exempted",
        }
    }
}

/// The exemption that matched a finding (current or expired).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExemptionNote {
    /// Why the access is accepted.
    pub reason: String,
    /// Who owns the decision.
    pub owner: Option<String>,
    /// The ticket that records it.
    pub ticket: Option<String>,
    /// The last day it applies.
    pub expires: Date,
    /// It ended before the as-of date and no longer applies.
    pub expired: bool,
    /// Line of the `[[exemption]]` in the policy file.
    pub policy_line: Option<usize>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable id: `F-` and 10 hex digits of the SHA-256 of rule, principal key and scope key,
    /// so the same finding keeps its id from one review to the next (see [`finding_id`]).
    pub id: String,
    /// Rule id.
    pub rule: RuleId,
    /// Severity after the policy's overrides.
    pub severity: Severity,
    /// What it is about.
    pub principal: Subject,
    /// Where.
    pub scope: FindingScope,
    /// One line.
    pub title: String,
    /// The facts behind it.
    pub evidence: Evidence,
    /// What to do.
    pub recommendation: Recommendation,
    /// Open or exempted.
    pub status: Status,
    /// The exemption that matched, current or expired.
    pub exemption: Option<ExemptionNote>,
}

/// A rule that could not be judged for a scope, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct NotEvaluated {
    /// Rule id.
    pub rule: RuleId,
    /// Where.
    pub scope: FindingScope,
    /// A single principal, when the gap is that narrow.
    pub principal: Option<String>,
    /// Why, and what would let it be judged.
    pub reason: String,
}

/// Something about the policy's exemptions a reviewer should know.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct ExemptionWarning {
    /// Rule the exemption names.
    pub rule: RuleId,
    /// Principal pattern it names.
    pub principal: String,
    /// Line of the `[[exemption]]` in the policy file.
    pub policy_line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// The `findings.json` format version. Fields are only ever added within a version.
pub const FINDINGS_SCHEMA_VERSION: u32 = 1;

/// Everything the rules produced for one snapshot and policy: `findings.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Findings {
    /// Format version ([`FINDINGS_SCHEMA_VERSION`] when written by this build).
    #[schemars(extend("const" = FINDINGS_SCHEMA_VERSION))]
    pub schema_version: u32,
    /// The snapshot's `collected_at`: every age is measured from it.
    pub as_of: Timestamp,
    /// Findings, worst first, then by rule and principal.
    pub findings: Vec<Finding>,
    /// Rules and scopes that could not be judged.
    pub not_evaluated: Vec<NotEvaluated>,
    /// Exemptions that matched nothing, or expired.
    pub exemption_warnings: Vec<ExemptionWarning>,
}

impl Findings {
    /// Open findings at or above `floor`.
    pub fn open_at_least(&self, floor: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.status == Status::Open && f.severity.at_least(floor))
            .count()
    }
}

/// The id of a finding about `principal` in `scope` under `rule`: the same in every run that
/// finds it. A second finding with the same three parts (which no rule emits today) gets
/// `-2`, `-3`, … in output order.
pub fn finding_id(rule: RuleId, principal: &str, scope: &FindingScope) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(rule.as_str().as_bytes());
    h.update([0]);
    h.update(principal.as_bytes());
    h.update([0]);
    h.update(scope.key().as_bytes());
    let digest = h.finalize();
    let mut id = String::with_capacity(12);
    id.push_str("F-");
    id.push_str(&crate::files::hex(&digest[..5]));
    id
}

//! The policy: thresholds, role lists, production tags, severity overrides and exemptions that
//! the rules read (`atlas-audit.toml`, DESIGN §5). A file is parsed in two steps, raw TOML with
//! positions, then validated, so that *every* problem is reported with its line and column
//! before the run stops. A missing file means the defaults of the catalogue.

mod codes;
mod keys;
mod parse;
mod span;
mod starter;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use jiff::civil::Date;

pub use codes::Code;

pub use starter::starter;

use super::{RuleId, Severity};

/// A validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Ages and counts.
    pub thresholds: Thresholds,
    /// Which roles count as privileged or dangerous.
    pub roles: Roles,
    /// Project tags that mark production (`key=value`, compared without regard to case).
    pub production_tags: Vec<TagMatch>,
    /// Per-rule severity overrides, or `off`.
    pub severity: BTreeMap<RuleId, SeveritySetting>,
    /// How reviewers' decisions are read back (`[review]`).
    pub review: ReviewRules,
    /// Who should sign in through the identity provider (`[federation]`).
    pub federation: FederationPolicy,
    /// Accepted findings.
    pub exemptions: Vec<Exemption>,
}

/// `[review]`: what `decisions` asks of a decided row besides a reviewer and a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRules {
    /// Decisions (`Keep`, `Revoke`, `Modify`) that need a comment; `Revoke` and `Modify` by
    /// default.
    pub require_comment: Vec<String>,
}

impl Default for ReviewRules {
    fn default() -> Self {
        ReviewRules {
            require_comment: vec!["Revoke".into(), "Modify".into()],
        }
    }
}

/// `[federation]`: what USER_NOT_FEDERATED needs when Atlas does not say it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FederationPolicy {
    /// The company's email domains (lowercase), added to the identity providers' associated
    /// domains: a person whose username is in none of them is not federated.
    pub company_domains: Vec<String>,
    /// Orgs (ids, or `*` for every org) whose members must sign in through the identity
    /// provider even where Atlas shows no active one.
    pub sso_required_orgs: Vec<String>,
}

impl FederationPolicy {
    /// Whether the policy says the org's members must sign in through the identity provider.
    pub fn requires_sso(&self, org_id: &str) -> bool {
        self.sso_required_orgs
            .iter()
            .any(|o| o == "*" || o == org_id)
    }
}

/// Ages (days) and counts the rules compare against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// A person, key, account or database user unused for more than this many days is stale.
    pub inactive_days: u32,
    /// A pending invitation older than this is stale.
    pub invite_max_days: u32,
    /// How far back authored events count as using a privilege.
    pub lookback_days: u32,
    /// Warn about service-account secrets and database-user certificates expiring within this
    /// many days.
    pub secret_warning_days: u32,
    /// Service-account secrets valid for longer than this are long-lived.
    pub max_secret_days: u32,
    /// Database-user certificates valid for longer than this are long-lived. Apart from
    /// `max_secret_days` because Atlas issues a certificate for three months and an hour by
    /// default (90 to 93 days by the month), which a 90-day limit would flag every time.
    pub max_certificate_days: u32,
    /// Fewer active human org owners than this is a finding.
    pub min_org_owners: u32,
    /// More active human org owners than this is a finding.
    pub max_org_owners: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            inactive_days: 90,
            invite_max_days: 30,
            lookback_days: 90,
            secret_warning_days: 14,
            max_secret_days: 90,
            max_certificate_days: 93,
            min_org_owners: 2,
            max_org_owners: 3,
        }
    }
}

/// Role lists. Atlas's roles are an open set; these name the ones the rules single out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles {
    /// Project roles that USER_PRIVILEGED_PROJECT_ROLE and USER_UNUSED_PRIVILEGE look for.
    pub privileged_project_roles: Vec<String>,
    /// Org and project roles that make an API key or service account privileged.
    pub privileged_machine_roles: Vec<String>,
    /// Built-in database roles that DBUSER_ADMIN_ROLE rates high.
    pub database_admin_roles_high: Vec<String>,
    /// Built-in database roles that DBUSER_ADMIN_ROLE rates medium.
    pub database_admin_roles_medium: Vec<String>,
    /// Custom-role actions DBUSER_DANGEROUS_CUSTOM_ROLE looks for on wildcard resources.
    pub dangerous_actions: Vec<String>,
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for Roles {
    fn default() -> Self {
        Roles {
            privileged_project_roles: strings(&[
                "GROUP_OWNER",
                "GROUP_DATA_ACCESS_ADMIN",
                "GROUP_DATABASE_ACCESS_ADMIN",
                "GROUP_ACCESS_MANAGER",
                "GROUP_NETWORK_ACCESS_MANAGER",
            ]),
            privileged_machine_roles: strings(&["ORG_OWNER", "GROUP_OWNER"]),
            database_admin_roles_high: strings(&[
                "atlasAdmin",
                "readWriteAnyDatabase",
                "dbAdminAnyDatabase",
            ]),
            database_admin_roles_medium: strings(&[
                "readAnyDatabase",
                "backup",
                "clusterMonitor",
                "enableSharding",
            ]),
            dangerous_actions: strings(&[
                "DROP_DATABASE",
                "DROP_COLLECTION",
                "BYPASS_DOCUMENT_VALIDATION",
                "BYPASS_USER_WRITE_BLOCK",
                "KILL_OP",
                "KILL_ANY_CURSOR",
                "KILL_ANY_SESSION",
                "OUT_TO_S3",
                "OUT_TO_AZURE",
                "OUT_TO_GCS",
                "STORAGE_SET_CONFIG",
                "SET_USER_WRITE_BLOCK",
            ]),
        }
    }
}

/// A project tag that marks production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagMatch {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

impl TagMatch {
    /// Whether a project's tags carry this one (key and value compared without regard to case).
    pub fn matches(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.iter().any(|(k, v)| {
            k.trim().eq_ignore_ascii_case(&self.key) && v.trim().eq_ignore_ascii_case(&self.value)
        })
    }
}

impl fmt::Display for TagMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

fn default_production_tags() -> Vec<TagMatch> {
    [
        ("environment", "production"),
        ("environment", "prod"),
        ("env", "production"),
        ("env", "prod"),
    ]
    .into_iter()
    .map(|(key, value)| TagMatch {
        key: key.into(),
        value: value.into(),
    })
    .collect()
}

/// A severity override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeveritySetting {
    /// The rule does not run.
    Off,
    /// Every finding of the rule gets this severity.
    Level(Severity),
}

/// An accepted finding: matched by rule and principal key (a glob), optionally scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    /// The rule.
    pub rule: RuleId,
    /// Principal key or glob (`*` matches any run of characters, `?` one).
    pub principal: String,
    /// `org:<id>` or `project:<id>` (or a glob); `None` means anywhere.
    pub scope: Option<String>,
    /// Why the access is accepted.
    pub reason: String,
    /// Who owns the decision.
    pub owner: Option<String>,
    /// The ticket that records it.
    pub ticket: Option<String>,
    /// The last day it applies (inclusive, UTC).
    pub expires: Date,
    /// Line of the `[[exemption]]` header in the policy file, when read from one.
    pub line: Option<usize>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            thresholds: Thresholds::default(),
            roles: Roles::default(),
            production_tags: default_production_tags(),
            severity: BTreeMap::new(),
            review: ReviewRules::default(),
            federation: FederationPolicy::default(),
            exemptions: Vec::new(),
        }
    }
}

impl Policy {
    /// Parses and validates policy text. `origin` names the file in messages.
    ///
    /// # Errors
    /// Every problem found, each with its line, column and field.
    pub fn parse(text: &str, origin: &Path) -> Result<Policy, PolicyError> {
        parse::parse(text).map_err(|problems| PolicyError::Invalid {
            path: origin.to_path_buf(),
            problems,
        })
    }

    /// Reads and validates a policy file.
    ///
    /// # Errors
    /// When the file cannot be read, or any problem in it.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Policy::parse(&text, path)
    }

    /// The severity a rule's findings get: the override, else `natural`. `None` when off.
    pub fn severity_for(&self, rule: RuleId, natural: Severity) -> Option<Severity> {
        match self.severity.get(&rule) {
            Some(SeveritySetting::Off) => None,
            Some(SeveritySetting::Level(s)) => Some(*s),
            None => Some(natural),
        }
    }

    /// Whether the rule runs at all.
    pub fn is_enabled(&self, rule: RuleId) -> bool {
        self.severity.get(&rule) != Some(&SeveritySetting::Off)
    }

    /// Whether the project's tags mark it as production.
    pub fn is_production(&self, tags: &BTreeMap<String, String>) -> bool {
        self.production_tags.iter().any(|t| t.matches(tags))
    }
}

/// One problem in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What kind of problem it is (stable, listed in the README).
    pub code: Code,
    /// The field, as a path: `thresholds.inactive_days`, `exemption[2].expires`.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: [{}] {}: {}",
            self.line, self.column, self.code, self.field, self.message
        )
    }
}

/// Why a policy could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read the policy file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file has problems; all of them are listed.
    #[error("{}", invalid_message(path, problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem, in file order.
        problems: Vec<Problem>,
    },
}

fn invalid_message(path: &Path, problems: &[Problem]) -> String {
    let mut s = format!(
        "the policy file {} has {} problem{}; fix {} and run again (`atlas-audit init` writes a commented example):",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        if problems.len() == 1 { "it" } else { "them" },
    );
    for p in problems {
        s.push_str(&format!("\n  {}:{p}", path.display()));
    }
    s
}

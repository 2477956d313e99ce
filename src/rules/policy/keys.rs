//! The keys of a policy file: every table and key, with its range, how it reads and writes the
//! policy's types, and a one-line description. The validator checks a file against these lists
//! and the starter policy is written from them, so the two cannot drift apart.

use super::{Roles, Thresholds};
use crate::rules::RuleId;

/// A key of `[thresholds]`: its range, and how it reads and writes [`Thresholds`].
pub(super) struct ThresholdKey {
    /// The key.
    pub name: &'static str,
    /// Smallest accepted value.
    pub min: u32,
    /// Largest accepted value.
    pub max: u32,
    /// Whether the value is a number of days (else a count).
    pub days: bool,
    /// One line for the starter policy.
    pub help: &'static str,
    /// Reads the value.
    pub get: fn(&Thresholds) -> u32,
    /// Writes the value.
    pub set: fn(&mut Thresholds, u32),
}

/// Every key of `[thresholds]`, in the order the starter shows them.
pub(super) const THRESHOLDS: &[ThresholdKey] = &[
    ThresholdKey {
        name: "inactive_days",
        min: 1,
        max: 3650,
        days: true,
        help: "A person, API key, service account or database user unused for more days than this is stale",
        get: |t| t.inactive_days,
        set: |t, v| t.inactive_days = v,
    },
    ThresholdKey {
        name: "invite_max_days",
        min: 1,
        max: 3650,
        days: true,
        help: "A pending invitation older than this many days is stale",
        get: |t| t.invite_max_days,
        set: |t, v| t.invite_max_days = v,
    },
    ThresholdKey {
        name: "lookback_days",
        min: 1,
        max: 3650,
        days: true,
        help: "How many days back an event a person authored counts as using their privilege",
        get: |t| t.lookback_days,
        set: |t, v| t.lookback_days = v,
    },
    ThresholdKey {
        name: "secret_warning_days",
        min: 0,
        max: 3650,
        days: true,
        help: "Warn about service-account secrets and database-user certificates that expire within this many days",
        get: |t| t.secret_warning_days,
        set: |t, v| t.secret_warning_days = v,
    },
    ThresholdKey {
        name: "max_secret_days",
        min: 1,
        max: 3650,
        days: true,
        help: "Service-account secrets valid for more days than this are long-lived",
        get: |t| t.max_secret_days,
        set: |t, v| t.max_secret_days = v,
    },
    ThresholdKey {
        name: "max_certificate_days",
        min: 1,
        max: 3650,
        days: true,
        help: "Database-user certificates valid for more days than this are long-lived (93: Atlas's default of three months and an hour passes)",
        get: |t| t.max_certificate_days,
        set: |t, v| t.max_certificate_days = v,
    },
    ThresholdKey {
        name: "min_org_owners",
        min: 1,
        max: 1000,
        days: false,
        help: "Fewer active people holding ORG_OWNER than this is a finding",
        get: |t| t.min_org_owners,
        set: |t, v| t.min_org_owners = v,
    },
    ThresholdKey {
        name: "max_org_owners",
        min: 1,
        max: 1000,
        days: false,
        help: "More active people holding ORG_OWNER than this is a finding; at least min_org_owners",
        get: |t| t.max_org_owners,
        set: |t, v| t.max_org_owners = v,
    },
];

/// A key of `[roles]`: a list of role or action names.
pub(super) struct RoleList {
    /// The key.
    pub name: &'static str,
    /// One line for the starter policy.
    pub help: &'static str,
    /// Reads the list.
    pub get: fn(&Roles) -> &Vec<String>,
    /// Writes the list.
    pub set: fn(&mut Roles, Vec<String>),
}

/// Every key of `[roles]`, in the order the starter shows them.
pub(super) const ROLE_LISTS: &[RoleList] = &[
    RoleList {
        name: "privileged_project_roles",
        help: "Project roles that USER_PRIVILEGED_PROJECT_ROLE and USER_UNUSED_PRIVILEGE look for",
        get: |r| &r.privileged_project_roles,
        set: |r, v| r.privileged_project_roles = v,
    },
    RoleList {
        name: "privileged_machine_roles",
        help: "Org and project roles that make an API key or service account privileged",
        get: |r| &r.privileged_machine_roles,
        set: |r, v| r.privileged_machine_roles = v,
    },
    RoleList {
        name: "database_admin_roles_high",
        help: "Built-in database roles that DBUSER_ADMIN_ROLE rates high",
        get: |r| &r.database_admin_roles_high,
        set: |r, v| r.database_admin_roles_high = v,
    },
    RoleList {
        name: "database_admin_roles_medium",
        help: "Built-in database roles that DBUSER_ADMIN_ROLE rates medium",
        get: |r| &r.database_admin_roles_medium,
        set: |r, v| r.database_admin_roles_medium = v,
    },
    RoleList {
        name: "dangerous_actions",
        help: "Custom-role actions that DBUSER_DANGEROUS_CUSTOM_ROLE looks for on any database or the cluster",
        get: |r| &r.dangerous_actions,
        set: |r, v| r.dangerous_actions = v,
    },
];

/// The keys of `[federation]`: a list of domains, a list of org ids.
pub(super) const COMPANY_DOMAINS: &str = "company_domains";
/// See [`COMPANY_DOMAINS`].
pub(super) const SSO_REQUIRED_ORGS: &str = "sso_required_orgs";

/// The one key of `[projects]`.
pub(super) const PRODUCTION_TAGS: &str = "production_tags";

/// A key of an `[[exemption]]` table.
pub(super) struct ExemptionField {
    /// The key.
    pub name: &'static str,
    /// Whether every exemption must have it.
    pub required: bool,
    /// An example value, as TOML.
    pub example: &'static str,
    /// One line for the starter policy.
    pub help: &'static str,
}

/// Every key of an `[[exemption]]` table, in the order the starter shows them.
pub(super) const EXEMPTION_FIELDS: &[ExemptionField] = &[
    ExemptionField {
        name: "rule",
        required: true,
        example: "\"DBUSER_ADMIN_ROLE\"",
        help: "the rule id, as listed under [severity] above",
    },
    ExemptionField {
        name: "principal",
        required: true,
        example: "\"dbuser:5f1d.../admin/backup-agent\"",
        help: "a principal key, or a glob over keys (* any run of characters, ? one)",
    },
    ExemptionField {
        name: "scope",
        required: false,
        example: "\"project:5f1d...\"",
        help: "org:<id> or project:<id> (glob allowed); leave out to match anywhere",
    },
    ExemptionField {
        name: "reason",
        required: true,
        example: "\"Backup agent needs backup role\"",
        help: "why the access is accepted",
    },
    ExemptionField {
        name: "owner",
        required: false,
        example: "\"dba@acme.example\"",
        help: "who owns the decision",
    },
    ExemptionField {
        name: "ticket",
        required: false,
        example: "\"SEC-1432\"",
        help: "where the decision is recorded",
    },
    ExemptionField {
        name: "expires",
        required: true,
        example: "2027-03-31",
        help: "the last day it applies (YYYY-MM-DD, UTC, inclusive), bare or quoted",
    },
];

/// The forms of principal keys (DESIGN §4). A principal pattern starts with one of their
/// prefixes (up to the colon), or is a glob that starts with `*`.
pub(super) const PRINCIPAL_KEY_FORMS: &[&str] = &[
    "user:<username>",
    "apikey:<publicKey>",
    "sa:<clientId>",
    "team:<orgId>/<teamName>",
    "dbuser:<projectId>/<database>/<username>",
    "idpgroup:<orgId>/<externalGroupName>",
    "org:<orgId>",
    "project:<projectId>",
];

/// The prefixes of [`PRINCIPAL_KEY_FORMS`], colon included.
pub(super) fn principal_prefixes() -> impl Iterator<Item = &'static str> {
    PRINCIPAL_KEY_FORMS.iter().map(|form| {
        form.split_once(':')
            .map_or(*form, |(p, _)| &form[..=p.len()])
    })
}

/// The tables of a policy file.
pub(super) const ROOT_TABLES: &[&str] = &[
    "thresholds",
    "roles",
    "projects",
    "review",
    "federation",
    "severity",
    "exemption",
];

/// `[review] require_comment`: the decisions that need a reviewer's comment.
pub(super) const REQUIRE_COMMENT: &str = "require_comment";

/// The decisions a reviewer can write in the workbook.
pub(super) const DECISIONS: &[&str] = &["Keep", "Revoke", "Modify"];

/// The table a key of another table belongs in, for a key written in the wrong place.
pub(super) fn home_of(name: &str) -> Option<&'static str> {
    if THRESHOLDS.iter().any(|k| k.name == name) {
        Some("[thresholds]")
    } else if ROLE_LISTS.iter().any(|k| k.name == name) {
        Some("[roles]")
    } else if name == REQUIRE_COMMENT {
        Some("[review]")
    } else if name == PRODUCTION_TAGS {
        Some("[projects]")
    } else if name == COMPANY_DOMAINS || name == SSO_REQUIRED_ORGS {
        Some("[federation]")
    } else if RuleId::ALL.iter().any(|r| r.as_str() == name) {
        Some("[severity]")
    } else if EXEMPTION_FIELDS.iter().any(|f| f.name == name) {
        Some("an [[exemption]] table")
    } else {
        None
    }
}

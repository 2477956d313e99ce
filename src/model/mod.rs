//! The audit's own model of an Atlas estate: one [`Snapshot`], serialisable to JSON with a
//! schema version. Everything volatile about a run (when, how many requests, how long) is in
//! [`Meta`]; the rest is a pure function of the estate, sorted, so two collections of the same
//! estate give the same JSON outside `meta`. This module imports nothing from the rest of the
//! crate but [`crate::files`], which writes the snapshot file atomically.

mod access;
mod estate;
mod federation;
mod file;
pub mod logtime;
mod principal;
mod read;
mod scan;

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use access::*;
pub use estate::*;
pub use federation::*;
pub use file::{LoadedFile, SnapshotError, from_slice, load, load_hashed, save, save_into};
pub use principal::*;

/// The snapshot format version. A reader refuses snapshots with a higher number. Version 2:
/// an access-log entry's `at` may be `null` (a time Atlas sent that could not be read), clusters
/// carry `provider` and `tier`, service accounts `system_managed`; version 1 snapshots load as
/// they are (the new fields read as unknown). Version 3: principals of kind `idp_group` (an
/// identity-provider group with a federation role mapping) and `cloud_provider_role`, grants
/// with the path `idp-group`, an org's `federation`, a project's `user_security`, a database
/// user's certificates and a person's per-project invitations; versions 1 and 2 load as they
/// are (the new fields read as not collected).
pub const SCHEMA_VERSION: u32 = 3;

/// An Atlas estate as collected at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Snapshot {
    /// Format version ([`SCHEMA_VERSION`] when written by this build).
    #[schemars(extend("const" = SCHEMA_VERSION))]
    pub schema_version: u32,
    /// How, when and by whom it was collected.
    pub meta: Meta,
    /// Organizations.
    pub orgs: Vec<Org>,
    /// Projects.
    pub projects: Vec<Project>,
    /// Everything that holds access, sorted by key.
    pub principals: Vec<Principal>,
    /// Who holds which role where: the table an access review is about.
    pub grants: Vec<Grant>,
    /// Custom database roles.
    pub custom_roles: Vec<CustomRole>,
    /// Database authentications seen in the access logs, Atlas's own agents' and those whose
    /// time could not be read included.
    pub access_logs: Vec<AccessLogEntry>,
    /// Which stretch of each cluster's access log was read.
    pub access_log_windows: Vec<AccessLogWindow>,
    /// Org and project events in the collection window.
    pub events: Vec<Event>,
    /// What could not be read. Empty means complete.
    pub coverage: Vec<CoverageGap>,
}

impl Snapshot {
    /// Whether every requested scope was read.
    pub fn is_complete(&self) -> bool {
        self.coverage.is_empty()
    }

    /// The snapshot with its volatile `meta` blanked: what two collections of one estate share.
    pub fn without_meta(&self) -> Snapshot {
        Snapshot {
            meta: Meta::default(),
            ..self.clone()
        }
    }
}

/// `1 org`, `6 projects`: a count with the word that fits it, for every message and page.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// An error and each cause under it, joined by `: `: how every message tells a chain of
/// errors, each cause once (a coverage gap's reason, a line on stderr).
pub fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// The UTC calendar day of a moment: the day every date in the snapshot, the store and the
/// reports is counted in.
pub fn utc_day(t: Timestamp) -> jiff::civil::Date {
    t.to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// How the snapshot was made. Volatile by nature.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Meta {
    /// `atlas-audit` version.
    pub tool_version: String,
    /// The as-of time for every age the rules compute.
    pub collected_at: Option<Timestamp>,
    /// How long the collection took, in milliseconds.
    pub duration_ms: u64,
    /// The credential's public identity: `api_key:<publicKey>` or `service_account:<clientId>`.
    pub credential: String,
    /// Atlas base URL.
    pub base_url: String,
    /// What was asked for.
    pub scope: RequestedScope,
    /// Per-endpoint request tallies, by operation id.
    pub endpoints: BTreeMap<String, EndpointTally>,
}

/// The scope a collection was asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RequestedScope {
    /// `--org` values; empty means every org the credential can read.
    pub orgs: Vec<String>,
    /// `--project` values; empty means every project of those orgs.
    pub projects: Vec<String>,
    /// Events from this time on.
    pub events_since: Option<Timestamp>,
    /// Access logs from this time on.
    pub access_logs_since: Option<Timestamp>,
}

/// What it took to read one endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointTally {
    /// HTTP requests sent (answers to digest challenges and retries included).
    pub requests: u64,
    /// Pages (or whole responses) received successfully.
    pub pages: u64,
    /// Items received.
    pub items: u64,
    /// Requests repeated after a retryable failure.
    pub retries: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// 401 digest challenges answered.
    pub challenges: u64,
    /// Logical requests that failed for good.
    pub failures: u64,
    /// Sum of Atlas's `totalCount` over the listings that reported one.
    pub total_count: u64,
}

/// Where a grant applies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Scope {
    /// A whole organization.
    Org {
        /// The org.
        org_id: String,
    },
    /// A project.
    Project {
        /// Owning org.
        org_id: String,
        /// The project.
        project_id: String,
    },
    /// Databases of a project's clusters.
    Database {
        /// Owning org.
        org_id: String,
        /// The project.
        project_id: String,
        /// `db`, `db.collection`, or `*` for any database.
        resource: String,
        /// Clusters it is limited to; empty means every cluster.
        clusters: Vec<String>,
    },
}

impl Scope {
    /// `org:<id>`, `project:<id>`, or `project:<id>/db:<resource>` with `@<cluster>,…` when
    /// limited to clusters: one text for the scope, as grant ids hash it.
    pub fn key(&self) -> String {
        match self {
            Scope::Org { org_id } => key::org(org_id),
            Scope::Project { project_id, .. } => key::project(project_id),
            Scope::Database {
                project_id,
                resource,
                clusters,
                ..
            } => {
                let mut key = ["project:", project_id, "/db:", resource].concat();
                if !clusters.is_empty() {
                    key.push('@');
                    key.push_str(&clusters.join(","));
                }
                key
            }
        }
    }

    /// The org the scope belongs to.
    pub fn org_id(&self) -> &str {
        match self {
            Scope::Org { org_id }
            | Scope::Project { org_id, .. }
            | Scope::Database { org_id, .. } => org_id,
        }
    }

    /// The project, when the scope is narrower than an org.
    pub fn project_id(&self) -> Option<&str> {
        match self {
            Scope::Org { .. } => None,
            Scope::Project { project_id, .. } | Scope::Database { project_id, .. } => {
                Some(project_id)
            }
        }
    }
}

/// How a principal came to hold a role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "path", content = "from")]
pub enum Via {
    /// Granted to the principal itself.
    Direct,
    /// Through membership of a team (the team's name).
    Team(String),
    /// Implied on every project by an org role (the org role).
    OrgRole(String),
    /// Through a federation role mapping: members of this identity-provider group get the
    /// role when they sign in (the group's `externalGroupName`).
    IdpGroup(String),
}

impl Via {
    /// `direct`, `team:<name>`, `org-role` or `idp-group:<externalGroupName>`, as written in
    /// every output.
    pub fn label(&self) -> String {
        match self {
            Via::Direct => "direct".to_string(),
            Via::Team(name) => ["team:", name].concat(),
            Via::OrgRole(_) => "org-role".to_string(),
            Via::IdpGroup(name) => ["idp-group:", name].concat(),
        }
    }

    /// The path with whatever it goes through: `direct`, `team:<name>`, `org-role:<role>`.
    pub fn key(&self) -> String {
        match self {
            Via::OrgRole(role) => ["org-role:", role].concat(),
            other => other.label(),
        }
    }
}

/// One row of the entitlement table: a principal holds a role on a scope by some path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Grant {
    /// Principal key.
    pub principal: String,
    /// Where.
    pub scope: Scope,
    /// The role, as Atlas names it (an open set).
    pub role: String,
    /// How.
    pub via: Via,
}

impl Grant {
    /// The grant's stable id: `G-` and the first 10 hex digits of the SHA-256 of its principal
    /// key, scope, role and path (as [`Via::label`] writes it, with the team's or org role's
    /// name). The same grant has the same id in every report, so a reviewer's decision on it
    /// can be read back and carried out.
    pub fn id(&self) -> String {
        grant_id(
            &self.principal,
            &self.scope.key(),
            &self.role,
            &self.via.key(),
        )
    }
}

/// A grant's id ([`Grant::id`]) from its keys as every output writes them: the principal key,
/// `Scope::key()`, the role and `Via::key()`. Reading a workbook back uses it to check that a
/// row's keys still name the grant its id names.
pub fn grant_id(principal: &str, scope_key: &str, role: &str, via_key: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [principal, scope_key, role, via_key] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let mut id = String::with_capacity(12);
    id.push_str("G-");
    crate::files::push_hex(&mut id, &digest[..5]);
    id
}

/// An org or project event, flattened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Event {
    /// Event id.
    pub id: String,
    /// When.
    pub created: Timestamp,
    /// Event type (an open set).
    pub event_type: String,
    /// Org.
    pub org_id: Option<String>,
    /// Project.
    pub project_id: Option<String>,
    /// Principal key of the author, when one can be named.
    pub actor: Option<String>,
    /// A MongoDB employee acted.
    pub by_mongodb_staff: bool,
    /// Caller's address.
    pub remote_address: Option<String>,
    /// What the event is about: a user, key, service account (client id), team or database
    /// user, as Atlas names it.
    pub target: Option<String>,
}

/// Atlas keeps about this many days of database access history: a read of a cluster's access
/// log reaches back no further, so longer observation takes several reads.
pub const ACCESS_HISTORY_DAYS: i64 = 7;

/// Whether a username in the access logs is Atlas's or MongoDB's own machinery rather than a
/// database user: Atlas's agents all sign in under an `mms-` name (`mms-automation`,
/// `mms-mongotune`, `mms-monitoring-agent`, `mms-backup-agent`, ...), and the members of a
/// replica set authenticate to each other as `__system`. Their entries stay in the snapshot,
/// counted like any other, but never count as a database user's activity: a database user
/// named like them would be overlooked, and Atlas's own names are reserved for its agents.
pub fn is_atlas_agent(username: &str) -> bool {
    username.starts_with("mms-") || username == "__system"
}

/// One database authentication attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccessLogEntry {
    /// Project.
    pub project_id: String,
    /// Cluster.
    pub cluster: String,
    /// Who tried.
    pub username: String,
    /// Authentication database.
    pub auth_source: Option<String>,
    /// Success.
    pub success: bool,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Client address.
    pub ip_address: Option<String>,
    /// When, from `logLine` or `timestamp` ([`logtime::entry_time`]); `None` when neither could
    /// be read: the attempt is kept and counted, and proves nothing about when (the cluster's
    /// coverage entry names how many and shows one).
    pub at: Option<Timestamp>,
}

impl AccessLogEntry {
    /// Whether the attempt was made by Atlas's own machinery ([`is_atlas_agent`]).
    pub fn is_atlas_agent(&self) -> bool {
        is_atlas_agent(&self.username)
    }

    /// The moment of a successful authentication by a database user: what counts as that
    /// user's activity. `None` for failures, Atlas's agents and entries without a time.
    pub fn login(&self) -> Option<Timestamp> {
        self.at.filter(|_| self.success && !self.is_atlas_agent())
    }

    /// Whether this is a database user's successful authentication whose time could not be
    /// read: it proves the user active at some unknown moment, so nothing may conclude that
    /// the user has been idle.
    pub fn is_undated_login(&self) -> bool {
        self.success && self.at.is_none() && !self.is_atlas_agent()
    }
}

/// The stretch of one cluster's access log that was observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccessLogWindow {
    /// Project.
    pub project_id: String,
    /// Cluster.
    pub cluster: String,
    /// The earliest moment the log is known to cover: its oldest entry with a readable time
    /// (Atlas does not say how far back it keeps), or `end` when it holds none.
    pub start: Timestamp,
    /// The as-of moment.
    pub end: Timestamp,
    /// Entries read.
    pub entries: u64,
}

/// Something that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct CoverageGap {
    /// `org:<id>`, `project:<id>`, or a narrower principal or cluster key.
    pub scope: String,
    /// Atlas operation id.
    pub endpoint: String,
    /// HTTP status, when the server answered.
    pub status: Option<u16>,
    /// Atlas's `errorCode`, when sent.
    pub error_code: Option<String>,
    /// What happened, in words.
    pub reason: String,
}

impl CoverageGap {
    /// Whether Atlas answered in full (HTTP 200) and the gap lies in what it sent, such as
    /// access-log entries whose time could not be read, rather than in a read that failed.
    pub fn in_answer(&self) -> bool {
        self.status == Some(200)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(via: Via) -> Grant {
        Grant {
            principal: key::user("dana@example.com"),
            scope: Scope::Project {
                org_id: "a".repeat(24),
                project_id: "b".repeat(24),
            },
            role: "GROUP_OWNER".to_string(),
            via,
        }
    }

    #[test]
    fn grant_ids_are_stable_and_tell_every_part_apart() {
        let direct = grant(Via::Direct);
        let id = direct.id();
        assert_eq!(id.len(), 12);
        assert!(id.starts_with("G-"), "{id}");
        assert!(id[2..].bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert_eq!(id, direct.clone().id());
        let others = [
            grant(Via::Team("ops".into())),
            grant(Via::OrgRole("ORG_OWNER".into())),
            grant(Via::OrgRole("ORG_GROUP_CREATOR".into())),
            Grant {
                role: "GROUP_READ_ONLY".into(),
                ..direct.clone()
            },
            Grant {
                principal: key::user("sam@example.com"),
                ..direct.clone()
            },
            Grant {
                scope: Scope::Org {
                    org_id: "a".repeat(24),
                },
                ..direct.clone()
            },
        ];
        let mut ids: Vec<String> = others.iter().map(Grant::id).collect();
        ids.push(id);
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "every grant has its own id");
    }

    #[test]
    fn database_scopes_with_clusters_have_their_own_key() {
        let db = |clusters: Vec<String>| Scope::Database {
            org_id: "o".into(),
            project_id: "p".into(),
            resource: "sales".into(),
            clusters,
        };
        assert_eq!(db(vec![]).key(), "project:p/db:sales");
        assert_eq!(
            db(vec!["c1".into(), "c2".into()]).key(),
            "project:p/db:sales@c1,c2"
        );
    }
}

//! Entry points for the fuzz targets in `fuzz/` and for `tests/it/fuzz_corpus.rs`, which replays
//! their corpora on the stable toolchain. Each is a thin wrapper over the code the tool runs on
//! untrusted input: a policy file, a snapshot file, and the bodies of Atlas API responses.

use std::path::Path;

use jiff::Timestamp;
use serde::de::DeserializeOwned;

use crate::atlas::ApiErrorBody;
use crate::atlas::types::{self, Page};
use crate::collect::assemble;
use crate::collect::raw::{
    RawAccessLog, RawApiKey, RawEstate, RawOrg, RawProject, RawServiceAccount, Window,
};
use crate::model::{self, Meta, Snapshot, SnapshotError};
use crate::rules::{self, Findings, Policy, RulesError, policy::PolicyError};

/// The name policy and snapshot errors give the input.
pub const ORIGIN: &str = "fuzz-input";

/// Parses and validates policy text, as `Policy::load` does after reading the file.
///
/// # Errors
/// Every problem in the text.
pub fn policy(text: &str) -> Result<Policy, PolicyError> {
    Policy::parse(text, Path::new(ORIGIN))
}

/// Reads a snapshot from bytes, as `model::load` does after reading the file.
///
/// # Errors
/// When the bytes are not a snapshot of a version this build reads.
pub fn snapshot(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    model::from_slice(bytes, Path::new(ORIGIN))
}

/// Runs every rule over a snapshot with a policy.
///
/// # Errors
/// When the snapshot carries no as-of time.
pub fn evaluate(snapshot: &Snapshot, policy: &Policy) -> Result<Findings, RulesError> {
    rules::evaluate(snapshot, policy)
}

/// Which Atlas response a body is read as: one for each decoder the collector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiResponse {
    /// `listOrgs`: a page of organizations.
    Orgs,
    /// `getOrg`: one organization.
    Org,
    /// `getOrgSettings`.
    OrgSettings,
    /// `getOrgGroups`: a page of projects.
    Projects,
    /// `getGroup`: one project.
    Project,
    /// `listOrgUsers`: a page of users.
    Users,
    /// `listOrgTeams`: a page of teams.
    Teams,
    /// `listOrgApiKeys`: a page of API keys.
    ApiKeys,
    /// `listOrgApiKeyAccessListEntries`: a page of an API key's access list.
    ApiKeyAccessList,
    /// `listOrgServiceAccounts`: a page of service accounts.
    ServiceAccounts,
    /// `getOrgServiceAccountGroups`: a page of a service account's project roles.
    ServiceAccountProjects,
    /// `listOrgServiceAccountAccessList`: a page of a service account's access list.
    ServiceAccountAccessList,
    /// `listOrgEvents`: a page of org events.
    OrgEvents,
    /// `getGroupSettings`.
    ProjectSettings,
    /// `listGroupAccessListEntries`: a page of the project's IP access list.
    NetworkAccessList,
    /// `getGroupAuditLog`.
    AuditLog,
    /// `listGroupClusters`: a page of clusters.
    Clusters,
    /// `listGroupTeams`: a page of teams' project roles.
    ProjectTeams,
    /// `listGroupDatabaseUsers`: a page of database users.
    DatabaseUsers,
    /// `listGroupCustomDbRoleRoles`: a bare array of custom roles.
    CustomRoles,
    /// `getGroupDbAccessHistoryCluster`: one cluster's access log.
    AccessLogs,
    /// `listGroupEvents`: a page of project events.
    ProjectEvents,
    /// The `ApiError` body of an error status.
    ApiError,
}

impl ApiResponse {
    /// Every kind, in the order [`ApiResponse::from_byte`] numbers them.
    pub const ALL: &[ApiResponse] = &[
        ApiResponse::Orgs,
        ApiResponse::Org,
        ApiResponse::OrgSettings,
        ApiResponse::Projects,
        ApiResponse::Project,
        ApiResponse::Users,
        ApiResponse::Teams,
        ApiResponse::ApiKeys,
        ApiResponse::ApiKeyAccessList,
        ApiResponse::ServiceAccounts,
        ApiResponse::ServiceAccountProjects,
        ApiResponse::ServiceAccountAccessList,
        ApiResponse::OrgEvents,
        ApiResponse::ProjectSettings,
        ApiResponse::NetworkAccessList,
        ApiResponse::AuditLog,
        ApiResponse::Clusters,
        ApiResponse::ProjectTeams,
        ApiResponse::DatabaseUsers,
        ApiResponse::CustomRoles,
        ApiResponse::AccessLogs,
        ApiResponse::ProjectEvents,
        ApiResponse::ApiError,
    ];

    /// The kind a fuzz input's first byte picks (modulo the number of kinds).
    pub fn from_byte(b: u8) -> ApiResponse {
        ApiResponse::ALL[usize::from(b) % ApiResponse::ALL.len()]
    }

    /// The byte that picks this kind.
    pub fn byte(self) -> u8 {
        let i = ApiResponse::ALL
            .iter()
            .position(|k| *k == self)
            .expect("every kind is in ALL");
        u8::try_from(i).expect("fewer than 256 kinds")
    }

    /// Whether Atlas sends it in the paginated envelope `{"results": [...]}`.
    pub fn is_paged(self) -> bool {
        !matches!(
            self,
            ApiResponse::Org
                | ApiResponse::OrgSettings
                | ApiResponse::Project
                | ApiResponse::ProjectSettings
                | ApiResponse::AuditLog
                | ApiResponse::CustomRoles
                | ApiResponse::AccessLogs
                | ApiResponse::ApiError
        )
    }

    /// The kind of a file in a simulated-Atlas world (`fixtures/README.md`), by its path below
    /// the world's folder; `None` for files that are no API response.
    pub fn for_world_file(relative: &Path) -> Option<ApiResponse> {
        let parts: Vec<&str> = relative.iter().filter_map(|p| p.to_str()).collect();
        let kind = match parts.as_slice() {
            ["orgs.json"] => ApiResponse::Orgs,
            ["orgs", _, "settings.json"] => ApiResponse::OrgSettings,
            ["orgs", _, "groups.json"] => ApiResponse::Projects,
            ["orgs", _, "users.json"] => ApiResponse::Users,
            ["orgs", _, "teams.json"] => ApiResponse::Teams,
            ["orgs", _, "apiKeys.json"] => ApiResponse::ApiKeys,
            ["orgs", _, "apiKeys", _, "accessList.json"] => ApiResponse::ApiKeyAccessList,
            ["orgs", _, "serviceAccounts.json"] => ApiResponse::ServiceAccounts,
            ["orgs", _, "serviceAccounts", _, "groups.json"] => ApiResponse::ServiceAccountProjects,
            ["orgs", _, "serviceAccounts", _, "accessList.json"] => {
                ApiResponse::ServiceAccountAccessList
            }
            ["orgs", _, "events.json"] => ApiResponse::OrgEvents,
            ["groups", _, "settings.json"] => ApiResponse::ProjectSettings,
            ["groups", _, "accessList.json"] => ApiResponse::NetworkAccessList,
            ["groups", _, "auditLog.json"] => ApiResponse::AuditLog,
            ["groups", _, "clusters.json"] => ApiResponse::Clusters,
            ["groups", _, "teams.json"] => ApiResponse::ProjectTeams,
            ["groups", _, "databaseUsers.json"] => ApiResponse::DatabaseUsers,
            ["groups", _, "customDBRoles", "roles.json"] => ApiResponse::CustomRoles,
            ["groups", _, "dbAccessHistory", "clusters", _] => ApiResponse::AccessLogs,
            ["groups", _, "events.json"] => ApiResponse::ProjectEvents,
            _ => return None,
        };
        Some(kind)
    }
}

/// The org, project, API key and service account that a decoded listing is placed under.
const ORG: &str = r#"{"id":"0123456789abcdef01234567","name":"fuzz org"}"#;
const PROJECT: &str = r#"{"id":"0123456789abcdef76543210","name":"fuzz project","orgId":"0123456789abcdef01234567","created":"2026-01-01T00:00:00Z"}"#;
const API_KEY: &str = r#"{"id":"0123456789abcdef0000aaaa","publicKey":"fuzzkey","roles":[{"orgId":"0123456789abcdef01234567","roleName":"ORG_OWNER"}]}"#;
const SERVICE_ACCOUNT: &str = r#"{"clientId":"mdb_sa_id_fuzz","roles":["ORG_MEMBER"]}"#;
/// The as-of time of every assembled snapshot.
const AS_OF: &str = "2026-06-01T00:00:00Z";

fn fixed<T: DeserializeOwned>(json: &str) -> T {
    serde_json::from_str(json).expect("the fixed JSON matches its type")
}

fn page<T: DeserializeOwned>(body: &[u8]) -> serde_json::Result<Vec<T>> {
    Ok(serde_json::from_slice::<Page<T>>(body)?.results)
}

/// Decodes one response body as the collector does, places it in an otherwise empty estate
/// (one org, one project) and assembles the snapshot from it. An error body decodes to
/// nothing in the estate.
///
/// # Errors
/// serde's message when the body is not the JSON the kind needs.
pub fn api(kind: ApiResponse, body: &[u8]) -> serde_json::Result<Snapshot> {
    let mut org = RawOrg {
        org: fixed(ORG),
        settings: None,
        users: None,
        teams: None,
        api_keys: None,
        service_accounts: None,
        events: None,
        projects: Vec::new(),
        federation: None,
    };
    let mut project = RawProject {
        project: fixed(PROJECT),
        settings: None,
        access_list: None,
        audit_log: None,
        clusters: None,
        teams: None,
        database_users: None,
        custom_roles: None,
        access_logs: Vec::new(),
        events: None,
        paths: Default::default(),
    };
    let with_key = |access_list| {
        Some(vec![RawApiKey {
            key: fixed(API_KEY),
            access_list,
        }])
    };
    let with_account = |projects, access_list| {
        Some(vec![RawServiceAccount {
            account: fixed(SERVICE_ACCOUNT),
            system_managed: Some(false),
            projects,
            access_list,
        }])
    };
    match kind {
        ApiResponse::Orgs => {
            if let Some(first) = page::<types::Organization>(body)?.into_iter().next() {
                org.org = first;
            }
        }
        ApiResponse::Org => org.org = serde_json::from_slice(body)?,
        ApiResponse::OrgSettings => org.settings = Some(serde_json::from_slice(body)?),
        ApiResponse::Projects => {
            if let Some(first) = page::<types::Project>(body)?.into_iter().next() {
                project.project = first;
            }
        }
        ApiResponse::Project => project.project = serde_json::from_slice(body)?,
        ApiResponse::Users => org.users = Some(page(body)?),
        ApiResponse::Teams => org.teams = Some(page(body)?),
        ApiResponse::ApiKeys => {
            let keys = page::<types::ApiKey>(body)?;
            org.api_keys = Some(
                keys.into_iter()
                    .map(|key| RawApiKey {
                        key,
                        access_list: Some(Vec::new()),
                    })
                    .collect(),
            );
        }
        ApiResponse::ApiKeyAccessList => org.api_keys = with_key(Some(page(body)?)),
        ApiResponse::ServiceAccounts => {
            let accounts = page::<types::ServiceAccount>(body)?;
            org.service_accounts = Some(
                accounts
                    .into_iter()
                    .map(|account| RawServiceAccount {
                        account,
                        system_managed: Some(false),
                        projects: Some(Vec::new()),
                        access_list: Some(Vec::new()),
                    })
                    .collect(),
            );
        }
        ApiResponse::ServiceAccountProjects => {
            org.service_accounts = with_account(Some(page(body)?), Some(Vec::new()));
        }
        ApiResponse::ServiceAccountAccessList => {
            org.service_accounts = with_account(Some(Vec::new()), Some(page(body)?));
        }
        ApiResponse::OrgEvents => org.events = Some(page(body)?),
        ApiResponse::ProjectSettings => project.settings = Some(serde_json::from_slice(body)?),
        ApiResponse::NetworkAccessList => project.access_list = Some(page(body)?),
        ApiResponse::AuditLog => project.audit_log = Some(serde_json::from_slice(body)?),
        ApiResponse::Clusters => project.clusters = Some(page(body)?),
        ApiResponse::ProjectTeams => project.teams = Some(page(body)?),
        ApiResponse::DatabaseUsers => project.database_users = Some(page(body)?),
        ApiResponse::CustomRoles => project.custom_roles = Some(serde_json::from_slice(body)?),
        ApiResponse::AccessLogs => {
            let list: types::AccessLogList = serde_json::from_slice(body)?;
            project.access_logs.push(RawAccessLog {
                cluster: "fuzz-cluster".into(),
                logs: Some(list.access_logs),
            });
        }
        ApiResponse::ProjectEvents => project.events = Some(page(body)?),
        ApiResponse::ApiError => {
            let _: ApiErrorBody = serde_json::from_slice(body)?;
        }
    }
    org.projects.push(project);
    let as_of: Timestamp = AS_OF.parse().expect("a valid timestamp");
    let raw = RawEstate {
        orgs: vec![org],
        only_projects: Default::default(),
        window: Window {
            now: Some(as_of),
            events_since: Some(as_of - jiff::SignedDuration::from_hours(24 * 90)),
            access_logs_since: Some(as_of - jiff::SignedDuration::from_hours(24 * 30)),
        },
    };
    let meta = Meta {
        collected_at: Some(as_of),
        ..Meta::default()
    };
    Ok(assemble(raw, meta, Vec::new()))
}

/// What the `policy` fuzz target checks: the text parses to a policy, or to an error that
/// lists at least one problem, each with a 1-based line and column, a field and a message.
/// Returns whether the text was a valid policy.
///
/// # Panics
/// When one of those properties does not hold.
pub fn check_policy(text: &str) -> bool {
    match policy(text) {
        Ok(_) => true,
        Err(PolicyError::Invalid { problems, .. }) => {
            assert!(!problems.is_empty(), "an invalid policy names its problems");
            for p in &problems {
                assert!(p.line >= 1 && p.column >= 1, "1-based position: {p}");
                assert!(!p.message.trim().is_empty(), "a problem says what: {p:?}");
            }
            false
        }
        Err(e @ PolicyError::Read { .. }) => panic!("parsing text cannot fail to read: {e}"),
    }
}

/// What the `snapshot` fuzz target checks: the bytes load, or give an error with a message. A
/// snapshot that loads is evaluated under the default policy, and saved and loaded again to
/// the same snapshot. Returns whether the bytes were a snapshot.
///
/// # Panics
/// When one of those properties does not hold.
pub fn check_snapshot(bytes: &[u8]) -> bool {
    match snapshot(bytes) {
        Ok(s) => {
            check_loaded(&s);
            true
        }
        Err(e) => {
            assert!(
                e.to_string().contains(ORIGIN),
                "the error names the file: {e}"
            );
            false
        }
    }
}

/// What the `api` fuzz target checks: the first byte picks an [`ApiResponse`], the rest is its
/// body. A body that decodes is assembled into a snapshot, which is evaluated under the default
/// policy, and saved and loaded again to the same snapshot. Returns whether the body decoded.
///
/// # Panics
/// When one of those properties does not hold.
pub fn check_api(data: &[u8]) -> bool {
    let Some((&first, body)) = data.split_first() else {
        return false;
    };
    match api(ApiResponse::from_byte(first), body) {
        Ok(s) => {
            check_loaded(&s);
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty(), "a decode error has a message");
            false
        }
    }
}

/// A snapshot the tool has in memory: the rules run over it, and it survives a save and load.
fn check_loaded(s: &Snapshot) {
    match evaluate(s, &Policy::default()) {
        Ok(_) => {}
        Err(RulesError::NoAsOf) => assert!(s.meta.collected_at.is_none()),
    }
    // The bytes `model::save` writes.
    let mut saved = serde_json::to_vec(s).expect("a snapshot serialises");
    saved.push(b'\n');
    let again = snapshot(&saved).unwrap_or_else(|e| panic!("a saved snapshot loads again: {e}"));
    assert!(again == *s, "a snapshot survives save and load unchanged");
}

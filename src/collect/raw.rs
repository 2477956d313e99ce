//! The estate as Atlas sent it, before it becomes a [`Snapshot`](crate::model::Snapshot). A
//! listing that could not be read is `None` (and a coverage gap), never an empty list.

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::atlas::types;

/// Everything read in one collection.
#[derive(Debug, Default)]
pub struct RawEstate {
    /// Orgs with everything below them.
    pub orgs: Vec<RawOrg>,
    /// When `--project` narrowed the scope: the only projects whose grants count.
    pub only_projects: BTreeSet<String>,
    /// The time windows that were read.
    pub window: Window,
}

/// The time windows of a collection.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// The collection's as-of time.
    pub now: Option<Timestamp>,
    /// Events from here to `now`.
    pub events_since: Option<Timestamp>,
    /// Access logs from here to `now`.
    pub access_logs_since: Option<Timestamp>,
}

/// One org and everything read below it.
#[derive(Debug)]
pub struct RawOrg {
    /// The org.
    pub org: types::Organization,
    /// Its settings.
    pub settings: Option<types::OrgSettings>,
    /// Users in every membership status.
    pub users: Option<Vec<types::OrgUser>>,
    /// Teams.
    pub teams: Option<Vec<types::Team>>,
    /// API keys, each with its access list.
    pub api_keys: Option<Vec<RawApiKey>>,
    /// Service accounts, each with its project roles and access list.
    pub service_accounts: Option<Vec<RawServiceAccount>>,
    /// Org events in the window.
    pub events: Option<Vec<types::Event>>,
    /// Projects, each with everything below it. Empty when the listing failed (see coverage).
    pub projects: Vec<RawProject>,
    /// Federation (SSO); `None` when the org has none or it could not be read (see coverage).
    pub federation: Option<RawFederation>,
}

/// An org's federation as read.
#[derive(Debug)]
pub struct RawFederation {
    /// The org's federation settings.
    pub settings: types::OrgFederationSettings,
    /// Their id.
    pub settings_id: String,
    /// The org's connected configuration; `None` when it has none or it was not read.
    pub connected: Option<types::ConnectedOrgConfig>,
    /// The org's role mappings; `None` when not read (empty for an org not connected).
    pub role_mappings: Option<Vec<types::AuthFederationRoleMapping>>,
    /// The federation's identity providers (every protocol and type); `None` when not read.
    pub identity_providers: Option<Vec<types::FederationIdentityProvider>>,
}

/// An API key and its access list.
#[derive(Debug)]
pub struct RawApiKey {
    /// The key.
    pub key: types::ApiKey,
    /// Its access list.
    pub access_list: Option<Vec<types::AccessEntry>>,
}

/// A service account, its project roles and its access list.
#[derive(Debug)]
pub struct RawServiceAccount {
    /// The account.
    pub account: types::ServiceAccount,
    /// Whether Atlas manages it itself: listed with `includeSystemManaged=true` but not
    /// without. `None` when the listing without could not be read.
    pub system_managed: Option<bool>,
    /// Its roles per project.
    pub projects: Option<Vec<types::ServiceAccountProject>>,
    /// Its access list.
    pub access_list: Option<Vec<types::AccessEntry>>,
}

/// A project and everything read below it.
#[derive(Debug)]
pub struct RawProject {
    /// The project.
    pub project: types::Project,
    /// Settings.
    pub settings: Option<types::ProjectSettings>,
    /// IP access list.
    pub access_list: Option<Vec<types::NetworkEntry>>,
    /// Auditing configuration.
    pub audit_log: Option<types::AuditLog>,
    /// Clusters.
    pub clusters: Option<Vec<types::Cluster>>,
    /// Teams' roles here.
    pub teams: Option<Vec<types::TeamRole>>,
    /// Database users.
    pub database_users: Option<Vec<types::DatabaseUser>>,
    /// Custom database roles.
    pub custom_roles: Option<Vec<types::CustomDbRole>>,
    /// Access logs, one entry per cluster.
    pub access_logs: Vec<RawAccessLog>,
    /// Project events in the window.
    pub events: Option<Vec<types::Event>>,
    /// The further paths (invitations, LDAP and X.509, certificates, cloud-provider roles).
    pub paths: RawPaths,
}

/// What the further paths to a project read: each `None` when it could not be read.
#[derive(Debug, Default)]
pub struct RawPaths {
    /// Invitations made to the project (the deprecated per-project listing).
    pub invitations: Option<Vec<types::GroupInvitation>>,
    /// LDAP and customer X.509 settings.
    pub user_security: Option<types::UserSecurity>,
    /// Cloud-provider roles Atlas may assume.
    pub cloud_provider_access: Option<types::CloudProviderAccessRoles>,
    /// Certificates of each Atlas-managed X.509 database user, by username.
    pub certificates: Vec<RawCertificates>,
}

/// The certificates of one Atlas-managed X.509 database user.
#[derive(Debug)]
pub struct RawCertificates {
    /// The database user (always in `$external`).
    pub username: String,
    /// Its unexpired certificates; `None` when not read.
    pub certs: Option<Vec<types::UserCert>>,
}

/// One cluster's access log over the window.
#[derive(Debug)]
pub struct RawAccessLog {
    /// Cluster name.
    pub cluster: String,
    /// Entries; `None` when not read.
    pub logs: Option<Vec<types::AccessLog>>,
}

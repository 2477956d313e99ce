//! Wire types: what Atlas sends, field for field. Every field Atlas may omit is an `Option` (or
//! defaults to empty), unknown fields are ignored, and enums Atlas may extend are plain strings.
//! Turning these into the audit's own model is `collect`'s job. They serialise under the same
//! names, so a test can hold what was read against what was sent (`tests/it/recordings.rs`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The paginated envelope. Only `results` is required; `totalCount` comes with `includeCount`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// This page's items.
    pub results: Vec<T>,
    /// Atlas's estimate of the whole listing's size.
    pub total_count: Option<u64>,
}

/// `AtlasOrganization`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// 24-hex id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether Atlas has deleted the org.
    #[serde(default)]
    pub is_deleted: bool,
}

/// `OrganizationSettings`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgSettings {
    /// API calls must come from an address on the key's access list.
    pub api_access_list_required: Option<bool>,
    /// Members must use MFA.
    pub multi_factor_auth_required: Option<bool>,
    /// MongoDB staff may not reach clusters without a grant.
    pub restrict_employee_access: Option<bool>,
    /// Who Atlas tells about security matters.
    pub security_contact: Option<String>,
    /// Cap on the lifetime of new service-account secrets.
    pub max_service_account_secret_validity_in_hours: Option<i64>,
    /// Console session limits.
    pub custom_session_timeouts: Option<SessionTimeouts>,
}

/// `CustomSessionTimeouts`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionTimeouts {
    /// Hard limit on a console session.
    pub absolute_session_timeout_in_seconds: Option<i64>,
    /// Idle limit on a console session.
    pub idle_session_timeout_in_seconds: Option<i64>,
}

/// `Group` (a project).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// 24-hex id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Owning org.
    pub org_id: String,
    /// Creation time.
    pub created: Option<Timestamp>,
    /// Resource tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `ResourceTag`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

/// `OrgUserResponse` (2025-02-19): the active and pending shapes in one struct, told apart by
/// `orgMembershipStatus`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgUser {
    /// Atlas user id.
    pub id: String,
    /// Email address used to log in.
    pub username: String,
    /// `ACTIVE`, `PENDING`, `INVITATION_EXPIRED` or `INVITATION_REJECTED`.
    pub org_membership_status: String,
    /// Org roles and per-project roles.
    #[serde(default)]
    pub roles: OrgUserRoles,
    /// Teams the user belongs to.
    #[serde(default)]
    pub team_ids: Vec<String>,
    /// Active: account creation.
    pub created_at: Option<Timestamp>,
    /// Active: last console login; absent if never.
    pub last_auth: Option<Timestamp>,
    /// Active: given name.
    pub first_name: Option<String>,
    /// Active: family name.
    pub last_name: Option<String>,
    /// Active: ISO country code.
    pub country: Option<String>,
    /// Pending: when the invitation was sent.
    pub invitation_created_at: Option<Timestamp>,
    /// Pending: when it expires (null once rejected).
    pub invitation_expires_at: Option<Timestamp>,
    /// Pending: who invited.
    pub inviter_username: Option<String>,
}

/// `OrgUserRolesResponse`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgUserRoles {
    /// `ORG_*` roles.
    #[serde(default)]
    pub org_roles: Vec<String>,
    /// Project roles, per project.
    #[serde(default)]
    pub group_role_assignments: Vec<GroupRoleAssignment>,
}

/// One project's roles for a user.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRoleAssignment {
    /// The project.
    pub group_id: String,
    /// `GROUP_*` roles (an open set).
    #[serde(default)]
    pub group_roles: Vec<String>,
}

/// `TeamResponse`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Team {
    /// Team id.
    pub id: String,
    /// Team name, unique in the org.
    pub name: String,
}

/// `TeamRole`: a team's roles in one project.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamRole {
    /// The team.
    pub team_id: String,
    /// `GROUP_*` roles.
    #[serde(default)]
    pub role_names: Vec<String>,
}

/// `ApiKeyUserDetails`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// 24-hex id (the `apiUserId` in paths).
    pub id: String,
    /// The public half of the key; its identity.
    pub public_key: String,
    /// Free-text description.
    pub desc: Option<String>,
    /// Org and project roles, told apart by which id is set.
    #[serde(default)]
    pub roles: Vec<RoleAssignment>,
}

/// `CloudAccessRoleAssignment`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    /// Set for an org role.
    pub org_id: Option<String>,
    /// Set for a project role.
    pub group_id: Option<String>,
    /// The role.
    pub role_name: String,
}

/// An access-list entry of an API key (`UserAccessListResponse`) or of a service account
/// (`ServiceAccountIPAccessListEntry`): the same facts, which Atlas spells two ways.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessEntry {
    /// Single address, when the entry is one.
    pub ip_address: Option<String>,
    /// CIDR block.
    pub cidr_block: Option<String>,
    /// When the entry was added.
    #[serde(alias = "createdAt")]
    pub created: Option<Timestamp>,
    /// Last request from this entry.
    #[serde(alias = "lastUsedAt")]
    pub last_used: Option<Timestamp>,
    /// Address of that request.
    pub last_used_address: Option<String>,
    /// Requests counted.
    #[serde(alias = "requestCount")]
    pub count: Option<i64>,
}

/// `OrgServiceAccount`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    /// `mdb_sa_id_…`; its identity.
    pub client_id: String,
    /// Display name.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Creation time.
    pub created_at: Option<Timestamp>,
    /// `ORG_*` roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Its secrets (masked).
    #[serde(default)]
    pub secrets: Vec<ServiceAccountSecret>,
}

/// `ServiceAccountSecret`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountSecret {
    /// Secret id.
    pub id: String,
    /// Creation time.
    pub created_at: Option<Timestamp>,
    /// Expiry.
    pub expires_at: Option<Timestamp>,
    /// Last use, if ever.
    pub last_used_at: Option<Timestamp>,
    /// `mdb_sa_sk_…` with most characters masked.
    pub masked_secret_value: Option<String>,
}

/// `ServiceAccountGroup`: a service account's roles in one project.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountProject {
    /// The project.
    pub group_id: String,
    /// `GROUP_*` roles.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `GroupSettings` (only what an access review reads).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSettings {
    /// Data Explorer lets console users read and write data.
    pub is_data_explorer_enabled: Option<bool>,
    /// Data Explorer's generative AI features (Atlas spells it `GenAI`).
    #[serde(rename = "isDataExplorerGenAIFeaturesEnabled")]
    pub is_data_explorer_gen_ai_features_enabled: Option<bool>,
}

/// `NetworkPermissionEntry`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkEntry {
    /// Single address.
    pub ip_address: Option<String>,
    /// CIDR block.
    pub cidr_block: Option<String>,
    /// AWS security group.
    pub aws_security_group: Option<String>,
    /// Free text.
    pub comment: Option<String>,
    /// Temporary entries end then.
    pub delete_after_date: Option<Timestamp>,
}

/// `AuditLog`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    /// Database auditing on.
    pub enabled: Option<bool>,
    /// Successful authorizations are audited too.
    pub audit_authorization_success: Option<bool>,
    /// `NONE`, `FILTER_BUILDER` or `FILTER_JSON`.
    pub configuration_type: Option<String>,
}

/// `ClusterDescription20240805` (only what an access review reads).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    /// Cluster id.
    pub id: Option<String>,
    /// Name, unique in the project.
    pub name: String,
    /// `REPLICASET`, `SHARDED`, `GEOSHARDED`.
    pub cluster_type: Option<String>,
    /// `IDLE`, `CREATING`, …
    pub state_name: Option<String>,
    /// Paused clusters serve nothing.
    pub paused: Option<bool>,
    /// Creation time.
    pub create_date: Option<Timestamp>,
    /// Server version.
    #[serde(rename = "mongoDBVersion")]
    pub mongodb_version: Option<String>,
    /// Resource tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Present while MongoDB staff hold access.
    #[serde(rename = "mongoDBEmployeeAccessGrant")]
    pub employee_access_grant: Option<EmployeeAccessGrant>,
    /// Where and on what the cluster runs (dedicated and tenant clusters).
    #[serde(default)]
    pub replication_specs: Vec<ReplicationSpec>,
    /// A Flex cluster's provider (`providerName` `FLEX`), from the Flex listing.
    pub provider_settings: Option<ProviderSettings>,
}

impl Cluster {
    /// The provider and tier: `FLEX` for a Flex cluster; else the first region's
    /// `providerName` (`AWS`, `GCP`, `AZURE`, or `TENANT` for M0/M2/M5) and its instance size
    /// (`effectiveInstanceSize` first: `FLEX` there is an M2/M5 moved to Flex).
    pub fn provider_and_tier(&self) -> (Option<String>, Option<String>) {
        if let Some(p) = &self.provider_settings
            && p.provider_name.as_deref() == Some("FLEX")
        {
            return (Some("FLEX".into()), Some("FLEX".into()));
        }
        let region = self
            .replication_specs
            .iter()
            .flat_map(|s| &s.region_configs)
            .next();
        let provider = region.and_then(|r| r.provider_name.clone());
        let tier = region
            .and_then(|r| r.electable_specs.as_ref())
            .and_then(|e| {
                e.effective_instance_size
                    .clone()
                    .or_else(|| e.instance_size.clone())
            });
        (provider, tier)
    }

    /// Whether the cluster is on a tenant tier, where Atlas keeps no access history.
    pub fn is_tenant(&self) -> bool {
        let (provider, tier) = self.provider_and_tier();
        crate::model::Cluster::tenant_tier(provider.as_deref(), tier.as_deref())
    }
}

/// `ReplicationSpec20240805` (only the regions).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationSpec {
    /// Regions and their hardware.
    #[serde(default)]
    pub region_configs: Vec<RegionConfig>,
}

/// `CloudRegionConfig20240805`: dedicated (`AWS`, `GCP`, `AZURE`) or `TENANT`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionConfig {
    /// `AWS`, `GCP`, `AZURE`, `TENANT`.
    pub provider_name: Option<String>,
    /// For `TENANT`: the cloud underneath.
    pub backing_provider_name: Option<String>,
    /// The hardware of electable nodes.
    pub electable_specs: Option<HardwareSpec>,
}

/// `HardwareSpec20240805` (only the size).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HardwareSpec {
    /// `M0`, `M10`, ...
    pub instance_size: Option<String>,
    /// What the cluster really runs as (read-only; `FLEX` for an M2/M5 moved to Flex).
    pub effective_instance_size: Option<String>,
}

/// `FlexProviderSettings20241113`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSettings {
    /// `FLEX`.
    pub provider_name: Option<String>,
    /// The cloud underneath.
    pub backing_provider_name: Option<String>,
}

/// `EmployeeAccessGrant`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeAccessGrant {
    /// Level of access granted.
    pub grant_type: Option<String>,
    /// When it ends.
    pub expiration_time: Option<Timestamp>,
}

/// `CloudDatabaseUser`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseUser {
    /// Name (its format depends on the auth method).
    pub username: String,
    /// `admin` or `$external`.
    pub database_name: String,
    /// Granted roles.
    #[serde(default)]
    pub roles: Vec<DatabaseUserRole>,
    /// Clusters it may reach; empty means all of the project's.
    #[serde(default)]
    pub scopes: Vec<UserScope>,
    /// `NONE`, `USER`, `ROLE`.
    #[serde(rename = "awsIAMType")]
    pub aws_iam_type: Option<String>,
    /// `NONE`, `GROUP`, `USER`.
    pub ldap_auth_type: Option<String>,
    /// `NONE`, `IDP_GROUP`, `USER`.
    pub oidc_auth_type: Option<String>,
    /// `NONE`, `CUSTOMER`, `MANAGED`.
    pub x509_type: Option<String>,
    /// Temporary users end then.
    pub delete_after_date: Option<Timestamp>,
    /// Free text.
    pub description: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<Label>,
}

/// `DatabaseUserRole`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseUserRole {
    /// Built-in or custom role name.
    pub role_name: String,
    /// Database the role applies to.
    pub database_name: String,
    /// Collection, when narrowed to one.
    pub collection_name: Option<String>,
}

/// `UserScope`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct UserScope {
    /// Cluster, lake or workspace name.
    pub name: String,
    /// `CLUSTER`, `DATA_LAKE`, `STREAM`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `ComponentLabel`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Label {
    /// Key.
    pub key: Option<String>,
    /// Value.
    pub value: Option<String>,
}

/// `UserCustomDBRole`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomDbRole {
    /// Role name.
    pub role_name: String,
    /// Privileges.
    #[serde(default)]
    pub actions: Vec<DbAction>,
    /// Roles it inherits.
    #[serde(default)]
    pub inherited_roles: Vec<InheritedRole>,
}

/// `DatabasePrivilegeAction`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DbAction {
    /// e.g. `FIND`, `DROP_DATABASE`.
    pub action: String,
    /// Where it applies.
    #[serde(default)]
    pub resources: Vec<DbResource>,
}

/// `DatabasePermittedNamespaceResource`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DbResource {
    /// Cluster-wide.
    #[serde(default)]
    pub cluster: bool,
    /// Database; empty means every database.
    #[serde(default)]
    pub db: String,
    /// Collection; empty means every collection.
    #[serde(default)]
    pub collection: String,
}

/// `DatabaseInheritedRole`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct InheritedRole {
    /// Role name.
    pub role: String,
    /// Its database.
    pub db: String,
}

/// `MongoDBAccessLogsList`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogList {
    /// Entries, newest first.
    #[serde(default)]
    pub access_logs: Vec<AccessLog>,
}

/// `MongoDBAccessLogs`: one authentication attempt.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLog {
    /// Project.
    pub group_id: Option<String>,
    /// Who tried.
    pub username: Option<String>,
    /// Whether it succeeded.
    pub auth_result: Option<bool>,
    /// Database authenticated against.
    pub auth_source: Option<String>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Node.
    pub hostname: Option<String>,
    /// Client address.
    pub ip_address: Option<String>,
    /// When, to the second. The spec says ISO 8601 UTC; Atlas sends Java's `Date#toString`
    /// (`Thu Feb 05 09:24:59 GMT 2026`). Read with `logLine` by [`AccessLog::time`].
    pub timestamp: Option<String>,
    /// mongod's own log line: JSON whose `t.$date` is the exact instant (MongoDB 4.4 and
    /// later), or text that starts with an ISO 8601 time.
    pub log_line: Option<String>,
}

impl AccessLog {
    /// When the attempt happened, from whichever of `logLine` and `timestamp` can be read
    /// ([`crate::model::logtime::entry_time`]).
    pub fn time(&self) -> Option<Timestamp> {
        crate::model::logtime::entry_time(self.timestamp.as_deref(), self.log_line.as_deref())
    }

    /// The text an unreadable time was given as: `timestamp`, or `logLine` when there is none.
    pub fn time_text(&self) -> &str {
        self.timestamp
            .as_deref()
            .or(self.log_line.as_deref())
            .unwrap_or("")
    }
}

/// One event, org or project: a flat struct over Atlas's many event views.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Event id.
    pub id: String,
    /// When.
    pub created: Timestamp,
    /// Event type (an open set).
    pub event_type_name: String,
    /// Org.
    pub org_id: Option<String>,
    /// Project.
    pub group_id: Option<String>,
    /// Acting console user.
    pub user_id: Option<String>,
    /// Acting console user's email.
    pub username: Option<String>,
    /// Acting API key id.
    pub api_key_id: Option<String>,
    /// Acting API key.
    pub public_key: Option<String>,
    /// Caller's address.
    pub remote_address: Option<String>,
    /// A MongoDB employee acted.
    pub is_global_admin: Option<bool>,
    /// User the event is about.
    pub target_username: Option<String>,
    /// API key the event is about.
    pub target_public_key: Option<String>,
    /// Service account the event is about (recorded on `SERVICE_ACCOUNT_*` events, whose author
    /// is named by `publicKey` or `username`).
    pub client_id: Option<String>,
    /// Team the event is about.
    pub team_id: Option<String>,
    /// Database user the event is about.
    pub db_user_username: Option<String>,
}

/// An item of a paged listing, known by the identity Atlas gives it. Two copies of one identity
/// in one read of a listing are one item served twice, as when an insertion moves every later
/// page down by one while the listing is read.
pub trait ListingItem {
    /// The item's identity within its listing; `None` when it carries none (then it is never
    /// taken for a copy of another).
    fn identity(&self) -> Option<String>;
}

macro_rules! identified_by {
    ($($ty:ty => |$item:ident| $key:expr;)*) => {
        $(impl ListingItem for $ty {
            fn identity(&self) -> Option<String> {
                let $item = self;
                $key
            }
        })*
    };
}

identified_by! {
    Organization => |o| Some(o.id.clone());
    Project => |p| Some(p.id.clone());
    OrgUser => |u| Some(u.id.clone());
    Team => |t| Some(t.id.clone());
    TeamRole => |t| Some(t.team_id.clone());
    ApiKey => |k| Some(k.id.clone());
    AccessEntry => |e| e.cidr_block.clone().or_else(|| e.ip_address.clone());
    ServiceAccount => |s| Some(s.client_id.clone());
    ServiceAccountProject => |p| Some(p.group_id.clone());
    NetworkEntry => |e| {
        e.cidr_block.clone().or_else(|| e.ip_address.clone()).or_else(|| e.aws_security_group.clone())
    };
    Cluster => |c| Some(c.name.clone());
    // Atlas names a database user by its authentication database and user name together.
    DatabaseUser => |u| Some(format!("{}/{}", u.database_name, u.username));
    Event => |e| Some(e.id.clone());
    serde_json::Value => |v| v.get("id").and_then(serde_json::Value::as_str).map(str::to_owned);
}

#[cfg(test)]
mod listing_item_tests {
    use super::*;

    #[test]
    fn identities_tell_items_apart() {
        let user = |db: &str, name: &str| -> DatabaseUser {
            serde_json::from_value(serde_json::json!({
                "username": name, "databaseName": db, "groupId": "g", "roles": []
            }))
            .unwrap()
        };
        assert_eq!(user("admin", "a").identity().as_deref(), Some("admin/a"));
        assert_ne!(
            user("admin", "a").identity(),
            user("$external", "a").identity()
        );
        let entry: NetworkEntry =
            serde_json::from_value(serde_json::json!({"ipAddress": "10.0.0.1"})).unwrap();
        assert_eq!(entry.identity().as_deref(), Some("10.0.0.1"));
        let blank: AccessEntry = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(blank.identity(), None);
        assert_eq!(
            serde_json::json!({"id": "x"}).identity().as_deref(),
            Some("x")
        );
        assert_eq!(serde_json::json!([1]).identity(), None);
    }
}

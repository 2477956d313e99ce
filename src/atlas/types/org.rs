//! What Atlas sends about an organization and who holds access in it: its settings, users,
//! teams, API keys and service accounts, with their roles and access lists.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

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

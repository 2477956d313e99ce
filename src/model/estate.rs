//! Organizations, projects, clusters and their security settings.

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An Atlas organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Org {
    /// 24-hex id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether Atlas marks it deleted.
    pub is_deleted: bool,
    /// Security settings; `None` when they could not be read (see coverage).
    pub settings: Option<OrgSettings>,
    /// Federation (single sign-on); `None` when the org has none or it could not be read (then
    /// coverage says so). Absent from snapshots written before it was collected.
    #[serde(default)]
    pub federation: Option<super::Federation>,
}

/// The org settings an access review weighs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrgSettings {
    /// `multiFactorAuthRequired`.
    pub mfa_required: Option<bool>,
    /// `apiAccessListRequired`.
    pub api_access_list_required: Option<bool>,
    /// `restrictEmployeeAccess`.
    pub restrict_employee_access: Option<bool>,
    /// `securityContact`.
    pub security_contact: Option<String>,
    /// `maxServiceAccountSecretValidityInHours`.
    pub max_service_account_secret_validity_hours: Option<i64>,
    /// `customSessionTimeouts.absoluteSessionTimeoutInSeconds`.
    pub absolute_session_timeout_seconds: Option<i64>,
    /// `customSessionTimeouts.idleSessionTimeoutInSeconds`.
    pub idle_session_timeout_seconds: Option<i64>,
}

/// An Atlas project (a "group" in the API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Project {
    /// 24-hex id.
    pub id: String,
    /// Owning org.
    pub org_id: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created: Option<Timestamp>,
    /// Tags, key to value.
    pub tags: BTreeMap<String, String>,
    /// Project settings; `None` when not read.
    pub settings: Option<ProjectSettings>,
    /// IP access list; `None` when not read.
    pub ip_access_list: Option<Vec<NetworkEntry>>,
    /// Database auditing; `None` when not read.
    pub audit_log: Option<AuditLogConfig>,
    /// Clusters; `None` when not read.
    pub clusters: Option<Vec<Cluster>>,
    /// LDAP and customer X.509 settings; `None` when not read (it needs Project Owner).
    #[serde(default)]
    pub user_security: Option<super::UserSecurity>,
}

/// Project settings an access review weighs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectSettings {
    /// `isDataExplorerEnabled`.
    pub data_explorer_enabled: Option<bool>,
    /// `isDataExplorerGenAIFeaturesEnabled`.
    pub data_explorer_gen_ai_enabled: Option<bool>,
}

/// One entry of a project's IP access list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct NetworkEntry {
    /// CIDR block, single address, or AWS security group id: whichever Atlas set.
    pub source: String,
    /// Free-text comment.
    pub comment: Option<String>,
    /// Temporary entries end then.
    pub delete_after: Option<Timestamp>,
}

/// Database auditing configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuditLogConfig {
    /// Auditing on.
    pub enabled: bool,
    /// Successful authorizations audited.
    pub audit_authorization_success: Option<bool>,
    /// `NONE`, `FILTER_BUILDER` or `FILTER_JSON`.
    pub configuration_type: Option<String>,
}

/// A cluster, as far as access is concerned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cluster {
    /// Name, unique in the project.
    pub name: String,
    /// Cluster id.
    pub id: Option<String>,
    /// `REPLICASET`, `SHARDED`, `GEOSHARDED`.
    pub cluster_type: Option<String>,
    /// `IDLE`, `CREATING`, …
    pub state: Option<String>,
    /// Paused.
    pub paused: Option<bool>,
    /// Creation time.
    pub created: Option<Timestamp>,
    /// Server version.
    pub mongodb_version: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// MongoDB staff access, while granted.
    pub employee_access_grant: Option<EmployeeAccessGrant>,
    /// `AWS`, `GCP`, `AZURE`; `TENANT` for a shared-tier cluster, `FLEX` for a Flex cluster.
    #[serde(default)]
    pub provider: Option<String>,
    /// Instance size: `M0`, `M10`, ..., or `FLEX`.
    #[serde(default)]
    pub tier: Option<String>,
}

/// Instance sizes that run on shared (tenant) infrastructure.
const TENANT_TIERS: &[&str] = &["M0", "M2", "M5", "FLEX"];

impl Cluster {
    /// Whether the cluster is a tenant-tier one (free M0, shared M2/M5, Flex, serverless),
    /// for which Atlas keeps no database access history.
    pub fn is_tenant(&self) -> bool {
        Cluster::tenant_tier(self.provider.as_deref(), self.tier.as_deref())
    }

    /// Whether a provider and instance size (as Atlas names them) are a tenant tier.
    pub fn tenant_tier(provider: Option<&str>, tier: Option<&str>) -> bool {
        matches!(provider, Some("TENANT" | "FLEX" | "SERVERLESS"))
            || tier.is_some_and(|t| TENANT_TIERS.contains(&t))
    }

    /// The tier as said to a reader: `M0`, `Flex`, or the provider when the size is unknown.
    pub fn tier_name(&self) -> String {
        match (self.tier.as_deref(), self.provider.as_deref()) {
            (Some("FLEX"), _) | (None, Some("FLEX")) => "Flex".into(),
            (Some(t), _) => t.into(),
            (None, Some(p)) => p.to_lowercase(),
            (None, None) => "unknown".into(),
        }
    }
}

/// A grant of access to MongoDB support staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmployeeAccessGrant {
    /// Level of access.
    pub grant_type: Option<String>,
    /// When it ends.
    pub expires: Option<Timestamp>,
}

/// A custom database role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CustomRole {
    /// Project it is defined in.
    pub project_id: String,
    /// Role name.
    pub name: String,
    /// Privileges.
    pub actions: Vec<RoleAction>,
    /// Roles it inherits, as `role@db`.
    pub inherited_roles: Vec<InheritedRole>,
}

/// One privileged action and where it applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RoleAction {
    /// e.g. `DROP_DATABASE`.
    pub action: String,
    /// Where.
    pub resources: Vec<RoleResource>,
}

/// A namespace an action applies to. Empty `db` or `collection` means all of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RoleResource {
    /// Cluster-wide.
    pub cluster: bool,
    /// Database.
    pub db: String,
    /// Collection.
    pub collection: String,
}

/// An inherited role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InheritedRole {
    /// Role name.
    pub role: String,
    /// Its database.
    pub db: String,
}

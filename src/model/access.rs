//! The further paths to a project: invitations made per project, the project's LDAP and
//! customer X.509 settings, the certificates Atlas issued to database users, and the
//! cloud-provider roles Atlas may assume for a project (where data can flow out of Atlas).

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An invitation to one project, as the per-project invitation listing shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectInvitation {
    /// Atlas's invitation id.
    pub id: String,
    /// The project's org.
    pub org_id: String,
    /// The project.
    pub project_id: String,
    /// Project roles it grants once accepted.
    pub roles: Vec<String>,
    /// When sent.
    pub created_at: Option<Timestamp>,
    /// When it lapses.
    pub expires_at: Option<Timestamp>,
    /// Who invited (an email or an API key's public key).
    pub inviter: Option<String>,
}

/// A project's database-user security settings (`userSecurity`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UserSecurity {
    /// Database users may authenticate through LDAP.
    pub ldap_authentication: bool,
    /// Database users' roles come from LDAP groups (`ldapAuthType: GROUP` users).
    pub ldap_authorization: bool,
    /// The LDAP server, with its port when Atlas sends one.
    pub ldap_server: Option<String>,
    /// The DN Atlas binds as.
    pub ldap_bind_username: Option<String>,
    /// The query that finds a user's groups.
    pub ldap_authz_query_template: Option<String>,
    /// How usernames become DNs: `match → substitution` (or `match → query`).
    pub user_to_dn_mapping: Vec<String>,
    /// A customer certificate authority is configured for X.509 database users.
    pub customer_x509: bool,
}

impl UserSecurity {
    /// Whether anything beyond Atlas's defaults is switched on.
    pub fn is_configured(&self) -> bool {
        self.ldap_authentication || self.ldap_authorization || self.customer_x509
    }
}

/// A certificate Atlas issued to an Atlas-managed X.509 database user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Certificate {
    /// Serial, as Atlas sends it (64-bit).
    pub id: i64,
    /// When issued.
    pub created: Option<Timestamp>,
    /// When it stops being valid.
    pub not_after: Option<Timestamp>,
    /// Subject DN.
    pub subject: Option<String>,
}

/// A cloud-provider identity Atlas may assume for a project: an AWS IAM role, an Azure service
/// principal or a GCP service account. It is not access to Atlas but Atlas's access to the
/// customer's cloud, which is where exported snapshots, logs and federated queries go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CloudProviderRole {
    /// `AWS`, `AZURE` or `GCP`.
    pub provider: String,
    /// Atlas's id of the role.
    pub role_id: String,
    /// Whether the customer side is in place: an AWS role with `authorizedDate`, a GCP account
    /// with status `COMPLETE`; Azure principals are registered already authorized.
    pub authorized: bool,
    /// When authorized (AWS).
    pub authorized_at: Option<Timestamp>,
    /// The customer's identity Atlas acts as: the IAM role ARN, the service principal id, the
    /// GCP service account; `None` until authorized.
    pub customer_identity: Option<String>,
    /// Atlas's side: its AWS account ARN, its Azure application id.
    pub atlas_identity: Option<String>,
    /// GCP's status (`IN_PROGRESS`, `COMPLETE`, `FAILED`, `NOT_INITIATED`).
    pub status: Option<String>,
    /// The features that use it.
    pub features: Vec<FeatureUse>,
}

/// One Atlas feature that uses a cloud-provider role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct FeatureUse {
    /// `EXPORT_SNAPSHOT`, `PUSH_BASED_LOG_EXPORT`, `ATLAS_DATA_LAKE`, `ENCRYPTION_AT_REST`,
    /// `ATLAS_LOG_INTEGRATION` (open set).
    pub feature: String,
    /// The bucket, federated database or sink it names; empty when none.
    pub target: String,
}

impl FeatureUse {
    /// What the feature does with the role, in words a reviewer reads.
    pub fn describe(&self) -> String {
        let what = match self.feature.as_str() {
            "EXPORT_SNAPSHOT" => "exports backup snapshots to cloud storage",
            "PUSH_BASED_LOG_EXPORT" => "pushes logs to a cloud bucket",
            "ATLAS_DATA_LAKE" => "reads and writes cloud storage for data federation",
            "ENCRYPTION_AT_REST" => "uses the customer's key for encryption at rest",
            "ATLAS_LOG_INTEGRATION" => "sends logs to a log integration",
            other => return format!("{other} {}", self.target).trim_end().to_string(),
        };
        if self.target.is_empty() {
            what.to_string()
        } else {
            format!("{what} ({})", self.target)
        }
    }

    /// Whether the feature moves data out of Atlas (exports, log pushes, federation), as
    /// opposed to encryption at rest, which only uses a key.
    pub fn moves_data(&self) -> bool {
        self.feature != "ENCRYPTION_AT_REST"
    }
}

//! What Atlas sends about a project's database users and custom database roles.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

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

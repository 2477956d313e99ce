//! Principals: everything that can hold access, each with a stable key.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What kind of principal.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person with an Atlas login (active or invited).
    AtlasUser,
    /// A programmatic API key.
    ApiKey,
    /// A service account.
    ServiceAccount,
    /// A team of Atlas users.
    Team,
    /// A database user of one project.
    DatabaseUser,
    /// An identity-provider group mapped to Atlas roles by an org's federation.
    IdpGroup,
    /// A cloud-provider identity (AWS IAM role, Azure service principal, GCP service account)
    /// Atlas may assume for one project.
    CloudProviderRole,
}

impl PrincipalKind {
    /// The snake_case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::AtlasUser => "atlas_user",
            PrincipalKind::ApiKey => "api_key",
            PrincipalKind::ServiceAccount => "service_account",
            PrincipalKind::Team => "team",
            PrincipalKind::DatabaseUser => "database_user",
            PrincipalKind::IdpGroup => "idp_group",
            PrincipalKind::CloudProviderRole => "cloud_provider_role",
        }
    }
}

/// Principal keys, as used in every output and in exemptions.
pub mod key {
    /// `user:<username>`
    pub fn user(username: &str) -> String {
        format!("user:{username}")
    }
    /// `apikey:<publicKey>`
    pub fn api_key(public_key: &str) -> String {
        ["apikey:", public_key].concat()
    }
    /// `sa:<clientId>`
    pub fn service_account(client_id: &str) -> String {
        ["sa:", client_id].concat()
    }
    /// `team:<orgId>/<teamName>`
    pub fn team(org_id: &str, name: &str) -> String {
        ["team:", org_id, "/", name].concat()
    }
    /// `dbuser:<projectId>/<databaseName>/<username>`
    pub fn database_user(project_id: &str, database: &str, username: &str) -> String {
        ["dbuser:", project_id, "/", database, "/", username].concat()
    }
    /// `idpgroup:<orgId>/<externalGroupName>`
    pub fn idp_group(org_id: &str, external_group_name: &str) -> String {
        ["idpgroup:", org_id, "/", external_group_name].concat()
    }
    /// `cloudrole:<projectId>/<roleId>`
    pub fn cloud_provider_role(project_id: &str, role_id: &str) -> String {
        ["cloudrole:", project_id, "/", role_id].concat()
    }
    /// `org:<orgId>`
    pub fn org(org_id: &str) -> String {
        ["org:", org_id].concat()
    }
    /// `project:<projectId>`
    pub fn project(project_id: &str) -> String {
        ["project:", project_id].concat()
    }
    /// `project:<projectId>/cluster:<name>`: the scope of a cluster's access log in coverage.
    pub fn cluster(project_id: &str, cluster: &str) -> String {
        ["project:", project_id, "/cluster:", cluster].concat()
    }
}

/// Anything that holds access.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Principal {
    /// Stable key (see [`key`]).
    pub key: String,
    /// Kind.
    pub kind: PrincipalKind,
    /// Display name: email, key description, account name, team name, db username.
    pub name: String,
    /// Orgs it belongs to.
    pub org_ids: Vec<String>,
    /// The project, for database users.
    pub project_id: Option<String>,
    /// Creation time, where Atlas tells it.
    pub created: Option<Timestamp>,
    /// Every sign of activity found, newest first.
    pub activity: Vec<ActivitySignal>,
    /// What the tool can say about last activity.
    pub last_activity: LastActivity,
    /// Kind-specific facts.
    pub detail: PrincipalDetail,
}

/// Where a sign of activity came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActivitySource {
    /// An Atlas user's `lastAuth` (last console login).
    LastAuth,
    /// An API key access-list entry's `lastUsed`.
    AccessListLastUsed,
    /// A service-account secret's `lastUsedAt`.
    SecretLastUsed,
    /// A service-account access-list entry's `lastUsedAt`.
    ServiceAccountAccessListLastUsed,
    /// A successful authentication in a cluster's database access log.
    AccessLog,
    /// An event the principal authored.
    Event,
}

impl ActivitySource {
    /// The snake_case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivitySource::LastAuth => "last_auth",
            ActivitySource::AccessListLastUsed => "access_list_last_used",
            ActivitySource::SecretLastUsed => "secret_last_used",
            ActivitySource::ServiceAccountAccessListLastUsed => {
                "service_account_access_list_last_used"
            }
            ActivitySource::AccessLog => "access_log",
            ActivitySource::Event => "event",
        }
    }
}

/// One dated sign of activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActivitySignal {
    /// Source.
    pub source: ActivitySource,
    /// When.
    pub at: Timestamp,
}

/// What is known about a principal's last activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LastActivity {
    /// The latest signal.
    Seen {
        /// When.
        at: Timestamp,
        /// From where.
        source: ActivitySource,
    },
    /// Atlas records activity for this kind and found none (an Atlas user who never logged in,
    /// a key whose access-list entries were never used, a secret never used).
    Never,
    /// Atlas keeps no record that could tell (an API key with no access-list entry, a database
    /// user outside the observed access-log window, a team).
    NoInformation {
        /// Why nothing can be said.
        reason: String,
    },
}

/// Kind-specific facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PrincipalDetail {
    /// An Atlas user.
    AtlasUser(AtlasUser),
    /// An API key.
    ApiKey(ApiKey),
    /// A service account.
    ServiceAccount(ServiceAccount),
    /// A team.
    Team(Team),
    /// A database user.
    DatabaseUser(DatabaseUser),
    /// An identity-provider group.
    IdpGroup(IdpGroup),
    /// A cloud-provider role Atlas may assume.
    CloudProviderRole(super::CloudProviderRole),
}

/// An Atlas user's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AtlasUser {
    /// Atlas user id.
    pub user_id: String,
    /// Login email.
    pub username: String,
    /// Given and family name, when active.
    pub full_name: Option<String>,
    /// ISO country.
    pub country: Option<String>,
    /// Account creation.
    pub created_at: Option<Timestamp>,
    /// Last console login.
    pub last_auth: Option<Timestamp>,
    /// One entry per org the user is in or invited to.
    pub memberships: Vec<Membership>,
    /// Invitations to single projects (the per-project invitation listing), sorted by project.
    #[serde(default)]
    pub project_invitations: Vec<super::ProjectInvitation>,
}

/// A user's standing in one org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Membership {
    /// The org.
    pub org_id: String,
    /// `ACTIVE`, `PENDING`, `INVITATION_EXPIRED`, `INVITATION_REJECTED` (open set).
    pub status: String,
    /// Teams in that org, by name.
    pub teams: Vec<String>,
    /// When invited.
    pub invitation_created_at: Option<Timestamp>,
    /// When the invitation expires.
    pub invitation_expires_at: Option<Timestamp>,
    /// Who invited.
    pub inviter: Option<String>,
}

/// An API key's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ApiKey {
    /// 24-hex id.
    pub id: String,
    /// Public key.
    pub public_key: String,
    /// Description.
    pub description: Option<String>,
    /// Access list; `None` when it could not be read.
    pub access_list: Option<Vec<AccessListEntry>>,
}

/// An entry of an API key's or service account's access list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccessListEntry {
    /// CIDR block or address.
    pub source: String,
    /// When added.
    pub created: Option<Timestamp>,
    /// Last use.
    pub last_used: Option<Timestamp>,
    /// Address of that use.
    pub last_used_address: Option<String>,
    /// Requests counted by Atlas.
    pub request_count: Option<i64>,
}

/// A service account's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServiceAccount {
    /// `mdb_sa_id_…`.
    pub client_id: String,
    /// Description.
    pub description: Option<String>,
    /// Secrets (masked values only).
    pub secrets: Vec<Secret>,
    /// Access list; `None` when not read.
    pub access_list: Option<Vec<AccessListEntry>>,
    /// Atlas manages the account itself for one of its integrations (listed only with
    /// `includeSystemManaged=true`); `None` when that could not be told.
    #[serde(default)]
    pub system_managed: Option<bool>,
}

/// A service-account secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Secret {
    /// Secret id.
    pub id: String,
    /// Created.
    pub created_at: Option<Timestamp>,
    /// Expires.
    pub expires_at: Option<Timestamp>,
    /// Last used.
    pub last_used_at: Option<Timestamp>,
    /// Masked value as Atlas shows it.
    pub masked_value: Option<String>,
}

/// A team's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Team {
    /// Team id.
    pub team_id: String,
    /// Members, as principal keys (`user:…`), from the users' `teamIds`.
    pub members: Vec<String>,
}

/// An identity-provider group's facts: the federation role mapping that gives it roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IdpGroup {
    /// The federation settings the mapping belongs to.
    pub federation_settings_id: String,
    /// Atlas's id of the role mapping.
    pub role_mapping_id: Option<String>,
}

/// A database user's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DatabaseUser {
    /// Username.
    pub username: String,
    /// Authentication database: `admin` or `$external`.
    pub database_name: String,
    /// How it authenticates.
    pub auth_method: AuthMethod,
    /// Roles as granted.
    pub roles: Vec<DatabaseRole>,
    /// Clusters it is limited to; empty means every cluster of the project.
    pub scopes: Vec<String>,
    /// Temporary users end then.
    pub delete_after: Option<Timestamp>,
    /// Description.
    pub description: Option<String>,
    /// Labels, `key=value`.
    pub labels: Vec<String>,
    /// Unexpired certificates Atlas issued (Atlas-managed X.509 users only), by serial.
    #[serde(default)]
    pub certificates: Vec<super::Certificate>,
}

/// How a database user authenticates.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// SCRAM password.
    Password,
    /// X.509, customer-managed CA.
    X509Customer,
    /// X.509, Atlas-managed.
    X509Managed,
    /// AWS IAM user.
    AwsIamUser,
    /// AWS IAM role.
    AwsIamRole,
    /// LDAP user.
    LdapUser,
    /// LDAP group.
    LdapGroup,
    /// OIDC workforce user.
    OidcUser,
    /// OIDC identity-provider group.
    OidcIdpGroup,
}

impl AuthMethod {
    /// The snake_case name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::X509Customer => "x509_customer",
            AuthMethod::X509Managed => "x509_managed",
            AuthMethod::AwsIamUser => "aws_iam_user",
            AuthMethod::AwsIamRole => "aws_iam_role",
            AuthMethod::LdapUser => "ldap_user",
            AuthMethod::LdapGroup => "ldap_group",
            AuthMethod::OidcUser => "oidc_user",
            AuthMethod::OidcIdpGroup => "oidc_idp_group",
        }
    }
}

/// A database role as granted to a user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct DatabaseRole {
    /// Built-in or custom role.
    pub role: String,
    /// Database.
    pub database: String,
    /// Collection, when narrowed.
    pub collection: Option<String>,
}

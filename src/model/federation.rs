//! An org's federation (single sign-on): the federation settings it belongs to, how it is
//! connected (domain restriction, roles every SSO user gets), the identity-provider groups
//! mapped to Atlas roles, and the identity providers. The role mappings are also grants (of
//! principals of kind `idp_group`); what is here is what the report and the rules show of them.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An org's federation, as read with Organization Owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Federation {
    /// The federation settings id; several orgs may share one.
    pub federation_settings_id: String,
    /// `ACTIVE` or `INACTIVE`: the legacy UI-login provider's status.
    pub identity_provider_status: Option<String>,
    /// Domains verified for the federation.
    pub federated_domains: Vec<String>,
    /// How the org is connected; `None` when it is not (Atlas had no connected configuration
    /// for it) or the configuration could not be read (then coverage says so).
    pub connected: Option<ConnectedOrg>,
    /// Identity-provider groups mapped to Atlas roles; `None` when not read.
    pub role_mappings: Option<Vec<RoleMapping>>,
    /// Every identity provider of the federation (SAML and OIDC, workforce and workload);
    /// `None` when not read.
    pub identity_providers: Option<Vec<IdentityProvider>>,
}

/// How one org is connected to its federation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectedOrg {
    /// Only users of the allowed domains may join; `None` when Atlas did not say.
    pub domain_restriction_enabled: Option<bool>,
    /// The allowed domains.
    pub domain_allow_list: Vec<String>,
    /// Org roles every user signing in through the identity provider gets.
    pub post_auth_role_grants: Vec<String>,
    /// Legacy id (`oktaIdpId`) of the provider used to sign in to Atlas.
    pub identity_provider_id: Option<String>,
    /// Ids of the providers used for database access.
    pub data_access_identity_provider_ids: Vec<String>,
}

/// An identity-provider group and its Atlas roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RoleMapping {
    /// Atlas's id of the mapping.
    pub id: Option<String>,
    /// The group's name at the identity provider.
    pub external_group_name: String,
    /// Its roles.
    pub assignments: Vec<RoleMappingAssignment>,
}

/// One role of a role mapping.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct RoleMappingAssignment {
    /// The project, for a project role; `None` for an org role.
    pub project_id: Option<String>,
    /// The role.
    pub role: String,
}

/// One identity provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IdentityProvider {
    /// 24-hex id.
    pub id: String,
    /// Legacy id (SAML), matched by the connected configuration's `identity_provider_id`.
    pub okta_idp_id: Option<String>,
    /// Name shown in Atlas.
    pub display_name: Option<String>,
    /// `SAML` or `OIDC`.
    pub protocol: String,
    /// `WORKFORCE` or `WORKLOAD`.
    pub idp_type: String,
    /// `ACTIVE` or `INACTIVE` (SAML only; OIDC providers have none).
    pub status: Option<String>,
    /// The email domains that sign in through it (none for OIDC workload).
    pub associated_domains: Vec<String>,
    /// The issuer.
    pub issuer_uri: Option<String>,
    /// SAML: when each signing certificate expires.
    pub certificates_not_after: Vec<Timestamp>,
    /// Whether this org uses it: to sign in (the legacy id) or for database access.
    pub used_by_org: bool,
}

impl IdentityProvider {
    /// Whether people sign in through it now: an active SAML provider, or an OIDC workforce
    /// provider (OIDC has no status; one that exists is in force).
    pub fn is_active_workforce(&self) -> bool {
        self.idp_type != "WORKLOAD"
            && (self.protocol == "OIDC" || self.status.as_deref() == Some("ACTIVE"))
    }
}

impl Federation {
    /// The providers this org uses, when they were read.
    pub fn providers_in_use(&self) -> impl Iterator<Item = &IdentityProvider> {
        self.identity_providers
            .iter()
            .flatten()
            .filter(|p| p.used_by_org)
    }
}

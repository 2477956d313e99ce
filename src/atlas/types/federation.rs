//! What Atlas sends about federation (single sign-on): an org's federation settings, the
//! connected org configuration (domain restriction, post-authentication role grants, role
//! mappings) and the identity providers. Every field recorded as `null` is an `Option`
//! (WRITE-AND-FEDERATION-NOTES Part C), and ids are never checked against the spec's patterns:
//! a SAML provider's `oktaIdpId` was recorded with letters outside `[a-f0-9]`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `OrgFederationSettings`: `GET /orgs/{orgId}/federationSettings`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgFederationSettings {
    /// The federation settings id (`federationSettingsId` in later paths); several orgs may
    /// share it.
    pub id: Option<String>,
    /// Legacy id of the UI-login identity provider (recorded `null`).
    pub identity_provider_id: Option<String>,
    /// `ACTIVE` or `INACTIVE` (an open set).
    pub identity_provider_status: Option<String>,
    /// Domains verified for the federation.
    #[serde(default)]
    pub federated_domains: Vec<String>,
    /// Whether any connected org has role mappings.
    pub has_role_mappings: Option<bool>,
}

/// `ConnectedOrgConfig`: how one org is connected to its federation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedOrgConfig {
    /// The org.
    pub org_id: String,
    /// Only users of the allowed domains may join the org.
    pub domain_restriction_enabled: Option<bool>,
    /// The domains allowed when the restriction is on.
    #[serde(default)]
    pub domain_allow_list: Vec<String>,
    /// Org roles every user gets after signing in through the identity provider.
    #[serde(default)]
    pub post_auth_role_grants: Vec<String>,
    /// Legacy id (the provider's `oktaIdpId`) of the UI-login provider; `null` when none.
    pub identity_provider_id: Option<String>,
    /// The 24-hex `id`s of the providers used for database access.
    #[serde(default)]
    pub data_access_identity_provider_ids: Vec<String>,
    /// Role mappings, when Atlas embeds them (every recording has `[]`; the collector reads
    /// the role-mappings listing).
    #[serde(default)]
    pub role_mappings: Vec<AuthFederationRoleMapping>,
    /// Just-in-time provisioning switched off (only in 2026 recordings).
    pub instant_user_provisioning_disabled: Option<bool>,
}

/// `AuthFederationRoleMapping`: an identity-provider group and the Atlas roles its members get.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthFederationRoleMapping {
    /// 24-hex id.
    pub id: Option<String>,
    /// The group's name at the identity provider.
    pub external_group_name: String,
    /// The roles, each on an org or a project.
    #[serde(default)]
    pub role_assignments: Vec<FederationRoleAssignment>,
}

/// One role of a role mapping: on an org (`orgId`) or a project (`groupId`), never both.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FederationRoleAssignment {
    /// The org, for an org role.
    pub org_id: Option<String>,
    /// The project, for a project role.
    pub group_id: Option<String>,
    /// `ORG_*` or `GROUP_*`.
    pub role: Option<String>,
}

/// `FederationIdentityProvider`: a `oneOf` of SAML, OIDC workforce and OIDC workload with no
/// discriminator. Read as one struct whose variant-specific fields are optional; [`Self::variant`]
/// names the variant from `protocol` and `idpType`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FederationIdentityProvider {
    /// 24-hex id.
    pub id: String,
    /// Legacy id: `null` for OIDC; for SAML not always hex, whatever the spec's pattern says.
    pub okta_idp_id: Option<String>,
    /// Name shown in Atlas.
    pub display_name: Option<String>,
    /// Free text (nullable).
    pub description: Option<String>,
    /// The issuer.
    pub issuer_uri: Option<String>,
    /// `SAML` or `OIDC`.
    pub protocol: Option<String>,
    /// `WORKFORCE` or `WORKLOAD`.
    pub idp_type: Option<String>,
    /// Created.
    pub created_at: Option<Timestamp>,
    /// Last changed (nullable).
    pub updated_at: Option<Timestamp>,
    /// SAML only: `ACTIVE` or `INACTIVE`. OIDC providers have no status.
    pub status: Option<String>,
    /// SAML and OIDC workforce: the email domains that sign in through it.
    #[serde(default)]
    pub associated_domains: Vec<String>,
    /// SAML only: the signing certificates.
    pub pem_file_info: Option<PemFileInfo>,
    /// SAML only: the identity provider's sign-in URL.
    pub sso_url: Option<String>,
    /// OIDC: the audience.
    pub audience: Option<String>,
    /// OIDC: `GROUP` or `USER`.
    pub authorization_type: Option<String>,
    /// OIDC workforce: the client id.
    pub client_id: Option<String>,
    /// The orgs connected through it.
    #[serde(default)]
    pub associated_orgs: Vec<ConnectedOrgConfig>,
}

/// The variant of a [`FederationIdentityProvider`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdpVariant {
    /// SAML (workforce).
    Saml,
    /// OIDC for people.
    OidcWorkforce,
    /// OIDC for workloads (machines).
    OidcWorkload,
    /// A pair Atlas did not document.
    Other,
}

impl FederationIdentityProvider {
    /// The variant, from `protocol` and `idpType` (a SAML provider without `idpType` is
    /// workforce, the only kind SAML has).
    pub fn variant(&self) -> IdpVariant {
        match (self.protocol.as_deref(), self.idp_type.as_deref()) {
            (Some("SAML"), Some("WORKFORCE") | None) => IdpVariant::Saml,
            (Some("OIDC"), Some("WORKFORCE")) => IdpVariant::OidcWorkforce,
            (Some("OIDC"), Some("WORKLOAD")) => IdpVariant::OidcWorkload,
            _ => IdpVariant::Other,
        }
    }
}

/// A SAML provider's certificate file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PemFileInfo {
    /// The certificates' validity.
    #[serde(default)]
    pub certificates: Vec<CertificateValidity>,
    /// The uploaded file's name (recorded `null`).
    pub file_name: Option<String>,
}

/// One certificate's validity.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateValidity {
    /// Valid from.
    pub not_before: Option<Timestamp>,
    /// Valid until.
    pub not_after: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variant_comes_from_protocol_and_type_and_ids_are_not_validated() {
        let idp = |v: serde_json::Value| -> FederationIdentityProvider {
            serde_json::from_value(v).unwrap()
        };
        let saml = idp(serde_json::json!({
            "id": "66a902c08811d46a1db437ca", "oktaIdpId": "0oa17ziag59V93JYS358",
            "protocol": "SAML", "idpType": "WORKFORCE", "status": "ACTIVE"
        }));
        assert_eq!(saml.variant(), IdpVariant::Saml);
        assert_eq!(saml.okta_idp_id.as_deref(), Some("0oa17ziag59V93JYS358"));
        let workload = idp(serde_json::json!({
            "id": "x", "oktaIdpId": null, "protocol": "OIDC", "idpType": "WORKLOAD"
        }));
        assert_eq!(workload.variant(), IdpVariant::OidcWorkload);
        assert!(workload.associated_domains.is_empty() && workload.status.is_none());
        let odd = idp(serde_json::json!({"id": "y", "protocol": "LDAP"}));
        assert_eq!(odd.variant(), IdpVariant::Other);
    }
}

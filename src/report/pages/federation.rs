//! The federation section of `report.html`: per federated org, its identity providers
//! (protocol, type, status, associated domains), the domain restriction, the roles every SSO
//! user gets, and the role mappings. Orgs whose federation could not be read say so.

use serde::Serialize;

use super::view::{Limits, moment};
use crate::report::Review;

/// The federation operations whose gap means an org's federation was not read.
const OPERATIONS: &[&str] = &[
    "getOrgFederationSettings",
    "getFederationSettingConnectedOrgConfig",
    "listFederationSettingConnectedOrgConfigRoleMappings",
    "listFederationSettingIdentityProviders",
];

/// One org's federation, as the page shows it.
#[derive(Debug, Serialize)]
pub(super) struct FederationView {
    /// The org's name.
    org: String,
    /// The federation settings id.
    settings_id: String,
    /// `on`, `off`, `unknown`, or `not connected`.
    domain_restriction: &'static str,
    /// The allowed domains.
    allow_list: Vec<String>,
    /// Org roles every SSO user gets.
    post_auth_roles: Vec<String>,
    /// The identity providers.
    providers: Vec<ProviderView>,
    /// `group: ROLE on place, …` per role mapping.
    mappings: Vec<String>,
    /// Why part of it was not read, when a gap says so.
    unread: Option<String>,
}

/// One identity provider.
#[derive(Debug, Serialize)]
struct ProviderView {
    /// Display name.
    name: String,
    /// `SAML` or `OIDC`.
    protocol: String,
    /// `WORKFORCE` or `WORKLOAD`.
    idp_type: String,
    /// `ACTIVE`, `INACTIVE`, or empty (OIDC has none).
    status: String,
    /// Associated domains, comma-separated.
    domains: String,
    /// Whether the org uses it.
    in_use: bool,
    /// SAML: when its first certificate expires.
    certificate_expires: Option<String>,
}

/// The section: every org with federation, or whose federation could not be read.
pub(super) fn federation(r: &Review<'_>, l: Limits) -> Vec<FederationView> {
    let snapshot = r.snapshot;
    let mut out = Vec::new();
    for org in &snapshot.orgs {
        let gap = snapshot.coverage.iter().find(|g| {
            g.scope == crate::model::key::org(&org.id)
                && OPERATIONS.contains(&g.endpoint.as_str())
                && !g.in_answer()
        });
        let unread = gap.map(|g| l.text(&format!("{}: {}", g.endpoint, g.reason)));
        let Some(f) = &org.federation else {
            if unread.is_some() {
                out.push(FederationView {
                    org: l.name(&org.name),
                    settings_id: String::new(),
                    domain_restriction: "unknown",
                    allow_list: Vec::new(),
                    post_auth_roles: Vec::new(),
                    providers: Vec::new(),
                    mappings: Vec::new(),
                    unread,
                });
            }
            continue;
        };
        let c = f.connected.as_ref();
        let providers = f
            .identity_providers
            .iter()
            .flatten()
            .take(l.list)
            .map(|p| ProviderView {
                name: l.name(p.display_name.as_deref().unwrap_or(&p.id)),
                protocol: l.name(&p.protocol),
                idp_type: l.name(&p.idp_type),
                status: l.name(p.status.as_deref().unwrap_or_default()),
                domains: l.text(&p.associated_domains.join(", ")),
                in_use: p.used_by_org,
                certificate_expires: p.certificates_not_after.first().map(|t| moment(*t)),
            })
            .collect();
        let mappings = f
            .role_mappings
            .iter()
            .flatten()
            .take(l.list)
            .map(|m| {
                let roles: Vec<String> = m
                    .assignments
                    .iter()
                    .map(|a| match &a.project_id {
                        Some(p) => {
                            let name = snapshot
                                .projects
                                .iter()
                                .find(|x| x.id == *p)
                                .map_or(p.as_str(), |x| x.name.as_str());
                            format!("{} on {name}", a.role)
                        }
                        None => format!("{} on the org", a.role),
                    })
                    .collect();
                l.text(&format!("{}: {}", m.external_group_name, roles.join(", ")))
            })
            .collect();
        out.push(FederationView {
            org: l.name(&org.name),
            settings_id: f.federation_settings_id.clone(),
            domain_restriction: match c.map(|c| c.domain_restriction_enabled) {
                None => "not connected",
                Some(Some(true)) => "on",
                Some(Some(false)) => "off",
                Some(None) => "unknown",
            },
            allow_list: c
                .map(|c| c.domain_allow_list.iter().map(|d| l.name(d)).collect())
                .unwrap_or_default(),
            post_auth_roles: c
                .map(|c| c.post_auth_role_grants.iter().map(|d| l.name(d)).collect())
                .unwrap_or_default(),
            providers,
            mappings,
            unread,
        });
    }
    out
}

//! An org's federation in the model, and its role mappings as grants: each identity-provider
//! group with a role mapping is a principal of kind `idp_group`, each of its role assignments a
//! grant through `Via::IdpGroup`. The roles every SSO user gets after signing in
//! (`postAuthRoleGrants`) stay with the federation: they are nobody's grant in particular.

use super::{Builder, IMPLIED_PROJECT_ROLES, push_sorted};
use crate::collect::raw::{RawFederation, RawOrg};
use crate::model::{
    self, LastActivity, Principal, PrincipalDetail, PrincipalKind, Scope, Via, key,
};

/// The model of an org's federation.
pub(super) fn convert(org_id: &str, f: &RawFederation) -> model::Federation {
    let connected = f.connected.as_ref().map(|c| model::ConnectedOrg {
        domain_restriction_enabled: c.domain_restriction_enabled,
        domain_allow_list: c.domain_allow_list.clone(),
        post_auth_role_grants: c.post_auth_role_grants.clone(),
        identity_provider_id: c.identity_provider_id.clone(),
        data_access_identity_provider_ids: c.data_access_identity_provider_ids.clone(),
    });
    let role_mappings = f.role_mappings.as_ref().map(|list| {
        let mut mappings: Vec<model::RoleMapping> = list
            .iter()
            .map(|m| {
                let mut assignments: Vec<model::RoleMappingAssignment> = m
                    .role_assignments
                    .iter()
                    .filter_map(|a| {
                        Some(model::RoleMappingAssignment {
                            project_id: a.group_id.clone(),
                            role: a.role.clone()?,
                        })
                    })
                    .collect();
                assignments.sort();
                model::RoleMapping {
                    id: m.id.clone(),
                    external_group_name: m.external_group_name.clone(),
                    assignments,
                }
            })
            .collect();
        mappings.sort_by(|a, b| a.external_group_name.cmp(&b.external_group_name));
        mappings
    });
    let identity_providers = f.identity_providers.as_ref().map(|list| {
        let mut providers: Vec<model::IdentityProvider> = list
            .iter()
            .map(|p| {
                let used_by_org = f.connected.as_ref().is_some_and(|c| {
                    (c.identity_provider_id.is_some() && c.identity_provider_id == p.okta_idp_id)
                        || c.data_access_identity_provider_ids.contains(&p.id)
                }) || p.associated_orgs.iter().any(|o| o.org_id == org_id);
                let mut certificates_not_after: Vec<jiff::Timestamp> = p
                    .pem_file_info
                    .iter()
                    .flat_map(|pem| pem.certificates.iter().filter_map(|c| c.not_after))
                    .collect();
                certificates_not_after.sort();
                model::IdentityProvider {
                    id: p.id.clone(),
                    okta_idp_id: p.okta_idp_id.clone(),
                    display_name: p.display_name.clone(),
                    protocol: p.protocol.clone().unwrap_or_default(),
                    idp_type: p.idp_type.clone().unwrap_or_default(),
                    status: p.status.clone(),
                    associated_domains: p.associated_domains.clone(),
                    issuer_uri: p.issuer_uri.clone(),
                    certificates_not_after,
                    used_by_org,
                }
            })
            .collect();
        providers.sort_by(|a, b| a.id.cmp(&b.id));
        providers
    });
    model::Federation {
        federation_settings_id: f.settings_id.clone(),
        identity_provider_status: f.settings.identity_provider_status.clone(),
        federated_domains: f.settings.federated_domains.clone(),
        connected,
        role_mappings,
        identity_providers,
    }
}

impl Builder<'_> {
    /// The org's identity-provider groups as principals, their role assignments as grants
    /// (`via` = `idp-group:<externalGroupName>`), with the project roles an org role implies.
    pub(super) fn idp_groups(&mut self, org: &RawOrg) {
        let Some(f) = &org.federation else { return };
        let org_id = &org.org.id;
        for m in f.role_mappings.iter().flatten() {
            let name = &m.external_group_name;
            let k = key::idp_group(org_id, name);
            let entry = self.principals.entry(k.clone()).or_insert_with(|| Principal {
                key: k.clone(),
                kind: PrincipalKind::IdpGroup,
                name: name.clone(),
                org_ids: Vec::new(),
                project_id: None,
                created: None,
                activity: Vec::new(),
                last_activity: LastActivity::NoInformation {
                    reason: "an identity-provider group does not act itself; its members sign in as Atlas users".into(),
                },
                detail: PrincipalDetail::IdpGroup(model::IdpGroup {
                    federation_settings_id: f.settings_id.clone(),
                    role_mapping_id: m.id.clone(),
                }),
            });
            push_sorted(&mut entry.org_ids, org_id.clone());
            let via = Via::IdpGroup(name.clone());
            for a in &m.role_assignments {
                let Some(role) = &a.role else { continue };
                match &a.group_id {
                    Some(project_id) => {
                        let scope = Self::project_scope(org_id, project_id);
                        self.grant(&k, scope, role, via.clone());
                    }
                    None => {
                        let scope = Scope::Org {
                            org_id: a.org_id.clone().unwrap_or_else(|| org_id.clone()),
                        };
                        self.grant(&k, scope, role, via.clone());
                        if let Some((_, implied)) =
                            IMPLIED_PROJECT_ROLES.iter().find(|(r, _)| r == role)
                        {
                            for p in &org.projects {
                                let scope = Self::project_scope(org_id, &p.project.id);
                                self.grant(&k, scope, implied, Via::OrgRole(role.clone()));
                            }
                        }
                    }
                }
            }
        }
    }
}

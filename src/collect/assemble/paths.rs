//! The further paths to a project in the model: invitations made per project become pending
//! people with project roles (merged with the same person from the org's user listing), the
//! project's LDAP and X.509 settings, certificates on their database users, and cloud-provider
//! roles as principals of their own.

use std::collections::BTreeSet;

use super::super::raw::{RawOrg, RawProject};
use super::{Builder, push_sorted};
use crate::atlas::types;
use crate::model::{
    self, CloudProviderRole, FeatureUse, LastActivity, Principal, PrincipalDetail, PrincipalKind,
    Via, key,
};

const PENDING: &str = "PENDING";

impl Builder<'_> {
    /// Each per-project invitation: a pending principal `user:<username>` (the one the org
    /// listing made, when it listed the person) with the invitation's project roles, direct.
    /// A person without a membership in the org gets a pending one from the invitation, so
    /// `USER_INVITE_STALE` judges it like any other.
    pub(super) fn project_invitations(&mut self, org: &RawOrg) {
        let org_id = &org.org.id;
        let mut made = BTreeSet::new();
        for p in &org.projects {
            let project_id = &p.project.id;
            if !self.in_scope(project_id) {
                continue;
            }
            for inv in p.paths.invitations.iter().flatten() {
                let k = key::user(&inv.username);
                let entry = self.principals.entry(k.clone()).or_insert_with(|| {
                    super::person(model::AtlasUser {
                        // The invitation listing names no user id: the person has none
                        // until they accept.
                        user_id: String::new(),
                        username: inv.username.clone(),
                        full_name: None,
                        country: None,
                        created_at: None,
                        last_auth: None,
                        memberships: Vec::new(),
                        project_invitations: Vec::new(),
                    })
                });
                push_sorted(&mut entry.org_ids, org_id.clone());
                if let PrincipalDetail::AtlasUser(u) = &mut entry.detail {
                    merge_membership(u, org_id, inv, &mut made);
                    u.project_invitations.push(model::ProjectInvitation {
                        id: inv.id.clone(),
                        org_id: org_id.clone(),
                        project_id: project_id.clone(),
                        roles: inv.roles.clone(),
                        created_at: inv.created_at,
                        expires_at: inv.expires_at,
                        inviter: inv.inviter_username.clone(),
                    });
                    u.project_invitations.sort_by(|a, b| {
                        (&a.org_id, &a.project_id, &a.id).cmp(&(&b.org_id, &b.project_id, &b.id))
                    });
                }
                for role in &inv.roles {
                    let scope = Self::project_scope(org_id, project_id);
                    self.grant(&k, scope, role, Via::Direct);
                }
            }
        }
    }

    /// Each cloud-provider role of a project as a principal. They carry no grants: the grant
    /// table says who can reach Atlas, and these are the other way round, Atlas reaching into
    /// the customer's cloud; what uses them is in their detail, and the report lists them
    /// where data can flow out.
    pub(super) fn cloud_provider_roles(&mut self, org: &RawOrg, p: &RawProject) {
        let project_id = &p.project.id;
        if !self.in_scope(project_id) {
            return;
        }
        let Some(access) = &p.paths.cloud_provider_access else {
            return;
        };
        let mut roles = Vec::new();
        for r in &access.aws_iam_roles {
            roles.push((
                r.created_date,
                CloudProviderRole {
                    provider: r.provider_name.clone().unwrap_or_else(|| "AWS".into()),
                    role_id: r.role_id.clone(),
                    authorized: r.authorized_date.is_some(),
                    authorized_at: r.authorized_date,
                    customer_identity: r.iam_assumed_role_arn.clone(),
                    atlas_identity: r.atlas_aws_account_arn.clone(),
                    status: None,
                    features: features(&r.feature_usages),
                },
            ));
        }
        for r in &access.azure_service_principals {
            roles.push((
                r.created_date,
                CloudProviderRole {
                    provider: "AZURE".into(),
                    role_id: r.id.clone(),
                    authorized: true,
                    authorized_at: None,
                    customer_identity: r.service_principal_id.clone(),
                    atlas_identity: r.atlas_azure_app_id.clone(),
                    status: None,
                    features: features(&r.feature_usages),
                },
            ));
        }
        for r in &access.gcp_service_accounts {
            roles.push((
                r.created_date,
                CloudProviderRole {
                    provider: "GCP".into(),
                    role_id: r.role_id.clone(),
                    authorized: r.status.as_deref() == Some("COMPLETE"),
                    authorized_at: None,
                    customer_identity: r.gcp_service_account_for_atlas.clone(),
                    atlas_identity: None,
                    status: r.status.clone(),
                    features: features(&r.feature_usages),
                },
            ));
        }
        for (created, role) in roles {
            let k = key::cloud_provider_role(project_id, &role.role_id);
            let name = role
                .customer_identity
                .clone()
                .or_else(|| {
                    role.atlas_identity
                        .as_ref()
                        .map(|a| format!("{a} (not authorized)"))
                })
                .unwrap_or_else(|| format!("{} role {}", role.provider, role.role_id));
            self.principals.insert(
                k.clone(),
                Principal {
                    key: k,
                    kind: PrincipalKind::CloudProviderRole,
                    name,
                    org_ids: vec![org.org.id.clone()],
                    project_id: Some(project_id.clone()),
                    created,
                    activity: Vec::new(),
                    last_activity: LastActivity::NoInformation {
                        reason: "Atlas records no use of a cloud-provider role".into(),
                    },
                    detail: PrincipalDetail::CloudProviderRole(role),
                },
            );
        }
    }
}

/// The org membership a per-project invitation stands for: none is added when the org listing
/// knows the person there (active or pending); the invitations of a person the org listing
/// does not know make one pending membership, as old as the oldest and lasting as long as the
/// last. `made` holds the people whose membership in this org came from invitations.
fn merge_membership(
    u: &mut model::AtlasUser,
    org_id: &str,
    inv: &types::GroupInvitation,
    made: &mut BTreeSet<String>,
) {
    match u.memberships.iter_mut().find(|m| m.org_id == org_id) {
        Some(m) if made.contains(&u.username) => {
            m.invitation_created_at = min_opt(m.invitation_created_at, inv.created_at);
            m.invitation_expires_at = max_opt(m.invitation_expires_at, inv.expires_at);
        }
        Some(_) => {}
        None => {
            made.insert(u.username.clone());
            u.memberships.push(model::Membership {
                org_id: org_id.into(),
                status: PENDING.into(),
                teams: Vec::new(),
                invitation_created_at: inv.created_at,
                invitation_expires_at: inv.expires_at,
                inviter: inv.inviter_username.clone(),
            });
            u.memberships.sort_by(|a, b| a.org_id.cmp(&b.org_id));
        }
    }
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn features(usages: &[types::FeatureUsage]) -> Vec<FeatureUse> {
    let mut v: Vec<FeatureUse> = usages
        .iter()
        .map(|f| FeatureUse {
            feature: f.feature_type.clone(),
            target: f.target(),
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The project's LDAP and X.509 settings as the model keeps them.
pub(super) fn user_security(s: &types::UserSecurity) -> model::UserSecurity {
    let ldap = s.ldap.clone().unwrap_or_default();
    let server = ldap.hostname.as_ref().map(|h| match ldap.port {
        Some(port) => format!("{h}:{port}"),
        None => h.clone(),
    });
    model::UserSecurity {
        ldap_authentication: ldap.authentication_enabled.unwrap_or(false),
        ldap_authorization: ldap.authorization_enabled.unwrap_or(false),
        ldap_server: server,
        ldap_bind_username: ldap.bind_username.clone(),
        ldap_authz_query_template: ldap.authz_query_template.clone(),
        user_to_dn_mapping: ldap
            .user_to_dn_mapping
            .iter()
            .map(|m| {
                let to = m
                    .substitution
                    .as_deref()
                    .or(m.ldap_query.as_deref())
                    .unwrap_or("");
                format!("{} → {to}", m.matches)
            })
            .collect(),
        // `{}` (no `cas`) or an empty bundle is off.
        customer_x509: s
            .customer_x509
            .as_ref()
            .and_then(|x| x.cas.as_deref())
            .is_some_and(|c| !c.trim().is_empty()),
    }
}

/// The certificates of a database user, by serial.
pub(super) fn certificates(certs: &[types::UserCert]) -> Vec<model::Certificate> {
    let mut v: Vec<model::Certificate> = certs
        .iter()
        .map(|c| model::Certificate {
            id: c.id,
            created: c.created_at,
            not_after: c.not_after,
            subject: c.subject.clone(),
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn security(body: serde_json::Value) -> model::UserSecurity {
        user_security(&serde_json::from_value(body).unwrap())
    }

    #[test]
    fn customer_x509_is_on_only_with_a_bundle() {
        // As recorded: `{}` when no customer CA is configured.
        assert!(!security(serde_json::json!({"customerX509": {}})).customer_x509);
        assert!(!security(serde_json::json!({"customerX509": {"cas": "  "}})).customer_x509);
        assert!(!security(serde_json::json!({})).customer_x509);
        let on = security(serde_json::json!({
            "customerX509": {"cas": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----"},
            "ldap": {"authenticationEnabled": true, "hostname": "ldap.example", "port": 636,
                     "userToDNMapping": [{"match": "(.+)@EXAMPLE", "ldapQuery": "ou=people??one?(uid={0})"}]}
        }));
        assert!(on.customer_x509 && on.ldap_authentication && !on.ldap_authorization);
        assert_eq!(on.ldap_server.as_deref(), Some("ldap.example:636"));
        assert_eq!(
            on.user_to_dn_mapping,
            vec!["(.+)@EXAMPLE → ou=people??one?(uid={0})".to_string()]
        );
        assert!(on.is_configured());
    }

    #[test]
    fn certificates_are_sorted_and_keep_their_serial() {
        let certs: Vec<types::UserCert> = serde_json::from_str(
            r#"[{"_id":9116777849366263482,"notAfter":"2026-01-01T00:00:00Z"},{"_id":5,"notAfter":"2026-01-01T00:00:00Z"}]"#,
        )
        .unwrap();
        let ids: Vec<i64> = certificates(&certs).iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![5, 9_116_777_849_366_263_482]);
    }
}

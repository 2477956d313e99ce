//! Field-for-field conversions from Atlas's wire types to the model, for the parts that need no
//! cross-referencing.

use std::collections::BTreeMap;

use super::super::raw::RawProject;
use crate::atlas::types;
use crate::model::{self, AccessListEntry, AccessLogEntry, AuthMethod, key};

/// An API key's or service account's access list, sorted by source.
pub(super) fn access_list(list: &[types::AccessEntry]) -> Vec<AccessListEntry> {
    let mut entries: Vec<AccessListEntry> = list
        .iter()
        .map(|e| AccessListEntry {
            source: e
                .cidr_block
                .clone()
                .or_else(|| e.ip_address.clone())
                .unwrap_or_default(),
            created: e.created,
            last_used: e.last_used,
            last_used_address: e.last_used_address.clone(),
            request_count: e.count,
        })
        .collect();
    entries.sort_by(|a, b| a.source.cmp(&b.source));
    entries
}

pub(super) fn org_settings(s: &types::OrgSettings) -> model::OrgSettings {
    model::OrgSettings {
        mfa_required: s.multi_factor_auth_required,
        api_access_list_required: s.api_access_list_required,
        restrict_employee_access: s.restrict_employee_access,
        security_contact: s.security_contact.clone().filter(|c| !c.trim().is_empty()),
        max_service_account_secret_validity_hours: s.max_service_account_secret_validity_in_hours,
        absolute_session_timeout_seconds: s
            .custom_session_timeouts
            .as_ref()
            .and_then(|t| t.absolute_session_timeout_in_seconds),
        idle_session_timeout_seconds: s
            .custom_session_timeouts
            .as_ref()
            .and_then(|t| t.idle_session_timeout_in_seconds),
    }
}

fn tags(tags: &[types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

pub(super) fn project(p: &RawProject) -> model::Project {
    model::Project {
        id: p.project.id.clone(),
        org_id: p.project.org_id.clone(),
        name: p.project.name.clone(),
        created: p.project.created,
        tags: tags(&p.project.tags),
        settings: p.settings.as_ref().map(|s| model::ProjectSettings {
            data_explorer_enabled: s.is_data_explorer_enabled,
            data_explorer_gen_ai_enabled: s.is_data_explorer_gen_ai_features_enabled,
        }),
        ip_access_list: p.access_list.as_ref().map(|list| {
            let mut v: Vec<model::NetworkEntry> = list
                .iter()
                .map(|e| model::NetworkEntry {
                    source: e
                        .cidr_block
                        .clone()
                        .or_else(|| e.ip_address.clone())
                        .or_else(|| e.aws_security_group.clone())
                        .unwrap_or_default(),
                    comment: e.comment.clone(),
                    delete_after: e.delete_after_date,
                })
                .collect();
            v.sort();
            v
        }),
        audit_log: p.audit_log.as_ref().map(|a| model::AuditLogConfig {
            enabled: a.enabled.unwrap_or(false),
            audit_authorization_success: a.audit_authorization_success,
            configuration_type: a.configuration_type.clone(),
        }),
        clusters: p.clusters.as_ref().map(|cs| {
            let mut v: Vec<model::Cluster> = cs
                .iter()
                .map(|c| {
                    let (provider, tier) = c.provider_and_tier();
                    model::Cluster {
                        provider,
                        tier,
                        name: c.name.clone(),
                        id: c.id.clone(),
                        cluster_type: c.cluster_type.clone(),
                        state: c.state_name.clone(),
                        paused: c.paused,
                        created: c.create_date,
                        mongodb_version: c.mongodb_version.clone(),
                        tags: tags(&c.tags),
                        employee_access_grant: c.employee_access_grant.as_ref().map(|g| {
                            model::EmployeeAccessGrant {
                                grant_type: g.grant_type.clone(),
                                expires: g.expiration_time,
                            }
                        }),
                    }
                })
                .collect();
            v.sort_by(|a, b| a.name.cmp(&b.name));
            v
        }),
        user_security: p
            .paths
            .user_security
            .as_ref()
            .map(super::paths::user_security),
    }
}

pub(super) fn custom_role(project_id: &str, r: &types::CustomDbRole) -> model::CustomRole {
    model::CustomRole {
        project_id: project_id.into(),
        name: r.role_name.clone(),
        actions: r
            .actions
            .iter()
            .map(|a| model::RoleAction {
                action: a.action.clone(),
                resources: a
                    .resources
                    .iter()
                    .map(|res| model::RoleResource {
                        cluster: res.cluster,
                        db: res.db.clone(),
                        collection: res.collection.clone(),
                    })
                    .collect(),
            })
            .collect(),
        inherited_roles: r
            .inherited_roles
            .iter()
            .map(|i| model::InheritedRole {
                role: i.role.clone(),
                db: i.db.clone(),
            })
            .collect(),
    }
}

pub(super) fn event(e: &types::Event) -> model::Event {
    let actor = e
        .username
        .as_deref()
        .filter(|u| !u.is_empty())
        .map(|u| {
            if u.starts_with("mdb_sa_id_") {
                key::service_account(u)
            } else {
                key::user(u)
            }
        })
        .or_else(|| {
            e.public_key
                .as_deref()
                .filter(|k| !k.is_empty())
                .map(key::api_key)
        });
    model::Event {
        id: e.id.clone(),
        created: e.created,
        event_type: e.event_type_name.clone(),
        org_id: e.org_id.clone(),
        project_id: e.group_id.clone(),
        actor,
        by_mongodb_staff: e.is_global_admin.unwrap_or(false),
        remote_address: e.remote_address.clone(),
        target: e
            .target_username
            .clone()
            .or_else(|| e.target_public_key.clone())
            .or_else(|| e.client_id.clone())
            .or_else(|| e.db_user_username.clone())
            .or_else(|| e.team_id.clone()),
    }
}

/// One authentication attempt; `None` without a username, which nothing can be attributed
/// to. An attempt whose time cannot be read is kept without one.
pub(super) fn access_log(
    project_id: &str,
    cluster: &str,
    e: &types::AccessLog,
) -> Option<AccessLogEntry> {
    Some(AccessLogEntry {
        project_id: project_id.into(),
        cluster: cluster.into(),
        username: e.username.clone().filter(|u| !u.is_empty())?,
        auth_source: e.auth_source.clone(),
        success: e.auth_result.unwrap_or(false),
        failure_reason: e.failure_reason.clone(),
        ip_address: e.ip_address.clone(),
        at: e.time(),
    })
}

pub(super) fn auth_method(u: &types::DatabaseUser) -> AuthMethod {
    // (field, the value that picks the first method, first method, otherwise): Atlas sets at
    // most one of these to something other than NONE; all NONE means a SCRAM password.
    let kinds = [
        (
            &u.x509_type,
            "MANAGED",
            AuthMethod::X509Managed,
            AuthMethod::X509Customer,
        ),
        (
            &u.aws_iam_type,
            "ROLE",
            AuthMethod::AwsIamRole,
            AuthMethod::AwsIamUser,
        ),
        (
            &u.ldap_auth_type,
            "GROUP",
            AuthMethod::LdapGroup,
            AuthMethod::LdapUser,
        ),
        (
            &u.oidc_auth_type,
            "IDP_GROUP",
            AuthMethod::OidcIdpGroup,
            AuthMethod::OidcUser,
        ),
    ];
    for (field, special, if_special, otherwise) in kinds {
        if let Some(value) = field.as_deref().filter(|v| *v != "NONE") {
            return if value == special {
                if_special
            } else {
                otherwise
            };
        }
    }
    AuthMethod::Password
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_account_event_names_the_account_it_is_about() {
        // As recorded: the author is an API key; the account the event is about is `clientId`.
        let e: types::Event = serde_json::from_value(serde_json::json!({
            "id": "e1", "created": "2026-02-10T15:23:40Z",
            "eventTypeName": "SERVICE_ACCOUNT_SECRET_DELETED",
            "orgId": "o1", "publicKey": "abcdefgh", "apiKeyId": "k1",
            "clientId": "mdb_sa_id_000000000000000000000001"
        }))
        .unwrap();
        let m = event(&e);
        assert_eq!(m.actor.as_deref(), Some("apikey:abcdefgh"));
        assert_eq!(
            m.target.as_deref(),
            Some("mdb_sa_id_000000000000000000000001")
        );
    }
}

//! The further paths on the page: the cloud-provider roles Atlas may assume (where data can
//! flow out of Atlas), and the projects' LDAP and X.509 settings with the database users that
//! are LDAP groups.

use serde::Serialize;

use super::list::{Budget, List};
use super::view::Limits;
use crate::model::{AuthMethod, PrincipalDetail};
use crate::report::Review;

/// One cloud-provider role.
#[derive(Debug, Serialize)]
pub(super) struct CloudAccessView {
    /// The project's name.
    project: String,
    /// The identity Atlas acts as (or Atlas's side, while unauthorized).
    name: String,
    /// `cloudrole:<project>/<role>`.
    key: String,
    /// `AWS`, `AZURE`, `GCP`.
    provider: String,
    /// Whether Atlas can assume it now.
    authorized: bool,
    /// What uses it, in words: "exports backup snapshots to cloud storage (bucket)".
    features: Vec<String>,
    /// Whether anything using it moves data out of Atlas.
    moves_data: bool,
}

/// One project's LDAP and X.509 settings, shown where anything is configured or where a
/// database user is an LDAP group.
#[derive(Debug, Serialize)]
pub(super) struct ProjectSecurityView {
    /// The project's name.
    project: String,
    /// LDAP in words: "authentication and authorization through host:port, bound as DN", "off".
    ldap: String,
    /// How usernames become DNs.
    mapping: Vec<String>,
    /// A customer CA is configured for X.509 database users.
    customer_x509: bool,
    /// "CN=…: granted to LDAP group CN=… (read@inventory)", one per LDAP group user.
    ldap_groups: Vec<String>,
}

/// The cloud-provider roles, by project.
pub(super) fn cloud_access(r: &Review<'_>, l: &Limits) -> List<CloudAccessView> {
    let roles: Vec<_> = r
        .snapshot
        .principals
        .iter()
        .filter_map(|p| match &p.detail {
            PrincipalDetail::CloudProviderRole(c) => Some((p, c)),
            _ => None,
        })
        .collect();
    List::take(&roles, l.list, &Budget::new(l.list_bytes), |(p, c)| {
        CloudAccessView {
            project: l.name(p.project_id.as_deref().map_or("", |id| r.project_name(id))),
            name: l.name(&p.name),
            key: l.name(&p.key),
            provider: c.provider.clone(),
            authorized: c.authorized,
            features: c.features.iter().map(|f| l.text(&f.describe())).collect(),
            moves_data: c.features.iter().any(|f| f.moves_data()),
        }
    })
}

/// The projects whose LDAP or X.509 settings are on, or that hold an LDAP group user.
pub(super) fn project_security(r: &Review<'_>, l: &Limits) -> List<ProjectSecurityView> {
    // The LDAP group users of each project, in one pass over the principals.
    let mut by_project: std::collections::HashMap<&str, Vec<String>> =
        std::collections::HashMap::new();
    for u in &r.snapshot.principals {
        let (Some(project), PrincipalDetail::DatabaseUser(d)) =
            (u.project_id.as_deref(), &u.detail)
        else {
            continue;
        };
        if d.auth_method != AuthMethod::LdapGroup {
            continue;
        }
        let roles: Vec<String> = d
            .roles
            .iter()
            .map(|r| format!("{}@{}", r.role, r.database))
            .collect();
        by_project.entry(project).or_default().push(format!(
            "granted to LDAP group {}: {}",
            d.username,
            roles.join(", ")
        ));
    }
    let shown: Vec<_> = r
        .snapshot
        .projects
        .iter()
        .filter_map(|p| {
            let groups = by_project.remove(p.id.as_str()).unwrap_or_default();
            let configured = p.user_security.as_ref().is_some_and(|s| s.is_configured());
            (configured || !groups.is_empty()).then_some((p, groups))
        })
        .collect();
    List::take(&shown, l.list, &Budget::new(l.list_bytes), |(p, groups)| {
        let s = p.user_security.clone().unwrap_or_default();
        let ldap = match (s.ldap_authentication, s.ldap_authorization) {
            _ if p.user_security.is_none() => {
                "not read (userSecurity needs Project Owner)".to_string()
            }
            (false, false) => "off".to_string(),
            (authn, authz) => {
                let what = match (authn, authz) {
                    (true, true) => "authentication and authorization",
                    (true, false) => "authentication",
                    _ => "authorization",
                };
                let mut text =
                    format!("{what} through {}", s.ldap_server.as_deref().unwrap_or("?"));
                if let Some(bind) = &s.ldap_bind_username {
                    text.push_str(&format!(", bound as {bind}"));
                }
                text
            }
        };
        ProjectSecurityView {
            project: l.name(r.project_name(&p.id)),
            ldap: l.text(&ldap),
            mapping: s.user_to_dn_mapping.iter().map(|m| l.text(m)).collect(),
            customer_x509: s.customer_x509,
            ldap_groups: groups.iter().map(|g| l.text(g)).collect(),
        }
    })
}

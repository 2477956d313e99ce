//! The principals that sign in with a secret: API keys and service accounts (with their org and
//! project roles and access lists) and database users (with their roles, scopes and
//! authentication method).

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::super::raw::{RawOrg, RawProject};
use super::Builder;
use super::convert::{access_list, auth_method};
use crate::model::{
    self, ActivitySignal, ActivitySource, LastActivity, Principal, PrincipalDetail, PrincipalKind,
    Scope, Via, key,
};

impl Builder<'_> {
    pub(super) fn api_keys(&mut self, org: &RawOrg) {
        let org_id = &org.org.id;
        for rk in org.api_keys.iter().flatten() {
            let k = key::api_key(&rk.key.public_key);
            let access_list = rk.access_list.as_deref().map(access_list);
            let mut activity: Vec<ActivitySignal> = access_list
                .iter()
                .flatten()
                .filter_map(|e| e.last_used)
                .map(|at| ActivitySignal {
                    source: ActivitySource::AccessListLastUsed,
                    at,
                })
                .collect();
            activity.sort_by_key(|a| std::cmp::Reverse(a.at));
            let base = match &access_list {
                None => LastActivity::NoInformation {
                    reason: "the key's access list could not be read".into(),
                },
                Some(list) if list.is_empty() => LastActivity::NoInformation {
                    reason:
                        "the key has no access-list entry, and Atlas records use only per entry"
                            .into(),
                },
                Some(_) => LastActivity::Never,
            };
            self.principals.insert(
                k.clone(),
                Principal {
                    key: k.clone(),
                    kind: PrincipalKind::ApiKey,
                    name: rk
                        .key
                        .desc
                        .clone()
                        .filter(|d| !d.is_empty())
                        .unwrap_or_else(|| rk.key.public_key.clone()),
                    org_ids: vec![org_id.clone()],
                    project_id: None,
                    created: None,
                    activity,
                    last_activity: base,
                    detail: PrincipalDetail::ApiKey(model::ApiKey {
                        id: rk.key.id.clone(),
                        public_key: rk.key.public_key.clone(),
                        description: rk.key.desc.clone(),
                        access_list,
                    }),
                },
            );
            let org_roles: Vec<String> = rk
                .key
                .roles
                .iter()
                .filter(|r| r.group_id.is_none())
                .map(|r| r.role_name.clone())
                .collect();
            self.org_roles(&k, org, &org_roles);
            for r in rk.key.roles.iter().filter(|r| r.group_id.is_some()) {
                let project_id = r.group_id.as_deref().unwrap_or_default();
                self.grant(
                    &k,
                    Self::project_scope(org_id, project_id),
                    &r.role_name,
                    Via::Direct,
                );
            }
        }
    }

    pub(super) fn service_accounts(&mut self, org: &RawOrg) {
        let org_id = &org.org.id;
        for rs in org.service_accounts.iter().flatten() {
            let sa = &rs.account;
            let k = key::service_account(&sa.client_id);
            let access_list = rs.access_list.as_deref().map(access_list);
            let mut secrets: Vec<model::Secret> = sa
                .secrets
                .iter()
                .map(|s| model::Secret {
                    id: s.id.clone(),
                    created_at: s.created_at,
                    expires_at: s.expires_at,
                    last_used_at: s.last_used_at,
                    masked_value: s.masked_secret_value.clone(),
                })
                .collect();
            secrets.sort_by(|a, b| a.id.cmp(&b.id));
            let mut activity: Vec<ActivitySignal> = secrets
                .iter()
                .filter_map(|s| s.last_used_at)
                .map(|at| ActivitySignal {
                    source: ActivitySource::SecretLastUsed,
                    at,
                })
                .chain(
                    access_list
                        .iter()
                        .flatten()
                        .filter_map(|e| e.last_used)
                        .map(|at| ActivitySignal {
                            source: ActivitySource::ServiceAccountAccessListLastUsed,
                            at,
                        }),
                )
                .collect();
            activity.sort_by(|a, b| b.at.cmp(&a.at).then(a.source.cmp(&b.source)));
            let base = if secrets.is_empty() {
                LastActivity::NoInformation {
                    reason: "the service account has no secret".into(),
                }
            } else {
                LastActivity::Never
            };
            self.principals.insert(
                k.clone(),
                Principal {
                    key: k.clone(),
                    kind: PrincipalKind::ServiceAccount,
                    name: sa
                        .name
                        .clone()
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| sa.client_id.clone()),
                    org_ids: vec![org_id.clone()],
                    project_id: None,
                    created: sa.created_at,
                    activity,
                    last_activity: base,
                    detail: PrincipalDetail::ServiceAccount(model::ServiceAccount {
                        client_id: sa.client_id.clone(),
                        description: sa.description.clone(),
                        secrets,
                        access_list,
                        system_managed: rs.system_managed,
                    }),
                },
            );
            self.org_roles(&k, org, &sa.roles);
            for g in rs.projects.iter().flatten() {
                for role in &g.roles {
                    self.grant(
                        &k,
                        Self::project_scope(org_id, &g.group_id),
                        role,
                        Via::Direct,
                    );
                }
            }
        }
    }

    pub(super) fn database_users(&mut self, org: &RawOrg, p: &RawProject) {
        let org_id = &org.org.id;
        let project_id = &p.project.id;
        if !self.in_scope(project_id) {
            return;
        }
        // Creation time from the first MONGODB_USER_ADDED event in the window, when there is one.
        let mut added: BTreeMap<&str, Timestamp> = BTreeMap::new();
        for e in p.events.iter().flatten() {
            if e.event_type_name == "MONGODB_USER_ADDED"
                && let Some(u) = &e.db_user_username
            {
                let at = added.entry(u.as_str()).or_insert(e.created);
                *at = (*at).min(e.created);
            }
        }
        for u in p.database_users.iter().flatten() {
            let k = key::database_user(project_id, &u.database_name, &u.username);
            let mut roles: Vec<model::DatabaseRole> = u
                .roles
                .iter()
                .map(|r| model::DatabaseRole {
                    role: r.role_name.clone(),
                    database: r.database_name.clone(),
                    collection: r.collection_name.clone().filter(|c| !c.is_empty()),
                })
                .collect();
            roles.sort();
            let mut scopes: Vec<String> = u.scopes.iter().map(|s| s.name.clone()).collect();
            scopes.sort();
            for r in &roles {
                let resource = match &r.collection {
                    Some(c) => format!("{}.{c}", r.database),
                    None => r.database.clone(),
                };
                let scope = Scope::Database {
                    org_id: org_id.clone(),
                    project_id: project_id.clone(),
                    resource,
                    clusters: scopes.clone(),
                };
                self.grant(&k, scope, &r.role, Via::Direct);
            }
            let mut labels: Vec<String> = u
                .labels
                .iter()
                .map(|l| {
                    format!(
                        "{}={}",
                        l.key.as_deref().unwrap_or(""),
                        l.value.as_deref().unwrap_or("")
                    )
                })
                .collect();
            labels.sort();
            self.principals.insert(
                k.clone(),
                Principal {
                    key: k.clone(),
                    kind: PrincipalKind::DatabaseUser,
                    name: u.username.clone(),
                    org_ids: vec![org_id.clone()],
                    project_id: Some(project_id.clone()),
                    created: added.get(u.username.as_str()).copied(),
                    activity: Vec::new(),
                    last_activity: LastActivity::NoInformation {
                        reason: "Atlas keeps no last-login for database users; only the access logs read tell".into(),
                    },
                    detail: PrincipalDetail::DatabaseUser(model::DatabaseUser {
                        username: u.username.clone(),
                        database_name: u.database_name.clone(),
                        auth_method: auth_method(u),
                        roles,
                        scopes,
                        delete_after: u.delete_after_date,
                        description: u.description.clone(),
                        labels,
                        certificates: p
                            .paths
                            .certificates
                            .iter()
                            .filter(|c| c.username == u.username && u.database_name == "$external")
                            .flat_map(|c| c.certs.as_deref().map(super::paths::certificates))
                            .flatten()
                            .collect(),
                    }),
                },
            );
        }
    }
}

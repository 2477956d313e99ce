//! Small estates built in code for the rules' unit tests. A fresh [`Estate`] has one org
//! (`o1`, settings all secure) and nothing else; each builder adds one thing with clean defaults,
//! so a test states only what matters to the rule under test.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::context::{Context, Out, RuleOutput};
use super::history::History;
use super::policy::Policy;
use super::{Finding, RuleId, run_rule};
use crate::model::*;

/// The as-of moment of every test estate.
pub fn as_of() -> Timestamp {
    "2026-11-20T09:00:00Z".parse().unwrap()
}

/// `days` days (may be fractional through hours) before [`as_of`].
pub fn days_ago(days: i64) -> Timestamp {
    as_of() - SignedDuration::from_hours(days * 24)
}

/// `hours` hours before [`as_of`] (negative: after).
pub fn hours_ago(hours: i64) -> Timestamp {
    as_of() - SignedDuration::from_hours(hours)
}

/// A test estate.
pub struct Estate {
    /// The snapshot being built.
    pub snapshot: Snapshot,
    /// The policy the rules run with (defaults unless a test changes it).
    pub policy: Policy,
    /// What earlier runs saw (empty unless a test adds to it).
    pub history: History,
}

impl Default for Estate {
    fn default() -> Self {
        Self::new()
    }
}

impl Estate {
    /// One org `o1` with secure settings.
    pub fn new() -> Self {
        let mut e = Estate {
            snapshot: Snapshot {
                schema_version: SCHEMA_VERSION,
                meta: Meta {
                    collected_at: Some(as_of()),
                    scope: RequestedScope {
                        events_since: Some(days_ago(90)),
                        access_logs_since: Some(days_ago(7)),
                        ..RequestedScope::default()
                    },
                    ..Meta::default()
                },
                orgs: Vec::new(),
                projects: Vec::new(),
                principals: Vec::new(),
                grants: Vec::new(),
                custom_roles: Vec::new(),
                access_logs: Vec::new(),
                access_log_windows: Vec::new(),
                events: Vec::new(),
                coverage: Vec::new(),
            },
            policy: Policy::default(),
            history: History::default(),
        };
        e.org("o1");
        e
    }

    /// Adds (or returns) an org with secure settings: MFA and API access list required,
    /// employee access restricted, a security contact.
    pub fn org(&mut self, id: &str) -> &mut Org {
        if let Some(i) = self.snapshot.orgs.iter().position(|o| o.id == id) {
            return &mut self.snapshot.orgs[i];
        }
        self.snapshot.orgs.push(Org {
            id: id.into(),
            name: format!("Org {id}"),
            is_deleted: false,
            settings: Some(OrgSettings {
                mfa_required: Some(true),
                api_access_list_required: Some(true),
                restrict_employee_access: Some(true),
                security_contact: Some("security@example.test".into()),
                max_service_account_secret_validity_hours: None,
                absolute_session_timeout_seconds: None,
                idle_session_timeout_seconds: None,
            }),
            federation: None,
        });
        self.snapshot.orgs.last_mut().unwrap()
    }

    /// Adds a project of `org` with the given tags (`("environment", "production")`), an IP
    /// access list of one /32, auditing on, and one cluster `c1` with no employee access.
    pub fn project(&mut self, org: &str, id: &str, tags: &[(&str, &str)]) -> &mut Project {
        self.snapshot.projects.push(Project {
            id: id.into(),
            org_id: org.into(),
            name: format!("project-{id}"),
            created: Some(days_ago(400)),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            settings: None,
            ip_access_list: Some(vec![NetworkEntry {
                source: "203.0.113.10/32".into(),
                comment: None,
                delete_after: None,
            }]),
            audit_log: Some(AuditLogConfig {
                enabled: true,
                audit_authorization_success: Some(false),
                configuration_type: Some("FILTER_BUILDER".into()),
            }),
            clusters: Some(vec![cluster("c1")]),
            user_security: None,
        });
        self.snapshot.projects.last_mut().unwrap()
    }

    fn push(&mut self, p: Principal) -> &mut Principal {
        self.snapshot.principals.push(p);
        self.snapshot.principals.last_mut().unwrap()
    }

    /// Adds an ACTIVE person in `org`, created 400 days ago, last login 1 day ago.
    pub fn user(&mut self, org: &str, email: &str) -> &mut Principal {
        let last_auth = days_ago(1);
        self.push(Principal {
            key: key::user(email),
            kind: PrincipalKind::AtlasUser,
            name: email.into(),
            org_ids: vec![org.into()],
            project_id: None,
            created: Some(days_ago(400)),
            activity: vec![ActivitySignal {
                source: ActivitySource::LastAuth,
                at: last_auth,
            }],
            last_activity: LastActivity::Seen {
                at: last_auth,
                source: ActivitySource::LastAuth,
            },
            detail: PrincipalDetail::AtlasUser(AtlasUser {
                user_id: format!("id-{email}"),
                username: email.into(),
                full_name: None,
                country: None,
                created_at: Some(days_ago(400)),
                last_auth: Some(last_auth),
                memberships: vec![Membership {
                    org_id: org.into(),
                    status: "ACTIVE".into(),
                    teams: Vec::new(),
                    invitation_created_at: None,
                    invitation_expires_at: None,
                    inviter: None,
                }],
                project_invitations: Vec::new(),
            }),
        })
    }

    /// Adds an API key of `org` with one /32 access-list entry used 1 day ago.
    pub fn api_key(&mut self, org: &str, public_key: &str) -> &mut Principal {
        let used = days_ago(1);
        self.push(Principal {
            key: key::api_key(public_key),
            kind: PrincipalKind::ApiKey,
            name: format!("key {public_key}"),
            org_ids: vec![org.into()],
            project_id: None,
            created: None,
            activity: vec![ActivitySignal {
                source: ActivitySource::AccessListLastUsed,
                at: used,
            }],
            last_activity: LastActivity::Seen {
                at: used,
                source: ActivitySource::AccessListLastUsed,
            },
            detail: PrincipalDetail::ApiKey(ApiKey {
                id: format!("id-{public_key}"),
                public_key: public_key.into(),
                description: Some(format!("key {public_key}")),
                access_list: Some(vec![access_entry("203.0.113.20/32", Some(used))]),
            }),
        })
    }

    /// Adds a service account of `org`, created 200 days ago, with one secret (created 30 days
    /// ago, valid 90 days, used 1 day ago) and one /32 access-list entry used 1 day ago.
    pub fn service_account(&mut self, org: &str, client_id: &str) -> &mut Principal {
        let used = days_ago(1);
        self.push(Principal {
            key: key::service_account(client_id),
            kind: PrincipalKind::ServiceAccount,
            name: format!("sa {client_id}"),
            org_ids: vec![org.into()],
            project_id: None,
            created: Some(days_ago(200)),
            activity: vec![ActivitySignal {
                source: ActivitySource::SecretLastUsed,
                at: used,
            }],
            last_activity: LastActivity::Seen {
                at: used,
                source: ActivitySource::SecretLastUsed,
            },
            detail: PrincipalDetail::ServiceAccount(ServiceAccount {
                client_id: client_id.into(),
                system_managed: Some(false),
                description: None,
                secrets: vec![Secret {
                    id: format!("secret-{client_id}"),
                    created_at: Some(days_ago(30)),
                    expires_at: Some(days_ago(30 - 90)),
                    last_used_at: Some(used),
                    masked_value: Some("mdb_sa_sk_****".into()),
                }],
                access_list: Some(vec![access_entry("203.0.113.30/32", Some(used))]),
            }),
        })
    }

    /// Adds a team of `org` with the given member keys (`user:…`).
    pub fn team(&mut self, org: &str, name: &str, members: &[&str]) -> &mut Principal {
        self.push(Principal {
            key: key::team(org, name),
            kind: PrincipalKind::Team,
            name: name.into(),
            org_ids: vec![org.into()],
            project_id: None,
            created: None,
            activity: Vec::new(),
            last_activity: LastActivity::NoInformation {
                reason: "Atlas keeps no activity for teams".into(),
            },
            detail: PrincipalDetail::Team(Team {
                team_id: format!("team-{name}"),
                members: members.iter().map(|m| m.to_string()).collect(),
            }),
        })
    }

    /// Adds a SCRAM database user `admin/<username>` of `project` with the given
    /// `(role, database)` pairs, scoped to the given clusters (empty: unscoped).
    pub fn db_user(
        &mut self,
        project: &str,
        username: &str,
        roles: &[(&str, &str)],
        scopes: &[&str],
    ) -> &mut Principal {
        let org = self.org_of(project);
        let k = key::database_user(project, "admin", username);
        for (role, db) in roles {
            self.snapshot.grants.push(Grant {
                principal: k.clone(),
                scope: Scope::Database {
                    org_id: org.clone(),
                    project_id: project.into(),
                    resource: db.to_string(),
                    clusters: scopes.iter().map(|s| s.to_string()).collect(),
                },
                role: role.to_string(),
                via: Via::Direct,
            });
        }
        self.push(Principal {
            key: k,
            kind: PrincipalKind::DatabaseUser,
            name: username.into(),
            org_ids: vec![org],
            project_id: Some(project.into()),
            created: None,
            activity: Vec::new(),
            last_activity: LastActivity::NoInformation {
                reason: "no authentication in the observed access-log window".into(),
            },
            detail: PrincipalDetail::DatabaseUser(DatabaseUser {
                username: username.into(),
                database_name: "admin".into(),
                auth_method: AuthMethod::Password,
                roles: roles
                    .iter()
                    .map(|(role, db)| DatabaseRole {
                        role: role.to_string(),
                        database: db.to_string(),
                        collection: None,
                    })
                    .collect(),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                delete_after: None,
                description: None,
                labels: Vec::new(),
                certificates: Vec::new(),
            }),
        })
    }

    /// The org that owns `project` (panics in tests when the project was not added).
    pub fn org_of(&self, project: &str) -> String {
        self.snapshot
            .projects
            .iter()
            .find(|p| p.id == project)
            .map(|p| p.org_id.clone())
            .unwrap_or_else(|| panic!("add project {project} first"))
    }

    /// A grant of `role` on `org`, directly.
    pub fn org_role(&mut self, principal: &str, org: &str, role: &str) {
        self.grant(
            principal,
            Scope::Org { org_id: org.into() },
            role,
            Via::Direct,
        );
    }

    /// A grant of `role` on `project` by `via`.
    pub fn project_role(&mut self, principal: &str, project: &str, role: &str, via: Via) {
        let org_id = self.org_of(project);
        self.grant(
            principal,
            Scope::Project {
                org_id,
                project_id: project.into(),
            },
            role,
            via,
        );
    }

    /// Any grant.
    pub fn grant(&mut self, principal: &str, scope: Scope, role: &str, via: Via) {
        self.snapshot.grants.push(Grant {
            principal: principal.into(),
            scope,
            role: role.into(),
            via,
        });
    }

    /// An event authored by `actor` (a principal key) `days` days ago in `org`.
    pub fn event(&mut self, actor: &str, org: &str, days: i64, event_type: &str) -> &mut Event {
        let n = self.snapshot.events.len();
        self.snapshot.events.push(Event {
            id: format!("ev{n}"),
            created: days_ago(days),
            event_type: event_type.into(),
            org_id: Some(org.into()),
            project_id: None,
            actor: Some(actor.into()),
            by_mongodb_staff: false,
            remote_address: None,
            target: None,
        });
        self.snapshot.events.last_mut().unwrap()
    }

    /// An access-log entry on `project`/`cluster` for `username`, `hours` hours ago.
    pub fn login(&mut self, project: &str, cluster: &str, username: &str, hours: i64, ok: bool) {
        self.snapshot.access_logs.push(AccessLogEntry {
            project_id: project.into(),
            cluster: cluster.into(),
            username: username.into(),
            auth_source: Some("admin".into()),
            success: ok,
            failure_reason: (!ok).then(|| "AuthenticationFailed".into()),
            ip_address: Some("203.0.113.40".into()),
            at: Some(hours_ago(hours)),
        });
    }

    /// Records that `project`/`cluster`'s access log was observed from `days` days ago to as-of.
    pub fn observed(&mut self, project: &str, cluster: &str, days: i64) {
        self.snapshot.access_log_windows.push(AccessLogWindow {
            project_id: project.into(),
            cluster: cluster.into(),
            start: days_ago(days),
            end: as_of(),
            entries: 0,
        });
    }

    /// A coverage gap: `endpoint` could not be read for `scope`.
    pub fn gap(&mut self, scope: &str, endpoint: &str) {
        self.snapshot.coverage.push(CoverageGap {
            scope: scope.into(),
            endpoint: endpoint.into(),
            status: Some(403),
            error_code: Some("USER_UNAUTHORIZED".into()),
            reason: "access denied".into(),
        });
    }

    /// A principal being built, by key (panics when absent).
    pub fn principal_mut(&mut self, key: &str) -> &mut Principal {
        self.snapshot
            .principals
            .iter_mut()
            .find(|p| p.key == key)
            .unwrap_or_else(|| panic!("no principal {key}"))
    }

    /// Runs one rule over the estate with its policy.
    pub fn run(&self, rule: RuleId) -> RuleOutput {
        let ctx = Context::new(&self.snapshot, &self.policy, as_of(), &self.history);
        let mut out = Out::new(&ctx, rule);
        run_rule(rule, &ctx, &mut out);
        out.finish()
    }

    /// Keys of the principals a rule flags, sorted.
    pub fn flagged(&self, rule: RuleId) -> Vec<String> {
        let mut keys: Vec<String> = self
            .run(rule)
            .findings
            .into_iter()
            .map(|f| f.principal.key)
            .collect();
        keys.sort();
        keys
    }
}

/// A cluster with nothing remarkable.
pub fn cluster(name: &str) -> Cluster {
    Cluster {
        name: name.into(),
        id: Some(format!("id-{name}")),
        cluster_type: Some("REPLICASET".into()),
        state: Some("IDLE".into()),
        paused: Some(false),
        created: Some(days_ago(300)),
        mongodb_version: Some("8.0.4".into()),
        tags: BTreeMap::new(),
        employee_access_grant: None,
        provider: Some("AWS".into()),
        tier: Some("M10".into()),
    }
}

/// An access-list entry.
pub fn access_entry(source: &str, last_used: Option<Timestamp>) -> AccessListEntry {
    AccessListEntry {
        source: source.into(),
        created: Some(days_ago(300)),
        last_used,
        last_used_address: last_used.map(|_| "203.0.113.50".into()),
        request_count: last_used.map(|_| 10),
    }
}

/// Shorthand for a user principal key.
pub fn user_key(email: &str) -> String {
    key::user(email)
}

/// The value of the finding's first fact named `name` (panics, listing the facts, when absent).
pub fn fact<'f>(f: &'f Finding, name: &str) -> &'f serde_json::Value {
    &f.evidence
        .facts
        .iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("no fact {name} in {:?}", f.evidence.facts))
        .value
}

/// The values of every fact of the finding named `name`.
pub fn facts<'f>(f: &'f Finding, name: &str) -> Vec<&'f serde_json::Value> {
    f.evidence
        .facts
        .iter()
        .filter(|x| x.name == name)
        .map(|x| &x.value)
        .collect()
}

/// The one finding `rule` produces over the estate (panics when there are more or none).
pub fn only(e: &Estate, rule: RuleId) -> Finding {
    let out = e.run(rule);
    assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
    out.findings.into_iter().next().unwrap()
}

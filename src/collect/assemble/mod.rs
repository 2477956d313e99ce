//! Turns what Atlas sent into the audit's model: principals with stable keys, the grant table
//! with every path to a role (direct, through a team, implied by an org role), and each
//! principal's last activity with its source. A pure function: same input, same snapshot.

use std::collections::{BTreeMap, BTreeSet};

mod activity;
mod convert;
mod credentials;
mod federation;
mod paths;

use super::raw::{RawEstate, RawOrg};
use crate::model::{
    self, AccessLogWindow, CoverageGap, Grant, LastActivity, Meta, Principal, PrincipalDetail,
    PrincipalKind, Scope, Snapshot, Via, key,
};
use activity::attach_activity;
use convert::{access_log, custom_role, event, project};

/// Org roles that imply a role on every project of the org (Atlas docs: Org Owner is Project
/// Owner everywhere; Org Read Only reads every project).
const IMPLIED_PROJECT_ROLES: &[(&str, &str)] = &[
    ("ORG_OWNER", "GROUP_OWNER"),
    ("ORG_READ_ONLY", "GROUP_READ_ONLY"),
];

/// Builds the snapshot. Coverage gaps found while assembling (access-log entries with no
/// username or no readable time) are added to `coverage`.
pub fn assemble(raw: RawEstate, meta: Meta, mut coverage: Vec<CoverageGap>) -> Snapshot {
    let mut b = Builder {
        raw: &raw,
        principals: BTreeMap::new(),
        grants: BTreeSet::new(),
    };
    let mut orgs = Vec::new();
    let mut projects = Vec::new();
    let mut custom_roles = Vec::new();
    let mut access_logs = Vec::new();
    let mut windows = Vec::new();
    let mut events = Vec::new();

    for org in &raw.orgs {
        orgs.push(model::Org {
            id: org.org.id.clone(),
            name: org.org.name.clone(),
            is_deleted: org.org.is_deleted,
            settings: org.settings.as_ref().map(convert::org_settings),
            federation: org
                .federation
                .as_ref()
                .map(|f| federation::convert(&org.org.id, f)),
        });
        for e in org.events.iter().flatten() {
            events.push(event(e));
        }
        for p in &org.projects {
            projects.push(project(p));
            for e in p.events.iter().flatten() {
                events.push(event(e));
            }
            for role in p.custom_roles.iter().flatten() {
                custom_roles.push(custom_role(&p.project.id, role));
            }
            for log in &p.access_logs {
                let Some(entries) = &log.logs else { continue };
                let first = access_logs.len();
                let mut unread = UnreadEntries::default();
                for entry in entries {
                    match access_log(&p.project.id, &log.cluster, entry) {
                        Some(e) => {
                            if e.at.is_none() {
                                unread.undated(entry.time_text());
                            }
                            access_logs.push(e);
                        }
                        None => unread.nameless += 1,
                    }
                }
                coverage.extend(unread.gap(&p.project.id, &log.cluster));
                if let Some(end) = raw.window.now {
                    // The log is known to reach back only as far as its oldest entry: Atlas does
                    // not say how much it keeps, so an empty log covers nothing.
                    let start = access_logs[first..]
                        .iter()
                        .filter_map(|e| e.at)
                        .min()
                        .unwrap_or(end)
                        .min(end);
                    windows.push(AccessLogWindow {
                        project_id: p.project.id.clone(),
                        cluster: log.cluster.clone(),
                        start,
                        end,
                        entries: entries.len() as u64,
                    });
                }
            }
        }
        b.users(org);
        b.project_invitations(org);
        b.teams(org);
        b.api_keys(org);
        b.service_accounts(org);
        b.idp_groups(org);
        for p in &org.projects {
            b.database_users(org, p);
            b.cloud_provider_roles(org, p);
        }
    }

    events.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    events.dedup_by(|a, b| a.id == b.id);
    access_logs.sort_by(|a, b| {
        (&a.project_id, &a.cluster, a.at, &a.username, a.success).cmp(&(
            &b.project_id,
            &b.cluster,
            b.at,
            &b.username,
            b.success,
        ))
    });

    let grants: Vec<Grant> = b.grants.into_iter().collect();
    let mut principals: Vec<Principal> = b.principals.into_values().collect();
    attach_activity(&mut principals, &events, &access_logs, &windows);

    orgs.sort_by(|a, b| a.id.cmp(&b.id));
    projects.sort_by(|a, b| a.id.cmp(&b.id));
    custom_roles.sort_by(|a, b| (&a.project_id, &a.name).cmp(&(&b.project_id, &b.name)));
    windows.sort_by(|a, b| (&a.project_id, &a.cluster).cmp(&(&b.project_id, &b.cluster)));
    coverage.sort();
    coverage.dedup();

    Snapshot {
        schema_version: model::SCHEMA_VERSION,
        meta,
        orgs,
        projects,
        principals,
        grants,
        custom_roles,
        access_logs,
        access_log_windows: windows,
        events,
        coverage,
    }
}

/// The entries of one cluster's access log that could not be used whole.
#[derive(Default)]
struct UnreadEntries {
    /// Kept without a time.
    undated: usize,
    /// The first such entry's time text, shortened.
    example: Option<String>,
    /// Dropped: no username to attribute them to.
    nameless: usize,
}

impl UnreadEntries {
    /// How much of an unreadable time is shown: enough to recognise its form.
    const EXAMPLE_CHARS: usize = 80;

    fn undated(&mut self, text: &str) {
        self.undated += 1;
        if self.example.is_none() {
            let mut example: String = text.chars().take(Self::EXAMPLE_CHARS).collect();
            if text.chars().nth(Self::EXAMPLE_CHARS).is_some() {
                example.push('…');
            }
            self.example = Some(example);
        }
    }

    /// One coverage entry for the cluster, when anything was unread. Atlas answered in full
    /// (status 200): the gap is in what it sent.
    fn gap(&self, project_id: &str, cluster: &str) -> Option<CoverageGap> {
        let mut parts = Vec::new();
        if self.undated > 0 {
            parts.push(format!(
                "{} had a time that could not be read (for example {:?}): they are kept without a time, prove nothing about when anyone authenticated, and DBUSER_INACTIVE does not judge a database user with such a successful login; please report this time format to the atlas-audit maintainers with the example",
                model::counted(self.undated, "access-log entry", "access-log entries"),
                self.example.as_deref().unwrap_or_default()
            ));
        }
        if self.nameless > 0 {
            parts.push(format!(
                "{} had no username and {} not used",
                model::counted(self.nameless, "access-log entry", "access-log entries"),
                if self.nameless == 1 { "was" } else { "were" }
            ));
        }
        (!parts.is_empty()).then(|| CoverageGap {
            scope: key::cluster(project_id, cluster),
            endpoint: "getGroupDbAccessHistoryCluster".into(),
            status: Some(200),
            error_code: None,
            reason: parts.join("; "),
        })
    }
}

struct Builder<'a> {
    raw: &'a RawEstate,
    principals: BTreeMap<String, Principal>,
    grants: BTreeSet<Grant>,
}

impl Builder<'_> {
    /// Whether grants on this project count (with `--project`, only the named ones do).
    fn in_scope(&self, project_id: &str) -> bool {
        self.raw.only_projects.is_empty() || self.raw.only_projects.contains(project_id)
    }

    fn grant(&mut self, principal: &str, scope: Scope, role: &str, via: Via) {
        if let Some(p) = scope.project_id()
            && !self.in_scope(p)
        {
            return;
        }
        self.grants.insert(Grant {
            principal: principal.into(),
            scope,
            role: role.into(),
            via,
        });
    }

    fn project_scope(org_id: &str, project_id: &str) -> Scope {
        Scope::Project {
            org_id: org_id.into(),
            project_id: project_id.into(),
        }
    }

    /// Org roles as grants, plus the project roles they imply on every project of the org.
    fn org_roles(&mut self, principal: &str, org: &RawOrg, roles: &[String]) {
        let org_id = &org.org.id;
        for role in roles {
            self.grant(
                principal,
                Scope::Org {
                    org_id: org_id.clone(),
                },
                role,
                Via::Direct,
            );
            if let Some((_, implied)) = IMPLIED_PROJECT_ROLES.iter().find(|(r, _)| r == role) {
                for p in &org.projects {
                    let scope = Self::project_scope(org_id, &p.project.id);
                    self.grant(principal, scope, implied, Via::OrgRole(role.clone()));
                }
            }
        }
    }

    fn users(&mut self, org: &RawOrg) {
        let org_id = &org.org.id;
        let team_names: BTreeMap<&str, &str> = org
            .teams
            .iter()
            .flatten()
            .map(|t| (t.id.as_str(), t.name.as_str()))
            .collect();
        for u in org.users.iter().flatten() {
            let k = key::user(&u.username);
            let teams: Vec<String> = u
                .team_ids
                .iter()
                .map(|id| {
                    team_names
                        .get(id.as_str())
                        .map_or_else(|| id.clone(), |n| (*n).to_string())
                })
                .collect();
            let membership = model::Membership {
                org_id: org_id.clone(),
                status: u.org_membership_status.clone(),
                teams,
                invitation_created_at: u.invitation_created_at,
                invitation_expires_at: u.invitation_expires_at,
                inviter: u.inviter_username.clone(),
            };
            let full_name = match (&u.first_name, &u.last_name) {
                (Some(f), Some(l)) => Some(format!("{f} {l}")),
                (Some(n), None) | (None, Some(n)) => Some(n.clone()),
                (None, None) => None,
            };
            let entry = self.principals.entry(k.clone()).or_insert_with(|| {
                person(model::AtlasUser {
                    user_id: u.id.clone(),
                    username: u.username.clone(),
                    full_name: full_name.clone(),
                    country: u.country.clone(),
                    created_at: u.created_at,
                    last_auth: u.last_auth,
                    memberships: Vec::new(),
                    project_invitations: Vec::new(),
                })
            });
            push_sorted(&mut entry.org_ids, org_id.clone());
            if let PrincipalDetail::AtlasUser(d) = &mut entry.detail {
                // Active data wins over pending data when one person is in two orgs.
                if d.last_auth.is_none() {
                    d.last_auth = u.last_auth;
                }
                if d.created_at.is_none() {
                    d.created_at = u.created_at;
                    entry.created = u.created_at;
                }
                if d.full_name.is_none() {
                    d.full_name = full_name;
                }
                d.memberships.push(membership);
                d.memberships.sort_by(|a, b| a.org_id.cmp(&b.org_id));
            }
            self.org_roles(&k, org, &u.roles.org_roles);
            for a in &u.roles.group_role_assignments {
                for role in &a.group_roles {
                    self.grant(
                        &k,
                        Self::project_scope(org_id, &a.group_id),
                        role,
                        Via::Direct,
                    );
                }
            }
            // Roles through teams: the team's roles on each project, for every member.
            for p in &org.projects {
                for tr in p.teams.iter().flatten() {
                    if !u.team_ids.contains(&tr.team_id) {
                        continue;
                    }
                    let name = team_names
                        .get(tr.team_id.as_str())
                        .copied()
                        .unwrap_or(&tr.team_id);
                    for role in &tr.role_names {
                        let scope = Self::project_scope(org_id, &p.project.id);
                        self.grant(&k, scope, role, Via::Team(name.to_string()));
                    }
                }
            }
        }
    }

    fn teams(&mut self, org: &RawOrg) {
        let org_id = &org.org.id;
        for t in org.teams.iter().flatten() {
            let k = key::team(org_id, &t.name);
            let mut members: Vec<String> = org
                .users
                .iter()
                .flatten()
                .filter(|u| u.team_ids.contains(&t.id))
                .map(|u| key::user(&u.username))
                .collect();
            members.sort();
            members.dedup();
            self.principals.insert(
                k.clone(),
                Principal {
                    key: k.clone(),
                    kind: PrincipalKind::Team,
                    name: t.name.clone(),
                    org_ids: vec![org_id.clone()],
                    project_id: None,
                    created: None,
                    activity: Vec::new(),
                    last_activity: LastActivity::NoInformation {
                        reason: "a team does not act itself; its members do".into(),
                    },
                    detail: PrincipalDetail::Team(model::Team {
                        team_id: t.id.clone(),
                        members,
                    }),
                },
            );
            for p in &org.projects {
                for tr in p.teams.iter().flatten().filter(|tr| tr.team_id == t.id) {
                    for role in &tr.role_names {
                        let scope = Self::project_scope(org_id, &p.project.id);
                        self.grant(&k, scope, role, Via::Direct);
                    }
                }
            }
        }
    }
}

fn push_sorted(v: &mut Vec<String>, item: String) {
    if let Err(i) = v.binary_search(&item) {
        v.insert(i, item);
    }
}

/// A person's principal, `user:<username>`, before any org, membership or activity is added.
pub(super) fn person(user: model::AtlasUser) -> Principal {
    Principal {
        key: key::user(&user.username),
        kind: PrincipalKind::AtlasUser,
        name: user.username.clone(),
        org_ids: Vec::new(),
        project_id: None,
        created: user.created_at,
        activity: Vec::new(),
        last_activity: LastActivity::Never,
        detail: PrincipalDetail::AtlasUser(user),
    }
}

//! `directory.json`: the directory as identity-directory tools sync it: the organizations, the
//! workspaces (projects, each with its organization) and the users, each user with one
//! membership per organization or workspace (its roles, each with the paths that grant it),
//! teams, invitations, the database users named after them, last activity and open findings.
//! Everything is sorted, so the same input gives the same bytes.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Access, Person};
use crate::report::Review;

/// The format version of `directory.json`. Fields are only ever added.
pub const DIRECTORY_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct DirectoryFile<'a> {
    schema_version: u32,
    as_of: String,
    organizations: Vec<Organization<'a>>,
    workspaces: Vec<Workspace<'a>>,
    users: Vec<User<'a>>,
}

#[derive(Serialize)]
struct Organization<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct Workspace<'a> {
    id: &'a str,
    name: &'a str,
    organization_id: &'a str,
}

#[derive(Serialize)]
struct User<'a> {
    /// The principal key, `user:<username>`.
    id: &'a str,
    username: &'a str,
    atlas_user_id: &'a str,
    display_name: Option<&'a str>,
    /// Whether any org membership is active.
    active: bool,
    memberships: Vec<MembershipOut<'a>>,
    teams: Vec<TeamOut<'a>>,
    invitations: Vec<Invitation<'a>>,
    database_users: Vec<DatabaseUserOut<'a>>,
    last_activity: LastActivityOut<'a>,
    findings: FindingsOut<'a>,
}

#[derive(Serialize)]
struct MembershipOut<'a> {
    /// `organization` or `workspace`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The org's or project's id.
    id: &'a str,
    name: &'a str,
    organization_id: &'a str,
    /// The org membership's status (`ACTIVE`, `PENDING`, ...); `null` for a workspace, and for
    /// an org the person reaches without a membership listed.
    status: Option<&'a str>,
    roles: Vec<RoleOut<'a>>,
}

#[derive(Serialize)]
struct RoleOut<'a> {
    role: &'a str,
    /// `direct`, `team:<name>`, `org-role`, ...
    paths: &'a [String],
}

#[derive(Serialize)]
struct TeamOut<'a> {
    organization_id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct Invitation<'a> {
    organization_id: &'a str,
    status: &'a str,
    created_at: Option<String>,
    expires_at: Option<String>,
    inviter: Option<&'a str>,
}

#[derive(Serialize)]
struct DatabaseUserOut<'a> {
    key: &'a str,
    workspace_id: Option<&'a str>,
    username: &'a str,
    /// `email` or `local_part`: how the name matched (a heuristic).
    matched: &'static str,
}

#[derive(Serialize)]
struct LastActivityOut<'a> {
    /// RFC 3339, or `null` when none was seen.
    at: Option<String>,
    /// `last_auth`, ..., or `never` / `no_information`.
    source: &'a str,
    days_inactive: Option<i64>,
}

#[derive(Serialize)]
struct FindingsOut<'a> {
    open: usize,
    highest_severity: Option<&'static str>,
    ids: Vec<&'a str>,
}

fn user<'a>(review: &'a Review<'_>, p: &'a Person<'a>) -> User<'a> {
    let activity = review.activity(p.principal);
    let statuses: BTreeMap<&str, &str> = p
        .user
        .memberships
        .iter()
        .map(|m| (m.org_id.as_str(), m.status.as_str()))
        .collect();
    // Scopes in `Scope` order: each org, then each project; a membership per scope.
    let mut by_scope: BTreeMap<(u8, &str), Vec<&Access<'_>>> = BTreeMap::new();
    for org in p.org_ids() {
        by_scope.entry((0, org)).or_default();
    }
    for a in &p.access {
        let key = match a.scope.project_id() {
            None => (0, a.scope.org_id()),
            Some(project) => (1, project),
        };
        by_scope.entry(key).or_default().push(a);
    }
    let memberships = by_scope
        .into_iter()
        .map(|((level, id), access)| {
            let roles = access
                .iter()
                .map(|a| RoleOut {
                    role: a.role,
                    paths: &a.paths,
                })
                .collect();
            if level == 0 {
                MembershipOut {
                    kind: "organization",
                    id,
                    name: review.org_name(id),
                    organization_id: id,
                    status: statuses.get(id).copied(),
                    roles,
                }
            } else {
                MembershipOut {
                    kind: "workspace",
                    id,
                    name: review.project_name(id),
                    organization_id: access.first().map_or("", |a| a.scope.org_id()),
                    status: None,
                    roles,
                }
            }
        })
        .collect();
    User {
        id: &p.principal.key,
        username: &p.user.username,
        atlas_user_id: &p.user.user_id,
        display_name: p.user.full_name.as_deref(),
        active: p.user.memberships.iter().any(|m| m.status == "ACTIVE"),
        memberships,
        teams: p
            .teams
            .iter()
            .map(|(org, name)| TeamOut {
                organization_id: org,
                name,
            })
            .collect(),
        invitations: p
            .invitations
            .iter()
            .map(|m| Invitation {
                organization_id: &m.org_id,
                status: &m.status,
                created_at: m.invitation_created_at.map(|t| t.to_string()),
                expires_at: m.invitation_expires_at.map(|t| t.to_string()),
                inviter: m.inviter.as_deref(),
            })
            .collect(),
        database_users: p
            .database_users
            .iter()
            .map(|d| DatabaseUserOut {
                key: &d.principal.key,
                workspace_id: d.principal.project_id.as_deref(),
                username: &d.principal.name,
                matched: d.matched,
            })
            .collect(),
        last_activity: LastActivityOut {
            at: activity.at.map(|t| t.to_string()),
            source: activity.source,
            days_inactive: activity.days_inactive,
        },
        findings: FindingsOut {
            open: p.open_findings.len(),
            highest_severity: p.highest_severity().map(|s| s.as_str()),
            ids: p.open_findings.iter().map(|f| f.id.as_str()).collect(),
        },
    }
}

/// `directory.json`, pretty-printed and newline-terminated.
///
/// # Errors
/// When `out` cannot be written.
pub fn directory_json(review: &Review<'_>, out: &mut dyn Write) -> io::Result<()> {
    let snapshot = review.snapshot;
    let mut organizations: Vec<Organization<'_>> = snapshot
        .orgs
        .iter()
        .map(|o| Organization {
            id: &o.id,
            name: &o.name,
        })
        .collect();
    organizations.sort_by_key(|o| o.id);
    let mut workspaces: Vec<Workspace<'_>> = snapshot
        .projects
        .iter()
        .map(|p| Workspace {
            id: &p.id,
            name: &p.name,
            organization_id: &p.org_id,
        })
        .collect();
    workspaces.sort_by_key(|w| w.id);
    let directory = review.directory();
    let file = DirectoryFile {
        schema_version: DIRECTORY_SCHEMA_VERSION,
        as_of: review.as_of.to_string(),
        organizations,
        workspaces,
        users: directory.people.iter().map(|p| user(review, p)).collect(),
    };
    let mut w = io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut w, &file).map_err(io::Error::other)?;
    w.write_all(b"\n")?;
    w.flush()
}

//! `directory.json`: the directory as identity-directory tools sync it: the organizations, the
//! workspaces (projects, each with its organization) and the users, each user with one
//! membership per organization or workspace (its roles, each with the paths that grant it),
//! teams, invitations, the database users named after them, last activity and open findings.
//! Everything is sorted, so the same input gives the same bytes.

use std::collections::BTreeMap;
use std::io::{self, Write};

use schemars::JsonSchema;
use serde::Serialize;

use super::{Access, Person};
use crate::report::Review;

/// The format version of `directory.json`. Fields are only ever added.
pub const DIRECTORY_SCHEMA_VERSION: u32 = 1;

/// The directory of people: organizations, workspaces (projects) and users, each user with a
/// membership per organization and workspace.
#[derive(Serialize, JsonSchema)]
struct DirectoryFile<'a> {
    /// Format version ([`DIRECTORY_SCHEMA_VERSION`]).
    #[schemars(extend("const" = DIRECTORY_SCHEMA_VERSION))]
    schema_version: u32,
    /// The as-of moment (RFC 3339).
    #[schemars(with = "jiff::Timestamp")]
    as_of: String,
    /// Organizations, by id.
    organizations: Vec<Organization<'a>>,
    /// Projects, by id.
    workspaces: Vec<Workspace<'a>>,
    /// People (Atlas users), by username.
    users: Vec<User<'a>>,
}

/// An Atlas organization.
#[derive(Serialize, JsonSchema)]
struct Organization<'a> {
    /// Org id.
    id: &'a str,
    /// Name.
    name: &'a str,
}

/// An Atlas project.
#[derive(Serialize, JsonSchema)]
struct Workspace<'a> {
    /// Project id.
    id: &'a str,
    /// Name.
    name: &'a str,
    /// Its org.
    organization_id: &'a str,
}

/// A person: one Atlas user across every org of the snapshot.
#[derive(Serialize, JsonSchema)]
struct User<'a> {
    /// The principal key, `user:<username>`.
    id: &'a str,
    /// Login email.
    username: &'a str,
    /// Atlas user id.
    atlas_user_id: &'a str,
    /// Given and family name, when Atlas has them.
    display_name: Option<&'a str>,
    /// Whether any org membership is active.
    active: bool,
    /// One per org and project the person reaches, with the roles held there.
    memberships: Vec<MembershipOut<'a>>,
    /// Teams, by org.
    teams: Vec<TeamOut<'a>>,
    /// Pending or lapsed org invitations.
    invitations: Vec<Invitation<'a>>,
    /// Database users named after the person (a heuristic).
    database_users: Vec<DatabaseUserOut<'a>>,
    /// What is known of the last activity.
    last_activity: LastActivityOut<'a>,
    /// The person's open findings.
    findings: FindingsOut<'a>,
}

/// The person's standing in one org or project.
#[derive(Serialize, JsonSchema)]
struct MembershipOut<'a> {
    /// `organization` or `workspace`.
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["organization", "workspace"]))]
    kind: &'static str,
    /// The org's or project's id.
    id: &'a str,
    /// Its name.
    name: &'a str,
    /// The org (for an org, its own id).
    organization_id: &'a str,
    /// The org membership's status (`ACTIVE`, `PENDING`, ...); `null` for a workspace, and for
    /// an org the person reaches without a membership listed.
    status: Option<&'a str>,
    /// Roles held there.
    roles: Vec<RoleOut<'a>>,
}

/// A role and how it is reached.
#[derive(Serialize, JsonSchema)]
struct RoleOut<'a> {
    /// The role, as Atlas names it.
    role: &'a str,
    /// `direct`, `team:<name>`, `org-role`, ...
    paths: &'a [String],
}

/// A team membership.
#[derive(Serialize, JsonSchema)]
struct TeamOut<'a> {
    /// The team's org.
    organization_id: &'a str,
    /// The team's name.
    name: &'a str,
}

/// An org invitation.
#[derive(Serialize, JsonSchema)]
struct Invitation<'a> {
    /// The org.
    organization_id: &'a str,
    /// `PENDING`, `INVITATION_EXPIRED`, ... (open set).
    status: &'a str,
    /// When sent (RFC 3339).
    #[schemars(with = "Option<jiff::Timestamp>")]
    created_at: Option<String>,
    /// When it lapses (RFC 3339).
    #[schemars(with = "Option<jiff::Timestamp>")]
    expires_at: Option<String>,
    /// Who invited.
    inviter: Option<&'a str>,
}

/// A database user named after the person.
#[derive(Serialize, JsonSchema)]
struct DatabaseUserOut<'a> {
    /// Principal key, `dbuser:<projectId>/<databaseName>/<username>`.
    key: &'a str,
    /// Its project.
    workspace_id: Option<&'a str>,
    /// Its username.
    username: &'a str,
    /// `email` or `local_part`: how the name matched (a heuristic).
    #[schemars(extend("enum" = ["email", "local_part"]))]
    matched: &'static str,
}

/// What is known of the last activity.
#[derive(Serialize, JsonSchema)]
struct LastActivityOut<'a> {
    /// RFC 3339, or `null` when none was seen.
    #[schemars(with = "Option<jiff::Timestamp>")]
    at: Option<String>,
    /// `last_auth`, ..., or `never` / `no_information`.
    source: &'a str,
    /// Whole days from the last activity (for someone never active, from the account's
    /// creation) to the as-of moment; `null` when nothing tells.
    days_inactive: Option<i64>,
}

/// The person's open findings.
#[derive(Serialize, JsonSchema)]
struct FindingsOut<'a> {
    /// How many.
    open: usize,
    /// The worst severity among them (`critical` ... `info`).
    #[schemars(with = "Option<crate::rules::Severity>")]
    highest_severity: Option<&'static str>,
    /// Their ids (`F-...`), as in findings.json.
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

/// The JSON Schema of `directory.json`, made with `settings`.
pub fn directory_json_schema(settings: schemars::generate::SchemaSettings) -> schemars::Schema {
    settings
        .into_generator()
        .into_root_schema_for::<DirectoryFile<'static>>()
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

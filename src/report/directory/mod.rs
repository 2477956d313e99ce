//! One directory of people: a row per person (an Atlas user, by username, across every org the
//! snapshot holds) with every org role, every project reached and by which paths, team
//! memberships, pending invitations, the database users named after them, last activity and
//! open findings. Written as `directory.csv`, the workbook's People sheet (the same columns) and
//! `directory.json` (organizations, workspaces and users with memberships: the shape
//! identity-directory tools sync).
//!
//! A path is the grant's [`Via::label`]: `direct`, `team:<name>`, `org-role` (a project role
//! implied by an org role), and whatever path a grant gains later (an IdP group's
//! `idp-group:<name>`), with no change here. [`access`] is the one place that reads them.
//!
//! One path is inferred, and said to be: Atlas does not show who is in an identity provider's
//! groups, but it sets a federated person's roles from their groups at every sign-in. So a role
//! that one of the org's federation role mappings grants, held by a person who signs in through
//! that org's identity provider (their username's domain is among the associated domains of a
//! provider the org uses, or the federation's domains), is also listed as reached through that
//! group, `idp-group:<name>`, beside the path Atlas reports (see [`IdpPaths`]).
//!
//! "Named after" is a heuristic, shown as such: a database user is named after a person when its
//! username, lowercased, equals the person's username (an email) or the email's local part, in
//! any project of the snapshot ([`crate::rules::person_names`], the matching DBUSER_ORPHANED and
//! offboarding use). A shared local part (`admin`) names everyone with it; nothing proves the
//! person uses that database user.

mod json;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use rustc_hash::FxHashMap;

pub use json::{DIRECTORY_SCHEMA_VERSION, directory_json, directory_json_schema};

use super::Review;
use super::tables::{Cell, write_rows};
use crate::model::{
    AtlasUser, Grant, Membership, Principal, PrincipalDetail, PrincipalKind, Scope,
};
use crate::rules::{Finding, Severity, Status, person_names};

/// The header of `directory.csv` and the People sheet.
pub const DIRECTORY_CSV_HEADER: &[&str] = &[
    "principal_key",
    "username",
    "full_name",
    "status",
    "orgs",
    "org_roles",
    "projects",
    "paths",
    "teams",
    "invitations",
    "database_users",
    "last_activity",
    "last_activity_source",
    "days_inactive",
    "open_findings",
    "highest_severity",
    "open_finding_ids",
];

/// Every person of the snapshot, by principal key.
#[derive(Clone)]
pub struct Directory<'a> {
    /// One per Atlas user.
    pub people: Vec<Person<'a>>,
}

/// One person and everything the snapshot says they can reach.
#[derive(Clone)]
pub struct Person<'a> {
    /// The Atlas user.
    pub principal: &'a Principal,
    /// Its facts (memberships, name).
    pub user: &'a AtlasUser,
    /// Every role on an org or project, with the paths that grant it.
    pub access: Vec<Access<'a>>,
    /// Teams, as (org id, team name).
    pub teams: Vec<(&'a str, &'a str)>,
    /// Memberships that are not active: pending, expired or rejected invitations.
    pub invitations: Vec<&'a Membership>,
    /// Database users named after the person (a heuristic: see the module's doc).
    pub database_users: Vec<NamedAfter<'a>>,
    /// Open findings about the person, in `findings.json` order.
    pub open_findings: Vec<&'a Finding>,
}

/// A role a person holds on one scope, and every path by which it is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access<'a> {
    /// Where.
    pub scope: &'a Scope,
    /// The role.
    pub role: &'a str,
    /// Each path's [`Via::label`](crate::model::Via::label), sorted, once each.
    pub paths: Vec<String>,
}

/// A database user whose name matches a person's.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedAfter<'a> {
    /// The database user.
    pub principal: &'a Principal,
    /// `email` (the whole username) or `local_part` (the part before `@`).
    pub matched: &'static str,
}

/// The roles held through `grants`, one per (scope, role), each with the paths that grant it:
/// the one function that turns grants into a person's paths. A path is the grant's
/// [`Via::label`](crate::model::Via::label), so a new kind of path shows up here as it is.
pub fn access<'a>(grants: impl IntoIterator<Item = &'a Grant>) -> Vec<Access<'a>> {
    let mut by_role: BTreeMap<(&'a Scope, &'a str), BTreeSet<String>> = BTreeMap::new();
    for g in grants {
        by_role
            .entry((&g.scope, g.role.as_str()))
            .or_default()
            .insert(g.via.label());
    }
    by_role
        .into_iter()
        .map(|((scope, role), paths)| Access {
            scope,
            role,
            paths: paths.into_iter().collect(),
        })
        .collect()
}

/// The IdP groups the orgs' federation role mappings give each role, and the domains whose
/// people sign in through each org's identity provider.
struct IdpPaths<'a> {
    /// (org, project or none for an org role, role) to the groups mapped to it.
    mapped: FxHashMap<(&'a str, Option<&'a str>, &'a str), BTreeSet<&'a str>>,
    /// Org to the lowercase domains of the providers it uses and of its federation.
    domains: FxHashMap<&'a str, BTreeSet<String>>,
}

impl<'a> IdpPaths<'a> {
    fn new(snapshot: &'a crate::model::Snapshot) -> Self {
        let mut mapped: FxHashMap<_, BTreeSet<&'a str>> = FxHashMap::default();
        let mut domains: FxHashMap<&'a str, BTreeSet<String>> = FxHashMap::default();
        for org in &snapshot.orgs {
            let Some(f) = &org.federation else { continue };
            for m in f.role_mappings.iter().flatten() {
                for a in &m.assignments {
                    mapped
                        .entry((org.id.as_str(), a.project_id.as_deref(), a.role.as_str()))
                        .or_default()
                        .insert(m.external_group_name.as_str());
                }
            }
            let used = f
                .identity_providers
                .iter()
                .flatten()
                .filter(|p| p.used_by_org)
                .flat_map(|p| &p.associated_domains);
            domains.entry(org.id.as_str()).or_default().extend(
                used.chain(&f.federated_domains)
                    .map(|d| d.to_ascii_lowercase()),
            );
        }
        IdpPaths { mapped, domains }
    }

    /// Adds `idp-group:<name>` to each role a mapped group gives, when the person signs in
    /// through the org's identity provider.
    fn add(&self, username: &str, access: &mut [Access<'_>]) {
        if self.mapped.is_empty() {
            return;
        }
        let Some((_, domain)) = username.rsplit_once('@') else {
            return;
        };
        let domain = domain.to_ascii_lowercase();
        for a in access {
            let org = a.scope.org_id();
            if !self.domains.get(org).is_some_and(|d| d.contains(&domain)) {
                continue;
            }
            let Some(groups) = self.mapped.get(&(org, a.scope.project_id(), a.role)) else {
                continue;
            };
            a.paths.extend(
                groups
                    .iter()
                    .map(|g| crate::model::Via::IdpGroup((*g).to_string()).label()),
            );
            a.paths.sort();
            a.paths.dedup();
        }
    }
}

impl<'a> Directory<'a> {
    /// The directory of a review's snapshot.
    pub fn new(review: &Review<'a>) -> Directory<'a> {
        let snapshot = review.snapshot;
        let idp = IdpPaths::new(snapshot);
        let mut grants: FxHashMap<&str, Vec<&'a Grant>> = FxHashMap::default();
        // Only people's grants: database users and keys are most of a large estate's grants.
        for g in snapshot
            .grants
            .iter()
            .filter(|g| g.principal.starts_with("user:"))
        {
            grants.entry(g.principal.as_str()).or_default().push(g);
        }
        let mut teams: FxHashMap<&str, BTreeSet<(&'a str, &'a str)>> = FxHashMap::default();
        let mut db_users: FxHashMap<String, Vec<&'a Principal>> = FxHashMap::default();
        for p in &snapshot.principals {
            match &p.detail {
                PrincipalDetail::Team(t) => {
                    let org = p.org_ids.first().map_or("", String::as_str);
                    for member in &t.members {
                        teams
                            .entry(member.as_str())
                            .or_default()
                            .insert((org, p.name.as_str()));
                    }
                }
                PrincipalDetail::DatabaseUser(d) => {
                    db_users
                        .entry(d.username.to_lowercase())
                        .or_default()
                        .push(p);
                }
                _ => {}
            }
        }
        let mut people: Vec<Person<'a>> = snapshot
            .principals
            .iter()
            .filter(|p| p.kind == PrincipalKind::AtlasUser)
            .filter_map(|p| match &p.detail {
                PrincipalDetail::AtlasUser(user) => Some((p, user)),
                _ => None,
            })
            .map(|(p, user)| {
                let mut their_teams = teams.remove(p.key.as_str()).unwrap_or_default();
                for m in &user.memberships {
                    for t in &m.teams {
                        their_teams.insert((m.org_id.as_str(), t.as_str()));
                    }
                }
                let email = user.username.to_lowercase();
                let mut database_users: Vec<NamedAfter<'a>> = person_names(&user.username)
                    .into_iter()
                    .flat_map(|name| {
                        let matched = if name == email { "email" } else { "local_part" };
                        db_users
                            .get(&name)
                            .into_iter()
                            .flatten()
                            .map(move |d| NamedAfter {
                                principal: d,
                                matched,
                            })
                    })
                    .collect();
                database_users.sort_by(|a, b| a.principal.key.cmp(&b.principal.key));
                database_users.dedup_by(|a, b| a.principal.key == b.principal.key);
                let mut access = access(grants.get(p.key.as_str()).into_iter().flatten().copied());
                idp.add(&user.username, &mut access);
                Person {
                    principal: p,
                    user,
                    access,
                    teams: their_teams.into_iter().collect(),
                    invitations: user
                        .memberships
                        .iter()
                        .filter(|m| m.status != "ACTIVE")
                        .collect(),
                    database_users,
                    open_findings: review
                        .findings_about(&p.key)
                        .filter(|f| f.status == Status::Open)
                        .collect(),
                }
            })
            .collect();
        people.sort_by(|a, b| a.principal.key.cmp(&b.principal.key));
        Directory { people }
    }
}

impl Person<'_> {
    /// The most severe of the open findings.
    pub fn highest_severity(&self) -> Option<Severity> {
        self.open_findings.iter().map(|f| f.severity).min()
    }

    /// Every path by which the person holds anything, sorted, once each.
    pub fn paths(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self
            .access
            .iter()
            .flat_map(|a| a.paths.iter().map(String::as_str))
            .collect();
        set.into_iter().collect()
    }

    /// The distinct membership statuses (`ACTIVE`, `PENDING`, ...), sorted.
    pub fn statuses(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self
            .user
            .memberships
            .iter()
            .map(|m| m.status.as_str())
            .collect();
        set.into_iter().collect()
    }

    /// Org ids the person belongs to, is invited to or holds a role in, sorted.
    pub fn org_ids(&self) -> Vec<&str> {
        let set: BTreeSet<&str> = self
            .principal
            .org_ids
            .iter()
            .map(String::as_str)
            .chain(self.user.memberships.iter().map(|m| m.org_id.as_str()))
            .chain(self.access.iter().map(|a| a.scope.org_id()))
            .collect();
        set.into_iter().collect()
    }
}

/// A list cell: items appended one by one into a single buffer, separated by `; `; empty
/// when nothing was appended. Each item is written in place (no string per item).
#[derive(Default)]
struct List(String);

impl List {
    /// Starts the next item and gives the buffer to write it into.
    fn item(&mut self) -> &mut String {
        if !self.0.is_empty() {
            self.0.push_str("; ");
        }
        &mut self.0
    }

    fn push(&mut self, text: &str) {
        self.item().push_str(text);
    }

    fn cell(self) -> Cell<'static> {
        if self.0.is_empty() {
            Cell::Empty
        } else {
            Cell::Owned(self.0)
        }
    }
}

/// `GROUP_OWNER (direct, team:sre)`, after `out`'s text.
fn role_with_paths(out: &mut String, a: &Access<'_>) {
    out.push_str(a.role);
    out.push_str(" (");
    for (i, path) in a.paths.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(path);
    }
    out.push(')');
}

/// `name: ` then `rest`, as one item of `list`.
fn named_item<'l>(list: &'l mut List, name: &str) -> &'l mut String {
    let out = list.item();
    out.push_str(name);
    out.push_str(": ");
    out
}

/// One person as typed cells, in [`DIRECTORY_CSV_HEADER`] order; lists are joined with `; `.
pub fn person_row<'r>(review: &'r Review<'_>, p: &'r Person<'_>) -> Vec<Cell<'r>> {
    use std::fmt::Write as _;
    let activity = review.activity(p.principal);
    let (mut org_roles, mut projects) = (List::default(), List::default());
    for a in &p.access {
        match a.scope.project_id() {
            None => role_with_paths(
                named_item(&mut org_roles, review.org_name(a.scope.org_id())),
                a,
            ),
            Some(project) => {
                role_with_paths(named_item(&mut projects, review.project_name(project)), a);
            }
        }
    }
    let mut invitations = List::default();
    for m in &p.invitations {
        let out = named_item(&mut invitations, review.org_name(&m.org_id));
        out.push_str(&m.status);
        // Dates as `2026-11-20`. Writing to a String cannot fail.
        if let Some(t) = m.invitation_created_at {
            let _ = write!(out, ", invited {}", crate::model::utc_day(t));
        }
        if let Some(t) = m.invitation_expires_at {
            let _ = write!(out, ", expires {}", crate::model::utc_day(t));
        }
    }
    let mut database_users = List::default();
    for d in &p.database_users {
        let project = d.principal.project_id.as_deref().unwrap_or_default();
        let out = named_item(&mut database_users, review.project_name(project));
        out.push_str(&d.principal.name);
        out.push_str(" (named after the ");
        out.extend(d.matched.chars().map(|c| if c == '_' { ' ' } else { c }));
        out.push(')');
    }
    let mut orgs = List::default();
    for o in p.org_ids() {
        orgs.push(review.org_name(o));
    }
    let mut paths = List::default();
    for path in p.paths() {
        paths.push(path);
    }
    let mut teams = List::default();
    for (org, team) in &p.teams {
        named_item(&mut teams, review.org_name(org)).push_str(team);
    }
    let mut finding_ids = List::default();
    for f in &p.open_findings {
        finding_ids.push(&f.id);
    }
    let mut statuses = List::default();
    for status in p.statuses() {
        statuses.push(status);
    }
    let [last_activity, source, days_inactive] = [
        activity
            .at
            .map_or(Cell::Text(activity.sentinel), Cell::Time),
        Cell::Text(activity.source),
        activity
            .days_inactive
            .map_or(Cell::Text("no_information"), Cell::Int),
    ];
    vec![
        Cell::Text(&p.principal.key),
        Cell::Text(&p.user.username),
        p.user.full_name.as_deref().map_or(Cell::Empty, Cell::Text),
        statuses.cell(),
        orgs.cell(),
        org_roles.cell(),
        projects.cell(),
        paths.cell(),
        teams.cell(),
        invitations.cell(),
        database_users.cell(),
        last_activity,
        source,
        days_inactive,
        Cell::Int(p.open_findings.len() as i64),
        p.highest_severity()
            .map_or(Cell::Empty, |s| Cell::Text(s.as_str())),
        finding_ids.cell(),
    ]
}

/// `directory.csv`: one row per person, by principal key.
///
/// # Errors
/// When `out` cannot be written.
pub fn directory_csv(review: &Review<'_>, out: &mut dyn Write) -> io::Result<()> {
    let directory = review.directory();
    write_rows(
        out,
        DIRECTORY_CSV_HEADER,
        &directory.people,
        |chunk, csv| {
            for p in chunk {
                csv.record(person_row(review, p).iter().map(Cell::text))?;
            }
            Ok(())
        },
    )
}

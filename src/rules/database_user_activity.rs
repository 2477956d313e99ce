//! Database users against people: users named after someone who is no longer an active member
//! of the org (DBUSER_ORPHANED). The access-log reading both this rule and DBUSER_INACTIVE
//! (`database_user_inactive.rs`) use is here. The tests of both are in
//! `database_user_activity_tests.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;
use serde_json::json;

use super::super::context::{Context, Draft, Out};
use super::super::finding::{Fact, FindingScope, Recommendation};
use super::super::text::{days, ymd};
use super::{DbUser, db_users, project_scope};
use crate::model::{AccessLogEntry, PrincipalDetail, PrincipalKind};

/// Event types about org membership: their target names a person.
fn is_membership_event(event_type: &str) -> bool {
    // JOINED_ORG, INVITED_TO_ORG, REMOVED_FROM_ORG and any later `…_ORG` membership type.
    event_type.ends_with("_ORG") || event_type.contains("ORG_INVITATION")
}

/// A person known in one org: from its user listing, from membership events, or both.
#[derive(Default, Clone)]
struct Person {
    email: String,
    /// Membership status in the org, when the user listing names the person.
    status: Option<String>,
    /// The latest REMOVED_FROM_ORG event about the person.
    removed: Option<Timestamp>,
}

/// Everyone the org knows as a person, by lowercased email.
fn persons_of(ctx: &Context<'_>, org: &str) -> BTreeMap<String, Person> {
    let mut persons: BTreeMap<String, Person> = BTreeMap::new();
    for p in ctx.principals(PrincipalKind::AtlasUser) {
        let PrincipalDetail::AtlasUser(u) = &p.detail else {
            continue;
        };
        for m in u.memberships.iter().filter(|m| m.org_id == org) {
            let entry = persons.entry(u.username.to_lowercase()).or_default();
            entry.email.clone_from(&u.username);
            entry.status = Some(m.status.clone());
        }
    }
    for e in ctx.org_events(org) {
        let Some(target) = e.target.as_deref() else {
            continue;
        };
        if !is_membership_event(&e.event_type) || !target.contains('@') {
            continue;
        }
        let entry = persons.entry(target.to_lowercase()).or_default();
        if entry.email.is_empty() {
            entry.email = target.to_string();
        }
        if e.event_type == "REMOVED_FROM_ORG" && entry.removed.is_none_or(|t| t < e.created) {
            entry.removed = Some(e.created);
        }
    }
    persons
}

/// The persons a database username can name: each under its lowercased email and under the
/// email's local part.
fn by_name(persons: BTreeMap<String, Person>) -> HashMap<String, Vec<Person>> {
    let mut index: HashMap<String, Vec<Person>> = HashMap::new();
    for (email, person) in persons {
        for name in person_names(&email) {
            index.entry(name).or_default().push(person.clone());
        }
    }
    index
}

/// The lowercased database usernames that name a person: the email and its local part. A
/// database user is named after the person when its lowercased username is one of them
/// (the matching of DBUSER_ORPHANED, and of offboarding).
pub fn person_names(email: &str) -> Vec<String> {
    let email = email.to_lowercase();
    match email.split_once('@') {
        Some((local, _)) => vec![local.to_string(), email.clone()],
        None => vec![email],
    }
}

/// The access-log entries of one database user in its project: Atlas's own agents are never
/// a database user, whatever the name.
pub(super) fn entries_of<'a>(
    ctx: &'a Context<'a>,
    u: &'a DbUser<'_>,
) -> impl Iterator<Item = &'a AccessLogEntry> + 'a {
    ctx.access_logs(u.project_id)
        .iter()
        .copied()
        .filter(|e| e.username == u.user.username && !e.is_atlas_agent())
}

/// Failed and successful authentications of one username in a project, for evidence. The
/// latest is the latest with a readable time, if any has one.
fn login_facts(ctx: &Context<'_>, u: &DbUser<'_>) -> (Vec<Fact>, String) {
    let mine: Vec<&AccessLogEntry> = entries_of(ctx, u).collect();
    let mut facts = Vec::new();
    let mut words = String::new();
    for (ok, name) in [(false, "failed_logins"), (true, "successful_logins")] {
        let list: Vec<&&AccessLogEntry> = mine.iter().filter(|e| e.success == ok).collect();
        let Some(latest) = list.iter().max_by_key(|e| e.at) else {
            continue;
        };
        facts.push(Fact::new(
            name,
            json!({
                "count": list.len(),
                "latest": latest.at,
                "cluster": latest.cluster,
                "ipAddress": latest.ip_address,
                "failureReason": latest.failure_reason,
            }),
        ));
        words.push_str(&format!(
            " {} {} login{}, the latest {} on {}{}.",
            list.len(),
            if ok { "successful" } else { "failed" },
            if list.len() == 1 { "" } else { "s" },
            latest
                .at
                .map_or_else(|| "at a time that could not be read".into(), ymd),
            latest.cluster,
            latest
                .ip_address
                .as_deref()
                .map(|ip| format!(" from {ip}"))
                .unwrap_or_default()
        ));
    }
    (facts, words)
}

/// DBUSER_ORPHANED: the username matches a person (email or its local part) of the project's
/// org, and none of the matching persons is an active member of that org.
pub(in crate::rules) fn orphaned(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let users = db_users(ctx, out);
    let mut blocked: BTreeSet<&str> = BTreeSet::new();
    for gap in ctx.snapshot.coverage.iter() {
        match gap.endpoint.as_str() {
            "listOrgUsers" => {
                let Some(org) = gap.scope.strip_prefix("org:") else {
                    continue;
                };
                if !blocked.insert(org) {
                    continue;
                }
                for p in ctx.snapshot.projects.iter().filter(|p| p.org_id == org) {
                    out.gap(FindingScope::project(org, &p.id), None, gap);
                }
            }
            "listOrgEvents" | "listGroupEvents" => {
                let scope = match gap.scope.split_once(':') {
                    Some(("org", org)) => FindingScope::org(org),
                    Some(("project", p)) if !p.contains('/') => project_scope(ctx, p),
                    _ => continue,
                };
                out.not_evaluated(
                    scope,
                    None,
                    format!(
                        "{} could not be read for {} ({}); people known only from membership events there were not matched",
                        gap.endpoint, gap.scope, gap.reason
                    ),
                );
            }
            _ => {}
        }
    }
    let mut persons_by_org: BTreeMap<&str, HashMap<String, Vec<Person>>> = BTreeMap::new();
    for u in users.iter().filter(|u| !blocked.contains(u.org_id)) {
        let persons = persons_by_org
            .entry(u.org_id)
            .or_insert_with(|| by_name(persons_of(ctx, u.org_id)));
        let name = u.name().to_lowercase();
        let matches: Vec<&Person> = persons
            .get(&name)
            .map_or_else(Vec::new, |found| found.iter().collect());
        if matches.is_empty()
            || matches
                .iter()
                .any(|p| p.status.as_deref() == Some("ACTIVE"))
        {
            continue;
        }
        let org = ctx.org_name(u.org_id);
        let project = ctx.project_name(u.project_id);
        let mut facts = Vec::new();
        let mut reasons = Vec::new();
        for p in &matches {
            let why = match (&p.status, p.removed) {
                (Some(s), _) => format!("whose membership is {s}"),
                (None, Some(t)) => format!(
                    "removed from {org} on {} ({} before the as-of date)",
                    ymd(t),
                    days(ctx.days_since(t))
                ),
                (None, None) => format!("who is not listed among the users of {org}"),
            };
            reasons.push(format!("{}, {why}", p.email));
            facts.push(Fact::new(
                "person",
                json!({
                    "username": p.email,
                    "orgMembershipStatus": p.status,
                    "removed_from_org": p.removed,
                    "days_since_removed": p.removed.map(|t| ctx.days_since(t)),
                }),
            ));
        }
        let (logins, login_words) = login_facts(ctx, u);
        facts.extend(logins);
        let first = matches[0].email.clone();
        out.flag(Draft::new(
            u.subject.clone(),
            u.scope(),
            format!(
                "Database user {} in {project} is named after {first}, who is not an active member of {org}",
                u.name()
            ),
            format!(
                "The username matches {}.{login_words}",
                reasons.join("; ")
            ),
            facts,
            Recommendation::revoke(format!(
                "Delete database user {} from {project}; if a service still uses it, give that service its own identity.",
                u.name()
            )),
        ));
    }
}

#[cfg(test)]
#[path = "database_user_activity_tests.rs"]
mod tests;

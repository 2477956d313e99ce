//! Database users against people and use: users named after someone who is no longer an
//! active member of the org (DBUSER_ORPHANED), and users with no successful authentication over
//! an access-log window long enough to show it (DBUSER_INACTIVE).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::super::context::{Context, Draft, Out};
use super::super::finding::{Fact, FindingScope, Recommendation};
use super::super::text::{days, ymd};
use super::{DbUser, db_users, project_scope};
use crate::model::{AccessLogEntry, PrincipalDetail, PrincipalKind};

/// Atlas keeps about this many days of database access history.
const ATLAS_ACCESS_HISTORY_DAYS: u32 = 7;

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
        if let Some((local, _)) = email.split_once('@') {
            index
                .entry(local.to_string())
                .or_default()
                .push(person.clone());
        }
        index.entry(email).or_default().push(person);
    }
    index
}

/// Failed and successful authentications of one username in a project, for evidence.
fn login_facts(ctx: &Context<'_>, u: &DbUser<'_>) -> (Vec<Fact>, String) {
    let mine: Vec<&AccessLogEntry> = ctx
        .access_logs(u.project_id)
        .iter()
        .copied()
        .filter(|e| e.username == u.user.username)
        .collect();
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
            ymd(latest.at),
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
        out.flag(Draft {
            principal: u.subject.clone(),
            scope: u.scope(),
            severity: out.default_severity(),
            title: format!(
                "Database user {} in {project} is named after {first}, who is not an active member of {org}",
                u.name()
            ),
            summary: format!(
                "The username matches {}.{login_words}",
                reasons.join("; ")
            ),
            facts,
            recommendation: Recommendation::revoke(format!(
                "Delete database user {} from {project}; if a service still uses it, give that service its own identity.",
                u.name()
            )),
        });
    }
}

/// The start of a cluster's access log when it shows at least `limit` days; otherwise why not,
/// and whether only its length fell short (which repeated collections would fix).
fn observe(
    ctx: &Context<'_>,
    project: &str,
    cluster: &str,
    limit: u32,
) -> Result<Timestamp, (String, bool)> {
    let scope = format!("project:{project}/cluster:{cluster}");
    if let Some(gap) = ctx.gap(&scope, &["getGroupDbAccessHistoryCluster"]) {
        return Err((
            format!(
                "access logs of {cluster} were not read whole ({})",
                gap.reason
            ),
            false,
        ));
    }
    let Some(w) = ctx.access_log_window(project, cluster) else {
        return Err((format!("no access log of {cluster} was read"), false));
    };
    let span = w.end.duration_since(w.start);
    if span < SignedDuration::from_hours(i64::from(limit) * 24) {
        return Err((
            format!(
                "access logs of {cluster} cover {} (since {}), fewer than inactive_days {limit}",
                days(span.as_secs() / 86_400),
                ymd(w.start)
            ),
            true,
        ));
    }
    Ok(w.start)
}

/// DBUSER_INACTIVE: no successful authentication within `inactive_days` on any cluster the user
/// can reach, judged only where every such cluster's access log covers at least that long.
pub(in crate::rules) fn inactive(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let limit = ctx.policy.thresholds.inactive_days;
    let users = db_users(ctx, out);
    let mut by_project: BTreeMap<&str, Vec<&DbUser<'_>>> = BTreeMap::new();
    for u in &users {
        by_project.entry(u.project_id).or_default().push(u);
    }
    for (project_id, users) in by_project {
        let project = ctx.project(project_id);
        let project_name = ctx.project_name(project_id);
        let clusters: Option<Vec<&str>> = project
            .and_then(|p| p.clusters.as_ref())
            .map(|cs| cs.iter().map(|c| c.name.as_str()).collect());
        let mut unobserved: BTreeMap<&str, String> = BTreeMap::new();
        let mut skipped = 0usize;
        let mut any_too_short = false;
        let mut unknown_clusters = 0usize;
        for u in users {
            let reachable: Vec<&str> = if u.user.scopes.is_empty() {
                match &clusters {
                    Some(cs) => cs.clone(),
                    None => {
                        unknown_clusters += 1;
                        continue;
                    }
                }
            } else {
                u.user.scopes.iter().map(String::as_str).collect()
            };
            if reachable.is_empty() {
                out.not_evaluated(
                    u.scope(),
                    Some(u.key),
                    format!("{project_name} has no cluster, so there is no access log to observe"),
                );
                continue;
            }
            let mut windows = Vec::new();
            for c in &reachable {
                match observe(ctx, project_id, c, limit) {
                    Ok(start) => windows.push((*c, start)),
                    Err((reason, too_short)) => {
                        any_too_short |= too_short;
                        unobserved.insert(c, reason);
                    }
                }
            }
            if windows.len() < reachable.len() {
                skipped += 1;
                continue;
            }
            judge(ctx, out, u, &windows, limit);
        }
        let scope = project_scope(ctx, project_id);
        if !unobserved.is_empty() {
            out.not_evaluated(
                scope.clone(),
                None,
                format!(
                    "{} of {project_name} {} not evaluated: {}{}",
                    count_of(skipped, "database user"),
                    if skipped == 1 { "was" } else { "were" },
                    unobserved.into_values().collect::<Vec<_>>().join("; "),
                    if any_too_short {
                        format!(
                            "; Atlas keeps about {ATLAS_ACCESS_HISTORY_DAYS} days of database access history, so this needs repeated collections"
                        )
                    } else {
                        String::new()
                    }
                ),
            );
        }
        if unknown_clusters > 0 {
            let why = ctx
                .gap(&format!("project:{project_id}"), &["listGroupClusters"])
                .map_or_else(
                    || "its clusters were not read".to_string(),
                    |g| format!("listGroupClusters could not be read: {}", g.reason),
                );
            out.not_evaluated(
                scope,
                None,
                format!(
                    "{} of {project_name} {} not evaluated: {why}, so the clusters they reach are unknown",
                    count_of(unknown_clusters, "unscoped database user"),
                    if unknown_clusters == 1 { "was" } else { "were" }
                ),
            );
        }
    }
}

/// `1 database user`, `3 database users`.
fn count_of(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Judges one user whose every reachable cluster was observed for at least `limit` days.
fn judge(
    ctx: &Context<'_>,
    out: &mut Out<'_, '_>,
    u: &DbUser<'_>,
    windows: &[(&str, Timestamp)],
    limit: u32,
) {
    let mine: Vec<&AccessLogEntry> = ctx
        .access_logs(u.project_id)
        .iter()
        .copied()
        .filter(|e| {
            e.username == u.user.username
                && windows.iter().any(|(c, _)| *c == e.cluster)
                && e.auth_source
                    .as_deref()
                    .is_none_or(|s| s == u.user.database_name)
        })
        .collect();
    let last_ok = mine.iter().filter(|e| e.success).max_by_key(|e| e.at);
    if let Some(e) = last_ok
        && !ctx.older_than(e.at, limit)
    {
        return;
    }
    let failed: Vec<&&AccessLogEntry> = mine.iter().filter(|e| !e.success).collect();
    let last_failed = failed.iter().max_by_key(|e| e.at);
    let project = ctx.project_name(u.project_id);
    let observed: Vec<String> = windows
        .iter()
        .map(|(c, start)| {
            format!(
                "{c} since {} ({})",
                ymd(*start),
                days(ctx.days_since(*start))
            )
        })
        .collect();
    let mut summary = match last_ok {
        Some(e) => format!(
            "Last successful authentication {} on {} ({} before the as-of date; the limit is {limit}).",
            ymd(e.at),
            e.cluster,
            days(ctx.days_since(e.at))
        ),
        None => format!(
            "No successful authentication in the observed access logs: {}.",
            observed.join(", ")
        ),
    };
    if let Some(f) = last_failed {
        summary.push_str(&format!(
            " {} failed attempt{}, the latest {}.",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" },
            ymd(f.at)
        ));
    }
    let mut facts: Vec<Fact> = windows
        .iter()
        .map(|(c, start)| {
            Fact::new(
                "observed_window",
                json!({ "cluster": c, "start": start, "days": ctx.days_since(*start) }),
            )
        })
        .collect();
    facts.push(Fact::new(
        "last_successful_authentication",
        last_ok.map(
            |e| json!({ "at": e.at, "cluster": e.cluster, "days_since": ctx.days_since(e.at) }),
        ),
    ));
    facts.push(Fact::new(
        "failed_attempts",
        json!({ "count": failed.len(), "latest": last_failed.map(|e| e.at) }),
    ));
    facts.push(Fact::new("limit_days", limit));
    out.flag(Draft {
        principal: u.subject.clone(),
        scope: u.scope(),
        severity: out.default_severity(),
        title: format!(
            "Database user {} in {project} has not authenticated for more than {}",
            u.name(),
            days(i64::from(limit))
        ),
        summary,
        facts,
        recommendation: Recommendation::revoke(format!(
            "Delete database user {} from {project}; create it again if something turns out to need it.",
            u.name()
        )),
    });
}

#[cfg(test)]
#[path = "database_user_activity_tests.rs"]
mod tests;

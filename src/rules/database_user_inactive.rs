//! Database users against use: users with no successful authentication over a continuous
//! observation long enough to show it (DBUSER_INACTIVE), from one access log or the evidence
//! store's reads of it. Tested in `database_user_activity_tests.rs`.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::super::context::{Context, Draft, Out};
use super::super::finding::{Fact, Recommendation};
use super::super::history::{ACCESS_HISTORY_DAYS, Continuity, LogRead, continuity};
use super::super::text::{days, ymd};
use super::activity::entries_of;
use super::{DbUser, db_users, project_scope};
use crate::model::{AuthMethod, counted, key};

/// A cluster's continuous observation when it spans at least `limit` days; otherwise why not,
/// and whether only its length fell short (which more collections would fix).
fn observe(
    ctx: &Context<'_>,
    project: &str,
    cluster: &str,
    limit: u32,
) -> Result<Continuity, (String, bool)> {
    let scope = key::cluster(project, cluster);
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
    let run = continuity(LogRead::from(w), ctx.history.reads(project, cluster));
    let span = w.end.duration_since(run.since);
    if span >= SignedDuration::from_hours(i64::from(limit) * 24) {
        return Ok(run);
    }
    let length = days(span.as_secs() / 86_400);
    let mut why = if run.reads == 1 {
        format!(
            "access logs of {cluster} cover {length} (since {}), fewer than inactive_days {limit}",
            ymd(run.since)
        )
    } else {
        format!(
            "access logs of {cluster} were observed continuously for {length} (since {}, over {} reads), fewer than inactive_days {limit}",
            ymd(run.since),
            run.reads
        )
    };
    if let Some(b) = run.broken {
        why.push_str(&format!(
            " because the reads of {} and {} were {} apart, more than the {ACCESS_HISTORY_DAYS} days of history Atlas keeps, which breaks continuity",
            ymd(b.before),
            ymd(b.after),
            days(b.days())
        ));
    }
    Err((why, true))
}

/// A successful authentication: from this snapshot's access logs, or from an earlier run's.
struct Success {
    at: Timestamp,
    cluster: String,
    /// The store's run that saw it, when this snapshot no longer holds it.
    run_id: Option<i64>,
}

/// What the access logs (this snapshot's and the store's) say of one user on the clusters it
/// reaches.
struct Seen {
    last_ok: Option<Success>,
    /// A cluster where this snapshot holds a success whose time could not be read.
    undated_ok: Option<String>,
    failed: usize,
    last_failed: Option<Timestamp>,
}

impl Seen {
    fn of(ctx: &Context<'_>, u: &DbUser<'_>, reachable: &[&str]) -> Seen {
        let accepts = |source: Option<&str>| source.is_none_or(|s| s == u.user.database_name);
        let mut seen = Seen {
            last_ok: None,
            undated_ok: None,
            failed: 0,
            last_failed: None,
        };
        for e in entries_of(ctx, u).filter(|e| {
            reachable.contains(&e.cluster.as_str()) && accepts(e.auth_source.as_deref())
        }) {
            match (e.success, e.at) {
                (true, Some(at)) => seen.consider(at, &e.cluster, None),
                (true, None) => seen.undated_ok = Some(e.cluster.clone()),
                (false, at) => {
                    seen.failed += 1;
                    seen.last_failed = seen.last_failed.max(at);
                }
            }
        }
        for c in reachable {
            if let Some(l) = ctx
                .history
                .last_login(u.project_id, c, &u.user.username, accepts)
                .filter(|l| l.at <= ctx.as_of)
            {
                seen.consider(l.at, c, Some(l.run_id));
            }
        }
        seen
    }

    fn consider(&mut self, at: Timestamp, cluster: &str, run_id: Option<i64>) {
        if self.last_ok.as_ref().is_none_or(|s| s.at < at) {
            self.last_ok = Some(Success {
                at,
                cluster: cluster.to_string(),
                run_id,
            });
        }
    }
}

/// DBUSER_INACTIVE: no successful authentication within `inactive_days` on any cluster the user
/// can reach, judged only where every such cluster has been observed continuously (one access
/// log, or reads recorded in the evidence store at most a week apart) for at least that long.
/// A user with a recent enough success, or created within the limit, passes whatever the length
/// of observation.
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
        // A Flex listing that could not be read leaves the project's clusters not fully known.
        let flex_gap = ctx.gap(&format!("project:{project_id}"), &["listGroupFlexClusters"]);
        let clusters: Option<Vec<&str>> = project
            .and_then(|p| p.clusters.as_ref())
            .filter(|_| flex_gap.is_none())
            .map(|cs| cs.iter().map(|c| c.name.as_str()).collect());
        // Tenant-tier clusters (M0, M2, M5, Flex) keep no access history at all.
        let tenant: BTreeMap<&str, String> = project
            .and_then(|p| p.clusters.as_ref())
            .into_iter()
            .flatten()
            .filter(|c| c.is_tenant())
            .map(|c| (c.name.as_str(), c.tier_name()))
            .collect();
        let mut no_history: BTreeMap<&str, &str> = BTreeMap::new();
        let mut on_tenant = 0usize;
        let mut unobserved: BTreeMap<&str, String> = BTreeMap::new();
        let mut observed: BTreeMap<&str, Continuity> = BTreeMap::new();
        let mut skipped = 0usize;
        let mut any_too_short = false;
        let mut unknown_clusters = 0usize;
        let mut groups = 0usize;
        for u in users {
            // An LDAP or identity-provider group signs in under its members' names, never its
            // own: its absence from the access log proves nothing.
            if matches!(
                u.user.auth_method,
                AuthMethod::LdapGroup | AuthMethod::OidcIdpGroup
            ) {
                groups += 1;
                continue;
            }
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
            let seen = Seen::of(ctx, u, &reachable);
            if seen
                .last_ok
                .as_ref()
                .is_some_and(|s| !ctx.older_than(s.at, limit))
            {
                continue;
            }
            // A user created within the limit cannot have gone that long without a login.
            if ctx
                .principal(u.key)
                .and_then(|p| p.created)
                .is_some_and(|c| !ctx.older_than(c, limit))
            {
                continue;
            }
            if let Some(cluster) = &seen.undated_ok {
                out.not_evaluated(
                    u.scope(),
                    Some(u.key),
                    format!(
                        "{} authenticated successfully on {cluster} at a time that could not be read (see the coverage entry of {cluster}), so how long ago it last did is unknown",
                        u.name()
                    ),
                );
                continue;
            }
            let tiers: Vec<(&str, &str)> = reachable
                .iter()
                .filter_map(|c| tenant.get_key_value(c).map(|(c, t)| (*c, t.as_str())))
                .collect();
            if !tiers.is_empty() {
                no_history.extend(tiers);
                on_tenant += 1;
                continue;
            }
            let mut windows = Vec::new();
            for c in &reachable {
                if let Some(run) = observed.get(c) {
                    windows.push((*c, *run));
                    continue;
                }
                if unobserved.contains_key(c) {
                    continue;
                }
                match observe(ctx, project_id, c, limit) {
                    Ok(run) => {
                        observed.insert(c, run);
                        windows.push((*c, run));
                    }
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
            judge(ctx, out, u, &windows, &seen, limit);
        }
        let scope = project_scope(ctx, project_id);
        if on_tenant > 0 {
            let tiers: Vec<String> = no_history
                .iter()
                .map(|(c, tier)| format!("tier {tier} ({c})"))
                .collect();
            out.not_evaluated(
                scope.clone(),
                None,
                format!(
                    "{} of {project_name} {} not evaluated: Atlas keeps no access history on {}, which {} can reach",
                    counted(on_tenant, "database user", "database users"),
                    if on_tenant == 1 { "was" } else { "were" },
                    tiers.join(" or "),
                    if on_tenant == 1 { "it" } else { "they" }
                ),
            );
        }
        if skipped > 0 {
            out.not_evaluated(
                scope.clone(),
                None,
                format!(
                    "{} of {project_name} {} not evaluated: {}{}",
                    counted(skipped, "database user", "database users"),
                    if skipped == 1 { "was" } else { "were" },
                    unobserved.into_values().collect::<Vec<_>>().join("; "),
                    if any_too_short {
                        format!(
                            "; Atlas keeps about {ACCESS_HISTORY_DAYS} days of database access history, so this needs collections at most {ACCESS_HISTORY_DAYS} days apart recorded in one evidence store (--store)"
                        )
                    } else {
                        String::new()
                    }
                ),
            );
        }
        if unknown_clusters > 0 {
            let why = ctx
                .gap(
                    &format!("project:{project_id}"),
                    &["listGroupClusters", "listGroupFlexClusters"],
                )
                .map_or_else(
                    || "its clusters were not read".to_string(),
                    |g| format!("{} could not be read: {}", g.endpoint, g.reason),
                );
            out.not_evaluated(
                scope,
                None,
                format!(
                    "{} of {project_name} {} not evaluated: {why}, so the clusters they reach are unknown",
                    counted(
                        unknown_clusters,
                        "unscoped database user",
                        "unscoped database users"
                    ),
                    if unknown_clusters == 1 { "was" } else { "were" }
                ),
            );
        }
        // Said last: the reasons above are what more collections or reads would fix.
        if groups > 0 {
            out.not_evaluated(
                project_scope(ctx, project_id),
                None,
                format!(
                    "{} of {project_name} (LDAP or identity-provider groups) {} not evaluated: members sign in under their own names, which the access log does not tie to the group",
                    counted(groups, "group database user", "group database users"),
                    if groups == 1 { "was" } else { "were" },
                ),
            );
        }
    }
}

/// Judges one user whose every reachable cluster was observed continuously for at least
/// `limit` days, and whose last success (if any) is older than that.
fn judge(
    ctx: &Context<'_>,
    out: &mut Out<'_, '_>,
    u: &DbUser<'_>,
    windows: &[(&str, Continuity)],
    seen: &Seen,
    limit: u32,
) {
    let project = ctx.project_name(u.project_id);
    // Observation as a whole is as long as its shortest cluster's.
    let since = windows
        .iter()
        .map(|(_, run)| run.since)
        .max()
        .unwrap_or(ctx.as_of);
    let observed: Vec<String> = windows
        .iter()
        .map(|(c, run)| {
            let reads = if run.reads > 1 {
                format!(" over {} reads", run.reads)
            } else {
                String::new()
            };
            format!("{c} since {}{reads}", ymd(run.since))
        })
        .collect();
    let observation = format!(
        "{} of continuous observation since {} ({})",
        days(ctx.days_since(since)),
        ymd(since),
        observed.join(", ")
    );
    let mut summary = match &seen.last_ok {
        None => format!("No successful authentication in {observation}."),
        Some(s) => {
            let from = s
                .run_id
                .map(|r| format!(", recorded by run {r} of the evidence store"))
                .unwrap_or_default();
            let when = format!(
                "{} on {} ({} before the as-of date; the limit is {limit}){from}",
                ymd(s.at),
                s.cluster,
                days(ctx.days_since(s.at))
            );
            if s.at >= since {
                format!(
                    "Last successful authentication {when}, and none after it in {observation}."
                )
            } else {
                format!(
                    "No successful authentication in {observation}; the last one seen was {when}."
                )
            }
        }
    };
    if let Some(f) = seen.last_failed {
        summary.push_str(&format!(
            " {} failed attempt{}, the latest {}.",
            seen.failed,
            if seen.failed == 1 { "" } else { "s" },
            ymd(f)
        ));
    }
    let mut facts: Vec<Fact> = windows
        .iter()
        .map(|(c, run)| {
            Fact::new(
                "observed_window",
                json!({
                    "cluster": c,
                    "start": run.since,
                    "days": ctx.days_since(run.since),
                    "reads": run.reads,
                    "broken": run.broken.map(|b| json!({
                        "last_read_before": b.before,
                        "first_read_after": b.after,
                        "days_apart": b.days(),
                    })),
                }),
            )
        })
        .collect();
    facts.push(Fact::new(
        "last_successful_authentication",
        seen.last_ok.as_ref().map(|s| {
            json!({
                "at": s.at,
                "cluster": s.cluster,
                "days_since": ctx.days_since(s.at),
                "recorded_by_run": s.run_id,
            })
        }),
    ));
    facts.push(Fact::new(
        "failed_attempts",
        json!({ "count": seen.failed, "latest": seen.last_failed }),
    ));
    facts.push(Fact::new("limit_days", limit));
    out.flag(Draft::new(
        u.subject.clone(),
        u.scope(),
        format!(
            "Database user {} in {project} has not authenticated for more than {}",
            u.name(),
            days(i64::from(limit))
        ),
        summary,
        facts,
        Recommendation::revoke(format!(
            "Delete database user {} from {project}; create it again if something turns out to need it.",
            u.name()
        )),
    ));
}

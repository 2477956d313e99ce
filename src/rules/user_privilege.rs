//! Privileged project roles held by people (USER_PRIVILEGED_PROJECT_ROLE) and those not used
//! within the lookback window (USER_UNUSED_PRIVILEGE). Every path to a role counts: direct,
//! through a team, and implied by an org role; the evidence names the path.

use std::collections::{BTreeMap, BTreeSet};

use super::super::context::{Context, Draft, Out, grant_fact};
use super::super::finding::{Fact, FindingScope, Recommendation};
use super::super::roles;
use super::super::text::{days, ymd};
use super::{
    Member, members, privileged_project_grants, report_team_gaps, report_unknown_roles, role_names,
};
use crate::model::{CoverageGap, Grant, Via};

/// How a grant was reached, in words.
fn path_words(g: &Grant) -> String {
    match &g.via {
        Via::Direct => "direct".to_string(),
        Via::Team(name) => format!("through team {name}"),
        Via::OrgRole(role) => format!("implied by {role}"),
        Via::IdpGroup(name) => format!("through identity-provider group {name}"),
    }
}

/// `GROUP_OWNER on storefront-prod (direct and implied by ORG_OWNER), …`: one entry per role
/// and place with every path to it, at most five, then how many more.
fn grants_sentence(ctx: &Context<'_>, grants: &[&Grant]) -> String {
    let mut entries: Vec<(String, Vec<String>)> = Vec::new();
    for g in grants {
        let place = g
            .scope
            .project_id()
            .map_or_else(|| ctx.org_name(g.scope.org_id()), |p| ctx.project_name(p));
        let head = format!("{} on {place}", g.role);
        match entries.iter_mut().find(|(h, _)| *h == head) {
            Some((_, paths)) => paths.push(path_words(g)),
            None => entries.push((head, vec![path_words(g)])),
        }
    }
    let mut parts: Vec<String> = entries
        .iter()
        .take(5)
        .map(|(head, paths)| format!("{head} ({})", paths.join(" and ")))
        .collect();
    if entries.len() > 5 {
        parts.push(format!("{} more (see the facts)", entries.len() - 5));
    }
    parts.join(", ")
}

/// Modify to the read-only role(s) in place of each privileged grant. Grants implied by an org
/// role cannot be changed on the project: their fix is the org role.
fn read_only_recommendation(
    ctx: &Context<'_>,
    m: &Member<'_>,
    grants: &[&Grant],
    why: &str,
) -> Recommendation {
    let targets: BTreeSet<&str> = grants
        .iter()
        .map(|g| roles::read_only_instead_of(&g.role))
        .collect();
    let to = targets.into_iter().collect::<Vec<_>>().join(", ");
    let org = ctx.org_name(m.org());
    let name = &m.person.name;
    let implied_by: BTreeSet<&str> = grants
        .iter()
        .filter_map(|g| match &g.via {
            Via::OrgRole(r) => Some(r.as_str()),
            _ => None,
        })
        .collect();
    let implied_by = implied_by.into_iter().collect::<Vec<_>>().join(", ");
    let explicit: Vec<&Grant> = grants
        .iter()
        .copied()
        .filter(|g| !matches!(g.via, Via::OrgRole(_)))
        .collect();
    if explicit.is_empty() {
        return Recommendation::modify(
            to.clone(),
            format!(
                "{why}These project roles come only from {implied_by} in {org}, so the fix is the org role (see USER_ORG_OWNER): lower it to ORG_MEMBER and grant {to} on the projects {name} needs."
            ),
        );
    }
    let mut swaps: Vec<String> = Vec::new();
    for g in &explicit {
        let swap = format!("{} with {}", g.role, roles::read_only_instead_of(&g.role));
        if !swaps.contains(&swap) {
            swaps.push(swap);
        }
    }
    let mut text = format!("{why}For {name}, replace {}", swaps.join(" and "));
    let teams: BTreeSet<&str> = explicit
        .iter()
        .filter_map(|g| match &g.via {
            Via::Team(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    if !teams.is_empty() {
        let teams = teams.into_iter().collect::<Vec<_>>().join(", ");
        text.push_str(&format!(
            " (roles through team {teams} change on the team, or by taking {name} out of it)"
        ));
    }
    text.push('.');
    if !implied_by.is_empty() {
        text.push_str(&format!(
            " The roles implied by {implied_by} go only with the org role (see USER_ORG_OWNER)."
        ));
    }
    Recommendation::modify(to, text)
}

/// Active people with privileged project grants in an org, by every path. Reports unknown roles
/// of every active person and failed team listings along the way.
fn privileged_members<'a>(
    ctx: &Context<'a>,
    out: &mut Out<'_, '_>,
) -> Vec<(Member<'a>, Vec<&'a Grant>)> {
    report_team_gaps(ctx, out);
    let mut found = Vec::new();
    for m in members(ctx, out).into_iter().filter(Member::is_active) {
        report_unknown_roles(ctx, out, &m);
        let grants = privileged_project_grants(ctx, m.key(), m.org());
        if !grants.is_empty() {
            found.push((m, grants));
        }
    }
    found
}

/// USER_PRIVILEGED_PROJECT_ROLE: an active person holds a `privileged_project_roles` role on a
/// project of the org, directly, through a team or implied by an org role.
pub(in crate::rules) fn privileged_project_role(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    for (m, grants) in privileged_members(ctx, out) {
        let name = &m.person.name;
        let org = ctx.org_name(m.org());
        out.flag(Draft::new(
            m.person,
            m.scope(),
            format!(
                "{name} holds privileged project roles in {org}: {}",
                role_names(&grants).join(", ")
            ),
            format!("Holds {}.", grants_sentence(ctx, &grants)),
            grants.iter().map(|g| grant_fact(ctx, g)).collect(),
            read_only_recommendation(ctx, &m, &grants, ""),
        ));
    }
}

/// Event listings of the org or its projects that failed: there, "authored no event" could be
/// wrong, so the org is not evaluated. The reasons, by org.
fn event_gaps<'a>(ctx: &Context<'a>) -> BTreeMap<String, Vec<&'a CoverageGap>> {
    let mut by_org: BTreeMap<String, Vec<&CoverageGap>> = BTreeMap::new();
    for gap in &ctx.snapshot.coverage {
        let org = match gap.endpoint.as_str() {
            "listOrgEvents" => gap.scope.strip_prefix("org:").map(str::to_string),
            "listGroupEvents" => gap
                .scope
                .strip_prefix("project:")
                .and_then(|p| ctx.project(p))
                .map(|p| p.org_id.clone()),
            _ => None,
        };
        if let Some(org) = org {
            by_org.entry(org).or_default().push(gap);
        }
    }
    by_org
}

/// USER_UNUSED_PRIVILEGE: a person with privileged project roles in an org who authored no
/// event (in any org) within `lookback_days`.
pub(in crate::rules) fn unused_privilege(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let lookback = ctx.policy.thresholds.lookback_days;
    let window_start = ctx.days_before(lookback);
    let since = ctx.snapshot.meta.scope.events_since;
    let short = match since {
        None => Some(format!(
            "the snapshot does not say since when events were collected, so \"no event in lookback_days {lookback}\" cannot be shown; collect again with --since {lookback}d or more"
        )),
        Some(s) if s > window_start => Some(format!(
            "events were collected for {} (since {}), fewer than lookback_days {lookback}; collect again with --since {lookback}d or more",
            days(ctx.days_since(s)),
            ymd(s)
        )),
        Some(_) => None,
    };
    if let Some(reason) = short {
        for org in &ctx.snapshot.orgs {
            out.not_evaluated(FindingScope::org(&org.id), None, reason.clone());
        }
        return;
    }
    let gaps = event_gaps(ctx);
    for (org, list) in &gaps {
        let reasons: Vec<String> = list
            .iter()
            .map(|g| {
                format!(
                    "{} could not be read for {}: {}",
                    g.endpoint, g.scope, g.reason
                )
            })
            .collect();
        out.not_evaluated(
            FindingScope::org(org),
            None,
            format!(
                "{}; without those events an unused privilege cannot be told from a used one",
                reasons.join("; ")
            ),
        );
    }
    for (m, grants) in privileged_members(ctx, out) {
        if gaps.contains_key(m.org()) {
            continue;
        }
        let authored = ctx.authored(m.key());
        if authored.iter().any(|t| *t >= window_start) {
            continue;
        }
        let last = authored.iter().max().copied();
        let name = &m.person.name;
        let org = ctx.org_name(m.org());
        let last_words = match last {
            Some(t) => format!(
                "; the last event they authored is from {} ({} before the as-of date)",
                ymd(t),
                days(ctx.days_since(t))
            ),
            None => "; no event they authored was found".to_string(),
        };
        let summary = format!(
            "Holds {} but authored no event in the last {} (since {}){last_words}.",
            grants_sentence(ctx, &grants),
            days(i64::from(lookback)),
            ymd(window_start)
        );
        let mut facts: Vec<Fact> = grants.iter().map(|g| grant_fact(ctx, g)).collect();
        facts.push(Fact::new(
            "last_event",
            last.map(|t| serde_json::json!({ "created": t, "days_since": ctx.days_since(t) })),
        ));
        facts.push(Fact::new("lookback_days", lookback));
        out.flag(Draft::new(
            m.person,
            m.scope(),
            format!(
                "{name} has not used privileged project roles in {org} for {}",
                days(i64::from(lookback))
            ),
            summary,
            facts,
            read_only_recommendation(
                ctx,
                &m,
                &grants,
                "The privilege went unused for the whole lookback window. ",
            ),
        ));
    }
}

#[cfg(test)]
#[path = "user_privilege_tests.rs"]
mod tests;

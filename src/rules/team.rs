//! Team rules: a team that holds project roles but has no members. Anyone later added to it
//! inherits the roles silently. Membership comes from the users' `teamIds`, so the rule needs
//! the org's user listing; the roles come from each project's team listing.

use std::collections::BTreeSet;

use super::context::{Context, Draft, Out, describe_scope, grant_fact};
use super::finding::{FindingScope, Recommendation};
use super::org::blocked_orgs;
use crate::model::{PrincipalDetail, PrincipalKind, Scope, key};

/// TEAM_EMPTY_WITH_ROLES: one finding per team with no members and at least one project-scope
/// grant of its own.
pub(super) fn empty_with_roles(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    // No user listing: no membership. No team listing: no teams. Either way, nothing to judge.
    let blocked = blocked_orgs(ctx, out, &["listOrgUsers", "listOrgTeams"]);
    // Empty teams without visible roles, per org: their roles may sit in a project whose team
    // listing failed, so those projects are reported as not evaluated.
    let mut unknown_roles_orgs: BTreeSet<&str> = BTreeSet::new();
    for team in ctx.principals(PrincipalKind::Team) {
        let PrincipalDetail::Team(detail) = &team.detail else {
            continue;
        };
        let Some(org_id) = team.org_ids.first().map(String::as_str) else {
            continue;
        };
        if blocked.contains(org_id) || !detail.members.is_empty() {
            continue;
        }
        let grants: Vec<_> = ctx
            .grants(&team.key)
            .iter()
            .copied()
            .filter(|g| matches!(g.scope, Scope::Project { .. }))
            .collect();
        if grants.is_empty() {
            unknown_roles_orgs.insert(org_id);
            continue;
        }
        let held: Vec<String> = grants
            .iter()
            .map(|g| format!("{} on {}", g.role, describe_scope(ctx, &g.scope)))
            .collect();
        let projects: BTreeSet<String> = grants
            .iter()
            .filter_map(|g| g.scope.project_id())
            .map(|id| ctx.project_name(id))
            .collect();
        let projects: Vec<String> = projects.into_iter().collect();
        let n = grants.len();
        out.flag(Draft::new(
            team,
            FindingScope::org(org_id),
            format!(
                "Team {} has no members but holds {n} project role{}",
                team.name,
                if n == 1 { "" } else { "s" }
            ),
            format!(
                "No user of org {} lists team {} (id {}) in teamIds, yet the team holds {}.",
                ctx.org_name(org_id),
                team.name,
                detail.team_id,
                held.join("; ")
            ),
            grants.iter().map(|g| grant_fact(ctx, g)).collect(),
            Recommendation::revoke(format!(
                "Remove the team's roles on {} (or delete the team), so that nobody added to it later inherits them.",
                projects.join(", ")
            )),
        ));
    }
    for p in &ctx.snapshot.projects {
        if !unknown_roles_orgs.contains(p.org_id.as_str()) {
            continue;
        }
        if let Some(gap) = ctx.gap(&key::project(&p.id), &["listGroupTeams"]) {
            out.gap(FindingScope::project(&p.org_id, &p.id), None, gap);
        }
    }
}

#[cfg(test)]
#[path = "team_tests.rs"]
mod tests;

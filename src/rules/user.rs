//! Atlas user rules: stale logins and invitations, and org owners; privileged project roles and
//! privileges that go unused are judged in the sibling `user_privilege.rs`. A person is one
//! principal across orgs; every finding is about one (person, org) pair and weighs only that
//! org's membership and grants.

use std::collections::BTreeSet;

use super::context::{Context, Draft, Out, grant_fact};
use super::finding::{Fact, FindingScope, Recommendation, Severity};
use super::roles;
use super::text::{days, ymd};
use crate::model::{
    AtlasUser, Grant, Membership, Principal, PrincipalDetail, PrincipalKind, ProjectInvitation,
    Scope, Via,
};

const ACTIVE: &str = "ACTIVE";
const PENDING: &str = "PENDING";
const INVITATION_EXPIRED: &str = "INVITATION_EXPIRED";
const INVITATION_REJECTED: &str = "INVITATION_REJECTED";
const ORG_OWNER: &str = "ORG_OWNER";

/// One person's standing in one org.
struct Member<'a> {
    person: &'a Principal,
    user: &'a AtlasUser,
    membership: &'a Membership,
}

impl Member<'_> {
    fn org(&self) -> &str {
        &self.membership.org_id
    }

    fn key(&self) -> &str {
        &self.person.key
    }

    fn scope(&self) -> FindingScope {
        FindingScope::org(self.org())
    }

    /// A finding about this person's standing in this org.
    fn draft(
        &self,
        title: String,
        summary: String,
        facts: Vec<Fact>,
        recommendation: Recommendation,
    ) -> Draft {
        Draft::new(
            self.person,
            self.scope(),
            title,
            summary,
            facts,
            recommendation,
        )
    }

    fn is_active(&self) -> bool {
        self.membership.status == ACTIVE
    }
}

/// Every (person, org) membership, except in orgs whose user listing failed: those are
/// reported once as not evaluated, because a partial listing could pass people it never saw.
fn members<'a>(ctx: &Context<'a>, out: &mut Out<'_, '_>) -> Vec<Member<'a>> {
    let mut blocked = BTreeSet::new();
    for gap in ctx
        .snapshot
        .coverage
        .iter()
        .filter(|g| g.endpoint == "listOrgUsers")
    {
        if let Some(org) = gap.scope.strip_prefix("org:")
            && blocked.insert(org)
        {
            out.gap(FindingScope::org(org), None, gap);
        }
    }
    ctx.principals(PrincipalKind::AtlasUser)
        .filter_map(|p| match &p.detail {
            PrincipalDetail::AtlasUser(u) => Some((p, u)),
            _ => None,
        })
        .flat_map(|(person, user)| {
            user.memberships.iter().map(move |membership| Member {
                person,
                user,
                membership,
            })
        })
        .filter(|m| !blocked.contains(m.org()))
        .collect()
}

/// A membership status outside the four Atlas documents is shown, never passed silently.
fn report_unknown_status(m: &Member<'_>, out: &mut Out<'_, '_>) {
    let s = m.membership.status.as_str();
    if ![ACTIVE, PENDING, INVITATION_EXPIRED, INVITATION_REJECTED].contains(&s) {
        out.not_evaluated(
            m.scope(),
            Some(m.key()),
            format!(
                "membership status {s} is not one atlas-audit knows; the membership was not judged"
            ),
        );
    }
}

/// The person's direct `ORG_OWNER` grant on the org.
fn org_owner_grant<'a>(ctx: &Context<'a>, person: &str, org: &str) -> Option<&'a Grant> {
    ctx.grants(person).iter().copied().find(|g| {
        matches!(&g.scope, Scope::Org { org_id } if org_id == org)
            && g.role == ORG_OWNER
            && g.via == Via::Direct
    })
}

/// The person's grants of a `privileged_project_roles` role on projects of the org, by every
/// path (direct, team, implied by an org role).
fn privileged_project_grants<'a>(ctx: &Context<'a>, person: &str, org: &str) -> Vec<&'a Grant> {
    let privileged = &ctx.policy.roles.privileged_project_roles;
    ctx.grants(person)
        .iter()
        .copied()
        .filter(|g| {
            matches!(&g.scope, Scope::Project { org_id, .. } if org_id == org)
                && privileged.contains(&g.role)
        })
        .collect()
}

/// Reports each org or project role of the person in this org that atlas-audit does not know
/// (and the policy does not list as privileged): it may be privileged, so it is not passed.
fn report_unknown_roles(ctx: &Context<'_>, out: &mut Out<'_, '_>, m: &Member<'_>) {
    let privileged = &ctx.policy.roles.privileged_project_roles;
    let mut seen = BTreeSet::new();
    for g in ctx.grants(m.key()) {
        let scope = match &g.scope {
            Scope::Org { org_id } if org_id == m.org() => m.scope(),
            Scope::Project { org_id, project_id } if org_id == m.org() => {
                FindingScope::project(org_id, project_id)
            }
            _ => continue,
        };
        if roles::is_known_atlas_role(&g.role) || privileged.contains(&g.role) {
            continue;
        }
        if seen.insert((scope.clone(), g.role.as_str())) {
            out.not_evaluated(
                scope,
                Some(m.key()),
                format!(
                    "role {} is not one atlas-audit knows; whether it is privileged was not judged; list it in [roles] privileged_project_roles of the policy if it is",
                    g.role
                ),
            );
        }
    }
}

/// Team listings that failed: team-derived grants there are missing, so a privilege rule may
/// miss people. Reported once per blocked scope; what is known is still judged.
fn report_team_gaps(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    for gap in &ctx.snapshot.coverage {
        let scope = match gap.endpoint.as_str() {
            "listOrgTeams" => gap.scope.strip_prefix("org:").map(FindingScope::org),
            "listGroupTeams" => gap.scope.strip_prefix("project:").and_then(|p| {
                ctx.project(p)
                    .map(|project| FindingScope::project(&project.org_id, p))
            }),
            _ => None,
        };
        if let Some(scope) = scope {
            out.not_evaluated(
                scope,
                None,
                format!(
                    "{} could not be read for {} ({}); roles held through teams there are missing, so privileges of team members may be unreported",
                    gap.endpoint, gap.scope, gap.reason
                ),
            );
        }
    }
}

/// Distinct role names, in first-seen order.
fn role_names(grants: &[&Grant]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for g in grants {
        if !names.contains(&g.role) {
            names.push(g.role.clone());
        }
    }
    names
}

/// USER_INACTIVE: an active person whose last login (or, never logged in, account creation)
/// is older than `inactive_days`; high when the person is privileged in that org.
pub(super) fn inactive(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let limit = ctx.policy.thresholds.inactive_days;
    report_team_gaps(ctx, out);
    for m in members(ctx, out) {
        if !m.is_active() {
            report_unknown_status(&m, out);
            continue;
        }
        let (field, at) = match (m.user.last_auth, m.user.created_at) {
            (Some(t), _) => ("lastAuth", t),
            (None, Some(t)) => ("createdAt", t),
            (None, None) => {
                out.not_evaluated(
                    m.scope(),
                    Some(m.key()),
                    "neither lastAuth nor createdAt is known for this user, so the time since the last login cannot be measured",
                );
                continue;
            }
        };
        if !ctx.older_than(at, limit) {
            continue;
        }
        let n = ctx.days_since(at);
        let name = &m.person.name;
        let org = ctx.org_name(m.org());
        let privileged: Vec<&Grant> = org_owner_grant(ctx, m.key(), m.org())
            .into_iter()
            .chain(privileged_project_grants(ctx, m.key(), m.org()))
            .collect();
        if privileged.is_empty() {
            // An unknown role could make this finding high: say so rather than guess.
            report_unknown_roles(ctx, out, &m);
        }
        let (title, mut summary) = if field == "lastAuth" {
            (
                format!("{name} has not logged in to Atlas for {}", days(n)),
                format!(
                    "Last logged in {} ({} before the as-of date; the limit is {limit}).",
                    ymd(at),
                    days(n)
                ),
            )
        } else {
            (
                format!(
                    "{name} has never logged in to Atlas ({} since the account was created)",
                    days(n)
                ),
                format!(
                    "Never logged in; created {} ({} before the as-of date; the limit is {limit}).",
                    ymd(at),
                    days(n)
                ),
            )
        };
        let severity = if privileged.is_empty() {
            Severity::Medium
        } else {
            summary.push_str(&format!(
                " Holds privileged access in {org}: {}.",
                role_names(&privileged).join(", ")
            ));
            Severity::High
        };
        let mut facts = vec![
            Fact::new(field, at),
            Fact::new("days_since", n),
            Fact::new("limit_days", limit),
        ];
        facts.extend(privileged.iter().map(|g| grant_fact(ctx, g)));
        out.flag(
            m.draft(
                title,
                summary,
                facts,
                Recommendation::revoke(format!(
                    "Remove {name} from {org}; invite them again if they still need access."
                )),
            )
            .with_severity(severity),
        );
    }
}

/// USER_INVITE_STALE: a pending invitation older than `invite_max_days` or past its expiry, or
/// an expired invitation still listed. Rejected invitations are not flagged.
pub(super) fn invite_stale(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let limit = ctx.policy.thresholds.invite_max_days;
    // Projects whose invitations could not be read (the listing needs Project Owner).
    for gap in ctx
        .snapshot
        .coverage
        .iter()
        .filter(|g| g.endpoint == GROUP_INVITES && !g.in_answer())
    {
        if let Some(project) = gap.scope.strip_prefix("project:") {
            let org = ctx.project(project).map_or("", |p| p.org_id.as_str());
            out.gap(FindingScope::project(org, project), None, gap);
        }
    }
    let all = members(ctx, out);
    for m in &all {
        let inv = m.membership;
        let name = &m.person.name;
        let org = ctx.org_name(m.org());
        let sent = inv.invitation_created_at;
        let expires = inv.invitation_expires_at;
        let expired = expires.filter(|t| *t < ctx.as_of);
        let title = match inv.status.as_str() {
            PENDING => {
                let old = sent.filter(|t| ctx.older_than(*t, limit));
                if let Some(t) = old {
                    format!(
                        "Invitation of {name} to {org} has been pending for {}",
                        days(ctx.days_since(t))
                    )
                } else if expired.is_some() {
                    format!("Invitation of {name} to {org} has expired and is still pending")
                } else if sent.is_none() {
                    out.not_evaluated(
                        m.scope(),
                        Some(m.key()),
                        "the pending invitation has no invitationCreatedAt, so its age cannot be measured",
                    );
                    continue;
                } else {
                    continue;
                }
            }
            INVITATION_EXPIRED => {
                format!("Expired invitation of {name} to {org} is still listed")
            }
            _ => {
                report_unknown_status(m, out);
                continue;
            }
        };
        let mut summary = format!("The membership is {}.", inv.status);
        if let Some(t) = sent {
            summary.push_str(&format!(
                " Invited {} ({} before the as-of date; the limit is {limit}).",
                ymd(t),
                days(ctx.days_since(t))
            ));
        }
        match (expires, expired) {
            (_, Some(t)) => summary.push_str(&format!(
                " The invitation expired {} ({} before the as-of date).",
                ymd(t),
                days(ctx.days_since(t))
            )),
            (Some(t), None) => summary.push_str(&format!(" It expires {}.", ymd(t))),
            (None, None) => {}
        }
        let projects = project_invitations(m.user, m.org());
        if !projects.is_empty() {
            summary.push_str(&format!(
                " Invited to {} through the per-project invitation listing.",
                projects
                    .iter()
                    .map(|i| invitation_text(ctx, i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut facts = vec![Fact::new("orgMembershipStatus", &inv.status)];
        for i in &projects {
            facts.push(invitation_fact(i));
        }
        if let Some(t) = sent {
            facts.push(Fact::new("invitationCreatedAt", t));
            facts.push(Fact::new("days_since", ctx.days_since(t)));
        }
        if let Some(t) = expires {
            facts.push(Fact::new("invitationExpiresAt", t));
        }
        facts.push(Fact::new("limit_days", limit));
        if let Some(inviter) = &inv.inviter {
            facts.push(Fact::new("inviterUsername", inviter));
        }
        let how = format!(
            "Delete the invitation of {name} to {org}; invite them again if they still need access."
        );
        out.flag(m.draft(title, summary, facts, Recommendation::revoke(how)));
    }
    stale_project_invitations(ctx, out, limit, &all);
}

/// The operation listing a project's invitations (its coverage gaps' endpoint).
const GROUP_INVITES: &str = "listGroupInvites";

/// The person's per-project invitations to projects of `org`.
fn project_invitations<'a>(user: &'a AtlasUser, org: &str) -> Vec<&'a ProjectInvitation> {
    user.project_invitations
        .iter()
        .filter(|i| i.org_id == org)
        .collect()
}

/// `payments-prod (GROUP_READ_ONLY)`.
fn invitation_text(ctx: &Context<'_>, i: &ProjectInvitation) -> String {
    format!(
        "{} ({})",
        ctx.project_name(&i.project_id),
        i.roles.join(", ")
    )
}

fn invitation_fact(i: &ProjectInvitation) -> Fact {
    Fact::new(
        "project_invitation",
        serde_json::json!({
            "id": i.id,
            "groupId": i.project_id,
            "roles": i.roles,
            "createdAt": i.created_at,
            "expiresAt": i.expires_at,
            "inviterUsername": i.inviter,
        }),
    )
}

/// Invitations to a project of a person already active in its org: the membership says
/// nothing of them, so each is judged on its own, scoped to its project. (A person pending in
/// the org is judged through the membership above, which names the projects.)
fn stale_project_invitations(
    ctx: &Context<'_>,
    out: &mut Out<'_, '_>,
    limit: u32,
    members: &[Member<'_>],
) {
    for m in members {
        if !m.is_active() {
            continue;
        }
        for i in project_invitations(m.user, m.org()) {
            let expired = i.expires_at.filter(|t| *t < ctx.as_of);
            let old = i.created_at.filter(|t| ctx.older_than(*t, limit));
            let (name, project) = (&m.person.name, ctx.project_name(&i.project_id));
            let title = match (old, expired) {
                (Some(t), _) => format!(
                    "Invitation of {name} to project {project} has been pending for {}",
                    days(ctx.days_since(t))
                ),
                (None, Some(_)) => {
                    format!(
                        "Invitation of {name} to project {project} has expired and is still listed"
                    )
                }
                (None, None) if i.created_at.is_none() => {
                    out.not_evaluated(
                        FindingScope::project(m.org(), &i.project_id),
                        Some(m.key()),
                        format!(
                            "the invitation {} has no createdAt, so its age cannot be measured",
                            i.id
                        ),
                    );
                    continue;
                }
                (None, None) => continue,
            };
            let mut summary = format!(
                "{name} is an active member of {} and has an open invitation to {}.",
                ctx.org_name(m.org()),
                invitation_text(ctx, i)
            );
            if let Some(t) = i.created_at {
                summary.push_str(&format!(
                    " Invited {} ({} before the as-of date; the limit is {limit}).",
                    ymd(t),
                    days(ctx.days_since(t))
                ));
            }
            if let Some(t) = i.expires_at {
                summary.push_str(&format!(" It expires {}.", ymd(t)));
            }
            let facts = vec![invitation_fact(i), Fact::new("limit_days", limit)];
            out.flag(Draft::new(
                m.person,
                FindingScope::project(m.org(), &i.project_id),
                title,
                summary,
                facts,
                Recommendation::revoke(format!(
                    "Delete the invitation of {name} to {project}; grant the project role directly if it is still needed."
                )),
            ));
        }
    }
}

/// USER_ORG_OWNER: an active person who holds `ORG_OWNER` on the org directly.
pub(super) fn org_owner(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    for m in members(ctx, out).into_iter().filter(Member::is_active) {
        let Some(owner) = org_owner_grant(ctx, m.key(), m.org()) else {
            continue;
        };
        let name = &m.person.name;
        let org = ctx.org_name(m.org());
        let implied = ctx
            .grants(m.key())
            .iter()
            .filter(|g| {
                g.scope.org_id() == m.org() && matches!(&g.via, Via::OrgRole(r) if r == ORG_OWNER)
            })
            .count();
        let org_roles: Vec<&str> = ctx
            .grants(m.key())
            .iter()
            .filter(|g| matches!(&g.scope, Scope::Org { org_id } if org_id == m.org()))
            .map(|g| g.role.as_str())
            .collect();
        let mut summary = format!("{name} holds ORG_OWNER on {org} directly");
        if implied > 0 {
            summary.push_str(&format!(
                ", which also makes them GROUP_OWNER on {implied} project{}",
                if implied == 1 { "" } else { "s" }
            ));
        }
        summary.push('.');
        out.flag(m.draft(
            format!("{name} is an owner of {org}"),
            summary,
            vec![
                grant_fact(ctx, owner),
                Fact::new("orgRoles", org_roles),
                Fact::new("implied_project_grants", implied),
            ],
            Recommendation::modify(
                "ORG_MEMBER",
                format!(
                    "Change {name}'s org role in {org} to ORG_MEMBER and grant only the project roles they need; if this person is a designated owner, keep it and record an exemption."
                ),
            ),
        ));
    }
}

#[path = "user_privilege.rs"]
mod privilege;

pub(super) use privilege::{privileged_project_role, unused_privilege};

#[cfg(test)]
#[path = "user_tests.rs"]
mod tests;

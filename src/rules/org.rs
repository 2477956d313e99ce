//! Organization rules: the settings an org enforces on everyone in it
//! (`multiFactorAuthRequired`, `apiAccessListRequired`, `restrictEmployeeAccess`,
//! `securityContact`) and how many people own it. Also the small helpers the org, project,
//! team and machine-identity rules share: subjects for orgs, dates and day counts in text,
//! the event that last changed something, and orgs whose listing could not be read.

use std::collections::{BTreeMap, BTreeSet};

use super::context::{Context, Draft, Out};
use super::finding::{Fact, FindingScope, Recommendation, Subject, SubjectKind};
use super::text::dated;
use crate::model::{Event, Org, OrgSettings, Principal, PrincipalDetail, Via, key};

/// The org itself as the subject of a finding.
pub(super) fn org_subject(org: &Org) -> Subject {
    Subject {
        key: key::org(&org.id),
        kind: SubjectKind::Org,
        name: org.name.clone(),
    }
}

/// The latest event of `event_type` in the org (and project, when given), for evidence of who
/// last changed a setting. Events are only those of the collection window.
pub(super) fn latest_event<'a>(
    ctx: &Context<'a>,
    event_type: &str,
    org_id: &str,
    project_id: Option<&str>,
) -> Option<&'a Event> {
    let events = match project_id {
        Some(p) => ctx.project_events(p),
        None => ctx.org_level_events(org_id),
    };
    events
        .iter()
        .copied()
        .filter(|e| {
            e.event_type == event_type
                && e.org_id.as_deref() == Some(org_id)
                && e.project_id.as_deref() == project_id
        })
        .max_by_key(|e| e.created)
}

/// An event as a fact: type, time and author.
pub(super) fn event_fact(e: &Event) -> Fact {
    Fact::new(
        "event",
        serde_json::json!({
            "eventTypeName": e.event_type,
            "created": e.created,
            "by": e.actor,
        }),
    )
}

/// "... on 2026-10-01 by user:x (AUDIT_LOG_CONFIGURATION_UPDATED)".
pub(super) fn event_text(ctx: &Context<'_>, e: &Event) -> String {
    let by = e
        .actor
        .as_deref()
        .map_or_else(String::new, |a| format!(" by {a}"));
    format!("{}{by} ({})", dated(ctx, e.created), e.event_type)
}

/// Orgs whose `operations` listing could not be read: each is reported once as not evaluated
/// for the rule, and the rule skips it, since what it did read there may be partial.
pub(super) fn blocked_orgs<'a>(
    ctx: &Context<'a>,
    out: &mut Out<'_, '_>,
    operations: &[&str],
) -> BTreeSet<&'a str> {
    let mut blocked = BTreeSet::new();
    for org in &ctx.snapshot.orgs {
        if let Some(gap) = ctx.gap(&key::org(&org.id), operations) {
            out.gap(FindingScope::org(&org.id), None, gap);
            blocked.insert(org.id.as_str());
        }
    }
    blocked
}

/// An org's settings, or `None` after recording why the rule could not judge them.
fn settings_or_not_evaluated<'o>(
    ctx: &Context<'_>,
    out: &mut Out<'_, '_>,
    org: &'o Org,
) -> Option<&'o OrgSettings> {
    if org.settings.is_none() {
        let scope = FindingScope::org(&org.id);
        match ctx.gap(&key::org(&org.id), &["getOrgSettings"]) {
            Some(gap) => out.gap(scope, None, gap),
            None => out.not_evaluated(
                scope,
                None,
                "the org's settings (getOrgSettings) are not in the snapshot; collect again with a credential that can read them",
            ),
        }
    }
    org.settings.as_ref()
}

/// One boolean org setting whose `false` is the finding.
struct BoolSetting {
    /// The field as Atlas names it.
    atlas_name: &'static str,
    /// Reads it from the model.
    read: fn(&OrgSettings) -> Option<bool>,
    /// Completes "Org <name> ...".
    problem: &'static str,
    /// What `false` lets happen.
    consequence: &'static str,
    /// Atlas's event type for switching it off, to name who did it.
    off_event: &'static str,
    /// How to switch it on.
    how: &'static str,
}

/// Flags every org whose setting is `false`; an unreported setting is not evaluated.
fn bool_setting(ctx: &Context<'_>, out: &mut Out<'_, '_>, s: &BoolSetting) {
    for org in &ctx.snapshot.orgs {
        let Some(settings) = settings_or_not_evaluated(ctx, out, org) else {
            continue;
        };
        let scope = FindingScope::org(&org.id);
        match (s.read)(settings) {
            Some(true) => {}
            None => out.not_evaluated(
                scope,
                None,
                format!(
                    "Atlas did not report {} for the org, so whether it is on was not judged",
                    s.atlas_name
                ),
            ),
            Some(false) => {
                let mut summary = format!(
                    "{} is false in the settings of org {} ({}): {}.",
                    s.atlas_name, org.name, org.id, s.consequence
                );
                let mut facts = vec![Fact::new(s.atlas_name, false)];
                if let Some(e) = latest_event(ctx, s.off_event, &org.id, None) {
                    summary.push_str(&format!(" Switched off on {}.", event_text(ctx, e)));
                    facts.push(event_fact(e));
                }
                out.flag(Draft::new(
                    org_subject(org),
                    scope,
                    format!("Org {} {}", org.name, s.problem),
                    summary,
                    facts,
                    Recommendation::modify(format!("{}: true", s.atlas_name), s.how),
                ));
            }
        }
    }
}

/// ORG_MFA_NOT_REQUIRED: `multiFactorAuthRequired` is false.
pub(super) fn mfa_not_required(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    bool_setting(
        ctx,
        out,
        &BoolSetting {
            atlas_name: "multiFactorAuthRequired",
            read: |s| s.mfa_required,
            problem: "does not require multi-factor authentication",
            consequence: "members can sign in to Atlas with a password alone",
            off_event: "ORG_TWO_FACTOR_AUTH_OPTIONAL",
            how: "Turn on \"Require Multi-Factor Authentication\" in Organization Settings (multiFactorAuthRequired: true), after telling members to set up a second factor.",
        },
    );
}

/// ORG_API_ACCESS_LIST_NOT_REQUIRED: `apiAccessListRequired` is false.
pub(super) fn api_access_list_not_required(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    bool_setting(
        ctx,
        out,
        &BoolSetting {
            atlas_name: "apiAccessListRequired",
            read: |s| s.api_access_list_required,
            problem: "does not require an IP access list for API calls",
            consequence: "API keys and service accounts without an access list work from any address",
            off_event: "ORG_PUBLIC_API_ACCESS_LIST_NOT_REQUIRED",
            how: "Give every API key and service account an access list of the addresses its automation calls from, then turn on \"Require IP Access List for the Atlas Administration API\" in Organization Settings (apiAccessListRequired: true).",
        },
    );
}

/// ORG_EMPLOYEE_ACCESS_UNRESTRICTED: `restrictEmployeeAccess` is false.
pub(super) fn employee_access_unrestricted(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    bool_setting(
        ctx,
        out,
        &BoolSetting {
            atlas_name: "restrictEmployeeAccess",
            read: |s| s.restrict_employee_access,
            problem: "lets MongoDB support staff reach its infrastructure without a grant",
            consequence: "MongoDB staff may reach the org's clusters and logs without a per-case grant",
            off_event: "ORG_EMPLOYEE_ACCESS_UNRESTRICTED",
            how: "Turn on \"Block MongoDB Support Access\" in Organization Settings (restrictEmployeeAccess: true) and grant support access per cluster, time-boxed, when a case needs it.",
        },
    );
}

/// ORG_NO_SECURITY_CONTACT: `securityContact` is absent or blank.
pub(super) fn no_security_contact(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    for org in &ctx.snapshot.orgs {
        let Some(settings) = settings_or_not_evaluated(ctx, out, org) else {
            continue;
        };
        let contact = settings.security_contact.as_deref();
        if contact.is_some_and(|c| !c.trim().is_empty()) {
            continue;
        }
        let state = if contact.is_none() { "absent" } else { "blank" };
        let summary = format!(
            "securityContact is {state} in the settings of org {} ({}): MongoDB's security notices about it reach nobody in particular.",
            org.name, org.id
        );
        out.flag(Draft::new(
            org_subject(org),
            FindingScope::org(&org.id),
            format!("Org {} names no security contact", org.name),
            summary,
            vec![Fact::new("securityContact", contact)],
            Recommendation::modify(
                "securityContact: a monitored security mailbox",
                "Set the Security Contact in Organization Settings to a monitored team mailbox (not one person's address).",
            ),
        ));
    }
}

/// Whether a principal is a person whose membership of `org_id` is `ACTIVE`.
fn is_active_member(p: &Principal, org_id: &str) -> bool {
    matches!(&p.detail, PrincipalDetail::AtlasUser(u)
        if u.memberships.iter().any(|m| m.org_id == org_id && m.status == "ACTIVE"))
}

/// Why an ORG_OWNER holder is not counted as an active human owner.
fn not_counted_reason(p: &Principal, org_id: &str) -> String {
    match &p.detail {
        PrincipalDetail::AtlasUser(u) => {
            let status = u
                .memberships
                .iter()
                .find(|m| m.org_id == org_id)
                .map_or("unknown", |m| m.status.as_str());
            format!("membership status {status}, not ACTIVE")
        }
        _ => format!("{}, not a person", p.kind.as_str()),
    }
}

/// ORG_OWNER_COUNT: active people holding ORG_OWNER directly on the org, outside
/// `[min_org_owners, max_org_owners]`. Keys, service accounts and invitees are listed, not
/// counted.
pub(super) fn owner_count(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let t = &ctx.policy.thresholds;
    // Without the user listing the count could be wrong either way.
    let blocked = blocked_orgs(ctx, out, &["listOrgUsers"]);
    for org in &ctx.snapshot.orgs {
        if blocked.contains(org.id.as_str()) {
            continue;
        }
        let mut owners: BTreeMap<&str, &Principal> = BTreeMap::new();
        let mut others: BTreeSet<(String, String)> = BTreeSet::new();
        for g in ctx.org_grants(&org.id) {
            if g.role != "ORG_OWNER" || g.via != Via::Direct {
                continue;
            }
            match ctx.principal(&g.principal) {
                Some(p) if is_active_member(p, &org.id) => {
                    owners.insert(&p.key, p);
                }
                Some(p) => {
                    others.insert((p.key.clone(), not_counted_reason(p, &org.id)));
                }
                None => {
                    others.insert((g.principal.clone(), "not among the principals read".into()));
                }
            }
        }
        let n = owners.len();
        let (min, max) = (t.min_org_owners as usize, t.max_org_owners as usize);
        if (min..=max).contains(&n) {
            continue;
        }
        let names: Vec<&str> = owners.values().map(|p| p.name.as_str()).collect();
        let plural = if n == 1 { "owner" } else { "owners" };
        let held_by = if n == 0 {
            "No active member holds ORG_OWNER".to_string()
        } else {
            format!(
                "ORG_OWNER is held by {n} active {plural}: {}",
                names.join(", ")
            )
        };
        let mut summary = format!("{held_by}; the policy asks for {min} to {max}.");
        if !others.is_empty() {
            let listed: Vec<String> = others
                .iter()
                .map(|(k, why)| format!("{k} ({why})"))
                .collect();
            summary.push_str(&format!(
                " Also holding it, not counted: {}.",
                listed.join(", ")
            ));
        }
        let mut facts: Vec<Fact> = owners.keys().map(|k| Fact::new("owner", k)).collect();
        facts.push(Fact::new("owner_count", n));
        facts.push(Fact::new("min_org_owners", min));
        facts.push(Fact::new("max_org_owners", max));
        if !others.is_empty() {
            let list: Vec<_> = others
                .iter()
                .map(|(k, why)| serde_json::json!({ "key": k, "reason": why }))
                .collect();
            facts.push(Fact::new("not_counted", list));
        }
        let (title, recommendation) = if n > max {
            (
                format!(
                    "Org {} has {n} active human owners; the policy allows at most {max}",
                    org.name
                ),
                Recommendation::modify(
                    "ORG_MEMBER",
                    format!(
                        "Lower ORG_OWNER to ORG_MEMBER (plus only the org or project roles each needs) for the owners who do not need to administer the whole org, leaving at most {max}."
                    ),
                ),
            )
        } else {
            (
                format!(
                    "Org {} has {n} active human {plural}; the policy asks for at least {min}",
                    org.name
                ),
                Recommendation::modify(
                    format!("at least {min} active ORG_OWNERs"),
                    "Appoint another trusted, active member as ORG_OWNER, so the org is not locked out when an owner is away or leaves.",
                ),
            )
        };
        out.flag(Draft::new(
            org_subject(org),
            FindingScope::org(&org.id),
            title,
            summary,
            facts,
            recommendation,
        ));
    }
}

#[cfg(test)]
#[path = "org_tests.rs"]
mod tests;

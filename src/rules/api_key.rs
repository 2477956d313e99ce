//! Programmatic API key rules: owner-level roles, access lists that admit any address, and
//! keys nobody uses. Atlas records a key's use only per access-list entry (`lastUsed`), so a
//! key without entries has no usage signal and is "not evaluated" for use, never "unused".
//! The privilege check is shared with service accounts ([`machine_privileged`]).

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};

use super::context::{Context, Draft, Map, Out, describe_scope, grant_fact};
use super::finding::{Fact, FindingScope, Recommendation};
use super::org::blocked_orgs;
use super::project::is_all_addresses;
use super::roles;
use super::text::{dated, ymd};
use crate::model::{
    AccessListEntry, ApiKey, Event, Grant, Principal, PrincipalDetail, PrincipalKind, Scope, Via,
};

/// A machine principal's noun and name for titles: "API key ci-deployer (hbwnxcpe)".
pub(super) fn machine_label(p: &Principal) -> String {
    let (noun, id) = match &p.detail {
        PrincipalDetail::ApiKey(k) => ("API key", k.public_key.as_str()),
        PrincipalDetail::ServiceAccount(s) => ("Service account", s.client_id.as_str()),
        _ => ("Principal", p.key.as_str()),
    };
    if p.name == id {
        format!("{noun} {id}")
    } else {
        format!("{noun} {} ({id})", p.name)
    }
}

/// "role R, S are" / "role R is" for the unknown-role reason.
fn unknown_roles_reason(unknown: &BTreeSet<&str>) -> String {
    let list: Vec<&str> = unknown.iter().copied().collect();
    if list.len() == 1 {
        format!(
            "role {} is not one atlas-audit knows; whether it is privileged was not judged; list it in [roles] privileged_machine_roles of the policy if it is",
            list[0]
        )
    } else {
        format!(
            "roles {} are not ones atlas-audit knows; whether they are privileged was not judged; list them in [roles] privileged_machine_roles of the policy if they are",
            list.join(", ")
        )
    }
}

/// APIKEY_PRIVILEGED and SA_PRIVILEGED: every principal of `kind` holding a role of
/// `privileged_machine_roles` by any path (direct, or implied by an org role), one finding per
/// principal and org. `listing` is the org listing the principals come from; `roles_gap` names
/// a per-principal listing of its project roles that could not be read, if any.
pub(super) fn machine_privileged(
    ctx: &Context<'_>,
    out: &mut Out<'_, '_>,
    kind: PrincipalKind,
    listing: &str,
    roles_gap: &dyn Fn(&Principal) -> Option<String>,
) {
    let privileged = &ctx.policy.roles.privileged_machine_roles;
    let blocked = blocked_orgs(ctx, out, &[listing]);
    for p in ctx.principals(kind) {
        for org_id in &p.org_ids {
            if blocked.contains(org_id.as_str()) {
                continue;
            }
            let scope = FindingScope::org(org_id);
            let grants: Vec<&Grant> = ctx
                .grants(&p.key)
                .iter()
                .copied()
                .filter(|g| {
                    g.scope.org_id() == org_id && !matches!(g.scope, Scope::Database { .. })
                })
                .collect();
            let unknown: BTreeSet<&str> = grants
                .iter()
                .map(|g| g.role.as_str())
                .filter(|r| !roles::is_known_atlas_role(r) && !privileged.iter().any(|x| x == r))
                .collect();
            if !unknown.is_empty() {
                out.not_evaluated(scope.clone(), Some(&p.key), unknown_roles_reason(&unknown));
            }
            let hits: Vec<&Grant> = grants
                .iter()
                .copied()
                .filter(|g| privileged.contains(&g.role))
                .collect();
            if hits.is_empty() {
                if let Some(reason) = roles_gap(p) {
                    out.not_evaluated(scope, Some(&p.key), reason);
                }
                continue;
            }
            out.flag(privileged_draft(ctx, p, scope, &grants, &hits));
        }
    }
}

/// The finding for a privileged machine principal: every grant it holds in the org as facts.
fn privileged_draft(
    ctx: &Context<'_>,
    p: &Principal,
    scope: FindingScope,
    grants: &[&Grant],
    hits: &[&Grant],
) -> Draft {
    let roles_held: BTreeSet<&str> = hits.iter().map(|g| g.role.as_str()).collect();
    let roles_held: Vec<&str> = roles_held.into_iter().collect();
    // Implied grants repeat one org role on every project: count them instead of listing.
    let mut parts: Vec<String> = hits
        .iter()
        .filter(|g| !matches!(g.via, Via::OrgRole(_)))
        .map(|g| {
            format!(
                "{} on {} ({})",
                g.role,
                describe_scope(ctx, &g.scope),
                g.via.label()
            )
        })
        .collect();
    let mut implied: Vec<(&str, &str)> = hits
        .iter()
        .filter_map(|g| match &g.via {
            Via::OrgRole(from) => Some((g.role.as_str(), from.as_str())),
            _ => None,
        })
        .collect();
    implied.sort();
    implied.dedup();
    for (role, from) in implied {
        let n = hits
            .iter()
            .filter(|g| g.role == role && g.via == Via::OrgRole(from.to_string()))
            .count();
        parts.push(format!(
            "{role} on {n} project{} (org-role, implied by {from})",
            if n == 1 { "" } else { "s" }
        ));
    }
    // The title names the roles held outright; implied ones only when nothing else is held.
    let outright: BTreeSet<&str> = hits
        .iter()
        .filter(|g| !matches!(g.via, Via::OrgRole(_)))
        .map(|g| g.role.as_str())
        .collect();
    let title_roles: Vec<&str> = if outright.is_empty() {
        roles_held.clone()
    } else {
        outright.into_iter().collect()
    };
    let label = machine_label(p);
    // Every grant held outright, and the implied ones counted per org role, as in the summary.
    let mut facts: Vec<Fact> = grants
        .iter()
        .filter(|g| !matches!(g.via, Via::OrgRole(_)))
        .map(|g| grant_fact(ctx, g))
        .collect();
    let mut implied_all: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for g in grants {
        if let Via::OrgRole(from) = &g.via {
            *implied_all
                .entry((g.role.as_str(), from.as_str()))
                .or_default() += 1;
        }
    }
    for ((role, from), projects) in implied_all {
        facts.push(Fact::new(
            "implied_grants",
            serde_json::json!({ "role": role, "via": "org-role", "implied_by": from, "projects": projects }),
        ));
    }
    facts.push(Fact::new("privileged_roles", &roles_held));
    // Org-level power (held on the org, or implied by an org role) is lowered at the org.
    let org_roles: BTreeSet<&str> = hits
        .iter()
        .filter_map(|g| match (&g.scope, &g.via) {
            (Scope::Org { .. }, _) => Some(g.role.as_str()),
            (_, Via::OrgRole(from)) => Some(from.as_str()),
            _ => None,
        })
        .collect();
    let recommendation = if org_roles.is_empty() {
        let projects: BTreeSet<String> = hits
            .iter()
            .filter_map(|g| g.scope.project_id())
            .map(|id| ctx.project_name(id))
            .collect();
        let projects: Vec<String> = projects.into_iter().collect();
        Recommendation::modify(
            roles::read_only_instead_of(roles_held[0]),
            format!(
                "Replace {} on {} with the narrowest project role its automation needs (e.g. GROUP_CLUSTER_MANAGER to change clusters, {} to read).",
                roles_held.join(", "),
                projects.join(", "),
                roles::read_only_instead_of(roles_held[0])
            ),
        )
    } else {
        let org_roles: Vec<&str> = org_roles.into_iter().collect();
        Recommendation::modify(
            "ORG_READ_ONLY",
            format!(
                "Replace {} with ORG_READ_ONLY if the automation only reads, or with ORG_MEMBER plus the project roles it actually uses; keep a separate, short-lived credential for rare owner-level tasks.",
                org_roles.join(", ")
            ),
        )
    };
    Draft::new(
        p,
        scope,
        format!("{label} holds {}", title_roles.join(", ")),
        format!(
            "{label} holds {}. A leaked credential would carry all of it.",
            parts.join("; ")
        ),
        facts,
        recommendation,
    )
}

/// APIKEY_PRIVILEGED: see [`machine_privileged`]. A key's project roles come with the key
/// listing itself, so no narrower gap applies.
pub(super) fn privileged(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    machine_privileged(ctx, out, PrincipalKind::ApiKey, "listOrgApiKeys", &|_| None);
}

/// An access-list entry as a fact, with Atlas's field names.
pub(super) fn entry_fact(e: &AccessListEntry, added_by: Option<&str>) -> Fact {
    let mut v = serde_json::json!({
        "cidrBlock": e.source.trim(),
        "created": e.created,
        "lastUsed": e.last_used,
        "lastUsedAddress": e.last_used_address,
        "count": e.request_count,
    });
    if let Some(by) = added_by {
        v["added_by"] = serde_json::Value::from(by);
    }
    Fact::new("accessListEntry", v)
}

/// An entry in words: "0.0.0.0/0, added 2026-10-18 (...) by user:x, last used ... from ...".
pub(super) fn entry_text(ctx: &Context<'_>, e: &AccessListEntry, added_by: Option<&str>) -> String {
    let mut s = e.source.trim().to_string();
    if let Some(c) = e.created {
        s.push_str(&format!(", added {}", dated(ctx, c)));
    }
    if let Some(by) = added_by {
        s.push_str(&format!(" by {by}"));
    }
    match e.last_used {
        Some(u) => {
            s.push_str(&format!(", last used {}", dated(ctx, u)));
            if let Some(a) = &e.last_used_address {
                s.push_str(&format!(" from {a}"));
            }
        }
        None => s.push_str(", never used"),
    }
    s
}

/// The title and summary of a machine credential last used too long ago, with its facts
/// (`field` is the Atlas name of the usage timestamp).
pub(super) fn stale_use(
    ctx: &Context<'_>,
    label: &str,
    field: &str,
    (at, source): (Timestamp, &str),
    limit: u32,
    facts: &mut Vec<Fact>,
) -> (String, String) {
    facts.push(Fact::new(field, at));
    facts.push(Fact::new("last_use_source", source));
    facts.push(Fact::new("days_since", ctx.days_since(at)));
    (
        format!("{label} unused for {} days", ctx.days_since(at)),
        format!(
            "Last used {} per its {source}; the limit is {limit} days.",
            dated(ctx, at)
        ),
    )
}

/// Title, summary, facts and remedy for a machine credential whose access list admits every
/// address: `open` are those entries, `who` who added each (when known), `owner` says "key" or
/// "account".
pub(super) fn open_to_all(
    ctx: &Context<'_>,
    label: &str,
    open: &[&AccessListEntry],
    who: &[Option<&str>],
    owner: &str,
) -> (String, String, Vec<Fact>, String) {
    let described: Vec<String> = open
        .iter()
        .zip(who)
        .map(|(e, by)| entry_text(ctx, e, *by))
        .collect();
    let sources: Vec<&str> = open.iter().map(|e| e.source.trim()).collect();
    (
        format!(
            "{label} accepts calls from any address ({})",
            sources.join(", ")
        ),
        format!(
            "The access list of {label} admits every address: {}.",
            described.join("; ")
        ),
        open.iter()
            .zip(who)
            .map(|(e, by)| entry_fact(e, *by))
            .collect(),
        format!(
            "Add entries for the addresses the {owner}'s automation calls from and delete {}.",
            sources.join(" and ")
        ),
    )
}

/// API_KEY_ACCESS_LIST_ENTRY_ADDED events by the public key they name.
fn entries_added<'a>(ctx: &Context<'a>) -> Map<&'a str, Vec<&'a Event>> {
    let mut by_key: Map<&str, Vec<&Event>> = Map::default();
    for ev in &ctx.snapshot.events {
        if ev.event_type == "API_KEY_ACCESS_LIST_ENTRY_ADDED"
            && let Some(target) = ev.target.as_deref()
        {
            by_key.entry(target).or_default().push(ev);
        }
    }
    by_key
}

/// Who added an entry to a key's access list: the author of the window's
/// API_KEY_ACCESS_LIST_ENTRY_ADDED event for the key within five minutes of the entry's
/// creation (Atlas's events do not carry the entry itself in our model).
fn added_by<'a>(
    added: &Map<&str, Vec<&'a Event>>,
    public_key: &str,
    e: &AccessListEntry,
) -> Option<&'a str> {
    let created = e.created?;
    let near = |t: Timestamp| (t.duration_since(created)).abs() <= SignedDuration::from_mins(5);
    added
        .get(public_key)?
        .iter()
        .filter(|ev| near(ev.created))
        .find_map(|ev| ev.actor.as_deref())
}

/// Records that a machine principal's access list was not read (citing the gap on its own
/// scope, `apikey:<publicKey>` or `sa:<clientId>`, when there is one).
pub(super) fn access_list_not_read(
    ctx: &Context<'_>,
    out: &mut Out<'_, '_>,
    p: &Principal,
    scope: FindingScope,
    operation: &str,
) {
    match ctx.gap(&p.key, &[operation]) {
        Some(gap) => out.gap(scope, Some(&p.key), gap),
        None => out.not_evaluated(
            scope,
            Some(&p.key),
            format!("the access list ({operation}) is not in the snapshot, so it was not judged"),
        ),
    }
}

/// The org a machine principal belongs to and the finding scope there.
fn home(p: &Principal) -> Option<(&str, FindingScope)> {
    p.org_ids
        .first()
        .map(|o| (o.as_str(), FindingScope::org(o)))
}

/// The API keys a rule about access lists can judge, with their list and home scope. Keys of
/// an org whose key listing could not be read are left out (the rule notes the gap once), and
/// a key whose access list was not read is noted as not evaluated.
fn keys_with_lists<'a>(
    ctx: &Context<'a>,
    out: &mut Out<'_, '_>,
) -> Vec<(
    &'a Principal,
    &'a ApiKey,
    &'a [AccessListEntry],
    FindingScope,
)> {
    let blocked = blocked_orgs(ctx, out, &["listOrgApiKeys"]);
    let mut keys = Vec::new();
    for p in ctx.principals(PrincipalKind::ApiKey) {
        let PrincipalDetail::ApiKey(k) = &p.detail else {
            continue;
        };
        let Some((org_id, scope)) = home(p) else {
            continue;
        };
        if blocked.contains(org_id) {
            continue;
        }
        let Some(list) = &k.access_list else {
            access_list_not_read(ctx, out, p, scope, "listOrgApiKeyAccessListEntries");
            continue;
        };
        keys.push((p, k, list.as_slice(), scope));
    }
    keys
}

/// APIKEY_NO_ACCESS_LIST: a key with no access-list entry, or with one that admits any address.
pub(super) fn no_access_list(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let added = entries_added(ctx);
    for (p, k, list, scope) in keys_with_lists(ctx, out) {
        let label = machine_label(p);
        let required = ctx
            .org(&scope.org_id)
            .and_then(|o| o.settings.as_ref())
            .and_then(|s| s.api_access_list_required);
        let (title, summary, mut facts, to, how) = if list.is_empty() {
            let setting = match required {
                Some(true) => {
                    " Atlas refuses its calls while the org requires an access list (apiAccessListRequired), but switching that off would open it to every address."
                }
                Some(false) => {
                    " The org does not require one (apiAccessListRequired is false), so the key works from any address."
                }
                None => "",
            };
            (
                format!("{label} has no access-list entry"),
                format!("{label} has no IP access-list entry.{setting}"),
                Vec::new(),
                "an access list of the automation's own addresses",
                "Add access-list entries for the addresses the key's automation calls from; delete the key if nothing uses it.".to_string(),
            )
        } else {
            let open: Vec<&AccessListEntry> = list
                .iter()
                .filter(|e| is_all_addresses(&e.source))
                .collect();
            if open.is_empty() {
                continue;
            }
            let who: Vec<Option<&str>> = open
                .iter()
                .map(|e| added_by(&added, &k.public_key, e))
                .collect();
            let (title, summary, facts, how) = open_to_all(ctx, &label, &open, &who, "key");
            (
                title,
                summary,
                facts,
                "an access list of the automation's own addresses",
                how,
            )
        };
        if let Some(r) = required {
            facts.push(Fact::new("apiAccessListRequired", r));
        }
        out.flag(Draft::new(
            p,
            scope,
            title,
            summary,
            facts,
            Recommendation::modify(to, how),
        ));
    }
}

/// The latest of the access-list uses and authored events, with where it came from.
pub(super) fn latest_use(
    ctx: &Context<'_>,
    p: &Principal,
    signals: impl Iterator<Item = (Timestamp, &'static str)>,
) -> Option<(Timestamp, &'static str)> {
    signals
        .chain(ctx.authored(&p.key).iter().map(|t| (*t, "authored event")))
        .max_by_key(|(t, _)| *t)
}

/// APIKEY_UNUSED: the key's last use (access-list `lastUsed`, or an event it authored) is older
/// than `inactive_days`, or there is none. A key without entries has no usage signal.
pub(super) fn unused(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let limit = ctx.policy.thresholds.inactive_days;
    for (p, _, list, scope) in keys_with_lists(ctx, out) {
        if list.is_empty() {
            out.not_evaluated(
                scope,
                Some(&p.key),
                "no access-list entry, so Atlas records no use of the key (no usage signal)",
            );
            continue;
        }
        let label = machine_label(p);
        let uses = list
            .iter()
            .filter_map(|e| e.last_used)
            .map(|t| (t, "access-list lastUsed"));
        let mut facts: Vec<Fact> = list.iter().map(|e| entry_fact(e, None)).collect();
        let (title, summary) = match latest_use(ctx, p, uses) {
            Some((at, _)) if !ctx.older_than(at, limit) => continue,
            Some((at, source)) => {
                stale_use(ctx, &label, "lastUsed", (at, source), limit, &mut facts)
            }
            None => {
                let created: Vec<String> = list
                    .iter()
                    .map(|e| match e.created {
                        Some(c) => format!("{} added {}", e.source.trim(), ymd(c)),
                        None => e.source.trim().to_string(),
                    })
                    .collect();
                facts.push(Fact::new("lastUsed", serde_json::Value::Null));
                (
                    format!("{label} was never used"),
                    format!(
                        "No access-list entry of the key was ever used ({}) and it authored no event in the events read.",
                        created.join("; ")
                    ),
                )
            }
        };
        facts.push(Fact::new("limit_days", limit));
        out.flag(Draft::new(
            p,
            scope,
            title,
            summary,
            facts,
            Recommendation::revoke(
                "Delete the key after confirming with its owner that no automation still holds it.",
            ),
        ));
    }
}

#[cfg(test)]
#[path = "api_key_tests.rs"]
mod tests;

//! Service account rules: owner-level roles, access lists, accounts nobody uses, and secrets
//! that are about to expire or live too long. A service account's use is seen in its secrets'
//! `lastUsedAt`, its access list's `lastUsedAt`, and the events it authored.

use jiff::SignedDuration;

use super::api_key::{
    access_list_not_read, entry_fact, latest_use, machine_label, machine_privileged, open_to_all,
    stale_use,
};
use super::context::{Context, Draft, Out};
use super::finding::{Fact, FindingScope, Recommendation};
use super::org::blocked_orgs;
use super::project::is_all_addresses;
use super::text::{dated, span_text, ymd};
use crate::model::{Principal, PrincipalKind, Secret, ServiceAccount};

/// The org listing every service-account rule reads.
const LISTING: &str = "listOrgServiceAccounts";

/// Service accounts of orgs whose listing was read, with their facts and finding scope. Orgs
/// whose listing failed are reported once as not evaluated.
fn accounts<'a>(
    ctx: &Context<'a>,
    out: &mut Out<'_, '_>,
) -> Vec<(&'a Principal, &'a ServiceAccount, FindingScope)> {
    let blocked = blocked_orgs(ctx, out, &[LISTING]);
    ctx.principals(PrincipalKind::ServiceAccount)
        .filter_map(|p| {
            let crate::model::PrincipalDetail::ServiceAccount(sa) = &p.detail else {
                return None;
            };
            let org = p.org_ids.first()?;
            (!blocked.contains(org.as_str())).then(|| (p, sa, FindingScope::org(org)))
        })
        .collect()
}

/// SA_PRIVILEGED: see [`machine_privileged`]. Project roles come from
/// getOrgServiceAccountGroups per account; when that failed, an account not already flagged
/// for an org role is not evaluated.
pub(super) fn privileged(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let roles_gap = |p: &Principal| {
        ctx.gap(&p.key, &["getOrgServiceAccountGroups"]).map(|g| {
            format!(
                "{} could not be read for {}: {}; the account's project roles are unknown",
                g.endpoint, g.scope, g.reason
            )
        })
    };
    machine_privileged(ctx, out, PrincipalKind::ServiceAccount, LISTING, &roles_gap);
}

/// SA_NO_ACCESS_LIST: no access-list entry, or one that admits any address.
pub(super) fn no_access_list(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    for (p, sa, scope) in accounts(ctx, out) {
        let Some(list) = &sa.access_list else {
            access_list_not_read(ctx, out, p, scope, "listOrgServiceAccountAccessList");
            continue;
        };
        let label = machine_label(p);
        let open: Vec<_> = list
            .iter()
            .filter(|e| is_all_addresses(&e.source))
            .collect();
        let (title, summary, facts, how) = if list.is_empty() {
            (
                format!("{label} has no access-list entry"),
                format!(
                    "{label} has no IP access-list entry: a leaked client secret works from any address the org allows."
                ),
                Vec::new(),
                "Add access-list entries for the addresses the account's automation calls from."
                    .to_string(),
            )
        } else if !open.is_empty() {
            open_to_all(ctx, &label, &open, &vec![None; open.len()], "account")
        } else {
            continue;
        };
        out.flag(Draft::new(
            p,
            scope,
            title,
            summary,
            facts,
            Recommendation::modify("an access list of the automation's own addresses", how),
        ));
    }
}

/// A secret as a fact, with Atlas's field names and `extra` fields of the rule.
fn secret_fact(s: &Secret, extra: serde_json::Value) -> Fact {
    let mut v = serde_json::json!({
        "id": s.id,
        "createdAt": s.created_at,
        "expiresAt": s.expires_at,
        "lastUsedAt": s.last_used_at,
    });
    if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    Fact::new("secret", v)
}

/// SA_UNUSED: the latest use (secrets, access list, authored events) is older than
/// `inactive_days`; never used counts only once the account is older than that too.
pub(super) fn unused(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let limit = ctx.policy.thresholds.inactive_days;
    for (p, sa, scope) in accounts(ctx, out) {
        // Secrets are the primary signal (every call needs a token from one); an unread access
        // list can only add uses, so it does not block the judgement, but it is stated.
        let uses = sa
            .secrets
            .iter()
            .filter_map(|s| s.last_used_at.map(|t| (t, "secret lastUsedAt")))
            .chain(
                sa.access_list
                    .iter()
                    .flatten()
                    .filter_map(|e| e.last_used.map(|t| (t, "access-list lastUsedAt"))),
            );
        let label = machine_label(p);
        let mut facts: Vec<Fact> = sa
            .secrets
            .iter()
            .map(|s| secret_fact(s, serde_json::json!({})))
            .collect();
        match &sa.access_list {
            Some(list) => facts.extend(list.iter().map(|e| entry_fact(e, None))),
            None => facts.push(Fact::new("accessList", "not read")),
        }
        let (title, summary) = match latest_use(ctx, p, uses) {
            Some((at, _)) if !ctx.older_than(at, limit) => continue,
            Some((at, source)) => {
                stale_use(ctx, &label, "lastUsedAt", (at, source), limit, &mut facts)
            }
            None => {
                // A new account gets the same grace period as a stale one.
                if p.created.is_some_and(|c| !ctx.older_than(c, limit)) {
                    continue;
                }
                let created = p.created.map_or_else(
                    || "Atlas gives no creation date for it".to_string(),
                    |c| format!("It was created {}", dated(ctx, c)),
                );
                facts.push(Fact::new("createdAt", p.created));
                facts.push(Fact::new("lastUsedAt", serde_json::Value::Null));
                (
                    format!("{label} was never used"),
                    format!(
                        "No secret or access-list entry of the account was ever used, and it authored no event in the events read. {created}; the limit is {limit} days."
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
                "Delete the service account after confirming with its owner that no automation still uses it.",
            ),
        ));
    }
}

/// Records that a secret lacks a date the rule needs.
fn secret_not_evaluated(
    out: &mut Out<'_, '_>,
    p: &Principal,
    scope: &FindingScope,
    s: &Secret,
    field: &str,
) {
    out.not_evaluated(
        scope.clone(),
        Some(&p.key),
        format!(
            "Atlas did not report {field} for secret {}, so it was not judged",
            s.id
        ),
    );
}

/// SA_SECRET_EXPIRING: secrets that expire within `secret_warning_days` (inclusive) or have
/// expired; one finding per account.
pub(super) fn secret_expiring(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let warn = ctx.policy.thresholds.secret_warning_days;
    let window = SignedDuration::from_hours(i64::from(warn) * 24);
    for (p, sa, scope) in accounts(ctx, out) {
        let mut expiring = Vec::new();
        let mut expired = Vec::new();
        for s in &sa.secrets {
            let Some(exp) = s.expires_at else {
                secret_not_evaluated(out, p, &scope, s, "expiresAt");
                continue;
            };
            let left = exp.duration_since(ctx.as_of);
            if left > window {
                continue;
            }
            if left.is_positive() {
                expiring.push((s, exp, left));
            } else {
                expired.push((s, exp, left));
            }
        }
        if expiring.is_empty() && expired.is_empty() {
            continue;
        }
        let label = machine_label(p);
        let mut parts = Vec::new();
        let mut facts = Vec::new();
        for (s, exp, left) in &expiring {
            parts.push(format!("Secret {} expires {}", s.id, dated(ctx, *exp)));
            facts.push(secret_fact(
                s,
                serde_json::json!({ "days_left": left.as_secs() / 86_400 }),
            ));
        }
        for (s, exp, left) in &expired {
            parts.push(format!("Secret {} expired {}", s.id, dated(ctx, *exp)));
            facts.push(secret_fact(
                s,
                serde_json::json!({ "expired_days_ago": -left.as_secs() / 86_400 }),
            ));
        }
        facts.push(Fact::new("secret_warning_days", warn));
        let expired_ids: Vec<&str> = expired.iter().map(|(s, ..)| s.id.as_str()).collect();
        let title = match (expiring.first(), expired.is_empty()) {
            (Some((_, _, left)), true) if expiring.len() == 1 => {
                format!("{label} has a secret expiring in {}", span_text(*left))
            }
            (None, false) if expired.len() == 1 => format!("{label} has an expired secret"),
            _ => format!(
                "{label} has {} secrets expiring or expired",
                expiring.len() + expired.len()
            ),
        };
        let recommendation = if expiring.is_empty() {
            Recommendation::modify(
                "expired secret deleted",
                format!(
                    "Delete the expired secret{} {}; if the automation still needs the account, create a new secret and deploy it.",
                    if expired_ids.len() == 1 { "" } else { "s" },
                    expired_ids.join(", ")
                ),
            )
        } else {
            let mut text = "Rotate: create a new secret, deploy it to the automation, then delete the old one before it expires.".to_string();
            if !expired_ids.is_empty() {
                text.push_str(&format!(" Delete the expired {}.", expired_ids.join(", ")));
            }
            Recommendation::modify("a new secret", text)
        };
        out.flag(Draft::new(
            p,
            scope,
            title,
            format!("{}; the warning window is {warn} days.", parts.join("; ")),
            facts,
            recommendation,
        ));
    }
}

/// SA_SECRET_LONG_LIVED: secrets valid (expiresAt − createdAt) for longer than
/// `max_secret_days`; one finding per account.
pub(super) fn secret_long_lived(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let max = ctx.policy.thresholds.max_secret_days;
    let limit = SignedDuration::from_hours(i64::from(max) * 24);
    for (p, sa, scope) in accounts(ctx, out) {
        let mut long = Vec::new();
        for s in &sa.secrets {
            let (Some(created), Some(expires)) = (s.created_at, s.expires_at) else {
                let field = if s.created_at.is_none() {
                    "createdAt"
                } else {
                    "expiresAt"
                };
                secret_not_evaluated(out, p, &scope, s, field);
                continue;
            };
            let validity = expires.duration_since(created);
            if validity > limit {
                long.push((s, created, expires, validity));
            }
        }
        if long.is_empty() {
            continue;
        }
        let label = machine_label(p);
        let parts: Vec<String> = long
            .iter()
            .map(|(s, c, e, v)| {
                format!(
                    "Secret {} was created {} and expires {}: valid {}",
                    s.id,
                    ymd(*c),
                    ymd(*e),
                    span_text(*v)
                )
            })
            .collect();
        let mut facts: Vec<Fact> = long
            .iter()
            .map(|(s, .., v)| {
                secret_fact(
                    s,
                    serde_json::json!({ "validity_days": v.as_secs() / 86_400 }),
                )
            })
            .collect();
        facts.push(Fact::new("limit_days", max));
        let setting = ctx
            .org(&scope.org_id)
            .and_then(|o| o.settings.as_ref())
            .map(|s| s.max_service_account_secret_validity_hours);
        let setting_text = match setting {
            Some(Some(h)) => {
                facts.push(Fact::new("maxServiceAccountSecretValidityInHours", h));
                if h > i64::from(max) * 24 {
                    format!(
                        " The org's maxServiceAccountSecretValidityInHours is {h}; lower it to {} so Atlas refuses longer secrets.",
                        i64::from(max) * 24
                    )
                } else {
                    format!(
                        " The org's maxServiceAccountSecretValidityInHours is {h}, so new secrets already respect the limit."
                    )
                }
            }
            Some(None) => format!(
                " Set the org's maxServiceAccountSecretValidityInHours to {} so Atlas refuses longer secrets.",
                i64::from(max) * 24
            ),
            None => String::new(),
        };
        let n = long.len();
        out.flag(Draft::new(
            p,
            scope,
            format!(
                "{label} has {} valid longer than {max} days",
                if n == 1 { "a secret".to_string() } else { format!("{n} secrets") }
            ),
            format!("{}; the limit is {max} days.", parts.join("; ")),
            facts,
            Recommendation::modify(
                format!("a secret valid at most {max} days"),
                format!(
                    "Create a new secret valid at most {max} days, deploy it, then delete the long-lived one.{setting_text}"
                ),
            ),
        ));
    }
}

#[cfg(test)]
#[path = "service_account_tests.rs"]
mod tests;

//! Database users against their certificates: Atlas-managed X.509 certificates that expire
//! soon or have expired (DBUSER_CERT_EXPIRING) and certificates valid longer than the policy
//! allows (DBUSER_CERT_LONG_LIVED). Atlas lists only unexpired certificates, per user; a user
//! whose listing could not be read is "not evaluated". Tested in `database_user_cert_tests.rs`.

use jiff::SignedDuration;
use serde_json::json;

use super::super::context::{Context, Draft, Out};
use super::super::finding::{Fact, Recommendation};
use super::super::text::{dated, span_text, ymd};
use super::{DbUser, db_users};
use crate::model::{AuthMethod, Certificate};

/// The operation that lists a database user's certificates (its coverage gaps' endpoint).
const CERTS: &str = "listGroupDatabaseUserCerts";

/// The Atlas-managed X.509 users whose certificates were read; the others of that kind are
/// reported as not evaluated.
fn managed<'a>(ctx: &Context<'a>, out: &mut Out<'_, '_>) -> Vec<DbUser<'a>> {
    db_users(ctx, out)
        .into_iter()
        .filter(|u| u.user.auth_method == AuthMethod::X509Managed)
        .filter(|u| match ctx.gap(u.key, &[CERTS]) {
            Some(gap) => {
                out.gap(u.scope(), Some(u.key), gap);
                false
            }
            None => true,
        })
        .collect()
}

fn cert_fact(c: &Certificate, extra: serde_json::Value) -> Fact {
    let mut value = json!({
        // A string: the serial does not fit a JSON reader's double.
        "id": c.id.to_string(),
        "createdAt": c.created,
        "notAfter": c.not_after,
        "subject": c.subject,
    });
    if let (Some(v), Some(extra)) = (value.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    Fact::new("certificate", value)
}

/// A certificate that lacks a date the rule needs: said once, not judged.
fn cert_not_evaluated(out: &mut Out<'_, '_>, u: &DbUser<'_>, c: &Certificate, field: &str) {
    out.not_evaluated(
        u.scope(),
        Some(u.key),
        format!(
            "Atlas did not report {field} for certificate {} of {}, so it was not judged",
            c.id,
            u.name()
        ),
    );
}

/// DBUSER_CERT_EXPIRING: certificates that expire within `secret_warning_days` (inclusive) or
/// have expired; one finding per user. A newer certificate that outlives the window means the
/// rotation is done and only the old one is left to revoke: the finding says so.
pub(in crate::rules) fn cert_expiring(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let warn = ctx.policy.thresholds.secret_warning_days;
    let window = SignedDuration::from_hours(i64::from(warn) * 24);
    for u in managed(ctx, out) {
        let mut soon = Vec::new();
        let mut lasting = None;
        for c in &u.user.certificates {
            let Some(end) = c.not_after else {
                cert_not_evaluated(out, &u, c, "notAfter");
                continue;
            };
            let left = end.duration_since(ctx.as_of);
            if left > window {
                lasting = lasting.max(Some(end));
            } else {
                soon.push((c, end, left));
            }
        }
        if soon.is_empty() {
            continue;
        }
        let name = u.name();
        let mut parts = Vec::new();
        let mut facts = Vec::new();
        for (c, end, left) in &soon {
            let verb = if left.is_positive() {
                "expires"
            } else {
                "expired"
            };
            parts.push(format!("Certificate {} {verb} {}", c.id, dated(ctx, *end)));
            let extra = if left.is_positive() {
                json!({ "days_left": left.as_secs() / 86_400 })
            } else {
                json!({ "expired_days_ago": -left.as_secs() / 86_400 })
            };
            facts.push(cert_fact(c, extra));
        }
        facts.push(Fact::new("secret_warning_days", warn));
        let expired = soon.iter().filter(|(.., left)| !left.is_positive()).count();
        let title = match (soon.as_slice(), expired) {
            ([(_, _, left)], 0) => format!(
                "Database user {name} has a certificate expiring in {}",
                span_text(*left)
            ),
            ([_], _) => format!("Database user {name} has an expired certificate"),
            (many, _) => format!(
                "Database user {name} has {} certificates expiring or expired",
                many.len()
            ),
        };
        let mut summary = format!("{}; the warning window is {warn} days.", parts.join("; "));
        let recommendation = match lasting {
            Some(until) => {
                facts.push(Fact::new("newest_valid_until", until));
                summary.push_str(&format!(
                    " A newer certificate is valid until {}: the rotation is done.",
                    ymd(until)
                ));
                Recommendation::modify(
                    "old certificate retired",
                    format!(
                        "Check that every client of {name} uses the newer certificate, then remove the old one from where it is deployed."
                    ),
                )
            }
            None => Recommendation::modify(
                "a new certificate",
                format!(
                    "Issue a new certificate for {name} (Atlas, databaseUsers/{name}/certs), deploy it to its clients before the old one expires; if nothing uses {name} any more, delete the database user."
                ),
            ),
        };
        out.flag(Draft::new(
            u.subject.clone(),
            u.scope(),
            title,
            summary,
            facts,
            recommendation,
        ));
    }
}

/// DBUSER_CERT_LONG_LIVED: certificates valid (`notAfter − createdAt`) for longer than
/// `max_certificate_days`; one finding per user.
pub(in crate::rules) fn cert_long_lived(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let max = ctx.policy.thresholds.max_certificate_days;
    let limit = SignedDuration::from_hours(i64::from(max) * 24);
    for u in managed(ctx, out) {
        let mut long = Vec::new();
        for c in &u.user.certificates {
            let (Some(created), Some(end)) = (c.created, c.not_after) else {
                let field = if c.created.is_none() {
                    "createdAt"
                } else {
                    "notAfter"
                };
                cert_not_evaluated(out, &u, c, field);
                continue;
            };
            let validity = end.duration_since(created);
            if validity > limit {
                long.push((c, created, end, validity));
            }
        }
        if long.is_empty() {
            continue;
        }
        let name = u.name();
        let parts: Vec<String> = long
            .iter()
            .map(|(c, created, end, v)| {
                format!(
                    "Certificate {} was issued {} and is valid until {}: {}",
                    c.id,
                    ymd(*created),
                    ymd(*end),
                    span_text(*v)
                )
            })
            .collect();
        let mut facts: Vec<Fact> = long
            .iter()
            .map(|(c, .., v)| cert_fact(c, json!({ "validity_days": v.as_secs() / 86_400 })))
            .collect();
        facts.push(Fact::new("limit_days", max));
        let n = long.len();
        out.flag(Draft::new(
            u.subject.clone(),
            u.scope(),
            format!(
                "Database user {name} has {} valid longer than {max} days",
                if n == 1 {
                    "a certificate".to_string()
                } else {
                    format!("{n} certificates")
                }
            ),
            format!("{}; the limit is {max} days.", parts.join("; ")),
            facts,
            Recommendation::modify(
                format!("certificates valid at most {max} days"),
                format!(
                    "Issue {name} a certificate valid at most {max} days (monthsUntilExpiration), deploy it, then stop using the long-lived one."
                ),
            ),
        ));
    }
}

#[cfg(test)]
#[path = "database_user_cert_tests.rs"]
mod tests;

//! Project and cluster rules: an IP access list open to the whole internet, database auditing
//! switched off, and clusters MongoDB staff can currently reach. Each needs one listing of the
//! project; a listing that was not read makes the project "not evaluated", never clean.

use super::context::{Context, Draft, Out};
use super::finding::{Fact, FindingScope, Recommendation, Subject, SubjectKind};
use super::org::{event_fact, event_text, latest_event};
use super::text::dated;
use crate::model::{Project, key};

/// Sources that admit every address, IPv4 and IPv6, as Atlas writes them.
const ALL_ADDRESSES: &[&str] = &["0.0.0.0/0", "::/0", "::0/0"];

/// Whether an access-list source admits every address. Shared with the API key and service
/// account rules.
pub(super) fn is_all_addresses(source: &str) -> bool {
    ALL_ADDRESSES.contains(&source.trim())
}

/// The project itself as the subject of a finding.
fn project_subject(p: &Project) -> Subject {
    Subject {
        key: key::project(&p.id),
        kind: SubjectKind::Project,
        name: p.name.clone(),
    }
}

/// Records that `what` of the project was not read (citing the coverage gap of `operation`
/// when there is one).
fn not_read(ctx: &Context<'_>, out: &mut Out<'_, '_>, p: &Project, operation: &str, what: &str) {
    let scope = FindingScope::project(&p.org_id, &p.id);
    match ctx.gap(&key::project(&p.id), &[operation]) {
        Some(gap) => out.gap(scope, None, gap),
        None => out.not_evaluated(
            scope,
            None,
            format!(
                "the project's {what} ({operation}) is not in the snapshot; collect again with a credential that can read it"
            ),
        ),
    }
}

/// PROJECT_NETWORK_OPEN: the project's IP access list holds an all-addresses block.
pub(super) fn network_open(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    for p in &ctx.snapshot.projects {
        let Some(list) = &p.ip_access_list else {
            not_read(ctx, out, p, "listGroupAccessListEntries", "IP access list");
            continue;
        };
        let open: Vec<_> = list
            .iter()
            .filter(|e| is_all_addresses(&e.source))
            .collect();
        if open.is_empty() {
            continue;
        }
        let mut described = Vec::new();
        let mut facts = Vec::new();
        for e in &open {
            let mut text = e.source.trim().to_string();
            if let Some(c) = &e.comment {
                text.push_str(&format!(" (comment \"{c}\")"));
            }
            if let Some(d) = e.delete_after {
                text.push_str(&format!(", temporary until {}", dated(ctx, d)));
            }
            described.push(text);
            facts.push(Fact::new(
                "accessListEntry",
                serde_json::json!({
                    "cidrBlock": e.source.trim(),
                    "comment": e.comment,
                    "deleteAfterDate": e.delete_after,
                }),
            ));
        }
        let sources: Vec<&str> = open.iter().map(|e| e.source.trim()).collect();
        out.flag(Draft::new(
            project_subject(p),
            FindingScope::project(&p.org_id, &p.id),
            format!(
                "Project {} admits connections from any address ({})",
                p.name,
                sources.join(", ")
            ),
            format!(
                "The IP access list of project {} ({}) holds {}: database credentials are the only barrier left.",
                p.name,
                p.id,
                described.join("; ")
            ),
            facts,
            Recommendation::modify(
                "the application hosts' own addresses",
                format!(
                    "Delete {} from the project's IP access list and add only the addresses that must connect (application hosts, VPN egress), or connect through peering or a private endpoint.",
                    sources.join(" and ")
                ),
            ),
        ));
    }
}

/// PROJECT_AUDITING_DISABLED: the project's audit log configuration says `enabled: false`.
pub(super) fn auditing_disabled(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    for p in &ctx.snapshot.projects {
        let Some(audit) = &p.audit_log else {
            not_read(ctx, out, p, "getGroupAuditLog", "audit log configuration");
            continue;
        };
        if audit.enabled {
            continue;
        }
        let mut summary = format!(
            "Database auditing is off for project {} ({}): auditLog.enabled is false.",
            p.name, p.id
        );
        let mut facts = vec![Fact::new("auditLog.enabled", false)];
        if let Some(t) = &audit.configuration_type {
            facts.push(Fact::new("auditLog.configurationType", t));
        }
        // Who last changed the configuration, when the window holds it: the reviewer's lead.
        if let Some(e) = latest_event(
            ctx,
            "AUDIT_LOG_CONFIGURATION_UPDATED",
            &p.org_id,
            Some(&p.id),
        ) {
            summary.push_str(&format!(
                " Last configuration change: {}.",
                event_text(ctx, e)
            ));
            facts.push(event_fact(e));
        }
        out.flag(Draft::new(
            project_subject(p),
            FindingScope::project(&p.org_id, &p.id),
            format!("Project {} has database auditing switched off", p.name),
            summary,
            facts,
            Recommendation::modify(
                "auditLog.enabled: true",
                "Turn on Database Auditing for the project (Security > Advanced > Database Auditing), auditing at least authentication and user and role changes.",
            ),
        ));
    }
}

/// CLUSTER_EMPLOYEE_ACCESS: clusters of the project whose `mongoDBEmployeeAccessGrant` has not
/// expired; one finding per project. An expired grant is not flagged.
pub(super) fn cluster_employee_access(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    for p in &ctx.snapshot.projects {
        let Some(clusters) = &p.clusters else {
            not_read(ctx, out, p, "listGroupClusters", "cluster list");
            continue;
        };
        let mut described = Vec::new();
        let mut facts = Vec::new();
        let mut names = Vec::new();
        for c in clusters {
            let Some(grant) = &c.employee_access_grant else {
                continue;
            };
            if grant.expires.is_some_and(|t| t <= ctx.as_of) {
                continue;
            }
            let kind = grant.grant_type.as_deref().unwrap_or("unknown grant type");
            let until = grant.expires.map_or_else(
                || "with no expiry date".to_string(),
                |t| format!("until {}", dated(ctx, t)),
            );
            described.push(format!("{} ({kind}) {until}", c.name));
            names.push(c.name.as_str());
            facts.push(Fact::new(
                "mongoDBEmployeeAccessGrant",
                serde_json::json!({
                    "cluster": c.name,
                    "clusterId": c.id,
                    "grantType": grant.grant_type,
                    "expirationTime": grant.expires,
                    "days_left": grant.expires.map(|t| -ctx.days_since(t)),
                }),
            ));
        }
        if names.is_empty() {
            continue;
        }
        let mut summary = format!(
            "MongoDB staff can reach {} in project {} ({}).",
            described.join("; "),
            p.name,
            p.id
        );
        // The window's latest grant event names who opened it (Atlas does not name the cluster).
        if let Some(e) = latest_event(ctx, "EMPLOYEE_ACCESS_GRANTED", &p.org_id, Some(&p.id)) {
            summary.push_str(&format!(
                " Last grant in the project: {}.",
                event_text(ctx, e)
            ));
            facts.push(event_fact(e));
        }
        out.flag(Draft::new(
            project_subject(p),
            FindingScope::project(&p.org_id, &p.id),
            format!(
                "MongoDB staff can reach {} in project {}",
                names.join(", "),
                p.name
            ),
            summary,
            facts,
            Recommendation::revoke(format!(
                "Revoke MongoDB employee access on {} as soon as the support case no longer needs it, and record the case that justified it.",
                names.join(", ")
            )),
        ));
    }
}

#[cfg(test)]
#[path = "project_tests.rs"]
mod tests;

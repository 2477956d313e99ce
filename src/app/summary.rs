//! The plain-text summary printed after a collection: what was read, per org, and what was not.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::{PrincipalDetail, PrincipalKind, Snapshot};

/// Renders the summary table.
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let as_of = s
        .meta
        .collected_at
        .map(|t| t.to_string())
        .unwrap_or_default();
    let _ = writeln!(out, "Atlas estate as of {as_of}");
    let _ = writeln!(
        out,
        "{:<28} {:>8} {:>7} {:>7} {:>8} {:>6} {:>6} {:>9} {:>8} {:>7}",
        "organization",
        "projects",
        "users",
        "pending",
        "api keys",
        "sa",
        "teams",
        "db users",
        "events",
        "grants"
    );
    for org in &s.orgs {
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for p in s.principals.iter().filter(|p| p.org_ids.contains(&org.id)) {
            let k = match (&p.kind, &p.detail) {
                (PrincipalKind::AtlasUser, PrincipalDetail::AtlasUser(u)) => {
                    let active = u
                        .memberships
                        .iter()
                        .any(|m| m.org_id == org.id && m.status == "ACTIVE");
                    if active { "users" } else { "pending" }
                }
                (kind, _) => kind.as_str(),
            };
            *count.entry(k).or_default() += 1;
        }
        let projects = s.projects.iter().filter(|p| p.org_id == org.id).count();
        let events = s.events.iter().filter(|e| {
            e.org_id.as_deref() == Some(org.id.as_str())
                || e.project_id
                    .as_deref()
                    .is_some_and(|p| s.projects.iter().any(|x| x.id == p && x.org_id == org.id))
        });
        let grants = s
            .grants
            .iter()
            .filter(|g| g.scope.org_id() == org.id)
            .count();
        let name: String = org.name.chars().take(28).collect();
        let _ = writeln!(
            out,
            "{:<28} {:>8} {:>7} {:>7} {:>8} {:>6} {:>6} {:>9} {:>8} {:>7}",
            name,
            projects,
            count.get("users").unwrap_or(&0),
            count.get("pending").unwrap_or(&0),
            count.get("api_key").unwrap_or(&0),
            count.get("service_account").unwrap_or(&0),
            count.get("team").unwrap_or(&0),
            count.get("database_user").unwrap_or(&0),
            events.count(),
            grants,
        );
    }
    let requests: u64 = s.meta.endpoints.values().map(|t| t.requests).sum();
    let retries: u64 = s.meta.endpoints.values().map(|t| t.retries).sum();
    let _ = writeln!(
        out,
        "{} principals, {} grants, {} events, {} access-log entries; {requests} requests ({retries} retried) in {:.1}s",
        s.principals.len(),
        s.grants.len(),
        s.events.len(),
        s.access_logs.len(),
        s.meta.duration_ms as f64 / 1000.0
    );
    if let Some(mib) = peak_memory_mib() {
        let _ = writeln!(out, "peak memory: {mib} MiB");
    }
    if s.coverage.is_empty() {
        let _ = writeln!(out, "coverage: complete, every requested scope was read");
    } else {
        let _ = writeln!(
            out,
            "coverage: INCOMPLETE, {} scopes could not be read:",
            s.coverage.len()
        );
        for g in &s.coverage {
            let _ = writeln!(out, "  {} ({}): {}", g.scope, g.endpoint, g.reason);
        }
    }
    out
}

/// This process's peak resident memory, where the system tells it (Linux).
pub fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

//! The plain-text summary printed after a collection: what was read, per org, and what was not.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::{PrincipalDetail, Snapshot};

/// Column headings and the kinds counted under them.
const COLUMNS: &[(&str, &str)] = &[
    ("users", "users"),
    ("invited", "pending"),
    ("api keys", "api_key"),
    ("sa", "service_account"),
    ("teams", "team"),
    ("db users", "database_user"),
];

/// Renders the summary table.
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let as_of = s
        .meta
        .collected_at
        .map(|t| t.to_string())
        .unwrap_or_default();
    let _ = writeln!(out, "Atlas estate as of {as_of}");
    let _ = write!(out, "{:<28} {:>8}", "organization", "projects");
    for (heading, _) in COLUMNS {
        let _ = write!(out, " {heading:>8}");
    }
    let _ = writeln!(out, " {:>8} {:>8}", "events", "grants");

    let project_org: BTreeMap<&str, &str> = s
        .projects
        .iter()
        .map(|p| (p.id.as_str(), p.org_id.as_str()))
        .collect();
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for p in &s.principals {
        for org_id in &p.org_ids {
            let kind = match &p.detail {
                PrincipalDetail::AtlasUser(u) => {
                    let active = u
                        .memberships
                        .iter()
                        .any(|m| &m.org_id == org_id && m.status == "ACTIVE");
                    if active { "users" } else { "pending" }
                }
                _ => p.kind.as_str(),
            };
            *counts.entry((org_id.as_str(), kind)).or_default() += 1;
        }
    }
    for e in &s.events {
        let org = match &e.project_id {
            Some(p) => project_org.get(p.as_str()).copied(),
            None => e.org_id.as_deref(),
        };
        if let Some(org) = org {
            *counts.entry((org, "events")).or_default() += 1;
        }
    }
    for p in &s.projects {
        *counts.entry((p.org_id.as_str(), "projects")).or_default() += 1;
    }
    for g in &s.grants {
        *counts.entry((g.scope.org_id(), "grants")).or_default() += 1;
    }
    for org in &s.orgs {
        let get = |k: &str| counts.get(&(org.id.as_str(), k)).copied().unwrap_or(0);
        let name: String = org.name.chars().take(28).collect();
        let _ = write!(out, "{name:<28} {:>8}", get("projects"));
        for (_, kind) in COLUMNS {
            let _ = write!(out, " {:>8}", get(kind));
        }
        let _ = writeln!(out, " {:>8} {:>8}", get("events"), get("grants"));
    }
    let requests: u64 = s.meta.endpoints.values().map(|t| t.requests).sum();
    let retries: u64 = s.meta.endpoints.values().map(|t| t.retries).sum();
    let _ = writeln!(
        out,
        "{} principals, {} grants, {} events, {} access-log entries; {requests} requests ({retries} retried) in {:.2}s",
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

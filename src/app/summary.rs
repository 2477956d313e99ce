//! The plain-text summary printed after a collection: what was read, per org, then the rows of
//! the end-of-run table (see [`super::table`]) that say when, how much, and what was not read.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::table::{self, grouped};
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

/// Renders the summary: the estate per org, a blank line, then the run's rows.
pub fn render(s: &Snapshot) -> String {
    let mut out = organizations(s);
    out.push('\n');
    estate_rows(&mut out, s);
    out
}

/// One line per org with what was read there.
pub fn organizations(s: &Snapshot) -> String {
    let mut out = String::new();
    let _ = write!(out, "{:<28} {:>8}", "organization", "projects");
    for (heading, _) in COLUMNS {
        let _ = write!(out, " {heading:>8}");
    }
    let _ = writeln!(out, " {:>8} {:>8}", "events", "grants");
    let counts = org_counts(s);
    for org in &s.orgs {
        let get = |k: &str| counts.get(&(org.id.as_str(), k)).copied().unwrap_or(0);
        let name: String = org.name.chars().take(28).collect();
        let _ = write!(out, "{name:<28} {:>8}", get("projects"));
        for (_, kind) in COLUMNS {
            let _ = write!(out, " {:>8}", get(kind));
        }
        let _ = writeln!(out, " {:>8} {:>8}", get("events"), get("grants"));
    }
    out
}

/// What was read per org: `(org id, what)` to a count, where `what` is `projects`, `events`,
/// `grants`, or a kind of [`COLUMNS`] (`users` active, `pending` invited).
fn org_counts(s: &Snapshot) -> BTreeMap<(&str, &str), usize> {
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
    counts
}

/// `summary --json`: what [`render`] prints, as one JSON object for scripts. `complete` is
/// false exactly when the command exits 3; `coverage` lists every gap.
pub fn json(s: &Snapshot) -> serde_json::Value {
    let counts = org_counts(s);
    let orgs: Vec<serde_json::Value> = s
        .orgs
        .iter()
        .map(|org| {
            let get = |k: &str| counts.get(&(org.id.as_str(), k)).copied().unwrap_or(0);
            serde_json::json!({
                "id": org.id,
                "name": org.name,
                "projects": get("projects"),
                "users": get("users"),
                "invited": get("pending"),
                "api_keys": get("api_key"),
                "service_accounts": get("service_account"),
                "teams": get("team"),
                "database_users": get("database_user"),
                "events": get("events"),
                "grants": get("grants"),
            })
        })
        .collect();
    let tally = |f: fn(&crate::model::EndpointTally) -> u64| -> u64 {
        s.meta.endpoints.values().map(f).sum()
    };
    serde_json::json!({
        "summary_version": 1,
        "tool_version": s.meta.tool_version,
        "as_of": s.meta.collected_at,
        "credential": s.meta.credential,
        "scope": {
            "orgs": s.meta.scope.orgs,
            "projects": s.meta.scope.projects,
        },
        "complete": s.is_complete(),
        "orgs": orgs,
        "read": {
            "principals": s.principals.len(),
            "grants": s.grants.len(),
            "events": s.events.len(),
            "access_log_entries": s.access_logs.len(),
            "access_log_entries_by_atlas_agents":
                s.access_logs.iter().filter(|e| e.is_atlas_agent()).count(),
            "access_log_entries_without_time":
                s.access_logs.iter().filter(|e| e.at.is_none()).count(),
        },
        "requests": {
            "sent": tally(|t| t.requests),
            "retried": tally(|t| t.retries),
            "seconds": s.meta.duration_ms as f64 / 1000.0,
        },
        "coverage": s.coverage,
    })
}

/// The rows about the collection: as of, scope, how much was read, requests and time, peak
/// memory, and coverage with every scope that could not be read.
pub fn estate_rows(out: &mut String, s: &Snapshot) {
    let as_of = s
        .meta
        .collected_at
        .map(|t| t.to_string())
        .unwrap_or_default();
    table::text(out, "as of", &as_of);
    let scope = &s.meta.scope;
    let asked: Vec<String> = scope
        .orgs
        .iter()
        .map(|o| format!("org {o}"))
        .chain(scope.projects.iter().map(|p| format!("project {p}")))
        .collect();
    if asked.is_empty() {
        table::text(out, "scope", "every organization the credential can read");
    } else {
        table::text(out, "scope", &asked.join(", "));
    }
    // Atlas's agents and entries without a time are kept, so they are counted where they show.
    let agents = s.access_logs.iter().filter(|e| e.is_atlas_agent()).count();
    let undated = s.access_logs.iter().filter(|e| e.at.is_none()).count();
    let mut of_which = Vec::new();
    if agents > 0 {
        of_which.push(format!("{} by Atlas's own agents", grouped(agents as u64)));
    }
    if undated > 0 {
        of_which.push(format!(
            "{} without a readable time",
            grouped(undated as u64)
        ));
    }
    table::text(
        out,
        "read",
        &format!(
            "{} principals, {} grants, {} events, {} access-log entries{}",
            grouped(s.principals.len() as u64),
            grouped(s.grants.len() as u64),
            grouped(s.events.len() as u64),
            grouped(s.access_logs.len() as u64),
            if of_which.is_empty() {
                String::new()
            } else {
                format!(" ({})", of_which.join(", "))
            }
        ),
    );
    let requests: u64 = s.meta.endpoints.values().map(|t| t.requests).sum();
    let retries: u64 = s.meta.endpoints.values().map(|t| t.retries).sum();
    table::text(
        out,
        "requests",
        &format!(
            "{} ({} retried) in {:.2}s",
            grouped(requests),
            grouped(retries),
            s.meta.duration_ms as f64 / 1000.0
        ),
    );
    if let Some(mib) = peak_memory_mib() {
        table::text(out, "peak memory", &format!("{mib} MiB"));
    }
    coverage_rows(out, &s.coverage, "the snapshot's coverage list");
}

/// Gaps named one per row; the rest are counted.
const GAPS_SHOWN: usize = 10;

/// The coverage row, then each gap (the first [`GAPS_SHOWN`]; `rest_in` says where the others
/// are listed).
pub fn coverage_rows(out: &mut String, gaps: &[crate::model::CoverageGap], rest_in: &str) {
    if gaps.is_empty() {
        table::text(out, "coverage", "complete: every requested scope was read");
        return;
    }
    table::text(
        out,
        "coverage",
        &format!(
            "INCOMPLETE: {} scope{} could not be read; rules that needed {} say \"not evaluated\":",
            gaps.len(),
            if gaps.len() == 1 { "" } else { "s" },
            if gaps.len() == 1 { "it" } else { "them" }
        ),
    );
    for g in gaps.iter().take(GAPS_SHOWN) {
        table::text(
            out,
            "",
            &format!("{} ({}): {}", g.scope, g.endpoint, g.reason),
        );
    }
    if gaps.len() > GAPS_SHOWN {
        table::text(
            out,
            "",
            &format!("and {} more, in {rest_in}", gaps.len() - GAPS_SHOWN),
        );
    }
}

/// This process's peak resident memory, where the system tells it (Linux).
pub fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

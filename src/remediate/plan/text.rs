//! `plan.txt`: the plan for a reader: one line per step, grouped by principal, then the
//! manual entries with why.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::types::{Plan, Reason, Step};

fn why(r: &Reason) -> String {
    match r.kind.as_str() {
        "offboard" => format!("offboarding {}", r.email.as_deref().unwrap_or("?")),
        _ => {
            let mut s = r.decision.clone().unwrap_or_else(|| "decision".into());
            if let Some(who) = &r.reviewer {
                let _ = write!(s, " by {who}");
            }
            if let Some(d) = &r.date {
                let _ = write!(s, " on {d}");
            }
            if let (Some(w), Some(row)) = (&r.workbook, r.row) {
                let _ = write!(s, " ({w} row {row})");
            }
            if let Some(c) = &r.comment {
                let _ = write!(s, ": {c}");
            }
            s
        }
    }
}

fn step_line(s: &Step) -> String {
    let mut line = format!(
        "  {} {} {} {} [{}]",
        s.id,
        s.action.as_str(),
        s.request.method,
        s.request.path,
        s.request.version
    );
    if let Some(body) = &s.request.body {
        let _ = write!(line, " {body}");
    }
    let _ = write!(
        line,
        " -- {} [{}]",
        why(&s.reason),
        s.reason.grant_ids.join(" ")
    );
    if !s.after.is_empty() {
        let _ = write!(line, " after {}", s.after.join(","));
    }
    if !s.also_removes.is_empty() {
        let also: Vec<String> = s
            .also_removes
            .iter()
            .map(|a| format!("{} {} {} ({})", a.grant_id, a.scope, a.role, a.via))
            .collect();
        let _ = write!(
            line,
            "\n      also removes (no decision named these): {}",
            also.join("; ")
        );
    }
    if let Some(note) = &s.note {
        let _ = write!(line, "\n      note: {note}");
    }
    line
}

/// The text of `plan.txt` (without the time the plan was made, so the same inputs give the
/// same text).
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "atlas-audit plan: {} step(s), {} manual; base URL {}, credential {}",
        plan.steps.len(),
        plan.manual.len(),
        if plan.base_url.is_empty() {
            "(unknown)"
        } else {
            &plan.base_url
        },
        if plan.credential.is_empty() {
            "(unknown)"
        } else {
            &plan.credential
        },
    );
    let _ = writeln!(
        out,
        "snapshot sha256 {} as of {}; digest {}",
        plan.snapshot.sha256,
        plan.snapshot
            .as_of
            .map(|t| t.to_string())
            .unwrap_or_else(|| "(unknown)".into()),
        plan.digest
    );
    // Principals in the order their first step comes.
    let mut order: Vec<&str> = Vec::new();
    let mut by: BTreeMap<&str, Vec<&Step>> = BTreeMap::new();
    for s in &plan.steps {
        if !by.contains_key(s.principal.as_str()) {
            order.push(&s.principal);
        }
        by.entry(&s.principal).or_default().push(s);
    }
    for p in order {
        let _ = writeln!(out, "\n{p}");
        for s in &by[p] {
            let _ = writeln!(out, "{}", step_line(s));
        }
    }
    if !plan.manual.is_empty() {
        let _ = writeln!(out, "\nManual (not done by apply):");
        for m in &plan.manual {
            let role = m
                .target
                .role
                .as_deref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {}{} -- {} [{}]\n      why: {}",
                m.principal,
                m.target.scope,
                role,
                why(&m.reason),
                m.reason.grant_ids.join(" "),
                m.why
            );
        }
    }
    out
}

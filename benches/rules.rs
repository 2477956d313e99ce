//! Rule-engine benchmark: every rule over a synthetic estate (default `xl`) with the default
//! policy. The snapshot is built from the world's files and saved; a child process then loads
//! it and runs the rules RUNS times, so the memory it reports is its own: peak after loading
//! (the floor) and peak after the rules. Prints the median time of the rules and the finding
//! counts.
//!
//! `cargo bench --bench rules [-- RUNS [SIZE]]` (defaults: 5 runs, xl).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use atlas_audit::mock::SyntheticSize;
use atlas_audit::rules::{self, Policy};
use common::*;

const CHILD: &str = "ATLAS_AUDIT_BENCH_RULES_SNAPSHOT";

fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn child(path: &str, runs: usize) {
    let t = Instant::now();
    let snapshot = atlas_audit::model::load(std::path::Path::new(path)).unwrap();
    let load = t.elapsed().as_secs_f64();
    let after_load = peak_mib();
    let policy = Policy::default();
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        // One set of findings alive at a time, as in a real run.
        drop(last.take());
        let t = Instant::now();
        let findings = rules::evaluate(&snapshot, &policy).unwrap();
        times.push(t.elapsed().as_secs_f64());
        last = Some(findings);
    }
    let findings = last.unwrap();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &findings.findings {
        *by_rule.entry(f.rule.as_str()).or_default() += 1;
    }
    println!("load {load:.2}s, peak after load {after_load} MiB");
    println!(
        "rules: median {:.3}s over {runs} runs (min {:.3}s, max {:.3}s); peak {} MiB (+{} MiB over the loaded snapshot)",
        median(times.clone()),
        times.iter().copied().fold(f64::INFINITY, f64::min),
        times.iter().copied().fold(0.0, f64::max),
        peak_mib(),
        peak_mib().saturating_sub(after_load)
    );
    println!(
        "{} findings, {} not evaluated, threads {}",
        findings.findings.len(),
        findings.not_evaluated.len(),
        rayon::current_num_threads()
    );
    let t = Instant::now();
    let history = rules::History::default();
    let ctx = rules::Context::new(&snapshot, &policy, now(), &history);
    println!("indexes (Context::new): {:.3}s", t.elapsed().as_secs_f64());
    drop(ctx);
    // Each rule alone, once: where the time goes.
    let mut alone = Vec::new();
    for rule in rules::RuleId::ALL {
        let mut only = Policy::default();
        for other in rules::RuleId::ALL.iter().filter(|r| *r != rule) {
            only.severity
                .insert(*other, atlas_audit::rules::policy::SeveritySetting::Off);
        }
        let t = Instant::now();
        rules::evaluate(&snapshot, &only).unwrap();
        alone.push((rule.as_str(), t.elapsed().as_secs_f64()));
    }
    println!("  {:<34} {:>8} {:>9}", "rule", "findings", "alone (s)");
    for (rule, secs) in alone {
        println!(
            "  {rule:<34} {:>8} {secs:>9.3}",
            by_rule.get(rule).copied().unwrap_or(0)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    if let Ok(path) = std::env::var(CHILD) {
        child(&path, runs);
        return;
    }
    let size: SyntheticSize = args.get(1).map_or("xl", String::as_str).parse().unwrap();
    let t0 = Instant::now();
    let snapshot = synthetic_snapshot(size);
    println!(
        "estate: {} orgs, {} projects, {} principals, {} grants, {} events, {} access-log entries (built in {:.1}s)",
        snapshot.orgs.len(),
        snapshot.projects.len(),
        snapshot.principals.len(),
        snapshot.grants.len(),
        snapshot.events.len(),
        snapshot.access_logs.len(),
        t0.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    atlas_audit::model::save(&snapshot, &path).unwrap();
    drop(snapshot);
    let status = Command::new(std::env::current_exe().unwrap())
        .arg(runs.to_string())
        .env(CHILD, &path)
        .status()
        .unwrap();
    assert!(status.success());
}

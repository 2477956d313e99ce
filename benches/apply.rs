//! Apply benchmark: a plan of 1,000 steps (revoking people's project roles, direct or through
//! a team, across the projects of a synthetic estate) applied against the simulated Atlas with
//! its project-user buckets limited, compared with the time those buckets allow. On `medium`
//! that is 562 steps on project users over 60 projects and 438 people taken off teams (in
//! unlimited buckets, one lane per org); `small` gives what it has.
//!
//! Every step on a project's user is three requests in its project's `project-users` bucket
//! (read the target again, the call, read again to confirm). A bucket of capacity B refilling R a second serves
//! k requests in (k − B) / R seconds at best, so the plan can take no less than its busiest
//! bucket's time; projects are applied side by side, so that is also the goal. Prints the
//! median of RUNS runs, each against a fresh estate, and the ratio to that floor.
//!
//! `cargo bench --bench apply [-- RUNS [SIZE]]` (defaults: 3 runs, medium); `0` runs prints the
//! plan and its floor only. `--undocumented` denies `GET /rateLimits` (403), so the client
//! learns the buckets from 429s, as before it read them. (`large` needs a longer floor: its 3,000 requests over 422
//! projects take the machine, not the buckets, about 20 s on 2 shared cores.)

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use atlas_audit::atlas::Client;
use atlas_audit::mock::{MockServer, RateLimits, SyntheticSize, World};
use atlas_audit::model::{PrincipalKind, Scope, Via};
use atlas_audit::remediate::apply;
use atlas_audit::remediate::decisions::{Decision, DecisionKind};
use atlas_audit::remediate::journal::{Journal, Outcome};
use atlas_audit::remediate::plan::{self, Basis, Plan};
use atlas_audit::rules::{self, Policy};
use common::*;

const STEPS: usize = 1_000;
/// Seconds the busiest bucket should take: long enough that the buckets, not the machine,
/// set the pace.
const FLOOR_SECONDS: f64 = 10.0;
const BURST: u32 = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Revokes of people's project roles, direct or through a team, the first `n` by grant id,
/// one per person, project and path (a team's roles go with one step).
fn decisions(snapshot: &atlas_audit::model::Snapshot, n: usize) -> Vec<Decision> {
    let people: BTreeSet<&str> = snapshot
        .principals
        .iter()
        .filter(|p| p.kind == PrincipalKind::AtlasUser)
        .map(|p| p.key.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    let mut grants: Vec<_> = snapshot
        .grants
        .iter()
        .filter(|g| {
            people.contains(g.principal.as_str())
                && matches!(g.scope, Scope::Project { .. })
                && matches!(g.via, Via::Direct | Via::Team(_))
        })
        .map(|g| (g.id(), g))
        .collect();
    grants.sort_by(|a, b| a.0.cmp(&b.0));
    grants
        .into_iter()
        .filter(|(_, g)| seen.insert((g.principal.clone(), g.scope.key(), g.via.key())))
        .take(n)
        .enumerate()
        .map(|(i, (id, g))| Decision {
            grant_id: id,
            principal: g.principal.clone(),
            scope: g.scope.key(),
            role: g.role.clone(),
            via: g.via.key(),
            decision: DecisionKind::Revoke,
            modify_to: String::new(),
            reviewer: "bench@example.com".into(),
            date: "2027-01-10".into(),
            comment: "benchmark".into(),
            workbook: "bench.xlsx".into(),
            sheet: "Access Review".into(),
            row: i as u32 + 2,
        })
        .collect()
}

/// The plan over a fresh estate served at `base_url`: decisions are added until it has
/// `STEPS` steps (some decisions share a step) or the estate has no more.
fn plan_for(size: SyntheticSize, base_url: &str) -> Plan {
    let mut snapshot = synthetic_snapshot(size);
    snapshot.meta.base_url = base_url.to_string();
    snapshot.meta.credential = format!("api_key:{PUBLIC_KEY}");
    let findings = rules::evaluate(&snapshot, &Policy::default()).unwrap();
    let basis = Basis {
        snapshot: &snapshot,
        sha256: "benchmark".into(),
        made_at: now(),
    };
    let mut n = STEPS;
    loop {
        let rows = decisions(&snapshot, n);
        let plan = plan::from_decisions(&basis, &rows, None, &findings)
            .unwrap()
            .plan;
        if plan.steps.len() >= STEPS || rows.len() < n {
            return plan;
        }
        n += STEPS - plan.steps.len();
    }
}

/// Steps per project's `project-users` bucket (a step whose call is on a project's user).
/// Other steps (taking a person off a team) are in buckets the benchmark leaves unlimited.
fn per_bucket(plan: &Plan) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for s in &plan.steps {
        let mut segments = s.request.path.trim_start_matches('/').split('/');
        if let (Some("groups"), Some(project), Some("users")) =
            (segments.next(), segments.next(), segments.next())
        {
            *n.entry(project.to_owned()).or_default() += 1;
        }
    }
    n
}

/// Steps by action, for the summary line.
fn by_action(plan: &Plan) -> BTreeMap<&'static str, usize> {
    let mut n = BTreeMap::new();
    for s in &plan.steps {
        *n.entry(s.action.as_str()).or_default() += 1;
    }
    n
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(3);
    let size: SyntheticSize = args
        .get(1)
        .map_or("medium", String::as_str)
        .parse()
        .unwrap();

    // The plan's shape, to set the buckets: the busiest project takes FLOOR_SECONDS.
    let probe = plan_for(size, "http://127.0.0.1:1");
    let buckets = per_bucket(&probe);
    let busiest = buckets.values().copied().max().unwrap_or(0);
    let requests = 3 * busiest as u32;
    let rate = f64::from(requests.saturating_sub(BURST)) / FLOOR_SECONDS;
    let rate = (rate * 10.0).ceil() / 10.0;
    let floor = f64::from(requests.saturating_sub(BURST)) / rate;
    println!(
        "plan: {} steps ({} manual; {:?}), {} of them over {} projects' project-users buckets, busiest {busiest} steps ({requests} requests); project-users buckets {rate}/s, burst {BURST}: floor {floor:.2}s",
        probe.steps.len(),
        probe.manual.len(),
        by_action(&probe),
        buckets.values().sum::<usize>(),
        buckets.len(),
    );
    if runs == 0 {
        return;
    }
    let limits: RateLimits = format!(
        "project-users={}/10s,burst={BURST},default=1000/s",
        (rate * 10.0).round()
    )
    .parse()
    .unwrap();

    let undocumented = std::env::args().any(|a| a == "--undocumented");
    let mut times = Vec::new();
    for run in 0..runs {
        let mut config = if undocumented {
            mock_config_with_faults("deny=/rateLimits")
        } else {
            mock_config()
        };
        config.rate_limit = Some(limits.clone());
        let world = World::synthetic(size, now());
        let server = MockServer::start(Arc::new(world), config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let plan = plan_for(size, &server.base_url());
        let client = Client::new(credentials(), fast_options(server.base_url())).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::open(&dir.path().join("apply-log.jsonl"), &plan.digest).unwrap();
        let t = Instant::now();
        let applied = apply::apply(&client, &plan, &BTreeSet::new(), &mut journal, |_, _, _| {})
            .await
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, o, _) in &applied.steps {
            *outcomes.entry(o.as_str()).or_default() += 1;
        }
        // Every step ends done, or already done (its target was gone when re-read); each of
        // the latter is named.
        for (step, o, detail) in &applied.steps {
            if *o == Outcome::AlreadyDone {
                let planned = plan.steps.iter().find(|s| &s.id == step);
                println!(
                    "  already done: {step} ({}): {detail}",
                    planned.map_or(String::new(), |s| format!("{} {:?}", s.principal, s.action))
                );
            }
        }
        let ended = [Outcome::Done, Outcome::AlreadyDone]
            .iter()
            .map(|o| outcomes.get(o.as_str()).copied().unwrap_or(0))
            .sum::<usize>();
        assert_eq!(ended, plan.steps.len(), "{outcomes:?}");
        let stats = server.stats();
        println!(
            "  run {}: {secs:.2}s, {} writes, {} requests, {} answered 429",
            run + 1,
            stats.writes.len(),
            stats.requests_by_bucket.values().sum::<u64>(),
            stats.by_status.get(&429).copied().unwrap_or(0)
        );
        for l in client.learned_rate_limits() {
            println!(
                "    learned {}: {} scopes, capacity {:?}, {:?}/s, caller-wide {}",
                l.endpoint_set, l.scopes, l.capacity, l.per_second, l.caller_wide
            );
        }
        times.push(secs);
        server.shutdown().await;
    }
    let t = median(times);
    println!(
        "apply: {} steps in {t:.2}s (median of {runs}); the buckets allow {floor:.2}s: {:.2}×",
        probe.steps.len(),
        t / floor
    );
}

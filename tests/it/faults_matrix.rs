//! Every transient fault kind at 10% of requests, alone and all together, over several seeds
//! and both credential kinds. Each run must end with the snapshot of a fault-free run (outside
//! `meta`), or with coverage gaps that name what is missing: never a clean-looking snapshot
//! built from partial data.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::common::faults::*;
use crate::common::*;
use atlas_audit::atlas::Credentials;
use atlas_audit::mock::Transient;
use futures::StreamExt as _;
use pretty_assertions::assert_eq;

/// Seeds of the draws; the middle one collects with the service account.
const SEEDS: [u64; 3] = [1, 7, 42];
/// Each kind's share of requests when run alone.
const ALONE: f64 = 0.10;
/// Each kind's share when all run together (twelve kinds at 10% would be more than every
/// request): 2.5% each, 30% of requests in all.
const TOGETHER: f64 = 0.025;
/// How long `slow` answers wait and `stall`ed bodies hang: twice the client's timeout.
const SLOW_MS: u64 = 1000;
/// Runs at once; each is its own server and client.
const PARALLEL: usize = 6;

fn spec(kinds: &[(Transient, f64)], seed: u64) -> String {
    let mut s: String = kinds
        .iter()
        .map(|(k, p)| format!("{}={p},", k.key()))
        .collect();
    write!(s, "slow-ms={SLOW_MS},seed={seed}").unwrap();
    s
}

fn credentials_for(seed: u64) -> Credentials {
    if seed == SEEDS[1] {
        service_account()
    } else {
        credentials()
    }
}

/// A named mix of fault kinds, each with its share of requests.
type Mix = (String, Vec<(Transient, f64)>);

/// What one run of the matrix came to.
struct Outcome {
    mix: String,
    seed: u64,
    run: FaultRun,
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fault_kind_at_ten_percent_leaves_the_snapshot_unchanged_or_names_the_gap() {
    let expected = estate_json(&snapshot_from_world(&demo_world()));
    // The fault-free run with the same options is the reference the faulty runs are held to.
    let clean = fault_run(demo_world(), faulty(""), credentials(), fault_options).await;
    assert_eq!(estate_json(clean.snapshot()), expected);
    let clean_requests = clean.stats.requests;

    let mut mixes: Vec<Mix> = Transient::all()
        .iter()
        .map(|k| (k.key().to_string(), vec![(*k, ALONE)]))
        .collect();
    mixes.push((
        "all".into(),
        Transient::all().iter().map(|k| (*k, TOGETHER)).collect(),
    ));
    let jobs: Vec<(Mix, u64)> = mixes
        .iter()
        .flat_map(|mix| SEEDS.map(|seed| (mix.clone(), seed)))
        .collect();
    let outcomes: Vec<Outcome> = futures::stream::iter(jobs)
        .map(|((mix, kinds), seed)| async move {
            let run = fault_run(
                demo_world(),
                faulty(&spec(&kinds, seed)),
                credentials_for(seed),
                fault_options,
            )
            .await;
            Outcome { mix, seed, run }
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;

    let mut table = format!(
        "fault-free: {clean_requests} requests\n{:<10} {:>5} {:>9} {:>8} {:>8}  outcome\n",
        "mix", "seed", "requests", "faults", "ms"
    );
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut wrong = Vec::new();
    for o in &outcomes {
        let snapshot = o.run.snapshot();
        for (k, n) in &o.run.stats.faults_injected {
            *by_kind.entry(k.clone()).or_default() += n;
        }
        let outcome = if snapshot.coverage.is_empty() {
            if estate_json(snapshot) == expected {
                "identical".to_string()
            } else {
                wrong.push(format!("{} seed {}", o.mix, o.seed));
                "WRONG: no gap, yet the estate differs".to_string()
            }
        } else {
            let gaps: Vec<String> = snapshot
                .coverage
                .iter()
                .map(|g| format!("{} {}", g.scope, g.endpoint))
                .collect();
            format!("exit 3: {}", gaps.join("; "))
        };
        writeln!(
            table,
            "{:<10} {:>5} {:>9} {:>8} {:>8}  {outcome}",
            o.mix,
            o.seed,
            o.run.stats.requests,
            o.run.injected(),
            o.run.elapsed.as_millis()
        )
        .unwrap();
    }
    writeln!(table, "faults injected by kind: {by_kind:?}").unwrap();
    println!("{table}");
    // A complete-looking snapshot must be the whole estate.
    assert!(
        wrong.is_empty(),
        "clean-looking but partial: {wrong:?}\n{table}"
    );

    for o in &outcomes {
        let snapshot = o.run.snapshot();
        // Each kind alone at 10% is survivable: the run must be complete and identical.
        if o.mix != "all" {
            assert!(
                snapshot.coverage.is_empty(),
                "{} seed {}: gaps {:#?}\n{table}",
                o.mix,
                o.seed,
                snapshot.coverage
            );
        }
        // Every gap names its scope and endpoint.
        for gap in &snapshot.coverage {
            assert!(
                ["org:", "project:", "apikey:", "sa:"]
                    .iter()
                    .any(|p| gap.scope.starts_with(p))
                    && !gap.endpoint.is_empty()
                    && !gap.reason.is_empty(),
                "{gap:?}"
            );
        }
    }
    // Every kind was really injected, somewhere.
    for kind in Transient::all() {
        assert!(
            by_kind.get(kind.key()).copied().unwrap_or(0) > 0,
            "{} never injected\n{table}",
            kind.key()
        );
    }
}
